"""How fast an Excel workbook (phyphox's default export) is read: calamine against openpyxl.

    python benchmarks/bench_workbook.py [--hours 5] [--repeat 3] [--dry-run]

Writes the synthetic recording of ``bench_predict.py`` (``--hours`` at 50 Hz; 5 h is 900,000
rows, near the 1,048,576 an Excel sheet holds) as phyphox lays out its xlsx (the tests'
``write_phyphox_excel``: an ``Accelerometer`` and a ``Gyroscope`` sheet, a text header,
number cells without references; not timed), then reads both sheets into float64 columns,
each reader in a fresh process:

* calamine: ``python_calamine``'s ``to_python`` (the Rust reader pandas' ``engine="calamine"``
  calls), then ``numpy.array``;
* openpyxl: ``load_workbook(read_only=True)``, its streaming reader, row by row;
* ours: ``inference.workbook.Workbook.read``, calamine with the project's checks (the part
  sizes counted by inflating them, the header, the columns).

The median over ``--repeat`` runs is printed with rows per second, the ratio to calamine,
and the process's peak memory (each process imports all three first, and lstm_har with
them). ``inference.workbook`` reads with calamine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import openpyxl
from bench_predict import synthetic_day
from python_calamine import CalamineWorkbook

from lstm_har.inference.workbook import Workbook

# The tests' writer of phyphox's layout, so that what is timed is what is tested
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import write_phyphox_excel  # noqa: E402

SHEETS = ("Accelerometer", "Gyroscope")


def write_workbook(path: Path, hours: float) -> int:
    """The phyphox xlsx of ``hours`` of ``synthetic_day``; returns the rows of a sheet."""
    frame = synthetic_day(hours)
    acc = frame[["acc_x", "acc_y", "acc_z"]].to_numpy()
    gyro = frame[["gyro_x", "gyro_y", "gyro_z"]].to_numpy()
    write_phyphox_excel(path, np.arange(len(frame)) / 50.0, acc, gyro)
    return len(frame)


def calamine(path: Path) -> int:
    book = CalamineWorkbook.from_path(path)
    return sum(len(np.array(book.get_sheet_by_name(s).to_python()[1:], dtype=np.float64))
               for s in SHEETS)  # fmt: skip


def with_openpyxl(path: Path) -> int:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = 0
    for name in SHEETS:
        values = book[name].iter_rows(values_only=True)
        next(values)
        rows += len(np.array(list(values), dtype=np.float64))
    return rows


def ours(path: Path) -> int:
    with Workbook(path) as book:
        return sum(len(book.read(f"{s}.csv").frame.to_numpy()) for s in SHEETS)


def _peak_kb() -> int:
    """This process's peak resident memory in KB. Linux's ru_maxrss keeps, across exec, the
    peak of the process that forked it (here the parent, holding the workbook it wrote);
    VmHWM is the new program's own."""
    status = Path("/proc/self/status")
    if status.exists():
        line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


READERS = {"calamine": calamine, "openpyxl": with_openpyxl, "ours": ours}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dry-run", action="store_true", help="6 minutes of data, once")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one timed read in this fresh process: seconds, rows, peak RSS (KB)
        began = time.perf_counter()
        rows = READERS[args.child[0]](Path(args.child[1]))
        print(time.perf_counter() - began, rows, _peak_kb())
        return
    hours, repeat = (0.1, 1) if args.dry_run else (args.hours, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "phyphox.xlsx"
        rows = write_workbook(path, hours)
        size = path.stat().st_size / 1e6
        print(f"{hours:g} h at 50 Hz: two sheets of {rows:,} rows, {size:.0f} MB of xlsx; "
              f"median of {repeat} runs, each in a fresh process")  # fmt: skip
        print(f"{'reader':<10}{'seconds':>9}{'M rows/s':>10}{'vs calamine':>13}{'peak MB':>9}")
        base = None
        for name in READERS:
            runs = []
            for _ in range(repeat):
                out = subprocess.run([sys.executable, __file__, "--child", name, str(path)],
                                     check=True, capture_output=True, text=True).stdout  # fmt: skip
                seconds, n, peak = out.split()
                runs.append((float(seconds), int(n), int(peak)))
            t = statistics.median(r[0] for r in runs)
            base = base or t
            print(f"{name:<10}{t:>9.2f}{runs[0][1] / t / 1e6:>10.2f}{base / t:>12.2f}x"
                  f"{max(r[2] for r in runs) / 1024:>9.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
