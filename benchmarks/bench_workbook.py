"""How fast an Excel workbook (phyphox's default export) is read: calamine against openpyxl.

    python benchmarks/bench_workbook.py [--hours 5] [--repeat 3] [--dry-run]

Writes the synthetic recording of ``bench_predict.py`` (``--hours`` at 50 Hz; 5 h is 900,000
rows, near the 1,048,576 an Excel sheet holds) as phyphox lays out its xlsx (an
``Accelerometer`` and a ``Gyroscope`` sheet, a text header, number cells without references;
not timed), then reads both sheets into float64 columns, each reader in a fresh process:

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
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
from bench_predict import synthetic_day
from python_calamine import CalamineWorkbook

from lstm_har.inference.workbook import Workbook

NS = "http://schemas.openxmlformats.org"
SHEETS = {"Accelerometer": ("acc_x", "acc_y", "acc_z"), "Gyroscope": ("gyro_x", "gyro_y", "gyro_z")}


def write_workbook(path: Path, hours: float) -> int:
    """The phyphox-style xlsx of ``hours`` of data, streamed row by row; returns its rows."""
    frame = synthetic_day(hours)
    t = np.arange(len(frame)) / 50.0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i, columns in enumerate(SHEETS.values(), start=1):
            scale = 9.81 if i == 1 else 1.0  # m/s^2, rad/s
            values = np.column_stack([t, frame[list(columns)].to_numpy() * scale])
            with z.open(f"xl/worksheets/sheet{i}.xml", "w") as f:
                root = f'<worksheet xmlns="{NS}/spreadsheetml/2006/main"><sheetData><row>'
                f.write(root.encode())
                f.write("".join(f'<c t="inlineStr"><is><t>{c}</t></is></c>'
                                for c in ("Time (s)", "X", "Y", "Z")).encode())  # fmt: skip
                f.write(b"</row>")
                for block in np.array_split(values, max(1, len(values) // 65536)):
                    f.write("".join("<row>" + "".join(f"<c><v>{v!r}</v></c>" for v in row)
                                    + "</row>" for row in block.tolist()).encode())  # fmt: skip
                f.write(b"</sheetData></worksheet>")
        rel = f"{NS}/officeDocument/2006/relationships"
        names = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
                        for i, n in enumerate(SHEETS, start=1))  # fmt: skip
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{NS}/spreadsheetml/2006/main" '
                   f'xmlns:r="{rel}"><sheets>{names}</sheets></workbook>')  # fmt: skip
        links = "".join(
            f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(SHEETS) + 1)
        )
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{NS}/package/2006/'
                   f'relationships">{links}</Relationships>')  # fmt: skip
        z.writestr("_rels/.rels", f'<Relationships xmlns="{NS}/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')  # fmt: skip
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        parts = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{kind}'
                        '.worksheet+xml"/>' for i in range(1, len(SHEETS) + 1))  # fmt: skip
        main = f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        z.writestr("[Content_Types].xml", f'<Types xmlns="{NS}/package/2006/content-types">'
                   f'<Default Extension="xml" ContentType="application/xml"/>{main}{parts}'
                   "</Types>")  # fmt: skip
    return len(values)


def calamine(path: Path) -> int:
    book = CalamineWorkbook.from_path(path)
    return sum(len(np.array(book.get_sheet_by_name(s).to_python()[1:], dtype=np.float64))
               for s in SHEETS)  # fmt: skip


def with_openpyxl(path: Path) -> int:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = 0
    for sheet in book.worksheets:
        values = sheet.iter_rows(values_only=True)
        next(values)
        rows += len(np.array(list(values), dtype=np.float64))
    return rows


def ours(path: Path) -> int:
    with Workbook(path) as book:
        return sum(len(book.read(f"{s}.csv").frame.to_numpy()) for s in SHEETS)


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
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(time.perf_counter() - began, rows, peak)
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
