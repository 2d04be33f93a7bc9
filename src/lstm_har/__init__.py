"""lstm-har: human activity recognition from phone motion sensors with LSTMs."""

__version__ = "0.1.0"

from .data import ACTIVITIES, TaskData, Windows, load_uci_har, subject_split  # noqa: E402
from .errors import CheckpointError, DataError, LstmHarError  # noqa: E402
from .estimator import LSTMClassifier  # noqa: E402
from .models import Classifier, ConvBiLSTM, SimpleLSTM, build_model  # noqa: E402
from .nn import LSTM, LSTMCell  # noqa: E402
from .predict import Predictions, Recognizer, predict_samples  # noqa: E402
from .recording import Recording, read_recording  # noqa: E402
from .runs import evaluate_run, load_run, train_run  # noqa: E402
from .train import TrainConfig, fit  # noqa: E402

__all__ = [
    "ACTIVITIES",
    "LSTM",
    "CheckpointError",
    "Classifier",
    "ConvBiLSTM",
    "DataError",
    "LSTMCell",
    "LSTMClassifier",
    "LstmHarError",
    "Predictions",
    "Recognizer",
    "Recording",
    "SimpleLSTM",
    "TaskData",
    "TrainConfig",
    "Windows",
    "build_model",
    "evaluate_run",
    "fit",
    "load_run",
    "load_uci_har",
    "predict_samples",
    "read_recording",
    "subject_split",
    "train_run",
]
