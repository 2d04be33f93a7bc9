"""``TrainConfig``: everything that defines a run, each field with its help text.

The help lives in each field's metadata, so ``lstm-har train --help`` and the scikit-learn
estimator's parameters come from this one place. ``load_config`` merges a JSON or TOML file
with command-line overrides; every value is checked for type and range here, before anything
runs, and a bad one is a ``ConfigError`` naming the field and the value.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from .checkpoint import MAX_HIDDEN
from .data import TASKS
from .errors import ConfigError

MAX_CONFIG_BYTES = 1 << 20  # a config is a few hundred bytes


def _f(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run. Defaults reproduce the study (SimpleLSTM, BCE, Adam)."""

    task: str = _f("walking", "walking: WALKING vs the 5 other activities (the study); "
                   "activity: the 6 classes")  # fmt: skip
    model: str = _f("simple", "a name in models.MODELS; simple is the study's SimpleLSTM")
    backend: str = _f("torch", "LSTM implementation: torch (oneDNN kernel) or ours (lstm_har.nn)")
    hidden_size: int = _f(64, "LSTM units; the study does not say, 64 is the common choice")
    forget_bias: float = _f(1.0, "added to every LSTM forget-gate bias at init, so a fresh LSTM "
                            "hears the whole 128-step window (Jozefowicz et al. 2015); 0 = "
                            "PyTorch's plain init")  # fmt: skip
    epochs: int = _f(30, "upper bound; early stopping on validation may end sooner")
    batch_size: int = _f(64, "global batch (split across processes under torchrun)")
    lr: float = _f(1e-3, "Adam's learning rate, the study's optimizer")
    weight_decay: float = _f(0.0, "Adam's L2 penalty")
    lr_schedule: str = _f("cosine", "cosine (lr -> 0 over the epochs) or constant")
    grad_clip: float = _f(1.0, "max global gradient norm, 0 = off; early LSTM steps can spike")
    calibrate: bool = _f(False, "per-recording orientation calibration (signal.calibration): "
                         "3 tilt channels against the recording's upright pose, y mirrored "
                         "where worn reversed")  # fmt: skip
    any_orientation: bool = _f(False, "read each window in the recording's upright frame "
                               "(models.UprightFrame: heading-free features, the lean from "
                               "upright, the placement), so any phone orientation and a waist or "
                               "a pocket read alike; excludes calibrate")  # fmt: skip
    fine_labels: bool = _f(False, "task walking: train on the six activities and answer "
                           "WALKING against the sum of the other five, so the network learns "
                           "stairs apart from walking, which one 'rest' class blurs")  # fmt: skip
    augment_rotation: float = _f(0.0, "degrees of random sensor rotation per training window")
    augment_scale: float = _f(0.0, "+- fraction of random body-motion scaling per window")
    augment_placement: float = _f(0.0, "probability that a training window's placement input "
                                  "is flipped (any_orientation), so that a placement misjudged "
                                  "from the data costs less")  # fmt: skip
    patience: int = _f(0, "stop after this many epochs without a better validation score; 0 = "
                       "every epoch (the best validation epoch is kept either way)")  # fmt: skip
    val_subjects: int = _f(4, "training subjects held out whole for validation (never test ones)")
    val_seed: int = _f(0, "which training subjects validate; fixed so seed varies only the model")
    seed: int = _f(0, "model init, batch order, dropout, augmentation")
    cv_folds: int = _f(0, "> 0: leave-subjects-out cross-validation over the training "
                       "subjects, evaluated on fold cv_fold, not the test subjects")  # fmt: skip
    cv_fold: int = _f(0, "which fold of cv_folds to evaluate on")
    data: str | None = _f(None, "None = packaged offline HAPT; else a UCI HAR folder/zip or "
                          "a HAPT RawData/ folder")  # fmt: skip
    motionsense: str | None = _f(None, "a MotionSense folder or zip (data.motionsense): its "
                                 "subjects 1-16 join training and validation, 17-24 are tested "
                                 "beside the UCI HAR test subjects")  # fmt: skip
    motionsense_val_subjects: int = _f(3, "MotionSense subjects (of 1-16) held out for "
                                       "validation, drawn with val_seed")  # fmt: skip

    def __post_init__(self) -> None:
        from .models import BACKENDS, MODELS  # here: a CLI that only predicts needs no torch

        for f in dataclasses.fields(self):
            _check_type(f.name, getattr(self, f.name), str(f.type))
        checks = [
            (self.task in TASKS, f"task must be one of {', '.join(TASKS)}"),
            (self.model in MODELS, f"model must be one of {', '.join(MODELS)}"),
            (self.backend in BACKENDS, f"backend must be one of {', '.join(BACKENDS)}"),
            (self.lr_schedule in ("cosine", "constant"), "lr_schedule must be cosine or constant"),
            (1 <= self.hidden_size <= MAX_HIDDEN, f"hidden_size must be in 1..{MAX_HIDDEN}"),
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.lr > 0, "lr must be > 0"),
            (self.weight_decay >= 0, "weight_decay must be >= 0"),
            (self.grad_clip >= 0 and self.patience >= 0, "grad_clip, patience must be >= 0"),
            (0 <= self.augment_rotation <= 180, "augment_rotation must be in [0, 180] degrees"),
            (0 <= self.augment_scale < 1, "augment_scale must be in [0, 1)"),
            (0 <= self.augment_placement <= 0.5, "augment_placement must be in [0, 0.5]"),
            (self.task == "walking" or not self.fine_labels, "fine_labels needs task walking"),
            (
                self.any_orientation or not self.augment_placement,
                "augment_placement needs any_orientation (the placement input)",
            ),
            (self.val_subjects >= 1, "val_subjects must be >= 1"),
            (1 <= self.motionsense_val_subjects <= 8, "motionsense_val_subjects must be in 1..8"),
            (
                not (self.calibrate and self.any_orientation),
                "calibrate and any_orientation exclude each other",
            ),
            (
                not (self.motionsense and self.cv_folds),
                "cv_folds splits UCI HAR's subjects; leave motionsense out",
            ),
            (
                self.cv_folds >= 0 and (self.cv_folds == 0 or 0 <= self.cv_fold < self.cv_folds),
                "cv_fold must be in 0..cv_folds-1",
            ),  # fmt: skip
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"TrainConfig: {message}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, values: Any, where: str = "TrainConfig") -> TrainConfig:
        """A config from a mapping of field values; ``where`` names the source in errors."""
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: expected a table of config fields")
        unknown = sorted(set(values) - set(field_help()))
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
        try:
            return cls(**values)
        except ConfigError as e:
            raise ConfigError(str(e).replace("TrainConfig", where, 1)) from None


def field_help() -> dict[str, str]:
    """Each field's help text, by name (the CLI's --help, the estimator's docs)."""
    return {f.name: f.metadata["help"] for f in dataclasses.fields(TrainConfig)}


def _check_type(name: str, value: Any, kind: str) -> None:
    ok = {
        "str": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value),
        "bool": isinstance(value, bool),
        "str | None": value is None or isinstance(value, str),
    }[kind]
    if not ok:
        raise ConfigError(f"TrainConfig: {name} must be {kind.replace(' | None', ' or null')}, "
                          f"got {value!r:.80}")  # fmt: skip


def load_config(path: Path | None, overrides: dict[str, Any]) -> TrainConfig:
    """The fields of a JSON or TOML file (if any), then ``overrides`` on top, checked."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_CONFIG_BYTES + 1)
        except OSError as e:
            raise ConfigError(f"{path}: cannot read config ({e.strerror})") from None
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES >> 10} KB; not a config")
        kind = "TOML" if path.suffix == ".toml" else "JSON"
        try:
            text = data.decode()
            values = tomllib.loads(text) if kind == "TOML" else json.loads(text)
        except (ValueError, RecursionError) as e:  # decode, JSON and TOML errors alike
            detail = "nested too deeply" if isinstance(e, RecursionError) else str(e)[:200]
            raise ConfigError(f"{path}: not valid {kind} ({detail})") from None
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: expected a table of config fields")
    return TrainConfig.from_dict(values | overrides, str(path) if path else "TrainConfig")
