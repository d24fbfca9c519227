"""Symbolic forward passes: one LSTM cell, an unrolled sequence, output heads.

Every member of the LSTM family that :class:`lstm_ref.LSTMConfig` describes, in
the course's notation (column vectors, one example; source 000's core cell is
``LSTMConfig()``):

    z_t = [h_{t-1}; x_t]
    a_t = W z_t + b = [a_f; a_i; a_o; a_g]    (blocks in config.gates order: f, i, o, g)
    a_f += P_f c_{t-1},  a_i += P_i c_{t-1}   (peepholes see the OLD cell state)
    f_t = σ(a_f),  i_t = σ(a_i),  g_t = tanh(a_g)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t          (no forget gate: c_t = c_{t-1} + i_t ⊙ g_t)
    a_o += P_o c_t                            (the output gate sees the NEW cell state)
    o_t = σ(a_o),  h_t = o_t ⊙ tanh(c_t)
    v_t = W_v h_t + b_v                               (optional head)

A peephole term P_k c is p_k ⊙ c for ``peephole="diagonal"`` (p_k (H,1)) and
the matrix product P_k c for ``"full"`` (P_k (H,H)); ``"none"`` has no such
term. Without a forget gate W has no f rows and there is no f atom.

Every quantity is built twice over: in *function form* (σ, tanh, exp of the
leaves, which SymPy differentiates) and in *atom form* (what chapters write
hand formulas in). ``SymbolicCell`` and ``SymbolicSequence`` expose the atom
forms; ``J`` is the function form of the loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from lstm_ref.family import LSTMConfig

from .graph import Graph, dot, ones
from .symbols import Sigmoid, Tanh, matrix, vector

__all__ = ["symbolic_cell", "symbolic_sequence", "SymbolicCell", "SymbolicSequence",
           "HEADS"]

HEADS = (None, "softmax_ce", "sigmoid_bce", "mse")

#: Sites (intermediates) of one step that can be tapped, i.e. used as ``wrt``
#: (without a forget gate there is no ``a_f`` and no ``f``).
STEP_SITES = ("z", "a", "a_f", "a_i", "a_o", "a_g", "f", "i", "o", "g", "c", "tanh_c", "h")
HEAD_SITES = ("v",)

_CORE = LSTMConfig()


def _site(name, t):
    """The tap key of ``name`` at step ``t``: ``name``, ``(name, t)`` or, for a
    stack's ``t = (n, t)``, ``(name, n, t)``."""
    if t is None:
        return name
    return (name, *t) if isinstance(t, tuple) else (name, t)


def step_sites(config: LSTMConfig) -> tuple:
    """The sites of one step of ``config`` (no ``a_f``, ``f`` without a forget gate)."""
    return tuple(s for s in STEP_SITES if config.forget_gate or s not in ("a_f", "f"))


def _peephole_blocks(p, config: LSTMConfig, H: int) -> dict:
    """Gate -> its block of the peephole leaf: p_k (H,1) diagonal, P_k (H,H) full."""
    if p is None:
        return {}
    return {k: p[j * H:(j + 1) * H, :] for j, k in enumerate(config.peephole_gates)}


def _peep(p_k, c, config: LSTMConfig):
    """The peephole term P_k c: p_k ⊙ c (diagonal) or the product P_k c (full)."""
    return p_k.multiply_elementwise(c) if config.peephole == "diagonal" else p_k * c


def step(g: Graph, x, h_prev, c_prev, W, b, p, H: int, t, sfx: str,
         config: LSTMConfig, a_in=None) -> dict:
    """One LSTM step of the family member ``config`` in function form.

    Returns its intermediates; ``a`` is the affine part W z + b (+ ``a_in``),
    and ``a_k`` adds the peephole term of gate k. ``x`` None: no dense input,
    z = h_{t-1} (a stack's first layer); ``a_in`` (G*H, 1): one more term of
    the affine part (a stack's one-hot input column W_x[:, x_t]). ``t`` is
    None (a cell), a step or a stack's (layer, step); sites are tapped as
    ``(name, t)`` or ``(name, n, t)``.
    """
    W_t = g.tap(_site("W", t), W, "W" + sfx) if t is not None else W
    b_t = g.tap(_site("b", t), b, "b" + sfx) if t is not None else b
    p_t = g.tap(_site("p", t), p, "p" + sfx) if t is not None and p is not None else p
    z = g.tap(_site("z", t), h_prev if x is None else sp.Matrix.vstack(h_prev, x), "z" + sfx)
    affine = W_t * z + b_t if a_in is None else W_t * z + a_in + b_t
    a = g.tap(_site("a", t), affine, "a" + sfx)
    peep = _peephole_blocks(p_t, config, H)
    pre, act = {}, {}

    def gate(name, c_seen):
        k = config.gates.index(name)
        u = a[k * H:(k + 1) * H, :]
        if name in peep:
            u = u + _peep(peep[name], c_seen, config)       # a_k += P_k c
        pre[name] = g.tap(_site("a_" + name, t), u, f"a_{name}{sfx}")
        fn = Tanh if name == "g" else Sigmoid
        act[name] = g.tap(_site(name, t), g.apply(fn, pre[name], name + sfx), name + sfx)

    for name in config.gates:
        if name != "o":
            gate(name, c_prev)            # f, i see c_{t-1} through their peepholes
    # c_t = f ⊙ c_{t-1} + i ⊙ g : the additive memory path (f ≡ 1 without a forget gate)
    kept = act["f"].multiply_elementwise(c_prev) if config.forget_gate else c_prev
    c = g.tap(_site("c", t), kept + act["i"].multiply_elementwise(act["g"]), "c" + sfx)
    gate("o", c)                          # o sees the new c_t through its peephole
    tanh_c = g.tap(_site("tanh_c", t), g.apply(Tanh, c, "tanh_c" + sfx), "tanh_c" + sfx)
    h = g.tap(_site("h", t), act["o"].multiply_elementwise(tanh_c), "h" + sfx)
    out = dict(z=z, a=a, c=c, tanh_c=tanh_c, h=h)
    out.update({"a_" + k: pre[k] for k in config.gates})
    out.update({k: act[k] for k in config.gates})
    return out


def target_vector(head, target, V: int, sfx: str):
    """Target y of one step and the sampling domain of its free symbols."""
    if head == "softmax_ce":
        if target == "soft":
            free = list(vector("y" + sfx, V - 1))
            # a distribution: the last entry is fixed by Σ_k y_k = 1
            return sp.Matrix(free + [1 - sum(free)]), [(sp.Matrix(free), "simplex")]
        if isinstance(target, int) and not isinstance(target, bool) and 0 <= target < V:
            return sp.Matrix([1 if k == target else 0 for k in range(V)]), []
        raise ValueError(f"target: expected 'soft' or a class index in [0, {V}), got {target!r}")
    if target != "soft":
        raise ValueError(f"target: expected 'soft' for head {head!r}, got {target!r}")
    y = vector("y" + sfx, V)
    return y, [(y, "unit" if head == "sigmoid_bce" else "uniform")]


def head_loss(g: Graph, h, W_v, b_v, y, head: str, t, sfx: str):
    """Output head v = W_v h + b_v and its loss J_t (function form)."""
    v = g.tap(_site("v", t), W_v * h + b_v, "v" + sfx)
    n = v.shape[0]
    if head == "softmax_ce":
        y_hat = g.softmax_exp(v, sfx)
        lse = sp.log(sum((sp.exp(v[k]) for k in range(n)), sp.S.Zero))
        # J = −Σ_k y_k log ŷ_k with log ŷ_k = v_k − log Σ_j e^{v_j}, i.e.
        # J = −Σ_k y_k v_k + (Σ_k y_k) log Σ_j e^{v_j}  (one copy of the log)
        J = -dot(y, v) + sum(y, sp.S.Zero) * lse
    elif head == "sigmoid_bce":
        s = g.apply(Sigmoid, v, "y_hat" + sfx)
        y_hat = g.atomize(s)
        J = -sum((y[k] * sp.log(s[k]) + (1 - y[k]) * sp.log(1 - s[k]) for k in range(n)),
                 sp.S.Zero)
    else:  # mse: ŷ = v, J = Σ_k (ŷ_k − y_k)²
        y_hat = g.atomize(v.xreplace(g.zero()))
        J = sum(((v[k] - y[k]) ** 2 for k in range(n)), sp.S.Zero)
    return v, y_hat, J


def check_size(name, value, low=1):
    """``value`` is an int >= ``low`` (TypeError / ValueError naming ``name``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {value}")


def _check_head(head, target, V):
    if head not in HEADS:
        raise ValueError(f"head: expected one of {HEADS}, got {head!r}")
    check_size("V", V, 2)


def check_config(config):
    """``config`` is an ``lstm_ref.LSTMConfig`` (TypeError otherwise)."""
    if not isinstance(config, LSTMConfig):
        raise TypeError(f"config: expected an lstm_ref.LSTMConfig, e.g. "
                        f"LSTMConfig(peephole='full'), got {type(config).__name__}")


def parameters(config: LSTMConfig, H: int, D: int, sfx: str = "") -> dict:
    """The parameter leaves of ``config``: W (G*H, H+D), b (G*H,1), p if peepholes.

    ``sfx`` is appended to the symbol names (a stack's layer: ``W^1[0,0]``).
    """
    G, P = len(config.gates), len(config.peephole_gates)
    L = dict(W=matrix("W" + sfx, G * H, H + D), b=vector("b" + sfx, G * H))
    if config.peephole == "diagonal":
        L["p"] = vector("p" + sfx, P * H)           # [p_f; p_i; p_o], one weight per unit
    elif config.peephole == "full":
        L["p"] = matrix("p" + sfx, P * H, H)        # [P_f; P_i; P_o], H x H per gate
    return L


@lru_cache(maxsize=64)
def _build_cell(H, D, head, V, target, config, taps):
    g = Graph(taps=taps)
    L = dict(x=vector("x", D), h_prev=vector("h_prev", H), c_prev=vector("c_prev", H),
             **parameters(config, H, D),
             dh_next=vector("dh_next", H), dc_next=vector("dc_next", H))
    domains = [(L[k], "uniform") for k in L]
    s = step(g, L["x"], L["h_prev"], L["c_prev"], L["W"], L["b"], L.get("p"), H, None, "",
             config)
    # upstream from step t+1: J ∋ dh_next·h_t + dc_next·c_t, so any dh, dc is representable
    J = dot(L["dh_next"], s["h"]) + dot(L["dc_next"], s["c"])
    extra = {}
    if head is not None:
        L.update(W_v=matrix("W_v", V, H), b_v=vector("b_v", V))
        domains += [(L["W_v"], "uniform"), (L["b_v"], "uniform")]
        y, ydom = target_vector(head, target, V, "")
        domains += ydom
        v, y_hat, J_head = head_loss(g, s["h"], L["W_v"], L["b_v"], y, head, None, "")
        s["v"] = v
        extra = dict(y=y, y_hat=y_hat)
        J = J_head + J
    return g, L, s, extra, J, tuple(domains)


@lru_cache(maxsize=64)
def _build_sequence(T, H, D, head, V, target, config, taps):
    g = Graph(taps=taps)
    L = dict(x=[vector(f"x_{t + 1}", D) for t in range(T)], h0=vector("h_0", H),
             c0=vector("c_0", H), **parameters(config, H, D))
    params = [k for k in ("W", "b", "p") if k in L]
    domains = [(m, "uniform") for m in L["x"]] + [(L[k], "uniform") for k in ["h0", "c0"]
                                                  + params]
    if head is None:
        L["dh"] = [vector(f"dh_{t + 1}", H) for t in range(T)]
        L["dc_T"] = vector("dc_T", H)
        domains += [(m, "uniform") for m in L["dh"]] + [(L["dc_T"], "uniform")]
    else:
        L.update(W_v=matrix("W_v", V, H), b_v=vector("b_v", V))
        domains += [(L["W_v"], "uniform"), (L["b_v"], "uniform")]
    steps, J_terms, ys, y_hats = [], [], [], []
    h, c = L["h0"], L["c0"]
    for t in range(T):
        sfx = f"_{t + 1}"
        s = step(g, L["x"][t], h, c, L["W"], L["b"], L.get("p"), H, t, sfx, config)
        if head is None:
            J_t = dot(L["dh"][t], s["h"])
            if t == T - 1:
                J_t = J_t + dot(L["dc_T"], s["c"])
        else:
            y, ydom = target_vector(head, target, V, sfx)
            domains += ydom
            v, y_hat, J_t = head_loss(g, s["h"], L["W_v"], L["b_v"], y, head, t, sfx)
            s["v"] = v
            ys.append(y)
            y_hats.append(y_hat)
        steps.append(s)
        J_terms.append(J_t)
        h, c = s["h"], s["c"]
    return g, L, steps, dict(y=ys, y_hat=y_hats), tuple(J_terms), tuple(domains)


def atom_form(g: Graph, m):
    """The atom form of an untapped quantity ``m`` of the build ``g``."""
    return g.atomize(m.xreplace(g.zero()))


class NamesAsAttributes:
    """``model.W``, ``model.h`` ...: the symbols of the namespace ``ns`` as attributes."""

    def __getattr__(self, name):  # called only when normal lookup fails
        ns = object.__getattribute__(self, "ns")
        if name in ns:
            return ns[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}; "
                             f"available: {', '.join(sorted(ns))}")


@dataclass(frozen=True)
class SymbolicCell(NamesAsAttributes):
    """One symbolic LSTM step of the family member ``config``, with an optional head.

    Leaves (independent symbols): ``x`` (D,1), ``h_prev``, ``c_prev`` (H,1),
    ``W`` (G*H, H+D), ``b`` (G*H,1), upstream ``dh_next``, ``dc_next`` (H,1);
    with peepholes ``p``, (P*H,1) diagonal or (P*H,H) full; with a head also
    ``W_v`` (V,H), ``b_v`` (V,1) and target ``y`` (V,1). G = len(config.gates)
    (4, or 3 without a forget gate), P = len(config.peephole_gates).

    Atoms: ``f``, ``i``, ``o``, ``g``, ``tanh_c`` (H,1) (no ``f`` without a
    forget gate), and with a softmax or sigmoid head ``y_hat`` (V,1). Derived
    (in atoms): ``z``, ``a`` (= W z + b, the affine part), ``a_f`` … ``a_g``
    (with their peephole terms), ``c``, ``h``, ``v``; weight blocks ``W_f`` …
    ``W_g``, ``b_f`` … ``b_g``, ``W_h``, ``W_x``; peephole blocks ``p_f``,
    ``p_i``, ``p_o`` (H,1) (diagonal) or ``P_f``, ``P_i``, ``P_o`` (H,H) (full);
    ``ones`` (H,1).

    Equations
    ---------
    J = ℓ(v, y) + dh_next · h_t + dc_next · c_t      (ℓ only with a head)

    so ∂J/∂h_t = W_vᵀ ∂ℓ/∂v + dh_next and dc_next is added to ∂J/∂c_t.
    """

    H: int
    D: int
    head: str | None
    V: int
    target: object
    ns: dict
    J: sp.Expr
    config: LSTMConfig = field(default=_CORE)

    @property
    def sites(self):
        """Names usable as ``wrt`` for intermediates."""
        return step_sites(self.config) + (HEAD_SITES if self.head else ())

    def build(self, taps=frozenset()):
        """(graph, J, domains) for a build in which the sites ``taps`` get a tap."""
        g, L, s, extra, J, domains = _build_cell(self.H, self.D, self.head, self.V,
                                                 self.target, self.config, frozenset(taps))
        return g, J, domains


@dataclass(frozen=True)
class SymbolicSequence(NamesAsAttributes):
    """T unrolled symbolic LSTM steps sharing W, b (and p), with an optional head.

    Lists are indexed like lstm_ref's arrays: ``x[t]``, ``h[t]``, ``f[t]`` …
    for t = 0 … T−1 hold step t+1 of the mathematics (symbol names use the
    mathematical step: ``x[0]`` is ``x_1[·]``). ``h0``, ``c0`` are h_0, c_0.
    Without a head the loss uses upstream leaves ``dh[t]`` (H,1) and ``dc_T``.
    Parameters, blocks and atoms as in :class:`SymbolicCell` for ``config``.

    Equations
    ---------
    J = Σ_t J_t,  J_t = ℓ(v_t, y_t)                       (with a head)
    J = Σ_t dh_t · h_t + dc_T · c_T                        (without)

    Intermediates are addressed as ``(site, t)``, e.g. ``("c", 1)``; per-step
    copies of the weights as ``("W", t)``, ``("b", t)`` and, with peepholes,
    ``("p", t)`` (source 004's (W)_t, the weight as used at step t only).
    """

    T: int
    H: int
    D: int
    head: str | None
    V: int
    target: object
    ns: dict
    J: sp.Expr
    J_terms: tuple
    config: LSTMConfig = field(default=_CORE)

    @property
    def sites(self):
        """Names usable in ``(site, t)`` for intermediates."""
        params = ("W", "b") + (("p",) if self.config.peephole != "none" else ())
        return step_sites(self.config) + (HEAD_SITES if self.head else ()) + params

    def build(self, taps=frozenset()):
        """(graph, J, domains) for a build with ``taps``."""
        g, L, steps, extra, J_terms, domains = _build_sequence(
            self.T, self.H, self.D, self.head, self.V, self.target, self.config,
            frozenset(taps))
        return g, sum(J_terms, sp.S.Zero), domains

    def build_terms(self, taps=frozenset()):
        """(graph, J_terms) — the per-step losses J_t of a build with ``taps``."""
        g, L, steps, extra, J_terms, domains = _build_sequence(
            self.T, self.H, self.D, self.head, self.V, self.target, self.config,
            frozenset(taps))
        return g, J_terms


def parameter_blocks(L, H, config: LSTMConfig):
    """Named blocks of the parameter leaves: W_k, b_k per gate, W_h, W_x, p_k / P_k."""
    W, b = L["W"], L["b"]
    out = {}
    for k, gate in enumerate(config.gates):
        out["W_" + gate] = W[k * H:(k + 1) * H, :]
        out["b_" + gate] = b[k * H:(k + 1) * H, :]
    out["W_h"] = W[:, :H]    # the recurrent block of W (acts on h_{t-1})
    out["W_x"] = W[:, H:]    # the input block of W (acts on x_t)
    prefix = "p_" if config.peephole == "diagonal" else "P_"
    for gate, block in _peephole_blocks(L.get("p"), config, H).items():
        out[prefix + gate] = block
    return out


def symbolic_cell(H: int = 2, D: int = 3, *, config: LSTMConfig = _CORE,
                  head: str | None = None, V: int = 3, target="soft") -> SymbolicCell:
    """Build one LSTM cell of the family symbolically (default: source 000's core cell).

    Parameters
    ----------
    H, D : int
        Hidden and input sizes (small: 2 and 3 keep proofs instant).
    config : lstm_ref.LSTMConfig
        Which member of the family: ``peephole`` ("none", "diagonal", "full")
        and ``forget_gate`` (False: the 1997 cell, c_t = c_{t-1} + i ⊙ g).
    head : {None, "softmax_ce", "sigmoid_bce", "mse"}
        Output layer v = W_v h + b_v and its loss; None for the upstream loss
        J = dh_next·h + dc_next·c only.
    V : int
        Output size of the head.
    target : "soft" or int
        Softmax CE: a symbolic distribution y (Σ y = 1 built in) or a class
        index (one-hot y). Other heads: "soft" (symbolic y).

    Returns
    -------
    SymbolicCell

    Raises
    ------
    TypeError
        ``config`` is not an ``lstm_ref.LSTMConfig``.

    Examples
    --------
    >>> cell = symbolic_cell(2, 3)
    >>> cell.f.shape, cell.W.shape
    ((2, 1), (8, 5))
    >>> from lstm_ref import LSTMConfig
    >>> full = symbolic_cell(2, 1, config=LSTMConfig(peephole="full", forget_gate=False))
    >>> full.W.shape, full.p.shape, full.P_o.shape
    ((6, 3), (4, 2), (2, 2))
    """
    check_size("H", H)
    check_size("D", D)
    check_config(config)
    _check_head(head, target, V)
    g, L, s, extra, J, _ = _build_cell(H, D, head, V, target, config, frozenset())
    ns = dict(L)
    for k, v in s.items():
        ns[k] = atom_form(g, v)
    ns.update(extra)
    ns.update(parameter_blocks(L, H, config))
    ns["ones"] = ones(H)
    return SymbolicCell(H, D, head, V, target, ns, J, config)


def symbolic_sequence(T: int = 2, H: int = 2, D: int = 3, *, config: LSTMConfig = _CORE,
                      head: str | None = None, V: int = 3, target="soft") -> SymbolicSequence:
    """Build T unrolled LSTM steps symbolically (shared W, b, p; h_0, c_0 leaves).

    Parameters
    ----------
    T, H, D : int
        Steps, hidden size, input size.
    config : lstm_ref.LSTMConfig
        Which member of the family, as in :func:`symbolic_cell`.
    head, V, target
        As in :func:`symbolic_cell`; with a head every step has a loss J_t.

    Returns
    -------
    SymbolicSequence

    Raises
    ------
    TypeError
        ``config`` is not an ``lstm_ref.LSTMConfig``.
    """
    check_size("T", T)
    check_size("H", H)
    check_size("D", D)
    check_config(config)
    _check_head(head, target, V)
    g, L, steps, extra, J_terms, _ = _build_sequence(T, H, D, head, V, target, config,
                                                     frozenset())
    ns = dict(L)
    for k in steps[0]:
        ns[k] = [atom_form(g, s[k]) for s in steps]
    if head is not None:
        ns.update(extra)
    ns.update(parameter_blocks(L, H, config))
    ns["ones"] = ones(H)
    return SymbolicSequence(T, H, D, head, V, target, ns, sum(J_terms, sp.S.Zero), J_terms,
                            config)
