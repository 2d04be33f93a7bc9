"""Run directories, sweeps and the train/evaluate CLI, on tiny synthetic data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from rounding import assert_within_rounding, classifier_terms

from lstm_har.checkpoint import load_model_files
from lstm_har.cli import main
from lstm_har.models import Classifier
from lstm_har.training import runs

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
    return load_model_files(run)[1]


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
    test_y = np.concatenate(
        [[k] * n for k, n in enumerate(np.sum(report["test"]["confusion_matrix"], 1))]
    )
    assert report["majority_baseline"]["accuracy"] == pytest.approx(
        (test_y == report["majority_baseline"]["class"]).mean()
    )
    config = json.loads((out / "config.json").read_text())
    assert config["hidden_size"] == 8 and config["task"] == "walking" and config["epochs"] == 1
    assert "test       accuracy" in capsys.readouterr().out
    # evaluate recomputes the same figures from the checkpoint alone
    assert main(["evaluate", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["test"] == report["test"]


def test_checkpoint_round_trip_and_backend_swap(tiny_config, tmp_path):
    runs.train_run(tiny_config, tmp_path / "run")
    X = torch.randn(5, 128, 9)
    with torch.no_grad():
        torch_model = Classifier.load(tmp_path / "run")
        ours = Classifier.load(tmp_path / "run", backend="ours")
        terms = classifier_terms(torch_model.spec.model, torch_model.spec.hidden_size)
        assert_within_rounding(ours.proba(X), torch_model.proba(X), terms, scale=1.0)
    spec = torch_model.spec
    assert spec.classes == ("NON_WALKING", "WALKING") and spec.model == "simple"
    assert spec.config == tiny_config.to_dict() and spec.test_accuracy is not None
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    blob = (tmp_path / "run" / "model.safetensors").read_bytes()
    assert meta["weights_sha256"] == hashlib.sha256(blob).hexdigest()


def test_torn_checkpoint_is_refused(tiny_config, tmp_path, capsys):
    runs.train_run(tiny_config, tmp_path / "run")
    weights = tmp_path / "run" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8])
    assert main(["evaluate", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "does not match model.json" in err and err.count("\n") == 1


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
    made = {p: p.stat().st_mtime_ns for p in out.glob("seed_*/*") if p.is_file()}
    assert main(["train", "--resume", str(out), "-q"]) == 0  # finished seeds are reused
    assert {p: p.stat().st_mtime_ns for p in out.glob("seed_*/*") if p.is_file()} == made
    assert json.loads((out / "summary.json").read_text()) == summary


@pytest.mark.slow
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


def test_fine_labels_train_on_six_classes_and_answer_walking(tiny_config, tmp_path):
    from lstm_har.data import ACTIVITIES, WALKING_CLASSES
    from lstm_har.inference.export import export
    from lstm_har.inference.onnx_engine import onnx_scores

    out = tmp_path / "fine"
    report = runs.train_run(tiny_config.replace(epochs=2, fine_labels=True), out)
    model = Classifier.load(out)
    spec = model.spec
    assert spec.classes == WALKING_CLASSES and spec.trained_classes == ACTIVITIES
    assert spec.merge_index() == (1, 0, 0, 0, 0, 0)  # WALKING, and the rest into NON_WALKING
    assert len(spec.transitions) == 2 and model.novelty_mean.shape[0] == 6
    assert np.shape(report["test"]["confusion_matrix"]) == (2, 2)
    x = torch.randn(5, 128, 9, dtype=torch.float64)
    model = model.double()
    logits = model(x)  # (5, 6): the network's own classes
    expected = torch.stack([logits.softmax(-1)[:, 1:].sum(-1), logits.softmax(-1)[:, 0]], -1)
    torch.testing.assert_close(model.proba(x), expected, rtol=1e-12, atol=1e-12)
    # evaluate recomputes the run's figures; the ONNX file answers the same two classes
    assert runs.evaluate_run(out)["test"] == report["test"]
    scores, _ = onnx_scores(export(Classifier.load(out), out))
    onnx_p, _ = scores(x.float().numpy())
    assert onnx_p.shape == (5, 2)
    terms = classifier_terms(spec.model, spec.hidden_size)
    with torch.no_grad():
        want = model.proba(x)  # the float64 reference
    assert_within_rounding(onnx_p, want, terms, scale=1.0, computed_in=torch.float32)


def test_fine_labels_need_the_walking_task_and_a_consistent_spec(tmp_path):
    from lstm_har.checkpoint import ModelSpec
    from lstm_har.config import TrainConfig
    from lstm_har.errors import CheckpointError, ConfigError

    with pytest.raises(ConfigError, match="fine_labels needs task walking"):
        TrainConfig(task="activity", fine_labels=True)
    base = {"model": "simple", "hidden_size": 8, "task": "walking",
            "classes": ["NON_WALKING", "WALKING"], "channels": ["a"]}  # fmt: skip
    for bad in (["WALKING", "NON_WALKING"], ["A", "B"], ["WALKING", "SITTING", "SITTING"], []):
        with pytest.raises(CheckpointError, match="trained_classes"):
            ModelSpec.from_json({**base, "trained_classes": bad}, tmp_path / "model.json")
    ok = ModelSpec.from_json({**base, "trained_classes": ["WALKING", "SITTING"]}, tmp_path)
    assert ok.merge_index() == (1, 0) and ok.n_outputs == 2
