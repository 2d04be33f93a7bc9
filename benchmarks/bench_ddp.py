"""Data-parallel training throughput: 1 process vs N processes (gloo) on this machine.

    python benchmarks/bench_ddp.py [--nproc 1 2] [--epochs 2] [--dry-run]

Runs the real command, `lstm-har train --nproc N --epochs E --patience 0 -q`, on the default
data and model (global batch 64 in every case), and reports training windows per second
from the run's log.csv (epoch time includes the validation pass). torchrun gives each of the
N processes OMP_NUM_THREADS=1; the single process uses all cores itself.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from lstm_har.config import TrainConfig
from lstm_har.data import load_uci_har, subject_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--dry-run", action="store_true", help="1 epoch of hidden 8, for CI")
    args = parser.parse_args()
    epochs = 1 if args.dry_run else args.epochs
    extra = ["--hidden-size", "8"] if args.dry_run else []
    cfg = TrainConfig()
    train, _ = load_uci_har()
    fit_mask, _ = subject_split(train.subject, cfg.val_subjects, cfg.val_seed)
    n_windows = int(fit_mask.sum())
    print(f"{n_windows} training windows per epoch, global batch {cfg.batch_size}")
    print(f"{'processes':>9}{'s/epoch':>9}{'windows/s':>11}{'speed-up':>10}")
    base = None
    for n in args.nproc:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run"
            cmd = [
                sys.executable,
                "-m",
                "lstm_har",
                "train",
                "--out",
                str(out),
                "--epochs",
                str(epochs),
                "--patience",
                "0",
                "-q",
                *extra,
            ]
            if n > 1:
                cmd += ["--nproc", str(n)]
            subprocess.run(cmd, check=True, capture_output=True)
            seconds = pd.read_csv(out / "log.csv")["seconds"].median()
        rate = n_windows / seconds
        base = base or rate
        print(f"{n:>9}{seconds:>9.1f}{rate:>11,.0f}{rate / base:>9.2f}x")


if __name__ == "__main__":
    main()
