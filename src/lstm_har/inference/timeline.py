"""The timeline figure of a labelled recording (matplotlib, imported only when asked)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .._files import atomic_write
from ..signal.filters import SAMPLE_RATE_HZ, STEP
from .predictor import Predictions


def timeline_plot(samples: np.ndarray, preds: Predictions, path: Path,
                  title: str = "Predicted activity") -> None:  # fmt: skip
    """Acceleration magnitude with each window's predicted class as a coloured band.

    Args:
        samples: ``(T, 6)`` the 50 Hz samples that were labelled (acc in g first).
        preds: their ``Predictions``.
        path: the PNG to write (atomically).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Rectangle

    t = np.arange(len(samples)) / SAMPLE_RATE_HZ
    mag = np.linalg.norm(samples[:, :3], axis=1)
    # A day at 50 Hz is 4.3 M points: plot a min/max envelope of ~4000 bins instead.
    bins = max(1, len(mag) // 4000)
    n = len(mag) // bins * bins
    t_env = t[:n:bins]
    lo, hi = mag[:n].reshape(-1, bins).min(1), mag[:n].reshape(-1, bins).max(1)
    fig, ax = plt.subplots(figsize=(12, 3.6))
    colors = plt.get_cmap("tab10")
    # One image column per window hop (1.28 s), coloured by its class: a single artist even
    # for a day's 67,000 windows, where one band per window took matplotlib ~25 s.
    hop = STEP / SAMPLE_RATE_HZ
    labels = preds.proba.argmax(1)
    cmap = ListedColormap([colors(k) for k in range(len(preds.classes))])
    top = max(float(hi.max()), 1.5) if len(hi) else 1.5
    ax.imshow(labels[None, :], aspect="auto", cmap=cmap, vmin=0, vmax=len(preds.classes) - 1,
              alpha=0.3, interpolation="nearest", extent=(0, len(labels) * hop, 0, top),
              origin="lower")  # fmt: skip
    ax.fill_between(t_env, lo, hi, color="black", lw=0.5)
    handles = [Rectangle((0, 0), 1, 1, color=colors(k), alpha=0.3)
               for k in range(len(preds.classes))]  # fmt: skip
    ax.legend(handles, preds.classes, loc="upper right", fontsize=8, ncol=3)
    ax.set(xlabel="time (s)", ylabel="|acceleration| (g)", title=title, xlim=(0, t[-1]),
           ylim=(0, top))  # fmt: skip
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write(path, buf.getvalue())
