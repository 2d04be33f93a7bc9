"""The timeline figure of a labelled recording (matplotlib, imported only when asked)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from .._files import save_figure
from ..signal.filters import SAMPLE_RATE_HZ, STEP, WINDOW
from .predictions import Predictions

DAY_S = 86400.0  # one row of the figure per day past the first
WARNING_COLOR = (0.7, 0.13, 0.13)  # firebrick: no class band is drawn in it


def timeline_plot(preds: Predictions, path: Path, title: str = "Predicted activity") -> None:
    """Acceleration magnitude (its range over each 1.28 s hop, ``Predictions.acc_range``)
    with each window's label (as the output has it: smoothed, and NOT_WORN in grey) as a
    coloured band; one row per day when the recording is longer. Written atomically to
    ``path``, in the format its extension names (PNG, PDF, SVG…). Segments split at pauses
    are drawn end to end. The calibration's warnings (a phone carried flat…) are written
    under the plot.
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
    assert preds.acc_range is not None, "Predictions from a Predictor carry acc_range"
    hop, day = STEP / SAMPLE_RATE_HZ, DAY_S
    per_day = int(day / hop)  # windows a day
    length = len(codes) * hop + (WINDOW - STEP) / SAMPLE_RATE_HZ
    rows = max(1, int(np.ceil(length / day)))
    span = min(day, length) if rows == 1 else day
    fig, axes = plt.subplots(rows, 1, figsize=(12, 1.2 + 2.4 * rows), squeeze=False)
    top = max(float(preds.acc_range[:, 1].max()), 1.5) if len(codes) else 1.5
    for r, ax in enumerate(axes[:, 0]):
        part = preds.acc_range[r * per_day : (r + 1) * per_day]
        # A day is 67,500 hops: plot a min/max envelope of ~4000 bins instead.
        bins = max(1, len(part) // 4000)
        n = len(part) // bins * bins
        t_env = np.arange(0, n, bins) * hop
        lo, hi = part[:n, 0].reshape(-1, bins).min(1), part[:n, 1].reshape(-1, bins).max(1)
        # One image column per window hop (1.28 s), coloured by its label: a single artist
        # even for a day's 67,000 windows, where one band per window took matplotlib ~25 s.
        w0, w1 = r * per_day, (r + 1) * per_day
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
    doubts = [] if preds.calibration is None else preds.calibration.warnings
    if doubts:  # what the summary warns of, where someone looking only at the figure sees it
        note = "\n".join(textwrap.wrap("warning: " + "; ".join(doubts), 150))
        fig.text(0.01, 0.01, note, fontsize=8, color=WARNING_COLOR, va="bottom")
    fig.tight_layout(rect=(0, 0.1 / rows if doubts else 0, 1, 1))
    save_figure(fig, path)
