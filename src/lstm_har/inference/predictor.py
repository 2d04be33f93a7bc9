"""One way to load and apply a model: ``Predictor``; and the streaming ``Recognizer``.

``Predictor.from_model(name_or_dir, engine=...)`` owns what turns a recording into labels:
the preprocessing the model was trained with (``signal.Windower``: causal filters, 128-sample
windows every 64 samples), its calibration (a calibrated model reads each window against the
recording's upright pose, ``signal.calibration``), the model itself (PyTorch or onnxruntime)
and the answer (``predictions.Predictions``). Batch prediction is the stream fed in large
chunks, and a stream fed in chunks of any size emits the same windows and labels.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..checkpoint import ModelSpec, read_spec, weights_sha256
from ..errors import CheckpointError, DataError
from ..signal.calibration import (
    POCKET_MOTION_G,
    UprightTracker,
    calibrate,
    frame_inputs,
    stream_reference,
    window_gravity,
)
from ..signal.filters import CHANNELS, STEP, Windower
from ..signal.smoothing import FixedLagViterbi, sustained, trailing
from ..signal.wear import NOT_WORN_WINDOWS, not_worn, still
from .longread import LongRecording
from .onnx_engine import ONNX_FILE, Scores, onnx_scores
from .predictions import (
    UNKNOWN_WINDOWS,
    Calibration,
    Predictions,
    empty_predictions,
    hmm_emissions,
    join_predictions,
    smoothed,
    window_predictions,
)
from .recording import GYRO_MAX_RAD_S, PHONE_MAX_G, Recording
from .segments import Piece

if TYPE_CHECKING:
    from ..models import Classifier

PRETRAINED = ("walking", "activity")
Progress = Callable[[str, int, int], None]  # (stage, bytes done, bytes in all)
SMOOTH_LAG = NOT_WORN_WINDOWS  # windows (60.2 s) a smoothed stream runs behind: NOT_WORN's span
ENGINES = ("auto", "torch", "onnx")


def pretrained_dir(name: str) -> Path:
    """Folder of a model shipped in the package (``walking`` or ``activity``)."""
    return Path(str(resources.files("lstm_har") / "pretrained" / name))


def resolve_model(name_or_dir: str | Path) -> Path:
    """A pretrained model's name or a run directory -> the folder holding model.json."""
    if str(name_or_dir) in PRETRAINED:
        return pretrained_dir(str(name_or_dir))
    path = Path(name_or_dir)
    if not path.is_dir():
        raise CheckpointError(
            f"{path}: not a run directory, and not one of the pretrained models "
            f"({', '.join(PRETRAINED)})"
        )
    return path


PLACEMENTS = ("auto", "waist", "pocket")
_TOTAL = slice(CHANNELS.index("total_acc_x"), CHANNELS.index("total_acc_z") + 1)


class Predictor:
    """A model ready to label raw samples: preprocessing, calibration, model, answer.

    Args:
        scores: model inputs ``(N, 128, C)`` -> ``(N, K)`` probabilities and ``(N,)``
            novelty (``C`` is 9, 12 for a calibrated model, 13 for an any-orientation one).
        spec: the model's ``ModelSpec`` (classes, channels, calibration default, the novelty
            threshold past which a window is ``UNKNOWN``).
        engine: ``"torch"`` or ``"onnx"``, for the record.
    """

    def __init__(self, scores: Scores, spec: ModelSpec, engine: str = "torch") -> None:
        self.scores = scores
        self.spec = spec
        self.engine = engine

    def proba(self, windows: np.ndarray) -> np.ndarray:
        """Model inputs ``(N, 128, C)`` -> probabilities ``(N, K)``."""
        return self.scores(windows)[0]

    @classmethod
    def from_model(
        cls, model: str | Path = "activity", *, engine: str = "auto", backend: str | None = None,
        batch_size: int = 1024,
    ) -> Predictor:  # fmt: skip
        """Load a pretrained model (``walking``, ``activity``) or a run directory.

        ``engine="auto"`` takes ``model.onnx`` under onnxruntime when the folder has it and
        onnxruntime is installed (faster on large batches of windows), else PyTorch.
        """
        if engine not in ENGINES:
            raise CheckpointError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        folder = resolve_model(model)
        if engine == "auto":
            has_onnx = (folder / ONNX_FILE).is_file() and _onnxruntime_available()
            engine = "onnx" if has_onnx else "torch"
        if engine == "onnx":
            scores, _ = onnx_scores(folder / ONNX_FILE, weights_sha256(folder))
            return cls(scores, read_spec(folder), "onnx")
        from ..models import Classifier  # here: the ONNX engine runs without torch

        return cls.from_classifier(Classifier.load(folder, backend), batch_size)

    @classmethod
    def from_classifier(cls, model: Classifier, batch_size: int = 1024) -> Predictor:
        """A predictor over a classifier in memory (batched, no-grad)."""
        # a partial, not a lambda: a fitted scikit-learn estimator holding it must pickle
        return cls(functools.partial(model.predict_scores, batch_size=batch_size), model.spec)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.spec.classes

    def windows_scores(
        self, windows: np.ndarray, upright: np.ndarray | None = None,
        pocket: np.ndarray | bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """``(N, 128, 9)`` filtered windows -> probabilities ``(N, K)`` and novelty ``(N,)``;
        a calibrated model reads them against ``upright`` ``(3,)`` or ``(N, 3)`` (NaN rows:
        the model's default), an any-orientation one also with the placement ``pocket``
        (one bool or ``(N,)``)."""
        default = self.spec.upright()
        if default is not None:
            reference = default if upright is None else upright
            if self.spec.any_orientation:  # (N, 128, 9) -> (N, 128, 13)
                windows = frame_inputs(windows, reference, pocket, default)
            else:  # (N, 128, 9) -> (N, 128, 12)
                windows = calibrate(windows, reference, default)
        return self.scores(windows)

    def predict(
        self, samples: np.ndarray, *, upright: np.ndarray | None = None, chunk: int = 1 << 16,
        smooth: bool = True, placement: str = "auto",
    ) -> Predictions:  # fmt: skip
        """``(T, 6)`` raw 50 Hz samples (acc g, gyro rad/s) -> one prediction per window.

        This is the ``Recognizer`` fed ``chunk`` samples at a time: one code path for batch
        and streaming, and memory bounded by the chunk, while windows are still classified
        in large batches. A calibrated model reads the recording against ``upright``, by
        default its own reference (``signal.calibration.samples_reference``), or the model's
        default when it moves too little to have one (``Predictions.calibration`` says
        which). With
        ``smooth`` and a model that has an HMM (``ModelSpec.hmm``), the labels are the most
        likely sequence (``signal.smoothing.viterbi``) and ``UNKNOWN`` needs
        ``UNKNOWN_WINDOWS`` novel windows in a row; the probabilities stay each window's.
        An any-orientation model takes the ``placement`` (``PLACEMENTS``) as given, or with
        ``"auto"`` from how much the recording's moving windows move
        (``signal.calibration.POCKET_MOTION_G``); the waist when it barely moves.
        """

        samples = _checked(samples, "Predictor.predict")

        def chunks() -> Iterator[np.ndarray]:
            return (samples[i : i + chunk] for i in range(0, len(samples), chunk))

        calibration = self._calibration(chunks, upright, placement)
        return self._label(chunks(), calibration, smooth)

    def predict_recording(
        self, recording: Recording | LongRecording, *, smooth: bool = True,
        placement: str = "auto", progress: Progress | None = None,
    ) -> Predictions:  # fmt: skip
        """A recording (read whole, or a long one read in chunks) -> predictions over all its
        segments, times from its first sample.

        A calibrated model reads every segment against the whole recording's upright pose
        (and placement), which takes a first pass over the recording; each segment is
        smoothed on its own. ``progress(stage, done, total)`` hears how far each pass is.
        """

        def samples(stage: str) -> Iterator[Piece]:
            report = None if progress is None else functools.partial(progress, stage)
            for piece in recording.pieces(report):  # in memory-sized bites
                for i in range(0, len(piece.samples), 1 << 16):
                    yield dataclasses.replace(piece, samples=piece.samples[i : i + (1 << 16)])

        calibration = self._calibration(lambda: (p.samples for p in samples("upright pose")),
                                        None, placement)  # fmt: skip
        parts = []
        for _, group in itertools.groupby(samples("labelling"), key=lambda p: p.segment):
            first = next(group)
            # read to its end by _label before groupby moves on, as groupby requires
            chunks = itertools.chain([first.samples], (p.samples for p in group))  # noqa: B031
            parts.append((first.start_s, self._label(chunks, calibration, smooth)))
        return dataclasses.replace(join_predictions(parts, self.classes), calibration=calibration)

    def _calibration(
        self, chunks: Callable[[], Iterable[np.ndarray]], upright: np.ndarray | None,
        placement: str,
    ) -> Calibration | None:  # fmt: skip
        """The reference a calibrated model reads the samples ``chunks()`` gives against
        (None: uncalibrated); only a model that needs the recording's own reads them."""
        if placement not in PLACEMENTS:
            raise ValueError(f"placement must be one of {', '.join(PLACEMENTS)}, got {placement!r}")
        if self.spec.upright() is None:
            return None
        auto = self.spec.any_orientation and placement == "auto"
        own = stream_reference(chunks()) if upright is None or auto else None  # (4,)
        return _calibration_of(self.spec, upright, own, placement)

    def _label(
        self, chunks: Iterable[np.ndarray], calibration: Calibration | None, smooth: bool
    ) -> Predictions:
        stream = (self.recognizer() if calibration is None
                  else self.recognizer(calibration.upright, bool(calibration.pocket)))  # fmt: skip
        joined = join_predictions([(0.0, stream.push(c)) for c in chunks], self.classes)
        assert joined.still is not None  # the Recognizer flags every window
        raw = dataclasses.replace(joined, calibration=calibration,
                                  not_worn=not_worn(joined.still))  # fmt: skip
        return smoothed(raw, self.spec) if smooth else raw

    def recognizer(
        self, upright: np.ndarray | None = None, pocket: bool = False, lag: int | None = None
    ) -> Recognizer:
        return Recognizer(self, upright=upright, pocket=pocket, lag=lag)


class Recognizer:
    """Streaming recognition: push samples as they arrive, get a prediction every 64 samples.

    ``push`` takes ``(n, 6)`` samples at 50 Hz (acc x, y, z in g; gyro x, y, z in rad/s), any
    ``n`` including 0, and returns the ``Predictions`` of the windows completed by them: the
    first once 128 samples have arrived, then one per 64 more. Samples of another shape, not
    finite, or past what a phone reads (64 g, 105 rad/s: in m/s^2 or deg/s?) are a
    ``DataError``, and the stream goes on as if they had not been pushed. Feeding a recording in any
    chunking gives the same predictions as ``Predictor.predict`` on the whole of it (for a
    calibrated model, given the same ``upright``, and unsmoothed: ``predict(smooth=False)``).

    A calibrated model is read against a fixed ``upright`` when given, else each window
    against the reference of the stream up to it, which needs
    ``signal.calibration.MIN_MOVING_WINDOWS`` moving windows (~8 s of walking) before it
    replaces the model's default; either way the chunking does not change the predictions.
    An any-orientation model takes ``pocket`` with a fixed ``upright``, else the placement
    the stream's moving windows so far tell (the waist until there are enough).
    ``calibration`` is what the newest window was read against, with its ``warnings`` (a
    phone carried flat, a stream that has not yet moved enough to have its own pose).

    Smoothed streaming (``lag``, in windows; ``SMOOTH_LAG`` = 47 is 60 s): each window is
    decided ``lag`` windows after it arrived, by the model's HMM (``FixedLagViterbi``) and
    with ``NOT_WORN`` marked, so ``push`` returns the windows decided by the samples it was
    given, ``lag`` windows behind, and ``flush()`` the rest at the end of the stream. From a
    lag of ``NOT_WORN_WINDOWS - 1`` on, ``NOT_WORN`` and ``UNKNOWN`` (``UNKNOWN_WINDOWS`` in
    a row) are exactly the batch answer; the labels equal batch smoothing wherever the best
    paths have merged within the lag. A stream does not read the recording's own postures
    (``ModelSpec.posture_odds``, ``signal.posture``): they take the whole recording, so a
    stream's sitting/standing calls are the network's and the HMM's alone.
    """

    def __init__(
        self, predictor: Predictor, *, upright: np.ndarray | None = None, pocket: bool = False,
        lag: int | None = None,
    ) -> None:  # fmt: skip
        self.predictor = predictor
        self.upright = upright  # fixed reference; None = the stream's own so far
        self.pocket = pocket  # with a fixed reference: the placement
        self.lag = lag  # None: unsmoothed, each window as it completes
        self._windower = Windower()
        self._tracker = UprightTracker()
        spec, hmm = predictor.spec, predictor.spec.hmm()
        self._smoother = (
            None if lag is None or hmm is None
            else FixedLagViterbi(*hmm, lag, spec.emission_weight, spec.min_bout)
        )  # fmt: skip
        self._pending: Predictions | None = None  # windows not yet decided
        self._still_before = 0  # still windows just before the pending ones (capped)
        self._novel_before = 0  # and novel ones

    @classmethod
    def from_model(
        cls, model: str | Path = "activity", *, engine: str = "torch",
        backend: str | None = None, upright: np.ndarray | None = None,
    ) -> Recognizer:  # fmt: skip
        return cls(Predictor.from_model(model, engine=engine, backend=backend), upright=upright)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.predictor.classes

    @property
    def calibration(self) -> Calibration | None:
        """What the newest window was read against (the fixed reference, or the stream's so
        far), with its ``warnings``; None for a model that reads no upright pose."""
        spec = self.predictor.spec
        if spec.upright() is None:
            return None
        if self.upright is not None:
            return _calibration_of(spec, self.upright, None, "pocket" if self.pocket else "waist")
        so_far = self._tracker.current  # (4,) upright xyz, motion; NaN: too few yet
        return _calibration_of(spec, None, so_far if np.isfinite(so_far).all() else None, "auto")

    def push(self, samples: np.ndarray) -> Predictions:
        raw = self._classify(_checked(samples))
        if self.lag is None:
            return raw
        self._pending = raw if self._pending is None else join_predictions(
            [(0.0, self._pending), (0.0, raw)], self.classes)  # fmt: skip
        if self._smoother is not None:
            path = self._smoother.push(hmm_emissions(raw, self._smoother.prior))
        else:
            n = max(0, len(self._pending.start) - self.lag)
            path = self._pending.proba[:n].argmax(1)
        return self._decide(path)

    def flush(self) -> Predictions:
        """The windows still open at the end of a smoothed stream, decided (none unsmoothed)."""
        if self._pending is None:
            return self._classify(np.empty((0, 6)))
        path = (self._smoother.flush() if self._smoother is not None
                else self._pending.proba.argmax(1))  # fmt: skip
        return self._decide(path)

    def _decide(self, path: np.ndarray) -> Predictions:
        """The first ``len(path)`` pending windows, labelled; the rest stay pending."""
        pending = self._pending
        assert pending is not None and pending.still is not None
        n = len(path)
        assert pending.unknown is not None  # the Recognizer flags every window
        flags = np.concatenate([np.ones(self._still_before, dtype=bool), pending.still])
        off = not_worn(flags)[self._still_before :][:n]
        novel = pending.unknown
        if self._smoother is not None:  # smoothed: UNKNOWN_WINDOWS in a row, as in batch
            flags = np.concatenate([np.ones(self._novel_before, dtype=bool), novel])
            novel = sustained(flags, UNKNOWN_WINDOWS)[self._novel_before :]
        # the runs carried into the next windows, kept to the span that decides them
        self._still_before = trailing(pending.still[:n], self._still_before, NOT_WORN_WINDOWS)
        self._novel_before = trailing(pending.unknown[:n], self._novel_before, UNKNOWN_WINDOWS)
        first, rest = slice(0, n), slice(n, None)
        decided = Predictions(pending.start[:n], pending.end[:n], pending.proba[:n],
                              self.classes, path=path, still=pending.still[:n], not_worn=off,
                              acc_range=_rows(pending.acc_range, first),
                              unknown=novel[:n], gravity=_rows(pending.gravity, first))  # fmt: skip
        self._pending = Predictions(pending.start[n:], pending.end[n:], pending.proba[n:],
                                    self.classes, still=pending.still[n:],
                                    acc_range=_rows(pending.acc_range, rest),
                                    unknown=_rows(pending.unknown, rest),
                                    gravity=_rows(pending.gravity, rest))  # fmt: skip
        return decided

    def _classify(self, samples: np.ndarray) -> Predictions:
        starts, windows = self._windower.push(samples)  # (n, 6) -> (M,), (M, 128, 9)
        if not len(starts):
            return empty_predictions(self.classes)
        reference, pocket = None, np.asarray(self.pocket)
        if self.predictor.spec.calibrated:
            # (3,) fixed, or (M, 3) so far: NaN (the model's default) before enough movement
            reference = self.upright
            if reference is None:
                so_far = self._tracker.update(windows)  # (M, 4): upright xyz, motion
                reference, pocket = so_far[:, :3], so_far[:, 3] > POCKET_MOTION_G  # NaN: waist
        proba, novelty = self.predictor.windows_scores(windows, reference, pocket)
        threshold = self.predictor.spec.novelty_threshold
        unknown = novelty > threshold if threshold is not None else np.zeros(len(proba), bool)
        # (M, 128, 9) -> (M, 64): |total acc| over each window's first hop
        size = np.linalg.norm(windows[:, :STEP, _TOTAL], axis=-1)
        preds = window_predictions(starts, proba, self.classes)
        return dataclasses.replace(preds, still=still(windows), unknown=unknown,
                                   acc_range=np.stack([size.min(1), size.max(1)], 1),
                                   gravity=window_gravity(windows))  # fmt: skip


def _checked(samples: np.ndarray, who: str = "Recognizer.push") -> np.ndarray:
    """Samples given to ``who`` as float64 ``(n, 6)``, else a ``DataError`` before they reach
    a stream's filters (a NaN would stay in their state for good) or its buffer."""
    try:
        x = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise DataError(f"{who}: samples must be numbers ({e})") from None
    if x.ndim != 2 or x.shape[1] != 6:
        raise DataError(f"{who}: samples must be (n, 6), acc x, y, z in g then gyro "
                        f"x, y, z in rad/s; got shape {x.shape}")  # fmt: skip
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise DataError(f"{who}: sample {row} is not finite ({x[row].tolist()}); "
                        "fill or drop missing values first")  # fmt: skip
    acc, gyro = np.abs(x[:, :3]).max(initial=0.0), np.abs(x[:, 3:]).max(initial=0.0)
    if acc > PHONE_MAX_G:  # the limits read_recording holds a file to
        raise DataError(f"{who}: acceleration reads {acc:.3g} g; push takes g "
                        "(m/s^2 divided by 9.80665)")  # fmt: skip
    if gyro > 3 * GYRO_MAX_RAD_S:
        raise DataError(f"{who}: rotation reads {gyro:.3g} rad/s; push takes rad/s "
                        "(deg/s times pi/180)")  # fmt: skip
    return x


def _calibration_of(
    spec: ModelSpec, upright: np.ndarray | None, own: np.ndarray | None, placement: str
) -> Calibration:
    """What a calibrated model reads against: ``upright`` as given, else the recording's
    ``own`` reference ``(4,)`` (upright xyz, motion), else the model's default; for an
    any-orientation model also the ``placement``, told by ``own``'s motion when "auto"
    (the waist when there is none)."""
    default = spec.upright()
    assert default is not None, "a calibrated model has a default upright pose"
    if upright is None and own is not None:
        upright = own[:3]
    reference = default if upright is None else upright
    if not spec.any_orientation:
        return Calibration(reference, upright is not None)
    motion = None if own is None or placement != "auto" else float(own[3])
    pocket = motion > POCKET_MOTION_G if motion is not None else placement == "pocket"
    return Calibration(reference, upright is not None, pocket, motion)


def _rows(values: np.ndarray | None, rows: slice) -> np.ndarray | None:
    return None if values is None else values[rows]


def _onnxruntime_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None
