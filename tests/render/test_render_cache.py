"""The render cache and dataset job: layout, resume, failures, settings hash, workers."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
from render_meshes import bumped_face, write_obj

import affectvlm.render.cache as cache_mod
from affectvlm.render import RenderCache, RenderCacheError, RenderConfig, render_dataset
from affectvlm.render.cache import sample_id_for, settings_hash


@dataclass
class Record:
    path: str
    frames: int = 1


@pytest.fixture()
def dataset(tmp_path):
    root = tmp_path / "data"
    (root / "S1").mkdir(parents=True)
    for i in range(3):
        write_obj(bumped_face(n=8 + i), root / "S1" / f"scan{i}.obj")
    (root / "S1" / "broken.obj").write_text("v 1 2\nf 1 2 9\n")
    seq = root / "S2" / "Happy"
    seq.mkdir(parents=True)
    for t in range(4):
        face = bumped_face(n=8)
        face.vertices[:, 2] += t * 3.0 * (np.abs(face.vertices[:, 0]) < 20)
        write_obj(face, seq / f"{t:03d}.obj")
    records = [Record(f"S1/scan{i}.obj") for i in range(3)]
    records += [Record("S1/broken.obj"), Record("S2/Happy", frames=4)]
    return root, records


CONFIG = RenderConfig(image_size=16, frames=2, model_input="stack")


def test_dataset_is_cached_with_documented_shapes(dataset, tmp_path):
    root, records = dataset
    report = render_dataset(root, records, tmp_path / "cache", CONFIG, progress=False)
    assert report.rendered == 4 and report.total == 5
    cache = RenderCache(tmp_path / "cache", CONFIG)
    static = cache.load("S1__scan0.obj")
    assert static.shape == (1, 3, 3, 16, 16) and static.dtype == np.uint8
    assert cache.load("S2__Happy", mmap=True).shape == (2, 3, 3, 16, 16)
    assert json.loads((cache.folder / "config.json").read_text())["config"]["image_size"] == 16


def test_corrupt_scan_is_reported_and_the_rest_rendered(dataset, tmp_path):
    root, records = dataset
    report = render_dataset(root, records, tmp_path / "cache", CONFIG, progress=False)
    assert list(report.failed) == ["S1__broken.obj"]
    assert "broken.obj" in report.failed["S1__broken.obj"]
    cache = RenderCache(tmp_path / "cache", CONFIG)
    assert cache.report()["failed"] == report.failed
    assert not cache.has("S1__broken.obj") and cache.has("S1__scan2.obj")


def test_interrupted_job_resumes_and_skips_finished_samples(dataset, tmp_path, monkeypatch):
    root, records = dataset
    real_work, calls = cache_mod._work, []

    def flaky(item):
        calls.append(item.sample_id)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_work(item)

    monkeypatch.setattr(cache_mod, "_work", flaky)
    with pytest.raises(KeyboardInterrupt):
        render_dataset(root, records, tmp_path / "cache", CONFIG, progress=False)
    cache = RenderCache(tmp_path / "cache", CONFIG)
    done = [s for s in calls[:2] if cache.has(s)]
    assert len(done) == 2
    stamps = {s: cache.path(s).stat().st_mtime_ns for s in done}
    assert not any(p.name.endswith(".tmp") for p in cache.samples.iterdir())

    monkeypatch.setattr(cache_mod, "_work", real_work)
    report = render_dataset(root, records, tmp_path / "cache", CONFIG, progress=False)
    assert report.skipped == 2 and report.rendered == 2 and len(report.failed) == 1
    assert all(cache.path(s).stat().st_mtime_ns == t for s, t in stamps.items())


def test_changed_settings_use_a_new_cache_folder(dataset, tmp_path):
    root, records = dataset
    other = RenderConfig(image_size=16, frames=2, model_input="texture")
    assert settings_hash(CONFIG) == settings_hash(
        RenderConfig(image_size=16, frames=2, model_input="stack")
    )
    assert settings_hash(CONFIG) != settings_hash(other)
    render_dataset(root, records[:1], tmp_path / "cache", CONFIG, progress=False)
    report = render_dataset(root, records[:1], tmp_path / "cache", other, progress=False)
    assert report.rendered == 1 and report.skipped == 0
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_worker_processes_render_the_same_arrays(dataset, tmp_path):
    root, records = dataset
    render_dataset(root, records, tmp_path / "one", CONFIG, workers=1, progress=False)
    report = render_dataset(root, records, tmp_path / "two", CONFIG, workers=2, progress=False)
    assert report.rendered == 4 and len(report.failed) == 1
    a, b = RenderCache(tmp_path / "one", CONFIG), RenderCache(tmp_path / "two", CONFIG)
    for sample in ("S1__scan1.obj", "S2__Happy"):
        assert np.array_equal(a.load(sample), b.load(sample))


def test_sample_ids_are_filesystem_safe_and_distinct():
    assert sample_id_for("F0001/F0001_AN01WH_F3D.wrl") == "F0001__F0001_AN01WH_F3D.wrl"
    odd = [sample_id_for(p) for p in ("a b/c.wrl", "a_b/c.wrl", "a?b/c.wrl", "../x")]
    assert len(set(odd)) == 4
    assert all("/" not in s and " " not in s and not s.startswith(".") for s in odd)


def _edge_on_square():
    """A real 150 mm square standing in the y-z plane: seen edge-on by a frontal camera."""
    from affectvlm.io.scan import Scan

    vertices = np.array([[0, 0, 0], [0, 150, 0], [0, 0, 150], [0, 150, 150]], dtype=np.float32)
    return Scan(vertices=vertices, faces=np.array([[0, 1, 2], [1, 3, 2]]))


def test_a_blank_render_is_a_failure_in_the_report_not_a_cache_entry(dataset, tmp_path):
    from affectvlm.render import ViewSpec

    root, records = dataset
    write_obj(_edge_on_square(), root / "S1" / "edge_on.obj")
    frontal = RenderConfig(image_size=16, frames=2, views=[ViewSpec("frontal", 0.0, 0.0)])
    report = render_dataset(
        root, [*records[:1], Record("S1/edge_on.obj")], tmp_path / "cache", frontal, progress=False
    )
    assert report.rendered == 1 and list(report.failed) == ["S1__edge_on.obj"]
    reason = report.failed["S1__edge_on.obj"]
    assert "renders blank" in reason and str(root / "S1" / "edge_on.obj") in reason
    cache = RenderCache(tmp_path / "cache", frontal)
    assert not cache.path("S1__edge_on.obj").exists()
    assert cache.report()["failed"] == report.failed


def _spoil(path, how):
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "padded":
        path.write_bytes(data + b"\0" * 64)
    elif how == "float32":
        np.save(path, np.zeros((1, 3, 3, 16, 16), dtype=np.float32))
    elif how == "wrong size":
        np.save(path, np.zeros((1, 3, 3, 8, 8), dtype=np.uint8))
    else:
        path.write_bytes(b"garbage, not an array")


@pytest.mark.parametrize(
    "how, fault",
    [
        ("truncated", "truncated"),
        ("padded", "longer than its header says"),
        ("float32", "float32"),
        ("wrong size", "(1, 3, 3, 8, 8)"),
        ("junk", "not a readable .npy"),
    ],
)
def test_a_bad_cache_entry_is_refused_when_read_and_rendered_again_by_the_job(
    dataset, tmp_path, how, fault
):
    root, records = dataset
    render_dataset(root, records[:2], tmp_path / "cache", CONFIG, progress=False)
    cache = RenderCache(tmp_path / "cache", CONFIG)
    good = cache.load("S1__scan0.obj")
    entry = cache.path("S1__scan0.obj")
    _spoil(entry, how)

    assert not cache.has("S1__scan0.obj")
    with pytest.raises(RenderCacheError) as info:
        cache.load("S1__scan0.obj")
    assert info.value.path == entry and fault in info.value.reason
    assert "affectvlm render" in info.value.reason

    report = render_dataset(root, records[:2], tmp_path / "cache", CONFIG, progress=False)
    assert report.skipped == 1 and report.rendered == 1 and not report.failed
    assert list(report.replaced) == ["S1__scan0.obj"] and fault in report.replaced["S1__scan0.obj"]
    assert np.array_equal(cache.load("S1__scan0.obj"), good)


def test_the_dataset_loader_reports_a_bad_entry_as_missing_naming_the_file(dataset, tmp_path):
    from types import SimpleNamespace

    from affectvlm.data.dataset import MultiviewDataset

    root, records = dataset
    render_dataset(root, records[:1], tmp_path / "cache", CONFIG, progress=False)
    cache = RenderCache(tmp_path / "cache", CONFIG)
    _spoil(cache.path("S1__scan0.obj"), "truncated")
    rows = [SimpleNamespace(path="S1/scan0.obj", emotion="happiness", subject="S1")]
    data = MultiviewDataset(rows, cache, lambda r: sample_id_for(r.path), ["happiness"], 16)
    with pytest.raises(RenderCacheError, match="truncated") as info:
        data[0]
    assert info.value.path == cache.path("S1__scan0.obj")


def test_a_bad_middle_frame_fails_its_sequence_naming_the_frame_file(dataset, tmp_path):
    root, records = dataset
    frame = root / "S2" / "Happy" / "001.obj"
    frame.write_text(frame.read_text() + "f 1 2 99999\n")
    report = render_dataset(root, records, tmp_path / "cache", CONFIG, progress=False)
    assert set(report.failed) == {"S1__broken.obj", "S2__Happy"}
    assert str(frame) in report.failed["S2__Happy"]
    assert not RenderCache(tmp_path / "cache", CONFIG).path("S2__Happy").exists()
