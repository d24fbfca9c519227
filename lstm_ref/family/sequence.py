r"""The whole sequence for any cell of the family: a plain loop over the step pair.

The same loop as :mod:`lstm_ref.sequence`; the config travels in the step
caches. With peepholes, what step t sends back as ``dc_prev`` already holds
the paths from :math:`c_{t-1}` into step t's input and forget gates, so the
loop itself is unchanged. ``a_in`` (T, B, G*H), an extra term of every
pre-activation, is handed to the steps one slice at a time, and its gradient
comes back as ``da``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate as _v
from .cell import FamilyStepCache, _step_backward, _step_forward
from .config import FamilyParams, LSTMConfig, check_family_params

__all__ = ["FamilySeqCache", "FamilySeqGrads", "family_forward", "family_backward"]


class FamilySeqCache(NamedTuple):
    """What :func:`family_backward` needs: every step's cache, in time order."""

    steps: tuple[FamilyStepCache, ...]  #: T step caches; ``steps[t-1]`` is step t's


class FamilySeqGrads(NamedTuple):
    """Gradients of a whole-sequence pass, parameter gradients summed over all steps."""

    dx: np.ndarray  #: (T, B, D)
    dh0: np.ndarray  #: (B, H)
    dc0: np.ndarray  #: (B, H)
    dW: np.ndarray  #: (G*H, H+D)
    db: np.ndarray  #: (G*H,)
    dp: np.ndarray | None  #: (P*H,) or (P*H, H); None without peepholes
    da: np.ndarray  #: (T, B, G*H) pre-activation gradient of every step, = dJ/da_in


def family_forward(x, h0, c0, params: FamilyParams, config: LSTMConfig, *, a_in=None):
    r"""Forward over a whole sequence: the step function, T times.

    Equations
    ---------
    For :math:`t = 1, \dots, T`:
    :math:`(h_t, c_t) = \text{step}(x_t, h_{t-1}, c_{t-1}, a^{in}_t)` with the
    cell of ``config`` (:func:`~lstm_ref.family.cell.family_step_forward`), whose
    pre-activations are :math:`a_t = W [h_{t-1}; x_t] + b + a^{in}_t`.

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Dense inputs; D = 0 (shape (T, B, 0)) for a cell without one.
    h0, c0 : ndarray, shape (B, H)
    params : FamilyParams
    config : LSTMConfig
    a_in : ndarray, shape (T, B, G*H), optional
        A term added to every pre-activation of every step (default none).

    Returns
    -------
    h, c : ndarray, shape (T, B, H)
    cache : FamilySeqCache
    """
    _v.check_type("config", config, LSTMConfig)
    extra = {} if a_in is None else {"a_in": a_in}
    _v.check_floats(x=x, h0=h0, c0=c0, **extra)
    sizes = _v.check_shapes(("x", x, "T B D"), ("h0", h0, "B H"), ("c0", c0, "B H"),
                            sizes=_v.empty_input_sizes(x, "T B D"))
    check_family_params(params, config, sizes["H"], sizes["D"])
    _v.check_same_dtype(x=x, h0=h0, c0=c0, **extra, **{"params.W": params.W})
    if a_in is not None:
        _v.check_shapes(("a_in", a_in, f"T B {len(config.gates)}H"), sizes=sizes)
    # Checked once here, so every step runs unchecked (the same step, family_step_forward).
    h_t, c_t = h0, c0
    hs, cs, caches = [], [], []
    for t, x_t in enumerate(x):  # code index t is step t+1
        a_t = None if a_in is None else a_in[t]  # (B, G*H)
        h_t, c_t, step_cache = _step_forward(x_t, h_t, c_t, params, config, a_t)
        hs.append(h_t)
        cs.append(c_t)
        caches.append(step_cache)
    return np.stack(hs), np.stack(cs), FamilySeqCache(steps=tuple(caches))


def family_backward(dh, cache: FamilySeqCache, *, dh_T=None, dc_T=None, truncate=False):
    r"""Backpropagation through time for :func:`family_forward`.

    Equations
    ---------
    For :math:`t = T, \dots, 1`:

    .. math::

        \delta h_t &= \texttt{dh[t]} + \delta h_t^{\text{next}} \\
        (\delta x_t, \delta h_{t-1}^{\text{next}}, \delta c_{t-1}^{\text{next}},
        \delta W_t, \delta b_t, \delta p_t) &=
        \text{step backward}(\delta h_t, \delta c_t^{\text{next}}) \\
        \delta W = \sum_t \delta W_t, \quad \delta b &= \sum_t \delta b_t, \quad
        \delta p = \sum_t \delta p_t

    With ``truncate=True``, :math:`\delta h_{t-1}^{\text{next}} = 0`: the
    truncated gradient of Hochreiter & Schmidhuber (1997), section 4 ("Learning"), in
    which error that reaches the net inputs of the gates and cells changes
    their weights but goes no further back in time; only the carousel
    (:math:`\delta c`) carries error to earlier steps.

    Parameters
    ----------
    dh : ndarray, shape (T, B, H)
        Upstream :math:`\partial J/\partial h_t` of every step.
    cache : FamilySeqCache
    dh_T, dc_T : ndarray, shape (B, H), optional
        Gradients arriving at :math:`h_T`, :math:`c_T` from beyond the sequence.
    truncate : bool, default False
        Drop the error that flows from step t into :math:`h_{t-1}` (the 1997
        truncated gradient; ``dh0`` is then zero). Not the gradient of J: an
        approximation to it, exact when no error flows through the recurrent
        weights (for example T = 1, or :math:`W_h = 0`).

    Returns
    -------
    FamilySeqGrads
        ``dx`` (T, B, D), ``dh0``, ``dc0`` (B, H), ``dW``, ``db``, ``dp``, and
        ``da`` (T, B, G*H), every step's :math:`\delta a_t`
        (:math:`= \partial J/\partial a^{in}_t`).
    """
    _v.check_type("cache", cache, FamilySeqCache)
    if not isinstance(truncate, (bool, np.bool_)):
        raise TypeError(f"truncate: expected True or False, got {truncate!r}")
    if len(cache.steps) == 0:
        raise ValueError("cache: expected the caches of T >= 1 steps, "
                         "got FamilySeqCache(steps=())")
    first = cache.steps[0]
    T = len(cache.steps)
    B, H = first.i.shape
    D = first.z.shape[1] - H
    extra = {k: v for k, v in (("dh_T", dh_T), ("dc_T", dc_T)) if v is not None}
    _v.check_floats(dh=dh, **extra)
    _v.check_same_dtype(cache=first.z, dh=dh, **extra)
    _v.check_shapes(("dh", dh, "T B H"), *((k, v, "B H") for k, v in extra.items()),
                    sizes={"T": T, "B": B, "H": H})
    W, b, p = first.params
    dx = np.empty((T, B, D), dh.dtype)  # (T, B, D)
    da = np.empty((T, B, W.shape[0]), dh.dtype)  # (T, B, G*H)
    dW = np.zeros_like(W)  # (G*H, H+D) summed over steps
    db = np.zeros_like(b)  # (G*H,) summed over steps
    dp = None if p is None else np.zeros_like(p)  # (P*H,) or (P*H, H) summed over steps
    dh_next = np.zeros((B, H), dh.dtype) if dh_T is None else dh_T  # (B, H)
    dc_next = np.zeros((B, H), dh.dtype) if dc_T is None else dc_T  # (B, H)
    for t in reversed(range(T)):  # code index t is step t+1
        step = _step_backward(dh[t] + dh_next, dc_next, cache.steps[t])
        dx[t] = step.dx
        da[t] = step.da  # = dJ/da_in[t]: a_in[t] enters a_t with weight 1
        dW += step.dW  # one W, b, p serve every step: sum the contributions
        db += step.db
        if dp is not None:
            dp += step.dp
        # truncated: h_{t-1} gets no error from step t; the carousel's dc_prev always flows
        dh_next = np.zeros_like(step.dh_prev) if truncate else step.dh_prev  # (B, H)
        dc_next = step.dc_prev
    return FamilySeqGrads(dx=dx, dh0=dh_next, dc0=dc_next, dW=dW, db=db, dp=dp, da=da)
