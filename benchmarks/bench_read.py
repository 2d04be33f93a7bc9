"""How fast a long CSV is parsed: pandas' C parser against pyarrow's readers, side by side.

    python benchmarks/bench_read.py [--hours 24] [--repeat 3] [--dry-run]

Writes the synthetic recording of ``bench_predict.py`` (``--hours`` at 50 Hz, 7 columns, as
``DataFrame.to_csv`` writes it; not timed), then parses it in chunks of ``CHUNK_ROWS`` rows
into numeric columns, the way a long recording is read (``inference.csvfile.read_chunks``):

* pandas: ``read_csv(engine="c", chunksize=...)``, one thread;
* pyarrow stream: ``pyarrow.csv.open_csv`` (block-wise, multithreaded conversion);
* pyarrow whole: ``pyarrow.csv.read_csv``, the whole file at once on every core (for
  reference: it holds the whole table, so the long-file reader cannot use it);
* read_chunks, file and zip member: the project's own reader (pandas, with its checks),
  from the file and from the same file deflated in a zip, as Sensor Logger shares an
  export: what reading a zip in place costs.

Each is run ``--repeat`` times; the median is printed with rows per second and its ratio to
pandas. The faster of the two chunked readers is what ``read_chunks`` uses (pandas: pyarrow is
not a dependency; install it to compare).
"""

from __future__ import annotations

import importlib.util
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd
from bench_predict import repeated_run, synthetic_day

from lstm_har.inference.csvfile import CHUNK_ROWS, Member, read_chunks


def pandas_chunks(path: Path) -> int:
    n = 0
    for frame in pd.read_csv(path, engine="c", chunksize=CHUNK_ROWS):
        n += len(frame.to_numpy())
    return n


def pyarrow_stream(path: Path) -> int:
    import pyarrow.csv as pacsv

    n = 0
    block = CHUNK_ROWS * 64  # ~64 bytes a row here
    reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=block))
    for batch in reader:
        n += len(batch.to_pandas().to_numpy())
    return n


def pyarrow_whole(path: Path) -> int:
    import pyarrow.csv as pacsv

    return len(pacsv.read_csv(path).to_pandas().to_numpy())


def ours_file(path: Path) -> int:
    return sum(len(table.frame.to_numpy()) for table, _ in read_chunks(path))


def ours_zip(path: Path) -> int:
    return sum(
        len(t.frame.to_numpy()) for t, _ in read_chunks(Member(path.with_suffix(".zip"), path.name))
    )


def main() -> None:
    hours, repeat = repeated_run(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rec.csv"
        synthetic_day(hours).to_csv(path, index=False, float_format="%.5f")
        with zipfile.ZipFile(path.with_suffix(".zip"), "w", zipfile.ZIP_DEFLATED) as z:
            z.write(path, path.name)
        print(f"{hours:g} h at 50 Hz: {path.stat().st_size / 1e6:.0f} MB of CSV; "
              f"median of {repeat} runs")  # fmt: skip
        print(f"{'reader':<16}{'seconds':>9}{'M rows/s':>10}{'vs pandas':>11}")
        base = None
        for name, read in (("pandas C", pandas_chunks), ("pyarrow stream", pyarrow_stream),
                           ("pyarrow whole", pyarrow_whole), ("ours, file", ours_file),
                           ("ours, zip member", ours_zip)):  # fmt: skip
            if name.startswith("pyarrow") and importlib.util.find_spec("pyarrow") is None:
                print(f"{name:<16}  (pip install pyarrow to compare)")
                continue
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                rows = read(path)
                times.append(time.perf_counter() - began)
            t = statistics.median(times)
            base = base or t
            print(f"{name:<16}{t:>9.2f}{rows / t / 1e6:>10.2f}{base / t:>10.2f}x")


if __name__ == "__main__":
    main()
