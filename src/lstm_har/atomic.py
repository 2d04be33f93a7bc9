"""Atomic files: readers see the old file or the whole new one, never a torn one.

Torch-free on purpose, so the data layer and ``data download`` can use it without PyTorch.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """Write ``path`` through a temporary file beside it: yields ``(file, temporary path)``.

    Leaving the block normally syncs the file and renames it over ``path``; an exception
    (including one raised to reject what was written) deletes it and leaves ``path`` as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f, Path(tmp)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_file(path) as (f, _):
        f.write(data)
