"""Build and load ``csrc/lstm_loop.c`` on first use; fall back quietly when that is impossible.

The C file is compiled with the system C compiler into the cache directory (keyed by the
source, the flags and the CPU, since ``-march=native`` code is machine-specific), written
atomically, and loaded with ctypes. Its matrix products call a Fortran-BLAS ``sgemm`` passed in
as a function pointer, so the build needs no BLAS headers or link flags: PyTorch's own (the MKL
that ``libtorch_cpu`` exports on x86 Linux), which shares PyTorch's OpenMP threads, else the
one scipy exports as public API (``scipy.linalg.cython_blas``). scipy's OpenBLAS runs its own
thread pool, whose spinning threads and PyTorch's slow each other down: training at hidden 64
measured 0.58x torch.nn.LSTM through it against 0.70x through PyTorch's. No compiler, a
failed build, no sgemm, or ``LSTM_HAR_NO_KERNEL=1`` all mean ``load()`` returns None and
``lstm_har.nn`` keeps its PyTorch step loops, which compute the same thing.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import Tensor

from .._files import cache_dir

log = logging.getLogger(__name__)

# -ffast-math lets gcc call glibc's vector expf/tanhf (libmvec, within a few ulp; measured
# 3x faster than scalar calls here). It also assumes finite inputs: predict refuses or fills
# NaN/inf before any model sees them.
FLAGS = ("-O3", "-march=native", "-ffast-math", "-shared", "-fPIC")
# Tried first, then without: threads then run the loops on their own rows of the batch, in
# PyTorch's OpenMP pool (see csrc/lstm_loop.c).
OPENMP = "-fopenmp"
SOURCE = "lstm_loop.c"

_long, _ptr = ctypes.c_long, ctypes.c_void_p


class Kernel(NamedTuple):
    dll: ctypes.CDLL
    sgemm: int  # address of a Fortran-BLAS sgemm


def _cpu_id() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "flags")):
                return line
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _scipy_sgemm() -> int:
    """The address behind ``scipy.linalg.cython_blas.sgemm`` (its Cython C-API capsule)."""
    from scipy.linalg import cython_blas

    capsule = cython_blas.__pyx_capi__["sgemm"]
    api = ctypes.pythonapi
    api.PyCapsule_GetName.restype = ctypes.c_char_p
    api.PyCapsule_GetName.argtypes = [ctypes.py_object]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    address = api.PyCapsule_GetPointer(capsule, api.PyCapsule_GetName(capsule))
    if not address:
        raise OSError("scipy.linalg.cython_blas exposes no sgemm")
    return int(address)


def _torch_sgemm() -> int | None:
    """The address of ``sgemm_`` in PyTorch's CPU library, if it exports one."""
    lib_dir = Path(torch.__file__).parent / "lib"
    for name in ("libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll"):
        if (lib_dir / name).is_file():
            try:
                return ctypes.cast(ctypes.CDLL(str(lib_dir / name)).sgemm_, ctypes.c_void_p).value
            except (OSError, AttributeError):
                return None
    return None


def _build(compiler: str, lib: Path, source: bytes) -> None:
    lib.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lib.parent) as tmp:
        src, so = Path(tmp) / SOURCE, Path(tmp) / "out.so"
        src.write_bytes(source)
        for extra in ([OPENMP], []):
            cmd = [compiler, *FLAGS, *extra, str(src), "-o", str(so), "-lm"]
            try:
                subprocess.run(cmd, check=True, capture_output=True, timeout=120)
                break
            except subprocess.CalledProcessError:
                if not extra:
                    raise
        os.replace(so, lib)


@functools.cache
def load() -> Kernel | None:
    if os.environ.get("LSTM_HAR_NO_KERNEL") == "1":
        return None
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        log.debug("no C compiler: using the PyTorch step loops")
        return None
    source = (resources.files("lstm_har.nn") / "csrc" / SOURCE).read_bytes()
    flags = " ".join((*FLAGS, OPENMP)).encode()
    key = hashlib.sha256(source + flags + _cpu_id().encode()).hexdigest()
    lib = cache_dir() / "kernels" / f"lstm_loop-{key[:16]}.so"
    try:
        if not lib.is_file():
            _build(compiler, lib, source)
        dll = ctypes.CDLL(str(lib))
        sgemm = _torch_sgemm() or _scipy_sgemm()
    except (OSError, subprocess.SubprocessError, ImportError, KeyError) as e:
        log.debug("C loops unavailable (%s): using the PyTorch step loops", e)
        return None
    dll.lstm_forward_loop_f32.restype = None
    # (T, B, H, I, x, x_stride_t, x_stride_b, w_ih, bias, w_hh, hs, cells, gates, tanh_c, keep,
    #  gemm)
    forward_args: list[Any] = [_long] * 4 + [_ptr, _long, _long] + [_ptr] * 7
    dll.lstm_forward_loop_f32.argtypes = [*forward_args, ctypes.c_int, _ptr]
    dll.lstm_backward_loop_f32.restype = None
    dll.lstm_backward_loop_f32.argtypes = [_long] * 3 + [_ptr] * 9
    return Kernel(dll, sgemm)


def usable(*tensors: Tensor | None) -> bool:
    """True when the C loops can run on these tensors: float32 on the CPU, and built."""
    present = [t for t in tensors if t is not None]
    if not all(t.dtype == torch.float32 and t.device.type == "cpu" for t in present):
        return False
    return load() is not None


def _addr(t: Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


def forward_loop(
    x: Tensor, w_ih: Tensor, bias: Tensor, w_hh: Tensor, h0: Tensor, c0: Tensor, keep: bool
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``functional._forward_loop`` in C: same arguments, layouts and results."""
    kernel = load()
    assert kernel is not None
    T, B, n_in = x.shape
    G = w_hh.shape[0]
    H, n = G // 4, (T if keep else 1)
    # BLAS reads x_t as a matrix with unit stride along I and a row stride of at least I.
    if x.stride(2) != 1 or (B > 1 and x.stride(1) < n_in):
        x = x.contiguous()
    stride_t, stride_b = x.stride(0), (x.stride(1) if B > 1 else n_in)
    w_ih, bias, w_hh = w_ih.contiguous(), bias.contiguous(), w_hh.contiguous()
    gates, cells = x.new_empty(n, B, G), x.new_empty(n + 1, B, H)
    tanh_c, hs = x.new_empty(n, B, H), x.new_empty(T + 1, B, H)
    hs[0], cells[0] = h0, c0
    kernel.dll.lstm_forward_loop_f32(
        T, B, H, n_in, _addr(x), stride_t, stride_b,
        *map(_addr, (w_ih, bias, w_hh, hs, cells, gates, tanh_c)), int(keep), kernel.sgemm,
    )  # fmt: skip
    return hs, gates, cells, tanh_c


def backward_loop(
    w_hh: Tensor, gates: Tensor, cells: Tensor, tanh_c: Tensor,
    d_out: Tensor | None, dh: Tensor, dc: Tensor,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """``functional._backward_loop`` in C: returns ``dz`` ``(T, B, 4H)`` and ``dL/dc_0``."""
    kernel = load()
    assert kernel is not None
    T, B, G = gates.shape
    # Fresh contiguous buffers: the loop writes into dh and dc.
    dh, dc = (
        dh.clone(memory_format=torch.contiguous_format),
        dc.clone(memory_format=torch.contiguous_format),
    )
    d_out = None if d_out is None else d_out.contiguous()
    dz = gates.new_empty(T, B, G)
    tensors = (w_hh.contiguous(), gates, cells, tanh_c, d_out, dh, dc, dz)
    kernel.dll.lstm_backward_loop_f32(T, B, G // 4, *map(_addr, tensors), kernel.sgemm)
    return dz, dc
