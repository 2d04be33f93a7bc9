"""``lstm-har`` command line: the only module that parses arguments, prints or sets up logging."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import tomllib

from .errors import LstmHarError

log = logging.getLogger("lstm_har")


# --------------------------------------------------------------------------- train / evaluate


def _config_args(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, defaulting to "not given" so files can fill the rest."""
    from .train import TrainConfig

    group = parser.add_argument_group("config (defaults reproduce the study)")
    for f in dataclasses.fields(TrainConfig):
        flag, boolean = f"--{f.name.replace('_', '-')}", str(f.type) == "bool"
        group.add_argument(
            flag,
            dest=f"cfg_{f.name}",
            type=_boolean if boolean else {"int": int, "float": float}.get(str(f.type), str),
            nargs="?" if boolean else None,  # a bare boolean flag means true
            const=True if boolean else None,
            default=argparse.SUPPRESS,
            metavar=f.name.upper(),
            help=f"default: {f.default}",
        )


def _boolean(text: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.lower() not in words:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return words[text.lower()]


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as e:
        raise LstmHarError(f"{path}: cannot read config ({e.strerror})") from None
    try:
        values = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise LstmHarError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'} ({e})") from None
    if not isinstance(values, dict):
        raise LstmHarError(f"{path}: expected a table of config fields")
    return values


def _resolve_config(args: argparse.Namespace) -> Any:
    from .train import TrainConfig

    values: dict[str, Any] = _read_config_file(Path(args.config)) if args.config else {}
    values |= {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg_")}
    try:
        return TrainConfig.from_dict(values)
    except (TypeError, ValueError) as e:
        raise LstmHarError(str(e)) from None


def _progress(quiet: bool) -> Any:
    if quiet:
        return None
    from tqdm import tqdm

    def wrap(batches: Any, desc: str) -> Any:
        # disable=None: no bar when stderr is not a terminal (logs, CI)
        return tqdm(batches, desc=desc, leave=False, unit="batch", dynamic_ncols=True, disable=None)

    return wrap


def _epoch_logger(quiet: bool) -> Any:
    def log_epoch(r: dict[str, Any]) -> None:
        if not quiet:
            log.info(
                "epoch %3d  lr %.2e  train loss %.4f  val loss %.4f  val acc %.4f  "
                "val bal. acc %.4f  (%.1fs)",
                r["epoch"],
                r["lr"],
                r["train_loss"],
                r.get("val_loss", float("nan")),
                r.get("val_accuracy", float("nan")),
                r.get("val_balanced_accuracy", float("nan")),
                r["seconds"],
            )

    return log_epoch


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


def _parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise LstmHarError(f"--seeds: expected comma-separated integers, got {text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise LstmHarError(f"--seeds: expected distinct integers, got {text!r}")
    return seeds


SWEEP_FILE = "sweep.json"


def _launch_torchrun(args: argparse.Namespace) -> int:
    """Re-run this very command under torchrun with ``--nproc`` processes on this machine."""
    import subprocess

    argv, skip = [], False
    for item in args.argv:
        if skip:
            skip = False
        elif item == "--nproc":
            skip = True
        elif not item.startswith("--nproc="):
            argv.append(item)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={args.nproc}", "-m", "lstm_har", *argv]  # fmt: skip
    log.info("launching: %s", " ".join(cmd))
    return subprocess.call(cmd)


def _init_distributed() -> int:
    """Join the process group torchrun describes in the environment; returns the rank."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return 0
    import torch
    import torch.distributed as dist

    dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank()


def _train(args: argparse.Namespace) -> int:
    if args.nproc and args.nproc > 1:
        return _launch_torchrun(args)
    from .train import barrier

    rank = _init_distributed()
    try:
        code = _train_here(args, quiet=args.quiet or rank != 0)
        # Every rank done (rank 0 writes the run's files last) before any tears gloo down: a
        # peer destroying the group early aborted a worker ~1 run in 8 in the DDP test.
        barrier()
        return code
    finally:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


def _train_here(args: argparse.Namespace, quiet: bool) -> int:
    from . import checkpoint, runs

    hooks = {"progress": _progress(quiet), "on_epoch": _epoch_logger(quiet)}
    if args.resume:
        out = Path(args.resume)
        if (out / runs.CONFIG).is_file():
            report = runs.train_run(None, out, resume=True, **hooks)
            if not quiet:
                _print_report(report, str(out))
            return 0
        if not (out / SWEEP_FILE).is_file():
            raise LstmHarError(f"{out}: no run to resume (no {runs.CONFIG} or {SWEEP_FILE})")
        plan = checkpoint.read_json(out / SWEEP_FILE)
        members = [(name, overrides) for name, overrides in plan["members"]]
        return _train_sweep(out, plan["config"], members, hooks, args.jobs)
    if args.out is None:
        raise LstmHarError("train: give --out RUN_DIR (or --resume RUN_DIR)")
    cfg = _resolve_config(args)
    out = Path(args.out)
    if args.seeds is not None and args.cv:
        raise LstmHarError("train: --seeds and --cv are separate sweeps; give one")
    if args.seeds is None and not args.cv:
        report = runs.train_run(cfg, out, **hooks)
        if report:  # rank 0 under torchrun; the others return nothing
            _print_report(report, str(out))
            print(f"  wrote {out}/ (model.safetensors, model.json, metrics.json, log.csv, plots)")
        return 0
    if args.cv:
        if args.cv < 2:
            raise LstmHarError(f"--cv: expected at least 2 folds, got {args.cv}")
        members = [(f"fold_{k}", {"cv_folds": args.cv, "cv_fold": k}) for k in range(args.cv)]
    else:
        members = [(f"seed_{s}", {"seed": s}) for s in _parse_seeds(args.seeds)]
    if (out / SWEEP_FILE).exists():
        raise LstmHarError(f"{out} already holds a sweep; continue it with --resume {out}")
    from .train import barrier, world

    barrier()
    if world()[0] == 0:
        checkpoint.write_json(out / SWEEP_FILE, {"config": cfg.to_dict(), "members": members})
    return _train_sweep(out, cfg.to_dict(), members, hooks, args.jobs)


def _train_sweep(
    out: Path, base: dict[str, Any], members: list[tuple[str, dict[str, Any]]],
    hooks: dict[str, Any], jobs: int = 1,
) -> int:  # fmt: skip
    """Seeds or cross-validation folds, one run directory each, then mean ± std."""
    from . import runs

    names = [name for name, _ in members]
    if jobs > 1:  # runs spread over processes, the cores shared out between them
        import os
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        threads = max(1, (os.cpu_count() or 1) // jobs)
        log.info("%d runs over %d processes, %d thread(s) each", len(members), jobs, threads)
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(runs.sweep_member, out, base, name, overrides, threads)
                       for name, overrides in members]  # fmt: skip
            reports = [f.result() for f in futures]
    else:
        reports = []
        for name, overrides in members:
            log.info("%s -> %s", name, out / name)
            reports.append(runs.sweep_member(out, base, name, overrides, hooks=hooks))
    if not all(reports):  # not rank 0 under torchrun
        return 0
    for name, report in zip(names, reports, strict=True):
        _print_report(report, str(out / name))
    summary = runs.write_summary(out, reports, names)
    where = "; ".join(summary["evaluated_on"])
    print(f"{len(names)} runs ({', '.join(names)}), {where}, mean ± sample std:")
    for key in runs.SUMMARY_KEYS:
        s = summary[f"test_{key}"]
        print(
            f"  {key:<18} {100 * s['mean']:.2f} ± {100 * s['std']:.2f} %  "
            f"(min {100 * s['min']:.2f}, max {100 * s['max']:.2f})"
        )
    print(
        f"  mean training time {summary['train_seconds_mean']:.0f} s per run; "
        f"wrote {out / runs.SUMMARY}"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .runs import evaluate_run

    report = evaluate_run(Path(args.run_dir))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report, args.run_dir)
    return 0


# --------------------------------------------------------------------------- predict / export


def _predict(args: argparse.Namespace) -> int:
    from . import checkpoint, predict
    from .calibration import model_upright_default
    from .checkpoint import atomic_write
    from .recording import read_recording

    source, gyro = Path(args.recording), args.gyro
    if gyro is None and source.is_dir():
        source, gyro = _two_file_layout(source)
    recording = read_recording(
        source,
        gyro,
        rate=args.rate,
        acc_unit=args.acc_unit,
        gyro_unit=args.gyro_unit,
        time_unit=args.time_unit,
    )
    from .export import ONNX_FILE, onnx_proba, onnxruntime_available

    model_dir = predict.resolve_model(args.model)
    engine = args.engine
    if engine == "auto":  # onnxruntime measured faster here for large batches of windows
        has_onnx = (model_dir / ONNX_FILE).is_file() and onnxruntime_available()
        engine = "onnx" if has_onnx else "torch"
    if engine == "onnx":
        proba_fn, classes = onnx_proba(model_dir / ONNX_FILE)
        meta = checkpoint.read_json(model_dir / checkpoint.MODEL_META)
    else:
        from .runs import load_run

        model, meta = load_run(model_dir)
        proba_fn, classes = predict.torch_proba(model), tuple(meta["classes"])
    samples = recording.samples  # (T, 6), built once
    upright_default = model_upright_default(meta)
    upright, notes = None, []
    if upright_default is not None:
        upright = predict.samples_upright(samples)
        if upright is None:
            upright = upright_default
            recording.warnings.append(
                "the recording moves too little to find its upright pose; "
                "calibrating with the model's default"
            )
        else:
            x, y, z = upright.tolist()
            mirrored = ", y mirrored (phone worn the other way round)" if y > 0 else ""
            notes.append(f"calibrated: upright gravity ({x:.2f}, {y:.2f}, {z:.2f}) g{mirrored}")
    preds = predict.predict_samples(
        samples, proba_fn, classes, upright_default=upright_default, upright=upright
    )
    if args.format == "json":
        text = json.dumps(predict.predictions_json(preds), indent=1) + "\n"
    else:
        text = preds.to_frame().to_csv(index=False, float_format="%.4f")
    if args.out:
        atomic_write(Path(args.out), text.encode())
    else:
        sys.stdout.write(text)
    if args.plot:
        predict.timeline_plot(samples, preds, Path(args.plot), f"{source.name}")
    for line in notes + predict.summary_lines(preds, recording.warnings):
        print(line, file=sys.stderr if not args.out else sys.stdout)
    return 0


def _two_file_layout(folder: Path) -> tuple[Path, Path]:
    """Accelerometer and gyroscope CSVs in one folder, as phone logging apps export them."""
    csvs = sorted(folder.glob("*.csv"))
    acc = [p for p in csvs if p.stem.lower().startswith("acc")]
    gyro = [p for p in csvs if p.stem.lower().startswith(("gyr", "rot"))]
    if len(acc) != 1 or len(gyro) != 1:
        raise LstmHarError(
            f"{folder}: is a directory; expected one accelerometer*.csv and one gyroscope*.csv "
            f"in it (found {len(acc)} and {len(gyro)}), or give a CSV file"
        )
    return acc[0], gyro[0]


def _export(args: argparse.Namespace) -> int:
    from .export import export
    from .predict import resolve_model
    from .runs import load_run

    source = resolve_model(args.run_dir)
    model, meta = load_run(source, backend="torch")
    out = Path(args.out) if args.out else source
    path = export(model, meta, out, args.format)
    print(f"wrote {path}")
    return 0


# --------------------------------------------------------------------------- data


def _data_info(args: argparse.Namespace) -> int:
    from .data import count_table, load_uci_har

    train, test = load_uci_har(args.data)
    print(f"{'activity':<20}{'train':>8}{'official':>10}{'test':>8}{'official':>10}")
    for name, tr, tr_off, te, te_off in count_table(train, test):
        print(f"{name:<20}{tr:>8}{tr_off:>10}{te:>8}{te_off:>10}")
    n_train, n_test = len(set(train.subject.tolist())), len(set(test.subject.tolist()))
    print(f"subjects: train {n_train}, test {n_test}")
    return 0


def _data_download(args: argparse.Namespace) -> int:
    from .data import cache_dir
    from .download import UCI_HAR_URL, download

    dest = Path(args.out) if args.out else cache_dir() / "UCI HAR Dataset.zip"
    if dest.exists() and not args.force:
        raise LstmHarError(f"{dest} exists; use it with --data {dest}, or pass --force")
    bar = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=None)
        bar.update(done - bar.n)

    try:
        digest = download(dest, args.url or UCI_HAR_URL, args.sha256, progress)
    finally:
        if bar is not None:
            bar.close()
    print(f"wrote {dest} ({dest.stat().st_size / 1e6:.1f} MB, sha256 {digest})")
    print(f"use it with: lstm-har train --data '{dest}' (or lstm-har data info --data ...)")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad flag or value answered in one line instead of the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lstm-har",
        description="Human activity recognition from phone motion sensors with LSTMs.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="inspect (or download) the UCI HAR data")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    info = data_sub.add_parser("info", help="windows per split and activity vs the official set")
    info.add_argument(
        "--data",
        default=None,
        help="UCI HAR folder/zip or HAPT RawData folder (default: packaged, offline)",
    )
    info.set_defaults(func=_data_info)
    fetch = data_sub.add_parser(
        "download",
        help="fetch the official UCI HAR zip (the only network use; the default data needs none)",
    )
    fetch.add_argument("--out", help="file to write (default: 'UCI HAR Dataset.zip' in the cache)")
    fetch.add_argument("--url", default=None, help="where from (default: the UCI repository)")
    fetch.add_argument("--sha256", help="expected SHA-256 in hex; a mismatch writes nothing")
    fetch.add_argument("--force", action="store_true", help="replace an existing file")
    fetch.set_defaults(func=_data_download)

    train = sub.add_parser("train", help="train and evaluate a model into a run directory")
    train.add_argument("--out", help="run directory to create")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run or sweep")
    train.add_argument("--config", help="JSON or TOML file of config fields (flags override)")
    train.add_argument("--seeds", help="comma-separated seeds: one run each, then mean ± std")
    train.add_argument("-q", "--quiet", action="store_true", help="no progress bars or epoch log")
    train.add_argument(
        "--cv",
        type=int,
        metavar="K",
        help="leave-subjects-out cross-validation: K folds of the training subjects",
    )
    train.add_argument(
        "--jobs", type=int, default=1, help="with --seeds/--cv: train N runs at once, N processes"
    )
    train.add_argument(
        "--nproc",
        type=int,
        default=0,
        help="data-parallel over N processes on this machine (launches torchrun); for several "
        "machines run 'torchrun ... -m lstm_har train ...' yourself",
    )
    _config_args(train)
    train.set_defaults(func=_train)

    evaluate = sub.add_parser("evaluate", help="recompute a run's metrics from its checkpoint")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("--json", action="store_true", help="print the full metrics as JSON")
    evaluate.set_defaults(func=_evaluate)

    predict = sub.add_parser(
        "predict", help="label the activity in your own recording, window by window"
    )
    predict.add_argument(
        "recording",
        metavar="RECORDING",
        help="CSV with time, acc x/y/z, gyro x/y/z; or the accelerometer CSV (see --gyro); "
        "or a folder with accelerometer*.csv and gyroscope*.csv",
    )
    predict.add_argument("--gyro", help="gyroscope CSV when RECORDING holds the accelerometer")
    predict.add_argument(
        "--model",
        default="activity",
        help="run directory, or a pretrained model: walking | activity (default: activity)",
    )
    predict.add_argument("--rate", type=float, help="sampling rate in Hz, if no time column")
    predict.add_argument("--acc-unit", default="g", choices=["g", "m/s2"])
    predict.add_argument("--gyro-unit", default="rad/s", choices=["rad/s", "deg/s"])
    predict.add_argument("--time-unit", default="s", choices=["s", "ms", "us", "ns"])
    predict.add_argument("--format", default="csv", choices=["csv", "json"])
    predict.add_argument("--out", help="write predictions here instead of stdout")
    predict.add_argument("--plot", metavar="PNG", help="save a timeline of the predictions")
    predict.add_argument(
        "--engine",
        default="auto",
        choices=["auto", "torch", "onnx"],
        help="onnx: model.onnx from 'lstm-har export' under onnxruntime; auto (default): onnx "
        "when the model folder has it and onnxruntime is installed, else torch",
    )
    predict.set_defaults(func=_predict)

    export = sub.add_parser("export", help="export a trained model for deployment")
    export.add_argument("run_dir", metavar="RUN_DIR", help="run directory or walking | activity")
    export.add_argument("--format", default="onnx", choices=["onnx", "torchscript"])
    export.add_argument("--out", help="directory to write into (default: RUN_DIR)")
    export.set_defaults(func=_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except LstmHarError as e:
        print(f"lstm-har: error: {e}", file=sys.stderr)
        return 2
    except (OSError, MemoryError) as e:
        print(f"lstm-har: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lstm-har: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
