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
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"{path}: training state of an unknown format")
    _check(meta, tensors, path)
    return meta, tensors


def _check(meta: dict[str, Any], tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Every field ``restore_train_state`` and the loop read, of the type they expect."""
    info, optim = meta.get("info"), meta.get("optimizer")
    kinds = {"history": list, "best_epoch": int, "stopped_early": bool, "next_epoch": int,
             "bad_epochs": int}  # fmt: skip
    problems = [] if isinstance(info, dict) else ["no 'info'"]
    if isinstance(info, dict):
        problems += [f"info.{k}" for k, kind in kinds.items() if not isinstance(info.get(k), kind)]
        history = info.get("history")
        if isinstance(history, list) and not all(isinstance(r, dict) for r in history):
            problems.append("info.history")
    if not (isinstance(optim, dict) and isinstance(optim.get("param_groups"), list)
            and isinstance(optim.get("scalars"), dict)):  # fmt: skip
        problems.append("optimizer")
    if not isinstance(tensors.get("rng.torch"), torch.Tensor):
        problems.append("rng.torch")
    if problems:
        raise CheckpointError(f"{path}: training state missing or malformed: "
                              f"{', '.join(problems)}; delete it to start again")  # fmt: skip


def restore_train_state(
    meta: dict[str, Any],
    tensors: dict[str, torch.Tensor],
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
) -> dict[str, torch.Tensor]:
    """Load model, optimizer and RNG in place; return the best weights so far.

    A state that does not fit the model (a run whose config.json was edited) is a
    ``CheckpointError`` in one line.
    """
    best = {k[5:]: v for k, v in tensors.items() if k.startswith("best.")}
    try:
        model.load_state_dict(best)  # the best weights must fit too; then replaced by the last
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        optimizer.load_state_dict(_unflatten_optimizer(tensors, meta["optimizer"]))
        torch.set_rng_state(tensors["rng.torch"])
    except (RuntimeError, KeyError, ValueError, TypeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(
            f"training state does not fit this run's config ({first[:200]}); "
            "was config.json edited? delete train_state.safetensors to start again"
        ) from None
    return best
