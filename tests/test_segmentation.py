"""Person masks without a clean plate (MediaPipe Pose's own segmentation of the subject, kept where it
touches the subject's landmarks), measured against the virtual studio's ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twinkit.capture.blazepose import MIRROR
from twinkit.capture.segmentation import keep_person, same_person


def test_keep_person_keeps_the_components_touching_the_landmarks():
    binary = np.zeros((100, 200), bool)
    binary[10:90, 20:60] = True      # the subject
    binary[10:90, 120:180] = True    # a bystander, larger, inside the box
    binary[40:44, 61:63] = True      # a fragment just off the subject's side, touching no landmark
    seeds = np.array([[30.0, 20.0], [50.0, 50.0], [40.0, 85.0]])
    person = keep_person(binary, np.array([0, 0, 200, 100]), seeds=seeds)
    assert person[10:90, 20:60].all() and not person[:, 61:].any()
    assert keep_person(binary, np.array([0, 0, 200, 100]))[10:90, 120:180].all()  # the box alone keeps both


def test_same_person_takes_a_mirrored_reading_but_not_someone_else():
    rng = np.random.default_rng(0)
    landmarks = np.column_stack([rng.uniform(100, 300, (33, 2)), np.ones(33)])
    roi = np.array([100.0, 100.0, 300.0, 300.0])
    assert same_person(landmarks[:, :2] + 5.0, landmarks, roi)
    assert same_person(landmarks[list(MIRROR), :2], landmarks, roi)      # MediaPipe read the back as the front
    assert not same_person(landmarks[:, :2] + [120.0, 0.0], landmarks, roi)  # a neighbour's pose


@pytest.fixture(scope="module")
def plateless(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A virtual session with a bystander behind the subject, ingested without its clean plates."""
    from twinkit.capture.ingest import IngestOptions, ingest
    from twinkit.capture.studio.session import StudioOptions, simulate

    root = tmp_path_factory.mktemp("plateless")
    session = simulate(root / "session", StudioOptions(seed=5, cameras=8, size=384, bystander=True))
    return session, ingest(session, root / "capture", IngestOptions(use_plates=False))


@pytest.mark.slow
def test_masks_without_a_plate_match_ground_truth(plateless):
    from twinkit.capture.studio.evaluate import mask_ious

    ious = mask_ious(*plateless)
    print(f"no-plate mask IoU: median {np.median(list(ious.values())):.3f}, min {min(ious.values()):.3f}")
    assert np.median(list(ious.values())) >= 0.9 and min(ious.values()) >= 0.8, ious
