"""``twin measure``: ISO 8559-1 body measurements of an avatar (registered on the ``twin`` group by the lead)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--mesh", "mesh_name", default=None,
              help="Mesh inside AVATAR to measure (default: the reconstructed mesh.glb, else the fitted "
                   "body.ply); landmarks come from body.json.")
def measure(avatar_dir: Path, mesh_name: str | None) -> None:
    """Measure AVATAR (stature, girths, lengths after ISO 8559-1); print a table, write AVATAR/measurements.json."""
    from twinkit.render.measure import format_table, measure_avatar, write_measurements

    document = measure_avatar(avatar_dir, mesh_name)
    path = write_measurements(avatar_dir, document)
    click.echo(format_table(document))
    click.echo(f"-> {path}")
