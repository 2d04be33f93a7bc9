"""signal.posture: a recording's own sitting and standing clusters re-weigh the network."""

import dataclasses

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from lstm_har.data import ACTIVITIES
from lstm_har.signal.posture import posture_odds

SIT, STAND = ACTIVITIES.index("SITTING"), ACTIVITIES.index("STANDING")


def lean(degrees: np.ndarray, rng: np.random.Generator, spread: float = 1.5) -> np.ndarray:
    """``(N, 3)`` gravity (g) leaning ``degrees`` from x (the upright) towards y, jittered."""
    a = np.radians(degrees + rng.normal(scale=spread, size=len(degrees)))
    b = np.radians(rng.normal(scale=spread, size=len(degrees)))
    return np.stack([np.cos(a) * np.cos(b), np.sin(a) * np.cos(b), np.sin(b)], axis=1)


def sit_stand(q: np.ndarray) -> np.ndarray:
    """``(N, 6)`` probabilities: 0.9 shared by sitting (``q`` of it) and standing, the rest
    spread over the other four classes."""
    proba = np.full((len(q), len(ACTIVITIES)), 0.1 / 4)
    proba[:, SIT], proba[:, STAND] = 0.9 * q, 0.9 * (1 - q)
    return proba


@pytest.fixture
def recording(rng):
    """40 standing windows (5° lean) then 40 sitting (25°); the network is sure of most, and
    leans the wrong way, unsure, on the last 15 sitting windows."""
    gravity = np.concatenate([lean(np.full(40, 5.0), rng), lean(np.full(40, 25.0), rng)])
    q = np.concatenate([np.full(40, 0.1), np.full(25, 0.9), np.full(15, 0.4)])
    return sit_stand(q), gravity


def test_unsure_windows_join_the_cluster_they_lie_in(recording):
    proba, gravity = recording
    out = posture_odds(proba, gravity, SIT, STAND)
    assert (out[:40].argmax(1) == STAND).all() and (out[40:].argmax(1) == SIT).all()
    assert (proba[65:].argmax(1) == STAND).all()  # the network alone had them wrong
    np.testing.assert_allclose(out.sum(1), proba.sum(1), rtol=1e-12)
    others = [k for k in range(len(ACTIVITIES)) if k not in (SIT, STAND)]
    np.testing.assert_array_equal(out[:, others], proba[:, others])


def test_the_clusters_move_no_window_further_than_the_bound(recording):
    proba, gravity = recording
    proba = proba.copy()
    proba[70:, SIT], proba[70:, STAND] = 0.9 * 0.2, 0.9 * 0.8  # odds 1:4, past e^1
    for bound in (0.5, 1.0):
        out = posture_odds(proba, gravity, SIT, STAND, bound)

        def logit(p):
            return np.log(p[:, SIT] / p[:, STAND])

        assert np.abs(logit(out) - logit(proba)).max() <= bound * (1 + 1e-9)
    assert (posture_odds(proba, gravity, SIT, STAND)[70:].argmax(1) == STAND).all()


def test_the_phone_turned_any_way_gives_the_same_answer(recording):
    proba, gravity = recording
    out = posture_odds(proba, gravity, SIT, STAND)
    for seed in range(3):
        turned = Rotation.random(random_state=seed).apply(gravity)
        np.testing.assert_allclose(posture_odds(proba, turned, SIT, STAND), out, atol=1e-12)


def test_one_posture_in_two_poses_is_left_as_the_network_says(rng):
    # standing all along, in two poses 8° apart; the network calls the second one standing,
    # sure (1:9): the clusters alone would call it the other posture
    gravity = np.concatenate([lean(np.full(40, 3.0), rng, 0.5), lean(np.full(20, 11.0), rng, 0.5)])
    proba = sit_stand(np.concatenate([np.full(40, 0.02), np.full(20, 0.1)]))
    assert (posture_odds(proba, gravity, SIT, STAND).argmax(1) == STAND).all()
    unbounded = posture_odds(proba, gravity, SIT, STAND, np.inf)
    assert (unbounded[40:].argmax(1) == SIT).all()  # what the bound is there for


def test_too_little_to_cluster_or_no_spread_at_all(rng):
    proba = sit_stand(np.array([0.9, 0.1, 0.5]))
    gravity = lean(np.array([20.0, 5.0, 10.0]), rng)
    np.testing.assert_array_equal(posture_odds(proba, gravity, SIT, STAND), proba)
    walking = np.tile(np.eye(len(ACTIVITIES))[0], (50, 1))  # no sitting or standing at all
    np.testing.assert_array_equal(posture_odds(walking, lean(np.zeros(50), rng), SIT, STAND),
                                  walking)  # fmt: skip
    same = np.tile([1.0, 0.0, 0.0], (50, 1))  # synthetic: every window identical
    out = posture_odds(sit_stand(np.linspace(0.2, 0.8, 50)), same, SIT, STAND)
    assert np.isfinite(out).all()
    with pytest.raises(ValueError, match="posture_odds: proba"):
        posture_odds(proba, gravity[:2], SIT, STAND)


def test_the_timeline_reads_it_and_the_raw_labels_do_not(recording):
    from helpers import make_spec

    from lstm_har.inference.predictions import smoothed, window_predictions

    proba, gravity = recording
    k = len(ACTIVITIES)
    stay = np.full((k, k), 0.02 / (k - 1)) + np.eye(k) * (0.98 - 0.02 / (k - 1))
    spec = make_spec(n_classes=k).replace(transitions=tuple(map(tuple, stay)),
                                          class_prior=(1 / k,) * k, posture_odds=1.0)  # fmt: skip
    preds = window_predictions(np.arange(len(proba)) * 64, proba, spec.classes)
    preds = dataclasses.replace(preds, gravity=gravity)
    timeline = smoothed(preds, spec).label
    assert (timeline[40:] == "SITTING").all() and (timeline[:40] == "STANDING").all()
    assert (smoothed(preds, spec.replace(posture_odds=None)).label[70:] == "STANDING").all()
    assert (preds.label[65:] == "STANDING").all()  # unsmoothed: each window's own
