"""The C step loops: built on first use, falling back quietly, equal across threads and strides."""

from __future__ import annotations

import copy

import pytest
import torch
from rounding import assert_all_within_rounding, lstm_terms

from lstm_har.nn import LSTM, _kernel


@pytest.fixture
def fresh_load(monkeypatch, tmp_path):
    """``_kernel.load`` with its cache cleared and an empty kernel directory."""
    monkeypatch.setenv("LSTM_HAR_CACHE", str(tmp_path))
    _kernel.load.cache_clear()
    yield _kernel.load
    _kernel.load.cache_clear()  # the next caller rebuilds (or finds) the real one


def needs_kernel() -> None:
    if _kernel.load() is None:
        pytest.skip("no C compiler here: lstm_har.nn runs its PyTorch loops")


def test_opting_out_and_a_failing_compiler_fall_back(fresh_load, monkeypatch, tmp_path):
    monkeypatch.setenv("LSTM_HAR_NO_KERNEL", "1")
    assert fresh_load() is None
    monkeypatch.delenv("LSTM_HAR_NO_KERNEL")
    fresh_load.cache_clear()
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    assert fresh_load() is None
    assert not list(tmp_path.rglob("*.so"))
    # and the module still computes, through the PyTorch loops
    out, _ = LSTM(3, 4)(torch.randn(5, 2, 3))
    assert out.shape == (5, 2, 4)


def test_built_once_into_the_cache(fresh_load, tmp_path):
    needs_kernel()
    kernel = fresh_load()
    assert kernel is not None and kernel.sgemm
    built = list((tmp_path / "kernels").glob("lstm_loop-*.so"))
    assert len(built) == 1
    fresh_load.cache_clear()
    assert fresh_load() is not None
    assert list((tmp_path / "kernels").glob("lstm_loop-*.so")) == built  # reused, not rebuilt


@pytest.mark.parametrize("batch", [1, 5, 64])
def test_thread_slices_and_strides_change_nothing(batch):
    """Rows split over 1 or 2 threads, time-major or batch-first input: the same maths.

    Not the same bits: MKL picks its sgemm kernel by CPU and by shape (32 rows a thread vs 64),
    so each variant is held to the float32 rounding bound of the float64 PyTorch loops.
    """
    needs_kernel()
    torch.manual_seed(0)
    lstm = LSTM(9, 32, num_layers=2)
    x = torch.randn(batch, 40, 9)

    def run(module: LSTM, threads: int, batch_first: bool) -> list[torch.Tensor]:
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            module.batch_first = batch_first
            xs = x.to(next(module.parameters()).dtype)
            # batch-first: the C loop reads x_t rows T*I floats apart; time-major: contiguous
            xg = (xs.clone() if batch_first else xs.transpose(0, 1).contiguous()).requires_grad_()
            out, (h, c) = module(xg)
            module.zero_grad()
            (out.square().mean() + c.sum()).backward()
            out = out if batch_first else out.transpose(0, 1)
            dx = xg.grad if batch_first else xg.grad.transpose(0, 1)
            return [out, h, c, dx, *(p.grad.clone() for p in module.parameters())]
        finally:
            torch.set_num_threads(before)
            module.batch_first = False

    reference = run(copy.deepcopy(lstm).double(), 1, False)  # float64: the PyTorch loops
    terms = lstm_terms(40, batch, 9, 32, layers=2)
    for threads, batch_first in ((1, False), (2, False), (1, True), (2, True)):
        assert_all_within_rounding(run(lstm, threads, batch_first), reference, terms)


@pytest.mark.parametrize("batch", [1, 3])
def test_c_loops_match_the_pytorch_loops(monkeypatch, batch):
    """The C step loops (float32, CPU) and the PyTorch ones compute the same values and
    gradients: both within float32's rounding bound of the float64 PyTorch loops."""
    needs_kernel()
    torch.manual_seed(0)
    ours = LSTM(9, 16, num_layers=2, batch_first=True, bidirectional=True)
    x = torch.randn(batch, 50, 9)
    h0 = torch.randn(4, batch, 16, generator=torch.Generator().manual_seed(1))

    def run(module: LSTM) -> list[torch.Tensor]:
        dtype = next(module.parameters()).dtype
        xg, h = x.to(dtype).detach().clone().requires_grad_(), h0.to(dtype)
        out, (h, c) = module(xg, (h, h.flip(0)))
        module.zero_grad()
        (out.square().sum() + h.sum() + c.sin().sum()).backward()
        with torch.no_grad():
            inference, _ = module(x.to(dtype))  # the no-grad path keeps no gates
        grads = [p.grad.clone() for p in module.parameters()]
        return [out, h, c, inference, xg.grad, *grads]

    fast = run(ours)
    reference = run(copy.deepcopy(ours).double())  # float64 never takes the C loops
    monkeypatch.setattr(_kernel, "usable", lambda *tensors: False)
    slow = run(ours)
    terms = lstm_terms(50, batch, 9, 16, layers=2, bidirectional=True)
    assert_all_within_rounding(fast, reference, terms)
    assert_all_within_rounding(slow, reference, terms)
