"""Data: subject-independent protocols and folds (and, by their own modules, the dataset).

Public API of the protocols::

    ProtocolConfig, PRESETS                      the [protocol] config and its presets
    protocol_config(name, overrides, seed)       a preset with --set overrides
    make_folds(records, protocol) -> FoldSet     seeded subject folds (train/val/test)
    select_records(records, foldset, fold, part) the records of one part of one fold
    save_folds(path, foldset), load_folds(path)  JSON with a content hash
    build_folds(manifests, protocol, ...)        what ``affectvlm folds`` runs
"""

from affectvlm.data.config import PRESETS, ProtocolConfig
from affectvlm.data.folds import (
    PARTS,
    Fold,
    FoldsError,
    FoldSet,
    assign_folds,
    draw_validation,
    load_folds,
    save_folds,
)
from affectvlm.data.protocols import (
    build_folds,
    format_folds,
    load_records,
    make_folds,
    protocol_config,
    select_records,
    takes_part,
)

__all__ = [
    "PARTS",
    "PRESETS",
    "Fold",
    "FoldSet",
    "FoldsError",
    "ProtocolConfig",
    "assign_folds",
    "build_folds",
    "draw_validation",
    "format_folds",
    "load_folds",
    "load_records",
    "make_folds",
    "protocol_config",
    "save_folds",
    "select_records",
    "takes_part",
]
