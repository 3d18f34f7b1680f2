"""Click options shared by the rights commands and by every command that produces imagery or exports.

A producing command adds ``@licensed_options`` and receives ``rights: LicensedRequest``::

    @click.command()
    @licensed_options
    def render(..., rights: LicensedRequest):
        grant = rights.authorize(twin_id)                  # exit 3 unless licensed
        rights.publish_image(grant, frame, out, command_line())

A command whose own output stays inside the twin's folder (a QA step) but that can also deliver to a
brand uses ``@optional_licensed_options`` and receives ``rights: LicensedRequest | None``; it calls
``require_licence(rights, what)`` before delivering, so the delivery refuses (exit 3) without a licence.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import click

from twinkit.core.errors import InputError
from twinkit.rights.badge import LABELS, POSITIONS, BadgeOptions
from twinkit.rights.db import ENV_VAR, Registry
from twinkit.rights.enforce import Grant, StagedOutput, authorize, publish_image, record_output, staged_output
from twinkit.rights.errors import RightsError
from twinkit.rights.ledger import LedgerEntry
from twinkit.rights.provenance import CERT_ENV, KEY_ENV, StudioSigner
from twinkit.rights.terms import USES, parse_territories

db_option = click.option(
    "--db", "db_url", envvar=ENV_VAR, metavar="URL",
    help=f"Registry database: sqlite:///FILE, a file path, or postgresql://... "
         f"[env {ENV_VAR}; default ~/.local/share/twinkit/registry.db]")


@dataclass
class LicensedRequest:
    """Who asks to use the twin and for what, with the marking options."""

    db_url: str | None
    licensee: str
    use: str
    badge: BadgeOptions
    signer: StudioSigner | None
    territories: tuple[str, ...] = ()

    @functools.cached_property
    def registry(self) -> Registry:
        return Registry.open(self.db_url)

    @property
    def marks(self) -> dict[str, object]:
        """What the marks of an image made for this request say besides its ledger entry (a batch renders
        again when they change)."""
        return {"licensee": self.licensee, "use": self.use, "territories": list(self.territories),
                "badge": self.badge.to_dict() if self.badge.enabled else None, "signed": self.signer is not None}

    def authorize(self, twin_id: str) -> Grant:
        """The grant for ``twin_id`` (raises RightsError, exit 3, when not licensed)."""
        return authorize(twin_id, self.licensee, self.use, db=self.registry, territories=self.territories)

    def publish_image(self, grant: Grant, source: str | Path, dest: str | Path, command: str) -> LedgerEntry:
        """Mark, record and move an image into place."""
        return publish_image(grant, source, dest, command, badge=self.badge, signer=self.signer)

    def record_output(self, grant: Grant, path: str | Path, command: str) -> LedgerEntry:
        """Record a non-image output (a report, an export) inside a staging folder committed later."""
        return record_output(grant, path, command)

    def staged_output(self, grant: Grant, dest: str | Path, command: str) -> AbstractContextManager[StagedOutput]:
        """Write a single-file export or report to ``staged.path`` in the block; it is recorded, then moved
        to ``dest``."""
        return staged_output(grant, dest, command)


def require_licence(rights: LicensedRequest | None, what: str, use: str | None = None) -> LicensedRequest:
    """``rights``, or a refusal (exit 3) saying that ``what`` needs ``--licensee`` and ``--use`` (that
    ``use`` when given)."""
    if rights is None:
        raise RightsError(f"{what} delivers the twin to a brand: give --licensee and --use (and --db) "
                          "for an active licence")
    if use is not None and rights.use != use:
        raise RightsError(f"{what} is {use} use, not {rights.use}")
    return rights


def _licence_options(required: bool) -> tuple[Callable, ...]:
    """Who asks, for what use and where; ``--licensee`` and ``--use`` required or not."""
    return (
        db_option,
        click.option("--licensee", required=required, help="The brand the output is made for."),
        click.option("--use", required=required, type=click.Choice(USES), help="What the output is for."),
        click.option("--territory", "territories", multiple=True, metavar="CC",
                     help="Where the output will be used (ISO 3166-1 alpha-2 or WORLD; repeat or comma-separate); "
                          "the licence and the consent must cover it."),
    )


_MARKING_OPTIONS = (
    click.option("--badge/--no-badge", default=True, show_default=True,
                 help="Draw the visible AI-generated badge (off only if the licence says the licensee "
                      "applies its own label)."),
    click.option("--badge-position", type=click.Choice(POSITIONS), default="bottom-right", show_default=True),
    click.option("--badge-size", type=float, default=0.04, show_default=True,
                 help="Badge text height as a fraction of the image's shorter side."),
    click.option("--badge-language", type=click.Choice(sorted(LABELS)), default="en", show_default=True),
    click.option("--c2pa-cert", envvar=CERT_ENV, type=click.Path(dir_okay=False),
                 help=f"Studio certificate chain (PEM) for C2PA signing [env {CERT_ENV}]."),
    click.option("--c2pa-key", envvar=KEY_ENV, type=click.Path(dir_okay=False),
                 help=f"Studio private key (PEM) for C2PA signing [env {KEY_ENV}]."),
)


_BADGE_FIELDS = {"enabled": "badge", "position": "badge_position", "size": "badge_size",
                 "language": "badge_language"}  # BadgeOptions field -> option parameter


def _with_options(command: Callable, options: tuple[Callable, ...]) -> Callable:
    """``command`` with ``options``, called with ``rights`` (None when no licensee was given); marking
    options left out take their defaults."""

    @functools.wraps(command)
    def wrapper(*args, db_url, licensee, use, territories, c2pa_cert=None, c2pa_key=None, **kwargs):
        badge = BadgeOptions(**{field: kwargs.pop(name) for field, name in _BADGE_FIELDS.items() if name in kwargs})
        if bool(c2pa_cert) != bool(c2pa_key):
            raise InputError("give both --c2pa-cert and --c2pa-key to sign C2PA manifests")
        if bool(licensee) != bool(use):
            raise InputError("give both --licensee and --use")
        request = None
        if licensee:
            signer = StudioSigner.from_files(c2pa_cert, c2pa_key) if c2pa_cert else None
            request = LicensedRequest(db_url, licensee, use, badge, signer,
                                      tuple(parse_territories(territories)) if territories else ())
        return command(*args, rights=request, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def licensed_options(command: Callable) -> Callable:
    """Add the licence, badge and signing options; the command receives ``rights: LicensedRequest``."""
    return _with_options(command, _licence_options(required=True) + _MARKING_OPTIONS)


def optional_licensed_options(command: Callable) -> Callable:
    """Optional ``--licensee``/``--use``/``--territory`` (no image marking options), for a QA command that can
    also deliver a report or export to a brand; it receives ``rights: LicensedRequest | None`` and must
    ``require_licence`` before delivering."""
    return _with_options(command, _licence_options(required=False))
