"""Data-parallel training: every torch.distributed concern in one place.

``lstm-har train --nproc N`` re-runs the same command under torchrun (``launch``); each
process then joins the group torchrun describes (``process_group``), trains its shard of
every batch (``loop.fit`` wraps the model in DistributedDataParallel when ``world()`` says
so), and only rank 0 writes files or reports.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence

import torch
import torch.distributed as dist

log = logging.getLogger(__name__)


def world() -> tuple[int, int]:
    """``(rank, world_size)`` under torch.distributed, else ``(0, 1)``."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    return world()[0] == 0


def barrier() -> None:
    if world()[1] > 1:
        dist.barrier()


@contextlib.contextmanager
def process_group() -> Iterator[int]:
    """Join the group torchrun describes in the environment (if any); yields the rank.

    On leaving, every rank waits for the others before the group is destroyed: a rank that
    tore gloo down while its peer still held the connection aborted ~1 run in 8.
    """
    joined = int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized()
    if joined:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        yield world()[0]
        barrier()
    finally:
        if joined and dist.is_initialized():
            dist.destroy_process_group()


def launch(argv: Sequence[str], nproc: int) -> int:
    """Run ``lstm-har ARGV`` under torchrun with ``nproc`` processes here; its exit code.

    ``--nproc`` is taken out of ``argv`` so the children do not launch again.
    """
    args, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--nproc":
            skip = True
        elif not item.startswith("--nproc="):
            args.append(item)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={nproc}", "-m", "lstm_har", *args]  # fmt: skip
    log.info("launching: %s", " ".join(cmd))
    return subprocess.call(cmd)
