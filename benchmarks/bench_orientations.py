"""How well models hold up when the phone is worn another way: accuracy per orientation.

    python benchmarks/bench_orientations.py [--model walking activity RUN_DIR ...] [--random 2]
                                      [--motionsense DIR] [--markdown FILE] [--dry-run]

Every recording of the 9 official UCI HAR test subjects (19 packaged HAPT recordings) is
rotated by one fixed rotation R for its whole length (acc' = R acc, gyro' = R gyro: the same
phone, worn another way) and labelled through ``Predictor.predict``, as `lstm-har predict`
would. Named orientations (upside down, screen turned in, landscape, 30° tilts) and --random
N uniform random rotations, drawn anew for each recording (seeded). The score is the window
accuracy over windows lying wholly inside one labelled activity (walking model: WALKING vs
the rest).

--motionsense DIR (a folder or zip, ``data.motionsense``) adds MotionSense (an iPhone 6s in a
front trouser pocket): its test subjects 17-24 only, never trained on or selected with. Each
subject's trials (wlk, ups, dws, sit, std) are put end to end into one recording, as a phone
would record a day, labelled by ``Predictor.predict`` (which finds the upright pose and the
placement in it), and scored over the windows inside one trial.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from lstm_har.data import TEST_SUBJECTS
from lstm_har.data.motionsense import TEST_SUBJECTS as TEST_SUBJECTS_MS
from lstm_har.data.motionsense import read_trials
from lstm_har.data.packaged import read_packaged
from lstm_har.inference import Predictor
from lstm_har.signal import STEP, WINDOW
from lstm_har.signal.calibration import (
    FLAT_SCREEN_DEG,
    POCKET_MOTION_G,
    samples_reference,
    screen_tilt,
)
from lstm_har.training.metrics import window_truth

NAMED = {
    "as recorded": Rotation.identity(),
    "tilted 30° about x": Rotation.from_euler("x", 30, degrees=True),
    "tilted 30° about y": Rotation.from_euler("y", 30, degrees=True),
    "upside down (180° about z)": Rotation.from_euler("z", 180, degrees=True),
    "screen turned in (180° about y)": Rotation.from_euler("y", 180, degrees=True),
    "landscape (90° about z)": Rotation.from_euler("z", 90, degrees=True),
}
MOTIONSENSE_TEST_SUBJECTS = TEST_SUBJECTS_MS  # 1-16 may train and select; these only test


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
    """(accuracy, walking recall, windows) over the test subjects, one recording each."""
    correct = total = walk_hits = walk_total = 0
    trials = [t for t in read_trials(root) if t.subject in MOTIONSENSE_TEST_SUBJECTS]
    for subject in sorted({t.subject for t in trials}):
        mine = [t for t in trials if t.subject == subject]
        samples = np.concatenate([np.concatenate([t.acc, t.gyro], axis=1) for t in mine])
        trial_of = np.concatenate([np.full(len(t.acc), k) for k, t in enumerate(mine)])
        label = predictor.predict(samples, smooth=smooth).label
        starts = np.arange(len(label)) * STEP
        pure = trial_of[starts] == trial_of[starts + WINDOW - 1]  # inside one trial
        truth = np.array([mine[k].activity for k in trial_of[starts]], dtype=object)
        if predictor.spec.task == "walking":
            truth = np.where(truth == "WALKING", "WALKING", "NON_WALKING")
        correct += int((label[pure] == truth[pure]).sum())
        total += int(pure.sum())
        walking = pure & (truth == "WALKING")
        walk_hits += int((label[walking] == "WALKING").sum())
        walk_total += int(walking.sum())
    return correct / max(total, 1), (walk_hits / walk_total if walk_total else None), total


def placement(root: Path | None) -> None:
    """Each recording's walking motion (signal.calibration.POCKET_MOTION_G tells placement
    from it) and its screen's tilt from level while moving (under FLAT_SCREEN_DEG predict
    warns of a phone carried flat): their ranges per dataset and split, how often the
    placement comes out right, how many are warned of; then the test recordings' tilt under
    each named orientation."""
    groups: dict[str, list[np.ndarray]] = {}  # (upright xyz, motion g) per recording
    for rec in read_packaged():
        split = "test" if rec.subject in TEST_SUBJECTS else "training"
        ref = samples_reference(np.concatenate([rec.acc, rec.gyro], axis=1))
        if ref is not None:
            groups.setdefault(f"UCI HAR waist, {split} recordings", []).append(ref)
    if root is not None:
        trials = read_trials(root)
        for subject in sorted({t.subject for t in trials}):
            mine = [np.concatenate([t.acc, t.gyro], axis=1) for t in trials if t.subject == subject]
            ref = samples_reference(np.concatenate(mine))
            split = "test" if subject in MOTIONSENSE_TEST_SUBJECTS else "training"
            if ref is not None:
                groups.setdefault(f"MotionSense pocket, {split} subjects", []).append(ref)
    print(
        f"walking motion (g) per recording, pocket above {POCKET_MOTION_G} g; screen tilt "
        f"from level while moving (deg), warned of as flat under {FLAT_SCREEN_DEG:g}"
    )
    for name, refs in groups.items():
        motions = [float(r[3]) for r in refs]
        tilts = [screen_tilt(r[:3]) for r in refs]
        right = [(v > POCKET_MOTION_G) == ("pocket" in name) for v in motions]
        print(f"  {name:<40} {min(motions):.3f}-{max(motions):.3f} g, placement right in "
              f"{sum(right)} of {len(right)}; tilt {min(tilts):.1f}-{max(tilts):.1f}, "
              f"{sum(t < FLAT_SCREEN_DEG for t in tilts)} warned")  # fmt: skip
    test = groups.get("UCI HAR waist, test recordings", [])
    for name, rotation in NAMED.items():
        tilts = [screen_tilt(rotation.apply(r[:3])) for r in test]
        print(f"  UCI HAR test recordings, {name:<32} tilt from {min(tilts):.1f}, "
              f"{sum(t < FLAT_SCREEN_DEG for t in tilts)} of {len(tilts)} warned")  # fmt: skip


def markdown(predictors: dict[str, Predictor], rotations, recordings, root: Path | None) -> str:
    """The table, unsmoothed and smoothed side by side per model, as markdown."""
    columns = [(m, smooth) for m in predictors for smooth in (False, True)]
    tables = {(m, sm): uci_har(predictors[m], rotations, recordings, sm) for m, sm in columns}
    head = (
        "| UCI HAR test subjects, window accuracy (%) | "
        + " | ".join(f"{Path(m).name} {'smoothed' if sm else 'unsmoothed'}" for m, sm in columns)
        + " |"
    )
    lines = [head, "|---|" + "---|" * len(columns)]
    for name in rotations:
        lines.append(f"| {name} | " + " | ".join(
            f"{100 * tables[c][name]:.2f}" for c in columns) + " |")  # fmt: skip
    if root is not None:
        found = {c: motionsense(predictors[c[0]], root, c[1]) for c in columns}
        lines.append("| MotionSense test subjects 17-24, accuracy | " + " | ".join(
            f"{100 * found[c][0]:.2f}" for c in columns) + " |")  # fmt: skip
        lines.append("| MotionSense 17-24, WALKING recall | " + " | ".join(
            f"{100 * found[c][1]:.1f}" if found[c][1] is not None else "n/a" for c in columns
        ) + " |")  # fmt: skip
    n = len(next(iter(rotations.values())))
    return "\n".join(lines) + (
        f"\n\n{n} recordings of the 9 UCI HAR test subjects, each turned by one fixed rotation"
        " (random ones drawn per recording); MotionSense: each test subject's trials end to end"
        " as one recording, placement found from the data. Made by `python "
        "benchmarks/bench_orientations.py --markdown FILE --model ... --motionsense DIR`.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", default=["walking", "activity"])
    parser.add_argument("--random", type=int, default=2, metavar="N", help="random rotations")
    parser.add_argument("--motionsense", type=Path, help="MotionSense folder or zip")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-smooth", action="store_true", help="each window's own label")
    parser.add_argument(
        "--markdown",
        type=Path,
        help="also write the table, unsmoothed and smoothed, as markdown here",
    )
    parser.add_argument(
        "--placement",
        action="store_true",
        help="only the placement table: each recording's walking motion and screen tilt",
    )
    parser.add_argument("--dry-run", action="store_true", help="one recording, one model")
    args = parser.parse_args()
    if args.placement:
        placement(args.motionsense)
        return
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
    if args.markdown is not None:
        args.markdown.write_text(markdown(predictors, rotations, recordings, args.motionsense))
        print(f"wrote {args.markdown}")
        return
    smooth = not args.no_smooth
    how = "smoothed (as lstm-har predict)" if smooth else "unsmoothed"
    print(f"{len(recordings)} test-subject recordings; window accuracy (%), {how}")
    names = [Path(m).name if Path(m).name.startswith("seed_") else m for m in models]
    mean = " mean ± std" if len(models) > 1 else ""
    print(f"{'orientation':<34}" + "".join(f"{n:>12}" for n in names) + mean)
    table = {m: uci_har(p, rotations, recordings, smooth) for m, p in predictors.items()}
    for name in rotations:
        values = [100 * table[m][name] for m in models]
        spread = f"  {np.mean(values):6.2f} ± {np.std(values, ddof=1):.2f}" if mean else ""
        print(f"{name:<34}" + "".join(f"{v:>12.2f}" for v in values) + spread)
    if args.motionsense is not None:
        first, last = MOTIONSENSE_TEST_SUBJECTS[0], MOTIONSENSE_TEST_SUBJECTS[-1]
        print(f"\nMotionSense test subjects {first}-{last} (front trouser pocket, iPhone 6s)")
        found = {m: motionsense(p, args.motionsense, smooth) for m, p in predictors.items()}
        for m, (accuracy, recall, n) in found.items():
            shown = "n/a" if recall is None else f"{100 * recall:.1f} %"
            print(
                f"  {m:<10} accuracy {100 * accuracy:.2f} %  walking recall {shown}  ({n} windows)"
            )
        if len(found) > 1:
            acc = [100 * a for a, _, _ in found.values()]
            rec = [100 * r for _, r, _ in found.values() if r is not None]
            print(f"  mean ± std: accuracy {np.mean(acc):.2f} ± {np.std(acc, ddof=1):.2f} %"
                  + (f", walking recall {np.mean(rec):.1f} ± {np.std(rec, ddof=1):.1f} %"
                     if len(rec) > 1 else ""))  # fmt: skip


if __name__ == "__main__":
    main()
