"""The LSTM from the gate equations (``lstm``), its C step loops (``_kernel``, ``csrc/``)."""

from .lstm import LSTM, LSTMCell, lstm_layer

__all__ = ["LSTM", "LSTMCell", "lstm_layer"]
