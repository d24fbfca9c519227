r"""Checkers for the experiment chapters: the adding problem and the character-level model.

* :func:`check_adding_target`: the target of the adding problem, recomputed from a
  sequence. The correct answer is the ``y`` that
  :func:`lstm_ref.experiments.adding.adding_batch` drew with the sequence; the mistakes
  are the same sum with a piece changed (no offset 0.5, /2 for /4, the pairs marked -1
  counted too, the plain sum).
* :func:`check_half_life`: how many steps a constant forget gate
  :math:`f = \sigma(b_f)` takes to halve a cell's content. The correct answer uses
  :func:`lstm_ref.sigmoid`; the mistakes mix the bases of the two logarithms, take the
  bias for the gate, drop the minus sign, or use the first-order approximation.
* :func:`check_temperature`: the distribution a temperature τ samples from,
  :math:`\operatorname{softmax}(v/\tau)`, as
  :func:`~lstm_ref.stack.sample.sample_stack` uses it. The
  correct answer is :func:`lstm_ref.softmax`; the mistakes multiply by τ, ignore it,
  normalise over the batch, raise the probabilities to 1/τ without renormalising, or
  return log-probabilities.
"""

from __future__ import annotations

import functools

import numpy as np

from ..activations import log_softmax, sigmoid, softmax
from ..experiments.adding import adding_batch
from ._judge import Exercise, Mistake, Verdict, run

__all__ = ["ADDING_TARGET", "HALF_LIFE", "TEMPERATURE", "check_adding_target",
           "check_half_life", "check_temperature"]


# ------------------------------------------------------------------ the adding problem

ADDING_T, ADDING_B = 20, 6  # sequences of 20 to 22 pairs, six of them


def _adding_draw(rng):
    x, y = adding_batch(rng, ADDING_T, ADDING_B)  # x (L, B, 2), y (B,)
    return dict(x=x, y=y)


def _marked_sum(x, marked):
    """Σ of the values u_t over the pairs with ``marked(m_t)``, per sequence: (B,)."""
    u, m = x[:, :, 0], x[:, :, 1]  # (L, B) values, markers
    return np.sum(np.where(marked(m), u, 0.0), axis=0)


def _x1_plus_x2(ctx):
    return _marked_sum(ctx["x"], lambda m: m == 1)  # (B,) X_1 + X_2


ADDING_TARGET = Exercise(
    name="check_adding_target",
    args=("x",),
    draw=_adding_draw,
    correct=lambda ctx: {"y": ctx["y"]},
    mistakes=(
        Mistake("no_offset", "the offset is missing: y = 0.5 + (X1 + X2)/4, so that y lies "
                "in [0, 1]", lambda ctx: {"y": _x1_plus_x2(ctx) / 4}),
        Mistake("half_not_quarter", "the sum is divided by 2; the target divides by 4: "
                "y = 0.5 + (X1 + X2)/4", lambda ctx: {"y": 0.5 + _x1_plus_x2(ctx) / 2}),
        Mistake("marker_nonzero", "the values of the pairs marked -1 (the first and the last "
                "pair) are added too: sum only where the marker is 1",
                lambda ctx: {"y": 0.5 + _marked_sum(ctx["x"], lambda m: m != 0) / 4}),
        Mistake("plain_sum", "this is the plain sum X1 + X2; the target scales it into "
                "[0, 1]: y = 0.5 + (X1 + X2)/4", lambda ctx: {"y": _x1_plus_x2(ctx)}),
    ),
    axes={"y": "B"},
)


def check_adding_target(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's target of the adding problem, recomputed from the sequences.

    Parameters
    ----------
    fn : callable
        ``fn(x) -> y``: x (L, B, 2) holds B sequences of L pairs, column 0 the values
        u_t in [-1, 1], column 1 the markers m_t in {-1, 0, 1}; returns y (B,). Called
        with the x of ``adding_batch`` at T = 20, B = 6.
    expect : str, optional
        None, or ``"no_offset"``, ``"half_not_quarter"``, ``"marker_nonzero"``,
        ``"plain_sum"``, ``"transposed"``, ``"shape"``, ``"unknown"``,
        ``"wrong_return"``, ``"not_attempted"``.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    X1 + X2 = Σ_{t: m_t = 1} u_t,   y = 0.5 + (X1 + X2)/4
    """
    return run(ADDING_TARGET, fn, expect=expect, seed=seed)


# ------------------------------------------------------------------ the forget gate's half-life

def _half_life_draw(rng):
    # biases of a (2, 3) block of cells; none is 1, where σ(b) ≈ b would divide by ln 1 = 0
    return dict(b_f=rng.uniform(0.5, 6.0, size=(2, 3)))


def _neg_ln_f(b_f):
    return -np.log(sigmoid(b_f))  # −ln f > 0, f = σ(b_f)


def _half_life(ctx):
    return {"k": np.log(2) / _neg_ln_f(ctx["b_f"])}  # f^k = 1/2


HALF_LIFE = Exercise(
    name="check_half_life",
    args=("b_f",),
    draw=_half_life_draw,
    correct=_half_life,
    mistakes=(
        Mistake("log2_with_ln", "a log₂ over an ln mixes two bases: 1/(−ln f) is the time "
                "to fall to 1/e, not to 1/2. One base: k = ln 2 / (−ln f)",
                lambda ctx: {"k": 1 / _neg_ln_f(ctx["b_f"])}),
        Mistake("ln_with_log2", "an ln over a log₂ mixes two bases (k ln 2, not k). One "
                "base: k = ln 2 / (−ln f) = 1 / (−log₂ f)",
                lambda ctx: {"k": np.log(2) * _half_life(ctx)["k"]}),
        Mistake("sigma_is_b", "b_f is the bias, not the gate: the gate is "
                "f = σ(b_f) = 1/(1 + exp(−b_f))",
                lambda ctx: {"k": np.log(2) / -np.log(ctx["b_f"])}),
        Mistake("sign", "the minus sign is missing: ln f < 0 for f < 1, so "
                "k = ln 2 / (−ln f) > 0", lambda ctx: {"k": -_half_life(ctx)["k"]}),
        Mistake("first_order", "ln 2 / (1 − f) uses −ln f ≈ 1 − f, good only for f near 1; "
                "the exact half-life is ln 2 / (−ln f)",
                lambda ctx: {"k": np.log(2) / sigmoid(-ctx["b_f"])}),  # 1 − σ(b) = σ(−b)
    ),
)


def check_half_life(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's half-life of a cell's content under a constant forget gate.

    Parameters
    ----------
    fn : callable
        ``fn(b_f) -> k``: b_f an array of forget-gate biases (any shape; the checker
        passes (2, 3), entries in [0.5, 6]); k, of the same shape, the number of steps
        after which f^k = 1/2 with f = σ(b_f), for each entry (a real number, not
        rounded).
    expect : str, optional
        None, or ``"log2_with_ln"``, ``"ln_with_log2"``, ``"sigma_is_b"``, ``"sign"``,
        ``"first_order"``, ``"transposed"``, ``"shape"``, ``"unknown"``,
        ``"wrong_return"``, ``"not_attempted"``.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    f = σ(b_f),   f^k = 1/2   ⇔   k = ln 2 / (−ln f)
    """
    return run(HALF_LIFE, fn, expect=expect, seed=seed)


# ------------------------------------------------------------------ sampling with a temperature

TAU = 0.7  # the temperature the reader's function is called with


def _temperature_draw(rng):
    # B = 3 rows of V = 5 logits: B ≠ V, so a softmax over the batch axis is seen
    return dict(v=2.0 * rng.standard_normal((3, 5)), tau=TAU)


TEMPERATURE = Exercise(
    name="check_temperature",
    args=("v", "tau"),
    draw=_temperature_draw,
    correct=lambda ctx: {"p": softmax(ctx["v"] / ctx["tau"])},
    mistakes=(
        Mistake("times_tau", "the logits are multiplied by τ; a temperature divides them: "
                "softmax(v / τ)", lambda ctx: {"p": softmax(ctx["v"] * ctx["tau"])}),
        Mistake("no_temperature", "τ is not used: this is softmax(v), the distribution at "
                "τ = 1", lambda ctx: {"p": softmax(ctx["v"])}),
        Mistake("wrong_axis", "the softmax runs over the batch axis (columns sum to 1); "
                "normalise each row, over the V symbols (axis=1)",
                lambda ctx: {"p": softmax(ctx["v"] / ctx["tau"], axis=0)}),
        Mistake("powers_not_renormalized", "softmax(v)^(1/τ) must be renormalised: divide "
                "each row by its sum (then it is softmax(v / τ))",
                lambda ctx: {"p": softmax(ctx["v"]) ** (1 / ctx["tau"])}),
        Mistake("log_probabilities", "these are log-probabilities; return the "
                "probabilities softmax(v / τ)",
                lambda ctx: {"p": log_softmax(ctx["v"] / ctx["tau"])}),
    ),
    axes={"p": "B V"},
)


def check_temperature(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's sampling distribution at a temperature τ.

    Parameters
    ----------
    fn : callable
        ``fn(v, tau) -> p``: v (B, V) logits, tau > 0 a float; p (B, V), each row the
        distribution softmax(v_b / τ) that :func:`~lstm_ref.stack.sample.sample_stack` draws from.
        Called with B = 3, V = 5, tau = 0.7.
    expect : str, optional
        None, or ``"times_tau"``, ``"no_temperature"``, ``"wrong_axis"``,
        ``"powers_not_renormalized"``, ``"log_probabilities"``, ``"transposed"``,
        ``"shape"``, ``"unknown"``, ``"wrong_return"``, ``"not_attempted"``.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    p_{b,k} = exp(v_{b,k}/τ) / Σ_j exp(v_{b,j}/τ)
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")

    def probs(v, tau):  # the checker passes a 0-d copy of tau
        return fn(v, float(tau))
    return run(TEMPERATURE, functools.wraps(fn)(probs), expect=expect, seed=seed)
