r"""An LSTM written from the gate equations, with ``torch.nn.LSTM``'s contract.

The study's equations, for input :math:`x_t`, hidden state :math:`h_{t-1}` and cell
:math:`c_{t-1}`:

.. math::
    i_t &= \sigma(W_i [h_{t-1}, x_t] + b_i) \\
    f_t &= \sigma(W_f [h_{t-1}, x_t] + b_f) \\
    g_t &= \tanh(W_c [h_{t-1}, x_t] + b_c)  \qquad (\tilde c_t \text{ in the study}) \\
    o_t &= \sigma(W_o [h_{t-1}, x_t] + b_o) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    h_t &= o_t \odot \tanh(c_t)

Mapping onto PyTorch's parameter layout: the study's :math:`W_* [h_{t-1}, x_t]` multiplies
one matrix by the concatenation; PyTorch splits each :math:`W_*` column-wise into an input part
and a recurrent part and stacks the four gates row-wise in the order **i, f, g, o**:

* ``weight_ih_l{k}`` ``(4H, I)`` (layer 0) or ``(4H, D*H)`` = :math:`[W_i^x; W_f^x; W_c^x; W_o^x]`
* ``weight_hh_l{k}`` ``(4H, H)`` = :math:`[W_i^h; W_f^h; W_c^h; W_o^h]`
* ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(4H,)``: the study's single :math:`b_*` is their sum
  (two biases are redundant; PyTorch keeps both for cuDNN compatibility, and so do we so that
  state dicts load both ways). ``..._reverse`` holds the backward direction.

Initialisation as PyTorch: every parameter :math:`\sim U(-1/\sqrt{H}, 1/\sqrt{H})`, drawn in
the same order, so the same seed gives the same weights as ``torch.nn.LSTM``.

Speed, measured (``benchmarks/bench_lstm.py``): autograd through ~13 small ops a step is slow,
so training uses ``_LSTMLayer``, a ``torch.autograd.Function`` with a hand-written
backward-through-time. The forward loop does one ``addmm`` and six element-wise ops per
step into preallocated buffers, evaluating :math:`\tanh` of the candidate as
:math:`2\sigma(2z) - 1` (one ``sigmoid`` over all four gates; ``tanh`` is ~3x slower per
element here; the doubling is folded into the weights, exact in floating point). The backward
precomputes every gate derivative for all steps in a few large ops, runs five ops a step, and
forms the weight gradients after the loop as two large matmuls.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import _kernel

State = tuple[Tensor, Tensor]


def _g_doubled(w: Tensor, hidden: int) -> Tensor:
    """``w`` with the candidate (g) rows times 2, so one sigmoid yields sigma(2 z_g)."""
    scale = torch.ones(4 * hidden, dtype=w.dtype, device=w.device)
    scale[2 * hidden : 3 * hidden] = 2.0
    return w * (scale[:, None] if w.dim() == 2 else scale)


def _forward_loop(
    xw: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, keep: bool
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The recurrence over precomputed input projections, in feature-major layout.

    Every per-step tensor is stored transposed, ``(features, B)``, so that each gate is a
    contiguous block of rows: element-wise ops on contiguous memory run ~4x faster here than
    on the column slices of a ``(B, 4H)`` matrix.

    ``xw`` ``(T, 4H, B)`` holds :math:`W_{ih} x_t + b`, ``w_hh`` ``(4H, H)``, both with the g
    rows doubled; ``h0``, ``c0`` are ``(H, B)``. Returns ``hs`` ``(T+1, H, B)`` with
    ``hs[0] = h0``, and, when ``keep``, the activated gates ``(T, 4H, B)`` (i, f, o sigmoids, g
    as tanh), cells ``(T+1, H, B)`` and ``tanh(c)`` ``(T, H, B)`` for the backward; without
    ``keep`` those buffers are one step deep.
    """
    T, four_h, B = xw.shape
    H = four_h // 4
    n = T if keep else 1
    gates = xw.new_empty(n, 4, H, B)
    cells = xw.new_empty(n + 1, H, B)
    tanh_c = xw.new_empty(n, H, B)
    hs = xw.new_empty(T + 1, H, B)
    hs[0] = h0
    cells[0] = c0
    minus_one = xw.new_full((H, B), -1.0)
    # Per-step views cost ~1.5 us each from Python; unbind makes a whole axis of them at once.
    z_t = gates.view(n, four_h, B).unbind(0)
    i_t, f_t, g_t, o_t = (gates[:, k].unbind(0) for k in range(4))
    c_t, tc_t, h_t, x_t = cells.unbind(0), tanh_c.unbind(0), hs.unbind(0), xw.unbind(0)
    for t in range(T):
        k = t if keep else 0
        c_prev, c_next = (c_t[k], c_t[k + 1]) if keep else (c_t[0], c_t[0])
        z = z_t[k]
        torch.addmm(x_t[t], w_hh, h_t[t], out=z)  # (4H, H) @ (H, B) + (4H, B)
        torch.sigmoid(z, out=z)  # i, f, o and sigma(2 z_g)
        g = g_t[k]
        torch.add(minus_one, g, alpha=2.0, out=g)  # tanh(z) = 2 sigma(2z) - 1
        torch.mul(f_t[k], c_prev, out=c_next)
        c_next.addcmul_(i_t[k], g)  # c = f * c + i * g
        torch.tanh(c_next, out=tc_t[k])
        torch.mul(o_t[k], tc_t[k], out=h_t[t + 1])  # h = o * tanh(c)
    return hs, gates.view(n, four_h, B), cells, tanh_c


class _LSTMLayer(torch.autograd.Function):
    """One direction of one layer, time-major, with a hand-written backward (BPTT)."""

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, h0: Tensor, c0: Tensor,
        w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
    ) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
        H = w_hh.shape[1]
        bias = _g_doubled(_bias(b_ih, b_hh, w_hh), H)
        keep = any(ctx.needs_input_grad)  # grad mode is off in here; this says if backward may run
        # (4H, I) @ (T, I, B) -> (T, 4H, B): every step's input projection in one batched matmul
        xw = torch.matmul(_g_doubled(w_ih, H), x.transpose(1, 2)).add_(bias[:, None])
        hs, gates, cells, tanh_c = _forward_loop(xw, h0.t(), c0.t(), _g_doubled(w_hh, H), keep=keep)
        ctx.save_for_backward(x, w_ih, w_hh, hs, gates, cells, tanh_c)
        ctx.has_bias = (b_ih is not None, b_hh is not None)
        # (T, H, B) -> (T, B, H) as a view; the final states as (B, H) copies
        return hs[1:].transpose(1, 2), hs[-1].t().clone(), cells[-1].t().clone()

    @staticmethod
    def backward(
        ctx: Any, d_out: Tensor | None, d_hn: Tensor | None, d_cn: Tensor | None
    ) -> tuple[Tensor | None, ...]:
        x, w_ih, w_hh, hs, gates, cells, tanh_c = ctx.saved_tensors
        T, B, _ = x.shape
        H = w_hh.shape[1]
        i, f, g, o = gates.view(T, 4, H, B).unbind(1)  # each (T, H, B)
        # Every gate derivative for every step, in a few large ops before the loop:
        # dz_{i,f,g} = dc * P[:, k],  dz_o = dh * Q,  dc += dh * R.
        P = x.new_empty(T, 3, H, B)
        torch.mul(g, i * (1 - i), out=P[:, 0])
        torch.mul(cells[:-1], f * (1 - f), out=P[:, 1])
        torch.mul(i, 1 - g * g, out=P[:, 2])
        Q = tanh_c * o * (1 - o)
        R = o * (1 - tanh_c * tanh_c)
        # Contiguous once here, rather than a strided gather inside every step's addmm.
        d_outT = torch.zeros_like(hs[1:]) if d_out is None else d_out.transpose(1, 2).contiguous()
        dz = x.new_empty(T, 4, H, B)
        dz_ifg, dz_o = dz[:, :3].unbind(0), dz[:, 3].unbind(0)
        dz_t = dz.view(T, 4 * H, B).unbind(0)
        P_t, Q_t, R_t, f_t, dout_t = (v.unbind(0) for v in (P, Q, R, f, d_outT))
        w_hh_t = w_hh.t()
        dh = dout_t[-1] if d_hn is None else dout_t[-1] + d_hn.t()
        dc = torch.zeros_like(hs[0]) if d_cn is None else d_cn.t().clone()
        for t in range(T - 1, -1, -1):
            if t < T - 1:
                dh = torch.addmm(dout_t[t], w_hh_t, dz_t[t + 1])  # (H, 4H) @ (4H, B)
            dc = dc.addcmul(dh, R_t[t])
            torch.mul(dc.unsqueeze(0), P_t[t], out=dz_ifg[t])  # (1, H, B) * (3, H, B)
            torch.mul(dh, Q_t[t], out=dz_o[t])
            dc = dc * f_t[t]  # carried to c_{t-1}
        dzT = dz.view(T, 4 * H, B)
        need = ctx.needs_input_grad
        # (T, B, 4H) @ (4H, I) -> (T, B, I)
        dx = torch.matmul(dzT.transpose(1, 2), w_ih) if need[0] else None
        dh0 = (w_hh_t @ dzT[0]).t() if need[1] else None
        # Weight gradients sum over steps: one (4H, T*B) @ (T*B, .) matmul each. The copy into
        # that layout costs less than 2T small matmuls.
        dz_flat = dzT.permute(1, 0, 2).reshape(4 * H, T * B)
        dw_ih = dz_flat @ x.reshape(T * B, -1) if need[3] else None
        dw_hh = dz_flat @ hs[:-1].transpose(1, 2).reshape(T * B, H) if need[4] else None
        db = dzT.sum((0, 2))
        has_ih, has_hh = ctx.has_bias
        return (dx, dh0, dc.t(), dw_ih, dw_hh, db if has_ih else None, db if has_hh else None)


def _bias(b_ih: Tensor | None, b_hh: Tensor | None, like: Tensor) -> Tensor:
    if b_ih is None and b_hh is None:
        return like.new_zeros(like.shape[0])
    if b_ih is None or b_hh is None:
        return b_ih if b_hh is None else b_hh  # type: ignore[return-value]
    return b_ih + b_hh


# Measured here (hidden 64, 2 cores): up to batch 64 the one-thread C loop beats the PyTorch
# step loop (8.9 vs 16.5 ms at batch 64; 0.17 vs ~5 ms at batch 1); beyond, the loop catches up.
KERNEL_MAX_BATCH = 64


def _use_kernel(x: Tensor, tensors: tuple[Tensor | None, ...]) -> bool:
    present = [t for t in (x, *tensors) if t is not None]
    if torch.is_grad_enabled() and any(t.requires_grad for t in present):
        return False  # training: the autograd Function below
    if x.shape[1] > KERNEL_MAX_BATCH or x.device.type != "cpu":
        return False
    return all(t.dtype == torch.float32 for t in present) and _kernel.load() is not None


def lstm_layer(
    x: Tensor, state: State, w_ih: Tensor, w_hh: Tensor,
    b_ih: Tensor | None = None, b_hh: Tensor | None = None,
) -> tuple[Tensor, State]:  # fmt: skip
    """Run one layer over time-major ``x`` ``(T, B, I)`` from ``state`` ``((B, H), (B, H))``.

    Returns ``output`` ``(T, B, H)`` and the final ``(h, c)``. Without gradients, at small
    batch and in float32, the recurrence runs in a small C loop (``_kernel``) when a C
    compiler is available: the same equations without per-op dispatch.
    """
    if _use_kernel(x, (state[0], state[1], w_ih, w_hh, b_ih, b_hh)):
        T, B, _ = x.shape
        # (T*B, I) @ (I, 4H) + b -> (T, B, 4H)
        xw = torch.addmm(_bias(b_ih, b_hh, w_hh), x.reshape(T * B, -1), w_ih.t())
        out, h, c = _kernel.forward(xw.view(T, B, -1), w_hh, state[0], state[1])
        return out, (h, c)
    out, h, c = _LSTMLayer.apply(x, state[0], state[1], w_ih, w_hh, b_ih, b_hh)
    return out, (h, c)


class LSTMCell(nn.Module):
    """One LSTM step, ``torch.nn.LSTMCell``'s contract: ``(h', c') = cell(x, (h, c))``.

    ``x`` is ``(B, I)`` or unbatched ``(I,)``; the state defaults to zeros.
    Parameters: ``weight_ih`` ``(4H, I)``, ``weight_hh`` ``(4H, H)``, ``bias_ih``, ``bias_hh``
    ``(4H,)``, gates in the order i, f, g, o (see the module docstring).
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True,
        device: Any = None, dtype: Any = None,
    ) -> None:  # fmt: skip
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size, 1)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size, **kw))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size, **kw))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size, **kw)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size, **kw)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, input: Tensor, hx: State | None = None) -> State:
        unbatched = input.dim() == 1
        if input.dim() not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"LSTMCell: expected input (B, {self.input_size}) or ({self.input_size},), "
                f"got {tuple(input.shape)}"
            )
        x = input.unsqueeze(0) if unbatched else input
        if hx is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            hx = (zeros, zeros)
        elif unbatched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        _, (h, c) = lstm_layer(
            x.unsqueeze(0), hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        )
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class LSTM(nn.Module):
    """Multi-layer LSTM with ``torch.nn.LSTM``'s constructor, parameters and call signature.

    ``output, (h_n, c_n) = lstm(input, (h_0, c_0))``

    * ``input``: ``(T, B, I)``, ``(B, T, I)`` if ``batch_first``, or unbatched ``(T, I)``.
    * ``h_0``, ``c_0``: ``(L * D, B, H)`` (``(L * D, H)`` unbatched); zeros when omitted.
    * ``output``: ``(T, B, D * H)`` (batch first if asked), the top layer's ``h_t``.
    * ``h_n``, ``c_n``: ``(L * D, B, H)``, the final state of every layer and direction.

    ``L = num_layers``, ``D = 2`` if ``bidirectional`` else 1. Dropout applies to every layer's
    output but the last, in training mode only. A state dict of either module loads into the
    other. ``step`` advances one time step for streaming.
    """

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
        batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
        proj_size: int = 0, device: Any = None, dtype: Any = None,
    ) -> None:  # fmt: skip
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size, num_layers)
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout should be in [0, 1], got {dropout}")
        if proj_size:
            raise ValueError(f"{name}: proj_size={proj_size} is not supported (only 0)")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, 0
        kw = {"device": device, "dtype": dtype}
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes: dict[str, tuple[int, ...]] = {
                    "weight_ih": (4 * hidden_size, in_size),
                    "weight_hh": (4 * hidden_size, hidden_size),
                }
                if bias:
                    shapes |= {"bias_ih": (4 * hidden_size,), "bias_hh": (4 * hidden_size,)}
                for kind, shape in shapes.items():
                    self.register_parameter(
                        f"{kind}_l{layer}{suffix}", nn.Parameter(torch.empty(shape, **kw))
                    )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _weights(self, layer: int, suffix: str) -> tuple[Tensor, ...]:
        get = self._parameters.get
        return tuple(
            get(f"{kind}_l{layer}{suffix}")  # type: ignore[misc]
            for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    def forward(self, input: Tensor, hx: State | None = None) -> tuple[Tensor, State]:
        name = type(self).__name__
        if input.dim() not in (2, 3) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input (T, B, {self.input_size}) or (T, {self.input_size}), "
                f"got {tuple(input.shape)}"
            )
        unbatched = input.dim() == 2
        x = (
            input.unsqueeze(1)
            if unbatched
            else (input.transpose(0, 1) if self.batch_first else input)
        )
        B = x.shape[1]
        LD = self.num_layers * self.num_directions
        if hx is None:
            zeros = x.new_zeros(LD, B, self.hidden_size)
            h0, c0 = zeros, zeros
        else:
            h0, c0 = (s.unsqueeze(1) if unbatched else s for s in hx)
            expected = (LD, B, self.hidden_size)
            for label, s in (("h_0", h0), ("c_0", c0)):
                if tuple(s.shape) != expected:
                    raise ValueError(
                        f"{name}: expected {label} of shape {expected}, got {tuple(s.shape)}"
                    )
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d, suffix in enumerate(("", "_reverse")[: self.num_directions]):
                k = layer * self.num_directions + d
                seq = x.flip(0) if d else x
                out, (h, c) = lstm_layer(seq, (h0[k], c0[k]), *self._weights(layer, suffix))
                outs.append(out.flip(0) if d else out)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if len(outs) == 1 else torch.cat(outs, dim=-1)  # (T, B, D*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, training=True)
        output = x.squeeze(1) if unbatched else (x.transpose(0, 1) if self.batch_first else x)
        hn, cn = torch.stack(h_n), torch.stack(c_n)
        if unbatched:
            hn, cn = hn.squeeze(1), cn.squeeze(1)
        return output, (hn, cn)

    def step(self, x_t: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """Advance one time step: ``x_t`` ``(B, I)`` -> top ``h_t`` ``(B, H)``, new state.

        ``state`` is ``(h, c)``, each ``(L, B, H)``; zeros when ``None``. Unidirectional only:
        a backward direction needs the future.
        """
        if self.bidirectional:
            raise ValueError(f"{type(self).__name__}.step: a bidirectional LSTM cannot stream")
        time_dim = 1 if self.batch_first else 0
        out, state = self.forward(x_t.unsqueeze(time_dim), state)  # one step: T = 1
        return out.squeeze(time_dim), state

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for key, default in (("bias", True), ("batch_first", False), ("dropout", 0.0),
                             ("bidirectional", False)):  # fmt: skip
            if getattr(self, key) != default:
                s += f", {key}={getattr(self, key)}"
        return s


def _check_sizes(name: str, input_size: int, hidden_size: int, num_layers: int) -> None:
    for label, value in (("input_size", input_size), ("hidden_size", hidden_size),
                         ("num_layers", num_layers)):  # fmt: skip
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}: {label} must be a positive integer, got {value!r}")
