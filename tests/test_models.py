"""Models: the study's layers, both LSTM backends, the output contract, forget-gate init."""

from __future__ import annotations

import pytest
import torch
from helpers import make_spec
from rounding import ELEMENTWISE, assert_within_rounding, classifier_terms

from lstm_har.errors import CheckpointError
from lstm_har.models import Classifier, SimpleLSTM, build_model, loss_function


def test_simple_lstm_is_the_studys_model():
    model = SimpleLSTM(9, 64, 1)
    assert [n for n, _ in model.named_children()] == ["lstm", "fc_new", "fc", "sigmoid"]
    assert model.fc_new.out_features == 20 and model.fc.in_features == 20
    out = model(torch.randn(3, 128, 9))
    assert out.shape == (3, 1) and ((out > 0) & (out < 1)).all()
    assert isinstance(loss_function(2), torch.nn.BCELoss)
    assert SimpleLSTM(9, 8, 6)(torch.randn(2, 128, 9)).shape == (2, 6)  # logits
    assert isinstance(loss_function(6), torch.nn.CrossEntropyLoss)


@pytest.mark.parametrize("name", ["simple", "convbilstm"])
@pytest.mark.parametrize("n_classes", [2, 6])
def test_backends_share_weights_and_outputs(name, n_classes):
    torch.manual_seed(0)
    a = Classifier.from_spec(make_spec(name, 8, n_classes, backend="torch")).eval()
    b = Classifier.from_spec(make_spec(name, 8, n_classes, backend="ours")).eval()
    b.load_state_dict(a.state_dict())
    x = torch.randn(4, 128, 9)
    with torch.no_grad():
        pa, pb = a.proba(x), b.proba(x)
    # probabilities: a logit error d moves them by at most d / 2, so scale 1 bounds them
    assert_within_rounding(pb, pa, classifier_terms(name, 8), scale=1.0)
    assert pa.shape == (4, n_classes)
    assert_within_rounding(pa.sum(1), torch.ones(4), n_classes + ELEMENTWISE)


def test_forget_bias_touches_only_the_forget_gate():
    torch.manual_seed(0)
    plain = build_model("convbilstm", 9, 8, 2)
    torch.manual_seed(0)
    biased = build_model("convbilstm", 9, 8, 2, forget_bias=1.0)
    for (name, p), (_, q) in zip(plain.named_parameters(), biased.named_parameters(), strict=True):
        if "bias_hh" in name:
            torch.testing.assert_close(q[8:16], p[8:16] + 1.0)
            torch.testing.assert_close(torch.cat([q[:8], q[16:]]), torch.cat([p[:8], p[16:]]))
        else:
            assert torch.equal(p, q), name


def test_normaliser_is_fitted_and_saved():
    X = torch.randn(50, 128, 9) * 3 + 2
    model = Classifier.from_spec(make_spec(hidden=4)).fit_normaliser(X)
    torch.testing.assert_close(model.mean, X.reshape(-1, 9).mean(0), atol=1e-4, rtol=1e-4)
    assert {"mean", "std"} <= set(model.state_dict())
    with pytest.raises(ValueError, match="unknown model"):
        build_model("transformer", 9, 4, 2)


def test_classifier_names_a_wrong_channel_count():
    model = Classifier.from_spec(make_spec(channels=12))
    with pytest.raises(ValueError, match=r"Classifier: expected windows \(B, T, 12\), got"):
        model(torch.zeros(1, 128, 9))


@pytest.mark.parametrize("name", ["simple", "convbilstm"])
def test_save_and_load_give_back_the_same_model(tmp_path, name):
    torch.manual_seed(0)
    spec = make_spec(name, 8, 6, channels=12).replace(upright_default=(1.0, -0.2, 0.05))
    model = Classifier.from_spec(spec).fit_normaliser(torch.randn(20, 128, 12)).eval()
    model.save(tmp_path)
    again = Classifier.load(tmp_path)
    assert again.spec == spec and not again.training
    for (k, v), (k2, v2) in zip(
        model.state_dict().items(), again.state_dict().items(), strict=True
    ):
        assert k == k2 and torch.equal(v, v2), k
    x = torch.randn(3, 128, 12)
    with torch.no_grad():
        assert torch.equal(again.proba(x), model.proba(x))  # same weights, same kernels
    ours = Classifier.load(tmp_path, backend="ours")
    assert ours.spec.backend == "ours" and ours.spec.replace(backend="torch") == spec


def test_a_torn_or_edited_checkpoint_is_refused(tmp_path):
    import json

    Classifier.from_spec(make_spec()).save(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    for field, value, message in [
        ("hidden_size", 9, "weights do not fit"),
        ("hidden_size", "8", "wrong type"),
        ("classes", [], "list of names"),
        ("upright_default", [1, 0], "3 numbers"),
        ("posture_odds", -1.0, "positive number"),
        ("min_bout", 0, "min_bout must be in 1..64"),
        ("min_bout", 2.5, "wrong type"),
        ("posture_odds", 1.0, "needs classes SITTING and STANDING"),  # a walking model
        ("weights_sha256", "0" * 64, "torn or edited"),
    ]:
        (tmp_path / "model.json").write_text(json.dumps(meta | {field: value}))
        with pytest.raises(CheckpointError, match=message):
            Classifier.load(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({k: v for k, v in meta.items() if k != "task"}))
    with pytest.raises(CheckpointError, match="missing field 'task'"):
        Classifier.load(tmp_path)
    # a model from before the minimum bout (no field, or null) smooths with any bout length
    for older in ({k: v for k, v in meta.items() if k != "min_bout"}, meta | {"min_bout": None}):
        (tmp_path / "model.json").write_text(json.dumps(older))
        assert Classifier.load(tmp_path).spec.min_bout == 1


@pytest.mark.parametrize("name", ["walking", "activity"])
def test_packaged_model_json_reads_into_a_spec(name):
    from lstm_har.checkpoint import read_spec
    from lstm_har.inference import pretrained_dir

    spec = read_spec(pretrained_dir(name))
    assert spec.task == name and spec.trained_with and spec.seed == 0
    assert spec.any_orientation and spec.calibrated and len(spec.channels) == 13
    assert spec.novelty_threshold is not None and spec.novelty_threshold > 0
    assert spec.hmm() is not None


def _frame_windows(rng_seed: int = 0, n: int = 4) -> torch.Tensor:
    """Windows in FRAME_CHANNELS order: random motion about a tilted gravity, a placement."""
    g = torch.Generator().manual_seed(rng_seed)
    body = 0.3 * torch.randn(n, 128, 3, generator=g, dtype=torch.float64)
    gyro = torch.randn(n, 128, 3, generator=g, dtype=torch.float64)
    gravity = torch.tensor([0.9, -0.3, 0.3], dtype=torch.float64).expand(n, 128, 3)
    upright = torch.tensor([1.0, -0.2, 0.1], dtype=torch.float64).expand(n, 128, 3)
    pocket = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64)[:n, None, None]
    return torch.cat([body, gyro, body + gravity, upright, pocket.expand(n, 128, 1)], dim=-1)


def _rotated(x: torch.Tensor, seed: int) -> torch.Tensor:
    from scipy.spatial.transform import Rotation

    R = torch.from_numpy(Rotation.random(random_state=seed).as_matrix())
    triads = x[..., :12].reshape(*x.shape[:2], 4, 3) @ R.T  # every triad turned alike
    return torch.cat([triads.reshape(*x.shape[:2], 12), x[..., 12:]], dim=-1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_upright_frame_ignores_how_the_phone_is_turned(seed):
    from lstm_har.models import UprightFrame

    x = _frame_windows()
    want, got = UprightFrame()(x), UprightFrame()(_rotated(x, seed))
    assert got.shape == (4, 128, UprightFrame.n_features)
    # each feature is a rotation (3 terms), a 3-term dot product, products and a square root
    assert_within_rounding(got, want, 16, name="features")
    # what the features mean: gravity's part along the upright and its lean across it
    u = torch.tensor([1.0, -0.2, 0.1], dtype=torch.float64)
    u = u / u.norm()
    gravity = torch.tensor([0.9, -0.3, 0.3], dtype=torch.float64)
    assert torch.allclose(want[0, 0, 4], gravity @ u)
    assert torch.allclose(want[0, 0, 5], (gravity - (gravity @ u) * u).norm())
    assert want[:, 0, 8].tolist() == [0.0, 1.0, 0.0, 1.0]  # the placement passes through


def test_any_orientation_classifier_answers_alike_however_the_phone_is_turned():
    from lstm_har.signal.calibration import FRAME_CHANNELS

    torch.manual_seed(0)
    spec = make_spec("convbilstm_lite", 8, 6)
    spec = spec.replace(channels=FRAME_CHANNELS, upright_default=(1.0, 0.0, 0.0))
    model = Classifier.from_spec(spec).double().eval()
    x = _frame_windows()
    model.fit_normaliser(x)
    assert model.mean.shape == (9,)  # the network reads the nine frame features
    with torch.no_grad():
        want, got = model.proba(x), model.proba(_rotated(x, 3))
    # the features' rounding (16 terms, above) then the network's own chain
    terms = 16 + classifier_terms("convbilstm", 8, channels=9)
    assert_within_rounding(got, want, terms, scale=1.0, name="probabilities")
    with pytest.raises(ValueError, match="13"):
        model(torch.zeros(1, 128, 12, dtype=torch.float64))
