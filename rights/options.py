"""Click options shared by the rights commands and by every command that produces imagery or exports.

A producing command adds ``@licensed_options`` and receives ``rights: LicensedRequest``::

    @click.command()
    @licensed_options
    def render(..., rights: LicensedRequest):
        grant = rights.authorize(twin_id)                  # exit 3 unless licensed
        rights.publish_image(grant, frame, out, command_line())
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from twinkit.core.errors import InputError
from twinkit.rights.badge import LABELS, POSITIONS, BadgeOptions
from twinkit.rights.db import ENV_VAR, Registry
from twinkit.rights.enforce import Grant, authorize, publish_image, record_output
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

    def authorize(self, twin_id: str) -> Grant:
        """The grant for ``twin_id`` (raises RightsError, exit 3, when not licensed)."""
        return authorize(twin_id, self.licensee, self.use, db=self.registry, territories=self.territories)

    def publish_image(self, grant: Grant, source: str | Path, dest: str | Path, command: str) -> LedgerEntry:
        """Mark, record and move an image into place."""
        return publish_image(grant, source, dest, command, badge=self.badge, signer=self.signer)

    def record_output(self, grant: Grant, path: str | Path, command: str) -> LedgerEntry:
        """Record a non-image output (a report, an export)."""
        return record_output(grant, path, command)


_OPTIONS = (
    db_option,
    click.option("--licensee", required=True, help="The brand the output is made for."),
    click.option("--use", required=True, type=click.Choice(USES), help="What the output is for."),
    click.option("--territory", "territories", multiple=True, metavar="CC",
                 help="Where the output will be used (ISO 3166-1 alpha-2 or WORLD; repeat or comma-separate); "
                      "the licence and the consent must cover it."),
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


def licensed_options(command: Callable) -> Callable:
    """Add the licence, badge and signing options; the command receives ``rights: LicensedRequest``."""

    @functools.wraps(command)
    def wrapper(*args, db_url, licensee, use, territories, badge, badge_position, badge_size, badge_language,
                c2pa_cert, c2pa_key, **kwargs):
        if bool(c2pa_cert) != bool(c2pa_key):
            raise InputError("give both --c2pa-cert and --c2pa-key to sign C2PA manifests")
        signer = StudioSigner.from_files(c2pa_cert, c2pa_key) if c2pa_cert else None
        request = LicensedRequest(db_url, licensee, use,
                                  BadgeOptions(badge, badge_position, badge_size, badge_language), signer,
                                  tuple(parse_territories(territories)) if territories else ())
        return command(*args, rights=request, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper
