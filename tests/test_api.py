"""The public API: every name in ``lstm_har.__all__`` resolves (lazily) to its module's object."""

from __future__ import annotations

import importlib

import pytest

import lstm_har


def test_all_names_resolve():
    assert set(lstm_har.__all__) == {*lstm_har._EXPORTS, "__version__"}
    for name in lstm_har._EXPORTS:
        module = importlib.import_module(f"lstm_har.{lstm_har._EXPORTS[name]}")
        assert getattr(lstm_har, name) is getattr(module, name)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        lstm_har.nope  # noqa: B018
