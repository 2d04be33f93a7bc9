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


def test_viterbi_finds_the_best_path():
    rng = np.random.default_rng(0)
    for _ in range(30):
        n, k = rng.integers(1, 7), rng.integers(2, 4)
        proba = rng.dirichlet(np.ones(k), n)
        transition = rng.dirichlet(np.ones(k), k)
        prior = rng.dirichlet(np.ones(k))
        np.testing.assert_array_equal(viterbi(proba, transition, prior),
                                      _brute_force(proba, transition, prior))  # fmt: skip


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
    from lstm_har.signal.smoothing import FixedLagViterbi

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


def test_training_fits_the_weight_by_that_rule_on_validation_recordings(tiny_config, tmp_path):
    from lstm_har.data.uci_har import read_recordings
    from lstm_har.inference.predictions import smoothed
    from lstm_har.inference.predictor import Predictor
    from lstm_har.models import Classifier
    from lstm_har.training import runs as run_dirs
    from lstm_har.training.hmm import WEIGHTS, one_standard_error
    from lstm_har.training.metrics import window_truth

    report = run_dirs.train_run(tiny_config.replace(epochs=2), tmp_path / "run")
    model = Classifier.load(tmp_path / "run")
    assert model.spec.emission_weight in WEIGHTS
    validation = set(report["validation_subjects"])
    recordings = [r for r in read_recordings(tiny_config.data) if r.subject in validation]
    assert len(recordings) == 2
    predictor = Predictor.from_classifier(model)
    costs = {}
    for weight in WEIGHTS:
        errors = bouts = n_windows = 0
        for r in recordings:
            raw = predictor.predict(np.concatenate([r.acc, r.gyro], axis=1), smooth=False)
            label = smoothed(raw, model.spec, weight).label
            truth, pure = window_truth(r.labels, len(label), "walking")
            errors, bouts = (
                errors + int((label[pure] != truth[pure]).sum()),
                bouts + len(runs(label)),
            )
            n_windows += int(pure.sum())
        costs[weight] = (errors, bouts)
    assert model.spec.emission_weight == one_standard_error(costs, n_windows)
