"""Figures written into a run directory (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from .._files import save_figure  # noqa: E402

if TYPE_CHECKING:
    from .loop import EpochRecord


def loss_curve(history: Sequence[EpochRecord], best_epoch: int, path: Path) -> None:
    epochs = [r.epoch for r in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax_loss.plot(epochs, [r.train_loss for r in history], label="train")
    if history[0].val_loss is not None:
        ax_loss.plot(epochs, [r.val_loss for r in history], label="validation")
        ax_acc.plot(epochs, [r.val_accuracy for r in history], label="accuracy")
        ax_acc.plot(epochs, [r.val_balanced_accuracy for r in history], label="balanced acc.")
    for ax in (ax_loss, ax_acc):
        ax.axvline(best_epoch, color="grey", linestyle=":", label="best (validation)")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    ax_loss.set(ylabel="loss", yscale="log", title="Loss")
    ax_acc.set(ylabel="validation score", title="Validation (held-out subjects)")
    fig.tight_layout()
    save_figure(fig, path)


def confusion(matrix: list[list[int]], classes: list[str], title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(1.2 * len(classes) + 3, 1.0 * len(classes) + 2.5))
    ConfusionMatrixDisplay(np.array(matrix), display_labels=classes).plot(
        ax=ax, colorbar=False, xticks_rotation=30
    )
    ax.set_title(title)
    fig.tight_layout()
    save_figure(fig, path)
