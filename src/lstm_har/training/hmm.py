"""How far the smoothing HMM trusts each window: its emission weight, fitted on validation.

The transitions come from the training subjects' label sequences (``runs.spec_for``),
but a network trained with cross-entropy is overconfident: a wrong window often comes with a
probability near 1, which no transition outvotes, so a timeline flickers. The emission weight
(``signal.smoothing.log_emissions``) tempers that. It is fitted on the validation subjects'
whole recordings (postural transitions and unlabelled stretches included, as in real use),
smoothed with each of ``WEIGHTS`` as ``lstm-har predict`` does, by the one-standard-error rule
(Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*, 2nd ed., §7.10): of
the weights whose window errors (on the windows lying inside one activity) are within one
binomial standard error of the fewest, the one whose timeline has the fewest bouts, the
smoothest that the validation data cannot tell from the best. No test subject is looked at.
A source without whole recordings (the official release) keeps the weight at 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..data.sources import LabeledRecording
from ..inference.predictions import smoothed
from ..inference.predictor import Predictor
from ..models import Classifier
from ..signal.smoothing import runs
from .metrics import window_truth

WEIGHTS = (1.0, 0.7, 0.5, 0.35, 0.25, 0.15)  # from plain Viterbi to heavy smoothing


def fit_emission_weight(model: Classifier, recordings: Sequence[LabeledRecording]) -> Classifier:
    """Set ``model.spec.emission_weight`` from the validation ``recordings``; returns it."""
    if model.spec.hmm() is None or not recordings:
        return model
    predictor = Predictor.from_classifier(model)
    scored = []  # (raw predictions, true label per window, whether it lies inside one activity)
    for r in recordings:
        preds = predictor.predict(np.concatenate([r.acc, r.gyro], axis=1), smooth=False)
        scored.append((preds, *window_truth(r.labels, len(preds.label), model.spec.task)))
    n_windows = sum(int(pure.sum()) for *_, pure in scored)

    def cost(weight: float) -> tuple[int, int]:
        errors = bouts = 0
        for preds, truth, pure in scored:
            label = smoothed(preds, model.spec, weight).label
            errors += int((label[pure] != truth[pure]).sum())
            bouts += len(runs(label))
        return errors, bouts

    weight = one_standard_error({w: cost(w) for w in WEIGHTS}, n_windows)
    model.spec = model.spec.replace(emission_weight=weight)
    return model


def one_standard_error(costs: dict[float, tuple[int, int]], n_windows: int) -> float:
    """The weight with the fewest bouts among those whose errors are within one binomial
    standard error, sqrt(e (1 - e / n)), of the fewest ``e``; ``costs`` maps each weight to
    ``(errors, bouts)`` over ``n_windows``. Ties go to the weight listed first."""
    best = min(errors for errors, _ in costs.values())
    se = math.sqrt(best * (1 - best / n_windows)) if n_windows else 0.0
    close = [w for w, (errors, _) in costs.items() if errors <= best + se]
    return min(close, key=lambda w: costs[w][1])
