"""How a trained model reads the app's own synthetic faces: accuracy and confusion.

The faces are made by the app's own code path (``affectvlm.app.synthetic.synthetic_input``,
as its "Synthetic face" sidebar does): identities ``F..F+N-1`` (never chosen to flatter the
model) × sex F/M × each class of the model, at one intensity; each one is predicted through
:class:`affectvlm.infer.Predictor` exactly as the app does. The first row of the app's
screen, identity 0 · F · happiness, is reported on its own.

Run: ``HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 .venv/bin/python bench/bench_app_faces.py
[--model demo_out/final/model] [--identities 40] [--first 0] [--intensity 4] [--out FILE.md]``;
without ``--model`` the model the app would load (``app.settings.find_demo_model``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from affectvlm.app.settings import find_demo_model
from affectvlm.app.synthetic import synthetic_input
from affectvlm.eval.metrics import ClassificationMetrics, classification_metrics
from affectvlm.fileio import atomic_write_text
from affectvlm.infer import Predictor
from affectvlm.io.scan import Scan

SEXES = ("F", "M")
DEFAULT_FACE = (0, "F", "happiness")  # what the app shows first


@dataclass
class FaceResult:
    identity: int
    sex: str
    emotion: str
    predicted: str
    confidence: float


def app_faces(
    classes: Sequence[str], identities: int, intensity: float, first: int = 0
) -> Iterator[tuple[int, str, str, Scan]]:
    """``(identity, sex, emotion, face)`` for identities ``first..first+identities-1``, as the app
    makes them."""
    for identity in range(first, first + identities):
        for sex in SEXES:
            for emotion in classes:
                face = synthetic_input(emotion, intensity, identity, sex)
                assert isinstance(face, Scan)
                yield identity, sex, emotion, face


def read_app_faces(
    predictor: Predictor, identities: int, intensity: float, first: int = 0
) -> list[FaceResult]:
    results = []
    faces = app_faces(predictor.class_names, identities, intensity, first)
    for identity, sex, emotion, face in faces:
        prediction = predictor.predict(face)
        results.append(FaceResult(identity, sex, emotion, prediction.label, prediction.confidence))
    return results


def metrics_of(results: Sequence[FaceResult], classes: Sequence[str]) -> ClassificationMetrics:
    index = {c: i for i, c in enumerate(classes)}
    return classification_metrics(
        [index[r.emotion] for r in results], [index[r.predicted] for r in results], classes
    )


def markdown(
    results: Sequence[FaceResult], classes: Sequence[str], command: str, source: str
) -> str:
    metrics = metrics_of(results, classes)
    right = sum(r.predicted == r.emotion for r in results)
    lines = [
        f"`{command}` (model `{source}`)",
        "",
        f"**{right} of {len(results)} app faces right ({metrics.accuracy:.1%})**, "
        f"macro-F1 {metrics.macro_f1:.3f}; chance {1 / len(classes):.1%}.",
        "",
        "| sex | right | accuracy |",
        "|---|---|---|",
    ]
    for sex in SEXES:
        part = [r for r in results if r.sex == sex]
        ok = sum(r.predicted == r.emotion for r in part)
        lines.append(f"| {sex} | {ok} / {len(part)} | {ok / max(len(part), 1):.1%} |")
    default = [r for r in results if (r.identity, r.sex, r.emotion) == DEFAULT_FACE]
    if default:
        d = default[0]
        lines += [
            "",
            f"App's first face (identity 0, F, happiness): **{d.predicted}** ({d.confidence:.1%}).",
        ]
    lines += ["", "Confusion (rows: true emotion, columns: predicted):", ""]
    lines.append("| true \\ predicted | " + " | ".join(classes) + " | recall |")
    lines.append("|---" * (len(classes) + 2) + "|")
    for name, row, recall in zip(classes, metrics.confusion, metrics.per_class_recall, strict=True):
        cells = " | ".join(str(n) for n in row)
        lines.append(f"| {name} | {cells} | {recall:.0%} |")
    misses = [r for r in results if r.predicted != r.emotion]
    if misses:
        lines += [
            "",
            "Misread faces: "
            + "; ".join(
                f"{r.identity}·{r.sex}·{r.emotion} → {r.predicted} ({r.confidence:.0%})"
                for r in misses
            )
            + ".",
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", help="a trained model folder or run folder (default: the one the app loads)"
    )
    parser.add_argument("--identities", type=int, default=40, help="how many identities")
    parser.add_argument("--first", type=int, default=0, help="first identity (seed)")
    parser.add_argument("--intensity", type=float, default=4.0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", help="also write the markdown here")
    args = parser.parse_args(argv)
    command = "bench/bench_app_faces.py " + shlex.join(sys.argv[1:] if argv is None else list(argv))
    model = args.model or find_demo_model()
    if model is None:
        parser.error("no --model given and no demo model found (run `affectvlm demo` first)")
    predictor = Predictor.from_checkpoint(model, device=args.device)
    start = time.perf_counter()
    with torch.no_grad():
        results = read_app_faces(predictor, args.identities, args.intensity, args.first)
    elapsed = time.perf_counter() - start
    text = markdown(results, predictor.class_names, command, predictor.source)
    text += f"\n{len(results)} faces in {elapsed:.1f} s on {args.device}.\n"
    print(text)
    if args.out:
        atomic_write_text(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
