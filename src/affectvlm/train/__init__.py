"""Training: one fold (:func:`train_fold`), several folds / cross-validation (:func:`run_folds`),
checkpoints, torchrun data parallelism. The training app; the library never imports it."""

from affectvlm.train.config import DataConfig, TrainConfig, load_train_config
from affectvlm.train.cv import CVResult, run_folds
from affectvlm.train.engine import TrainError, train_fold
from affectvlm.train.result import FoldResult

__all__ = [
    "CVResult",
    "DataConfig",
    "FoldResult",
    "TrainConfig",
    "TrainError",
    "load_train_config",
    "run_folds",
    "train_fold",
]
