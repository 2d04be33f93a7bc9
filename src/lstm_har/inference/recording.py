"""A person's recording, as any app exported it, into 50 Hz samples in g and rad/s.

``read_recording(path)`` recognises the export (``exports``), then settles what the files
leave open, never silently: units from the header or the format, else from the data (the
low-passed acceleration is ~9.8 in m/s^2 and ~1 in g; a gyroscope beyond 35 rad/s is in
deg/s), the time unit from the header or from the values (ns, µs, ms since the epoch, or
seconds), iOS signs turned into Android's. Flags override each. It refuses, with the reason
and what to do: acceleration without gravity, a source rate below 20 Hz, no gyroscope,
readings no phone makes, timestamps that go back, repeat or spread a few samples over days.
Gaps over ``MAX_GAP_S`` split the recording into segments (nothing is invented across them);
shorter ones are interpolated, with a warning. ``Recording.summary`` says what was read.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..signal.filters import SAMPLE_RATE_HZ, WINDOW
from .exports import open_export
from .segments import Piece, Segment, interp, to_segments
from .streams import ACC_UNITS, GYRO_UNITS, TIME_UNITS, Export, Stream

PLATFORMS = ("android", "ios")
MIN_RATE_HZ = 20.0  # below this a 2.56 s window holds too little of a step to read it
MAX_RATE_HZ = 10_000.0  # faster means the time unit was misread
EPOCH_FROM_S = 1e8  # 1973-03-03: a time past this many seconds counts from the Unix epoch
MAX_NAN_RUN = 10  # samples: missing-value runs up to this are interpolated, longer refused
GYRO_MAX_RAD_S = 35.0  # 2000 deg/s, the range of phone gyroscopes
GRAVITY_SPREAD = 0.3  # gravity's length varies less than this between seconds (see below)
PHONE_MAX_G = 64.0  # phones measure +-16 g; far past that a value is not a reading


@dataclass
class Recording:
    """A recording as 50 Hz segments; one unless gaps over ``MAX_GAP_S`` split it."""

    segments: list[Segment]
    t0: float = 0.0  # first sample's time in seconds, on the recording's clock
    source_rate_hz: float = SAMPLE_RATE_HZ
    summary: str = ""  # one line: app, files, rate, units, signs
    warnings: list[str] = field(default_factory=list)
    epoch: bool = False  # t0 is seconds since the Unix epoch (UTC): clock times are known
    utc_offset_s: float | None = None  # local time's offset the export records, if any
    time_zone: str | None = None  # the IANA zone the export records, if any

    @property
    def acc(self) -> np.ndarray:
        return np.concatenate([s.acc for s in self.segments])

    @property
    def gyro(self) -> np.ndarray:
        return np.concatenate([s.gyro for s in self.segments])

    def pieces(self, progress: object = None, chunk: int = 1 << 16) -> Iterator[Piece]:
        """Each segment's samples, ``chunk`` at a time (as ``LongRecording.pieces``)."""
        for k, segment in enumerate(self.segments):
            for i in range(0, len(segment.samples), chunk):
                yield Piece(k, segment.start_s, segment.samples[i : i + chunk])

    @property
    def samples(self) -> np.ndarray:
        """All segments' samples end to end ``(T, 6)`` (no copy for a single segment)."""
        if len(self.segments) == 1:
            return self.segments[0].samples
        return np.concatenate([s.samples for s in self.segments])


def read_recording(
    path: str | Path, gyro_path: str | Path | None = None, *, rate: float | None = None,
    acc_unit: str | None = None, gyro_unit: str | None = None, time_unit: str | None = None,
    platform: str | None = None,
) -> Recording:  # fmt: skip
    """A recording as 50 Hz samples in g and rad/s; see the module docstring.

    Args:
        path: a CSV, a folder or a zip as an app exported it; the accelerometer CSV when
            ``gyro_path`` is given.
        rate: sampling rate in Hz, only for files without a time column.
        acc_unit, gyro_unit, time_unit, platform: override what the files say or suggest
            (``ACC_UNITS``, ``GYRO_UNITS``, ``TIME_UNITS``, ``PLATFORMS``).
    Raises:
        DataError: anything that cannot be read right, in one line with what to do.
    """
    for label, value, table in (("acc_unit", acc_unit, ACC_UNITS),
                                ("gyro_unit", gyro_unit, GYRO_UNITS),
                                ("time_unit", time_unit, TIME_UNITS),
                                ("platform", platform, PLATFORMS)):  # fmt: skip
        if value is not None and value not in table:
            raise DataError(f"{label} must be one of {', '.join(table)}, got {value!r}")
    if rate is not None and not (math.isfinite(rate) and MIN_RATE_HZ <= rate <= MAX_RATE_HZ):
        raise DataError(f"rate must be a number of Hz in {MIN_RATE_HZ:g}..{MAX_RATE_HZ:g}, "
                        f"got {rate}")  # fmt: skip
    export = open_export(Path(path), None if gyro_path is None else Path(gyro_path))
    warnings: list[str] = []
    r = convert(export, warnings, rate, acc_unit, gyro_unit, time_unit, platform)
    t0, parts = to_segments(r.t_acc, r.acc, r.t_gyro, r.gyro, r.rate_hz, warnings,
                            export.acc.name)  # fmt: skip
    offset, clock = local_clock(export, t0) if r.epoch else (None, "")
    return Recording(parts, t0, r.rate_hz, r.summary(export) + clock, warnings, r.epoch, offset,
                     export.time_zone)  # fmt: skip


@dataclass
class Converted:
    """An export's streams in seconds, g and rad/s, with what was decided to get there."""

    t_acc: np.ndarray  # (N,) s
    acc: np.ndarray  # (N, 3) g, Android's signs
    t_gyro: np.ndarray  # (M,) s
    gyro: np.ndarray  # (M, 3) rad/s
    rate_hz: float  # the accelerometer's median rate
    time_unit: str  # what the time values were in
    time_how: str
    epoch: bool  # times count from the Unix epoch
    ios: bool
    acc_unit: str
    acc_how: str
    gyro_unit: str
    gyro_how: str

    def summary(self, export: Export) -> str:
        sign = "iOS signs turned to Android's" if self.ios else "Android axes"
        return (f"read {export.app}: {'; '.join(export.notes) or export.acc.name}; "
                f"{self.rate_hz:.1f} Hz; acceleration in {self.acc_unit} ({self.acc_how}); "
                f"gyroscope in {self.gyro_unit} ({self.gyro_how}); time {self.time_how}; "
                f"{sign}")  # fmt: skip

    def flags(self) -> dict[str, str]:
        """The decisions as ``convert``'s overrides, to read the rest of a file alike."""
        platform = "ios" if self.ios else "android"
        return {"acc_unit": self.acc_unit, "gyro_unit": self.gyro_unit,
                "time_unit": self.time_unit, "platform": platform}  # fmt: skip


def convert(
    export: Export, warnings: list[str], rate: float | None = None, acc_unit: str | None = None,
    gyro_unit: str | None = None, time_unit: str | None = None, platform: str | None = None,
) -> Converted:  # fmt: skip
    """An export's streams into seconds, g and rad/s, checked: units and signs from the
    overrides, else the files, else the data (the module docstring)."""
    t_acc, unit, time_desc, epoch = _seconds(export.acc, export, rate, time_unit)
    # In place where it can be: a day at 50 Hz is 100 MB an array, and the streams are ours.
    acc = _fill(export.acc, warnings)
    if export.gravity is not None:
        t_grav = _seconds(export.gravity, export, rate, time_unit)[0]
        acc += interp(t_acc, t_grav, _fill(export.gravity, warnings))
        export.gravity = None
    ios = export.ios_signs if platform is None else platform == "ios"
    if ios:
        np.negative(acc, out=acc)  # iOS reads acceleration and gravity opposite to Android
    acc_unit, acc_how = _acc_unit(acc, export, acc_unit)
    acc *= ACC_UNITS[acc_unit]
    _check_gravity(acc, export, acc_unit, acc_how)
    if export.gyro is None:
        advice = export.no_gyro or "record both, or give its file with --gyro"
        raise DataError(f"{export.acc.name}: no gyroscope found; the models need accelerometer "
                        f"and gyroscope ({advice})")  # fmt: skip
    t_gyro = _seconds(export.gyro, export, rate, time_unit)[0]
    gyro = _fill(export.gyro, warnings)
    gyro_unit, gyro_how = _gyro_unit(gyro, export.gyro, gyro_unit)
    gyro *= GYRO_UNITS[gyro_unit]
    _check_range(acc, "acceleration", "g", PHONE_MAX_G, export.acc.name)
    _check_range(gyro, "rotation", "rad/s", 3 * GYRO_MAX_RAD_S, export.gyro.name)
    source_rate = 1.0 / float(np.median(np.diff(t_acc)))
    if source_rate > MAX_RATE_HZ:
        raise DataError(f"{export.acc.name}: sampled at {source_rate:.3g} Hz, faster than any "
                        f"phone; is the time unit right? ({time_desc})")  # fmt: skip
    if source_rate < MIN_RATE_HZ:
        raise DataError(f"{export.acc.name}: sampled at {source_rate:.3g} Hz; the models need "
                        f"at least {MIN_RATE_HZ:g} Hz (record at 50 Hz or faster)")  # fmt: skip
    return Converted(t_acc, acc, t_gyro, gyro, source_rate, unit, time_desc, epoch, ios,
                     acc_unit, acc_how, gyro_unit, gyro_how)  # fmt: skip


def local_clock(export: Export, t0: float) -> tuple[float | None, str]:
    """Local time's offset from UTC in seconds from what the export records (or None), and
    where it came from, for the summary ("" when nowhere)."""
    offset = _utc_offset(export, t0)
    if offset is None:
        return None, ""
    source = ("phyphox's time record" if export.utc_offset else
              f"{export.local_start}, the export's name: its local start")  # fmt: skip
    hours, minutes = divmod(round(abs(offset)) // 60, 60)
    sign = "-" if offset < 0 else "+"
    return offset, f"; local time UTC{sign}{hours:02d}:{minutes:02d} (from {source})"


def _utc_offset(export: Export, t0: float) -> float | None:
    """Local time's offset from UTC in seconds, from what the export records, or None."""
    import datetime as dt

    if export.utc_offset:  # phyphox: "UTC+01:00"
        sign = -1 if "-" in export.utc_offset else 1
        hours, _, minutes = export.utc_offset.strip("UTC+-").partition(":")
        try:
            offset = sign * (int(hours or 0) * 3600 + int(minutes or 0) * 60)
        except ValueError:
            return None
        return float(offset) if abs(offset) <= 14 * 3600 else None
    if export.local_start:  # Sensor Logger: the export's name, its local start, against UTC
        try:
            local = dt.datetime.strptime(export.local_start, "%Y-%m-%d_%H-%M-%S")
        except ValueError:
            return None
        utc = dt.datetime.fromtimestamp(t0, dt.timezone.utc).replace(tzinfo=None)
        derived = round((local - utc).total_seconds() / 900) * 900.0  # offsets: 15-min steps
        return derived if abs(derived) <= 14 * 3600 else None  # else the two disagree: no offset
    return None


def _seconds(
    stream: Stream, export: Export, rate: float | None, unit: str | None
) -> tuple[np.ndarray, str, str, bool]:
    """The stream's time in seconds, checked; its unit and how it was known; whether it
    counts from the Unix epoch (then clock times are known)."""
    if stream.t is None:
        rate = rate or export.rate_hz
        if rate is None:
            raise DataError(f"{stream.name}: no time column (time, timestamp, seconds…); "
                            "pass --rate HZ")  # fmt: skip
        return np.arange(len(stream.xyz)) / rate, "s", f"none, {rate:g} Hz assumed", False
    if rate is not None:
        raise DataError(f"{stream.name}: has a time column; --rate is only for files without one")
    t = stream.t
    if not np.isfinite(t).all():
        row = int(np.flatnonzero(~np.isfinite(t))[0])
        raise DataError(f"{stream.name}: missing or non-finite time on data row {row + 1}")
    if len(t) < 2:
        raise DataError(f"{stream.name}: {len(t)} sample(s); at least {WINDOW} needed")
    how = "from the flag" if unit else "as the file says"
    if unit is None:
        unit = stream.time_unit
    if unit is None:
        unit, how = _time_unit(t, stream.name), "from its values"
    seconds = t * TIME_UNITS[unit]
    dt = np.diff(seconds)
    if (dt < 0).any():
        row = int(np.flatnonzero(dt < 0)[0]) + 2
        raise DataError(f"{stream.name}: time goes backwards at data row {row} "
                        f"({t[row - 2]} -> {t[row - 1]})")  # fmt: skip
    if (dt == 0).any():
        row = int(np.flatnonzero(dt == 0)[0]) + 2
        raise DataError(f"{stream.name}: time repeats at data row {row} (t = {t[row - 1]})")
    if export.clock and not seconds[0] > EPOCH_FROM_S:  # phyphox: the experiment's clock
        starts, clock = np.array(export.clock).T  # (S,) experiment times, (S,) Unix times
        k = np.clip(np.searchsorted(starts, seconds, "right") - 1, 0, None)
        seconds = seconds - starts[k] + clock[k]
        return seconds, unit, f"in {unit} ({how}), on the clock phyphox noted at each START", True
    epoch = bool(seconds[0] > EPOCH_FROM_S)
    return seconds, unit, f"in {unit}{' since the epoch' if epoch else ''} ({how})", epoch


def _time_unit(t: np.ndarray, name: str) -> str:
    """ns, µs, ms or s, from the size of the values (since the epoch) or of their steps."""
    for unit in ("ns", "us", "ms", "s"):
        if t[0] * TIME_UNITS[unit] >= EPOCH_FROM_S:
            return unit  # an epoch time in this unit (the others would be before 1973)
    step = float(np.median(np.diff(t)))
    if not step > 0:  # most rows repeat or undo the time before: no rate to read a unit from
        raise DataError(f"{name}: time does not advance from row to row (median step "
                        f"{step:g}); is the time column sorted?")  # fmt: skip
    for unit in ("s", "ms", "us", "ns"):
        if 1.0 <= 1.0 / (step * TIME_UNITS[unit]) <= 10_000:  # a plausible rate in Hz
            return unit
    raise DataError(f"{name}: cannot tell the time unit (median step {step:g}); "
                    "pass --time-unit s|ms|us|ns")  # fmt: skip


def _fill(stream: Stream, warnings: list[str]) -> np.ndarray:
    """Interpolate runs of up to ``MAX_NAN_RUN`` missing values; refuse longer ones."""
    note = (f"{Path(stream.name).name}: its last line had no line break (cut off while "
            "written?); left out")  # fmt: skip
    if stream.cut_off and note not in warnings:  # once for a file holding two streams
        warnings.append(note)
    values = stream.xyz
    bad = ~np.isfinite(values)
    # no phone reads a million in any unit; refused here, before sums of squares overflow
    _check_range(np.where(bad, 0.0, values), "a value", "", 1e6, stream.name)
    if not bad.any():
        return values
    values = values.copy()
    for axis in range(3):
        b = bad[:, axis]
        if not b.any():
            continue
        edges = np.diff(np.concatenate([[0], b.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        longest = int((ends - starts).max())
        if longest > MAX_NAN_RUN or b.all():
            i = int(np.argmax(ends - starts))
            raise DataError(f"{stream.name}: {longest} consecutive missing or non-finite "
                            f"{'xyz'[axis]} values (data rows {starts[i] + 1}-{ends[i]}); "
                            f"at most {MAX_NAN_RUN} can be filled")  # fmt: skip
        good = np.flatnonzero(~b)
        values[b, axis] = np.interp(np.flatnonzero(b), good, values[good, axis])
        warnings.append(f"{Path(stream.name).name}: filled {int(b.sum())} missing "
                        f"{'xyz'[axis]} value(s) in {len(starts)} gap(s)")  # fmt: skip
    return values


def _gravity_size(acc: np.ndarray) -> tuple[float, float]:
    """Gravity's size in ``acc``, the median length of its 1-second means (motion averages
    out), and how much those lengths vary: interquartile range over median.

    Gravity keeps its length whatever the phone does, so the spread tells gravity-free
    acceleration from acceleration with gravity, in any unit: 0.00-0.15 with gravity (the real
    exports, and MotionSense's training subjects 1-16 with their phone in a pocket, stairs
    included), 0.47-1.2 in the real gravity-free exports. Gravity-free data whose spread is
    lower are small enough (under 0.5 in either unit) to be refused by their size.
    """
    n = len(acc) // 50 * 50 if len(acc) >= 50 else len(acc)
    blocks = acc[:n].reshape(-1, min(50, n), 3)  # (B, 50, 3): about 1-second blocks
    lengths = np.linalg.norm(blocks.mean(axis=1), axis=1)  # (B,)
    q1, median, q3 = np.percentile(lengths, [25, 50, 75])
    return float(median), float((q3 - q1) / max(median, 1e-12))


def _acc_unit(acc: np.ndarray, export: Export, flag: str | None) -> tuple[str, str]:
    if export.no_gravity is not None:
        raise DataError(export.no_gravity)
    if flag is not None:
        return flag, "from the flag"
    if export.acc.unit is not None:
        return export.acc.unit, "as the file says"
    size, spread = _gravity_size(acc)
    if size < 0.5 or spread > GRAVITY_SPREAD:
        raise DataError(f"{export.acc.name}: the acceleration has no gravity in it (its "
                        f"1-second means are {size:.2f} long and vary by {spread:.0%}); export "
                        "total acceleration (with gravity), or give the gravity too")  # fmt: skip
    if 0.5 <= size <= 2.0:
        return "g", f"gravity reads {size:.2f}"
    if 5.0 <= size <= 20.0:
        return "m/s2", f"gravity reads {size:.1f}"
    raise DataError(f"{export.acc.name}: cannot tell the acceleration unit (gravity reads "
                    f"{size:.3g}); pass --acc-unit g|m/s2")  # fmt: skip


def _check_gravity(acc: np.ndarray, export: Export, unit: str, how: str) -> None:
    size, spread = _gravity_size(acc)  # in g now
    if spread > GRAVITY_SPREAD:
        raise DataError(f"{export.acc.name}: the acceleration has no gravity in it (its 1-second "
                        f"means vary by {spread:.0%}); export total acceleration")  # fmt: skip
    if 0.6 <= size <= 1.6:
        return
    if how == "from the flag" and size > 4:
        raise DataError(f"{export.acc.name}: gravity reads {size:.2f} g, not ~1 g: is it in "
                        "m/s^2? pass --acc-unit m/s2")  # fmt: skip
    if size > 4:
        raise DataError(f"{export.acc.name}: gravity reads {size:.2f} g in {unit}, not ~1 g; "
                        "pass --acc-unit g|m/s2")  # fmt: skip
    raise DataError(f"{export.acc.name}: gravity reads {size:.2f} g, not ~1 g: the model needs "
                    "total acceleration including gravity (or the data is in g but "
                    "--acc-unit m/s2 was given)")  # fmt: skip


def _gyro_unit(gyro: np.ndarray, stream: Stream, flag: str | None) -> tuple[str, str]:
    top = float(np.percentile(np.abs(gyro), 99))
    if flag is not None or stream.unit is not None:
        unit = flag or stream.unit or "rad/s"
        if unit == "rad/s" and top > GYRO_MAX_RAD_S:
            raise DataError(f"{stream.name}: gyroscope reads up to {top:.0f} rad/s: is it in "
                            "deg/s? pass --gyro-unit deg/s")  # fmt: skip
        return unit, "from the flag" if flag else "as the file says"
    if top > GYRO_MAX_RAD_S:
        return "deg/s", f"up to {top:.0f}, past a phone's {GYRO_MAX_RAD_S:g} rad/s"
    return "rad/s", f"up to {top:.2g}"


def _check_range(values: np.ndarray, what: str, unit: str, limit: float, name: str) -> None:
    too_big = np.abs(values) > limit
    if too_big.any():
        row = int(np.flatnonzero(too_big.any(axis=1))[0])
        value = float(values[row][too_big[row]][0])
        unit = f" {unit}" if unit else ""
        raise DataError(f"{name}: {what} of {value:.3g}{unit} on data row {row + 1}; no phone "
                        f"measures past {limit:g}{unit}")  # fmt: skip
