"""Checkers for source 003's split-weight cell: the layout conversion and the backward step.

The correct answers are :func:`lstm_ref.fused_to_split` and
:func:`lstm_ref.split_step_backward`. The layout mistakes are
:func:`~lstm_ref.fused_to_split` applied to a weight whose row blocks were
rearranged; the backward mistakes are the real step on changed inputs (a zero
``dc_next``, W and U read in another gate order), or its last lines redone on
the real :class:`~lstm_ref.SplitStepCache` with one local derivative changed,
among them source 003's own four.
"""

from __future__ import annotations

import numpy as np

from ..affine import AffineCache, affine_backward
from ..params import GATES, split_gates
from ..split import SPLIT_GATES, fused_to_split, split_step_backward, split_step_forward
from ._judge import Exercise, Mistake, Verdict, averaged_over_batch, run

__all__ = ["FUSED_TO_SPLIT", "SPLIT_STEP_BACKWARD", "check_fused_to_split",
           "check_split_step_backward"]


def _rows_in_order(M, order):
    """M's row blocks rearranged: block p of the result is M's block ``order[p]`` (indices)."""
    blocks = split_gates(M.T)  # the row blocks of M are the column blocks of M.T
    return np.concatenate([blocks[k] for k in order], axis=1).T


# ------------------------------------------------------------------ layout conversion

def _conversion_draw(rng):
    D, H = 4, 3  # D ≠ H: W and U taken from the wrong columns have the wrong shapes
    return dict(W_fused=rng.standard_normal((4 * H, H + D)))


def _split(W_fused):
    W, U = fused_to_split(W_fused)
    return {"W": W, "U": U}


def _rows_as(order):
    # the rows a reader picks, block p being the course's gate ``order[p]``, i.e. the
    # correct conversion of a fused weight whose rows were already in source 003's order
    # ``fused_to_split`` undoes: block q of that weight is W_fused's block order[SPLIT.index(q)]
    def answer(ctx):
        picks = [GATES.index(order[SPLIT_GATES.index(g)]) for g in GATES]
        return _split(_rows_in_order(ctx["W_fused"], picks))
    return answer


def _inverse_rows(ctx):
    # rows indexed by the inverse permutation: block p taken from the fused block that
    # source 003's order would send to p (argsort of the correct index)
    forward = [GATES.index(g) for g in SPLIT_GATES]  # (3, 1, 0, 2)
    inverse = list(np.argsort(forward))  # (2, 1, 3, 0)
    return _rows_as(tuple(GATES[k] for k in inverse))(ctx)


def _columns_swapped(ctx):
    right = _split(ctx["W_fused"])
    H = right["U"].shape[1]
    theta_hx = np.concatenate([right["U"], right["W"]], axis=1)  # rows permuted, [h, x]
    return {"W": theta_hx[:, :H], "U": theta_hx[:, H:]}


FUSED_TO_SPLIT = Exercise(
    name="check_fused_to_split",
    args=("W_fused",),
    draw=_conversion_draw,
    correct=lambda ctx: _split(ctx["W_fused"]),
    mistakes=(
        Mistake("rows_not_permuted",
                "the rows are still in the course's gate order f, i, o, g; source 003's "
                "order is a (= g), i, f, o: rows [3H:4H, H:2H, 0:H, 2H:3H] of W_fused",
                _rows_as(GATES)),
        Mistake("inverse_row_permutation",
                "the row permutation is inverted: split block k is the fused block of gate "
                "(g, i, f, o)[k], i.e. rows [3H:4H, H:2H, 0:H, 2H:3H] of W_fused, not "
                "[2H:3H, H:2H, 3H:4H, 0:H]", _inverse_rows),
        Mistake("gate_order_ifgo",
                "the rows are in PyTorch's order i, f, g, o; source 003's order is "
                "a (= g), i, f, o", _rows_as(("i", "f", "g", "o"))),
        Mistake("columns_swapped",
                "W and U are exchanged: W_fused acts on z = [h_prev; x], so U (on h_prev) is "
                "its first H columns and W (on x) the last D", _columns_swapped),
    ),
    axes={"W": "R D", "U": "R H"},  # rows in source 003's order, not the fused one
)


def check_fused_to_split(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's conversion from the fused weight to source 003's (W, U).

    Parameters
    ----------
    fn : callable
        ``fn(W_fused) -> (W, U)`` (a tuple, NamedTuple, dict or object with
        ``W`` and ``U``), with W_fused (4H, H+D) in gate order f, i, o, g acting
        on z = [h_prev; x]; W (4H, D) and U (4H, H) in source 003's order
        a (= g), i, f, o.
    expect : str, optional
        None, or ``"rows_not_permuted"``, ``"inverse_row_permutation"``,
        ``"gate_order_ifgo"``, ``"columns_swapped"``, ``"transposed"``,
        ``"shape"``, ``"unknown"``, ``"wrong_return"``, ``"not_attempted"``.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    [W U] = P_row W_fused P_colᵀ: rows (f, i, o, g) → (g, i, f, o), columns [h; x] → [x; h]
    """
    return run(FUSED_TO_SPLIT, fn, expect=expect, seed=seed)


# ------------------------------------------------------------------ backward step

_STEP = ("x", "h_prev", "c_prev", "W", "U")


def _backward_draw(rng):
    B, D, H = 2, 4, 3  # D ≠ H: dW and dU exchanged have other shapes; B > 1: a mean too
    return dict(dh=rng.standard_normal((B, H)), dc_next=rng.standard_normal((B, H)),
                x=rng.standard_normal((B, D)), h_prev=rng.standard_normal((B, H)),
                c_prev=rng.standard_normal((B, H)), W=0.8 * rng.standard_normal((4 * H, D)),
                U=0.8 * rng.standard_normal((4 * H, H)))


def _cache(ctx, **changed):
    _, _, cache = split_step_forward(*(changed.get(k, ctx[k]) for k in _STEP))
    return cache


def _grads(ctx, dc_next=None, **changed):
    """split_step_backward(dh, dc_next) after the forward step on (changed) inputs, as a dict."""
    dc_next = ctx["dc_next"] if dc_next is None else dc_next
    return split_step_backward(ctx["dh"], dc_next, _cache(ctx, **changed))._asdict()


def _dA_hat(ctx, local):
    """dÂ (B, 4H) of the step with the local derivatives ``local(cache, A_hat)`` (B, 4H).

    Everything up to δa, δi, δf, δo is the real step's; ``local`` returns the factors
    that turn them into δâ, δî, δf̂, δô (the correct ones: 1 − a², i(1 − i), f(1 − f),
    o(1 − o)). Also returns δc and the cache.
    """
    cache = _cache(ctx)
    dh, dc_next = ctx["dh"], ctx["dc_next"]
    A_hat = ctx["x"] @ ctx["W"].T + ctx["h_prev"] @ ctx["U"].T  # (B, 4H) pre-activations
    dc = dc_next + dh * cache.o * (1 - cache.tanh_c**2)  # (B, H)
    d_act = np.concatenate([dc * cache.i, dc * cache.a, dc * cache.c_prev,
                            dh * cache.tanh_c], axis=1)  # (B, 4H) δa, δi, δf, δo
    return d_act * local(cache, A_hat), dc, cache  # (B, 4H)


def _with_local_derivatives(ctx, local):
    """The step's gradients with the local derivatives ``local`` (see :func:`_dA_hat`)."""
    dA_hat, dc, cache = _dA_hat(ctx, local)
    # Â = W x + U h_prev is two affine maps: dx = Wᵀ dÂ, dW = Σ_b dÂ xᵀ (and for U, h_prev)
    dx, dW, _ = affine_backward(dA_hat, AffineCache(h=ctx["x"], W_v=ctx["W"]))
    dh_prev, dU, _ = affine_backward(dA_hat, AffineCache(h=ctx["h_prev"], W_v=ctx["U"]))
    return dict(dx=dx, dh_prev=dh_prev, dc_prev=dc * cache.f, dW=dW, dU=dU)


def _correct_local(cache, A_hat):
    a, i, f, o = cache.a, cache.i, cache.f, cache.o
    return np.concatenate([1 - a**2, i * (1 - i), f * (1 - f), o * (1 - o)], axis=1)


def _source_003_as_written(cache, A_hat):
    a_hat, _, f_hat, o_hat = np.split(A_hat, 4, axis=1)
    # 1 − tanh(â), â(1 − â) for the input gate, f̂(1 − f̂), ô(1 − ô)
    return np.concatenate([1 - cache.a, a_hat * (1 - a_hat), f_hat * (1 - f_hat),
                           o_hat * (1 - o_hat)], axis=1)


def _candidate_not_squared(cache, A_hat):
    i, f, o = cache.i, cache.f, cache.o
    return np.concatenate([1 - cache.a, i * (1 - i), f * (1 - f), o * (1 - o)], axis=1)


def _sigma_at_pre_activations(cache, A_hat):
    _, i_hat, f_hat, o_hat = np.split(A_hat, 4, axis=1)
    return np.concatenate([1 - cache.a**2, i_hat * (1 - i_hat), f_hat * (1 - f_hat),
                           o_hat * (1 - o_hat)], axis=1)


def _read_in_order(order):
    # a consistent reader taking W's and U's row blocks as the gates ``order`` computes
    # the correct gradients of the cell on the rearranged W, U, stored in its own layout
    def answer(ctx):
        picks = [order.index(g) for g in SPLIT_GATES]  # block of each gate in the reader's
        back = [SPLIT_GATES.index(g) for g in order]
        out = _grads(ctx, W=_rows_in_order(ctx["W"], picks), U=_rows_in_order(ctx["U"], picks))
        return {**out, "dW": _rows_in_order(out["dW"], back),
                "dU": _rows_in_order(out["dU"], back)}
    return answer


def _dW_dU_swapped(ctx):
    # dW = Σ_b dÂ xᵀ and dU = Σ_b dÂ h_prevᵀ with x and h_prev exchanged
    dA_hat, _, _ = _dA_hat(ctx, _correct_local)
    return {**ctx["correct"], "dW": dA_hat.T @ ctx["h_prev"], "dU": dA_hat.T @ ctx["x"]}


def _mean_over_batch(ctx):
    return averaged_over_batch(ctx["correct"], len(ctx["x"]), ("dW", "dU"))


SPLIT_STEP_BACKWARD = Exercise(
    name="check_split_step_backward",
    args=("dh", "dc_next") + _STEP,
    draw=_backward_draw,
    correct=_grads,
    mistakes=(
        Mistake("source_003_as_written",
                "these are source 003's four local derivatives as printed: 1 − tanh(â), "
                "â(1 − â), f̂(1 − f̂), ô(1 − ô); they are 1 − a², i(1 − i), f(1 − f), o(1 − o)",
                lambda ctx: _with_local_derivatives(ctx, _source_003_as_written)),
        Mistake("candidate_tanh_not_squared",
                "dâ uses 1 − tanh(â) = 1 − a (source 003's line); tanh' = 1 − tanh², "
                "so dâ = da ⊙ (1 − a²)",
                lambda ctx: _with_local_derivatives(ctx, _candidate_not_squared)),
        Mistake("sigma_at_pre_activations",
                "σ' is evaluated at the pre-activations, î(1 − î) …; written through the "
                "outputs it is i(1 − i), f(1 − f), o(1 − o)",
                lambda ctx: _with_local_derivatives(ctx, _sigma_at_pre_activations)),
        Mistake("missing_dc_next",
                "δc lacks “+ dc_next”, the value step t+1 gives δc^t; "
                "δc = dc_next + dh ⊙ o ⊙ (1 − tanh²c) (every output is affected)",
                lambda ctx: _grads(ctx, dc_next=np.zeros_like(ctx["dc_next"]))),
        Mistake("gate_order_fused",
                "W and U are read in the course's fused order f, i, o, g; source 003's rows "
                "are a (= g), i, f, o", _read_in_order(GATES)),
        Mistake("dW_dU_swapped",
                "dW and dU are exchanged: W acts on x, so dW = dA_hat.T @ x (4H, D), and U on "
                "h_prev, so dU = dA_hat.T @ h_prev (4H, H)", _dW_dU_swapped),
        Mistake("mean_over_batch",
                "dW and dU are divided by B (a mean over the batch): E sums over the batch, "
                "so dW = dA_hat.T @ x and dU = dA_hat.T @ h_prev", _mean_over_batch),
        Mistake("sign", "every gradient has the wrong sign",
                lambda ctx: {k: -v for k, v in ctx["correct"].items()}),
    ),
    axes={"dx": "B D", "dh_prev": "B H", "dc_prev": "B H", "dW": "R D", "dU": "R H"},
)


def check_split_step_backward(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's backward step of source 003's cell (split weights, no bias).

    Parameters
    ----------
    fn : callable
        ``fn(dh, dc_next, x, h_prev, c_prev, W, U)`` returning an object,
        NamedTuple or dict with ``dx`` (B, D), ``dh_prev``, ``dc_prev`` (B, H),
        ``dW`` (4H, D), ``dU`` (4H, H). Inputs: dh (total ∂E/∂h^t), dc_next,
        h_prev, c_prev (B, H), x (B, D), W (4H, D), U (4H, H), rows in source
        003's order a (= g), i, f, o.
    expect : str, optional
        None, or ``"source_003_as_written"``, ``"candidate_tanh_not_squared"``,
        ``"sigma_at_pre_activations"``, ``"missing_dc_next"``, ``"gate_order_fused"``,
        ``"dW_dU_swapped"``, ``"mean_over_batch"``, ``"sign"``, ``"transposed"``,
        ``"shape"``, ``"unknown"``, ``"wrong_return"``, ``"not_attempted"``.
    seed : int

    Returns
    -------
    Verdict

    Equations
    ---------
    δc = dc_next + dh ⊙ o ⊙ (1 − tanh²c);  dÂ = [δc⊙i⊙(1−a²); δc⊙a⊙i(1−i);
    δc⊙c_prev⊙f(1−f); dh⊙tanh c⊙o(1−o)];  dW = Σ_b dÂ xᵀ;  dU = Σ_b dÂ h_prevᵀ;
    dx = Wᵀ dÂ;  dh_prev = Uᵀ dÂ;  dc_prev = δc ⊙ f
    """
    return run(SPLIT_STEP_BACKWARD, fn, expect=expect, seed=seed)
