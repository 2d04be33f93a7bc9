"""The data layer on the real packaged HAPT recordings (the issue asks for the real data here)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lstm_har.data import ACTIVITIES, TEST_SUBJECTS, load_uci_har, subject_split
from lstm_har.data.uci_har import OFFICIAL_COUNTS
from lstm_har.errors import DataError


def test_shapes_and_dtypes(uci):
    train, test = uci
    for split in (train, test):
        assert split.X.dtype == np.float32 and split.X.shape[1:] == (128, 9)
        assert split.y.dtype == np.int64 and split.subject.dtype == np.int64
        assert len(split.X) == len(split.y) == len(split.subject)
        assert set(np.unique(split.y).tolist()) == set(range(6))  # indexes ACTIVITIES
        assert split.classes == ACTIVITIES
        assert np.isfinite(split.X).all()


def test_official_subject_split(uci):
    train, test = uci
    assert set(test.subject.tolist()) == set(TEST_SUBJECTS)
    assert set(train.subject.tolist()) == set(range(1, 31)) - set(TEST_SUBJECTS)


def test_counts_match_official_table(uci):
    train, test = uci
    assert abs(len(train) - 7352) / 7352 < 0.02
    assert abs(len(test) - 2947) / 2947 < 0.02
    assert int((train.y == ACTIVITIES.index("WALKING")).sum()) == 1226
    assert int((test.y == ACTIVITIES.index("WALKING")).sum()) == 496
    for name, split in (("train", train), ("test", test)):
        for k, official in enumerate(OFFICIAL_COUNTS[name]):
            ours = int((split.y == k).sum())
            assert abs(ours - official) / official < 0.05, (name, ACTIVITIES[k], ours)


def test_signals_are_physical(uci):
    train, _ = uci
    walk, sit = ACTIVITIES.index("WALKING"), ACTIVITIES.index("SITTING")
    static = np.isin(train.y, [ACTIVITIES.index(a) for a in ("SITTING", "STANDING", "LAYING")])
    total = np.linalg.norm(train.X[static][..., 6:9], axis=-1)  # g
    assert abs(float(np.median(total)) - 1.0) < 0.05
    body = train.X[..., 0:3]
    assert np.abs(body.mean(axis=(0, 1))).max() < 0.01  # gravity removed
    # Walking shakes the phone far more than sitting still.
    assert body[train.y == walk].std() > 5 * body[train.y == sit].std()
    # Gyroscope in rad/s: walking turns the phone by tenths of a rad/s, not hundreds.
    assert 0.05 < train.X[train.y == walk][..., 3:6].std() < 5


def test_task_views(uci):
    train, _ = uci
    walking = train.task("walking")
    assert walking.classes == ("NON_WALKING", "WALKING")
    np.testing.assert_array_equal(walking.y, (train.y == ACTIVITIES.index("WALKING")).astype(int))
    assert walking.task("walking") is walking and train.task("activity") is train
    np.testing.assert_array_equal(walking.X, train.X)
    with pytest.raises(ValueError, match="unknown task"):
        train.task("running")


def test_subject_split_holds_out_whole_training_subjects(uci):
    train, _ = uci
    fit, val = subject_split(train.subject, n_val_subjects=4, seed=1)
    assert not (fit & val).any() and (fit | val).all()
    val_subjects = set(train.subject[val].tolist())
    assert len(val_subjects) == 4
    assert not val_subjects & set(train.subject[fit].tolist())
    assert not val_subjects & set(TEST_SUBJECTS)
    again, _ = subject_split(train.subject, n_val_subjects=4, seed=1)
    np.testing.assert_array_equal(fit, again)
    with pytest.raises(ValueError, match="n_val_subjects"):
        subject_split(train.subject, n_val_subjects=0)


def test_warm_cache_equals_cold(uci):
    cold_train, cold_test = load_uci_har(cache=False)
    np.testing.assert_array_equal(cold_train.X, uci[0].X)
    np.testing.assert_array_equal(cold_test.y, uci[1].y)


def test_corrupt_cache_is_rebuilt(uci):
    from lstm_har.data.uci_har import _source_key

    cached = Path(os.environ["LSTM_HAR_CACHE"]) / f"uci-har-{_source_key(None)}.npz"
    assert cached.is_file()
    cached.write_bytes(cached.read_bytes()[:1000])  # as if a non-atomic write had been cut
    train, _ = load_uci_har()
    np.testing.assert_array_equal(train.y, uci[0].y)
    assert not list(cached.parent.glob("*.tmp"))


def test_missing_path_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_uci_har(tmp_path / "nope")
    with pytest.raises(DataError, match="neither"):
        load_uci_har(tmp_path)
