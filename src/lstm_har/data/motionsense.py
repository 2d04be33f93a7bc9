"""MotionSense, a second dataset: an iPhone 6s in the front trouser pocket, 24 people.

Malekzadeh, Clegg, Cavallaro and Haddadi, "Mobile Sensor Data Anonymization", IoTDI '19
(https://github.com/mmalekzadeh/motion-sense, MIT licence). ``load_motionsense(path)`` reads
its DeviceMotion layout, ``A_DeviceMotion_data/<activity>_<trial>/sub_<n>.csv``, from the
folder above it, the folder itself, or ``A_DeviceMotion_data.zip``
(``lstm-har data download motionsense`` fetches that zip; nothing else needs the network).

Each CSV is Core Motion's ``CMDeviceMotion`` at 50 Hz: ``gravity`` and ``userAcceleration``
in g with the iOS sign (a phone lying face up reads z = -1 g), ``rotationRate`` in rad/s, no
timestamps. Android's (and UCI HAR's) acceleration is therefore ``-(gravity +
userAcceleration)``; the gyroscope needs no change. Each trial file is filtered as its own
recording (the phone went back into the pocket for every trial) and windowed whole, labeled
by its trial's activity. A subject's trials together stand for one of their days: the upright
reference comes from all of that subject's moving windows, as it would from a recording that
held them all.

Protocol (the project's, from the dataset's 24 subjects): ``TRAIN_SUBJECTS`` 1-16 may train
and select models; ``TEST_SUBJECTS`` 17-24 are test only.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import read_member
from ..errors import DataError
from ..signal.calibration import recording_upright
from ..signal.filters import cut_windows, filter_recording, window_starts
from .uci_har import ACTIVITIES, Windows, concat

# Dataset facts (the MotionSense README): trial folder prefixes and our class for each
# (jogging has no UCI HAR counterpart and is skipped), 24 subjects at 50 Hz.
ACTIVITY_OF = {
    "wlk": "WALKING", "ups": "WALKING_UPSTAIRS", "dws": "WALKING_DOWNSTAIRS",
    "sit": "SITTING", "std": "STANDING",
}  # fmt: skip
N_SUBJECTS = 24
TRAIN_SUBJECTS = tuple(range(1, 17))
TEST_SUBJECTS = tuple(range(17, 25))
SUBJECT_OFFSET = 100  # MotionSense subject n is subject 100 + n beside UCI HAR's 1..30
FOLDER = "A_DeviceMotion_data"
COLUMNS = [f"{kind}.{axis}" for kind in ("gravity", "userAcceleration", "rotationRate")
           for axis in "xyz"]  # fmt: skip
MAX_FILE = 64 << 20  # bytes; the largest trial file is ~2 MB
_FILE = re.compile(r"(?:^|/)([a-z]{3})_(\d+)/sub_(\d+)\.csv$")


def _files(path: Path) -> Iterator[tuple[str, str, int, bytes]]:
    """``(name, activity prefix, subject, bytes)`` of every trial CSV under ``path``."""
    if path.is_file():
        try:
            with zipfile.ZipFile(path) as z:
                for name in sorted(z.namelist()):
                    m = _FILE.search(name)
                    if m and "__MACOSX" not in name:
                        yield name, m[1], int(m[3]), read_member(z, name, str(path), MAX_FILE)
        except zipfile.BadZipFile:
            raise DataError(f"{path}: not a zip file") from None
        return
    root = path / FOLDER if (path / FOLDER).is_dir() else path
    for file in sorted(root.glob("*_*/sub_*.csv")):
        m = _FILE.search(file.as_posix())
        if m:
            yield str(file), m[1], int(m[3]), file.read_bytes()


def check_zip(path: Path) -> int:
    """How many trial files the zip at ``path`` holds; a ``DataError`` when none."""
    try:
        with zipfile.ZipFile(path) as z:
            n = sum(1 for name in z.namelist() if _FILE.search(name))
    except (zipfile.BadZipFile, OSError) as e:
        raise DataError(f"{path}: not a zip file ({e})") from None
    if not n:
        raise DataError(f"{path}: no {FOLDER}/<activity>_<trial>/sub_<n>.csv inside")
    return n


def _read_trial(name: str, data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """One trial's ``(acc g, gyro rad/s)``, each ``(T, 3)``, in Android's sign convention."""
    try:
        frame = pd.read_csv(io.BytesIO(data), usecols=COLUMNS, dtype=np.float64)
    except (ValueError, pd.errors.ParserError) as e:
        raise DataError(f"{name}: not a MotionSense DeviceMotion file ({str(e)[:120]})") from None
    values = frame[COLUMNS].to_numpy()
    if not np.isfinite(values).all():
        raise DataError(f"{name}: has missing or non-numeric values")
    acc = -(values[:, 0:3] + values[:, 3:6])  # iOS gravity + user acceleration, sign flipped
    return acc, values[:, 6:9]


@dataclass(frozen=True)
class Trial:
    """One trial file: a subject doing one activity, raw 50 Hz samples."""

    subject: int  # 1..24, as MotionSense numbers them
    activity: str  # one of ACTIVITIES
    acc: np.ndarray  # (T, 3) g, Android's sign
    gyro: np.ndarray  # (T, 3) rad/s


def read_trials(path: str | Path) -> list[Trial]:
    """Every trial under ``path`` of the activities shared with UCI HAR (``ACTIVITY_OF``),
    by subject, then in file order.

    Raises:
        DataError: no such path, no trial files in it, or a malformed file, in one line.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    trials = []
    for name, prefix, subject, data in _files(path):
        if prefix not in ACTIVITY_OF:
            continue
        if not 1 <= subject <= N_SUBJECTS:
            raise DataError(f"{name}: subject {subject} is not one of MotionSense's 1..24")
        trials.append(Trial(subject, ACTIVITY_OF[prefix], *_read_trial(name, data)))
    if not trials:
        raise DataError(f"{path}: no MotionSense trials ({FOLDER}/<activity>_<trial>/sub_<n>.csv)")
    return sorted(trials, key=lambda t: t.subject)


def load_motionsense(path: str | Path) -> tuple[Windows, Windows]:
    """``(train, test)`` windows: subjects 1-16 and 17-24 (as ``SUBJECT_OFFSET + n``).

    Only the activities shared with UCI HAR are read (``ACTIVITY_OF``); labels index
    ``ACTIVITIES``, all windows have ``pocket`` True.

    Raises:
        DataError: as ``read_trials``.
    """
    per_subject: dict[int, list[tuple[np.ndarray, int]]] = {}
    for trial in read_trials(path):
        signal = filter_recording(trial.acc, trial.gyro)  # (T, 6) -> (T, 9)
        windows = cut_windows(signal, window_starts(len(signal)))
        per_subject.setdefault(trial.subject, []).append(
            (windows, ACTIVITIES.index(trial.activity))
        )
    parts = []
    for subject, trials in sorted(per_subject.items()):
        X = np.concatenate([w for w, _ in trials]).astype(np.float32)
        y = np.concatenate([np.full(len(w), label, dtype=np.int64) for w, label in trials])
        upright = recording_upright(X)
        up = np.full(3, np.nan, np.float32) if upright is None else upright
        n = len(y)
        who = np.full(n, SUBJECT_OFFSET + subject, dtype=np.int64)
        parts.append(Windows(X, y, who, np.tile(up, (n, 1)), ACTIVITIES, np.ones(n, dtype=bool)))
    everyone = concat(parts)
    test = np.isin(everyone.subject, np.array(TEST_SUBJECTS) + SUBJECT_OFFSET)
    return everyone.select(~test), everyone.select(test)
