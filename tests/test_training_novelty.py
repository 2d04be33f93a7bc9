"""UNKNOWN: a window far in feature space from every class trained on, and the threshold."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import synthetic_activity
from rounding import assert_within_rounding, classifier_terms

from lstm_har.inference import Predictor
from lstm_har.inference.export import export
from lstm_har.models import Classifier
from lstm_har.training import runs
from lstm_har.training.novelty import QUANTILE, fit_novelty


@pytest.fixture(scope="module")
def run(tiny_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    runs.train_run(tiny_config.replace(epochs=3), out)
    return out


def test_threshold_is_the_validation_quantile(run, tiny_config):
    model = Classifier.load(run)
    fit_data, val_data, _, _ = runs.model_data(runs.TrainConfig.from_dict(model.spec.config))
    _, novelty = model.predict_scores(val_data.X)
    assert model.spec.novelty_threshold == pytest.approx(np.quantile(novelty, QUANTILE), rel=1e-9)
    # refitting from the same windows gives the same detector
    again = fit_novelty(Classifier.load(run), fit_data.X, fit_data.y, val_data.X)
    np.testing.assert_allclose(again.novelty_precision, model.novelty_precision, rtol=1e-9)
    assert again.spec.novelty_threshold == pytest.approx(model.spec.novelty_threshold)


def test_a_shaken_phone_is_unknown_the_activities_are_not(run, rng):
    predictor = Predictor.from_model(run, engine="torch")
    # what the tiny data's people do (helpers.synthetic_activity), each activity for 20 s
    walk = np.concatenate([np.concatenate(synthetic_activity(a, 1000, rng), axis=1)
                           for a in range(1, 7)])  # fmt: skip
    shaken = np.concatenate([rng.normal(scale=3.0, size=(3000, 3)) + [1, 0, 0],
                             rng.normal(scale=8.0, size=(3000, 3))], axis=1)  # fmt: skip
    walked, shook = (predictor.predict(s, smooth=False) for s in (walk, shaken))
    assert (shook.label == "UNKNOWN").mean() > 0.9
    assert (walked.label == "UNKNOWN").mean() < 0.1
    assert "UNKNOWN" in shook.time_per_class()


def test_onnx_file_carries_the_novelty(run, rng):
    export(Classifier.load(run), run)
    onnx_side = Predictor.from_model(run, engine="onnx")
    model = Classifier.load(run).double()  # the float64 reference
    windows = rng.normal(size=(16, 128, 9))
    proba, novelty = onnx_side.windows_scores(windows.astype(np.float32))
    with torch.no_grad():
        x = torch.from_numpy(windows)
        want_p, want_n = model.proba_and_novelty(x)
        f = model.features(x)  # (B, D)
    terms = classifier_terms(model.spec.model, model.spec.hidden_size)
    assert_within_rounding(proba, want_p, terms, scale=1.0, computed_in=torch.float32)
    # The float32 features are within |df| <= sqrt(D) gamma max|f| of these (2-norm); the
    # distance to the nearest mean m moves by at most 2 |P (f - m)| |df| + |df|^2 |P| to first
    # order, P the precision: that bound, per window, with a factor 2 for the second order.
    gamma = terms * 2.0**-24 / (1 - terms * 2.0**-24)
    df = f.shape[1] ** 0.5 * gamma * f.abs().amax(1)  # (B,)
    diff = f[:, None, :] - model.novelty_mean[None]  # (B, K, D)
    nearest = ((diff @ model.novelty_precision) * diff).sum(-1).argmin(1)
    lever = (diff[torch.arange(len(f)), nearest] @ model.novelty_precision).norm(dim=1)
    bound = 2 * (2 * lever * df + df**2 * torch.linalg.matrix_norm(model.novelty_precision, 2))
    err = (torch.from_numpy(novelty) - want_n).abs()
    assert err.le(bound).all()  # measured: 6e-5 of the bound (first-order bounds are loose)
