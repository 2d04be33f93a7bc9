"""MotionSense: its folder and zip layouts, iOS signs, the subject protocol, and training on it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from helpers import MOTIONSENSE_TRIALS, write_motionsense_dataset

from lstm_har.cli import main
from lstm_har.data import ACTIVITIES
from lstm_har.data.motionsense import (
    SUBJECT_OFFSET,
    check_zip,
    load_motionsense,
    read_trials,
)
from lstm_har.errors import DataError

SUBJECTS = [1, 2, 3, 17]


@pytest.fixture(scope="module")
def motionsense(tmp_path_factory):
    return write_motionsense_dataset(tmp_path_factory.mktemp("ms"), SUBJECTS)


def test_windows_labels_subjects_and_placement(motionsense):
    train, test = load_motionsense(motionsense)
    per_trial = (8 * 50 - 128) // 64 + 1  # whole windows in an 8 s trial
    assert len(train) == 3 * len(MOTIONSENSE_TRIALS) * per_trial
    assert set(np.unique(train.subject)) == {101, 102, 103}
    assert set(np.unique(test.subject)) == {SUBJECT_OFFSET + 17}
    assert train.classes == ACTIVITIES and train.in_pocket.all() and test.in_pocket.all()
    names = {ACTIVITIES[k] for k in np.unique(train.y)}
    assert names == {"WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING"}
    assert np.isfinite(train.upright).all()  # every subject walked: each has a reference
    walking = train.task("walking")
    assert walking.y.sum() == 3 * per_trial


def test_ios_sign_is_turned_into_android(tmp_path):
    write_motionsense_dataset(tmp_path, [5], rotate=False)
    sitting = [t for t in read_trials(tmp_path) if t.activity == "SITTING"][0]
    # helpers' sitting pose is (0.7, 0, 0.7) g in Android's sign; Core Motion wrote minus that
    np.testing.assert_allclose(sitting.acc.mean(axis=0), [0.7, 0, 0.7], atol=0.01)


def test_zip_reads_like_the_folder(motionsense, tmp_path):
    archive = shutil.make_archive(str(tmp_path / "A_DeviceMotion_data"), "zip", motionsense)
    assert check_zip(archive) == len(SUBJECTS) * len(MOTIONSENSE_TRIALS)
    from_zip, from_folder = load_motionsense(archive)[0], load_motionsense(motionsense)[0]
    np.testing.assert_array_equal(from_zip.X, from_folder.X)
    np.testing.assert_array_equal(from_zip.y, from_folder.y)


def test_bad_sources_are_one_line_errors(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_motionsense(tmp_path / "missing")
    with pytest.raises(DataError, match="no MotionSense trials"):
        load_motionsense(tmp_path)
    bad = tmp_path / "A_DeviceMotion_data" / "wlk_15"
    bad.mkdir(parents=True)
    (bad / "sub_1.csv").write_text(",a,b\n0,1,2\n")
    with pytest.raises(DataError, match="not a MotionSense DeviceMotion file"):
        load_motionsense(tmp_path)
    (tmp_path / "not.zip").write_bytes(b"PK nothing")
    with pytest.raises(DataError, match="not a zip"):
        check_zip(tmp_path / "not.zip")


def test_trains_beside_uci_har_and_tests_its_own_subjects(tiny_data, motionsense, tmp_path):
    out = tmp_path / "run"
    args = ["train", "--out", str(out), "--data", tiny_data, "--motionsense", str(motionsense),
            "--motionsense-val-subjects", "1", "--any-orientation", "--task", "activity",
            "--model", "convbilstm_lite", "--hidden-size", "8", "--batch-size", "16",
            "--val-subjects", "2", "--epochs", "1", "-q"]  # fmt: skip
    assert main(args) == 0
    report = json.loads((out / "metrics.json").read_text())
    assert set(report["test_motionsense"]["per_subject"]) == {"117"}
    assert any(int(s) > SUBJECT_OFFSET for s in report["validation"]["per_subject"])
    assert not any(int(s) > SUBJECT_OFFSET for s in report["test"]["per_subject"])
    assert sum(map(sum, report["test_motionsense"]["confusion_matrix"])) == 25
