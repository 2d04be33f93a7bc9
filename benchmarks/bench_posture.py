"""How far the recording's own postures may move the network (``signal.posture``), chosen on
the validation subjects only.

    python benchmarks/bench_posture.py [--model activity runs/pretrained-activity/seed_1 ...]
                                       [--bounds 0.5 0.75 1 1.5 inf] [--dry-run]

Each model's UCI HAR validation subjects (drawn from the training subjects by its config's
``val_subjects`` and ``val_seed``, as ``lstm-har train`` drew them; never a test subject) are
labelled through ``Predictor.predict`` unsmoothed, then every bound is applied to each recording:
window errors (argmax, over the windows inside one labelled activity) with the recording
whole, with its standing windows taken out, and with its sitting windows taken out. The two
cut cases are what a recording with one posture looks like, where two clusters are not
there to be found: a bound that mends the whole recordings but relabels those is too loose.
Then the timeline as ``lstm-har predict`` gives it (the run's own ``posture_odds``, emission
weight and minimum bout) against the same without its minimum bout, the HMM alone (no
postures) and no smoothing: errors and bouts. Last, what ``lstm-har train`` fits the weight
and the minimum bout from (``training.hmm.smoothing_costs``), summed over the runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import math

import numpy as np

from lstm_har.checkpoint import ModelSpec
from lstm_har.config import TrainConfig
from lstm_har.data import TEST_SUBJECTS, subject_split
from lstm_har.data.packaged import read_packaged
from lstm_har.inference import Predictor
from lstm_har.inference.predictions import smoothed
from lstm_har.signal.posture import posture_odds
from lstm_har.signal.smoothing import runs
from lstm_har.training.hmm import MIN_BOUTS, WEIGHTS, score_recordings, smoothing_costs

CASES = ("whole", "no standing", "no sitting")


def _validation_subjects(recordings: list, spec: ModelSpec) -> set[int]:
    """The UCI HAR subjects ``lstm-har train`` held out for validation under ``spec.config``."""
    cfg = TrainConfig.from_dict(spec.config, f"{spec.model} config")
    training = np.unique([r.subject for r in recordings if r.subject not in TEST_SUBJECTS])
    _, val = subject_split(training, cfg.val_subjects, cfg.val_seed)
    return {int(s) for s in training[val]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["activity"], help="activity | RUN_DIR")
    parser.add_argument("--bounds", nargs="+", type=float, default=[0.5, 0.75, 1.0, 1.5, math.inf])
    parser.add_argument("--dry-run", action="store_true", help="one recording per run")
    args = parser.parse_args()
    recordings = read_packaged()
    errors = np.zeros((len(args.bounds) + 1, len(CASES)), dtype=np.int64)  # row 0: no postures
    timeline = np.zeros(9, dtype=np.int64)
    chosen = []
    grid = np.zeros((len(MIN_BOUTS), len(WEIGHTS), 2), dtype=np.int64)  # (errors, bouts)
    for run in args.model:
        predictor = Predictor.from_model(run, engine="torch")
        spec = predictor.spec
        chosen.append((spec.emission_weight, spec.min_bout))
        if spec.posture_odds is None:
            raise SystemExit(f"{run}: a model without sitting/standing postures (posture_odds)")
        sit, stand = spec.classes.index("SITTING"), spec.classes.index("STANDING")
        names = np.asarray(spec.classes)
        validation = _validation_subjects(recordings, spec)
        mine = [r for r in recordings if r.subject in validation][: 1 if args.dry_run else None]
        scored = score_recordings(predictor, mine)
        costs = smoothing_costs(spec, scored)
        grid += [[costs[(w, m)] for w in WEIGHTS] for m in MIN_BOUTS]
        for rec in scored:
            raw, truth, pure = rec.preds, rec.truth, rec.pure
            assert raw.gravity is not None
            for c, cut in enumerate((None, "STANDING", "SITTING")):
                keep = truth != cut
                proba, gravity, t, p = raw.proba[keep], raw.gravity[keep], truth[keep], pure[keep]
                errors[0, c] += int((names[proba.argmax(1)] != t)[p].sum())
                for b, bound in enumerate(args.bounds, start=1):
                    moved = posture_odds(proba, gravity, sit, stand, bound)
                    errors[b, c] += int((names[moved.argmax(1)] != t)[p].sum())
            alone = smoothed(raw, dataclasses.replace(spec, posture_odds=None)).label
            any_bout = smoothed(raw, dataclasses.replace(spec, min_bout=1)).label
            labels = (raw.label, alone, any_bout, smoothed(raw, spec).label)
            timeline += [pure.sum(), *((lab != truth)[pure].sum() for lab in labels),
                         *(len(runs(lab)) for lab in labels)]  # fmt: skip
    print(f"validation window errors, unsmoothed argmax, {len(args.model)} run(s)")
    print(f"{'bound':>8}" + "".join(f"{c:>13}" for c in CASES) + f"{'all three':>11}")
    for b, row in enumerate(errors):
        name = "off" if b == 0 else f"{args.bounds[b - 1]:g}"
        print(f"{name:>8}" + "".join(f"{v:>13}" for v in row) + f"{row.sum():>11}")
    n, *rest = timeline.tolist()
    fitted = ", ".join(f"{w:g}/{m}" for w, m in chosen)
    print(f"timeline over {n} validation windows (errors; bouts): unsmoothed {rest[0]}; {rest[4]}, "
          f"HMM alone {rest[1]}; {rest[5]}, postures + HMM with any bout {rest[2]}; {rest[6]}, "
          f"as predict (+ the minimum bout) {rest[3]}; {rest[7]}")  # fmt: skip
    print(f"fitted emission weight / minimum bout (windows) per run: {fitted}")
    print("validation timeline errors / bouts by emission weight (columns) and minimum bout")
    print(f"{'min bout':>8}" + "".join(f"{w:>12g}" for w in WEIGHTS))
    for m, row in zip(MIN_BOUTS, grid, strict=True):
        print(f"{m:>8}" + "".join(f"{f'{e} / {b}':>12}" for e, b in row))


if __name__ == "__main__":
    main()
