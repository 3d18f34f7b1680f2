"""The shareable fit report: heat-map PNGs (marked AI-generated), ``fit.json`` with every number, and a
self-contained ``report.html`` (inline CSS, images as data URIs), built in a staging folder."""

from __future__ import annotations

import base64
import tempfile
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from twinkit.core.atomic import commit_output, prepare_output, remove, write_json, write_text
from twinkit.core.hashing import sha256_file
from twinkit.core.manifest import Manifest
from twinkit.core.progress import progress
from twinkit.render.fit.analysis import FitAnalysis, analyse_fit, load_wardrobe
from twinkit.render.fit.bands import EASE_BANDS_CM, STRAIN_SLACK, STRAIN_TIGHT, STRAIN_TOO_TIGHT, ease_bands
from twinkit.render.fit.heatmap import EASE_SCALE, STRAIN_SCALE, heatmap_figure, render_views
from twinkit.render.fit.metrics import CONTACT_MM
from twinkit.render.fit.ranking import PENETRATION_LIMIT_MM
from twinkit.render.measure import measure_avatar
from twinkit.rig.poses import load_pose
from twinkit.rights.enforce import Grant
from twinkit.rights.options import LicensedRequest

REPORT_HTML, FIT_JSON, HEATMAPS = "report.html", "fit.json", "heatmaps"
METRICS = {"ease": EASE_SCALE, "strain": STRAIN_SCALE}
METHOD = (f"Each size is dressed on the avatar and relaxed against its body. Girth ease is the garment's tape "
          f"girth minus the body's at the region's ISO 8559-1 level; a size scores the centimetres its girth "
          f"ease lies outside the garment type's target band (twice for too tight), plus one point per percent "
          f"of mean regional strain above {100 * STRAIN_TIGHT:g} % (beyond {100 * STRAIN_TOO_TIGHT:g} % it pulls) "
          f"or below {100 * STRAIN_SLACK:g} % (slack cloth bunches), "
          f"plus the millimetres of any penetration beyond {PENETRATION_LIMIT_MM:g} mm. Lowest score ranks first. "
          f"Target bands follow the wearing-ease allowances of pattern-making references (Aldrich, Metric "
          f"Pattern Cutting; Armstrong, Patternmaking for Fashion Design).")


def write_heatmaps(analysis: FitAnalysis, folder: Path, publish) -> dict[str, dict[str, dict[str, str]]]:
    """Render every garment, size and metric (four views and a colour bar) and ``publish(tmp_png, dest)`` it
    into ``folder/heatmaps``; returns the relative paths as ``[garment][size][metric]``."""
    paths: dict[str, dict[str, dict[str, str]]] = {}
    with tempfile.TemporaryDirectory(prefix="twin-fit-") as tmp:
        for size, dressed in progress(analysis.dressed.items(), desc="heat maps", total=len(analysis.dressed),
                                      unit="size"):
            for garment, vertices in zip(dressed.garments, dressed.vertices):
                maps = analysis.fits[garment.name][size].maps
                for metric, values in (("ease", maps.ease_mm), ("strain", 100 * maps.strain)):
                    scale = METRICS[metric]
                    views = render_views(dressed.body_vertices, dressed.body_faces, vertices, garment.faces,
                                         scale.colours(values), analysis.framing)
                    name = f"{garment.name}_{size}_{metric}.png"
                    heatmap_figure(views, scale, f"{garment.name} size {size}: {metric}", Path(tmp) / name)
                    publish(Path(tmp) / name, folder / HEATMAPS / name)
                    paths.setdefault(garment.name, {}).setdefault(size, {})[metric] = f"{HEATMAPS}/{name}"
    return paths


def fit_document(analysis: FitAnalysis, measurements: dict[str, Any], heatmaps: dict, meta: dict[str, Any],
                 ) -> dict[str, Any]:
    """``fit.json``: the run's facts (``meta``), the body measurements (cm), and per garment its sizes'
    figures, ranking and heat-map paths."""
    garments = []
    for name, by_size in analysis.fits.items():
        bands = ease_bands(name)
        sizes = []
        for size, fit in by_size.items():
            entry = fit.to_dict()
            for region in entry["regions"]:
                band = bands.get(region["name"])
                region["band_cm"] = list(band) if band else None
                ease = region["girth_ease_cm"]
                region["out_of_band"] = bool(band and ease is not None and not band[0] <= ease <= band[1])
            entry["heatmaps"] = heatmaps.get(name, {}).get(size, {})
            sizes.append(entry)
        garments.append({"name": name, "bands_cm": {k: list(v) for k, v in bands.items()}, "sizes": sizes,
                         "ranking": [r.to_dict() for r in analysis.rankings[name]]})
    return {**meta, "units": {"ease": "mm", "girth_ease": "cm", "strain": "%", "measurements": "cm"},
            "body_measurements": [{"name": n, "label": m["label"], "cm": round(100 * m["value"], 2),
                                   "iso_8559_1": m["iso_8559_1"]} for n, m in measurements["measurements"].items()],
            "garments": garments, "method": METHOD,
            "bands_cm": {k: {r: list(b) for r, b in v.items()} for k, v in EASE_BANDS_CM.items()},
            "band_regions": sorted({r for v in EASE_BANDS_CM.values() for r in v})}


def render_html(document: dict[str, Any], folder: Path) -> str:
    """The self-contained report: ``document`` through the template, heat maps inlined from ``folder``."""
    images = {path: "data:image/png;base64," + base64.b64encode((folder / path).read_bytes()).decode("ascii")
              for g in document["garments"] for s in g["sizes"] for path in s["heatmaps"].values()}
    template = resources.files("twinkit.render.fit").joinpath("templates/report.html.j2").read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(template).render(doc=document, images=images)


def make_fit_report(avatar_dir: str | Path, garments: list[str], sizes: list[str], output: str | Path, *,
                    rights: LicensedRequest, grant: Grant, command: str, pose_name: str | None = None,
                    contact_mm: float = CONTACT_MM, overwrite: bool = False) -> Path:
    """Analyse the fit of ``garments`` in ``sizes`` on the avatar and write the report folder ``output``
    (report.html, fit.json, heatmaps/, manifest.json) through a staging folder; returns ``output``."""
    avatar_dir, output = Path(avatar_dir), Path(output)
    pose = load_pose(pose_name) if pose_name else None
    wardrobe = load_wardrobe(garments, sizes)  # bad names and sizes fail before anything is written
    stage = prepare_output(output, overwrite=overwrite, fresh=True)  # no resume: a report is rebuilt whole
    try:
        analysis = analyse_fit(avatar_dir, wardrobe, pose, contact_mm)
        heatmaps = write_heatmaps(analysis, stage,
                                  lambda tmp, dest: rights.publish_image(grant, tmp, dest, command))
        meta = {"twin_id": grant.twin_id, "avatar": str(avatar_dir), "pose": pose_name or "rest A-pose",
                "sizes": sizes, "contact_mm": contact_mm,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        document = fit_document(analysis, measure_avatar(avatar_dir), heatmaps, meta)
        write_json(stage / FIT_JSON, document)
        write_text(stage / REPORT_HTML, render_html(document, stage))
        for name in (FIT_JSON, REPORT_HTML):
            rights.record_output(grant, stage / name, command)
        Manifest(kind="fit-report", command=command,
                 inputs={"avatar/manifest.json": sha256_file(avatar_dir / "manifest.json"),
                         "avatar/body.json": sha256_file(avatar_dir / "body.json")},
                 parameters={"garments": list(garments), "sizes": list(sizes), "pose": pose_name,
                             "contact_mm": contact_mm},
                 extra={"twin_id": grant.twin_id, "avatar": str(avatar_dir),
                        "contents": [REPORT_HTML, FIT_JSON, HEATMAPS]}).write(stage)
    except BaseException:
        remove(stage)
        raise
    return commit_output(output)
