"""Run directories: train, resume, evaluate and summarise seeds, writing every artefact.

A run directory holds ``config.json`` (the resolved config), ``train_state.safetensors``
(for ``--resume``), the checkpoint ``model.safetensors`` + ``model.json``, ``metrics.json``,
``log.csv`` (one row per epoch), ``per_subject.csv``, ``loss_curve.png`` and
``confusion_matrix.png``. Every file is written atomically.
"""

from __future__ import annotations

import dataclasses
import io
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from . import checkpoint, plots
from .calibration import (
    CALIBRATED_CHANNELS,
    calibrate,
    default_upright,
    model_upright_default,
)
from .data import TaskData, load_uci_har, subject_split
from .errors import CheckpointError, LstmHarError
from .evaluate import evaluate, majority_baseline
from .models import Classifier, build_model
from .preprocess import CHANNELS, PREPROCESS_VERSION, SAMPLE_RATE_HZ, STEP, WINDOW
from .train import FitResult, Progress, TrainConfig, barrier, fit, world

CONFIG = "config.json"
METRICS = "metrics.json"
SUMMARY = "summary.json"


def split_task(cfg: TrainConfig) -> tuple[TaskData, TaskData, TaskData]:
    """``(fit, validation, evaluation)`` for the config's task, all split by whole subjects.

    Evaluation is the official test subjects, or with ``cv_folds`` one fold of the training
    subjects (the test subjects are then not used at all). Validation subjects are drawn from
    the remaining training subjects.
    """
    train, test = load_uci_har(cfg.data)
    train_task, test_task = train.task(cfg.task), test.task(cfg.task)
    if cfg.cv_folds:
        people = np.random.default_rng(cfg.val_seed).permutation(np.unique(train_task.subject))
        if cfg.cv_folds > len(people):
            raise LstmHarError(f"cv_folds={cfg.cv_folds} exceeds the {len(people)} subjects")
        held_out = np.isin(train_task.subject, np.array_split(people, cfg.cv_folds)[cfg.cv_fold])
        train_task, test_task = train_task.select(~held_out), train_task.select(held_out)
    fit_mask, val_mask = subject_split(train_task.subject, cfg.val_subjects, cfg.val_seed)
    return train_task.select(fit_mask), train_task.select(val_mask), test_task


def model_data(
    cfg: TrainConfig, upright_default: np.ndarray | None = None
) -> tuple[TaskData, TaskData, TaskData, np.ndarray | None]:
    """``split_task`` as the model sees it, plus its stand-in upright reference.

    A calibrated model (``cfg.calibrate``) gets ``calibration.CALIBRATED_CHANNELS``; its
    ``upright_default`` is the fit windows' median unless given (a trained model's own).
    """
    parts = split_task(cfg)
    if not cfg.calibrate:
        return (*parts, None)
    if upright_default is None:
        upright_default = default_upright(parts[0].upright)
    fit_data, val_data, test_data = (model_inputs(d, upright_default) for d in parts)
    return fit_data, val_data, test_data, upright_default


def model_inputs(data: TaskData, upright_default: np.ndarray | None) -> TaskData:
    """``data`` as a model sees it: calibrated (``calibration.CALIBRATED_CHANNELS``) when the
    model has an ``upright_default`` (``calibration.model_upright_default(meta)``)."""
    if upright_default is None:
        return data
    return dataclasses.replace(data, X=calibrate(data.X, data.upright, upright_default))


def input_channels(calibrated: bool) -> tuple[str, ...]:
    return CALIBRATED_CHANNELS if calibrated else CHANNELS


def evaluated_on(cfg: TrainConfig) -> str:
    if cfg.cv_folds:
        return f"cross-validation fold {cfg.cv_fold} of {cfg.cv_folds} (training subjects)"
    return "official test subjects"


def build_classifier(
    model: str, hidden_size: int, n_classes: int, backend: str, forget_bias: float = 0.0,
    n_channels: int = len(CHANNELS),
) -> Classifier:  # fmt: skip
    net = build_model(model, n_channels, hidden_size, n_classes, backend, forget_bias)
    return Classifier(net, n_channels)


def classifier_for(cfg: TrainConfig, n_classes: int) -> Classifier:
    """A freshly initialised classifier as ``cfg`` describes it (seed it first)."""
    return build_classifier(cfg.model, cfg.hidden_size, n_classes, cfg.backend, cfg.forget_bias,
                            len(input_channels(cfg.calibrate)))  # fmt: skip


def load_run(directory: Path, backend: str | None = None) -> tuple[Classifier, dict[str, Any]]:
    """The trained classifier of a run directory (or a pretrained model folder), in eval mode."""
    meta, state = checkpoint.load_model_files(directory)
    try:
        model = build_classifier(
            meta["model"], meta["hidden_size"], len(meta["classes"]), backend or meta["backend"],
            n_channels=len(meta["channels"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{directory / checkpoint.MODEL_META}: bad metadata ({e})") from None
    checkpoint.load_state_strict(model, state, directory / checkpoint.MODEL_WEIGHTS)
    return model.eval(), meta


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format="%.6g")
    return buf.getvalue().encode()


def train_run(
    cfg: TrainConfig | None,
    out: Path,
    *,
    resume: bool = False,
    progress: Progress | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train (or, with ``resume``, continue) the run in ``out``; return its metrics."""
    out = Path(out)
    rank = world()[0]  # under torchrun every process runs this; only rank 0 writes
    if resume:
        cfg = TrainConfig.from_dict(checkpoint.read_json(out / CONFIG))
    else:
        exists = (out / CONFIG).exists()
        barrier()  # every process has looked before rank 0 writes
        if exists:
            raise LstmHarError(
                f"{out} already holds a run; continue it with --resume {out} "
                "or choose another --out"
            )
        assert cfg is not None
        if rank == 0:
            checkpoint.write_json(out / CONFIG, cfg.to_dict())
    assert cfg is not None
    fit_data, val_data, test_data, upright_default = model_data(cfg)
    n_classes = len(fit_data.classes)
    torch.manual_seed(cfg.seed)
    model = classifier_for(cfg, n_classes)
    X_fit = torch.from_numpy(fit_data.X)
    model.fit_normaliser(X_fit)  # training subjects only
    result = fit(
        model,
        (X_fit, torch.from_numpy(fit_data.y)),
        (torch.from_numpy(val_data.X), torch.from_numpy(val_data.y), val_data.classes),
        cfg,
        n_classes,
        state_path=out / checkpoint.TRAIN_STATE,
        progress=progress,
        on_epoch=on_epoch,
    )
    if rank != 0:
        return {}
    return _finish(out, cfg, model, result, fit_data, val_data, test_data, upright_default)


def _finish(
    out: Path,
    cfg: TrainConfig,
    model: Classifier,
    result: FitResult,
    fit_data: TaskData,
    val_data: TaskData,
    test_data: TaskData,
    upright_default: np.ndarray | None,
) -> dict[str, Any]:
    classes = test_data.classes
    report = {
        "task": cfg.task,
        "model": cfg.model,
        "seed": cfg.seed,
        "evaluated_on": evaluated_on(cfg),
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
        "train_seconds": sum(r["seconds"] for r in result.history),
        "validation_subjects": sorted({int(s) for s in val_data.subject}),
        **_scores(model, fit_data, val_data, test_data),
    }
    meta = {
        "model": cfg.model,
        "hidden_size": cfg.hidden_size,
        "backend": cfg.backend,
        "task": cfg.task,
        "classes": list(classes),
        "channels": list(input_channels(cfg.calibrate)),
        "upright_default": None if upright_default is None else upright_default.tolist(),
        "window": WINDOW,
        "step": STEP,
        "sample_rate_hz": SAMPLE_RATE_HZ,
        "preprocess_version": PREPROCESS_VERSION,
        "config": cfg.to_dict(),
        "test_accuracy": report["test"]["accuracy"],
    }
    checkpoint.save_model(out, model, meta)
    checkpoint.write_json(out / METRICS, report)
    checkpoint.atomic_write(out / "log.csv", _csv_bytes(pd.DataFrame(result.history)))
    per_subject = pd.DataFrame(
        [
            {"split": split, "subject": int(s), "accuracy": acc}
            for split in ("validation", "test")
            for s, acc in report[split]["per_subject"].items()
        ]
    )
    checkpoint.atomic_write(out / "per_subject.csv", _csv_bytes(per_subject))
    plots.loss_curve(result.history, result.best_epoch, out / "loss_curve.png")
    plots.confusion(
        report["test"]["confusion_matrix"],
        list(classes),
        f"{cfg.model} on {cfg.task}, test subjects",
        out / "confusion_matrix.png",
    )
    return report


def evaluate_run(directory: Path) -> dict[str, Any]:
    """Recompute test and validation metrics from the checkpoint alone."""
    model, meta = load_run(directory)
    cfg = TrainConfig.from_dict(meta["config"])
    fit_data, val_data, test_data, _ = model_data(cfg, model_upright_default(meta))
    return {
        "task": cfg.task,
        "model": cfg.model,
        "evaluated_on": evaluated_on(cfg),
        **_scores(model, fit_data, val_data, test_data),
    }


def _scores(
    model: Classifier, fit_data: TaskData, val_data: TaskData, test_data: TaskData
) -> dict[str, Any]:
    """The metrics a finished run reports and ``evaluate`` recomputes: one place for both."""
    classes = test_data.classes
    return {
        "test": evaluate(model, test_data.X, test_data.y, classes, test_data.subject),
        "validation": evaluate(model, val_data.X, val_data.y, classes, val_data.subject),
        "majority_baseline": majority_baseline(fit_data.y, test_data.y),
    }


SUMMARY_KEYS = ("accuracy", "balanced_accuracy", "macro_f1")


def summarise(reports: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """Mean and sample standard deviation over a sweep's runs of the evaluation metrics."""
    out: dict[str, Any] = {
        "runs": list(names),
        "n": len(reports),
        "seeds": [r["seed"] for r in reports],
        "evaluated_on": sorted({r["evaluated_on"] for r in reports}),
    }
    for split in ("test", "validation"):
        for key in SUMMARY_KEYS:
            values = [r[split][key] for r in reports]
            out[f"{split}_{key}"] = {
                "mean": statistics.fmean(values),
                "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                "min": min(values),
                "max": max(values),
                "values": values,
            }
    out["train_seconds_mean"] = statistics.fmean(r["train_seconds"] for r in reports)
    return out


def sweep_member(
    out: Path, base: dict[str, Any], name: str, overrides: dict[str, Any],
    threads: int | None = None, hooks: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One run of a sweep (a seed, a cross-validation fold) in ``out/NAME``: reuse it if
    finished, resume it if begun. ``threads`` caps torch's threads, for runs side by side."""
    if threads is not None:
        torch.set_num_threads(threads)
    run = Path(out) / name
    if (run / METRICS).is_file():
        report: dict[str, Any] = checkpoint.read_json(run / METRICS)
        return report
    resume = (run / CONFIG).is_file()
    cfg = None if resume else TrainConfig.from_dict(base | overrides)
    return train_run(cfg, run, resume=resume, **(hooks or {}))


def write_summary(
    out: Path, reports: Sequence[dict[str, Any]], names: Sequence[str]
) -> dict[str, Any]:
    summary = summarise(reports, names)
    checkpoint.write_json(Path(out) / SUMMARY, summary)
    return summary
