"""lstm-har: human activity recognition from phone motion sensors with LSTMs.

The public API is re-exported here and imported on first use (PEP 562), so that the CLI's
start-up does not pay for scikit-learn, matplotlib or onnx when a command needs none of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "ACTIVITIES": "data", "TaskData": "data", "Windows": "data", "load_uci_har": "data",
    "subject_split": "data",
    "CheckpointError": "errors", "DataError": "errors", "LstmHarError": "errors",
    "LSTMClassifier": "estimator",
    "Classifier": "models", "ConvBiLSTM": "models", "SimpleLSTM": "models",
    "build_model": "models",
    "LSTM": "nn", "LSTMCell": "nn",
    "Predictions": "predict", "Recognizer": "predict", "predict_samples": "predict",
    "Recording": "recording", "read_recording": "recording",
    "evaluate_run": "runs", "load_run": "runs", "train_run": "runs",
    "TrainConfig": "train", "fit": "train",
}  # fmt: skip

__all__ = [
    "ACTIVITIES",
    "CheckpointError",
    "Classifier",
    "ConvBiLSTM",
    "DataError",
    "LSTM",
    "LSTMCell",
    "LSTMClassifier",
    "LstmHarError",
    "Predictions",
    "Recognizer",
    "Recording",
    "SimpleLSTM",
    "TaskData",
    "TrainConfig",
    "Windows",
    "build_model",
    "evaluate_run",
    "fit",
    "load_run",
    "load_uci_har",
    "predict_samples",
    "read_recording",
    "subject_split",
    "train_run",
]

if TYPE_CHECKING:
    from .data import ACTIVITIES, TaskData, Windows, load_uci_har, subject_split
    from .errors import CheckpointError, DataError, LstmHarError
    from .estimator import LSTMClassifier
    from .models import Classifier, ConvBiLSTM, SimpleLSTM, build_model
    from .nn import LSTM, LSTMCell
    from .predict import Predictions, Recognizer, predict_samples
    from .recording import Recording, read_recording
    from .runs import evaluate_run, load_run, train_run
    from .train import TrainConfig, fit


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lstm_har' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
