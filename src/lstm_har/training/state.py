"""The training state that ``--resume`` continues from: one safetensors file, no pickle.

Model, best-so-far weights, optimizer slots and the RNG state are its tensors; the rest
(epoch history, optimizer scalars) is JSON in its metadata, so the file is replaced
atomically as one and a run killed at any moment resumes from the last finished epoch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import safetensors
import safetensors.torch
import torch
from torch import nn

from .._files import atomic_write
from ..errors import CheckpointError

FORMAT_VERSION = 1
TRAIN_STATE = "train_state.safetensors"


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
