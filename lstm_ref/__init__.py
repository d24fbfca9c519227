"""lstm_ref: the vectorized NumPy reference for LSTM backpropagation through time.

Modules, one concept each:

* :mod:`lstm_ref.activations`: sigmoid, tanh, softmax family (stable)
* :mod:`lstm_ref.losses`: softmax cross-entropy, BCE, MSE with gradients
* :mod:`lstm_ref.affine`: the output layer :math:`v = W_v h + b_v`
* :mod:`lstm_ref.params`: the fused parameter layout (gate order f, i, o, g)
* :mod:`lstm_ref.cell`: one LSTM step, forward and backward
* :mod:`lstm_ref.sequence`: the whole sequence, a plain loop over the step pair (BPTT)
* :mod:`lstm_ref.fused`: the same sequence passes, fused for speed (the performance chapter)
* :mod:`lstm_ref.family`: the LSTM family (peepholes, no forget gate): one ``LSTMConfig``,
  one initialiser, one step pair and one plain loop that honour it
* :mod:`lstm_ref.stack`: the stacked LSTM language model (source 001): symbols in,
  logits from every layer, loss, gradients, sampling
* :mod:`lstm_ref.gradcheck`: finite differences, the two relative errors, ``cmp``
* :mod:`lstm_ref.optim`: optimizers as pure updates (SGD, momentum, RMSprop, Adam) and
  gradient clipping by global norm
* :mod:`lstm_ref.tbptt`: truncated BPTT(k1, k2) on the plain sequence, and its gap to the
  full gradient
* :mod:`lstm_ref.rnn`: the vanilla tanh RNN (the contrast of the gradient-flow section)
* :mod:`lstm_ref.flow`: how ‖∂J/∂h_t‖ and ‖∂J/∂c_t‖ change with the distance back in time

Three subpackages are imported by name, not re-exported here:

* :mod:`lstm_ref.exercises`: the exercise auto-checkers (NumPy only)
* :mod:`lstm_ref.verify`: the SymPy verification engine (it has its own reading order)
* :mod:`lstm_ref.errata`: every formula of the five sources, transcribed, with the
  engine check that decides it (the errata chapters)
* :mod:`lstm_ref.experiments`: training runs a reader can repeat and resume from the
  command line (the adding problem, the character-level language model)
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
from .family import (
    PEEPHOLES,
    FamilyParams,
    FamilySeqCache,
    FamilySeqGrads,
    FamilyStepCache,
    FamilyStepGrads,
    LSTMConfig,
    family_backward,
    family_forward,
    family_step_backward,
    family_step_forward,
    init_family_params,
    split_peepholes,
)
from .flow import FLOW_KINDS, FlowResult, gradient_flow, lstm_flow, rnn_flow
from .fused import (
    FusedCache,
    FusedWorkspace,
    fused_lstm_backward,
    fused_lstm_forward,
    fused_workspace,
)
from .gradcheck import (
    GradcheckReport,
    cmp,
    gradcheck,
    max_rel_error,
    norm_rel_error,
    numerical_gradient,
)
from .losses import mean_squared_error, sigmoid_binary_cross_entropy, softmax_cross_entropy
from .optim import (
    AdamState,
    MomentumState,
    RMSpropState,
    adam_init,
    adam_step,
    clip_by_global_norm,
    momentum_init,
    momentum_step,
    rmsprop_init,
    rmsprop_step,
    sgd_step,
)
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
from .rnn import (
    RNNParams,
    RNNSeqCache,
    RNNSeqGrads,
    RNNStepCache,
    RNNStepGrads,
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from .sequence import SeqCache, SeqGrads, lstm_backward, lstm_forward
from .split import (
    SPLIT_GATES,
    SplitParams,
    SplitSeqCache,
    SplitSeqGrads,
    SplitStepCache,
    SplitStepGrads,
    fused_to_split,
    split_backward,
    split_forward,
    split_step_backward,
    split_step_forward,
    split_to_fused,
)
from .stack import (
    StackCache,
    StackGrads,
    StackLayer,
    StackParams,
    init_stack_params,
    sample_stack,
    stack_backward,
    stack_final_state,
    stack_forward,
    stack_loss,
)
from .tbptt import TBPTTWindow, tbptt_windows, truncated_backward, truncation_gap

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
    # whole sequence, plain
    "SeqCache",
    "SeqGrads",
    "lstm_forward",
    "lstm_backward",
    # the LSTM family (peepholes, forget gate on or off)
    "PEEPHOLES",
    "LSTMConfig",
    "FamilyParams",
    "init_family_params",
    "split_peepholes",
    "FamilyStepCache",
    "FamilyStepGrads",
    "family_step_forward",
    "family_step_backward",
    "FamilySeqCache",
    "FamilySeqGrads",
    "family_forward",
    "family_backward",
    # the stacked LSTM language model (source 001)
    "StackLayer",
    "StackParams",
    "init_stack_params",
    "StackCache",
    "StackGrads",
    "stack_forward",
    "stack_backward",
    "stack_loss",
    "sample_stack",
    "stack_final_state",
    # split weights (source 003)
    "SPLIT_GATES",
    "SplitParams",
    "fused_to_split",
    "split_to_fused",
    "SplitStepCache",
    "SplitStepGrads",
    "split_step_forward",
    "split_step_backward",
    "SplitSeqCache",
    "SplitSeqGrads",
    "split_forward",
    "split_backward",
    # whole sequence, fused for speed
    "FusedCache",
    "FusedWorkspace",
    "fused_workspace",
    "fused_lstm_forward",
    "fused_lstm_backward",
    # training: optimizers (pure updates) and truncated BPTT
    "sgd_step",
    "MomentumState",
    "momentum_init",
    "momentum_step",
    "RMSpropState",
    "rmsprop_init",
    "rmsprop_step",
    "AdamState",
    "adam_init",
    "adam_step",
    "clip_by_global_norm",
    "TBPTTWindow",
    "tbptt_windows",
    "truncated_backward",
    "truncation_gap",
    # the vanilla RNN and gradient flow
    "RNNParams",
    "init_rnn_params",
    "RNNStepCache",
    "RNNStepGrads",
    "rnn_step_forward",
    "rnn_step_backward",
    "RNNSeqCache",
    "RNNSeqGrads",
    "rnn_forward",
    "rnn_backward",
    "FLOW_KINDS",
    "FlowResult",
    "rnn_flow",
    "lstm_flow",
    "gradient_flow",
    # checking
    "numerical_gradient",
    "norm_rel_error",
    "max_rel_error",
    "GradcheckReport",
    "gradcheck",
    "cmp",
]
