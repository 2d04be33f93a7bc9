"""A recording's samples onto a 50 Hz grid, cut where the sensors pause.

Pauses over ``MAX_GAP_S`` split a recording into segments, each resampled on its own, so no
sample is invented across minutes or days; the grid's size is checked against the number of
samples before it is built, so timestamps cannot drive memory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.signal

from ..errors import DataError
from ..signal.filters import SAMPLE_RATE_HZ, WINDOW

MAX_GAP_S = 5.0  # longer pauses split the recording; shorter ones are interpolated
RATE_TOLERANCE = 0.01  # within 1 % of 50 Hz only jitter is corrected, no resampling


@dataclass
class Segment:
    """Samples at exactly 50 Hz from ``start_s`` (seconds after the recording's first)."""

    start_s: float
    samples: np.ndarray  # (T, 6): acc x, y, z in g, gyro x, y, z in rad/s

    @property
    def acc(self) -> np.ndarray:
        return self.samples[:, :3]

    @property
    def gyro(self) -> np.ndarray:
        return self.samples[:, 3:]


@dataclass(frozen=True)
class Piece:
    """Consecutive 50 Hz samples of one segment, as a recording is read piece by piece."""

    segment: int  # 0, 1, ...: a new one after each pause over MAX_GAP_S
    start_s: float  # the segment's first sample, seconds after the recording's first
    samples: np.ndarray  # (n, 6): acc x, y, z in g, gyro x, y, z in rad/s


def to_segments(
    t: np.ndarray, acc: np.ndarray, t_gyro: np.ndarray, gyro: np.ndarray, rate: float,
    warnings: list[str], name: str,
) -> tuple[float, list[Segment]]:  # fmt: skip
    """Acceleration's times as the base, cut where either sensor pauses over ``MAX_GAP_S``;
    returns the first kept sample's time and the segments, each from its offset to it."""

    def seconds(times: np.ndarray) -> float:  # recorded, without the pauses that cut
        return float(np.where(np.diff(times) > MAX_GAP_S, 0.0, np.diff(times)).sum())

    span, t_acc = seconds(t), t
    t, values = gyro_at(t, acc, t_gyro, gyro)
    if len(t) < 2:
        raise DataError(f"{name}: the accelerometer and gyroscope times do not overlap "
                        f"(acc {_span(t_acc)}, gyro {_span(t_gyro)})")  # fmt: skip
    covered = seconds(t)
    if span - covered > max(MAX_GAP_S, 0.01 * span):  # more than a sensor's start-up lag
        warnings.append(f"the gyroscope covers {covered:.0f} s of the accelerometer's "
                        f"{span:.0f} s; only those are labelled")  # fmt: skip
    # a gyroscope pause left a gap over MAX_GAP_S in the accelerometer's times: cut there too
    cuts = set((np.flatnonzero(np.diff(t) > MAX_GAP_S) + 1).tolist())
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(t)), len(t)]
    grid = sum(
        int((t[b - 1] - t[a]) * SAMPLE_RATE_HZ) + 1
        for a, b in zip(bounds, bounds[1:], strict=False)
    )
    if grid > 4 * len(t) * SAMPLE_RATE_HZ / rate + 1000:
        raise DataError(f"{name}: its timestamps spread {len(t)} samples over "
                        f"{grid / SAMPLE_RATE_HZ / 3600:.1f} h; are they right?")  # fmt: skip
    steps = np.diff(t)
    short = (steps > 0.2) & (steps <= MAX_GAP_S)  # the longer ones cut, below
    if short.any():
        warnings.append(f"interpolated across {int(short.sum())} pause(s) of 0.2-{MAX_GAP_S:g} s")
    segments, dropped = [], 0
    for a, b in zip(bounds, bounds[1:], strict=False):
        if (t[b - 1] - t[a]) * SAMPLE_RATE_HZ + 1 < WINDOW:
            dropped += 1
            continue
        samples = _to_50hz(t[a:b] - t[a], values[a:b], rate)
        segments.append(Segment(float(t[a] - t[0]), samples))
    if len(bounds) > 2:
        left_out = f"; {dropped} shorter than one window left out" if dropped else ""
        warnings.append(f"split into {len(bounds) - 1} segments at pauses over "
                        f"{MAX_GAP_S:g} s{left_out}")  # fmt: skip
    if not segments:
        pieces = f" between {len(bounds) - 2} pauses over {MAX_GAP_S:g} s" if dropped > 1 else ""
        raise DataError(f"{name}: {(t[-1] - t[0]):.2f} s of samples{pieces}; at least {WINDOW} "
                        f"({WINDOW / SAMPLE_RATE_HZ:.2f} s at 50 Hz) in a row make one "
                        "window")  # fmt: skip
    return float(t[0]), segments


def _span(t: np.ndarray) -> str:
    """A stream's first and last times, for messages: ``0 s to 60 s``, or UTC clock times
    for times since the epoch."""

    def when(x: float) -> str:
        if x < 1e8:  # before 1973: seconds on the recording's own clock
            return f"{x:.6g} s"
        return dt.datetime.fromtimestamp(x, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

    return f"{when(float(t[0]))} to {when(float(t[-1]))}"


def gyro_at(
    t: np.ndarray, acc: np.ndarray, t_gyro: np.ndarray, gyro: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The accelerometer's samples that the gyroscope covers, ``(T,)`` times and ``(T, 6)``
    acc then gyro interpolated at them: none before its first sample, after its last, or
    inside one of its pauses over ``MAX_GAP_S`` (those leave a gap as long in ``t``)."""
    inside = (t >= t_gyro[0]) & (t <= t_gyro[-1])
    for g in np.flatnonzero(np.diff(t_gyro) > MAX_GAP_S):
        inside &= (t <= t_gyro[g]) | (t >= t_gyro[g + 1])
    if not inside.all():
        t, acc = t[inside], acc[inside]
    values = np.empty((len(t), 6))  # (T, 6): acc, then the gyroscope at acc's times
    values[:, :3] = acc
    if len(t):
        interp(t, t_gyro, gyro, out=values[:, 3:])
    return t, values


def _to_50hz(t: np.ndarray, values: np.ndarray, rate: float) -> np.ndarray:
    """Uniform 50 Hz samples from timestamped ones (``t`` from 0, no long gaps)."""
    if np.abs(np.diff(t) - 1 / SAMPLE_RATE_HZ).max(initial=0) < 1e-6:
        return values  # already on a 50 Hz grid: nothing to interpolate
    if abs(rate / SAMPLE_RATE_HZ - 1) <= RATE_TOLERANCE:
        return interp(np.arange(int(t[-1] * SAMPLE_RATE_HZ) + 1) / SAMPLE_RATE_HZ, t, values)
    uniform = np.arange(int(t[-1] * rate) + 1) / rate  # de-jitter first
    ratio = Fraction(SAMPLE_RATE_HZ / rate).limit_denominator(200)
    resampled: np.ndarray = scipy.signal.resample_poly(
        interp(uniform, t, values), ratio.numerator, ratio.denominator, axis=0, padtype="line"
    )
    return resampled


def interp(
    grid: np.ndarray, t: np.ndarray, values: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """``values`` ``(N, C)`` sampled at ``t``, linearly interpolated at ``grid`` ``(M,)``,
    into ``out`` ``(M, C)`` when given (a day's columns need no second copy)."""
    if out is None:
        out = np.empty((len(grid), values.shape[1]))
    for k in range(values.shape[1]):
        out[:, k] = np.interp(grid, t, values[:, k])
    return out
