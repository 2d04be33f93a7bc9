"""The one training loop, shared by the CLI, the estimator and distributed training.

``fit`` knows nothing about the model: it needs a module whose output ``loss_function`` and
``loss_target`` understand (see ``models``), tensors, and a ``TrainConfig``. Under
``torch.distributed`` it wraps the module in DistributedDataParallel, shards batches with a
DistributedSampler and only rank 0 writes; without it, it is the same code with one replica.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DistributedSampler

from . import checkpoint
from .augment import random_body_scale, random_rotation
from .evaluate import metrics, predict_proba
from .models import Classifier, loss_function, loss_target


@dataclass
class TrainConfig:
    """Everything that defines a run. Defaults reproduce the study (SimpleLSTM, BCE, Adam)."""

    task: str = "walking"  # "walking": WALKING vs the 5 other activities (the study); "activity": 6
    model: str = "simple"  # a name in models.MODELS; "simple" is the study's SimpleLSTM
    backend: str = "torch"  # LSTM implementation: "torch" (oneDNN kernel) or "ours" (lstm_har.nn)
    hidden_size: int = 64  # LSTM units; the study does not say, 64 is the common choice
    forget_bias: float = 1.0  # added to every LSTM forget-gate bias at init, so a fresh LSTM
    # hears the whole 128-step window (Jozefowicz et al. 2015); 0 = PyTorch's plain init
    epochs: int = 30  # upper bound; early stopping on validation usually ends sooner
    batch_size: int = 64  # global batch (split across processes under torchrun)
    lr: float = 1e-3  # Adam's learning rate, the study's optimizer
    weight_decay: float = 0.0  # Adam's L2 penalty
    lr_schedule: str = "cosine"  # "cosine" (lr -> 0 over `epochs`) or "constant"
    grad_clip: float = 1.0  # max global gradient norm, 0 = off; early LSTM steps can spike
    calibrate: bool = False  # per-recording orientation calibration (see calibration.py):
    # 3 tilt channels against the recording's upright pose, y mirrored where worn reversed
    augment_rotation: float = 0.0  # degrees of random sensor rotation per training window; 0 = off
    augment_scale: float = 0.0  # +- fraction of random body-motion scaling per window; 0 = off
    patience: int = 0  # stop after this many epochs without a better validation score;
    # 0 = run every epoch of the schedule (the best validation epoch is kept either way)
    val_subjects: int = 4  # training subjects held out whole for validation (never test ones)
    val_seed: int = 0  # which training subjects validate; fixed so `seed` varies only the model
    seed: int = 0  # model init, batch order, dropout
    cv_folds: int = 0  # > 0: leave-subjects-out cross-validation over the training subjects,
    cv_fold: int = 0  # evaluating on fold `cv_fold` of `cv_folds` instead of the test subjects
    data: str | None = None  # None = packaged offline HAPT; else a UCI HAR folder/zip or RawData/

    def __post_init__(self) -> None:
        from .data import TASKS
        from .models import BACKENDS, MODELS

        checks = [
            (self.task in TASKS, f"task must be one of {', '.join(TASKS)}"),
            (self.model in MODELS, f"model must be one of {', '.join(MODELS)}"),
            (self.backend in BACKENDS, f"backend must be one of {', '.join(BACKENDS)}"),
            (self.lr_schedule in ("cosine", "constant"), "lr_schedule must be cosine or constant"),
            (isinstance(self.calibrate, bool), "calibrate must be true or false"),
            (self.hidden_size >= 1, "hidden_size must be >= 1"),
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.lr > 0, "lr must be > 0"),
            (self.grad_clip >= 0 and self.patience >= 0, "grad_clip, patience must be >= 0"),
            (0 <= self.augment_rotation <= 180, "augment_rotation must be in [0, 180] degrees"),
            (0 <= self.augment_scale < 1, "augment_scale must be in [0, 1)"),
            (self.val_subjects >= 1, "val_subjects must be >= 1"),
            (
                self.cv_folds >= 0 and (self.cv_folds == 0 or 0 <= self.cv_fold < self.cv_folds),
                "cv_fold must be in 0..cv_folds-1",
            ),  # fmt: skip
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"TrainConfig: {message}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"TrainConfig: unknown field(s) {', '.join(unknown)}")
        return cls(**values)


@dataclass
class FitResult:
    history: list[dict[str, Any]] = field(default_factory=list)  # one record per epoch
    best_epoch: int = 0
    stopped_early: bool = False


Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def world() -> tuple[int, int]:
    """``(rank, world_size)`` under torch.distributed, else ``(0, 1)``."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def barrier() -> None:
    if world()[1] > 1:
        dist.barrier()


def learning_rate(cfg: TrainConfig, epoch: int) -> float:
    """Per-epoch rate: a pure function of the epoch, so a resumed run needs no scheduler state."""
    if cfg.lr_schedule == "constant":
        return cfg.lr
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * epoch / cfg.epochs))


def _score(record: dict[str, Any]) -> tuple[float, float]:
    # Balanced accuracy first (what we report), validation loss to break the frequent ties.
    return (record["val_balanced_accuracy"], -record["val_loss"])


def fit(
    model: Classifier,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor, tuple[str, ...]] | None,
    cfg: TrainConfig,
    n_classes: int,
    *,
    state_path: Path | None = None,
    progress: Progress | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> FitResult:
    """Train ``model`` in place with Adam and leave it holding the best validation weights.

    ``train`` is ``(X, y)``; ``val`` is ``(X, y, classes)`` or None (then the last epoch is
    kept). With ``state_path`` the full training state is written there after every epoch,
    and an existing file there is resumed from: the result is the same as an uninterrupted run.
    """
    rank, n_proc = world()
    if cfg.batch_size % n_proc:
        raise ValueError(f"fit: batch_size {cfg.batch_size} is not divisible by {n_proc} processes")
    X, y = train
    target = loss_target(y, n_classes, X.dtype)  # float64 data trains a float64 model
    loss_fn = loss_function(n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    net: nn.Module = model
    if n_proc > 1:
        net = nn.parallel.DistributedDataParallel(model)
    # One sampler for both cases: with one replica it is a seeded shuffle per epoch.
    sampler: DistributedSampler[int] = DistributedSampler(
        range(len(X)),  # type: ignore[arg-type]  # only len() is used
        num_replicas=n_proc,
        rank=rank,
        seed=cfg.seed,
    )
    result, best, start = FitResult(), copy.deepcopy(model.state_dict()), 0
    bad_epochs = 0
    if state_path is not None and state_path.is_file():
        meta, tensors = checkpoint.load_train_state(state_path)
        best = checkpoint.restore_train_state(meta, tensors, model, optimizer)
        info = meta["info"]
        result = FitResult(info["history"], info["best_epoch"], info["stopped_early"])
        start, bad_epochs = info["next_epoch"], info["bad_epochs"]
        if result.stopped_early:
            start = cfg.epochs
    for epoch in range(start, cfg.epochs):
        began = time.perf_counter()
        lr = learning_rate(cfg, epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        sampler.set_epoch(epoch)
        order = torch.tensor(list(sampler))
        per_rank = cfg.batch_size // n_proc
        batches: Iterable[Any] = order.split(per_rank)
        if progress is not None and rank == 0:
            batches = progress(batches, f"epoch {epoch + 1}/{cfg.epochs}")
        net.train()
        total = torch.zeros(2, dtype=torch.float64)  # (loss sum, windows)
        # Seeded by (seed, epoch, rank): a resumed run draws the same rotations.
        augment_rng = torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch * 1009 + rank)
        for idx in batches:
            optimizer.zero_grad(set_to_none=True)
            xb = X[idx]
            if cfg.augment_rotation:
                xb = random_rotation(xb, cfg.augment_rotation, augment_rng)
            if cfg.augment_scale:
                xb = random_body_scale(xb, cfg.augment_scale, augment_rng)
            loss = loss_fn(net(xb), target[idx])
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            total += torch.tensor([loss.item() * len(idx), len(idx)], dtype=torch.float64)
            if hasattr(batches, "set_postfix"):
                batches.set_postfix(loss=f"{total[0].item() / total[1].item():.4f}", refresh=False)
        if n_proc > 1:
            dist.all_reduce(total)  # loss summed over every process's windows
        record: dict[str, Any] = {
            "epoch": epoch + 1,
            "lr": lr,
            "train_loss": total[0].item() / max(total[1].item(), 1),
        }
        if val is not None:
            m = metrics(val[1].numpy(), predict_proba(model, val[0]), val[2])
            record |= {
                "val_loss": m["log_loss"],
                "val_accuracy": m["accuracy"],
                "val_balanced_accuracy": m["balanced_accuracy"],
            }
        record["seconds"] = time.perf_counter() - began
        improved = (
            not result.history
            or val is None
            or _score(record) > _score(result.history[result.best_epoch - 1])
        )
        result.history.append(record)
        if improved:
            best, result.best_epoch, bad_epochs = copy.deepcopy(model.state_dict()), epoch + 1, 0
        else:
            bad_epochs += 1
        result.stopped_early = bool(cfg.patience and bad_epochs >= cfg.patience)
        if state_path is not None and rank == 0:
            info = {
                "history": result.history,
                "best_epoch": result.best_epoch,
                "stopped_early": result.stopped_early,
                "next_epoch": epoch + 1,
                "bad_epochs": bad_epochs,
            }
            checkpoint.save_train_state(state_path, model, best, optimizer, info)
        if on_epoch is not None and rank == 0:
            on_epoch(record)
        if result.stopped_early:
            break
    model.load_state_dict(best)
    return result
