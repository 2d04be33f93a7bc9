"""Files on disk: model checkpoints (safetensors + JSON) and training state, written atomically.

Nothing here pickles. A model checkpoint is ``model.safetensors`` (weights and normaliser
buffers) beside ``model.json`` (what to build, the task, label names, versions, and the
weights' SHA-256, so a torn pair is caught). The training state for ``--resume`` is a single
safetensors file whose metadata carries the JSON part, so it is replaced atomically as one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import safetensors
import safetensors.torch
import torch
from torch import nn

from .atomic import atomic_write
from .errors import CheckpointError

FORMAT_VERSION = 1
MODEL_WEIGHTS = "model.safetensors"
MODEL_META = "model.json"
TRAIN_STATE = "train_state.safetensors"


def write_json(path: Path, obj: Any) -> None:
    atomic_write(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode())


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{path}: file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: not valid JSON ({e})") from None


def versions() -> dict[str, str]:
    from . import __version__

    return {"lstm_har": __version__, "torch": torch.__version__}


# --------------------------------------------------------------------------- model checkpoint


def save_model(directory: Path, model: nn.Module, meta: dict[str, Any]) -> None:
    """``model.safetensors`` then ``model.json`` (which records the weights' hash)."""
    directory = Path(directory)
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    blob = safetensors.torch.save(tensors)
    atomic_write(directory / MODEL_WEIGHTS, blob)
    full = {
        "format_version": FORMAT_VERSION,
        **meta,
        "versions": versions(),
        "weights_sha256": hashlib.sha256(blob).hexdigest(),
    }
    write_json(directory / MODEL_META, full)


def load_model_files(directory: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """``(meta, state_dict)`` from a checkpoint directory, checked against each other."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: not a directory (expected a run directory)")
    meta = read_json(directory / MODEL_META)
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{directory / MODEL_META}: not an lstm-har model (format_version "
            f"{meta.get('format_version') if isinstance(meta, dict) else None!r})"
        )
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
    return meta, state


def load_state_strict(model: nn.Module, state: dict[str, torch.Tensor], where: Path) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).splitlines()[0]
        raise CheckpointError(f"{where}: weights do not fit the model ({first})") from None


# --------------------------------------------------------------------------- training state


def _flatten_optimizer(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], Any]:
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, slots in sd["state"].items():
        for name, value in slots.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{idx}.{name}"] = value.detach().clone().contiguous()
            else:
                scalars[f"{idx}.{name}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: Any) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    for key, value in meta["scalars"].items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    groups = meta["param_groups"]
    for g in groups:  # JSON turned tuples into lists
        if "betas" in g:
            g["betas"] = tuple(g["betas"])
    return {"state": state, "param_groups": groups}


def save_train_state(
    path: Path,
    model: nn.Module,
    best_model: dict[str, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    info: dict[str, Any],
) -> None:
    """Everything ``--resume`` needs, in one atomically replaced file."""
    tensors = {f"model.{k}": v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    tensors |= {f"best.{k}": v.contiguous() for k, v in best_model.items()}
    optim_tensors, optim_meta = _flatten_optimizer(optimizer)
    tensors |= optim_tensors
    tensors["rng.torch"] = torch.get_rng_state()
    meta = {"format_version": FORMAT_VERSION, "info": info, "optimizer": optim_meta}
    atomic_write(path, safetensors.torch.save(tensors, metadata={"json": json.dumps(meta)}))


def load_train_state(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """``(meta, tensors)`` of a training state file (see ``save_train_state``)."""
    try:
        with safetensors.safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
        meta = json.loads(header["json"])
    except FileNotFoundError:
        raise CheckpointError(f"{path}: file not found (nothing to resume)") from None
    except Exception as e:  # safetensors raises its own error types
        raise CheckpointError(f"{path}: unreadable training state ({e})") from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: training state of an unknown format")
    return meta, tensors


def restore_train_state(
    meta: dict[str, Any],
    tensors: dict[str, torch.Tensor],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
) -> dict[str, torch.Tensor]:
    """Load model, optimizer and RNG in place; return the best weights so far."""
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    optimizer.load_state_dict(_unflatten_optimizer(tensors, meta["optimizer"]))
    torch.set_rng_state(tensors["rng.torch"])
    return {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
