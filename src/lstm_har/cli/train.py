"""``lstm-har train`` and ``lstm-har evaluate``: parse, call ``training``, print the report."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import Any

from ..config import TrainConfig, load_config
from ..errors import LstmHarError

log = logging.getLogger("lstm_har")


def add_parser(sub: Any) -> None:
    train = sub.add_parser("train", help="train and evaluate a model into a run directory")
    train.add_argument("--out", help="run directory to create")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run or sweep")
    train.add_argument("--config", help="JSON or TOML file of config fields (flags override)")
    train.add_argument("--seeds", help="comma-separated seeds: one run each, then mean ± std")
    train.add_argument("-q", "--quiet", action="store_true", help="no progress bars or epoch log")
    train.add_argument(
        "--cv", type=int, metavar="K",
        help="leave-subjects-out cross-validation: K folds of the training subjects",
    )  # fmt: skip
    train.add_argument(
        "--jobs", type=int, default=1, help="with --seeds/--cv: train N runs at once, N processes"
    )
    train.add_argument(
        "--nproc", type=int, default=0,
        help="data-parallel over N processes on this machine (launches torchrun); for several "
        "machines run 'torchrun ... -m lstm_har train ...' yourself",
    )  # fmt: skip
    group = train.add_argument_group("config (defaults reproduce the study)")
    for f in dataclasses.fields(TrainConfig):
        boolean = str(f.type) == "bool"
        group.add_argument(
            f"--{f.name.replace('_', '-')}",
            dest=f"cfg_{f.name}",
            type=_boolean if boolean else {"int": int, "float": float}.get(str(f.type), str),
            nargs="?" if boolean else None,  # a bare boolean flag means true
            const=True if boolean else None,
            default=argparse.SUPPRESS,  # "not given", so a --config file can fill the rest
            metavar=f.name.upper(),
            help=f"{f.metadata['help']} (default: {f.default})",
        )
    train.set_defaults(func=run_train)

    evaluate = sub.add_parser("evaluate", help="recompute a run's metrics from its checkpoint")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("--json", action="store_true", help="print the full metrics as JSON")
    evaluate.set_defaults(func=run_evaluate)


def _boolean(text: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.lower() not in words:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return words[text.lower()]


def _seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise LstmHarError(f"--seeds: expected comma-separated integers, got {text!r}") from None


class _Progress:
    """The training loop's listener: a tqdm bar per epoch (on a terminal) and a log line."""

    def __init__(self) -> None:
        self.bar: Any = None

    def __call__(self, event: Any) -> None:
        from ..training.loop import BatchEnd, EpochEnd, EpochStart

        if isinstance(event, EpochStart):
            from tqdm import tqdm

            # disable=None: no bar when stderr is not a terminal (logs, CI)
            desc = f"epoch {event.epoch}/{event.epochs}"
            self.bar = tqdm(total=event.batches, desc=desc, leave=False, unit="batch",
                            dynamic_ncols=True, disable=None)  # fmt: skip
        elif isinstance(event, BatchEnd) and self.bar is not None:
            self.bar.update()
            self.bar.set_postfix(loss=f"{event.loss:.4f}", refresh=False)
        elif isinstance(event, EpochEnd):
            if self.bar is not None:
                self.bar.close()
            r, nan = event.record, float("nan")
            log.info("epoch %3d  lr %.2e  train loss %.4f  val loss %.4f  val acc %.4f  "
                     "val bal. acc %.4f  (%.1fs)", r.epoch, r.lr, r.train_loss,
                     _or(r.val_loss, nan), _or(r.val_accuracy, nan),
                     _or(r.val_balanced_accuracy, nan), r.seconds)  # fmt: skip


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def run_train(args: argparse.Namespace) -> int:
    from ..training import distributed

    if args.nproc and args.nproc > 1:
        return distributed.launch(args.argv, args.nproc)
    with distributed.process_group() as rank:
        return _train(args, quiet=args.quiet or rank != 0)


def _train(args: argparse.Namespace, quiet: bool) -> int:
    from ..training import runs, sweep

    listener = None if quiet else _Progress()
    if args.resume:
        out = Path(args.resume)
        if sweep.is_sweep(out):
            plan = sweep.Sweep.load(out)
            return _print_sweep(out, sweep.run_sweep(out, plan, listener=listener, jobs=args.jobs))
        if not (out / runs.CONFIG).is_file():
            raise LstmHarError(f"{out}: no run to resume (no {runs.CONFIG} or {sweep.SWEEP_FILE})")
        report = runs.train_run(None, out, resume=True, listener=listener)
        if report is not None and not quiet:
            _print_report(report, str(out))
        return 0
    if args.out is None:
        raise LstmHarError("train: give --out RUN_DIR (or --resume RUN_DIR)")
    overrides = {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg_")}
    cfg = load_config(Path(args.config) if args.config else None, overrides)
    out = Path(args.out)
    if args.seeds is not None and args.cv:
        raise LstmHarError("train: --seeds and --cv are separate sweeps; give one")
    if args.seeds is None and args.cv is None:
        report = runs.train_run(cfg, out, listener=listener)
        if report is not None:  # rank 0 under torchrun
            _print_report(report, str(out))
            print(f"  wrote {out}/ (model.safetensors, model.json, metrics.json, log.csv, plots)")
        return 0
    if args.cv is not None:
        plan = sweep.Sweep.over_folds(cfg, args.cv)
    else:
        plan = sweep.Sweep.over_seeds(cfg, _seeds(args.seeds))
    plan.save(out)
    return _print_sweep(out, sweep.run_sweep(out, plan, listener=listener, jobs=args.jobs))


def _print_sweep(out: Path, result: tuple[list[dict[str, Any]], dict[str, Any]] | None) -> int:
    from ..training.sweep import SUMMARY, SUMMARY_KEYS

    if result is None:  # not rank 0 under torchrun
        return 0
    reports, summary = result
    for name, report in zip(summary["runs"], reports, strict=True):
        _print_report(report, str(out / name))
    where = "; ".join(summary["evaluated_on"])
    print(f"{len(reports)} runs ({', '.join(summary['runs'])}), {where}, mean ± sample std:")
    for key in SUMMARY_KEYS:
        s = summary[f"test_{key}"]
        print(
            f"  {key:<18} {100 * s['mean']:.2f} ± {100 * s['std']:.2f} %  "
            f"(min {100 * s['min']:.2f}, max {100 * s['max']:.2f})"
        )
    print(
        f"  mean training time {summary['train_seconds_mean']:.0f} s per run; wrote {out / SUMMARY}"
    )
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    import json

    from ..training.runs import evaluate_run

    report = evaluate_run(Path(args.run_dir))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report, args.run_dir)
    return 0


def _print_report(report: dict[str, Any], title: str) -> None:
    t, v = report["test"], report["validation"]
    print(f"{title}: task {report['task']}, model {report['model']}")
    official = report.get("evaluated_on", "official").startswith("official")
    label = "test      " if official else "held-out  "
    print(
        f"  {label} accuracy {t['accuracy']:.4f}  balanced {t['balanced_accuracy']:.4f}  "
        f"macro-F1 {t['macro_f1']:.4f}  (n={t['n']})"
    )
    print(
        f"  validation accuracy {v['accuracy']:.4f}  balanced {v['balanced_accuracy']:.4f}  "
        f"macro-F1 {v['macro_f1']:.4f}  (n={v['n']})"
    )
    print(f"  majority baseline (test) {report['majority_baseline']['accuracy']:.4f}")
    worst = min(t["per_subject"].items(), key=lambda kv: kv[1])
    print(f"  per test subject: worst subject {worst[0]} at {worst[1]:.4f}")
