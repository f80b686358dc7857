"""Same-family and cross-family generalisation, side by side on the same subject folds.

Two independently parameterised synthetic face families (``synth.family``) are written in the
BU-3DFE layout with the same subject plan; subject-independent folds come from the protocol
(``bu3dfe``: intensities 3–4, six classes). On every fold three learners train on the
training family's training subjects (epoch / hyper-parameters chosen on its validation
subjects only) and are tested on the fold's test subjects of *each* family:

- ``affectvlm``: the training recipe (``--config``, default the CPU ``demo`` preset);
- ``ce-head``: the same vision tower and fusion with a linear cross-entropy head;
- ``depth-pca-lr``: frontal depth view → PCA → logistic regression (scikit-learn), its
  components and C chosen by subject-grouped inner CV on the training subjects;
- ``plain-cnn``: four conv-BN-ReLU-pool blocks on the same cached views, the views' logits
  averaged, cross-entropy, 40 epochs, the best epoch on the validation subjects.

Everything is resumable (finished folds are reused). The table and ``generalisation.json``
are written atomically; a run with some ``--learners`` keeps the other learners' results of an
earlier run with the same data, folds and recipe. Paired tests over folds: Student's t
(scipy.stats.ttest_rel) and the exact sign-flip permutation test (scipy.stats.permutation_test).

    .venv/bin/python bench/bench_generalisation.py --out runs/gen --subjects 30 --folds 5
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from affectvlm.data import make_folds, protocol_config, select_records, takes_part
from affectvlm.experiments.baselines import (
    depth_images,
    fit_depth_pca_logreg,
    fit_plain_cnn,
    predict_plain_cnn,
    view_stacks,
)
from affectvlm.experiments.stats import paired_t_test, sign_flip_test
from affectvlm.fileio import atomic_write_json, atomic_write_text
from affectvlm.io.index import index_dataset
from affectvlm.render.cache import RenderCache, render_dataset
from affectvlm.synth import SynthConfig, generate_dataset
from affectvlm.train.config import load_train_config
from affectvlm.train.cv import run_folds

LEARNERS = ("affectvlm", "ce-head", "depth-pca-lr", "plain-cnn")


def prepare(out: Path, args: argparse.Namespace, config: Any) -> tuple[dict, Any, RenderCache]:
    """Synthesise + index each family, fold the subjects, render everything used."""
    records: dict[str, list] = {}
    for family in args.families:
        root = out / "data" / family
        synth = SynthConfig(
            dataset="bu3dfe",
            family=family,
            subjects=args.subjects,
            seed=args.seed,
            resolution=args.resolution,
        )
        report = generate_dataset(root, synth, progress=False)
        if not report.ok:
            raise SystemExit(f"synthesis of {family} failed: {report.summary()}")
        result = index_dataset(root, "bu3dfe", validate=False, progress=False)
        records[family] = [
            dataclasses.replace(r, path=f"{family}/{r.path}") for r in result.records
        ]
    train = args.families[0]
    protocol = protocol_config("bu3dfe", [f"protocol.folds={args.folds}"], args.seed)
    foldset = make_folds(records[train], protocol)
    subjects = {f: {r.subject_key for r in rs} for f, rs in records.items()}
    for family, keys in subjects.items():
        if keys != subjects[train]:
            raise SystemExit(f"family {family} has other subject ids than {train}")
    used = [r for rs in records.values() for r in rs if takes_part(r, foldset.protocol)]
    rendered = render_dataset(
        out / "data", used, out / "cache", config.render, workers=2, progress=False
    )
    if rendered.failed:
        raise SystemExit(f"render failures: {rendered.failed}")
    return records, foldset, RenderCache(out / "cache", config.render)


def run_trainer(out, config, records, foldset, cache, device) -> dict[str, list[float]]:
    """The trainer (either head, as ``config.model.head`` says) on the training family's
    folds; the selected model of each fold is also tested on the other families."""
    train = next(iter(records))
    others = {f: r for f, r in records.items() if f != train}
    cv = run_folds(
        config,
        records[train],
        foldset,
        out,
        device,
        cache=cache,
        resume=True,
        extra_tests=others,
    )
    scores = {train: [f.test_metrics["accuracy"] for f in cv.folds]}
    for family in others:
        scores[family] = [f.extra_test_metrics[family]["accuracy"] for f in cv.folds]
    return scores


def run_pca(config, records, foldset, cache, seed) -> dict[str, list[float]]:
    """The study's depth-PCA baseline: fit on the training family's train + val subjects
    (parameters by subject-grouped inner CV), score each family's test subjects."""
    train = next(iter(records))
    classes = list(foldset.protocol.classes)
    scores: dict[str, list[float]] = {f: [] for f in records}
    for k in range(len(foldset.folds)):
        fit = [r for p in ("train", "val") for r in select_records(records[train], foldset, k, p)]
        x = depth_images(fit, cache, config.render)
        y = np.array([classes.index(r.emotion) for r in fit])
        search = fit_depth_pca_logreg(x, y, [r.subject_key for r in fit], seed=seed)
        for family, recs in records.items():
            test = select_records(recs, foldset, k, "test")
            yt = np.array([classes.index(r.emotion) for r in test])
            predicted = search.predict(depth_images(test, cache, config.render))
            scores[family].append(float((predicted == yt).mean()))
    return scores


def run_cnn(records, foldset, cache, seed) -> dict[str, list[float]]:
    """A plain 4-block CNN on the same cached views (mean of the views' logits), cross-entropy,
    40 epochs, the best epoch on the training family's validation subjects."""
    import torch

    train = next(iter(records))
    classes = list(foldset.protocol.classes)
    scores: dict[str, list[float]] = {f: [] for f in records}

    def part(recs):
        return view_stacks(recs, cache), torch.tensor([classes.index(r.emotion) for r in recs])

    for k in range(len(foldset.folds)):
        fit = part(select_records(records[train], foldset, k, "train"))
        val = part(select_records(records[train], foldset, k, "val"))
        model = fit_plain_cnn(*fit, *val, len(classes), seed=seed)
        for family, recs in records.items():
            x, y = part(select_records(recs, foldset, k, "test"))
            scores[family].append(float((predict_plain_cnn(model, x) == y).float().mean()))
    return scores


def paired(a: list[float], b: list[float]) -> str:
    """Mean difference (points), t-test p and exact sign-flip permutation p over folds."""
    t, flip = paired_t_test(a, b), sign_flip_test(a, b)
    return (
        f"{100 * t.mean_diff:+.1f} pts (t-test p={t.p_value:.3f}, sign-flip p={flip.p_value:.3f})"
    )


def run_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What makes two runs' fold results comparable (same data, folds and recipe)."""
    keys = ("families", "subjects", "folds", "seed", "resolution", "config", "set", "tag")
    return {k: getattr(args, k) for k in keys}


def merged_results(path: Path, settings: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` over the learners an earlier run with the same ``settings`` saved in ``path``
    (a file from other settings, or an unreadable one, is replaced, saying so)."""
    if not path.exists():
        return new
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{path}: unreadable ({exc}); replaced", flush=True)
        return new
    if not isinstance(saved, dict) or saved.get("settings") != settings:
        print(f"{path}: results of other settings; replaced", flush=True)
        return new
    combined = {**saved.get("results", {}), **new}
    return {k: combined[k] for k in LEARNERS if k in combined}


def results_table(command: str, families: list[str], results: dict[str, Any]) -> str:
    """The markdown table (mean ± sd over folds per test family) and the paired tests."""
    lines = [
        f"`{command}`",
        "",
        "| learner | "
        + " | ".join(
            f"test on {f}{' (same family)' if i == 0 else ''}" for i, f in enumerate(families)
        )
        + " |",
        "|---|" + "---|" * len(families),
    ]
    for learner, by_family in results.items():
        cells = [
            f"{100 * np.mean(v):.1f} ± {100 * np.std(v, ddof=1):.1f} %" for v in by_family.values()
        ]
        lines.append(f"| {learner} | " + " | ".join(cells) + " |")
    if "affectvlm" in results:
        for other in (x for x in results if x != "affectvlm"):
            for family in families:
                lines.append(
                    f"- affectvlm − {other}, test on {family}: "
                    + paired(results["affectvlm"][family], results[other][family])
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--families", nargs="+", default=["base", "rbf"], help="first = training")
    p.add_argument("--subjects", type=int, default=30)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resolution", type=int, default=96)
    p.add_argument("--config", default="demo", help="training preset of AffectVLM / CE head")
    p.add_argument("--set", action="append", default=[], help="override, e.g. epochs=10")
    p.add_argument("--learners", nargs="+", default=list(LEARNERS), choices=LEARNERS)
    p.add_argument("--device", default="cpu")
    p.add_argument("--tag", default="", help="name of this recipe's runs (variants share data)")
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    config = load_train_config(args.config, (), [*args.set, "progress=false"])
    started = time.perf_counter()
    records, foldset, cache = prepare(args.out, args, config)
    print(f"data ready in {time.perf_counter() - started:.0f} s", flush=True)
    results: dict[str, dict[str, list[float]]] = {}
    runs = args.out / "runs" / "-".join(filter(None, [args.families[0], args.tag]))
    for learner in args.learners:
        t = time.perf_counter()
        if learner == "affectvlm":
            results[learner] = run_trainer(
                runs / learner, config, records, foldset, cache, args.device
            )
        elif learner == "ce-head":
            model = dataclasses.replace(config.model, head="linear")
            ce = dataclasses.replace(config, model=model)
            results[learner] = run_trainer(runs / learner, ce, records, foldset, cache, args.device)
        elif learner == "plain-cnn":
            results[learner] = run_cnn(records, foldset, cache, args.seed)
        else:
            results[learner] = run_pca(config, records, foldset, cache, args.seed)
        print(f"{learner}: {time.perf_counter() - t:.0f} s", flush=True)

    command = shlex.join(["python", "bench/bench_generalisation.py", *sys.argv[1:]])
    settings = run_settings(args)
    results = merged_results(runs / "generalisation.json", settings, results)
    text = results_table(command, args.families, results)
    print(text)
    atomic_write_text(runs / "generalisation.md", text + "\n")
    atomic_write_json(
        runs / "generalisation.json", {"settings": settings, "command": command, "results": results}
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
