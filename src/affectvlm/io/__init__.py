"""Readers for 3D/4D face scan formats and the datasets' on-disk layouts."""

from affectvlm.io.errors import ScanFormatError
from affectvlm.io.registry import read_scan, readers, register_reader, scan_suffixes
from affectvlm.io.scan import Scan, ScanSequence

__all__ = [
    "Scan",
    "ScanFormatError",
    "ScanSequence",
    "read_scan",
    "readers",
    "register_reader",
    "scan_suffixes",
]
