"""Smoothing a window-by-window answer into a timeline: a hidden Markov model and Viterbi.

Each 2.56 s window is labelled on its own, but people do not switch activity every 1.28 s.
The windows' class probabilities are read as an HMM's emissions (a posterior over the class
prior is proportional to the likelihood), with a transition matrix counted from the training
recordings' label sequences (``transitions``); the most likely label sequence (``viterbi``)
replaces the per-window argmax. Pure numpy, ``(N, K)`` in, ``(N,)`` out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

PSEUDO_COUNT = 0.5  # per transition, so that no switch is impossible


def transitions(sequences: Iterable[np.ndarray], n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(K, K)`` row-stochastic transition matrix and ``(K,)`` class prior, counted over the
    consecutive windows of each label sequence (class indices 0..K-1, one per window)."""
    counts = np.full((n_classes, n_classes), PSEUDO_COUNT)
    prior = np.full(n_classes, PSEUDO_COUNT)
    for seq in sequences:
        seq = np.asarray(seq, dtype=np.int64)
        np.add.at(counts, (seq[:-1], seq[1:]), 1.0)
        prior += np.bincount(seq, minlength=n_classes)
    return counts / counts.sum(axis=1, keepdims=True), prior / prior.sum()


def viterbi(proba: np.ndarray, transition: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The most likely class sequence ``(N,)`` given window probabilities ``(N, K)``.

    Emissions are ``proba / prior`` (Bayes: the classifier's posterior over the prior it was
    trained with), the chain starts from ``prior``; all in log space.
    """
    n, k = proba.shape
    if n == 0:
        return np.empty(0, dtype=np.int64)
    log_emit = np.log(np.clip(proba, 1e-12, 1.0)) - np.log(prior)  # (N, K)
    log_trans = np.log(transition)  # (K, K): from row to column
    score = np.log(prior) + log_emit[0]
    back = np.empty((n, k), dtype=np.int64)
    for t in range(1, n):
        step = score[:, None] + log_trans  # (K, K): best way into each column
        back[t] = step.argmax(axis=0)
        score = step.max(axis=0) + log_emit[t]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(score.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def runs(labels: np.ndarray) -> list[tuple[int, int, Any]]:
    """``(start, end, label)`` of each run of equal consecutive labels (of any kind: class
    indices, names), ``end`` exclusive."""
    labels = np.asarray(labels)
    if not len(labels):
        return []
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(labels)]])
    return [(int(a), int(b), labels[a]) for a, b in zip(starts, ends, strict=True)]
