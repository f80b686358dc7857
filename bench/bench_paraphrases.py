"""Does the text side know an emotion beyond its trained words? Held-out paraphrase accuracy.

Each held-out paraphrase (``affectvlm/text/heldout_paraphrases.toml``, never used in a
training prompt) is embedded by a model's text tower and given the class whose ensembled
training-prompt embedding it is closest to (cosine); the figure is the share given its own
class. Rows, side by side in one run:

- the frozen pretrained MiniLM of ``tiny-minilm`` / ``rn-tiny-minilm`` before training (its
  projection head is random: mean ± sd over seeds ``0..S-1``), and MiniLM's own sentence
  embedding without any projection;
- the random-init CLIP text towers of ``tiny`` / ``rn-tiny`` (seeds ``0..S-1``);
- each trained ``--model DIR``: the text side, and the image side on the app's synthetic
  faces (identities ``0..N-1`` × F/M × its classes, intensity 4) with the classes given by
  their training prompts or by their held-out paraphrases.

Run: ``HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 .venv/bin/python bench/bench_paraphrases.py
[--model DIR ...] [--seeds 5] [--identities 10] [--out FILE.md]``.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
from collections.abc import Sequence

import torch
from torch import nn

from affectvlm import BASIC_EMOTIONS, EMOTIONS
from affectvlm.eval.paraphrases import (
    image_accuracy,
    paraphrase_class_embeddings,
    paraphrase_text_accuracy,
)
from affectvlm.fileio import atomic_write_text
from affectvlm.infer import Predictor
from affectvlm.model import AffectVLM, model_preset
from affectvlm.text import load_heldout_paraphrases
from bench_app_faces import app_faces

MINILM_PRESETS = ("tiny-minilm", "rn-tiny-minilm")
CLIP_TEXT_PRESETS = ("tiny", "rn-tiny")
TOWERS = {True: "frozen MiniLM + random projection", False: "random-init CLIP text transformer"}
CLASS_SETS = {"7 classes": list(EMOTIONS), "6 basic": list(BASIC_EMOTIONS)}


def _pct(values: Sequence[float]) -> str:
    if len(values) == 1:
        return f"{100 * values[0]:.1f} %"
    return f"{100 * statistics.mean(values):.1f} ± {100 * statistics.pstdev(values):.1f} %"


def text_scores(model: AffectVLM, paraphrases: dict[str, list[str]]) -> dict[str, float]:
    return {
        name: paraphrase_text_accuracy(model, paraphrases, classes).accuracy
        for name, classes in CLASS_SETS.items()
    }


def untrained_rows(paraphrases: dict[str, list[str]], seeds: int) -> list[list[str]]:
    rows = []
    for preset in (*MINILM_PRESETS, *CLIP_TEXT_PRESETS):
        per_seed = []
        for seed in range(seeds):
            torch.manual_seed(seed)
            per_seed.append(text_scores(AffectVLM.from_config(model_preset(preset)), paraphrases))
        tower = TOWERS[preset in MINILM_PRESETS]
        cells = [_pct([s[name] for s in per_seed]) for name in CLASS_SETS]
        rows.append([f"`{preset}` untrained ({seeds} seeds)", tower, *cells])
    model = AffectVLM.from_config(model_preset(MINILM_PRESETS[0]))
    width = model.text_tower.proj.in_features
    identity = nn.Linear(width, width, bias=False)
    nn.init.eye_(identity.weight)
    model.text_tower.proj = identity  # MiniLM's own pooled sentence embedding
    cells = [_pct([s]) for s in text_scores(model, paraphrases).values()]
    rows.append(["MiniLM sentence embedding", "all-MiniLM-L6-v2, no projection", *cells])
    return rows


def trained_rows(
    directory: str, paraphrases: dict[str, list[str]], identities: int
) -> tuple[list[str], list[str]]:
    """The text-side row and the image-side row of one trained model."""
    predictor = Predictor.from_checkpoint(directory, device="cpu")
    model, classes = predictor.model, predictor.class_names
    text = paraphrase_text_accuracy(model, paraphrases, classes).accuracy
    name = f"trained `{directory}` ({model.config.name}, {len(classes)} classes)"
    cells = [_pct([text]) if set(classes) == set(c) else "—" for c in CLASS_SETS.values()]
    text_row = [name, "its trained text tower", *cells]
    images, labels = [], []
    with torch.no_grad():
        for _, _, emotion, face in app_faces(classes, identities, 4.0):
            images.append(predictor.images(predictor.render(face).array))
            labels.append(classes.index(emotion))
    batch = torch.cat(images)
    prompts = image_accuracy(model, batch, labels, predictor.class_embeds, classes)
    heldout = paraphrase_class_embeddings(model, paraphrases, classes)
    para = image_accuracy(model, batch, labels, heldout, classes)
    image_row = [name, str(len(labels)), f"{prompts.accuracy:.1%}", f"{para.accuracy:.1%}"]
    return text_row, image_row


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[], help="a trained model folder")
    parser.add_argument("--seeds", type=int, default=5, help="untrained towers: seeds 0..S-1")
    parser.add_argument("--identities", type=int, default=10, help="app faces: identities 0..N-1")
    parser.add_argument("--out", help="also write the markdown here")
    args = parser.parse_args(argv)
    command = "bench/bench_paraphrases.py " + shlex.join(
        sys.argv[1:] if argv is None else list(argv)
    )
    paraphrases = load_heldout_paraphrases()
    count = sum(len(v) for v in paraphrases.values())
    text_rows = untrained_rows(paraphrases, args.seeds)
    image_rows = []
    for directory in args.model:
        text_row, image_row = trained_rows(directory, paraphrases, args.identities)
        text_rows.append(text_row)
        image_rows.append(image_row)
    lines = [
        f"`{command}`: {count} held-out paraphrases ({count // len(EMOTIONS)} per class); "
        f"chance {1 / 7:.1%} over 7 classes, {1 / 6:.1%} over the 6 basic ones.",
        "",
        *table(["text tower", "what it is", "7 classes", "6 basic"], text_rows),
    ]
    if image_rows:
        lines += [
            "",
            "Image side, app faces (intensity 4): fused accuracy with each class given by",
            "its training prompts or by its held-out paraphrases.",
            "",
            *table(["model", "faces", "training prompts", "held-out paraphrases"], image_rows),
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        atomic_write_text(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
