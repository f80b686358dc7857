"""The ``rbf`` face family: radial-basis identity shapes on a superelliptic skull, a muscle-model
expression set with per-person style and asymmetry, a jittered hexagonal mesh cut by a
spherical crop, its own scanner noise and a melanin/haemoglobin skin model.

Built independently of the ``base`` family so that a model can be trained on one and tested
on the other (see :mod:`affectvlm.synth.family`).
"""
