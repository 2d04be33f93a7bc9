"""The one training loop: it learns, is deterministic, resumes exactly, and reports events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import make_spec
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from lstm_har.checkpoint import load_model_files
from lstm_har.config import TrainConfig
from lstm_har.models import Classifier
from lstm_har.training import runs
from lstm_har.training.loop import BatchEnd, EpochEnd, EpochStart, fit, learning_rate
from lstm_har.training.metrics import majority_baseline, metrics


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_model_files(run)[1]


def test_learns_the_tiny_task(tiny_config, tmp_path):
    cfg = tiny_config.replace(epochs=20, lr=1e-2, hidden_size=16)
    report = runs.train_run(cfg, tmp_path / "run")
    assert report["test"]["accuracy"] > report["majority_baseline"]["accuracy"]
    assert report["test"]["accuracy"] >= 0.9


def test_same_seed_same_numbers(tiny_config, tmp_path):
    a = runs.train_run(tiny_config, tmp_path / "a")
    b = runs.train_run(tiny_config, tmp_path / "b")
    assert a["test"] == b["test"] and a["validation"] == b["validation"]
    for k, v in _weights(tmp_path / "a").items():
        assert torch.equal(v, _weights(tmp_path / "b")[k]), k
    c = runs.train_run(tiny_config.replace(seed=1), tmp_path / "c")
    assert not torch.equal(
        _weights(tmp_path / "a")["net.fc.weight"], _weights(tmp_path / "c")["net.fc.weight"]
    )
    assert c["validation_subjects"] == a["validation_subjects"]  # seed varies only the model


class _Killed(Exception):
    pass


@pytest.mark.parametrize("model", ["simple", "convbilstm"])
def test_resume_equals_uninterrupted(tiny_config, tmp_path, model):
    cfg = tiny_config.replace(model=model)
    whole = runs.train_run(cfg, tmp_path / "whole")

    def kill_after_first(event):
        if isinstance(event, EpochEnd) and event.record.epoch == 1:
            raise _Killed

    with pytest.raises(_Killed):
        runs.train_run(cfg, tmp_path / "cut", listener=kill_after_first)
    assert not (tmp_path / "cut" / "metrics.json").exists()
    # a write torn by the kill leaves only a temp file beside the last good state
    (tmp_path / "cut" / ".train_state.safetensors.x.tmp").write_bytes(b"\x00" * 10)
    resumed = runs.train_run(None, tmp_path / "cut", resume=True)
    assert resumed["test"] == whole["test"]
    for k, v in _weights(tmp_path / "whole").items():
        assert torch.equal(v, _weights(tmp_path / "cut")[k]), k
    log_whole = (tmp_path / "whole" / "log.csv").read_text().splitlines()
    log_cut = (tmp_path / "cut" / "log.csv").read_text().splitlines()
    assert [r.split(",")[:4] for r in log_whole] == [r.split(",")[:4] for r in log_cut]


def test_metric_wiring_matches_sklearn(rng):
    y = rng.integers(0, 3, 200)
    proba = rng.dirichlet(np.ones(3), 200)
    m = metrics(y, proba, ("a", "b", "c"), subject=np.repeat([1, 2], 100))
    pred = proba.argmax(1)
    assert m["accuracy"] == accuracy_score(y, pred)
    assert m["balanced_accuracy"] == balanced_accuracy_score(y, pred)
    assert m["macro_f1"] == f1_score(y, pred, average="macro")
    assert np.array(m["confusion_matrix"]).sum() == 200
    assert m["per_subject"]["1"] == accuracy_score(y[:100], pred[:100])
    assert majority_baseline(np.array([0, 1, 1]), np.array([1, 1, 0, 0]))["accuracy"] == 0.5


def test_cosine_schedule():
    cfg = TrainConfig(epochs=10, lr=1e-3)
    assert learning_rate(cfg, 0) == 1e-3 and learning_rate(cfg, 5) == pytest.approx(5e-4)
    assert learning_rate(cfg.replace(lr_schedule="constant"), 7) == 1e-3


def test_events_in_order_and_the_best_epoch_kept():
    torch.manual_seed(0)
    model = Classifier.from_spec(make_spec(hidden=4))
    X, y = torch.randn(40, 128, 9), torch.randint(0, 2, (40,))
    events = []
    cfg = TrainConfig(hidden_size=4, epochs=3, batch_size=16)
    result = fit(model, (X, y), (X[:8], y[:8]), cfg, listener=events.append)
    kinds = [type(e).__name__ for e in events]
    assert kinds == (["EpochStart"] + ["BatchEnd"] * 3 + ["EpochEnd"]) * 3  # 40 = 16 + 16 + 8
    assert [e.epoch for e in events if isinstance(e, EpochStart)] == [1, 2, 3]
    batch_losses = [e.loss for e in events if isinstance(e, BatchEnd)]
    records = [e.record for e in events if isinstance(e, EpochEnd)]
    assert records == result.history and all(r.val_loss is not None for r in records)
    assert records[0].train_loss == pytest.approx(batch_losses[2])  # mean over all 40 windows
    best = max(records, key=lambda r: (r.val_balanced_accuracy, -r.val_loss))
    assert result.best_epoch == best.epoch
