"""``twin capture check``: per-camera quality figures and a verdict, before the subject leaves the studio.

For each camera (averaged over the capture's frames): sharpness (variance of the Laplacian inside the
person's box, also relative to the rig's median so resolution and content cancel out), exposure clipping
(share of person pixels at 0-4 or 251-255), mask coverage (share of the image, and whether the mask is cut
by the image border), landmarks found (share of the 33 with confidence >= 0.5) and reprojection error
(median distance between the camera's 2D landmarks and the triangulated 3D landmarks projected into it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from twinkit.capture.contact_sheet import contact_sheet
from twinkit.capture.landmarks_io import landmark_files, read_landmarks2d, read_landmarks3d
from twinkit.capture.layout import CONTACT_SHEET, REPORT, Capture
from twinkit.capture.media import read_image
from twinkit.core.atomic import write_json, write_png
from twinkit.core.progress import progress


@dataclass(frozen=True)
class Thresholds:
    """Pass/fail limits; every one is a ``twin capture check`` option."""

    min_cameras: int = 4            # fewer usable cameras is fatal
    min_landmarks: float = 0.6      # share of the 33 landmarks found
    max_reprojection_px: float = 15.0
    min_relative_sharpness: float = 0.4
    max_clipped: float = 0.05
    min_mask_coverage: float = 0.01
    max_mask_coverage: float = 0.8


@dataclass
class CameraReport:
    camera: str
    sharpness: float
    relative_sharpness: float
    clipped: float
    mask_coverage: float
    mask_cut_by_border: bool
    landmarks_found: float
    reprojection_px: float | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems


def _person_box(mask: np.ndarray, pad: float = 0.1) -> tuple[slice, slice] | None:
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return None
    h, w = mask.shape
    py, px = int(pad * (ys.max() - ys.min() + 1)), int(pad * (xs.max() - xs.min() + 1))
    return (slice(max(ys.min() - py, 0), min(ys.max() + py + 1, h)),
            slice(max(xs.min() - px, 0), min(xs.max() + px + 1, w)))


def image_figures(rgb: np.ndarray, mask: np.ndarray) -> dict[str, float | bool]:
    """Sharpness, clipping and mask figures of one view (``mask`` boolean, same size as ``rgb``)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    box = _person_box(mask)
    region = gray[box] if box is not None else gray
    person = gray[mask] if mask.any() else gray.ravel()
    border = np.concatenate([mask[0], mask[-1], mask[:, 0], mask[:, -1]])
    return {
        "sharpness": float(cv2.Laplacian(region, cv2.CV_64F).var()),
        "clipped": float(np.mean((person <= 4) | (person >= 251))),
        "mask_coverage": float(mask.mean()),
        "mask_cut_by_border": bool(border.mean() > 0.002),
    }


def reprojection_errors(capture: Capture, camera: str, lm2d: dict, lm3d: dict,
                        inliers_only: bool = False) -> np.ndarray:
    """Pixel distances between a camera's confident 2D landmarks and the projected 3D landmarks.

    ``inliers_only`` keeps the observations the triangulation used (the check uses all: a camera whose
    views were all rejected as outliers is exactly what it must flag).
    """
    cam = capture.camera(camera)
    errors = []
    for frame, result in lm3d.items():
        obs = lm2d.get(frame, {}).get(camera)
        if obs is None:
            continue
        proj = cam.project(np.nan_to_num(result["points"], nan=0.0))
        ok = np.isfinite(result["points"]).all(1) & (obs[:, 2] >= 0.5) & np.isfinite(proj).all(1)
        if inliers_only:
            ok &= result["inliers"][camera]
        errors.append(np.linalg.norm(proj[ok] - obs[ok, :2], axis=1))
    return np.concatenate(errors) if errors else np.zeros(0)


def check_capture(capture: Capture, thresholds: Thresholds = Thresholds()) -> dict:
    """Measure every camera, apply ``thresholds``, and return the report (also the JSON written)."""
    path2d, path3d = landmark_files(capture.root)
    lm2d, lm3d = read_landmarks2d(path2d), read_landmarks3d(path3d)
    rows: list[CameraReport] = []
    for cam in progress(capture.cameras, desc="checking cameras", unit="cam"):
        figs, found = [], []
        for frame in capture.frames:
            rgb = read_image(capture.image_path(cam.name, frame))
            mask = read_image(capture.mask_path(cam.name, frame), mode="L") > 127
            figs.append(image_figures(rgb, mask))
            obs = lm2d.get(frame, {}).get(cam.name)
            found.append(0.0 if obs is None else float(np.mean(obs[:, 2] >= 0.5)))
        errors = reprojection_errors(capture, cam.name, lm2d, lm3d)
        rows.append(CameraReport(
            camera=cam.name,
            sharpness=float(np.mean([f["sharpness"] for f in figs])),
            relative_sharpness=0.0,
            clipped=float(np.mean([f["clipped"] for f in figs])),
            mask_coverage=float(np.mean([f["mask_coverage"] for f in figs])),
            mask_cut_by_border=bool(np.mean([f["mask_cut_by_border"] for f in figs]) > 0.5),
            landmarks_found=float(np.mean(found)),
            reprojection_px=float(np.median(errors)) if len(errors) else None,
        ))
    median_sharpness = float(np.median([r.sharpness for r in rows])) or 1.0
    for r in rows:
        r.relative_sharpness = r.sharpness / median_sharpness
        _judge(r, thresholds)
    usable = [r.camera for r in rows if r.usable]
    fatal = []
    if len(usable) < thresholds.min_cameras:
        fatal.append(f"only {len(usable)} usable camera(s); at least {thresholds.min_cameras} needed")
    return {
        "verdict": "fail" if fatal else ("warn" if any(r.warnings for r in rows) else "pass"),
        "fatal": fatal,
        "usable_cameras": usable,
        "thresholds": asdict(thresholds),
        "cameras": [asdict(r) | {"usable": r.usable} for r in rows],
    }


def _judge(r: CameraReport, t: Thresholds) -> None:
    if r.landmarks_found < t.min_landmarks:
        r.problems.append(f"only {r.landmarks_found:.0%} of landmarks found")
    if r.reprojection_px is None:
        r.problems.append("no landmark could be checked against the 3D landmarks")
    elif r.reprojection_px > t.max_reprojection_px:
        r.problems.append(f"reprojection error {r.reprojection_px:.1f} px (calibration or sync?)")
    if r.mask_coverage < t.min_mask_coverage:
        r.problems.append(f"person covers only {r.mask_coverage:.1%} of the image")
    elif r.mask_coverage > t.max_mask_coverage:
        r.warnings.append(f"person covers {r.mask_coverage:.0%} of the image (too close?)")
    if r.relative_sharpness < t.min_relative_sharpness:
        r.problems.append(f"blurred: sharpness {r.relative_sharpness:.2f} x the rig's median")
    if r.clipped > t.max_clipped:
        r.warnings.append(f"{r.clipped:.1%} of person pixels clipped (exposure)")
    if r.mask_cut_by_border:
        r.warnings.append("person cut by the image border")


def format_table(report: dict) -> str:
    """The per-camera table printed by the CLI."""
    head = f"{'camera':<12}{'sharp':>7}{'clip%':>7}{'mask%':>7}{'lmk%':>6}{'reproj':>8}  verdict"
    lines = [head, "-" * len(head)]
    for r in report["cameras"]:
        reproj = "-" if r["reprojection_px"] is None else f"{r['reprojection_px']:.1f}"
        verdict = "ok" if r["usable"] and not r["warnings"] else "WARN" if r["usable"] else "FAIL"
        notes = "; ".join(r["problems"] + r["warnings"])
        lines.append(f"{r['camera']:<12}{r['relative_sharpness']:>7.2f}{100 * r['clipped']:>7.1f}"
                     f"{100 * r['mask_coverage']:>7.1f}{100 * r['landmarks_found']:>6.0f}{reproj:>8}  "
                     f"{verdict}{'  ' + notes if notes else ''}")
    lines.append(f"verdict: {report['verdict'].upper()} ({len(report['usable_cameras'])}/"
                 f"{len(report['cameras'])} cameras usable)" +
                 ("".join(f"\n  fatal: {f}" for f in report["fatal"])))
    return "\n".join(lines)


def write_report(capture: Capture, report: dict, out_dir: Path | None = None) -> tuple[Path, Path]:
    """Write report.json and the contact sheet PNG; returns their paths."""
    out_dir = Path(out_dir or capture.root)
    report_path, sheet_path = out_dir / REPORT, out_dir / CONTACT_SHEET
    write_json(report_path, report)
    write_png(sheet_path, contact_sheet(capture, {r["camera"]: r for r in report["cameras"]}))
    return report_path, sheet_path
