"""Bouts and summaries: the timeline tiled, clock times, local midnight and DST changes."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from lstm_har.cli import main
from lstm_har.errors import LstmHarError
from lstm_har.inference.predictions import Predictions
from lstm_har.inference.report import HOP_S, Clock, bouts, summary, write_table

CLASSES = ("SITTING", "WALKING")


def _preds(hours: float, switch_every: int = 500) -> Predictions:
    n = int(hours * 3600 / HOP_S)
    k = (np.arange(n) // switch_every) % 2  # alternating bouts of 500 windows
    proba = np.where(k[:, None] == np.arange(2), 0.8, 0.2)
    start = np.arange(n) * HOP_S
    return Predictions(start, start + 2.56, proba, CLASSES)


def test_unknown_and_not_worn_are_their_own_bouts_outside_the_activities():
    preds = _preds(1)
    n = len(preds.start)
    unknown, off = np.zeros(n, bool), np.zeros(n, bool)
    unknown[100:110], off[1000:1100] = True, True
    preds = Predictions(preds.start, preds.end, preds.proba, CLASSES, unknown=unknown,
                        not_worn=off)  # fmt: skip
    table = bouts(preds)
    odd = table[table["activity"].isin(["UNKNOWN", "NOT_WORN"])]
    assert odd["activity"].tolist() == ["UNKNOWN", "NOT_WORN"]
    assert odd["duration_s"].tolist() == [10 * HOP_S, 100 * HOP_S]
    assert odd["mean_probability"].isna().all()  # no activity the model stands by
    seconds = preds.time_per_class()
    assert seconds["UNKNOWN"] == pytest.approx(10 * HOP_S)
    assert sum(seconds[c] for c in CLASSES) == pytest.approx((n - 110) * HOP_S)
    hours = summary(preds)
    assert {"UNKNOWN", "NOT_WORN"} <= set(hours.columns)


def _utc(*args: int) -> float:
    return dt.datetime(*args, tzinfo=dt.timezone.utc).timestamp()


def test_bouts_tile_the_recording():
    preds = _preds(1)
    table = bouts(preds)
    assert table["activity"].tolist()[:3] == ["SITTING", "WALKING", "SITTING"]
    assert table["duration_s"].sum() == pytest.approx(len(preds.start) * HOP_S)
    np.testing.assert_allclose(table["start_s"].to_numpy()[1:], table["end_s"].to_numpy()[:-1])
    np.testing.assert_allclose(table["mean_probability"], 0.8)


def test_spring_forward_has_no_two_oclock_and_days_split_at_local_midnight():
    # 23:30 on 30 March 2024 in Berlin (UTC+1); clocks jump from 02:00 to 03:00 on the 31st
    clock = Clock.of(_utc(2024, 3, 30, 22, 30), True, "Europe/Berlin")
    table = summary(_preds(4), clock)
    hours = table[table.kind == "hour"].period.tolist()
    assert hours == ["2024-03-30T23:00+01:00", "2024-03-31T00:00+01:00",
                     "2024-03-31T01:00+01:00", "2024-03-31T03:00+02:00",
                     "2024-03-31T04:00+02:00"]  # fmt: skip
    days = table[table.kind == "day"]
    assert days.period.tolist() == ["2024-03-30", "2024-03-31"]
    assert days[list(CLASSES)].sum(axis=1).tolist()[0] == pytest.approx(
        np.ceil(1800 / HOP_S) * HOP_S
    )  # half an hour before midnight
    total = len(_preds(4).start) * HOP_S
    for kind in ("hour", "day"):  # every window counted once, in hours and in days
        assert table[table.kind == kind][list(CLASSES)].to_numpy().sum() == pytest.approx(total)


def test_fall_back_tells_the_repeated_hour_apart():
    # 01:30 on 27 October 2024 in Berlin (UTC+2); at 03:00 clocks go back to 02:00
    clock = Clock.of(_utc(2024, 10, 26, 23, 30), True, "Europe/Berlin")
    hours = summary(_preds(3), clock).query("kind == 'hour'").period.tolist()
    assert hours == ["2024-10-27T01:00+02:00", "2024-10-27T02:00+02:00",
                     "2024-10-27T02:00+01:00", "2024-10-27T03:00+01:00"]  # fmt: skip
    starts = bouts(_preds(3), clock)["start"].tolist()
    assert starts[0] == "2024-10-27T01:30:00+02:00"


def test_without_absolute_time_hours_count_from_the_start():
    assert Clock.of(12.0, False) is None
    table = summary(_preds(2.5))
    assert table.query("kind == 'hour'").period.tolist() == ["hour 0", "hour 1", "hour 2"]
    assert table.query("kind == 'day'").period.tolist() == ["day 0"]
    with pytest.raises(LstmHarError, match="not a time zone"):
        Clock.of(0.0, True, "Mars/Olympus")


def test_predict_writes_bouts_and_summary_by_extension(tmp_path, capsys):
    t = 1_711_839_600.0 + np.arange(6000) / 50  # epoch seconds: 2024-03-30 23:00 UTC
    walk = np.sin(11 * t)
    frame = pd.DataFrame({"timestamp": np.round(t * 1000).astype(np.int64),
                          "acc_x": 1 + 0.3 * walk, "acc_y": 0.2 * walk - 0.2, "acc_z": 0.0,
                          "gyro_x": 0.5 * np.cos(11 * t), "gyro_y": 0.0,
                          "gyro_z": 0.0})  # fmt: skip
    frame.to_csv(tmp_path / "r.csv", index=False)
    args = ["predict", str(tmp_path / "r.csv"), "--model", "walking", "--out",
            str(tmp_path / "p.csv"), "--bouts", str(tmp_path / "b.json"), "--summary",
            str(tmp_path / "s.csv"), "--tz", "Europe/Berlin"]  # fmt: skip
    assert main(args) == 0
    bouts_ = json.loads((tmp_path / "b.json").read_text())
    assert bouts_[0]["start"].startswith("2024-03-31T00:00:00+01:00")
    summary_ = pd.read_csv(tmp_path / "s.csv")
    assert set(summary_.kind) == {"hour", "day"} and "WALKING" in summary_.columns
    assert write_table(pd.DataFrame({"a": [1]}), "x.json").startswith(b"[")
    assert main([*args, "--tz", "Nowhere/Land"]) == 2
    assert "not a time zone" in capsys.readouterr().err


def test_local_time_is_what_the_export_records(tmp_path, capsys):
    import zipfile

    from helpers import write_phyphox, write_sensor_logger

    from lstm_har.inference.recording import read_recording

    # the helpers' epoch times start at 1_700_000_000 s: 2023-11-14 22:13:20 UTC
    t = np.arange(3000) / 50
    walk = np.sin(11 * t)
    acc = np.stack([1 + 0.3 * walk, 0.2 * walk - 0.2, 0 * t], axis=1)
    gyro = np.stack([0.5 * np.cos(11 * t), 0 * t, 0 * t], axis=1)
    # Sensor Logger names an export by its local start (its Metadata's recording time is in
    # UTC, written here as the helper does: a date that is neither)
    folder = write_sensor_logger(tmp_path / "2023-11-14_23-13-20", t, acc, gyro)
    rec = read_recording(folder)
    assert rec.utc_offset_s == 3600.0
    assert "local time UTC+01:00 (from 2023-11-14_23-13-20" in rec.summary
    with zipfile.ZipFile(tmp_path / "2023-11-14_16-43-20.zip", "w") as z:  # UTC-05:30
        for f in folder.glob("*.csv"):
            z.write(f, f.name)
    assert read_recording(tmp_path / "2023-11-14_16-43-20.zip").utc_offset_s == -5.5 * 3600
    renamed = folder.rename(tmp_path / "my walk")  # no name to go by: UTC, and said nowhere
    assert read_recording(renamed).utc_offset_s is None
    assert "local time" not in read_recording(renamed).summary
    bouts_csv = tmp_path / "b.csv"
    tokyo = renamed.rename(tmp_path / "2023-11-15_07-13-20")
    assert main(["predict", str(tokyo), "--model", "walking", "--out", str(tmp_path / "p.csv"),
                 "--bouts", str(bouts_csv)]) == 0  # fmt: skip
    assert pd.read_csv(bouts_csv)["start"][0].startswith("2023-11-15T07:13:20+09:00")
    # phyphox counts time from the experiment's start and writes, in meta/time.csv, the clock
    # and its UTC offset at each START; paused at 30 s for 70 s, the files' times run on
    ph = write_phyphox(tmp_path / "ph", t, acc, gyro)
    (ph / "meta" / "time.csv").write_text(
        '"event","experiment time","system time","system time text"\n'
        '"START",0.0,1.7E9,"2023-11-14 23:13:20.000 UTC+01:00"\n'
        '"PAUSE",30.0,1.70000003E9,"2023-11-14 23:13:50.000 UTC+01:00"\n'
        '"START",30.0,1.7000001E9,"2023-11-14 23:15:00.000 UTC+01:00"\n'
    )
    rec = read_recording(ph)
    assert rec.epoch and rec.t0 == 1.7e9 and rec.utc_offset_s == 3600.0
    assert "on the clock phyphox noted at each START" in rec.summary
    assert [s.start_s for s in rec.segments] == [0.0, 100.0]  # the pause is not invented
    (ph / "meta" / "time.csv").write_text('"event","experiment time"\n"START",0.0\n')
    assert not read_recording(ph).epoch  # no clock in it: times from the start, as before
    capsys.readouterr()


def test_the_timeline_shows_the_output_labels_one_row_per_day(tmp_path, monkeypatch):
    from PIL import Image

    from lstm_har.inference import timeline

    preds = _preds(0.5, switch_every=100)
    n = len(preds.start)
    preds = Predictions(preds.start, preds.end, preds.proba, CLASSES, not_worn=np.arange(n) < 50,
                        acc_range=np.tile([0.9, 1.1], (n, 1)))  # fmt: skip
    timeline.timeline_plot(preds, tmp_path / "one.png")
    monkeypatch.setattr(timeline, "DAY_S", 600.0)  # "days" of ten minutes: three rows
    timeline.timeline_plot(preds, tmp_path / "rows.png")
    one, rows = (Image.open(tmp_path / f"{n}.png").size for n in ("one", "rows"))
    assert rows[1] > 2 * one[1] and rows[0] == one[0]


def test_the_timeline_writes_the_calibrations_warnings_under_it(tmp_path):
    from PIL import Image

    from lstm_har.inference import Calibration, timeline

    preds = _preds(0.5, switch_every=100)
    n = len(preds.start)

    def warned_pixels(upright):
        calibration = Calibration(np.array(upright, dtype=np.float32), True, pocket=False)
        timeline.timeline_plot(Predictions(preds.start, preds.end, preds.proba, CLASSES,
                                           calibration=calibration,
                                           acc_range=np.tile([0.9, 1.1], (n, 1))),
                               tmp_path / "t.png")  # fmt: skip
        rgb = np.asarray(Image.open(tmp_path / "t.png").convert("RGB")).astype(int)
        red = np.array(timeline.WARNING_COLOR) * 255
        return int((np.abs(rgb - red).max(-1) < 40).sum())

    assert warned_pixels([0.0, 0.1, 1.0]) > 200  # carried flat: the warning's text, in red
    assert warned_pixels([1.0, -0.2, 0.0]) == 0  # upright: nothing to say


def test_the_timeline_is_written_in_the_format_its_name_says(tmp_path, capsys):
    t = np.arange(3000) / 50  # seconds from the start: no clock times
    frame = pd.DataFrame({"time": t, "acc_x": 1 + 0.3 * np.sin(11 * t), "acc_y": 0.0,
                          "acc_z": 0.0, "gyro_x": 0.5 * np.cos(11 * t), "gyro_y": 0.0,
                          "gyro_z": 0.0})  # fmt: skip
    frame.to_csv(tmp_path / "r.csv", index=False)
    args = ["predict", str(tmp_path / "r.csv"), "--model", "walking", "--out",
            str(tmp_path / "p.csv")]  # fmt: skip
    assert main([*args, "--plot", str(tmp_path / "t.pdf"), "--tz", "Europe/Berlin"]) == 0
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")
    # a time zone for times that are not clock times is said to be unused, not dropped silently
    assert "--tz Europe/Berlin left unused" in capsys.readouterr().out
    (tmp_path / "p.csv").unlink()
    for flag, value, needle in (("--plot", "t.txt", ".txt is not an image format"),
                                ("--tz", "Nowhere/Land", "not a time zone")):  # fmt: skip
        assert main([*args, flag, str(tmp_path / value) if flag == "--plot" else value]) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, err
        assert not (tmp_path / "p.csv").exists()  # refused before anything is written


def test_atomic_writes_keep_links_modes_and_pipes(tmp_path):
    import os
    import stat
    import threading

    from lstm_har._files import atomic_write

    target = tmp_path / "real.csv"
    target.write_text("old")
    target.chmod(0o640)
    (tmp_path / "link.csv").symlink_to(target)
    atomic_write(tmp_path / "link.csv", b"new")
    assert (tmp_path / "link.csv").is_symlink() and target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the mode it had
    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "fresh.csv", b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "fresh.csv").stat().st_mode) == 0o644  # as open() gives
    # a pipe (as /dev/stdout can be) is written to, not replaced by a file
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    atomic_write(fifo, b"through the pipe")
    reader.join(timeout=10)
    assert got == [b"through the pipe"] and stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.csv", "link.csv", "pipe",
                                                          "real.csv"]  # fmt: skip
