"""Checkers for one LSTM step: the forward step and the backward step.

The correct answers are :func:`lstm_ref.lstm_step_forward` and
:func:`lstm_ref.lstm_step_backward`. Each mistake is the real step run on
transformed inputs (a permuted W, a shifted ``dc_next``) with its outputs
transformed, or, where no such change exists, a few lines on the real
:class:`~lstm_ref.StepCache`'s stored activations.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid, tanh
from ..affine import AffineCache, affine_backward
from ..cell import StepCache, lstm_step_backward, lstm_step_forward
from ..params import GATES, fuse_gates, fuse_weight, split_gates, split_weight_by_gate
from ._judge import Exercise, Mistake, Verdict, averaged_over_batch, run, swapped

__all__ = ["CELL_FORWARD", "CELL_BACKWARD", "check_cell_forward", "check_cell_backward"]

_STEP = ("x", "h_prev", "c_prev", "W", "b")


def _read_in_order(M, order):
    """W (4H, H+D) or b (4H,) rearranged into the gates a reader in ``order`` uses.

    A cell that reads W's row blocks as the gates ``order`` (``"ifog"``, or
    PyTorch's ``"ifgo"``) computes exactly the correct cell on this W (and b):
    its gate n is the block at position ``order.index(n)``.
    """
    blocks = split_gates(M.T)  # the row blocks of M are the column blocks of M.T
    return fuse_gates(*(blocks[order.index(n)] for n in GATES)).T


def _stored_in_order(M, order):
    """The inverse of :func:`_read_in_order`: position p holds gate ``order[p]``'s block."""
    blocks = split_gates(M.T)._asdict()
    return fuse_gates(*(blocks[n] for n in order)).T


def _step(ctx, **changed):
    """lstm_step_forward on the context's inputs, some of them replaced."""
    return lstm_step_forward(*(changed.get(k, ctx[k]) for k in _STEP))


def _sign(ctx):
    return {k: -v for k, v in ctx["correct"].items()}


# ------------------------------------------------------------------- forward

def _forward_draw(rng):
    B, D, H = 2, 4, 3  # D ≠ H, so a wrong stacking order is visible
    return dict(x=rng.standard_normal((B, D)), h_prev=rng.standard_normal((B, H)),
                c_prev=rng.standard_normal((B, H)), W=0.8 * rng.standard_normal((4 * H, H + D)),
                b=0.5 * rng.standard_normal(4 * H))


def _h_c(out):
    h, c, _ = out
    return {"h": h, "c": c}


def _stack_x_first(ctx):
    # z = [x; h_prev] against W: W's first D columns act on x and its last H on
    # h_prev, i.e. the correct cell with W_h = W[:, D:] and W_x = W[:, :D].
    D = ctx["x"].shape[1]
    W = ctx["W"]
    return _h_c(_step(ctx, W=fuse_weight(W[:, D:], W[:, :D])))


def _missing_tanh_on_c(ctx):
    _, c, cache = _step(ctx)
    return {"h": cache.o * c, "c": c}  # h = o ⊙ c


def _sigmoid_candidate(ctx):
    _, _, cache = _step(ctx)
    a_g = cache.z @ split_weight_by_gate(ctx["W"]).g.T + split_gates(ctx["b"]).g  # (B, H)
    g = sigmoid(a_g)  # σ where tanh belongs; then c and h as in the cell
    c = cache.f * cache.c_prev + cache.i * g
    return {"h": cache.o * tanh(c), "c": c}


def _gate_order(order):
    return lambda ctx: _h_c(_step(ctx, W=_read_in_order(ctx["W"], order),
                                  b=_read_in_order(ctx["b"], order)))


def _returns_c_h(ctx):
    h, c, _ = _step(ctx)
    return {"h": c, "c": h}


def _no_forget_gate(ctx):
    _, _, cache = _step(ctx)
    c = cache.c_prev + cache.i * cache.g  # f ⊙ c_prev without f
    return {"h": cache.o * tanh(c), "c": c}


CELL_FORWARD = Exercise(
    name="check_cell_forward",
    args=_STEP,
    draw=_forward_draw,
    correct=lambda ctx: _h_c(_step(ctx)),
    mistakes=(
        Mistake("gate_order_ifog",
                "the gates are read in order i, f, o, g; the course's order is f, i, o, g "
                "(rows 0:H of W are the forget gate)", _gate_order("ifog")),
        Mistake("gate_order_ifgo",
                "the gates are read in PyTorch's order i, f, g, o; the course's order is "
                "f, i, o, g (rows 0:H of W are the forget gate, rows 3H:4H the candidate)",
                _gate_order("ifgo")),
        Mistake("stack_x_first",
                "the input is stacked as [x; h_prev]; the course stacks z = [h_prev; x] "
                "(h first, source 000), so W's first H columns act on h_prev", _stack_x_first),
        Mistake("missing_tanh_on_c",
                "h = o ⊙ c: the squashing tanh of the cell state is missing; h = o ⊙ tanh(c)",
                _missing_tanh_on_c),
        Mistake("sigmoid_candidate",
                "the candidate uses σ; g = tanh(a_g) (it must be able to be negative)",
                _sigmoid_candidate),
        Mistake("no_forget_gate",
                "c = c_prev + i ⊙ g: the forget gate is missing (that is the 1997 LSTM); "
                "c = f ⊙ c_prev + i ⊙ g", _no_forget_gate),
        Mistake("returns_c_h", "h and c are swapped: return (h, c), h first",
                _returns_c_h),
        Mistake("missing_bias", "the bias is missing: a = W z + b (code: z @ W.T + b)",
                lambda ctx: _h_c(_step(ctx, b=np.zeros_like(ctx["b"])))),
    ),
    axes={"h": "B H", "c": "B H"},
)


def check_cell_forward(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's LSTM cell forward step.

    Parameters
    ----------
    fn : callable
        ``fn(x, h_prev, c_prev, W, b) -> (h, c)`` (a tuple, NamedTuple, dict or
        object with ``h`` and ``c``), with x (B, D), h_prev and c_prev (B, H),
        W (4H, H+D) in gate order f, i, o, g acting on z = [h_prev; x],
        b (4H,); h and c are (B, H).
    expect : str, optional
        None, or ``"gate_order_ifog"``, ``"gate_order_ifgo"``, ``"stack_x_first"``,
        ``"missing_tanh_on_c"``, ``"sigmoid_candidate"``, ``"no_forget_gate"``,
        ``"returns_c_h"``, ``"missing_bias"``, ``"transposed"``, ``"shape"``,
        ``"unknown"``, ``"wrong_return"``, ``"not_attempted"``.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    z = [h_prev; x],  a = W z + b,  f, i, o = σ(a_f), σ(a_i), σ(a_o),  g = tanh(a_g),
    c = f ⊙ c_prev + i ⊙ g,  h = o ⊙ tanh(c)
    """
    return run(CELL_FORWARD, fn, expect=expect, seed=seed)


# ------------------------------------------------------------------- backward

def _backward_draw(rng):
    B, D, H = 2, 4, 3  # D ≠ H: swapped dx, dh_prev slices are visible; B > 1: a mean too
    return dict(x=rng.standard_normal((B, D)), h_prev=rng.standard_normal((B, H)),
                c_prev=rng.standard_normal((B, H)), W=0.5 * rng.standard_normal((4 * H, H + D)),
                b=0.5 * rng.standard_normal(4 * H), dh=rng.standard_normal((B, H)),
                dc_next=rng.standard_normal((B, H)))


def _grads(ctx, dc_next=None, **changed):
    """lstm_step_backward(dh, dc_next) after the forward step on (changed) inputs, as a dict."""
    _, _, cache = _step(ctx, **changed)
    dc_next = ctx["dc_next"] if dc_next is None else dc_next
    return lstm_step_backward(ctx["dh"], dc_next, cache)._asdict()


def _tanh_not_squared(ctx):
    # dc = dh ⊙ o ⊙ (1 − tanh c) + dc_next is the real dc with dc_next shifted by
    # dh ⊙ o ⊙ (tanh²c − tanh c); everything after dc is then the mistake's.
    _, _, cache = _step(ctx)
    shift = ctx["dh"] * cache.o * (cache.tanh_c**2 - cache.tanh_c)  # (B, H)
    return _grads(ctx, dc_next=ctx["dc_next"] + shift)


def _gate_deltas(dh, dc_next, cache):
    """δa = ∂J/∂a (B, 4H) of the real step: db of one example alone is its row of δa."""
    rows = []
    for r in range(dh.shape[0]):
        one = StepCache(*(v if k == "W" else v[r:r + 1] for k, v in cache._asdict().items()))
        rows.append(lstm_step_backward(dh[r:r + 1], dc_next[r:r + 1], one).db)  # (4H,)
    return np.stack(rows)  # (B, 4H)


def _missing_sigmoid_derivative(ctx):
    _, _, cache = _step(ctx)
    da = _gate_deltas(ctx["dh"], ctx["dc_next"], cache)  # (B, 4H)
    f, i, o = cache.f, cache.i, cache.o
    # δa_f, δa_i, δa_o without their factor σ' = s(1 − s); δa_g keeps tanh'
    da = da / fuse_gates(f * (1 - f), i * (1 - i), o * (1 - o), np.ones_like(f))  # (B, 4H)
    # a = W z + b is an affine layer: dz = Wᵀδa, dW = Σ_b δa zᵀ, db = Σ_b δa
    dz, dW, db = affine_backward(da, AffineCache(h=cache.z, W_v=cache.W))
    H = f.shape[1]
    # dc_prev = dc ⊙ f has no σ' on its path: it is the correct one
    return dict(dx=dz[:, H:], dh_prev=dz[:, :H], dc_prev=ctx["correct"]["dc_prev"], dW=dW, db=db)


def _dc_prev_only_dc_next(ctx):
    _, _, cache = _step(ctx)
    return {**ctx["correct"], "dc_prev": ctx["dc_next"] * cache.f}


def _gate_order_backward(order):
    # a consistent implementation reading W's blocks in ``order`` computes the correct
    # gradients of the cell on the rearranged W, stored back in its own layout
    def answer(ctx):
        out = _grads(ctx, W=_read_in_order(ctx["W"], order), b=_read_in_order(ctx["b"], order))
        return {**out, "dW": _stored_in_order(out["dW"], order),
                "db": _stored_in_order(out["db"], order)}
    return answer


def _dx_dh_prev_swapped(ctx):
    # dz = [dh_prev, dx] with the slices exchanged; the shapes differ when D ≠ H
    return swapped(ctx["correct"], "dx", "dh_prev")


def _mean_over_batch(ctx):
    return averaged_over_batch(ctx["correct"], len(ctx["x"]), ("dW", "db"))


CELL_BACKWARD = Exercise(
    name="check_cell_backward",
    args=("dh", "dc_next") + _STEP,
    draw=_backward_draw,
    correct=_grads,
    mistakes=(
        Mistake("missing_dc_next",
                "dc lacks “+ dc_next”, the gradient carried from c_{t+1}; "
                "dc = dh ⊙ o ⊙ (1 − tanh²c) + dc_next (every output is affected)",
                lambda ctx: _grads(ctx, dc_next=np.zeros_like(ctx["dc_next"]))),
        Mistake("tanh_not_squared", "tanh' is written 1 − tanh(c) instead of 1 − tanh²(c)",
                _tanh_not_squared),
        Mistake("missing_sigmoid_derivative",
                "the gate derivative σ' = σ(1 − σ) is missing in da_f, da_i, da_o",
                _missing_sigmoid_derivative),
        Mistake("dc_prev_only_dc_next",
                "dc_prev is dc_next ⊙ f only: the path through h_t is missing; "
                "dc_prev = dc ⊙ f with the full dc", _dc_prev_only_dc_next),
        Mistake("gate_order_ifog",
                "the gates are read in order i, f, o, g; the course's order is f, i, o, g",
                _gate_order_backward("ifog")),
        Mistake("gate_order_ifgo",
                "the gates are read in PyTorch's order i, f, g, o; the course's order is "
                "f, i, o, g", _gate_order_backward("ifgo")),
        Mistake("dx_dh_prev_swapped",
                "dx and dh_prev are swapped: z = [h_prev; x], so dh_prev = dz[:, :H] and "
                "dx = dz[:, H:]", _dx_dh_prev_swapped),
        Mistake("mean_over_batch",
                "dW and db are divided by B (a mean over the batch): the course's J sums over "
                "the batch, so dW = da.T @ z and db = da.sum(axis=0)", _mean_over_batch),
        Mistake("sign", "every gradient has the wrong sign", _sign),
    ),
    axes={"dx": "B D", "dh_prev": "B H", "dc_prev": "B H", "dW": "4H H+D", "db": "4H"},
)


def check_cell_backward(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's LSTM cell backward step.

    Parameters
    ----------
    fn : callable
        ``fn(dh, dc_next, x, h_prev, c_prev, W, b)`` returning an object,
        NamedTuple or dict with ``dx`` (B, D), ``dh_prev``, ``dc_prev`` (B, H),
        ``dW`` (4H, H+D), ``db`` (4H,). Inputs: dh, dc_next, h_prev, c_prev
        (B, H), x (B, D), W (4H, H+D), b (4H,).
    expect : str, optional
        None, or ``"missing_dc_next"``, ``"tanh_not_squared"``,
        ``"missing_sigmoid_derivative"``, ``"dc_prev_only_dc_next"``, ``"gate_order_ifog"``,
        ``"gate_order_ifgo"``, ``"dx_dh_prev_swapped"``, ``"mean_over_batch"``, ``"sign"``,
        ``"transposed"``, ``"shape"``, ``"unknown"``, ``"wrong_return"``, ``"not_attempted"``.
    seed : int

    Returns
    -------
    Verdict

    Equations
    ---------
    dc = dh ⊙ o ⊙ (1 − tanh²c) + dc_next;  da = [dc⊙c_prev⊙f(1−f); dc⊙g⊙i(1−i);
    dh⊙tanh c⊙o(1−o); dc⊙i⊙(1−g²)];  dz = Wᵀda;  dW = Σ_b da zᵀ;  dc_prev = dc ⊙ f
    """
    return run(CELL_BACKWARD, fn, expect=expect, seed=seed)
