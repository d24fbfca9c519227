r"""The fast path: the fused LSTM forward and backward (BPTT) over a whole sequence.

This module is the subject of the performance chapter, not of the derivation.
To read BPTT, read :mod:`lstm_ref.sequence`: a plain loop over the step pair
of :mod:`lstm_ref.cell`. The functions here compute the same numbers (tested
equal in ``tests/test_fused.py``) and only the core LSTM of source 000 has
such a fused path.

The same maths, organised so that almost all the work is a few large
matrix products (GEMMs):

* the input part of every pre-activation, :math:`W_x x_t + b`, does not
  depend on the recurrence, so it is ONE GEMM over all T*B rows;
* only :math:`W_h h_{t-1}` must wait for the previous step: one GEMM per step;
* backward, only :math:`\delta h_{t-1} = W_h^\top \delta a_t` is recurrent
  (one GEMM per step); ``dx``, ``dW`` and ``db`` are sums over all steps and
  are computed after the loop, one GEMM each over all T*B rows.

The elementwise work runs in place in buffers allocated once per call, or
never with a caller-owned :class:`FusedWorkspace` (ufuncs with ``out=``). In the
backward pass, every factor of :math:`\delta a_t` that does not depend on the
recurrence (such as :math:`c_{t-1} \odot f_t(1-f_t)`) is computed for a block
of steps before the loop reaches it; the loop itself only carries
:math:`\delta h_t` and :math:`\delta c_t`. Those factors are computed
gate-major, each gate a contiguous (B, H) block: NumPy's elementwise loops run
several times slower on the strided (B, H) column blocks of a (B, 4H) array,
while a transposing copy costs about one contiguous pass.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _validate as _v
from .params import split_gates
from .sequence import SeqGrads

__all__ = [
    "FusedCache",
    "FusedWorkspace",
    "fused_workspace",
    "fused_lstm_forward",
    "fused_lstm_backward",
]


class FusedCache(NamedTuple):
    """Everything :func:`fused_lstm_backward` needs, stored as activations.

    ``h_all`` and ``c_all`` hold the initial state at index 0 and
    :math:`h_t, c_t` at index t, so ``h_all[:-1]`` is :math:`h_{t-1}` for
    every step as one contiguous (T, B, H) slice. A benchmark can replay the
    exact GEMMs of the forward and backward pass from these fields (see
    :func:`fused_lstm_forward` and :func:`fused_lstm_backward`).
    """

    x: np.ndarray  #: (T, B, D) inputs
    h_all: np.ndarray  #: (T+1, B, H) h0, h_1, ..., h_T
    c_all: np.ndarray  #: (T+1, B, H) c0, c_1, ..., c_T
    gates: np.ndarray  #: (T, B, 4H) activations [f, i, o, g] of every step
    tanh_c: np.ndarray  #: (T, B, H) tanh(c_t)
    W: np.ndarray  #: (4H, H+D) fused weight

    @property
    def W_h(self) -> np.ndarray:
        """(4H, H) recurrent columns of ``W`` (a view)."""
        return self.W[:, : self.h_all.shape[2]]

    @property
    def W_x(self) -> np.ndarray:
        """(4H, D) input columns of ``W`` (a view)."""
        return self.W[:, self.h_all.shape[2] :]

    @property
    def h_prev_all(self) -> np.ndarray:
        """(T, B, H) :math:`h_{t-1}` for every step (a view of ``h_all``)."""
        return self.h_all[:-1]


class FusedWorkspace(NamedTuple):
    """Preallocated buffers that :func:`fused_lstm_forward` and :func:`fused_lstm_backward` reuse.

    Every array either pass needs, from the (T, B, 4H) gates down to the
    (B, H) scratch of one step. Arrays that are allocated afresh on every call
    cost page faults on first touch, which for the big buffers can exceed the
    elementwise work of the whole pass. A training loop (or a benchmark)
    creates one workspace with :func:`fused_workspace` and passes it as
    ``work=`` to every call. Nothing is hidden: the caller owns the buffers,
    and the arrays a call returns (``h``, ``c``, the cache, ``dx``, ``dW``,
    ``db``, ``dh0``, ``dc0``) ALIAS them, so the next call with the same
    workspace overwrites them.

    ``n`` below is the number of steps the backward pass handles as one block
    (see ``_step_blocks``): all T when B*4H is small, 1 when it is large.
    """

    # forward: outputs and cache
    h_all: np.ndarray  #: (T+1, B, H) h0, h_1, ..., h_T
    c_all: np.ndarray  #: (T+1, B, H) c0, c_1, ..., c_T
    gates: np.ndarray  #: (T, B, 4H) [f, i, o, g] of every step
    tanh_c: np.ndarray  #: (T, B, H)
    # forward: scratch
    W_s: np.ndarray  #: (4H, H+D) the row-scaled copy -k W of the weight
    rec: np.ndarray  #: (B, 4H) the recurrent part of one step's pre-activation
    ig: np.ndarray  #: (B, H) i_t * g_t of one step
    # backward: outputs
    da: np.ndarray  #: (T, B, 4H) dJ/da_t of every step (= dJ/da_in, see fused_lstm_forward)
    dx: np.ndarray  #: (T, B, D)
    dW: np.ndarray  #: (4H, H+D)
    db: np.ndarray  #: (4H,)
    dh0: np.ndarray  #: (B, H)
    dc: np.ndarray  #: (B, H) the running dJ/dc_t; dJ/dc_0 at the end
    # backward: scratch
    gates_gm: np.ndarray  #: (4, n, B, H) one block's gates, gate-major
    factors_gm: np.ndarray  #: (4, n, B, H) one block's local factors, gate-major
    dh_to_dc: np.ndarray  #: (n, B, H) one block's o (1 - tanh^2 c_t)
    db_block: np.ndarray  #: (4H,) one block's share of db
    dh_t: np.ndarray  #: (B, H) the total dJ/dh_t of one step
    tmp: np.ndarray  #: (B, H)


def fused_workspace(T: int, B: int, D: int, H: int, *, dtype=np.float64) -> FusedWorkspace:
    """Allocate a :class:`FusedWorkspace` for sequences of shape (T, B, D) and hidden size H.

    Parameters
    ----------
    T, B, D, H : int
        Steps, batch, input size, hidden size (all positive, except D >= 0:
        D = 0 is a cell without dense input).
    dtype : float32 or float64

    Returns
    -------
    FusedWorkspace
    """
    for name, n in (("T", T), ("B", B), ("D", D), ("H", H)):
        least = 0 if name == "D" else 1  # D = 0: no dense input
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < least:
            expected = "an int >= 0" if least == 0 else "a positive int"
            raise ValueError(f"{name}: expected {expected}, got {n!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"dtype: expected float32 or float64, got {dtype}")
    return _buffers(None, FusedWorkspace._fields, T, B, D, H, dtype)


def _workspace_shapes(T, B, D, H):
    n = _step_blocks(T, B, H)[0].stop  # steps per backward block
    return dict(
        h_all=(T + 1, B, H), c_all=(T + 1, B, H), gates=(T, B, 4 * H), tanh_c=(T, B, H),
        W_s=(4 * H, H + D), rec=(B, 4 * H), ig=(B, H),
        da=(T, B, 4 * H), dx=(T, B, D), dW=(4 * H, H + D), db=(4 * H,), dh0=(B, H), dc=(B, H),
        gates_gm=(4, n, B, H), factors_gm=(4, n, B, H), dh_to_dc=(n, B, H), db_block=(4 * H,),
        dh_t=(B, H), tmp=(B, H),
    )


def _buffers(work, fields, T, B, D, H, dtype) -> FusedWorkspace:
    """The named buffers: from ``work`` (checked against the sizes and dtype) or freshly allocated.

    Returns a FusedWorkspace whose other fields are None.
    """
    shapes = _workspace_shapes(T, B, D, H)
    if work is None:
        bufs = {k: np.empty(shapes[k], dtype) for k in fields}
    else:
        _v.check_type("work", work, FusedWorkspace)
        bufs = {}
        for k in fields:
            buf = getattr(work, k)
            if buf.shape != shapes[k]:
                raise ValueError(f"work.{k}: expected shape {shapes[k]} for (T, B, D, H) = "
                                 f"({T}, {B}, {D}, {H}), got {buf.shape}")
            if buf.dtype != dtype:
                raise TypeError(
                    f"work.{k}: expected dtype {dtype} (the dtype of x), got {buf.dtype}"
                )
            bufs[k] = buf
    return FusedWorkspace(**{k: bufs.get(k) for k in FusedWorkspace._fields})


def _activate_gates_inplace(u: np.ndarray, g: np.ndarray, k: np.ndarray) -> None:
    """Turn u = -k * [a_f, a_i, a_o, a_g] (B, 4H) into [f, i, o, g] in place.

    ``g`` is the candidate block ``u[:, 3H:]`` (a view); ``k`` (4H,) the scale.

    sigma(a) = 1 / (1 + exp(-a)) and tanh(a) = 2 sigma(2a) - 1, so with
    k = 1 on the three sigmoid gates and k = 2 on the candidate, every gate is
        k / (1 + exp(-k a)) - (k - 1)
    and ONE exp over the (B, 4H) block activates all four gates (np.exp is
    much cheaper than np.tanh). The factor -k is already folded into the
    weights and bias by :func:`fused_lstm_forward`, so the GEMMs deliver u = -k a.
    exp(u) overflows to +inf for very negative a; then k / (1 + inf) = 0 is
    the correct limit (the caller silences the harmless overflow flag).
    """
    np.exp(u, out=u)  # exp(-k a)
    u += 1  # 1 + exp(-k a)
    np.divide(k, u, out=u)  # k / (1 + exp(-k a)):  sigma for f, i, o; 2 sigma(2 a_g) for g
    g -= 1  # g = 2 sigma(2 a_g) - 1 = tanh(a_g)


def _tanh_via_exp(c: np.ndarray, out: np.ndarray) -> None:
    """out = tanh(c) = 2 / (1 + exp(-2c)) - 1, with one exp (see above).

    On CPUs without AVX-512, NumPy's float64 tanh is ~3x slower than its exp,
    so for large blocks five cheap passes beat one np.tanh call.
    """
    np.multiply(c, -2, out=out)
    np.exp(out, out=out)
    out += 1
    np.divide(2, out, out=out)
    out -= 1


#: Blocks of at least this many elements compute tanh(c_t) through exp;
#: smaller ones (B = 1) are dominated by per-call overhead and use np.tanh.
_TANH_VIA_EXP_MIN = 4096


#: Steps are processed in blocks of about this many elements of a (B, 4H)
#: gate array (64K entries): all T steps at once when B*4H is small (few NumPy
#: calls), one step at a time when it is large (the block stays in cache).
_BLOCK_ELEMENTS = 1 << 16


def _step_blocks(T: int, B: int, H: int) -> list[slice]:
    """Consecutive blocks of steps covering 0..T-1, each about _BLOCK_ELEMENTS of (B, 4H) data.

    Slices, not ranges: ``a[block]`` must be a view (a range would index by
    copy).
    """
    n = min(T, max(1, _BLOCK_ELEMENTS // (B * 4 * H)))
    return [slice(t0, min(T, t0 + n)) for t0 in range(0, T, n)]


def _local_factors(F, dh_to_dc, S, c_prev, tanh_c) -> None:
    """Fill the step-local factors of the backward pass for a block of steps.

    In the backward equations
        da_f = dc * c_prev f (1 - f)        da_i = dc * g i (1 - i)
        da_o = dh * tanh_c o (1 - o)        da_g = dc * i (1 - g^2)
        dc   = dh * o (1 - tanh_c^2) + dc_next
    everything except dh_t and dc_t is known once the forward pass is done.
    These factors (derivatives written through the stored activations) are
    computed here for a block of steps at once; the time loop then only
    multiplies them by the recurrent quantities dh_t and dc_t.

    Gate-major layout: S holds the gates [f, i, o, g] and F receives the four
    factors, each as a contiguous (n, B, H) block (NumPy's elementwise loops
    are several times slower on the strided (B, H) column blocks of a (B, 4H)
    array). Shapes: F, S (4, n, B, H); dh_to_dc, c_prev, tanh_c (n, B, H).
    """
    _, i, o, g = S  # f enters only through sigma'(a_f) = f (1 - f) below
    F_f, F_i, F_o, F_g = F
    np.subtract(1, S[:3], out=F[:3])
    F[:3] *= S[:3]  # sigma' = s (1 - s) for f, i, o
    F_f *= c_prev  # da_f = dc * [c_prev f (1 - f)]
    F_i *= g  # da_i = dc * [g i (1 - i)]
    F_o *= tanh_c  # da_o = dh * [tanh(c) o (1 - o)]
    np.multiply(g, g, out=F_g)
    np.subtract(1, F_g, out=F_g)
    F_g *= i  # da_g = dc * [i (1 - g^2)]
    np.multiply(tanh_c, tanh_c, out=dh_to_dc)
    np.subtract(1, dh_to_dc, out=dh_to_dc)
    dh_to_dc *= o  # dc_t gets dh * [o (1 - tanh^2 c_t)]


def fused_lstm_forward(x, h0, c0, W, b, *, a_in=None, work=None):
    r"""LSTM forward over a whole sequence; returns every hidden and cell state.

    Equations
    ---------
    For :math:`t = 1, \dots, T` (code index ``t-1``):

    .. math::

        a_t &= W_x x_t + b + a^{in}_t + W_h h_{t-1}, \qquad W = [W_h \;\; W_x] \\
        [f_t; i_t; o_t; g_t] &= [\sigma(a_f); \sigma(a_i); \sigma(a_o); \tanh(a_g)] \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)

    GEMMs performed (a benchmark can replay exactly these from the cache),
    with ``W_s = -k * W`` a row-scaled copy of ``W`` (same shape and layout;
    k = 1 on the sigma gates, 2 on the candidate, see ``_activate_gates_inplace``)
    and ``W_hs, W_xs`` its column views:

    1. once: ``x.reshape(T*B, D) @ W_xs.T`` -> (T*B, 4H), the input part of
       every step;
    2. T times: ``h_all[t] @ W_hs.T`` -> (B, 4H), the recurrent part.

    Everything else is elementwise and in place. With ``a_in``, GEMM 1 uses
    the unscaled ``W_x`` and the sum :math:`W_x x_t + b + a^{in}_t` is scaled by
    -k afterwards (one more in-place pass; -k is exact in floating point).

    Parameters
    ----------
    x : ndarray, shape (T, B, D)
        Inputs of all steps; D = 0 (shape (T, B, 0)) for a cell without a dense
        input, whose pre-activations come from ``b``, ``a_in`` and :math:`h_{t-1}`.
    h0 : ndarray, shape (B, H)
        Initial hidden state.
    c0 : ndarray, shape (B, H)
        Initial cell state.
    W : ndarray, shape (4H, H+D)
        Fused weight, gates f, i, o, g; columns act on [h_prev, x].
    b : ndarray, shape (4H,)
        Fused bias.
    a_in : ndarray, shape (T, B, 4H), optional
        A term added to every pre-activation (e.g. a one-hot input's weight
        column :math:`W_x[:, x_t]`, gathered); its gradient is ``work.da`` after
        :func:`fused_lstm_backward` with the same ``work``.
    work : FusedWorkspace, optional
        Buffers to reuse (from :func:`fused_workspace`); the returned ``h``,
        ``c`` and cache alias them. Default: fresh arrays.

    Returns
    -------
    h : ndarray, shape (T, B, H)
        :math:`h_1, \dots, h_T` (a view of ``cache.h_all[1:]``).
    c : ndarray, shape (T, B, H)
        :math:`c_1, \dots, c_T` (a view of ``cache.c_all[1:]``).
    cache : FusedCache
    """
    extra = {} if a_in is None else {"a_in": a_in}
    _v.check_floats(x=x, h0=h0, c0=c0, W=W, b=b, **extra)
    sz = _v.check_shapes(
        ("x", x, "T B D"),
        ("h0", h0, "B H"),
        ("c0", c0, "B H"),
        ("W", W, "4H H+D"),
        ("b", b, "4H"),
        *(("a_in", a, "T B 4H") for a in extra.values()),
        sizes=_v.empty_input_sizes(x, "T B D"),  # D = 0: no dense input
    )
    T, B, D, H = sz["T"], sz["B"], sz["D"], sz["H"]
    dtype = x.dtype
    # The caller's buffers (see FusedWorkspace), or fresh ones.
    buf = _buffers(
        work,
        ("h_all", "c_all", "gates", "tanh_c", "W_s", "rec", "ig"),
        T, B, D, H, dtype,
    )
    h_all, c_all = buf.h_all, buf.c_all  # (T+1, B, H): h_all[t] = h_{t-1} of step t
    gates, tanh_c = buf.gates, buf.tanh_c  # (T, B, 4H), (T, B, H)
    # (B, 4H) W_h h_{t-1} and (B, H) i_t g_t of the current step
    rec, ig = buf.rec, buf.ig
    h_all[0] = h0
    c_all[0] = c0

    # Fold the activation scale -k into the rows of W and b (k = 1 for the
    # sigma gates, 2 for the tanh candidate): the GEMMs then deliver u = -k a
    # directly, saving one pass over every (B, 4H) block.
    k = np.ones(4 * H, dtype)  # activation scale: 1 for sigma gates, 2 for tanh
    k[3 * H :] = 2
    # (4H, H+D) scaled copy, same layout as W
    W_s = np.multiply(W, -k[:, None], out=buf.W_s)
    b_s = b * -k  # (4H,)
    W_hs, W_xs = W_s[:, :H], W_s[:, H:]  # (4H, H), (4H, D) views; D may be 0
    W_hs_T = W_hs.T  # (H, 4H) view
    tanh_inplace = (
        _tanh_via_exp
        if B * H >= _TANH_VIA_EXP_MIN
        else (lambda c, out: np.tanh(c, out=out))
    )

    # GEMM 1: the input part -k (W_x x_t + b) of every pre-activation,
    # all steps at once.
    if a_in is None:
        np.matmul(x.reshape(T * B, D), W_xs.T, out=gates.reshape(T * B, 4 * H))
        gates += b_s
    else:  # -k (W_x x_t + b + a_in_t): scale the sum (no temporary array)
        np.matmul(x.reshape(T * B, D), W[:, H:].T, out=gates.reshape(T * B, 4 * H))
        gates += b
        gates += a_in
        gates *= -k

    # (T, B, H) views, filled step by step
    f_all, i_all, o_all, g_all = split_gates(gates)

    with np.errstate(over="ignore"):  # exp(-k a) -> inf is harmless, see above
        # One view of each array per step
        # (u = gates[t], f = f_all[t], ..., h = h_all[t+1]).
        steps = zip(
            gates, f_all, i_all, o_all, g_all,
            c_all[:-1], c_all[1:], tanh_c, h_all[:-1], h_all[1:],
        )
        for u, f, i, o, g, c_prev, c, tanh_c_t, h_prev, h in steps:
            # GEMM 2: u_t = -k a_t = -k (W_x x_t + b + W_h h_{t-1});
            # u holds -k (W_x x_t + b)
            np.matmul(h_prev, W_hs_T, out=rec)
            u += rec
            _activate_gates_inplace(u, g, k)  # u (so f, i, o, g) now holds the gates
            # c_t = f * c_{t-1} + i * g
            np.multiply(f, c_prev, out=c)
            np.multiply(i, g, out=ig)
            c += ig
            # h_t = o * tanh(c_t)
            tanh_inplace(c, tanh_c_t)
            np.multiply(o, tanh_c_t, out=h)

    cache = FusedCache(x=x, h_all=h_all, c_all=c_all, gates=gates, tanh_c=tanh_c, W=W)
    return h_all[1:], c_all[1:], cache


def fused_lstm_backward(
    dh, cache: FusedCache, *, dh_T=None, dc_T=None, work=None
) -> SeqGrads:
    r"""Backpropagation through time for :func:`fused_lstm_forward`.

    Equations
    ---------
    For :math:`t = T, \dots, 1`, with :math:`\delta X = \partial J/\partial X`:

    .. math::

        \delta h_t &= \underbrace{\partial J/\partial h_t|_{\text{upstream}}}
                      _{\texttt{dh[t]}}
                     + W_h^\top \delta a_{t+1} \\
        \delta c_t &= \delta h_t \odot o_t \odot (1 - \tanh^2 c_t)
                     + \delta c_{t+1} \odot f_{t+1} \\
        \delta a_f &= \delta c_t \odot c_{t-1} \odot f_t(1-f_t), \quad
        \delta a_i = \delta c_t \odot g_t \odot i_t(1-i_t) \\
        \delta a_o &= \delta h_t \odot \tanh c_t \odot o_t(1-o_t), \quad
        \delta a_g = \delta c_t \odot i_t \odot (1-g_t^2)

    and after the loop, summing every step's contribution:

    .. math::

        \delta W_h &= \sum_t \delta a_t h_{t-1}^\top, \quad
        \delta W_x = \sum_t \delta a_t x_t^\top, \quad
        \delta b = \sum_t \delta a_t \\
        \delta x_t &= W_x^\top \delta a_t, \quad
        \delta h_0 = W_h^\top \delta a_1, \quad
        \delta c_0 = \delta c_1 \odot f_1

    GEMMs performed (replayable from the cache; ``da`` is (T, B, 4H)):

    1. T times: ``da[t] @ W_h`` -> (B, H), the recurrent gradient
       (the last one is ``dh0``);
    2. once: ``da.reshape(T*B, 4H) @ W_x`` -> ``dx``;
    3. once: ``da.reshape(T*B, 4H).T @ h_all[:-1].reshape(T*B, H)`` -> ``dW[:, :H]``;
    4. once: ``da.reshape(T*B, 4H).T @ x.reshape(T*B, D)`` -> ``dW[:, H:]``;

    and ``db``, the sum of ``da`` over steps and rows, accumulated block by block.

    Parameters
    ----------
    dh : ndarray, shape (T, B, H)
        Upstream :math:`\partial J/\partial h_t` for every step (e.g. from
        the output layer); zeros where J does not use :math:`h_t` directly.
    cache : FusedCache
        From :func:`fused_lstm_forward`.
    dh_T : ndarray, shape (B, H), optional
        Extra gradient for the final hidden state :math:`h_T` (e.g. from the
        next chunk in truncated BPTT); added to ``dh[-1]``.
    dc_T : ndarray, shape (B, H), optional
        Gradient for the final cell state :math:`c_T`; default zero.
    work : FusedWorkspace, optional
        Buffers to reuse (from :func:`fused_workspace`); every returned array
        aliases them. Default: fresh arrays.

    Returns
    -------
    SeqGrads
        ``dx`` (T, B, D), ``dh0`` (B, H), ``dc0`` (B, H),
        ``dW`` (4H, H+D), ``db`` (4H,).
    """
    _v.check_type("cache", cache, FusedCache)
    x, h_all, c_all, gates, tanh_c, W = cache
    T, B, D = x.shape
    H = h_all.shape[2]
    extra = {k: v for k, v in (("dh_T", dh_T), ("dc_T", dc_T)) if v is not None}
    _v.check_floats(dh=dh, **extra)
    _v.check_same_dtype(cache=x, dh=dh)
    _v.check_shapes(
        ("dh", dh, "T B H"),
        *((k, v, "B H") for k, v in extra.items()),
        sizes={"T": T, "B": B, "H": H},
    )
    dtype = x.dtype
    W_h, W_x = W[:, :H], W[:, H:]  # (4H, H), (4H, D) views; D may be 0

    # The caller's buffers (see FusedWorkspace), or fresh ones.
    buf = _buffers(
        work,
        ("da", "dx", "dW", "db", "dh0", "dc", "gates_gm", "factors_gm", "dh_to_dc",
         "db_block", "dh_t", "tmp"),
        T, B, D, H, dtype,
    )
    # (T, B, 4H), (T, B, D), (4H, H+D), (4H,)
    da, dx, dW, db = buf.da, buf.dx, buf.dW, buf.db
    # (B, H) total dJ/dh_t, running dJ/dc_t, scratch
    dh_t, dc, tmp = buf.dh_t, buf.dc, buf.tmp
    da4 = da.reshape(T, B, 4, H)  # (T, B, 4, H) view, gate axis explicit
    gates4 = gates.reshape(T, B, 4, H)  # (T, B, 4, H) view
    blocks = _step_blocks(T, B, H)
    # (4, n, B, H) gates [f, i, o, g] and local factors, gate-major
    S, F = buf.gates_gm, buf.factors_gm
    dh_to_dc = buf.dh_to_dc  # (n, B, H) factor o (1 - tanh^2 c_t) of a block
    db[...] = 0
    if dc_T is None:
        dc[...] = 0
    else:
        np.copyto(dc, dc_T)

    da_next = None  # da_{t+1}; nothing arrives from step T+1
    for block in reversed(blocks):
        n = block.stop - block.start
        S_b, F_b, dh_to_dc_b = S[:, :n], F[:, :n], dh_to_dc[:n]
        # gate-major copy of the block's gates
        np.copyto(S_b, gates4[block].transpose(2, 0, 1, 3))
        # c_all[t] = c_{t-1}
        _local_factors(F_b, dh_to_dc_b, S_b, c_all[block], tanh_c[block])
        steps = zip(da[block][::-1], da4[block][::-1], dh[block][::-1], S_b[0][::-1],
                    dh_to_dc_b[::-1], F_b.transpose(1, 0, 2, 3)[::-1])
        # t = block.stop - 1, ..., block.start
        for da_t, da_t4, dh_up, f, dh_to_dc_t, F_t in steps:
            # Hidden state: dJ/dh_t = upstream + W_h^T da_{t+1} (h_t feeds a_{t+1}).
            if da_next is None:  # t = T: only the upstream (and an optional dh_T)
                np.copyto(dh_t, dh_up)
                if dh_T is not None:
                    dh_t += dh_T
            else:
                np.matmul(da_next, W_h, out=dh_t)  # GEMM 1
                dh_t += dh_up

            # Cell state: dJ/dc_t = dh_t * o (1 - tanh^2 c_t) + dJ/dc_t from step t+1.
            np.multiply(dh_t, dh_to_dc_t, out=tmp)
            dc += tmp

            # Gates: the factors F_t (4, B, H) times dc_t or dh_t (see _local_factors),
            # written into da_t's (B, 4H) row layout, which the GEMMs need.
            # da_f = dc * c_prev f(1-f), da_i = dc * g i(1-i)
            np.multiply(F_t[0:2], dc, out=da_t4[:, 0:2].transpose(1, 0, 2))
            np.multiply(F_t[2], dh_t, out=da_t4[:, 2])  # da_o = dh * tanh(c) o(1-o)
            np.multiply(F_t[3], dc, out=da_t4[:, 3])  # da_g = dc * i (1-g^2)

            # Previous cell state: c_t = f c_{t-1} + ...  =>  dJ/dc_{t-1} = dc_t * f_t.
            dc *= f
            da_next = da_t

        # db = sum over steps and batch rows of da_t, one block at a time
        # (while it is in cache).
        np.add.reduce(da[block], axis=(0, 1), out=buf.db_block)
        db += buf.db_block

    dh0 = np.matmul(da[0], W_h, out=buf.dh0)  # (B, H)  GEMM 1 for t = 1: W_h^T da_1
    dc0 = dc  # (B, H)

    # Sums over all steps: one GEMM each over the T*B rows.
    da2 = da.reshape(T * B, 4 * H)  # (T*B, 4H)
    np.matmul(da2, W_x, out=dx.reshape(T * B, D))  # (T, B, D)   GEMM 2
    # GEMM 3: sum_t da_t h_{t-1}^T
    np.matmul(da2.T, h_all[:-1].reshape(T * B, H), out=dW[:, :H])
    np.matmul(da2.T, x.reshape(T * B, D), out=dW[:, H:])  # GEMM 4: sum_t da_t x_t^T
    return SeqGrads(dx=dx, dh0=dh0, dc0=dc0, dW=dW, db=db)
