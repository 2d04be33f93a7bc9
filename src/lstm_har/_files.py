"""Files: atomic writes (readers see the old file or the whole new one), figures, JSON, the
cache dir.

Torch-free on purpose, so the data layer and ``data download`` can use it without PyTorch;
matplotlib is imported only by the figure functions.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .errors import CheckpointError, DataError, LstmHarError

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """Write ``path`` through a temporary file beside it: yields ``(file, temporary path)``.

    Leaving the block normally syncs the file and renames it over ``path``; an exception
    (including one raised to reject what was written) deletes it and leaves ``path`` as it was.
    The file gets the mode a plain ``open`` would give it (the one it had, else 0o666 less the
    umask), not the temporary file's 0o600. A symbolic link is written through (the link
    stays); a device or a pipe (``/dev/stdout``) has no old content to keep and is written
    straight, since renaming over it would replace the device itself.
    """
    path = Path(path)
    if path.exists() and not path.resolve().is_file():
        if path.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(path))
        with open(path, "wb") as stream:
            yield stream, path
        return
    path = path.resolve() if path.is_symlink() else path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f, Path(tmp)
            f.flush()
            os.fchmod(f.fileno(), _mode_of(path))
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_of(path: Path) -> int:
    """The permission bits ``path`` has, or a new file would get from ``open``."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)  # read only by setting it; set straight back
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_file(path) as (f, _):
        f.write(data)


def figure_format(path: Path) -> str:
    """The image format matplotlib writes for ``path``'s extension (``.png``, ``.pdf``,
    ``.svg``…; none: PNG); one it has no writer for is an ``LstmHarError``."""
    from matplotlib.backend_bases import FigureCanvasBase

    kind = Path(path).suffix.lower().lstrip(".") or "png"
    if kind not in FigureCanvasBase.get_supported_filetypes():
        raise LstmHarError(f"{path}: .{kind} is not an image format matplotlib writes; use "
                           ".png, .pdf, .svg or .jpg")  # fmt: skip
    return kind


def save_figure(fig: Figure, path: Path, dpi: int = 110) -> None:
    """Write ``fig`` atomically to ``path``, in the format its extension names, and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=figure_format(path), dpi=dpi)
    finally:
        plt.close(fig)
    atomic_write(path, buf.getvalue())


def write_json(path: Path, obj: Any) -> None:
    atomic_write(path, (json.dumps(obj, indent=2) + "\n").encode())


# The project's JSON files (configs, model.json, metrics) are kilobytes; a larger one is not
# one of them, and is refused before it is read into memory.
MAX_JSON_BYTES = 16 << 20


def read_json(path: Path, error: type[LstmHarError] = CheckpointError) -> Any:
    """The JSON in ``path``; a missing, oversized, malformed or too deeply nested file
    raises ``error`` naming it."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, expected a JSON file") from None
    if len(data) > MAX_JSON_BYTES:
        raise error(f"{path}: larger than {MAX_JSON_BYTES >> 20} MB; not an lstm-har JSON file")
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise error(f"{path}: not valid JSON ({str(e)[:200]})") from None
    except RecursionError:
        raise error(f"{path}: nested too deeply to be an lstm-har JSON file") from None


def cache_dir() -> Path:
    """``$LSTM_HAR_CACHE``, else the user's cache directory: windows, kernels, downloads."""
    env = os.environ.get("LSTM_HAR_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("lstm-har"))


def read_member(archive: zipfile.ZipFile, name: str, where: str, cap: int) -> bytes:
    """One archive member, read to at most ``cap`` bytes: a larger (or lying) member is
    refused before it can exhaust memory, and a corrupt one is a ``DataError``."""
    try:
        with archive.open(name) as f:
            data = f.read(cap + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as e:
        raise DataError(f"{where}: member '{name}' is corrupt ({e})") from None
    if len(data) > cap:
        raise DataError(f"{where}: member '{name}' unpacks to more than {cap >> 20} MB")
    return data
