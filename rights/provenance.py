"""Machine-readable marks: the XMP DigitalSourceType (IPTC) and a signed C2PA manifest.

XMP goes through pyexiv2 (Exiv2), which writes the packet into PNG (iTXt) and JPEG (APP1). The C2PA
manifest is built and signed by c2pa-python with the studio's certificate chain and key; it names the
twin, licence and ledger entry, never the person.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import c2pa
import pyexiv2
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from twinkit import __version__
from twinkit.core.errors import InputError

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
XMP_NAMESPACE = "https://ns.twinkit.org/rights/1.0/"
RIGHTS_ASSERTION = "org.twinkit.rights"
MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
CERT_ENV, KEY_ENV, TRUST_ENV = "TWINKIT_C2PA_CERT", "TWINKIT_C2PA_KEY", "TWINKIT_C2PA_TRUST"


def mime_type(path: str | Path) -> str:
    """The MIME type of a PNG or JPEG path, from its suffix."""
    try:
        return MIME_TYPES[Path(path).suffix.lower()]
    except KeyError:
        raise InputError("marked images must be .png, .jpg or .jpeg", path) from None


@dataclass(frozen=True)
class StudioSigner:
    """The studio's C2PA signing credentials: PEM certificate chain (signer first) and private key."""

    cert_chain: bytes
    private_key: bytes
    algorithm: str

    @classmethod
    def from_files(cls, cert: str | Path, key: str | Path) -> "StudioSigner":
        """Load PEM files; the algorithm follows the key (EC P-256/384/521, RSA-PSS, Ed25519)."""
        chain = _read(cert)
        key_pem = _read(key)
        try:
            private = load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise InputError(f"not an unencrypted PEM private key ({exc})", key) from None
        if isinstance(private, ec.EllipticCurvePrivateKey):
            algorithm = {256: "es256", 384: "es384", 521: "es512"}[private.curve.key_size]
        elif isinstance(private, rsa.RSAPrivateKey):
            algorithm = "ps256"
        elif isinstance(private, ed25519.Ed25519PrivateKey):
            algorithm = "ed25519"
        else:
            raise InputError("C2PA signing needs an EC, RSA or Ed25519 key", key)
        return cls(chain, key_pem, algorithm)

    @classmethod
    def from_env(cls) -> "StudioSigner | None":
        """The signer named by ``TWINKIT_C2PA_CERT`` and ``TWINKIT_C2PA_KEY``, or None if unset."""
        cert, key = os.environ.get(CERT_ENV), os.environ.get(KEY_ENV)
        if not cert and not key:
            return None
        if not (cert and key):
            raise InputError(f"set both {CERT_ENV} and {KEY_ENV} to sign C2PA manifests")
        return cls.from_files(cert, key)


def _read(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path) from None


def write_xmp(path: str | Path, rights: dict[str, str]) -> None:
    """Write DigitalSourceType ``trainedAlgorithmicMedia`` and the twinkit rights fields into XMP."""
    try:
        pyexiv2.registerNs(XMP_NAMESPACE, "twinkit")
    except KeyError:  # already registered in this process
        pass
    fields = {"Xmp.iptcExt.DigitalSourceType": TRAINED_ALGORITHMIC_MEDIA}
    fields.update({f"Xmp.twinkit.{key}": value for key, value in rights.items()})
    with pyexiv2.Image(str(path)) as image:
        image.modify_xmp(fields)


def read_xmp(path: str | Path) -> tuple[str | None, dict[str, str]]:
    """The XMP DigitalSourceType and twinkit rights fields of an image (None, {} when absent)."""
    try:
        with pyexiv2.Image(str(path)) as image:
            xmp = image.read_xmp()
    except RuntimeError:
        return None, {}
    rights = {key.split(".", 2)[2]: value for key, value in xmp.items() if key.startswith("Xmp.twinkit.")}
    return xmp.get("Xmp.iptcExt.DigitalSourceType"), rights


def sign_c2pa(source: str | Path, dest: str | Path, signer: StudioSigner, rights: dict[str, str]) -> None:
    """Write ``dest``: ``source`` with an embedded C2PA manifest (created by a trained model)."""
    manifest = {
        "claim_generator_info": [{"name": "twinkit", "version": __version__}],
        "title": Path(dest).name,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [
                {"action": "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                 "softwareAgent": {"name": "twinkit", "version": __version__}}]}},
            {"label": RIGHTS_ASSERTION, "data": rights},
        ],
    }
    info = c2pa.C2paSignerInfo(signer.algorithm, signer.cert_chain, signer.private_key, None)
    try:
        with c2pa.Signer.from_info(info) as native_signer, c2pa.Builder(manifest) as builder, \
                open(source, "rb") as src, open(dest, "w+b") as dst:
            builder.sign(native_signer, mime_type(dest), src, dst)
    except c2pa.C2paError as exc:
        raise InputError(f"C2PA signing failed ({exc}); check the studio certificate and key") from None


@dataclass
class C2paRead:
    """What the C2PA manifest of an image says: validation state, source type, rights assertion."""

    state: str  # "Trusted", "Valid" (signature fine, signer not in the trust anchors) or "Invalid"
    digital_source_type: str | None
    rights: dict[str, str]
    failures: list[str]


def read_c2pa(path: str | Path, trust_anchors: bytes | None = None) -> C2paRead | None:
    """Read and validate the image's C2PA manifest; None when it carries none."""
    context = c2pa.Context.from_dict({"trust": {"trust_anchors": trust_anchors.decode()}}) if trust_anchors else None
    try:
        with open(path, "rb") as stream:
            reader = c2pa.Reader.try_create(mime_type(path), stream, None, context)
            if reader is None:
                return None
            with reader:
                manifest = reader.get_active_manifest() or {}
                state = reader.get_validation_state() or "Invalid"
                results = reader.get_validation_results() or {}
    except c2pa.C2paError as exc:
        return C2paRead("Invalid", None, {}, [str(exc)])
    failures = [f"{f.get('code')}: {f.get('explanation', '')}"
                for f in results.get("activeManifest", {}).get("failure", [])]
    assertions = {a["label"]: a.get("data", {}) for a in manifest.get("assertions", [])}
    actions = next((data.get("actions", []) for label, data in assertions.items()
                    if label.startswith("c2pa.actions")), [])
    source_type = next((a.get("digitalSourceType") for a in actions if a.get("action") == "c2pa.created"), None)
    return C2paRead(state, source_type, dict(assertions.get(RIGHTS_ASSERTION, {})), failures)
