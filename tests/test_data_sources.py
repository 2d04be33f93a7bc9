"""Readers of the official layouts, on small fixtures in those exact formats (helpers.py)."""

from __future__ import annotations

import gzip
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import write_uci, zip_uci

from lstm_har.cli import main
from lstm_har.data import ACTIVITIES, load_uci_har, packaged
from lstm_har.errors import DataError


def test_uci_folder_and_zip(tmp_path, rng):
    truth = write_uci(tmp_path, rng, {"train": 5, "test": 3})
    archive = zip_uci(tmp_path, tmp_path / "uci.zip")
    for path in (tmp_path, tmp_path / "UCI HAR Dataset", archive):
        train, test = load_uci_har(path, cache=False)
        for split, got in (("train", train), ("test", test)):
            X, y, subject = truth[split]
            np.testing.assert_allclose(got.X, X, rtol=1e-6)
            np.testing.assert_array_equal(got.y, y - 1)  # files label 1..6, y indexes classes
            np.testing.assert_array_equal(got.subject, subject)


def test_uci_nested_zip(tmp_path, rng):
    # The archive UCI serves today wraps "UCI HAR Dataset.zip" inside another zip.
    truth = write_uci(tmp_path, rng, {"train": 2, "test": 2})
    inner = zip_uci(tmp_path, tmp_path / "UCI HAR Dataset.zip")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as z:
        z.write(inner, inner.name)
    train, _ = load_uci_har(outer, cache=False)
    np.testing.assert_array_equal(train.y, truth["train"][1] - 1)


def write_hapt(root: Path, rng: np.random.Generator) -> Path:
    raw = root / "RawData"
    raw.mkdir()
    rows = []
    for exp, user, n in ((1, 1, 700), (2, 2, 500)):  # user 2 is an official test subject
        acc = rng.normal(scale=0.1, size=(n, 3)) + [1.0, 0.0, 0.0]
        gyro = rng.normal(scale=0.1, size=(n, 3))
        for kind, values in (("acc", acc), ("gyro", gyro)):
            text = "\n".join(" ".join(f"{v:.12f}" for v in r) for r in values)
            (raw / f"{kind}_exp{exp:02d}_user{user:02d}.txt").write_text(text + "\n")
        rows += [(exp, user, 1, 11, 330), (exp, user, 4, 331, 331 + 130), (exp, user, 8, 462, 480)]
    (raw / "labels.txt").write_text("".join(" ".join(map(str, r)) + "\n" for r in rows))
    return raw


def test_hapt_raw_layout(tmp_path, rng):
    write_hapt(tmp_path, rng)
    train, test = load_uci_har(tmp_path, cache=False)
    # Activity 1 spans 320 samples -> 4 windows; activity 4 spans 131 -> 1; transitions none.
    walking, sitting = ACTIVITIES.index("WALKING"), ACTIVITIES.index("SITTING")
    assert train.y.tolist() == [walking] * 4 + [sitting] and set(train.subject.tolist()) == {1}
    assert test.y.tolist() == [walking] * 4 + [sitting] and set(test.subject.tolist()) == {2}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1 2\n3 4\n", "expected 3 columns, found 2"),
        ("1 2 3\n4 x 6\n", "not a numeric table"),
        ("", "file is empty"),
        ("1 2 3\n4 5\n", "missing or non-finite value on line 2"),
        ("1 2 3\n4 5 6 7\n", "not a numeric table"),
    ],
)
def test_bad_tables_name_the_file(tmp_path, rng, content, message):
    raw = write_hapt(tmp_path, rng)
    (raw / "gyro_exp02_user02.txt").write_text(content)
    with pytest.raises(DataError, match=message) as err:
        load_uci_har(tmp_path, cache=False)
    assert "gyro_exp02_user02.txt" in str(err.value)


def test_missing_member_file(tmp_path, rng):
    write_uci(tmp_path, rng, {"train": 2, "test": 2})
    (tmp_path / "UCI HAR Dataset" / "test" / "y_test.txt").unlink()
    with pytest.raises(DataError, match="y_test.txt: file not found"):
        load_uci_har(tmp_path, cache=False)


def test_truncated_zip(tmp_path, rng):
    write_uci(tmp_path, rng, {"train": 2, "test": 2})
    archive = zip_uci(tmp_path, tmp_path / "uci.zip")
    archive.write_bytes(archive.read_bytes()[:-300])
    with pytest.raises(DataError, match="uci.zip: not a readable zip"):
        load_uci_har(archive, cache=False)


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_pickle_outside_allow_list_is_refused(tmp_path, capsys):
    path = tmp_path / "HAPT.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump({1: [_Evil()]}, f, protocol=2)
    with pytest.raises(DataError, match=r"print, outside the allow-list"):
        packaged.read_packaged(path)
    assert "pwned" not in capsys.readouterr().out


@pytest.mark.slow
def test_packaged_reader_reads_all_experiments():
    recordings = packaged.read_packaged()
    assert len(recordings) == 61
    assert {r.subject for r in recordings} == set(range(1, 31))
    r = recordings[0]
    assert r.acc.shape == r.gyro.shape == (len(r.labels), 3)


@pytest.mark.slow
def test_cli_data_info_and_bad_path(tmp_path, capsys):
    assert main(["data", "info"]) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert rows["activity"] == ["train", "official", "test", "official"]
    # our count beside the official one: walking matches exactly, the total within 1 %
    assert rows["WALKING"] == ["1226", "1226", "496", "496"]
    ours, official = int(rows["TOTAL"][0]), int(rows["TOTAL"][1])
    assert official == 7352 and abs(ours - official) / official < 0.01
    assert main(["data", "info", "--data", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err and "Traceback" not in err
