"""``lstm-har predict`` and ``lstm-har export``: parse, call ``inference``, format the answer."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    predict = sub.add_parser(
        "predict", help="label the activity in your own recording, window by window"
    )
    predict.add_argument(
        "recording",
        metavar="RECORDING",
        help="what a phone app exported: a CSV, a folder or a zip (Sensor Logger, also its "
        "JSON or SQLite; phyphox, also its Excel workbook; SensorLog, AndroSensor, Physics "
        "Toolbox, Core Motion, or any CSV with time, acc and gyro x/y/z), or one file of a "
        "folder export (the rest of its recording beside it is found); or the accelerometer "
        "CSV with --gyro",
    )
    predict.add_argument("--gyro", help="gyroscope CSV when RECORDING holds the accelerometer")
    predict.add_argument(
        "--model",
        default="activity",
        help="run directory, or a pretrained model: walking | activity (default: activity)",
    )
    predict.add_argument("--rate", type=float, help="sampling rate in Hz, if no time column")
    overrides = predict.add_argument_group(
        "overrides (by default read from the file's header and format, else from the data)"
    )
    overrides.add_argument("--acc-unit", choices=["g", "m/s2"])
    overrides.add_argument("--gyro-unit", choices=["rad/s", "deg/s"])
    overrides.add_argument("--time-unit", choices=["s", "ms", "us", "ns"])
    overrides.add_argument("--platform", choices=["android", "ios"],
                           help="whose acceleration signs the file has")  # fmt: skip
    predict.add_argument("--format", default="csv", choices=["csv", "json"])
    predict.add_argument("--out", help="write predictions here instead of stdout")
    predict.add_argument(
        "--no-smooth", action="store_true",
        help="each window's own label; by default the most likely label sequence under the "
        "model's HMM of activity changes, no bout between two others shorter than its "
        "min_bout windows (the activity model: 8, about 10 s)",
    )  # fmt: skip
    predict.add_argument(
        "--placement", default="auto", choices=["auto", "waist", "pocket"],
        help="where the phone was worn, for a model that reads any orientation; auto "
        "(default): told from how much the recording's walking moves the phone",
    )  # fmt: skip
    predict.add_argument("--plot", metavar="IMAGE", help="save a timeline of the predictions: "
                         "PNG, or PDF, SVG, JPG… by extension")  # fmt: skip
    predict.add_argument("--bouts", metavar="FILE",
                         help="bouts (start, end, activity, duration, mean probability); "
                         "CSV, or JSON by extension")  # fmt: skip
    predict.add_argument("--summary", metavar="FILE",
                         help="time per activity per hour and per day; CSV or JSON")  # fmt: skip
    predict.add_argument("--tz", help="time zone for clock times, e.g. Europe/Zurich (default: "
                         "the one the export records, else UTC)")  # fmt: skip
    predict.add_argument(
        "--engine",
        default="auto",
        choices=["auto", "torch", "onnx"],
        help="onnx: model.onnx from 'lstm-har export' under onnxruntime; auto (default): onnx "
        "when the model folder has it and onnxruntime is installed, else torch",
    )
    predict.set_defaults(func=run_predict)

    export = sub.add_parser("export", help="export a trained model for deployment")
    export.add_argument("run_dir", metavar="RUN_DIR", help="run directory or walking | activity")
    export.add_argument("--format", default="onnx", choices=["onnx", "torchscript"])
    export.add_argument("--out", help="directory to write into (default: RUN_DIR)")
    export.set_defaults(func=run_export)


def run_predict(args: argparse.Namespace) -> int:
    from .._files import atomic_write, figure_format
    from ..errors import LstmHarError
    from ..inference import Predictor, Recording, read_recording
    from ..inference.longread import LongRecording, is_long, read_long
    from ..inference.report import Clock, bouts, summary, time_zone, write_table

    inputs = {Path(p).resolve() for p in (args.recording, args.gyro) if p}
    outputs = (("--out", args.out), ("--plot", args.plot), ("--bouts", args.bouts),
               ("--summary", args.summary))  # fmt: skip
    for flag, value in outputs:
        if value and Path(value).resolve() in inputs:
            raise LstmHarError(f"{flag} {value} is the recording itself; choose another file")
        if value and not Path(value).resolve().parent.is_dir():
            raise LstmHarError(f"{flag} {value}: its folder does not exist")
    if args.plot:  # refused before the recording is read, not after
        figure_format(Path(args.plot))
    if args.tz:
        time_zone(args.tz)
    flags = {"rate": args.rate, "acc_unit": args.acc_unit, "gyro_unit": args.gyro_unit,
             "time_unit": args.time_unit, "platform": args.platform}  # fmt: skip
    path = Path(args.recording)
    gyro = None if args.gyro is None else Path(args.gyro)
    if is_long(path, gyro):  # a CSV too long to hold: read in chunks, twice
        recording: Recording | LongRecording = read_long(path, gyro, **flags)
    else:
        recording = read_recording(path, args.gyro, **flags)
    predictor = Predictor.from_model(args.model, engine=args.engine)
    with _Bars() as bars:
        preds = predictor.predict_recording(recording, smooth=not args.no_smooth,
                                            placement=args.placement, progress=bars)  # fmt: skip
    clock = Clock.of(recording.t0, recording.epoch, args.tz, recording.utc_offset_s,
                     recording.time_zone)  # fmt: skip
    tables = {args.bouts: bouts, args.summary: summary}
    extra = {path: write_table(make(preds, clock), path) for path, make in tables.items() if path}
    c = preds.calibration
    warnings = recording.warnings + ([] if c is None else c.warnings)
    if args.tz and clock is None:
        warnings.append(f"--tz {args.tz} left unused: the recording's times are not clock "
                        "times")  # fmt: skip
    if args.format == "json":
        table = preds.to_frame().to_dict(orient="records")
        doc = {"read": recording.summary, "warnings": warnings,
               "placement": None if c is None else c.placement,
               "classes": list(preds.classes), "time_per_class_s": preds.time_per_class(),
               "windows": table}  # fmt: skip
        text = json.dumps(doc, indent=1) + "\n"
    else:
        # rounded, then written as shortest repr: the same digits as "%.4f" less its trailing
        # zeros, formatted by numpy instead of per value in Python (a day: 0.97 -> 0.37 s)
        text = preds.to_frame().round(4).to_csv(index=False)
    if args.plot:  # first: a plot that fails leaves no --out behind
        from ..inference.timeline import timeline_plot

        timeline_plot(preds, Path(args.plot), Path(args.recording).name)
    for path, data in extra.items():
        atomic_write(Path(path), data)
    if args.out:
        atomic_write(Path(args.out), text.encode())
    else:
        sys.stdout.write(text)
    for line in _summary(preds, recording.summary, warnings):
        print(line, file=sys.stderr if not args.out else sys.stdout)
    return 0


class _Bars:
    """One tqdm bar on stderr per pass over a long recording (bytes of the file read)."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.stage = ""

    def __enter__(self) -> _Bars:
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            from tqdm import tqdm

            self.__exit__()
            self.stage = stage
            self.bar = tqdm(total=total, unit="B", unit_scale=True, desc=stage, disable=None,
                            leave=False)  # fmt: skip
        self.bar.update(done - self.bar.n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _summary(preds: Any, summary: str, warnings: list[str]) -> list[str]:
    """What was read, the calibration used, warnings, and time per activity, most first."""
    lines = [summary, *(f"warning: {w}" for w in warnings)]
    c = preds.calibration
    if c is not None and c.own:
        x, y, z = c.upright.tolist()
        mirrored = ", y mirrored (phone worn the other way round)" if c.mirrored else ""
        lines.insert(1, f"calibrated: upright gravity ({x:.2f}, {y:.2f}, {z:.2f}) g{mirrored}")
    if c is not None and c.placement is not None:
        how = "given" if c.motion is None else f"walking moves it {c.motion:.2f} g"
        if c.motion is None and not c.own:
            how = "given, or the waist by default"
        lines.insert(1 + (c.own is True), f"placement: {c.placement} ({how})")
    per_class = preds.time_per_class()
    off = per_class.pop("NOT_WORN", 0.0)
    unknown = per_class.pop("UNKNOWN", 0.0)
    worn = sum(per_class.values())
    apart = [f"{_duration(off)} not worn (phone lying still)"] if off else []
    apart += [f"{_duration(unknown)} unknown (unlike anything trained on)"] if unknown else []
    of_which = f", of which {' and '.join(apart)}" if apart else ""
    lines.append(f"{len(preds.start)} windows, {(worn + off + unknown) / 60:.1f} min{of_which}")
    for name, seconds in sorted(per_class.items(), key=lambda kv: -kv[1]):
        share = seconds / worn if worn else 0.0  # shares of the time worn
        lines.append(f"  {name:<20}{seconds / 60:>8.1f} min  {100 * share:5.1f} %")
    return lines


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def run_export(args: argparse.Namespace) -> int:
    from ..checkpoint import weights_sha256
    from ..inference.export import export
    from ..inference.predictor import resolve_model
    from ..models import Classifier

    source = resolve_model(args.run_dir)
    model = Classifier.load(source, backend="torch")
    path = export(model, Path(args.out) if args.out else source, args.format,
                  weights_sha256(source))  # fmt: skip
    print(f"wrote {path}")
    return 0
