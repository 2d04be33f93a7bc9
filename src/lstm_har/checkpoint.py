"""A model on disk: ``model.safetensors`` (weights) beside ``model.json`` (its ``ModelSpec``).

Nothing here pickles. ``model.json`` says what to build, the task, the class names, the input
channels and preprocessing, provenance, and the weights' SHA-256, so that a torn or edited
pair is caught before anything is built. It is read into a typed ``ModelSpec``, every field
checked, so the rest of the package never reads it by key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import atomic_write, read_json, write_json
from ._version import __version__
from .errors import CheckpointError
from .signal.calibration import FRAME_CHANNELS
from .signal.filters import PREPROCESS_VERSION, SAMPLE_RATE_HZ, STEP, WINDOW

if TYPE_CHECKING:  # torch is imported where weights are read or written: the ONNX engine
    import torch  # needs only the spec, and importing torch costs a process 1.3-3 s

FORMAT_VERSION = 1
MAX_HIDDEN = 4096  # LSTM units; far above any model here, and below what would exhaust memory
MAX_MIN_BOUT = 64  # windows (82 s): the HMM's minimum bout, far above any a timeline wants
MODEL_WEIGHTS = "model.safetensors"
MODEL_META = "model.json"


@dataclass(frozen=True)
class ModelSpec:
    """What a saved model is: enough to rebuild it, feed it, and name its answers."""

    model: str  # architecture, a name in models.MODELS
    hidden_size: int  # LSTM units
    task: str  # "walking" or "activity" (data.TASKS)
    classes: tuple[str, ...]  # name of output k
    # input channels in order: signal.CHANNELS (9), + tilt (12, calibrated), or FRAME_CHANNELS
    # (13: + the upright reference and the placement; any orientation, models.UprightFrame)
    channels: tuple[str, ...]
    backend: str = "torch"  # LSTM implementation it trained with: "torch" or "ours"
    # A calibrated model's stand-in upright reference (g), for recordings that barely move;
    # None = not calibrated (signal.calibration).
    upright_default: tuple[float, float, float] | None = None
    # Novelty (models.Classifier.proba_and_novelty) above which a window is UNKNOWN: the
    # 99th percentile over the validation subjects' windows; None = no novelty detector.
    novelty_threshold: float | None = None
    window: int = WINDOW  # samples per window
    step: int = STEP  # hop between windows
    sample_rate_hz: float = SAMPLE_RATE_HZ
    preprocess_version: str = PREPROCESS_VERSION  # signal.filters' recipe it was trained on
    config: dict[str, Any] = field(default_factory=dict)  # the training config, as recorded
    test_accuracy: float | None = None  # on the run's evaluation subjects
    trained_with: str | None = None  # the command that made a packaged model
    seed: int | None = None  # which seed of that command's sweep a packaged model is
    # The smoothing HMM (signal.smoothing.transitions): (K, K) transitions from the training
    # recordings' window labels, and the (K,) class prior; None = no smoothing.
    transitions: tuple[tuple[float, ...], ...] | None = None
    class_prior: tuple[float, ...] | None = None
    # How far the HMM trusts each window (signal.smoothing.log_emissions), in (0, 1]: fitted
    # on the validation subjects' recordings (training.hmm); 1 = plain Viterbi
    emission_weight: float = 1.0
    # The shortest bout (windows, each 1.28 s on) the HMM allows between two others
    # (signal.smoothing.duration_chain), fitted with the weight; 1 = any
    min_bout: int = 1
    # The network's own outputs when it trained on finer classes than it answers (TrainConfig
    # fine_labels): each adds to the class of its name, the others to the one class left.
    trained_classes: tuple[str, ...] | None = None
    # How far, in log-odds, the recording's own sitting and standing clusters may move a
    # window's sit/stand odds before smoothing (signal.posture); None = not read
    posture_odds: float | None = None

    @property
    def calibrated(self) -> bool:
        return self.upright_default is not None

    @property
    def any_orientation(self) -> bool:
        """Reads the phone in the recording's upright frame (``signal.FRAME_CHANNELS``)."""
        return self.channels == FRAME_CHANNELS

    def upright(self) -> np.ndarray | None:
        """``upright_default`` as a float32 ``(3,)`` array, or None when not calibrated."""
        if self.upright_default is None:
            return None
        return np.asarray(self.upright_default, dtype=np.float32)

    def hmm(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(transitions (K, K), prior (K,))`` for smoothing, or None when the model has none."""
        if self.transitions is None or self.class_prior is None:
            return None
        return np.asarray(self.transitions), np.asarray(self.class_prior)

    @property
    def n_outputs(self) -> int:
        """Classes the network itself scores: ``trained_classes``, else ``classes``."""
        return len(self.trained_classes or self.classes)

    def merge_index(self) -> tuple[int, ...] | None:
        """For each trained class, the index of the class it counts towards (None: as is)."""
        if self.trained_classes is None:
            return None
        rest = [k for k, c in enumerate(self.classes) if c not in self.trained_classes]
        return tuple(self.classes.index(c) if c in self.classes else rest[0]
                     for c in self.trained_classes)  # fmt: skip

    def replace(self, **changes: Any) -> ModelSpec:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["classes"], out["channels"] = list(self.classes), list(self.channels)
        if self.trained_classes is not None:
            out["trained_classes"] = list(self.trained_classes)
        if self.transitions is not None:
            out["transitions"] = [list(row) for row in self.transitions]
        if self.class_prior is not None:
            out["class_prior"] = list(self.class_prior)
        if self.upright_default is not None:
            out["upright_default"] = list(self.upright_default)
        return {k: v for k, v in out.items() if v is not None or k == "upright_default"}

    @classmethod
    def from_json(cls, values: Any, where: Path) -> ModelSpec:
        """A ``ModelSpec`` from ``model.json``'s object; any bad field is a CheckpointError."""
        if not isinstance(values, dict):
            raise CheckpointError(f"{where}: expected a JSON object")
        kinds: dict[str, type | tuple[type, ...]] = {
                 "model": str, "hidden_size": int, "task": str, "backend": str, "window": int,
                 "step": int, "sample_rate_hz": (int, float), "preprocess_version": str,
                 "config": dict, "test_accuracy": (int, float), "trained_with": str,
                 "seed": int, "novelty_threshold": (int, float), "min_bout": int,
                 "emission_weight": (int, float), "posture_odds": (int, float)}  # fmt: skip
        known = {f.name for f in dataclasses.fields(cls)}
        fields = {k: v for k, v in values.items() if k in known}
        for name in ("model", "hidden_size", "task", "classes", "channels"):
            if fields.get(name) is None:
                raise CheckpointError(f"{where}: missing field {name!r}")
        for name, kind in kinds.items():
            value = fields.get(name)
            if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                raise CheckpointError(f"{where}: field {name!r} has the wrong type: {value!r}")
        for name in ("classes", "channels", "trained_classes"):
            value = fields.get(name)
            if value is None:  # only trained_classes may be missing (checked above)
                continue
            if not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
                raise CheckpointError(f"{where}: field {name!r} must be a list of names")
            fields[name] = tuple(value)
        trained = fields.get("trained_classes")
        if trained is not None:
            rest = [c for c in fields["classes"] if c not in trained]
            if len(rest) != 1 or len(set(trained)) != len(trained):
                raise CheckpointError(f"{where}: trained_classes must name all but one of "
                                      f"classes once each, got {list(trained)}")  # fmt: skip
        upright = fields.get("upright_default")
        if upright is not None:
            ok = isinstance(upright, list) and len(upright) == 3
            if not ok or not all(isinstance(v, (int, float)) and np.isfinite(v) for v in upright):
                raise CheckpointError(f"{where}: upright_default must be 3 numbers or null")
            fields["upright_default"] = tuple(float(v) for v in upright)
        if fields["channels"] == FRAME_CHANNELS and upright is None:
            raise CheckpointError(f"{where}: an any-orientation model needs upright_default")
        k = len(fields["classes"])
        for name, shape in (("transitions", (k, k)), ("class_prior", (k,))):
            value = fields.get(name)
            if value is None:
                continue
            try:
                array = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                array = np.empty(0)
            if array.shape != shape or not (np.isfinite(array).all() and (array > 0).all()):
                raise CheckpointError(f"{where}: {name} must be {shape} positive numbers")
            fields[name] = tuple(map(tuple, array)) if len(shape) == 2 else tuple(array)
        weight = fields.pop("emission_weight", None)
        if weight is not None:
            if not 0 < weight <= 1:
                raise CheckpointError(f"{where}: emission_weight must be in (0, 1], got {weight}")
            fields["emission_weight"] = float(weight)
        if fields.get("min_bout") is None:
            fields.pop("min_bout", None)  # older models: any bout length
        elif not 1 <= fields["min_bout"] <= MAX_MIN_BOUT:
            raise CheckpointError(f"{where}: min_bout must be in 1..{MAX_MIN_BOUT}, "
                                  f"got {fields['min_bout']}")  # fmt: skip
        odds = fields.get("posture_odds")
        if odds is not None:
            if not (math.isfinite(odds) and odds > 0):
                raise CheckpointError(f"{where}: posture_odds must be a positive number")
            if not {"SITTING", "STANDING"} <= set(fields["classes"]):
                raise CheckpointError(f"{where}: posture_odds needs classes SITTING and STANDING")
            fields["posture_odds"] = float(odds)
        threshold = fields.get("novelty_threshold")
        if threshold is not None and not (math.isfinite(threshold) and threshold > 0):
            raise CheckpointError(f"{where}: novelty_threshold must be a positive number")
        if not 1 <= fields["hidden_size"] <= MAX_HIDDEN:
            raise CheckpointError(f"{where}: hidden_size must be in 1..{MAX_HIDDEN}")
        return cls(**fields)


def save_model_files(directory: Path, state: dict[str, torch.Tensor], spec: ModelSpec) -> None:
    """``model.safetensors`` then ``model.json`` (which records the weights' hash)."""
    import safetensors.torch

    tensors = {k: v.detach().contiguous() for k, v in state.items()}
    blob = safetensors.torch.save(tensors)
    atomic_write(directory / MODEL_WEIGHTS, blob)
    meta = {"format_version": FORMAT_VERSION, **spec.to_json(), "versions": versions(),
            "weights_sha256": hashlib.sha256(blob).hexdigest()}  # fmt: skip
    write_json(directory / MODEL_META, meta)


def load_model_files(directory: Path) -> tuple[ModelSpec, dict[str, torch.Tensor]]:
    """``(spec, state_dict)`` from a checkpoint directory, checked against each other."""
    import safetensors.torch

    if not directory.is_dir():
        raise CheckpointError(f"{directory}: not a directory (expected a run directory)")
    spec = read_spec(directory)
    meta = read_json(directory / MODEL_META)
    try:
        blob = (directory / MODEL_WEIGHTS).read_bytes()
    except FileNotFoundError:
        raise CheckpointError(f"{directory / MODEL_WEIGHTS}: file not found") from None
    if hashlib.sha256(blob).hexdigest() != meta.get("weights_sha256"):
        raise CheckpointError(
            f"{directory / MODEL_WEIGHTS}: does not match {MODEL_META} (torn or edited checkpoint)"
        )
    try:
        state = safetensors.torch.load(blob)
    except Exception as e:  # safetensors raises its own error types
        raise CheckpointError(f"{directory / MODEL_WEIGHTS}: unreadable ({e})") from None
    return spec, state


def weights_sha256(directory: Path) -> str | None:
    """The SHA-256 that ``directory/model.json`` records of the weights beside it."""
    meta = read_json(directory / MODEL_META)
    value = meta.get("weights_sha256") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def read_spec(directory: Path) -> ModelSpec:
    """The ``ModelSpec`` in ``directory/model.json`` alone (the ONNX engine needs no weights)."""
    path = directory / MODEL_META
    meta = read_json(path)
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: not an lstm-har model (format_version "
            f"{meta.get('format_version') if isinstance(meta, dict) else None!r})"
        )
    return ModelSpec.from_json(meta, path)


def versions() -> dict[str, str]:
    import torch

    return {"lstm_har": __version__, "torch": torch.__version__}
