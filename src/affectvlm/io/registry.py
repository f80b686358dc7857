"""One registry of scan readers, keyed by file suffix, with content sniffing as a fallback.

A reader module registers itself with :func:`register_reader`; adding a format touches only
that module (plus its import in ``affectvlm.io.__init__``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from affectvlm.io.errors import ScanFormatError
from affectvlm.io.scan import Scan

ReadFn = Callable[..., Scan]
SniffFn = Callable[[bytes], bool]


@dataclass(frozen=True)
class ReaderEntry:
    name: str
    suffixes: tuple[str, ...]
    read: ReadFn
    sniff: SniffFn | None = None


_READERS: dict[str, ReaderEntry] = {}


def register_reader(
    name: str, suffixes: tuple[str, ...], sniff: SniffFn | None = None
) -> Callable[[ReadFn], ReadFn]:
    """Decorator registering ``read(path, **options) -> Scan`` for the given suffixes."""

    def wrap(fn: ReadFn) -> ReadFn:
        entry = ReaderEntry(name, tuple(s.lower() for s in suffixes), fn, sniff)
        for suffix in entry.suffixes:
            if suffix in _READERS and _READERS[suffix].name != name:
                raise ValueError(f"suffix {suffix} already registered by {_READERS[suffix].name}")
            _READERS[suffix] = entry
        return fn

    return wrap


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


def read_scan(path: str | Path, **options) -> Scan:
    """Read any supported scan file; raises :class:`ScanFormatError` naming file and fault."""
    import affectvlm.io  # noqa: F401  (registers the built-in readers)

    path = Path(path)
    if not path.is_file():
        raise ScanFormatError(path, "no such file")
    return find_reader(path).read(path, **options)
