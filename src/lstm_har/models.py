"""Models by name, and the ``Classifier`` that a checkpoint rebuilds in one call.

Every model maps ``(B, 128, C)`` windows to class scores. Output contract, which the training
loop relies on and nothing else: a binary model returns ``(B, 1)`` probabilities of the
positive class (the study's sigmoid head, trained with BCELoss); a K-class model returns
``(B, K)`` logits (cross-entropy). ``Classifier`` wraps any of them with the standardisation
fitted on the training subjects and the ``ModelSpec`` that says what it is, so a checkpoint
(``model.safetensors`` + ``model.json``, see ``checkpoint``) carries its own preprocessing:
``Classifier.load(directory)`` and ``classifier.save(directory)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from .checkpoint import ModelSpec, load_model_files, save_model_files
from .errors import CheckpointError
from .nn import LSTM

BACKENDS = ("torch", "ours")


def make_lstm(backend: str, *args: object, **kwargs: object) -> nn.Module:
    """``torch.nn.LSTM`` or ``lstm_har.nn.LSTM``: same parameters, so weights move freely."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown LSTM backend {backend!r}; choose from {', '.join(BACKENDS)}")
    cls = torch.nn.LSTM if backend == "torch" else LSTM
    return cls(*args, **kwargs)  # type: ignore[arg-type]


def _head(output_size: int) -> nn.Module:
    return nn.Sigmoid() if output_size == 1 else nn.Identity()


class SimpleLSTM(nn.Module):
    """The study's model, layer for layer: LSTM -> Linear(H, 20) -> Linear(20, out) -> Sigmoid.

    ``fc_new`` is applied at every step and ``fc`` to the last one, as in the study. For a
    K-class task (``output_size > 1``) the sigmoid is left out and the output is logits.
    """

    def __init__(
        self, input_size: int, hidden_size: int, output_size: int, backend: str = "torch"
    ) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.lstm = make_lstm(backend, input_size, hidden_size, batch_first=True)
        self.fc_new = nn.Linear(hidden_size, 20)
        self.fc = nn.Linear(20, output_size)
        self.sigmoid = _head(output_size)
        self.feature_size = 20

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))

    def features(self, x: Tensor) -> Tensor:
        """What the last layer reads: ``(B, T, C)`` -> ``(B, 20)``."""
        batch_size = x.size(0)
        h0 = x.new_zeros(1, batch_size, self.hidden_size)
        c0 = x.new_zeros(1, batch_size, self.hidden_size)
        out, _ = self.lstm(x, (h0, c0))  # (B, T, C) -> (B, T, H)
        out = self.fc_new(out)  # (B, T, H) -> (B, T, 20)
        last: Tensor = out[:, -1, :]  # last step: (B, 20)
        return last

    def head(self, features: Tensor) -> Tensor:
        probs: Tensor = self.sigmoid(self.fc(features))  # (B, 20) -> (B, out)
        return probs


class ConvBiLSTM(nn.Module):
    """A stronger LSTM-family model: conv front end, bidirectional LSTM, pooled over time.

    Two Conv1d blocks learn local motion features at 50 Hz (kernel 5 = 0.1 s); a 2-layer
    BiLSTM reads them in both directions; mean and max over time feed a linear head.
    ``pool`` > 1 max-pools the conv features over time first, so the LSTM, most of the cost,
    takes ``128 / pool`` steps (``convbilstm_lite``: 32 channels, pool 4, about 8x faster).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        backend: str = "torch",
        channels: int = 64,
        dropout: float = 0.2,
        pool: int = 1,
    ) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(input_size, channels, kernel_size=5, padding=2),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            nn.Conv1d(channels, channels, kernel_size=5, padding=2),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            *([nn.MaxPool1d(pool)] if pool > 1 else []),
        )
        self.lstm = make_lstm(
            backend, channels, hidden_size, num_layers=2, batch_first=True, bidirectional=True
        )
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(4 * hidden_size, output_size)
        self.out = _head(output_size)
        self.feature_size = 4 * hidden_size

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))

    def features(self, x: Tensor) -> Tensor:
        """What the last layer reads: ``(B, T, C)`` -> ``(B, 4H)``."""
        z = self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, T, C) -> (B, T/pool, channels)
        out, _ = self.lstm(z)  # (B, T', channels) -> (B, T', 2H)
        return torch.cat([out.mean(1), out.amax(1)], dim=-1)  # (B, T', 2H) -> (B, 4H)

    def head(self, features: Tensor) -> Tensor:
        scores: Tensor = self.out(self.fc(self.dropout(features)))
        return scores


MODELS: dict[str, Callable[..., nn.Module]] = {
    "simple": SimpleLSTM,
    "convbilstm": ConvBiLSTM,
    "convbilstm_lite": functools.partial(ConvBiLSTM, channels=32, pool=4),
}


class UprightFrame(nn.Module):
    """What survives any rotation of the phone, from ``signal.FRAME_CHANNELS`` windows.

    With u the unit upright reference and each triad v split into its part along u,
    ``v_up = v . u``, and the rest, ``v_across = v - v_up u``, the features are
    ``body_up, |body_across|, gyro_up, |gyro_across|, gravity_up, |gravity_across|`` (gravity
    = total - body: ``gravity_up`` is the cosine of the lean from upright, ``|gravity_across|``
    its sine, in g), two heading-free couplings of the horizontal motion,
    ``body_across . gyro_across`` and ``(body_across x gyro_across) . u``, and the placement.
    A rotation R of the phone rotates every triad and u alike, so none of these change
    (exactly: each is a dot product or a length).

    Shapes: ``(B, T, 13)`` -> ``(B, T, 9)``.
    """

    n_features = 9

    def forward(self, x: Tensor) -> Tensor:
        body, gyro, total, up = x[..., 0:3], x[..., 3:6], x[..., 6:9], x[..., 9:12]
        u = up / up.square().sum(-1, keepdim=True).clamp_min(1e-12).sqrt()  # (B, T, 3)

        def split(v: Tensor) -> tuple[Tensor, Tensor]:
            along = (v * u).sum(-1, keepdim=True)  # (B, T, 1)
            return along, v - along * u

        def length(v: Tensor) -> Tensor:  # written out: exports to ONNX, smooth at 0
            return (v.square().sum(-1, keepdim=True) + 1e-12).sqrt()

        (b_up, b_across), (w_up, w_across) = split(body), split(gyro)
        g_up, g_across = split(total - body)
        bx, by, bz = b_across.unbind(-1)
        wx, wy, wz = w_across.unbind(-1)
        cross = torch.stack([by * wz - bz * wy, bz * wx - bx * wz, bx * wy - by * wx], -1)
        return torch.cat(
            [b_up, length(b_across), w_up, length(w_across), g_up, length(g_across),
             (b_across * w_across).sum(-1, keepdim=True), (cross * u).sum(-1, keepdim=True),
             x[..., 12:13]], dim=-1,
        )  # fmt: skip


def build_model(
    name: str, input_size: int, hidden_size: int, n_classes: int, backend: str = "torch",
    forget_bias: float = 0.0,
) -> nn.Module:  # fmt: skip
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    output_size = 1 if n_classes == 2 else n_classes
    model = MODELS[name](input_size, hidden_size, output_size, backend=backend)
    if forget_bias:
        add_forget_bias(model, forget_bias)
    return model


@torch.no_grad()
def add_forget_bias(model: nn.Module, value: float) -> None:
    """Add ``value`` to the forget gate's rows (H..2H, gate order i, f, g, o) of every
    ``bias_hh`` in ``model``'s LSTMs, whichever backend."""
    for name, param in model.named_parameters():
        if ".bias_hh_l" in f".{name}":
            hidden = param.shape[0] // 4
            param[hidden : 2 * hidden] += value


def n_features(spec: ModelSpec) -> int:
    """How many features the network itself reads (after ``UprightFrame`` if any)."""
    return UprightFrame.n_features if spec.any_orientation else len(spec.channels)


class Classifier(nn.Module):
    """A model plus its input standardisation, ``net((x - mean) / std)``, and its ``spec``.

    ``mean`` and ``std`` are ``(C,)`` buffers fitted on the training subjects' windows; they
    are saved with the weights, so the checkpoint alone turns raw windows into scores.

    Shapes: ``forward`` and ``proba`` take ``(B, T, C)`` with ``C = len(spec.channels)``;
    ``forward`` returns the model's raw output (see the module docstring), ``proba`` ``(B, K)``.
    """

    mean: Tensor
    std: Tensor
    merge: Tensor  # (K', K): trained class -> answered class (spec.trained_classes)
    novelty_mean: Tensor  # (K', D) float64, each trained class's mean features
    novelty_precision: Tensor  # (D, D) float64, inverse of their shared covariance

    def __init__(self, net: nn.Module, spec: ModelSpec) -> None:
        super().__init__()
        self.net = net
        self.spec = spec
        # any-orientation models read features of the channels (see UprightFrame)
        self.frame: nn.Module = UprightFrame() if spec.any_orientation else nn.Identity()
        n = n_features(spec)
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("std", torch.ones(n))
        index = spec.merge_index()
        if index is not None:  # fixed by the spec, so not saved with the weights
            merge = torch.zeros(len(index), len(spec.classes))
            merge[torch.arange(len(index)), torch.tensor(index)] = 1.0
            self.register_buffer("merge", merge, persistent=False)
        if spec.novelty_threshold is not None:  # see proba_and_novelty
            d = int(getattr(net, "feature_size"))  # noqa: B009 - every model in MODELS has it
            self.register_buffer(
                "novelty_mean", torch.zeros(spec.n_outputs, d, dtype=torch.float64)
            )
            self.register_buffer("novelty_precision", torch.zeros(d, d, dtype=torch.float64))

    @classmethod
    def from_spec(cls, spec: ModelSpec, forget_bias: float = 0.0) -> Classifier:
        """A freshly initialised classifier as ``spec`` describes it (seed torch first)."""
        net = build_model(spec.model, n_features(spec), spec.hidden_size, spec.n_outputs,
                          spec.backend, forget_bias)  # fmt: skip
        return cls(net, spec)

    @classmethod
    def load(cls, directory: Path, backend: str | None = None) -> Classifier:
        """The classifier saved in ``directory`` (a run or a pretrained model), in eval mode.

        Args:
            directory: holds ``model.safetensors`` and ``model.json``.
            backend: ``"torch"`` or ``"ours"`` for the LSTM; default, the one it trained with.
        Raises:
            CheckpointError: missing, torn or inconsistent files.
        """
        spec, state = load_model_files(Path(directory))
        if backend is not None:
            spec = spec.replace(backend=backend)
        try:
            model = cls.from_spec(spec)
        except ValueError as e:
            raise CheckpointError(f"{directory}: bad model.json ({e})") from None
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as e:
            first = str(e).splitlines()[0]
            raise CheckpointError(f"{directory}: weights do not fit model.json ({first})") from None
        return model.eval()

    def save(self, directory: Path) -> None:
        """``model.safetensors`` then ``model.json`` into ``directory``, each atomically."""
        save_model_files(Path(directory), self.state_dict(), self.spec)

    def fit_normaliser(self, X: Tensor) -> Classifier:
        """Per-feature mean and std over all windows and steps of ``X`` ``(N, T, C)``."""
        with torch.no_grad():
            features = torch.cat([self.frame(X[i : i + 4096]) for i in range(0, len(X), 4096)])
        flat = features.reshape(-1, features.shape[-1]).double()
        self.mean.copy_(flat.mean(0))
        self.std.copy_(flat.std(0).clamp_min(1e-6))
        return self

    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = self.net(self._inputs(x))
        return out

    def _inputs(self, x: Tensor) -> Tensor:
        """Windows ``(B, T, C)`` as the network reads them: features, standardised."""
        if x.shape[-1] != len(self.spec.channels):  # else a broadcasting error deep inside
            raise ValueError(
                f"Classifier: expected windows (B, T, {len(self.spec.channels)}), got "
                f"{tuple(x.shape)}; a calibrated model takes signal.calibrate's 12 channels, "
                "an any-orientation one signal.frame_inputs' 13"
            )
        inputs: Tensor = (self.frame(x) - self.mean) / self.std
        return inputs

    def proba(self, x: Tensor) -> Tensor:
        """Class probabilities ``(B, K)`` whatever the head: binary gives ``[1 - p, p]``; a
        network trained on finer classes has theirs summed into the ones it answers."""
        return self._answer(self(x))

    def _answer(self, out: Tensor) -> Tensor:
        proba = _probabilities(out)  # (B, K') over the network's own classes
        if self.spec.trained_classes is not None:
            proba = proba @ self.merge  # (B, K') -> (B, K)
        return proba

    def features(self, x: Tensor) -> Tensor:
        """What the network's last layer reads, ``(B, T, C)`` -> ``(B, D)``."""
        features: Tensor = self.net.features(self._inputs(x))  # type: ignore[operator]
        return features

    def proba_and_novelty(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Probabilities ``(B, K)`` and each window's novelty ``(B,)`` in one pass.

        Novelty is the Mahalanobis distance (squared) of the window's features from the
        nearest class's mean, under the training windows' shared covariance (Lee et al.,
        NeurIPS 2018): far from every class, the window is unlike anything trained on. The
        means and precision are fitted after training (``training.novelty``); a model without
        them (``spec.novelty_threshold`` None) answers zeros.
        """
        features = self.features(x)  # (B, D)
        proba = self._answer(self.net.head(features))  # type: ignore[operator]
        if self.spec.novelty_threshold is None:
            return proba, features.new_zeros(len(features))
        diff = features.double()[:, None, :] - self.novelty_mean[None]  # (B, K, D)
        distance = ((diff @ self.novelty_precision) * diff).sum(-1)  # (B, K)
        return proba, distance.amin(-1).to(proba.dtype)

    def set_novelty(self, mean: Tensor, precision: Tensor, threshold: float) -> None:
        """Give the model its novelty detector: class means ``(K, D)``, the precision
        ``(D, D)`` and the threshold past which a window is UNKNOWN (in ``spec``)."""
        self.spec = self.spec.replace(novelty_threshold=float(threshold))
        self.register_buffer("novelty_mean", mean.double().clone())
        self.register_buffer("novelty_precision", precision.double().clone())

    @torch.no_grad()
    def predict_scores(
        self, X: np.ndarray | Tensor, batch_size: int = 512
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(N, T, C)`` windows -> probabilities ``(N, K)`` and novelty ``(N,)``, float64,
        in eval mode and batches (see ``proba_and_novelty``)."""
        was_training = self.training
        self.eval()
        X = torch.as_tensor(X)
        parts = [
            self.proba_and_novelty(X[i : i + batch_size]) for i in range(0, len(X), batch_size)
        ]
        self.train(was_training)
        if not parts:
            return np.empty((0, len(self.spec.classes))), np.empty(0)
        return (torch.cat([p for p, _ in parts]).double().numpy(),
                torch.cat([n for _, n in parts]).double().numpy())  # fmt: skip

    @torch.no_grad()
    def predict_proba(self, X: np.ndarray | Tensor, batch_size: int = 512) -> np.ndarray:
        """``(N, T, C)`` windows -> ``(N, K)`` float64 probabilities, in eval mode, in
        batches of ``batch_size`` (memory stays bounded whatever N)."""
        was_training = self.training
        self.eval()
        X = torch.as_tensor(X)
        parts = [self.proba(X[i : i + batch_size]) for i in range(0, len(X), batch_size)]
        self.train(was_training)
        if not parts:
            return np.empty((0, len(self.spec.classes)), dtype=np.float64)
        return torch.cat(parts).double().numpy()


def _probabilities(out: Tensor) -> Tensor:
    if out.shape[-1] == 1:
        return torch.cat([1 - out, out], dim=-1)
    return torch.softmax(out, -1)


def loss_function(n_classes: int) -> nn.Module:
    """BCELoss on the sigmoid output for two classes (the study's recipe), else cross-entropy."""
    return nn.BCELoss() if n_classes == 2 else nn.CrossEntropyLoss()


def loss_target(y: Tensor, n_classes: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """Labels as the loss takes them: BCELoss wants ``(B, 1)`` in the model's float dtype."""
    return y.to(dtype).unsqueeze(-1) if n_classes == 2 else y
