"""Tolerances for floating-point results, from an error bound rather than from one machine.

The bound (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.1): a sum
of ``k`` rounded products differs from the exact one by at most ``gamma(k) * sum |terms|``,
``gamma(k) = k u / (1 - k u)``, with ``u`` the unit roundoff (2**-24 for float32, 2**-53 for
float64). BLAS libraries pick the order of those sums by CPU, matrix shape and thread count
(MKL's SSE4.2, AVX2 and AVX-512 sgemm kernels differ; so do 32 and 64 rows), so two float32
runs of the same maths agree only to within the bound, never bit for bit.

Error model used here: ``terms`` is the longest chain of rounded additions that feeds one
output element, summed along the chain (for a recurrence, step after step: each step's error
is carried forward by derivatives of magnitude at most 1, sigmoid' <= 1/4 and tanh' <= 1),
and ``sum |terms|`` is taken as the largest magnitude in the float64 reference tensor. That is
not a proof for every element, since a sum with cancellation can have ``sum |terms|`` above
the tensor's maximum, but the worst-case ``k u`` already overstates float32's typical
``sqrt(k) u`` error by ``sqrt(k)`` (30-130 here), which covers it; ``worst_ratios`` records
how close each test came (see ``LSTM_HAR_ROUNDING_REPORT`` in conftest.py).

A wrong gate, a missing gradient term or a misplaced row moves results by a sizeable fraction
of their scale; the bounds here stay below 2e-3 of it (``lstm_terms`` docs), so the tests
still catch them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

UNIT_ROUNDOFF = {torch.float32: 2.0**-24, torch.float64: 2.0**-53}
# The worst measured error / tolerance per test (test node id -> ratio), for the report.
worst_ratios: dict[str, float] = {}


def gamma(k: int, u: float) -> float:
    """Higham's gamma_k: the relative bound of a k-term float sum with unit roundoff u."""
    assert k * u < 1, "too many terms for the bound to mean anything"
    return k * u / (1 - k * u)


# Roundings in one step's elementwise part, per hidden unit: three sigmoids and two tanh, each
# accurate to within 4 ulp (glibc's vector expf/tanhf, which the C loops call; PyTorch's own are
# closer), and the 3-4 products and sums of the cell update or its derivative.
ELEMENTWISE = 5 * 4 + 4


def lstm_terms(
    T: int, B: int, n_in: int, H: int, *, layers: int = 1, bidirectional: bool = False,
    backward: bool = True,
) -> int:  # fmt: skip
    """The longest rounded chain behind one output or gradient of a (stacked) LSTM.

    Forward, per layer: a step's pre-activation sums ``I_l + H`` products and two biases, its
    elementwise part adds ``ELEMENTWISE`` more, and T steps chain. Backward, per layer: ``dh_t``
    sums ``4H`` products plus ``dout_t``, the gate derivatives add ``ELEMENTWISE``, T steps
    chain; the weight gradients then sum over all T * B rows. Layer l + 1 reads layer l's
    output (width H, 2H when bidirectional), so its chain adds on. At the suite's largest
    shape (T = 40, B = 64, I = 9, H = 32, two layers) this is 21,080 terms: gamma = 1.3e-3.
    """
    width = 2 * H if bidirectional else H
    total = 0
    for layer in range(layers):
        n = n_in if layer == 0 else width
        total += T * (n + H + 2 + ELEMENTWISE)
        if backward:
            total += T * (4 * H + 1 + ELEMENTWISE)
    return total + (T * B if backward else 0)


def _as_tensor(x: Any) -> torch.Tensor:
    return x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(np.array(x))


def assert_within_rounding(
    got: Any, want: Any, terms: int, *, scale: float | None = None, name: str = "",
    computed_in: torch.dtype | None = None,
) -> float:  # fmt: skip
    """``|got - want| <= (gamma_got + gamma_want) * scale`` elementwise; returns err / tol.

    ``want`` is a float64 reference (its own gamma is then negligible) or a second result in
    the same dtype (two roundings of the same maths: their gammas add). ``scale`` defaults to
    the largest magnitude in ``want``; ``computed_in`` names the precision both were computed
    in when their dtype no longer says (float32 results read back from JSON, say).
    """
    a, b = _as_tensor(got), _as_tensor(want)
    assert a.shape == b.shape, f"{name}: shape {tuple(a.shape)} != {tuple(b.shape)}"
    u, v = (UNIT_ROUNDOFF.get(computed_in or t.dtype, UNIT_ROUNDOFF[torch.float64]) for t in (a, b))
    a, b = a.double(), b.double()
    if scale is None:
        scale = _max_abs(b)
    tolerance = (gamma(terms, u) + gamma(terms, v)) * max(scale, np.finfo(np.float64).tiny)
    error = float((a - b).abs().max()) if a.numel() else 0.0
    ratio = error / tolerance if error else 0.0
    assert error <= tolerance, (
        f"{name}: max |got - want| = {error:.3g} exceeds the rounding bound {tolerance:.3g} "
        f"({terms} terms, scale {scale:.3g})"
    )
    _record(ratio)
    return ratio


def assert_all_within_rounding(
    got: Sequence[Any], want: Sequence[Any], terms: int, *, inputs: Sequence[Any] | None = None
) -> None:
    """``assert_within_rounding`` on each pair.

    By default each tensor at its own scale: at the sizes where that is used (tens of
    elements and up, random data) a tensor's largest element stands for the size of its sums.
    With ``inputs``, every tensor at the scale of the whole computation instead, for tiny
    shapes where a result can be a single sum of four terms that cancel: each term is a
    product of a quantity the computation produces (at most the largest reference magnitude)
    and an input or weight (``inputs``; weights at PyTorch's init are below 1).
    """
    assert len(got) == len(want), f"{len(got)} results against {len(want)} references"
    scale = None
    if inputs is not None:
        scale = max(_max_abs(w) for w in want) * max([1.0, *(_max_abs(x) for x in inputs)])
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert_within_rounding(a, b, terms, scale=scale, name=f"result {i}")


def _max_abs(x: Any) -> float:
    t = _as_tensor(x)
    return float(t.abs().max()) if t.numel() else 0.0


def _record(ratio: float) -> None:
    import os

    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    worst_ratios[test] = max(worst_ratios.get(test, 0.0), ratio)


def classifier_terms(model: str, hidden: int, channels: int = 9, T: int = 128) -> int:
    """The forward chain of a ``lstm_har.models`` classifier on (B, T, channels) windows.

    The standardisation (2), then for "simple" the LSTM, Linear(H, 20) and Linear(20, K);
    for "convbilstm" two kernel-5 convolutions with batch norm (64 channels), the two-layer
    BiLSTM, the mean over T steps and Linear(4H, K); the head adds ELEMENTWISE.
    """
    if model == "simple":
        body = lstm_terms(T, 1, channels, hidden, backward=False) + hidden + 20
    else:
        conv = 5 * channels + 5 * 64 + 2 * 4
        lstm = lstm_terms(T, 1, 64, hidden, layers=2, bidirectional=True, backward=False)
        body = conv + lstm + T + 4 * hidden
    return 2 + body + ELEMENTWISE
