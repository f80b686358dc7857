"""One registry of scan readers, keyed by file suffix, with content sniffing as a fallback.

A reader module registers itself with :func:`register_reader`; adding a format touches only
that module (plus its import in ``affectvlm.io.__init__``). Registration also puts the reader
behind the one boundary every caller meets: a file larger than the size limit is refused
before it is read (``max_bytes=`` keyword, else :func:`max_scan_bytes`), whatever goes wrong
inside becomes a :class:`ScanFormatError` naming the file, and the mesh it returns is checked
(:func:`affectvlm.io.geometry.check_geometry`, bounds from a ``limits=`` keyword).
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from affectvlm.io.errors import ScanFormatError
from affectvlm.io.geometry import GeometryLimits, check_geometry
from affectvlm.io.scan import Scan

ReadFn = Callable[..., Scan]
SniffFn = Callable[[bytes], bool]
T = TypeVar("T")


@dataclass(frozen=True)
class ReaderEntry:
    name: str
    suffixes: tuple[str, ...]
    read: ReadFn
    sniff: SniffFn | None = None


_READERS: dict[str, ReaderEntry] = {}

MAX_SCAN_BYTES = 512 * 2**20
"""Default size limit of one scan file (a BU-3DFE ``.wrl`` is 3–15 MB): reading takes up to
about 3× the file in memory, so this bounds what one malformed or hostile file can claim."""
MAX_SCAN_ENV = "AFFECTVLM_MAX_SCAN_MB"
"""Environment variable overriding :data:`MAX_SCAN_BYTES`, in MiB, for every command (``index``,
``render``, ``predict``, the app) and their worker processes."""


def max_scan_bytes() -> int:
    """The size limit of one scan file: ``$AFFECTVLM_MAX_SCAN_MB`` MiB if set, else 512 MiB."""
    text = os.environ.get(MAX_SCAN_ENV, "").strip()
    if not text:
        return MAX_SCAN_BYTES
    try:
        limit = float(text)
    except ValueError:
        limit = float("nan")
    if not limit > 0 or limit == float("inf"):
        raise ValueError(f"{MAX_SCAN_ENV} must be a positive number of MiB, got {text!r}")
    return int(limit * 2**20)


def check_size(path: Path, max_bytes: int | None = None) -> None:
    """Refuse ``path`` before reading it if it is larger than ``max_bytes`` (default
    :func:`max_scan_bytes`)."""
    limit = max_scan_bytes() if max_bytes is None else max_bytes
    try:
        size = path.stat().st_size
    except OSError:
        return  # the reader says why the file cannot be read
    if size > limit:
        raise ScanFormatError(
            path,
            f"file is {size} bytes ({size / 2**20:.3g} MiB), over the limit of {limit} bytes "
            f"({limit / 2**20:.3g} MiB) for one scan (raise it with max_bytes= or {MAX_SCAN_ENV})",
        )


def register_reader(
    name: str, suffixes: tuple[str, ...], sniff: SniffFn | None = None
) -> Callable[[ReadFn], ReadFn]:
    """Decorator registering ``read(path, **options) -> Scan`` for the given suffixes.

    It returns the guarded reader (see the module docstring), which also takes ``limits``
    and ``max_bytes``.
    """

    def wrap(fn: ReadFn) -> ReadFn:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def read(
            path: str | Path,
            *,
            limits: GeometryLimits | None = None,
            max_bytes: int | None = None,
            **options,
        ) -> Scan:
            signature.bind(path, **options)  # a wrong keyword is the caller's bug: TypeError
            path = Path(path)
            limit = max_scan_bytes() if max_bytes is None else max_bytes  # a bad setting: raise
            guarded(path, lambda: check_size(path, limit))
            scan = guarded(path, lambda: fn(path, **options))
            check_geometry(scan, path, limits)
            return scan

        entry = ReaderEntry(name, tuple(s.lower() for s in suffixes), read, sniff)
        for suffix in entry.suffixes:
            if suffix in _READERS and _READERS[suffix].name != name:
                raise ValueError(f"suffix {suffix} already registered by {_READERS[suffix].name}")
            _READERS[suffix] = entry
        return read

    return wrap


def guarded(path: Path, read: Callable[[], T]) -> T:
    """``read()``, with any fault but MemoryError (and interrupts) as a ScanFormatError.

    The readers raise ScanFormatError for every fault they know of; this is the last resort
    for the ones they do not, so a batch job can record the file and carry on.
    """
    try:
        return read()
    except (ScanFormatError, MemoryError):
        raise
    except RecursionError as exc:
        raise ScanFormatError(path, "structure nested too deeply to read") from exc
    except Exception as exc:
        detail = str(exc)
        detail = detail if len(detail) <= 200 else detail[:200] + "…"
        raise ScanFormatError(path, f"cannot read ({type(exc).__name__}: {detail})") from exc


def readers() -> dict[str, ReaderEntry]:
    """The registered readers by suffix (a copy)."""
    return dict(_READERS)


def scan_suffixes() -> tuple[str, ...]:
    """Suffixes of files that hold a whole scan (not sidecars such as landmarks)."""
    return tuple(sorted(_READERS))


def find_reader(path: Path) -> ReaderEntry:
    """The reader for ``path``: by suffix first, else by sniffing the first bytes."""
    entry = _READERS.get(path.suffix.lower())
    if entry is not None:
        return entry
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        raise ScanFormatError(path, f"cannot open: {exc.strerror or exc}") from exc
    for candidate in {e.name: e for e in _READERS.values()}.values():
        if candidate.sniff is not None and candidate.sniff(head):
            return candidate
    known = ", ".join(scan_suffixes()) or "none registered"
    raise ScanFormatError(path, f"unknown scan format (known suffixes: {known})")


def read_scan(
    path: str | Path,
    *,
    limits: GeometryLimits | None = None,
    max_bytes: int | None = None,
    **options,
) -> Scan:
    """Read any supported scan file; raises :class:`ScanFormatError` naming file and fault.

    ``limits`` bounds the geometry (default :class:`GeometryLimits`); ``max_bytes`` the file
    size (default :func:`max_scan_bytes`); ``options`` go to the reader (``load_texture``,
    ``landmarks``).
    """
    import affectvlm.io  # noqa: F401  (registers the built-in readers)

    path = Path(path)
    entry = guarded(path, lambda: _entry_for(path))
    # a registered reader is guarded
    return entry.read(path, limits=limits, max_bytes=max_bytes, **options)


def _entry_for(path: Path) -> ReaderEntry:
    if not path.is_file():
        raise ScanFormatError(path, "no such file")
    return find_reader(path)
