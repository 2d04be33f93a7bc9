"""Why sitting vs standing caps six-class accuracy: each test subject's posture, as gravity sees it.

    python examples/sit_stand.py [--model activity|RUN_DIR] [--segments SUBJECT] [--dry-run]

A waist-worn phone tells sitting from standing only by how it tilts: the mean of total
acceleration over a window is the gravity direction in the phone's frame. For each official
test subject this prints that mean (in g) over the subject's SITTING and STANDING windows, and
the model's recall of each. Where one person sits the way others stand, a model that sees one
2.56 s window at a time has nothing else to go on, unless it is calibrated against the
recording's own upright pose (``--calibrate``, ``lstm_har.signal.calibration``); the packaged
activity model reads how far the phone leans from that pose, in any orientation, but not which
way. ``--model RUN_DIR`` compares another run. ``--segments S`` lists
subject S's sitting and standing bouts (runs of consecutive windows) one by one, with their
recording's upright reference and what the model called each.
"""

from __future__ import annotations

import argparse

import numpy as np

from lstm_har.data import load_uci_har
from lstm_har.errors import LstmHarError
from lstm_har.inference import Predictor
from lstm_har.signal import CHANNELS

TOTAL_ACC = [CHANNELS.index(f"total_acc_{axis}") for axis in "xyz"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="activity", help="pretrained name or run directory")
    parser.add_argument("--segments", type=int, metavar="SUBJECT", help="list one subject's bouts")
    parser.add_argument("--dry-run", action="store_true", help="two subjects only, for CI")
    args = parser.parse_args()
    test = load_uci_har()[1].task("activity")
    subjects = np.unique(test.subject)[: 2 if args.dry_run else None]
    test = test.select(np.isin(test.subject, subjects))
    try:
        predictor = Predictor.from_model(args.model, engine="torch")
    except LstmHarError as e:
        parser.error(str(e))
    if predictor.spec.task != "activity":
        parser.error(f"--model {args.model}: needs a six-class (activity) model")
    # each window read against its recording's upright reference (and placement: the waist),
    # when the model is calibrated or reads any orientation
    pred = predictor.windows_scores(test.X, test.upright, test.in_pocket)[0].argmax(1)
    gravity = test.X[:, :, TOTAL_ACC].mean(1)  # (N, 128, 3) -> (N, 3)
    sit, stand = test.classes.index("SITTING"), test.classes.index("STANDING")
    print(f"{'subject':>7}  {'sitting: gravity x, y, z':>26}  recall  "
          f"{'standing: gravity x, y, z':>26}  recall")  # fmt: skip
    for s in subjects:
        cells = []
        for c in (sit, stand):
            rows = (test.subject == s) & (test.y == c)
            g = gravity[rows].mean(0)
            cells.append(f"{g[0]:>8.3f}{g[1]:>9.3f}{g[2]:>9.3f}  {(pred[rows] == c).mean():>6.1%}")
        print(f"{s:>7}  " + "  ".join(cells))
    print(f"six-class accuracy over these subjects: {(pred == test.y).mean():.2%}")
    if args.segments is not None:
        print_bouts(args.segments, test, pred, gravity, (sit, stand))


def print_bouts(subject, test, pred, gravity, shown) -> None:
    """One line per run of consecutive windows of one class, for the classes in ``shown``,
    with the upright reference (``lstm_har.signal.calibration``) of the bout's recording."""
    rows = np.flatnonzero(test.subject == subject)
    if not len(rows):
        raise SystemExit(f"--segments {subject}: not among the subjects shown")
    y = test.y
    starts = rows[np.r_[True, np.diff(y[rows]) != 0]]
    ends = rows[np.r_[np.diff(y[rows]) != 0, True]] + 1
    print(f"subject {subject}: bouts, gravity x, y, z, the recording's upright y, "
          "and the model's most frequent answer")  # fmt: skip
    for a, b in zip(starts, ends, strict=True):
        if y[a] in shown:
            g = gravity[a:b].mean(0)
            answer = test.classes[np.bincount(pred[a:b]).argmax()]
            print(f"  {test.classes[y[a]]:<9}{b - a:>4} windows  {g[0]:>7.3f}{g[1]:>8.3f}"
                  f"{g[2]:>8.3f}  upright y {test.upright[a, 1]:+.3f}"
                  f"  -> {answer} ({(pred[a:b] == y[a]).mean():.0%} right)")  # fmt: skip


if __name__ == "__main__":
    main()
