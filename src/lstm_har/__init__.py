"""lstm-har: human activity recognition from phone motion sensors with LSTMs.

Layers point down only: ``signal`` -> ``data`` -> ``nn`` -> ``models`` -> ``training`` /
``inference`` -> ``cli`` (README "Development" draws them). The public API is re-exported
here and imported on first use (PEP 562), so the CLI's start-up does not pay for
scikit-learn, matplotlib or onnx when a command needs none of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

_EXPORTS = {
    "TrainConfig": "config",
    "ModelSpec": "checkpoint",
    "ACTIVITIES": "data", "Windows": "data", "load_uci_har": "data", "subject_split": "data",
    "CheckpointError": "errors", "ConfigError": "errors", "DataError": "errors",
    "LstmHarError": "errors",
    "Predictions": "inference", "Predictor": "inference", "Recognizer": "inference",
    "Recording": "inference", "read_recording": "inference",
    "Classifier": "models", "ConvBiLSTM": "models", "SimpleLSTM": "models",
    "build_model": "models",
    "LSTM": "nn", "LSTMCell": "nn",
    "LSTMClassifier": "sklearn",
    "evaluate_run": "training", "fit": "training", "train_run": "training",
}  # fmt: skip

__all__ = [
    "ACTIVITIES",
    "CheckpointError",
    "Classifier",
    "ConfigError",
    "ConvBiLSTM",
    "DataError",
    "LSTM",
    "LSTMCell",
    "LSTMClassifier",
    "LstmHarError",
    "ModelSpec",
    "Predictions",
    "Predictor",
    "Recognizer",
    "Recording",
    "SimpleLSTM",
    "TrainConfig",
    "Windows",
    "__version__",
    "build_model",
    "evaluate_run",
    "fit",
    "load_uci_har",
    "read_recording",
    "subject_split",
    "train_run",
]

if TYPE_CHECKING:
    from .checkpoint import ModelSpec
    from .config import TrainConfig
    from .data import ACTIVITIES, Windows, load_uci_har, subject_split
    from .errors import CheckpointError, ConfigError, DataError, LstmHarError
    from .inference import Predictions, Predictor, Recognizer, Recording, read_recording
    from .models import Classifier, ConvBiLSTM, SimpleLSTM, build_model
    from .nn import LSTM, LSTMCell
    from .sklearn import LSTMClassifier
    from .training import evaluate_run, fit, train_run


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lstm_har' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
