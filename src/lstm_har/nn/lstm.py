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

The recurrence itself, forward and backward through time, is ``functional.lstm_layer``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .functional import State, lstm_layer


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
