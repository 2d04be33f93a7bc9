"""``LSTMClassifier``: the project's models as a scikit-learn estimator on ``(N, T, C)`` arrays.

Follows scikit-learn's conventions: ``__init__`` stores hyper-parameters only, ``fit``
returns ``self``, learned state ends in ``_`` (``classes_``, ``model_``, ``history_``), and
``predict_proba``/``predict``/``score`` work in ``Pipeline``, ``cross_val_score`` and
``GridSearchCV``. It trains with the same ``train.fit`` loop as the CLI. A 2-D ``X`` is read as
``N`` univariate series, ``(N, T) -> (N, T, 1)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .evaluate import predict_proba
from .models import Classifier, build_model
from .train import FitResult, TrainConfig, fit


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


class LSTMClassifier(ClassifierMixin, BaseEstimator):
    """An LSTM-family sequence classifier (see ``models.MODELS``) trained with Adam.

    Parameters mirror ``TrainConfig``; ``random_state`` seeds init and batch order.
    """

    def __init__(
        self,
        model: str = "simple",
        hidden_size: int = 64,
        backend: str = "torch",
        forget_bias: float = 1.0,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        lr_schedule: str = "cosine",
        grad_clip: float = 1.0,
        augment_rotation: float = 0.0,
        augment_scale: float = 0.0,
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
        return TrainConfig(
            model=self.model, hidden_size=self.hidden_size, backend=self.backend,
            forget_bias=self.forget_bias,
            epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
            weight_decay=self.weight_decay, lr_schedule=self.lr_schedule,
            grad_clip=self.grad_clip, augment_rotation=self.augment_rotation,
            augment_scale=self.augment_scale,
            seed=self.random_state, patience=0,
        )  # fmt: skip

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
        n_classes = len(self.classes_)
        torch.manual_seed(self.random_state)
        net = build_model(self.model, X.shape[2], self.hidden_size, n_classes, self.backend,
                          self.forget_bias)  # fmt: skip
        model = Classifier(net, X.shape[2])
        X_t = torch.from_numpy(X)
        model.fit_normaliser(X_t)
        result: FitResult = fit(model, (X_t, torch.from_numpy(encoded.astype(np.int64))), None,
                                cfg, n_classes)  # fmt: skip
        self.model_ = model.eval()
        self.history_ = result.history
        self.n_channels_ = X.shape[2]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, allow_nd=True, dtype=np.float32, reset=False)
        return predict_proba(self.model_, _as_windows(X, self.n_channels_))

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return np.asarray(self.classes_[proba.argmax(1)])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags
