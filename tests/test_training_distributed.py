"""Two gloo processes on loopback train exactly like one process with the same global batch.

In float64: the two sides sum each batch's gradient in a different order (two halves of 8
averaged by all-reduce, or 16 at once), which float32 rounding makes machine-dependent and
Adam's first steps (update ~ lr * g / |g|) can amplify for a gradient near zero. In float64 a
gradient differs by gamma_k(2**-53) ~ 1e-12 of its size (k ~ 1e4 terms, rounding.lstm_terms);
the 1e-8 allowed below leaves four orders of magnitude for Adam, while a DDP bug (a shard
read twice, gradients summed instead of averaged, replicas out of step) moves a weight by up
to lr = 5e-3 a step.
"""

from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from helpers import make_spec

from lstm_har.config import TrainConfig
from lstm_har.models import Classifier
from lstm_har.training.loop import fit

CFG = TrainConfig(hidden_size=8, epochs=2, batch_size=16, patience=0, lr=5e-3, seed=3)


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 128, 9, generator=g, dtype=torch.float64)  # 4 global batches of 16
    y = (X[:, :, 0].mean(1) > 0).long()
    return X, y


def _train(cfg: TrainConfig) -> tuple[list[float], dict[str, torch.Tensor]]:
    torch.manual_seed(cfg.seed)
    model = Classifier.from_spec(make_spec(hidden=cfg.hidden_size)).double()
    X, y = _data()
    model.fit_normaliser(X)
    result = fit(model, (X, y), None, cfg)
    return [r.train_loss for r in result.history], model.state_dict()


def _worker(rank: int, init: str, queue: mp.Queue) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    try:
        losses, state = _train(CFG)
        if rank == 0:
            queue.put((losses, {k: v.numpy().copy() for k, v in state.items()}))  # by value
        # Both ranks done before either tears gloo down: without this, a rank that destroys the
        # group while its peer still holds the connection aborted about 1 run in 8 here
        # ("terminate called without an active exception", exit code -6).
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_processes_match_one(tmp_path):
    # One thread here too, as in the workers, so that both sides run the same kernels.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single_losses, single_state = _train(CFG)
    finally:
        torch.set_num_threads(threads)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    init = f"file://{tmp_path / 'rendezvous'}"
    procs = [ctx.Process(target=_worker, args=(r, init, queue)) for r in range(2)]
    for p in procs:
        p.start()
    losses, state = queue.get(timeout=120)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    torch.testing.assert_close(
        torch.tensor(losses), torch.tensor(single_losses), rtol=1e-8, atol=1e-8
    )
    for k, v in single_state.items():
        torch.testing.assert_close(torch.from_numpy(state[k]), v, rtol=1e-8, atol=1e-8, msg=k)


def test_batch_must_split_evenly(monkeypatch):
    import lstm_har.training.loop as loop

    monkeypatch.setattr(loop, "world", lambda: (0, 2))  # as if rank 0 of 2
    with pytest.raises(ValueError, match="not divisible by 2 processes"):
        _train(CFG.replace(batch_size=15))
