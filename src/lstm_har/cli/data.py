"""``lstm-har data info | download``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    data = sub.add_parser("data", help="inspect the UCI HAR data, or download a dataset")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    info = data_sub.add_parser("info", help="windows per split and activity vs the official set")
    info.add_argument(
        "--data",
        default=None,
        help="UCI HAR folder/zip or HAPT RawData folder (default: packaged, offline)",
    )
    info.set_defaults(func=data_info)
    fetch = data_sub.add_parser(
        "download",
        help="fetch the official UCI HAR zip, or MotionSense's (the only network use; the "
        "default data needs none)",
    )
    fetch.add_argument("dataset", nargs="?", default="uci-har", choices=["uci-har", "motionsense"])
    fetch.add_argument("--out", help="file to write (default: the dataset's zip in the cache)")
    fetch.add_argument("--url", default=None, help="where from (default: the dataset's home)")
    fetch.add_argument("--sha256", help="expected SHA-256 in hex; a mismatch writes nothing")
    fetch.add_argument("--force", action="store_true", help="replace an existing file")
    fetch.set_defaults(func=data_download)


def data_info(args: argparse.Namespace) -> int:
    from ..data import count_table, load_uci_har

    train, test = load_uci_har(args.data)
    print(f"{'activity':<20}{'train':>8}{'official':>10}{'test':>8}{'official':>10}")
    for name, tr, tr_off, te, te_off in count_table(train, test):
        print(f"{name:<20}{tr:>8}{tr_off:>10}{te:>8}{te_off:>10}")
    n_train, n_test = len(set(train.subject.tolist())), len(set(test.subject.tolist()))
    print(f"subjects: train {n_train}, test {n_test}")
    return 0


def data_download(args: argparse.Namespace) -> int:
    from ..data.download import default_destination, download
    from ..errors import LstmHarError

    dest = Path(args.out) if args.out else default_destination(args.dataset)
    if dest.exists() and not args.force:
        raise LstmHarError(f"{dest} exists; use it with --data {dest}, or pass --force")
    bar = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=None)
        bar.update(done - bar.n)

    try:
        digest = download(dest, args.url, args.sha256, progress, args.dataset)
    finally:
        if bar is not None:
            bar.close()
    print(f"wrote {dest} ({dest.stat().st_size / 1e6:.1f} MB, sha256 {digest})")
    flag = "--data" if args.dataset == "uci-har" else "--motionsense"
    print(f"use it with: lstm-har train {flag} '{dest}'")
    return 0
