"""What HMM smoothing does to the timeline: window errors and bouts, per test subject; and
how often UNKNOWN and NOT_WORN are said, rightly and wrongly.

    python benchmarks/bench_smoothing.py [--model activity] [--table EXPORT] [--dry-run]

Each of the 19 packaged recordings of the 9 official test subjects is labelled through
``Predictor.predict`` twice, with and without smoothing (``--no-smooth`` in the CLI). Errors
count the windows lying wholly inside one labelled activity (an UNKNOWN there is an error);
bouts are runs of one label over the whole recording, against the recording's labelled
activity segments (runs of one HAPT activity label, 1..6; for the walking model, runs of
walking and of the rest). Two counts: all runs (UNKNOWN and NOT_WORN runs included), and the
activity bouts alone, runs of one of the model's classes with UNKNOWN and NOT_WORN
separating them, as transitions and unlabelled stretches separate the labelled segments; and
the runs left with UNKNOWN and NOT_WORN windows taken out ("joined"), so that a bout split by
a few UNKNOWN windows counts once: how many of the bouts those splits make.
UNKNOWN: the share of the windows lying wholly inside a postural transition (HAPT labels
7..12, none of the classes) that are called UNKNOWN, and of the activities' windows.
NOT_WORN: of the LAYING windows; ``--table EXPORT`` adds the share of an export's first
``--table-seconds`` (a phone lying on a table) that is NOT_WORN.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from lstm_har.data import TEST_SUBJECTS
from lstm_har.data.packaged import read_packaged
from lstm_har.inference import Predictor, read_recording
from lstm_har.signal.filters import STEP, WINDOW
from lstm_har.signal.smoothing import runs
from lstm_har.training.metrics import window_truth


def _activity_bouts(bouts: list[tuple[int, int, Any]], classes: tuple[str, ...]) -> int:
    """How many of the ``runs`` are of one of ``classes``; the others (UNKNOWN, NOT_WORN)
    only separate them."""
    return sum(1 for *_, label in bouts if label in classes)


def _joined_bouts(labels: np.ndarray, classes: tuple[str, ...]) -> int:
    """How many runs ``labels`` has once every window not of ``classes`` is taken out."""
    return len(runs(labels[np.isin(labels, classes)]))


def _inside_transitions(labels: np.ndarray, n_windows: int) -> np.ndarray:
    """``(n_windows,)`` whether each window lies wholly inside one postural transition."""
    starts = np.arange(n_windows) * STEP
    windows = labels[np.minimum(starts[:, None] + np.arange(WINDOW), len(labels) - 1)]
    return (windows >= 7).all(axis=1) & (windows == windows[:, :1]).all(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="activity", help="walking | activity | RUN_DIR")
    parser.add_argument("--table", help="an export whose start is a phone lying on a table")
    parser.add_argument("--table-seconds", type=float, default=150.0)
    parser.add_argument("--dry-run", action="store_true", help="one recording")
    args = parser.parse_args()
    predictor = Predictor.from_model(args.model, engine="torch")
    recordings = [r for r in read_packaged() if r.subject in TEST_SUBJECTS]
    if args.dry_run:
        recordings = recordings[:1]
    print(f"model {args.model}: window errors (pure windows) and bouts, raw vs smoothed")
    print(f"{'subject':>7}{'windows':>9}{'raw err':>9}{'smoothed':>10}{'segments':>10}"
          f"{'raw bouts':>11}{'smoothed':>10}{'activity bouts':>16}{'joined':>8}")  # fmt: skip
    widths = (9, 9, 10, 10, 11, 10, 16, 8)
    totals = np.zeros(len(widths), dtype=np.int64)
    laying = off = 0
    novel = np.zeros(4, dtype=np.int64)  # transition windows, UNKNOWN; activity windows, UNKNOWN
    for subject in sorted({r.subject for r in recordings}):
        row = np.zeros(len(widths), dtype=np.int64)
        for rec in (r for r in recordings if r.subject == subject):
            samples = np.concatenate([rec.acc, rec.gyro], axis=1)
            raw = predictor.predict(samples, smooth=False).label
            smoothed = predictor.predict(samples)
            smooth = smoothed.label
            bouts = runs(smooth)
            truth, pure = window_truth(rec.labels, len(raw), predictor.spec.task)
            lying = pure & (window_truth(rec.labels, len(raw), "activity")[0] == "LAYING")
            laying += int(lying.sum())
            off += int((smoothed.not_worn[lying]).sum()) if smoothed.not_worn is not None else 0
            inside = _inside_transitions(rec.labels, len(smooth))
            novel += [inside.sum(), (smooth[inside] == "UNKNOWN").sum(),
                      pure.sum(), (smooth[pure] == "UNKNOWN").sum()]  # fmt: skip
            segments = [r[2] for r in runs(rec.labels) if 1 <= r[2] <= 6]  # labelled runs
            if predictor.spec.task == "walking":  # consecutive non-walking activities: one
                segments = [s for s, *_ in runs(np.asarray(segments) == 1)]
            row += [pure.sum(), (raw != truth)[pure].sum(), (smooth != truth)[pure].sum(),
                    len(segments), len(runs(raw)), len(bouts),
                    _activity_bouts(bouts, predictor.classes),
                    _joined_bouts(smooth, predictor.classes)]  # fmt: skip
        totals += row
        print(f"{subject:>7}" + "".join(f"{v:>{w}}" for v, w in zip(row, widths, strict=True)))
    print(f"{'all':>7}" + "".join(f"{v:>{w}}" for v, w in zip(totals, widths, strict=True)))
    n, raw_err, smooth_err, segments, raw_bouts, smooth_bouts, activity_bouts, joined = (
        totals.tolist())  # fmt: skip
    cut = 1 - smooth_err / raw_err if raw_err else 0.0
    print(f"window error {100 * raw_err / n:.2f} % -> {100 * smooth_err / n:.2f} % "
          f"({100 * cut:.1f} % fewer errors); bouts {raw_bouts} -> {smooth_bouts} against "
          f"{segments} labelled segments ({smooth_bouts / segments:.2f}x); activity bouts "
          f"{activity_bouts} ({activity_bouts / segments:.2f}x), joined across UNKNOWN and "
          f"NOT_WORN {joined} ({joined / segments:.2f}x)")  # fmt: skip
    print(f"LAYING windows taken for a phone lying still (NOT_WORN): {off} of {laying}")
    n_trans, trans_unknown, n_act, act_unknown = novel.tolist()
    print(f"UNKNOWN: {trans_unknown} of {n_trans} windows inside postural transitions "
          f"({100 * trans_unknown / max(n_trans, 1):.1f} %); {act_unknown} of {n_act} activity "
          f"windows ({100 * act_unknown / max(n_act, 1):.2f} %, wrongly)")  # fmt: skip
    if args.table:
        preds = predictor.predict_recording(read_recording(args.table))
        on_table = preds.end <= args.table_seconds
        off_table = int((preds.label[on_table] == "NOT_WORN").sum())
        print(f"{args.table}: {off_table} of {int(on_table.sum())} windows in its first "
              f"{args.table_seconds:g} s are NOT_WORN")  # fmt: skip


if __name__ == "__main__":
    main()
