"""Reading a person's own sensor recording into 50 Hz samples in g and rad/s.

Two layouts:
* one CSV with a header: a time column (or ``rate=`` without one), accelerometer x, y, z and
  gyroscope x, y, z, names matched case-insensitively with common aliases;
* two CSVs, as phone sensor-logging apps export them (accelerometer and gyroscope, each with
  its own timestamps and x, y, z), aligned by linear interpolation on their common span.

Other rates are resampled to 50 Hz (``scipy.signal.resample_poly``, which low-passes before
decimating). Every problem is a ``DataError`` with a one-line message; short NaN gaps are
filled by interpolation and reported in ``Recording.warnings``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.signal

from ..errors import DataError
from ..signal.filters import SAMPLE_RATE_HZ, WINDOW

STANDARD_GRAVITY = 9.80665  # m/s^2 per g
ACC_UNITS = {"g": 1.0, "m/s2": 1.0 / STANDARD_GRAVITY}
GYRO_UNITS = {"rad/s": 1.0, "deg/s": math.pi / 180.0}
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
MAX_GAP = 10  # samples: NaN runs up to 0.2 s at 50 Hz are interpolated, longer ones refused
RATE_TOLERANCE = 0.01  # within 1 % of 50 Hz only jitter is corrected, no resampling

_TIME = {"time", "t", "timestamp", "seconds", "sec", "secs", "times", "timeseconds", "elapsed",
         "secondselapsed", "elapsedtime", "ts"}  # fmt: skip
_ACC = ("acc", "accel", "acceleration", "accelerometer", "a", "totalacc")
_GYRO = ("gyro", "gyr", "gyroscope", "rotationrate", "angularvelocity", "g", "w", "omega")


@dataclass
class Recording:
    """Samples at exactly 50 Hz: ``acc`` ``(T, 3)`` in g, ``gyro`` ``(T, 3)`` in rad/s."""

    acc: np.ndarray
    gyro: np.ndarray
    t0: float = 0.0  # time of the first sample, seconds, in the recording's own clock
    source_rate_hz: float = SAMPLE_RATE_HZ
    warnings: list[str] = field(default_factory=list)

    @property
    def samples(self) -> np.ndarray:
        return np.concatenate([self.acc, self.gyro], axis=1)  # (T, 6)


def _norm(name: str) -> str:
    name = re.sub(r"[\(\[].*?[\)\]]", "", str(name).lower())  # drop "(m/s^2)", "[g]"
    return re.sub(r"[^a-z0-9]", "", name)


def _find(columns: list[str], prefixes: tuple[str, ...], axis: str) -> str | None:
    wanted = {p + axis for p in prefixes} | {p + "axis" + axis for p in prefixes}
    for col in columns:
        if _norm(col) in wanted:
            return col
    return None


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, expected a CSV file")
    with path.open("rb") as f:
        head = f.read(4096)
    if not head.strip():
        raise DataError(f"{path}: file is empty")
    if b"\x00" in head:
        raise DataError(f"{path}: binary data, expected a CSV text file")
    header = head.split(b"\n")[0]
    sep = next((s for s in (",", ";", "\t") if s.encode() in header), ",")
    try:
        frame = pd.read_csv(path, sep=sep, engine="c", skipinitialspace=True)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text, expected a CSV file") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty") from None
    except pd.errors.ParserError as e:
        detail = str(e).strip().splitlines()[-1]
        raise DataError(f"{path}: malformed CSV ({detail})") from None
    if frame.empty:
        raise DataError(f"{path}: header only, no data rows")
    return frame


def _numeric(frame: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(frame[col]):
        return np.asarray(frame[col].to_numpy(dtype=np.float64))
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = values.isna() & frame[col].notna() & (frame[col].astype(str).str.strip() != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path}: non-numeric value {frame[col].iloc[row]!r} in column '{col}', "
            f"data row {row + 1}"
        )
    return np.asarray(values.to_numpy(dtype=np.float64))


def _columns(
    frame: pd.DataFrame, path: Path, groups: dict[str, tuple[str, ...]]
) -> dict[str, np.ndarray]:
    cols = [str(c) for c in frame.columns]
    out = {}
    for name, prefixes in groups.items():
        found = [_find(cols, prefixes, axis) for axis in "xyz"]
        if None in found:
            expected = f"{name}_x, {name}_y, {name}_z" if prefixes != ("",) else "x, y, z"
            raise DataError(
                f"{path}: no {name} columns (expected e.g. {expected}); found: {', '.join(cols)}"
            )
        out[name] = np.stack([_numeric(frame, c, path) for c in found if c is not None], axis=1)
    return out


def _time_column(frame: pd.DataFrame, path: Path) -> np.ndarray | None:
    for col in frame.columns:
        if _norm(col) in _TIME:
            return _numeric(frame, str(col), path)
    return None


def _check_time(t: np.ndarray, path: Path) -> None:
    if not np.isfinite(t).all():
        row = int(np.flatnonzero(~np.isfinite(t))[0])
        raise DataError(f"{path}: missing or non-finite time on data row {row + 1}")
    dt = np.diff(t)
    if (dt < 0).any():
        row = int(np.flatnonzero(dt < 0)[0]) + 2
        raise DataError(
            f"{path}: time goes backwards at data row {row} ({t[row - 2]} -> {t[row - 1]})"
        )
    if (dt == 0).any():
        row = int(np.flatnonzero(dt == 0)[0]) + 2
        raise DataError(f"{path}: time repeats at data row {row} (t = {t[row - 1]})")


def _fill_gaps(values: np.ndarray, name: str, path: Path, warnings: list[str]) -> np.ndarray:
    """Interpolate NaN/inf runs of at most MAX_GAP samples; refuse longer ones."""
    bad = ~np.isfinite(values)
    if not bad.any():
        return values
    values = values.copy()
    for axis in range(values.shape[1]):
        b = bad[:, axis]
        if not b.any():
            continue
        edges = np.diff(np.concatenate([[0], b.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        longest = int((ends - starts).max())
        if longest > MAX_GAP or b.all():
            i = int(np.argmax(ends - starts))
            raise DataError(
                f"{path}: {longest} consecutive missing or non-finite {name} values "
                f"(data rows {starts[i] + 1}-{ends[i]}); at most {MAX_GAP} can be filled"
            )
        good = np.flatnonzero(~b)
        values[b, axis] = np.interp(np.flatnonzero(b), good, values[good, axis])
        warnings.append(f"filled {int(b.sum())} missing {name} {'xyz'[axis]} value(s) "
                        f"by interpolation in {len(starts)} gap(s)")  # fmt: skip
    return values


def _to_50hz(t: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, float]:
    """Uniform 50 Hz samples from timestamped ones; returns (samples, source rate)."""
    dt = np.diff(t)
    rate = 1.0 / float(np.median(dt))
    if np.abs(dt - 1 / SAMPLE_RATE_HZ).max() < 1e-6:
        return values, rate  # already on a 50 Hz grid: nothing to interpolate
    if abs(rate / SAMPLE_RATE_HZ - 1) <= RATE_TOLERANCE:
        grid = t[0] + np.arange(int((t[-1] - t[0]) * SAMPLE_RATE_HZ) + 1) / SAMPLE_RATE_HZ
        return _interp(grid, t, values), rate
    uniform = t[0] + np.arange(int((t[-1] - t[0]) * rate) + 1) / rate  # de-jitter first
    ratio = Fraction(SAMPLE_RATE_HZ / rate).limit_denominator(200)
    resampled = scipy.signal.resample_poly(
        _interp(uniform, t, values), ratio.numerator, ratio.denominator, axis=0, padtype="line"
    )
    return resampled, rate


def _interp(grid: np.ndarray, t: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.stack([np.interp(grid, t, values[:, k]) for k in range(values.shape[1])], axis=1)


def _check_units(acc: np.ndarray, gyro: np.ndarray, path: Path) -> None:
    acc_mag = float(np.median(np.linalg.norm(acc, axis=1)))
    if acc_mag > 4:
        raise DataError(
            f"{path}: median |acceleration| is {acc_mag:.2f} g, not ~1 g: "
            "is it in m/s^2? pass --acc-unit m/s2"
        )
    if acc_mag < 0.3:
        raise DataError(
            f"{path}: median |acceleration| is {acc_mag:.3f} g, not ~1 g: the model needs total "
            "acceleration including gravity (or the data is in g but --acc-unit m/s2 was given)"
        )
    gyro_max = float(np.percentile(np.abs(gyro), 99))
    if gyro_max > 35:  # 2000 deg/s, the range of phone gyroscopes
        raise DataError(
            f"{path}: gyroscope reads up to {gyro_max:.0f} rad/s: is it in deg/s? "
            "pass --gyro-unit deg/s"
        )


def _two_file_layout(folder: Path) -> tuple[Path, Path]:
    """Accelerometer and gyroscope CSVs in one folder, as phone logging apps export them."""
    csvs = sorted(folder.glob("*.csv"))
    acc = [p for p in csvs if p.stem.lower().startswith("acc")]
    gyro = [p for p in csvs if p.stem.lower().startswith(("gyr", "rot"))]
    if len(acc) != 1 or len(gyro) != 1:
        raise DataError(
            f"{folder}: is a directory; expected one accelerometer*.csv and one gyroscope*.csv "
            f"in it (found {len(acc)} and {len(gyro)}), or give a CSV file"
        )
    return acc[0], gyro[0]


def read_recording(
    path: str | Path,
    gyro_path: str | Path | None = None,
    *,
    rate: float | None = None,
    acc_unit: str = "g",
    gyro_unit: str = "rad/s",
    time_unit: str = "s",
) -> Recording:
    """A recording as 50 Hz samples in g and rad/s (see the module docstring for layouts).

    Args:
        path: one CSV; the accelerometer CSV when ``gyro_path`` is given; or a folder
            holding one ``accelerometer*.csv`` and one ``gyroscope*.csv``.
        rate: sampling rate in Hz, for a file without a time column.
        acc_unit, gyro_unit, time_unit: units of the values (see ``ACC_UNITS``...).
    Returns:
        ``Recording`` with ``acc`` and ``gyro`` ``(T, 3)`` at 50 Hz.
    Raises:
        DataError: anything wrong with the files, in one line.
    """
    for label, value, table in (("acc_unit", acc_unit, ACC_UNITS),
                                ("gyro_unit", gyro_unit, GYRO_UNITS),
                                ("time_unit", time_unit, TIME_UNITS)):  # fmt: skip
        if value not in table:
            raise DataError(f"{label} must be one of {', '.join(table)}, got {value!r}")
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise DataError(f"rate must be a positive number of Hz, got {rate}")
    path = Path(path)
    warnings: list[str] = []
    if gyro_path is None and path.is_dir():
        path, gyro_path = _two_file_layout(path)
    if gyro_path is None:
        frame = _read_csv(path)
        cols = _columns(frame, path, {"acc": _ACC, "gyro": _GYRO})
        values = np.concatenate([cols["acc"], cols["gyro"]], axis=1)
        t = _time_column(frame, path)
        if t is not None:
            t = t * TIME_UNITS[time_unit]
        elif rate is not None:
            t = np.arange(len(values)) / rate
        else:
            raise DataError(f"{path}: no time column (time, timestamp, seconds…); pass --rate HZ")
        _check_time(t, path)
        values = _fill_gaps(values, "sensor", path, warnings)
    else:
        parts = []
        for p in (path, Path(gyro_path)):
            frame = _read_csv(p)
            xyz = _columns(frame, p, {"sensor": ("", *_ACC, *_GYRO)})["sensor"]
            tp = _time_column(frame, p)
            if tp is None:
                raise DataError(f"{p}: no time column; two-file recordings need timestamps")
            tp = tp * TIME_UNITS[time_unit]
            _check_time(tp, p)
            parts.append((tp, _fill_gaps(xyz, "sensor", p, warnings)))
        (ta, acc), (tg, gyro) = parts
        start, end = max(ta[0], tg[0]), min(ta[-1], tg[-1])
        if end <= start:
            raise DataError(f"{path} and {gyro_path}: their time spans do not overlap")
        t = ta[(ta >= start) & (ta <= end)]
        values = np.concatenate([_interp(t, ta, acc), _interp(t, tg, gyro)], axis=1)
    if len(t) < 2:
        raise DataError(f"{path}: {len(t)} sample(s); at least {WINDOW} (2.56 s at 50 Hz) needed")
    samples, source_rate = _to_50hz(t, values)
    samples[:, :3] *= ACC_UNITS[acc_unit]
    samples[:, 3:] *= GYRO_UNITS[gyro_unit]
    if len(samples) < WINDOW:
        raise DataError(
            f"{path}: {len(samples)} samples at 50 Hz ({len(samples) / SAMPLE_RATE_HZ:.2f} s); "
            f"at least {WINDOW} (2.56 s) are needed for one window"
        )
    _check_units(samples[:, :3], samples[:, 3:], path)
    return Recording(samples[:, :3], samples[:, 3:], float(t[0]), source_rate, warnings)
