import numpy as np

from affectvlm.app.synthetic import synthetic_input


def test_app_face_is_reproducible_and_keeps_its_pose_when_only_the_emotion_changes():
    neutral = synthetic_input("neutral", 0.0, 3, "F", resolution=40)
    again = synthetic_input("neutral", 0.0, 3, "F", resolution=40)
    np.testing.assert_array_equal(neutral.vertices, again.vertices)
    # intensity 0 of an emotion is the neutral face in the same pose with the same noise
    flat = synthetic_input("happiness", 0.0, 3, "F", resolution=40)
    np.testing.assert_array_equal(neutral.vertices, flat.vertices)
    smile = synthetic_input("happiness", 4.0, 3, "F", resolution=40)
    assert np.abs(smile.vertices - neutral.vertices).max() > 2.0  # mm: the expression shows
    other = synthetic_input("neutral", 0.0, 4, "F", resolution=40)
    assert np.abs(other.vertices - neutral.vertices).max() > 1.0  # another person
