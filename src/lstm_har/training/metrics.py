"""The one evaluation routine: probabilities in batches, then scikit-learn's metrics."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
)

from ..data import ACTIVITIES
from ..models import Classifier
from ..signal.filters import STEP, WINDOW


def metrics(
    y_true: np.ndarray,
    proba: np.ndarray,
    classes: tuple[str, ...],
    subject: np.ndarray | None = None,
) -> dict[str, Any]:
    """Accuracy, balanced accuracy, macro-F1, log loss, confusion matrix, per-subject accuracy."""
    labels = list(range(len(classes)))
    y_pred = proba.argmax(1)
    # float32 probabilities sum to 1 only within rounding; log loss wants them exact
    clipped = np.clip(proba.astype(np.float64), 1e-7, 1.0)
    clipped /= clipped.sum(1, keepdims=True)
    # A data set may lack a class (MotionSense has no LAYING): balance and average over the
    # classes that are true or predicted; a class that is neither says nothing.
    seen = sorted(set(np.unique(y_true).tolist()) | set(np.unique(y_pred).tolist()))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        balanced = float(balanced_accuracy_score(y_true, y_pred))
    out: dict[str, Any] = {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": balanced,
        "macro_f1": float(f1_score(y_true, y_pred, labels=seen, average="macro", zero_division=0)),
        "log_loss": float(log_loss(y_true, clipped, labels=labels)),
        "classes": list(classes),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }
    # each class's recall (the share of its windows found), for the classes the data has
    out["recall"] = {classes[k]: float((y_pred[y_true == k] == k).mean())
                     for k in labels if (y_true == k).any()}  # fmt: skip
    if subject is not None:
        out["per_subject"] = {
            str(int(s)): float(accuracy_score(y_true[subject == s], y_pred[subject == s]))
            for s in np.unique(subject)
        }
    return out


def evaluate(
    model: Classifier,
    X: np.ndarray,
    y: np.ndarray,
    classes: tuple[str, ...],
    subject: np.ndarray | None = None,
    batch_size: int = 512,
) -> dict[str, Any]:
    """``metrics`` of ``model`` on windows ``X``, plus the share of them it calls UNKNOWN."""
    proba, novelty = model.predict_scores(X, batch_size)
    out = metrics(y, proba, classes, subject)
    threshold = model.spec.novelty_threshold
    if threshold is not None:
        out["unknown_rate"] = float((novelty > threshold).mean()) if len(novelty) else 0.0
    return out


def majority_baseline(y_train: np.ndarray, y_test: np.ndarray) -> dict[str, Any]:
    """What always answering the training set's most common class scores on the test set."""
    majority = int(np.bincount(y_train).argmax())
    return {"class": majority, "accuracy": float((y_test == majority).mean())}


def window_truth(labels: np.ndarray, n_windows: int, task: str) -> tuple[np.ndarray, np.ndarray]:
    """The true class name of each of ``n_windows`` windows (every 64 samples from the first)
    of a recording with one HAPT label per sample, and whether the window lies wholly inside
    one of the six activities (the windows that are scored).

    HAPT labels: 1..6 the activities (``data.ACTIVITIES``), 7..12 postural transitions, -1
    unlabelled. For the walking task the names are WALKING and NON_WALKING.
    """
    starts = np.arange(n_windows) * STEP
    spans = np.asarray(labels)[starts[:, None] + np.arange(WINDOW)]  # (N, 128) sample labels
    pure = (spans == spans[:, :1]).all(1) & (spans[:, 0] >= 1) & (spans[:, 0] <= 6)
    names = np.asarray(ACTIVITIES)[np.clip(spans[:, 0], 1, 6) - 1]
    if task == "walking":
        names = np.where(names == "WALKING", "WALKING", "NON_WALKING")
    return names, pure
