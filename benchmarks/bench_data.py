"""Cold vs warm load of the default (packaged, offline) UCI HAR source.

    python benchmarks/bench_data.py [--repeats 5]

Cold = unpickle the HAPT recordings + filter + window (cache bypassed); warm = read the cache.
Prints medians; timings on a busy 2-core machine are noisy, so compare within one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dry-run", action="store_true", help="one repeat, for CI")
    args = parser.parse_args()
    repeats = 1 if args.dry_run else args.repeats
    with tempfile.TemporaryDirectory() as cache:
        os.environ["LSTM_HAR_CACHE"] = cache
        from lstm_har.data import load_uci_har

        cold, warm = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            load_uci_har(cache=False)
            cold.append(time.perf_counter() - t)
        load_uci_har()  # fill the cache
        for _ in range(repeats):
            t = time.perf_counter()
            train, test = load_uci_har()
            warm.append(time.perf_counter() - t)
    print(f"windows: train {len(train)}, test {len(test)}")
    print(f"{'load':<6}{'median s':>10}{'min s':>8}")
    for name, times in (("cold", cold), ("warm", warm)):
        print(f"{name:<6}{statistics.median(times):>10.3f}{min(times):>8.3f}")


if __name__ == "__main__":
    main()
