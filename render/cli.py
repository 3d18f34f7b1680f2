"""``twin measure`` (ISO 8559-1 body measurements) and ``twin fit`` (garment fit report) of an avatar
(registered on the ``twin`` group by the lead)."""

from __future__ import annotations

from pathlib import Path

import click

from twinkit.rights.options import LicensedRequest, licensed_options, optional_licensed_options, require_licence

MEASUREMENT_USE = "fit-testing"


@click.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--mesh", "mesh_name", default=None,
              help="Mesh inside AVATAR to measure (default: the reconstructed mesh.glb, else the fitted "
                   "body.ply); landmarks come from body.json.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="REPORT.json",
              help=f"Also deliver the measurements to a brand as this JSON report: needs a licence for "
                   f"--use {MEASUREMENT_USE} and is recorded in the rights ledger.")
@optional_licensed_options
def measure(avatar_dir: Path, mesh_name: str | None, output: Path | None, rights: LicensedRequest | None) -> None:
    """Measure AVATAR (stature, girths, lengths after ISO 8559-1); print a table, write AVATAR/measurements.json.

    Measuring is a studio QA step: the table and AVATAR/measurements.json stay with the twin, so they need
    no licence (like reconstruction without a consent). A report written elsewhere with -o is a delivery of
    the person's body measurements to a brand: it runs only under an active licence for fit-testing (else
    exit 3, before any work) and gets a ledger row with its SHA-256.
    """
    from twinkit.core.atomic import write_json
    from twinkit.core.errors import InputError
    from twinkit.core.manifest import command_line
    from twinkit.render.measure import format_table, measure_avatar, write_measurements
    from twinkit.rights.registry import twin_id_of

    if output is None and rights is not None:
        raise InputError("--licensee and --use are for a measurement report delivered with -o REPORT.json")
    grant = None
    if output is not None:
        rights = require_licence(rights, "a measurement report (-o)", use=MEASUREMENT_USE)
        grant = rights.authorize(twin_id_of(avatar_dir)[0])
    document = measure_avatar(avatar_dir, mesh_name)
    path = write_measurements(avatar_dir, document)
    click.echo(format_table(document))
    click.echo(f"-> {path}")
    if grant is not None:
        with rights.staged_output(grant, output, command_line()) as staged:
            licence = {"twin_id": grant.twin_id, "licence_id": grant.licence_id, "licensee": grant.licensee,
                       "use": grant.use, "territories": list(grant.territories), "ledger_entry": staged.entry_id}
            write_json(staged.path, {**document, "rights": licence})
        click.echo(f"-> {output} (ledger row {staged.entry.seq})")


def _size_list(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    sizes = [s.strip() for s in value.split(",") if s.strip()]
    if not sizes or len(set(sizes)) != len(sizes):
        raise click.BadParameter("give distinct sizes separated by commas, e.g. S,M,L")
    return sizes


@click.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--garment", "garments", multiple=True, required=True, metavar="G",
              help="A library garment (tshirt, trousers, dress, jacket) or a garment file; repeat to layer.")
@click.option("--sizes", default="S,M,L", show_default=True, callback=_size_list,
              help="Sizes to compare, separated by commas.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), metavar="REPORT_DIR",
              help="Report folder to write (report.html, fit.json, heatmaps/).")
@click.option("--pose", "pose_name", default=None, metavar="NAME",
              help="Library pose name or pose file to dress in (default: the rest A-pose).")
@click.option("--contact-mm", default=2.0, show_default=True, type=click.FloatRange(min=0.0),
              help="Ease below which the garment counts as touching the skin.")
@click.option("--overwrite", is_flag=True, help="Replace REPORT_DIR if it exists.")
@licensed_options
def fit(avatar_dir: Path, garments: tuple[str, ...], sizes: list[str], output: Path, pose_name: str | None,
        contact_mm: float, overwrite: bool, rights: LicensedRequest) -> None:
    """Dress AVATAR in each size of the garments, map ease and strain, rank the sizes and write a report."""
    from twinkit.core.manifest import command_line
    from twinkit.render.fit.report import make_fit_report
    from twinkit.rights.registry import twin_id_of

    grant = rights.authorize(twin_id_of(avatar_dir)[0])
    path = make_fit_report(avatar_dir, list(garments), sizes, output, rights=rights, grant=grant,
                           command=command_line(), pose_name=pose_name, contact_mm=contact_mm,
                           overwrite=overwrite)
    click.echo(f"-> {path / 'report.html'}")
