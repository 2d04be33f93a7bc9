"""UCI HAR signal processing: noise filters, gravity split and 128-sample windows.

One code path serves the training data, ``lstm-har predict`` on a user's recording and the
streaming ``Recognizer`` (``Windower``: filters and windows, state kept across pushes). Every
filter here is *causal* and carries its state between calls, so feeding a recording in one
piece or in chunks of any size yields the same samples; that is what lets streaming predictions
equal batch predictions. (The UCI HAR authors do not say whether their filters were
zero-phase; for classification the few-sample group delay of a causal filter is immaterial,
and a zero-phase filter cannot stream.)

Recipe, from the dataset's README (Anguita et al., ESANN 2013, "A Public Domain Dataset for
Human Activity Recognition Using Smartphones"):
  * a median filter and a 3rd-order low-pass Butterworth filter at 20 Hz remove noise;
  * gravity is the acceleration low-passed by a Butterworth filter at 0.3 Hz; body acceleration
    is total acceleration minus gravity;
  * fixed-width windows of 2.56 s (128 samples at 50 Hz) with 50 % overlap.
"""

from __future__ import annotations

import numpy as np
import scipy.signal

# Dataset facts, from the UCI HAR README.
SAMPLE_RATE_HZ = 50.0  # the phone's accelerometer and gyroscope rate
WINDOW = 128  # samples per window: 2.56 s at 50 Hz
STEP = 64  # hop between windows: 50 % overlap
NOISE_CUTOFF_HZ = 20.0  # low-pass against sensor noise
GRAVITY_CUTOFF_HZ = 0.3  # low-pass that isolates gravity
FILTER_ORDER = 3  # both Butterworth filters
MEDIAN_KERNEL = 3  # the README gives no size; 3 is the smallest that removes single spikes

# Channel order of the official "Inertial Signals" files; models see X[..., c] in this order.
CHANNELS = (
    "body_acc_x", "body_acc_y", "body_acc_z",
    "body_gyro_x", "body_gyro_y", "body_gyro_z",
    "total_acc_x", "total_acc_y", "total_acc_z",
)  # fmt: skip
N_CHANNELS = len(CHANNELS)

# Bumped whenever the recipe above changes, so cached windows built by an older one are rebuilt.
PREPROCESS_VERSION = "causal-med3-bw3-20hz-0.3hz-v1"

_NOISE_SOS = scipy.signal.butter(FILTER_ORDER, NOISE_CUTOFF_HZ, fs=SAMPLE_RATE_HZ, output="sos")
_GRAVITY_SOS = scipy.signal.butter(FILTER_ORDER, GRAVITY_CUTOFF_HZ, fs=SAMPLE_RATE_HZ, output="sos")


class SignalFilter:
    """Causal UCI HAR filter chain over raw samples, with state carried across calls.

    ``__call__(raw)`` takes ``(T, 6)`` float samples, columns ``acc x,y,z`` in g and
    ``gyro x,y,z`` in rad/s at 50 Hz, and returns ``(T, 9)`` float64 in ``CHANNELS`` order.
    The filters start in steady state at the first sample (as if the phone had been still in
    that pose forever), so a recording's first windows carry no start-up transient.
    """

    def __init__(self) -> None:
        self._tail: np.ndarray | None = None  # last MEDIAN_KERNEL - 1 raw samples
        self._zi_noise: np.ndarray | None = None  # sosfilt state, (sections, 2, 6)
        self._zi_gravity: np.ndarray | None = None  # sosfilt state, (sections, 2, 3)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim != 2 or raw.shape[1] != 6:
            raise ValueError(f"SignalFilter: expected (T, 6) samples, got shape {raw.shape}")
        if len(raw) == 0:
            return np.empty((0, N_CHANNELS))
        if self._tail is None:
            self._start(raw[0])
        assert self._tail is not None
        # Causal median: each output is the median of that sample and the k - 1 before it,
        # for k = 3 as max(min(a, b), min(max(a, b), c)): the same value as a sort picks, 7x
        # faster than scipy.ndimage.median_filter on a day of samples.
        k = MEDIAN_KERNEL
        buf = np.concatenate([self._tail, raw])  # (k - 1 + T, 6)
        a, b, c = buf[:-2], buf[1:-1], buf[2:]
        med = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
        self._tail = buf[len(buf) - (k - 1) :]
        smooth, self._zi_noise = scipy.signal.sosfilt(_NOISE_SOS, med, axis=0, zi=self._zi_noise)
        acc, gyro = smooth[:, :3], smooth[:, 3:]
        gravity, self._zi_gravity = scipy.signal.sosfilt(
            _GRAVITY_SOS, acc, axis=0, zi=self._zi_gravity
        )
        return np.concatenate([acc - gravity, gyro, acc], axis=1)  # (T, 6) -> (T, 9)

    def _start(self, first: np.ndarray) -> None:
        self._tail = np.repeat(first[None, :], MEDIAN_KERNEL - 1, axis=0)
        self._zi_noise = scipy.signal.sosfilt_zi(_NOISE_SOS)[:, :, None] * first[None, None, :]
        self._zi_gravity = scipy.signal.sosfilt_zi(_GRAVITY_SOS)[:, :, None] * first[None, None, :3]


def filter_recording(acc_g: np.ndarray, gyro_rad_s: np.ndarray) -> np.ndarray:
    """Filter one whole recording: ``(T, 3)`` acc in g + ``(T, 3)`` gyro in rad/s -> ``(T, 9)``."""
    return SignalFilter()(np.concatenate([acc_g, gyro_rad_s], axis=1))


def window_starts(n_samples: int, window: int = WINDOW, step: int = STEP) -> np.ndarray:
    """Start indices of every full window in ``n_samples`` samples (none when too short)."""
    if n_samples < window:
        return np.empty(0, dtype=np.int64)
    return np.arange(0, n_samples - window + 1, step, dtype=np.int64)


def labeled_window_starts(
    labels: np.ndarray, keep: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Windows lying wholly inside one run of a label in ``keep``, as UCI HAR cut them.

    ``labels`` is one label per sample. Returns ``(starts, label_of_each_window)``; windows are
    laid from the start of each labeled run, so none straddles two activities.
    """
    labels = np.asarray(labels)
    if len(labels) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    run_start = np.concatenate([[0], change])
    run_end = np.concatenate([change, [len(labels)]])
    starts, tags = [], []
    for s, e in zip(run_start, run_end, strict=True):
        if int(labels[s]) in keep:
            w = s + window_starts(int(e - s))
            starts.append(w)
            tags.append(np.full(len(w), labels[s], dtype=np.int64))
    if not starts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(starts), np.concatenate(tags)


def cut_windows(signal: np.ndarray, starts: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """``(T, C)`` signal + window starts -> ``(N, window, C)`` float32 copies."""
    if len(starts) == 0:
        return np.empty((0, window, signal.shape[1]), dtype=np.float32)
    idx = starts[:, None] + np.arange(window)[None, :]  # (N, window)
    # cast first: windows overlap, so the signal is half their size (7x faster than after)
    return np.asarray(signal, dtype=np.float32)[idx]


class Windower:
    """Causal filtering and 128-sample windows every 64 samples, state kept across pushes.

    ``push(samples)`` takes ``(n, 6)`` raw samples (any ``n``, including 0) and returns the
    windows they complete: ``starts`` ``(M,)`` sample indices and ``(M, 128, 9)`` float32.
    Pushing a recording whole or in chunks of any size gives the same windows.
    """

    def __init__(self) -> None:
        self._filter = SignalFilter()
        self._buffer = np.empty((0, N_CHANNELS))  # filtered samples a future window needs
        self._buffer_start = 0  # sample index of _buffer[0]
        self._next_window = 0  # sample index where the next window starts

    def push(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        samples = np.asarray(samples, dtype=np.float64)
        if samples.ndim != 2 or samples.shape[1] != 6:  # reshaped, a (600,) would be 100 rows
            raise ValueError(f"Windower.push: samples must be (n, 6), got {samples.shape}")
        self._buffer = np.concatenate([self._buffer, self._filter(samples)])
        end = self._buffer_start + len(self._buffer)
        starts = np.arange(self._next_window, end - WINDOW + 1, STEP, dtype=np.int64)
        windows = cut_windows(self._buffer, starts - self._buffer_start)
        if len(starts):
            self._next_window = int(starts[-1]) + STEP
        drop = self._next_window - self._buffer_start  # samples no future window needs
        self._buffer, self._buffer_start = self._buffer[drop:], self._buffer_start + drop
        return starts, windows
