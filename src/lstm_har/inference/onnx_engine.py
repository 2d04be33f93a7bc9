"""The onnxruntime engine: an exported ``model.onnx`` (``export.export``) as a score function.

Apart from ``export`` so that labelling a recording with it never imports torch: a fresh
process spends 1.3-3 s on that import alone, a tenth of labelling a day of data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import CheckpointError

ONNX_FILE = "model.onnx"

Scores = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def onnx_proba(path: Path) -> tuple[Callable[[np.ndarray], np.ndarray], tuple[str, ...]]:
    """A probability function ``(N, 128, C) -> (N, K)`` backed by onnxruntime, plus the class
    names stored in the file."""
    scores, classes = onnx_scores(path)
    return (lambda X: scores(X)[0]), classes


def onnx_scores(path: Path, weights_sha256: str | None = None) -> tuple[Scores, tuple[str, ...]]:
    """``(N, 128, C) -> (probabilities (N, K), novelty (N,))`` backed by onnxruntime (novelty
    zeros for a file exported before it had one), plus the class names stored in the file.
    With ``weights_sha256`` (what ``model.json`` records), a file exported from other weights
    is a ``CheckpointError``: its answers would be those of the model before."""
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
    meta = session.get_modelmeta().custom_metadata_map
    made_from = meta.get("weights_sha256")  # absent from files exported before it was kept
    if weights_sha256 and made_from and made_from != weights_sha256:
        raise CheckpointError(f"{path}: exported from other weights than the model.json beside "
                              f"it records (retrained since?); run 'lstm-har export "
                              f"{Path(path).parent}' again, or use --engine torch")  # fmt: skip
    try:
        classes = tuple(json.loads(meta["classes"]))
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
