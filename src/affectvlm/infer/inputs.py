"""What to predict on: paths → scan files and 4D sequence folders, and zipped sequences.

A folder whose scan files all have numbered names (``000.wrl``, ``0001.obj``) is one 4D
sequence; any other folder is searched recursively for scans by registered suffix. A zip
holds one sequence (or one scan) and is extracted safely: no absolute paths, no ``..``,
no links, bounded member count and size (the sizes written are counted, not trusted).
"""

from __future__ import annotations

import contextlib
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from affectvlm.io.errors import ScanFormatError
from affectvlm.io.registry import read_scan, scan_suffixes
from affectvlm.io.scan import Scan, ScanSequence
from affectvlm.io.sequence import FRAME_SUFFIXES, read_sequence

InputKind = Literal["scan", "sequence", "zip"]


@dataclass
class InputLimits:
    """Bounds on untrusted input (uploads, zips); sizes in MiB."""

    max_file_mb: float = 200.0
    max_zip_members: int = 2000
    max_unzipped_mb: float = 2048.0

    def __post_init__(self) -> None:
        if self.max_file_mb <= 0 or self.max_zip_members < 1 or self.max_unzipped_mb <= 0:
            raise ValueError("input limits must be positive")


@dataclass(frozen=True)
class InputItem:
    """One thing to predict on: a scan file, a sequence folder or a zipped sequence."""

    path: Path
    kind: InputKind


@dataclass(frozen=True)
class InputError:
    """An input that could not be resolved or predicted, with the reason."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _scan_suffixes() -> set[str]:
    import affectvlm.io  # noqa: F401  (registers the built-in readers)

    return set(scan_suffixes())


def is_sequence_folder(folder: Path) -> bool:
    """True when ``folder`` holds frame files and every scan file in it is a numbered frame."""
    suffixes = _scan_suffixes()
    scans = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes]
    return bool(scans) and all(
        p.suffix.lower() in FRAME_SUFFIXES and p.stem.isdigit() for p in scans
    )


def _walk(folder: Path) -> Iterator[InputItem]:
    if is_sequence_folder(folder):
        yield InputItem(folder, "sequence")
        return
    suffixes = _scan_suffixes()
    for child in sorted(folder.iterdir()):
        if child.is_dir() and not child.is_symlink():
            yield from _walk(child)
        elif child.is_file() and child.suffix.lower() in suffixes:
            yield InputItem(child, "scan")


def resolve_inputs(paths: Iterable[str | Path]) -> tuple[list[InputItem], list[InputError]]:
    """Expand files and folders into input items; paths that do not exist become errors."""
    items: list[InputItem] = []
    errors: list[InputError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = list(_walk(path))
            if not found:
                known = ", ".join(sorted(_scan_suffixes()))
                errors.append(InputError(path, f"no scan files found (suffixes: {known})"))
            items.extend(found)
        elif path.is_file():
            items.append(InputItem(path, "zip" if path.suffix.lower() == ".zip" else "scan"))
        else:
            errors.append(InputError(path, "no such file or folder"))
    return items, errors


def _member_target(info: zipfile.ZipInfo, archive: Path) -> PurePosixPath | None:
    """The safe relative path of a zip member (None for folders); raises on unsafe names."""
    name = info.filename.replace("\\", "/")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ScanFormatError(archive, f"zip member {info.filename!r} is a symbolic link")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ScanFormatError(archive, f"zip member {info.filename!r} has an absolute path")
    rel = PurePosixPath(name)
    if any(part == ".." for part in rel.parts):
        raise ScanFormatError(archive, f"zip member {info.filename!r} escapes the archive folder")
    if info.is_dir():
        return None
    if any(part.startswith("__MACOSX") for part in rel.parts) or rel.name.startswith("._"):
        return None  # resource forks written by macOS Finder; never scans
    return rel


def extract_zip(archive: str | Path, dest: str | Path, limits: InputLimits | None = None) -> Path:
    """Extract ``archive`` under ``dest`` after checking every member name; return ``dest``."""
    archive, dest = Path(archive), Path(dest)
    limits = limits or InputLimits()
    budget = int(limits.max_unzipped_mb * 1024 * 1024)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ScanFormatError(archive, f"not a readable zip file ({exc})") from exc
    with zf:
        members = zf.infolist()
        if len(members) > limits.max_zip_members:
            raise ScanFormatError(
                archive, f"zip holds {len(members)} entries (limit {limits.max_zip_members})"
            )
        targets = [(info, _member_target(info, archive)) for info in members]
        declared = sum(info.file_size for info, rel in targets if rel is not None)
        if declared > budget:
            raise ScanFormatError(
                archive,
                f"zip expands to {declared / 2**20:.0f} MiB (limit {limits.max_unzipped_mb:g})",
            )
        written = 0
        for info, rel in targets:
            if rel is None:
                continue
            out = dest.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(out, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > budget:
                            raise ScanFormatError(
                                archive, f"zip expands past {limits.max_unzipped_mb:g} MiB"
                            )
                        dst.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
                raise ScanFormatError(archive, f"corrupt member {info.filename!r} ({exc})") from exc
            except RuntimeError as exc:  # encrypted members
                raise ScanFormatError(archive, f"cannot extract {info.filename!r} ({exc})") from exc
    return dest


def find_single_input(folder: Path, source: Path) -> InputItem:
    """The one scan or sequence inside an extracted folder; anything else is an error."""
    found = list(_walk(folder))
    if not found:
        raise ScanFormatError(source, "holds no scan files or numbered frames")
    if len(found) > 1:
        names = ", ".join(str(i.path.relative_to(folder)) for i in found[:3])
        raise ScanFormatError(
            source, f"holds {len(found)} scans/sequences ({names}, ...); expected one"
        )
    return found[0]


@contextlib.contextmanager
def open_input(
    item: InputItem | str | Path, limits: InputLimits | None = None
) -> Iterator[Scan | ScanSequence]:
    """Yield the Scan or (lazily read) ScanSequence of ``item``; a zip is extracted to a
    temporary folder that is removed on exit, so use the sequence inside the ``with``."""
    if not isinstance(item, InputItem):
        path = Path(item)
        kind: InputKind = "zip" if path.suffix.lower() == ".zip" else "scan"
        if path.is_dir():
            kind = "sequence" if is_sequence_folder(path) else "scan"
        item = InputItem(path, kind)
    if item.kind == "scan" and item.path.is_dir():
        raise ScanFormatError(item.path, "folder is not a sequence of numbered frames")
    if item.kind == "scan":
        yield read_scan(item.path)
    elif item.kind == "sequence":
        yield read_sequence(item.path)
    else:
        tmp = tempfile.mkdtemp(prefix="affectvlm-zip-")
        try:
            inner = find_single_input(extract_zip(item.path, tmp, limits), item.path)
            yield read_scan(inner.path) if inner.kind == "scan" else read_sequence(inner.path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
