"""What to predict on: paths → scan files and 4D sequence folders, and zipped sequences.

A folder whose scan files all have numbered names (``000.wrl``, ``0001.obj``) is one 4D
sequence; any other folder is searched recursively for scans by registered suffix. A zip
holds one sequence (or one scan) and is extracted safely: no absolute paths, no ``..``,
no links, no name that is both a file and a folder, only stored or deflated members, and
bounded member count, size per file and total size: declared sizes are checked before
anything is written and the bytes inflated are counted while streaming, not trusted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from affectvlm.errors import PathError
from affectvlm.io.errors import ScanFormatError
from affectvlm.io.registry import read_scan, scan_suffixes
from affectvlm.io.scan import Scan, ScanSequence
from affectvlm.io.sequence import FRAME_SUFFIXES, read_sequence

InputKind = Literal["scan", "sequence", "zip"]
ZIP_FOLDER_PREFIX = "affectvlm-zip-"
"""Name prefix of the temporary folder a zip is extracted to (see :func:`open_input`)."""
CHUNK = 1 << 20
"""Bytes inflated per read while extracting a zip (bounds the memory extraction takes)."""
_EXTRACT_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    RuntimeError,  # encrypted members
    NotImplementedError,
    zlib.error,
)


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
        p.suffix.lower() in FRAME_SUFFIXES and p.stem.isascii() and p.stem.isdigit() for p in scans
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


def _member_path(info: zipfile.ZipInfo, archive: Path) -> PurePosixPath:
    """The relative path of a zip member; raises on links and names that leave the folder."""
    name = info.filename.replace("\\", "/")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ScanFormatError(archive, f"zip member {info.filename!r} is a symbolic link")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ScanFormatError(archive, f"zip member {info.filename!r} has an absolute path")
    rel = PurePosixPath(name)
    if any(part == ".." for part in rel.parts):
        raise ScanFormatError(archive, f"zip member {info.filename!r} escapes the archive folder")
    return rel


def _is_extracted(info: zipfile.ZipInfo, rel: PurePosixPath) -> bool:
    """Files are extracted; folders, empty names and macOS Finder resource forks are not."""
    if info.is_dir() or not rel.parts:
        return False
    return not (any(p.startswith("__MACOSX") for p in rel.parts) or rel.name.startswith("._"))


def _plan_extraction(
    zf: zipfile.ZipFile, archive: Path, limits: InputLimits
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """The members to extract, checked before anything is written: safe names, each name
    used once and never as both a file and a folder, supported compression, and declared
    sizes within the per-file and total budgets."""
    members = zf.infolist()
    if len(members) > limits.max_zip_members:
        raise ScanFormatError(
            archive, f"zip holds {len(members)} entries (limit {limits.max_zip_members})"
        )
    paths = [(info, _member_path(info, archive)) for info in members]
    folders = {parent for _, rel in paths for parent in rel.parents if parent.parts}
    folders |= {rel for info, rel in paths if info.is_dir()}
    plan, seen = [], set()
    for info, rel in paths:
        if info.is_dir():
            continue
        if rel in folders:
            raise ScanFormatError(
                archive, f"zip member {info.filename!r} is both a file and a folder"
            )
        if rel in seen:
            raise ScanFormatError(archive, f"zip holds {info.filename!r} twice")
        seen.add(rel)
        if not _is_extracted(info, rel):
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ScanFormatError(
                archive,
                f"zip member {info.filename!r} uses compression method {info.compress_type} "
                "(only stored and deflate are accepted)",
            )
        if info.file_size > _mib(limits.max_file_mb):
            raise ScanFormatError(
                archive,
                f"zip member {info.filename!r} expands to {info.file_size / 2**20:.0f} MiB "
                f"(limit {limits.max_file_mb:g} MiB per file)",
            )
        plan.append((info, rel))
    declared = sum(info.file_size for info, _ in plan)
    if declared > _mib(limits.max_unzipped_mb):
        raise ScanFormatError(
            archive,
            f"zip expands to {declared / 2**20:.0f} MiB (limit {limits.max_unzipped_mb:g} MiB)",
        )
    return plan


def _mib(megabytes: float) -> int:
    return int(megabytes * 1024 * 1024)


def _reason(exc: BaseException) -> str:
    """An exception's text without the file name an ``OSError`` carries (a server path)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _copy_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    out: Path,
    archive: Path,
    budget: int,
    limits: InputLimits,
) -> int:
    """Stream one member to ``out`` in 1 MiB chunks, counting the bytes actually inflated
    (declared sizes can lie); past ``budget`` or the per-file limit the partial file is
    removed and the archive refused. Returns the bytes written."""
    per_file, written = _mib(limits.max_file_mb), 0
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src, open(out, "wb") as dst:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > per_file:
                    raise ScanFormatError(
                        archive,
                        f"zip member {info.filename!r} expands past {limits.max_file_mb:g} MiB "
                        "(limit per file)",
                    )
                if written > budget:
                    raise ScanFormatError(
                        archive, f"zip expands past {limits.max_unzipped_mb:g} MiB"
                    )
                dst.write(chunk)
    except ScanFormatError:
        _discard(out)
        raise
    except _EXTRACT_ERRORS as exc:
        _discard(out)
        raise ScanFormatError(
            archive, f"cannot extract {info.filename!r} ({_reason(exc)})"
        ) from exc
    return written


def extract_zip(archive: str | Path, dest: str | Path, limits: InputLimits | None = None) -> Path:
    """Extract ``archive`` under ``dest`` after checking every member; return ``dest``.

    Names, declared sizes and compression are checked before anything is written; inflated
    bytes are counted while streaming, so a zip bomb stops at the budget.
    """
    archive, dest = Path(archive), Path(dest)
    limits = limits or InputLimits()
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ScanFormatError(archive, f"not a readable zip file ({_reason(exc)})") from exc
    with zf:
        left = _mib(limits.max_unzipped_mb)
        for info, rel in _plan_extraction(zf, archive, limits):
            left -= _copy_member(zf, info, dest.joinpath(*rel.parts), archive, left, limits)
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
    temporary folder that is removed on exit, so use the sequence inside the ``with``.
    Errors about a file inside a zip name the zip and the member."""
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
        tmp = Path(tempfile.mkdtemp(prefix=ZIP_FOLDER_PREFIX))
        try:
            inner = find_single_input(extract_zip(item.path, tmp, limits), item.path)
            yield read_scan(inner.path) if inner.kind == "scan" else read_sequence(inner.path)
        except PathError as exc:  # also faults of frames read lazily inside the ``with``
            restated = in_archive(exc, tmp, item.path)
            if restated is exc:
                raise
            raise restated from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def in_archive(exc: PathError, folder: Path, archive: Path) -> PathError:
    """``exc`` about a file extracted to ``folder`` restated about ``archive`` and the member
    (the temporary folder is gone once the input is closed, so it is never named)."""
    if exc.path is None or not exc.path.is_relative_to(folder):
        return exc
    member = exc.path.relative_to(folder).as_posix()
    reason = exc.reason.replace(f"{folder}{os.sep}", "")
    return type(exc)(archive, f"{member}: {reason}" if member != "." else reason)
