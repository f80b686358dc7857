"""Dataset layouts: file-name grammars that turn a dataset tree into labelled sample records.

Public API::

    SampleRecord                      one scan / sequence with its labels (a manifest row)
    LAYOUTS, get_layout(name)         the four layouts: bu3dfe, bu4dfe, bosphorus, bp4d
    Layout.walk(root) -> WalkResult   records, skipped (path, reason), companions, ignored
    write_manifest(path, records)     atomic CSV;  read_manifest(path) -> list[SampleRecord]
    ManifestError(path, reason)       a bad manifest or metadata CSV

Each dataset module also exposes its grammar (``bu3dfe.parse_name``,
``bosphorus.parse_name``, ``bu4dfe.parse_expression``, ``bp4d.parse_task``).
"""

from affectvlm.io.layouts import bosphorus, bp4d, bu3dfe, bu4dfe
from affectvlm.io.layouts.base import METADATA_FILE, GrammarError, WalkResult
from affectvlm.io.layouts.manifest import ManifestError, read_manifest, write_manifest
from affectvlm.io.layouts.record import (
    CATEGORIES,
    DATASETS,
    MANIFEST_COLUMNS,
    REQUIRED_COLUMNS,
    SAMPLE_CATEGORIES,
    SampleRecord,
)
from affectvlm.io.layouts.registry import LAYOUTS, Layout, get_layout

__all__ = [
    "CATEGORIES",
    "DATASETS",
    "LAYOUTS",
    "MANIFEST_COLUMNS",
    "METADATA_FILE",
    "REQUIRED_COLUMNS",
    "SAMPLE_CATEGORIES",
    "GrammarError",
    "Layout",
    "ManifestError",
    "SampleRecord",
    "WalkResult",
    "bosphorus",
    "bp4d",
    "bu3dfe",
    "bu4dfe",
    "get_layout",
    "read_manifest",
    "write_manifest",
]
