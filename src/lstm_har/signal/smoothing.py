"""Smoothing a window-by-window answer into a timeline: a hidden Markov model and Viterbi.

Each 2.56 s window is labelled on its own, but people do not switch activity every 1.28 s.
The windows' class probabilities are read as an HMM's emissions (a posterior over the class
prior is proportional to the likelihood), with a transition matrix from the training
recordings' label sequences (``transitions``: how long each activity lasts, not which follows
which); the most likely label sequence (``viterbi``) replaces the per-window argmax. Pure
numpy, ``(N, K)`` in, ``(N,)`` out.

A stream cannot wait for its end: ``FixedLagViterbi`` decides each window ``lag`` windows
later, by tracing back from the best state so far. It agrees with ``viterbi`` on the whole
sequence wherever the best paths have merged within the lag, which with a sticky chain
(people keep an activity for minutes) is almost everywhere; ``flush`` decides the rest as
``viterbi`` would.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from typing import Any

import numpy as np

PSEUDO_COUNT = 0.5  # per transition, so that no switch is impossible


def transitions(sequences: Iterable[np.ndarray], n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(K, K)`` row-stochastic transition matrix and ``(K,)`` class prior from label
    sequences (class indices 0..K-1, one per window).

    How long each class lasts is counted: ``T[i, i]`` is the share of class i's windows that
    the next window continues (a geometric bout length). Where a bout goes next is not: the
    rest of row i is spread evenly over the other classes. The recordings follow a script (UCI
    HAR: stand, sit, lie, walk, stairs, in that order), and its order, counted, made standing
    to walking near impossible (it never happens in the script), so that a walk begun from
    standing was smoothed away or reached through a window of LAYING.
    """
    counts = np.full((n_classes, n_classes), PSEUDO_COUNT)
    prior = np.full(n_classes, PSEUDO_COUNT)
    for seq in sequences:
        seq = np.asarray(seq, dtype=np.int64)
        np.add.at(counts, (seq[:-1], seq[1:]), 1.0)
        prior += np.bincount(seq, minlength=n_classes)
    if n_classes == 1:
        return np.ones((1, 1)), np.ones(1)
    stay = np.diag(counts) / counts.sum(axis=1)  # (K,)
    leave = (1 - stay) / (n_classes - 1)
    transition = np.where(np.eye(n_classes, dtype=bool), stay[:, None], leave[:, None])
    return transition, prior / prior.sum()


def log_emissions(proba: np.ndarray, prior: np.ndarray, weight: float = 1.0) -> np.ndarray:
    """``(N, K)`` log emissions, ``weight * log(proba / prior)`` (Bayes: the classifier's
    posterior over the prior it was trained with). A ``weight`` below 1 tempers a network's
    overconfidence, so that the chain can outvote a confident wrong window."""
    out: np.ndarray = weight * (np.log(np.clip(proba, 1e-12, 1.0)) - np.log(prior))
    return out


def viterbi(
    proba: np.ndarray, transition: np.ndarray, prior: np.ndarray, weight: float = 1.0
) -> np.ndarray:
    """The most likely class sequence ``(N,)`` given window probabilities ``(N, K)``, with
    emissions ``log_emissions(proba, prior, weight)``, starting from ``prior``; in log space.
    """
    n, k = proba.shape
    if n == 0:
        return np.empty(0, dtype=np.int64)
    log_emit = log_emissions(proba, prior, weight)  # (N, K)
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


class FixedLagViterbi:
    """Viterbi over a stream, each window decided ``lag`` windows after it arrived.

    ``push(proba)`` takes the next ``(n, K)`` window probabilities and returns the class
    indices decided by them (the windows now ``lag`` behind the newest, in order); ``flush()``
    returns those still open, traced back from the final scores. Memory: ``lag`` back-pointer
    rows, whatever the stream's length. With ``lag`` >= the sequence's length, the output is
    exactly ``viterbi``'s.
    """

    def __init__(
        self, transition: np.ndarray, prior: np.ndarray, lag: int, weight: float = 1.0
    ) -> None:
        if lag < 0:
            raise ValueError(f"FixedLagViterbi: lag must be >= 0, got {lag}")
        self.lag = lag
        self.prior = prior
        self.weight = weight
        self._log_trans = np.log(transition)  # (K, K): from row to column
        self._log_prior = np.log(prior)
        self._score: np.ndarray | None = None  # (K,) best log score ending in each class
        self._open = 0  # windows not yet decided
        # back-pointers into the previous window, for each open window but the oldest
        self._back: collections.deque[np.ndarray] = collections.deque()

    def push(self, proba: np.ndarray) -> np.ndarray:
        decided: list[int] = []
        log_emit = log_emissions(proba, self.prior, self.weight)  # (n, K)
        for row in log_emit:
            if self._score is None:
                self._score = self._log_prior + row
            else:
                step = self._score[:, None] + self._log_trans  # (K, K)
                if self._open:
                    self._back.append(step.argmax(axis=0))
                self._score = step.max(axis=0) + row
            self._open += 1
            if self._open > self.lag:  # the oldest open window is lag behind: decide it
                decided.append(self._trace()[0])
                self._open -= 1
                if self._back:
                    self._back.popleft()
        return np.asarray(decided, dtype=np.int64)

    def flush(self) -> np.ndarray:
        """Decide every open window (the stream has ended) and start afresh."""
        path = self._trace() if self._open else []
        self._score, self._open = None, 0
        self._back.clear()
        return np.asarray(path, dtype=np.int64)

    def _trace(self) -> list[int]:
        """The best path through the open windows, oldest first."""
        assert self._score is not None
        state = int(self._score.argmax())
        path = [state]
        for back in reversed(self._back):
            state = int(back[state])
            path.append(state)
        return path[::-1]


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


def sustained(flags: np.ndarray, min_run: int) -> np.ndarray:
    """``(N,)`` True for the windows in runs of True ``flags`` at least ``min_run`` long."""
    flags = np.asarray(flags, dtype=bool)
    out = np.zeros(len(flags), dtype=bool)
    for a, b, value in runs(flags):
        if value and b - a >= min_run:
            out[a:b] = True
    return out


def trailing(flags: np.ndarray, before: int, cap: int) -> int:
    """How many True ``flags`` end a sequence that ``before`` True ones preceded, at most
    ``cap``: the run a stream carries into its next windows."""
    flags = np.asarray(flags, dtype=bool)
    if flags.all():
        return min(cap, before + len(flags))
    return min(cap, len(flags) - 1 - int(np.flatnonzero(~flags)[-1]))
