"""The demo's own rights registry: the virtual person consents, a demo brand is licensed, so the demo's
images and reports go through the same licence check, marks and ledger as everyone else's."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from twinkit.rights import registry
from twinkit.rights.badge import BadgeOptions
from twinkit.rights.db import Registry
from twinkit.rights.licences import LicenceTerms, grant_licence
from twinkit.rights.options import LicensedRequest
from twinkit.rights.terms import WORLD, now

LICENSEE = "twinkit demo"
USES = ["e-commerce", "fit-testing"]


def demo_registry(out: Path, avatar: Path) -> dict[str, LicensedRequest]:
    """Create ``out/registry.db`` (SQLite) with a consent for the avatar's twin and a one-year licence to
    the demo brand; returns a request per use (for use worldwide), ready for ``authorize``."""
    path = out / "registry.db"
    path.unlink(missing_ok=True)  # the demo's own registry, remade with its avatar on every run
    url = f"sqlite:///{path.resolve()}"
    db = Registry.open(url)
    start = now() - timedelta(minutes=1)
    end = start + timedelta(days=365)
    owner = registry.add_owner(db, "Virtual person (twinkit demo)", None)
    consent = registry.record_consent(db, avatar, owner.id, registry.ConsentTerms(
        uses=USES, territories=[WORLD], starts_at=start, ends_at=end, currency="EUR", min_fee_per_image=0,
        min_fee_per_day=0, terms="demo: a simulated person, no fee", document_sha256="0" * 64))
    grant_licence(db, consent.twin_id, LicenceTerms(
        licensee=LICENSEE, uses=USES, territories=[WORLD], starts_at=start, ends_at=end, currency="EUR",
        fee_per_image=0, fee_per_day=0))
    return {use: LicensedRequest(url, LICENSEE, use, BadgeOptions(), None, territories=(WORLD,)) for use in USES}
