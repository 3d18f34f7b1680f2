"""The body refit to the reconstructed skin (reconstruct/bodyfit/surface_fit.py) and body.json round trips."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from twinkit.core.errors import InputError
from twinkit.reconstruct.bodyfit.fit import body_fit_from_state
from twinkit.reconstruct.bodyfit.model import PHENOTYPE_KEYS, POSE_BONES, AnnyBody, BodyState
from twinkit.reconstruct.bodyfit.output import read_body, write_body
from twinkit.reconstruct.bodyfit.surface_fit import SURFACE_LOSS, SurfaceFitOptions, fit_body_to_surface

TRUE = {"gender": 0.47, "age": 0.9, "muscle": 0.63, "weight": 0.62, "height": 0.28, "proportions": 0.56}
# where a virtual body's silhouette fit ended (seed 4 of bench/bench_measure.py): young, lean, heavy, tall
WRONG = {"gender": 0.36, "age": 0.51, "muscle": 0.29, "weight": 0.77, "height": 0.44, "proportions": 0.64}


@pytest.fixture(scope="module")
def body() -> AnnyBody:
    return AnnyBody()


def _fit(body: AnnyBody, phenotype: dict[str, float], pose: dict[str, np.ndarray] | None = None):
    transform = np.eye(4)
    transform[:3, 3] = [0.1, -0.2, 0.0]
    state = BodyState.from_parameters(phenotype, pose or {}, transform)
    return body_fit_from_state(body, state, 0, {"silhouettes": 1e-4}, {"silhouettes": 1.0})


def test_refit_recovers_phenotype_from_skin_points(body):
    """Points on 80 % of the true body's skin (the rest, one side of the body, is unseen) with 1 mm of noise:
    from the wrong silhouette minimum the refit comes within 3 mm mean vertex error of the truth."""
    truth = _fit(body, TRUE, {"upperleg01.L": np.array([0.0, 0.1, 0.05])})
    skin = trimesh.Trimesh(truth.vertices, truth.faces, process=False)
    points, _ = trimesh.sample.sample_surface(skin, 20000, seed=3)
    points = points[points[:, 0] < np.quantile(points[:, 0], 0.8)]
    points += np.random.default_rng(0).normal(0, 0.001, points.shape)
    start = _fit(body, WRONG)
    before = np.linalg.norm(start.vertices - truth.vertices, axis=1).mean()

    refit = fit_body_to_surface(start, points, SurfaceFitOptions(points=2000, probe_steps=100, final_steps=200),
                                body)
    after = np.linalg.norm(refit.vertices - truth.vertices, axis=1).mean()
    assert before > 0.008
    assert after < 0.003, f"mean vertex error {1000 * before:.1f} -> {1000 * after:.1f} mm"
    for key in ("age", "muscle", "weight"):
        assert abs(refit.phenotype[key] - TRUE[key]) < 0.1, (key, refit.phenotype[key])
    assert SURFACE_LOSS in refit.losses and "silhouettes" in refit.losses
    assert abs(refit.stature_m - truth.stature_m) < 0.005


def test_refit_keeps_the_fit_without_enough_skin(body):
    start = _fit(body, WRONG)
    kept = fit_body_to_surface(start, start.vertices[:100], body=body)
    assert kept is start and SURFACE_LOSS not in kept.losses


def test_body_json_round_trip(body, tmp_path):
    """read_body re-evaluates the written parameters: the same posed vertices, losses and frame."""
    written = _fit(body, TRUE, {bone: np.full(3, 0.05 * k) for k, bone in enumerate(POSE_BONES)})
    write_body(tmp_path, written)
    read = read_body(tmp_path, body)
    assert np.abs(read.vertices - written.vertices).max() < 1e-6
    assert read.losses == written.losses and read.frame == written.frame
    assert [read.phenotype[k] for k in PHENOTYPE_KEYS] == pytest.approx([TRUE[k] for k in PHENOTYPE_KEYS])
    (tmp_path / "body.json").write_text('{"phenotype": {"age": 0.5}, "pose": {}, "transform": %s}'
                                        % np.eye(4).tolist())
    with pytest.raises(InputError, match="lacks gender") as caught:
        read_body(tmp_path, body)
    assert caught.value.path == tmp_path / "body.json"
