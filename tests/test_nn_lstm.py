"""Our LSTM against torch.nn.LSTM: outputs, states and every gradient, on random shapes."""

from __future__ import annotations

import copy

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from rounding import assert_all_within_rounding, assert_within_rounding, lstm_terms

from lstm_har.nn import LSTM, LSTMCell


def _pair(seed: int, dtype: torch.dtype, **kw):
    torch.manual_seed(seed)
    ref = torch.nn.LSTM(**kw).to(dtype)
    torch.manual_seed(seed)
    ours = LSTM(**kw).to(dtype)
    return ref, ours


def _run(module, x, hx, dtype):
    x = x.detach().clone().requires_grad_()
    hx = None if hx is None else tuple(s.detach().clone().requires_grad_() for s in hx)
    out, (h, c) = module(x, hx)
    # Weight every output element differently so that no gradient is trivially symmetric.
    w = torch.linspace(-1, 1, out.numel(), dtype=dtype).view_as(out)
    ((out * w).sum() + (h * h).sum() + (0.5 * c).sum()).backward()
    grads = [x.grad] + ([] if hx is None else [s.grad for s in hx])
    return [out, h, c, *grads, *(p.grad for p in module.parameters())]


@settings(max_examples=25, deadline=None)
@given(
    T=st.integers(1, 6), B=st.integers(1, 4), n_in=st.integers(1, 5), H=st.integers(1, 6),
    layers=st.integers(1, 3), bidirectional=st.booleans(), batch_first=st.booleans(),
    bias=st.booleans(), unbatched=st.booleans(), given_state=st.booleans(),
    dtype=st.sampled_from([torch.float32, torch.float64]), seed=st.integers(0, 2**16),
)  # fmt: skip
def test_matches_torch_lstm(
    T, B, n_in, H, layers, bidirectional, batch_first, bias, unbatched, given_state, dtype, seed
):
    kw = dict(input_size=n_in, hidden_size=H, num_layers=layers, bias=bias,
              batch_first=batch_first, bidirectional=bidirectional)  # fmt: skip
    ref, ours = _pair(seed, dtype, **kw)
    for (name_r, p_r), (name_o, p_o) in zip(
        ref.named_parameters(), ours.named_parameters(), strict=True
    ):
        assert name_r == name_o and torch.equal(p_r, p_o)  # same names, order and init
    g = torch.Generator().manual_seed(seed)
    shape = (T, n_in) if unbatched else ((B, T, n_in) if batch_first else (T, B, n_in))
    x = torch.randn(shape, generator=g, dtype=dtype)
    hx = None
    if given_state:
        state_shape = (layers * (2 if bidirectional else 1),) + (() if unbatched else (B,)) + (H,)
        hx = tuple(torch.randn(state_shape, generator=g, dtype=dtype) for _ in range(2))
    # Both implementations within their dtype's rounding bound of torch.nn.LSTM in float64.
    truth = _run(copy.deepcopy(ref).double(), x.double(), _double(hx), torch.float64)
    terms = lstm_terms(T, B, n_in, H, layers=layers, bidirectional=bidirectional)
    inputs = [x, *(hx or ())]
    assert_all_within_rounding(_run(ref, x, hx, dtype), truth, terms, inputs=inputs)
    assert_all_within_rounding(_run(ours, x, hx, dtype), truth, terms, inputs=inputs)


def _double(hx):
    return None if hx is None else tuple(s.double() for s in hx)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_at_har_size(dtype):
    # The study's shape: 128 steps of 9 channels, hidden 64; long sequences stress BPTT.
    ref, ours = _pair(0, dtype, input_size=9, hidden_size=64, batch_first=True)
    x = torch.randn(8, 128, 9, dtype=dtype)
    truth = _run(copy.deepcopy(ref).double(), x.double(), None, torch.float64)
    terms = lstm_terms(128, 8, 9, 64)
    assert_all_within_rounding(_run(ref, x, None, dtype), truth, terms)
    assert_all_within_rounding(_run(ours, x, None, dtype), truth, terms)


def test_inference_mode_matches_and_keeps_no_graph():
    ref, ours = _pair(0, torch.float32, input_size=3, hidden_size=4, num_layers=2)
    x = torch.randn(10, 2, 3)
    with torch.no_grad():
        a, (ha, ca) = ref(x)
        b, (hb, cb) = ours(x)
    assert b.grad_fn is None
    terms = lstm_terms(10, 2, 3, 4, layers=2, backward=False)
    assert_all_within_rounding([b, hb, cb], [a, ha, ca], terms, inputs=[x])


def test_gates_are_kept_only_when_a_backward_may_run(monkeypatch):
    from lstm_har.nn import functional as our_nn

    seen: list[bool] = []
    loop = our_nn._forward_loop
    monkeypatch.setattr(our_nn, "_forward_loop", lambda *a: seen.append(a[-1]) or loop(*a))
    lstm, x = LSTM(3, 4), torch.randn(6, 2, 3)
    with torch.no_grad():
        lstm(x)  # parameters require grad, but nothing can call backward: one step deep
    lstm(x)
    lstm.requires_grad_(False)
    lstm(x)
    assert seen == [False, True, False]


def test_state_dicts_load_both_ways():
    terms = lstm_terms(4, 3, 5, 7, layers=2, bidirectional=True, backward=False)
    x = torch.randn(4, 3, 5)
    kw = dict(input_size=5, hidden_size=7, num_layers=2, bidirectional=True)
    for source, target in ((torch.nn.LSTM(**kw), LSTM(**kw)), (LSTM(**kw), torch.nn.LSTM(**kw))):
        target.load_state_dict(source.state_dict())
        pairs = zip(source.named_parameters(), target.named_parameters(), strict=True)
        for (name, p), (_, q) in pairs:
            assert torch.equal(p, q), name
        with torch.no_grad():
            assert_within_rounding(target(x)[0], source(x)[0], terms)


def test_step_equals_sequence():
    lstm = LSTM(3, 5, num_layers=2, batch_first=True).eval()
    x = torch.randn(2, 9, 3)
    terms = lstm_terms(9, 2, 3, 5, layers=2, backward=False)
    with torch.no_grad():
        full, (h_full, c_full) = lstm(x)
        state = None
        for t in range(9):
            out, state = lstm.step(x[:, t], state)
            assert_within_rounding(out, full[:, t], terms)
    assert_all_within_rounding(state, (h_full, c_full), terms, inputs=[x])
    with pytest.raises(ValueError, match="bidirectional"):
        LSTM(3, 5, bidirectional=True).step(x[:, 0])


def test_cell_matches_torch_cell():
    torch.manual_seed(3)
    ref = torch.nn.LSTMCell(4, 6, dtype=torch.float64)
    torch.manual_seed(3)
    ours = LSTMCell(4, 6, dtype=torch.float64)
    x, h, c = torch.randn(5, 4, dtype=torch.float64), *torch.randn(2, 5, 6, dtype=torch.float64)
    terms = lstm_terms(1, 5, 4, 6, backward=False)
    assert_all_within_rounding(ours(x, (h, c)), ref(x, (h, c)), terms, inputs=[x, h, c])
    assert_all_within_rounding(ours(x[0]), ref(x[0]), terms, inputs=[x])  # unbatched
    assert torch.autograd.gradcheck(lambda x_: ours(x_, (h, c))[0], x.requires_grad_())


def test_bad_arguments_name_the_module():
    with pytest.raises(ValueError, match="LSTM: hidden_size must be a positive integer, got 0"):
        LSTM(3, 0)
    with pytest.raises(ValueError, match=r"LSTM: expected input \(T, B, 3\)"):
        LSTM(3, 4)(torch.randn(2, 2, 5))
    with pytest.raises(ValueError, match=r"LSTM: expected h_0 of shape \(1, 2, 4\)"):
        LSTM(3, 4)(torch.randn(5, 2, 3), (torch.zeros(1, 3, 4), torch.zeros(1, 3, 4)))
    with pytest.raises(ValueError, match="dropout"):
        LSTM(3, 4, dropout=1.5)
