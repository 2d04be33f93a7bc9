"""A phone nobody wears: "not worn" from the absence of all body motion for a minute or more.

A phone on a person moves, however still the person: breathing and the heartbeat move a
belt or a pocket, and a sleeping person shifts. Lying on a table, it reads its sensors'
noise floor. Measured (windows of 2.56 s, filtered as UCI HAR): on a table (a Samsung Galaxy
A5 in the real Sensor Logger export) the total acceleration's std stays below 0.0013 g and
the gyroscope's below 0.0032 rad/s in 99 % of windows; worn by the 21 UCI HAR training
subjects lying down, above 0.0023 g and 0.0056 rad/s in 99 % (1,378 windows; the test
subjects are only scored, not looked at for this). The thresholds sit between; a window below
both is still, and a run of ``NOT_WORN_S`` of still windows is not worn.
"""

from __future__ import annotations

import numpy as np

from .filters import CHANNELS, SAMPLE_RATE_HZ, STEP
from .smoothing import sustained

STILL_ACC_G = 0.0018  # std of |total acceleration| over a window, g
STILL_GYRO_RAD_S = 0.005  # std of the rotation vector over a window, rad/s
NOT_WORN_S = 60.0  # a minute without any body motion: the phone is lying somewhere
NOT_WORN = "NOT_WORN"
NOT_WORN_WINDOWS = int(np.ceil(NOT_WORN_S * SAMPLE_RATE_HZ / STEP))  # 47 windows every 1.28 s
_TOTAL = [CHANNELS.index(f"total_acc_{a}") for a in "xyz"]
_GYRO = [CHANNELS.index(f"body_gyro_{a}") for a in "xyz"]


def still(windows: np.ndarray) -> np.ndarray:
    """``(N, 128, 9)`` filtered windows -> ``(N,)`` True where nothing moves the phone."""
    acc = np.linalg.norm(windows[..., _TOTAL], axis=-1).std(axis=1)  # (N, T, 3) -> (N,)
    gyro = np.sqrt((windows[..., _GYRO].std(axis=1) ** 2).sum(-1))  # (N, T, 3) -> (N,)
    flags: np.ndarray = (acc < STILL_ACC_G) & (gyro < STILL_GYRO_RAD_S)
    return flags


def not_worn(still_flags: np.ndarray) -> np.ndarray:
    """``(N,)`` True for the windows in runs of still ones at least ``NOT_WORN_S`` long."""
    return sustained(still_flags, NOT_WORN_WINDOWS)
