"""Identities differ, and each emotion moves the right facial regions the right way."""

import numpy as np
import pytest

from affectvlm import BASIC_EMOTIONS
from affectvlm.synth import make_face, make_identity
from affectvlm.synth.expressions import expression_displacement
from affectvlm.synth.face import build_face_model
from affectvlm.synth.landmarks import LANDMARK_GROUPS

RES = 40
CORNERS = [48, 54]
BROWS = list(LANDMARK_GROUPS["brow_right"]) + list(LANDMARK_GROUPS["brow_left"])
INNER_BROWS = [16, 26]
CHIN = 75


@pytest.fixture(scope="module")
def person():
    return make_identity(7, "F")


def marks(person, emotion, intensity=4.0):
    return make_face(person, emotion, intensity, resolution=RES, texture_size=32).landmarks


def test_same_seed_gives_same_identity_and_other_seeds_differ():
    assert make_identity(3) == make_identity(3)
    people = [make_identity(s) for s in range(5)]
    widths = {round(p.half_width, 3) for p in people}
    noses = {round(p.nose_length, 3) for p in people}
    assert len(widths) == 5 and len(noses) == 5


def test_men_have_wider_faces_and_longer_noses_on_average():
    women = [make_identity(s, "F") for s in range(40)]
    men = [make_identity(s, "M") for s in range(40)]
    assert np.mean([m.half_width for m in men]) > np.mean([w.half_width for w in women]) + 2
    assert np.mean([m.nose_length for m in men]) > np.mean([w.nose_length for w in women]) + 1
    assert all(18 <= p.age <= 70 for p in women + men)


def test_bad_sex_is_rejected():
    with pytest.raises(ValueError, match="sex"):
        make_identity(0, "X")


def test_neutral_face_is_the_template_and_meshes_differ_between_people(person):
    model = build_face_model(person, RES)
    scan = make_face(person, "neutral", resolution=RES, texture_size=32)
    np.testing.assert_allclose(scan.vertices, model.template, atol=1e-4)
    other = build_face_model(make_identity(8, "M"), RES)
    assert other.n_vertices != model.n_vertices or not np.allclose(other.template, model.template)


def test_happiness_raises_and_widens_mouth_corners(person):
    neutral, happy = marks(person, "neutral"), marks(person, "happiness")
    assert (happy[CORNERS, 1] > neutral[CORNERS, 1] + 2.0).all()
    width = lambda m: m[54, 0] - m[48, 0]  # noqa: E731
    assert width(happy) > width(neutral) + 4.0


def test_surprise_raises_brows_and_drops_chin(person):
    neutral, surprised = marks(person, "neutral"), marks(person, "surprise")
    assert (surprised[BROWS, 1] > neutral[BROWS, 1] + 1.0).all()
    assert surprised[CHIN, 1] < neutral[CHIN, 1] - 5.0
    assert surprised[66, 1] - surprised[62, 1] < neutral[66, 1] - neutral[62, 1] - 5.0  # open


def test_anger_lowers_brows_and_draws_them_together(person):
    neutral, angry = marks(person, "neutral"), marks(person, "anger")
    assert (angry[INNER_BROWS, 1] < neutral[INNER_BROWS, 1] - 1.5).all()
    assert angry[26, 0] - angry[16, 0] < neutral[26, 0] - neutral[16, 0] - 2.0


def test_sadness_raises_inner_brows_and_lowers_mouth_corners(person):
    neutral, sad = marks(person, "neutral"), marks(person, "sadness")
    assert (sad[INNER_BROWS, 1] > neutral[INNER_BROWS, 1] + 1.5).all()
    assert (sad[CORNERS, 1] < neutral[CORNERS, 1] - 1.5).all()


def test_disgust_raises_upper_lip_and_fear_stretches_mouth(person):
    neutral = marks(person, "neutral")
    assert marks(person, "disgust")[51, 1] > neutral[51, 1] + 1.5
    fear = marks(person, "fear")
    assert fear[54, 0] - fear[48, 0] > neutral[54, 0] - neutral[48, 0] + 4.0
    assert (fear[BROWS[:5], 1] > neutral[BROWS[:5], 1]).all()


@pytest.mark.parametrize("emotion", BASIC_EMOTIONS)
def test_expression_magnitude_grows_with_intensity(person, emotion):
    model = build_face_model(person, RES)
    sizes = []
    for level in (1, 2, 3, 4):
        scan = make_face(person, emotion, level, resolution=RES, texture_size=32)
        sizes.append(np.abs(scan.vertices - model.template).max())
    assert sizes == sorted(sizes) and sizes[0] > 0.0 and sizes[-1] > 2.5 * sizes[0]


def test_expression_fields_are_smooth_and_never_fold_the_grid(person):
    model = build_face_model(person, 120)
    for emotion in ("surprise", "happiness", "fear"):
        amount = 1.1 * person.gain(emotion)  # the strongest scan: intensity 4, top of the jitter
        moved = model.template + expression_displacement(model, emotion, amount)
        ys = np.full(model.grid_index.shape, np.nan)
        ok = model.grid_index >= 0
        ys[ok] = moved[model.grid_index[ok], 1]
        steps = np.diff(ys, axis=0)
        assert np.nanmin(steps) > 0.0, emotion  # rows keep their bottom→top order


def test_unknown_expression_is_rejected(person):
    with pytest.raises(ValueError, match="unknown expression"):
        make_face(person, "joy", resolution=RES)
