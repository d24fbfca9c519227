"""Auto-checkers for reader exercises: run the reader's NumPy function on
seeded inputs and say exactly what is wrong.

Each checker takes the correct answer from lstm_ref itself (tested against
finite differences and proved by the SymPy engine elsewhere) and knows a list
of named mistakes, each the answer that mistake gives, built by changing the
inputs or outputs of lstm_ref's own functions. The reader's output is compared
with the correct answer, then with each mistake in turn, then by shape
(a transposed result, a wrong shape).

A checker prints one line (wrapped at 88 columns, continuation lines indented
by four spaces) and returns a :class:`Verdict`. With ``expect=None`` it asserts
the reader is correct (raising :class:`ExerciseFailed`); a chapter that
*demonstrates* a wrong attempt passes ``expect="<mistake name>"``, which asserts
that exactly that diagnosis is made. An answer outside the known mistakes is
``"unknown"``, with the first entry that differs (gate block, time step, entry;
expected and got); an output that is not the arrays asked for is
``"wrong_return"``, saying what to return.

"Your turn" cells: a skeleton that raises ``NotImplementedError`` is
``"not_attempted"``; the checker prints one line ::

    ○ check_sequence_backward: not attempted yet — fill in bptt above and re-run this cell
    ○ check_cell_forward: not attempted yet — fill in my_step_forward above and re-run

(" this cell" is left out where the line would be wider than 88 columns) and
does not raise, also with ``expect=None`` (``expect="not_attempted"`` asserts
exactly that).

Pure NumPy (no SymPy); import it as ``from lstm_ref import exercises``.

Modules: ``_judge`` (the judging), ``losses`` (output layer), ``cell`` (one
step), ``sequence`` (BPTT), ``family`` (one step of any cell of the LSTM family;
its checkers take ``config=``, and ``EXERCISES`` holds them for full peepholes),
``split`` (source 003's layout: the conversion and its step backward), ``optim``
(one Adam step), ``experiments`` (the adding problem's target, a forget gate's
half-life, sampling with a temperature).
"""

from __future__ import annotations

from functools import partial

from ..family import LSTMConfig
from ._judge import ExerciseFailed, Mistake, Verdict, wrap
from .answers import ANSWERS, check_answer, your_turn
from .cell import CELL_BACKWARD, CELL_FORWARD, check_cell_backward, check_cell_forward
from .experiments import (
    ADDING_TARGET,
    HALF_LIFE,
    TEMPERATURE,
    check_adding_target,
    check_half_life,
    check_temperature,
)
from .family import (
    check_family_step_backward,
    check_family_step_forward,
    family_backward_exercise,
    family_forward_exercise,
)
from .losses import DW_V, MSE, SOFTMAX_CE, check_dW_v, check_mse_grad, check_softmax_ce_grad
from .optim import ADAM_STEP, check_adam_step
from .sequence import SEQUENCE_BACKWARD, check_sequence_backward
from .split import (
    FUSED_TO_SPLIT,
    SPLIT_STEP_BACKWARD,
    check_fused_to_split,
    check_split_step_backward,
)

__all__ = ["Mistake", "Verdict", "ExerciseFailed", "check_softmax_ce_grad", "check_mse_grad",
           "check_dW_v", "check_cell_forward", "check_cell_backward", "check_sequence_backward",
           "check_family_step_forward", "check_family_step_backward",
           "check_fused_to_split", "check_split_step_backward", "check_adam_step",
           "check_adding_target", "check_half_life", "check_temperature",
           "check_exercise", "check_answer", "your_turn", "ANSWERS", "EXERCISES", "MISTAKES",
           "wrap"]

#: The config the family checkers are registered with (the one with every peephole path).
_FAMILY_DEFAULT = LSTMConfig(peephole="full")

#: Checker of every exercise, by exercise name.
EXERCISES = {
    "softmax_ce_grad": check_softmax_ce_grad,
    "mse_grad": check_mse_grad,
    "dW_v": check_dW_v,
    "cell_forward": check_cell_forward,
    "cell_backward": check_cell_backward,
    "sequence_backward": check_sequence_backward,
    "family_step_forward": partial(check_family_step_forward, config=_FAMILY_DEFAULT),
    "family_step_backward": partial(check_family_step_backward, config=_FAMILY_DEFAULT),
    "fused_to_split": check_fused_to_split,
    "split_step_backward": check_split_step_backward,
    "adam_step": check_adam_step,
    "adding_target": check_adding_target,
    "half_life": check_half_life,
    "temperature": check_temperature,
}

_SPECS = {"softmax_ce_grad": SOFTMAX_CE, "mse_grad": MSE, "dW_v": DW_V,
          "cell_forward": CELL_FORWARD, "cell_backward": CELL_BACKWARD,
          "sequence_backward": SEQUENCE_BACKWARD,
          "family_step_forward": family_forward_exercise(_FAMILY_DEFAULT),
          "family_step_backward": family_backward_exercise(_FAMILY_DEFAULT),
          "fused_to_split": FUSED_TO_SPLIT, "split_step_backward": SPLIT_STEP_BACKWARD,
          "adam_step": ADAM_STEP, "adding_target": ADDING_TARGET, "half_life": HALF_LIFE,
          "temperature": TEMPERATURE}

#: ``MISTAKES[exercise][name]`` is the message of a named mistake, for every exercise.
MISTAKES = {ex: {m.name: m.message for m in spec.mistakes} for ex, spec in _SPECS.items()}


def check_exercise(name: str, fn, **kwargs) -> Verdict:
    """Run the checker registered under ``name`` (a key of ``EXERCISES``).

    Parameters
    ----------
    name : str
    fn : callable
        The reader's function (see the individual checker for its signature).
    **kwargs
        ``expect``, ``seed`` (and ``config`` for the family checkers).

    Returns
    -------
    Verdict

    Equations
    ---------
    None: this only dispatches to ``EXERCISES[name]``.
    """
    if name not in EXERCISES:
        raise ValueError(f"name: expected one of {sorted(EXERCISES)}, got {name!r}")
    return EXERCISES[name](fn, **kwargs)
