"""``twin render``: licensed imagery of an avatar, a grid of poses x cameras x outfits."""

from __future__ import annotations

from pathlib import Path

import click

from twinkit.rights.options import LicensedRequest, licensed_options


@click.command()
@click.argument("avatar_dir", metavar="AVATAR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Folder for the images, contact_sheet.png and manifest.json (re-runs add to it).")
@click.option("--pose", "poses", multiple=True, metavar="NAME|FILE.json",
              help="A library pose or a pose file; repeat for several (default a_pose unless --bvh).")
@click.option("--bvh", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A BVH motion (CMU or Mixamo joint names) retargeted onto the avatar: one pose per frame.")
@click.option("--frames", metavar="A:B", help="The BVH frames to render (Python slice, e.g. 0:48).")
@click.option("--camera", "cameras", multiple=True, metavar="PRESET|FILE.json",
              help="A camera preset (front, three-quarter, side, back, close-up) framing the posed body, or a "
                   "nerfstudio transforms.json / camera path in the capture's world frame; repeat for several "
                   "(default front).")
@click.option("--size", type=click.IntRange(64, 8192), default=1024, show_default=True,
              help="Longer image side in pixels (camera files keep their own size).")
@click.option("--lighting", default="studio-soft", show_default=True,
              help="Lighting preset of the mesh renderer: studio-soft, high-key or dramatic.")
@click.option("--background", default="white", show_default=True, metavar="white|#RRGGBB|IMAGE|transparent",
              help="Solid colour, an image scaled to fill, or transparent (RGBA PNG).")
@click.option("--outfit", "outfits", multiple=True, metavar="G[:SIZE],...",
              help="Garments worn together, e.g. tshirt:M,jacket:M (library names or garment files); repeat "
                   "for several outfits (default: the avatar as captured, 'base').")
@click.option("--renderer", type=click.Choice(["mesh", "splats"]), default="mesh", show_default=True,
              help="The textured mesh (pyrender) or the Gaussian splats (gsplat on CUDA, PyTorch on CPU).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where the splat rasterizer runs.")
@click.option("--overwrite", is_flag=True, help="Render every image again, even those already finished.")
@licensed_options
def render(avatar_dir: Path, out: Path, poses: tuple[str, ...], bvh: Path | None, frames: str | None,
           cameras: tuple[str, ...], size: int, lighting: str, background: str, outfits: tuple[str, ...],
           renderer: str, device: str, overwrite: bool, rights: LicensedRequest) -> None:
    """Render AVATAR (from `twin rig`) in poses x cameras x outfits into OUTPUT as {pose}_{camera}_{outfit}.png,
    each marked (AI badge, XMP, C2PA) and recorded in the rights ledger, plus OUTPUT/contact_sheet.png.
    Images whose request is unchanged since an earlier run are skipped."""
    from twinkit.core.errors import InputError
    from twinkit.core.manifest import command_line
    from twinkit.core.progress import info
    from twinkit.render.imagery.batch import plan, render_grid
    from twinkit.render.imagery.compositing import parse_background
    from twinkit.render.imagery.images import Look
    from twinkit.render.imagery.outfits import parse_outfit
    from twinkit.render.imagery.presets import lighting_preset
    from twinkit.render.imagery.requests import bvh_pose_requests, camera_requests, pose_requests
    from twinkit.rights.registry import twin_id_of
    from twinkit.rig.skeleton import skeleton_from_body_json

    twin_id = twin_id_of(avatar_dir)[0]
    if frames and not bvh:
        raise InputError("--frames selects frames of a --bvh motion; give --bvh FILE")
    lighting_preset(lighting)
    parse_background(background)
    pose_list = pose_requests(list(poses) or ([] if bvh else ["a_pose"]))
    if bvh:
        pose_list += bvh_pose_requests(bvh, frames, skeleton_from_body_json(avatar_dir / "body.json"))
    camera_list = camera_requests(list(cameras) or ["front"])
    outfit_list = list({o.label: o for o in map(parse_outfit, outfits or ("",))}.values())
    grant = rights.authorize(twin_id)
    command = command_line()
    look = Look(size, lighting, background, renderer, device)
    result = render_grid(avatar_dir, out, plan(pose_list, camera_list, outfit_list), look,
                         lambda staged, final: rights.publish_image(grant, staged, final, command),
                         marks=rights.marks, overwrite=overwrite, twin_id=twin_id)
    info(f"rendered {len(result.rendered)} image(s), skipped {len(result.skipped)} already finished "
         f"-> {out} (contact sheet {result.contact_sheet.name})")
