"""``lstm-har`` command line: the only place that parses arguments, prints or sets up logging.

Each command group lives in its own module (``data``, ``train``, ``predict``) with two
functions: ``add_parser`` declares its flags, and each command calls one library function
and formats what it returns. No library logic lives here; the heavy modules are imported
inside the commands, so ``lstm-har predict`` never loads training, scikit-learn or
matplotlib (unless ``--plot``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from ..errors import LstmHarError
from . import data, predict, train


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad flag or value answered in one line instead of the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lstm-har",
        description="Human activity recognition from phone motion sensors with LSTMs.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (data, train, predict):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
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
    except OSError as e:  # a path the user gave: unwritable, a file where a folder should be
        print(f"lstm-har: error: {e}", file=sys.stderr)
        return 2
    except MemoryError:
        print("lstm-har: error: out of memory", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lstm-har: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
