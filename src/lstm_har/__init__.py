"""lstm-har: human activity recognition from phone motion sensors with LSTMs."""

from .data import ACTIVITIES, TaskData, Windows, load_uci_har, subject_split
from .errors import CheckpointError, DataError, LstmHarError

__version__ = "0.1.0"

__all__ = [
    "ACTIVITIES",
    "CheckpointError",
    "DataError",
    "LstmHarError",
    "TaskData",
    "Windows",
    "load_uci_har",
    "subject_split",
]
