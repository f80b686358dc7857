"""Contact sheets for eyes: views side by side, one labelled row per channel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from render_meshes import bumped_face, write_obj

from affectvlm.io.scan import Scan
from affectvlm.render import (
    RenderConfig,
    RenderError,
    contact_sheet,
    render_contact_sheet,
    render_views,
)


def test_contact_sheet_has_a_row_per_channel_and_a_column_per_view():
    cfg = RenderConfig(image_size=32, channels=["texture", "depth"])
    sheet = contact_sheet(render_views(bumped_face(n=10), cfg))
    two_rows = sheet.size
    sheet = contact_sheet(render_views(bumped_face(n=10), cfg), channels=["depth"])
    assert sheet.size[0] == two_rows[0] and sheet.size[1] < two_rows[1]
    assert sheet.size[0] > 3 * 32 and sheet.size[1] > 32


def test_render_contact_sheet_writes_a_png_from_a_scan_file(tmp_path):
    write_obj(bumped_face(n=10), tmp_path / "face.obj")
    out = render_contact_sheet(
        tmp_path / "face.obj", tmp_path / "views.png", RenderConfig(image_size=24)
    )
    image = np.asarray(Image.open(out))
    assert image.ndim == 3 and image.std() > 10


def test_a_mesh_without_faces_is_a_blank_render_error_naming_the_file(tmp_path):
    empty = Scan(
        vertices=np.random.default_rng(0).normal(size=(10, 3)),
        faces=np.zeros((0, 3)),
        path=tmp_path / "empty.obj",
    )
    with pytest.raises(RenderError, match="renders blank") as info:
        render_views(empty, RenderConfig(image_size=16, channels=["texture", "depth"]))
    assert info.value.path == tmp_path / "empty.obj"
