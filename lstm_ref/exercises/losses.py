"""Checkers for the output layer: ∂J/∂v of softmax cross-entropy, ∂J/∂ŷ of MSE, ∂J/∂W_v.

The correct answers are :func:`lstm_ref.softmax_cross_entropy`,
:func:`lstm_ref.mean_squared_error` and :func:`lstm_ref.affine_backward`
(with the course's ``reduction="sum"``); each mistake is a small change of
their inputs or outputs.
"""

from __future__ import annotations

import numpy as np

from ..activations import softmax
from ..affine import affine_backward, affine_forward
from ..losses import mean_squared_error, softmax_cross_entropy
from ._judge import Exercise, Mistake, Verdict, run

__all__ = ["SOFTMAX_CE", "MSE", "DW_V", "check_softmax_ce_grad", "check_mse_grad", "check_dW_v"]

_MEAN = "divided by B: the course's J sums over the batch (no mean)"


def _negated(field):
    return lambda ctx: {field: -ctx["correct"][field]}


# ------------------------------------------------------------ softmax cross-entropy

def _softmax_ce_draw(rng):
    B, V = 3, 5
    v = rng.standard_normal((B, V))
    return dict(v=v, y=rng.integers(0, V, size=B))


def _one_hot(ctx):
    return np.eye(ctx["v"].shape[1])[ctx["y"]]  # (B, V) target rows Y


SOFTMAX_CE = Exercise(
    name="check_softmax_ce_grad",
    args=("v", "y"),
    draw=_softmax_ce_draw,
    correct=lambda ctx: {"dv": softmax_cross_entropy(ctx["v"], ctx["y"])[1]},
    mistakes=(
        Mistake("sign", "the sign is flipped: this is y − ŷ; ∂J/∂v = ŷ − y", _negated("dv")),
        Mistake("forgot_y", "the target is missing: this is ŷ alone; ∂J/∂v = ŷ − y",
                lambda ctx: {"dv": softmax(ctx["v"])}),
        Mistake("logits_not_probabilities",
                "softmax is missing: this is v − y; use ŷ = softmax(v)",
                lambda ctx: {"dv": ctx["v"] - _one_hot(ctx)}),
        Mistake("mean_over_batch", _MEAN,
                lambda ctx: {"dv": softmax_cross_entropy(ctx["v"], ctx["y"],
                                                         reduction="mean")[1]}),
    ),
    axes={"dv": "B V"},
)


def check_softmax_ce_grad(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's ∂J/∂v for softmax + cross-entropy.

    Parameters
    ----------
    fn : callable
        ``fn(v, y) -> dv`` with v (B, V) logits, y (B,) int class indices,
        dv (B, V).
    expect : str, optional
        None: assert the answer is correct. A mistake name (``"sign"``,
        ``"forgot_y"``, ``"logits_not_probabilities"``, ``"mean_over_batch"``,
        ``"transposed"``, ``"shape"``, ``"unknown"``, ``"wrong_return"``,
        ``"not_attempted"``): assert that this is the diagnosis.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    J = −Σ_b log ŷ_{b, y_b},  ŷ = softmax(v),  ∂J/∂v = ŷ − Y  (Y one-hot)
    """
    return run(SOFTMAX_CE, fn, expect=expect, seed=seed)


# ------------------------------------------------------------------------ MSE

def _mse_draw(rng):
    B, V = 3, 4
    return dict(y_hat=rng.standard_normal((B, V)), y=rng.standard_normal((B, V)))


MSE = Exercise(
    name="check_mse_grad",
    args=("y_hat", "y"),
    draw=_mse_draw,
    correct=lambda ctx: {"dy_hat": mean_squared_error(ctx["y_hat"], ctx["y"],
                                                      reduction="sum")[1]},
    mistakes=(
        Mistake("sign", "the sign is flipped: 2(y − ŷ) (as in source 002); ∂J/∂ŷ = 2(ŷ − y)",
                _negated("dy_hat")),
        Mistake("missing_factor_2", "the factor 2 is missing: d(u²)/du = 2u, and J has no ½",
                lambda ctx: {"dy_hat": ctx["correct"]["dy_hat"] / 2}),
        Mistake("mean_over_batch", _MEAN,
                lambda ctx: {"dy_hat": ctx["correct"]["dy_hat"] / len(ctx["y_hat"])}),
    ),
    axes={"dy_hat": "B V"},
)


def check_mse_grad(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's ∂J/∂ŷ for the squared error J = Σ (ŷ − y)².

    Parameters
    ----------
    fn : callable
        ``fn(y_hat, y) -> dy_hat``, all (B, V).
    expect : str, optional
        None, or one of ``"sign"`` (source 002's 2(y − ŷ)), ``"missing_factor_2"``,
        ``"mean_over_batch"``, ``"transposed"``, ``"shape"``, ``"unknown"``,
        ``"wrong_return"``, ``"not_attempted"``.
    seed : int

    Returns
    -------
    Verdict

    Equations
    ---------
    J = Σ_{b,k} (ŷ_{bk} − y_{bk})²,  ∂J/∂ŷ = 2 (ŷ − y)
    """
    return run(MSE, fn, expect=expect, seed=seed)


# ------------------------------------------------------------------------ dW_v

def _dW_v_draw(rng):
    B, V, H = 3, 5, 2
    return dict(dv=rng.standard_normal((B, V)), h=rng.standard_normal((B, H)))


def _dW_v(dv, h):
    """dW_v of lstm_ref's output layer; it does not involve W_v, so W_v = 0 serves."""
    V, H = dv.shape[1], h.shape[1]
    _, cache = affine_forward(h, np.zeros((V, H)), np.zeros(V))
    return {"dW_v": affine_backward(dv, cache).dW_v}  # (V, H)


DW_V = Exercise(
    name="check_dW_v",
    args=("dv", "h"),
    draw=_dW_v_draw,
    correct=lambda ctx: _dW_v(ctx["dv"], ctx["h"]),
    mistakes=(
        Mistake("sign", "the sign is flipped", _negated("dW_v")),
        Mistake("mean_over_batch", _MEAN,
                lambda ctx: {"dW_v": ctx["correct"]["dW_v"] / len(ctx["dv"])}),
        # the layer's gradient for the first example (row) alone
        Mistake("one_example", "only one example is used: W_v is shared, so sum dv_b h_bᵀ over "
                "the batch (dv.T @ h)", lambda ctx: _dW_v(ctx["dv"][:1], ctx["h"][:1])),
    ),
    axes={"dW_v": "V H"},
)


def check_dW_v(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's ∂J/∂W_v of the output layer v = W_v h + b_v.

    Parameters
    ----------
    fn : callable
        ``fn(dv, h) -> dW_v`` with dv (B, V), h (B, H), dW_v (V, H).
    expect : str, optional
        None, or ``"sign"``, ``"mean_over_batch"``, ``"one_example"``,
        ``"transposed"``, ``"shape"``, ``"unknown"``, ``"wrong_return"``,
        ``"not_attempted"``.
    seed : int

    Returns
    -------
    Verdict

    Equations
    ---------
    ∂J/∂W_v = Σ_b dv_b h_bᵀ = dvᵀ h  (code: ``dv.T @ h``)
    """
    return run(DW_V, fn, expect=expect, seed=seed)
