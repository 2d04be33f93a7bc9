"""Writers of tiny datasets in the official HAPT ``RawData/`` and UCI HAR formats, for tests."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from lstm_har.data.sources import UCI_SIGNAL_FILES

RATE = 50.0


def synthetic_activity(activity: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``(acc g, gyro rad/s)`` that look like activity 1..6: cadence for walking, pose for rest."""
    t = np.arange(n) / RATE
    poses = {1: (1, 0, 0), 2: (1, 0, 0), 3: (1, 0, 0), 4: (0.7, 0, 0.7), 5: (1, 0, 0), 6: (0, 0, 1)}
    acc = np.tile(poses[activity], (n, 1)).astype(float)
    gyro = np.zeros((n, 3))
    if activity <= 3:
        freq = {1: 1.8, 2: 1.4, 3: 2.3}[activity]
        amp = {1: 0.3, 2: 0.2, 3: 0.5}[activity]
        phase = rng.uniform(0, 2 * np.pi)
        axis = {1: [0.1, 1, 0.1], 2: [1, 0.1, 0.1], 3: [0.1, 0.1, 1]}[activity]
        acc += amp * np.sin(2 * np.pi * freq * t + phase)[:, None] * axis
        gyro += 0.5 * amp * np.cos(2 * np.pi * freq * t + phase)[:, None] * axis[::-1]
    acc += rng.normal(scale=0.02, size=acc.shape)
    gyro += rng.normal(scale=0.01, size=gyro.shape)
    return acc, gyro


def write_hapt_raw(
    root: Path, subjects: list[int], seconds_per_activity: float = 6.0, seed: int = 0
) -> Path:
    """One experiment per subject, every activity once in a labeled run, gaps unlabeled."""
    rng = np.random.default_rng(seed)
    raw = root / "RawData"
    raw.mkdir(parents=True)
    rows = []
    n_seg = int(seconds_per_activity * RATE)
    for exp, user in enumerate(subjects, start=1):
        accs, gyros, start = [], [], 1
        for activity in rng.permutation(6) + 1:
            acc, gyro = synthetic_activity(int(activity), n_seg + 20, rng)
            accs.append(acc)
            gyros.append(gyro)
            rows.append((exp, user, int(activity), start, start + n_seg - 1))
            start += n_seg + 20  # 20 unlabeled samples between activities
        for kind, parts in (("acc", accs), ("gyro", gyros)):
            values = np.concatenate(parts)
            lines = "\n".join(" ".join(f"{v:.9f}" for v in r) for r in values)
            (raw / f"{kind}_exp{exp:02d}_user{user:02d}.txt").write_text(lines + "\n")
    (raw / "labels.txt").write_text("".join(" ".join(map(str, r)) + "\n" for r in rows))
    return raw


def _fmt(row: np.ndarray) -> str:
    # The official files: two leading spaces, 'e' notation with 3-digit exponents.
    return "  " + " ".join(f"{v: .7e}".replace("e-0", "e-00").replace("e+0", "e+00") for v in row)


def write_uci(root: Path, rng: np.random.Generator, n: dict[str, int]) -> dict:
    truth = {}
    for split, count in n.items():
        folder = root / "UCI HAR Dataset" / split / "Inertial Signals"
        folder.mkdir(parents=True)
        X = rng.normal(size=(count, 128, 9)).astype(np.float32)
        y = rng.integers(1, 7, count)
        subject = rng.integers(1, 31, count)
        for c, name in enumerate(UCI_SIGNAL_FILES):
            lines = [_fmt(X[i, :, c]) for i in range(count)]
            (folder / f"{name}_{split}.txt").write_text("\n".join(lines) + "\n")
        (folder.parent / f"y_{split}.txt").write_text("".join(f"{v}\n" for v in y))
        (folder.parent / f"subject_{split}.txt").write_text("".join(f"{v}\n" for v in subject))
        truth[split] = (X, y, subject)
    return truth


def zip_uci(root: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as z:
        for f in (root / "UCI HAR Dataset").rglob("*.txt"):
            z.write(f, f.relative_to(root))
    return archive


def make_spec(model: str = "simple", hidden: int = 8, n_classes: int = 2, channels: int = 9,
              backend: str = "torch"):  # fmt: skip
    """A ``ModelSpec`` for a model built in a test (not trained by ``lstm-har train``)."""
    from lstm_har.checkpoint import ModelSpec
    from lstm_har.data import ACTIVITIES, WALKING_CLASSES
    from lstm_har.signal import CALIBRATED_CHANNELS, CHANNELS

    classes = WALKING_CLASSES if n_classes == 2 else ACTIVITIES[:n_classes]
    names = {9: CHANNELS, 12: CALIBRATED_CHANNELS}.get(channels)
    names = names or tuple(f"c{k}" for k in range(channels))
    task = "walking" if n_classes == 2 else "activity"
    return ModelSpec(model, hidden, task, classes, names, backend)
