"""Sweeps: one run directory per seed or cross-validation fold, then mean ± std.

``OUT/sweep.json`` records the base config and the members, so ``--resume OUT`` continues
a sweep: finished members are reused (their ``metrics.json``), begun ones resumed, the rest
trained. ``OUT/summary.json`` holds the mean, sample std, min and max of each test metric.
"""

from __future__ import annotations

import logging
import os
import statistics
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import torch

from .._files import read_json, write_json
from ..config import TrainConfig
from ..errors import ConfigError, LstmHarError
from .distributed import barrier, is_main
from .loop import Listener
from .runs import CONFIG, METRICS, split_task, train_run

log = logging.getLogger(__name__)

SWEEP_FILE = "sweep.json"
SUMMARY = "summary.json"
SUMMARY_KEYS = ("accuracy", "balanced_accuracy", "macro_f1")


@dataclass(frozen=True)
class Sweep:
    """A base config and its members: ``(name, field overrides)`` each."""

    config: TrainConfig
    members: tuple[tuple[str, dict[str, Any]], ...]

    @classmethod
    def over_seeds(cls, cfg: TrainConfig, seeds: Sequence[int]) -> Sweep:
        if not seeds or len(set(seeds)) != len(seeds):
            raise ConfigError(f"seeds: expected distinct integers, got {list(seeds)}")
        return cls(cfg, tuple((f"seed_{s}", {"seed": s}) for s in seeds))

    @classmethod
    def over_folds(cls, cfg: TrainConfig, folds: int) -> Sweep:
        if folds < 2:
            raise ConfigError(f"cv: expected at least 2 folds, got {folds}")
        return cls(cfg, tuple((f"fold_{k}", {"cv_folds": folds, "cv_fold": k})
                              for k in range(folds)))  # fmt: skip

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.members]

    def save(self, out: Path) -> None:
        """Check every member's config, data and split, then write ``out/sweep.json``: a
        sweep that fails on its input leaves nothing behind to block the corrected command."""
        if (out / SWEEP_FILE).exists():
            raise LstmHarError(f"{out} already holds a sweep; continue it with --resume {out}")
        checked: set[str] = set()
        for _, overrides in self.members:
            cfg = self.config.replace(**overrides)
            split = str(cfg.replace(seed=0))  # seeds share one split: check each split once
            if split not in checked:
                checked.add(split)
                split_task(cfg)
        barrier()  # every process has looked before rank 0 writes
        if is_main():
            plan = {"config": self.config.to_dict(), "members": [list(m) for m in self.members]}
            write_json(out / SWEEP_FILE, plan)

    @classmethod
    def load(cls, out: Path) -> Sweep:
        plan = read_json(out / SWEEP_FILE)
        try:
            config = plan["config"]
            members = tuple((str(name), dict(overrides)) for name, overrides in plan["members"])
        except (KeyError, TypeError, ValueError) as e:
            raise LstmHarError(f"{out / SWEEP_FILE}: not a sweep plan ({e})") from None
        return cls(TrainConfig.from_dict(config, str(out / SWEEP_FILE)), members)


def is_sweep(out: Path) -> bool:
    return (out / SWEEP_FILE).is_file() and not (out / CONFIG).is_file()


def run_sweep(
    out: Path, sweep: Sweep, *, listener: Listener | None = None, jobs: int = 1
) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    """Every member in ``out/NAME``; returns the reports and the summary (None off rank 0).

    With ``jobs > 1`` the members run side by side in processes that share out the cores.
    """
    base = sweep.config.to_dict()
    if jobs > 1:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        log.info("%d runs over %d processes, %d thread(s) each", len(sweep.members), jobs, threads)
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_member, out, base, name, overrides, threads)
                       for name, overrides in sweep.members]  # fmt: skip
            reports = [f.result() for f in futures]
    else:
        reports = []
        for name, overrides in sweep.members:
            log.info("%s -> %s", name, out / name)
            reports.append(_member(out, base, name, overrides, listener=listener))
    if not is_main():
        return None
    finished = [r for r in reports if r is not None]
    summary = summarise(finished, sweep.names)
    write_json(out / SUMMARY, summary)
    return finished, summary


def _member(
    out: Path, base: dict[str, Any], name: str, overrides: dict[str, Any],
    threads: int | None = None, listener: Listener | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """One member: reused if finished, resumed if begun. ``threads`` caps torch's threads,
    for runs side by side."""
    if threads is not None:
        torch.set_num_threads(threads)
    run = out / name
    if (run / METRICS).is_file():
        report: dict[str, Any] = read_json(run / METRICS)
        return report
    resume = (run / CONFIG).is_file()
    cfg = None if resume else TrainConfig.from_dict(base | overrides)
    return train_run(cfg, run, resume=resume, listener=listener)


def summarise(reports: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """Mean and sample standard deviation over a sweep's runs of the evaluation metrics."""
    out: dict[str, Any] = {
        "runs": list(names),
        "n": len(reports),
        "seeds": [r["seed"] for r in reports],
        "evaluated_on": sorted({r["evaluated_on"] for r in reports}),
    }
    splits = ["test", "validation"] + (["test_motionsense"] if reports and all(
        "test_motionsense" in r for r in reports) else [])  # fmt: skip
    for split in splits:
        for key in SUMMARY_KEYS:
            values = [r[split][key] for r in reports]
            out[f"{split}_{key}"] = {
                "mean": statistics.fmean(values),
                "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                "min": min(values),
                "max": max(values),
                "values": values,
            }
    out["train_seconds_mean"] = statistics.fmean(r["train_seconds"] for r in reports)
    return out
