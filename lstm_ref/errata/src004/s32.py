"""Source 004, §3.2 (final gradients of the weights, their sums over time, RMSprop,
truncated BPTT), transcribed.

004's model is the full-peephole cell, ``LSTMConfig(peephole="full")``. Its weight
``W_k`` acts on the stacked input ``[x_t, h_{t-1}, C]`` (x first), so in the engine's
names it is ``[W_k[:, H:] | W_k[:, :H] | P_k]`` (:func:`w004`; the candidate's ``W_c``
has no ``C`` columns). Its per-step gradients ``∂E_T/∂(W_k)_t`` are checked in one
cell whose ``dh_next`` is ``δ^h_t = ∂E_T/∂h_t`` and whose ``dc_next`` is what reaches
``C_t`` from step t+1; its sums over time on a sequence of T = 2 steps with 004's
softmax cross-entropy head. A Jacobian ``∂y/∂X`` (denominator layout) is checked
contracted with a free vector, ``(∂y/∂X) u = ∂(u·y)/∂X`` with ``u = dh_next``, and
004's three-index objects (``e_q ⊗ e_p ⊗ e_q``) likewise on their last index. The
update rules (RMSprop, truncated BPTT) are checked on numbers, with ``lstm_ref``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

import lstm_ref
from lstm_ref import verify
from lstm_ref.family import FamilyParams, FamilySeqCache, family_backward, family_forward
from lstm_ref.verify import Sigmoid, Tanh, dot, odot, square

from ..checks import engine, equals, expand_atoms, forward, numeric, proves
from ..claim import Claim, Correction, Model, Outcome, Reading

__all__ = ["SECTIONS", "MODELS", "CLAIMS", "w004", "bracket"]

SECTIONS = {"3.2": "Final gradients of all weight matrices"}

FULL = lstm_ref.LSTMConfig(peephole="full")

MODELS = {
    "s32_cell": Model("full-peephole cell, H = 2, D = 1",
                      lambda: verify.symbolic_cell(H=2, D=1, config=FULL)),
    "s32_jac": Model("full-peephole cell, H = 2, D = 1, contracted with u = dh_next",
                     lambda: verify.symbolic_cell(H=2, D=1, config=FULL)),
    "s32_head": Model("full-peephole cell with softmax head, H = 2, D = 1, V = 2",
                      lambda: verify.symbolic_cell(H=2, D=1, config=FULL,
                                                   head="softmax_ce", V=2)),
    "s32_seq": Model("full-peephole sequence, T = 2, H = 2, D = 1, loss E_2",
                     lambda: verify.symbolic_sequence(T=2, H=2, D=1, config=FULL)),
    "s32_ce": Model("full-peephole sequence, T = 2, H = 2, D = 1, softmax CE, V = 2",
                    lambda: verify.symbolic_sequence(T=2, H=2, D=1, config=FULL,
                                                     head="softmax_ce", V=2)),
}


# --------------------------------------------------------------------- 004's names


def w004(m, k):
    """004's W_k: the columns for x_t, h_{t-1} and C (x first); W_c has no C columns."""
    W = m.ns["W_" + k]
    blocks = [W[:, m.H:], W[:, :m.H]] + ([m.ns["P_" + k]] if k != "g" else [])
    return sp.Matrix.hstack(*blocks)


def bracket(m, k, c=None):
    """004's stacked input of gate k: [x_t, h_{t-1}, C_{t-1}] (i, f), [x_t, h_{t-1}, C_t]
    (o), [x_t, h_{t-1}] (c); ``c`` replaces the C entry (004-3.2-17 writes C_t for W_c)."""
    seen = {"i": m.c_prev, "f": m.c_prev, "o": m.c, "g": None}[k] if c is None else c
    return sp.Matrix.vstack(m.x, m.h_prev, *([seen] if seen is not None else []))


def _sp(m, k):
    """σ' (or tanh' for the candidate) of gate k as the vector of its diagonal."""
    a = m.ns[k]
    return m.ones - square(a) if k == "g" else odot(a, m.ones - a)


def _dc(m):
    """The true ∂E_T/∂C_t in the cell: both paths through h_t, and dc_next."""
    da_o = odot(m.dh_next, m.tanh_c, _sp(m, "o"))
    return odot(m.dh_next, m.o, m.ones - square(m.tanh_c)) + m.P_o.T * da_o + m.dc_next


def _delta(m, k, dc=None):
    """004's δ^i_t, δ^f_t, δ^c_t (= diag(C̃), diag(C_{t-1}), diag(i) times ∂E_T/∂C_t)
    and δ^o_t = tanh(C_t) ⊙ δ^h_t."""
    dc = _dc(m) if dc is None else dc
    return {"i": odot(m.g, dc), "f": odot(m.c_prev, dc), "g": odot(m.i, dc),
            "o": odot(m.tanh_c, m.dh_next)}[k]


def _outer(m, k, delta=None):
    """((σ' 1^n) ⊙ δ^k_t) [ … ]^τ: 004's final per-step weight gradient of gate k."""
    d = _delta(m, k) if delta is None else delta
    return odot(_sp(m, k), d) * bracket(m, k).T


# ------------------------------------------------- 004's three-index objects (⊗ sums)


def _tensor(rows, cols, out, terms):
    """Σ coef · e_q ⊗ e_p ⊗ e_r as nested lists T[q][p][r] (W's indices first)."""
    T = [[[sp.S.Zero] * out for _ in range(cols)] for _ in range(rows)]
    for coef, q, p, r in terms:
        T[q][p][r] += coef
    return T


def _dot_last(T, M):
    """The product of a three-index object with a matrix on its last index."""
    return [[[sum((T[q][p][r] * M[r, s] for r in range(M.shape[0])), sp.S.Zero)
              for s in range(M.shape[1])] for p in range(len(T[0]))] for q in range(len(T))]


def _contract(T, u):
    """Σ_r T[q][p][r] u_r: the object applied to a vector, a matrix the shape of W."""
    return sp.Matrix(len(T), len(T[0]),
                     lambda q, p: sum((T[q][p][r] * u[r] for r in range(len(u))), sp.S.Zero))


def _d_affine(m, k):
    """(3.2-11) Σ_q Σ_p a_p e_q ⊗ e_p ⊗ e_q for a = 004's bracket of gate k."""
    a = bracket(m, k)
    return _tensor(m.H, len(a), m.H, [(a[p], q, p, q) for q in range(m.H)
                                      for p in range(len(a))])


def _d_gate(m, k, c=None):
    """(3.2-15) Σ_q Σ_p ((σ')_q e_q) ⊗ (a_p e_p) ⊗ e_q (tanh' for the candidate)."""
    a, s = bracket(m, k, c), _sp(m, k)
    return _tensor(m.H, len(a), m.H, [(s[q] * a[p], q, p, q) for q in range(m.H)
                                      for p in range(len(a))])


# ---------------------------------------------- quantities of a build, taps included


def _value(g, name):
    """``name`` of a cell build in function form, with the build's taps: an atom vector
    (i, f, o, g, tanh_c), a pre-activation (a_i …), c or h."""
    defs = dict(g.local_defs)

    def local(atom):
        return [d for a, d in g.local_defs if a.name.rsplit("[", 1)[0] == atom]
    if name == "h":
        return odot(_value(g, "o"), _value(g, "tanh_c"))
    if name == "c":
        vals = [d.args[0] for d in local("tanh_c")]
    elif name.startswith("a_"):
        vals = [d.args[0] for d in local(name[2:])]
    else:
        vals = local(name)
    return sp.Matrix([expand_atoms(v, defs) for v in vals])


def _e_later(m, g):
    """A later loss E_T (T > t) in a cell with a head: dh_next·h_t + dc_next·c_t."""
    return dot(m.dh_next, _value(g, "h")) + dot(m.dc_next, _value(g, "c"))


def _e_last(site):
    """Source 004's E_T of a sequence without head: the last step's term, dc_T = 0."""
    def loss(m, g):
        J_T = m.build_terms(frozenset([site]))[1][m.T - 1]
        return J_T.xreplace({s: 0 for s in m.dc_T})
    return loss


def jacobian(hand, wrt, y, model="s32_jac"):
    """A Jacobian ∂y/∂X (denominator layout), checked as (∂y/∂X) u = ∂(u·y)/∂X.

    ``hand(m, u)`` is the claimed Jacobian applied to u (``u = m.dh_next``).
    """
    return proves(lambda m: hand(m, m.dh_next), wrt, model,
                  loss=lambda m, g: dot(m.dh_next, _value(g, y)))


def _diag(v):
    return sp.diag(*list(v))


# -------------------------------------------------------- the double sums (cached)

_DOUBLE_SUMS: dict = {}


def _double_sum(m, param):
    """bptt_double_sum of SymPy's ∂E/∂param against Σ_T Σ_{t≤T} ∂E_T/∂(param)_t, once."""
    key = (id(m), param)
    if key not in _DOUBLE_SUMS:
        total = verify.sympy_grad(m, m.ns[param])
        _DOUBLE_SUMS[key] = (m, verify.bptt_double_sum("errata", total, m, param,
                                                       verbose=False))
    return _DOUBLE_SUMS[key][1]


def _sums(*params):
    def fn(m):
        proofs = [(p, _double_sum(m, p)) for p in params]
        return ("exact: the double sum is SymPy's ∂E/∂" + " and ∂E/∂".join(
            f"{p} ({proof.entries} entries)" for p, proof in proofs))
    return engine(fn, "s32_ce")


# ------------------------------------------------------------ numbers (lstm_ref)

_T, _B, _D, _H, _V = 6, 1, 2, 3, 3


def _problem():
    """A small full-peephole problem of 004's kind: softmax CE at every step, no b_v."""
    rng = np.random.default_rng(2004)
    params = lstm_ref.init_family_params(FULL, _D, _H, rng)
    W_v = rng.uniform(-0.5, 0.5, (_V, _H))
    x = rng.normal(size=(_T, _B, _D))
    y = rng.integers(0, _V, size=(_T, _B))
    return params, W_v, x, y


def _loss_grads(params, W_v, x, y):
    """E = Σ_T E_T and its gradients: dW, db, dp (family_backward), dW_v, per-step dh."""
    B, H = x.shape[1], params.W.shape[1] - x.shape[2]
    zeros = np.zeros((B, H))
    h, _, cache = family_forward(x, zeros, zeros, params, FULL)
    v, acache = lstm_ref.affine_forward(h, W_v, np.zeros(W_v.shape[0]))
    E, dv = lstm_ref.softmax_cross_entropy(v, y)
    ag = lstm_ref.affine_backward(dv, acache)
    return E, family_backward(ag.dh, cache), ag.dW_v, ag.dh, cache


def _rows_i(a):
    """The input gate's rows (gate order f, i, o, g)."""
    return a[_H:2 * _H]


def _w_i(params):
    """004's W_i = [W_{i,x} | W_{i,h} | P_i] of lstm_ref's parameters."""
    W, p = _rows_i(params.W), _rows_i(params.p)
    return np.hstack([W[:, _H:], W[:, :_H], p])


def _set_w_i(params, Wi):
    W, p = params.W.copy(), params.p.copy()
    W[_H:2 * _H, _H:], W[_H:2 * _H, :_H], p[_H:2 * _H] = (Wi[:, :_D], Wi[:, _D:_D + _H],
                                                         Wi[:, _D + _H:])
    return FamilyParams(W, params.b, p)


def _g_i(grads):
    """004's g = ∂E/∂W_i from lstm_ref's gradients, in W_i's layout."""
    dW, dp = _rows_i(grads.dW), _rows_i(grads.dp)
    return np.hstack([dW[:, _H:], dW[:, :_H], dp])


def _g_is_dE_dWi():
    params, W_v, x, y = _problem()
    E, grads, *_ = _loss_grads(params, W_v, x, y)
    g, Wi = _g_i(grads), _w_i(params)
    if g.shape != Wi.shape:
        return Outcome("ill-formed", f"g has shape {g.shape}, W_i {Wi.shape}")
    eps, fd = 1e-6, np.zeros_like(Wi)
    for idx in np.ndindex(Wi.shape):
        up, dn = Wi.copy(), Wi.copy()
        up[idx] += eps
        dn[idx] -= eps
        fd[idx] = (_loss_grads(_set_w_i(params, up), W_v, x, y)[0]
                   - _loss_grads(_set_w_i(params, dn), W_v, x, y)[0]) / (2 * eps)
    err = lstm_ref.max_rel_error(g, fd)
    if err > 1e-6:
        return Outcome("false", "g is not ∂E/∂W_i", f"max_rel_err = {err:.1g}")
    return Outcome("holds", f"g (shape {g.shape}, that of W_i, H = {_H}, D = {_D}) equals "
                   f"central differences of E, max_rel_err < 1e-6 (T = {_T})")


def _rmsprop(names, steps=20, alpha=1e-2, gamma=0.9, eps=1e-8):
    """``steps`` RMSprop updates of the parameters ``names``; E before each update and
    after the last. Each parameter has its own accumulator, starting at 0."""
    params, W_v, x, y = _problem()
    theta = {"W_i": _w_i(params), "W": params.W.copy(), "b": params.b.copy(),
             "p": params.p.copy(), "V": W_v.copy()}
    S = {k: np.zeros_like(theta[k]) for k in names}
    history = []
    for _ in range(steps + 1):
        if "W_i" in names:
            params = _set_w_i(params, theta["W_i"])
        else:
            params = FamilyParams(theta["W"], theta["b"], theta["p"])
        E, grads, dW_v, *_ = _loss_grads(params, theta["V"], x, y)
        history.append(E)
        G = {"W_i": _g_i(grads), "W": grads.dW, "b": grads.db, "p": grads.dp, "V": dW_v}
        for k in names:
            S[k] = gamma * S[k] + (1 - gamma) * G[k] ** 2
            theta[k] = theta[k] - alpha / np.sqrt(S[k] + eps) * G[k]
    return np.array(history)


def _descends(names, what):
    def fn():
        E = _rmsprop(names)
        steps = len(E) - 1
        if not np.all(np.diff(E) < 0):
            k = int(np.argmax(np.diff(E) >= 0))
            return Outcome("false", f"{what}: E rises",
                           f"update {k + 1}: E = {E[k]:.4g} → {E[k + 1]:.4g}")
        return Outcome("holds", f"{what}: E = {E[0]:.4g} → {E[-1]:.4g} in {steps} updates, "
                       f"each one lower (α = 0.01, γ = 0.9, ε = 1e-8; T = {_T})")
    return numeric(fn)


def _per_T_sweeps(dh, cache, lo=lambda T: 1, losses=None):
    """Σ over T of a backward sweep of E_T alone, from step T down to step lo(T):
    004's double sum, term by term. Returns (dW, number of step-backwards)."""
    T_all = len(cache.steps)
    dW, n = 0.0, 0
    for T in (range(1, T_all + 1) if losses is None else losses):
        first = lo(T)
        d = np.zeros_like(dh[first - 1:T])
        d[-1] = dh[T - 1]                              # only E_T's gradient, at h_T
        dW = dW + family_backward(d, FamilySeqCache(cache.steps[first - 1:T])).dW
        n += T - first + 1
    return dW, n


@cache
def _double_sum_numbers():
    """004's double sum term by term, one sweep, and central differences of E (T = 6)."""
    params, W_v, x, y = _problem()
    E, grads, _, dh, cache = _loss_grads(params, W_v, x, y)
    dW_sum, n_sum = _per_T_sweeps(dh, cache)

    def f(W):
        return _loss_grads(FamilyParams(W, params.b, params.p), W_v, x, y)[0]
    fd = lstm_ref.numerical_gradient(f, {"W": params.W.copy()})["W"]
    return grads.dW, dW_sum, n_sum, fd


def _expensive():
    dW, dW_sum, n_sum, _ = _double_sum_numbers()
    err = lstm_ref.max_rel_error(dW_sum, dW)
    if n_sum != _T * (_T + 1) // 2 or err > 1e-12:
        return Outcome("false", "count", f"{n_sum} step-backwards, max_rel_err = {err:.1g}")
    return Outcome("holds", f"term by term: {n_sum} step-backwards for τ = {_T} steps, one "
                   f"sweep: {_T}; the same ∂E/∂W (max_rel_err < 1e-12)")


def _corrupts():
    _, dW_sum, _, fd = _double_sum_numbers()
    err = lstm_ref.max_rel_error(dW_sum, fd)
    if err > 1e-6:
        return Outcome("holds", f"the full double sum differs from ∂E/∂W: {err:.1g}")
    return Outcome("false", "summing every term down to the first step gives ∂E/∂W",
                   f"the full double sum = central differences of E (τ = {_T} steps, "
                   f"max_rel_err < 1e-6)")


def _sweep_is_gradient():
    dW, dW_sum, _, fd = _double_sum_numbers()
    ok = max(lstm_ref.max_rel_error(dW, fd), lstm_ref.max_rel_error(dW_sum, fd)) < 1e-6
    return Outcome("holds" if ok else "false",
                   f"one sweep = double sum = central differences (τ = {_T})",
                   "" if ok else "they differ")


def _tbptt(dh, cache, k1, k2):
    """TBPTT(k1, k2): at s = k1, 2k1, …, one sweep over steps max(1, s-k2+1) … s that
    carries the losses of steps s-k1+1 … s, starting from dh_T = dc_T = 0."""
    T_all, dW = len(cache.steps), 0.0
    for s in range(k1, T_all + 1, k1):
        first = max(1, s - k2 + 1)
        d = np.zeros_like(dh[first - 1:s])
        d[max(0, s - k1 - first + 1):] = dh[max(first, s - k1 + 1) - 1:s]
        dW = dW + family_backward(d, FamilySeqCache(cache.steps[first - 1:s])).dW
    return dW


def _tbptt_formula(dh, cache, k1, k2):
    """The same, as the restricted double sum Σ_s Σ_{T in block s} Σ_{t ≥ s-k2+1}."""
    T_all, dW = len(cache.steps), 0.0
    for s in range(k1, T_all + 1, k1):
        dW_s, _ = _per_T_sweeps(dh, cache, lo=lambda T, s=s: max(1, s - k2 + 1),
                                losses=range(s - k1 + 1, s + 1))
        dW = dW + dW_s
    return dW


def _tbptt_check():
    params, W_v, x, y = _problem()
    E, grads, _, dh, cache = _loss_grads(params, W_v, x, y)
    same = lstm_ref.max_rel_error(_tbptt(dh, cache, 2, 3), _tbptt_formula(dh, cache, 2, 3))
    whole = lstm_ref.max_rel_error(_tbptt(dh, cache, _T, _T), grads.dW)
    biased = lstm_ref.max_rel_error(_tbptt(dh, cache, 2, 2), grads.dW)
    ok = same < 1e-12 and whole < 1e-12 and biased > 1e-3
    return Outcome("holds" if ok else "false",
                   f"windowed sweeps = the restricted double sum (k₁ = 2, k₂ = 3); "
                   f"k₁ = k₂ = T gives ∂E/∂W; k₁ = k₂ = 2 differs from it by "
                   f"max_rel_err ≈ {biased:.1g} (T = {_T})", "" if ok else "mismatch")


def _batch_is_sum():
    rng = np.random.default_rng(7)
    params = lstm_ref.init_family_params(FULL, _D, _H, rng)
    W_v = rng.uniform(-0.5, 0.5, (_V, _H))
    x, y = rng.normal(size=(_T, 3, _D)), rng.integers(0, _V, size=(_T, 3))
    batch = _loss_grads(params, W_v, x, y)[1].dW
    each = sum(_loss_grads(params, W_v, x[:, b:b + 1], y[:, b:b + 1])[1].dW for b in range(3))
    err = lstm_ref.max_rel_error(batch, each)
    ok = err < 1e-12
    return Outcome("holds" if ok else "false",
                   f"lstm_ref: BPTT on a batch of 3 sequences = the sum of 3 single-sequence "
                   f"sweeps (max_rel_err < 1e-12, T = {_T})", "" if ok else f"{err:.1g}")


def _running_mean():
    gamma = sp.Symbol("gamma", positive=True)
    g = sp.symbols("g_1:4", real=True)
    S = sp.S.Zero                                     # E[g^2]_0 = 0
    for gk in g:
        S = gamma * S + (1 - gamma) * gk**2
    mean = (1 - gamma) * sum(gamma ** (3 - k) * g[k - 1] ** 2 for k in range(1, 4))
    return S, mean


def _index_range(reading):
    """p, q ∈ {1, …, n}: the columns of 004's W_i against the range of p."""
    def fn(m):
        n, cols = m.H, w004(m, "i").shape[1]
        if reading == "sum":
            # [x, h, C] = x + h + C: one n-vector, so W_i is n × n
            return Outcome("holds", f"W_i is n × n: p, q ∈ {{1, …, n}} cover it (n = {n})")
        if cols == n:
            return Outcome("holds", "p covers the columns")
        return Outcome("wrong", "p does not reach every column of W_i",
                       f"W_i has D + 2H = {cols} columns, p ∈ {{1, …, n}} reaches {n} "
                       f"(W_i = [W_ix | W_ih | P_i], n = H = {n}, D = {m.D})")
    return numeric(fn, "s32_cell")


def _w_i_shape(m):
    rows, cols = w004(m, "i").shape
    ok = (rows, cols) == (m.H, m.D + 2 * m.H)
    return Outcome("holds" if ok else "false",
                   f"W_i has H = {rows} rows and D + 2H = {cols} columns in the model",
                   "" if ok else "another shape")


def _unbound_q():
    """(Σ_q Σ_p a_p e_q⊗e_p⊗e_q)((σ')_q e_q⊗e_q) with the second q outside the sums."""
    n, cols = 2, 3
    a, s = sp.symbols("a_1:4", real=True), sp.IndexedBase("sigma'")
    q = sp.Symbol("q", integer=True)
    T = _tensor(n, cols, n, [(a[p], r, p, r) for r in range(n) for p in range(cols)])
    D = sp.Matrix(n, n, lambda r, c: sp.KroneckerDelta(r, q) * sp.KroneckerDelta(c, q) * s[q])
    out = _dot_last(T, D)
    free = set().union(*(e.free_symbols for row in out for col in row for e in col))
    if q in free:
        return Outcome("ill-formed", "the product still depends on the index q of the "
                       "second factor, which no sum binds (n = 2, three columns)")
    return Outcome("holds", "no free index")


def _sum_reading_do_dC():
    n = 2
    x, h, C, b, u = (sp.Matrix(sp.symbols(f"{s}_1:{n + 1}", real=True))
                     for s in ("x", "h", "C", "b", "u"))
    W = sp.Matrix(n, n, lambda r, c: sp.Symbol(f"W_o[{r},{c}]", real=True))
    o = (W * (x + h + C) + b).applyfunc(Sigmoid)
    lhs = W.T * odot(o, sp.ones(n, 1) - o, u)
    rhs = sp.Matrix([sp.diff(dot(u, o), C[k]) for k in range(n)])
    return lhs, rhs


def _sum_reading_dCtilde(with_c):
    n = 2
    x, h, C, b, u = (sp.Matrix(sp.symbols(f"{s}_1:{n + 1}", real=True))
                     for s in ("x", "h", "C", "b", "u"))
    W = sp.Matrix(n, n, lambda r, c: sp.Symbol(f"W_c[{r},{c}]", real=True))
    g = (W * (x + h) + b).applyfunc(Tanh)
    a = x + h + C if with_c else x + h
    T = _tensor(n, n, n, [((1 - g[q] ** 2) * a[p], q, p, q) for q in range(n)
                          for p in range(n)])
    truth = sp.Matrix(n, n, lambda q, p: sp.diff(dot(u, g), W[q, p]))
    return _contract(T, u), truth


# ------------------------------------------------------------------------ the rows


def _c(k):
    """The gate's row in the checks: 004's letter to the engine's (c → g)."""
    return {"i": "i", "f": "f", "c": "g", "o": "o"}[k]


_DW_I = proves(lambda m: _outer(m, "i"), lambda m: w004(m, "i"), "s32_cell")
_DW_F = proves(lambda m: _outer(m, "f"), lambda m: w004(m, "f"), "s32_cell")
_DW_C = proves(lambda m: _outer(m, "g"), lambda m: w004(m, "g"), "s32_cell")
_DI_DWI = jacobian(lambda m, u: _contract(_d_gate(m, "i"), u), lambda m: w004(m, "i"), "i")
_DC_TOTAL = proves(_dc, "c", "s32_cell")
_DO = proves(lambda m: _delta(m, "o"), "o", "s32_cell")
# (∂h_t/∂C_t) u = (∂o_t/∂C_t) diag(tanh C_t) u + tanh'(C_t) diag(o_t) u, ∂o_t/∂C_t = P_oᵀ σ'
_DH_DC = jacobian(lambda m, u: (m.P_o.T * odot(_sp(m, "o"), m.tanh_c, u)
                                + odot(m.ones - square(m.tanh_c), m.o, u)), "c", "h")


def _dW_o(source_loss):
    """∂E_T/∂(W_o)_t with δ^o from ∂E_T/∂o_t ("later") or from ∂E_t/∂o_t ("step")."""
    def hand(m):
        dh = m.dh_next if source_loss == "later" else m.W_v.T * (m.y_hat - m.y)
        return odot(_sp(m, "o"), odot(m.tanh_c, dh)) * bracket(m, "o").T
    return proves(hand, lambda m: w004(m, "o"), "s32_head", loss=_e_later)


def _db_o(source_loss):
    def hand(m):
        dh = m.dh_next if source_loss == "later" else m.W_v.T * (m.y_hat - m.y)
        return odot(_sp(m, "o"), odot(m.tanh_c, dh))
    return proves(hand, lambda m: m.b_o, "s32_head", loss=_e_later)


def _src_dC_seq(m):
    """004's ∂E_2/∂C_1 = (∂h_1/∂C_1) δ^h_1, with the true δ^h_1 = ∂E_2/∂h_1."""
    one = m.ones
    s = 1                                         # code index 1 is step 2
    da_o = odot(m.dh[s], m.tanh_c[s], m.o[s], one - m.o[s])
    dc = odot(m.dh[s], m.o[s], one - square(m.tanh_c[s])) + m.P_o.T * da_o
    da = sp.Matrix.vstack(odot(dc, m.c[0], m.f[s], one - m.f[s]),
                          odot(dc, m.g[s], m.i[s], one - m.i[s]), da_o,
                          odot(dc, m.i[s], one - square(m.g[s])))
    dh1 = m.W_h.T * da                            # ∂E_2/∂h_1: all four gates of step 2
    o1, tc1 = m.o[0], m.tanh_c[0]
    src = m.P_o.T * odot(o1, one - o1, tc1, dh1) + odot(one - square(tc1), o1, dh1)
    H = m.H
    later = (odot(m.f[s], dc) + m.P_f.T * da[:H, :] + m.P_i.T * da[H:2 * H, :])
    return src, later


_DW_V = proves(lambda m: sum(((m.y_hat[t] - m.y[t]) * m.h[t].T for t in range(m.T)),
                             sp.zeros(m.V, m.H)), lambda m: m.W_v, "s32_ce")


def _d_prev(m):
    """∂J/∂h_{t-1} and ∂J/∂c_{t-1} of the cell (at t = 1: h_0, c_0)."""
    dc = _dc(m)
    da = {k: odot(_sp(m, k), d) for k, d in (("f", odot(m.c_prev, dc)),
                                             ("i", odot(m.g, dc)),
                                             ("o", odot(m.tanh_c, m.dh_next)),
                                             ("g", odot(m.i, dc)))}
    dh = m.W_h.T * sp.Matrix.vstack(da["f"], da["i"], da["o"], da["g"])
    dcp = odot(m.f, dc) + m.P_f.T * da["f"] + m.P_i.T * da["i"]
    return sp.Matrix.vstack(dh, dcp)


_NUMERATOR = "the first product in Jacobian order (§1's convention)"


def _delta_def(k, first, second):
    """004-3.2-19 … 21: δ^k_t = (∂C_t/∂k_t) ∂E_T/∂C_t, and its first product."""
    return (Reading("R1: " + _NUMERATOR, "",
                    proves(lambda m: _delta(m, _c(k)), _c(k), "s32_cell")),
            Reading("R2: both products in 004's layout",
                    first, proves(lambda m: _dc(m) * _diag(second(m)), _c(k), "s32_cell")))


_TEN = r"\sum_q\sum_p"

CLAIMS = (
    Claim("004-3.2-01", "§3.2, 1st display (L165)",
          r"""\begin{aligned}
i_t &= \sigma(W_i[x_t, h_{t-1}, C_{t-1}] + b_i)\\
f_t &= \sigma(W_f[x_t, h_{t-1}, C_{t-1}] + b_f)\\
\tilde C_t &= \tanh(W_c[x_t, h_{t-1}] + b_c)\\
C_t &= f_t\odot C_{t-1} + i_t\odot\tilde C_t\\
o_t &= \sigma(W_o[x_t, h_{t-1}, C_t] + b_o)\\
h_t &= o_t\odot\tanh(C_t)
\end{aligned}""",
          (Reading("as written", "", forward(
              lambda m: sp.Matrix.vstack(m.i, m.f, m.g, m.c, m.o, m.h),
              lambda m: sp.Matrix.vstack(
                  (w004(m, "i") * bracket(m, "i") + m.b_i).applyfunc(Sigmoid),
                  (w004(m, "f") * bracket(m, "f") + m.b_f).applyfunc(Sigmoid),
                  (w004(m, "g") * bracket(m, "g") + m.b_g).applyfunc(Tanh),
                  odot(m.f, m.c_prev) + odot(m.i, m.g),
                  (w004(m, "o") * bracket(m, "o") + m.b_o).applyfunc(Sigmoid),
                  odot(m.o, m.c.applyfunc(Tanh))), "s32_cell")),),
          note=r"§2's forward pass again, read with the stacked $[\cdot,\cdot,\cdot]$ "
               r"(x first): each $W_k$ is $[W_{k,x}\,|\,W_{k,h}\,|\,P_k]$.",
          chapters=("peepholes",)),

    Claim("004-3.2-02", "§3.2, 2nd display (L167), line 1",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial o_t}
&= \frac{\partial E_T}{\partial h_t}\frac{\partial h_T}{\partial o_t}
 = \frac{\partial h_T}{\partial h_t}\frac{\partial E_T}{\partial h_t}\\
&= \frac{\partial o_t}{\partial o_t}\operatorname{diag}(\tanh(C_t))\,\delta_t^h\\
&= \operatorname{1diag}(\tanh(C_t))\,\delta_t^h
 = \operatorname{diag}(\tanh(C_t))\,\delta_t^h\\
&= \tanh(C_t)\odot\delta_t^h = \delta_t^h\delta_t^h
\end{aligned}""",
          (Reading("R1: the last term read as δ^o_t",
                   r"\frac{\partial E_T}{\partial o_t} = \tanh(C_t)\odot\delta^h_t = \delta^o_t",
                   _DO),
           Reading("R2: the last term as printed", r"= \delta^h_t\,\delta^h_t",
                   proves(lambda m: m.dh_next * m.dh_next, "o", "s32_cell"))),
          correction=Correction(r"\frac{\partial J_T}{\partial o_t} = \tanh(c_t)\odot\delta h_t"
                                r" =: \delta o_t", _DO),
          damage=r"extraction: $\partial h_T$ for $\partial h_t$ (twice, once over "
                 r"$\partial h_t$ for $\partial o_t$); `1diag` is $\mathbb 1\,\mathrm{diag}$; "
                 r"the last term is garbled",
          note=r"$\delta^h_t$ is taken as the true $\partial E_T/\partial h_t$ (dh_next); "
               r"004's own recursion for it fails for $t<T$ "
               r"({ref}`004-3.1-36 <errata-004-3-1-36>`).",
          chapters=("cell_backward",)),

    Claim("004-3.2-03", "§3.2, 2nd display, line 2",
          r"\frac{\partial o_t}{\partial C_t} = W_o^\tau o_t' = W_o^\tau o_t'",
          (Reading("R1: stacked input, W_o^τ its C block (P_o^τ)",
                   r"\frac{\partial o_t}{\partial C_t} = ((W_o)_{,C})^\tau\, o_t'",
                   jacobian(lambda m, u: m.P_o.T * odot(_sp(m, "o"), u), "c", "o")),
           Reading("R2: [x, h, C] = x + h + C, one n × n W_o", "",
                   equals(lambda: _sum_reading_do_dC()[0], lambda: _sum_reading_do_dC()[1]))),
          damage="the equality repeats itself",
          chapters=("peepholes",)),


    Claim("004-3.2-04", "§3.2, 2nd display, line 3",
          r"""\begin{aligned}
\frac{\partial h_t}{\partial C_t}
&= \frac{\partial o_t}{\partial C_t}\operatorname{diag}(\tanh(C_t))\\
&\quad + \frac{\partial \tanh(C_t)}{\partial C_t}\operatorname{diag}(o_t)
\end{aligned}""",
          (Reading("as written", "", _DH_DC),),
          note=r"The product rule in denominator layout; $C_t$ reaches $h_t$ through $o_t$ "
               r"(the output peephole) and through $\tanh(C_t)$.",
          chapters=("peepholes",)),

    Claim("004-3.2-05", "§3.2, 2nd display, line 4",
          r"""\begin{aligned}
&= \frac{\partial o_t}{\partial C_t}\operatorname{diag}(\tanh(C_t))\\
&\quad + \tanh(C_t)'\operatorname{diag}(o_t)
\end{aligned}""",
          (Reading("as written", "", _DH_DC),),
          damage=r"$\tanh(C_t)'$ stands for $\operatorname{diag}(1-\tanh^2(C_t))$",
          chapters=("peepholes",)),

    Claim("004-3.2-06", "§3.2, 2nd display, line 5",
          r"""\begin{aligned}
\frac{\partial C_t}{\partial i_t}
&= \frac{\partial}{\partial i_t}(f_t\odot C_{t-1} + i_t\odot\tilde C_t)\\
&= \frac{\partial i_t}{\partial i_t}\operatorname{diag}(\tilde C_t)
 = \operatorname{1diag}(\tilde C_t) = \operatorname{diag}(\tilde C_t)
\end{aligned}""",
          (Reading("as written", "", jacobian(lambda m, u: odot(m.g, u), "i", "c")),),
          damage=r"`1diag` is $\mathbb 1\,\mathrm{diag}$, $\mathbb 1$ the identity matrix"),

    Claim("004-3.2-07", "§3.2, 2nd display, line 6",
          r"""\begin{aligned}
\frac{\partial C_t}{\partial f_t}
&= \frac{\partial}{\partial f_t}(f_t\odot C_{t-1} + i_t\odot\tilde C_t)\\
&= \frac{\partial f_t}{\partial f_t}\operatorname{diag}(C_{t-1})\\
&= \operatorname{1diag}(C_{t-1}) = \operatorname{1diag}(C_{t-1})
\end{aligned}""",
          (Reading("as written", "", jacobian(lambda m, u: odot(m.c_prev, u), "f", "c")),),
          damage=r"`1diag` as in 004-3.2-06; the last equality repeats itself"),

    Claim("004-3.2-08", "§3.2, 2nd display, line 7",
          r"""\begin{aligned}
\frac{\partial C_t}{\partial \tilde C_t}
&= \frac{\partial}{\partial \tilde C_t}(f_t\odot C_{t-1} + i_t\odot\tilde C_t)\\
&= \frac{\partial \tilde C_t}{\partial \tilde C_t}\operatorname{diag}(i_t)
 = \operatorname{1diag}(i_t) = \operatorname{1diag}(i_t)
\end{aligned}""",
          (Reading("as written", "", jacobian(lambda m, u: odot(m.i, u), "g", "c")),),
          damage=r"`1diag` as in 004-3.2-06; the last equality repeats itself"),

    Claim("004-3.2-09", "§3.2, 2nd display, line 8",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial C_t}
&= \frac{\partial E_T}{\partial h_t}\frac{\partial h_t}{\partial C_t}
 = \frac{\partial h_t}{\partial C_t}\frac{\partial E_T}{\partial h_t}\\
&= \Bigl(\frac{\partial o_t}{\partial C_t}\operatorname{diag}(\tanh(C_t))\\
&\qquad + \tanh(C_t)'\operatorname{diag}(o_t)\Bigr)\,\delta_t^h
\end{aligned}""",
          (Reading("as written", "", proves(lambda m: _src_dC_seq(m)[0], ("c", 0),
                                            "s32_seq", loss=_e_last(("c", 0)))),),
          correction=Correction(
              r"""\begin{aligned}
\frac{\partial J_T}{\partial c_t}
&= \delta h_t\odot o_t\odot(1-\tanh^2 c_t) + P_o^\top\delta a_{o,t}\\
&\quad + f_{t+1}\odot\delta c_{t+1}\\
&\quad + P_f^\top\delta a_{f,t+1} + P_i^\top\delta a_{i,t+1}
\end{aligned}""",
              proves(lambda m: sum(_src_dC_seq(m), sp.zeros(m.H, 1)), ("c", 0),
                     "s32_seq", loss=_e_last(("c", 0)))),
          note=r"Only the paths through $h_t$: for $t<T$, $C_t$ also reaches step $t+1$ "
               r"directly (the carousel and the peepholes of $f_{t+1}$, $i_{t+1}$), so it holds "
               r"at $t = T$ only. Checked at $t = 1$, $T = 2$, with the true "
               r"$\delta^h_1 = \partial E_2/\partial h_1$.",
          chapters=("peepholes", "bptt")),

    Claim("004-3.2-10", "§3.2, 2nd display, last line",
          r"p, q \in \{1, \dots, n\}",
          (Reading("R1: stacked input [x; h; C]", "", _index_range("stacked")),
           Reading("R2: [x, h, C] = x + h + C", "", _index_range("sum"))),
          correction=Correction(r"q \in \{1, \dots, H\},\quad p \in \{1, \dots, D + 2H\}",
                                numeric(_w_i_shape, "s32_cell")),
          note=r"$q$ indexes the rows of $W_i$ and $p$ its columns; $W_c$ has $D + H$."),

    Claim("004-3.2-11", "§3.2, display (L169)",
          r"""\begin{aligned}
&\frac{\partial}{\partial W_i}(W_i[x_t,h_{t-1},C_{t-1}]+b_i)\\
&\quad = \sum_q\sum_p [x_t,h_{t-1},C_{t-1}]_p\, e_q\otimes e_p\otimes e_q
\end{aligned}""",
          (Reading("as written", "", jacobian(
              lambda m, u: _contract(_d_affine(m, "i"), u), lambda m: w004(m, "i"), "a_i")),),
          damage="it cites a derivation (1.2) in §1, which the text does not contain",
          note=r"The three-index object has $W$'s indices first and the output's last; "
               r"applied to $\delta$ it is the outer product $\delta z^\top$.",
          chapters=("matrix_calculus",)),

    Claim("004-3.2-12", "§3.2, display (L171), line 1",
          r"""\begin{aligned}
\frac{\partial i_t}{\partial W_i}
&= \frac{\partial}{\partial W_i}(W_i[x_t, h_{t-1}, C_{t-1}] + b_i)\\
&\quad\cdot\frac{\partial i_t}{\partial (W_i[x_t, h_{t-1}, C_{t-1}] + b_i)}
\end{aligned}""",
          (Reading("as written", "", jacobian(
              lambda m, u: _contract(_dot_last(_d_affine(m, "i"), _diag(_sp(m, "i"))), u),
              lambda m: w004(m, "i"), "i")),),
          chapters=("matrix_calculus",)),

    Claim("004-3.2-13", "§3.2, display (L171), line 2",
          r"= \Bigl(" + _TEN + r" [x_t, h_{t-1}, C_{t-1}]_p\, e_q\otimes e_p\otimes e_q"
          r"\Bigr)\, i_t'",
          (Reading("as written", "", jacobian(
              lambda m, u: _contract(_dot_last(_d_affine(m, "i"), _diag(_sp(m, "i"))), u),
              lambda m: w004(m, "i"), "i")),),
          damage=r"$i_t'$ is $\operatorname{diag}(i_t\odot(1-i_t))$"),

    Claim("004-3.2-14", "§3.2, display (L171), line 3",
          r"""\begin{aligned}
&= \Bigl(\sum_q\sum_p [x_t, h_{t-1}, C_{t-1}]_p\, e_q\otimes e_p\otimes e_q\Bigr)\\
&\qquad\cdot\bigl((\sigma')_q\, e_q\otimes e_q\bigr)
\end{aligned}""",
          (Reading("R1: the diagonal with a sum of its own",
                   r"\cdot\Bigl(\sum_{q'}(\sigma')_{q'}\, e_{q'}\otimes e_{q'}\Bigr)",
                   jacobian(lambda m, u: _contract(
                       _dot_last(_d_affine(m, "i"), _diag(_sp(m, "i"))), u),
                       lambda m: w004(m, "i"), "i")),
           Reading("R2: q outside the sums, as printed", "", numeric(_unbound_q))),
          correction=Correction(
              r"""\begin{aligned}
&\Bigl(\sum_q\sum_p [x_t, h_{t-1}, C_{t-1}]_p\, e_q\otimes e_p\otimes e_q\Bigr)\\
&\qquad\cdot\Bigl(\sum_{q'}(\sigma')_{q'}\, e_{q'}\otimes e_{q'}\Bigr)
\end{aligned}""",
              jacobian(lambda m, u: _contract(_dot_last(_d_affine(m, "i"),
                                                        _diag(_sp(m, "i"))), u),
                       lambda m: w004(m, "i"), "i")),
          damage=r"the diagonal matrix reuses the index $q$ bound by the first factor's sum"),

    Claim("004-3.2-15", "§3.2, display (L171), line 4",
          r"= " + _TEN + r"\,((\sigma')_q e_q)\otimes([x_t, h_{t-1}, C_{t-1}]_p e_p)"
          r"\otimes e_q",
          (Reading("as written", "", _DI_DWI),)),

    Claim("004-3.2-16", "§3.2, display (L171), line 5",
          r"""\begin{aligned}
&= \sum_q\sum_p\,((\sigma')_q e_q)\otimes([x_t, h_{t-1}, C_{t-1}]_p e_p)\otimes e_q,\\
&\qquad\text{derivation analogue to (3.5)}
\end{aligned}""",
          (Reading("as written", "", _DI_DWI),),
          damage="it repeats line 4; the cited (3.5) is not in the text"),

    Claim("004-3.2-17", "§3.2, display (L171), line 6",
          r"""\begin{aligned}
\frac{\partial \tilde C_t}{\partial W_c}
&= \sum_q\sum_p\,((\tan h')_q e_q)\\
&\qquad\otimes([x_t, h_{t-1}, C_t]_p e_p)\otimes e_q
\end{aligned}""",
          (Reading("R1: stacked input [x; h; C_t]", "", jacobian(
              lambda m, u: _contract(_d_gate(m, "g", c=m.c), u), lambda m: w004(m, "g"), "g")),
           Reading("R2: [x, h, C_t] = x + h + C_t, one n × n W_c", "",
                   equals(lambda: _sum_reading_dCtilde(True)[0],
                          lambda: _sum_reading_dCtilde(True)[1]))),
          correction=Correction(
              r"""\begin{aligned}
\frac{\partial \tilde C_t}{\partial W_c}
&= \sum_q\sum_p\,((\tanh')_q e_q)\\
&\qquad\otimes([x_t, h_{t-1}]_p e_p)\otimes e_q
\end{aligned}""",
              jacobian(lambda m, u: _contract(_d_gate(m, "g"), u), lambda m: w004(m, "g"),
                       "g")),
          damage=r"`tan h'` is $\tanh'$",
          note=r"The candidate reads $[x_t, h_{t-1}]$ only (§2 and 004's own "
               r"{ref}`004-3.2-29 <errata-004-3-2-29>`); $C_t$ is not one of its inputs.",
          chapters=("peepholes",)),

    Claim("004-3.2-18", "§3.2, display (L171), line 7",
          r"""\begin{aligned}
\frac{\partial o_t}{\partial W_o}
&= \sum_q\sum_p\,((\sigma')_q e_q)\\
&\qquad\otimes([x_t, h_{t-1}, C_t]_p e_p)\otimes e_q
\end{aligned}""",
          (Reading("as written", "", jacobian(
              lambda m, u: _contract(_d_gate(m, "o"), u), lambda m: w004(m, "o"), "o")),)),

    Claim("004-3.2-19", "§3.2, display (L175), line 1",
          r"\frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial i_t}"
          r" = \frac{\partial C_t}{\partial i_t}\frac{\partial E_T}{\partial C_t} = \delta^i_t",
          _delta_def("i", r"\frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial i_t}",
                     lambda m: m.g),
          correction=Correction(r"\delta i_t = \operatorname{diag}(g_t)\,\delta c_t"
                                r" = g_t\odot\delta c_t",
                                proves(lambda m: _delta(m, "i"), "i", "s32_cell")),
          note=r"With the total $\partial E_T/\partial C_t$; 004's own value "
               r"({ref}`004-3.2-09 <errata-004-3-2-09>`) makes $\delta^i_t$ wrong for $t<T$. "
               r"The same order of products recurs in 004-3.2-02, -09, -23 and -28 to -38."),

    Claim("004-3.2-20", "§3.2, display (L175), line 2",
          r"\frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial f_t}"
          r" = \frac{\partial C_t}{\partial f_t}\frac{\partial E_T}{\partial C_t} = \delta^f_t",
          _delta_def("f", r"\frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial f_t}",
                     lambda m: m.c_prev),
          correction=Correction(r"\delta f_t = c_{t-1}\odot\delta c_t",
                                proves(lambda m: _delta(m, "f"), "f", "s32_cell"))),

    Claim("004-3.2-21", "§3.2, display (L175), line 3",
          r"\frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial \tilde C_t}"
          r" = \frac{\partial C_t}{\partial \tilde C_t}\frac{\partial E_T}{\partial C_t}"
          r" = \delta^c_t",
          _delta_def("c", r"\frac{\partial E_T}{\partial C_t}"
                          r"\frac{\partial C_t}{\partial \tilde C_t}", lambda m: m.i),
          correction=Correction(r"\delta g_t = i_t\odot\delta c_t",
                                proves(lambda m: _delta(m, "g"), "g", "s32_cell")),
          note=r"$\delta^c_t$ is the gradient at the candidate $\tilde C_t$, not at $C_t$."),

    Claim("004-3.2-22", "§3.2, display (L175), line 4",
          r"\frac{\partial E_T}{\partial O_t} = \delta^o_t",
          (Reading("as written", "", _DO),),
          damage=r"$O_t$ is $o_t$",
          note=r"With $\delta^o_t = \tanh(C_t)\odot\delta^h_t$ from "
               r"{ref}`004-3.2-02 <errata-004-3-2-02>`."),

    Claim("004-3.2-23", "§3.2, display (L177)",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial (W_i)_t}
&= \frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial i_t}
   \frac{\partial i_t}{\partial W_i}\\
&= \frac{\partial i_t}{\partial W_i}\frac{\partial C_t}{\partial i_t}
   \frac{\partial E_T}{\partial C_t}
 = \frac{\partial i_t}{\partial W_i}\delta^i_t
\end{aligned}""",
          (Reading("as written", "", proves(
              lambda m: _contract(_d_gate(m, "i"), _delta(m, "i")), lambda m: w004(m, "i"),
              "s32_cell")),),
          note=r"$(W_i)_t$ is $W_i$ as used at step $t$ alone; the cell's $\partial J/\partial "
               r"W_i$ is that, with dh_next and dc_next carrying the later losses."),

    Claim("004-3.2-24", "§3.2, (L179)",
          r"""\begin{aligned}
&= \Bigl(\sum_q\sum_p\,((\sigma')_q e_q)\otimes([x_t, h_{t-1}, C_{t-1}]_p e_p)\\
&\qquad\otimes e_q\Bigr)\,\delta^i_t
\end{aligned}""",
          (Reading("as written", "", proves(
              lambda m: _contract(_d_gate(m, "i"), _delta(m, "i")), lambda m: w004(m, "i"),
              "s32_cell")),)),

    Claim("004-3.2-25", "§3.2, (L181)",
          r"= " + _TEN + r"\,((\sigma')_q e_q)\otimes"
          r"([x_t, h_{t-1}, C_{t-1}]_p\,(\delta^i_t)_q\, e_p)",
          (Reading("as written", "", proves(
              lambda m: sp.Matrix(m.H, m.D + 2 * m.H, lambda q, p: _sp(m, "i")[q]
                                  * bracket(m, "i")[p] * _delta(m, "i")[q]),
              lambda m: w004(m, "i"), "s32_cell")),)),

    Claim("004-3.2-26", "§3.2, (L183)",
          r"= " + _TEN + r"\,((\sigma')_q\,(\delta^i_t)_q\, e_q)\otimes"
          r"([x_t, h_{t-1}, C_{t-1}]_p\, e_p)",
          (Reading("as written", "", proves(
              lambda m: sp.Matrix(m.H, m.D + 2 * m.H, lambda q, p: (_sp(m, "i")[q]
                                  * _delta(m, "i")[q]) * bracket(m, "i")[p]),
              lambda m: w004(m, "i"), "s32_cell")),)),

    Claim("004-3.2-27", "§3.2, (L185) and the line after it",
          r"""\begin{aligned}
&= \bigl((\sigma'\mathbb 1^n)\odot\delta^i_t\bigr)\bigl([x_t, h_{t-1}, C_{t-1}]\bigr)^\tau,\\
&\qquad \mathbb 1^n \text{ a column of } n \text{ ones}
\end{aligned}""",
          (Reading("as written", "", proves(
              lambda m: odot(_diag(_sp(m, "i")) * m.ones, _delta(m, "i"))
              * bracket(m, "i").T, lambda m: w004(m, "i"), "s32_cell")),),
          note=r"In the course's blocks: $\partial J/\partial W_i = \delta a_{i,t} z_t^\top$ and "
               r"$\partial J/\partial P_i = \delta a_{i,t} c_{t-1}^\top$; right once "
               r"$\partial E_T/\partial C_t$ is the total one.",
          chapters=("matrix_calculus", "peepholes")),

    Claim("004-3.2-28", "§3.2, display (L188–189)",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial (W_f)_t}
&= \frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial f_t}
   \frac{\partial f_t}{\partial W_f}\\
&= \frac{\partial f_t}{\partial W_f}\frac{\partial C_t}{\partial f_t}
   \frac{\partial E_T}{\partial C_t}\\
&= \frac{\partial f_t}{\partial W_f}\delta_t^f
 = \bigl((\sigma'\mathbb 1^n)\odot\delta_t^f\bigr)\\
&\qquad\cdot([x_t, h_{t-1}, C_{t-1}])^\tau
\end{aligned}""",
          (Reading("as written", "", _DW_F),),
          damage="“derivation analogue to (3.5)”: no (3.5) in the text",
          chapters=("peepholes",)),

    Claim("004-3.2-29", "§3.2, display (L190–191)",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial (W_c)_t}
&= \frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial \tilde C_t}
   \frac{\partial \tilde C_t}{\partial W_c}\\
&= \frac{\partial \tilde C_t}{\partial W_c}\frac{\partial C_t}{\partial \tilde C_t}
   \frac{\partial E_T}{\partial C_t}\\
&= \frac{\partial \tilde C_t}{\partial W_c}\delta_t^c
 = \bigl((\tanh'\mathbb 1^n)\odot\delta_t^c\bigr)([x_t, h_{t-1}])^\tau
\end{aligned}""",
          (Reading("as written", "", _DW_C),),
          damage="“derivation analogue to (3.5)”: no (3.5) in the text",
          note=r"The right input $[x_t, h_{t-1}]$, unlike "
               r"{ref}`004-3.2-17 <errata-004-3-2-17>`.",
          chapters=("peepholes",)),

    Claim("004-3.2-30", "§3.2, display (L192–193)",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial (W_o)_t}
&= \frac{\partial E_t}{\partial o_t}\frac{\partial o_t}{\partial W_o}
 = \frac{\partial o_t}{\partial W_o}\frac{\partial E_t}{\partial o_t}\\
&= \frac{\partial o_t}{\partial W_o}\delta_t^o\\
&= \bigl((\sigma'\mathbb 1^n)\odot\delta_t^o\bigr)([x_t, h_{t-1}, C_t])^\tau
\end{aligned}""",
          (Reading("R1: E_t a typo for E_T", "", _dW_o("later")),
           Reading("R2: E_t, the loss of step t, as printed", "", _dW_o("step"))),
          correction=Correction(
              r"""\begin{aligned}
\frac{\partial J_T}{\partial [W_{o,x} | W_{o,h} | P_o]_{(t)}}
&= \delta a_{o,t}\,[x_t; h_{t-1}; c_t]^\top,\\
\delta a_{o,t} &= o_t\odot(1-o_t)\odot\tanh(c_t)\odot\delta h_t
\end{aligned}""", _dW_o("later")),
          damage=r"$E_t$ on the right where the left has $E_T$",
          note=r"R2 is checked with $E_t$ the softmax loss of step $t$ and $E_T$ a later loss "
               r"($dh_\text{next}\cdot h_t + dc_\text{next}\cdot c_t$).",
          chapters=("peepholes",)),

    Claim("004-3.2-31", "§3.2, display (L195), line 1",
          r"""\begin{aligned}
\frac{\partial i_t}{\partial b_i}
&= \frac{\partial}{\partial b_i}(W_i[x_t, h_{t-1}, C_{t-1}] + b_i)\\
&\quad\cdot\frac{\partial i_t}{\partial (W_i[x_t, h_{t-1}, C_{t-1}] + b_i)}\\
&= \frac{\partial b_i}{\partial b_i}\sigma' = \mathbb 1\sigma' = \sigma'
\end{aligned}""",
          (Reading("as written", "", jacobian(lambda m, u: odot(_sp(m, "i"), u),
                                              lambda m: m.b_i, "i")),),
          damage=r"$\mathbb 1$ is the identity matrix here, but a vector of ones in "
                 r"004-3.2-27"),

    Claim("004-3.2-32", "§3.2, display (L195), line 2",
          r"\frac{\partial f_t}{\partial (b_f)_t} = \sigma',"
          r"\quad\text{derivation analogue to (??)}",
          (Reading("as written", "", jacobian(lambda m, u: odot(_sp(m, "f"), u),
                                              lambda m: m.b_f, "f")),),
          damage="a broken cross-reference (??), also in the next two lines"),

    Claim("004-3.2-33", "§3.2, display (L195), line 3",
          r"\frac{\partial C_t}{\partial (b_c)_t} = \text{tanh'}",
          (Reading("R1: C_t a slip for C̃_t",
                   r"\frac{\partial \tilde C_t}{\partial (b_c)_t} = \tanh'",
                   jacobian(lambda m, u: odot(_sp(m, "g"), u), lambda m: m.b_g, "g")),
           Reading("R2: C_t, as printed", "",
                   jacobian(lambda m, u: odot(_sp(m, "g"), u), lambda m: m.b_g, "c"))),
          correction=Correction(
              r"\frac{\partial g_t}{\partial b_g} = \operatorname{diag}(1 - g_t^2)",
              jacobian(lambda m, u: odot(_sp(m, "g"), u), lambda m: m.b_g, "g")),
          note=r"$\partial C_t/\partial b_c$ is $\operatorname{diag}(i_t\odot(1-\tilde C_t^2))$; "
               r"004's next display uses $\partial\tilde C_t/\partial b_c$."),

    Claim("004-3.2-34", "§3.2, display (L195), line 4",
          r"\frac{\partial o_t}{\partial (b_o)_t} = \sigma'",
          (Reading("as written", "", jacobian(lambda m, u: odot(_sp(m, "o"), u),
                                              lambda m: m.b_o, "o")),)),

    Claim("004-3.2-35", "§3.2, display (L197), line 1",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial (b_i)_t}
&= \frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial i_t}
   \frac{\partial i_t}{\partial b_i}\\
&= \frac{\partial i_t}{\partial b_i}\frac{\partial C_t}{\partial i_t}
   \frac{\partial E_T}{\partial C_t}\\
&= \frac{\partial i_t}{\partial b_i}\delta_t^i = \sigma'\delta_t^i
\end{aligned}""",
          (Reading("as written", "", proves(lambda m: _diag(_sp(m, "i")) * _delta(m, "i"),
                                            lambda m: m.b_i, "s32_cell")),),
          chapters=("peepholes",)),

    Claim("004-3.2-36", "§3.2, display (L197), line 2",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial (b_f)_t}
&= \frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial f_t}
   \frac{\partial f_t}{\partial b_f}\\
&= \frac{\partial f_t}{\partial b_f}\frac{\partial C_t}{\partial f_t}
   \frac{\partial E_T}{\partial C_t} = \sigma'\delta_t^f
\end{aligned}""",
          (Reading("as written", "", proves(lambda m: _diag(_sp(m, "f")) * _delta(m, "f"),
                                            lambda m: m.b_f, "s32_cell")),),
          chapters=("peepholes",)),

    Claim("004-3.2-37", "§3.2, display (L197), line 3",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial (b_c)_t}
&= \frac{\partial E_T}{\partial C_t}\frac{\partial C_t}{\partial \tilde C_t}
   \frac{\partial \tilde C_t}{\partial b_c}\\
&= \frac{\partial \tilde C_t}{\partial b_c}\frac{\partial C_t}{\partial \tilde C_t}
   \frac{\partial E_T}{\partial C_t} = \tanh'\delta_t^c
\end{aligned}""",
          (Reading("as written", "", proves(lambda m: _diag(_sp(m, "g")) * _delta(m, "g"),
                                            lambda m: m.b_g, "s32_cell")),),
          chapters=("peepholes",)),

    Claim("004-3.2-38", "§3.2, display (L197), line 4",
          r"""\begin{aligned}
\frac{\partial E_T}{\partial (b_o)_t}
&= \frac{\partial E_t}{\partial o_t}\frac{\partial o_t}{\partial b_o}\\
&= \frac{\partial o_t}{\partial b_o}\frac{\partial E_t}{\partial o_t} = \sigma'\delta_t^o
\end{aligned}""",
          (Reading("R1: E_t a typo for E_T", "", _db_o("later")),
           Reading("R2: E_t, the loss of step t, as printed", "", _db_o("step"))),
          correction=Correction(
              r"\frac{\partial J_T}{\partial b_{o(t)}} = \delta a_{o,t}"
              r" = o_t\odot(1-o_t)\odot\tanh(c_t)\odot\delta h_t", _db_o("later")),
          damage=r"$E_t$ on the right where the left has $E_T$, as in 004-3.2-30",
          chapters=("peepholes",)),
)

_DOUBLE = r"\sum_{T=0}^{\tau}\sum_{\tilde t=0}^{T}"
_SUM_NOTE = (r"The shared weight's gradient is the sum of its per-use terms; causality stops "
             r"the inner sum at $T$. Term by term it costs $O(\tau^2)$ step-backwards, one "
             r"backward sweep gives it in $O(\tau)$.")


def _double_sum_claim(n, k, param_rows):
    """004-3.2-39 … 46: ∂E/∂X = Σ_T Σ_{t̃≤T} ∂E_T/∂(X)_t̃ for X = W_k or b_k."""
    letter = "W" if n % 2 else "b"
    row, side = divmod(n - 39, 2)
    return Claim(
        f"004-3.2-{n}", f"§3.2, double-sum display (L201), row {row + 1} "
        + ("left" if side == 0 else "right"),
        rf"\frac{{\partial E}}{{\partial {letter}_{k}}} = " + _DOUBLE
        + rf"\frac{{\partial E_T}}{{\partial ({letter}_{k})_{{\tilde t}}}}",
        (Reading("as written", "", _sums(*param_rows)),),
        note=(_SUM_NOTE if n == 39 else
              "Decided with all of W and p (004's W_k is rows of both)." if letter == "W"
              else "Decided with all of b."),
        chapters=("bptt", "peepholes") if letter == "W" else ("bptt",))


CLAIMS += tuple(_double_sum_claim(n, k, ("W", "p") if n % 2 else ("b",))
                for n, k in zip(range(39, 47), "iiffccoo"))

CLAIMS += (
    Claim("004-3.2-47", "§3.2, double-sum display: what it leaves out",
          r"\frac{\partial E}{\partial V}:\ \text{not given}",
          (), kind="omission",
          correction=Correction(r"\frac{\partial J}{\partial W_v} = \sum_{t=1}^{T}"
                                r"(\hat y_t - y_t)\,h_t^\top", _DW_V),
          note=r"Without it the output matrix $V$ is never trained (nor is it in §1, "
               r"{ref}`004-1-24 <errata-004-1-24>`).",
          chapters=("losses",)),

    Claim("004-3.2-48", "§3.2: what it leaves out (initial states)",
          r"\frac{\partial E}{\partial h_{-1}},\ \frac{\partial E}{\partial C_{-1}}:"
          r"\ \text{not given}",
          (), kind="omission",
          correction=Correction(
              r"""\begin{aligned}
\frac{\partial J}{\partial h_0} &= W_h^\top\delta a_1,\\
\frac{\partial J}{\partial c_0} &= f_1\odot\delta c_1
 + P_f^\top\delta a_{f,1} + P_i^\top\delta a_{i,1}
\end{aligned}""",
              proves(_d_prev, lambda m: sp.Matrix.vstack(m.h_prev, m.c_prev), "s32_cell")),
          note=r"Needed when the initial states are learned, or handed from one chunk of a "
               r"truncated sequence to the next (004-3.2-54); checked in one cell as step 1.",
          chapters=("peepholes",)),

    Claim("004-3.2-49", "RMSprop display (L205), line 1",
          r"g_t = \frac{\partial E}{\partial W_i}",
          (Reading("as written", "", numeric(_g_is_dE_dWi)),),
          damage=r"$t$ counts updates here, not time steps; $g_t$ is not the candidate",
          note=r"Checked on lstm_ref's full-peephole model: $g$ has $W_i$'s shape and is "
               r"$\partial E/\partial W_i$ of the whole loss.",
          chapters=("training",)),

    Claim("004-3.2-50", "RMSprop display (L205), line 2",
          r"E[g^2]_t = \gamma E[g^2]_{t-1} + (1-\gamma)g_t^2",
          (Reading("as written", "", equals(lambda: _running_mean()[0],
                                            lambda: _running_mean()[1])),),
          damage=r"$E[\cdot]$ is a running mean, not the loss $E$; $g_t^2$ is element-wise",
          note=r"Checked as the exponentially weighted mean it names: from $E[g^2]_0 = 0$, "
               r"$E[g^2]_3 = (1-\gamma)\sum_k\gamma^{3-k}g_k^2$. The start value is not given "
               r"(004-3.2-51a).",
          chapters=("training",)),

    Claim("004-3.2-51", "RMSprop display (L205), line 3",
          r"W_i = W_i - \frac{\alpha}{\sqrt{E[g^2]_t + \epsilon}}\, g_t",
          (Reading("as written", "", _descends(("W_i",), "W_i alone, as written")),),
          note=r"$\epsilon$ sits inside the root here; libraries also use $\sqrt{E[g^2]_t} + "
               r"\epsilon$, a convention.",
          chapters=("training",)),

    Claim("004-3.2-51a", "RMSprop display (L205): what it leaves out",
          r"""\begin{aligned}
&\text{the rule for } W_f, W_c, W_o, b_i, \dots, b_o, V\\
&\text{and the start value } E[g^2]_0:\ \text{not given}
\end{aligned}""",
          (), kind="omission",
          correction=Correction(
              r"""\begin{aligned}
S^\theta_0 &= 0,\quad S^\theta_k = \gamma S^\theta_{k-1} + (1-\gamma)\,G^\theta_k\odot
G^\theta_k,\\
\theta &\leftarrow \theta - \alpha\, G^\theta_k \oslash \sqrt{S^\theta_k + \epsilon}
\quad \text{for } \theta \in \{W, b, P, W_v\}
\end{aligned}""",
              _descends(("W", "b", "p", "V"), "every parameter")),
          note=r"Each parameter needs its own accumulator $S^\theta$; as written only $W_i$ "
               r"is ever trained.",
          chapters=("training",)),

    Claim("004-3.2-52", "prose after RMSprop (L207), formalised",
          r"""\begin{aligned}
&\text{updates stochastic, mini-batch or batch:}\\
&\frac{\partial}{\partial W}\sum_b E^{(b)} = \sum_b \frac{\partial E^{(b)}}{\partial W}
\end{aligned}""",
          (Reading("as written", "", numeric(_batch_is_sum)),), kind="claim",
          note=r"004 calls the whole training process BPTT; the course keeps the name for "
               r"the gradient computation, which any of these updates can use."),

    Claim("004-3.2-53", "truncated-BPTT paragraph (L209), first sentence, formalised",
          r"""\begin{aligned}
&\sum_{T=0}^{\tau}\sum_{\tilde t=0}^{T}\frac{\partial E_T}{\partial (W)_{\tilde t}}
 \text{ down to } \tilde t = 0:\\
&\text{expensive, and may corrupt } \frac{\partial E}{\partial W}
\end{aligned}""",
          (Reading("R1: expensive", "", numeric(_expensive)),
           Reading("R2: corrupts the gradient", "", numeric(_corrupts))),
          kind="claim",
          correction=Correction(
              r"""\begin{aligned}
&\textstyle\sum_T\sum_{\tilde t\le T}\partial J_T/\partial W_{(\tilde t)}
 = \partial J/\partial W \text{ exactly,}\\
&\text{one backward sweep: } O(T) \text{ step-backwards}
\end{aligned}""", numeric(_sweep_is_gradient)),
          note=r"Over long spans the terms can explode or vanish; the full sum is still the "
               r"gradient, and truncation trades it for a biased estimate.",
          chapters=("bptt", "training")),

    Claim("004-3.2-54", "truncated-BPTT paragraph (L209), with [4]",
          r"""\begin{aligned}
&\text{every } k_1 \text{ steps, BPTT over the last } k_2 \text{ steps}:\\
&\text{no formula given}
\end{aligned}""",
          (), kind="omission",
          correction=Correction(
              r"""\begin{aligned}
\Delta W_s &= \sum_{T=s-k_1+1}^{s}\ \sum_{\tilde t=\max(1,\,s-k_2+1)}^{T}
\frac{\partial J_T}{\partial W_{(\tilde t)}},\\
s &= k_1, 2k_1, \dots \quad (k_2 \ge k_1)
\end{aligned}""", numeric(_tbptt_check)),
          note=r"Each block's sweep starts from $\delta h = \delta c = 0$ at step $s$; with "
               r"$k_2 < T$ the result is a biased approximation of $\partial E/\partial W$.",
          chapters=("training",)),
)
