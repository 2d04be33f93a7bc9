"""Reading one CSV table safely: whatever the file holds, a ``DataError`` in one line or a table.

Refused before pandas sees the file: missing paths, folders, FIFOs and other non-regular
files (a FIFO would block forever), empty or binary files, and a first line without a line
break in its first 64 KB (a file whose newlines were lost; pandas parses such a header in
quadratic time), and first rows with more values than the header has names (pandas would take
the extra leading columns as an index and shift every name; a separator ending each row is
read right). Cells quoted in messages are cut to 40 characters.

A CSV is a file (a ``Path``) or a member of a zip archive (``Member``), which ``read_chunks``
reads in place, decompressing as it parses, so a long recording's zip need not be unpacked.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import DataError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

MAX_HEADER_BYTES = 64 << 10
ROWS_CHECKED = 50  # the first data rows whose width is checked against the header
CHUNK_ROWS = 1 << 18  # rows per chunk of a long file: ~16 MB of CSV, ~15 MB as columns
_UNIT = re.compile(r"[\(\[]([^\)\]]*)[\)\]]")


@dataclass(frozen=True)
class Member:
    """A CSV inside a zip archive."""

    archive: Path
    name: str  # as the archive lists it

    def __str__(self) -> str:
        return f"{self.archive}!{self.name}"


Source = Path | Member  # where a CSV can be read from, again


@dataclass(frozen=True)
class Table:
    """A CSV's columns as written, and its rows; ``name`` is what messages call it."""

    name: str
    columns: tuple[str, ...]
    frame: pd.DataFrame
    cut_off: bool = False  # the last line had no line break and was left out
    source: Source | None = None  # where it can be read again, in chunks; None: from memory


def clip(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_table(source: Path | bytes, name: str, origin: Source | None = None) -> Table:
    """A CSV file (or the bytes of an archive member, ``origin``) as a ``Table``; see the
    module docstring."""
    head = _head_of_file(source) if isinstance(source, Path) else source[:MAX_HEADER_BYTES]
    sep, decimal = _check_head(head, name)
    with _parsing(name):
        frame = pd.read_csv(source if isinstance(source, Path) else io.BytesIO(source),
                            sep=sep, decimal=decimal, engine="c", index_col=False,
                            skipinitialspace=True)  # fmt: skip
    # A file that ends without a line break was cut off while being written (the app or the
    # phone stopped): its last line is likely partial, so it is left out.
    cut_off = _last_byte(source) not in (b"\n", b"\r") and len(frame) > 1
    if cut_off:
        frame = frame.iloc[:-1]
    if frame.empty:
        raise DataError(f"{name}: header only, no data rows")
    return Table(name, tuple(str(c) for c in frame.columns), frame, cut_off,
                 source if origin is None and isinstance(source, Path) else origin)  # fmt: skip


def read_chunks(source: Source, rows: int = CHUNK_ROWS) -> Iterator[tuple[Table, int]]:
    """A CSV file or zip member as consecutive ``Table``s of ``rows`` rows (the last fewer),
    each with the bytes read so far (uncompressed); memory stays that of one chunk whatever
    the file's length.

    pandas' C parser, chunk by chunk: on a day of 50 Hz samples it parses 5.2 M rows/s on
    2 cores, pyarrow's streaming reader 2.1 M (``benchmarks/bench_read.py``). The checks of
    ``read_table`` apply; a last line without a line break is left out of the last chunk.
    """
    name = str(source)
    pending: pd.DataFrame | None = None
    with _opened(source) as (raw, size):
        sep, decimal = _check_head(raw.read(MAX_HEADER_BYTES), name)
        raw.seek(0)  # a zip member inflates its first 64 KB again: no more
        tail = _Tail(raw)  # counts the bytes read and keeps the last, for cut_off
        with _parsing(name):
            reader = pd.read_csv(io.BufferedReader(tail), sep=sep, decimal=decimal,
                                 engine="c", skipinitialspace=True, chunksize=rows,
                                 index_col=False)  # fmt: skip
            for frame in reader:
                if pending is not None:
                    yield _table(name, pending, source), min(tail.count, size)
                pending = frame
    if pending is None or pending.empty:
        raise DataError(f"{name}: header only, no data rows")
    cut_off = tail.last not in (b"\n", b"\r")
    if cut_off and len(pending) > 1:
        pending = pending.iloc[:-1]
    yield _table(name, pending, source, cut_off), size


@contextlib.contextmanager
def _parsing(name: str) -> Iterator[None]:
    """What pandas (or a zip member's decompression) raises, as a one-line ``DataError``."""
    try:
        yield
    except UnicodeDecodeError:
        raise DataError(f"{name}: not UTF-8 text, expected a CSV file") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{name}: file is empty") from None
    except pd.errors.ParserError as e:
        detail = str(e).strip().splitlines()[-1][:120]
        raise DataError(f"{name}: malformed CSV ({detail})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:  # a member's data, its CRC
        raise DataError(f"{name}: the archive member is corrupt ({e})") from None


def size_of(source: Source) -> int:
    """A file's bytes, or a zip member's uncompressed bytes as its archive lists them."""
    if isinstance(source, Path):
        return source.stat().st_size
    with _archive(source) as archive:
        return archive.getinfo(source.name).file_size


@contextlib.contextmanager
def _opened(source: Source) -> Iterator[tuple[IO[bytes], int]]:
    """The file or member, open for reading in binary, and its size (``size_of``); one that
    is missing or not a regular file (a folder, a pipe) is a ``DataError`` naming it."""
    if isinstance(source, Path):
        _regular_file(source)
        with source.open("rb") as f:
            yield f, os.fstat(f.fileno()).st_size
        return
    with _archive(source) as archive, archive.open(source.name) as member:
        yield member, archive.getinfo(source.name).file_size


@contextlib.contextmanager
def _archive(source: Member) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(source.archive)
    except (zipfile.BadZipFile, OSError) as e:
        raise DataError(f"{source.archive}: not a readable zip archive ({e})") from None
    with archive:
        try:
            archive.getinfo(source.name)
        except KeyError:
            raise DataError(f"{source}: no such member in the archive") from None
        yield archive


class _Tail(io.RawIOBase):
    """A binary file read through, counting its bytes and keeping the last one."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0
        self.last = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        n = len(data)
        view[:n] = data
        if n:
            self.count += n
            self.last = data[-1:]
        return n


def _table(name: str, frame: pd.DataFrame, source: Source, cut_off: bool = False) -> Table:
    return Table(name, tuple(str(c) for c in frame.columns), frame, cut_off, source)


def _check_head(head: bytes, name: str) -> tuple[str, str]:
    """Refuse what is not a CSV table from its first ``MAX_HEADER_BYTES`` before a parser
    sees it; return its delimiter and decimal mark."""
    if not head.strip():
        raise DataError(f"{name}: file is empty")
    if b"\x00" in head:
        raise DataError(f"{name}: binary data, expected a CSV text file")
    if b"\n" not in head and len(head) >= MAX_HEADER_BYTES:
        raise DataError(f"{name}: no line break in its first {MAX_HEADER_BYTES >> 10} KB; "
                        "not a CSV table")  # fmt: skip
    header = head.split(b"\n")[0]
    sep = next((s for s in (";", "\t", ",") if s.encode() in header), ",")
    names = [n.strip() for n in next(csv.reader([header.decode("utf-8", "replace")],
                                                delimiter=sep))]  # fmt: skip
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        raise DataError(f"{name}: column {clip(twice[0])} appears more than once; keep one")
    _check_widths(head, sep, len(names), name)
    return sep, _decimal_mark(head, sep)


def _check_widths(head: bytes, sep: str, width: int, name: str) -> None:
    """Refuse a first data row longer than ``MAX_HEADER_BYTES``, or one of the first rows
    with values past the header's columns. pandas would take the extra leading columns of
    such a row as the index, shifting every name onto the wrong values (and a row of
    millions of fields takes it minutes); an empty field past the last, a trailing
    separator, is harmless (``index_col=False`` drops it)."""
    lines = head.split(b"\n")
    if len(head) >= MAX_HEADER_BYTES:  # the last line may go on past the head: not judged
        if len(lines) < 3:
            raise DataError(f"{name}: data row 1 has no line break in its first "
                            f"{MAX_HEADER_BYTES >> 10} KB; not a CSV table")  # fmt: skip
        lines = lines[:-1]
    text = [line.decode("utf-8", "replace") for line in lines[1 : ROWS_CHECKED + 1]]
    for row, cells in enumerate(csv.reader(text, delimiter=sep), start=1):
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            raise DataError(f"{name}: data row {row} has {len(cells)} values, the header "
                            f"names {width} columns; a column without a name?")  # fmt: skip


_COMMA_NUMBER = re.compile(rb'^"?[+-]?\d+,\d+([eE][+-]?\d+)?"?$')
_POINT_NUMBER = re.compile(rb'^"?[+-]?\d*\.\d+([eE][+-]?\d+)?"?$')


def _decimal_mark(head: bytes, sep: str) -> str:
    """``","`` for numbers written with a decimal comma (phyphox's "CSV (Semicolon, decimal
    comma)" and "(Tabulator, decimal comma)" exports, spreadsheets in many locales), read off
    the first data rows; else ``"."``. Only a file not separated by commas can have one."""
    if sep == ",":
        return "."
    cells = [c.strip() for line in head.splitlines()[1:20] for c in line.split(sep.encode())]
    comma = any(_COMMA_NUMBER.match(c) for c in cells)
    return "," if comma and not any(_POINT_NUMBER.match(c) for c in cells) else "."


def _last_byte(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source[-1:]
    with source.open("rb") as f:
        f.seek(0, 2)
        if f.tell() == 0:
            return b""
        f.seek(-1, 2)
        return f.read(1)


def _head_of_file(path: Path) -> bytes:
    _regular_file(path)
    with path.open("rb") as f:
        return f.read(MAX_HEADER_BYTES)


def _regular_file(path: Path) -> None:
    """Refuse a missing path, a folder, or what is not a regular file (a FIFO would block)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    if stat.S_ISDIR(mode):
        raise DataError(f"{path}: is a directory, expected a CSV file")
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: not a regular file (a pipe or a device?); give a CSV file")


def cell_frame(rows: Sequence[Sequence[object]], columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows of cells (a workbook's sheet, a database's table) as a frame: one float64 block
    when every cell is a number (None and "NaN" read as NaN, an empty cell), else objects,
    which ``numeric`` then judges cell by cell, as it judges a CSV's."""
    try:
        block = np.array(rows, dtype=np.float64).reshape(-1, len(columns))
        return pd.DataFrame(block, columns=list(columns))
    except (ValueError, TypeError):  # text, dates, ragged rows
        return pd.DataFrame(list(rows), columns=list(columns), dtype=object)


def numeric(table: Table, column: str) -> np.ndarray:
    """A column as float64; empty cells are NaN, any other non-number is refused."""
    values = table.frame[column]
    if pd.api.types.is_numeric_dtype(values):
        return np.asarray(values.to_numpy(dtype=np.float64))
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna() & values.notna() & (values.astype(str).str.strip() != "")
    bad &= ~values.astype(str).str.strip().str.lower().isin(["nan", "inf", "-inf"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{table.name}: non-numeric value {clip(values.iloc[row])} in column "
                        f"{clip(column)}, data row {row + 1}")  # fmt: skip
    return np.asarray(parsed.to_numpy(dtype=np.float64))


def normalise(column: str) -> str:
    """``"Acceleration x (m/s^2)"`` -> ``"accelerationx"``: lower case, units and marks gone."""
    name = _UNIT.sub("", column.lower())
    return re.sub(r"[^a-z0-9]", "", name)


def unit_of(column: str) -> str | None:
    """The unit written in a column's name, normalised, or None.

    ``(m/s^2)``, ``(m/s²)``, ``[m/s2]`` -> ``m/s2``; ``(G)``, ``(g)`` -> ``g``; ``(rad/s)``;
    ``[deg/s]``, ``(°/s)`` -> ``deg/s``; ``(s)``, ``(ms)``, ``in ms`` -> ``s``, ``ms``...
    """
    found = _UNIT.findall(column)
    text = found[-1] if found else ""
    if not text:
        words = column.lower().split()
        text = words[-1] if len(words) > 2 and words[-2] == "in" else ""
    text = text.strip().lower().replace(" ", "").replace("²", "2").replace("^", "")
    text = text.replace("µ", "u").replace("μ", "u").replace("°", "deg")
    return {"m/s2": "m/s2", "ms-2": "m/s2", "g": "g", "rad/s": "rad/s", "deg/s": "deg/s",
            "dps": "deg/s", "s": "s", "sec": "s", "ms": "ms", "us": "us",
            "ns": "ns"}.get(text)  # fmt: skip
