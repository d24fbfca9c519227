"""Checker for one Adam update of one parameter array.

The correct answer is :func:`lstm_ref.optim.adam_step` on a one-entry dict. The
mistakes are the same update with a piece changed: no bias correction, the
correction with the old count, ε inside the root (RMSprop's form), the two
decay rates exchanged, m and v returned in each other's place, the sign.

The checker's ε is larger than the usual 1e-8, and its state is a few steps
old (t = 3), so that where ε sits and which t the correction uses both show in
the result.
"""

from __future__ import annotations

import functools

import numpy as np

from ..optim import AdamState, adam_step
from ._judge import Exercise, Mistake, Verdict, run, swapped

__all__ = ["ADAM_STEP", "check_adam_step"]

#: The hyperparameters and step count the reader's function is called with.
HYPER = dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-2)
T_BEFORE = 3  # updates already taken: this is update t = 4


def _draw(rng):
    shape = (2, 3)  # not square: a transposed result is seen
    g = rng.standard_normal(shape)
    m = 0.3 * rng.standard_normal(shape)
    v = 0.003 * rng.standard_normal(shape) ** 2  # v >= 0, as a running mean of g² is
    return dict(theta=rng.standard_normal(shape), g=g, m=m, v=v, t=T_BEFORE, **HYPER)


def _adam(ctx, **changed):
    """lstm_ref's adam_step on the context, some hyperparameters or t changed."""
    kw = {k: changed.get(k, ctx[k]) for k in HYPER}
    state = AdamState(m={"theta": ctx["m"]}, v={"theta": ctx["v"]}, t=changed.get("t", ctx["t"]))
    p, s = adam_step({"theta": ctx["theta"]}, {"theta": ctx["g"]}, state, **kw)
    return {"theta": p["theta"], "m": s.m["theta"], "v": s.v["theta"]}


def _changed_update(ctx, step):
    """The correct m_t, v_t with θ moved by ``step(m_t, v_t, t)`` instead of Adam's step."""
    c = ctx["correct"]
    return {**c, "theta": ctx["theta"] - ctx["lr"] * step(c["m"], c["v"], ctx["t"] + 1)}


def _no_bias_correction(ctx):
    eps = ctx["eps"]
    return _changed_update(ctx, lambda m, v, t: m / (np.sqrt(v) + eps))


def _eps_inside_root(ctx):
    b1, b2, eps = ctx["beta1"], ctx["beta2"], ctx["eps"]
    return _changed_update(ctx, lambda m, v, t: (m / (1 - b1 ** t))
                           / np.sqrt(v / (1 - b2 ** t) + eps))


def _sign(ctx):
    c = ctx["correct"]
    return {**c, "theta": 2 * ctx["theta"] - c["theta"]}  # θ + η m̂ / (√v̂ + ε)


ADAM_STEP = Exercise(
    name="check_adam_step",
    args=("theta", "g", "m", "v", "t", *HYPER),
    draw=_draw,
    correct=_adam,
    mistakes=(
        Mistake("no_bias_correction",
                "no bias correction: divide m by 1 − β1ᵗ and v by 1 − β2ᵗ (t after the "
                "increment) before the step", _no_bias_correction),
        Mistake("old_t_in_correction",
                "the bias correction uses the old count: increment t first, then divide by "
                "1 − β1ᵗ and 1 − β2ᵗ", lambda ctx: _adam(ctx, t=ctx["t"] - 1)),
        Mistake("eps_inside_root",
                "ε is inside the root (RMSprop's form, as in source 004): Adam divides by "
                "√v̂ + ε", _eps_inside_root),
        Mistake("betas_swapped",
                "β1 and β2 are exchanged: m decays with β1 and v with β2",
                lambda ctx: _adam(ctx, beta1=ctx["beta2"], beta2=ctx["beta1"])),
        Mistake("m_v_swapped", "m and v are returned in each other's place: return (theta, m, v)",
                lambda ctx: swapped(ctx["correct"], "m", "v")),
        Mistake("sign", "the step goes along the gradient (ascent): θ − η m̂ / (√v̂ + ε)",
                _sign),
    ),
)


def check_adam_step(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's Adam update of one parameter array.

    Parameters
    ----------
    fn : callable
        ``fn(theta, g, m, v, t, lr, beta1, beta2, eps) -> (theta, m, v)``: theta,
        g = ∂J/∂theta, m, v are arrays of one shape (P, Q); ``t`` (an int) is the
        number of updates taken before this one; returns the new theta, m, v (a
        tuple, NamedTuple, dict or object). Called with lr = 0.1, beta1 = 0.9,
        beta2 = 0.999, eps = 0.01 and t = 3, all passed by position.
    expect : str, optional
        None, or ``"no_bias_correction"``, ``"old_t_in_correction"``,
        ``"eps_inside_root"``, ``"betas_swapped"``, ``"m_v_swapped"``, ``"sign"``,
        ``"transposed"``, ``"shape"``, ``"unknown"``, ``"wrong_return"``,
        ``"not_attempted"``.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    t ← t + 1,  m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g ⊙ g,
    m̂ = m / (1 − β1ᵗ),  v̂ = v / (1 − β2ᵗ),  θ ← θ − η m̂ / (√v̂ + ε)
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")

    def step(theta, g, m, v, t, lr, beta1, beta2, eps):  # the checker passes 0-d copies
        return fn(theta, g, m, v, int(t), float(lr), float(beta1), float(beta2), float(eps))
    return run(ADAM_STEP, functools.wraps(fn)(step), expect=expect, seed=seed)
