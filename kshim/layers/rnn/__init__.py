"""``kshim.layers.rnn``: recurrent layers (RNN, SimpleRNN, LSTM, GRU, their cells, StackedRNNCells,
Bidirectional, TimeDistributed, ConvLSTM1D/2D/3D), built on ``kshim.ops.scan``."""

from .bidirectional import Bidirectional
from .gru import GRU, GRUCell
from .lstm import LSTM, LSTMCell
from .rnn import RNN
from .simple_rnn import SimpleRNN, SimpleRNNCell
from .stacked_cells import StackedRNNCells
from .time_distributed import TimeDistributed

__all__ = [
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "LSTM",
    "LSTMCell",
    "GRU",
    "GRUCell",
    "StackedRNNCells",
    "Bidirectional",
    "TimeDistributed",
]
from .conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D  # noqa: E402

__all__ += ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]
