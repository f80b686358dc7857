"""Synthetic 3D/4D faces with emotions, written in the real datasets' on-disk formats.

In memory (the app's sliders): :func:`make_identity`, :func:`make_face`, :func:`make_sequence`.
On disk: :func:`generate_dataset` with a :class:`SynthConfig`. Two independent face families
(``base``, ``rbf``; :mod:`affectvlm.synth.family`) make the same emotions in different ways.
"""

from affectvlm.synth.config import SynthConfig
from affectvlm.synth.expressions import EXTRA_EXPRESSIONS
from affectvlm.synth.family import FAMILIES, FaceFamily, make_identity
from affectvlm.synth.generate import SynthError, SynthReport, generate_dataset
from affectvlm.synth.identity import ETHNICITY_CODES, FaceIdentity, Identity
from affectvlm.synth.landmarks import BOSPHORUS_LABELS, LANDMARK_GROUPS
from affectvlm.synth.rbf.identity import RbfIdentity
from affectvlm.synth.scans import SequenceTiming, make_face, make_sequence

__all__ = [
    "BOSPHORUS_LABELS",
    "ETHNICITY_CODES",
    "EXTRA_EXPRESSIONS",
    "FAMILIES",
    "LANDMARK_GROUPS",
    "FaceFamily",
    "FaceIdentity",
    "Identity",
    "RbfIdentity",
    "SequenceTiming",
    "SynthConfig",
    "SynthError",
    "SynthReport",
    "generate_dataset",
    "make_face",
    "make_identity",
    "make_sequence",
]
