"""SQLite exports, each table read as the CSV file it stands for: ``Database(path)``.

Sensor Logger exports a recording as a zip of CSVs, JSON, KML or SQLite; its documentation
reads the last with ``SELECT * FROM Accelerometer``: one table per sensor, named as the zip
names the files. So each table here stands for ``<table>.csv`` and is read as that file
would be; a single table with a ``sensor`` column (the JSON export's layout) is split by it.
No real SQLite export was at hand to check this against: what does not fit is refused with
the tables found, in one line.

The file is opened read-only and immutable, with the schema untrusted (``trusted_schema``
off) and a cap on any one value's size, since it comes from elsewhere; a file over
``MAX_SQLITE_BYTES`` is refused before any query, as the tables are read whole. Rows are
fetched ``FETCH_ROWS`` at a time into float64 blocks, where the rows as Python tuples would
take some 5 times the memory.
"""

from __future__ import annotations

import sqlite3
import urllib.parse
from pathlib import Path

import pandas as pd

from ..errors import DataError
from .csvfile import Table, cell_frame, clip
from .streams import by_sensor

SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite 3 database
# Read whole: ~50 bytes a row on disk, and about 4x the file's size at the peak, so 256 MB
# is some 7 h of two sensors at 100 Hz within ~1 GB. Longer: the zip (CSV), read in chunks.
MAX_SQLITE_BYTES = 256 << 20
FETCH_ROWS = 1 << 16
MAX_VALUE_BYTES = 1 << 20  # a text or blob value longer than this is not a sensor reading


def is_sqlite(path: Path) -> bool:
    """An SQLite 3 database, by its first 16 bytes (whatever its name)."""
    if not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


class Database:
    """A database's tables by the names of the CSV files they stand for (``names``), each
    read by ``read(name)`` into a ``Table``. A context manager: closed on leaving it."""

    TABLES_NAME = "tables"  # what the summary calls them

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notes: list[str] = []  # nothing to note yet: a workbook's may be cut off
        size = path.stat().st_size
        if size > MAX_SQLITE_BYTES:
            raise DataError(f"{path}: {size / 2**20:.0f} MB is more than an SQLite export is "
                            f"read whole ({MAX_SQLITE_BYTES >> 20} MB); export the recording "
                            "as zip (CSV) instead")  # fmt: skip
        uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro&immutable=1"
        try:
            self._db = sqlite3.connect(uri, uri=True)
        except sqlite3.Error as e:
            raise DataError(f"{path}: cannot be opened ({clip(str(e), 80)})") from None
        try:
            self._db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
            self._db.execute("PRAGMA trusted_schema = OFF")
            tables = [r[0] for r in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                "'sqlite_%' ORDER BY rowid")]  # fmt: skip
        except sqlite3.Error as e:
            self._db.close()
            message = clip(str(e), 80)
            raise DataError(f"{path}: not a readable SQLite database ({message})") from None
        self.sheets = {f"{t}.csv": t for t in tables}  # the CSV each table stands for
        self._split: dict[str, Table] = {}
        try:
            if not tables:
                raise DataError(f"{path}: an SQLite database without tables")
            # one table of records by sensor, as the JSON export has them: split by it
            if len(tables) == 1 and "sensor" in self._query(tables[0], "LIMIT 0")[0]:
                table = self._table(tables[0])
                self._split = by_sensor(table.frame, f"{path}!{tables[0]}", "row")
                self.sheets = {name: name[: -len(".csv")] for name in self._split}
        except DataError:
            self._db.close()  # the caller never gets the object to close
            raise

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    @property
    def names(self) -> list[str]:
        return list(self.sheets)

    def read(self, name: str) -> Table:
        """The table standing for the CSV ``name``."""
        return self._split[name] if self._split else self._table(self.sheets[name])

    def _query(self, table: str, limit: str = "") -> tuple[tuple[str, ...], sqlite3.Cursor]:
        """``SELECT *`` from ``table`` (with ``limit``): its column names and the cursor."""
        quoted = '"' + table.replace('"', '""') + '"'
        try:
            cursor = self._db.execute(f"SELECT * FROM {quoted} {limit}")  # noqa: S608 (quoted)
        except sqlite3.Error as e:
            message = clip(str(e), 80)
            raise DataError(f"{self.path}!{table}: the table cannot be read ({message})") from None
        return tuple(str(d[0]) for d in cursor.description), cursor

    def _table(self, table: str) -> Table:
        where = f"{self.path}!{table}"
        columns, cursor = self._query(table)
        blocks = []
        try:
            while rows := cursor.fetchmany(FETCH_ROWS):
                blocks.append(cell_frame(rows, columns))
        except sqlite3.Error as e:
            raise DataError(f"{where}: the table cannot be read ({clip(str(e), 80)})") from None
        if not blocks:
            raise DataError(f"{where}: an empty table")
        frame = pd.concat(blocks, ignore_index=True) if len(blocks) > 1 else blocks[0]
        return Table(where, columns, frame)
