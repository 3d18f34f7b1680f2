"""The usage ledger: append-only, each row chained to the previous one by SHA-256.

Appends lock the single ``ledger_head`` row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
transactions already hold the write lock from ``BEGIN IMMEDIATE``), so concurrent producers get
consecutive sequence numbers and never fork the chain. ``verify`` recomputes every hash and checks the
links and the head, so an edited, deleted, inserted or reordered row is reported.

A row's territories joined the hashed fields with schema revision 0003: rows written before it hold NULL
there and are hashed without the field, exactly as they were written, so their chain still verifies.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from twinkit.rights.db import Registry
from twinkit.rights.models import LedgerHead, LedgerRow
from twinkit.rights.terms import now

GENESIS = "0" * 64
_HASHED = ("seq", "entry_id", "kind", "twin_id", "owner_id", "licensee", "use", "licence_id",
           "currency", "fee", "output_sha256", "command", "created_at")


@dataclass(frozen=True)
class LedgerEntry:
    """A ledger row as plain values (detached from the database)."""

    seq: int
    entry_id: str
    kind: str
    twin_id: str
    owner_id: str
    licensee: str | None
    use: str | None
    licence_id: str | None
    currency: str | None
    fee: int
    output_sha256: str | None
    territories: list[str] | None  # as requested ([] unstated); None before revision 0003 and in tombstones
    command: str
    created_at: datetime
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, row: LedgerRow) -> "LedgerEntry":
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})

    def to_dict(self) -> dict:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["created_at"] = self.created_at.isoformat()
        return data


def row_hash(row: LedgerRow | LedgerEntry, prev_hash: str) -> str:
    """SHA-256 of the previous hash and the row's canonical JSON."""
    values = {name: getattr(row, name) for name in _HASHED}
    values["created_at"] = values["created_at"].isoformat(timespec="microseconds")
    if row.territories is not None:  # NULL: a row older than the column (or a tombstone), hashed as written
        values["territories"] = list(row.territories)
    payload = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def lock_head(session: Session) -> LedgerHead:
    """Lock and return the chain head; held until the session's transaction ends."""
    return session.execute(select(LedgerHead).where(LedgerHead.id == 1).with_for_update()).scalar_one()


def append(session: Session, head: LedgerHead, *, kind: str, twin_id: str, owner_id: str, command: str,
           entry_id: str | None = None, licensee: str | None = None, use: str | None = None,
           licence_id: str | None = None, currency: str | None = None, fee: int = 0,
           output_sha256: str | None = None, territories: list[str] | None = None) -> LedgerRow:
    """Append one row after ``head`` (locked by :func:`lock_head` in the same transaction)."""
    row = LedgerRow(seq=head.seq + 1, entry_id=entry_id or str(uuid.uuid4()), kind=kind, twin_id=twin_id,
                    owner_id=owner_id, licensee=licensee, use=use, licence_id=licence_id,
                    currency=currency, fee=fee, output_sha256=output_sha256, territories=territories,
                    command=command, created_at=now(), prev_hash=head.hash)
    row.hash = row_hash(row, head.hash)
    session.add(row)
    head.seq, head.hash = row.seq, row.hash
    return row


@dataclass
class ChainCheck:
    """The outcome of :func:`verify`: ``problems`` is empty when the chain is intact."""

    rows: int
    head_seq: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(db: Registry) -> ChainCheck:
    """Recompute the chain: every row's hash, every link, sequence continuity, and the head."""
    with db.session() as session:
        head = session.get(LedgerHead, 1)
        rows = session.execute(select(LedgerRow).order_by(LedgerRow.seq)).scalars().all()
        check = ChainCheck(rows=len(rows), head_seq=head.seq)
        expected_seq, prev = 1, GENESIS
        for row in rows:
            if row.seq != expected_seq:
                check.problems.append(f"rows {expected_seq}..{row.seq - 1} are missing (deleted)")
            if row.prev_hash != prev:
                check.problems.append(f"row {row.seq} does not follow the row before it "
                                      "(a row was deleted, inserted or reordered)")
            if row_hash(row, row.prev_hash) != row.hash:
                check.problems.append(f"row {row.seq} was changed after it was written")
            expected_seq, prev = row.seq + 1, row.hash
        if head.seq != expected_seq - 1 or head.hash != prev:
            check.problems.append(f"the chain head names row {head.seq} but the ledger ends at row "
                                  f"{expected_seq - 1} (rows removed or added at the end)")
    return check


def find_entry(db: Registry, entry_id: str) -> LedgerEntry | None:
    """The ledger row with this entry id, if any."""
    with db.session() as session:
        row = session.execute(select(LedgerRow).where(LedgerRow.entry_id == entry_id)).scalar_one_or_none()
        return None if row is None else LedgerEntry.of(row)
