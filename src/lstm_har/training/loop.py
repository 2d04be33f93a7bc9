"""The one training loop, shared by the CLI, the estimator and distributed training.

``fit`` knows nothing about the model, the data set or how it was launched: it needs a
``Classifier`` whose output ``loss_function`` and ``loss_target`` understand, tensors, and a
``TrainConfig``. It reports through events (``EpochStart``, ``BatchEnd``, ``EpochEnd``) to a
listener, which draws progress bars or logs as it likes. Under torch.distributed it wraps the
module in DistributedDataParallel and shards batches with a DistributedSampler; without, it
is the same code with one replica.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DistributedSampler

from ..config import TrainConfig
from ..errors import CheckpointError
from ..models import Classifier, loss_function, loss_target
from . import state
from .augment import flip_placement, random_body_scale, random_rotation
from .distributed import world
from .metrics import metrics


@dataclass
class EpochRecord:
    """One epoch of training; ``val_*`` stay None when there is no validation set."""

    epoch: int  # 1-based
    lr: float
    train_loss: float  # mean over the epoch's windows (all processes)
    val_loss: float | None = None
    val_accuracy: float | None = None
    val_balanced_accuracy: float | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class EpochStart:
    epoch: int  # 1-based
    epochs: int
    batches: int  # this process's batches in the epoch


@dataclass(frozen=True)
class BatchEnd:
    epoch: int
    batch: int  # 1-based
    loss: float  # running mean over the epoch so far


@dataclass(frozen=True)
class EpochEnd:
    record: EpochRecord


Event = EpochStart | BatchEnd | EpochEnd
Listener = Callable[[Event], None]


@dataclass
class FitResult:
    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False


def learning_rate(cfg: TrainConfig, epoch: int) -> float:
    """Per-epoch rate: a pure function of the epoch, so a resumed run needs no scheduler state."""
    if cfg.lr_schedule == "constant":
        return cfg.lr
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * epoch / cfg.epochs))


def _score(r: EpochRecord) -> tuple[float, float]:
    # Balanced accuracy first (what we report), validation loss to break the frequent ties.
    assert r.val_balanced_accuracy is not None and r.val_loss is not None
    return (r.val_balanced_accuracy, -r.val_loss)


def fit(
    model: Classifier,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor] | None,
    cfg: TrainConfig,
    *,
    state_path: Path | None = None,
    listener: Listener | None = None,
) -> FitResult:
    """Train ``model`` in place with Adam and leave it holding the best validation weights.

    Args:
        model: its ``spec.n_outputs`` give the number of classes the loss sees.
        train: ``(X, y)``, ``X`` ``(N, T, C)`` windows in the model's dtype, ``y`` ``(N,)``
            indices of the network's own classes (``spec.trained_classes`` if any).
        val: ``(X, y)`` of held-out subjects, ``y`` indexing ``spec.classes`` (what the
            model answers, what selection scores), or None (then the last epoch is kept).
        state_path: the full training state is written there after every epoch, and an
            existing file there is resumed from: the result equals an uninterrupted run.
        listener: called with each event, on rank 0 only.
    """
    rank, n_proc = world()
    if cfg.batch_size % n_proc:
        raise ValueError(f"fit: batch_size {cfg.batch_size} is not divisible by {n_proc} processes")
    n_classes = model.spec.n_outputs  # what the loss sees: the network's own classes
    X, y = train
    target = loss_target(y, n_classes, X.dtype)  # float64 data trains a float64 model
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    net: nn.Module = nn.parallel.DistributedDataParallel(model) if n_proc > 1 else model
    # One sampler for both cases: with one replica it is a seeded shuffle per epoch.
    sampler: DistributedSampler[int] = DistributedSampler(
        range(len(X)), num_replicas=n_proc, rank=rank, seed=cfg.seed,  # type: ignore[arg-type]
    )  # fmt: skip
    notify = listener if listener is not None and rank == 0 else (lambda event: None)
    result, best, bad_epochs = FitResult(), copy.deepcopy(model.state_dict()), 0
    if state_path is not None and state_path.is_file():
        result, best, bad_epochs = _resume(state_path, model, optimizer)
    start = cfg.epochs if result.stopped_early else len(result.history)
    for epoch in range(start, cfg.epochs):
        began = time.perf_counter()
        lr = learning_rate(cfg, epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        sampler.set_epoch(epoch)
        batches = torch.split(torch.tensor(list(sampler)), cfg.batch_size // n_proc)
        notify(EpochStart(epoch + 1, cfg.epochs, len(batches)))
        net.train()
        total = torch.zeros(2, dtype=torch.float64)  # (loss sum, windows)
        # Seeded by (seed, epoch, rank): a resumed run draws the same augmentations.
        augment_rng = torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch * 1009 + rank)
        for b, idx in enumerate(batches, start=1):
            optimizer.zero_grad(set_to_none=True)
            xb = X[idx]
            if cfg.augment_rotation:
                xb = random_rotation(xb, cfg.augment_rotation, augment_rng)
            if cfg.augment_scale:
                xb = random_body_scale(xb, cfg.augment_scale, augment_rng)
            if cfg.augment_placement:
                xb = flip_placement(xb, cfg.augment_placement, augment_rng)
            loss = loss_function(n_classes)(net(xb), target[idx])
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            total += torch.tensor([loss.item() * len(idx), len(idx)], dtype=torch.float64)
            notify(BatchEnd(epoch + 1, b, total[0].item() / total[1].item()))
        if n_proc > 1:
            dist.all_reduce(total)  # loss summed over every process's windows
        record = EpochRecord(epoch + 1, lr, total[0].item() / max(total[1].item(), 1))
        if val is not None:
            m = metrics(val[1].numpy(), model.predict_proba(val[0]), model.spec.classes)
            record.val_loss, record.val_accuracy = m["log_loss"], m["accuracy"]
            record.val_balanced_accuracy = m["balanced_accuracy"]
        record.seconds = time.perf_counter() - began
        best_so_far = result.history[result.best_epoch - 1] if result.history else None
        result.history.append(record)
        if best_so_far is None or val is None or _score(record) > _score(best_so_far):
            best, result.best_epoch, bad_epochs = copy.deepcopy(model.state_dict()), epoch + 1, 0
        else:
            bad_epochs += 1
        result.stopped_early = bool(cfg.patience and bad_epochs >= cfg.patience)
        if state_path is not None and rank == 0:
            info = {"history": [dataclasses.asdict(r) for r in result.history],
                    "best_epoch": result.best_epoch, "stopped_early": result.stopped_early,
                    "next_epoch": epoch + 1, "bad_epochs": bad_epochs}  # fmt: skip
            state.save_train_state(state_path, model, best, optimizer, info)
        notify(EpochEnd(record))
        if result.stopped_early:
            break
    model.load_state_dict(best)
    return result


def _resume(
    path: Path, model: nn.Module, optimizer: torch.optim.Optimizer
) -> tuple[FitResult, dict[str, Any], int]:
    """Model, optimizer and RNG restored from ``path``; the result so far, best weights and
    epochs without improvement."""
    meta, tensors = state.load_train_state(path)
    best = state.restore_train_state(meta, tensors, model, optimizer)
    info = meta["info"]
    try:
        history = [EpochRecord(**r) for r in info["history"]]
    except TypeError as e:
        raise CheckpointError(f"{path}: malformed epoch history ({e})") from None
    if len(history) != info["next_epoch"] or not 0 <= info["best_epoch"] <= len(history):
        raise CheckpointError(f"{path}: inconsistent epoch counts; delete it to start again")
    return FitResult(history, info["best_epoch"], info["stopped_early"]), best, info["bad_epochs"]
