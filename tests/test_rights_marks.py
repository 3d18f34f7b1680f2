"""AI marks on every image: visible badge, XMP DigitalSourceType, signed C2PA, and ``twin verify``."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from twinkit.cli.main import twin
from twinkit.core.manifest import Manifest
from twinkit.rights import registry
from twinkit.rights.badge import BadgeOptions, badge_score
from twinkit.rights.db import Registry
from twinkit.rights.enforce import authorize, publish_image
from twinkit.rights.errors import RightsError
from twinkit.rights.licences import LicenceTerms, grant_licence
from twinkit.rights.provenance import TRAINED_ALGORITHMIC_MEDIA, StudioSigner
from twinkit.rights.terms import now
from twinkit.rights.verify import verify_image


def _certificate(subject, issuer, public_key, signing_key, ca: bool) -> x509.Certificate:
    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "twinkit test studio")])
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                        critical=True)
    else:
        builder = (builder.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                                         critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                                  critical=False))
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="module")
def studio(tmp_path_factory) -> tuple[StudioSigner, bytes]:
    """A locally generated test CA and ES256 signing certificate: (signer, trust anchor PEM)."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("test CA", "test CA", ca_key.public_key(), ca_key, ca=True)
    leaf = _certificate("test signer", "test CA", key.public_key(), ca_key, ca=False)
    pem = lambda cert: cert.public_bytes(serialization.Encoding.PEM)  # noqa: E731
    (folder / "chain.pem").write_bytes(pem(leaf) + pem(ca))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "ca.pem").write_bytes(pem(ca))
    return StudioSigner.from_files(folder / "chain.pem", folder / "key.pem"), pem(ca)


@pytest.fixture
def db(tmp_path) -> Registry:
    return Registry.open(f"sqlite:///{tmp_path / 'registry.db'}")


def _grant(db: Registry, tmp_path: Path, own_label: bool = False):
    owner = registry.add_owner(db, "Dee")
    folder = tmp_path / "capture"
    folder.mkdir(parents=True)
    twin_id = str(uuid.uuid4())
    Manifest(kind="capture", extra={"twin_id": twin_id}).write(folder)
    start, end = now() - dt.timedelta(days=1), now() + dt.timedelta(days=30)
    registry.record_consent(db, folder, owner.id, registry.ConsentTerms(
        ["marketing"], ["WORLD"], start, end, "EUR", 0, 0, "", "cd" * 32))
    grant_licence(db, twin_id, LicenceTerms("Brand", ["marketing"], ["WORLD"], start, end, "EUR", 100, 0, own_label))
    return authorize(twin_id, "Brand", "marketing", db=db)


@pytest.fixture
def render(tmp_path) -> Path:
    """A synthetic 'render': smooth colours, like a real image (no pure noise)."""
    y, x = np.mgrid[0:360, 0:480]
    pixels = np.stack([x * 255 // 480, y * 255 // 360, (x + y) * 255 // 840], axis=-1).astype(np.uint8)
    path = tmp_path / "render.png"
    Image.fromarray(pixels).save(path)
    return path


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_marked_image_verifies_with_trusted_c2pa(db, tmp_path, render, studio, suffix):
    signer, anchors = studio
    grant = _grant(db, tmp_path)
    source_bytes = render.read_bytes()
    out = tmp_path / f"out{suffix}"
    entry = publish_image(grant, render, out, "test", signer=signer)
    assert render.read_bytes() == source_bytes  # the input is never modified
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # nothing half-written
    check = verify_image(out, db, anchors)
    assert check.verified, check.problems
    assert check.c2pa_state == "Trusted" and check.xmp_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert check.entry.entry_id == entry.entry_id and check.badge > 0.95

    result = CliRunner().invoke(twin, ["verify", str(out), "--db", str(tmp_path / "registry.db")])
    assert result.exit_code == 0 and "verified: twinkit image" in result.output


def test_stripped_altered_or_unknown_images_are_unverified(db, tmp_path, render, studio):
    signer, anchors = studio
    grant = _grant(db, tmp_path)
    out = tmp_path / "out.jpg"
    publish_image(grant, render, out, "test", signer=signer)

    stripped = tmp_path / "stripped.jpg"
    Image.open(out).save(stripped, quality=95)  # pixels kept, metadata gone
    check = verify_image(stripped, db, anchors)
    assert not check.verified and any("XMP" in p for p in check.problems)

    altered = tmp_path / "altered.jpg"
    data = bytearray(out.read_bytes())
    scan = data.rindex(b"\xff\xda")  # flip bits inside the entropy-coded image data
    for offset in range(scan + 200, scan + 260):
        data[offset] ^= 0x10
    altered.write_bytes(bytes(data))
    check = verify_image(altered, db, anchors)
    assert not check.verified and any("differs from the one recorded" in p for p in check.problems)
    assert any("C2PA manifest is invalid" in p for p in check.problems)

    result = CliRunner().invoke(twin, ["verify", str(altered), "--db", str(tmp_path / "registry.db")])
    assert result.exit_code == 3 and "unverified" in result.output

    other = Registry.open(f"sqlite:///{tmp_path / 'other.db'}")
    assert any("not in this registry" in p for p in verify_image(out, other, anchors).problems)


def test_badge_survives_jpeg_quality_80(db, tmp_path, render):
    grant = _grant(db, tmp_path)
    options = BadgeOptions(position="top-left", size=0.05, language="fr")
    out = tmp_path / "out.png"
    publish_image(grant, render, out, "test", badge=options)  # unsigned: XMP and ledger only
    reencoded = io.BytesIO()
    Image.open(out).save(reencoded, "JPEG", quality=80)
    assert badge_score(Image.open(reencoded), options) > 0.9
    assert badge_score(Image.open(render), options) < 0.3  # the unmarked render has no badge there
    check = verify_image(out, db)
    assert check.verified and check.c2pa_state is None


def test_badge_may_be_off_only_under_own_label_licence(tmp_path, render):
    db = Registry.open(f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(RightsError, match="cannot be turned off") as refused:
        publish_image(_grant(db, tmp_path / "a"), render, tmp_path / "no-badge.png", "test",
                      badge=BadgeOptions(enabled=False))
    assert refused.value.exit_code == 3 and not (tmp_path / "no-badge.png").exists()
    db_b = Registry.open(f"sqlite:///{tmp_path / 'b.db'}")
    grant = _grant(db_b, tmp_path / "b", own_label=True)
    publish_image(grant, render, tmp_path / "own-label.png", "test", badge=BadgeOptions(enabled=False))
    check = verify_image(tmp_path / "own-label.png", db_b)
    assert check.verified and check.badge is None
