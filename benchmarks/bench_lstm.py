"""Throughput of lstm_har.nn.LSTM vs torch.nn.LSTM (oneDNN), side by side in one run.

    python benchmarks/bench_lstm.py [--hidden 32 64 128] [--repeats 7] [--dry-run]

Training: one Adam step on (64, 128, 9) windows, loss on the last step. Inference: no_grad
forward at batch 1, 256 and 2947 (the UCI HAR test set). Figures are windows/s, medians of
``--repeats``; the ratio column is ours / torch (> 1 means ours is faster).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from lstm_har.nn import LSTM

T, C = 128, 9


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: allocator, oneDNN primitive cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def train_step(cls: type, hidden: int, batch: int) -> Callable[[], object]:
    torch.manual_seed(0)
    model = cls(C, hidden, batch_first=True)
    opt = torch.optim.Adam(model.parameters())
    x = torch.randn(batch, T, C)

    def step() -> None:
        opt.zero_grad()
        out, _ = model(x)
        out[:, -1].square().mean().backward()
        opt.step()

    return step


def inference(cls: type, hidden: int, batch: int) -> Callable[[], object]:
    torch.manual_seed(0)
    model = cls(C, hidden, batch_first=True).eval()
    x = torch.randn(batch, T, C)

    def run() -> None:
        with torch.no_grad():
            model(x)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--dry-run", action="store_true", help="hidden 8, one repeat, for CI")
    args = parser.parse_args()
    hidden_sizes, repeats = ([8], 1) if args.dry_run else (args.hidden, args.repeats)
    cases = [("train", 64)] + [("infer", b) for b in (1, 256, 2947)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, T={T}, C={C}")
    print(f"{'mode':<6}{'batch':>6}{'hidden':>7}{'torch win/s':>13}{'ours win/s':>12}{'ratio':>7}")
    for hidden in hidden_sizes:
        for mode, batch in cases:
            make = train_step if mode == "train" else inference
            rates = []
            for cls in (torch.nn.LSTM, LSTM):
                rates.append(batch / median_seconds(make(cls, hidden, batch), repeats))
            print(
                f"{mode:<6}{batch:>6}{hidden:>7}{rates[0]:>13,.0f}{rates[1]:>12,.0f}"
                f"{rates[1] / rates[0]:>7.2f}"
            )


if __name__ == "__main__":
    main()
