"""Inference: reading a person's recording (``recording``), the one way to load and apply a
model (``predictor.Predictor``) and its streaming form (``Recognizer``), what it answers
(``predictions``: ``Predictions``, the smoothed timeline), export to ONNX or
TorchScript (``export``), and the timeline figure (``timeline``). Never imports training."""

from .predictions import Calibration, Predictions
from .predictor import PRETRAINED, Predictor, Recognizer, pretrained_dir, resolve_model
from .recording import Recording, read_recording

__all__ = [
    "PRETRAINED",
    "Calibration",
    "Predictions",
    "Predictor",
    "Recognizer",
    "Recording",
    "pretrained_dir",
    "read_recording",
    "resolve_model",
]
