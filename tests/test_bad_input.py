"""Bad configs, run directories, checkpoints and datasets: one line, exit 2, nothing left behind.

Recordings have their own tests (test_inference_recording.py); this file covers every other
file the CLI reads. Each case runs through ``main`` and checks the message names the file or
field, that stderr holds one line and no traceback, and that the filesystem is as it was.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import safetensors.torch
from helpers import make_spec, write_uci
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_har.checkpoint import ModelSpec
from lstm_har.cli import main
from lstm_har.config import TrainConfig, load_config
from lstm_har.errors import CheckpointError, ConfigError
from lstm_har.models import Classifier


def snapshot(root: Path) -> dict[str, int]:
    """Every file below ``root`` with its modification time: what "untouched" means."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def refused(args: list[str], capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


@pytest.fixture(scope="module")
def finished_run(tiny_config, tmp_path_factory):
    from lstm_har.training import runs

    out = tmp_path_factory.mktemp("bad") / "run"
    runs.train_run(tiny_config.replace(epochs=1), out)
    return out


@pytest.fixture
def run_copy(finished_run, tmp_path):
    import shutil

    return Path(shutil.copytree(finished_run, tmp_path / "run"))


def edit_json(path: Path, **changes: object) -> None:
    values = json.loads(path.read_text())
    for key, value in changes.items():
        if value is ...:
            values.pop(key)
        else:
            values[key] = value
    path.write_text(json.dumps(values))


@pytest.mark.parametrize(
    ("changes", "needles"),
    [
        ({"colour": "red"}, ["config.json", "unknown field(s) colour"]),
        ({"epochs": "ten"}, ["config.json", "epochs must be int", "'ten'"]),
        ({"epochs": 1.5}, ["epochs must be int"]),
        ({"data": 12}, ["data must be str or null"]),
        ({"lr": -1}, ["lr must be > 0"]),
        ({"hidden_size": 16}, ["does not fit", "config.json"]),  # edited after training
    ],
)
def test_resume_refuses_a_bad_config_json(run_copy, capsys, changes, needles):
    edit_json(run_copy / "config.json", **changes)
    before = snapshot(run_copy)
    refused(["train", "--resume", str(run_copy), "-q"], capsys, *needles)
    assert snapshot(run_copy) == before


def test_resume_refuses_a_malformed_train_state(run_copy, capsys):
    path = run_copy / "train_state.safetensors"
    with safetensors.safe_open(str(path), framework="pt") as f:
        meta, tensors = json.loads(f.metadata()["json"]), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    del meta["optimizer"]
    path.write_bytes(safetensors.torch.save(tensors, metadata={"json": json.dumps(meta)}))
    before = snapshot(run_copy)
    refused(["train", "--resume", str(run_copy), "-q"], capsys, "train_state", "optimizer")
    assert snapshot(run_copy) == before


@pytest.mark.parametrize(
    ("changes", "needles"),
    [
        ({"config": ...}, ["model.json", "no training config"]),
        ({"upright_default": "up"}, ["upright_default must be 3 numbers"]),
        ({"classes": "WALKING"}, ["'classes' must be a list of names"]),
        ({"hidden_size": 2_000_000_000}, ["hidden_size must be in 1..4096"]),
        ({"task": "activity"}, ["config and its model disagree"]),
        ({"format_version": 7}, ["not an lstm-har model"]),
    ],
)
def test_evaluate_refuses_a_bad_model_json(run_copy, capsys, changes, needles):
    edit_json(run_copy / "model.json", **changes)
    before = snapshot(run_copy)
    refused(["evaluate", str(run_copy)], capsys, *needles)
    assert snapshot(run_copy) == before


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("epochs = 1.5\n", ["epochs must be int, got 1.5"]),
        ("data = 12\n", ["data must be str or null"]),
        ("hidden_size = 2000000000\n", ["hidden_size must be in 1..4096"]),
        ('epochs = "ten"\n', ["epochs must be int, got 'ten'"]),
        ("epochs = 0\n", ["epochs must be >= 1"]),
        ("val_subjects = 30\n", ["val_subjects=30 leaves too few"]),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", ["not valid TOML"]),
        ("[colour]\nred = 1\n", ["unknown field(s) colour"]),
    ],
)
def test_train_refuses_a_bad_config_file_and_creates_nothing(
    tiny_data, tmp_path, capsys, text, needles
):
    config = tmp_path / "c.toml"
    config.write_text(f'data = "{tiny_data}"\nbatch_size = 16\nval_subjects = 2\n' + text
                      if "data =" not in text and "val_subjects" not in text else text)  # fmt: skip
    named = str(config) if "val_subjects=30" not in needles[0] else ""  # the data decides that
    for sweep in ([], ["--seeds", "0,1"]):
        refused(["train", "--config", str(config), "--out", str(tmp_path / "out"), *sweep],
                capsys, named, *needles)  # fmt: skip
        assert not (tmp_path / "out").exists()


def test_deeply_nested_json_is_refused(run_copy, tmp_path, capsys):
    config = tmp_path / "c.json"
    config.write_text("[" * 100_000 + "]" * 100_000)
    refused(["train", "--config", str(config), "--out", str(tmp_path / "o")], capsys,
            "not valid JSON", "nested too deeply")  # fmt: skip
    (run_copy / "model.json").write_text("[" * 100_000 + "]" * 100_000)
    refused(["evaluate", str(run_copy)], capsys, "model.json", "nested too deeply")


def test_a_failed_command_can_be_corrected(tiny_data, tmp_path, capsys):
    out = tmp_path / "run"
    args = ["train", "--out", str(out), "--data", tiny_data, "--batch-size", "16", "--epochs",
            "1", "--hidden-size", "4", "-q"]  # fmt: skip
    refused([*args, "--val-subjects", "30"], capsys, "val_subjects=30")
    assert not out.exists()
    assert main([*args, "--val-subjects", "2"]) == 0  # not "already holds a run"
    assert (out / "metrics.json").is_file()


def test_corrupt_and_oversized_dataset_zips_are_refused(tmp_path, rng, capsys, monkeypatch):
    from lstm_har.data import sources

    write_uci(tmp_path, rng, {"train": 3, "test": 2})
    archive = tmp_path / "uci.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted((tmp_path / "UCI HAR Dataset").rglob("*.txt")):
            z.write(f, f.relative_to(tmp_path))
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as z:
        info = max(z.infolist(), key=lambda i: i.compress_size)  # a signal file, > 1 kB
    # the member's data follows its local header: 30 bytes, then name and extra field
    name_len = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    for k in range(start + 10, start + 60):  # scramble the first member's compressed bytes
        data[k] ^= 0x5A
    (tmp_path / "corrupt.zip").write_bytes(bytes(data))
    refused(["data", "info", "--data", str(tmp_path / "corrupt.zip")], capsys, "corrupt.zip")
    # a member that unpacks past the cap, whatever its header says: refused before reading on
    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 1000)
    refused(["data", "info", "--data", str(archive)], capsys, "unpacks to more than")


def test_onnx_without_class_metadata_is_refused(run_copy, capsys):
    import onnx

    from lstm_har.inference.export import export

    path = export(Classifier.load(run_copy), run_copy)
    proto = onnx.load(str(path))
    del proto.metadata_props[:]
    path.write_bytes(proto.SerializeToString())
    (run_copy / "r.csv").write_text(
        "time,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z\n"
        + "".join(f"{i / 50},1,0,0,0,0,0\n" for i in range(200))
    )
    refused(["predict", str(run_copy / "r.csv"), "--model", str(run_copy), "--engine", "onnx"],
            capsys, "no class names")  # fmt: skip


def test_an_unwritable_out_is_exit_2(run_copy, tmp_path, capsys):
    (tmp_path / "r.csv").write_text(
        "time,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z\n"
        + "".join(f"{i / 50},1,0,0,0,0,0\n" for i in range(200))
    )
    (tmp_path / "file").write_text("")
    refused(["predict", str(tmp_path / "r.csv"), "--model", "walking", "--out",
             str(tmp_path / "file" / "p.csv")], capsys, "file")  # fmt: skip


# --------------------------------------------------------------------------- fuzz

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
CONFIG_FIELDS = list(TrainConfig().to_dict())
SPEC_FIELDS = list(make_spec().to_json())


def _near(valid: dict, fields: list[str]):
    """Valid records with some fields replaced by anything JSON can hold, or added."""
    return st.dictionaries(st.sampled_from(fields) | st.text(max_size=6), JSON, max_size=4).map(
        lambda changes: valid | changes
    )


@settings(max_examples=150, deadline=None)
@given(st.one_of(JSON, _near(TrainConfig().to_dict(), CONFIG_FIELDS)))
def test_fuzz_config_loader(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("fuzz") / "c.json"
    path.write_text(json.dumps(values))
    try:
        cfg = load_config(path, {})
    except ConfigError:
        return
    assert isinstance(cfg, TrainConfig) and TrainConfig.from_dict(cfg.to_dict()) == cfg


@settings(max_examples=150, deadline=None)
@given(st.one_of(JSON, _near(make_spec().to_json() | {"format_version": 1}, SPEC_FIELDS)))
def test_fuzz_model_json_loader(tmp_path_factory, values):
    folder = tmp_path_factory.mktemp("fuzz")
    Classifier.from_spec(make_spec()).save(folder)
    meta = json.loads((folder / "model.json").read_text())
    if isinstance(values, dict):
        values = values | {"weights_sha256": meta["weights_sha256"]}
    (folder / "model.json").write_text(json.dumps(values))
    try:
        model = Classifier.load(folder)
    except CheckpointError:
        return
    assert isinstance(model.spec, ModelSpec) and model.spec.classes
