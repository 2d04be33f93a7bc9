"""Time-to-accuracy of the default run (the study's SimpleLSTM, Walking vs Non-Walking).

    python benchmarks/bench_train.py [--seeds 0 1 2] [--target 0.9871] [--dry-run]

Trains with the defaults and, for measurement only, scores the test set after every epoch
(model selection still uses validation alone). Reports the wall time at which test accuracy
first reaches the study's 98.71 %, the time to finish training, and the selected model's
final test accuracy. Wall times include the per-epoch validation pass; not the data load.
"""

from __future__ import annotations

import argparse
import time

import torch

from lstm_har.config import TrainConfig
from lstm_har.models import Classifier
from lstm_har.training.loop import EpochEnd, Event, fit
from lstm_har.training.metrics import evaluate
from lstm_har.training.runs import spec_for, split_task


def run(cfg: TrainConfig, target: float) -> tuple[float | None, float, float, int]:
    fit_d, val_d, test_d = split_task(cfg)
    torch.manual_seed(cfg.seed)
    model = Classifier.from_spec(spec_for(cfg, fit_d), cfg.forget_bias)
    model.fit_normaliser(torch.from_numpy(fit_d.X))
    reached: list[float] = []
    scoring = [0.0]  # seconds spent scoring the test set, excluded from the times

    def on_epoch(event: Event) -> None:
        if not isinstance(event, EpochEnd):
            return
        t0 = time.perf_counter()
        acc = evaluate(model, test_d.X, test_d.y, test_d.classes)["accuracy"]
        scoring[0] += time.perf_counter() - t0
        if acc >= target and not reached:
            reached.append(time.perf_counter() - began - scoring[0])

    began = time.perf_counter()
    result = fit(model, (torch.from_numpy(fit_d.X), torch.from_numpy(fit_d.y)),
                 (torch.from_numpy(val_d.X), torch.from_numpy(val_d.y)), cfg,
                 listener=on_epoch)  # fmt: skip
    total = time.perf_counter() - began - scoring[0]
    final = evaluate(model, test_d.X, test_d.y, test_d.classes)["accuracy"]
    return (reached[0] if reached else None), total, final, len(result.history)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--target", type=float, default=0.9871)
    parser.add_argument("--dry-run", action="store_true", help="one epoch of seed 0, for CI")
    args = parser.parse_args()
    cfg = TrainConfig(epochs=1) if args.dry_run else TrainConfig()
    seeds = [0] if args.dry_run else args.seeds
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; defaults: "
        f"{cfg.model}, hidden {cfg.hidden_size}, batch {cfg.batch_size}, {cfg.epochs} epochs max"
    )
    print(
        f"{'seed':>4}{'to ' + format(args.target, '.2%'):>12}{'train s':>9}{'epochs':>8}"
        f"{'final test':>12}"
    )
    for seed in seeds:
        to_target, total, final, epochs = run(cfg.replace(seed=seed), args.target)
        shown = f"{to_target:.0f} s" if to_target is not None else "never"
        print(f"{seed:>4}{shown:>12}{total:>9.0f}{epochs:>8}{final:>12.2%}")


if __name__ == "__main__":
    main()
