"""``LSTMClassifier``: the project's models as a scikit-learn estimator on ``(N, T, C)`` arrays.

Follows scikit-learn's conventions: ``__init__`` stores hyper-parameters only, ``fit``
returns ``self``, learned state ends in ``_`` (``classes_``, ``model_``, ``history_``), and
``predict_proba``/``predict``/``score`` work in ``Pipeline``, ``cross_val_score`` and
``GridSearchCV``. It trains with the same ``training.fit`` loop as the CLI and predicts
through the same ``Predictor``. A 2-D ``X`` is read as
``N`` univariate series, ``(N, T) -> (N, T, 1)``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .checkpoint import ModelSpec
from .config import TrainConfig, field_help
from .inference.predictor import Predictor
from .models import Classifier
from .training.loop import fit

# The TrainConfig fields an estimator exposes (the rest are about data sets and run
# directories); their defaults and help are TrainConfig's own.
FIELDS = ("model", "hidden_size", "backend", "forget_bias", "epochs", "batch_size", "lr",
          "weight_decay", "lr_schedule", "grad_clip", "augment_rotation",
          "augment_scale")  # fmt: skip
_D: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(TrainConfig)}


def _as_windows(X: np.ndarray, n_channels: int | None = None) -> np.ndarray:
    """Validated X as (N, T, C); 2-D input is (N, T) univariate series."""
    X = X[:, :, None] if X.ndim == 2 else X  # (N, T) -> (N, T, 1)
    if X.ndim != 3 or X.shape[2] < 1:
        raise ValueError(f"LSTMClassifier: expected X of shape (N, T, C), got {X.shape}")
    if n_channels is not None and X.shape[2] != n_channels:
        raise ValueError(
            f"LSTMClassifier: X has {X.shape[2]} channels, but the model was fitted on {n_channels}"
        )
    return np.ascontiguousarray(X, dtype=np.float32)


class LSTMClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn: untyped
    """An LSTM-family sequence classifier (see ``models.MODELS``) trained with Adam.

    Parameters are ``TrainConfig``'s fields of the same names, with its defaults (see
    ``FIELDS``; each one's meaning is in ``TrainConfig``'s help, ``lstm-har train --help``),
    plus ``random_state``, the config's ``seed``. There is no validation split: every epoch
    runs (``patience=0``).
    """

    def __init__(
        self,
        model: str = _D["model"],
        hidden_size: int = _D["hidden_size"],
        backend: str = _D["backend"],
        forget_bias: float = _D["forget_bias"],
        epochs: int = _D["epochs"],
        batch_size: int = _D["batch_size"],
        lr: float = _D["lr"],
        weight_decay: float = _D["weight_decay"],
        lr_schedule: str = _D["lr_schedule"],
        grad_clip: float = _D["grad_clip"],
        augment_rotation: float = _D["augment_rotation"],
        augment_scale: float = _D["augment_scale"],
        random_state: int = 0,
    ) -> None:
        self.model = model
        self.hidden_size = hidden_size
        self.backend = backend
        self.forget_bias = forget_bias
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.grad_clip = grad_clip
        self.augment_rotation = augment_rotation
        self.augment_scale = augment_scale
        self.random_state = random_state

    def _config(self) -> TrainConfig:
        values = {name: getattr(self, name) for name in FIELDS}
        return TrainConfig(**values, seed=self.random_state, patience=0)

    def fit(self, X: Any, y: Any) -> LSTMClassifier:
        # scikit-learn's own validation: sparse, empty, NaN, 1-sample and y-shape messages
        X, y = validate_data(self, X, y, allow_nd=True, dtype=np.float32, ensure_min_samples=2)
        X = _as_windows(X)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("LSTMClassifier: y has a single class; need at least 2")
        cfg = self._config()
        if (self.augment_rotation or self.augment_scale) and X.shape[2] != 9:
            raise ValueError("LSTMClassifier: augmentation needs the 9 UCI HAR channels")
        spec = ModelSpec(model=cfg.model, hidden_size=cfg.hidden_size, task="custom",
                         classes=tuple(map(str, self.classes_)),
                         channels=tuple(f"channel_{c}" for c in range(X.shape[2])),
                         backend=cfg.backend, config=cfg.to_dict())  # fmt: skip
        torch.manual_seed(self.random_state)
        model = Classifier.from_spec(spec, cfg.forget_bias)
        X_t = torch.from_numpy(X)
        model.fit_normaliser(X_t)
        result = fit(model, (X_t, torch.from_numpy(encoded.astype(np.int64))), None, cfg)
        self.model_ = model.eval()
        self.predictor_ = Predictor.from_classifier(self.model_)
        self.history_ = result.history
        self.n_channels_ = X.shape[2]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, allow_nd=True, dtype=np.float32, reset=False)
        return self.predictor_.proba(_as_windows(X, self.n_channels_))

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return np.asarray(self.classes_[proba.argmax(1)])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags


# The parameters' docs are TrainConfig's help, so that they cannot drift apart.
LSTMClassifier.__doc__ = (
    (LSTMClassifier.__doc__ or "")
    + "\n    Parameters:\n"
    + "".join(f"        {name}: {text}\n" for name, text in field_help().items() if name in FIELDS)
    + "        random_state: TrainConfig's seed (init, batch order, augmentation)\n"
)
