"""Predictions as text: an aligned table (default), JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from affectvlm.infer.outputs import Prediction

FORMATS = ("table", "json", "csv")


def format_predictions(predictions: Sequence[Prediction], fmt: str = "table") -> str:
    """All predictions in one of :data:`FORMATS`."""
    if fmt == "table":
        return format_table(predictions)
    if fmt == "json":
        return json.dumps([p.to_dict() for p in predictions], indent=2) + "\n"
    if fmt == "csv":
        return format_csv(predictions)
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def _prompts(predictions: Sequence[Prediction]) -> list[str]:
    return list(dict.fromkeys(s.prompt for p in predictions for s in p.prompt_scores))


def format_table(predictions: Sequence[Prediction]) -> str:
    """One row per input: label, confidence and every class probability; prompt rankings
    follow below when free-text prompts were scored."""
    if not predictions:
        return ""
    classes = predictions[0].class_names
    header = ["input", "label", "conf", *classes]
    rows = [
        [p.source, p.label, f"{p.confidence:.3f}", *(f"{v:.3f}" for v in p.probs)]
        for p in predictions
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        left = [c.ljust(w) for c, w in zip(cells[:2], widths[:2], strict=True)]
        right = [c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(left + right).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]
    for p in predictions:
        if p.prompt_scores:
            out += ["", f"prompts for {p.source} (best first):"]
            out += [f"  {s.score:8.3f}  {s.prob:6.3f}  {s.prompt}" for s in p.prompt_scores]
    return "\n".join(out) + "\n"


def format_csv(predictions: Sequence[Prediction]) -> str:
    """``input,kind,label,confidence,p_<class>...`` plus one ``prompt:<text>`` score column
    per free-text prompt."""
    if not predictions:
        return ""
    classes = predictions[0].class_names
    prompts = _prompts(predictions)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["input", "kind", "label", "confidence"]
        + [f"p_{c}" for c in classes]
        + [f"prompt:{t}" for t in prompts]
    )
    for p in predictions:
        scores = {s.prompt: s.score for s in p.prompt_scores}
        writer.writerow(
            [p.source, p.kind, p.label, f"{p.confidence:.6f}"]
            + [f"{v:.6f}" for v in p.probs]
            + [f"{scores[t]:.6f}" if t in scores else "" for t in prompts]
        )
    return buffer.getvalue()
