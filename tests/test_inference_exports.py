"""Phone-app exports, written by the tests in each app's own layout, read with no flags."""

from __future__ import annotations

import shutil
import zipfile

import numpy as np
import pytest
from helpers import (
    FORMATS,
    write_androsensor,
    write_generic,
    write_phyphox,
    write_phyphox_excel,
    write_sensor_logger,
    write_sqlite,
    write_xls,
    write_xlsx,
    zip_folder,
)

from lstm_har.cli import main
from lstm_har.errors import DataError
from lstm_har.inference import workbook
from lstm_har.inference.recording import read_recording


def walk_then_sit(seconds: float = 40.0, rate: float = 50.0):
    """(t, acc g, gyro rad/s): gait-like motion upright (x up), then still and tilted."""
    t = np.arange(int(seconds * rate)) / rate
    half = len(t) // 2
    acc = np.zeros((len(t), 3))
    acc[:half] = np.stack([1 + 0.3 * np.sin(11 * t[:half]), 0.2 * np.sin(11 * t[:half]) - 0.2,
                           0 * t[:half]], axis=1)  # fmt: skip
    acc[half:] = [0.8, 0.5, 0.3]
    gyro = np.zeros((len(t), 3))
    gyro[:half, 0] = 0.5 * np.cos(11 * t[:half])
    rng = np.random.default_rng(0)
    return t, acc + rng.normal(scale=0.01, size=acc.shape), gyro


APPS = {"sensor-logger-android": "Sensor Logger (Android)",
        "sensor-logger-sqlite": "Sensor Logger (Android)",
        "sensor-logger-ios-sqlite": "Sensor Logger (iOS)",
        "sensor-logger-ios": "Sensor Logger (iOS)", "phyphox": "phyphox",
        "phyphox-custom-zip": "phyphox (iOS)", "sensorlog": "SensorLog",
        "androsensor": "AndroSensor", "motionsense": "Core Motion"}  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_reads_back_what_was_written(tmp_path, fmt):
    t, acc, gyro = walk_then_sit()
    path = FORMATS[fmt](tmp_path, t, acc, gyro)
    rec = read_recording(path)
    assert len(rec.segments) == 1 and abs(len(rec.acc) - len(t)) <= 2
    n = min(len(rec.acc), len(t))
    # AndroSensor writes 4 decimals; the rest 9 digits
    tol = 1e-3 if fmt == "androsensor" else 1e-6
    np.testing.assert_allclose(rec.acc[:n], acc[:n], atol=tol)
    np.testing.assert_allclose(rec.gyro[:n], gyro[:n], atol=tol)
    if fmt in APPS:
        assert APPS[fmt] in rec.summary, rec.summary


def test_units_and_times_are_detected_from_the_values(tmp_path):
    t, acc, gyro = walk_then_sit()
    import pandas as pd

    frame = pd.DataFrame({"timestamp": np.round(1.7e12 + t * 1000).astype(np.int64)})
    for k, axis in enumerate("xyz"):
        frame[f"acc_{axis}"] = acc[:, k] * 9.80665
    for k, axis in enumerate("xyz"):
        frame[f"gyro_{axis}"] = np.degrees(gyro[:, k]) * 100  # a spinning phone, in deg/s
    frame.to_csv(tmp_path / "r.csv", index=False)
    rec = read_recording(tmp_path / "r.csv")
    assert "in m/s2 (gravity reads 9." in rec.summary and "ms since the epoch" in rec.summary
    assert "gyroscope in deg/s" in rec.summary
    np.testing.assert_allclose(rec.acc, acc, atol=1e-9)
    np.testing.assert_allclose(rec.gyro, gyro * 100, atol=1e-9)


def test_flags_override_what_the_file_says(tmp_path):
    t, acc, gyro = walk_then_sit()
    folder = write_sensor_logger(tmp_path / "sl", t, acc, gyro, platform="ios", split=True)
    assert "iOS signs turned" in read_recording(folder).summary
    flipped = read_recording(folder, platform="android")
    np.testing.assert_allclose(flipped.acc, -read_recording(folder).acc, atol=1e-9)


def test_gravity_free_acceleration_is_refused_with_what_to_give(tmp_path, capsys):
    t, acc, gyro = walk_then_sit()
    folder = write_sensor_logger(tmp_path / "sl", t, acc, gyro, split=True)
    (folder / "Gravity.csv").unlink()
    assert main(["predict", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "Accelerometer.csv has gravity removed; use TotalAcceleration.csv" in err
    # the same file given alone: no name to go by, the values tell
    assert main(["predict", str(folder / "Accelerometer.csv"), "--gyro",
                 str(folder / "Gyroscope.csv")]) == 2  # fmt: skip
    assert "no gravity in it" in capsys.readouterr().err


def test_a_lone_sensor_file_in_a_folder_or_zip_reads_as_that_file_given_alone(tmp_path, capsys):
    from helpers import zip_folder

    t, acc, gyro = walk_then_sit()
    folder = write_sensor_logger(tmp_path / "sl", t, acc, gyro)
    lone = tmp_path / "lone"
    lone.mkdir()
    (folder / "TotalAcceleration.csv").rename(lone / "TotalAcceleration.csv")
    errors = []
    for path in (lone / "TotalAcceleration.csv", lone, zip_folder(lone, tmp_path / "lone.zip")):
        assert main(["predict", str(path)]) == 2
        errors.append(capsys.readouterr().err.split(": ", 3)[-1])  # without the path
    # named for one sensor: its folder export's files are looked for, not columns of all
    assert errors[0] == errors[1] == errors[2] and "no gyroscope found" in errors[0], errors


def test_a_gyroscope_that_stopped_early_is_said_not_to_cover_the_recording(tmp_path):
    t, acc, gyro = walk_then_sit()  # 40 s
    folder = write_sensor_logger(tmp_path / "sl", t, acc, gyro)
    assert not any("gyroscope covers" in w for w in read_recording(folder).warnings)
    lines = (folder / "Gyroscope.csv").read_text().splitlines()
    (folder / "Gyroscope.csv").write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    rec = read_recording(folder)
    assert "the gyroscope covers 20 s of the accelerometer's 40 s; only those are labelled" in (
        rec.warnings
    )
    assert abs(len(rec.acc) - 1000) < 5  # the 20 s both sensors saw
    gyro_file = (folder / "Gyroscope.csv").read_text().splitlines()
    day = 86_400 * 10**9  # a day later, in the file's nanoseconds
    (folder / "Gyroscope.csv").write_text("\n".join(
        [gyro_file[0], *(f"{int(r.split(',')[0]) + day},{r.split(',', 1)[1]}"
                         for r in gyro_file[1:])]) + "\n")  # fmt: skip
    with pytest.raises(DataError, match=r"do not overlap \(acc 2023-11-14 22:13:20 UTC to .*, "
                                        r"gyro 2023-11-15 22:13:20 UTC to"):  # fmt: skip
        read_recording(folder)


def test_two_recordings_in_one_folder_and_accelerometer_only(tmp_path, capsys):
    from helpers import zip_folder

    t, acc, gyro = walk_then_sit()
    folder = write_phyphox(tmp_path / "ph", t, acc, gyro)
    (folder / "Accelerometer_2.csv").write_text((folder / "Accelerometer.csv").read_text())
    assert main(["predict", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "more than one recording here" in err and "unzip" not in err
    assert main(["predict", str(zip_folder(folder, tmp_path / "two.zip"))]) == 2
    assert "; unzip it and give one of those files" in capsys.readouterr().err
    (folder / "Accelerometer_2.csv").unlink()
    (folder / "Gyroscope.csv").unlink()
    assert main(["predict", str(folder)]) == 2
    assert "no gyroscope found" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["phyphox", "phyphox-custom", "sensor-logger-ios"])
def test_one_file_of_a_folder_export_reads_the_whole_recording(tmp_path, fmt):
    t, acc, gyro = walk_then_sit()
    if fmt.startswith("phyphox"):
        folder = write_phyphox(tmp_path / "ph", t, acc, gyro, custom=fmt.endswith("custom"))
        files = sorted(p for p in folder.glob("*.csv"))
    else:  # gravity-free acceleration + Gravity.csv, iOS signs told by Metadata.csv
        folder = write_sensor_logger(tmp_path / "sl", t, acc, gyro, platform="ios", split=True)
        files = [folder / "Accelerometer.csv", folder / "Gyroscope.csv"]
    whole = read_recording(folder)
    for path in files:  # the acceleration file or the gyroscope's: the same recording
        rec = read_recording(path)
        assert f"{path.name} read with the files of its recording beside it" in rec.summary
        assert rec.summary.split(": ", 1)[0] == whole.summary.split(": ", 1)[0]  # the same app
        np.testing.assert_array_equal(rec.acc, whole.acc)
        np.testing.assert_array_equal(rec.gyro, whole.gyro)


def test_one_file_picks_its_own_recording_among_several(tmp_path, capsys):
    t, acc, gyro = walk_then_sit()
    folder = write_phyphox(tmp_path / "ph", t, acc, gyro)
    first = read_recording(folder)
    other = write_phyphox(tmp_path / "other", t, acc[::-1].copy(), -gyro)
    for name in ("Accelerometer", "Gyroscope"):
        (other / f"{name}.csv").rename(folder / f"{name}_2.csv")
    assert main(["predict", str(folder)]) == 2
    assert "more than one recording here" in capsys.readouterr().err
    second = read_recording(folder / "Accelerometer_2.csv")
    assert "files: Accelerometer_2.csv, Gyroscope_2.csv" in second.summary
    np.testing.assert_allclose(second.gyro, -first.gyro, atol=1e-6)
    np.testing.assert_array_equal(read_recording(folder / "Gyroscope.csv").gyro, first.gyro)
    (folder / "Gyroscope_2.csv").unlink()  # its gyroscope gone: said, not taken from the other
    assert main(["predict", str(folder / "Accelerometer_2.csv")]) == 2
    assert "Accelerometer_2.csv: no gyroscope found" in capsys.readouterr().err


def test_sensor_logger_json_reads_as_its_folder(tmp_path, capsys, monkeypatch):
    import json

    import pandas as pd

    from lstm_har.inference import exports

    t, acc, gyro = walk_then_sit()
    folder = write_sensor_logger(tmp_path / "2023-11-14_23-13-20", t, acc, gyro, platform="ios")
    records = []  # Sensor Logger's layout: every value a string, the sensor named in each
    for csv in sorted(folder.glob("*.csv")):
        if csv.stat().st_size:
            frame = pd.read_csv(csv, dtype=str)
            records += [{"sensor": csv.stem, **row} for row in frame.to_dict("records")]
    path = tmp_path / "2023-11-14_23-13-20.json"
    path.write_text(json.dumps(records))
    whole, mine = read_recording(folder), read_recording(path)
    assert "JSON export" in mine.summary and "Sensor Logger (iOS)" in mine.summary
    assert mine.utc_offset_s == whole.utc_offset_s == 3600.0
    np.testing.assert_array_equal(mine.samples, whole.samples)
    (tmp_path / "other.json").write_text(json.dumps([{"x": 1, "y": 2, "z": 3}]))
    assert main(["predict", str(tmp_path / "other.json")]) == 2
    assert "without a 'sensor' field" in capsys.readouterr().err
    (tmp_path / "odd.json").write_text('[{"sensor": "Gyroscope"}, {"sensor": {"a": 1}}]')
    assert main(["predict", str(tmp_path / "odd.json")]) == 2
    assert "record 2 names its sensor {'a': 1}, not a name" in capsys.readouterr().err
    (tmp_path / "broken.json").write_text('[{"sensor": "Gyroscope", ')
    assert main(["predict", str(tmp_path / "broken.json")]) == 2
    assert "not a JSON array of records" in capsys.readouterr().err
    monkeypatch.setattr(exports, "MAX_JSON_BYTES", 1000)
    assert main(["predict", str(path)]) == 2
    assert "export the recording as zip (CSV) instead" in capsys.readouterr().err


def test_sensor_logger_sqlite_reads_as_its_folder(tmp_path, capsys, monkeypatch):
    import contextlib
    import sqlite3

    import pandas as pd

    from lstm_har.inference import database

    t, acc, gyro = walk_then_sit()
    folder = write_sensor_logger(tmp_path / "2023-11-14_23-13-20", t, acc, gyro, platform="ios",
                                 split=True)  # fmt: skip
    frames = {p.stem: pd.read_csv(p, dtype=str)  # Sensor Logger's JSON keeps values as text
              for p in sorted(folder.glob("*.csv")) if p.stat().st_size}  # fmt: skip
    whole = read_recording(folder)
    stacked = pd.concat([f.assign(sensor=name) for name, f in frames.items()])
    one_table = write_sqlite(tmp_path / "records", {"records": stacked})  # and no suffix
    for path in (write_sqlite(tmp_path / "text.sqlite", frames), one_table):  # values as TEXT
        mine = read_recording(path)
        assert "SQLite database" in mine.summary and "Sensor Logger (iOS)" in mine.summary
        assert "tables: Accelerometer, Gravity, Gyroscope" in mine.summary, mine.summary
        np.testing.assert_array_equal(mine.samples, whole.samples)
    gyro_csv = write_generic(tmp_path / "g.csv", t, acc, gyro)
    bad = dict(frames, Gyroscope=frames["Gyroscope"].assign(x="1,5"))
    cases = {
        tmp_path / "broken.sqlite": "not a readable SQLite database",
        tmp_path / "none.sqlite": "an SQLite database without tables",
        write_sqlite(tmp_path / "bad.sqlite", bad): "non-numeric value '1,5' in column 'x'",
        write_sqlite(tmp_path / "empty.sqlite", dict(frames, Gyroscope=frames["Gyroscope"][:0])):
            "an empty table",
    }  # fmt: skip
    (tmp_path / "broken.sqlite").write_bytes(database.SQLITE_MAGIC + b"not a database" * 10)
    with contextlib.closing(sqlite3.connect(tmp_path / "none.sqlite")) as db:
        db.executescript("CREATE TABLE t (x); DROP TABLE t;")  # a database, its tables gone
    for path, message in cases.items():
        assert main(["predict", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (path.name, err)
    assert main(["predict", str(tmp_path / "text.sqlite"), "--gyro", str(gyro_csv)]) == 2
    assert "a database is given alone, without --gyro" in capsys.readouterr().err
    monkeypatch.setattr(database, "MAX_SQLITE_BYTES", 1 << 10)  # refused before any query
    assert main(["predict", str(tmp_path / "text.sqlite")]) == 2
    assert "export the recording as zip (CSV) instead" in capsys.readouterr().err


def test_low_rate_is_refused(tmp_path, capsys):
    t, acc, gyro = walk_then_sit(seconds=200, rate=5)
    path = write_androsensor(tmp_path / "a.csv", t, acc, gyro)
    assert main(["predict", str(path)]) == 2
    assert "sampled at 5 Hz; the models need at least 20 Hz" in capsys.readouterr().err


def test_gaps_split_the_recording_instead_of_inventing_samples(tmp_path):
    t, acc, gyro = walk_then_sit(seconds=60)
    t = t.copy()
    t[1500:] += 3 * 3600  # a three-hour pause after 30 s
    rec = read_recording(write_generic(tmp_path / "r.csv", t, acc, gyro))
    assert [round(s.start_s) for s in rec.segments] == [0, 3 * 3600 + 30]
    assert len(rec.acc) < 3100 and any("split into 2 segments" in w for w in rec.warnings)
    assert not any("interpolated across" in w for w in rec.warnings)  # cut, not interpolated
    t3 = np.arange(3000) / 50 + np.repeat(np.arange(100) * 10.0, 30)  # 0.6 s, a 10 s pause, ...
    with pytest.raises(DataError, match="between 99 pauses over 5 s; at least 128 .* in a row"):
        read_recording(write_generic(tmp_path / "g.csv", t3, acc, gyro))
    with pytest.raises(DataError, match="spread"):  # a few samples claiming a day between them
        t2 = np.concatenate([np.arange(600) / 50, 12 + np.arange(600) * 4.9])
        read_recording(write_generic(tmp_path / "s.csv", t2, *walk_then_sit(seconds=24)[1:]))


def test_phyphox_excel_export_reads_as_its_csv_zip_does(tmp_path):
    """phyphox's default export: sheets standing for the zip's files, its clock included, by
    its name or by its content (an .xlsx named .zip or nothing, an .xls without suffix)."""
    t, acc, gyro = walk_then_sit()
    csv_zip = zip_folder(write_phyphox(tmp_path / "ph", t, acc, gyro), tmp_path / "ph.zip")
    xlsx = write_phyphox_excel(tmp_path / "Experiment.xlsx", t, acc, gyro, brand="Apple")
    xls = write_phyphox_excel(tmp_path / "Experiment.xls", t, acc, gyro, legacy=True)
    base = read_recording(csv_zip)
    renamed = [shutil.copy(xlsx, tmp_path / "workbook.zip"), shutil.copy(xls, tmp_path / "x")]
    noted = write_phyphox_excel(tmp_path / "noted.xlsx", t, acc, gyro)  # notes beside the data
    with zipfile.ZipFile(noted) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    rows = parts["xl/worksheets/sheet1.xml"].split(b"</row>")
    rows[1] += b'<c t="inlineStr"><is><t>walked</t></is></c><c><v>1</v></c>'  # no header
    parts["xl/worksheets/sheet1.xml"] = b"</row>".join(rows)
    with zipfile.ZipFile(noted, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    renamed.append(noted)
    for path in (xlsx, xls, *renamed):
        rec = read_recording(path)
        np.testing.assert_allclose(rec.acc, base.acc, atol=1e-6)
        np.testing.assert_allclose(rec.gyro, base.gyro, atol=1e-6)
        assert "Excel workbook" in rec.summary and "sheets: Accelerometer, Gyroscope" in rec.summary
        assert "local time UTC+01:00 (from phyphox's time record)" in rec.summary, rec.summary
        assert rec.epoch and rec.t0 == pytest.approx(1.7e9)
        # the gyroscope's last row is one value short, "NaN" as phyphox pads it: filled
        assert any("filled 1 missing z value" in w for w in rec.warnings), rec.warnings
    assert "phyphox (iOS)" in read_recording(tmp_path / "workbook.zip").summary


def test_a_full_xls_sheet_is_said_to_be_cut_off(tmp_path, monkeypatch):
    t, acc, gyro = walk_then_sit()
    path = write_phyphox_excel(tmp_path / "e.xls", t, acc, gyro, legacy=True)
    monkeypatch.setattr(workbook, "XLS_ROWS", len(t))  # as a sheet of 65,536 rows would
    assert "fills all" in read_recording(path).summary


def test_a_bad_workbook_is_one_line_saying_what_is_wrong(tmp_path, capsys, monkeypatch):
    t, acc, gyro = walk_then_sit()

    def sheets(**changes):
        acc_rows = [["Time (s)", "X (m/s^2)", "Y (m/s^2)", "Z (m/s^2)"],
                    *np.column_stack([t, acc * 9.81]).tolist()]  # fmt: skip
        gyro_rows = [["Time (s)", "X (rad/s)", "Y (rad/s)", "Z (rad/s)"],
                     *np.column_stack([t, gyro]).tolist()]  # fmt: skip
        return {"Accelerometer": acc_rows, "Gyroscope": gyro_rows, **changes}

    stub = tmp_path / "stub.xlsx"
    with zipfile.ZipFile(stub, "w") as z:  # the parts an xlsx opens with, and nothing else
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    ole = tmp_path / "not-a-workbook"  # an OLE2 file (a .doc, say) that holds no workbook
    ole.write_bytes(workbook.OLE2_MAGIC + bytes(504))
    text = sheets()
    text["Gyroscope"][5][2] = "1,5"  # a decimal comma in a number cell
    twice = sheets(Gyroscope=[["Time (s)", "X (rad/s)", "X (rad/s)", "Z (rad/s)"], [0, 1, 2, 3]])
    cases = {
        stub: "not a readable Excel workbook",
        ole: "not a readable Excel workbook",
        write_xlsx(tmp_path / "text.xlsx", text): "non-numeric value '1,5' in column 'Y (rad/s)', "
                                                   "data row 5",
        write_xlsx(tmp_path / "twice.xlsx", twice): "column 'X (rad/s)' appears twice",
        write_xlsx(tmp_path / "empty.xlsx", sheets(Gyroscope=[])): "an empty sheet",
        write_xlsx(tmp_path / "acc.xlsx", {"Accelerometer": sheets()["Accelerometer"]}):
            "no gyroscope",
    }  # fmt: skip
    for path, message in cases.items():
        assert main(["predict", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (path.name, err)
    csv = write_generic(tmp_path / "gyro.csv", t, acc, gyro)
    assert main(["predict", str(tmp_path / "text.xlsx"), "--gyro", str(csv)]) == 2
    assert "is given alone, without --gyro" in capsys.readouterr().err
    # sizes are counted before calamine parses anything, whatever a zip's header says
    monkeypatch.setattr(workbook, "MAX_PART_BYTES", 1 << 16)
    assert main(["predict", str(write_xlsx(tmp_path / "long.xlsx", sheets()))]) == 2
    assert "unpacks to more than 0.0625 MB" in capsys.readouterr().err
    monkeypatch.setattr(workbook, "MAX_XLS_BYTES", 1 << 10)
    assert main(["predict", str(write_xls(tmp_path / "long.xls", sheets()))]) == 2
    assert "more than an .xls workbook is read whole" in capsys.readouterr().err


def test_phyphox_own_one_sensor_experiments_say_what_to_record(tmp_path, capsys):
    """phyphox's own experiments ("Acceleration with g", "Gyroscope") export one sensor each,
    as "Raw Data": not "no accelerometer found", but which sensor is missing and how to
    record both, from its CSV zip and from its workbook."""
    t, acc, gyro = walk_then_sit()
    acc_head = ["Time (s)", "Acceleration x (m/s^2)", "Acceleration y (m/s^2)",
                "Acceleration z (m/s^2)", "Absolute acceleration (m/s^2)"]  # fmt: skip
    rows = [acc_head, *np.column_stack([t, acc * 9.81, np.linalg.norm(acc, axis=1)]).tolist()]
    folder = tmp_path / "Acceleration with g"
    (folder / "meta").mkdir(parents=True)
    (folder / "meta" / "device.csv").write_text('"property","value"\n"deviceBrand","samsung"\n')
    lines = [
        ",".join(f'"{c}"' for c in rows[0]),
        *(",".join(f"{v:.9E}" for v in r) for r in rows[1:]),
    ]
    (folder / "Raw Data.csv").write_text("\n".join(lines) + "\n")
    device = [["property", "value"], ["deviceBrand", "samsung"]]
    book = write_xlsx(tmp_path / "acc.xlsx", {"Raw Data": rows, "Metadata Device": device})
    for path in (zip_folder(folder, tmp_path / "acc.zip"), book):
        assert main(["predict", str(path)]) == 2
        err = capsys.readouterr().err
        assert "Raw Data" in err and "no gyroscope found" in err and "simple experiment" in err
        assert err.count("\n") == 1
    gyro_rows = [["Time (s)", "Gyroscope x (rad/s)", "Gyroscope y (rad/s)", "Gyroscope z (rad/s)"],
                 *np.column_stack([t, gyro]).tolist()]  # fmt: skip
    book = write_xlsx(tmp_path / "gyro.xlsx", {"Raw Data": gyro_rows, "Metadata Device": device})
    assert main(["predict", str(book)]) == 2
    assert "a gyroscope without the accelerometer" in capsys.readouterr().err


def test_a_workbook_saved_by_excel_itself_reads(tmp_path):
    """A CSV opened in Excel and saved as .xlsx: one sheet, shared strings and cell
    references (openpyxl writes them as Excel does), every sensor in its columns."""
    import openpyxl

    t, acc, gyro = walk_then_sit()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(["time", "acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"])
    for row in np.column_stack([t, acc, gyro]).tolist():
        sheet.append(row)
    book.save(tmp_path / "resaved.xlsx")
    rec = read_recording(tmp_path / "resaved.xlsx")
    np.testing.assert_allclose(rec.acc, acc, atol=1e-9)
    np.testing.assert_allclose(rec.gyro, gyro, atol=1e-9)
    assert rec.summary.startswith("read Excel workbook: "), rec.summary


def test_phyphox_in_another_language_is_told_by_its_units(tmp_path):
    """phyphox names its files and columns in the phone's language and keeps the units: a
    German export (folder, and the old iOS .xls with blank cells) reads as the English one."""
    t, acc, gyro = walk_then_sit()
    base = read_recording(write_phyphox(tmp_path / "en", t, acc, gyro))
    folder = tmp_path / "de"
    (folder / "meta").mkdir(parents=True)
    (folder / "meta" / "device.csv").write_text('"property","value"\n"deviceBrand","Apple"\n')
    heads = {"Beschleunigung": ("Beschleunigung", "m/s^2", acc * 9.80665),
             "Gyroskop": ("Drehrate", "rad/s", gyro)}  # fmt: skip
    sheets = {}
    for name, (word, unit, xyz) in heads.items():
        rows = [["Zeit (s)", *(f"{word} {a} ({unit})" for a in "xyz")],
                *np.column_stack([t, xyz]).tolist()]  # fmt: skip
        lines = [",".join(f'"{c}"' for c in rows[0]),
                 *(",".join(f"{v:.9E}" for v in r) for r in rows[1:])]  # fmt: skip
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
        sheets[name] = rows
    sheets["Gyroskop"][-1][-1] = float("nan")  # a blank cell in the .xls
    sheets["Metadata Device"] = [["property", "value"], ["deviceBrand", "Apple"]]
    xls = write_xls(tmp_path / "phyphox 2026-12-03 10-00-00.xls", sheets)
    for path in (folder, xls):
        rec = read_recording(path)
        np.testing.assert_allclose(rec.acc, base.acc, atol=1e-6)
        np.testing.assert_allclose(rec.gyro[:-1], base.gyro[:-1], atol=1e-6)
        assert "phyphox (iOS)" in rec.summary and "Gyroskop" in rec.summary, rec.summary
