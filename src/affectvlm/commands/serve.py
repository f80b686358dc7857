"""Serving verbs: ``predict`` (files, folders, sequences → table/json/csv) and ``app``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from affectvlm.commands.common import UserError, handles_errors
from affectvlm.progress import progress_bar


def _load_errors() -> tuple[type[BaseException], ...]:
    from affectvlm.infer import InferenceError
    from affectvlm.model import ModelLoadError

    return InferenceError, ModelLoadError


@handles_errors(ValueError)
def _predict(args: argparse.Namespace) -> int:
    from affectvlm.infer import InputError, Predictor, format_predictions, resolve_inputs

    try:
        predictor = Predictor.from_checkpoint(args.checkpoint, device=args.device)
    except _load_errors() as exc:
        raise UserError(str(exc)) from exc
    items, failures = resolve_inputs(args.inputs)
    total = len(items) + len(failures)
    for failure in failures:
        print(f"affectvlm predict: error: {failure}", file=sys.stderr)
    predictions = []
    bar = progress_bar(total=len(items), unit="input", enabled=len(items) > 1)
    with bar:
        results = predictor.predict_many(items, args.prompt)
        for index, (item, result) in enumerate(zip(items, results, strict=True)):
            if isinstance(result, InputError):
                failures.append(result)
                bar.write(f"affectvlm predict: error: {result}", file=sys.stderr)
            else:
                predictions.append(result)
                if args.explain is not None:
                    failure = _explain(predictor, item, result, index, args)
                    if failure is not None:
                        failures.append(failure)
                        bar.write(f"affectvlm predict: error: {failure}", file=sys.stderr)
            bar.update(1)
    sys.stdout.write(format_predictions(predictions, args.format))
    if failures:
        print(
            f"affectvlm predict: {len(failures)} of {total} input(s) failed",
            file=sys.stderr,
        )
    return 1 if failures else 0


def _explain(predictor, item, prediction, index: int, args: argparse.Namespace):
    """Write the explanation files of one prediction; an InputError if that fails."""
    from affectvlm.explain import SaliencyConfig
    from affectvlm.infer import InputError
    from affectvlm.infer.explaining import explanation_stem, write_explanations

    config = SaliencyConfig(method=args.explain_method)
    stem = explanation_stem(index, prediction.source)
    try:
        write_explanations(
            predictor, prediction, args.explain, stem, args.prompt, config, item=item
        )
    except (ValueError, OSError) as exc:
        return InputError(item.path, f"cannot explain the prediction ({exc})")
    return None


def app_command(
    port: int | None = None,
    address: str | None = None,
    max_upload_mb: int = 200,
    headless: bool = False,
) -> list[str]:
    """The ``streamlit run`` command line for the page (settings reach it by environment)."""
    from affectvlm.app import page_path

    cmd = [sys.executable, "-m", "streamlit", "run", str(page_path())]
    cmd += ["--server.maxUploadSize", str(max_upload_mb), "--browser.gatherUsageStats", "false"]
    if port is not None:
        cmd += ["--server.port", str(port)]
    if address is not None:
        cmd += ["--server.address", address]
    if headless:
        cmd += ["--server.headless", "true"]
    return cmd


def app_env(checkpoint: Path | None, max_upload_mb: int, device: str = "auto") -> dict[str, str]:
    """This process's environment plus the page's settings."""
    from affectvlm.app.settings import CHECKPOINT_ENV, DEVICE_ENV, MAX_UPLOAD_ENV

    env = dict(os.environ)
    if checkpoint is not None:
        env[CHECKPOINT_ENV] = str(Path(checkpoint).resolve())
    env[MAX_UPLOAD_ENV] = str(max_upload_mb)
    env[DEVICE_ENV] = device
    return env


@handles_errors()
def _app(args: argparse.Namespace) -> int:
    try:
        import streamlit  # noqa: F401
    except ImportError as exc:
        raise UserError("the app needs streamlit: pip install 'affectvlm[app]'") from exc
    if args.checkpoint is not None and not args.checkpoint.exists():
        raise UserError(f"{args.checkpoint}: checkpoint not found")
    env = app_env(args.checkpoint, args.max_upload_mb, args.device)
    cmd = app_command(args.port, args.address, args.max_upload_mb, args.headless)
    return subprocess.run(cmd, env=env, check=False).returncode


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="predict emotions of scans, folders and 4D sequences")
    p.add_argument("checkpoint", type=Path, help="run folder of 'train' or its model/ folder")
    p.add_argument(
        "inputs",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="scan files, folders (searched recursively), sequence folders or .zip sequences",
    )
    p.add_argument(
        "--prompt",
        action="append",
        default=[],
        metavar="TEXT",
        help="free-text prompt to score zero-shot (repeatable)",
    )
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument(
        "--explain",
        type=Path,
        default=None,
        metavar="OUT_DIR",
        help="write saliency overlays per view and view contributions (JSON) here",
    )
    p.add_argument(
        "--explain-method",
        choices=("gradient", "smoothgrad", "rollout"),
        default="smoothgrad",
        help="saliency method for --explain (default: smoothgrad)",
    )
    p.set_defaults(func=_predict)

    p = sub.add_parser("app", help="open the interactive Streamlit app")
    p.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="trained model (default: the demo's model, if one was made)",
    )
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--address", default=None, help="e.g. 127.0.0.1 (streamlit's default: all)")
    p.add_argument("--max-upload-mb", type=int, default=200, help="largest upload accepted")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--headless", action="store_true", help="do not open a browser")
    p.set_defaults(func=_app)
