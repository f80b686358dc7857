"""Experiments that test the paper's claims: ablations, convergence, baselines,
cross-dataset and zero-shot emotion, each a study file run by one command.

Public API::

    load_study(name_or_path) -> Study        a built-in study (studies/*.toml) or a TOML file
    expand_variants(variants), expand_runs(study, seeds, folds)
    prepare_synthetic(out, SyntheticSpec) -> StudyData   synthesise → index → folds
    run_study(study, data, out, ...) -> StudyOutcome      resumable runner + report
    paired_t_test(a, b), sign_flip_test(a, b)             paired tests over folds
    depth_images(records, cache, render)                  frontal depth images for the baseline
    fit_depth_pca_logreg(x, y, groups) -> GridSearchCV    PCA + logistic regression, inner CV
"""

from affectvlm.experiments.baselines import depth_images, fit_depth_pca_logreg, pca_logreg_fold
from affectvlm.experiments.data import (
    ExperimentError,
    StudyData,
    SyntheticSpec,
    ensure_rendered,
    prepare_synthetic,
    user_data,
)
from affectvlm.experiments.runner import StudyOutcome, run_study
from affectvlm.experiments.stats import PairedTest, paired_t_test, sign_flip_test
from affectvlm.experiments.study import (
    RunSpec,
    Study,
    Variant,
    expand_runs,
    expand_variants,
    load_study,
    study_names,
    variant_config,
)

__all__ = [
    "ExperimentError",
    "PairedTest",
    "RunSpec",
    "Study",
    "StudyData",
    "StudyOutcome",
    "SyntheticSpec",
    "Variant",
    "depth_images",
    "ensure_rendered",
    "expand_runs",
    "expand_variants",
    "fit_depth_pca_logreg",
    "load_study",
    "paired_t_test",
    "pca_logreg_fold",
    "prepare_synthetic",
    "run_study",
    "sign_flip_test",
    "study_names",
    "user_data",
    "variant_config",
]
