"""Excel workbooks, each sheet read as the CSV file it stands for: ``Workbook(path)``.

phyphox lists "Excel" first among its export formats, and it is the one selected by default,
on Android and iOS (its ``DataExport``): one sheet per export set, named as its CSV zip names
the files (``Accelerometer``, ``Gyroscope``…), a header row of text cells, then numbers, with
the text ``NaN`` where a column is shorter than its set's longest; then two sheets laid out
as the zip's ``meta/device.csv`` and ``meta/time.csv``, ``Metadata Device`` and ``Metadata
Time``. Newer versions write ``.xlsx`` (a minimal writer of their own: inline strings, no
cell references); older ones wrote a legacy ``.xls`` (Android with Apache POI, iOS with
xlslib, which leaves blank the cells a shorter column lacks), whose sheets end at 65,536
rows. Sheet and column names are in the phone's language, as the CSV files' are
(``streams.axes_by_unit``).

Parsed by python-calamine, the Rust reader pandas calls with ``engine="calamine"``: two
sheets of 900,000 rows in 8.9 s, where openpyxl's streaming reader takes 55 s
(``benchmarks/bench_workbook.py``). It holds a sheet whole while converting it (peak 0.47
GB for those two), so a sheet is parsed only when asked for, and a workbook part that
unpacks past ``MAX_PART_BYTES`` is refused before calamine sees it: its size is counted by
inflating it, since a zip's header may lie.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from ..errors import DataError
from .csvfile import Table, cell_frame, clip

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a legacy .xls (and any OLE2 file)
SUFFIXES = (".xlsx", ".xlsm", ".xls")
# One part of an .xlsx (a sheet's XML), unpacked: ~2 M rows of four columns in phyphox's
# layout (Excel itself opens 1,048,576), ~1 GB while calamine converts it. Longer: export
# CSV, which is read in chunks.
MAX_PART_BYTES = 256 << 20
MAX_XLS_BYTES = 64 << 20  # a legacy .xls, uncompressed: 65,536 rows a sheet is ~2.5 MB
XLS_ROWS = 65_536  # the most rows a legacy .xls sheet holds (BIFF8)
# phyphox's metadata sheets, by the names its CSV zip gives the same tables
META_SHEETS = {"metadata device": "meta/device.csv", "metadata time": "meta/time.csv"}


def is_workbook(path: Path) -> bool:
    """An Excel workbook by its name, or by its content: a legacy .xls's OLE2 signature, or
    a zip holding ``xl/workbook.xml`` (an .xlsx by another name)."""
    if not path.is_file():
        return False
    if path.suffix.lower() in SUFFIXES:
        return True
    with path.open("rb") as f:
        if f.read(len(OLE2_MAGIC)) == OLE2_MAGIC:
            return True
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


class Workbook:
    """A workbook's sheets by the names of the CSV files they stand for (``names``), each
    parsed by ``read(name)`` into a ``Table``; ``notes`` says what the reading noticed. A
    context manager: the file is closed on leaving it."""

    TABLES_NAME = "sheets"  # what the summary calls them

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notes: list[str] = []
        self._legacy = not zipfile.is_zipfile(path)  # an .xls: BIFF8, no zip
        _check_size(path, self._legacy)
        try:
            self._book = CalamineWorkbook.from_path(path)
        except (CalamineError, OSError, ValueError) as e:  # calamine raises ValueError too
            message = clip(str(e), 80)
            raise DataError(f"{path}: not a readable Excel workbook ({message})") from None
        # the CSV file each sheet stands for -> the sheet's name
        self.sheets = {META_SHEETS.get(s.strip().lower(), f"{s}.csv"): s
                       for s in self._book.sheet_names}  # fmt: skip
        if not self.sheets:
            raise DataError(f"{path}: an Excel workbook without sheets")

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self._book.close()

    @property
    def names(self) -> list[str]:
        return list(self.sheets)

    def read(self, name: str) -> Table:
        """The sheet standing for the CSV ``name``: its first row names the columns."""
        sheet = self.sheets[name]
        where = f"{self.path}!{sheet}"
        try:
            rows = self._book.get_sheet_by_name(sheet).to_python()
        except (CalamineError, ValueError) as e:
            raise DataError(f"{where}: the sheet cannot be read ({clip(str(e), 80)})") from None
        if not rows:
            raise DataError(f"{where}: an empty sheet")
        # a blank header cell over a column of notes: named as pandas' read_csv names one
        columns = tuple(str(c).strip() or f"Unnamed: {i}" for i, c in enumerate(rows[0]))
        if len(set(columns)) < len(columns):
            twice = next(c for c in columns if columns.count(c) > 1)
            raise DataError(f"{where}: column {clip(twice)} appears twice; keep one")
        if self._legacy and len(rows) >= XLS_ROWS:
            self.notes.append(f"sheet {sheet} fills all {XLS_ROWS:,} rows an .xls holds: the "
                              "recording may go on past them (export CSV for all)")  # fmt: skip
        body = rows[1:]
        del rows
        # numbers, and phyphox's "NaN" text: one float64 block; else (text, dates, empty
        # cells) objects, judged by csvfile.numeric
        return Table(where, columns, cell_frame(body, columns))


def _check_size(path: Path, legacy: bool) -> None:
    """Refuse a workbook larger than is parsed whole (``MAX_PART_BYTES``, ``MAX_XLS_BYTES``)
    or a corrupt .xlsx, before calamine reads it; ``legacy``: an .xls, not a zip."""
    if legacy:
        size = path.stat().st_size
        if size > MAX_XLS_BYTES:
            raise DataError(f"{path}: {size / 2**20:.3g} MB is more than an .xls workbook is "
                            f"read whole ({MAX_XLS_BYTES / 2**20:g} MB); export the recording "
                            "as CSV")  # fmt: skip
        return
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                _inflated_size(archive, info.filename, path)
    except (zipfile.BadZipFile, OSError) as e:
        raise DataError(f"{path}: not a readable Excel workbook ({e})") from None


def _inflated_size(archive: zipfile.ZipFile, name: str, path: Path) -> int:
    """How many bytes the member ``name`` really unpacks to, read in blocks, refused past
    ``MAX_PART_BYTES`` whatever its header claims; a corrupt member is a ``DataError``."""
    size = 0
    try:
        with archive.open(name) as f:
            while block := f.read(1 << 20):
                size += len(block)
                if size > MAX_PART_BYTES:
                    raise DataError(f"{path}: its part {clip(name)} unpacks to more than "
                                    f"{MAX_PART_BYTES / 2**20:g} MB, more than a workbook is read "
                                    "whole; export the recording as CSV")  # fmt: skip
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
        raise DataError(f"{path}: its part {clip(name)} is corrupt ({e})") from None
    return size
