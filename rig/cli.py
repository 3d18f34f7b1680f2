"""``twin rig``: skeleton, skin weights and the rigged glTF of an avatar folder."""

from __future__ import annotations

from pathlib import Path

import click
from click_default_group import DefaultGroup


@click.group(cls=DefaultGroup, default="build")
def rig() -> None:
    """Rig stage: an avatar folder gets a skeleton (anny's 104 joints at the fitted body's joints), skin
    weights on its mesh and a rigged glTF. `twin rig AVATAR` is `twin rig build AVATAR`."""


@rig.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
def build(avatar_dir: Path) -> None:
    """Rig AVATAR (from `twin reconstruct`): writes AVATAR/rig.json (joints with readable names, rest and
    captured-pose frames, the glTF frame) and AVATAR/avatar.glb (the textured mesh, or the fitted body when
    there is no mesh.glb, in the rest A-pose with a skin of at most 4 weights per vertex; Y up, metres,
    feet at y=0)."""
    from twinkit.core.progress import info
    from twinkit.rig.avatar import rig_avatar

    glb = rig_avatar(avatar_dir)
    info(f"rigged {avatar_dir} -> {glb}")


@rig.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("pose_name", metavar="POSE")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Posed mesh to write (.ply or .glb, capture world frame, metres).")
def pose(avatar_dir: Path, pose_name: str, out: Path) -> None:
    """Pose AVATAR's mesh: POSE is a library pose (a_pose, t_pose, seated, ...) or a pose file (.json)."""
    import trimesh

    from twinkit.core.atomic import write_bytes
    from twinkit.core.errors import InputError
    from twinkit.core.progress import info
    from twinkit.rig.avatar import avatar_rig
    from twinkit.rig.posing import pose_mesh
    from twinkit.rig.poses import load_pose

    if out.suffix not in (".ply", ".glb"):
        raise InputError("the output must end in .ply or .glb", out)
    target = load_pose(pose_name)
    skeleton, mesh, transfer = avatar_rig(avatar_dir)
    posed = trimesh.Trimesh(pose_mesh(mesh.vertices, transfer.weights, skeleton, target), mesh.faces, process=False)
    write_bytes(out, posed.export(file_type=out.suffix[1:]))
    info(f"{avatar_dir} in pose {pose_name} -> {out}")
