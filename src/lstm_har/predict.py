"""Label a person's recording: batch ``predict`` and the streaming ``Recognizer``.

Both run the data layer's own code path (``preprocess.SignalFilter``, 128-sample windows every
64 samples) and the same model call: batch prediction is the stream fed in large chunks, and
a stream fed in chunks of any size emits exactly the same windows and labels. A calibrated
model (``calibration``) also needs the recording's upright reference: batch prediction takes
the whole recording's, a live stream the one of the samples so far.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .calibration import (
    UprightTracker,
    calibrate,
    model_upright_default,
    moving_gravity,
    upright_reference,
)
from .errors import CheckpointError
from .evaluate import predict_proba
from .models import Classifier
from .preprocess import SAMPLE_RATE_HZ, STEP, WINDOW, SignalFilter, cut_windows

PRETRAINED = ("walking", "activity")

# A batch of windows (N, 128, 9) -> class probabilities (N, K).
ProbaFn = Callable[[np.ndarray], np.ndarray]


def pretrained_dir(name: str) -> Path:
    """Folder of a model shipped in the package (``walking`` or ``activity``)."""
    return Path(str(resources.files("lstm_har") / "pretrained" / name))


def resolve_model(name_or_dir: str | Path) -> Path:
    """A pretrained model's name or a run directory -> the folder holding model.json."""
    if str(name_or_dir) in PRETRAINED:
        return pretrained_dir(str(name_or_dir))
    path = Path(name_or_dir)
    if not path.is_dir():
        raise CheckpointError(
            f"{path}: not a run directory, and not one of the pretrained models "
            f"({', '.join(PRETRAINED)})"
        )
    return path


def torch_proba(model: Classifier, batch_size: int = 1024) -> ProbaFn:
    """The evaluation routine's batched, no-grad ``predict_proba`` as a ``ProbaFn``."""
    return functools.partial(predict_proba, model, batch_size=batch_size)


@dataclass(frozen=True)
class Predictions:
    """One row per window: ``start``/``end`` in seconds, predicted class, its probability."""

    start: np.ndarray  # (N,) seconds from the recording's first sample
    end: np.ndarray  # (N,)
    proba: np.ndarray  # (N, K)
    classes: tuple[str, ...]

    @property
    def label(self) -> np.ndarray:
        return np.asarray(self.classes, dtype=object)[self.proba.argmax(1)]

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"start_s": self.start, "end_s": self.end, "label": self.label,
                              "probability": self.proba.max(1)})  # fmt: skip
        for k, name in enumerate(self.classes):
            frame[f"p_{name}"] = self.proba[:, k]
        return frame

    def time_per_class(self) -> dict[str, float]:
        """Seconds per class, each window counted for the hop it advances (1.28 s)."""
        counts = pd.Series(self.label).value_counts()
        return {c: float(counts.get(c, 0)) * STEP / SAMPLE_RATE_HZ for c in self.classes}


def _predictions(starts: np.ndarray, proba: np.ndarray, classes: tuple[str, ...]) -> Predictions:
    start = starts / SAMPLE_RATE_HZ
    return Predictions(start, start + WINDOW / SAMPLE_RATE_HZ, proba, classes)


def predict_samples(
    samples: np.ndarray, proba_fn: ProbaFn, classes: tuple[str, ...], *,
    upright_default: np.ndarray | None = None, upright: np.ndarray | None = None,
    chunk: int = 1 << 16,
) -> Predictions:  # fmt: skip
    """``(T, 6)`` raw 50 Hz samples (acc g, gyro rad/s) -> one prediction per window.

    This is the ``Recognizer`` fed ``chunk`` samples at a time: one code path for batch and
    streaming, and memory bounded by the chunk (a day's recording at once needed ~1.2 GB of
    filter intermediates), while every window is still classified in batches of ~1000.
    A calibrated model (``upright_default`` given) is calibrated against ``upright``, by
    default the whole recording's own reference (``samples_upright``).
    """
    if upright_default is not None and upright is None:
        upright = samples_upright(samples, chunk)
    stream = Recognizer(proba_fn, classes, upright_default=upright_default, upright=upright)
    parts = [stream.push(samples[i : i + chunk]) for i in range(0, len(samples), chunk)]
    if not parts:
        return _predictions(np.empty(0, np.int64), np.empty((0, len(classes))), classes)
    start = np.concatenate([p.start for p in parts])
    return Predictions(start, start + WINDOW / SAMPLE_RATE_HZ,
                       np.concatenate([p.proba for p in parts]), tuple(classes))  # fmt: skip


def samples_upright(samples: np.ndarray, chunk: int = 1 << 16) -> np.ndarray | None:
    """The upright reference of a whole recording ``(T, 6)``, or None if it barely moves."""
    windower = _Windower()
    gravity = [moving_gravity(windower.push(samples[i : i + chunk])[1])
               for i in range(0, len(samples), chunk)]  # fmt: skip
    return upright_reference(np.concatenate(gravity)) if gravity else None


class _Windower:
    """Causal filtering and 128-sample windows every 64 samples, state kept across pushes."""

    def __init__(self) -> None:
        self._filter = SignalFilter()
        self._buffer = np.empty((0, 9))  # filtered samples not yet behind every future window
        self._buffer_start = 0  # sample index of _buffer[0]
        self._next_window = 0  # sample index where the next window starts

    def push(self, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(n, 6)`` raw samples -> the windows they complete: ``starts (M,)``, ``(M, 128, 9)``."""
        samples = np.asarray(samples, dtype=np.float64).reshape(-1, 6)
        self._buffer = np.concatenate([self._buffer, self._filter(samples)])
        end = self._buffer_start + len(self._buffer)
        starts = np.arange(self._next_window, end - WINDOW + 1, STEP, dtype=np.int64)
        windows = cut_windows(self._buffer, starts - self._buffer_start)
        if len(starts):
            self._next_window = int(starts[-1]) + STEP
        drop = self._next_window - self._buffer_start  # samples no future window needs
        self._buffer, self._buffer_start = self._buffer[drop:], self._buffer_start + drop
        return starts, windows


class Recognizer:
    """Streaming recognition: push samples as they arrive, get a prediction every 64 samples.

    ``push`` takes ``(n, 6)`` samples at 50 Hz (acc x, y, z in g; gyro x, y, z in rad/s), any
    ``n`` including 0, and returns the ``Predictions`` of the windows completed by them: the
    first once 128 samples have arrived, then one per 64 more. Feeding a recording in any
    chunking gives the same predictions as ``predict_samples`` on the whole of it (for a
    calibrated model, given the same ``upright``).

    A calibrated model (``upright_default``, from its ``model.json``) is calibrated against a
    fixed ``upright`` when given (``predict_samples`` gives the whole recording's), else each
    window against the reference of the stream up to it, which needs
    ``calibration.MIN_MOVING_WINDOWS`` moving windows (~8 s of walking) before it replaces
    ``upright_default``; either way the chunking does not change the predictions.
    """

    def __init__(
        self, proba_fn: ProbaFn, classes: tuple[str, ...], *,
        upright_default: np.ndarray | None = None, upright: np.ndarray | None = None,
    ) -> None:  # fmt: skip
        self.proba_fn = proba_fn
        self.classes = tuple(classes)
        self.upright_default = upright_default
        self.upright = upright  # fixed reference; None = the stream's own so far
        self._windower = _Windower()
        self._tracker = UprightTracker()

    @classmethod
    def from_model(
        cls, model: str | Path = "activity", backend: str | None = None,
        upright: np.ndarray | None = None,
    ) -> Recognizer:  # fmt: skip
        from .runs import load_run

        classifier, meta = load_run(resolve_model(model), backend)
        return cls(torch_proba(classifier), tuple(meta["classes"]),
                   upright_default=model_upright_default(meta), upright=upright)  # fmt: skip

    def push(self, samples: np.ndarray) -> Predictions:
        starts, windows = self._windower.push(samples)
        if not len(starts):
            return _predictions(starts, np.empty((0, len(self.classes))), self.classes)
        if self.upright_default is not None:
            windows = calibrate(windows, self._reference(windows), self.upright_default)
        return _predictions(starts, self.proba_fn(windows), self.classes)

    def _reference(self, windows: np.ndarray) -> np.ndarray:
        """``(3,)`` fixed or ``(N, 3)`` so far, NaN (the model's default) before enough."""
        return self.upright if self.upright is not None else self._tracker.update(windows)


def timeline_plot(samples: np.ndarray, preds: Predictions, path: Path,
                  title: str = "Predicted activity") -> None:  # fmt: skip
    """Acceleration magnitude with each window's predicted class as a coloured band."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    from .plots import save_figure

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
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors(k), alpha=0.3)
               for k in range(len(preds.classes))]  # fmt: skip
    ax.legend(handles, preds.classes, loc="upper right", fontsize=8, ncol=3)
    ax.set(xlabel="time (s)", ylabel="|acceleration| (g)", title=title, xlim=(0, t[-1]),
           ylim=(0, top))  # fmt: skip
    fig.tight_layout()
    save_figure(fig, path)


def summary_lines(preds: Predictions, warnings: list[str]) -> list[str]:
    lines = [f"warning: {w}" for w in warnings]
    total = len(preds.start) * STEP / SAMPLE_RATE_HZ
    lines.append(f"{len(preds.start)} windows, {total / 60:.1f} min")
    for name, seconds in sorted(preds.time_per_class().items(), key=lambda kv: -kv[1]):
        share = seconds / total if total else 0.0
        lines.append(f"  {name:<20}{seconds / 60:>8.1f} min  {100 * share:5.1f} %")
    return lines


def predictions_json(preds: Predictions) -> dict[str, Any]:
    return {"classes": list(preds.classes), "time_per_class_s": preds.time_per_class(),
            "windows": preds.to_frame().to_dict(orient="records")}  # fmt: skip
