"""Why an LSTM and not a plain RNN: how much the loss at the last step hears of each input.

    python examples/gradient_flow.py [--out gradient_flow.png] [--dry-run]

For 256 UCI HAR training windows, a loss on the last step's output is back-propagated to the
inputs, and ||dL/dx_t|| is averaged per step t (float64, so nothing underflows). A vanilla
tanh RNN's gradient shrinks by a roughly constant factor per step (the vanishing gradient). The
LSTM's cell path scales it by the forget gate f_t instead: at PyTorch's default init f ~ 0.5 and
the LSTM decays too, only more slowly; with the forget-gate bias at 1 (Jozefowicz et al., 2015)
f ~ 0.73 and the first steps still get gradients some twenty orders of magnitude larger than
the RNN's. All freshly initialised, same data, hidden 64.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from lstm_har.data import load_uci_har  # noqa: E402
from lstm_har.nn import LSTM  # noqa: E402


def input_gradient_norms(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    """Mean over windows of ||dL/dx_t||, L = sum of the last step's outputs: (B, T, C) -> (T,)."""
    x = x.clone().requires_grad_()
    out, _ = model(x)
    out[:, -1].sum().backward()
    assert x.grad is not None
    return x.grad.norm(dim=-1).mean(0).numpy()  # (B, T, C) -> (T,)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("gradient_flow.png"))
    parser.add_argument("--dry-run", action="store_true", help="16 windows, for CI")
    args = parser.parse_args()
    train, _ = load_uci_har()
    n = 16 if args.dry_run else 256
    pick = np.random.default_rng(0).choice(len(train), n, replace=False)
    x = torch.from_numpy(train.X[pick]).double()
    torch.manual_seed(0)
    rnn = torch.nn.RNN(9, 64, batch_first=True).double()
    lstm = LSTM(9, 64, batch_first=True).double()
    curves = {
        "vanilla RNN (tanh)": input_gradient_norms(rnn, x),
        "LSTM, default init": input_gradient_norms(lstm, x),
    }
    with torch.no_grad():
        lstm.bias_hh_l0[64:128] += 1.0  # gate order i, f, g, o: rows H..2H are the forget gate
    curves["LSTM, forget bias 1"] = input_gradient_norms(lstm, x)
    fig, ax = plt.subplots(figsize=(7, 4))
    steps = np.arange(x.shape[1])
    for label, norms in curves.items():
        ax.semilogy(steps, norms, label=label)
        print(f"{label:<20} ||dL/dx_t|| at t=0: {norms[0]:.2e}, t=64: {norms[64]:.2e}, "
              f"t=127: {norms[-1]:.2e}")  # fmt: skip
    ax.set(xlabel="time step t (of 128; loss at the last)", ylabel="mean ||dL/dx_t||",
           title="Gradient reaching each input step, UCI HAR windows")  # fmt: skip
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
