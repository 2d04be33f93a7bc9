"""Reading a user's recording: layouts, units, resampling, and every bad input via the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_har.cli import main
from lstm_har.errors import DataError
from lstm_har.inference.recording import STANDARD_GRAVITY, read_recording


def _signals(
    n: int, rate: float = 50.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    acc = np.stack([np.ones(n), 0.2 * np.sin(2 * np.pi * 1.5 * t), np.zeros(n)], axis=1)
    gyro = 0.3 * np.stack([np.cos(2 * np.pi * 1.5 * t), np.zeros(n), np.zeros(n)], axis=1)
    return t, acc + rng.normal(scale=0.01, size=acc.shape), gyro


def write_csv(
    path, t, acc, gyro, names=("time", "acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
):
    frame = pd.DataFrame(np.column_stack([t, acc, gyro]), columns=list(names))
    if t is None:
        frame = frame.drop(columns=names[0])
    frame.to_csv(path, index=False)
    return path


def test_reads_units_and_aliases(tmp_path):
    t, acc, gyro = _signals(500)
    path = write_csv(
        tmp_path / "r.csv",
        t,
        acc * STANDARD_GRAVITY,
        np.degrees(gyro),
        names=(
            "Timestamp",
            "AccelX (m/s^2)",
            "accel_y",
            "ACC-Z",
            "GyroX",
            "gyr_y",
            "rotationRate.z",
        ),
    )
    rec = read_recording(path, acc_unit="m/s2", gyro_unit="deg/s")
    np.testing.assert_allclose(rec.acc, acc, atol=1e-9)
    np.testing.assert_allclose(rec.gyro, gyro, atol=1e-9)
    assert rec.warnings == []


def test_rate_flag_without_time_column(tmp_path):
    _, acc, gyro = _signals(300)
    frame = pd.DataFrame(np.column_stack([acc, gyro]), columns=["ax", "ay", "az", "gx", "gy", "gz"])
    frame.to_csv(tmp_path / "r.csv", index=False)
    assert read_recording(tmp_path / "r.csv", rate=50).acc.shape == (300, 3)
    with pytest.raises(DataError, match="no time column"):
        read_recording(tmp_path / "r.csv")


def test_resamples_100hz_to_50hz(tmp_path):
    t, acc, gyro = _signals(2000, rate=100.0)
    rec = read_recording(write_csv(tmp_path / "r.csv", t, acc, gyro))
    assert abs(len(rec.acc) - 1000) <= 2 and rec.source_rate_hz == pytest.approx(100)
    # the 1.5 Hz motion survives at the new rate
    t50 = np.arange(len(rec.acc)) / 50
    expected = 0.2 * np.sin(2 * np.pi * 1.5 * t50)
    assert np.abs(rec.acc[50:-50, 1] - expected[50:-50]).max() < 0.05


def test_two_file_phone_layout(tmp_path):
    t, acc, gyro = _signals(600)
    pd.DataFrame({"seconds_elapsed": t, "x": acc[:, 0], "y": acc[:, 1], "z": acc[:, 2]}).to_csv(
        tmp_path / "Accelerometer.csv", index=False
    )
    # the gyroscope ticks at its own times: here 25 Hz, starting 0.1 s later
    g = slice(5, None, 2)
    pd.DataFrame(
        {"seconds_elapsed": t[g], "x": gyro[g, 0], "y": gyro[g, 1], "z": gyro[g, 2]}
    ).to_csv(tmp_path / "Gyroscope.csv", index=False)
    rec = read_recording(tmp_path / "Accelerometer.csv", tmp_path / "Gyroscope.csv")
    assert rec.acc.shape == rec.gyro.shape and len(rec.acc) > 550
    np.testing.assert_allclose(
        rec.gyro[10:-10, 0],
        0.3 * np.cos(2 * np.pi * 1.5 * (rec.t0 + np.arange(len(rec.gyro)) / 50))[10:-10],
        atol=0.02,
    )


def test_short_nan_gap_is_filled_with_a_warning(tmp_path):
    t, acc, gyro = _signals(400)
    acc[100:103, 0] = np.nan
    rec = read_recording(write_csv(tmp_path / "r.csv", t, acc, gyro))
    assert np.isfinite(rec.acc).all()
    assert any("filled 3 missing" in w for w in rec.warnings)


def _bad_files(tmp_path):
    t, acc, gyro = _signals(400)
    good = write_csv(tmp_path / "good.csv", t, acc, gyro).read_text()
    lines = good.splitlines()
    cases = {
        "empty": ("", "file is empty"),
        "header_only": (lines[0] + "\n", "header only"),
        "non_numeric": (
            "\n".join(lines[:5] + [lines[5].replace(lines[5].split(",")[2], "abc")] + lines[6:]),
            "non-numeric value 'abc'",
        ),
        "ragged": ("\n".join(lines[:5] + [lines[5] + ",1,2"] + lines[6:]), "malformed CSV"),
        "too_few_columns": ("time,acc_x,acc_y\n0,1,2\n", "no acc columns"),
        "unknown_columns": ("time,foo,bar,baz\n0,1,2,3\n", "no acc columns"),
        "short": ("\n".join(lines[:60]), "at least 128"),
        "backwards": (
            "\n".join(lines[:50] + [lines[51], lines[50]] + lines[52:]),
            "time goes backwards",
        ),
        "repeating": ("\n".join(lines[:50] + [lines[50], lines[50]] + lines[52:]), "time repeats"),
        "long_nan": (
            "\n".join(
                lines[:100]
                + [",".join([line.split(",")[0]] + ["nan"] * 6) for line in lines[100:140]]
                + lines[140:]
            ),
            "consecutive missing",
        ),
        "absurd_acc": (  # m/s^2, read as g because the user said so
            write_csv(tmp_path / "x.csv", t, acc * 9.81, gyro).read_text(),
            "is it in m/s^2",
        ),
        "absurd_gyro": (  # deg/s, read as rad/s because the user said so
            write_csv(tmp_path / "y.csv", t, acc, gyro * 300).read_text(),
            "is it in deg/s",
        ),
        "binary": (None, "binary data"),
    }
    return cases


@pytest.mark.parametrize(
    "case",
    [
        "empty",
        "header_only",
        "non_numeric",
        "ragged",
        "too_few_columns",
        "unknown_columns",
        "short",
        "backwards",
        "repeating",
        "long_nan",
        "absurd_acc",
        "absurd_gyro",
        "binary",
    ],
)
def test_bad_recordings_through_cli(tmp_path, capsys, case):
    content, message = _bad_files(tmp_path)[case]
    path = tmp_path / f"{case}.csv"
    if content is None:
        path.write_bytes(bytes(range(256)) * 20)
    else:
        path.write_text(content)
    out = tmp_path / "out.csv"
    flags = {"absurd_acc": ["--acc-unit", "g"], "absurd_gyro": ["--gyro-unit", "rad/s"]}
    assert main(["predict", str(path), "--out", str(out), *flags.get(case, [])]) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()  # nothing half-written


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.csv", "no such file"),
        (lambda p: p, "is a directory with no CSV files"),
    ],
)
def test_missing_path_and_directory(tmp_path, capsys, make, message):
    assert main(["predict", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_unknown_model_is_one_line(tmp_path, capsys):
    t, acc, gyro = _signals(400)
    path = write_csv(tmp_path / "r.csv", t, acc, gyro)
    assert main(["predict", str(path), "--model", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "not a run directory" in err and err.count("\n") == 1
