"""One table's sensor columns, found by their names: ``single_stream`` and ``table_export``.

A column is named for what it measures and its axis (``acc_x``, ``Acceleration x (m/s^2)``,
``rotationRate.x``, ``GYROSCOPE X (rad/s)``): normalised (``csvfile.normalise``), a prefix from
``ACC``, ``USER_ACC``, ``GRAVITY`` or ``GYRO`` plus ``x``, ``y``, ``z``; the time column one
of ``TIME``. Where the words are in another language, the unit in the name tells them
(``axes_by_unit``: "Beschleunigung x (m/s^2)", "Zeit (s)"). ``single_stream`` reads a file of
one sensor (a folder export's), ``table_export`` a file holding them all:

* **SensorLog** (iOS): ``accelerometerAccelerationX(G)``, ``gyroRotationX(rad/s)``.
* **AndroSensor**: ``;``-separated, ``ACCELEROMETER X (m/s²)``, ``Time since start in ms``.
* **Physics Toolbox Sensor Suite**: ``gFx`` (g-force, in g), ``wx`` (rad/s), ``time``.
* **MotionSense** / Core Motion: ``userAcceleration.x`` + ``gravity.x`` in g (iOS signs),
  ``rotationRate.x`` rad/s, 50 Hz without a time column.
* Any CSV with a time column and x, y, z columns (units in the header when given).

``Stream`` and ``Export`` are what crosses to ``recording``: the samples as written, with
what the files say of them.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError
from .csvfile import Source, Table, clip, normalise, numeric, unit_of

# Column-name prefixes (normalised, before the axis letter) by what they measure.
# "gf": Physics Toolbox Sensor Suite's g-force (gFx, in g, gravity included)
ACC = ("acc", "accel", "acceleration", "accelerometer", "a", "totalacc", "totalacceleration",
       "accelerometeracceleration", "accelerationincludinggravity", "gf")  # fmt: skip
USER_ACC = ("useracceleration", "linearacceleration", "linearacc", "linacc")
GRAVITY = ("gravity", "grav")
GYRO = ("gyro", "gyr", "gyroscope", "rotationrate", "angularvelocity", "g", "w", "omega",
        "gyrorotation")  # fmt: skip
# Each unit a file may be in (as csvfile.unit_of normalises it), and its factor to the
# units everything is read in: g, rad/s and seconds.
STANDARD_GRAVITY = 9.80665  # m/s^2 per g
ACC_UNITS = {"g": 1.0, "m/s2": 1.0 / STANDARD_GRAVITY}
GYRO_UNITS = {"rad/s": 1.0, "deg/s": math.pi / 180.0}
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
TIME = {"time", "t", "timestamp", "seconds", "sec", "secs", "times", "timeseconds", "elapsed",
        "secondselapsed", "elapsedtime", "ts", "timesincestartinms",
        "accelerometertimestampsincereboot", "timestampsincereboot"}  # fmt: skip


@dataclass
class Stream:
    """One sensor's samples as a file holds them (x, y, z in the file's own units)."""

    name: str  # file, or archive!member, for messages
    t: np.ndarray | None  # (N,) time values as written; None when the file has no time column
    xyz: np.ndarray  # (N, 3)
    unit: str | None  # "g", "m/s2", "rad/s", "deg/s" when the header or the format says
    time_unit: str | None  # "s", "ms", "us", "ns" when the header or the format says
    cut_off: bool = False  # its last line had no line break and was left out
    source: Source | None = None  # its file or zip member, to read again in chunks


@dataclass
class Export:
    """What a recording's files hold: acceleration, and if found gyroscope and gravity."""

    app: str
    acc: Stream
    gyro: Stream | None
    gravity: Stream | None = None  # to add to a gravity-free ``acc``
    # ``acc`` is known to have gravity removed and nothing adds it: the refusal, saying what to
    # give instead; None when nothing is known to be missing
    no_gravity: str | None = None
    no_gyro: str | None = None  # ``gyro`` is None: what to record instead, where the app says
    ios_signs: bool = False  # acceleration reads minus Android's (iOS, Core Motion)
    rate_hz: float | None = None  # the format's rate, for files without a time column
    notes: list[str] = field(default_factory=list)
    # What the export says of local time: Sensor Logger's local start, the name it gives the
    # export ("2023-03-17_15-50-47"; its Metadata's "recording time" is in UTC), or phyphox's
    # UTC offset ("UTC+01:00"); recording.py turns either into an offset.
    local_start: str | None = None
    utc_offset: str | None = None
    time_zone: str | None = None  # an IANA name, when the export writes one
    # phyphox's meta/time.csv: (experiment time, Unix time) at each START; a sample's clock
    # time is its experiment time past the last START before it, from that START's clock
    clock: tuple[tuple[float, float], ...] = ()


def axes(table: Table, prefixes: tuple[str, ...]) -> list[str] | None:
    """The x, y, z columns whose normalised names are a prefix in ``prefixes`` plus the axis
    (or ``prefix + "axis" + axis``); two columns for one axis are refused."""
    found: list[str] = []
    for axis in "xyz":
        wanted = {p + axis for p in prefixes} | {p + "axis" + axis for p in prefixes}
        hits = [c for c in table.columns if normalise(c) in wanted]
        if len(hits) > 1:
            raise DataError(f"{table.name}: columns {', '.join(map(clip, hits))} could each be "
                            f"the {axis} axis; keep one")  # fmt: skip
        if not hits:
            return None
        found.append(hits[0])
    return found


def axes_by_unit(table: Table, units: Collection[str]) -> list[str] | None:
    """The x, y, z columns told by the unit their names carry, whatever the words before it:
    phyphox writes its headers in the phone's language ("Beschleunigung x (m/s^2)"), its
    units as they are. One column per axis, else None."""
    found: list[str] = []
    for axis in "xyz":
        hits = [c for c in table.columns if unit_of(c) in units and normalise(c).endswith(axis)]
        if len(hits) != 1:
            return None
        found.append(hits[0])
    return found


def _time(table: Table) -> tuple[np.ndarray | None, str | None]:
    hits = [c for c in table.columns if normalise(c) in TIME]
    if not hits:  # named in another language ("Zeit (s)"): the one column in a unit of time
        timed = [c for c in table.columns if unit_of(c) in TIME_UNITS]
        hits = timed if len(timed) == 1 else []
    if not hits:
        return None, None
    # Sensor Logger writes both: ns since the epoch, and seconds_elapsed
    column = next((c for c in hits if normalise(c) == "time"), hits[0])
    unit = unit_of(column) or ("ms" if normalise(column) == "timesincestartinms" else None)
    return numeric(table, column), unit


def _stream(table: Table, columns: list[str], unit: str | None = None) -> Stream:
    t, time_unit = _time(table)
    xyz = np.stack([numeric(table, c) for c in columns], axis=1)
    units = {unit_of(c) for c in columns} - {None}
    if len(units) > 1:
        raise DataError(f"{table.name}: its x, y, z columns name different units")
    return Stream(table.name, t, xyz, units.pop() if units else unit, time_unit, table.cut_off,
                  table.source)  # fmt: skip


def single_stream(table: Table) -> Stream:
    """A one-sensor file: a time column and x, y, z (bare, or with any sensor prefix)."""
    for prefixes in (("",), ACC, USER_ACC, GRAVITY, GYRO):
        columns = axes(table, prefixes)
        if columns is not None:
            return _stream(table, columns)
    for units in (ACC_UNITS, GYRO_UNITS):
        columns = axes_by_unit(table, units)
        if columns is not None:
            return _stream(table, columns)
    raise DataError(f"{table.name}: no x, y, z columns (expected e.g. x, y, z or acc_x...); "
                    f"found: {', '.join(clip(c) for c in table.columns[:12])}")  # fmt: skip


def table_export(table: Table) -> Export:
    """One CSV holding accelerometer and gyroscope columns (and perhaps gravity)."""
    names = {normalise(c) for c in table.columns}
    gyro_cols = axes(table, GYRO) or axes_by_unit(table, GYRO_UNITS)
    gyro = None if gyro_cols is None else _stream(table, gyro_cols)
    if {"useraccelerationx", "gravityx"} <= names:  # Core Motion: MotionSense, many iOS apps
        user = _stream(table, axes(table, ("useracceleration",)) or [], "g")
        grav = _stream(table, axes(table, GRAVITY) or [], "g")
        if gyro is not None and gyro.unit is None:
            gyro.unit = "rad/s"
        note = "Core Motion: g, iOS signs, 50 Hz if untimed"
        return Export("Core Motion CSV (MotionSense layout)", user, gyro, grav, ios_signs=True,
                      rate_hz=50.0, notes=[note])  # fmt: skip
    acc_cols = axes(table, ACC) or axes_by_unit(table, ACC_UNITS)
    app = "CSV"
    if "accelerometeraccelerationx" in names:
        app = "SensorLog (iOS)"
    elif "timesincestartinms" in names:
        app = "AndroSensor"
    if acc_cols is None:
        user_cols = axes(table, USER_ACC)
        if user_cols is None and gyro is not None:
            raise DataError(f"{table.name}: a gyroscope without the accelerometer; the models "
                            "need both (record them together)")  # fmt: skip
        if user_cols is None:
            raise DataError(f"{table.name}: no acc columns (expected e.g. acc_x, acc_y, acc_z); "
                            f"found: {', '.join(clip(c) for c in table.columns[:12])}")  # fmt: skip
        grav_cols = axes(table, GRAVITY)
        gravity = None if grav_cols is None else _stream(table, grav_cols)
        export = Export(app, _stream(table, user_cols), gyro, gravity)
        if gravity is None:
            export.no_gravity = f"{table.name} holds linear (gravity-free) acceleration only"
    else:
        export = Export(app, _stream(table, acc_cols), gyro)
    if app.startswith("SensorLog"):
        export.ios_signs = True
        export.acc.unit = export.acc.unit or "g"
    return export


def by_sensor(frame: pd.DataFrame, where: str, what: str = "record") -> dict[str, Table]:
    """Records of several sensors in one ``frame``, told by its ``sensor`` column (Sensor
    Logger's JSON export), as one table per sensor named as its CSV file would be, columns
    that sensor leaves empty dropped."""
    named = frame["sensor"].map(lambda v: isinstance(v, str))
    if not named.all():
        row = int(np.flatnonzero(~named.to_numpy())[0])
        raise DataError(f"{where}: {what} {row + 1} names its sensor "
                        f"{clip(frame['sensor'].iloc[row])}, not a name")  # fmt: skip
    tables = {}
    for sensor, rows in frame.groupby("sensor", sort=False):
        part = rows.drop(columns="sensor").dropna(axis=1, how="all").reset_index(drop=True)
        tables[f"{sensor}.csv"] = Table(f"{where}!{sensor}", tuple(map(str, part.columns)), part)
    return tables
