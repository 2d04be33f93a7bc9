"""One LSTM layer over a whole sequence, with a hand-written backward: ``lstm_layer``.

Speed, measured (``benchmarks/bench_lstm.py``): autograd through ~13 small ops a step is slow,
so every call runs through ``_LSTMLayer``, a ``torch.autograd.Function`` with a hand-written
backward-through-time that forms the weight gradients after the loop as large matmuls. Its
two step loops exist twice, computing the same thing in the same batch-major layout:

* in PyTorch (``_forward_loop``, ``_backward_loop``): one ``addmm`` and six element-wise ops a
  step into preallocated buffers, evaluating :math:`\tanh` of the candidate as
  :math:`2\\sigma(2z) - 1` (one ``sigmoid`` over all four gates; ``tanh`` is ~3x slower per
  element in PyTorch here). This is the readable reference, and what runs for float64, on
  GPUs, or without a C compiler;
* in C (``csrc/lstm_loop.c`` via ``_kernel``), for float32 on the CPU: two BLAS ``sgemm``
  calls and one fused pass over the gates a step, each thread on its own slice of the batch.
  It trains faster than ``torch.nn.LSTM``'s oneDNN kernel here (1.1x at hidden 64).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from . import _kernel

State = tuple[Tensor, Tensor]


def _g_doubled(w: Tensor, hidden: int) -> Tensor:
    """``w`` with the candidate (g) rows times 2, so one sigmoid yields sigma(2 z_g)."""
    scale = torch.ones(4 * hidden, dtype=w.dtype, device=w.device)
    scale[2 * hidden : 3 * hidden] = 2.0
    return w * (scale[:, None] if w.dim() == 2 else scale)


def _forward_loop(
    x: Tensor, w_ih: Tensor, bias: Tensor, w_hh: Tensor, h0: Tensor, c0: Tensor, keep: bool
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The recurrence over time-major ``x`` ``(T, B, I)`` from ``h0``, ``c0`` ``(B, H)``.

    ``w_ih`` ``(4H, I)``, ``bias`` ``(4H,)`` (:math:`b_{ih} + b_{hh}`), ``w_hh`` ``(4H, H)``.
    Returns ``hs`` ``(T+1, B, H)`` with ``hs[0] = h0``, and, when ``keep``, the activated gates
    ``(T, B, 4H)`` (i, f, o sigmoids, g tanh), cells ``(T+1, B, H)`` and ``tanh(c)``
    ``(T, B, H)`` for the backward; without ``keep`` those buffers are one step deep.
    """
    if _kernel.usable(x, w_ih, bias, w_hh, h0, c0):
        return _kernel.forward_loop(x, w_ih, bias, w_hh, h0, c0, keep)
    T, B, _ = x.shape
    G = w_hh.shape[0]
    H, n = G // 4, (T if keep else 1)
    # The g rows doubled: one sigmoid over all four gates then yields sigma(2 z_g).
    w_ih, bias, w_hh = (_g_doubled(w, H) for w in (w_ih, bias, w_hh))
    # (T*B, I) @ (I, 4H) + b -> (T, B, 4H): every step's input projection in one matmul
    xw = torch.addmm(bias, x.reshape(T * B, -1), w_ih.t()).view(T, B, G)
    gates, cells = x.new_empty(n, B, G), x.new_empty(n + 1, B, H)
    tanh_c, hs = x.new_empty(n, B, H), x.new_empty(T + 1, B, H)
    hs[0], cells[0] = h0, c0
    w_hh_t = w_hh.t()
    for t in range(T):
        k = t if keep else 0
        z, c_prev, c, tc = gates[k], cells[k], cells[k + 1], tanh_c[k]
        torch.addmm(xw[t], hs[t], w_hh_t, out=z)  # (B, H) @ (H, 4H) + (B, 4H)
        z.sigmoid_()  # i, f, o and sigma(2 z_g)
        i, f, g, o = torch.split(z, H, dim=1)
        g.mul_(2.0).sub_(1.0)  # tanh(z) = 2 sigma(2z) - 1
        torch.mul(f, c_prev, out=c)
        c.addcmul_(i, g)  # c = f * c + i * g
        torch.tanh(c, out=tc)
        torch.mul(o, tc, out=hs[t + 1])  # h = o * tanh(c)
        if not keep:
            c_prev.copy_(c)
    return hs, gates, cells, tanh_c


def _backward_loop(
    w_hh: Tensor, gates: Tensor, cells: Tensor, tanh_c: Tensor,
    d_out: Tensor | None, dh: Tensor, dc: Tensor,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    r"""Backward through time over the forward loop's saved ``gates``, ``cells``, ``tanh_c``.

    ``w_hh`` ``(4H, H)`` as given (not doubled); ``d_out`` ``(T, B, H)`` the gradient of every
    step's output, or None; ``dh``, ``dc`` ``(B, H)`` the gradients of the final state.
    Returns ``dz`` ``(T, B, 4H)``, the gradient of every gate pre-activation
    :math:`z = W_{ih} x_t + W_{hh} h_{t-1} + b`, and :math:`\partial L / \partial c_0`.
    Neither input is modified.
    """
    if _kernel.usable(w_hh, gates, d_out, dh, dc):
        return _kernel.backward_loop(w_hh, gates, cells, tanh_c, d_out, dh, dc)
    T, B, G = gates.shape
    H = G // 4
    i, f, g, o = torch.split(gates, H, dim=2)  # each (T, B, H)
    # Every gate derivative for every step, in a few large ops before the loop:
    # dz_{i,f,g} = dc * P[:, :, k],  dz_o = dh * Q,  dc += dh * R.
    P = torch.stack([g * i * (1 - i), cells[:-1] * f * (1 - f), i * (1 - g * g)], dim=2)
    Q = tanh_c * o * (1 - o)
    R = o * (1 - tanh_c * tanh_c)
    d_out = torch.zeros_like(tanh_c) if d_out is None else d_out
    dz = gates.new_empty(T, B, 4, H)
    dh = d_out[-1] + dh
    for t in range(T - 1, -1, -1):
        if t < T - 1:
            dh = torch.addmm(d_out[t], dz[t + 1].view(B, G), w_hh)  # (B, 4H) @ (4H, H)
        dc = dc.addcmul(dh, R[t])
        torch.mul(dc.unsqueeze(1), P[t], out=dz[t, :, :3])  # (B, 1, H) * (B, 3, H)
        torch.mul(dh, Q[t], out=dz[t, :, 3])
        dc = dc * f[t]  # carried to c_{t-1}
    return dz.view(T, B, G), dc


class _LSTMLayer(torch.autograd.Function):
    """One direction of one layer, time-major, with a hand-written backward (BPTT)."""

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, h0: Tensor, c0: Tensor,
        w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None, keep: bool,
    ) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
        # keep: whether a backward may run, so the gates must be kept. The caller decides:
        # in here grad mode is off, and needs_input_grad is set even under torch.no_grad().
        bias = _bias(b_ih, b_hh, w_hh)
        hs, gates, cells, tanh_c = _forward_loop(x, w_ih, bias, w_hh, h0, c0, keep)
        ctx.save_for_backward(x, w_ih, w_hh, hs, gates, cells, tanh_c)
        ctx.has_bias = (b_ih is not None, b_hh is not None)
        return hs[1:], hs[-1].clone(), cells[-1].clone()  # (T, B, H), (B, H), (B, H)

    @staticmethod
    def backward(
        ctx: Any, d_out: Tensor | None, d_hn: Tensor | None, d_cn: Tensor | None
    ) -> tuple[Tensor | None, ...]:
        x, w_ih, w_hh, hs, gates, cells, tanh_c = ctx.saved_tensors
        T, B, _ = x.shape
        H = w_hh.shape[1]
        dh = torch.zeros_like(hs[0]) if d_hn is None else d_hn
        dc = torch.zeros_like(hs[0]) if d_cn is None else d_cn
        dz, dc = _backward_loop(w_hh, gates, cells, tanh_c, d_out, dh, dc)  # dz (T, B, 4H)
        dz_flat = dz.view(T * B, 4 * H)
        need = ctx.needs_input_grad
        dx = (dz_flat @ w_ih).view(T, B, -1) if need[0] else None  # (T*B, 4H) @ (4H, I)
        dh0 = dz[0] @ w_hh if need[1] else None  # (B, 4H) @ (4H, H)
        # Weight gradients sum over steps: one matmul each over all T*B rows, computed as
        # (a^T dz)^T: with I = 9 columns, dz^T a ran 6x slower here (MKL, 2 threads).
        dw_ih = (x.reshape(T * B, -1).t() @ dz_flat).t().contiguous() if need[3] else None
        dw_hh = (hs[:-1].reshape(T * B, H).t() @ dz_flat).t().contiguous() if need[4] else None
        db = dz_flat.sum(0)
        has_ih, has_hh = ctx.has_bias
        return (dx, dh0, dc, dw_ih, dw_hh, db if has_ih else None, db if has_hh else None, None)


def _bias(b_ih: Tensor | None, b_hh: Tensor | None, like: Tensor) -> Tensor:
    if b_ih is None and b_hh is None:
        return like.new_zeros(like.shape[0])
    if b_ih is None or b_hh is None:
        return b_ih if b_hh is None else b_hh  # type: ignore[return-value]
    return b_ih + b_hh


def lstm_layer(
    x: Tensor, state: State, w_ih: Tensor, w_hh: Tensor,
    b_ih: Tensor | None = None, b_hh: Tensor | None = None,
) -> tuple[Tensor, State]:  # fmt: skip
    """Run one layer over time-major ``x`` ``(T, B, I)`` from ``state`` ``((B, H), (B, H))``.

    Returns ``output`` ``(T, B, H)`` and the final ``(h, c)``.
    """
    tensors = (x, *state, w_ih, w_hh, b_ih, b_hh)
    keep = torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)
    out, h, c = _LSTMLayer.apply(*tensors, keep)  # type: ignore[no-untyped-call]
    return out, (h, c)
