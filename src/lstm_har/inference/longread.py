"""Recordings too long to hold in memory: CSVs read in chunks, as often as needed.

``read_recording`` holds a recording's samples: fine for a day (4.3 M rows), not for a week
(30 M rows, ~1.9 GB of CSV). A recording with a CSV larger than ``LONG_FILE_BYTES`` (a single
CSV, or one sensor's file of a folder or zip export such as Sensor Logger's; a zip's members
are read in place, decompressed as they are parsed) is therefore read by ``read_long``: the
first chunk of each file settles everything ``read_recording`` would (the format, which
files, units, time unit, signs and rate; ``recording.convert``); ``LongRecording.pieces``
then reads the files from the start, a chunk at a time (``csvfile.read_chunks``; the
gyroscope's and gravity's files in step with the accelerometer's, as far as its chunk's times
reach), converts each chunk with those decisions as overrides, checks it the same way, and
puts it on the 50 Hz grid (``Grid50``), carrying
the last sample over so that the grid runs on across chunks. Pauses
over ``segments.MAX_GAP_S`` start a new segment, as they split a recording read whole.
Memory is that of one chunk, whatever the file's length or its timestamps, plus the 50 Hz
samples of a recording short enough to keep (``KEEP_BYTES``, about 1.3 days). Those are kept
after the first read, so that the second pass does not parse the file again; a longer
recording's are written to an unnamed temporary file instead (``SPILL_BYTES``, a week's are
1.45 GB), and read back from there.

What differs from reading the file whole: a source rate more than 1 % from 50 Hz is
low-passed (a causal Butterworth at 20 Hz, state carried across chunks) and interpolated
onto the grid, where ``read_recording`` uses a polyphase resampler over each whole segment;
a short run of missing values split by a chunk boundary is filled from one side only.
"""

from __future__ import annotations

import dataclasses
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.signal

from .._files import cache_dir
from ..errors import DataError
from ..signal.filters import SAMPLE_RATE_HZ
from .csvfile import CHUNK_ROWS, Source, read_chunks, size_of
from .database import is_sqlite
from .exports import open_export
from .recording import convert, local_clock
from .segments import MAX_GAP_S, RATE_TOLERANCE, Piece, gyro_at, interp
from .streams import Export, Stream, single_stream, table_export
from .workbook import is_workbook

LONG_FILE_BYTES = 256 << 20  # past this (~18 h at 50 Hz) a single CSV is read in chunks
# 50 Hz samples (float64, 6 channels: 2.4 KB a second) kept in memory between the passes, at
# most (~1.3 days), and beyond that on disk, in a temporary file (a week: 1.45 GB), at most
KEEP_BYTES = 256 << 20
SPILL_BYTES = 16 << 30  # ~77 days; a longer recording is parsed again for its second pass
ANTI_ALIAS_HZ = 20.0  # below the 25 Hz Nyquist of the 50 Hz grid, at the UCI HAR noise cut-off

# (bytes read, file size) -> None, after each chunk
Progress = Callable[[int, int], None]


def is_long(path: Path, gyro_path: Path | None = None) -> bool:
    """A CSV, or a folder or zip with a CSV, too large to read whole (a workbook or a
    database never is: ``workbook`` and ``database`` refuse one too large to read)."""
    if is_workbook(path) or is_sqlite(path):
        return False
    if path.is_dir():
        return any(p.stat().st_size > LONG_FILE_BYTES for p in path.rglob("*.csv"))
    if path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                return any(i.filename.lower().endswith(".csv") and i.file_size > LONG_FILE_BYTES
                           for i in archive.infolist())  # fmt: skip
        except (zipfile.BadZipFile, OSError):
            return False  # read whole, which says what is wrong with it
    return any(p is not None and p.is_file() and p.stat().st_size > LONG_FILE_BYTES
               for p in (path, gyro_path))  # fmt: skip


@dataclass
class LongRecording:
    """A CSV read chunk by chunk (the module docstring); ``pieces()`` reads it again."""

    path: Source  # the accelerometer's CSV (and the gyroscope's, unless ``gyro_path``)
    flags: dict[str, str]  # the first chunk's decisions, as convert()'s overrides
    rate: float | None  # samples per second of a file without a time column
    source_rate_hz: float
    t0: float  # first sample's time, seconds on the recording's clock
    summary: str
    warnings: list[str] = field(default_factory=list)
    epoch: bool = False
    utc_offset_s: float | None = None
    time_zone: str | None = None
    chunk_rows: int = CHUNK_ROWS
    # One sensor per file (a folder export): the gyroscope's and gravity's CSVs, and what the
    # export says beside its streams (app, signs, clock), each chunk's streams put in its place
    gyro_path: Source | None = None
    gravity_path: Source | None = None
    template: Export | None = None
    _kept: list[Piece] | None = field(default=None, repr=False)  # a whole read, if small
    _spill: _Spill | None = field(default=None, repr=False)  # else on disk, if not huge

    def pieces(self, progress: Progress | None = None) -> Iterator[Piece]:
        """The recording from its start as 50 Hz pieces, one chunk of the file at a time;
        once read to its end, again from memory (within ``KEEP_BYTES``) or from the
        temporary file its samples were spilled to (within ``SPILL_BYTES``)."""
        size = size_of(self.path)
        if self._spill is not None:
            for piece in self._spill.replay():
                yield piece
                if progress is not None:  # by the bytes read back
                    progress(size * self._spill.replayed // max(self._spill.nbytes, 1), size)
        elif self._kept is not None:
            yield from self._kept
        if self._spill is not None or self._kept is not None:
            if progress is not None:
                progress(size, size)
            return
        kept: list[Piece] | None = []
        spill: _Spill | None = None
        grid = Grid50(self.t0, self.source_rate_hz)
        n_bytes = 0
        for export, done in self._chunks():
            r = convert(export, self.warnings, None, **self.flags)
            t, values = gyro_at(r.t_acc, r.acc, r.t_gyro, r.gyro)  # (n,), (n, 6)
            for piece in grid.push(t, values, str(self.path)) if len(t) else ():
                n_bytes += piece.samples.nbytes
                if kept is not None:
                    kept.append(piece)
                    if n_bytes > KEEP_BYTES:  # too many to keep: to disk, those and the rest
                        spill, kept = _Spill.of(kept), None
                elif spill is not None and (n_bytes > SPILL_BYTES or not spill.add(piece)):
                    spill.close()  # given up: the second pass parses again
                    spill = None
                yield piece
            if progress is not None:
                progress(done, size)
        if grid.segment < 0:
            raise DataError(f"{self.path}: the accelerometer and gyroscope times do not overlap")
        self._kept, self._spill = kept, spill

    def _chunks(self) -> Iterator[tuple[Export, int]]:
        """Each chunk of the accelerometer's file as an ``Export``, with the bytes read."""
        if self.gyro_path is None:  # one CSV holding both
            row = 0
            for table, done in read_chunks(self.path, self.chunk_rows):
                export = table_export(table)
                _untimed_rows(export, row, self.rate if export.acc.t is None else None)
                row += len(table.frame)
                yield export, done
            return
        gyro = _Follower(self.gyro_path, self.chunk_rows)
        gravity = None
        if self.gravity_path is not None:
            gravity = _Follower(self.gravity_path, self.chunk_rows, hold=True)
        template = self.template
        assert template is not None
        for table, done in read_chunks(self.path, self.chunk_rows):
            acc = _timed(single_stream(table))
            assert acc.t is not None
            span = float(acc.t[0]), float(acc.t[-1])
            g = gyro.over(*span)
            if len(g.xyz) < 2:  # the gyroscope is not there yet, or no more: no samples
                continue
            grav = None if gravity is None else gravity.over(*span)
            yield dataclasses.replace(template, acc=acc, gyro=g, gravity=grav), done


class _Spill:
    """50 Hz pieces written to an unnamed temporary file, read back in order: a long
    recording's second pass without parsing (or inflating) its CSVs again. The file has no
    name, so it is gone when closed or when the process ends, however it ends; one that
    cannot be made or written (a read-only or full disk) is given up, and the recording is
    parsed again. It lies in the cache folder (``$LSTM_HAR_CACHE``), not in /tmp, which is
    memory on some systems."""

    def __init__(self) -> None:
        folder = cache_dir() / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        # open across the passes, so no with-block: closed by close() or when collected
        self._file = tempfile.TemporaryFile(prefix="samples-", dir=folder)  # noqa: SIM115
        self._index: list[tuple[int, float, int]] = []  # each piece's segment, start, rows
        self.nbytes = 0
        self.replayed = 0  # bytes read back so far

    @classmethod
    def of(cls, pieces: list[Piece]) -> _Spill | None:
        try:
            spill = cls()
        except OSError:
            return None
        if all(spill.add(p) for p in pieces):
            return spill
        spill.close()
        return None

    def add(self, piece: Piece) -> bool:
        """Write ``piece`` on; False when it cannot be written."""
        try:
            self._file.write(np.ascontiguousarray(piece.samples, np.float64).data)
        except OSError:
            return False
        self._index.append((piece.segment, piece.start_s, len(piece.samples)))
        self.nbytes += piece.samples.nbytes
        return True

    def close(self) -> None:
        """Give the file up, and its disk space."""
        self._file.close()

    def replay(self) -> Iterator[Piece]:
        self._file.seek(0)
        self.replayed = 0
        for segment, start_s, rows in self._index:
            samples = np.empty((rows, 6))  # (rows, 6) float64, as written
            read = self._file.readinto(samples.data.cast("B"))
            assert read == samples.nbytes, "the temporary file was cut short"
            self.replayed += read
            yield Piece(segment, start_s, samples)


def _timed(stream: Stream) -> Stream:
    """One sensor's stream, which must have times to be put beside the others'."""
    if stream.t is None:
        raise DataError(f"{stream.name}: no time column; a recording in one file per sensor "
                        "is read in chunks by its times, so each file needs one")  # fmt: skip
    return stream


class _Follower:
    """One sensor's CSV read in step with the accelerometer's: ``over(t0, t1)`` gives its
    rows from the last at or before ``t0`` to the first at or after ``t1`` (times as the
    files write them, in one unit), reading on as far as ``t1`` and keeping only what the
    next span can need, so memory stays that of a chunk or two. ``hold``: past the file's
    end, its last two rows, so that its last value is held on (as the whole read holds
    gravity's); else only what is there, fewer than two rows once the file has ended."""

    def __init__(self, path: Source, rows: int, hold: bool = False) -> None:
        self._chunks = iter(read_chunks(path, rows))
        self._hold = hold
        self._t = np.empty(0)
        self._xyz = np.empty((0, 3))
        self._head: Stream | None = None  # its first chunk: name and units

    def over(self, t0: float, t1: float) -> Stream:
        while not len(self._t) or self._t[-1] < t1:
            table = next(self._chunks, None)
            if table is None:
                break
            stream = _timed(single_stream(table[0]))
            assert stream.t is not None
            self._head = self._head or stream
            t = np.concatenate([self._t[-1:], stream.t])
            if not (np.diff(t) > 0).all():  # its spans are found by bisection: checked here
                raise DataError(f"{stream.name}: time goes backwards or repeats near "
                                f"t = {t[int(np.argmin(np.diff(t)))]}")  # fmt: skip
            keep = max(int(np.searchsorted(self._t, t0, "right")) - 1, 0)
            self._t = np.concatenate([self._t[keep:], stream.t])
            self._xyz = np.concatenate([self._xyz[keep:], stream.xyz])
        a = max(int(np.searchsorted(self._t, t0, "right")) - 1, 0)
        b = min(int(np.searchsorted(self._t, t1, "left")) + 1, len(self._t))
        a = max(min(a, b - 2), 0) if self._hold else a
        assert self._head is not None
        out = Stream(self._head.name, self._t[a:b], self._xyz[a:b].copy(), self._head.unit,
                     self._head.time_unit)  # fmt: skip
        keep = max(int(np.searchsorted(self._t, t1, "right")) - 1 - self._hold, 0)
        self._t, self._xyz = self._t[keep:], self._xyz[keep:]
        return out


def read_long(
    path: Path, gyro_path: Path | None = None, *, rate: float | None = None,
    acc_unit: str | None = None, gyro_unit: str | None = None, time_unit: str | None = None,
    platform: str | None = None, chunk_rows: int = CHUNK_ROWS,
) -> LongRecording:  # fmt: skip
    """Settle how to read the long recording at ``path`` (a CSV, a folder export or one of
    its files, or its zip; ``gyro_path`` as for ``read_recording``) from the first chunk of
    each file; nothing is kept but the decisions (see ``read_recording`` for the arguments)."""
    warnings: list[str] = []
    export = open_export(path, gyro_path, rows=chunk_rows)
    files = [s.source if s is not None else None
             for s in (export.acc, export.gyro, export.gravity)]  # fmt: skip
    if files[0] is None:
        raise DataError(f"{path}: too large to read whole, and not a CSV that can be read in "
                        "chunks")  # fmt: skip
    one_file = export.gyro is None or files[1] == files[0]
    if one_file:
        _untimed_rows(export, 0, rate)
    else:  # --rate or not: the files are put side by side by their times
        for stream in (export.acc, export.gyro, export.gravity):
            if stream is not None:
                _timed(stream)
        if rate is not None:
            raise DataError(f"{path}: has a time column; --rate is only for files without one")
    template = dataclasses.replace(export)  # before convert() takes its gravity
    r = convert(export, warnings, None, acc_unit, gyro_unit, time_unit, platform)
    covered = gyro_at(r.t_acc, r.acc, r.t_gyro, r.gyro)[0]  # as read_recording's first sample
    t0 = float(covered[0] if len(covered) else max(r.t_acc[0], r.t_gyro[0]))
    offset, clock = local_clock(export, t0) if r.epoch else (None, "")
    summary = r.summary(export) + clock + f"; read in chunks of {chunk_rows:,} rows"
    return LongRecording(files[0], r.flags(), rate, r.rate_hz, t0, summary, warnings, r.epoch,
                         offset, export.time_zone, chunk_rows, None if one_file else files[1],
                         None if one_file else files[2], template)  # fmt: skip


def _untimed_rows(export: Export, first_row: int, rate: float | None) -> None:
    """A file without a time column: times from the row numbers, counted from the file's
    first row (so that chunks line up), at ``rate`` or the format's."""
    if export.acc.t is not None:
        if rate is not None:
            raise DataError(f"{export.acc.name}: has a time column; --rate is only for files "
                            "without one")  # fmt: skip
        return
    rate = rate or export.rate_hz
    if rate is None:
        raise DataError(f"{export.acc.name}: no time column (time, timestamp, seconds…); "
                        "pass --rate HZ")  # fmt: skip
    for stream in (export.acc, export.gyro, export.gravity):
        if stream is not None:
            stream.t = (first_row + np.arange(len(stream.xyz))) / rate
            stream.time_unit = "s"


class Grid50:
    """Timestamped samples, pushed in order, onto a 50 Hz grid that runs on across pushes.

    Each segment's grid starts at its first sample, as ``segments.to_segments`` lays it;
    samples are interpolated linearly (after an anti-alias low-pass when the source rate is
    more than ``RATE_TOLERANCE`` from 50 Hz). The grid points each push produces are
    checked against its samples before they are made, so timestamps cannot drive memory.
    """

    def __init__(self, t0: float, rate: float) -> None:
        self.t0 = t0  # the recording's first sample: start_s counts from it
        self.segment = -1
        self._start: float | None = None  # the current segment's first sample (s)
        self._next = 0  # its next grid index
        self._last: tuple[float, np.ndarray] | None = None  # the previous push's last sample
        self._sos = None
        if abs(rate / SAMPLE_RATE_HZ - 1) > RATE_TOLERANCE and rate > SAMPLE_RATE_HZ:
            self._sos = scipy.signal.butter(4, ANTI_ALIAS_HZ, fs=rate, output="sos")
        self._zi: np.ndarray | None = None
        self._rate = rate

    def push(self, t: np.ndarray, values: np.ndarray, name: str) -> Iterator[Piece]:
        if self._sos is not None:
            if self._zi is None:
                self._zi = scipy.signal.sosfilt_zi(self._sos)[:, :, None] * values[0]
            values, self._zi = scipy.signal.sosfilt(self._sos, values, axis=0, zi=self._zi)
        if self._last is not None:
            if t[0] <= self._last[0]:
                raise DataError(f"{name}: time goes backwards or repeats between rows "
                                f"({self._last[0]} -> {t[0]})")  # fmt: skip
            t = np.concatenate([[self._last[0]], t])
            values = np.concatenate([self._last[1][None], values])
        budget = 4 * len(t) * SAMPLE_RATE_HZ / self._rate + 1000
        cuts = np.flatnonzero(np.diff(t) > MAX_GAP_S) + 1
        bounds = [0, *cuts.tolist(), len(t)]
        pieces = []
        for a, b in zip(bounds, bounds[1:], strict=False):
            if a > 0 or self._start is None:  # a pause (or the first sample): a new segment
                self.segment, self._start, self._next = self.segment + 1, float(t[a]), 0
            assert self._start is not None
            last = int((t[b - 1] - self._start) * SAMPLE_RATE_HZ)
            if last < self._next:
                continue
            budget -= last + 1 - self._next
            if budget < 0:
                raise DataError(f"{name}: its timestamps spread {len(t)} samples over "
                                f"{(t[-1] - t[0]) / 3600:.1f} h; are they right?")  # fmt: skip
            grid = np.arange(self._next, last + 1) / SAMPLE_RATE_HZ
            pieces.append(Piece(self.segment, self._start - self.t0,
                                interp(grid, t[a:b] - self._start, values[a:b])))  # fmt: skip
            self._next = last + 1
        self._last = (float(t[-1]), values[-1].copy())
        yield from pieces
