"""Write one packaged HAPT recording of an official *test* subject as a phone-style CSV.

    python examples/held_out_recording.py --subject 2 --out subject2.csv [--reverse-y]

Columns: time (s), acc_x/y/z in m/s^2, gyro_x/y/z in rad/s, plus the true per-sample label
name (ignored by `lstm-har predict`), so you can try the tool on a recording the models never
trained on: `lstm-har predict subject2.csv --plot timeline.png`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_har.data import ACTIVITIES, TEST_SUBJECTS
from lstm_har.data.packaged import read_packaged
from lstm_har.inference.streams import STANDARD_GRAVITY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", type=int, default=2, choices=TEST_SUBJECTS)
    parser.add_argument("--out", type=Path, default=Path("held_out.csv"))
    parser.add_argument(
        "--reverse-y",
        action="store_true",
        help="negate the accelerometer's y, as in the recordings where the phone was worn the "
        "other way round (see lstm_har.signal.calibration)",
    )
    args = parser.parse_args()
    recordings = [r for r in read_packaged() if r.subject == args.subject]
    rec = recordings[0]
    names = np.array(["unlabeled", *ACTIVITIES, *["TRANSITION"] * 6], dtype=object)
    labels = names[np.where(rec.labels < 0, 0, rec.labels)]
    frame = pd.DataFrame({"time": np.arange(len(rec.labels)) / 50.0})
    for k, axis in enumerate("xyz"):
        sign = -1 if args.reverse_y and axis == "y" else 1
        frame[f"acc_{axis}"] = sign * rec.acc[:, k] * STANDARD_GRAVITY
    for k, axis in enumerate("xyz"):
        frame[f"gyro_{axis}"] = rec.gyro[:, k]
    frame["true_label"] = labels
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False, float_format="%.6f")
    print(f"wrote {args.out}: subject {args.subject}, {len(frame) / 50 / 60:.1f} min")


if __name__ == "__main__":
    main()
