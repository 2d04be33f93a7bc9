"""The training loop, run directories and their CLI, on tiny synthetic data."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from rounding import assert_within_rounding, classifier_terms
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from lstm_har import checkpoint, runs
from lstm_har.cli import main
from lstm_har.evaluate import majority_baseline, metrics
from lstm_har.train import TrainConfig, learning_rate

RUN_FILES = (
    "config.json",
    "model.safetensors",
    "model.json",
    "metrics.json",
    "log.csv",
    "per_subject.csv",
    "loss_curve.png",
    "confusion_matrix.png",
    "train_state.safetensors",
)


def _tiny_args(tiny_data: str, *extra: str) -> list[str]:
    """CLI flags for a seconds-fast run on the tiny data."""
    return ["--data", tiny_data, "--hidden-size", "8", "--batch-size", "16",
            "--val-subjects", "2", "-q", *extra]  # fmt: skip


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return checkpoint.load_model_files(run)[1]


def test_one_epoch_end_to_end_through_cli(tiny_data, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--out", str(out), *_tiny_args(tiny_data, "--epochs", "1")]
    assert main(args) == 0
    for name in RUN_FILES:
        assert (out / name).is_file(), name
    report = json.loads((out / "metrics.json").read_text())
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "confusion_matrix", "per_subject"):
        assert key in report["test"] and key in report["validation"]
    assert set(report["test"]["per_subject"]) == {"2", "4"}
    assert 0 <= report["majority_baseline"]["accuracy"] <= 1
    config = json.loads((out / "config.json").read_text())
    assert config["hidden_size"] == 8 and config["task"] == "walking" and config["epochs"] == 1
    assert "test       accuracy" in capsys.readouterr().out
    # evaluate recomputes the same figures from the checkpoint alone
    assert main(["evaluate", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["test"] == report["test"]


def test_learns_the_tiny_task(tiny_config, tmp_path):
    cfg = dataclasses.replace(tiny_config, epochs=20, lr=1e-2, hidden_size=16)
    report = runs.train_run(cfg, tmp_path / "run")
    assert report["test"]["accuracy"] > report["majority_baseline"]["accuracy"]
    assert report["test"]["accuracy"] >= 0.9


def test_same_seed_same_numbers(tiny_config, tmp_path):
    a = runs.train_run(tiny_config, tmp_path / "a")
    b = runs.train_run(tiny_config, tmp_path / "b")
    assert a["test"] == b["test"] and a["validation"] == b["validation"]
    for k, v in _weights(tmp_path / "a").items():
        assert torch.equal(v, _weights(tmp_path / "b")[k]), k
    c = runs.train_run(dataclasses.replace(tiny_config, seed=1), tmp_path / "c")
    assert not torch.equal(
        _weights(tmp_path / "a")["net.fc.weight"], _weights(tmp_path / "c")["net.fc.weight"]
    )
    assert c["validation_subjects"] == a["validation_subjects"]  # seed varies only the model


class _Killed(Exception):
    pass


@pytest.mark.parametrize("model", ["simple", "convbilstm"])
def test_resume_equals_uninterrupted(tiny_config, tmp_path, model):
    cfg = dataclasses.replace(tiny_config, model=model)
    whole = runs.train_run(cfg, tmp_path / "whole")

    def kill_after_first(record):
        if record["epoch"] == 1:
            raise _Killed

    with pytest.raises(_Killed):
        runs.train_run(cfg, tmp_path / "cut", on_epoch=kill_after_first)
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


def test_checkpoint_round_trip_and_backend_swap(tiny_config, tmp_path):
    runs.train_run(tiny_config, tmp_path / "run")
    X = torch.randn(5, 128, 9)
    with torch.no_grad():
        torch_model, meta = runs.load_run(tmp_path / "run")
        ours, _ = runs.load_run(tmp_path / "run", backend="ours")
        terms = classifier_terms(meta["model"], meta["config"]["hidden_size"])
        assert_within_rounding(ours.proba(X), torch_model.proba(X), terms, scale=1.0)
    assert meta["classes"] == ["NON_WALKING", "WALKING"] and meta["model"] == "simple"
    assert len(meta["weights_sha256"]) == 64


def test_torn_checkpoint_is_refused(tiny_config, tmp_path, capsys):
    runs.train_run(tiny_config, tmp_path / "run")
    weights = tmp_path / "run" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8])
    assert main(["evaluate", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "does not match model.json" in err and err.count("\n") == 1


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
    assert learning_rate(dataclasses.replace(cfg, lr_schedule="constant"), 7) == 1e-3


def test_seed_sweep_reports_mean_and_std(tiny_data, tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["train", "--out", str(out), "--seeds", "0,1", *_tiny_args(tiny_data, "--epochs", "1")]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    acc = summary["test_accuracy"]
    assert summary["seeds"] == [0, 1] and len(acc["values"]) == 2
    assert acc["mean"] == pytest.approx(np.mean(acc["values"]))
    assert acc["std"] == pytest.approx(np.std(acc["values"], ddof=1))
    assert "±" in capsys.readouterr().out
    assert main(["train", "--resume", str(out), "-q"]) == 0  # finished seeds are reused


def test_seeds_spread_over_processes(tiny_data, tmp_path, capsys):
    out = tmp_path / "sweep"
    args = ["train", "--out", str(out), "--seeds", "3,4", "--jobs", "2",
            *_tiny_args(tiny_data, "--epochs", "1")]  # fmt: skip
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seeds"] == [3, 4]
    for seed in (3, 4):
        report = json.loads((out / f"seed_{seed}" / "metrics.json").read_text())
        assert report["seed"] == seed and (out / f"seed_{seed}" / "model.safetensors").is_file()


def test_leave_subjects_out_cross_validation(tiny_data, tmp_path, capsys):
    out = tmp_path / "cv"
    # tiny data: six training subjects; 3 folds of 2, validation from the other four
    args = ["train", "--out", str(out), "--cv", "3", *_tiny_args(tiny_data, "--epochs", "1")]
    assert main(args) == 0
    held_out = []
    for k in range(3):
        report = json.loads((out / f"fold_{k}" / "metrics.json").read_text())
        assert report["evaluated_on"].startswith(f"cross-validation fold {k} of 3")
        subjects = set(report["test"]["per_subject"])
        assert not subjects & {"2", "4"}  # the official test subjects take no part
        assert not subjects & {str(s) for s in report["validation_subjects"]}
        held_out.append(subjects)
    assert set().union(*held_out) == {"1", "3", "5", "6", "7", "8"}
    assert sum(len(h) for h in held_out) == 6  # each subject held out exactly once
    summary = json.loads((out / "summary.json").read_text())
    assert summary["runs"] == ["fold_0", "fold_1", "fold_2"]
    assert "held-out" in capsys.readouterr().out


def test_config_file_and_flag_precedence(tiny_data, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(
        f'data = "{tiny_data}"\nhidden_size = 4\nepochs = 1\nbatch_size = 16\n'
        "val_subjects = 2\nlr = 0.005\ncalibrate = false\n"
    )
    args = ["train", "--config", str(config), "--lr", "0.002", "--calibrate", "-q"]
    assert main([*args, "--out", str(tmp_path / "r")]) == 0
    saved = json.loads((tmp_path / "r" / "config.json").read_text())
    assert saved["hidden_size"] == 4 and saved["lr"] == 0.002 and saved["calibrate"] is True
    assert main([*args, "--calibrate", "no", "--out", str(tmp_path / "r2")]) == 0
    assert json.loads((tmp_path / "r2" / "config.json").read_text())["calibrate"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train"], "give --out"),
        (["train", "--resume", "/nonexistent/run"], "no run to resume"),
        (["train", "--out", "X", "--seeds", "1,x"], "--seeds"),
        (["train", "--out", "X", "--task", "running"], "task must be one of"),
        (["train", "--out", "X", "--config", "/nonexistent.json"], "cannot read config"),
        (["evaluate", "/nonexistent/run"], "not a directory"),
    ],
)
def test_bad_training_input_is_one_line(args, message, capsys):
    assert main(args) != 0
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("args", [["--calibrate", "maybe"], ["--epochs", "x"], ["--no-such-flag"]])
def test_bad_flag_is_one_line(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--out", "X", *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.startswith("lstm-har") and "error: " in err and args[0] in err


def test_existing_run_is_not_overwritten(tiny_config, tmp_path, capsys):
    runs.train_run(tiny_config, tmp_path / "run")
    before = (tmp_path / "run" / "model.safetensors").read_bytes()
    assert main(["train", "--out", str(tmp_path / "run"), "-q"]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert (tmp_path / "run" / "model.safetensors").read_bytes() == before
