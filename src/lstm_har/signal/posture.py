"""Sitting or standing, read against the recording's own two postures.

A phone on the waist tells sitting from standing by how it leans, and with its axes unknown
(any orientation) only by how far it leans from the recording's upright reference, not which
way. Some people stand leaning as far as they sit, so a network trained on other people is
sometimes unsure or wrong for a whole bout. Within one recording, though, the phone keeps its
orientation, and the person's sitting windows share one gravity direction in the phone's
frame, their standing windows another. ``posture_odds`` lets those two clusters have a say:

* the windows the network calls mostly sitting or standing (``P(sit) + P(stand) > 1/2``),
  each the direction of its mean gravity ``x_i`` (a unit vector, phone frame);
* a two-component mixture over them, tied isotropic variance ``s²`` per axis, fitted by EM
  with each window's network odds ``q_i = P(sit) / (P(sit) + P(stand))`` as its prior:

      r_i = σ(logit q_i + clip((|x_i - m_stand|² - |x_i - m_sit|²) / (2 s²), -c, c))
      m_sit = Σ r_i x_i / Σ r_i,   m_stand = Σ (1 - r_i) x_i / Σ (1 - r_i)

* each window keeps ``P(sit) + P(stand)`` and splits it ``r_i : 1 - r_i``.

The clip ``c`` bounds how far the clusters may move a window's odds (``POSTURE_ODDS``: a
factor of e). The network read the same lean, so the two are not independent evidence, and a
recording with one posture only still falls into sub-clusters (sitting on two chairs): there
the unbounded mixture splits it and relabels the smaller part. With the bound, only windows
the network left near even are moved. Nothing depends on the phone's axes: rotating the
recording rotates every ``x_i`` and both means alike.
"""

from __future__ import annotations

import numpy as np

# The most the clusters may move a window's sit/stand log-odds. Chosen on the validation
# subjects' recordings (UCI HAR 8, 17, 21, 25), all five seeds of the packaged activity sweep,
# from 0.5, 0.75, 1, 1.5 and unbounded: the fewest window errors over the recordings whole and
# with either posture taken out (benchmarks/bench_posture.py; README "Smoothing").
POSTURE_ODDS = 1.0
MIN_WINDOWS = 2.0  # a cluster with less weight than this: no second posture to learn from
ITERATIONS = 20  # EM steps; the responsibilities settle within a few
_VAR_FLOOR = 1e-8  # (unit vector)²: identical windows (synthetic data) give no spread at all
_EPS = 1e-6  # keeps the network's odds finite


def posture_odds(
    proba: np.ndarray, gravity: np.ndarray, sit: int, stand: int, bound: float = POSTURE_ODDS
) -> np.ndarray:
    """``(N, K)`` probabilities and ``(N, 3)`` each window's mean gravity (phone frame, any
    unit) -> ``(N, K)`` with the sitting/standing split re-weighed by the recording's two
    postures (module docstring); columns ``sit`` and ``stand``. Unchanged when the recording
    has too few sitting-or-standing windows for two clusters."""
    proba = np.asarray(proba, dtype=np.float64)
    gravity = np.asarray(gravity, dtype=np.float64)
    if proba.ndim != 2 or gravity.shape != (len(proba), 3):
        raise ValueError(f"posture_odds: proba (N, K) and gravity (N, 3), got "
                         f"{proba.shape} and {gravity.shape}")  # fmt: skip
    both = proba[:, sit] + proba[:, stand]
    size = np.linalg.norm(gravity, axis=1)
    static = np.flatnonzero((both > 0.5) & np.isfinite(size) & (size > 0))
    if len(static) < 2 * MIN_WINDOWS:
        return proba
    x = gravity[static] / size[static, None]  # (S, 3) unit directions
    q = np.clip(proba[static, sit] / both[static], _EPS, 1 - _EPS)
    prior = np.log(q) - np.log1p(-q)  # (S,) the network's log-odds of sitting
    r = q
    for _ in range(ITERATIONS):
        w_sit, w_stand = r.sum(), (1 - r).sum()
        if min(w_sit, w_stand) < MIN_WINDOWS:
            return proba
        m_sit, m_stand = r @ x / w_sit, (1 - r) @ x / w_stand  # (3,) each
        d_sit = ((x - m_sit) ** 2).sum(1)  # (S,)
        d_stand = ((x - m_stand) ** 2).sum(1)
        var = max((r @ d_sit + (1 - r) @ d_stand) / (3 * len(x)), _VAR_FLOOR)
        vote = np.clip((d_stand - d_sit) / (2 * var), -bound, bound)
        r = 1 / (1 + np.exp(-(prior + vote)))
    out = proba.copy()
    out[static, sit] = r * both[static]
    out[static, stand] = (1 - r) * both[static]
    return out
