"""Readers for 3D/4D face scan formats and the datasets' on-disk layouts."""

# Importing the format modules registers their readers.
from affectvlm.io.bnd import BndLandmarks, read_bnd
from affectvlm.io.bnt import BntGrid, read_bnt, read_bnt_grid
from affectvlm.io.bosphorus_landmarks import read_lm2, read_lm3
from affectvlm.io.errors import ScanFormatError
from affectvlm.io.geometry import GeometryLimits, check_geometry
from affectvlm.io.obj import read_obj, write_obj
from affectvlm.io.ply import read_ply, write_ply
from affectvlm.io.registry import read_scan, readers, register_reader, scan_suffixes
from affectvlm.io.scan import Scan, ScanSequence
from affectvlm.io.sequence import read_sequence
from affectvlm.io.vrml import read_wrl

__all__ = [
    "BndLandmarks",
    "BntGrid",
    "GeometryLimits",
    "Scan",
    "ScanFormatError",
    "ScanSequence",
    "check_geometry",
    "read_bnd",
    "read_bnt",
    "read_bnt_grid",
    "read_lm2",
    "read_lm3",
    "read_obj",
    "read_ply",
    "read_scan",
    "read_sequence",
    "read_wrl",
    "readers",
    "register_reader",
    "scan_suffixes",
    "write_obj",
    "write_ply",
]
