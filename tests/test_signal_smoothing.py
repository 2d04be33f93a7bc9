"""The smoothing HMM: Viterbi against brute force, transition counts, and predict's switch."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from lstm_har.cli import main
from lstm_har.inference.predictions import UNKNOWN_WINDOWS
from lstm_har.signal.smoothing import (
    FixedLagViterbi,
    duration_chain,
    log_emissions,
    runs,
    sustained,
    trailing,
    transitions,
    viterbi,
)


def _brute_force(proba, transition, prior):
    best, best_path = -np.inf, None
    emit = np.log(proba) - np.log(prior)
    for path in itertools.product(range(proba.shape[1]), repeat=len(proba)):
        score = np.log(prior[path[0]]) + emit[0, path[0]]
        for t in range(1, len(path)):
            score += np.log(transition[path[t - 1], path[t]]) + emit[t, path[t]]
        if score > best:
            best, best_path = score, path
    return np.array(best_path)


def _min_run_brute_force(proba, transition, prior, m):
    """The best path whose bouts, but the first and the last, last at least ``m`` windows;
    each bout's first ``m`` windows are a forced chain (no T[k, k] paid), a start costs
    prior / m (signal.smoothing.duration_chain)."""
    best, best_path = -np.inf, None
    emit = np.log(proba) - np.log(prior)
    for path in itertools.product(range(proba.shape[1]), repeat=len(proba)):
        bouts = runs(np.array(path))
        if any(b - a < m for a, b, _ in bouts[1:-1]):
            continue
        score = np.log(prior[path[0]] / m) + emit[np.arange(len(path)), path].sum()
        score += sum(max(0, b - a - m) * np.log(transition[k, k]) for a, b, k in bouts)
        score += sum(np.log(transition[x[2], y[2]]) for x, y in itertools.pairwise(bouts))
        if score > best:
            best, best_path = score, path
    return np.array(best_path)


@pytest.mark.parametrize("m", [1, 2, 3])
def test_viterbi_finds_the_best_path_with_no_bout_shorter_than_m(m):
    rng = np.random.default_rng(m)
    for _ in range(30):
        n, k = rng.integers(1, 8), rng.integers(2, 4)
        proba = rng.dirichlet(np.ones(k), n)
        transition = rng.dirichlet(np.ones(k), k)
        prior = rng.dirichlet(np.ones(k))
        best = _min_run_brute_force(proba, transition, prior, m)
        np.testing.assert_array_equal(viterbi(proba, transition, prior, min_run=m), best)
        if m == 1:  # any bout length: the plain HMM, scored step by step
            np.testing.assert_array_equal(best, _brute_force(proba, transition, prior))


def test_duration_chain_is_a_plain_hmm_and_min_run_one_changes_nothing():
    transition = np.array([[0.9, 0.06, 0.04], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    prior = np.array([0.2, 0.3, 0.5])
    chain, start = duration_chain(transition, prior, 4)  # (12, 12), (12,)
    np.testing.assert_allclose(chain.sum(1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(start.sum(), 1.0, rtol=0, atol=1e-15)
    assert chain[0, 1] == chain[1, 2] == chain[2, 3] == 1.0  # class 0's forced windows
    assert chain[3, 3] == 0.9 and chain[3, 4] == 0.06 and chain[3, 8] == 0.04
    same, same_start = duration_chain(transition, prior, 1)
    np.testing.assert_array_equal(same, transition)
    np.testing.assert_array_equal(same_start, prior)
    with pytest.raises(ValueError, match="min_run"):
        duration_chain(transition, prior, 0)


def test_a_minimum_bout_removes_short_flickers_and_keeps_long_bouts():
    sticky = np.array([[0.95, 0.05], [0.05, 0.95]])
    prior = np.array([0.5, 0.5])
    confident = np.array([0.1, 0.9])  # a turn, a few windows of a transition
    proba = np.array([[0.9, 0.1]] * 10 + [confident] * 3 + [[0.9, 0.1]] * 10
                     + [confident] * 6 + [[0.9, 0.1]] * 10)  # fmt: skip
    plain = viterbi(proba, sticky, prior)
    assert len(runs(plain)) == 5  # the 3-window flicker survives plain Viterbi
    four = viterbi(proba, sticky, prior, min_run=4)
    assert four.tolist() == [0] * 23 + [1] * 6 + [0] * 10
    # the first and last bouts may be short: the recording starts and ends inside them
    edges = np.array([confident] * 2 + [[0.9, 0.1]] * 10 + [confident] * 2)
    assert viterbi(edges, sticky, prior, min_run=4).tolist() == [1] * 2 + [0] * 10 + [1] * 2


def test_a_lone_flicker_is_smoothed_away_but_a_real_change_is_kept():
    sticky = np.array([[0.95, 0.05], [0.05, 0.95]])
    proba = np.array([[0.9, 0.1]] * 5 + [[0.4, 0.6]] + [[0.9, 0.1]] * 5 + [[0.1, 0.9]] * 6)
    path = viterbi(proba, sticky, np.array([0.5, 0.5]))
    assert path.tolist() == [0] * 11 + [1] * 6
    assert [(a, b, int(c)) for a, b, c in runs(path)] == [(0, 11, 0), (11, 17, 1)]


def test_transitions_count_how_long_a_class_lasts_per_sequence():
    t, prior = transitions([np.array([0, 0, 1, 1]), np.array([1, 0])], 2)
    counts = np.array([[1, 1], [1, 1]]) + 0.5  # 0->0, 0->1, 1->1, 1->0 once each
    np.testing.assert_allclose(t, counts / counts.sum(1, keepdims=True))
    np.testing.assert_allclose(prior, np.array([3.5, 3.5]) / 7)


def test_transitions_keep_no_order_of_classes_from_a_script():
    # a script that always goes 0 -> 1 -> 2: class 0 lasts 3 windows, 1 and 2 last 2
    script = np.array([0, 0, 0, 1, 1, 2, 2])
    t, _ = transitions([script] * 10, 3)
    stay = [(20 + 0.5) / (30 + 1.5), (10 + 0.5) / (20 + 1.5), (10 + 0.5) / (10 + 1.5)]
    np.testing.assert_allclose(np.diag(t), stay)
    # 0 -> 2 never happened, yet it is as likely as 0 -> 1, the step the script always took
    np.testing.assert_allclose(t[0, 1], t[0, 2])
    np.testing.assert_allclose(t[0, 2], (1 - stay[0]) / 2)
    np.testing.assert_allclose(t.sum(1), 1.0)
    assert transitions([np.array([0, 0])], 1)[0].tolist() == [[1.0]]


def test_predict_smooths_by_default_and_not_with_no_smooth(tiny_config, tmp_path, capsys):
    from lstm_har.models import Classifier
    from lstm_har.training import runs as run_dirs

    run_dirs.train_run(tiny_config.replace(epochs=1), tmp_path / "run")
    spec = Classifier.load(tmp_path / "run").spec
    assert spec.hmm() is not None and len(spec.transitions) == 2
    t = np.arange(3000) / 50
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"time": t, "acc_x": 1 + 0.3 * rng.normal(size=len(t)), "acc_y": 0.0,
                          "acc_z": 0.0, "gyro_x": 0.3 * rng.normal(size=len(t)),
                          "gyro_y": 0.0, "gyro_z": 0.0})  # fmt: skip
    frame.to_csv(tmp_path / "r.csv", index=False)
    outs = {}
    for flag in ([], ["--no-smooth"]):
        out = tmp_path / f"p{len(flag)}.json"  # JSON: the probabilities unrounded
        assert main(["predict", str(tmp_path / "r.csv"), "--model", str(tmp_path / "run"),
                     "--format", "json", "--out", str(out), *flag]) == 0  # fmt: skip
        outs[bool(flag)] = pd.DataFrame(json.loads(out.read_text())["windows"])
    raw, smooth = outs[True], outs[False]
    p = raw[[f"p_{c}" for c in spec.classes]].to_numpy()
    unknown = raw["label"].to_numpy() == "UNKNOWN"  # novel windows: UNKNOWN either way
    assert unknown.mean() < 0.5
    assert (
        raw["label"].to_numpy()[~unknown] == np.asarray(spec.classes)[p.argmax(1)][~unknown]
    ).all()
    transition, prior = spec.hmm()
    emissions = np.where(unknown[:, None], prior, p)  # an UNKNOWN window says nothing
    expected = np.where(  # smoothed, UNKNOWN takes UNKNOWN_WINDOWS novel windows in a row
        sustained(unknown, UNKNOWN_WINDOWS), "UNKNOWN",
        np.asarray(spec.classes)[viterbi(emissions, transition, prior, spec.emission_weight)],
    )  # fmt: skip
    assert (smooth["label"].to_numpy() == expected).all()
    assert len(runs(smooth["label"].to_numpy())) <= len(runs(raw["label"].to_numpy()))


def test_fixed_lag_equals_batch_once_the_lag_has_passed():
    rng = np.random.default_rng(0)
    k = 4
    transition = np.full((k, k), 0.02)
    np.fill_diagonal(transition, 0.94)
    transition /= transition.sum(1, keepdims=True)
    prior = np.full(k, 1 / k)
    truth = np.repeat(rng.integers(0, k, 30), 20)  # 30 bouts of 20 windows
    proba = rng.dirichlet(np.ones(k), size=len(truth)) * 0.6
    proba[np.arange(len(truth)), truth] += 0.4  # right on average, often wrong per window
    batch = viterbi(proba, transition, prior)
    assert (proba.argmax(1) != batch).sum() > 20  # smoothing changes many windows
    for lag in (10, 40, len(truth)):
        smoother = FixedLagViterbi(transition, prior, lag)
        parts = [smoother.push(proba[i : i + 7]) for i in range(0, len(proba), 7)]
        assert sum(map(len, parts)) == max(0, len(proba) - lag)  # each decided lag later
        stream = np.concatenate([*parts, smoother.flush()])
        np.testing.assert_array_equal(stream, batch)
    # noisier windows and a looser chain, which flicker when plain: a minimum bout matters
    noisy = rng.dirichlet(np.ones(k), size=len(truth)) * 0.8
    noisy[np.arange(len(truth)), truth] += 0.2
    loose = np.full((k, k), 0.1)
    np.fill_diagonal(loose, 0.7)
    with_bouts = viterbi(noisy, loose, prior, min_run=8)
    assert min(b - a for a, b, _ in runs(viterbi(noisy, loose, prior))) < 8
    assert min(b - a for a, b, _ in runs(with_bouts)[1:-1]) >= 8
    for lag in (30, len(truth)):
        smoother = FixedLagViterbi(loose, prior, lag, min_run=8)
        parts = [smoother.push(noisy[i : i + 7]) for i in range(0, len(noisy), 7)]
        np.testing.assert_array_equal(np.concatenate([*parts, smoother.flush()]), with_bouts)
    online = FixedLagViterbi(transition, prior, 0)  # no lag: each window's best so far
    assert (np.concatenate([online.push(proba), online.flush()]) != batch).any()
    with pytest.raises(ValueError, match="lag"):
        FixedLagViterbi(transition, prior, -1)


def test_sustained_keeps_only_long_enough_runs():
    flags = np.array([1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1], dtype=bool)
    expected = np.array([0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1], dtype=bool)
    np.testing.assert_array_equal(sustained(flags, 3), expected)
    np.testing.assert_array_equal(sustained(flags, 1), flags)
    assert not sustained(np.zeros(0, bool), 3).any()
    # the run a stream carries on: capped, and counting what came before when all are True
    assert trailing(flags, 0, 10) == 4 and trailing(flags, 0, 2) == 2
    assert trailing(np.ones(3, bool), 2, 10) == 5 and trailing(np.ones(0, bool), 2, 10) == 2


def test_emission_weight_lets_the_chain_outvote_a_confident_window():
    transition = np.array([[0.95, 0.05], [0.05, 0.95]])
    prior = np.array([0.5, 0.5])
    proba = np.tile([0.8, 0.2], (9, 1))
    proba[4] = [1e-4, 1 - 1e-4]  # one confident outlier inside a bout of class 0
    assert viterbi(proba, transition, prior).tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert (viterbi(proba, transition, prior, weight=0.35) == 0).all()
    # a weight scales the log-likelihood ratio: weight 1 is the plain HMM
    np.testing.assert_allclose(log_emissions(proba, prior, 0.5), 0.5 * np.log(proba / prior))


def test_the_weight_is_the_smoothest_within_one_standard_error_of_the_fewest_errors():
    from lstm_har.training.hmm import one_standard_error

    costs = {1.0: (100, 260), 0.7: (85, 236), 0.5: (86, 199), 0.35: (86, 180), 0.25: (98, 171)}
    # one standard error of 85 errors in 1438 windows is 8.9: 0.7, 0.5 and 0.35 are as good
    assert one_standard_error(costs, 1438) == 0.35
    assert one_standard_error({**costs, 0.7: (60, 236)}, 1438) == 0.7  # 0.5: 26 errors more
    # no error at all: no slack, and ties in bouts go to the weight listed first
    assert one_standard_error({1.0: (0, 9), 0.5: (0, 5), 0.35: (0, 5), 0.1: (1, 2)}, 99) == 0.5
    # the candidates may be pairs (weight, minimum bout)
    assert one_standard_error({(1.0, 1): (40, 200), (1.0, 8): (45, 140)}, 1438) == (1.0, 8)


def test_training_fits_weight_and_bout_by_that_rule_on_validation(tiny_config, tmp_path):
    from lstm_har.data.uci_har import read_recordings
    from lstm_har.inference.predictions import smoothed
    from lstm_har.inference.predictor import Predictor
    from lstm_har.models import Classifier
    from lstm_har.training import runs as run_dirs
    from lstm_har.training.hmm import MIN_BOUTS, WEIGHTS, one_standard_error
    from lstm_har.training.metrics import window_truth

    report = run_dirs.train_run(tiny_config.replace(epochs=2), tmp_path / "run")
    model = Classifier.load(tmp_path / "run")
    assert model.spec.emission_weight in WEIGHTS and model.spec.min_bout in MIN_BOUTS
    validation = set(report["validation_subjects"])
    recordings = [r for r in read_recordings(tiny_config.data) if r.subject in validation]
    assert len(recordings) == 2
    predictor = Predictor.from_classifier(model)
    raw = [predictor.predict(np.concatenate([r.acc, r.gyro], axis=1), smooth=False)
           for r in recordings]  # fmt: skip
    costs = {}
    for min_bout in MIN_BOUTS:
        for weight in WEIGHTS:
            spec = model.spec.replace(emission_weight=weight, min_bout=min_bout)
            errors = bouts = n_windows = 0
            for r, preds in zip(recordings, raw, strict=True):
                label = smoothed(preds, spec).label
                truth, pure = window_truth(r.labels, len(label), "walking")
                errors += int((label[pure] != truth[pure]).sum())
                bouts += len(runs(label))
                n_windows += int(pure.sum())
            costs[(weight, min_bout)] = (errors, bouts)
    chosen = (model.spec.emission_weight, model.spec.min_bout)
    assert chosen == one_standard_error(costs, n_windows)
