"""lstm_ref: the vectorized NumPy reference for LSTM backpropagation through time.

Modules, one concept each:

* :mod:`lstm_ref.activations`: sigmoid, tanh, softmax family (stable)
* :mod:`lstm_ref.losses`: softmax cross-entropy, BCE, MSE with gradients
* :mod:`lstm_ref.affine`: the output layer :math:`v = W_v h + b_v`
* :mod:`lstm_ref.params`: the fused parameter layout (gate order f, i, o, g)
* :mod:`lstm_ref.cell`: one LSTM step, forward and backward
* :mod:`lstm_ref.sequence`: the fused, fast whole-sequence forward and BPTT
* :mod:`lstm_ref.gradcheck`: finite differences, ``rel_error``, ``cmp``
"""

__version__ = "0.1.0"

from .activations import (
    log_softmax,
    logsumexp,
    sigmoid,
    sigmoid_grad_from_output,
    softmax,
    tanh,
    tanh_grad_from_output,
)
from .affine import AffineCache, AffineGrads, affine_backward, affine_forward
from .cell import StepCache, StepGrads, lstm_step_backward, lstm_step_forward
from .gradcheck import GradcheckReport, cmp, gradcheck, numerical_gradient, rel_error
from .losses import mean_squared_error, sigmoid_binary_cross_entropy, softmax_cross_entropy
from .params import (
    GATES,
    Gates,
    LSTMParams,
    fuse_gates,
    fuse_weight,
    init_affine_params,
    init_lstm_params,
    split_gates,
    split_weight,
    split_weight_by_gate,
)
from .sequence import SeqCache, SeqGrads, SeqWorkspace, lstm_backward, lstm_forward, lstm_workspace

__all__ = [
    # activations
    "sigmoid",
    "tanh",
    "sigmoid_grad_from_output",
    "tanh_grad_from_output",
    "logsumexp",
    "softmax",
    "log_softmax",
    # losses
    "softmax_cross_entropy",
    "sigmoid_binary_cross_entropy",
    "mean_squared_error",
    # output layer
    "AffineCache",
    "AffineGrads",
    "affine_forward",
    "affine_backward",
    # parameters
    "GATES",
    "Gates",
    "split_gates",
    "fuse_gates",
    "split_weight",
    "fuse_weight",
    "split_weight_by_gate",
    "LSTMParams",
    "init_lstm_params",
    "init_affine_params",
    # one step
    "StepCache",
    "StepGrads",
    "lstm_step_forward",
    "lstm_step_backward",
    # whole sequence
    "SeqCache",
    "SeqGrads",
    "SeqWorkspace",
    "lstm_workspace",
    "lstm_forward",
    "lstm_backward",
    # checking
    "numerical_gradient",
    "rel_error",
    "GradcheckReport",
    "gradcheck",
    "cmp",
]
