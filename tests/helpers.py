"""Writers of tiny datasets in the official HAPT ``RawData/`` and UCI HAR formats, for tests."""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from lstm_har.data.sources import UCI_SIGNAL_FILES

RATE = 50.0


def synthetic_activity(activity: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """``(acc g, gyro rad/s)`` that look like activity 1..6: cadence for walking, pose for rest."""
    t = np.arange(n) / RATE
    poses = {1: (1, 0, 0), 2: (1, 0, 0), 3: (1, 0, 0), 4: (0.7, 0, 0.7), 5: (1, 0, 0), 6: (0, 0, 1)}
    acc = np.tile(poses[activity], (n, 1)).astype(float)
    gyro = np.zeros((n, 3))
    if activity <= 3:
        freq = {1: 1.8, 2: 1.4, 3: 2.3}[activity]
        amp = {1: 0.3, 2: 0.2, 3: 0.5}[activity]
        phase = rng.uniform(0, 2 * np.pi)
        axis = {1: [0.1, 1, 0.1], 2: [1, 0.1, 0.1], 3: [0.1, 0.1, 1]}[activity]
        acc += amp * np.sin(2 * np.pi * freq * t + phase)[:, None] * axis
        gyro += 0.5 * amp * np.cos(2 * np.pi * freq * t + phase)[:, None] * axis[::-1]
    acc += rng.normal(scale=0.02, size=acc.shape)
    gyro += rng.normal(scale=0.01, size=gyro.shape)
    return acc, gyro


def write_hapt_raw(
    root: Path, subjects: list[int], seconds_per_activity: float = 6.0, seed: int = 0
) -> Path:
    """One experiment per subject, every activity once in a labeled run, gaps unlabeled."""
    rng = np.random.default_rng(seed)
    raw = root / "RawData"
    raw.mkdir(parents=True)
    rows = []
    n_seg = int(seconds_per_activity * RATE)
    for exp, user in enumerate(subjects, start=1):
        accs, gyros, start = [], [], 1
        for activity in rng.permutation(6) + 1:
            acc, gyro = synthetic_activity(int(activity), n_seg + 20, rng)
            accs.append(acc)
            gyros.append(gyro)
            rows.append((exp, user, int(activity), start, start + n_seg - 1))
            start += n_seg + 20  # 20 unlabeled samples between activities
        for kind, parts in (("acc", accs), ("gyro", gyros)):
            values = np.concatenate(parts)
            lines = "\n".join(" ".join(f"{v:.9f}" for v in r) for r in values)
            (raw / f"{kind}_exp{exp:02d}_user{user:02d}.txt").write_text(lines + "\n")
    (raw / "labels.txt").write_text("".join(" ".join(map(str, r)) + "\n" for r in rows))
    return raw


def _fmt(row: np.ndarray) -> str:
    # The official files: two leading spaces, 'e' notation with 3-digit exponents.
    return "  " + " ".join(f"{v: .7e}".replace("e-0", "e-00").replace("e+0", "e+00") for v in row)


def write_uci(root: Path, rng: np.random.Generator, n: dict[str, int]) -> dict:
    truth = {}
    for split, count in n.items():
        folder = root / "UCI HAR Dataset" / split / "Inertial Signals"
        folder.mkdir(parents=True)
        X = rng.normal(size=(count, 128, 9)).astype(np.float32)
        y = rng.integers(1, 7, count)
        subject = rng.integers(1, 31, count)
        for c, name in enumerate(UCI_SIGNAL_FILES):
            lines = [_fmt(X[i, :, c]) for i in range(count)]
            (folder / f"{name}_{split}.txt").write_text("\n".join(lines) + "\n")
        (folder.parent / f"y_{split}.txt").write_text("".join(f"{v}\n" for v in y))
        (folder.parent / f"subject_{split}.txt").write_text("".join(f"{v}\n" for v in subject))
        truth[split] = (X, y, subject)
    return truth


def zip_uci(root: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as z:
        for f in (root / "UCI HAR Dataset").rglob("*.txt"):
            z.write(f, f.relative_to(root))
    return archive


def make_spec(model: str = "simple", hidden: int = 8, n_classes: int = 2, channels: int = 9,
              backend: str = "torch"):  # fmt: skip
    """A ``ModelSpec`` for a model built in a test (not trained by ``lstm-har train``)."""
    from lstm_har.checkpoint import ModelSpec
    from lstm_har.data import ACTIVITIES, WALKING_CLASSES
    from lstm_har.signal import CALIBRATED_CHANNELS, CHANNELS

    classes = WALKING_CLASSES if n_classes == 2 else ACTIVITIES[:n_classes]
    names = {9: CHANNELS, 12: CALIBRATED_CHANNELS}.get(channels)
    names = names or tuple(f"c{k}" for k in range(channels))
    task = "walking" if n_classes == 2 else "activity"
    return ModelSpec(model, hidden, task, classes, names, backend)


# --------------------------------------------------------------------------- phone-app exports
# Each writer puts (T, 3) acceleration in g and (T, 3) rotation in rad/s, sampled at times
# t (s), into the layout, units, axis order and sign convention of one app's export.

G = 9.80665


def _gravity(acc: np.ndarray) -> np.ndarray:
    """A gravity estimate as apps give it: a 1 s moving average of total acceleration."""
    kernel = np.ones(50) / 50
    return np.stack([np.convolve(np.pad(a, 25, mode="edge"), kernel, "same")[25:-25]
                     for a in acc.T], axis=1)  # fmt: skip


def _sensor_logger_csv(path: Path, t: np.ndarray, xyz: np.ndarray) -> None:
    ns = (1_700_000_000 * 10**9 + np.round(t * 1e9)).astype(np.int64)
    lines = ["time,seconds_elapsed,z,y,x"] + [
        f"{n},{s:.6f},{z:.9g},{y:.9g},{x:.9g}" for n, s, (x, y, z) in zip(ns, t, xyz, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")


def write_sensor_logger(root: Path, t, acc, gyro, *, platform="android", split=False) -> Path:
    """A Sensor Logger export folder: TotalAcceleration (or Accelerometer without gravity plus
    Gravity), Gyroscope, an empty uncalibrated file and Metadata; m/s^2, ns since the epoch.
    iOS writes acceleration with the opposite sign."""
    root.mkdir(parents=True)
    sign = -1.0 if platform == "ios" else 1.0
    if split:
        gravity = _gravity(acc)
        _sensor_logger_csv(root / "Accelerometer.csv", t, sign * (acc - gravity) * G)
        _sensor_logger_csv(root / "Gravity.csv", t, sign * gravity * G)
    else:
        _sensor_logger_csv(root / "TotalAcceleration.csv", t, sign * acc * G)
    _sensor_logger_csv(root / "Gyroscope.csv", t, gyro)
    (root / "AccelerometerUncalibrated.csv").write_text("")
    (root / "Metadata.csv").write_text(
        "version,device name,recording time,platform,appVersion,sampleRateMs\n"
        f"3,test,2024-01-01_00-00-00,{platform},1.30.0,20\n"
    )
    return root


def write_sqlite(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """A database of ``tables`` by name, as pandas writes them (integers INTEGER, floats
    REAL, text TEXT): the layout Sensor Logger's documentation reads its SQLite export in."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        for name, frame in tables.items():
            frame.to_sql(name, db, index=False)
        db.commit()
    return path


def write_sensor_logger_sqlite(path: Path, t, acc, gyro, **kwargs) -> Path:
    """Sensor Logger's SQLite export: a table per sensor, laid out as its CSV files are
    (``write_sensor_logger``'s, with its ``platform`` and ``split``)."""
    folder = write_sensor_logger(path.parent / f"{path.stem}-csv", t, acc, gyro, **kwargs)
    tables = {p.stem: pd.read_csv(p) for p in sorted(folder.glob("*.csv")) if p.stat().st_size}
    return write_sqlite(path, tables)


def write_phyphox(root: Path, t, acc, gyro, *, custom=False, brand="samsung", sep=",",
                  decimal=".") -> Path:  # fmt: skip
    """A phyphox export folder: 'Acceleration with g' (quoted headers with units) or a custom
    experiment's Acceleration.csv (no units), Gyroscope.csv, meta/device.csv; m/s^2, s; in
    one of its CSV dialects (``sep``, ``decimal``: "CSV (Semicolon, decimal comma)"...)."""
    root.mkdir(parents=True)
    (root / "meta").mkdir()
    (root / "meta" / "device.csv").write_text(
        f'"property","value"\n"version","1.1.11"\n"deviceBrand","{brand}"\n'
    )
    if custom:
        heads = ('"time","Acceleration x","Acceleration y","Acceleration z","abs Acceleration"',
                 '"time","Gyroscope x","Gyroscope y","Gyroscope z","abs Gyroscope"')  # fmt: skip
        names = ("Acceleration.csv", "Gyroscope.csv")
    else:
        heads = ('"Time (s)","X (m/s^2)","Y (m/s^2)","Z (m/s^2)"',
                 '"Time (s)","X (rad/s)","Y (rad/s)","Z (rad/s)"')  # fmt: skip
        names = ("Accelerometer.csv", "Gyroscope.csv")
    for head, name, xyz in zip(heads, names, (acc * G, gyro), strict=True):
        cells = np.column_stack([t, xyz, np.linalg.norm(xyz, axis=1)] if custom else [t, xyz])
        rows = [sep.join(f"{v:.9E}".replace(".", decimal) for v in row) for row in cells]
        (root / name).write_text(head.replace(",", sep) + "\n" + "\n".join(rows) + "\n")
    return root


def _java_double(v: float) -> str:
    """A number as Java's ``Double.toString`` writes it (phyphox's xlsx cells): plain from
    1e-3 to 1e7, else ``1.25E-4``."""
    if v == 0 or 1e-3 <= abs(v) < 1e7:
        return repr(float(v))
    mantissa, exponent = f"{v:.16E}".split("E")
    digits = mantissa.rstrip("0")
    return f"{digits}0E{int(exponent)}" if digits.endswith(".") else f"{digits}E{int(exponent)}"


def _xlsx_cell(value) -> str:
    if isinstance(value, str) or value != value:  # text, and NaN as Java spells it, as text
        text = "NaN" if value != value else value.replace("&", "&amp;").replace("<", "&lt;")
        return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    return f"<c><v>{_java_double(value)}</v></c>"


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An .xlsx as phyphox's own minimal writer lays one out (its ``XlsxWriter``): inline
    strings, no cell or row references, one part per sheet, the workbook's parts last."""
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_rels/.rels", f'<Relationships xmlns="{ns}/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')  # fmt: skip
        for i, rows in enumerate(sheets.values(), start=1):
            body = "".join("<row>" + "".join(map(_xlsx_cell, row)) + "</row>" for row in rows)
            z.writestr(f"xl/worksheets/sheet{i}.xml", f'<worksheet xmlns="{ns}/spreadsheetml/'
                       f'2006/main"><sheetData>{body}</sheetData></worksheet>')  # fmt: skip
        sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        parts = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            f'ContentType="{sheet}.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr("[Content_Types].xml", f'<Types xmlns="{ns}/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType='
                   f'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
                   f'"{sheet}.sheet.main+xml"/>{parts}</Types>')  # fmt: skip
        names = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                        for i, n in enumerate(sheets, start=1))  # fmt: skip
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{ns}/spreadsheetml/2006/main" '
                   f'xmlns:r="{rel}"><sheets>{names}</sheets></workbook>')  # fmt: skip
        links = "".join(
            f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr("xl/_rels/workbook.xml.rels",
                   f'<Relationships xmlns="{ns}/package/2006/relationships">{links}'
                   "</Relationships>")  # fmt: skip
    return path


def write_xls(path: Path, sheets: dict[str, list[list]]) -> Path:
    """A legacy .xls (BIFF8), as phyphox's older versions made one (Android with Apache POI's
    HSSF, iOS with xlslib): a bold header, numbers, and a blank cell where a column is
    shorter (iOS's way; a NaN value is left blank)."""
    import xlwt  # a test dependency: BIFF8 is too intricate to write by hand

    book = xlwt.Workbook()
    bold = xlwt.easyxf("font: bold on")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if not isinstance(value, str) and value != value:
                    continue  # NaN: a blank cell
                text = isinstance(value, str)
                sheet.write(i, j, value if text else float(value), bold if i == 0 else
                            xlwt.Style.default_style)  # fmt: skip
    book.save(str(path))
    return path


def write_phyphox_excel(path: Path, t, acc, gyro, *, legacy=False, brand="samsung",
                        start_unix: float = 1.7e9) -> Path:  # fmt: skip
    """phyphox's default "Excel" export of a two-sensor experiment: a sheet per sensor, the
    gyroscope's last row one value short (``NaN``, as phyphox pads a set's shorter column),
    then "Metadata Device" and "Metadata Time"; ``legacy``: an old Android version's .xls."""
    acc_rows = [["Time (s)", "X (m/s^2)", "Y (m/s^2)", "Z (m/s^2)"],
                *np.column_stack([t, acc * G]).tolist()]  # fmt: skip
    gyro_rows = [["Time (s)", "X (rad/s)", "Y (rad/s)", "Z (rad/s)"],
                 *np.column_stack([t, gyro]).tolist()]  # fmt: skip
    gyro_rows[-1][-1] = float("nan")
    stamp = pd.Timestamp(start_unix, unit="s", tz="Europe/Berlin")
    text = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC" + stamp.strftime("%z")[:3] + ":00"
    sheets = {"Accelerometer": acc_rows, "Gyroscope": gyro_rows,
              "Metadata Device": [["property", "value"], ["version", "1.2.0"],
                                  ["deviceBrand", brand]],
              "Metadata Time": [["event", "experiment time", "system time", "system time text"],
                                ["START", 0.0, start_unix, text]]}  # fmt: skip
    return (write_xls if legacy else write_xlsx)(path, sheets)


def write_sensorlog(path: Path, t, acc, gyro) -> Path:
    """SensorLog (iOS): one CSV, acceleration in g with iOS signs, gyroscope rad/s."""
    head = ("loggingTime(txt),accelerometerTimestamp_sinceReboot(s),accelerometerAccelerationX(G),"
            "accelerometerAccelerationY(G),accelerometerAccelerationZ(G),gyroTimestamp_sinceReboot(s),"
            "gyroRotationX(rad/s),gyroRotationY(rad/s),gyroRotationZ(rad/s)")  # fmt: skip
    rows = [f"2024-01-01T00:00:{s:09.6f}+01:00,{1000 + s:.6f},{-a[0]:.9g},{-a[1]:.9g},"
            f"{-a[2]:.9g},{1000 + s:.6f},{w[0]:.9g},{w[1]:.9g},{w[2]:.9g}"
            for s, a, w in zip(t, acc, gyro, strict=True)]  # fmt: skip
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    return path


def write_androsensor(path: Path, t, acc, gyro) -> Path:
    """AndroSensor: ';'-separated, units in the header, ms since the start, a date column."""
    head = ("ACCELEROMETER X (m/s²);ACCELEROMETER Y (m/s²);ACCELEROMETER Z (m/s²);"
            "GRAVITY X (m/s²);GRAVITY Y (m/s²);GRAVITY Z (m/s²);GYROSCOPE X (rad/s);"
            "GYROSCOPE Y (rad/s);GYROSCOPE Z (rad/s);LIGHT (lux);Time since start in ms ;"
            "YYYY-MO-DD HH-MI-SS_SSS")  # fmt: skip
    gravity = _gravity(acc) * G
    rows = [";".join([*(f"{v:.4f}" for v in a * G), *(f"{v:.4f}" for v in g),
                      *(f"{v:.4f}" for v in w), "12.0", f"{round(s * 1000)}",
                      "2024-01-01 00:00:00:000"])
            for s, a, g, w in zip(t, acc, gravity, gyro, strict=True)]  # fmt: skip
    path.write_text(head + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def write_motionsense(path: Path, acc, gyro) -> Path:
    """MotionSense (Core Motion): userAcceleration + gravity in g with iOS signs, rotationRate
    rad/s, an unnamed index column, no time (50 Hz)."""
    gravity = _gravity(acc)
    cols = {"attitude.roll": 0.0, "attitude.pitch": 0.0, "attitude.yaw": 0.0}
    frame = pd.DataFrame(cols, index=range(len(acc)))
    for k, axis in enumerate("xyz"):
        frame[f"gravity.{axis}"] = -gravity[:, k]
    for k, axis in enumerate("xyz"):
        frame[f"rotationRate.{axis}"] = gyro[:, k]
    for k, axis in enumerate("xyz"):
        frame[f"userAcceleration.{axis}"] = -(acc[:, k] - gravity[:, k])
    frame.to_csv(path)
    return path


def write_generic(path: Path, t, acc, gyro) -> Path:
    """A plain CSV whose header carries the units: time in ms, acceleration in G, deg/s."""
    frame = pd.DataFrame({"Time (ms)": np.round(t * 1000, 3)})
    for k, axis in enumerate("XYZ"):
        frame[f"Acc{axis} (G)"] = acc[:, k]
    for k, axis in enumerate("XYZ"):
        frame[f"Gyro{axis} [deg/s]"] = np.degrees(gyro[:, k])
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def write_physics_toolbox(path: Path, t, acc, gyro) -> Path:
    """Physics Toolbox Sensor Suite's Multi Record CSV, by its published header: time in s,
    g-force in g (gravity included, Android axes), rotation in rad/s, then the magnetometer
    and a total g-force column."""
    frame = pd.DataFrame({"time": np.round(t, 3)})
    for k, axis in enumerate("xyz"):
        frame[f"gF{axis}"] = np.round(acc[:, k], 6)
    for k, axis in enumerate("xyz"):
        frame[f"w{axis}"] = np.round(gyro[:, k], 6)
    for axis in "xyz":
        frame[f"B{axis}"] = 20.0
    frame["TgF"] = np.linalg.norm(acc, axis=1).round(6)
    frame.to_csv(path, index=False)
    return path


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder))
    return archive


# Every export format, as (folder, t, acc g, gyro rad/s) -> the path to give lstm-har predict.
FORMATS = {
    "sensor-logger-android": lambda p, t, a, w: write_sensor_logger(p / "sl", t, a, w),
    "sensor-logger-android-split": lambda p, t, a, w: write_sensor_logger(p / "sl", t, a, w,
                                                                          split=True),
    "sensor-logger-ios": lambda p, t, a, w: write_sensor_logger(p / "sl", t, a, w,
                                                                platform="ios", split=True),
    "sensor-logger-zip": lambda p, t, a, w: zip_folder(write_sensor_logger(p / "sl", t, a, w),
                                                       p / "export.zip"),
    "sensor-logger-sqlite": lambda p, t, a, w: write_sensor_logger_sqlite(p / "rec.sqlite", t, a,
                                                                          w),
    "sensor-logger-ios-sqlite": lambda p, t, a, w: write_sensor_logger_sqlite(
        p / "rec.sqlite", t, a, w, platform="ios", split=True),
    "phyphox": lambda p, t, a, w: write_phyphox(p / "ph", t, a, w),
    "phyphox-custom-zip": lambda p, t, a, w: zip_folder(
        write_phyphox(p / "ph", t, a, w, custom=True, brand="Apple"), p / "ph.zip"),
    "phyphox-semicolon-decimal-comma": lambda p, t, a, w: write_phyphox(p / "ph", t, a, w,
                                                                        sep=";", decimal=","),
    "phyphox-tab-decimal-comma": lambda p, t, a, w: write_phyphox(p / "ph", t, a, w, sep="\t",
                                                                  decimal=","),
    "phyphox-tab": lambda p, t, a, w: write_phyphox(p / "ph", t, a, w, sep="\t"),
    "phyphox-excel": lambda p, t, a, w: write_phyphox_excel(p / "Experiment 2026-12-03.xlsx",
                                                            t, a, w),
    "phyphox-excel-legacy-xls": lambda p, t, a, w: write_phyphox_excel(p / "Experiment.xls", t, a,
                                                                       w, legacy=True),
    "sensorlog": lambda p, t, a, w: write_sensorlog(p / "sensorlog.csv", t, a, w),
    "physics-toolbox": lambda p, t, a, w: write_physics_toolbox(p / "Multi.csv", t, a, w),
    "androsensor": lambda p, t, a, w: write_androsensor(p / "andro.csv", t, a, w),
    "motionsense": lambda p, t, a, w: write_motionsense(p / "sub_1.csv", a, w),
    "generic-header-units": lambda p, t, a, w: write_generic(p / "r.csv", t, a, w),
    "generic-zip": lambda p, t, a, w: zip_folder(write_generic(p / "one" / "r.csv", t, a,
                                                               w).parent, p / "r.zip"),
}  # fmt: skip


MOTIONSENSE_TRIALS = {"wlk_15": 1, "ups_12": 2, "dws_11": 3, "sit_13": 4, "std_14": 5}


def write_motionsense_dataset(
    root: Path, subjects: list[int], seconds: float = 8.0, seed: int = 0, rotate: bool = True
) -> Path:
    """MotionSense's DeviceMotion layout (``A_DeviceMotion_data/<trial>/sub_<n>.csv``): Core
    Motion's ``gravity`` + ``userAcceleration`` in g with the iOS sign, ``rotationRate`` in
    rad/s. With ``rotate``, each subject's phone sits in another (fixed) orientation."""
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(seed)
    folder = root / "A_DeviceMotion_data"
    n = int(seconds * RATE)
    for subject in subjects:
        R = Rotation.random(random_state=seed + subject) if rotate else Rotation.identity()
        for trial, activity in MOTIONSENSE_TRIALS.items():
            acc, gyro = synthetic_activity(activity, n, rng)
            pose = np.tile(acc.mean(axis=0), (n, 1))
            gravity, user = -R.apply(pose), -R.apply(acc - pose)  # iOS: minus Android's sign
            frame = pd.DataFrame(index=range(n))
            for name, values in (("gravity", gravity), ("rotationRate", R.apply(gyro)),
                                 ("userAcceleration", user)):  # fmt: skip
                for k, axis in enumerate("xyz"):
                    frame[f"{name}.{axis}"] = values[:, k]
            (folder / trial).mkdir(parents=True, exist_ok=True)
            frame.to_csv(folder / trial / f"sub_{subject}.csv")
    return root
