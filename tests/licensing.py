"""Put a twin folder under consent and a licence in a throwaway registry (for tests of producing commands)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from twinkit.rights import registry
from twinkit.rights.db import Registry
from twinkit.rights.licences import LicenceTerms, grant_licence

LICENSEE = "Brand"
USE = "marketing"


def license_twin(folder: Path, db_path: Path, *, licensee: str = LICENSEE, use: str = USE) -> list[str]:
    """Record a consent for the twin in ``folder`` and grant ``licensee`` a licence for ``use`` (FR, 2026-2028)
    in the SQLite registry ``db_path``; returns the CLI arguments that select it
    (``--db URL --licensee NAME --use USE``)."""
    url = f"sqlite:///{db_path}"
    db = Registry.open(url)
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    owner = registry.add_owner(db, "Test Model", "model@example.org")
    consent = registry.record_consent(db, folder, owner.id, registry.ConsentTerms(
        uses=["e-commerce", "fit-testing", "marketing"], territories=["FR"], starts_at=start, ends_at=end,
        currency="EUR", min_fee_per_image=100, min_fee_per_day=0, terms="test", document_sha256="ab" * 32))
    grant_licence(db, consent.twin_id, LicenceTerms(licensee=licensee, uses=[use], territories=["FR"],
                                                    starts_at=start, ends_at=end, currency="EUR",
                                                    fee_per_image=100, fee_per_day=0))
    return ["--db", url, "--licensee", licensee, "--use", use]
