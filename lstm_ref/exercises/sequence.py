"""Checker for backpropagation through time over a whole sequence.

The correct answer is :func:`lstm_ref.lstm_backward` after
:func:`lstm_ref.lstm_forward`. The mistakes are the same backward pass on
parts of the sequence: :func:`lstm_backward` of a chunk of steps takes what
arrives at its last step from beyond (``dh_T``, ``dc_T``) and returns what
leaves its first step (``dh0``, ``dc0``), so cutting the sequence into chunks
and passing back only one of the two carries is a BPTT that drops the other.
"""

from __future__ import annotations

import numpy as np

from ..sequence import SeqCache, SeqGrads, lstm_backward, lstm_forward
from ._judge import Exercise, Mistake, Verdict, averaged_over_batch, run

__all__ = ["SEQUENCE_BACKWARD", "check_sequence_backward"]


def _draw(rng):
    T, B, D, H = 3, 2, 4, 3
    return dict(dh=rng.standard_normal((T, B, H)), x=rng.standard_normal((T, B, D)),
                h0=rng.standard_normal((B, H)), c0=rng.standard_normal((B, H)),
                W=0.5 * rng.standard_normal((4 * H, H + D)), b=0.5 * rng.standard_normal(4 * H))


def _cache(ctx):
    _, _, cache = lstm_forward(ctx["x"], ctx["h0"], ctx["c0"], ctx["W"], ctx["b"])
    return cache


def _correct(ctx):
    return lstm_backward(ctx["dh"], _cache(ctx))._asdict()


def _one_step_chunks(ctx, *, pass_dh=True, pass_dc=True, accumulate=True):
    """BPTT as T one-step chunks, each passing back to step t-1 only the named carries.

    With ``accumulate=False`` each step's dW, db replace the sum so far (``dW = …``
    instead of ``dW += …``): only those of the last step processed, t = 1, survive.
    With the defaults this is :func:`lstm_backward` itself.
    """
    steps = _cache(ctx).steps
    dh_T = dc_T = None  # nothing arrives at h_T, c_T from beyond the sequence
    dx, dW, db = [], 0, 0
    for t in reversed(range(len(steps))):
        g = lstm_backward(ctx["dh"][t:t + 1], SeqCache(steps=steps[t:t + 1]), dh_T=dh_T, dc_T=dc_T)
        dx.insert(0, g.dx[0])
        if accumulate:
            dW, db = dW + g.dW, db + g.db  # one W serves every step
        else:
            dW, db = g.dW, g.db
        dh_T = g.dh0 if pass_dh else None  # what step t sends back to h_{t-1} ...
        dc_T = g.dc0 if pass_dc else None  # ... and to c_{t-1}
    return SeqGrads(dx=np.stack(dx), dh0=g.dh0, dc0=g.dc0, dW=dW, db=db)._asdict()


def _last_step_only(ctx):
    steps = _cache(ctx).steps
    T = len(steps)
    last = lstm_backward(ctx["dh"][T - 1:], SeqCache(steps=steps[T - 1:]))  # step T alone
    dx = np.zeros_like(ctx["x"])  # (T, B, D): no gradient reaches x_1 .. x_{T-1}
    dx[T - 1] = last.dx[0]
    return {**last._asdict(), "dx": dx}


def _mean_over_batch(ctx):
    return averaged_over_batch(ctx["correct"], ctx["x"].shape[1], ("dW", "db"))


SEQUENCE_BACKWARD = Exercise(
    name="check_sequence_backward",
    args=("dh", "x", "h0", "c0", "W", "b"),
    draw=_draw,
    correct=_correct,
    mistakes=(
        Mistake("no_dh_next",
                "the recurrent gradient is missing: dh_t must add dh_prev from step t+1",
                lambda ctx: _one_step_chunks(ctx, pass_dh=False, pass_dc=True)),
        Mistake("no_dc_carry",
                "dc_prev is not carried: step t's dc_next must be step t+1's dc_prev",
                lambda ctx: _one_step_chunks(ctx, pass_dh=True, pass_dc=False)),
        Mistake("last_step_only",
                "only the last step is back-propagated: BPTT sweeps t = T … 1 and "
                "sums dW, db over all steps", _last_step_only),
        Mistake("sign", "every gradient has the wrong sign",
                lambda ctx: {k: -v for k, v in ctx["correct"].items()}),
        Mistake("dW_overwritten",
                "dW and db are overwritten at every step (dW = … instead of dW += …): only "
                "step 1's survive; one W serves every step, so sum dW_t, db_t over t",
                lambda ctx: _one_step_chunks(ctx, accumulate=False)),
        Mistake("mean_over_batch",
                "dW and db are divided by B (a mean over the batch): the course's J sums over "
                "the batch", _mean_over_batch),
    ),
    axes={"dx": "T B D", "dh0": "B H", "dc0": "B H", "dW": "4H H+D", "db": "4H"},
)


def check_sequence_backward(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's BPTT over a sequence.

    Parameters
    ----------
    fn : callable
        ``fn(dh, x, h0, c0, W, b)`` returning ``dx`` (T, B, D), ``dh0``,
        ``dc0`` (B, H), ``dW`` (4H, H+D), ``db`` (4H,) (object, NamedTuple or
        dict). dh (T, B, H) is ∂J_t/∂h_t of each step's loss; x (T, B, D);
        h0, c0 (B, H); W (4H, H+D); b (4H,).
    expect : str, optional
        None, or ``"no_dh_next"``, ``"no_dc_carry"``, ``"last_step_only"``, ``"sign"``,
        ``"dW_overwritten"``, ``"mean_over_batch"``, ``"transposed"``, ``"shape"``,
        ``"unknown"``, ``"wrong_return"``, ``"not_attempted"``.
    seed : int

    Returns
    -------
    Verdict

    Equations
    ---------
    For t = T, …, 1:  dh_t = ∂J_t/∂h_t + dh_prev(t+1),  dc_next(t) = dc_prev(t+1),
    (dx_t, dh_prev, dc_prev, dW_t, db_t) = step backward(dh_t, dc_next(t));
    dW = Σ_t dW_t,  db = Σ_t db_t
    """
    return run(SEQUENCE_BACKWARD, fn, expect=expect, seed=seed)
