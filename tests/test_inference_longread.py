"""Long recordings read in chunks: the same samples and labels as read whole, bounded memory."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from rounding import assert_within_rounding, classifier_terms

from lstm_har.cli import main
from lstm_har.errors import DataError
from lstm_har.inference import Predictor, longread, read_recording
from lstm_har.inference.longread import read_long

COLUMNS = ["time", "acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]


def _recording(rng, seconds: float = 120.0, rate: float = 50.0, t0: float = 1.7e9) -> pd.DataFrame:
    """Walking and standing in m/s^2 with epoch times, jittered, a 12 s pause in the middle."""
    n = int(seconds * rate)
    t = t0 + np.arange(n) / rate + rng.uniform(-0.002, 0.002, n) / rate * 50
    t[n // 2 :] += 12.0  # a pause over MAX_GAP_S: two segments
    walking = (np.arange(n) // int(20 * rate)) % 2 == 0
    gait = np.sin(2 * np.pi * 1.8 * (t - t0))
    acc = np.stack([1 + 0.3 * walking * gait, 0.1 * walking * gait, 0.05 + 0 * gait], 1)
    acc = (acc + rng.normal(scale=0.01, size=acc.shape)) * 9.80665
    gyro = 0.4 * walking[:, None] * np.stack([gait, 0.5 * gait, 0.2 * gait], 1)
    return pd.DataFrame(np.column_stack([t, acc, gyro]), columns=COLUMNS)


@pytest.mark.parametrize("rows", [997, 4000])
def test_chunks_give_the_samples_of_the_whole_read(tmp_path, rng, rows):
    path = tmp_path / "rec.csv"
    _recording(rng).to_csv(path, index=False, float_format="%.6f")
    whole = read_recording(path)
    long = read_long(path, chunk_rows=rows)
    assert long.t0 == whole.t0 and long.epoch
    assert long.source_rate_hz == pytest.approx(whole.source_rate_hz, rel=0.01)  # first chunk's
    assert whole.summary.split(" Hz; ")[1] in long.summary  # units, time, signs: the same
    assert len(whole.segments) == 2
    _assert_same_segments(long, whole)


def _assert_same_segments(long, whole) -> None:
    """``long``'s pieces, joined per segment, are ``whole``'s segments: the same linear
    interpolation, from times relative to the segment's start, so within a few roundings of
    values in g (m/s^2 / 9.8) and of rad/s."""
    pieces = list(long.pieces())
    assert {p.segment for p in pieces} == set(range(len(whole.segments)))
    for k, segment in enumerate(whole.segments):
        mine = [p for p in pieces if p.segment == k]
        assert {p.start_s for p in mine} == {segment.start_s}
        got = np.concatenate([p.samples for p in mine])
        assert_within_rounding(got, segment.samples, 8, name=f"segment {k}",
                               computed_in=torch.float64)  # fmt: skip


def _sensor_logger(folder, frame: pd.DataFrame, split: bool = False):
    """``frame`` as a Sensor Logger (Android) export: one CSV per sensor, ns since the epoch,
    the gyroscope on its own clock (3 ms later) with an 8 s pause of its own; ``split``:
    gravity-free acceleration and Gravity.csv."""
    folder.mkdir()
    ns = np.round(frame["time"].to_numpy() * 1e9).astype(np.int64)
    t = frame["time"].to_numpy() - frame["time"].iloc[0]
    acc = frame[["acc_x", "acc_y", "acc_z"]].to_numpy()
    gravity = np.repeat(acc.mean(0, keepdims=True), len(acc), axis=0)
    sensors = {"Gyroscope": (ns + 3_000_000, frame[["gyro_x", "gyro_y", "gyro_z"]].to_numpy(),
                             (t < 30) | (t > 38))}  # fmt: skip
    if split:
        sensors |= {"Accelerometer": (ns, acc - gravity, t >= 0),
                    "Gravity": (ns, gravity, t >= 0)}  # fmt: skip
    else:
        sensors["TotalAcceleration"] = (ns, acc, t >= 0)
    for name, (times, xyz, rows) in sensors.items():
        pd.DataFrame({"time": times, "seconds_elapsed": t, "z": xyz[:, 2], "y": xyz[:, 1],
                      "x": xyz[:, 0]})[rows].to_csv(folder / f"{name}.csv", index=False,
                                                    float_format="%.6f")  # fmt: skip
    (folder / "Metadata.csv").write_text("version,device name,recording time,platform\n"
                                         "3,test,2023-11-14_23-13-20,android\n")  # fmt: skip
    return folder


@pytest.mark.parametrize("split", [False, True])
def test_a_folder_export_read_in_step_gives_the_whole_read(tmp_path, rng, split, monkeypatch):
    folder = _sensor_logger(tmp_path / "sl", _recording(rng), split)
    whole = read_recording(folder)
    assert len(whole.segments) == 3  # the recording's pause and the gyroscope's
    for given in (folder, folder / "Gyroscope.csv"):
        long = read_long(given, chunk_rows=997)
        assert long.t0 == whole.t0 and long.gyro_path == folder / "Gyroscope.csv"
        assert whole.summary.split(" Hz; ")[1] in long.summary
        _assert_same_segments(long, whole)
    # the CLI takes this path past LONG_FILE_BYTES, with the whole read's labels
    out_whole, out_long = tmp_path / "whole.csv", tmp_path / "long.csv"
    assert main(["predict", str(folder), "--out", str(out_whole)]) == 0
    monkeypatch.setattr(longread, "LONG_FILE_BYTES", 0)
    assert main(["predict", str(folder), "--out", str(out_long)]) == 0
    a, b = pd.read_csv(out_whole), pd.read_csv(out_long)
    assert (a["label"] == b["label"]).all()
    # zipped as the app shares it: read in place, member by member, to the same samples
    archive = tmp_path / "2023-11-14_23-13-20.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"2023-11-14_23-13-20/{f.name}")
    assert longread.is_long(archive)  # past LONG_FILE_BYTES (0 here)
    assert main(["predict", str(archive), "--out", str(out_long)]) == 0
    assert (pd.read_csv(out_long)["label"] == a["label"]).all()
    long = read_long(archive, chunk_rows=997)
    assert str(long.gyro_path) == f"{archive}!2023-11-14_23-13-20/Gyroscope.csv"
    _assert_same_segments(long, whole)
    sizes = []
    list(long.pieces(progress=lambda done, size: sizes.append((done, size))))
    assert sizes[-1][0] == sizes[-1][1] > archive.stat().st_size  # uncompressed bytes
    gyro = pd.read_csv(folder / "Gyroscope.csv")
    gyro.loc[3000:, "time"] -= 60 * 10**9  # back by a minute, in a later chunk
    gyro.to_csv(folder / "Gyroscope.csv", index=False)
    with pytest.raises(DataError, match="Gyroscope.csv: time goes backwards"):
        list(read_long(folder, chunk_rows=997).pieces())


def test_a_gravity_file_that_ends_early_is_held_as_read_whole(tmp_path, rng):
    folder = _sensor_logger(tmp_path / "sl", _recording(rng), split=True)
    gravity = pd.read_csv(folder / "Gravity.csv")
    gravity.iloc[: len(gravity) // 3].to_csv(folder / "Gravity.csv", index=False)
    whole = read_recording(folder)  # holds gravity's last value to the end
    _assert_same_segments(read_long(folder, chunk_rows=997), whole)


def test_predictions_and_cli_outputs_match_the_whole_read(tmp_path, rng, monkeypatch, capsys):
    from lstm_har.inference.predictor import pretrained_dir

    path = tmp_path / "rec.csv"
    _recording(rng, seconds=300).to_csv(path, index=False, float_format="%.6f")
    predictor = Predictor.from_model(pretrained_dir("activity"), engine="torch")
    whole = predictor.predict_recording(read_recording(path))
    stages = []
    long = predictor.predict_recording(read_long(path, chunk_rows=2000),
                                       progress=lambda *a: stages.append(a))  # fmt: skip
    assert {s for s, _, _ in stages} == {"upright pose", "labelling"}
    assert stages[-1][1] == stages[-1][2] == path.stat().st_size  # read to the end
    np.testing.assert_allclose(long.start, whole.start)
    # the same samples, windows batched differently: the model's float32 chain
    terms = classifier_terms("convbilstm", 32, 9)
    assert_within_rounding(long.proba, whole.proba, terms, scale=1.0, computed_in=torch.float32)
    assert (long.label == whole.label).all()
    np.testing.assert_allclose(long.calibration.upright, whole.calibration.upright, atol=1e-6)
    # the CLI takes the chunked path past LONG_FILE_BYTES, with the same output
    out_whole, out_long = tmp_path / "whole.csv", tmp_path / "long.csv"
    assert main(["predict", str(path), "--out", str(out_whole)]) == 0
    monkeypatch.setattr(longread, "LONG_FILE_BYTES", 0)
    assert main(["predict", str(path), "--out", str(out_long), "--plot",
                 str(tmp_path / "t.png")]) == 0  # fmt: skip
    assert "read in chunks" in capsys.readouterr().out
    a, b = pd.read_csv(out_whole), pd.read_csv(out_long)
    assert (a["label"] == b["label"]).all() and (tmp_path / "t.png").stat().st_size > 1000


def test_another_rate_is_low_passed_and_interpolated(tmp_path, rng):
    from lstm_har.inference.predictor import pretrained_dir

    path = tmp_path / "rec100.csv"
    _recording(rng, seconds=300, rate=100).to_csv(path, index=False, float_format="%.6f")
    whole = read_recording(path)
    long = read_long(path, chunk_rows=3000)
    counts = [sum(len(p.samples) for p in long.pieces() if p.segment == k) for k in (0, 1)]
    # the polyphase resampler's output runs up to 2 samples past the last timestamp
    assert all(0 <= len(s.samples) - c <= 2 for c, s in zip(counts, whole.segments, strict=True))
    # another resampler (the module docstring), with a causal filter's few-ms delay: the
    # samples differ a little, the labels hardly
    predictor = Predictor.from_model(pretrained_dir("activity"), engine="torch")
    a, b = predictor.predict_recording(whole), predictor.predict_recording(long)
    n = min(len(a.label), len(b.label))
    assert (a.label[:n] == b.label[:n]).mean() >= 0.95


def test_bad_long_files_are_one_line_errors(tmp_path, rng):
    frame = _recording(rng, seconds=60)
    frame.loc[2000:, "time"] -= 30.0  # time goes back, in the second chunk
    path = tmp_path / "back.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="backwards"):
        list(read_long(path, chunk_rows=1500).pieces())
    spread = _recording(rng, seconds=60)
    steps = np.where(np.arange(len(spread)) % 5 < 2, 4.9, 0.02)  # 50 Hz, 40 % of steps 4.9 s
    steps[:1000] = 0.02  # the first chunk looks fine
    spread["time"] = spread["time"].iloc[0] + np.concatenate([[0], np.cumsum(steps[1:])])
    path = tmp_path / "spread.csv"
    spread.to_csv(path, index=False)
    with pytest.raises(DataError, match="timestamps spread"):  # before the grid is made
        list(read_long(path, chunk_rows=1000).pieces())
    path = tmp_path / "header.csv"
    path.write_text(",".join(COLUMNS) + "\n")
    with pytest.raises(DataError, match="no data rows"):
        read_long(path)
    # a zip whose member was damaged after it was written (one digit, past its first chunk):
    # its CRC, checked as the member is read to its end
    path = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("rec.csv", _recording(rng, seconds=60).to_csv(index=False))
    data = bytearray(path.read_bytes())
    digit = data.index(b"5", len(data) // 2)
    data[digit] = ord("6")
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="rec.csv: the archive member is corrupt"):
        list(read_long(path, chunk_rows=500).pieces())


@pytest.mark.parametrize("where", ["memory", "disk", "neither", "disk full", "no folder"])
def test_a_second_read_gives_the_same_pieces_parsing_again_only_past_the_budgets(
    tmp_path, rng, monkeypatch, where
):
    path = tmp_path / "rec.csv"
    _recording(rng).to_csv(path, index=False, float_format="%.6f")
    if where != "memory":  # 120 s at 50 Hz is 288 KB of samples
        monkeypatch.setattr(longread, "KEEP_BYTES", 100_000)
    if where == "neither":
        monkeypatch.setattr(longread, "SPILL_BYTES", 200_000)
    if where == "disk full":
        monkeypatch.setattr(longread._Spill, "add", lambda self, piece: False)
    if where == "no folder":  # the cache folder cannot be made: a file is in its way
        (tmp_path / "cache").write_text("")
        monkeypatch.setattr(longread, "cache_dir", lambda: tmp_path / "cache")
    parsed = []
    read_chunks = longread.read_chunks
    monkeypatch.setattr(longread, "read_chunks",
                        lambda *a: parsed.append(1) or read_chunks(*a))  # fmt: skip
    long = read_long(path, chunk_rows=997)
    parsed.clear()  # read_long's look at the first chunk
    first = list(long.pieces())
    sizes = []
    second = list(long.pieces(lambda done, size: sizes.append((done, size))))
    assert len(parsed) == (1 if where in ("memory", "disk") else 2)
    if where == "disk":  # the spill has no name: nothing to find, or to leave behind
        assert not list((longread.cache_dir() / "tmp").iterdir())
    assert sizes[-1] == (path.stat().st_size,) * 2 and sizes == sorted(sizes)
    assert [(p.segment, p.start_s) for p in first] == [(p.segment, p.start_s) for p in second]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.samples, b.samples)
