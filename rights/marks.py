"""Mark an image as AI-generated: the visible badge, XMP DigitalSourceType, and a C2PA manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from twinkit.core.errors import InputError
from twinkit.rights.badge import BadgeOptions, draw_badge
from twinkit.rights.provenance import StudioSigner, mime_type, sign_c2pa, write_xmp

if TYPE_CHECKING:
    from twinkit.rights.enforce import Grant

JPEG_QUALITY = 95


def rights_fields(grant: "Grant", entry_id: str, badge: BadgeOptions) -> dict[str, str]:
    """What the marks say about the image: twin, licence, ledger entry, badge and the territories the
    request named (when it named any); never the person."""
    fields = {"TwinId": grant.twin_id, "LicenceId": grant.licence_id, "Licensee": grant.licensee,
              "Use": grant.use, "LedgerEntry": entry_id,
              "Badge": json.dumps(badge.to_dict() if badge.enabled else None)}
    if grant.territories:
        fields["Territories"] = ",".join(grant.territories)
    return fields


def mark_image(source: str | Path, dest: str | Path, grant: "Grant", entry_id: str, *,
               badge: BadgeOptions = BadgeOptions(), signer: StudioSigner | None = None) -> None:
    """Write ``dest`` (PNG or JPEG by suffix): ``source`` with badge, XMP and, given a signer, C2PA."""
    dest = Path(dest)
    mime = mime_type(dest)
    try:
        with Image.open(source) as opened:  # only PNG keeps a transparent background
            image = opened.convert("RGBA" if "A" in opened.getbands() and mime == "image/png" else "RGB")
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the image ({exc})", source) from None
    if badge.enabled:
        image = draw_badge(image, badge)
    plain = dest.with_name(f".{dest.name}.xmp{dest.suffix}") if signer else dest
    try:
        image.save(plain, format="PNG" if mime == "image/png" else "JPEG", quality=JPEG_QUALITY)
        fields = rights_fields(grant, entry_id, badge)
        write_xmp(plain, fields)
        if signer:
            sign_c2pa(plain, dest, signer, fields)
    finally:
        if signer:
            plain.unlink(missing_ok=True)
