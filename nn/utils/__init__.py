r"""Helpers around training: gradient clipping, truncated BPTT over long streams,
converting PyTorch GRU weights, and batches of sequences of unequal lengths
(:mod:`minigrad.nn.utils.rnn`)."""

from . import rnn
from .bptt import TBPTTUpdate, truncated_bptt
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert import minigrad_gru_to_torch, torch_gru_to_minigrad

__all__ = ["TBPTTUpdate", "clip_grad_norm_", "clip_grad_value_", "minigrad_gru_to_torch", "rnn",
           "torch_gru_to_minigrad", "truncated_bptt"]
