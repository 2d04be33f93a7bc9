"""How well models hold up when the phone is worn another way: accuracy per orientation.

    python benchmarks/bench_orientations.py [--model walking activity RUN_DIR ...] [--random 2]
                                      [--motionsense DIR] [--dry-run]

Every recording of the 9 official UCI HAR test subjects (19 packaged HAPT recordings) is
rotated by one fixed rotation R for its whole length (acc' = R acc, gyro' = R gyro: the same
phone, worn another way) and labelled through ``Predictor.predict``, as `lstm-har predict`
would. Named orientations (upside down, screen turned in, landscape, 30° tilts) and --random
N uniform random rotations, drawn anew for each recording (seeded). The score is the window
accuracy over windows lying wholly inside one labelled activity (walking model: WALKING vs
the rest).

--motionsense DIR adds the MotionSense subset (an iPhone 6s in a front trouser pocket, Core
Motion CSVs read with no flags): its test subjects 17-24 only, never trained on here, each
trial one activity (wlk, ups, dws, sit, std; jog has no class and is left out).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from lstm_har.data import TEST_SUBJECTS
from lstm_har.data.packaged import read_packaged
from lstm_har.inference import Predictor, read_recording
from lstm_har.training.metrics import window_truth

NAMED = {
    "as recorded": Rotation.identity(),
    "tilted 30° about x": Rotation.from_euler("x", 30, degrees=True),
    "tilted 30° about y": Rotation.from_euler("y", 30, degrees=True),
    "upside down (180° about z)": Rotation.from_euler("z", 180, degrees=True),
    "screen turned in (180° about y)": Rotation.from_euler("y", 180, degrees=True),
    "landscape (90° about z)": Rotation.from_euler("z", 90, degrees=True),
}
MOTIONSENSE_TEST_SUBJECTS = range(17, 25)  # subjects 1-16 may train and select; these only test
MOTIONSENSE_CLASSES = {"wlk": "WALKING", "ups": "WALKING_UPSTAIRS", "dws": "WALKING_DOWNSTAIRS",
                       "sit": "SITTING", "std": "STANDING"}  # fmt: skip


def window_accuracy(labels: np.ndarray, predicted: np.ndarray, task: str) -> tuple[int, int]:
    """(correct, scored) over the windows wholly inside one activity (HAPT labels 1..6)."""
    truth, pure = window_truth(labels, len(predicted), task)
    return int((predicted[pure] == truth[pure]).sum()), int(pure.sum())


def uci_har(
    predictor: Predictor, rotations: dict[str, list[Rotation]], recordings, smooth: bool
) -> dict:
    scores = {}
    for name, per_recording in rotations.items():
        correct = total = 0
        for rec, rotation in zip(recordings, per_recording, strict=True):
            samples = np.concatenate([rotation.apply(rec.acc), rotation.apply(rec.gyro)], axis=1)
            label = predictor.predict(samples, smooth=smooth).label
            c, n = window_accuracy(rec.labels, label, predictor.spec.task)
            correct, total = correct + c, total + n
        scores[name] = correct / total
    return scores


def motionsense(predictor: Predictor, root: Path, smooth: bool) -> tuple[float, float | None, int]:
    """(accuracy, walking recall, windows) over the test subjects' trials."""
    correct = total = walk_hits = walk_total = 0
    for trial in sorted((root / "A_DeviceMotion_data").iterdir()):
        activity = MOTIONSENSE_CLASSES.get(trial.name.split("_")[0])
        if activity is None:
            continue
        for subject in MOTIONSENSE_TEST_SUBJECTS:
            path = trial / f"sub_{subject}.csv"
            if not path.is_file():
                continue
            label = predictor.predict_recording(read_recording(path), smooth=smooth).label
            truth = activity
            if predictor.spec.task == "walking":
                truth = "WALKING" if activity == "WALKING" else "NON_WALKING"
            correct, total = correct + int((label == truth).sum()), total + len(label)
            if activity == "WALKING":
                walk_hits += int((label == "WALKING").sum())
                walk_total += len(label)
    return correct / max(total, 1), (walk_hits / walk_total if walk_total else None), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["walking", "activity"])
    parser.add_argument("--random", type=int, default=2, metavar="N", help="random rotations")
    parser.add_argument("--motionsense", type=Path, help="MotionSense folder (A_DeviceMotion_data)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-smooth", action="store_true", help="each window's own label")
    parser.add_argument("--dry-run", action="store_true", help="one recording, one model")
    args = parser.parse_args()
    recordings = [r for r in read_packaged() if r.subject in TEST_SUBJECTS]
    models = args.model
    if args.dry_run:
        recordings, models = recordings[:1], models[:1]
    rng = np.random.default_rng(args.seed)
    rotations = {name: [r] * len(recordings) for name, r in NAMED.items()}
    for k in range(args.random):  # one draw per recording, fixed for its whole length
        rotations[f"random rotation {k + 1}"] = [Rotation.random(random_state=rng)
                                                 for _ in recordings]  # fmt: skip
    predictors = {m: Predictor.from_model(m, engine="torch") for m in models}
    smooth = not args.no_smooth
    how = "smoothed (as lstm-har predict)" if smooth else "unsmoothed"
    print(f"{len(recordings)} test-subject recordings; window accuracy (%), {how}")
    print(f"{'orientation':<34}" + "".join(f"{m:>12}" for m in models))
    table = {m: uci_har(p, rotations, recordings, smooth) for m, p in predictors.items()}
    for name in rotations:
        print(f"{name:<34}" + "".join(f"{100 * table[m][name]:>12.2f}" for m in models))
    if args.motionsense is not None:
        first, last = MOTIONSENSE_TEST_SUBJECTS.start, MOTIONSENSE_TEST_SUBJECTS.stop - 1
        print(f"\nMotionSense test subjects {first}-{last} (front trouser pocket, iPhone 6s)")
        for m, p in predictors.items():
            accuracy, recall, n = motionsense(p, args.motionsense, smooth)
            shown = "n/a" if recall is None else f"{100 * recall:.1f} %"
            print(
                f"  {m:<10} accuracy {100 * accuracy:.2f} %  walking recall {shown}  ({n} windows)"
            )


if __name__ == "__main__":
    main()
