"""Filters and windowing: causal, chunk-invariant, and laid as UCI HAR lays them."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from lstm_har.signal.filters import (
    SAMPLE_RATE_HZ,
    SignalFilter,
    cut_windows,
    filter_recording,
    labeled_window_starts,
    window_starts,
)


def test_chunked_filtering_equals_whole(rng):
    raw = rng.normal(size=(1000, 6))
    whole = SignalFilter()(raw)
    f = SignalFilter()
    pieces, i = [], 0
    for size in (1, 2, 3, 7, 64, 129, 500, 294):
        pieces.append(f(raw[i : i + size]))
        i += size
    assert i == len(raw)
    np.testing.assert_allclose(np.concatenate(pieces), whole, atol=1e-12)


def test_constant_pose_is_pure_gravity():
    acc = np.tile([0.1, -0.2, 0.97], (500, 1))
    out = filter_recording(acc, np.zeros((500, 3)))
    np.testing.assert_allclose(out[:, 0:3], 0, atol=1e-9)  # no body acceleration
    np.testing.assert_allclose(out[:, 6:9], acc, atol=1e-9)  # total = input, no transient


def test_gravity_split_separates_frequencies():
    t = np.arange(5000) / SAMPLE_RATE_HZ
    body = 0.3 * np.sin(2 * np.pi * 2.0 * t)  # 2 Hz: a walking cadence
    acc = np.stack([body + 1.0, np.zeros_like(t), np.zeros_like(t)], axis=1)
    out = filter_recording(acc, np.zeros_like(acc))
    settled = slice(1000, None)
    gravity = out[settled, 6] - out[settled, 0]
    assert np.abs(gravity - 1.0).max() < 0.02
    # the body component keeps the 2 Hz swing (delayed, not attenuated much)
    assert 0.25 < out[settled, 0].std() * np.sqrt(2) < 0.32


def test_median_removes_single_spikes():
    acc = np.tile([0.0, 0.0, 1.0], (200, 1))
    acc[100, 2] = 50.0
    out = filter_recording(acc, np.zeros((200, 3)))
    assert np.abs(out[:, 8] - 1.0).max() < 1e-9


def test_noise_filter_is_butterworth_20hz():
    sos = scipy.signal.butter(3, 20, fs=50, output="sos")
    _, h = scipy.signal.sosfreqz(sos, worN=[5.0, 20.0], fs=50)
    assert abs(abs(h[0]) - 1) < 0.01 and abs(abs(h[1]) - 2**-0.5) < 1e-6


def test_window_starts():
    assert window_starts(127).tolist() == []
    assert window_starts(128).tolist() == [0]
    assert window_starts(320).tolist() == [0, 64, 128, 192]


def test_labeled_windows_stay_inside_one_activity():
    labels = np.array([-1] * 10 + [1] * 200 + [7] * 150 + [5] * 128 + [2] * 127)
    starts, tags = labeled_window_starts(labels, keep=(1, 2, 3, 4, 5, 6))
    assert starts.tolist() == [10, 74, 360] and tags.tolist() == [1, 1, 5]
    for s in starts:
        assert len(set(labels[s : s + 128].tolist())) == 1


def test_cut_windows_shapes():
    signal = np.arange(400 * 9, dtype=np.float64).reshape(400, 9)
    X = cut_windows(signal, np.array([0, 64]))
    assert X.shape == (2, 128, 9) and X.dtype == np.float32
    np.testing.assert_array_equal(X[1, 0], signal[64])
    with pytest.raises(ValueError):
        SignalFilter()(np.zeros((10, 5)))
