"""A day-long recording from CSV to timeline: wall time and peak memory of `lstm-har predict`.

    python benchmarks/bench_predict.py [--hours 24] [--engine torch onnx] [--model walking activity]
        [--format csv sensor-logger sensor-logger-zip] [--dry-run]

Generates a synthetic 50 Hz recording (walking bouts between static periods, acc in m/s^2,
gyro in rad/s, a time column), writes it (not timed) as one CSV, or as a Sensor Logger
export folder (TotalAcceleration.csv, Gyroscope.csv, Metadata.csv; ns since the epoch) or
that folder zipped as the app shares it (deflated, read in place), then
runs the real command `lstm-har predict REC --acc-unit m/s2 --model MODEL --out PRED.csv
--plot TIMELINE.png` (no unit flag for the folder) in a fresh process per format, model and
engine and reports its wall time and peak RSS (ru_maxrss).
The calibrated ``activity`` model reads the recording twice (its upright reference first).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

RATE = 50.0


def synthetic_day(hours: float, seed: int = 0, start_h: float = 0.0) -> pd.DataFrame:
    """``hours`` of the synthetic recording, from ``start_h`` hours into it."""
    rng = np.random.default_rng(seed + int(start_h * 1000))
    n = int(hours * 3600 * RATE)
    t = start_h * 3600 + np.arange(n) / RATE
    walking = (np.sin(2 * np.pi * t / 600) > 0.6).astype(float)  # ~20 % of the time
    gait = np.sin(2 * np.pi * 1.8 * t)
    acc = np.stack([1 + 0.3 * walking * gait, 0.1 * walking * gait, 0.05 * walking * gait], 1)
    acc = (acc + rng.normal(scale=0.01, size=acc.shape)) * 9.80665
    gyro = 0.4 * walking[:, None] * np.stack([gait, 0.5 * gait, 0.2 * gait], 1)
    gyro = gyro + rng.normal(scale=0.005, size=gyro.shape)
    return pd.DataFrame(
        {
            "time": t,
            "acc_x": acc[:, 0],
            "acc_y": acc[:, 1],
            "acc_z": acc[:, 2],
            "gyro_x": gyro[:, 0],
            "gyro_y": gyro[:, 1],
            "gyro_z": gyro[:, 2],
        }
    )


def repeated_run(doc: str) -> tuple[float, int]:
    """``--hours``, ``--repeat`` and ``--dry-run`` (6 minutes, once), as ``bench_read`` and
    ``bench_longread`` take them: the hours of data and the runs to take the median of."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dry-run", action="store_true", help="6 minutes of data, once")
    args = parser.parse_args()
    return (0.1, 1) if args.dry_run else (args.hours, args.repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--engine", nargs="+", default=["auto"])
    parser.add_argument("--model", nargs="+", default=["walking"], help="pretrained names")
    parser.add_argument("--format", nargs="+", default=["csv"], choices=list(WRITERS))
    parser.add_argument("--dry-run", action="store_true", help="6 minutes, every format, for CI")
    args = parser.parse_args()
    hours = 0.1 if args.dry_run else args.hours
    for fmt in list(WRITERS) if args.dry_run else args.format:
        with tempfile.TemporaryDirectory() as tmp:
            _run(fmt, hours, Path(tmp), args.model, args.engine)


def write_csv(path: Path, frame: pd.DataFrame, first: bool) -> Path:
    """One CSV with a time column (s) and acc, gyro x, y, z."""
    path = path / "day.csv"
    frame.to_csv(path, mode="a", header=first, index=False, float_format="%.5f")
    return path


def write_sensor_logger(path: Path, frame: pd.DataFrame, first: bool) -> Path:
    """Sensor Logger's export folder: one CSV per sensor, ns since the epoch, z, y, x."""
    folder = path / "export"
    folder.mkdir(exist_ok=True)
    ns = (1_700_000_000 * 10**9 + np.round(frame["time"].to_numpy() * 1e9)).astype(np.int64)
    for name, sensor in (("TotalAcceleration", "acc"), ("Gyroscope", "gyro")):
        xyz = {axis: frame[f"{sensor}_{axis}"] for axis in "zyx"}
        pd.DataFrame({"time": ns, "seconds_elapsed": frame["time"], **xyz}).to_csv(
            folder / f"{name}.csv", mode="a", header=first, index=False, float_format="%.5f"
        )
    (folder / "Metadata.csv").write_text("version,device name,recording time,platform\n"
                                         "3,bench,2023-11-14_22-13-20,android\n")  # fmt: skip
    return folder


def zip_export(folder: Path) -> Path:
    """The export folder as Sensor Logger's zip, named by its local start; the folder goes."""
    archive = folder.with_name("2023-11-14_23-13-20.zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f.name)
            f.unlink()  # a week's 3.5 GB of CSV need not sit on disk twice
    folder.rmdir()
    return archive


WRITERS = {"csv": write_csv, "sensor-logger": write_sensor_logger,
           "sensor-logger-zip": write_sensor_logger}  # fmt: skip


def _run(fmt: str, hours: float, tmp: Path, models: list[str], engines: list[str]) -> None:
    began = time.perf_counter()
    rows, done = 0, 0.0
    while done < hours:  # a day at a time, so that a week fits the benchmark's memory too
        part = min(24.0, hours - done)
        frame = synthetic_day(part, start_h=done)
        recording = WRITERS[fmt](tmp, frame, not rows)
        rows, done = rows + len(frame), done + part
    if fmt.endswith("-zip"):
        recording = zip_export(recording)
    size = sum(p.stat().st_size for p in [recording, *recording.glob("*.csv")] if p.is_file())
    print(
        f"{fmt}: {rows:,} rows ({hours:g} h at 50 Hz), {size / 1e6:.0f} MB "
        f"{'zipped' if fmt.endswith('-zip') else 'of CSV'}, "
        f"written in {time.perf_counter() - began:.1f} s (not timed)"
    )
    print(f"{'model':<10}{'engine':<8}{'wall s':>8}{'peak RSS MB':>13}{'windows':>10}")
    units = ["--acc-unit", "m/s2"] if fmt == "csv" else []
    for model, engine in ((m, e) for m in models for e in engines):
        cmd = [
            sys.executable,
            "-m",
            "lstm_har",
            "predict",
            str(recording),
            *units,
            "--model",
            model,
            "--engine",
            engine,
            "--out",
            str(tmp / "p.csv"),
            "--plot",
            str(tmp / "timeline.png"),
        ]
        # a fresh interpreter per engine, so each peak RSS is that run's own
        probe = (
            "import resource, subprocess, sys, time; t = time.perf_counter(); "
            "quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "rc = subprocess.call(sys.argv[1:], **quiet); "
            "print(rc, time.perf_counter() - t, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe, *cmd], capture_output=True, text=True, check=True
        ).stdout.split()
        rc, wall, rss_kb = int(out[0]), float(out[1]), int(out[2])
        if rc != 0:
            raise SystemExit(f"predict failed with exit code {rc}")
        windows = len((tmp / "p.csv").read_text().splitlines()) - 1
        print(f"{model:<10}{engine:<8}{wall:>8.1f}{rss_kb / 1024:>13.0f}{windows:>10,}")


if __name__ == "__main__":
    main()
