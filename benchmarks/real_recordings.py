"""Real phone-app exports through the reader and a model: what was read, or why it was refused.

    python benchmarks/real_recordings.py --dir ../shared/real-recordings [--model activity]

For each folder under --dir (and each .zip inside one, separately), then for one
acceleration file of each recording in it (`lstm-har predict FOLDER/Accelerometer.csv`: the
rest of its recording is found beside it), this runs what `lstm-har predict` runs, with no
unit or time flags, and prints the line that says what was detected (app, files, rate, units,
signs), then the share of time per activity, or the one-line refusal. A regression check on
files the project may not ship; --dry-run makes two tiny exports of its own (Sensor Logger
folder and zip) and runs on those.
"""

from __future__ import annotations

import argparse
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_har.errors import LstmHarError
from lstm_har.inference import Predictor, read_recording
from lstm_har.inference.exports import recording_tag


def entries(root: Path) -> list[Path]:
    """Each folder, its zips, and the first acceleration CSV of each recording within two
    levels of it (recordings told apart by folder and by file name less the sensor's)."""
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        found.append(folder)
        found += sorted(folder.glob("*.zip"))
        seen = set()
        for csv in sorted([*folder.glob("*.csv"), *folder.glob("*/*.csv")]):
            tag = recording_tag(csv.stem)
            if tag is not None and "acc" in csv.stem.lower() and (csv.parent, tag) not in seen:
                seen.add((csv.parent, tag))
                found.append(csv)
    return found


def report(path: Path, predictor: Predictor) -> list[str]:
    try:
        recording = read_recording(path)
        preds = predictor.predict_recording(recording)
    except LstmHarError as e:
        return [f"REFUSED  {e}"]
    per_class = preds.time_per_class()
    total = sum(per_class.values()) or 1.0
    ranked = sorted(per_class.items(), key=lambda kv: -kv[1])
    shares = ", ".join(f"{name} {100 * s / total:.0f} %" for name, s in ranked if s)
    lines = [f"READ     {recording.summary}"]
    doubts = [] if preds.calibration is None else preds.calibration.warnings
    lines += [f"         warning: {w}" for w in recording.warnings + doubts]
    lines.append(f"         {total / 60:.1f} min: {shares}")
    return lines


def dry_run_exports(root: Path) -> Path:
    """A tiny Sensor Logger (Android) export, as a folder and as a zip."""
    folder = root / "exports" / "sensorlogger"
    folder.mkdir(parents=True)
    t = np.arange(1500) / 50
    ns = (1.7e18 + t * 1e9).astype(np.int64)
    walk = np.stack([0.3 * np.sin(11 * t), 9.8 + 2 * np.sin(11 * t), 0 * t], axis=1)
    for name, xyz in (("TotalAcceleration", walk), ("Gyroscope", 0.5 * np.cos(11 * t)[:, None]
                                                     * np.ones((1, 3)))):  # fmt: skip
        frame = pd.DataFrame({"time": ns, "seconds_elapsed": t, "z": xyz[:, 2], "y": xyz[:, 1],
                              "x": xyz[:, 0]})  # fmt: skip
        frame.to_csv(folder / f"{name}.csv", index=False)
    pd.DataFrame([{"platform": "android", "appVersion": "1.0"}]).to_csv(
        folder / "Metadata.csv", index=False
    )
    with zipfile.ZipFile(folder / "export.zip", "w") as z:
        for f in folder.glob("*.csv"):
            z.write(f, f.name)
    return folder.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("../shared/real-recordings"))
    parser.add_argument("--model", default="activity", help="walking | activity | RUN_DIR")
    parser.add_argument("--dry-run", action="store_true", help="two tiny exports of its own")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = dry_run_exports(Path(tmp)) if args.dry_run else args.dir
        if not root.is_dir():
            parser.error(f"--dir {root}: not a folder")
        predictor = Predictor.from_model(args.model, engine="torch")
        print(f"model {args.model}; no unit, time or platform flags")
        for path in entries(root):
            print(f"== {path.relative_to(root)}")
            for line in report(path, predictor):
                print(line)


if __name__ == "__main__":
    main()
