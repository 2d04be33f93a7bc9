"""How far the smoothing HMM trusts each window: its emission weight, fitted on validation.

The transitions are counted from the training subjects' label sequences (``runs.spec_for``),
but a network trained with cross-entropy is overconfident: a wrong window often comes with a
probability near 1, which no transition outvotes, so a timeline flickers. The emission weight
(``signal.smoothing.log_emissions``) tempers that. It is the one of ``WEIGHTS`` whose
timeline, made as ``lstm-har predict`` makes it, errs least on the windows lying inside one
activity of the validation subjects' whole recordings (postural transitions and unlabelled
stretches included, as in real use); ties go to the one with fewer bouts. No test subject is
looked at. A source without whole recordings (the official release) keeps the weight at 1.
"""

from __future__ import annotations

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
    raw = [(predictor.predict(np.concatenate([r.acc, r.gyro], axis=1), smooth=False), r.labels)
           for r in recordings]  # fmt: skip

    def cost(weight: float) -> tuple[int, int]:
        errors = bouts = 0
        for preds, labels in raw:
            label = smoothed(preds, model.spec, weight).label
            truth, pure = window_truth(labels, len(label), model.spec.task)
            errors += int((label[pure] != truth[pure]).sum())
            bouts += len(runs(label))
        return errors, bouts

    model.spec = model.spec.replace(emission_weight=min(WEIGHTS, key=cost))
    return model
