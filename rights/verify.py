"""``twin verify``: read an image's marks back and check them against the ledger."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from twinkit.core.errors import InputError
from twinkit.core.hashing import sha256_file
from twinkit.rights.badge import PRESENT_SCORE, BadgeOptions, badge_score
from twinkit.rights.db import Registry
from twinkit.rights.ledger import LedgerEntry, find_entry, row_hash
from twinkit.rights.provenance import TRAINED_ALGORITHMIC_MEDIA, read_c2pa, read_xmp


@dataclass
class ImageCheck:
    """What ``verify_image`` found; the image is verified when ``problems`` is empty."""

    path: Path
    xmp_source_type: str | None = None
    c2pa_state: str | None = None  # None: no C2PA manifest
    entry: LedgerEntry | None = None
    badge: float | None = None  # correlation with the expected badge; None: licensee's own label
    problems: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"path": str(self.path), "verified": self.verified, "problems": self.problems,
                "xmp_digital_source_type": self.xmp_source_type, "c2pa": self.c2pa_state,
                "badge_score": self.badge, "ledger": self.entry.to_dict() if self.entry else None}


def verify_image(path: str | Path, db: Registry, trust_anchors: bytes | None = None) -> ImageCheck:
    """Check the XMP, the C2PA manifest (trusted when ``trust_anchors`` PEM is given), the ledger
    entry they name (present, unaltered, same file hash) and the visible badge."""
    path = Path(path)
    if not path.is_file():
        raise InputError("image not found", path)
    check = ImageCheck(path)
    check.xmp_source_type, xmp = read_xmp(path)
    if check.xmp_source_type != TRAINED_ALGORITHMIC_MEDIA:
        check.problems.append("no XMP DigitalSourceType trainedAlgorithmicMedia (metadata stripped?)")
    c2pa = read_c2pa(path, trust_anchors)
    marks = dict(xmp)
    if c2pa is not None:
        check.c2pa_state = c2pa.state
        if c2pa.state == "Invalid" or (trust_anchors and c2pa.state != "Trusted"):
            check.problems.append(f"C2PA manifest is {c2pa.state.lower()}"
                                  + (f": {'; '.join(c2pa.failures)}" if c2pa.failures else ""))
        if c2pa.digital_source_type != TRAINED_ALGORITHMIC_MEDIA:
            check.problems.append("C2PA manifest does not declare trainedAlgorithmicMedia")
        disagree = sorted(k for k in c2pa.rights.keys() & xmp.keys() if c2pa.rights[k] != xmp[k])
        if disagree:
            check.problems.append(f"XMP and C2PA disagree on {', '.join(disagree)}")
        marks = {**xmp, **c2pa.rights}
    entry_id = marks.get("LedgerEntry")
    if not entry_id:
        check.problems.append("no twinkit ledger entry named in the image")
        return check
    check.entry = find_entry(db, entry_id)
    if check.entry is None:
        check.problems.append(f"ledger entry {entry_id} is not in this registry")
        return check
    if row_hash(check.entry, check.entry.prev_hash) != check.entry.hash:
        check.problems.append(f"ledger row {check.entry.seq} was altered")
    if sha256_file(path) != check.entry.output_sha256:
        check.problems.append("the image differs from the one recorded in the ledger (altered or re-encoded)")
    if (marks.get("TwinId"), marks.get("LicenceId")) != (check.entry.twin_id, check.entry.licence_id):
        check.problems.append("twin or licence in the image differ from the ledger entry")
    if "Territories" in marks and marks["Territories"].split(",") != (check.entry.territories or []):
        check.problems.append("territories in the image differ from the ledger entry")
    badge = json.loads(marks.get("Badge") or "null")
    if badge is not None:
        with Image.open(path) as image:
            check.badge = badge_score(image, BadgeOptions(**badge))
        if check.badge < PRESENT_SCORE:
            check.problems.append(f"visible AI-generated badge not found (score {check.badge:.2f})")
    return check
