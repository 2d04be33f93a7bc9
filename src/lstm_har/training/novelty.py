"""Fitting a trained model's novelty detector: what "unlike anything trained on" means.

A window far, in the network's own feature space, from every class it was trained on is
``UNKNOWN`` rather than a confident wrong class (``models.Classifier.proba_and_novelty``).
Here: the class means and the shared covariance of the fit windows' features (Ledoit-Wolf
shrinkage, since 128 features are estimated from a few thousand correlated windows), and the
threshold, the ``QUANTILE`` of the validation subjects' windows' distances, so that about
1 % of windows like the ones trained on are called UNKNOWN. No test subject is looked at.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.covariance import LedoitWolf

from ..models import Classifier

QUANTILE = 0.99  # of the validation windows' novelty: the UNKNOWN threshold


@torch.no_grad()
def fit_novelty(
    model: Classifier, X_fit: np.ndarray, y_fit: np.ndarray, X_val: np.ndarray,
    batch_size: int = 512,
) -> Classifier:  # fmt: skip
    """Fit ``model``'s novelty detector in place (see the module docstring); returns it."""
    was_training = model.training
    model.eval()
    X = torch.as_tensor(X_fit)
    features = torch.cat([model.features(X[i : i + batch_size])
                          for i in range(0, len(X), batch_size)]).double().numpy()  # fmt: skip
    classes = np.arange(model.spec.n_outputs)  # y_fit indexes the network's own classes
    means = np.stack([features[y_fit == k].mean(0) if (y_fit == k).any()
                      else np.full(features.shape[1], np.inf) for k in classes])  # fmt: skip
    centred = features - means[y_fit]
    precision = LedoitWolf(assume_centered=True).fit(centred).precision_
    finite = np.where(np.isfinite(means), means, 1e6)  # a class never seen: never nearest
    model.set_novelty(torch.from_numpy(finite), torch.from_numpy(precision), 1.0)
    _, novelty = model.predict_scores(X_val, batch_size)
    model.set_novelty(torch.from_numpy(finite), torch.from_numpy(precision),
                      float(np.quantile(novelty, QUANTILE)))  # fmt: skip
    model.train(was_training)
    return model
