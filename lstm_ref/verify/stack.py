"""A symbolic stacked LSTM language model: N layers, one-hot input, logits from every layer.

Source 001's network in the course's notation (column vectors, one example;
layers n = 1 … N, steps t = 1 … T; lists in code are indexed from 0):

    inputs x_1 … x_T and the last target x_{T+1}: concrete symbols in [0, K)
    u^n_t = h^{n-1}_t  (n ≥ 2);  layer 1 has no dense input (z^1_t = h^1_{t-1})
    a^n_t = W^n [h^n_{t-1}; u^n_t] + W_x^n[:, x_t] + b^n     (the one-hot input: a column)
    then the family cell of ``config`` (peepholes, forget gate): c^n_t, h^n_t
    v_t = b_y + Σ_n W_y^n h^n_t                               (logits, K; 001 eq. 11)
    ŷ_t = softmax(v_t),  J = −Σ_t log ŷ_t[x_{t+1}]           (001 eq. 13)

Each cell is :func:`.forward.step` with the extra pre-activation term
W_x^n[:, x_t] and, for layer 1, no dense input; the head is
:func:`.forward.head_loss` with the target one-hot at x_{t+1}, applied to
[h^1_t; …; h^N_t] with [W_y^1 … W_y^N], which is Σ_n W_y^n h^n_t.

Intermediates are addressed as ``(site, n, t)``, e.g. ``("h", 0, 1)`` for
h^1_2, and the logits as ``("v", t)``. ∂J/∂h^n_t is then the derivative
through everything downstream of h^n_t: the output layer at step t, layer
n+1 at step t (the same-step path up the stack) and layer n at step t+1.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from lstm_ref.family import LSTMConfig

from .forward import (
    NamesAsAttributes,
    atom_form,
    check_config,
    check_size,
    head_loss,
    parameter_blocks,
    parameters,
    step,
    step_sites,
    target_vector,
)
from .graph import Graph, ones
from .symbols import matrix, vector

__all__ = ["symbolic_stack", "SymbolicStack", "LAYER_PARAMS"]

_CORE = LSTMConfig()

#: The per-layer parameter leaves of a stack (``p`` only with peepholes).
LAYER_PARAMS = ("W_x", "W", "b", "p")


def _leaves(N, sizes, K, config):
    """The leaves: per-layer parameters and initial states, W_y^n, b_y."""
    G = len(config.gates)
    layers = []
    for n in range(N):
        sfx = f"^{n + 1}"
        H, D = sizes[n], sizes[n - 1] if n else 0
        L = parameters(config, H, D, sfx)           # W^n (G*H_n, H_n + H_{n-1}), b^n, p^n
        L["W_x"] = matrix("W_x" + sfx, G * H, K)     # the one-hot input's weight
        layers.append(L)
    return dict(
        layers=layers,
        W_y=[matrix(f"W_y^{n + 1}", K, sizes[n]) for n in range(N)],
        b_y=vector("b_y", K),
        h0=[vector(f"h_0^{n + 1}", sizes[n]) for n in range(N)],
        c0=[vector(f"c_0^{n + 1}", sizes[n]) for n in range(N)])


@lru_cache(maxsize=32)
def _build_stack(N, T, sizes, K, symbols, config, taps):
    g = Graph(taps=taps)
    L = _leaves(N, sizes, K, config)
    layers = L["layers"]
    domains = []
    for n in range(N):
        domains += [(layers[n][k], "uniform") for k in LAYER_PARAMS if k in layers[n]]
    domains += [(m, "uniform") for m in L["W_y"] + [L["b_y"]] + L["h0"] + L["c0"]]
    # layer by layer, as lstm_ref's stack runs: layer n at every step, then layer n+1
    steps = [[None] * T for _ in range(N)]
    for n in range(N):
        P = layers[n]
        h, c = L["h0"][n], L["c0"][n]
        for t in range(T):
            below = steps[n - 1][t]["h"] if n else None     # u^n_t = h^{n-1}_t (tapped)
            column = P["W_x"][:, symbols[t]]                 # W_x^n x_t for one-hot x_t
            s = step(g, below, h, c, P["W"], P["b"], P.get("p"), sizes[n], (n, t),
                     f"^{n + 1}_{t + 1}", config, a_in=column)
            steps[n][t] = s
            h, c = s["h"], s["c"]
    W_all = sp.Matrix.hstack(*L["W_y"])          # [W_y^1 … W_y^N]
    heads, J_terms = [], []
    for t in range(T):
        h_all = sp.Matrix.vstack(*[steps[n][t]["h"] for n in range(N)])
        y, _ = target_vector("softmax_ce", symbols[t + 1], K, f"_{t + 1}")
        # v_t = b_y + Σ_n W_y^n h^n_t,  J_t = −log softmax(v_t)[x_{t+1}]
        v, y_hat, J_t = head_loss(g, h_all, W_all, L["b_y"], y, "softmax_ce", t, f"_{t + 1}")
        heads.append(dict(v=v, y_hat=y_hat, y=y))
        J_terms.append(J_t)
    return g, L, steps, heads, tuple(J_terms), tuple(domains)


@dataclass(frozen=True)
class SymbolicStack(NamesAsAttributes):
    """A symbolic stacked LSTM language model (source 001), N layers, T steps.

    Lists are indexed by layer n = 0 … N−1 (layer n+1 of the mathematics),
    then by step t = 0 … T−1 (step t+1); symbol names use the mathematics'
    numbers (``W^1[0,0]``, ``f^1_2[0]`` for f^1_2).

    Leaves: ``W_x[n]`` (G*H_n, K), ``W[n]`` (G*H_n, H_n + H_{n-1}) (H_0 = 0:
    layer 1 acts on h^1_{t-1} alone), ``b[n]`` (G*H_n, 1), with peepholes
    ``p[n]`` ((P*H_n, 1) diagonal, (P*H_n, H_n) full), ``W_y[n]`` (K, H_n),
    ``b_y`` (K, 1), ``h0[n]``, ``c0[n]`` (H_n, 1). The inputs and targets are
    the concrete ``symbols`` (T+1 ints), not leaves.

    Blocks of the leaves, per layer: ``W_f[n]`` … ``W_g[n]``, ``b_f[n]`` …,
    ``W_h[n]`` (the recurrent block, on h^n_{t-1}), ``W_u[n]`` (the block on
    u^n_t = h^{n-1}_t; no columns for layer 1), ``p_f[n]`` … (diagonal) or
    ``P_f[n]`` … (full); ``ones[n]`` (H_n, 1).

    Atoms, indexed ``[n][t]``: ``f``, ``i``, ``o``, ``g``, ``tanh_c`` (no ``f``
    without a forget gate); ``y_hat[t]`` (K, 1). Derived (in atoms), ``[n][t]``:
    ``z`` (= [h^n_{t-1}; h^{n-1}_t]), ``a`` (= W z + W_x[:, x_t] + b), ``a_f`` …
    ``a_g`` (with their peephole terms), ``c``, ``h``; ``v[t]`` (K, 1) and the
    one-hot targets ``y[t]`` (K, 1) at x_{t+1}.

    Equations
    ---------
    v_t = b_y + Σ_n W_y^n h^n_t,   J = Σ_t J_t,   J_t = −log softmax(v_t)[x_{t+1}]

    Intermediates are addressed as ``(site, n, t)`` (e.g. ``("c", 0, 1)``)
    and the logits as ``("v", t)``; ``("W", n, t)``, ``("b", n, t)`` (and
    ``("p", n, t)``) are layer n's weights as used at step t only.
    """

    N: int
    T: int
    sizes: tuple
    K: int
    symbols: tuple
    ns: dict
    J: sp.Expr
    J_terms: tuple
    config: LSTMConfig = field(default=_CORE)

    @property
    def key(self) -> tuple:
        """(N, T, sizes, K, symbols, config): what determines the model."""
        return (self.N, self.T, self.sizes, self.K, self.symbols, self.config)

    @property
    def sites(self):
        """Names usable in ``(site, n, t)``; ``"v"`` is used as ``("v", t)``."""
        params = ("W", "b") + (("p",) if self.config.peephole != "none" else ())
        return step_sites(self.config) + ("v",) + params

    @property
    def head(self) -> str:
        """The output layer's loss: softmax with cross-entropy, always."""
        return "softmax_ce"

    def build(self, taps=frozenset()):
        """(graph, J, domains) for a build in which the sites ``taps`` get a tap."""
        g, L, steps, heads, J_terms, domains = _build_stack(*self.key, frozenset(taps))
        return g, sum(J_terms, sp.S.Zero), domains

    def build_terms(self, taps=frozenset()):
        """(graph, J_terms) — the per-step losses J_t of a build with ``taps``."""
        g, L, steps, heads, J_terms, domains = _build_stack(*self.key, frozenset(taps))
        return g, J_terms


def _check_symbols(symbols, T, K):
    if isinstance(symbols, (str, bytes)) or not hasattr(symbols, "__len__"):
        raise TypeError(f"symbols: expected a sequence of {T + 1} ints, "
                        f"got {type(symbols).__name__}")
    out = []
    for k, s in enumerate(symbols):
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"symbols[{k}]: expected an int, got {type(s).__name__}")
        out.append(int(s))
    if len(out) != T + 1:
        raise ValueError(f"symbols: expected T + 1 = {T + 1} ints (the inputs x_1 … x_T and "
                         f"the last target), got {len(out)}")
    bad = [s for s in out if not 0 <= s < K]
    if bad:
        raise ValueError(f"symbols: expected ints in [0, K) = [0, {K}), got {bad[0]}")
    return tuple(out)


def _check_sizes(sizes, N):
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes: expected a sequence of {N} ints (H_1, …, H_N), "
                        f"got {type(sizes).__name__}")
    if len(sizes) != N:
        raise ValueError(f"sizes: expected N = {N} hidden sizes, got {len(sizes)}")
    for n, H in enumerate(sizes):
        check_size(f"sizes[{n}]", H)
    return tuple(int(H) for H in sizes)


def symbolic_stack(N: int = 2, T: int = 2, sizes=(2, 2), K: int = 3, symbols=(0, 2, 1), *,
                   config: LSTMConfig = _CORE) -> SymbolicStack:
    """Build source 001's stacked LSTM language model symbolically.

    Parameters
    ----------
    N, T : int
        Layers and steps (small: N = 2, T = 2 proves in seconds).
    sizes : sequence of N ints
        Hidden sizes (H_1, …, H_N).
    K : int
        Vocabulary size (>= 2).
    symbols : sequence of T + 1 ints in [0, K)
        The inputs x_1 … x_T and the last target x_{T+1} (step t's target is
        the next input), concrete: the one-hot input selects a column of W_x^n.
    config : lstm_ref.LSTMConfig
        The cell of every layer (peepholes, forget gate), as in
        :func:`.forward.symbolic_cell`.

    Returns
    -------
    SymbolicStack

    Raises
    ------
    TypeError
        ``config`` not an ``LSTMConfig``; a size or symbol not an int.
    ValueError
        A size < 1, K < 2, ``symbols`` of the wrong length or out of [0, K).

    Equations
    ---------
    a^n_t = W^n [h^n_{t-1}; h^{n-1}_t] + W_x^n[:, x_t] + b^n   (no h^0_t: layer 1)
    v_t = b_y + Σ_n W_y^n h^n_t,   J = −Σ_t log softmax(v_t)[x_{t+1}]

    Examples
    --------
    >>> from lstm_ref import LSTMConfig
    >>> s = symbolic_stack(2, 2, (2, 2), 3, (0, 2, 1), config=LSTMConfig(peephole="diagonal"))
    >>> s.W_x[0].shape, s.W[0].shape, s.W[1].shape, s.p[1].shape, s.W_y[1].shape
    ((8, 3), (8, 2), (8, 4), (6, 1), (3, 2))
    >>> len(s.h), len(s.h[0]), s.h[1][0].shape
    (2, 2, (2, 1))
    """
    check_size("N", N)
    check_size("T", T)
    check_size("K", K, 2)
    check_config(config)
    sizes = _check_sizes(sizes, N)
    symbols = _check_symbols(symbols, T, K)
    g, L, steps, heads, J_terms, _ = _build_stack(N, T, sizes, K, symbols, config,
                                                  frozenset())
    layers = L["layers"]
    ns = {k: [P[k] for P in layers] for k in LAYER_PARAMS if k in layers[0]}
    ns.update(W_y=L["W_y"], b_y=L["b_y"], h0=L["h0"], c0=L["c0"])
    for k in steps[0][0]:
        ns[k] = [[atom_form(g, s[k]) for s in row] for row in steps]
    for k in ("v", "y_hat", "y"):
        ns[k] = [atom_form(g, hd[k]) if k == "v" else hd[k] for hd in heads]
    blocks = [parameter_blocks(P, sizes[n], config) for n, P in enumerate(layers)]
    for k in blocks[0]:
        # the cell's input block W_x acts here on u^n_t = h^{n-1}_t: W_u (W_x is one-hot's)
        ns["W_u" if k == "W_x" else k] = [b[k] for b in blocks]
    ns["ones"] = [ones(H) for H in sizes]
    return SymbolicStack(N, T, sizes, K, symbols, ns, sum(J_terms, sp.S.Zero), J_terms,
                         config)
