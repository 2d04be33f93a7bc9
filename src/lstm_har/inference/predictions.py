"""What a model says about a recording: ``Predictions`` (one row per window), the
``Calibration`` it was read with, and ``smoothed``, which turns a whole recording's window
labels into its timeline (the HMM's path, ``UNKNOWN`` only when it lasts).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..checkpoint import ModelSpec
from ..signal.calibration import FLAT_SCREEN_DEG, screen_tilt
from ..signal.filters import SAMPLE_RATE_HZ, STEP, WINDOW
from ..signal.posture import posture_odds
from ..signal.smoothing import sustained, viterbi
from ..signal.wear import NOT_WORN

UNKNOWN = "UNKNOWN"  # a window unlike anything the model was trained on (its novelty)
# In a smoothed timeline UNKNOWN takes this many novel windows in a row (5.1 s): the threshold
# lets 1 % of windows like the training ones through, one by one, and a person wants to hear
# about a bus ride or a run, not about a 2.56 s blip inside a walk. --no-smooth shows each.
UNKNOWN_WINDOWS = 3


@dataclass(frozen=True)
class Calibration:
    """The upright reference a calibrated model read a recording against, and for an
    any-orientation model, where the phone was worn."""

    upright: np.ndarray  # (3,) g
    own: bool  # the recording's own; False: it moved too little, the model's default stood in
    pocket: bool | None = None  # in a pocket (any-orientation models; else None)
    motion: float | None = None  # g, the median motion that told the placement (None: given)

    @property
    def mirrored(self) -> bool:
        """The phone was worn the other way round (y read mirrored, signal.calibration)."""
        return self.pocket is None and bool(self.upright[1] > 0)

    @property
    def placement(self) -> str | None:
        return None if self.pocket is None else ("pocket" if self.pocket else "waist")

    @property
    def warnings(self) -> list[str]:
        """What a person should doubt about this reference, one sentence each."""
        if not self.own:
            return ["the recording moves too little to find its upright pose; calibrating "
                    "with the model's default"]  # fmt: skip
        tilt = screen_tilt(self.upright)
        if tilt >= FLAT_SCREEN_DEG:
            return []
        side = "up" if self.upright[2] > 0 else "down"  # Android's signs: +z reads up
        return [f"the phone lay flat while you moved (screen {side}, {tilt:.0f}° from level: in "
                "a hand or a bag?), where the models know a phone upright on the waist or in a "
                "trouser pocket; these labels may be wrong"]  # fmt: skip


@dataclass(frozen=True)
class Predictions:
    """One row per window: ``start``/``end`` in seconds, and each class's probability."""

    start: np.ndarray  # (N,) seconds from the recording's first sample
    end: np.ndarray  # (N,)
    proba: np.ndarray  # (N, K) each window's own probabilities
    classes: tuple[str, ...]
    calibration: Calibration | None = None  # calibrated models, whole recordings only
    path: np.ndarray | None = None  # (N,) class indices after smoothing; None = unsmoothed
    still: np.ndarray | None = None  # (N,) bool: no body motion in the window (signal.wear)
    not_worn: np.ndarray | None = None  # (N,) bool: in a minute or more of stillness
    # (N, 2) least and most |total acc| (g) over each window's first hop, to draw the recording
    acc_range: np.ndarray | None = None
    # (N,) bool: novelty past the model's threshold; smoothed, UNKNOWN_WINDOWS of them in a row
    unknown: np.ndarray | None = None
    gravity: np.ndarray | None = None  # (N, 3) g: each window's mean total acc, phone frame

    @property
    def chosen(self) -> np.ndarray:
        """``(N,)`` class index per window: the smoothed path, else each window's argmax."""
        return self.proba.argmax(1) if self.path is None else self.path

    @property
    def label(self) -> np.ndarray:
        """``(N,)`` the class name of each window, or ``NOT_WORN`` for a phone lying still, or
        ``UNKNOWN`` for a window unlike anything the model was trained on."""
        labels: np.ndarray = np.asarray(self.classes, dtype=object)[self.chosen]
        if self.unknown is not None:
            labels[self.unknown] = UNKNOWN
        if self.not_worn is not None:
            labels[self.not_worn] = NOT_WORN
        return labels

    def to_frame(self) -> pd.DataFrame:
        chosen = self.proba[np.arange(len(self.proba)), self.chosen]
        frame = pd.DataFrame({"start_s": self.start, "end_s": self.end, "label": self.label,
                              "probability": chosen})  # fmt: skip
        for k, name in enumerate(self.classes):
            frame[f"p_{name}"] = self.proba[:, k]
        return frame

    def time_per_class(self) -> dict[str, float]:
        """Seconds per class, each window counted for the hop it advances (1.28 s); the time
        unknown and not worn are entries of their own, outside the activities."""
        counts = pd.Series(self.label).value_counts()
        names = [*self.classes, *(x for x in (UNKNOWN, NOT_WORN) if x in counts)]
        return {c: float(counts.get(c, 0)) * STEP / SAMPLE_RATE_HZ for c in names}


def window_predictions(
    starts: np.ndarray, proba: np.ndarray, classes: tuple[str, ...]
) -> Predictions:
    """Windows starting at sample indices ``starts`` ``(N,)`` with probabilities ``(N, K)``."""
    start = starts / SAMPLE_RATE_HZ
    return Predictions(start, start + WINDOW / SAMPLE_RATE_HZ, proba, classes)


def empty_predictions(classes: tuple[str, ...]) -> Predictions:
    """No windows, with every per-window field a stream fills (so that joins keep them)."""
    empty = window_predictions(np.empty(0, np.int64), np.empty((0, len(classes))), classes)
    return dataclasses.replace(empty, still=np.zeros(0, dtype=bool), acc_range=np.empty((0, 2)),
                               unknown=np.zeros(0, dtype=bool),
                               gravity=np.empty((0, 3), np.float32))  # fmt: skip


def join_predictions(
    parts: list[tuple[float, Predictions]], classes: tuple[str, ...]
) -> Predictions:
    """Predictions end to end, each part's times shifted by its offset (seconds); the
    per-window fields (smoothed path, stillness, not worn) kept where every part has them."""
    if not parts:
        return empty_predictions(classes)
    start = np.concatenate([offset + p.start for offset, p in parts])

    def field(name: str) -> np.ndarray | None:
        values = [getattr(p, name) for _, p in parts]
        return None if any(v is None for v in values) else np.concatenate(values)

    proba = np.concatenate([p.proba for _, p in parts])
    return Predictions(start, start + WINDOW / SAMPLE_RATE_HZ, proba, classes, path=field("path"),
                       still=field("still"), not_worn=field("not_worn"),
                       acc_range=field("acc_range"), unknown=field("unknown"),
                       gravity=field("gravity"))  # fmt: skip


def smoothed(preds: Predictions, spec: ModelSpec) -> Predictions:
    """A whole recording's unsmoothed ``preds`` as its timeline: labels from the model's HMM
    (``spec.hmm()``, with ``spec.emission_weight`` and bouts of at least ``spec.min_bout``
    windows), ``UNKNOWN`` only ``UNKNOWN_WINDOWS`` novel windows in a row. Unchanged for a
    model without an HMM.

    A model with ``spec.posture_odds`` first has each window's sitting/standing split
    re-weighed by the recording's own two postures (``signal.posture``); the HMM reads that.
    """
    hmm = spec.hmm()
    if hmm is None or not len(preds.start):
        return preds
    emissions = hmm_emissions(preds, hmm[1])
    if spec.posture_odds is not None and preds.gravity is not None:
        sit, stand = spec.classes.index("SITTING"), spec.classes.index("STANDING")
        emissions = posture_odds(emissions, preds.gravity, sit, stand, spec.posture_odds)
    path = viterbi(emissions, *hmm, spec.emission_weight, spec.min_bout)
    unknown = None if preds.unknown is None else sustained(preds.unknown, UNKNOWN_WINDOWS)
    return dataclasses.replace(preds, path=path, unknown=unknown)


def hmm_emissions(preds: Predictions, prior: np.ndarray) -> np.ndarray:
    """The probabilities the HMM reads: an UNKNOWN window says nothing (the prior), so the
    activity around it carries on through it."""
    if preds.unknown is None or not preds.unknown.any():
        return preds.proba
    return np.where(preds.unknown[:, None], prior, preds.proba)
