"""The stacked LSTM language model of source 001: N layers, symbols in, logits from every layer.

Modules, in reading order:

* :mod:`lstm_ref.stack.params`: ``StackParams`` / ``StackLayer``, ``init_stack_params``
* :mod:`lstm_ref.stack.model`: ``stack_forward`` / ``stack_backward`` / ``stack_loss`` /
  ``stack_final_state``
* :mod:`lstm_ref.stack.sample`: ``sample_stack`` (temperature sampling)

Every layer is a cell of the LSTM family (:mod:`lstm_ref.family`); without
peepholes the layers may run on the fused path (:mod:`lstm_ref.fused`).
"""

from .model import (
    PATHS,
    StackCache,
    StackGrads,
    stack_backward,
    stack_final_state,
    stack_forward,
    stack_loss,
)
from .params import StackLayer, StackParams, init_stack_params
from .sample import sample_stack

__all__ = ["StackLayer", "StackParams", "init_stack_params", "PATHS", "StackCache",
           "StackGrads", "stack_forward", "stack_backward", "stack_loss", "stack_final_state",
           "sample_stack"]
