"""A long recording's second pass: read back from its spilled samples, or parsed again.

    python benchmarks/bench_longread.py [--hours 24] [--repeat 3] [--dry-run]

Writes the synthetic recording of ``bench_predict.py`` (not timed) as one CSV and as a
Sensor Logger zip, then labels each with the packaged activity model in this process
(``read_long`` + ``Predictor.predict_recording``, onnx), as ``predict`` does a recording too
long to keep in memory (``KEEP_BYTES`` set to 0 here, so that a day stands in for a week).
Each way is run ``--repeat`` times, alternated; medians side by side:

* parsed again: ``SPILL_BYTES`` 0, the second pass parses (and inflates) the files again;
* spilled: the first pass's 50 Hz samples are read back from a temporary file.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench_predict import repeated_run, synthetic_day, write_csv, write_sensor_logger, zip_export

from lstm_har.inference import Predictor, longread
from lstm_har.inference.predictor import pretrained_dir


def main() -> None:
    hours, repeat = repeated_run(__doc__)
    predictor = Predictor.from_model(pretrained_dir("activity"), engine="onnx")
    longread.KEEP_BYTES = 0
    spill_bytes = longread.SPILL_BYTES
    with tempfile.TemporaryDirectory() as tmp:
        frame = synthetic_day(hours)
        sources = {"CSV": (write_csv(Path(tmp), frame, True), {"acc_unit": "m/s2"}),
                   "Sensor Logger zip": (zip_export(write_sensor_logger(Path(tmp), frame, True)),
                                         {})}  # fmt: skip
        del frame
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(repeat):
            for name, (path, flags) in sources.items():
                for way, budget in (("parsed again", 0), ("spilled", spill_bytes)):
                    longread.SPILL_BYTES = budget
                    began = time.perf_counter()
                    predictor.predict_recording(longread.read_long(path, **flags))
                    times.setdefault((name, way), []).append(time.perf_counter() - began)
    print(f"{hours:g} h at 50 Hz, activity model, median of {repeat} (s)")
    print(f"{'source':<20}{'parsed again':>14}{'spilled':>10}{'ratio':>8}")
    for name in sources:
        again, spilled = (statistics.median(times[name, w]) for w in ("parsed again", "spilled"))
        print(f"{name:<20}{again:>14.2f}{spilled:>10.2f}{spilled / again:>8.2f}")


if __name__ == "__main__":
    main()
