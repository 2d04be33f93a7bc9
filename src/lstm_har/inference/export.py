"""Export a trained classifier to ONNX (and TorchScript); ``onnx_engine`` runs the file.

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
from pathlib import Path

import torch
from torch import Tensor, nn

from .._files import atomic_write
from ..models import Classifier
from ..signal.filters import WINDOW
from .onnx_engine import ONNX_FILE

FORMATS = ("onnx", "torchscript")
TORCHSCRIPT_FILE = "model.torchscript.pt"
OPSET = 17


class _Proba(nn.Module):
    def __init__(self, model: Classifier) -> None:
        super().__init__()
        self.model = model

    def forward(self, windows: Tensor) -> tuple[Tensor, Tensor]:
        return self.model.proba_and_novelty(windows)


def export(
    model: Classifier, out: Path, fmt: str = "onnx", weights_sha256: str | None = None
) -> Path:
    """Write ``model`` (torch backend, eval mode) as ``fmt`` into directory ``out``.

    Args:
        model: e.g. ``Classifier.load(run_dir, backend="torch")``.
        out: directory; the file is ``model.onnx`` or ``model.torchscript.pt`` in it.
        fmt: ``"onnx"`` (class names and input channels in its metadata) or ``"torchscript"``.
        weights_sha256: the hash ``model.json`` records of the weights the model was loaded
            from (``checkpoint.weights_sha256``), kept in the ONNX metadata so that the
            engine can tell a file exported before the run was retrained.
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
                **({"weights_sha256": weights_sha256} if weights_sha256 else {}),
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
