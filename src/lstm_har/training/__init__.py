"""Training (the config is ``lstm_har.config``): the one loop that emits events (``loop``), its
distributed setup (``distributed``), resume state (``state``), run directories (``runs``),
seed and cross-validation sweeps (``sweep``), metrics, augmentation and figures."""

from .loop import BatchEnd, EpochEnd, EpochRecord, EpochStart, Event, FitResult, fit
from .runs import evaluate_run, train_run
from .sweep import Sweep, run_sweep

__all__ = [
    "BatchEnd",
    "EpochEnd",
    "EpochRecord",
    "EpochStart",
    "Event",
    "FitResult",
    "Sweep",
    "evaluate_run",
    "fit",
    "run_sweep",
    "train_run",
]
