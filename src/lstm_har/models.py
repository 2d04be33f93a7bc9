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

    def forward(self, x: Tensor) -> Tensor:
        batch_size = x.size(0)
        h0 = x.new_zeros(1, batch_size, self.hidden_size)
        c0 = x.new_zeros(1, batch_size, self.hidden_size)
        out, _ = self.lstm(x, (h0, c0))  # (B, T, C) -> (B, T, H)
        out = self.fc_new(out)  # (B, T, H) -> (B, T, 20)
        out = self.fc(out[:, -1, :])  # last step: (B, 20) -> (B, out)
        probs: Tensor = self.sigmoid(out)
        return probs


class ConvBiLSTM(nn.Module):
    """A stronger LSTM-family model: conv front end, bidirectional LSTM, pooled over time.

    Two Conv1d blocks learn local motion features at 50 Hz (kernel 5 = 0.1 s); a 2-layer
    BiLSTM reads them in both directions; mean and max over time feed a linear head.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        backend: str = "torch",
        channels: int = 64,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(input_size, channels, kernel_size=5, padding=2),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            nn.Conv1d(channels, channels, kernel_size=5, padding=2),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
        )
        self.lstm = make_lstm(
            backend, channels, hidden_size, num_layers=2, batch_first=True, bidirectional=True
        )
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(4 * hidden_size, output_size)
        self.head = _head(output_size)

    def forward(self, x: Tensor) -> Tensor:
        z = self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, T, C) -> (B, T, channels)
        out, _ = self.lstm(z)  # (B, T, channels) -> (B, T, 2H)
        pooled = torch.cat([out.mean(1), out.amax(1)], dim=-1)  # (B, T, 2H) -> (B, 4H)
        scores: Tensor = self.head(self.fc(self.dropout(pooled)))
        return scores


MODELS: dict[str, Callable[..., nn.Module]] = {"simple": SimpleLSTM, "convbilstm": ConvBiLSTM}


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


class Classifier(nn.Module):
    """A model plus its input standardisation, ``net((x - mean) / std)``, and its ``spec``.

    ``mean`` and ``std`` are ``(C,)`` buffers fitted on the training subjects' windows; they
    are saved with the weights, so the checkpoint alone turns raw windows into scores.

    Shapes: ``forward`` and ``proba`` take ``(B, T, C)`` with ``C = len(spec.channels)``;
    ``forward`` returns the model's raw output (see the module docstring), ``proba`` ``(B, K)``.
    """

    mean: Tensor
    std: Tensor

    def __init__(self, net: nn.Module, spec: ModelSpec) -> None:
        super().__init__()
        self.net = net
        self.spec = spec
        self.register_buffer("mean", torch.zeros(len(spec.channels)))
        self.register_buffer("std", torch.ones(len(spec.channels)))

    @classmethod
    def from_spec(cls, spec: ModelSpec, forget_bias: float = 0.0) -> Classifier:
        """A freshly initialised classifier as ``spec`` describes it (seed torch first)."""
        net = build_model(spec.model, len(spec.channels), spec.hidden_size, len(spec.classes),
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
        """Per-channel mean and std over all windows and steps of ``X`` ``(N, T, C)``."""
        flat = X.reshape(-1, X.shape[-1]).double()
        self.mean.copy_(flat.mean(0))
        self.std.copy_(flat.std(0).clamp_min(1e-6))
        return self

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.mean.shape[0]:  # else a broadcasting error deep inside
            raise ValueError(
                f"Classifier: expected windows (B, T, {self.mean.shape[0]}), got "
                f"{tuple(x.shape)}; a calibrated model takes signal.calibrate's 12 channels"
            )
        out: Tensor = self.net((x - self.mean) / self.std)
        return out

    def proba(self, x: Tensor) -> Tensor:
        """Class probabilities ``(B, K)`` whatever the head: binary gives ``[1 - p, p]``."""
        out = self(x)
        if out.shape[-1] == 1:
            return torch.cat([1 - out, out], dim=-1)
        return torch.softmax(out, -1)

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


def loss_function(n_classes: int) -> nn.Module:
    """BCELoss on the sigmoid output for two classes (the study's recipe), else cross-entropy."""
    return nn.BCELoss() if n_classes == 2 else nn.CrossEntropyLoss()


def loss_target(y: Tensor, n_classes: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """Labels as the loss takes them: BCELoss wants ``(B, 1)`` in the model's float dtype."""
    return y.to(dtype).unsqueeze(-1) if n_classes == 2 else y
