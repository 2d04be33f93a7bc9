"""Not worn: a minute without body motion is a phone lying somewhere, said out loud."""

from __future__ import annotations

import numpy as np

from lstm_har.inference import Predictor
from lstm_har.signal import Windower
from lstm_har.signal.wear import NOT_WORN, NOT_WORN_S, not_worn, still


def _table_then_walk(still_s: float, rng: np.random.Generator) -> np.ndarray:
    """(T, 6): a phone flat on a table (sensor noise only), then walked with."""
    n_still, n_walk = int(still_s * 50), 3000
    table = np.tile([0.0, 0.0, 1.0, 0.0, 0.0, 0.0], (n_still, 1))
    table += rng.normal(scale=[0.0005, 0.0005, 0.0005, 0.0008, 0.0008, 0.0008], size=table.shape)
    t = np.arange(n_walk) / 50
    walk = np.stack([1 + 0.3 * np.sin(11 * t), 0.2 * np.sin(11 * t) - 0.2, 0 * t,
                     0.5 * np.cos(11 * t), 0 * t, 0 * t], axis=1)  # fmt: skip
    return np.concatenate([table, walk + rng.normal(scale=0.02, size=walk.shape)])


def test_runs_of_stillness_past_a_minute_only():
    need = int(np.ceil(NOT_WORN_S * 50 / 64))
    flags = np.array([True] * (need - 1) + [False] + [True] * need + [False, True])
    out = not_worn(flags)
    assert not out[: need - 1].any() and out[need : 2 * need].all() and not out[-1]


def test_a_phone_on_a_table_is_not_worn_and_a_walk_is_not_still(rng):
    samples = _table_then_walk(120, rng)
    _, windows = Windower().push(samples)
    flags = still(windows)
    table_windows = (120 * 50 - 128) // 64  # wholly inside the stillness
    assert flags[:table_windows].all() and not flags[table_windows + 2 :].any()
    preds = Predictor.from_model("walking", engine="torch").predict(samples)
    assert (preds.label[:table_windows] == NOT_WORN).all()
    assert NOT_WORN not in set(preds.label[table_windows + 2 :])
    seconds = preds.time_per_class()
    # a synthetic walk is not quite a person's: some of it may be UNKNOWN, never NOT_WORN
    assert seconds[NOT_WORN] > 100 and set(seconds) - {"UNKNOWN"} == {*preds.classes, NOT_WORN}


def test_half_a_minute_on_the_table_is_still_worn(rng):
    preds = Predictor.from_model("walking", engine="torch").predict(_table_then_walk(30, rng))
    assert NOT_WORN not in set(preds.label) and preds.still[:10].all()
