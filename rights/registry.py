"""Owners, their twins and the consents they signed; erasure and export of a person's data."""

from __future__ import annotations

import json
import os
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from twinkit.core.errors import InputError
from twinkit.core.manifest import Manifest
from twinkit.rights import ledger
from twinkit.rights.db import Registry
from twinkit.rights.errors import RightsError
from twinkit.rights.models import Consent, LedgerRow, Licence, Owner, Twin, TwinFolder
from twinkit.rights.terms import now


def twin_id_of(folder: str | Path) -> tuple[str, str]:
    """The ``twin_id`` and kind recorded in a twinkit folder's manifest."""
    manifest = Manifest.read(folder)
    twin_id = manifest.extra.get("twin_id")
    try:
        return str(uuid.UUID(str(twin_id))), manifest.kind
    except ValueError:
        raise InputError(f"manifest has no valid twin_id (found {twin_id!r})",
                         Path(folder) / "manifest.json") from None


def add_owner(db: Registry, name: str, contact: str | None = None) -> Owner:
    """Register a person; returns the owner with its new id."""
    if not name.strip():
        raise InputError("an owner needs a name")
    with db.session() as session:
        owner = Owner(id=str(uuid.uuid4()), name=name.strip(), contact=contact, created_at=now())
        session.add(owner)
    return owner


def get_owner(session: Session, owner_id: str) -> Owner:
    owner = session.get(Owner, owner_id)
    if owner is None:
        raise RightsError(f"no owner {owner_id!r} in the registry")
    if owner.erased_at is not None:
        raise RightsError(f"owner {owner_id} was erased on {owner.erased_at:%Y-%m-%d}")
    return owner


def register_twin(db: Registry, twin_id: str, owner_id: str, kind: str, folder: str | Path) -> Twin:
    """Record that ``folder`` holds (part of) ``owner_id``'s twin ``twin_id``."""
    with db.session() as session:
        return _register(session, twin_id, owner_id, kind, Path(folder).absolute())


def _register(session: Session, twin_id: str, owner_id: str, kind: str, folder: Path) -> Twin:
    get_owner(session, owner_id)
    twin = session.get(Twin, twin_id)
    if twin is None:
        twin = Twin(id=twin_id, owner_id=owner_id, created_at=now())
        session.add(twin)
    elif twin.owner_id != owner_id:
        raise RightsError(f"twin {twin_id} belongs to another owner ({twin.owner_id})", folder)
    elif twin.erased_at is not None:
        raise RightsError(f"twin {twin_id} was erased; it cannot be registered again", folder)
    if not any(f.path == str(folder) for f in twin.folders):
        session.add(TwinFolder(twin=twin, kind=kind, path=str(folder), registered_at=now()))
    return twin


@dataclass
class ConsentTerms:
    """What the owner agreed to; fees are hundredths of ``currency``."""

    uses: list[str]
    territories: list[str]
    starts_at: datetime
    ends_at: datetime
    currency: str
    min_fee_per_image: int
    min_fee_per_day: int
    terms: str
    document_sha256: str


def record_consent(db: Registry, folder: str | Path, owner_id: str, consent: ConsentTerms,
                   twin_id: str | None = None) -> Consent:
    """Register the twin in ``folder`` for ``owner_id`` and record the consent they signed."""
    found_id, kind = twin_id_of(folder)
    if twin_id is not None and twin_id != found_id:
        raise InputError(f"--twin-id {twin_id} differs from the folder's twin_id {found_id}",
                         Path(folder) / "manifest.json")
    if consent.ends_at <= consent.starts_at:
        raise InputError("the consent period ends before it starts")
    if len(consent.document_sha256) != 64 or any(c not in "0123456789abcdef" for c in consent.document_sha256):
        raise InputError("the consent document's SHA-256 must be 64 lowercase hex digits")
    with db.session() as session:
        twin = _register(session, found_id, owner_id, kind, Path(folder).absolute())
        record = Consent(twin=twin, recorded_at=now(), **vars(consent))
        session.add(record)
    return record


@dataclass
class Erasure:
    """What ``erase_owner`` removed."""

    owner_id: str
    twins: list[str]
    folders: list[str]
    tombstones: list[int]


def erase_owner(db: Registry, owner_id: str, command: str) -> Erasure:
    """Delete the owner's twin folders, clear their identity, revoke licences, leave ledger tombstones."""
    with db.session() as session:
        owner = get_owner(session, owner_id)
        moment = now()
        head = ledger.lock_head(session)
        erasure = Erasure(owner_id, [], [], [])
        for twin in owner.twins:
            for folder in twin.folders:
                shutil.rmtree(folder.path, ignore_errors=True)
                erasure.folders.append(folder.path)
                session.delete(folder)
            for licence in twin.licences:
                licence.revoked_at = licence.revoked_at or moment
            twin.erased_at = moment
            row = ledger.append(session, head, kind="tombstone", twin_id=twin.id, owner_id=owner.id,
                                command=command)
            erasure.twins.append(twin.id)
            erasure.tombstones.append(row.seq)
        owner.name, owner.contact, owner.erased_at = None, None, moment
    return erasure


def export_owner(db: Registry, owner_id: str, dest: str | Path) -> Path:
    """Package the owner's twin folders and every record about them into one ZIP file for the owner."""
    dest = Path(dest)
    with db.session() as session:
        owner = get_owner(session, owner_id)
        twin_ids = [t.id for t in owner.twins]
        rows = session.execute(select(LedgerRow).where(LedgerRow.twin_id.in_(twin_ids))
                               .order_by(LedgerRow.seq)).scalars().all()
        records = {
            "owner": {"id": owner.id, "name": owner.name, "contact": owner.contact,
                      "created_at": owner.created_at.isoformat()},
            "twins": [{"id": t.id, "created_at": t.created_at.isoformat(),
                       "folders": [{"kind": f.kind, "path": f.path} for f in t.folders],
                       "consents": [plain_record(c) for c in t.consents],
                       "licences": [plain_record(lic) for lic in t.licences]} for t in owner.twins],
            "ledger": [ledger.LedgerEntry.of(r).to_dict() for r in rows],
        }
        folders = [(t.id, Path(f.path)) for t in owner.twins for f in t.folders]
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("records.json", json.dumps(records, indent=2) + "\n")
            for twin_id, folder in folders:
                for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
                    if path.is_file():
                        archive.write(path, f"twins/{twin_id}/{folder.name}/{path.relative_to(folder)}")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def plain_record(record: Consent | Licence) -> dict:
    """A consent or licence as JSON-ready values."""
    values = {c.key: getattr(record, c.key) for c in record.__table__.columns}
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
