"""The CLI's shape: predict starts without training, scikit-learn or matplotlib; --help
explains every config field."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from lstm_har.cli import build_parser
from lstm_har.config import field_help

HEAVY = ("lstm_har.training", "lstm_har.sklearn", "sklearn", "matplotlib")


def _modules_after(code: str) -> set[str]:
    """The module names loaded by a fresh interpreter after running ``code``."""
    script = f"import sys\n{code}\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)  # fmt: skip
    return set(out.stdout.split())


@pytest.mark.slow
def test_predict_imports_no_training_sklearn_or_matplotlib(tmp_path):
    t = np.arange(1000) / 50
    frame = pd.DataFrame({"time": t, "acc_x": 1 + 0.2 * np.sin(9 * t), "acc_y": 0.0,
                          "acc_z": 0.0, "gyro_x": 0.1 * np.cos(9 * t), "gyro_y": 0.0,
                          "gyro_z": 0.0})  # fmt: skip
    frame.to_csv(tmp_path / "r.csv", index=False)
    run = (f"from lstm_har.cli import main; "
           f"assert main(['predict', {str(tmp_path / 'r.csv')!r}, '--model', 'walking', "
           f"'--engine', 'torch', '--out', {str(tmp_path / 'p.csv')!r}]) == 0")  # fmt: skip
    loaded = _modules_after(run)
    assert "lstm_har.inference.predictor" in loaded and (tmp_path / "p.csv").is_file()
    assert not [m for m in loaded if m.startswith(HEAVY)]
    with_plot = _modules_after(
        run.replace("]) == 0", ", '--plot', 'x.png']) == 0").replace(
            "x.png", str(tmp_path / "t.png")
        )
    )
    assert "matplotlib" in with_plot and not [m for m in with_plot if m.startswith(HEAVY[:3])]


def test_train_help_explains_every_config_field():
    train = build_parser()._subparsers._group_actions[0].choices["train"]  # type: ignore[union-attr]
    text = " ".join(train.format_help().split())
    for name, help_text in field_help().items():
        assert f"--{name.replace('_', '-')}" in text
        assert " ".join(help_text.split())[:40] in text, name
