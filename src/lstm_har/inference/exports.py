"""What phone apps export, recognised from the files themselves: ``open_export(path)``.

Formats, each from its own documentation and real exports:

* **Sensor Logger** (Android, iOS), a folder or its zip: one CSV per sensor with columns
  ``time`` (ns since the epoch), ``seconds_elapsed``, ``z, y, x``; ``TotalAcceleration.csv``
  (with gravity) is preferred, else ``Accelerometer.csv`` (gravity removed) plus
  ``Gravity.csv``; ``Gyroscope.csv``; ``*Uncalibrated.csv`` only when nothing else is there.
  ``Metadata.csv`` names the platform: iOS acceleration has the opposite sign to Android's.
* **phyphox**, a folder or zip: ``Accelerometer.csv`` (or ``Acceleration.csv``) with
  ``"Time (s)","X (m/s^2)"…`` or ``"time","Acceleration x"…`` headers, ``Gyroscope.csv``,
  ``meta/device.csv``; phyphox uses Android's axes and m/s^2 on every platform, and names
  files and columns in the phone's language (then told by their units). Any of its
  CSV choices (comma, tab or semicolon; decimal point or comma: ``csvfile`` tells them
  apart), or its Excel export (``.xlsx``, or an old version's ``.xls``), the default, whose
  sheets are read as the zip's files (``workbook``).
* **Sensor Logger's SQLite export**: a table per sensor, read as the folder's files
  (``database``; from its documentation only).
* **Sensor Logger's JSON export**: one array of records, each ``{"sensor": "Gyroscope",
  "time": "…", "seconds_elapsed": "…", "z": "…", …}``, read as the folder of its sensors
  would be (parsed whole, so up to ``MAX_JSON_BYTES``).
* One CSV holding every sensor (SensorLog, AndroSensor, Core Motion dumps, any CSV with a
  time column and x, y, z columns: ``streams.table_export``), or two single-sensor CSVs
  (``--gyro``).

One file of a folder export (``…/Accelerometer.csv``, ``walking_gyroscope.csv``: a sensor's
name and bare x, y, z) is read with the files of its recording beside it: those whose names
are the same once the sensor's name is taken out (``Accelerometer_2.csv`` goes with
``Gyroscope_2.csv``), and the folder's metadata.

This module finds the files and what the export says of them (app, platform, clock); which
columns are which is ``streams``; ``recording`` decides units the files leave open, aligns,
checks and resamples.
"""

from __future__ import annotations

import functools
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import read_member
from ..errors import DataError
from .csvfile import Member, Table, clip, normalise, read_chunks, read_table
from .database import Database, is_sqlite
from .streams import (
    ACC,
    ACC_UNITS,
    GYRO,
    GYRO_UNITS,
    USER_ACC,
    Export,
    Stream,
    axes,
    axes_by_unit,
    by_sensor,
    single_stream,
    table_export,
)
from .workbook import Workbook, is_workbook

# One CSV of an export zip read whole (``read_recording``; ``predict`` reads one over
# ``longread.LONG_FILE_BYTES`` in chunks): a week at 100 Hz is ~1.5 GB
MAX_MEMBER_BYTES = 2 << 30
# A JSON export is parsed whole, at about 8x its size in memory (pandas, 135 MB -> 1.0 GB):
# 256 MB is some 3 h of three sensors at 50 Hz. Longer: the zip (CSV) export, read in chunks.
MAX_JSON_BYTES = 256 << 20

# Sensors' names in a file's name, the longest first: what is left is the recording's tag.
SENSOR_NAMES = ("totalacceleration", "accelerometeruncalibrated", "gyroscopeuncalibrated",
                "linearacceleration", "useracceleration", "accelerometer", "acceleration",
                "gyroscope", "gravity", "accel", "gyro", "acc", "gyr")  # fmt: skip


def open_export(path: Path, gyro_path: Path | None = None, rows: int | None = None) -> Export:
    """Recognise the export at ``path`` (a CSV, a folder or a zip); see the module docstring.
    ``rows``: read only the first that many rows of each file (a long recording's first
    chunk, ``longread``)."""

    def read(p: Path) -> Table:
        return read_table(p, str(p)) if rows is None else next(read_chunks(p, rows))[0]

    if gyro_path is not None:
        for p in (path, gyro_path):
            kind = "an Excel workbook" if is_workbook(p) else "a database" if is_sqlite(p) else ""
            if kind:
                raise DataError(f"{p}: {kind} is given alone, without --gyro (it holds each "
                                "sensor); --gyro pairs two CSV files")  # fmt: skip
        acc, gyro = (single_stream(read(p)) for p in (path, gyro_path))
        return Export("two CSV files", acc, gyro)
    if path.is_dir():
        files = {str(p.relative_to(path)): p for p in sorted(path.rglob("*.csv"))}
        if not files:
            raise DataError(f"{path}: is a directory with no CSV files; give a CSV file, or "
                            "the folder or zip a phone app exported")  # fmt: skip
        return _lone_or_folder(list(files), str(path), lambda f: read(files[f]))
    if path.suffix.lower() == ".json":
        return _json(path)
    if is_workbook(path):
        return _tables(Workbook(path), "Excel workbook")
    if is_sqlite(path):
        return _tables(Database(path), "SQLite database")
    if path.suffix.lower() == ".zip" or (path.is_file() and zipfile.is_zipfile(path)):
        return _zip(path, rows)
    table = read(path)
    beside = _recording_beside(path, table)
    if beside is None:
        return table_export(table)
    export = _folder(list(beside), str(path.parent),
                     lambda f: table if beside[f] == path else read(beside[f]))  # fmt: skip
    export.notes.insert(0, f"{path.name} read with the files of its recording beside it")
    return export


def recording_tag(stem: str) -> str | None:
    """A file's name without the sensor's (normalised), or None when it names no sensor."""
    name = normalise(stem)
    sensor = next((s for s in SENSOR_NAMES if s in name), None)
    return None if sensor is None else name.replace(sensor, "", 1)


def _names_one_sensor(name: str, table: Table) -> bool:
    """The file (or sheet) is named for a sensor and lacks acceleration or rotation: one of
    a folder export's files, whose other sensors lie beside it."""
    acc = axes(table, ACC) or axes(table, USER_ACC)
    return recording_tag(Path(name).stem) is not None and not (acc and axes(table, GYRO))


def _recording_beside(path: Path, table: Table) -> dict[str, Path] | None:
    """The CSVs of ``path``'s recording in its folder (``meta/`` included), by name relative
    to the folder, when ``path`` is named for a sensor and lacks acceleration or rotation;
    else None: the file holds both (or names no sensor) and is read alone."""
    if not _names_one_sensor(path.name, table):
        return None
    tag = recording_tag(path.stem)
    folder = path.parent
    found = {}
    for p in sorted([*folder.glob("*.csv"), *folder.glob("meta/*.csv")]):
        other = recording_tag(p.stem)
        about = other is None and (p.parent != folder or normalise(p.stem) == "metadata")
        if p == path or other == tag or about:  # its recording's files, or the export's own
            found[str(p.relative_to(folder))] = p
    return found


def _zip(path: Path, rows: int | None = None) -> Export:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise DataError(f"{path}: not a readable zip archive ({e})") from None
    with archive:
        names = [n for n in archive.namelist()
                 if n.lower().endswith(".csv") and not Path(n).name.startswith("._")]  # fmt: skip

        def read(name: str) -> Table:
            member = Member(path, name)
            if rows is not None:  # in place, decompressed as far as the chunk needs
                return next(read_chunks(member, rows))[0]
            data = read_member(archive, name, str(path), MAX_MEMBER_BYTES)
            return read_table(data, str(member), member)

        return _lone_or_folder(names, str(path), read, zipped=True)


def _tables(book: Workbook | Database, label: str) -> Export:
    """A workbook's sheets (phyphox's default export) or a database's tables (Sensor
    Logger's SQLite export), read as the CSV files of the app's zip export would be."""
    with book:
        export = _lone_or_folder(book.names, str(book.path), book.read, sheets=book.sheets,
                                 part=book.TABLES_NAME)  # fmt: skip
        plain = export.app == "CSV"  # no app's layout: a spreadsheet of columns
        export.notes[:0] = [*([] if plain else [label]), *book.notes]
        export.app = label if plain else export.app
    return export


def _json(path: Path) -> Export:
    """Sensor Logger's JSON export: its records grouped by sensor, read as its CSV folder."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise DataError(f"{path}: {size / 1e6:.0f} MB of JSON is more than is read whole "
                        f"({MAX_JSON_BYTES >> 20} MB); export the recording as zip (CSV) "
                        "instead")  # fmt: skip
    try:
        records = pd.read_json(path, orient="records", dtype=False)
    except (ValueError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not a JSON array of records ({clip(str(e), 80)})") from None
    if "sensor" not in records.columns:
        raise DataError(f"{path}: JSON without a 'sensor' field in its records; Sensor "
                        "Logger's JSON export has one (or give a CSV)")  # fmt: skip
    tables = by_sensor(records, str(path))
    export = _folder(list(tables), str(path), tables.__getitem__)
    export.notes.insert(0, "JSON export, its records by sensor")
    return export


def _lone_or_folder(names: list[str], where: str, read: Callable[[str], Table],
                    zipped: bool = False, sheets: dict[str, str] | None = None,
                    part: str = "sheets") -> Export:  # fmt: skip
    """A folder's, zip's, workbook's or database's one CSV (sheet, table) as that file, unless
    it is named for one sensor (``Accelerometer.csv`` alone): then, as a file given alone
    would be, as a folder export that lacks the other sensors' files."""
    read = functools.cache(read)  # parsed once, if asked twice
    if len(names) == 1 and not _names_one_sensor(names[0], read(names[0])):
        return table_export(read(names[0]))
    return _folder(names, where, read, zipped, sheets, part)


def _folder(names: list[str], where: str, read: Callable[[str], Table],
            zipped: bool = False, sheets: dict[str, str] | None = None,
            part: str = "sheets") -> Export:  # fmt: skip
    """Sensor Logger or phyphox, from the files' names (one sensor per file); ``zipped``:
    the names are a zip's members, which cannot be given one by one; ``sheets``: they are a
    workbook's sheets or a database's tables (``part``), named so in the summary."""
    stems = {name: normalise(Path(name).stem) for name in names}

    def pick(*keys: str, without: tuple[str, ...] = ()) -> str | None:
        found = [n for n, s in stems.items()
                 if any(k in s for k in keys) and not any(w in s for w in without)]  # fmt: skip
        if len(found) > 1:
            raise DataError(f"{where}: more than one recording here ({', '.join(found)}); "
                            f"{'unzip it and ' if zipped else ''}give one of those files (the "
                            "rest of its recording beside it is found)")  # fmt: skip
        return found[0] if found else None

    meta = pick("metadata")
    device = _meta_file(names, "device")
    data = [n for n in names if Path(n).parent.name != "meta" and n != meta]
    if len(data) == 1 and recording_tag(Path(data[0]).stem) is None:
        # one table named for no sensor: phyphox's own experiments ("Raw Data.csv", one sensor)
        export = table_export(read(data[0]))
        if device is not None:
            _phyphox(export, names, read, device)
        export.notes.append(_shown([data[0]], sheets, part))
        return export
    total = pick("totalacceleration")
    user = pick("linearacceleration", "useracceleration")
    acc = pick("accelerometer", "acceleration", "acc",
               without=("uncalibrated", "total", "linear", "user"))  # fmt: skip
    gravity = pick("gravity")
    gyro = pick("gyroscope", "gyro", "gyr", without=("uncalibrated",))
    acc_raw, gyro_raw = pick("accelerometeruncalibrated"), pick("gyroscopeuncalibrated")
    first = total or acc or user or acc_raw
    if first is None:  # files named in another language ("Beschleunigung.csv"): by units
        read = functools.cache(read)  # each parsed once, though looked at twice
        acc, by_unit = _by_units(data, read)
        first, gyro = acc, gyro or by_unit
    if first is None:
        raise DataError(f"{where}: no accelerometer CSV found (looked for TotalAcceleration, "
                        "Accelerometer, Acceleration, Linear Acceleration)")  # fmt: skip
    main, table = first, read(first)  # parsed once, and let go before the next is parsed
    sensor_logger = meta is not None or any(normalise(c) == "secondselapsed" for c in table.columns)
    acc_stream = single_stream(table)
    del table
    notes: list[str] = []
    if main == acc_raw:
        notes.append(f"only {acc_raw} for the accelerometer")
    if gyro is None and gyro_raw is not None:
        gyro = gyro_raw
        notes.append(f"only {gyro_raw} for the gyroscope")
    gyro_stream = None if gyro is None else single_stream(read(gyro))
    export = Export("CSV folder", acc_stream, gyro_stream)
    free = main == user or (sensor_logger and main == acc)
    if free and gravity is not None:
        export.gravity = single_stream(read(gravity))
    elif free:
        export.no_gravity = (f"{where}: {main} has gravity removed; use "
                             "TotalAcceleration.csv, or give Gravity.csv beside it")  # fmt: skip
    if sensor_logger:
        _sensor_logger(export, names, where, read, meta, acc_raw)
    elif device is not None:
        _phyphox(export, names, read, device)
    used = [n for n in (main, gravity if export.gravity else None, gyro) if n]
    export.notes = [*notes, _shown(used, sheets, part)]
    return export


def _shown(used: list[str], sheets: dict[str, str] | None, part: str = "sheets") -> str:
    """The files read, for the summary: by their names, or a workbook's sheets' (a
    database's tables': ``part``)."""
    if sheets is not None:
        return f"{part}: " + ", ".join(sheets[n] for n in used)
    return "files: " + ", ".join(Path(n).name for n in used)


def _meta_file(names: list[str], which: str) -> str | None:
    """phyphox's ``meta/{which}.csv`` among ``names`` (a workbook's metadata sheet stands
    for one), wherever the export put its ``meta`` folder."""
    return next((n for n in names if normalise(str(Path(n).with_suffix(""))).endswith(
        "meta" + which)), None)  # fmt: skip


def _by_units(names: list[str], read: Callable[[str], Table]) -> tuple[str | None, str | None]:
    """The one file whose x, y, z columns are in m/s^2 (or g), and the one in rad/s (or
    deg/s), among ``names``, by the units their headers carry: phyphox names its files and
    columns in the phone's language ("Beschleunigung.csv", "Gyroskop x (rad/s)"). (None,
    None) unless exactly one file is of each kind."""
    acc = [n for n in names if axes_by_unit(read(n), ACC_UNITS)]
    gyro = [n for n in names if axes_by_unit(read(n), GYRO_UNITS)]
    if len(acc) != 1 or len(gyro) != 1 or acc == gyro:
        return None, None
    return acc[0], gyro[0]


def _sensor_logger(export: Export, names: list[str], where: str, read: Callable[[str], Table],
                   meta: str | None, acc_raw: str | None) -> None:  # fmt: skip
    """What Sensor Logger's files say: the platform (from ``Metadata.csv``, else from the raw
    accelerometer's unit: iOS acceleration reads minus Android's), the time zone, and the
    local start its export is named by."""
    export.local_start = _export_name_time(where, names)
    if meta is not None:
        ios = _sensor_logger_ios(read(meta))
        export.time_zone = _first(read(meta), "timezone")
        export.app = "Sensor Logger (iOS)" if ios else "Sensor Logger (Android)"
    elif acc_raw is not None:
        ios = _ios_from_raw(single_stream(read(acc_raw)))
        platform = "iOS" if ios else "Android"
        export.app = f"Sensor Logger ({platform}, from its raw accelerometer)"
    else:
        ios = False
        export.app = "Sensor Logger (platform unknown: Android axes assumed)"
    export.ios_signs = ios


def _phyphox(export: Export, names: list[str], read: Callable[[str], Table], device: str) -> None:
    """What phyphox's ``meta/`` files (or metadata sheets) say: the brand (iOS or not), the
    clock at each START and the UTC offset, and its units, m/s^2 and rad/s on every platform."""
    export.app = "phyphox" + (" (iOS)" if _phyphox_brand(read(device)) == "apple" else "")
    clock = _meta_file(names, "time")
    if clock is not None:
        times = read(clock)
        text = _first(times, "systemtimetext") or ""
        export.utc_offset = text.split()[-1] if "UTC" in text else None
        export.clock = _phyphox_starts(times)
    export.acc.unit = export.acc.unit or "m/s2"
    if export.gyro is not None:
        export.gyro.unit = export.gyro.unit or "rad/s"
    else:
        export.no_gyro = ("phyphox records one sensor in each of its own experiments; add a "
                          "simple experiment with the accelerometer and the gyroscope, and "
                          "export that")  # fmt: skip


SENSOR_LOGGER_NAME = re.compile(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d")  # its exports' names


def _export_name_time(where: str, names: list[str]) -> str | None:
    """The local start time Sensor Logger names an export by (Sensor Logger's docs: "the
    filenames are in local times", the ``time`` column in UTC): the folder's or zip's name,
    or the folder inside the zip, when it is one."""
    folders = [Path(n).parts[0] for n in names if len(Path(n).parts) > 1]
    found = (SENSOR_LOGGER_NAME.search(name) for name in [Path(where).stem, *folders])
    return next((m.group() for m in found if m), None)


def _sensor_logger_ios(table: Table) -> bool:
    cols = {normalise(c): c for c in table.columns}
    platform = str(table.frame[cols["platform"]].iloc[0]).lower() if "platform" in cols else ""
    standard = next((c for k, c in cols.items() if "standard" in k), None)
    standardised = standard is not None and str(table.frame[standard].iloc[0]).lower() in {
        "true", "1", "yes"}  # fmt: skip
    return platform == "ios" and not standardised


def _first(table: Table, column: str) -> str | None:
    """The first value of a column (by normalised name), as text, or None."""
    cols = {normalise(c): c for c in table.columns}
    if column not in cols or table.frame.empty:
        return None
    return str(table.frame[cols[column]].iloc[0])


def _phyphox_starts(table: Table) -> tuple[tuple[float, float], ...]:
    """The START events of phyphox's meta/time.csv as (experiment time, Unix time) in s; none
    when the table is not laid out so, or its times are not increasing."""
    cols = {normalise(c): c for c in table.columns}
    if not {"event", "experimenttime", "systemtime"} <= cols.keys():
        return ()
    frame = table.frame
    start = frame[cols["event"]].astype(str).str.upper() == "START"
    values = [pd.to_numeric(frame.loc[start, cols[c]], errors="coerce").to_numpy(np.float64)
              for c in ("experimenttime", "systemtime")]  # fmt: skip
    if not len(values[0]) or not np.isfinite(values).all() or (np.diff(values) <= 0).any():
        return ()
    return tuple(zip(values[0].tolist(), values[1].tolist(), strict=True))


def _phyphox_brand(table: Table) -> str:
    rows = dict(zip(table.frame.iloc[:, 0].astype(str), table.frame.iloc[:, 1].astype(str),
                    strict=True))  # fmt: skip
    return str(rows.get("deviceBrand", "")).lower()


def _ios_from_raw(raw: Stream) -> bool:
    """Sensor Logger's raw accelerometer is in g on iOS and m/s^2 on Android."""
    magnitude = np.nanmedian(np.linalg.norm(raw.xyz, axis=1))
    return bool(0.5 < magnitude < 2)
