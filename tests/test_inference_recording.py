"""Reading a user's recording: layouts, units, resampling, and every bad input via the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_har.cli import main
from lstm_har.errors import DataError
from lstm_har.inference.recording import read_recording
from lstm_har.inference.streams import STANDARD_GRAVITY


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


@pytest.mark.parametrize("header_too", [False, True])
def test_a_separator_ending_every_row_is_read_right(tmp_path, header_too):
    # pandas takes the columns of a row longer than its header as the index, unless told not
    # to: the times were read as acc_x, acc_x as acc_y...
    t, acc, gyro = _signals(500)
    lines = write_csv(tmp_path / "r.csv", t, acc, gyro).read_text().splitlines()
    header = lines[0] + ("," if header_too else "")
    (tmp_path / "s.csv").write_text("\n".join([header, *(line + "," for line in lines[1:])]) + "\n")
    rec = read_recording(tmp_path / "s.csv", acc_unit="g", gyro_unit="rad/s")
    np.testing.assert_allclose(rec.acc, acc, atol=1e-9)
    np.testing.assert_allclose(rec.gyro, gyro, atol=1e-9)


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
    first_time = lines[1].split(",", 1)[0]
    cases = {
        "empty": ("", "file is empty"),
        "header_only": (lines[0] + "\n", "header only"),
        "non_numeric": (
            "\n".join(lines[:5] + [lines[5].replace(lines[5].split(",")[2], "abc")] + lines[6:]),
            "non-numeric value 'abc'",
        ),
        "ragged": ("\n".join(lines[:300] + [lines[300] + ",1,2"] + lines[301:]), "malformed CSV"),
        # pandas would make the first two columns an index and shift every name
        "ragged_first": (
            "\n".join(lines[:1] + [lines[1] + ",1,2"] + lines[2:]),
            "data row 1 has 9 values, the header names 7 columns",
        ),
        "endless_row": (lines[0] + "\n" + "1," * 40_000, "data row 1 has no line break"),
        "standing_time": (
            "\n".join(
                [lines[0], *(first_time + "," + line.split(",", 1)[1] for line in lines[1:])]
            ),
            "time does not advance",
        ),
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
        "ragged_first",
        "endless_row",
        "standing_time",
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


# --------------------------------------------------------------------------- failure classes


def _good(tmp_path, n=600, rate=50.0):
    t, acc, gyro = _signals(n, rate)
    return t, acc, gyro, write_csv(tmp_path / "good.csv", t, acc, gyro)


def _refused(args, capsys, needle):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err, err
    assert err.count("\n") == 1 and "Traceback" not in err and len(err) < 400
    return err


def test_ragged_and_truncated_rows_are_filled_not_a_traceback(tmp_path, capsys):
    _, _, _, path = _good(tmp_path)
    lines = path.read_text().splitlines()
    lines[300] = ",".join(lines[300].split(",")[:5])  # a row short of its gyroscope z
    lines[-1] = lines[-1][: len(lines[-1]) // 2]  # a last line cut off mid-way
    path.write_text("\n".join(lines))
    assert main(["predict", str(path), "--out", str(tmp_path / "p.csv")]) == 0
    out = capsys.readouterr().out
    assert "filled 1 missing z value" in out and out.count("last line had no line break") == 1


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda t: np.where(np.arange(len(t)) == 300, t + 1e12, t), "time goes backwards"),
        (lambda t: np.where(np.arange(len(t)) >= 300, t + 10 * 86400, t), None),  # 10-day pause
    ],
)
def test_timestamps_never_drive_memory(tmp_path, capsys, edit, needle):
    t, acc, gyro, _ = _good(tmp_path, n=1200)
    path = write_csv(tmp_path / "r.csv", edit(t), acc, gyro)
    args = ["predict", str(path), "--out", str(tmp_path / "p.csv")]
    if needle is not None:
        _refused(args, capsys, needle)
        return
    assert main(args) == 0
    rows = pd.read_csv(tmp_path / "p.csv")
    assert len(rows) < 20 and rows["start_s"].max() > 10 * 86400  # two segments, no 10-day grid
    assert "split into 2 segments" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--rate", "1e9"], "rate must be a number of Hz"),
        (["--rate", "50"], "--rate is only for files without one"),
        (["--time-unit", "ms"], "sampled at 5e+04 Hz, faster than any phone"),
    ],
)
def test_flags_that_contradict_the_file(tmp_path, capsys, args, needle):
    _, _, _, path = _good(tmp_path)
    _refused(["predict", str(path), *args], capsys, needle)


def test_one_hertz_fifos_and_lost_newlines_are_refused(tmp_path, capsys):
    import os

    t, acc, gyro = _signals(400, rate=1.0)
    _refused(["predict", str(write_csv(tmp_path / "slow.csv", t, acc, gyro))], capsys,
             "sampled at 1 Hz")  # fmt: skip
    os.mkfifo(tmp_path / "fifo.csv")
    _refused(["predict", str(tmp_path / "fifo.csv")], capsys, "not a regular file")
    _, _, _, path = _good(tmp_path)
    (tmp_path / "flat.csv").write_text(path.read_text().replace("\n", " ") * 20)
    _refused(["predict", str(tmp_path / "flat.csv")], capsys, "no line break in its first 64 KB")


def test_huge_cells_and_absurd_values(tmp_path, capsys):
    _, _, _, path = _good(tmp_path)
    lines = path.read_text().splitlines()
    big = lines.copy()
    big[10] = ",".join([*big[10].split(",")[:2], "x" * 1_000_000, *big[10].split(",")[3:]])
    (tmp_path / "big.csv").write_text("\n".join(big))
    err = _refused(["predict", str(tmp_path / "big.csv")], capsys, "non-numeric value 'xxx")
    assert len(err) < 300
    huge = lines.copy()
    huge[10] = ",".join([huge[10].split(",")[0], "1e308", *huge[10].split(",")[2:]])
    (tmp_path / "huge.csv").write_text("\n".join(huge))
    _refused(["predict", str(tmp_path / "huge.csv")], capsys, "no phone measures past")


@pytest.mark.parametrize(
    ("header", "needle"),
    [
        ("time,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z,acc_x", "'acc_x' appears more than once"),
        ("time,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z,ax", "could each be the x axis"),
    ],
)
def test_duplicate_or_doubly_aliased_columns(tmp_path, capsys, header, needle):
    _, _, _, path = _good(tmp_path)
    lines = path.read_text().splitlines()
    rows = [line + "," + line.split(",")[1] for line in lines[1:]]
    (tmp_path / "d.csv").write_text("\n".join([header, *rows]))
    _refused(["predict", str(tmp_path / "d.csv")], capsys, needle)


def test_outputs_never_clobber_the_recording_or_half_write(tmp_path, capsys):
    _, _, _, path = _good(tmp_path)
    before = path.read_bytes()
    _refused(["predict", str(path), "--out", str(path)], capsys, "is the recording itself")
    assert path.read_bytes() == before
    out = tmp_path / "p.csv"
    _refused(["predict", str(path), "--out", str(out), "--plot", str(tmp_path / "no" / "t.png")],
             capsys, "its folder does not exist")  # fmt: skip
    assert not out.exists()
