"""What every command that renders, fits or exports a twin goes through.

``authorize`` checks for an active licence within the owner's consent (refusing with exit code 3);
``record_output`` writes the ledger row, re-checking the licence in the same locked transaction so a
revocation or expiry that lands mid-job still stops it; ``staged_output`` records an export or report
written beside its destination and only then moves it into place; ``publish_image`` does the same for
an image after marking it (badge, XMP, C2PA).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from twinkit.core.hashing import sha256_file
from twinkit.rights import ledger
from twinkit.rights.badge import BadgeOptions
from twinkit.rights.db import Registry
from twinkit.rights.errors import RightsError
from twinkit.rights.ledger import LedgerEntry
from twinkit.rights.marks import mark_image
from twinkit.rights.models import Consent, Licence, Twin
from twinkit.rights.provenance import StudioSigner
from twinkit.rights.terms import USES, in_force, now, territories_within


@dataclass(frozen=True)
class Grant:
    """Permission to produce output of one twin for one licensee and use, under one licence."""

    db: Registry
    twin_id: str
    owner_id: str
    licensee: str
    use: str
    licence_id: str
    currency: str
    fee_per_image: int
    own_label: bool
    territories: tuple[str, ...] = ()  # where the output will be used, when the request said so


def authorize(twin_id: str, licensee: str, use: str, *, db: Registry, at: datetime | None = None,
              territories: Sequence[str] = ()) -> Grant:
    """The grant to produce ``use`` output of ``twin_id`` for ``licensee`` at ``at`` (default now), for use
    in ``territories`` (ISO 3166-1 alpha-2 codes or WORLD; empty: not stated, not checked).

    Raises :class:`RightsError` (exit code 3) naming why when no active licence within a consent
    covers the request. There is deliberately no way to skip this check.
    """
    with db.session() as session:
        return _grant(session, db, twin_id, licensee, use, at or now(), tuple(territories))


def _grant(session: Session, db: Registry, twin_id: str, licensee: str, use: str, at: datetime,
           territories: tuple[str, ...]) -> Grant:
    if use not in USES:
        raise RightsError(f"unknown use {use!r} (known: {', '.join(USES)})")
    twin = session.get(Twin, twin_id)
    if twin is None:
        raise RightsError(f"twin {twin_id} is not in the registry: no consent, so no imagery or export")
    if twin.erased_at is not None:
        raise RightsError(f"twin {twin_id} was erased at its owner's request")
    if not twin.consents:
        raise RightsError(f"twin {twin_id} has no consent record: QA reconstruction only, no imagery")
    licences = session.execute(select(Licence).where(Licence.twin_id == twin_id, Licence.licensee == licensee)
                               .order_by(Licence.granted_at.desc())).scalars().all()
    refusals = []
    for licence in licences:
        reason = _refusal(licence, session.get(Consent, licence.consent_id), use, at, territories)
        if reason is None:
            return Grant(db, twin_id, twin.owner_id, licensee, use, licence.id, licence.currency,
                         licence.fee_per_image, licence.own_label, territories)
        refusals.append(f"licence {licence.id} {reason}")
    if not refusals:
        raise RightsError(f"{licensee!r} holds no licence for twin {twin_id}")
    raise RightsError(f"no active licence lets {licensee!r} use twin {twin_id} for {use}: "
                      + "; ".join(refusals))


def _refusal(licence: Licence, consent: Consent, use: str, at: datetime, territories: tuple[str, ...]
             ) -> str | None:
    """Why ``licence`` does not cover ``use`` in ``territories`` at ``at``, or None when it does."""
    if licence.revoked_at is not None and licence.revoked_at <= at:
        return f"was revoked at {licence.revoked_at.isoformat()}"
    if not in_force(licence.starts_at, licence.ends_at, at):
        state = "starts" if at < licence.starts_at else "expired"
        moment = licence.starts_at if at < licence.starts_at else licence.ends_at
        return f"{state} at {moment.isoformat()}"
    if use not in licence.uses:
        return f"does not cover {use} (only {', '.join(licence.uses)})"
    if territories and not territories_within(territories, licence.territories):
        return f"does not cover {', '.join(territories)} (only {', '.join(licence.territories)})"
    if use not in consent.uses or not in_force(consent.starts_at, consent.ends_at, at) or \
            (territories and not territories_within(territories, consent.territories)):
        return f"is no longer within the owner's consent #{consent.id}"
    return None


def record_output(grant: Grant, path: str | Path, command: str, *, entry_id: str | None = None) -> LedgerEntry:
    """Append the ledger row for the file at ``path``; refuses if the licence lapsed since authorizing."""
    digest = sha256_file(path)
    with grant.db.session() as session:
        head = ledger.lock_head(session)
        current = _grant(session, grant.db, grant.twin_id, grant.licensee, grant.use, now(), grant.territories)
        if current.licence_id != grant.licence_id:
            raise RightsError(f"licence {grant.licence_id} no longer applies (now {current.licence_id}); "
                              "authorize again")
        row = ledger.append(session, head, kind="output", twin_id=grant.twin_id, owner_id=grant.owner_id,
                            command=command, entry_id=entry_id, licensee=grant.licensee, use=grant.use,
                            licence_id=grant.licence_id, currency=grant.currency, fee=grant.fee_per_image,
                            output_sha256=digest, territories=list(grant.territories))
        session.flush()
        return LedgerEntry.of(row)


@dataclass
class StagedOutput:
    """Where to write an output before it is recorded, the ledger entry id it will get, and (once the
    ``staged_output`` block has ended) the ledger entry."""

    path: Path
    entry_id: str
    entry: LedgerEntry | None = None


@contextmanager
def staged_output(grant: Grant, dest: str | Path, command: str) -> Iterator[StagedOutput]:
    """Write an output to ``staged.path`` (beside ``dest``, same suffix) inside the block; when the block
    ends, the file is recorded in the ledger (the licence checked again) and only then moved to ``dest``.

    Nothing appears at ``dest`` unless its ledger row was written; the staged file never outlives the block.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    entry_id = str(uuid.uuid4())
    staged = StagedOutput(dest.with_name(f".{dest.stem}.{entry_id[:8]}.partial{dest.suffix}"), entry_id)
    try:
        yield staged
        staged.entry = record_output(grant, staged.path, command, entry_id=entry_id)
        os.replace(staged.path, dest)
    finally:
        staged.path.unlink(missing_ok=True)


def publish_image(grant: Grant, source: str | Path, dest: str | Path, command: str, *,
                  badge: BadgeOptions = BadgeOptions(), signer: StudioSigner | None = None) -> LedgerEntry:
    """Mark ``source`` (badge, XMP, C2PA), record it in the ledger, then move it to ``dest``.

    Nothing appears at ``dest`` unless its ledger row was written; ``source`` is left untouched.
    """
    if not badge.enabled and not grant.own_label:
        raise RightsError(f"licence {grant.licence_id} does not say the licensee applies its own AI label: "
                          "the AI-generated badge cannot be turned off")
    with staged_output(grant, dest, command) as staged:
        mark_image(source, staged.path, grant, staged.entry_id, badge=badge, signer=signer)
    return staged.entry
