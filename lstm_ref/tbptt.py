r"""Truncated backpropagation through time, BPTT(k1, k2) (Sutskever 2013, thesis §2.8.6).

The sequence is run forward once, carrying the state :math:`(h_t, c_t)` from
step to step. Every ``k1`` steps, the losses of those last ``k1`` steps are
backpropagated ``k2`` steps (``k2 >= k1``) and no further: the gradient that
would flow into the state before the window is dropped. With ``k1 = k2 = k``
the sequence falls into disjoint chunks of ``k`` steps, the usual way of
training on long text. :func:`truncated_backward` computes it from one full
forward cache of :func:`~lstm_ref.sequence.lstm_forward`, with the step pair of
:mod:`lstm_ref.cell`; :func:`truncation_gap` measures how far it is from the
full gradient of :func:`~lstm_ref.sequence.lstm_backward`::

    h, c, cache = lstm_forward(x, h0, c0, W, b)
    dx, dh0, dc0, dW, db = truncated_backward(dh, cache, k1=5, k2=10)
    gap = truncation_gap(dh, cache, 5, 10)

What the result is the gradient of: the *surrogate* loss in which every window
starts from its carried state treated as a constant (a "stop-gradient"),

.. math::

    \tilde J = \sum_{\text{chunks } (s, e]}\ \sum_{t=s+1}^{e}
    \texttt{dh}_t \cdot h_t^{(w)}, \qquad w = \max(0, e - k_2),

where :math:`h^{(w)}_t` is computed from :math:`(h_w, c_w)` by steps
:math:`w+1, \dots, t`. Its values equal those of the forward pass; only the
derivatives differ, because nothing is differentiated through
:math:`(h_w, c_w)` when :math:`w > 0`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as _v
from .cell import lstm_step_backward
from .sequence import SeqCache, SeqGrads, lstm_backward

__all__ = ["TBPTTWindow", "tbptt_windows", "truncated_backward", "truncation_gap"]


class TBPTTWindow(NamedTuple):
    """One backward sweep of BPTT(k1, k2), in step numbers t = 1..T.

    The sweep carries the losses of steps ``start+1 .. end`` (the chunk) and
    runs from step ``end`` down to step ``first+1``; the gradient stops at the
    state :math:`(h_{\text{first}}, c_{\text{first}})`.
    """

    first: int  #: the sweep stops at (h_first, c_first); 0 means it reaches h0, c0
    start: int  #: the chunk's losses are those of steps start+1 .. end
    end: int  #: the chunk's last step, where the sweep begins


def _check_ks(k1, k2):
    _v.check_positive("k1", k1, integer=True)
    _v.check_positive("k2", k2, integer=True)
    if k2 < k1:
        raise ValueError(f"k2: expected an integer >= k1 = {k1}, got {k2}")


def tbptt_windows(T, *, k1, k2) -> tuple[TBPTTWindow, ...]:
    r"""The backward sweeps of BPTT(k1, k2) over T steps.

    Equations
    ---------
    Chunk ends :math:`e = k_1, 2k_1, \dots`, and :math:`T` when :math:`k_1`
    does not divide :math:`T` (the last, shorter chunk); each chunk starts
    where the previous one ended, :math:`s = e_{\text{prev}}` (0 for the
    first), and its sweep reaches back to

    .. math::

        w = \max(0,\ e - k_2).

    Parameters
    ----------
    T : int
        Number of time steps, T >= 1.
    k1 : int
        Steps between two backward sweeps (the chunk length), k1 >= 1.
    k2 : int
        Steps each sweep goes back, k2 >= k1.

    Returns
    -------
    tuple of TBPTTWindow
        ``(first, start, end)`` per sweep, in time order; for T = 7, k1 = 3,
        k2 = 5: ``(0, 0, 3), (1, 3, 6), (2, 6, 7)``.
    """
    _v.check_positive("T", T, integer=True)
    _check_ks(k1, k2)
    T, k1, k2 = int(T), int(k1), int(k2)
    ends = list(range(k1, T + 1, k1))
    if not ends or ends[-1] != T:
        ends.append(T)  # the last, partial chunk
    starts = [0] + ends[:-1]
    return tuple(TBPTTWindow(first=max(0, e - k2), start=s, end=e) for s, e in zip(starts, ends))


def _check_backward_inputs(dh, cache):
    """Validate like :func:`~lstm_ref.sequence.lstm_backward`; return T, B, D, H."""
    _v.check_type("cache", cache, SeqCache)
    if len(cache.steps) == 0:
        raise ValueError("cache: expected the caches of T >= 1 steps, got SeqCache(steps=())")
    first = cache.steps[0]
    T = len(cache.steps)
    B, H = first.f.shape
    D = first.z.shape[1] - H
    _v.check_floats(dh=dh)
    _v.check_same_dtype(cache=first.z, dh=dh)
    _v.check_shapes(("dh", dh, "T B H"), sizes={"T": T, "B": B, "H": H})
    return T, B, D, H


def truncated_backward(dh, cache: SeqCache, *, k1, k2) -> SeqGrads:
    r"""BPTT(k1, k2): every k1 steps, backpropagate those k1 losses k2 steps back.

    One forward pass (``cache``) serves every sweep: the state is carried
    across chunks, the gradient is not.

    Equations
    ---------
    For :math:`J = \sum_t \texttt{dh}_t \cdot h_t` and every window
    :math:`(w, s, e)` of :func:`tbptt_windows`, with :math:`\delta X` the
    gradient of :math:`X` within that sweep: start from nothing arriving at
    step :math:`e` (:math:`\delta h_e^{\text{next}} = \delta c_e^{\text{next}} = 0`)
    and, for :math:`t = e, \dots, w+1`,

    .. math::

        \delta h_t &= [\, s < t \,]\ \texttt{dh}_t + \delta h_t^{\text{next}} \\
        (\delta x_t, \delta h_{t-1}^{\text{next}}, \delta c_{t-1}^{\text{next}},
        \delta W_t, \delta b_t) &=
                     \text{step backward}(\delta h_t, \delta c_t^{\text{next}})

    (:math:`[s < t]` is 1 inside the chunk and 0 on the older steps, which
    the sweep only passes through). What reaches :math:`(h_w, c_w)` is
    dropped unless :math:`w = 0`. The results sum over all sweeps:

    .. math::

        \delta W = \sum_{\text{sweeps}} \sum_{t=w+1}^{e} \delta W_t, \qquad
        \delta b = \sum_{\text{sweeps}} \sum_{t=w+1}^{e} \delta b_t

    This is the exact gradient of the surrogate :math:`\tilde J` of the module
    docstring. With :math:`k_2 \ge T` every sweep reaches step 1 and, by
    linearity, the sum is the full gradient of
    :func:`~lstm_ref.sequence.lstm_backward` (equal up to rounding; bit for
    bit when also :math:`k_1 \ge T`). A sweep costs
    up to :math:`k_2` step-backwards, so the whole costs about
    :math:`T k_2 / k_1`: :math:`k_2 > k_1` buys longer memory for more work.

    Parameters
    ----------
    dh : ndarray, shape (T, B, H)
        Upstream :math:`\partial J/\partial h_t` for every step, as
        :func:`~lstm_ref.sequence.lstm_backward` takes it.
    cache : SeqCache
        From :func:`~lstm_ref.sequence.lstm_forward` over all T steps.
    k1 : int
        Steps between two backward sweeps (the chunk length), k1 >= 1.
    k2 : int
        Steps each sweep goes back, k2 >= k1.

    Returns
    -------
    SeqGrads
        ``dW`` (4H, H+D), ``db`` (4H,): the truncated gradients.
        ``dx`` (T, B, D): :math:`\partial \tilde J/\partial x_t`, the sum of
        what every sweep passing through step t sends to :math:`x_t`
        (several sweeps when :math:`k_2 > k_1`; each step lies in its own
        chunk's sweep, so none is left out).
        ``dh0``, ``dc0`` (B, H): :math:`\partial \tilde J/\partial h_0`,
        :math:`\partial \tilde J/\partial c_0`, the sum of what the sweeps
        that reach step 1 (:math:`e \le k_2`) send back; zero when none does.
    """
    T, B, D, H = _check_backward_inputs(dh, cache)
    windows = tbptt_windows(T, k1=k1, k2=k2)

    dx = np.zeros((T, B, D), dh.dtype)  # (T, B, D) summed over the sweeps through t
    dh0 = np.zeros((B, H), dh.dtype)  # (B, H) from the sweeps that reach step 1
    dc0 = np.zeros((B, H), dh.dtype)  # (B, H)
    dW = np.zeros_like(cache.steps[0].W)  # (4H, H+D) summed over steps and sweeps
    db = np.zeros(4 * H, dh.dtype)  # (4H,)
    for first, start, end in windows:
        # Truncation: nothing flows into h_end, c_end from later steps.
        dh_next = np.zeros((B, H), dh.dtype)  # (B, H)
        dc_next = np.zeros((B, H), dh.dtype)  # (B, H)
        for t in reversed(range(first, end)):  # code index t is step t+1
            # Inside the chunk h_t feeds its own loss and step t+1; before the
            # chunk only step t+1 (that step's loss belongs to an earlier sweep).
            dh_t = dh[t] + dh_next if t >= start else dh_next  # (B, H)
            step = lstm_step_backward(dh_t, dc_next, cache.steps[t])
            dx[t] += step.dx  # x_t serves every sweep that passes through step t
            dW += step.dW  # one W serves every step: sum the contributions
            db += step.db
            dh_next, dc_next = step.dh_prev, step.dc_prev
        if first == 0:
            # The sweep reached step 1: what it sends back is a gradient of h0, c0.
            dh0 += dh_next
            dc0 += dc_next
        # Otherwise dh_next, dc_next would flow into (h_first, c_first): dropped.
    return SeqGrads(dx=dx, dh0=dh0, dc0=dc0, dW=dW, db=db)


def truncation_gap(dh, cache: SeqCache, k1, k2) -> float:
    r"""Relative distance of the BPTT(k1, k2) gradient of (W, b) from the full one.

    Equations
    ---------
    .. math::

        \text{gap} = \frac{\big\| (\delta W^{\text{trunc}} - \delta W,\
                     \delta b^{\text{trunc}} - \delta b) \big\|}
                     {\big\| (\delta W, \delta b) \big\|}

    with the Frobenius norm over both arrays together,
    :math:`\delta W^{\text{trunc}}` from :func:`truncated_backward` and
    :math:`\delta W` from :func:`~lstm_ref.sequence.lstm_backward`. It is 0
    (up to rounding) when :math:`k_2 \ge T`. It need not fall monotonically
    as :math:`k_2` grows: the terms a longer window adds can point either way.

    Parameters
    ----------
    dh : ndarray, shape (T, B, H)
        Upstream :math:`\partial J/\partial h_t` for every step.
    cache : SeqCache
        From :func:`~lstm_ref.sequence.lstm_forward`.
    k1 : int
        Steps between two backward sweeps, k1 >= 1.
    k2 : int
        Steps each sweep goes back, k2 >= k1.

    Returns
    -------
    float
        The relative gap, >= 0.

    Raises
    ------
    ValueError
        When the full gradient of (W, b) is zero (e.g. ``dh`` all zero): the
        relative gap is then undefined.
    """
    trunc = truncated_backward(dh, cache, k1=k1, k2=k2)
    full = lstm_backward(dh, cache)
    norm_full = np.sqrt(np.sum(full.dW**2) + np.sum(full.db**2))
    if norm_full == 0:
        raise ValueError(
            "dh: expected an upstream gradient that gives a nonzero full gradient of "
            "(W, b), got one that gives zero; the relative gap is undefined"
        )
    norm_diff = np.sqrt(np.sum((trunc.dW - full.dW) ** 2) + np.sum((trunc.db - full.db) ** 2))
    return float(norm_diff / norm_full)
