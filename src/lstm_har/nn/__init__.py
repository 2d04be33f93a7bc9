"""The LSTM from the gate equations: modules (``lstm``), the recurrence with its hand-written
backward (``functional``), and its C step loops (``_kernel``, ``csrc/``)."""

from .functional import lstm_layer
from .lstm import LSTM, LSTMCell

__all__ = ["LSTM", "LSTMCell", "lstm_layer"]
