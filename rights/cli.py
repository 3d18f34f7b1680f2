"""``twin consent|license|ledger|registry|verify``: the rights registry from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from twinkit.core.atomic import write_text
from twinkit.core.errors import InputError
from twinkit.core.hashing import sha256_file
from twinkit.core.manifest import command_line
from twinkit.core.progress import info
from twinkit.rights import ledger, registry, report
from twinkit.rights.db import Registry
from twinkit.rights.errors import RightsError
from twinkit.rights.licences import LicenceTerms, grant_licence, list_licences, revoke_licence
from twinkit.rights.options import db_option
from twinkit.rights.provenance import TRUST_ENV
from twinkit.rights.terms import (USES, format_money, parse_instant, parse_money, parse_territories,
                                  parse_uses)
from twinkit.rights.verify import verify_image

_uses = click.option("--use", "uses", multiple=True, required=True,
                     help=f"Allowed use (repeat or comma-separate): {', '.join(USES)}.")
_territories = click.option("--territory", "territories", multiple=True, required=True,
                            help="ISO 3166-1 alpha-2 country code, or WORLD (repeat or comma-separate).")
_start = click.option("--from", "start", required=True, help="Start (ISO date or date-time, UTC).")
_until = click.option("--until", required=True, help="End, exclusive (ISO date or date-time, UTC).")
_currency = click.option("--currency", default="EUR", show_default=True, help="ISO 4217 currency code.")


@click.group()
def consent() -> None:
    """What the owner of a twin consented to (recorded at ingest)."""


@consent.command("record")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--owner", required=True, help="Owner id (see `twin registry add-owner`).")
@click.option("--twin-id", help="Check that the folder's twin_id is this one.")
@_uses
@_territories
@_start
@_until
@_currency
@click.option("--min-fee-per-image", default="0", show_default=True, help="Least fee per image a licence may set.")
@click.option("--min-fee-per-day", default="0", show_default=True, help="Least fee per day a licence may set.")
@click.option("--terms", default="", help="Compensation terms as signed (free text).")
@click.option("--document", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The signed consent document (its SHA-256 is recorded, not the document).")
@click.option("--document-sha256", help="The signed document's SHA-256, if the file is not at hand.")
@db_option
def consent_record(folder: Path, owner: str, twin_id: str | None, uses, territories, start, until, currency,
                   min_fee_per_image, min_fee_per_day, terms, document, document_sha256, db_url) -> None:
    """Record the consent for the twin in FOLDER (a capture or avatar folder)."""
    if bool(document) == bool(document_sha256):
        raise InputError("give exactly one of --document FILE or --document-sha256 HEX")
    digest = sha256_file(document) if document else document_sha256.lower()
    terms_ = registry.ConsentTerms(parse_uses(uses), parse_territories(territories), parse_instant(start),
                                   parse_instant(until), currency.upper(), parse_money(min_fee_per_image),
                                   parse_money(min_fee_per_day), terms, digest)
    record = registry.record_consent(Registry.open(db_url), folder, owner, terms_, twin_id)
    click.echo(f"consent #{record.id} recorded for twin {record.twin_id}")


@click.group("license")
def license_() -> None:
    """Licences: which brand may use a twin, how, where, when, for what fee."""


@license_.command("grant")
@click.argument("twin_id")
@click.option("--licensee", required=True, help="The brand.")
@_uses
@_territories
@_start
@_until
@_currency
@click.option("--fee-per-image", default="0", show_default=True)
@click.option("--fee-per-day", default="0", show_default=True)
@click.option("--own-label", is_flag=True, help="The licensee applies its own AI label (the badge may be off).")
@db_option
def license_grant(twin_id, licensee, uses, territories, start, until, currency, fee_per_image, fee_per_day,
                  own_label, db_url) -> None:
    """Grant LICENSEE a licence on TWIN_ID, within the owner's consent (else exit 3)."""
    terms = LicenceTerms(licensee, parse_uses(uses), parse_territories(territories), parse_instant(start),
                         parse_instant(until), currency.upper(), parse_money(fee_per_image),
                         parse_money(fee_per_day), own_label)
    licence = grant_licence(Registry.open(db_url), twin_id, terms)
    click.echo(licence.id)


@license_.command("revoke")
@click.argument("licence_id")
@db_option
def license_revoke(licence_id: str, db_url) -> None:
    """Revoke a licence now."""
    licence = revoke_licence(Registry.open(db_url), licence_id)
    info(f"licence {licence.id} revoked at {licence.revoked_at.isoformat()}")


@license_.command("list")
@click.option("--twin", "twin_id", help="Only this twin.")
@click.option("--licensee", help="Only this licensee.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def license_list(twin_id, licensee, as_json: bool, db_url) -> None:
    """List licences, newest first."""
    licences = list_licences(Registry.open(db_url), twin_id, licensee)
    if as_json:
        click.echo(json.dumps([registry.plain_record(lic) for lic in licences], indent=2))
        return
    for lic in licences:
        state = f"revoked {lic.revoked_at:%Y-%m-%d %H:%M}" if lic.revoked_at else "granted"
        click.echo(f"{lic.id}  twin {lic.twin_id}  {lic.licensee}  {','.join(lic.uses)}  "
                   f"{','.join(lic.territories)}  {lic.starts_at:%Y-%m-%d}..{lic.ends_at:%Y-%m-%d}  "
                   f"{format_money(lic.fee_per_image)}/image {format_money(lic.fee_per_day)}/day "
                   f"{lic.currency}  {state}")


@click.group("ledger")
def ledger_() -> None:
    """The append-only, hash-chained record of every output."""


@ledger_.command("verify")
@db_option
def ledger_verify(db_url) -> None:
    """Check the whole chain; exit 3 if a row was changed, deleted, inserted or reordered."""
    check = ledger.verify(Registry.open(db_url))
    if not check.ok:
        raise RightsError(f"ledger chain broken: {'; '.join(check.problems)}")
    click.echo(f"ledger intact: {check.rows} rows, head at row {check.head_seq}")


@ledger_.command("report")
@click.option("--period", required=True, help="Month, YYYY-MM.")
@click.option("--owner", help="Only this owner id.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@db_option
def ledger_report(period: str, owner: str | None, fmt: str, output: Path | None, db_url) -> None:
    """Uses and amounts owed per owner and licensee for one month."""
    lines = report.monthly_report(Registry.open(db_url), period, owner)
    text = {"table": report.as_table, "csv": report.as_csv}.get(fmt, lambda x: report.as_json(x, period))(lines)
    if output:
        write_text(output, text)
    else:
        click.echo(text, nl=False)


@click.group("registry")
def registry_() -> None:
    """Owners and their twins: add, erase, export."""


@registry_.command("add-owner")
@click.argument("name")
@click.option("--contact", help="How to reach the owner (e-mail, agency).")
@db_option
def registry_add_owner(name: str, contact: str | None, db_url) -> None:
    """Register a person; prints the new owner id."""
    click.echo(registry.add_owner(Registry.open(db_url), name, contact).id)


@registry_.command("delete")
@click.argument("owner")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@db_option
def registry_delete(owner: str, yes: bool, db_url) -> None:
    """Erase OWNER's captures and avatars (biometric data); the ledger keeps tombstones."""
    if not yes:
        click.confirm(f"Erase every capture and avatar of owner {owner}? This cannot be undone", abort=True)
    erased = registry.erase_owner(Registry.open(db_url), owner, command_line())
    info(f"erased {len(erased.twins)} twins, {len(erased.folders)} folders; "
         f"tombstones at ledger rows {', '.join(map(str, erased.tombstones)) or '-'}")


@registry_.command("export")
@click.argument("owner")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def registry_export(owner: str, dest: Path, db_url) -> None:
    """Package OWNER's twins and every record about them into the ZIP file DEST."""
    info(f"wrote {registry.export_owner(Registry.open(db_url), owner, dest)}")


@click.command("verify")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--trust", type=click.Path(dir_okay=False, exists=True, path_type=Path), envvar=TRUST_ENV,
              help=f"PEM trust anchors for the C2PA signer [env {TRUST_ENV}].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def verify(image: Path, trust: Path | None, as_json: bool, db_url) -> None:
    """Read IMAGE's AI marks (XMP, C2PA, badge) and check its ledger entry; exit 3 if unverified."""
    check = verify_image(image, Registry.open(db_url), trust.read_bytes() if trust else None)
    if as_json:
        click.echo(json.dumps(check.to_dict(), indent=2))
    elif check.verified:
        e = check.entry
        click.echo(f"verified: twinkit image, ledger row {e.seq}, twin {e.twin_id}, licence {e.licence_id}, "
                   f"{e.licensee}, {e.use}, territories {report.territory_key(e.territories)}, "
                   f"C2PA {check.c2pa_state or 'absent'}")
    if not check.verified:
        raise RightsError(f"unverified: {'; '.join(check.problems)}", image)


