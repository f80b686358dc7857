"""The render cache and dataset job: layout, resume, failures, settings hash, workers."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
from render_meshes import bumped_face, write_obj

import affectvlm.render.cache as cache_mod
from affectvlm.render import RenderCache, RenderConfig, render_dataset
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
