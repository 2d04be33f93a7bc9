"""How far the smoothing HMM trusts each window, and its shortest bout, fitted on validation.

The transitions come from the training subjects' label sequences (``runs.spec_for``),
but a network trained with cross-entropy is overconfident: a wrong window often comes with a
probability near 1, which no transition outvotes, so a timeline flickers. The emission weight
(``signal.smoothing.log_emissions``) tempers that; the minimum bout
(``signal.smoothing.duration_chain``) keeps a few windows of a postural transition or a turn
from becoming bouts of their own. Both are fitted on the validation subjects' whole
recordings (postural transitions and unlabelled stretches included, as in real use), smoothed
with each pair from ``WEIGHTS`` x ``MIN_BOUTS`` as ``lstm-har predict`` does, by the
one-standard-error rule (Hastie, Tibshirani & Friedman, *The Elements of Statistical
Learning*, 2nd ed., §7.10): of the pairs whose window errors (on the windows lying inside one
activity) are within one binomial standard error of the fewest, the one whose timeline has
the fewest bouts, the smoothest that the validation data cannot tell from the best. No test
subject is looked at. A source without whole recordings (the official release) keeps 1 and 1.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..checkpoint import ModelSpec
from ..data.sources import LabeledRecording
from ..inference.predictions import Predictions, smoothed
from ..inference.predictor import Predictor
from ..models import Classifier
from ..signal.smoothing import runs
from .metrics import window_truth

_K = TypeVar("_K", bound=Hashable)

WEIGHTS = (1.0, 0.7, 0.5, 0.35, 0.25, 0.15)  # from plain Viterbi to heavy smoothing
# Shortest bouts in windows (1.28 s on each), up to 8 (a 10 s bout: stepcount's window; actinet
# reads 30 s epochs). Validation cannot show the cost of a longer one: the scripted HAPT bouts
# are rarely that short (training subjects' activity segments: 1st percentile 7.9 s, 5th
# 10.5 s), but a person's day has short walks and stops.
MIN_BOUTS = (1, 2, 4, 8)


@dataclass(frozen=True)
class ScoredRecording:
    """One validation recording as the model labels it, unsmoothed, beside its truth."""

    preds: Predictions  # each window's own probabilities (Predictor.predict, smooth=False)
    truth: np.ndarray  # (N,) the true class name of each window
    pure: np.ndarray  # (N,) bool: the window lies wholly inside one activity (is scored)


def score_recordings(
    predictor: Predictor, recordings: Sequence[LabeledRecording]
) -> list[ScoredRecording]:
    """Each of ``recordings`` labelled once by ``predictor``, unsmoothed, with its truth."""
    scored = []
    for r in recordings:
        preds = predictor.predict(np.concatenate([r.acc, r.gyro], axis=1), smooth=False)
        scored.append(ScoredRecording(preds, *window_truth(r.labels, len(preds.label),
                                                           predictor.spec.task)))  # fmt: skip
    return scored


def fit_smoothing(model: Classifier, recordings: Sequence[LabeledRecording]) -> Classifier:
    """Set ``model.spec.emission_weight`` and ``min_bout`` from the validation ``recordings``
    (module docstring); returns the model."""
    if model.spec.hmm() is None or not recordings:
        return model
    scored = score_recordings(Predictor.from_classifier(model), recordings)
    weight, min_bout = one_standard_error(smoothing_costs(model.spec, scored),
                                          sum(int(s.pure.sum()) for s in scored))  # fmt: skip
    model.spec = model.spec.replace(emission_weight=weight, min_bout=min_bout)
    return model


def smoothing_costs(
    spec: ModelSpec, scored: Sequence[ScoredRecording]
) -> dict[tuple[float, int], tuple[int, int]]:
    """What each ``(emission weight, minimum bout)`` of ``WEIGHTS`` x ``MIN_BOUTS`` costs on
    the ``scored`` recordings as ``lstm-har predict`` smooths them with ``spec``: ``{pair:
    (window errors, bouts)}``, errors over the windows lying inside one activity, bouts over
    the whole recordings. Plainer smoothings first (``one_standard_error``'s ties)."""

    def cost(weight: float, min_bout: int) -> tuple[int, int]:
        errors = bouts = 0
        for s in scored:
            label = smoothed(s.preds, spec.replace(emission_weight=weight, min_bout=min_bout)).label
            errors += int((label[s.pure] != s.truth[s.pure]).sum())
            bouts += len(runs(label))
        return errors, bouts

    return {(w, m): cost(w, m) for m in MIN_BOUTS for w in WEIGHTS}


def one_standard_error(costs: dict[_K, tuple[int, int]], n_windows: int) -> _K:
    """The key with the fewest bouts among those whose errors are within one binomial
    standard error, sqrt(e (1 - e / n)), of the fewest ``e``; ``costs`` maps each candidate
    (a smoothing's parameters) to ``(errors, bouts)`` over ``n_windows``. Ties go to the
    candidate listed first."""
    best = min(errors for errors, _ in costs.values())
    se = math.sqrt(best * (1 - best / n_windows)) if n_windows else 0.0
    close = [key for key, (errors, _) in costs.items() if errors <= best + se]
    return min(close, key=lambda key: costs[key][1])
