"""``lstm-har data download [uci-har | motionsense]``: the datasets' own zips. Never needed.

The default data is offline (``data``); this is the one place lstm-har touches the network,
and only when asked. The file is streamed into a temporary file beside the destination,
hashed on the way, checked (an expected SHA-256 when given, and that it reads as UCI HAR),
and only then renamed into place: an interrupted or corrupt download leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .._files import atomic_file, cache_dir
from ..errors import DataError, DownloadError
from . import motionsense, sources

# The dataset's page: https://archive.ics.uci.edu/dataset/240 (CC BY 4.0). UCI serves a zip
# that holds "UCI HAR Dataset.zip"; ``sources.read_uci_zip`` reads either.
UCI_HAR_URL = (
    "https://archive.ics.uci.edu/static/public/240/human+activity+recognition+using+smartphones.zip"
)
# MotionSense's own repository (MIT licence) keeps its DeviceMotion zip in data/.
MOTIONSENSE_URL = (
    "https://github.com/mmalekzadeh/motion-sense/raw/master/data/A_DeviceMotion_data.zip"
)
# name -> (title, URL, file name in the cache, check that the file is that dataset)
DATASETS: dict[str, tuple[str, str, str, Callable[[Path], object]]] = {
    "uci-har": ("UCI HAR", UCI_HAR_URL, "UCI HAR Dataset.zip", sources.read_uci_zip),
    "motionsense": (
        "MotionSense", MOTIONSENSE_URL, "A_DeviceMotion_data.zip", motionsense.check_zip,
    ),
}  # fmt: skip
CHUNK = 1 << 20
TIMEOUT_S = 60.0

# (bytes so far, total bytes or None) -> None, after every chunk.
Progress = Callable[[int, int | None], None]


def default_destination(dataset: str = "uci-har") -> Path:
    """Where ``lstm-har data download`` writes unless told: the cache directory."""
    return cache_dir() / DATASETS[dataset][2]


def download(
    dest: Path, url: str | None = None, sha256: str | None = None,
    progress: Progress | None = None, dataset: str = "uci-har",
) -> str:  # fmt: skip
    """Fetch ``dataset`` (``DATASETS``) from ``url`` (default: its home) to ``dest``
    atomically; return the file's SHA-256 (hex).

    ``sha256``: the expected digest (hex); a mismatch is an error and writes nothing.
    """
    if dataset not in DATASETS:
        raise DownloadError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    title, home, _, check = DATASETS[dataset]
    url = url or home
    with atomic_file(Path(dest)) as (out, tmp):
        digest = _fetch(url, out, progress)
        if sha256 is not None and digest != sha256.lower():
            raise DownloadError(f"{url}: SHA-256 is {digest}, expected {sha256.lower()}")
        out.flush()
        try:
            check(tmp)
        except DataError as e:
            raise DownloadError(f"{url}: not the {title} zip ({e})") from None
    return digest


def _fetch(url: str, out: BinaryIO, progress: Progress | None) -> str:
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                h.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except urllib.error.HTTPError as e:
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: cannot connect ({e.reason})") from None
    except (TimeoutError, ConnectionError) as e:
        raise DownloadError(f"{url}: connection lost ({e})") from None
    except ValueError as e:  # urllib's word for a malformed URL
        raise DownloadError(f"{url}: not a URL ({e})") from None
    if total is not None and done != total:
        raise DownloadError(f"{url}: got {done} of {total} bytes")
    return h.hexdigest()
