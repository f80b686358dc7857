"""Progress bars for long jobs: shown only when asked for and stderr is a terminal, so logs and
CI output stay clean."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def progress_bar(iterable: Any = None, *, enabled: bool = True, **kwargs: Any) -> tqdm:
    """A tqdm bar (samples/s and ETA), silent when not ``enabled`` or not on a terminal."""
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, disable=not (enabled and sys.stderr.isatty()), **kwargs)
