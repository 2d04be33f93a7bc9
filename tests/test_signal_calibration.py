"""calibration: upright reference, tilt channels, the mirrored y axis, the running tracker."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_har.signal.calibration import (
    CALIBRATED_CHANNELS,
    MIN_MOVING_WINDOWS,
    UprightTracker,
    calibrate,
    default_upright,
    frame_inputs,
    motion,
    recording_pocket,
    recording_upright,
    screen_tilt,
)
from lstm_har.signal.filters import CHANNELS

BODY, GYRO, TOTAL, TILT = slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 12)
Y = [CHANNELS.index("body_acc_y"), CHANNELS.index("total_acc_y")]


def windows(gravity, moving: bool, rng: np.random.Generator, n: int = 1) -> np.ndarray:
    """``n`` windows ``(n, 128, 9)`` held at ``gravity``; moving ones shake like a gait."""
    w = np.zeros((n, 128, 9), dtype=np.float32)
    t = np.arange(128) / 50
    if moving:  # five whole steps in the window, so body motion averages to zero
        w[..., BODY] = 0.3 * np.sin(2 * np.pi * 5 * t / 2.56)[None, :, None] * [0.2, 1.0, 0.3]
        w[..., GYRO] = rng.normal(scale=0.3, size=(n, 128, 3))
    w[..., TOTAL] = w[..., BODY] + np.asarray(gravity, dtype=np.float32)
    return w


def test_reference_is_the_median_gravity_while_moving(rng):
    walk = [windows([1.0, -0.2 + 0.01 * k, 0.05], True, rng) for k in range(7)]
    still = [windows([0.7, 0.5, 0.5], False, rng) for _ in range(20)]  # sitting: not upright
    upright = recording_upright(np.concatenate(walk + still))
    np.testing.assert_allclose(upright, [1.0, -0.17, 0.05], atol=1e-5)
    assert recording_upright(np.concatenate(walk[: MIN_MOVING_WINDOWS - 1] + still)) is None


def test_tilt_channels_and_shape(rng):
    w = np.concatenate([windows([0.9, -0.1, 0.3], False, rng), windows([1, -0.2, 0], True, rng)])
    upright = np.array([1.0, -0.2, 0.0], dtype=np.float32)
    out = calibrate(w, upright)
    assert out.shape == (2, 128, len(CALIBRATED_CHANNELS)) == (2, 128, 12)
    np.testing.assert_array_equal(out[..., :9], w)  # y < 0 while upright: nothing mirrored
    np.testing.assert_allclose(out[..., TILT], w[..., TOTAL] - upright, atol=1e-6)
    np.testing.assert_allclose(out[0, :, TILT], np.tile([-0.1, 0.1, 0.3], (128, 1)), atol=1e-6)


def test_phone_worn_reversed_reads_like_the_usual_way(rng):
    # The same person sitting, with the accelerometer's y read reversed (and so its upright):
    # the model sees the same acceleration and tilt either way.
    usual = windows([0.9, 0.4, 0.2], False, rng, n=3)
    reversed_ = usual.copy()
    reversed_[..., Y] *= -1
    a = calibrate(usual, np.array([1.0, -0.2, 0.0]))
    b = calibrate(reversed_, np.array([1.0, 0.2, 0.0]))
    acc = [c for c in range(12) if c not in range(3, 6)]
    np.testing.assert_allclose(a[..., acc], b[..., acc], atol=1e-6)
    np.testing.assert_array_equal(b[..., GYRO], reversed_[..., GYRO])  # gyro left alone


def test_unknown_reference_takes_the_default(rng):
    w = windows([1, 0, 0], False, rng, n=2)
    refs = np.array([[np.nan] * 3, [1.0, -0.3, 0.0]], dtype=np.float32)
    default = np.array([1.0, -0.1, 0.1], dtype=np.float32)
    out = calibrate(w, refs, default)
    np.testing.assert_allclose(out[0, 0, TILT], [0, 0.1, -0.1], atol=1e-6)
    np.testing.assert_allclose(out[1, 0, TILT], [0, 0.3, 0], atol=1e-6)
    with pytest.raises(ValueError, match="no upright reference"):
        calibrate(w, refs)
    np.testing.assert_allclose(default_upright(refs), [1.0, -0.3, 0.0])
    np.testing.assert_array_equal(default_upright(refs[:1]), [1.0, 0.0, 0.0])


def test_tracker_is_causal_chunk_free_and_ends_at_the_whole_reference(rng):
    parts = []
    for k in range(30):
        moving = k % 3 != 0
        parts.append(windows([1.0, rng.uniform(-0.3, 0), rng.uniform(-0.1, 0.1)], moving, rng))
    w = np.concatenate(parts)
    whole = UprightTracker().update(w)
    assert np.isnan(whole[:6]).all()  # windows 1, 2, 4, 5 move: four so far, one short
    assert np.isfinite(whole[7:]).all()
    tracker = UprightTracker()
    chunked = np.concatenate([tracker.update(w[i : i + n]) for i, n in ((0, 1), (1, 8), (9, 21))])
    np.testing.assert_array_equal(chunked, whole)
    np.testing.assert_allclose(whole[-1, :3], recording_upright(w), atol=1e-6)
    for i in (10, 20):  # each window's reference is that of the windows up to it
        np.testing.assert_allclose(whole[i, :3], recording_upright(w[: i + 1]), atol=1e-6)
    np.testing.assert_allclose(whole[-1, 3], np.median(motion(w)[motion(w) > 0.05]), atol=1e-6)


def test_packaged_data_has_a_reference_for_every_recording(uci):
    train, test = uci
    for split in (train, test):
        assert split.upright.shape == (len(split), 3) and np.isfinite(split.upright).all()
    # The recordings worn the other way round (module docstring): y > 0 while upright.
    reversed_subjects = {
        int(s) for split in (train, test) for s in np.unique(split.subject[split.upright[:, 1] > 0])
    }
    assert reversed_subjects == {9, 10, 16}


def test_placement_is_told_by_how_much_walking_moves_the_phone(rng):
    belt = np.concatenate([windows([1.0, -0.2, 0.0], True, rng) for _ in range(8)])
    pocket = belt.copy()
    pocket[..., BODY] *= 3  # a thigh swings the phone ~3x more than a waist (0.09 -> 0.27 g)
    pocket[..., TOTAL] = pocket[..., BODY] + [1.0, -0.2, 0.0]
    assert recording_pocket(belt) is False and recording_pocket(pocket) is True
    assert recording_pocket(belt[: MIN_MOVING_WINDOWS - 1]) is None  # too little walking


def test_frame_inputs_carry_the_reference_and_placement(rng):
    w = np.concatenate([windows([1.0, 0.0, 0.0], True, rng, n=3)])
    upright = np.array([[0.9, 0.1, 0.0], [np.nan] * 3, [0.8, 0.2, 0.1]], dtype=np.float32)
    x = frame_inputs(w, upright, np.array([True, False, True]), default=np.array([1.0, 0, 0]))
    assert x.shape == (3, 128, 13) and x.dtype == np.float32
    np.testing.assert_array_equal(x[..., :9], w)  # nothing mirrored or moved
    want = np.array([[0.9, 0.1, 0.0], [1.0, 0, 0], [0.8, 0.2, 0.1]], dtype=np.float32)
    np.testing.assert_array_equal(x[:, 0, 9:12], want)  # copied: exact
    assert (x[:, :, 12] == np.array([1.0, 0.0, 1.0])[:, None]).all()


def test_screen_tilt_is_the_screens_angle_from_level_whichever_side_faces_up():
    assert screen_tilt(np.array([1.0, 0.0, 0.0])) == pytest.approx(90.0)  # upright on a belt
    assert screen_tilt(np.array([0.0, -1.0, 0.0])) == pytest.approx(90.0)  # upside down, pocket
    assert screen_tilt(np.array([0.0, 0.0, 0.98])) == pytest.approx(0.0)  # flat, screen up
    assert screen_tilt(np.array([0.0, 0.0, -1.0])) == pytest.approx(0.0)  # flat, screen down
    s, c = np.sin(np.radians(30)), np.cos(np.radians(30))
    assert screen_tilt(np.array([0.0, 2 * c, 2 * s])) == pytest.approx(60.0)  # any length
    assert screen_tilt(np.array([s, 0.0, -c])) == pytest.approx(30.0)  # held up to be read
