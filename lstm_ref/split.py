r"""Source 003's layout: weights W on x and U on h_prev, no bias, gates a, i, f, o.

Source 003 writes every gate with an input weight and a recurrent weight, and no
bias. Stacked in its order (its :math:`\hat I^t`, here :math:`\hat A`)::

    Â = W x + U h_prev = [â; î; f̂; ô]      (rows: A_hat = x @ W.T + h_prev @ U.T)

    W = [ W_a ]  (4H, D)     U = [ U_a ]  (4H, H)
        [ W_i ]                  [ U_i ]
        [ W_f ]                  [ U_f ]
        [ W_o ]                  [ U_o ]

Source 003 calls the candidate (the cell input) :math:`a = \tanh(\hat a)`; the
course calls it ``g``, so the row blocks are :data:`SPLIT_GATES` = g, i, f, o.

It is the course's fused cell with the bias fixed at zero. With
:math:`\Theta = [W\;U]` acting on :math:`I = [x; h_{t-1}]` and the fused
``W_fused`` (gates f, i, o, g) acting on :math:`z = [h_{t-1}; x]`:

.. math::

    \Theta = P_\text{row}\, W_\text{fused}\, P_\text{col}^\top,
    \qquad I = P_\text{col}\, z, \qquad \hat A = P_\text{row}\, a \ (b = 0)

for two permutation matrices, and a gradient transforms exactly like its
parameter. :func:`fused_to_split` and :func:`split_to_fused` are these
permutations, for parameters and gradients alike. The step pair and the
sequence loop below are source 003's equations, one line each, with its four
wrong activation derivatives corrected (the split-weights chapter proves
them); they are tested equal to :mod:`lstm_ref.cell` and
:mod:`lstm_ref.sequence` with ``b = 0``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as _v
from .activations import _sigmoid, _tanh
from .params import GATES

__all__ = [
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
]

#: Row blocks of source 003's W and U: candidate (003's a), input, forget, output.
SPLIT_GATES = ("g", "i", "f", "o")


class SplitParams(NamedTuple):
    """Source 003's parameters: input weight ``W`` (4H, D), recurrent ``U`` (4H, H).

    Row blocks in the order :data:`SPLIT_GATES` (g, i, f, o; source 003: a, i, f, o).
    """

    W: np.ndarray  #: (4H, D) acts on x
    U: np.ndarray  #: (4H, H) acts on h_prev


# ------------------------------------------------------------------ conversions

def _rows_split_from_fused(H: int) -> np.ndarray:
    """Split row r is fused row ``rows[r]``: the matrix P_row as an index array."""
    return np.concatenate([np.arange(GATES.index(n) * H, (GATES.index(n) + 1) * H)
                           for n in SPLIT_GATES])


def fused_to_split(W_fused: np.ndarray) -> SplitParams:
    r"""Source 003's (W, U) from the course's fused weight, or dW, dU from its gradient.

    Only the weight: the fused bias has no place in source 003's cell, whose
    model is the fused one with :math:`b = 0`. The same call converts a
    gradient, since a permutation of the parameters permutes the gradient
    the same way.

    Equations
    ---------
    .. math::

        [W\;U] = \Theta = P_\text{row}\, W_\text{fused}\, P_\text{col}^\top

    :math:`P_\text{row}` takes the row blocks f, i, o, g to g, i, f, o;
    :math:`P_\text{col}` takes the columns [h; x] to [x; h].

    Parameters
    ----------
    W_fused : ndarray, shape (4H, H+D)
        Fused weight (gates f, i, o, g; columns on [h_prev, x]) or its gradient.

    Returns
    -------
    SplitParams
        ``W`` (4H, D) and ``U`` (4H, H), new arrays, rows in the order g, i, f, o.
    """
    _v.check_float("W_fused", W_fused)
    H = _v.check_shapes(("W_fused", W_fused, "4H H+D"))["H"]
    theta_rows = W_fused[_rows_split_from_fused(H)]  # P_row W_fused: (4H, H+D)
    return SplitParams(W=theta_rows[:, H:], U=theta_rows[:, :H])


def split_to_fused(W: np.ndarray, U: np.ndarray) -> np.ndarray:
    r"""The course's fused weight from source 003's (W, U), or dW_fused from (dW, dU).

    The inverse of :func:`fused_to_split`; the bias stays separate (zero in
    source 003).

    Equations
    ---------
    .. math::

        W_\text{fused} = P_\text{row}^\top\, [W\;U]\, P_\text{col}

    Parameters
    ----------
    W : ndarray, shape (4H, D)
        Input weight (or its gradient), rows g, i, f, o.
    U : ndarray, shape (4H, H)
        Recurrent weight (or its gradient), rows g, i, f, o.

    Returns
    -------
    ndarray, shape (4H, H+D)
        Gates f, i, o, g; columns act on [h_prev, x].
    """
    _v.check_float("W", W)
    _v.check_float("U", U)
    _v.check_same_dtype(W=W, U=U)
    H = _v.check_shapes(("U", U, "4H H"), ("W", W, "4H D"))["H"]
    hx = np.concatenate([U, W], axis=1)  # columns back to [h; x]: (4H, H+D)
    fused = np.empty_like(hx)  # (4H, H+D)
    fused[_rows_split_from_fused(H)] = hx  # undo P_row
    return fused


# ------------------------------------------------------------------ one step

class SplitStepCache(NamedTuple):
    """What :func:`split_step_backward` needs: the inputs and the activations."""

    x: np.ndarray  #: (B, D) input x^t
    h_prev: np.ndarray  #: (B, H) h^{t-1}
    c_prev: np.ndarray  #: (B, H) c^{t-1}
    a: np.ndarray  #: (B, H) cell input a^t = tanh(â^t) (the course's g)
    i: np.ndarray  #: (B, H) input gate
    f: np.ndarray  #: (B, H) forget gate
    o: np.ndarray  #: (B, H) output gate
    tanh_c: np.ndarray  #: (B, H) tanh(c^t)
    W: np.ndarray  #: (4H, D) input weight
    U: np.ndarray  #: (4H, H) recurrent weight


class SplitStepGrads(NamedTuple):
    """Gradients of one step's inputs; ``dX`` is the gradient of E w.r.t. ``X``."""

    dx: np.ndarray  #: (B, D)
    dh_prev: np.ndarray  #: (B, H)
    dc_prev: np.ndarray  #: (B, H)
    dW: np.ndarray  #: (4H, D) this step's contribution
    dU: np.ndarray  #: (4H, H) this step's contribution


def _check_step_inputs(x, h_prev, c_prev, W, U):
    _v.check_floats(x=x, h_prev=h_prev, c_prev=c_prev, W=W, U=U)
    return _v.check_shapes(
        ("x", x, "B D"),
        ("h_prev", h_prev, "B H"),
        ("c_prev", c_prev, "B H"),
        ("W", W, "4H D"),
        ("U", U, "4H H"),
    )


def split_step_forward(x, h_prev, c_prev, W, U):
    r"""One step of source 003's cell on a batch of rows (split weights, no bias).

    Equations
    ---------
    Source 003, "Forward Pass", items 1-6:

    .. math::

        a^t &= \tanh(\hat a^t) = \tanh(W_a x^t + U_a h^{t-1}) \\
        i^t &= \sigma(\hat i^t) = \sigma(W_i x^t + U_i h^{t-1}) \\
        f^t &= \sigma(\hat f^t) = \sigma(W_f x^t + U_f h^{t-1}) \\
        c^t &= a^t \odot i^t + c^{t-1} \odot f^t \\
        o^t &= \sigma(\hat o^t) = \sigma(W_o x^t + U_o h^{t-1}) \\
        h^t &= \tanh(c^t) \odot o^t

    Parameters
    ----------
    x : ndarray, shape (B, D)
        Input :math:`x^t`.
    h_prev : ndarray, shape (B, H)
        :math:`h^{t-1}`.
    c_prev : ndarray, shape (B, H)
        :math:`c^{t-1}`.
    W : ndarray, shape (4H, D)
        Input weight, row blocks a (= g), i, f, o.
    U : ndarray, shape (4H, H)
        Recurrent weight, row blocks a (= g), i, f, o.

    Returns
    -------
    h : ndarray, shape (B, H)
    c : ndarray, shape (B, H)
    cache : SplitStepCache
    """
    _check_step_inputs(x, h_prev, c_prev, W, U)
    A_hat = x @ W.T + h_prev @ U.T  # (B, 4H): Â = W x + U h_prev, no bias
    a_hat, i_hat, f_hat, o_hat = np.split(A_hat, 4, axis=1)  # 003's order a, i, f, o
    a = _tanh(a_hat)  # 1. cell input (the course's g)
    i = _sigmoid(i_hat)  # 2. input gate
    f = _sigmoid(f_hat)  # 3. forget gate
    c = a * i + c_prev * f  # 4. memory cell
    o = _sigmoid(o_hat)  # 5. output gate
    tanh_c = _tanh(c)
    h = tanh_c * o  # 6. output
    cache = SplitStepCache(x=x, h_prev=h_prev, c_prev=c_prev, a=a, i=i, f=f, o=o,
                           tanh_c=tanh_c, W=W, U=U)
    return h, c, cache


def split_step_backward(dh, dc_next, cache: SplitStepCache) -> SplitStepGrads:
    r"""Backward pass of one step of source 003's cell, its formulas corrected.

    ``dh`` must be the TOTAL :math:`\partial E/\partial h^t`: the cost layer's
    term plus what step t+1 sends back (``dh_prev`` of step t+1), which
    source 003 leaves out. ``dc_next`` is :math:`\delta c^{t+1} \odot f^{t+1}`,
    the value step t+1 gives :math:`\delta c^t` before this step adds its own
    term (zeros at the last step).

    Equations
    ---------
    With :math:`\delta X = \partial E/\partial X`:

    .. math::

        \delta o^t &= \delta h^t \odot \tanh(c^t) \\
        \delta c^t &= \delta c_\text{next} + \delta h^t \odot o^t \odot
                      (1 - \tanh^2 c^t) \\
        \delta i^t &= \delta c^t \odot a^t, \quad
        \delta a^t = \delta c^t \odot i^t, \quad
        \delta f^t = \delta c^t \odot c^{t-1} \\
        \delta c^{t-1} &= \delta c^t \odot f^t \\
        \delta \hat a^t &= \delta a^t \odot (1 - (a^t)^2), \quad
        \delta \hat i^t = \delta i^t \odot i^t (1 - i^t) \\
        \delta \hat f^t &= \delta f^t \odot f^t (1 - f^t), \quad
        \delta \hat o^t = \delta o^t \odot o^t (1 - o^t) \\
        \delta W &= \delta \hat A\, (x^t)^\top, \quad
        \delta U = \delta \hat A\, (h^{t-1})^\top \\
        \delta x^t &= W^\top \delta \hat A, \quad
        \delta h^{t-1} = U^\top \delta \hat A

    with :math:`\delta\hat A = [\delta\hat a; \delta\hat i; \delta\hat f;
    \delta\hat o]`, and :math:`\delta W`, :math:`\delta U` summed over the
    batch rows.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Total :math:`\partial E/\partial h^t`.
    dc_next : ndarray, shape (B, H)
        Gradient arriving at :math:`c^t` from step t+1.
    cache : SplitStepCache
        From :func:`split_step_forward`.

    Returns
    -------
    SplitStepGrads
        ``dx`` (B, D), ``dh_prev`` (B, H), ``dc_prev`` (B, H),
        ``dW`` (4H, D), ``dU`` (4H, H).
    """
    _v.check_type("cache", cache, SplitStepCache)
    x, h_prev, c_prev, a, i, f, o, tanh_c, W, U = cache
    _v.check_floats(dh=dh, dc_next=dc_next)
    _v.check_same_dtype(cache=x, dh=dh)
    _v.check_shapes(("dh", dh, "B H"), ("dc_next", dc_next, "B H"),
                    sizes={"B": a.shape[0], "H": a.shape[1]})

    # h = tanh(c) ⊙ o: the output gate's factor, and c's path through h^t.
    do = dh * tanh_c  # (B, H)
    # δc^t: what step t+1 set (dc_next), plus the path through h^t
    # (source 003: "δc^t += ∂E/∂c^t").
    dc = dc_next + dh * o * (1 - tanh_c**2)  # (B, H)

    # c = a ⊙ i + c_prev ⊙ f: each factor gets δc^t times the other one.
    di = dc * a  # (B, H)
    da = dc * i  # (B, H)
    df = dc * c_prev  # (B, H)
    dc_prev = dc * f  # (B, H) the initial value of δc^{t-1}

    # Through the activations, derivatives from their outputs.
    da_hat = da * (1 - a**2)  # (B, H) tanh' = 1 − a²
    di_hat = di * i * (1 - i)  # (B, H) σ' = i(1 − i)
    df_hat = df * f * (1 - f)  # (B, H) σ' = f(1 − f)
    do_hat = do * o * (1 - o)  # (B, H) σ' = o(1 − o)
    dA_hat = np.concatenate([da_hat, di_hat, df_hat, do_hat], axis=1)  # (B, 4H)

    # Â = W x + U h_prev: outer products for the weights (summed over rows) ...
    dW = dA_hat.T @ x  # (4H, D)
    dU = dA_hat.T @ h_prev  # (4H, H)
    # ... and the transposed maps for the inputs.
    dx = dA_hat @ W  # (B, D)
    dh_prev = dA_hat @ U  # (B, H) sent back to step t-1
    return SplitStepGrads(dx=dx, dh_prev=dh_prev, dc_prev=dc_prev, dW=dW, dU=dU)


# ------------------------------------------------------------------ the sequence

class SplitSeqCache(NamedTuple):
    """What :func:`split_backward` needs: the cache of every step, in time order."""

    steps: tuple[SplitStepCache, ...]  #: T step caches; ``steps[t-1]`` is step t's


class SplitSeqGrads(NamedTuple):
    """Gradients of a whole-sequence forward pass's inputs, summed over all steps."""

    dx: np.ndarray  #: (T, B, D)
    dh0: np.ndarray  #: (B, H)
    dc0: np.ndarray  #: (B, H)
    dW: np.ndarray  #: (4H, D)
    dU: np.ndarray  #: (4H, H)


def split_forward(x, h0, c0, W, U):
    r"""Source 003's cell over a whole sequence: the step function, T times.

    Equations
    ---------
    For :math:`t = 1, \dots, T` (code index ``t-1``):

    .. math::

        \hat A^t &= W x^t + U h^{t-1} = [\hat a^t; \hat i^t; \hat f^t; \hat o^t] \\
        c^t &= \tanh(\hat a^t) \odot \sigma(\hat i^t)
               + c^{t-1} \odot \sigma(\hat f^t) \\
        h^t &= \tanh(c^t) \odot \sigma(\hat o^t)

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Inputs of all steps.
    h0 : ndarray, shape (B, H)
        Initial hidden state.
    c0 : ndarray, shape (B, H)
        Initial cell state.
    W : ndarray, shape (4H, D)
        Input weight, row blocks a (= g), i, f, o.
    U : ndarray, shape (4H, H)
        Recurrent weight, row blocks a (= g), i, f, o.

    Returns
    -------
    h : ndarray, shape (T, B, H)
    c : ndarray, shape (T, B, H)
    cache : SplitSeqCache
    """
    _v.check_floats(x=x, h0=h0, c0=c0, W=W, U=U)
    _v.check_shapes(
        ("x", x, "T B D"),
        ("h0", h0, "B H"),
        ("c0", c0, "B H"),
        ("W", W, "4H D"),
        ("U", U, "4H H"),
    )
    h_t, c_t = h0, c0
    hs, cs, caches = [], [], []
    for x_t in x:  # t = 1, ..., T
        h_t, c_t, step_cache = split_step_forward(x_t, h_t, c_t, W, U)
        hs.append(h_t)
        cs.append(c_t)
        caches.append(step_cache)
    return np.stack(hs), np.stack(cs), SplitSeqCache(steps=tuple(caches))


def split_backward(dh, cache: SplitSeqCache, *, dh_T=None, dc_T=None) -> SplitSeqGrads:
    r"""Backpropagation through time for :func:`split_forward`.

    Step backward, T times in reverse; source 003's
    :math:`\partial E/\partial\Theta = \sum_t \delta\Theta^t`.

    Equations
    ---------
    For :math:`t = T, \dots, 1`, with :math:`\delta X = \partial E/\partial X`:

    .. math::

        \delta h^t &= \underbrace{\texttt{dh[t]}}_{\text{cost layer}}
                     + \underbrace{U^\top \delta\hat A^{t+1}}_{\text{from step } t+1} \\
        \delta W &= \sum_t \delta\hat A^t (x^t)^\top, \qquad
        \delta U = \sum_t \delta\hat A^t (h^{t-1})^\top

    with nothing arriving from step T+1 (or ``dh_T``, ``dc_T`` when given),
    and :math:`\delta h^0, \delta c^0` what step 1 sends back.

    Parameters
    ----------
    dh : ndarray, shape (T, B, H)
        :math:`\partial E/\partial h^t` from the cost layer, every step.
    cache : SplitSeqCache
        From :func:`split_forward`.
    dh_T : ndarray, shape (B, H), optional
        Gradient arriving at :math:`h^T` from beyond the sequence; default zero.
    dc_T : ndarray, shape (B, H), optional
        Gradient arriving at :math:`c^T` from beyond the sequence; default zero.

    Returns
    -------
    SplitSeqGrads
        ``dx`` (T, B, D), ``dh0`` (B, H), ``dc0`` (B, H),
        ``dW`` (4H, D), ``dU`` (4H, H).
    """
    _v.check_type("cache", cache, SplitSeqCache)
    if len(cache.steps) == 0:
        raise ValueError(
            "cache: expected the caches of T >= 1 steps, got SplitSeqCache(steps=())"
        )
    first = cache.steps[0]
    T = len(cache.steps)
    B, H = first.a.shape
    D = first.x.shape[1]
    extra = {k: v for k, v in (("dh_T", dh_T), ("dc_T", dc_T)) if v is not None}
    _v.check_floats(dh=dh, **extra)
    _v.check_same_dtype(cache=first.x, dh=dh, **extra)
    _v.check_shapes(("dh", dh, "T B H"), *((k, v, "B H") for k, v in extra.items()),
                    sizes={"T": T, "B": B, "H": H})

    dx = np.empty((T, B, D), dh.dtype)  # (T, B, D)
    dW = np.zeros_like(first.W)  # (4H, D) summed over steps
    dU = np.zeros_like(first.U)  # (4H, H) summed over steps
    # into h^T and c^T from t = T+1
    dh_next = np.zeros((B, H), dh.dtype) if dh_T is None else dh_T  # (B, H)
    dc_next = np.zeros((B, H), dh.dtype) if dc_T is None else dc_T  # (B, H)
    for t in reversed(range(T)):  # code index t is step t+1
        # h^t feeds the cost layer (dh[t]) and step t+1 (dh_next): add both paths.
        step = split_step_backward(dh[t] + dh_next, dc_next, cache.steps[t])
        dx[t] = step.dx
        dW += step.dW  # one W, U serve every step: δΘ = Σ_t δΘ^t
        dU += step.dU
        dh_next, dc_next = step.dh_prev, step.dc_prev  # what step t sends to step t-1
    return SplitSeqGrads(dx=dx, dh0=dh_next, dc0=dc_next, dW=dW, dU=dU)
