"""Export a trained classifier to ONNX (and TorchScript) and run it with onnxruntime.

The exported graph maps raw windows ``(B, 128, 9)`` to class probabilities ``(B, K)``: the
normaliser and the probability head are inside it, so a phone or a server needs nothing but
the file. The class names travel in the ONNX metadata (``classes``, JSON), with the input
``channels``; a calibrated model takes ``(B, 128, 12)`` from ``calibration.calibrate``, an
any-orientation one ``(B, 128, 13)`` from ``calibration.frame_inputs``, whose
stand-in reference is ``upright_default`` there.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from .._files import atomic_write
from ..errors import CheckpointError
from ..models import Classifier
from ..signal.filters import WINDOW

FORMATS = ("onnx", "torchscript")
ONNX_FILE = "model.onnx"
TORCHSCRIPT_FILE = "model.torchscript.pt"
OPSET = 17


class _Proba(nn.Module):
    def __init__(self, model: Classifier) -> None:
        super().__init__()
        self.model = model

    def forward(self, windows: Tensor) -> tuple[Tensor, Tensor]:
        return self.model.proba_and_novelty(windows)


def export(model: Classifier, out: Path, fmt: str = "onnx") -> Path:
    """Write ``model`` (torch backend, eval mode) as ``fmt`` into directory ``out``.

    Args:
        model: e.g. ``Classifier.load(run_dir, backend="torch")``.
        out: directory; the file is ``model.onnx`` or ``model.torchscript.pt`` in it.
        fmt: ``"onnx"`` (class names and input channels in its metadata) or ``"torchscript"``.
    Returns:
        The path written (atomically).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    wrapper = _Proba(model.eval())
    example = torch.zeros(1, WINDOW, len(model.spec.channels))  # (B, T, C): 9, 12 or 13
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer chatter about the LSTM's batch_first shapes
        if fmt == "torchscript":
            torch.jit.save(torch.jit.trace(wrapper, example), buf)  # type: ignore[no-untyped-call]
            path = Path(out) / TORCHSCRIPT_FILE
        else:
            torch.onnx.export(
                wrapper,
                (example,),
                buf,  # type: ignore[arg-type]  # file objects are accepted
                input_names=["windows"],
                output_names=["proba", "novelty"],
                dynamic_axes={
                    "windows": {0: "batch"},
                    "proba": {0: "batch"},
                    "novelty": {0: "batch"},
                },  # fmt: skip
                opset_version=OPSET,
                dynamo=False,
            )
            path = Path(out) / ONNX_FILE
    data = buf.getvalue()
    if fmt == "onnx":
        data = _with_metadata(
            data,
            {
                "classes": json.dumps(list(model.spec.classes)),
                "task": model.spec.task,
                "model": model.spec.model,
                "channels": json.dumps(list(model.spec.channels)),
                "upright_default": json.dumps(model.spec.to_json()["upright_default"]),
            },
        )
    atomic_write(path, data)
    return path


def _with_metadata(data: bytes, props: dict[str, str]) -> bytes:
    import onnx

    proto = onnx.load_from_string(data)
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    out: bytes = proto.SerializeToString()
    return out


Scores = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def onnx_proba(path: Path) -> tuple[Callable[[np.ndarray], np.ndarray], tuple[str, ...]]:
    """A probability function ``(N, 128, C) -> (N, K)`` backed by onnxruntime, plus the class
    names stored in the file."""
    scores, classes = onnx_scores(path)
    return (lambda X: scores(X)[0]), classes


def onnx_scores(path: Path) -> tuple[Scores, tuple[str, ...]]:
    """``(N, 128, C) -> (probabilities (N, K), novelty (N,))`` backed by onnxruntime (novelty
    zeros for a file exported before it had one), plus the class names stored in the file."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise CheckpointError("onnxruntime is missing: pip install 'lstm-har[export]'") from None
    if not Path(path).is_file():
        raise CheckpointError(f"{path}: no exported model; run 'lstm-har export RUN_DIR' first")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own error types
        first = str(e).splitlines()[0]
        raise CheckpointError(f"{path}: not a loadable ONNX model ({first})") from None
    try:
        classes = tuple(json.loads(session.get_modelmeta().custom_metadata_map["classes"]))
    except (KeyError, ValueError, TypeError):
        raise CheckpointError(f"{path}: no class names in its metadata (not exported by "
                              "lstm-har export?)") from None  # fmt: skip

    outputs = [o.name for o in session.get_outputs() if o.name in ("proba", "novelty")]

    def scores(X: np.ndarray, batch_size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
        # Bounded batches: onnxruntime's arena keeps the largest batch's buffers for good.
        X = np.ascontiguousarray(X, dtype=np.float32)
        parts = [session.run(outputs, {"windows": X[i : i + batch_size]})
                 for i in range(0, len(X), batch_size)]  # fmt: skip
        if not parts:
            return np.empty((0, len(classes))), np.empty(0)
        proba = np.concatenate([p[0] for p in parts]).astype(np.float64)
        if len(outputs) == 1:
            return proba, np.zeros(len(proba))
        return proba, np.concatenate([p[1] for p in parts]).astype(np.float64)

    return scores, classes
