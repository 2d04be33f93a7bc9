"""``lstm-har`` command line: the only module that parses arguments, prints or sets up logging."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from .errors import LstmHarError

log = logging.getLogger("lstm_har")


def _data_info(args: argparse.Namespace) -> int:
    from .data import count_table, load_uci_har

    train, test = load_uci_har(args.data)
    print(f"{'activity':<20}{'train':>8}{'official':>10}{'test':>8}{'official':>10}")
    for name, tr, tr_off, te, te_off in count_table(train, test):
        print(f"{name:<20}{tr:>8}{tr_off:>10}{te:>8}{te_off:>10}")
    n_train, n_test = len(set(train.subject.tolist())), len(set(test.subject.tolist()))
    print(f"subjects: train {n_train}, test {n_test}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lstm-har",
        description="Human activity recognition from phone motion sensors with LSTMs.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="inspect the UCI HAR data")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    info = data_sub.add_parser("info", help="windows per split and activity vs the official set")
    info.add_argument(
        "--data", default=None,
        help="UCI HAR folder/zip or HAPT RawData folder (default: packaged, offline)",
    )  # fmt: skip
    info.set_defaults(func=_data_info)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except LstmHarError as e:
        print(f"lstm-har: error: {e}", file=sys.stderr)
        return 2
    except (OSError, MemoryError) as e:
        print(f"lstm-har: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lstm-har: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
