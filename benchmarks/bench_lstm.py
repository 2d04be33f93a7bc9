"""Throughput of lstm_har.nn.LSTM vs torch.nn.LSTM (oneDNN), side by side in one run.

    python benchmarks/bench_lstm.py [--hidden 32 64 128] [--repeats 15] [--dry-run]

Training: one Adam step on (64, 128, 9) windows, loss on the last step. Inference: no_grad
forward at batch 1, 256 and 2947 (the UCI HAR test set). Figures are windows/s, medians of
``--repeats``; the ratio column is ours / torch (> 1 means ours is faster), the median of ratios of
alternating runs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from lstm_har.nn import LSTM

T, C = 128, 9


def paired_rates(
    fns: list[Callable[[], object]], batch: int, repeats: int
) -> tuple[list[float], float]:
    """Windows/s of each of ``fns`` (medians of ``repeats``) and the median ratio fns[1]/fns[0].

    The two are timed in alternation (torch, ours, torch, ours, ...) and the ratio is the median
    of the per-pair ratios: on a shared 2-core VM the speed drifts by 2x over seconds, which
    swamps back-to-back blocks but cancels within a pair.
    """
    start = time.perf_counter()
    for fn in fns:
        fn()  # warm-up: allocator, oneDNN primitive cache, the C loops' first build
    # Cheap cases (batch 1 takes ~1 ms) get more pairs, for about a second of timing each.
    repeats = max(repeats, min(500, int(1.0 / (time.perf_counter() - start))))
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - start)
    ratio = statistics.median(a / b for a, b in zip(times[0], times[1], strict=True))
    return [batch / statistics.median(ts) for ts in times], ratio


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
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--dry-run", action="store_true", help="hidden 8, fewest repeats, CI")
    args = parser.parse_args()
    hidden_sizes, repeats = ([8], 1) if args.dry_run else (args.hidden, args.repeats)
    cases = [("train", 64)] + [("infer", b) for b in (1, 256, 2947)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, T={T}, C={C}")
    print(f"{'mode':<6}{'batch':>6}{'hidden':>7}{'torch win/s':>13}{'ours win/s':>12}{'ratio':>7}")
    for hidden in hidden_sizes:
        for mode, batch in cases:
            make = train_step if mode == "train" else inference
            rates, ratio = paired_rates([make(cls, hidden, batch) for cls in (torch.nn.LSTM, LSTM)],
                                 batch, repeats)  # fmt: skip
            print(
                f"{mode:<6}{batch:>6}{hidden:>7}{rates[0]:>13,.0f}{rates[1]:>12,.0f}{ratio:>7.2f}"
            )


if __name__ == "__main__":
    main()
