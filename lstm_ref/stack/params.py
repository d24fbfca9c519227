r"""The parameters of a stacked LSTM language model (source 001), and its inputs.

N layers of the family cell ``config`` describes, over a vocabulary of K
symbols. Layer n (code index n-1) has hidden size :math:`H_n`; its dense
input is the layer below's hidden state (:math:`H_0 = 0`: layer 1 has none),
and every layer sees the input symbol through a column of its own
:math:`W_x^n`::

    StackParams(layers=(StackLayer(W_x, cell), ...), W_y=(W_y^1, ...), b_y)
    W_x^n     (G*H_n, K)            a^n_t gets the column W_x^n[:, x_t]
    cell.W^n  (G*H_n, H_n + H_{n-1})  on [h^n_{t-1}; h^{n-1}_t]; cell.b^n, cell.p^n
    W_y^n     (K, H_n)              every layer feeds the logits
    b_y       (K,)

The one-hot input is never built: its product with :math:`W_x^n` is a column
gather, and the gradient of :math:`W_x^n` a scatter-add.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _validate as _v
from ..family.config import FamilyParams, LSTMConfig, check_family_params, init_family_params
from ..params import _check_dtype

__all__ = ["StackLayer", "StackParams", "init_stack_params", "check_stack_params",
           "check_symbols"]


class StackLayer(NamedTuple):
    """One layer's parameters (or their gradients, same shapes)."""

    W_x: np.ndarray  #: (G*H_n, K) the symbol's weight: column x_t enters a^n_t
    cell: FamilyParams  #: W (G*H_n, H_n + H_{n-1}), b (G*H_n,), p (peepholes or None)


class StackParams(NamedTuple):
    """All parameters of the stacked model; ``layers[n]`` is layer n+1 of the maths."""

    layers: tuple[StackLayer, ...]  #: N layers, bottom first
    W_y: tuple[np.ndarray, ...]  #: N output weights, (K, H_n) each
    b_y: np.ndarray  #: (K,) output bias


def _check_sizes(sizes) -> tuple[int, ...]:
    ok = isinstance(sizes, (tuple, list)) and len(sizes) > 0 and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in sizes)
    if not ok:
        raise ValueError(f"sizes: expected a non-empty tuple of positive ints "
                         f"(H_1, ..., H_N), got {sizes!r}")
    return tuple(int(n) for n in sizes)


def init_stack_params(config: LSTMConfig, K: int, sizes, rng: np.random.Generator, *,
                      dtype=np.float64) -> StackParams:
    r"""Random parameters of a stacked LSTM language model.

    Equations
    ---------
    .. math::

        W^n, W_x^n, p^n &\sim \mathcal U(-s_n, s_n), \quad
        s_n = \frac{1}{\sqrt{H_n + H_{n-1} + 1}} \\
        W_y^n &\sim \mathcal U(-s_y, s_y), \quad s_y = \frac{1}{\sqrt{\sum_m H_m}}

    (:math:`H_0 = 0`; the 1 counts the one-hot input, of which a step sees one
    column). :math:`b^n` as :func:`~lstm_ref.family.config.init_family_params`
    (forget-gate block 1), :math:`b_y = 0`.

    Parameters
    ----------
    config : LSTMConfig
        The cell of every layer.
    K : int
        Vocabulary size.
    sizes : tuple of int
        :math:`(H_1, \dots, H_N)`, bottom layer first.
    rng : numpy.random.Generator
    dtype : float32 or float64, default float64

    Returns
    -------
    StackParams
        ``layers[n].W_x`` (G*H_n, K), ``layers[n].cell`` (W (G*H_n, H_n + H_{n-1}),
        b (G*H_n,), p), ``W_y[n]`` (K, H_n), ``b_y`` (K,).
    """
    _v.check_type("config", config, LSTMConfig)
    _v.check_positive("K", K, integer=True)
    sizes = _check_sizes(sizes)
    _v.check_type("rng", rng, np.random.Generator)
    dtype = _check_dtype(dtype)
    G = len(config.gates)
    layers = []
    for n, H in enumerate(sizes):
        D = sizes[n - 1] if n else 0  # the layer below's h; layer 1 has no dense input
        s = 1.0 / np.sqrt(H + D + 1)
        cell = init_family_params(config, D, H, rng, scale=s, dtype=dtype)
        W_x = rng.uniform(-s, s, size=(G * H, K)).astype(dtype)
        layers.append(StackLayer(W_x=W_x, cell=cell))
    s_y = 1.0 / np.sqrt(sum(sizes))
    W_y = tuple(rng.uniform(-s_y, s_y, size=(K, H)).astype(dtype) for H in sizes)
    return StackParams(layers=tuple(layers), W_y=W_y, b_y=np.zeros(K, dtype))


def check_stack_params(params, config) -> tuple[int, tuple[int, ...]]:
    """Check ``params`` against ``config``; return ``(K, sizes)``.

    Raises
    ------
    TypeError
        Not a StackParams / StackLayer / LSTMConfig, or a non-float array.
    ValueError
        A shape that does not fit (the message names the layer and array).
    """
    _v.check_type("config", config, LSTMConfig)
    _v.check_type("params", params, StackParams)
    layers, W_y, b_y = params
    if not isinstance(layers, (tuple, list)) or len(layers) == 0:
        raise ValueError(f"params.layers: expected a non-empty tuple of StackLayer, "
                         f"got {layers!r}")
    N = len(layers)
    if not isinstance(W_y, (tuple, list)) or len(W_y) != N:
        got = len(W_y) if isinstance(W_y, (tuple, list)) else type(W_y).__name__
        raise ValueError(f"params.W_y: expected a tuple of N = {N} arrays (K, H_n), "
                         f"one per layer, got {got}")
    arrays = {"params.b_y": b_y}
    for n, layer in enumerate(layers):
        _v.check_type(f"params.layers[{n}]", layer, StackLayer)
        arrays[f"params.layers[{n}].W_x"] = layer.W_x
        arrays[f"params.W_y[{n}]"] = W_y[n]
    _v.check_floats(**arrays)
    K = _v.check_shapes(("params.b_y", b_y, "K"))["K"]
    sizes = []
    for n, layer in enumerate(layers):
        D = sizes[-1] if sizes else 0
        try:
            H = check_family_params(layer.cell, config, D=D)["H"]
        except ValueError as err:
            below = ""
            if str(err).startswith("params.W:"):  # say where D comes from
                below = (f" (layer {n}'s dense input is layer {n - 1}'s h, D = {D})" if n
                         else " (layer 0 has no dense input, D = 0: W is (G*H, H))")
            raise ValueError(f"params.layers[{n}].cell: {err}{below}") from None
        _v.check_same_dtype(**{"params.b_y": b_y, f"params.layers[{n}].cell.W": layer.cell.W})
        _v.check_shapes((f"params.layers[{n}].W_x", layer.W_x, f"{len(config.gates)}H K"),
                        (f"params.W_y[{n}]", W_y[n], "K H"), sizes={"K": K, "H": H})
        sizes.append(H)
    return K, tuple(sizes)


def check_symbols(name: str, symbols, K: int, spec: str, *, at_least: int = 1) -> np.ndarray:
    """Raise unless ``symbols`` is an integer array of shape ``spec`` with values in [0, K).

    ``at_least`` is the smallest length of the first axis (T, or T+1 >= 2).
    """
    _v.check_array(name, symbols)
    if symbols.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer symbols in [0, {K}) (K = {K}), "
                        f"got dtype {symbols.dtype}")
    dims = spec.split()
    if symbols.ndim != len(dims) or symbols.shape[0] < at_least or 0 in symbols.shape:
        pretty = "(" + ", ".join(dims) + (",)" if len(dims) == 1 else ")")
        need = f" with {dims[0]} >= {at_least}" if at_least > 1 else ""
        raise ValueError(f"{name}: expected a non-empty array of shape {pretty}{need}, "
                         f"got shape {symbols.shape}")
    lo, hi = symbols.min(), symbols.max()
    if lo < 0 or hi >= K:
        raise ValueError(f"{name}: expected symbols in [0, {K}) (K = {K}), "
                         f"got values in [{lo}, {hi}]")
    return symbols
