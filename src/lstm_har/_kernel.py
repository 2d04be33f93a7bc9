"""Build and load ``csrc/lstm_step.c`` on first use; fall back quietly when that is impossible.

The C file is compiled with the system C compiler into the cache directory (keyed by the
source, the flags and the CPU, since ``-march=native`` code is machine-specific), written
atomically, and loaded with ctypes. No compiler, a failed build, or ``LSTM_HAR_NO_KERNEL=1``
all mean ``load()`` returns None and ``lstm_har.nn`` keeps its PyTorch step loop.
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

import torch

log = logging.getLogger(__name__)

# -ffast-math lets gcc call glibc's vector expf/tanhf (libmvec, within a few ulp; measured
# 3x faster than scalar calls here). It also assumes finite inputs: predict refuses or fills
# NaN/inf before any model sees them.
FLAGS = ("-O3", "-march=native", "-ffast-math", "-shared", "-fPIC")
SOURCE = "lstm_step.c"


def _cpu_id() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "flags")):
                return line
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.cache
def load() -> ctypes.CDLL | None:
    if os.environ.get("LSTM_HAR_NO_KERNEL") == "1":
        return None
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        log.debug("no C compiler: using the PyTorch step loop")
        return None
    source = (resources.files("lstm_har") / "csrc" / SOURCE).read_bytes()
    key = hashlib.sha256(source + " ".join(FLAGS).encode() + _cpu_id().encode()).hexdigest()
    from .data import cache_dir

    lib = cache_dir() / "kernels" / f"lstm_step-{key[:16]}.so"
    try:
        if not lib.is_file():
            lib.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=lib.parent) as tmp:
                src, so = Path(tmp) / SOURCE, Path(tmp) / "out.so"
                src.write_bytes(source)
                subprocess.run([compiler, *FLAGS, str(src), "-o", str(so), "-lm"], check=True,
                               capture_output=True, timeout=120)  # fmt: skip
                os.replace(so, lib)
        dll = ctypes.CDLL(str(lib))
    except (OSError, subprocess.SubprocessError) as e:
        log.debug("C kernel unavailable (%s): using the PyTorch step loop", e)
        return None
    fn = dll.lstm_forward_f32
    fn.restype = None
    fn.argtypes = [ctypes.c_long] * 3 + [ctypes.c_void_p] * 6
    return dll


def forward(xw: torch.Tensor, w_hh: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:  # fmt: skip
    """Run the recurrence in C: ``xw`` ``(T, B, 4H)``, ``w_hh`` ``(4H, H)``, state ``(B, H)``.

    Returns ``(out (T, B, H), h_T, c_T)``. Call only when ``load()`` is not None.
    """
    dll = load()
    assert dll is not None
    T, B, G = xw.shape
    H = G // 4
    xw, w_hh = xw.contiguous(), w_hh.detach().contiguous()
    h, c = h0.contiguous().clone(), c0.contiguous().clone()  # the loop overwrites them
    out = xw.new_empty(T, B, H)
    scratch = xw.new_empty(G)
    dll.lstm_forward_f32(T, B, H, xw.data_ptr(), w_hh.data_ptr(), h.data_ptr(),
                         c.data_ptr(), out.data_ptr(), scratch.data_ptr())  # fmt: skip
    return out, h, c
