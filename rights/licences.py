"""Licences: a brand's right to use a twin, granted only within the owner's consent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from twinkit.core.errors import InputError
from twinkit.rights.db import Registry
from twinkit.rights.errors import RightsError
from twinkit.rights.models import Consent, Licence, Twin
from twinkit.rights.terms import format_money, now, period_within, territories_within


@dataclass
class LicenceTerms:
    """What a licensee asks for; fees are hundredths of ``currency``."""

    licensee: str
    uses: list[str]
    territories: list[str]
    starts_at: datetime
    ends_at: datetime
    currency: str
    fee_per_image: int
    fee_per_day: int
    own_label: bool = False


def consent_gaps(consent: Consent, terms: LicenceTerms) -> list[str]:
    """Every way ``terms`` exceed ``consent`` (empty when the consent covers them)."""
    gaps = []
    extra_uses = sorted(set(terms.uses) - set(consent.uses))
    if extra_uses:
        gaps.append(f"use {', '.join(extra_uses)} is not in the consent ({', '.join(consent.uses)})")
    if not territories_within(terms.territories, consent.territories):
        gaps.append(f"territories {', '.join(terms.territories)} exceed the consent "
                    f"({', '.join(consent.territories)})")
    if not period_within(terms.starts_at, terms.ends_at, consent.starts_at, consent.ends_at):
        gaps.append(f"period {terms.starts_at:%Y-%m-%d %H:%M} to {terms.ends_at:%Y-%m-%d %H:%M} exceeds "
                    f"the consent ({consent.starts_at:%Y-%m-%d %H:%M} to {consent.ends_at:%Y-%m-%d %H:%M})")
    if terms.currency != consent.currency:
        gaps.append(f"fees are in {terms.currency} but the consent's terms are in {consent.currency}")
    else:
        for label, fee, floor in (("per image", terms.fee_per_image, consent.min_fee_per_image),
                                  ("per day", terms.fee_per_day, consent.min_fee_per_day)):
            if fee < floor:
                gaps.append(f"fee {label} {format_money(fee)} is below the consent's minimum "
                            f"{format_money(floor)} {consent.currency}")
    return gaps


def grant_licence(db: Registry, twin_id: str, terms: LicenceTerms) -> Licence:
    """Grant a licence under the newest consent that covers it; refuses (exit 3) when none does."""
    if terms.ends_at <= terms.starts_at:
        raise InputError("the licence period ends before it starts")
    if not terms.licensee.strip():
        raise InputError("a licence needs a licensee")
    with db.session() as session:
        twin = _live_twin(session.get(Twin, twin_id), twin_id)
        if not twin.consents:
            raise RightsError(f"twin {twin_id} has no consent record: it may be reconstructed for QA "
                              "but not licensed (record one with `twin consent record`)")
        reasons = {}
        for consent in reversed(twin.consents):
            reasons[consent.id] = consent_gaps(consent, terms)
            if not reasons[consent.id]:
                licence = Licence(id=str(uuid.uuid4()), twin=twin, consent_id=consent.id,
                                  granted_at=now(), **vars(terms))
                session.add(licence)
                return licence
        newest = twin.consents[-1].id
        raise RightsError(f"the licence exceeds the owner's consent #{newest}: " + "; ".join(reasons[newest]))


def revoke_licence(db: Registry, licence_id: str) -> Licence:
    """Revoke a licence now; every later authorisation under it is refused."""
    with db.session() as session:
        licence = session.get(Licence, licence_id)
        if licence is None:
            raise RightsError(f"no licence {licence_id!r} in the registry")
        if licence.revoked_at is None:
            licence.revoked_at = now()
        return licence


def list_licences(db: Registry, twin_id: str | None = None, licensee: str | None = None) -> list[Licence]:
    """Licences, newest first, optionally for one twin and/or licensee."""
    query = select(Licence).order_by(Licence.granted_at.desc())
    if twin_id:
        query = query.where(Licence.twin_id == twin_id)
    if licensee:
        query = query.where(Licence.licensee == licensee)
    with db.session() as session:
        return list(session.execute(query).scalars())


def _live_twin(twin: Twin | None, twin_id: str) -> Twin:
    if twin is None:
        raise RightsError(f"twin {twin_id} is not in the registry (record its consent first)")
    if twin.erased_at is not None:
        raise RightsError(f"twin {twin_id} was erased at its owner's request")
    return twin
