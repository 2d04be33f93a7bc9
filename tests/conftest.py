"""Shared fixtures: a private cache dir, the real packaged data (loaded once), tiny data."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Tests never read or write the user's cache.
    os.environ["LSTM_HAR_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def uci(_private_cache: None):
    from lstm_har.data import load_uci_har

    return load_uci_har()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
