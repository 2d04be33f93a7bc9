"""Run directories: train, resume, evaluate and summarise seeds, writing every artefact.

A run directory holds ``config.json`` (the resolved config), ``train_state.safetensors``
(for ``--resume``), the checkpoint ``model.safetensors`` + ``model.json``, ``metrics.json``,
``log.csv`` (one row per epoch), ``per_subject.csv``, ``loss_curve.png`` and
``confusion_matrix.png``. Every file is written atomically.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from .._files import atomic_write, read_json, write_json
from ..checkpoint import ModelSpec
from ..config import TrainConfig
from ..data import Windows, load_uci_har, subject_split
from ..data.motionsense import load_motionsense
from ..data.uci_har import concat, read_recordings
from ..errors import CheckpointError, ConfigError, LstmHarError
from ..models import Classifier
from ..signal.calibration import (
    CALIBRATED_CHANNELS,
    FRAME_CHANNELS,
    calibrate,
    default_upright,
    frame_inputs,
)
from ..signal.filters import CHANNELS
from ..signal.posture import POSTURE_ODDS
from ..signal.smoothing import transitions
from . import plots
from .distributed import barrier, is_main
from .hmm import fit_smoothing
from .loop import FitResult, Listener, fit
from .metrics import evaluate, majority_baseline
from .novelty import fit_novelty
from .state import TRAIN_STATE

CONFIG = "config.json"
METRICS = "metrics.json"


def split_task(cfg: TrainConfig) -> tuple[Windows, Windows, Windows]:
    """``(fit, validation, evaluation)`` for the config's task, all split by whole subjects.

    Evaluation is the official test subjects, or with ``cv_folds`` one fold of the training
    subjects (the test subjects are then not used at all). Validation subjects are drawn from
    the remaining training subjects. With ``cfg.motionsense``, its subjects 1-16 join fit and
    validation the same way; its test subjects are ``motionsense_test``'s alone. With
    ``cfg.fine_labels`` the windows keep the six activities (``.task(cfg.task)`` relabels).
    """
    fit_data, val_data, test_data = _split_uci(cfg)
    if cfg.motionsense is None:
        return fit_data, val_data, test_data
    ms_train = load_motionsense(cfg.motionsense)[0].task(_labels(cfg))
    ms_fit, ms_val = subject_split(ms_train.subject, cfg.motionsense_val_subjects, cfg.val_seed)
    return (
        concat([fit_data, ms_train.select(ms_fit)]),
        concat([val_data, ms_train.select(ms_val)]),
        test_data,
    )


def motionsense_test(cfg: TrainConfig, upright_default: np.ndarray | None) -> Windows | None:
    """MotionSense's test subjects (17-24) as the model sees them; None without MotionSense."""
    if cfg.motionsense is None:
        return None
    test = load_motionsense(cfg.motionsense)[1].task(cfg.task)
    return model_inputs(test, upright_default, cfg.any_orientation)


def _labels(cfg: TrainConfig) -> str:
    """The labels the network trains on: the six activities with ``fine_labels``."""
    return "activity" if cfg.fine_labels else cfg.task


def _split_uci(cfg: TrainConfig) -> tuple[Windows, Windows, Windows]:
    train, test = load_uci_har(cfg.data)
    train_task, test_task = train.task(_labels(cfg)), test.task(_labels(cfg))
    n_people = len(np.unique(train_task.subject))
    if cfg.val_subjects >= n_people - (1 if not cfg.cv_folds else 2):
        raise ConfigError(f"val_subjects={cfg.val_subjects} leaves too few of the "
                          f"{n_people} training subjects to train on")  # fmt: skip
    if cfg.cv_folds:
        people = np.random.default_rng(cfg.val_seed).permutation(np.unique(train_task.subject))
        if cfg.cv_folds > len(people):
            raise ConfigError(f"cv_folds={cfg.cv_folds} exceeds the {len(people)} subjects")
        held_out = np.isin(train_task.subject, np.array_split(people, cfg.cv_folds)[cfg.cv_fold])
        train_task, test_task = train_task.select(~held_out), train_task.select(held_out)
    fit_mask, val_mask = subject_split(train_task.subject, cfg.val_subjects, cfg.val_seed)
    return train_task.select(fit_mask), train_task.select(val_mask), test_task


def model_data(
    cfg: TrainConfig, upright_default: np.ndarray | None = None
) -> tuple[Windows, Windows, Windows, np.ndarray | None]:
    """``split_task`` as the model sees it, plus its stand-in upright reference.

    A calibrated model (``cfg.calibrate``) gets ``signal.CALIBRATED_CHANNELS``, an
    any-orientation one ``signal.FRAME_CHANNELS``; their ``upright_default`` is the fit
    windows' median unless given (a trained model's own).
    """
    parts = split_task(cfg)
    if not (cfg.calibrate or cfg.any_orientation):
        return (*parts, None)
    if upright_default is None:
        upright_default = default_upright(parts[0].upright)
    fit_data, val_data, test_data = (
        model_inputs(d, upright_default, cfg.any_orientation) for d in parts
    )
    return fit_data, val_data, test_data, upright_default


def model_inputs(
    data: Windows, upright_default: np.ndarray | None, any_orientation: bool = False
) -> Windows:
    """``data`` as a model sees it: calibrated (``signal.CALIBRATED_CHANNELS``) when the model
    has an ``upright_default`` (``ModelSpec.upright()``), in the upright frame
    (``signal.FRAME_CHANNELS``, with each window's true placement) when ``any_orientation``."""
    if upright_default is None:
        return data
    if any_orientation:
        X = frame_inputs(data.X, data.upright, data.in_pocket, upright_default)
    else:
        X = calibrate(data.X, data.upright, upright_default)
    return dataclasses.replace(data, X=X)


def evaluated_on(cfg: TrainConfig) -> str:
    if cfg.cv_folds:
        return f"cross-validation fold {cfg.cv_fold} of {cfg.cv_folds} (training subjects)"
    return "official test subjects"


def spec_for(
    cfg: TrainConfig, fit_data: Windows, upright_default: np.ndarray | None = None
) -> ModelSpec:
    """The ``ModelSpec`` of a model trained with ``cfg`` on ``fit_data`` (before its test
    accuracy is known), with the smoothing HMM's transitions from the task's label sequences."""
    upright = None if upright_default is None else tuple(float(v) for v in upright_default)
    task = fit_data.task(cfg.task)
    # windows come in time order per recording; a new subject starts a new sequence
    sequences = np.split(task.y, np.flatnonzero(np.diff(task.subject)) + 1)
    transition, prior = transitions(sequences, len(task.classes))
    return ModelSpec(
        model=cfg.model, hidden_size=cfg.hidden_size, task=cfg.task, classes=task.classes,
        trained_classes=fit_data.classes if cfg.fine_labels else None,
        channels=(FRAME_CHANNELS if cfg.any_orientation
                  else CALIBRATED_CHANNELS if cfg.calibrate else CHANNELS),
        backend=cfg.backend,
        upright_default=upright, config=cfg.to_dict(),  # type: ignore[arg-type]
        transitions=tuple(map(tuple, transition.tolist())), class_prior=tuple(prior.tolist()),
        posture_odds=POSTURE_ODDS if {"SITTING", "STANDING"} <= set(task.classes) else None,
    )  # fmt: skip


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format="%.6g")
    return buf.getvalue().encode()


def train_run(
    cfg: TrainConfig | None, out: Path, *, resume: bool = False,
    listener: Listener | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """Train (or, with ``resume``, continue) the run in ``out``; return its metrics.

    Args:
        cfg: the run's config; None with ``resume`` (read from ``out/config.json``).
        out: the run directory (see the module docstring for its files).
        listener: called with the training loop's events (progress bars, logs).
    Returns:
        The report written to ``metrics.json``; None on ranks other than 0 under torchrun.

    The data is loaded and the split checked before anything is written, so a command that
    fails on its input leaves no run behind.
    """
    out = Path(out)
    if resume:
        cfg = TrainConfig.from_dict(read_json(out / CONFIG), str(out / CONFIG))
    elif (out / CONFIG).exists():
        raise LstmHarError(
            f"{out} already holds a run; continue it with --resume {out} or choose another --out"
        )
    assert cfg is not None
    fit_data, val_data, test_data, upright_default = model_data(cfg)
    created = not out.exists()
    barrier()  # every process has looked before rank 0 writes
    if not resume and is_main():
        write_json(out / CONFIG, cfg.to_dict())
    try:
        torch.manual_seed(cfg.seed)
        model = Classifier.from_spec(spec_for(cfg, fit_data, upright_default), cfg.forget_bias)
        X_fit = torch.from_numpy(fit_data.X)
        model.fit_normaliser(X_fit)  # training subjects only
        # the network learns its own labels; selection scores what the model answers
        result = fit(
            model, (X_fit, torch.from_numpy(fit_data.y)),
            (torch.from_numpy(val_data.X), torch.from_numpy(val_data.task(cfg.task).y)), cfg,
            state_path=out / TRAIN_STATE, listener=listener,
        )  # fmt: skip
        fit_novelty(model, fit_data.X, fit_data.y, val_data.X)  # what UNKNOWN means
        validation = set(val_data.subject.tolist())  # how hard to smooth, on their recordings
        fit_smoothing(model, [r for r in read_recordings(cfg.data)
                              if r.subject in validation])  # fmt: skip
    except LstmHarError:  # bad input found late: leave no half-made run behind
        if created and not resume and is_main():
            shutil.rmtree(out, ignore_errors=True)
        raise
    if not is_main():
        return None
    task = [d.task(cfg.task) for d in (fit_data, val_data, test_data)]
    return _finish(out, cfg, model, result, *task)


def _finish(
    out: Path, cfg: TrainConfig, model: Classifier, result: FitResult,
    fit_data: Windows, val_data: Windows, test_data: Windows,
) -> dict[str, Any]:  # fmt: skip
    report = {
        "task": cfg.task,
        "model": cfg.model,
        "seed": cfg.seed,
        "evaluated_on": evaluated_on(cfg),
        "best_epoch": result.best_epoch,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
        "train_seconds": sum(r.seconds for r in result.history),
        "validation_subjects": sorted({int(s) for s in val_data.subject}),
        **_scores(model, cfg, fit_data, val_data, test_data),
    }
    model.spec = model.spec.replace(test_accuracy=report["test"]["accuracy"])
    model.save(out)
    write_json(out / METRICS, report)
    history = pd.DataFrame([dataclasses.asdict(r) for r in result.history])
    atomic_write(out / "log.csv", _csv_bytes(history))
    per_subject = pd.DataFrame(
        [
            {"split": split, "subject": int(s), "accuracy": acc}
            for split in ("validation", "test")
            for s, acc in report[split]["per_subject"].items()
        ]
    )
    atomic_write(out / "per_subject.csv", _csv_bytes(per_subject))
    plots.loss_curve(result.history, result.best_epoch, out / "loss_curve.png")
    plots.confusion(
        report["test"]["confusion_matrix"],
        list(test_data.classes),
        f"{cfg.model} on {cfg.task}, test subjects",
        out / "confusion_matrix.png",
    )
    return report


def evaluate_run(directory: Path) -> dict[str, Any]:
    """Recompute test and validation metrics from the checkpoint alone."""
    model = Classifier.load(Path(directory))
    spec, where = model.spec, f"{Path(directory) / 'model.json'}"
    if not spec.config:
        raise CheckpointError(f"{where}: no training config; evaluate needs a run that "
                              "lstm-har train wrote")  # fmt: skip
    cfg = TrainConfig.from_dict(spec.config, f"{where} config")
    made = (cfg.model, cfg.hidden_size, cfg.task, cfg.calibrate or cfg.any_orientation)
    if made != (spec.model, spec.hidden_size, spec.task, spec.calibrated):
        raise CheckpointError(f"{where}: its config and its model disagree (model, hidden_size, "
                              "task or calibrate); the file was edited")  # fmt: skip
    fit_data, val_data, test_data = (d.task(cfg.task) for d in
                                     model_data(cfg, model.spec.upright())[:3])  # fmt: skip
    return {
        "task": cfg.task,
        "model": cfg.model,
        "evaluated_on": evaluated_on(cfg),
        **_scores(model, cfg, fit_data, val_data, test_data),
    }


def _scores(
    model: Classifier, cfg: TrainConfig, fit_data: Windows, val_data: Windows,
    test_data: Windows,
) -> dict[str, Any]:  # fmt: skip
    """The metrics a finished run reports and ``evaluate`` recomputes: one place for both;
    with MotionSense, its test subjects too (``test_motionsense``)."""
    classes = test_data.classes
    scores = {
        "test": evaluate(model, test_data.X, test_data.y, classes, test_data.subject),
        "validation": evaluate(model, val_data.X, val_data.y, classes, val_data.subject),
        "majority_baseline": majority_baseline(fit_data.y, test_data.y),
    }
    external = motionsense_test(cfg, model.spec.upright())
    if external is not None:
        scores["test_motionsense"] = evaluate(model, external.X, external.y, classes,
                                              external.subject)  # fmt: skip
    return scores
