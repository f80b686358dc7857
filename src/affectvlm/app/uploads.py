"""Uploaded files → one input the predictor can read, checked before any parsing.

Uploads are written under a fresh temporary folder with sanitised names and are parsed only
by the project's readers (nothing is unpickled or executed); the folder is removed when the
``with`` block ends. A ``.wrl``/``.obj``/``.ply``/``.bnt`` may come with its texture image
and landmark files; a ``.zip`` holds one 4D sequence (or one scan) and comes alone. Errors
shown to the user name the uploaded files by their own names, never by the server's
temporary folders (:func:`upload_error`).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from affectvlm.errors import PathError
from affectvlm.infer.inputs import ZIP_FOLDER_PREFIX, InputItem, InputLimits

SCAN_SUFFIXES = (".wrl", ".vrml", ".obj", ".ply", ".bnt")
SIDECAR_SUFFIXES = (".bmp", ".jpg", ".jpeg", ".png", ".mtl", ".bnd", ".lm3", ".lm2")
ZIP_SUFFIX = ".zip"
ACCEPTED = tuple(s.lstrip(".") for s in (*SCAN_SUFFIXES, *SIDECAR_SUFFIXES, ZIP_SUFFIX))
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
UPLOAD_FOLDER_PREFIX = "affectvlm-upload-"
_TEMP_FOLDER = re.compile(
    rf"[^\s'\"]*(?:{UPLOAD_FOLDER_PREFIX}|{ZIP_FOLDER_PREFIX})[A-Za-z0-9_]+[/\\]"
)
"""Any path prefix up to one of the temporary folders uploads and zips are unpacked to."""


class UploadError(ValueError):
    """An upload refused before parsing; names the file and the fault."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: {reason}")


def without_server_paths(text: str, folder: Path | None = None) -> str:
    """``text`` with the temporary upload and zip folders removed from every path in it, so
    a file is named by its own (uploaded or in-zip) name."""
    if folder is not None:
        text = text.replace(f"{folder}{os.sep}", "")
    return _TEMP_FOLDER.sub("", text)


def upload_error(exc: Exception, folder: Path, label: str) -> UploadError:
    """``exc``, raised while predicting on the upload in ``folder``, as the page shows it:
    the uploaded file (``label`` when the error names none) and the fault, no server path."""
    if isinstance(exc, UploadError):
        return UploadError(without_server_paths(exc.name, folder), exc.reason)
    if isinstance(exc, PathError) and exc.path is not None and exc.path != folder:
        name = without_server_paths(str(exc.path), folder)
        return UploadError(name, without_server_paths(exc.reason, folder))
    known = isinstance(exc, (ValueError, OSError, PathError))
    text = str(exc) if known else f"unexpected {type(exc).__name__}: {exc}"
    return UploadError(label, without_server_paths(text, folder))


def safe_name(name: str) -> str:
    """The base name of an uploaded file with unsafe characters replaced."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    safe = _SAFE.sub("_", base).lstrip(".")
    if not safe or Path(safe).suffix == "":
        raise UploadError(name, "file name has no extension")
    return safe


def check_upload(files: Sequence[tuple[str, bytes]], limits: InputLimits) -> list[str]:
    """Validate names, types, sizes and the mix of files; return the safe names."""
    if not files:
        raise UploadError("upload", "no file given")
    names = [safe_name(name) for name, _ in files]
    if len(set(n.lower() for n in names)) != len(names):
        raise UploadError("upload", "two files have the same name")
    limit = int(limits.max_file_mb * 1024 * 1024)
    for (name, data), safe in zip(files, names, strict=True):
        suffix = Path(safe).suffix.lower()
        if suffix not in (*SCAN_SUFFIXES, *SIDECAR_SUFFIXES, ZIP_SUFFIX):
            accepted = ", ".join(f".{s}" for s in ACCEPTED)
            raise UploadError(name, f"file type {suffix} not accepted (accepted: {accepted})")
        if len(data) > limit:
            raise UploadError(
                name, f"{len(data) / 2**20:.1f} MiB is over the {limits.max_file_mb:g} MiB limit"
            )
        if len(data) == 0:
            raise UploadError(name, "file is empty")
    scans = [n for n in names if Path(n).suffix.lower() in SCAN_SUFFIXES]
    zips = [n for n in names if Path(n).suffix.lower() == ZIP_SUFFIX]
    if zips and len(files) > 1:
        raise UploadError(zips[0], "a zipped sequence must be uploaded alone")
    if not zips and len(scans) != 1:
        what = "no scan file" if not scans else f"{len(scans)} scan files"
        raise UploadError(
            "upload", f"{what}; upload one of {', '.join(SCAN_SUFFIXES)} (plus texture/landmarks)"
        )
    return names


@contextlib.contextmanager
def uploaded_input(
    files: Sequence[tuple[str, bytes]], limits: InputLimits | None = None
) -> Iterator[InputItem]:
    """Write checked uploads to a temporary folder and yield the input to predict on."""
    limits = limits or InputLimits()
    names = check_upload(files, limits)
    with tempfile.TemporaryDirectory(prefix=UPLOAD_FOLDER_PREFIX) as tmp:
        folder = Path(tmp)
        for (_, data), name in zip(files, names, strict=True):
            (folder / name).write_bytes(data)
        main = next(n for n in names if Path(n).suffix.lower() in (*SCAN_SUFFIXES, ZIP_SUFFIX))
        kind = "zip" if main.lower().endswith(ZIP_SUFFIX) else "scan"
        yield InputItem(folder / main, kind)
