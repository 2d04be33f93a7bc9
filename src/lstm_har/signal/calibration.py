"""Per-recording orientation calibration: the phone's own "upright", measured while walking.

A phone on the waist tells sitting from standing only by its tilt, and what tilt means
sitting depends on how that phone sits on that person (``examples/sit_stand.py``). One cue is
shared by everyone: people move upright. The median gravity direction over a recording's
moving windows is therefore the phone's upright pose *in this recording*, found without
labels. A calibrated model gets two things from it:

* **tilt channels**: ``total_acc - upright`` per sample, how far each window leans away from the
  recording's upright pose, appended after the nine UCI HAR channels;
* **a mirrored y axis** where the upright pose reads a positive y. In the 61 recordings of the
  packaged HAPT data, 57 read y < 0 while moving (-0.04 to -0.36 g) and 4 read y > 0
  (+0.03 to +0.12 g: experiments 18, 20, 21 and 33, subjects 9, 10, 10 and 16); in those
  four the sitting and standing y values are reversed as well, as if the phone were worn the
  other way round. The accelerometer's y channels are negated there (the gyroscope is left
  alone: the data do not show which of its axes turn with it).

A recording with fewer than ``MIN_MOVING_WINDOWS`` moving windows has no reference of its own;
the model's ``upright_default`` (the median over its training recordings) stands in.

**Any orientation** (``FRAME_CHANNELS``, read by ``models.UprightFrame``): the nine channels
plus the upright reference itself and where the phone is worn. The model turns each sample into
what survives any rotation of the phone: components along the upright and the length of what
is left across it. Walking moves a phone in a trouser pocket 2-4 times more than one on the
waist, so the same moving windows tell the placement (``pocket``): the median over them of
``motion``, the std of |body_acc| over a window. What the reference cannot turn away is a
placement no training window had: a phone whose screen lay near level while its wearer moved
(``screen_tilt`` under ``FLAT_SCREEN_DEG``), held in the hand or carried in a bag, is read as
if it were on a belt or in a pocket, and its labels are to be doubted.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np

from .filters import CHANNELS, Windower

# Measured on the packaged training subjects' windows: every walking window (of the three
# walking classes) lies above 0.05 g, 99.5 % above 0.076 g; 94 % of static ones below 0.05 g.
# The median is robust to the static windows that pass (transitions, fidgeting).
MOVING_STD_G = 0.05  # std over a window of |body_acc| (g) above which the wearer is moving
MIN_MOVING_WINDOWS = 5  # fewer (under ~8 s of walking): no reference of the recording's own
UPRIGHT_FALLBACK = (1.0, 0.0, 0.0)  # g: x vertical, as UCI HAR's phone stands on the waist
TILT_CHANNELS = ("tilt_x", "tilt_y", "tilt_z")  # total_acc minus the upright reference
CALIBRATED_CHANNELS = CHANNELS + TILT_CHANNELS
# The reference itself (constant over a recording) and the placement, 1.0 = in a pocket.
FRAME_CHANNELS = CHANNELS + ("upright_x", "upright_y", "upright_z", "pocket")
# Median motion (g) over a recording's moving windows above which the phone is in a pocket.
# Training subjects only, per subject: UCI HAR's 21 (waist) 0.095-0.175 g, MotionSense 1-16
# (trouser pocket) 0.22-0.42 g (benchmarks/bench_orientations.py --placement prints them).
POCKET_MOTION_G = 0.2
# Least tilt of the screen from level (deg, ``screen_tilt``) while moving, over the training
# recordings: UCI HAR's 42 training and validation ones 63.4 (waist), MotionSense 1-16 79.0
# (trouser pocket); a phone against the body stands as upright as its wearer. Below this the
# phone lay flat while its wearer moved, as a hand holds it to be read or a bag carries it:
# no training window was recorded so (two of the real exports checked were, at 3-4 deg).
FLAT_SCREEN_DEG = 45.0
_ACC_Y = [CHANNELS.index("body_acc_y"), CHANNELS.index("total_acc_y")]
_TOTAL = slice(CHANNELS.index("total_acc_x"), CHANNELS.index("total_acc_z") + 1)
_BODY = slice(CHANNELS.index("body_acc_x"), CHANNELS.index("body_acc_z") + 1)


def motion(windows: np.ndarray) -> np.ndarray:
    """``(N, 128, 9)`` -> ``(N,)`` each window's motion: the std of |body_acc| (g)."""
    body = np.linalg.norm(windows[..., _BODY], axis=-1)  # (N, T, 3) -> (N, T)
    out: np.ndarray = body.std(axis=1)
    return out


def window_gravity(windows: np.ndarray) -> np.ndarray:
    """``(N, 128, 9)`` -> ``(N, 3)`` each window's mean total acceleration: its gravity (g)."""
    out: np.ndarray = windows[..., _TOTAL].mean(axis=1)  # (N, T, 3) -> (N, 3)
    return out


def gravity_motion(windows: np.ndarray) -> np.ndarray:
    """``(N, 128, 9)`` -> ``(N, 4)``: each window's ``window_gravity`` and its ``motion``."""
    return np.concatenate([window_gravity(windows), motion(windows)[:, None]], axis=1)


def moving_gravity(windows: np.ndarray) -> np.ndarray:
    """``gravity_motion`` ``(M, 4)`` of those of ``windows`` ``(N, 128, 9)`` that move."""
    both = gravity_motion(windows)
    out: np.ndarray = both[both[:, 3] > MOVING_STD_G]
    return out


def upright_reference(gravity: np.ndarray) -> np.ndarray | None:
    """Median of the moving windows' ``moving_gravity`` ``(M, 4)`` -> ``(4,)`` (upright xyz
    and motion), or None if there are too few."""
    if len(gravity) < MIN_MOVING_WINDOWS:
        return None
    return np.asarray(np.median(gravity, axis=0), dtype=np.float32)


def recording_upright(windows: np.ndarray) -> np.ndarray | None:
    """Upright reference ``(3,)`` of one recording from all its windows ``(N, 128, 9)``."""
    reference = upright_reference(moving_gravity(windows))
    return None if reference is None else reference[:3]


def recording_pocket(windows: np.ndarray) -> bool | None:
    """Whether one recording's phone was in a pocket (None: it moved too little to tell)."""
    reference = upright_reference(moving_gravity(windows))
    return None if reference is None else bool(reference[3] > POCKET_MOTION_G)


def screen_tilt(upright: np.ndarray) -> float:
    """Degrees between the screen and level when gravity reads ``upright`` ``(3,)`` in the
    phone's axes: 90 with the phone upright (as on a belt or in a pocket), 0 lying flat."""
    u = np.asarray(upright, dtype=np.float64)
    cos = abs(u[2]) / max(float(np.linalg.norm(u)), 1e-12)  # |cos| of gravity's angle to z
    return float(np.degrees(np.arccos(min(cos, 1.0))))


def default_upright(uprights: np.ndarray) -> np.ndarray:
    """A model's stand-in reference: the median of its training windows' references ``(N, 3)``
    (NaN rows skipped), or the phone upright with x vertical when none has one."""
    known = uprights[np.isfinite(uprights).all(axis=1)]
    if not len(known):
        return np.array(UPRIGHT_FALLBACK, dtype=np.float32)
    return np.asarray(np.median(known, axis=0), dtype=np.float32)


def samples_reference(samples: np.ndarray, chunk: int = 1 << 16) -> np.ndarray | None:
    """The reference ``(4,)`` (upright xyz in g, then motion in g) of a whole recording
    ``(T, 6)`` of raw 50 Hz samples (acc g, gyro rad/s), or None if it barely moves; filtered
    ``chunk`` samples at a time."""
    return stream_reference(samples[i : i + chunk] for i in range(0, len(samples), chunk))


def stream_reference(chunks: Iterable[np.ndarray]) -> np.ndarray | None:
    """``samples_reference`` of the samples ``chunks`` give end to end, one chunk in memory;
    the moving windows' four numbers each are all that is kept."""
    windower = Windower()
    gravity = [moving_gravity(windower.push(c)[1]) for c in chunks]
    return upright_reference(np.concatenate(gravity)) if gravity else None


def samples_upright(samples: np.ndarray, chunk: int = 1 << 16) -> np.ndarray | None:
    """The upright reference ``(3,)`` of a whole recording (see ``samples_reference``)."""
    reference = samples_reference(samples, chunk)
    return None if reference is None else reference[:3]


def calibrate(
    windows: np.ndarray, upright: np.ndarray, default: np.ndarray | None = None
) -> np.ndarray:
    """``(N, 128, 9)`` windows + their recording's upright ``(3,)`` or ``(N, 3)`` ->
    ``(N, 128, 12)`` in ``CALIBRATED_CHANNELS`` order. NaN references take ``default``."""
    windows = np.asarray(windows, dtype=np.float32)
    upright = np.broadcast_to(np.asarray(upright, dtype=np.float32), (len(windows), 3))
    unknown = ~np.isfinite(upright).all(axis=1)
    if unknown.any():
        if default is None:
            raise ValueError("calibrate: some windows have no upright reference and no default")
        upright = np.where(unknown[:, None], np.asarray(default, dtype=np.float32), upright)
    sign = np.where(upright[:, 1] > 0, -1.0, 1.0).astype(np.float32)  # -1: worn reversed
    out = windows.copy()
    out[..., _ACC_Y] *= sign[:, None, None]
    upright = upright.copy()
    upright[:, 1] *= sign
    tilt = out[..., _TOTAL] - upright[:, None, :]  # (N, T, 3) - (N, 1, 3)
    return np.concatenate([out, tilt], axis=-1)  # (N, T, 9) -> (N, T, 12)


def frame_inputs(
    windows: np.ndarray, upright: np.ndarray, pocket: np.ndarray | bool, default: np.ndarray
) -> np.ndarray:
    """``(N, 128, 9)`` windows + their recording's upright ``(3,)`` or ``(N, 3)`` (NaN rows
    take ``default``) and placement (``(N,)`` or one bool) -> ``(N, 128, 13)`` in
    ``FRAME_CHANNELS`` order. Nothing is mirrored: the model's features ignore rotations."""
    windows = np.asarray(windows, dtype=np.float32)
    n, t = windows.shape[:2]
    upright = np.broadcast_to(np.asarray(upright, dtype=np.float32), (n, 3))
    upright = np.where(np.isfinite(upright).all(axis=1, keepdims=True),
                       upright, np.asarray(default, dtype=np.float32))  # fmt: skip
    pocket = np.broadcast_to(np.asarray(pocket, dtype=np.float32), (n,))
    context = np.concatenate([upright, pocket[:, None]], axis=1)  # (N, 4)
    return np.concatenate(  # (N, T, 9) + (N, T, 4) -> (N, T, 13)
        [windows, np.broadcast_to(context[:, None, :], (n, t, 4))],
        axis=-1,
    )


class UprightTracker:
    """The upright reference of a stream so far, window by window, for live recognition.

    ``update(windows)`` returns ``(N, 4)``: for each window, ``upright_reference`` of the
    moving windows up to and including it (NaN while fewer than ``MIN_MOVING_WINDOWS``), so
    the result does not depend on how the stream was chunked. Sorted columns make each
    update O(log M) plus a memmove, where re-taking the median would be O(M) per window.
    """

    def __init__(self) -> None:
        self._sorted: tuple[list[float], ...] = ([], [], [], [])
        self._current = np.full(4, np.nan, dtype=np.float32)

    def update(self, windows: np.ndarray) -> np.ndarray:
        out = np.tile(self._current, (len(windows), 1))  # (N, 4)
        gravity = gravity_motion(windows)  # (N, 4)
        for i in np.flatnonzero(gravity[:, 3] > MOVING_STD_G):
            for column, value in zip(self._sorted, gravity[i].tolist(), strict=True):
                bisect.insort(column, value)
            n = len(self._sorted[0])
            if n >= MIN_MOVING_WINDOWS:
                out[i:] = [(c[(n - 1) // 2] + c[n // 2]) / 2 for c in self._sorted]
        if len(out):
            self._current = out[-1].copy()
        return out

    @property
    def current(self) -> np.ndarray:
        """``(4,)`` the reference after the windows so far (NaN while there are too few)."""
        return self._current.copy()
