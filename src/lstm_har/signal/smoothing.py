"""Smoothing a window-by-window answer into a timeline: a hidden Markov model and Viterbi.

Each 2.56 s window is labelled on its own, but people do not switch activity every 1.28 s.
The windows' class probabilities are read as an HMM's emissions (a posterior over the class
prior is proportional to the likelihood), with a transition matrix from the training
recordings' label sequences (``transitions``: how long each activity lasts, not which follows
which); the most likely label sequence (``viterbi``) replaces the per-window argmax. Pure
numpy, ``(N, K)`` in, ``(N,)`` out.

A bout shorter than ``min_run`` windows is not allowed between two others (``duration_chain``:
each class becomes a chain of ``min_run`` states that must be passed through, the last of them
sticky), a hidden semi-Markov model's minimum duration in plain HMM form. The first and last
bouts of a recording may be shorter: it starts and ends inside them.

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


def duration_chain(
    transition: np.ndarray, prior: np.ndarray, min_run: int
) -> tuple[np.ndarray, np.ndarray]:
    """The HMM ``(K, K)``, ``(K,)`` with each class's bouts at least ``min_run`` windows long,
    as a plain HMM over ``K * min_run`` states, ``(K * min_run, K * min_run)`` transitions and
    ``(K * min_run,)`` start probabilities. State ``k * min_run + j`` is the ``j``-th window of
    a bout of class ``k`` (``state // min_run`` is the class): from ``j < min_run - 1`` the
    bout goes on to ``j + 1``; the last state stays with ``T[k, k]`` and leaves to the first
    state of class ``l`` with ``T[k, l]``. A recording may start in any state (``prior[k] /
    min_run`` each). ``min_run = 1`` gives the HMM back unchanged."""
    if min_run < 1:
        raise ValueError(f"duration_chain: min_run must be >= 1, got {min_run}")
    k, m = len(prior), min_run
    chain = np.zeros((k * m, k * m))
    first, last = np.arange(k) * m, np.arange(k) * m + m - 1
    for j in range(m - 1):  # inside a bout: on to its next window
        chain[first + j, first + j + 1] = 1.0
    chain[np.ix_(last, first)] = transition - np.diag(np.diag(transition))  # (K, K) leaving
    chain[last, last] = np.diag(transition)
    return chain, np.repeat(np.asarray(prior, dtype=np.float64) / m, m)


def _log(x: np.ndarray) -> np.ndarray:
    """log with log(0) = -inf (a chain's impossible steps), without numpy's warning."""
    out: np.ndarray = np.full(x.shape, -np.inf)
    np.log(x, out=out, where=x > 0)
    return out


def _log_chain(
    transition: np.ndarray, prior: np.ndarray, min_run: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``duration_chain`` in log space, for both Viterbis: ``(S, S)`` log transitions, ``(S,)``
    log start, and ``(S,)`` each state's class (which emission column it reads), S = K*m."""
    chain, start = duration_chain(transition, prior, min_run)
    owner = np.arange(len(start)) // min_run
    return _log(chain), _log(start), owner


def _back_dtype(n_states: int) -> type[np.integer]:
    """The smallest integer type for back-pointers: a week of windows keeps one per state."""
    return np.uint8 if n_states <= 256 else np.int32


def viterbi(
    proba: np.ndarray, transition: np.ndarray, prior: np.ndarray, weight: float = 1.0,
    min_run: int = 1,
) -> np.ndarray:  # fmt: skip
    """The most likely class sequence ``(N,)`` given window probabilities ``(N, K)``, with
    emissions ``log_emissions(proba, prior, weight)``, starting from ``prior``, no bout but the
    first and last shorter than ``min_run`` windows (``duration_chain``); in log space.
    """
    n, k = proba.shape
    if n == 0:
        return np.empty(0, dtype=np.int64)
    log_trans, log_start, owner = _log_chain(transition, prior, min_run)  # (S, S): row to column
    log_emit = log_emissions(proba, prior, weight)  # (N, K); [t, owner]: (K,) -> (S,)
    score = log_start + log_emit[0, owner]
    back = np.empty((n, k * min_run), dtype=_back_dtype(k * min_run))
    for t in range(1, n):
        step = score[:, None] + log_trans  # (S, S): best way into each column
        back[t] = step.argmax(axis=0)
        score = step.max(axis=0) + log_emit[t, owner]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(score.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path // min_run


class FixedLagViterbi:
    """Viterbi over a stream, each window decided ``lag`` windows after it arrived.

    ``push(proba)`` takes the next ``(n, K)`` window probabilities and returns the class
    indices decided by them (the windows now ``lag`` behind the newest, in order); ``flush()``
    returns those still open, traced back from the final scores. Memory: ``lag`` back-pointer
    rows, whatever the stream's length. With ``lag`` >= the sequence's length, the output is
    exactly ``viterbi``'s (the same ``weight`` and ``min_run``).
    """

    def __init__(
        self, transition: np.ndarray, prior: np.ndarray, lag: int, weight: float = 1.0,
        min_run: int = 1,
    ) -> None:  # fmt: skip
        if lag < 0:
            raise ValueError(f"FixedLagViterbi: lag must be >= 0, got {lag}")
        self.lag = lag
        self.prior = prior
        self.weight = weight
        self.min_run = min_run
        # (S, S) from row to column, (S,), (S,) each state's class; S = K * min_run
        self._log_trans, self._log_prior, self._owner = _log_chain(transition, prior, min_run)
        self._score: np.ndarray | None = None  # (S,) best log score ending in each state
        self._open = 0  # windows not yet decided
        # back-pointers into the previous window, for each open window but the oldest
        self._back: collections.deque[np.ndarray] = collections.deque()

    def push(self, proba: np.ndarray) -> np.ndarray:
        decided: list[int] = []
        log_emit = log_emissions(proba, self.prior, self.weight)  # (n, K)
        for row in log_emit[:, self._owner]:  # (n, K) -> (n, S)
            if self._score is None:
                self._score = self._log_prior + row
            else:
                step = self._score[:, None] + self._log_trans  # (K, K)
                if self._open:
                    self._back.append(step.argmax(axis=0))
                self._score = step.max(axis=0) + row
            self._open += 1
            if self._open > self.lag:  # the oldest open window is lag behind: decide it
                decided.append(self._trace()[0] // self.min_run)
                self._open -= 1
                if self._back:
                    self._back.popleft()
        return np.asarray(decided, dtype=np.int64)

    def flush(self) -> np.ndarray:
        """Decide every open window (the stream has ended) and start afresh."""
        path = self._trace() if self._open else []
        self._score, self._open = None, 0
        self._back.clear()
        return np.asarray(path, dtype=np.int64) // self.min_run

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
