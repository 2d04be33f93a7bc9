"""Shared fixtures: a private cache dir, the real packaged data (loaded once), tiny data."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from hypothesis import settings

# The fuzz tests draw the same examples on every run and machine (tests are deterministic):
# no random seed, no example database carried between runs.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.load_profile("deterministic")


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Tests never read or write the user's cache.
    os.environ["LSTM_HAR_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def uci(_private_cache: None):
    from lstm_har.data import load_uci_har

    return load_uci_har()


# Official test subjects 2 and 4 land in the test split; the other six train and validate.
TINY_SUBJECTS = [1, 2, 3, 4, 5, 6, 7, 8]


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small HAPT RawData folder: 8 subjects x 6 activities x 6 s, 4 windows each."""
    from helpers import write_hapt_raw

    root = tmp_path_factory.mktemp("tiny")
    write_hapt_raw(root, TINY_SUBJECTS)
    return str(root)


@pytest.fixture(scope="session")
def tiny_config(tiny_data: str):
    """A seconds-fast TrainConfig on ``tiny_data``."""
    from lstm_har.config import TrainConfig

    return TrainConfig(
        data=tiny_data, hidden_size=8, epochs=3, batch_size=16, val_subjects=2, patience=0
    )


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test on the real packaged data (the ``uci`` fixture) is slow."""
    for item in items:
        if "uci" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """With LSTM_HAR_ROUNDING_REPORT=1: each test's worst error as a fraction of its bound."""
    if os.environ.get("LSTM_HAR_ROUNDING_REPORT") != "1":
        return
    from rounding import worst_ratios

    terminalreporter.section("float rounding: worst |error| / bound per test")
    for test, ratio in sorted(worst_ratios.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f"{ratio:8.4f}  {test}")
