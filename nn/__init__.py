r"""minigrad.nn: modules, layers, recurrent cells and losses, on the engine's public API.

>>> from minigrad import nn
>>> lstm = nn.LSTM(3, 8)
>>> head = nn.Linear(8, 1)
>>> output, (h_n, c_n) = lstm(mg.randn(5, 2, 3))     # (T, B, I)
>>> loss = nn.F.mse_loss(head(output[-1]), mg.zeros(2, 1))
>>> loss.backward()
>>> lstm.weight_hh_l0.grad.shape
(32, 8)
"""

from . import functional, init, parallel, utils
from .activation import (
    Dropout, Flatten, Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh,
)
from .linear import Embedding, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .container import ModuleDict, ModuleList, Sequential
from .module import IncompatibleKeys, Module, Parameter
from .normalization import LayerNorm
from .rnn import GRU, LSTM, RNN, RNNBase
from .rnn_cell import GRUCell, LSTMCell, RNNCell, RNNCellBase

F = functional

__all__ = [
    "GRU", "LSTM", "RNN", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout",
    "Embedding", "F", "Flatten", "GRUCell", "Identity", "IncompatibleKeys", "L1Loss", "LSTMCell",
    "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Module", "ModuleDict",
    "ModuleList", "NLLLoss", "Parameter", "RNNBase", "RNNCell", "RNNCellBase", "ReLU",
    "Sequential", "Sigmoid", "Softmax", "Tanh", "functional", "init", "parallel", "utils",
]
