"""The timeline figure of a labelled recording (matplotlib, imported only when asked)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .._files import atomic_write
from ..signal.filters import SAMPLE_RATE_HZ, STEP
from .predictor import Predictions

DAY_S = 86400.0  # one row of the figure per day past the first


def timeline_plot(samples: np.ndarray, preds: Predictions, path: Path,
                  title: str = "Predicted activity") -> None:  # fmt: skip
    """Acceleration magnitude with each window's label (as the output has it: smoothed, and
    NOT_WORN in grey) as a coloured band; one row per day when the recording is longer.

    Args:
        samples: ``(T, 6)`` the 50 Hz samples that were labelled (acc in g first), end to end.
        preds: their ``Predictions``.
        path: the PNG to write (atomically).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Rectangle

    names = list(preds.time_per_class())  # the classes, then NOT_WORN if any window is
    colors = [plt.get_cmap("tab10")(k) for k in range(len(preds.classes))]
    colors += [(0.6, 0.6, 0.6, 1.0)] * (len(names) - len(colors))
    codes = np.asarray([names.index(x) for x in preds.label])
    mag = np.linalg.norm(samples[:, :3], axis=1)
    hop, day = STEP / SAMPLE_RATE_HZ, DAY_S
    rows = max(1, int(np.ceil(len(mag) / SAMPLE_RATE_HZ / day)))
    span = min(day, len(mag) / SAMPLE_RATE_HZ) if rows == 1 else day
    fig, axes = plt.subplots(rows, 1, figsize=(12, 1.2 + 2.4 * rows), squeeze=False)
    top = max(float(mag.max()), 1.5) if len(mag) else 1.5
    for r, ax in enumerate(axes[:, 0]):
        a, b = int(r * day * SAMPLE_RATE_HZ), int((r + 1) * day * SAMPLE_RATE_HZ)
        part = mag[a:b]
        # A day at 50 Hz is 4.3 M points: plot a min/max envelope of ~4000 bins instead.
        bins = max(1, len(part) // 4000)
        n = len(part) // bins * bins
        t_env = np.arange(0, n, bins) / SAMPLE_RATE_HZ
        lo, hi = part[:n].reshape(-1, bins).min(1), part[:n].reshape(-1, bins).max(1)
        # One image column per window hop (1.28 s), coloured by its label: a single artist
        # even for a day's 67,000 windows, where one band per window took matplotlib ~25 s.
        w0, w1 = int(r * day / hop), int((r + 1) * day / hop)
        if len(codes[w0:w1]):
            ax.imshow(codes[None, w0:w1], aspect="auto", cmap=ListedColormap(colors), vmin=0,
                      vmax=len(names) - 1, alpha=0.3, interpolation="nearest",
                      extent=(0, len(codes[w0:w1]) * hop, 0, top), origin="lower")  # fmt: skip
        ax.fill_between(t_env, lo, hi, color="black", lw=0.5)
        ax.set(xlim=(0, span), ylim=(0, top), ylabel="|acc| (g)")
        if rows > 1:
            ax.set_title(f"day {r + 1}", fontsize=9, loc="left")
    handles = [Rectangle((0, 0), 1, 1, color=c, alpha=0.3) for c in colors]
    axes[0, 0].legend(handles, names, loc="upper right", fontsize=8, ncol=4)
    if rows == 1:
        axes[0, 0].set_title(title)
    else:
        fig.suptitle(title)
    axes[-1, 0].set_xlabel("time (s)" if rows == 1 else "time within the day (s)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write(path, buf.getvalue())
