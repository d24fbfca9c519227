r"""Source 001's formulas (T. Masada, "A Note on BPTT for LSTM LM", 2015), transcribed.

Source 001 is a stacked LSTM language model: N layers, a one-hot input
:math:`\mathbf x_t` read by every layer, diagonal peepholes (the input and forget
gates see :math:`\boldsymbol\eta_{t-1}`, the output gate :math:`\boldsymbol\eta_t`),
logits from every layer, the next word's negative log-likelihood. Its names in the
course's (the dictionary of ``book/stacked_lm.ipynb``): :math:`\iota, \phi, \omega`
are i, f, o; :math:`\boldsymbol\eta_t` is c_t and :math:`g(\mathbf a_\eta)` is g_t;
:math:`\mathbf W_{xk}`, :math:`\mathbf W_{hk}`, :math:`\mathbf W_{h-k}` are gate k's
rows of W_x, W_h and W_u (the block on the layer below); :math:`\mathbf w_{\eta k}`
is p_k; :math:`\hat{\mathbf y}_t` is the logit vector v_t and :math:`\mathbf y_t`
the softmax ŷ_t; :math:`D_n` is H_n.

The models its formulas are checked in:

* ``stack``: ``verify.symbolic_stack`` with N = 2, T = 2, H = (2, 2), K = 3,
  diagonal peepholes, symbols x_1 = x_2 = 2, x_3 = 0 (proofs exact); ``stack23``
  the same with H = (2, 3), where a product of two layers' blocks must conform;
* ``cell11``: one diagonal-peephole cell, H = D = 1, for what happens inside a
  step (its ``dh_next`` is the total ∂J/∂h_t, ``dc_next`` what step t+1 sends to c_t);
* ``head``: the engine's output layer and loss alone, with free logits, for the
  softmax and the loss.

Where the checks look: the forward equations at layer 2, step 1 (both blocks W_h and
W_u act); eq. (17) at h^1_1 and eqs. (20), (22) at η^1_1, where the output layer, layer 2
and step 2 all send gradient back; the edges (t = T, n = N) at h^1_2, η^1_2 and h^2_1.
Gradients of the stack are the course's hand sweep (``book/stacked_lm.ipynb``,
eq-stack-dv … eq-stack-dWx), :func:`_sweep`. Lists are indexed from 0: ``m.h[0][1]``
is h^1_2. Rows whose checks build the same formula share one proof (:func:`_proves`).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import lstm_ref
from lstm_ref import verify
from lstm_ref.verify import Sigmoid, Tanh, odot, prove, square
from lstm_ref.verify.forward import head_loss, target_vector
from lstm_ref.verify.graph import Graph

from .checks import engine, equals, forward, numeric, proves, written_out
from .claim import Claim, Correction, Model, Outcome, Reading

__all__ = ["SOURCE", "TITLE", "SECTIONS", "MODELS", "CLAIMS"]

SOURCE = "001"
TITLE = "A Note on BPTT for LSTM LM (T. Masada, 2015)"
SECTIONS = {
    "1": "Forward pass",
    "2": "Negative log-likelihood",
    "3": "Derivatives of the squashing functions",
    "3.1": "The output layer",
    "3.2": "Output errors",
    "3.3": "Output gates",
    "3.4": "States",
    "3.5": "Cells, forget gates and input gates",
    "om": "What the backward pass leaves out",
}

_DIAG = lstm_ref.LSTMConfig(peephole="diagonal")
_SYMBOLS = (2, 2, 0)          # x_1 = x_2 = 2 (W_x's column 2 collects two steps), x_3 = 0


class _Head:
    """The engine's output layer and loss alone: free logits v_t (K,1), one-hot targets.

    J = Σ_t J_t with J_t = −log softmax(v_t)[x_{t+1}] as ``verify`` builds it for
    every model (``forward.head_loss``); ``y_hat[t]`` are its softmax atoms.
    """

    def __init__(self, K: int = 3, targets=(2, 0)):
        g = Graph()
        self.K, self.targets = K, tuple(targets)
        self.v, self.y, self.y_hat, terms = [], [], [], []
        for t, x in enumerate(self.targets):
            sfx = f"_{t + 1}"
            v = verify.vector("v" + sfx, K)
            y, _ = target_vector("softmax_ce", x, K, sfx)
            _, y_hat, J_t = head_loss(g, v, sp.eye(K), sp.zeros(K, 1), y, "softmax_ce", t, sfx)
            self.v.append(v)
            self.y.append(y)
            self.y_hat.append(y_hat)
            terms.append(J_t)
        self.J = sum(terms, sp.S.Zero)
        self._graph = g

    def build(self, taps=frozenset()):
        """(graph, J, domains), as the engine's models give them."""
        return self._graph, self.J, ()


def _stack(sizes):
    return lambda: verify.symbolic_stack(N=2, T=2, sizes=sizes, K=3, symbols=_SYMBOLS,
                                         config=_DIAG)


MODELS = {
    "stack": Model("stacked LM, N = 2, T = 2, H = (2, 2), K = 3, diagonal peepholes",
                   _stack((2, 2))),
    "stack23": Model("stacked LM, N = 2, T = 2, H = (2, 3), K = 3, diagonal peepholes",
                     _stack((2, 3))),
    "cell11": Model("diagonal-peephole cell, H = D = 1",
                    lambda: verify.symbolic_cell(H=1, D=1, config=_DIAG)),
    "head": Model("output layer alone, K = 3, T = 2, targets x_2 = 2, x_3 = 0", _Head),
}


# ------------------------------------------------------------------ names of the stack

def _blk(M, k: str, H: int):
    """Gate k's rows (k in "f", "i", "o", "g": the course's order) of a (4H, ·) array."""
    j = lstm_ref.GATES.index(k)
    return M[j * H:(j + 1) * H, :]


def _e(m, t: int):
    """The one-hot input x_t of step index t (001's x_t), a (K, 1) column."""
    return sp.Matrix([1 if k == m.symbols[t] else 0 for k in range(m.K)])


def _h_prev(m, n, t):
    return m.h0[n] if t == 0 else m.h[n][t - 1]


def _c_prev(m, n, t):
    return m.c0[n] if t == 0 else m.c[n][t - 1]


def _x(m, k, n, t):
    """W^n_{xk} x_t."""
    return _blk(m.W_x[n], k, m.sizes[n]) * _e(m, t)


def _below(m, k, n, t):
    """W^n_{h-k} h^{n-1}_t: the block on the layer below (no such term for layer 1)."""
    return _blk(m.W_u[n], k, m.sizes[n]) * m.h[n - 1][t]


def _rec(m, k, n, t):
    """W^n_{hk} h^n_{t-1}."""
    return _blk(m.W_h[n], k, m.sizes[n]) * _h_prev(m, n, t)


def _row(M, d):
    """Row d of M as a (1, cols) matrix: 001's w^T_{·,d}."""
    return M[d, :]


# ------------------------------------------------------------------ the hand sweep

_SWEEPS: dict = {}


def _sweep(m) -> dict:
    """The course's backward sweep of the stack (eq-stack-dv … eq-stack-dWx), in atoms.

    Top layer first, each layer from t = T down; in a step δh → δa_o → δc →
    δa_f, δa_i, δa_g. Returns dv[t], dh[n][t], dc[n][t], da[n][t] (gates f, i,
    o, g) and the parameters' gradients (``"dW_x[0]"`` …).
    """
    if m.key in _SWEEPS:
        return _SWEEPS[m.key]
    N, T = m.N, m.T
    dv = [m.y_hat[t] - m.y[t] for t in range(T)]                     # eq-stack-dv
    dh, dc, da = ([[None] * T for _ in range(N)] for _ in range(3))
    grads = {"db_y": sum(dv, sp.zeros(m.K, 1))}
    for n in reversed(range(N)):
        H, one = m.sizes[n], m.ones[n]
        dh_next, dc_next = sp.zeros(H, 1), sp.zeros(H, 1)           # from step T+1
        dW_x, dp = sp.zeros(*m.W_x[n].shape), sp.zeros(3 * H, 1)
        for t in reversed(range(T)):
            f, i, o, g = m.f[n][t], m.i[n][t], m.o[n][t], m.g[n][t]
            tanh_c, c, c_prev = m.tanh_c[n][t], m.c[n][t], _c_prev(m, n, t)
            dh[n][t] = m.W_y[n].T * dv[t] + dh_next                   # output, step t+1
            if n + 1 < N:
                dh[n][t] += m.W_u[n + 1].T * da[n + 1][t]            # layer above
            da_o = odot(dh[n][t], tanh_c, o, one - o)
            dc[n][t] = (odot(dh[n][t], o, one - square(tanh_c)) + odot(m.p_o[n], da_o)
                        + dc_next)
            da_f = odot(dc[n][t], c_prev, f, one - f)
            da_i = odot(dc[n][t], g, i, one - i)
            da_g = odot(dc[n][t], i, one - square(g))
            da[n][t] = sp.Matrix.vstack(da_f, da_i, da_o, da_g)
            dW_x[:, m.symbols[t]] += da[n][t]                        # eq-stack-dWx
            dp += sp.Matrix.vstack(odot(da_f, c_prev), odot(da_i, c_prev), odot(da_o, c))
            dh_next = m.W_h[n].T * da[n][t]                          # to step t-1
            dc_next = (odot(dc[n][t], f) + odot(m.p_f[n], da_f)
                       + odot(m.p_i[n], da_i))
        grads.update({
            f"dW_x[{n}]": dW_x, f"dp[{n}]": dp,
            f"dW[{n}]": sum((da[n][t] * m.z[n][t].T for t in range(T)),
                            sp.zeros(*m.W[n].shape)),
            f"db[{n}]": sum(da[n], sp.zeros(*m.b[n].shape)),
            f"dW_y[{n}]": sum((dv[t] * m.h[n][t].T for t in range(T)),
                              sp.zeros(*m.W_y[n].shape)),
            f"dh0[{n}]": dh_next, f"dc0[{n}]": dc_next})
    _SWEEPS[m.key] = dict(dv=dv, dh=dh, dc=dc, da=da, grads=grads)
    return _SWEEPS[m.key]


# ------------------------------------------------------------------ checks

_PROOFS: dict = {}


def _proves(hand, wrt, model: str):
    """:func:`.checks.proves`, deciding each distinct (model, formula, wrt) once.

    Rows that insert the same terms (the two forms of eq. (17), the three lines of
    eq. (21)) build the same matrix; it is proved once and the Outcome shared. A
    transcription that changes builds another matrix, which is proved afresh.
    """
    inner = proves(hand, wrt, model)

    def check(models):
        m = models[model]
        try:
            h = sp.ImmutableMatrix(hand(m))
        except sp.ShapeError:
            return inner(models)                  # ill-formed: proves() says so
        target = wrt(m) if callable(wrt) else wrt
        if isinstance(target, sp.MatrixBase):
            target = sp.ImmutableMatrix(target)
        key = (model, id(m), h, target)
        if key not in _PROOFS:
            _PROOFS[key] = inner(models)
        return _PROOFS[key]
    return check


def _proved(*items):
    """Engine check of several gradients on one model: ``(hand, wrt)`` pairs."""
    def fn(m):
        methods = {prove("the formula", hand(m), wrt(m) if callable(wrt) else wrt, m,
                         verbose=False).method for hand, wrt in items}
        how = "exact proofs" if methods == {"exact"} else "proofs (some sampled)"
        return f"{how} of {len(items)} gradients"
    return fn


def _partial(y, atom, fn):
    """∂y_r/∂a_r for each entry, where atom_r = fn(a_r): SymPy's local derivative, in atoms.

    The diagonal Jacobian of an elementwise step, e.g. ∂c_t/∂a_{i,t} with
    ``_partial(m.c, m.i, Sigmoid)`` = g_t ⊙ i_t ⊙ (1 − i_t).
    """
    s = sp.Dummy("s")
    out = []
    for r in range(y.shape[0]):
        d = sp.diff(y[r].xreplace({atom[r]: fn(s)}), s)
        out.append(d.xreplace({fn(s): atom[r]}))
    return sp.Matrix(out)


def _dc_cell(m):
    """∂L/∂η_t in one cell, eq. (22): five paths, those of step t+1 in dc_next."""
    da_o = odot(m.dh_next, m.tanh_c, m.o, m.ones - m.o)
    return (odot(m.p_o, da_o) + odot(m.o, m.ones - square(m.tanh_c), m.dh_next)
            + m.dc_next)


def _members(first, second, site):
    """Both members of one of eqs. (23)–(25): each proved equal to ∂J/∂(site)."""
    def fn(m):
        methods = {prove("the formula", hand(m), site, m, verbose=False).method
                   for hand in (first, second)}
        how = "exact proofs" if methods == {"exact"} else "proofs (some sampled)"
        return f"both members: {how}"
    return fn


# ------------------------------------------------------------------ eq. (17), at h^1_1

def _out(m, n, t):
    """Σ_k w^n_{hy,kd} ∂L/∂ŷ_{t,k}: W^{n⊤}_y δv_t."""
    return m.W_y[n].T * _sweep(m)["dv"][t]


def _nxt(m, n, t, k):
    """Σ_d̄ w^n_{hk,d̄d} ∂L/∂a^n_{k,t+1,d̄}: gate k of layer n at step t+1, W^{n⊤}_{h,k} δa."""
    H = m.sizes[n]
    return _blk(m.W_h[n], k, H).T * _blk(_sweep(m)["da"][n][t + 1], k, H)


def _up(m, n, t, k, of):
    """Σ_d̄ w^{n+1}_{h-k,d̄d} ∂L/∂a^{of}_{k,t,d̄}: layer n+1's block on h^n_t, with
    the pre-activation gradient of layer ``of`` (n+1 is right)."""
    return (_blk(m.W_u[n + 1], k, m.sizes[n + 1]).T
            * _blk(_sweep(m)["da"][of][t], k, m.sizes[of]))


# (17)'s four groups of terms at h^1_1 (n = 1, t = 1 < T: all three sources present),
# in the course's form: 1 output, ω, η at t+1; 2 φ, ι at t+1; 3 ω, η above; 4 φ, ι above
_GROUP = {1: lambda m: _out(m, 0, 0) + _nxt(m, 0, 0, "o") + _nxt(m, 0, 0, "g"),
          2: lambda m: _nxt(m, 0, 0, "f") + _nxt(m, 0, 0, "i"),
          3: lambda m: _up(m, 0, 0, "o", 1) + _up(m, 0, 0, "g", 1),
          4: lambda m: _up(m, 0, 0, "f", 1) + _up(m, 0, 0, "i", 1)}


def _dh11(**rows):
    """∂L/∂h^1_1 by eq. (17): the groups given (``g3=…``) as transcribed, the rest right."""
    def hand(m):
        return sum(((rows[f"g{j}"] if f"g{j}" in rows else _GROUP[j])(m) for j in (1, 2, 3, 4)),
                   sp.zeros(m.sizes[0], 1))
    return hand


def _zero(m):
    """Literally ∂a^n_{k,t}/∂h^n_t = 0: a^n_t is computed before h^n_t."""
    return sp.zeros(m.sizes[0], 1)


# ------------------------------------------------------------------ eqs. (20)–(22), at η^1_1

def _eta11(dh_by_eta):
    """Eq. (20) at layer 1, step 1, every term of step 2 written out; ∂h/∂η given."""
    def hand(m):
        S, H = _sweep(m), m.sizes[0]
        da2 = S["da"][0][1]
        return (odot(S["dh"][0][0], dh_by_eta(m))
                + odot(m.f[0][1], S["dc"][0][1])                       # φ_{t+1} ∂L/∂η_{t+1}
                + odot(m.p_f[0], _blk(da2, "f", H))                    # w_ηφ ∂L/∂a_φ,t+1
                + odot(m.p_i[0], _blk(da2, "i", H)))                   # w_ηι ∂L/∂a_ι,t+1
    return hand


def _dh_by_eta_total(m):
    """Eq. (21): ∂h/∂η inside the step, through ω (the peephole) and through g(η)."""
    o, tanh_c, one = m.o[0][0], m.tanh_c[0][0], m.ones[0]
    return odot(m.p_o[0], o, one - o, tanh_c) + odot(o, one - square(tanh_c))


def _dh_by_eta_local(m):
    """ω g'(η) alone: the partial with ω held fixed."""
    o, tanh_c, one = m.o[0][0], m.tanh_c[0][0], m.ones[0]
    return odot(o, one - square(tanh_c))


def _dc_last(m):
    """∂L/∂η^1_T by eq. (22) with nothing from step T+1: the in-step paths only."""
    o, tanh_c, one = m.o[0][-1], m.tanh_c[0][-1], m.ones[0]
    return odot(_sweep(m)["dh"][0][-1], odot(m.p_o[0], o, one - o, tanh_c)
                + odot(o, one - square(tanh_c)))


def _eq22(m):
    """Eq. (22), second line, at layer 1, step 1: the five paths with (18) for ∂L/∂a_ω."""
    S, one, H = _sweep(m), m.ones[0], m.sizes[0]
    o, tanh_c, dh = m.o[0][0], m.tanh_c[0][0], S["dh"][0][0]
    da2 = S["da"][0][1]
    return (odot(m.p_o[0], _blk(S["da"][0][0], "o", H))                # w_ηω ∂L/∂a_ω,t
            + odot(o, one - square(tanh_c), dh)                        # ω g'(η) ∂L/∂h
            + odot(m.f[0][1], S["dc"][0][1])
            + odot(m.p_f[0], _blk(da2, "f", H)) + odot(m.p_i[0], _blk(da2, "i", H)))


# ------------------------------------------------------------------ numbers

def _loss_reads_T_plus_1():
    """lstm_ref's loss of T steps reads T + 1 symbols: x_{T+1} is the last target."""
    K, sizes, T, B = 4, (3, 2), 5, 2
    rng = np.random.default_rng(1)
    params = lstm_ref.init_stack_params(_DIAG, K, sizes, rng)
    symbols = rng.integers(0, K, size=(T + 1, B))
    J, _ = lstm_ref.stack_loss(symbols, params, _DIAG)
    logits, _ = lstm_ref.stack_forward(symbols[:-1], params, _DIAG)
    picked = np.take_along_axis(lstm_ref.log_softmax(logits), symbols[1:, :, None], axis=2)
    gap = abs(J + picked.sum()) / abs(J)
    what = (f"lstm_ref.stack_loss on T + 1 = {T + 1} symbols (T = {T} steps, B = {B}) "
            f"equals −Σ_t log ŷ_(t,x_(t+1))")
    if gap < 1e-12:
        return Outcome("holds", what + " to 1e-12")
    return Outcome("false", what + ": it does not", f"relative gap {gap:.3g}")


# ------------------------------------------------------------------ LaTeX pieces

_L = r"\mathcal{L}(\mathbf{X})"


def _dL(x: str) -> str:
    return rf"\frac{{\partial {_L}}}{{\partial {x}}}"


def _pair(a: str, upto: str) -> str:
    """Σ_{d̄=1}^{upto} ∂L/∂a ∂a/∂h^n_{t,d} (a written with index d̄)."""
    return (rf"\sum_{{\bar{{d}}=1}}^{{{upto}}} {_dL(a)} "
            rf"\frac{{\partial {a}}}{{\partial h_{{t,d}}^n}}")


def _wsum(w: str, a: str, upto: str) -> str:
    """Σ_{d̄=1}^{upto} w_{·,d̄d} ∂L/∂a."""
    return rf"\sum_{{\bar{{d}}=1}}^{{{upto}}} {w} {_dL(a)}"


def _gate(letter, prev, lhs, equiv):
    """Eqs. (1), (2), (4): gate ``letter`` with the peephole on η_{prev}."""
    W_h = r"\mathbf{W}_{hu}^n" if letter == r"\iota" else rf"\mathbf{{W}}_{{h{letter}}}^n"
    return (r"\begin{aligned}"
            rf"{lhs} &= f(\mathbf{{W}}_{{x{letter}}}^n \mathbf{{x}}_t "
            rf"+ \mathbf{{W}}_{{h-{letter}}}^n \mathbf{{h}}_t^{{n-1}} "
            rf"+ {W_h} \mathbf{{h}}_{{t-1}}^n \\ &\qquad "
            rf"+ \mathbf{{w}}_{{\eta{letter}}}^n \odot \boldsymbol{{\eta}}_{{{prev}}}^n "
            rf"+ \mathbf{{b}}_{letter}^n) \equiv f({equiv})"
            r"\end{aligned}")


def _unit(letter, prev, lhs, equiv):
    """Eqs. (6), (7), (9): unit d of gate ``letter``."""
    w_h = r"\mathbf{w}_{hu,d}^{n\top}" if letter == r"\iota" else \
        rf"\mathbf{{w}}_{{h{letter},d}}^{{n\top}}"
    return (r"\begin{aligned}"
            rf"{lhs} &= f(\mathbf{{w}}_{{x{letter},d}}^{{n\top}} \mathbf{{x}}_t "
            rf"+ \mathbf{{w}}_{{h-{letter},d}}^{{n\top}} \mathbf{{h}}_t^{{n-1}} "
            rf"+ {w_h} \mathbf{{h}}_{{t-1}}^n \\ &\qquad "
            rf"+ \mathbf{{w}}_{{\eta{letter},d}}^n \eta_{{{prev},d}}^n "
            rf"+ \mathbf{{b}}_{{{letter},d}}^n) \equiv f({equiv})"
            r"\end{aligned}")


# ------------------------------------------------------------------ §1: forward pass
# Checked at layer n = 2, step t = 1 (index [1][0]): both h blocks act, h^2_0 and
# η^2_0 are the initial states (leaves), and the expressions stay small.

def _gate_fwd(k, peep_state):
    """σ of 001's gate argument, with ``W_hu`` read as ``W_hι``, for gate k of layer 2."""
    return lambda m: (_x(m, k, 1, 0) + _below(m, k, 1, 0) + _rec(m, k, 1, 0)
                      + odot(getattr(m, f"p_{k}")[1], peep_state(m))
                      + getattr(m, f"b_{k}")[1]).applyfunc(Sigmoid)


def _cand_arg(m):
    """a^n_η of eq. (3) at layer 2, step 1."""
    return _x(m, "g", 1, 0) + _below(m, "g", 1, 0) + _rec(m, "g", 1, 0) + m.b_g[1]


def _unit_fwd(k, peep_state):
    """Eqs. (6)–(9): unit d, rows d of the blocks (w^T_{·,d}), at layer 2, step 1."""
    def rhs(m):
        H = m.sizes[1]
        out = []
        for d in range(H):
            arg = (_row(_blk(m.W_x[1], k, H), d) * _e(m, 0)
                   + _row(_blk(m.W_u[1], k, H), d) * m.h[0][0]
                   + _row(_blk(m.W_h[1], k, H), d) * m.h0[1])[0]
            if k != "g":
                arg += getattr(m, f"p_{k}")[1][d] * peep_state(m)[d]
            arg += getattr(m, f"b_{k}")[1][d]
            out.append(arg)
        return sp.Matrix(out)
    return rhs


def _logits(m):
    """Eq. (11): b_y + Σ_n W^n_hy h^n_t at t = 1."""
    return m.b_y + m.W_y[0] * m.h[0][0] + m.W_y[1] * m.h[1][0]


def _logits_entries(m):
    """Eq. (12): entry k, the double sum over layers and units."""
    return sp.Matrix([m.b_y[k] + sum(m.W_y[n][k, d] * m.h[n][0][d]
                                     for n in range(m.N) for d in range(m.sizes[n]))
                      for k in range(m.K)])


def _softmax(v):
    S = sum((sp.exp(v[k]) for k in range(v.shape[0])), sp.S.Zero)
    return sp.Matrix([sp.exp(v[k]) / S for k in range(v.shape[0])])


_S1 = (
    Claim("001-1-01", "§1, eq. (1)",
          _gate(r"\iota", "t-1", r"\iota_t^n", r"\mathbf{a}_{\iota,t}^n"),
          (Reading(r"as written, $\mathbf W^n_{hu}$ read as $\mathbf W^n_{h\iota}$", "",
                   forward(lambda m: m.i[1][0], _gate_fwd("i", lambda m: m.c0[1]), "stack")),),
          damage=r"$\mathbf W^n_{hu}$ is extraction damage of $\mathbf W^n_{h\iota}$ "
                 r"(eq. (17) writes $w^n_{h\iota,\bar d d}$)",
          note=r"The input gate's peephole reads the old state $c^n_{t-1}$; "
               r"$\mathbf W^n_{h-\iota}$ is the block on the layer below, the course's "
               r"$W^n_u$.",
          chapters=("stacked_lm", "peepholes")),
    Claim("001-1-02", "§1, eq. (2)",
          _gate(r"\phi", "t-1", r"\phi_t^n", r"\mathbf{a}_{\phi,t}^n"),
          (Reading("as written", "",
                   forward(lambda m: m.f[1][0], _gate_fwd("f", lambda m: m.c0[1]), "stack")),),
          chapters=("stacked_lm", "peepholes")),
    Claim("001-1-03", "§1, eq. (3)",
          r"\begin{aligned}\eta_t^n &= \phi_t^n \odot \boldsymbol{\eta}_{t-1}^n "
          r"+ \iota_t^n \odot g(\mathbf{W}_{x\eta}^n \mathbf{x}_t \\ &\qquad "
          r"+ \mathbf{W}_{h-\eta}^n \mathbf{h}_t^{n-1} + \mathbf{W}_{h\eta}^n "
          r"\mathbf{h}_{t-1}^n + \mathbf{b}_\eta^n) \\ "
          r"&\equiv \phi_t^n \odot \boldsymbol{\eta}_{t-1}^n + \iota_t^n \odot "
          r"g(\mathbf{a}_{\eta,t}^n)\end{aligned}",
          (Reading(r"as written, $g = \tanh$ (001-1-06, R1)", "",
                   forward(lambda m: m.c[1][0],
                           lambda m: odot(m.f[1][0], m.c0[1])
                           + odot(m.i[1][0], _cand_arg(m).applyfunc(Tanh)), "stack")),),
          damage="left side not set bold (typographic)",
          note=r"The candidate $g(\mathbf a^n_{\eta,t})$ has no peephole.",
          chapters=("stacked_lm", "peepholes")),
    Claim("001-1-04", "§1, eq. (4)",
          _gate(r"\omega", "t", r"\omega_t^n", r"\mathbf{a}_{\omega,t}^n"),
          (Reading("as written", "",
                   forward(lambda m: m.o[1][0], _gate_fwd("o", lambda m: m.c[1][0]),
                           "stack")),),
          note=r"The output gate's peephole reads the new state $c^n_t$, so $o^n_t$ comes "
               r"after $c^n_t$.",
          chapters=("stacked_lm", "peepholes")),
    Claim("001-1-05", "§1, eq. (5)",
          r"\mathbf{h}_t^n = \omega_t^n \odot g(\boldsymbol{\eta}_t^n)",
          (Reading(r"as written, $g = \tanh$", "",
                   forward(lambda m: m.h[1][0],
                           lambda m: odot(m.o[1][0], m.c[1][0].applyfunc(Tanh)), "stack")),),
          chapters=("stacked_lm", "peepholes")),
    Claim("001-1-06", "§1, line before eq. (1)",
          r"f,\ g:\ \text{sigmoid functions}",
          (Reading(r"R1: $g$ is $\tanh$ (sigmoid-shaped)", r"f = \sigma, \quad g = \tanh",
                   forward(lambda m: sp.Matrix.vstack(m.f, m.g, m.h),
                           lambda m: sp.Matrix.vstack(
                               m.a_f.applyfunc(Sigmoid), m.a_g.applyfunc(Tanh),
                               odot(m.o, m.c.applyfunc(Tanh))), "cell11")),
           Reading(r"R2: $g$ is the logistic function, like $f$", r"f = g = \sigma",
                   forward(lambda m: sp.Matrix.vstack(m.f, m.g, m.h),
                           lambda m: sp.Matrix.vstack(
                               m.a_f.applyfunc(Sigmoid), m.a_g.applyfunc(Sigmoid),
                               odot(m.o, m.c.applyfunc(Sigmoid))), "cell11"))),
          correction=Correction(
              r"\begin{aligned}&f = \sigma:\ f_t, i_t, o_t; \\ &g = \tanh:\ "
              r"g_t = \tanh(a_{g,t}),\ h_t = o_t \odot \tanh(c_t)\end{aligned}",
              forward(lambda m: sp.Matrix.vstack(m.f, m.g, m.h),
                      lambda m: sp.Matrix.vstack(m.a_f.applyfunc(Sigmoid),
                                                 m.a_g.applyfunc(Tanh),
                                                 odot(m.o, m.c.applyfunc(Tanh))), "cell11")),
          damage="“sigmoid” names a shape (tanh is one) or the logistic function",
          note=r"R2 is another cell than the one the course checks; §3's rule "
               r"$f' = 1 - f^2$ for $\tanh$ ({ref}`001-3-20 <errata-001-3-20>`) is needed "
               r"only under R1."),
    Claim("001-1-07", "§1, eq. (6)",
          _unit(r"\iota", "t-1", r"\iota_{t,d}^n", r"a_{\iota,t,d}^n"),
          (Reading(r"as written, $\mathbf w^n_{hu,d}$ read as $\mathbf w^n_{h\iota,d}$", "",
                   forward(lambda m: m.i[1][0],
                           lambda m: _unit_fwd("i", lambda m: m.c0[1])(m).applyfunc(Sigmoid),
                           "stack")),),
          damage=r"$\mathbf w^n_{hu,d}$ for $\mathbf w^n_{h\iota,d}$ (as in eq. (1)); "
                 r"scalars set bold",
          note=r"Unit $d$ of eq. (1): $\mathbf w^{n\top}_{x\iota,d}$ is row $d$ of "
               r"$\mathbf W^n_{x\iota}$."),
    Claim("001-1-08", "§1, eq. (7)",
          _unit(r"\phi", "t-1", r"\phi_{t,d}^n", r"a_{\phi,t,d}^n"),
          (Reading("as written", "",
                   forward(lambda m: m.f[1][0],
                           lambda m: _unit_fwd("f", lambda m: m.c0[1])(m).applyfunc(Sigmoid),
                           "stack")),),
          damage="scalars set bold"),
    Claim("001-1-09", "§1, eq. (8)",
          r"\begin{aligned}\eta_{t,d}^n &= \phi_{t,d}^n \eta_{t-1,d}^n + \iota_{t,d}^n "
          r"g(\mathbf{w}_{x\eta,d}^{n\top} \mathbf{x}_t \\ &\qquad "
          r"+ \mathbf{w}_{h-\eta,d}^{n\top} \mathbf{h}_t^{n-1} "
          r"+ \mathbf{w}_{h\eta,d}^{n\top} \mathbf{h}_{t-1}^n + \mathbf{b}_{\eta,d}^n) \\ "
          r"&\equiv \phi_{t,d}^n \eta_{t-1,d}^n + \iota_{t,d}^n g(a_{\eta,t,d}^n)"
          r"\end{aligned}",
          (Reading(r"as written, $g = \tanh$", "",
                   forward(lambda m: m.c[1][0],
                           lambda m: odot(m.f[1][0], m.c0[1]) + odot(
                               m.i[1][0], _unit_fwd("g", None)(m).applyfunc(Tanh)),
                           "stack")),),
          damage="scalar set bold"),
    Claim("001-1-10", "§1, eq. (9)",
          _unit(r"\omega", "t", r"\omega_{t,d}^n", r"a_{\omega,t,d}^n"),
          (Reading("as written", "",
                   forward(lambda m: m.o[1][0],
                           lambda m: _unit_fwd("o", lambda m: m.c[1][0])(m).applyfunc(
                               Sigmoid), "stack")),),
          damage="scalars set bold"),
    Claim("001-1-11", "§1, eq. (10)",
          r"h_{t,d}^n = \omega_{t,d}^n g(\eta_{t,d}^n)",
          (Reading(r"as written, $g = \tanh$", "",
                   forward(lambda m: m.h[1][0],
                           lambda m: sp.Matrix([m.o[1][0][d] * Tanh(m.c[1][0][d])
                                                for d in range(m.sizes[1])]), "stack")),)),
    Claim("001-1-54", "§1, eqs. (1)–(4) and (6)–(9) at n = 1",
          r"\mathbf{W}_{h-k}^1 \mathbf{h}_t^{0}:\ \mathbf{h}_t^{0}\ \text{never defined}",
          (), kind="omission",
          correction=Correction(
              r"a^1_t = W^1_x e_{x_t} + W^1_h h^1_{t-1} + b^1\ \ (\text{no } W^1_u)",
              forward(lambda m: m.a[0][1],
                      lambda m: m.W_x[0] * _e(m, 1) + m.W_h[0] * m.h[0][0] + m.b[0],
                      "stack")),
          note=r"Layer 1 reads the word and its own past only; the course sets "
               r"$z^1_t = h^1_{t-1}$ ($D_0 = 0$ in 001's letters).",
          chapters=("stacked_lm",)),
    Claim("001-1-12", "§1, eq. (11), logits",
          r"\hat{\mathbf{y}}_t = \mathbf{b}_y + \sum_{n=1}^N \mathbf{W}_{hy}^n \mathbf{h}_t^n",
          (Reading("as written", "", forward(lambda m: m.v[0], _logits, "stack")),),
          note=r"001's $\hat{\mathbf y}_t$ are the logits, the course's $v_t$; every layer "
               r"feeds the output.",
          chapters=("stacked_lm", "losses")),
    Claim("001-1-13", "§1, eq. (11), softmax",
          r"\mathbf{y}_t \equiv \frac{\exp(\hat{\mathbf{y}}_{t,k})}"
          r"{\sum_{k'=1}^K \exp(\hat{\mathbf{y}}_{t,k'})}",
          (Reading(r"R1: the left side read as entry $k$", r"y_{t,k} \equiv \dots",
                   forward(lambda m: m.y_hat[0], lambda m: _softmax(m.v[0]), "head")),
           Reading(r"R2: literally, the vector equals entry $k$ ($k = 1$ here)", "",
                   forward(lambda m: m.y_hat[0],
                           lambda m: sp.exp(m.v[0][0])
                           / sum(sp.exp(m.v[0][j]) for j in range(m.K)), "head"))),
          correction=Correction(
              r"\hat y_{t,k} = \frac{e^{v_{t,k}}}{\sum_{k'=1}^K e^{v_{t,k'}}}, \quad "
              r"\hat y_t = \operatorname{softmax}(v_t)",
              forward(lambda m: m.y_hat[0], lambda m: _softmax(m.v[0]), "head")),
          damage=r"a vector on the left, entry $k$ on the right",
          note="Eq. (12) writes the entry form."),
    Claim("001-1-14", "§1, eq. (12), logits",
          r"\hat{y}_{t,k} = b_{y,k} + \sum_{n=1}^N \sum_{d=1}^{D_n} w_{hy,kd}^n h_{t,d}^n",
          (Reading("as written", "", forward(lambda m: m.v[0], _logits_entries, "stack")),)),
    Claim("001-1-15", "§1, eq. (12), softmax",
          r"y_{t,k} \equiv \frac{\exp(\hat{y}_{t,k})}{\sum_{k'=1}^K \exp(\hat{y}_{t,k'})}",
          (Reading("as written", "",
                   forward(lambda m: sp.Matrix.vstack(*m.y_hat),
                           lambda m: sp.Matrix.vstack(*[_softmax(v) for v in m.v]), "head")),),
          chapters=("stacked_lm", "losses")),
)


# ------------------------------------------------------------------ §2: the loss

def _picked(m, form):
    """Σ_t of a function of step t's logits and target."""
    return sum((form(m, t, m.targets[t]) for t in range(len(m.targets))), sp.S.Zero)


_S2 = (
    Claim("001-2-16", "§2, eq. (13), first member",
          r"\mathcal{L}(\mathbf{X}) = -\sum_{t=1}^T \log y_{t,x_{t+1}}",
          (Reading(r"R1: $x_{t+1}$ the index of the next word", "",
                   forward(lambda m: m.J,
                           lambda m: _picked(m, lambda m, t, x: -sp.log(m.y_hat[t][x])),
                           "head")),),
          damage=r"$x_{t+1}$ used as an index, though §1 makes $\mathbf x_t$ a one-hot "
                 r"vector",
          note="The course's loss, the next symbol's negative log-likelihood; its last "
               "target lies outside the data as §1 defines them "
               "({ref}`001-2-55 <errata-001-2-55>`).",
          chapters=("stacked_lm",)),
    Claim("001-2-55", "§1 (the data) and eq. (13)",
          r"\mathbf{X} \equiv (\mathbf{x}_1, \dots, \mathbf{x}_T), \ \text{but (13) reads }"
          r"x_{T+1}",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned}&x_1, \dots, x_{T+1}:\ \text{inputs } x_1, \dots, x_T,\\ "
              r"&\text{targets } x_2, \dots, x_{T+1}\end{aligned}",
              numeric(_loss_reads_T_plus_1)),
          note="The sequence needs one word more than the steps it runs, or the sum of "
               "eq. (13) must stop at $T - 1$.",
          chapters=("stacked_lm",)),
    Claim("001-2-17", "§2, eq. (13), second member",
          r"= -\sum_{t=1}^T \log \frac{\exp(\hat{y}_{t,x_{t+1}})}"
          r"{\sum_{k=1}^K \exp(\hat{y}_{t,k})}",
          (Reading("as written", "",
                   forward(lambda m: m.J,
                           lambda m: _picked(m, lambda m, t, x: -sp.log(
                               sp.exp(m.v[t][x])
                               / sum(sp.exp(m.v[t][k]) for k in range(m.K)))),
                           "head")),),
          chapters=("stacked_lm", "losses")),
    Claim("001-2-18", "§2, eq. (13), third member",
          r"= -\sum_{t=1}^T \hat{y}_{t,x_{t+1}} + \sum_{t=1}^T \log \left\{ \sum_{k=1}^K "
          r"\exp(\hat{y}_{t,k}) \right\}",
          (Reading("as written", "",
                   forward(lambda m: m.J,
                           lambda m: _picked(m, lambda m, t, x: -m.v[t][x])
                           + _picked(m, lambda m, t, x: sp.log(
                               sum(sp.exp(m.v[t][k]) for k in range(m.K)))),
                           "head")),),
          chapters=("stacked_lm", "losses")),
)


# ------------------------------------------------------------------ §3: f' and g'

_s = sp.Symbol("a", real=True)
_logistic = 1 / (1 + sp.exp(-_s))

_S3 = (
    Claim("001-3-19", "§3, first line (logistic)",
          r"f(a) = \frac{1}{1+\exp(-a)} \;\Rightarrow\; f'(a) = f(a)(1-f(a))",
          (Reading("as written", "",
                   equals(lambda: sp.diff(_logistic, _s), lambda: _logistic * (1 - _logistic))),),
          chapters=("matrix_calculus",)),
    Claim("001-3-20", "§3, first line (tanh)",
          r"f(a) = \tanh(a) \;\Rightarrow\; f'(a) = 1 - f(a)^2",
          (Reading("as written", "",
                   equals(lambda: sp.diff(sp.tanh(_s), _s), lambda: 1 - sp.tanh(_s) ** 2)),),
          note=r"The letter $f$, the gates' logistic function in §1, stands here for the "
               r"$\tanh$ that §1 calls $g$.",
          chapters=("matrix_calculus",)),
)


# ------------------------------------------------------------------ §3.1: output layer

def _dJ_dv(m):
    """SymPy's ∂L/∂ŷ_t (001's logits), both steps stacked."""
    return sp.Matrix([sp.diff(m.J, m.v[t][k]) for t in range(len(m.targets))
                      for k in range(m.K)])


def _eq14_first(m):
    """−∂ŷ_{t,x}/∂ŷ_{t,k} + ∂/∂ŷ_{t,k} log Σ_k̄ exp(ŷ_{t,k̄}), derivatives by SymPy."""
    out = []
    for t, x in enumerate(m.targets):
        v = m.v[t]
        lse = sp.log(sum(sp.exp(v[j]) for j in range(m.K)))
        out += [-sp.diff(v[x], v[k]) + sp.diff(lse, v[k]) for k in range(m.K)]
    return sp.Matrix(out)


def _eq14_second(m):
    """−∂ŷ_{t,x}/∂ŷ_{t,k} + Σ_k̄ exp(ŷ_{t,k̄}) ∂ŷ_{t,k̄}/∂ŷ_{t,k} / Σ_k' exp(ŷ_{t,k'})."""
    out = []
    for t, x in enumerate(m.targets):
        v = m.v[t]
        S = sum(sp.exp(v[j]) for j in range(m.K))
        out += [-sp.diff(v[x], v[k])
                + sum(sp.exp(v[kb]) * sp.diff(v[kb], v[k]) for kb in range(m.K)) / S
                for k in range(m.K)]
    return sp.Matrix(out)


def _eq15(m):
    """Eq. (15) at t = 1, n = 2: both members (SymPy's derivatives, h written out)."""
    t, n = 0, 1
    v = written_out(m.v[t], m)
    hs = [written_out(m.h[j][t], m) for j in range(m.N)]
    first, middle = [], []
    for k in range(m.K):
        for d in range(m.sizes[n]):
            w = m.W_y[n][k, d]
            first.append(sp.diff(v[k], w))
            middle.append(sp.diff(m.b_y[k], w) + sum(
                hs[j][db] * sp.diff(m.W_y[j][k, db], w) + m.W_y[j][k, db] * sp.diff(hs[j][db], w)
                for j in range(m.N) for db in range(m.sizes[j])))
    return sp.Matrix(first + middle)


def _eq15_rhs(m):
    h = written_out(m.h[1][0], m)
    return sp.Matrix([h[d] for k in range(m.K) for d in range(m.sizes[1])] * 2)


_S31 = (
    Claim("001-3.1-21", "§3.1, eq. (14), first member",
          r"\begin{aligned}" + _dL(r"\hat{y}_{t,k}") + r" &= -\frac{\partial "
          r"\hat{y}_{t,x_{t+1}}}{\partial \hat{y}_{t,k}} \\ &\quad + \frac{\partial}{\partial "
          r"\hat{y}_{t,k}} \log \left\{ \sum_{\bar{k}=1}^K \exp(\hat{y}_{t,\bar{k}}) \right\}"
          r"\end{aligned}",
          (Reading("as written", "", equals(_dJ_dv, _eq14_first, "head")),),
          note=r"Only step $t$'s term of eq. (13) contains $\hat{\mathbf y}_t$.",
          chapters=("losses", "stacked_lm")),
    Claim("001-3.1-22", "§3.1, eq. (14), second member",
          r"= -\frac{\partial \hat{y}_{t,x_{t+1}}}{\partial \hat{y}_{t,k}} + "
          r"\frac{\sum_{\bar{k}=1}^K \exp(\hat{y}_{t,\bar{k}}) \frac{\partial "
          r"\hat{y}_{t,\bar{k}}}{\partial \hat{y}_{t,k}}}{\sum_{k=1}^K \exp(\hat{y}_{t,k})}",
          (Reading(r"R1: the denominator's $k$ a dummy index", "",
                   equals(_dJ_dv, _eq14_second, "head")),),
          damage=r"the denominator's summation index $k$ is also the free index",
          chapters=("losses",)),
    Claim("001-3.1-23", "§3.1, eq. (14), result",
          r"= -\left\{ \delta(x_{t+1} = k) - y_{t,k} \right\}",
          (Reading("as written", "",
                   _proves(lambda m: -(m.y[1] - m.y_hat[1]), ("v", 1), "stack")),),
          note=r"$\delta(\cdot)$ is 1 when its argument holds: $\delta v_t = \hat y_t - "
               r"e_{x_{t+1}}$, here at $t = 2$ of the whole stack.",
          chapters=("losses", "stacked_lm")),
    Claim("001-3.1-24", "§3.1, eq. (15)",
          r"\begin{aligned}\frac{\partial \hat{y}_{t,k}}{\partial w_{hy,kd}^n} &= "
          r"\frac{\partial b_{y,k}}{\partial w_{hy,kd}^n} + \sum_{n=1}^N "
          r"\sum_{\bar{d}=1}^{D_n} \Bigl( h_{t,\bar{d}}^n \frac{\partial w_{hy,k\bar{d}}^n}"
          r"{\partial w_{hy,kd}^n} \\ &\qquad + w_{hy,k\bar{d}}^n \frac{\partial "
          r"h_{t,\bar{d}}^n}{\partial w_{hy,kd}^n} \Bigr) = h_{t,d}^n\end{aligned}",
          (Reading(r"R1: the sum's $n$ a dummy $n'$", "", equals(_eq15, _eq15_rhs, "stack")),),
          damage=r"the summation index $n$ is also the free layer index",
          note=r"Checked at $t = 1$, $n = 2$ with $h$ written out: nothing that $h$ depends "
               r"on contains $W_y$.",
          chapters=("stacked_lm",)),
    Claim("001-3.1-25", "§3.1, eq. (16), first member",
          _dL(r"w_{hy,kd}^n") + r" = \sum_{t=1}^T " + _dL(r"\hat{y}_{t,k}")
          + r" \frac{\partial \hat{y}_{t,k}}{\partial w_{hy,kd}^n}",
          (Reading("as written", "",
                   _proves(lambda m: sum((_sweep(m)["dv"][t] * m.h[1][t].T for t in range(m.T)),
                                         sp.zeros(*m.W_y[1].shape)), lambda m: m.W_y[1],
                           "stack")),),
          note=r"With eqs. (14) and (15): $\partial J/\partial W^n_y = \sum_t \delta v_t\, "
               r"h^{n\top}_t$, proved for $n = 2$.",
          chapters=("stacked_lm",)),
    Claim("001-3.1-26", "§3.1, eq. (16), result",
          r"= -\sum_{t=1}^T h_{t,d}^n \left\{ \delta(x_{t+1} = k) - y_{t,k} \right\}",
          (Reading("as written", "",
                   _proves(lambda m: -sum(((m.y[t] - m.y_hat[t]) * m.h[1][t].T
                                           for t in range(m.T)), sp.zeros(*m.W_y[1].shape)),
                           lambda m: m.W_y[1], "stack")),),
          chapters=("stacked_lm",)),
    Claim("001-3.1-27", "§3.1, after eq. (16)",
          _dL(r"b_{y,k}") + r":\ \text{never given}",
          (), kind="omission",
          correction=Correction(
              r"\frac{\partial J}{\partial b_y} = \sum_{t=1}^T (\hat y_t - e_{x_{t+1}})",
              _proves(lambda m: sum(_sweep(m)["dv"], sp.zeros(m.K, 1)), lambda m: m.b_y,
                      "stack")),
          note=r"$\mathbf b_y$ is a parameter of eq. (11).", chapters=("stacked_lm",)),
)


# ------------------------------------------------------------------ §3.2: eq. (17)

_Y = r"\hat{y}_{t,k}"
_DH = _dL(r"h_{t,d}^n")


def _a(gate, step, layer="n"):
    return rf"a_{{\{gate},{step},\bar{{d}}}}^{{{layer}}}"


def _w(kind, layer="n"):
    return rf"w_{{{kind},\bar{{d}}d}}^{{{layer}}}"


_FIRST_R1 = r"R1: literally, $\partial a^n_{\cdot,t}/\partial h^n_t = 0$"
_FIRST_R2 = (r"R2: layer $n+1$'s weights $w^{n+1}_{h-\cdot}$ with layer $n$'s "
             r"$\partial\mathcal L/\partial a^n_{\cdot,t}$ (in $H = (2, 3)$)")
_FIRST_R3 = r"R3: $a^n$ read as $a^{n+1}$"
_CORRECT_17 = (r"\begin{aligned}\delta h^n_t &= W^{n\top}_y \delta v_t + W^{n\top}_h "
               r"\delta a^n_{t+1} \\ &\quad + W^{n+1\,\top}_u \delta a^{n+1}_t\end{aligned}")


def _first_form_readings(group, r2, r3):
    """Readings R1–R3 of group 3 or 4 of (17)'s first form, each completed by the others."""
    return (Reading(_FIRST_R1, "", _proves(_dh11(**{f"g{group}": _zero}), ("h", 0, 0),
                                           "stack")),
            Reading(_FIRST_R2, "", _proves(_dh11(**{f"g{group}": r2}), ("h", 0, 0),
                                           "stack23")),
            Reading(_FIRST_R3, "", _proves(_dh11(**{f"g{group}": r3}), ("h", 0, 0), "stack")))


_S32 = (
    Claim("001-3.2-28", "§3.2, eq. (17), first form, row 1",
          r"\begin{aligned}" + _DH + r" &= \sum_{k=1}^K " + _dL(_Y)
          + rf" \frac{{\partial {_Y}}}{{\partial h_{{t,d}}^n}} \\ &\quad + "
          + _pair(_a("omega", "t+1"), "D_n") + r" \\ &\quad + " + _pair(_a("eta", "t+1"), "D_n")
          + r"\end{aligned}",
          (Reading("as written", "",
                   _proves(_dh11(g1=lambda m: _out(m, 0, 0) + _nxt(m, 0, 0, "o")
                                 + _nxt(m, 0, 0, "g")), ("h", 0, 0), "stack")),),
          note=r"Checked with rows 3–4 read as in the second form: $\partial J/\partial h^1_1$ "
               r"of the stack, all three sources present.",
          chapters=("stacked_lm",)),
    Claim("001-3.2-29", "§3.2, eq. (17), first form, row 2",
          r"\begin{aligned}&+ " + _pair(_a("phi", "t+1"), "D_n") + r" \\ &+ "
          + _pair(_a("iota", "t+1"), "D_n") + r"\end{aligned}",
          (Reading("as written", "",
                   _proves(_dh11(g2=lambda m: _nxt(m, 0, 0, "f") + _nxt(m, 0, 0, "i")),
                           ("h", 0, 0), "stack")),),
          chapters=("stacked_lm",)),
    Claim("001-3.2-30", "§3.2, eq. (17), first form, row 3",
          r"\begin{aligned}&+ " + _pair(_a("omega", "t"), "D_{n+1}") + r" \\ &+ "
          + _pair(_a("eta", "t"), "D_{n+1}") + r"\end{aligned}",
          _first_form_readings(3, lambda m: _up(m, 0, 0, "o", 0) + _up(m, 0, 0, "g", 0),
                               lambda m: _up(m, 0, 0, "o", 1) + _up(m, 0, 0, "g", 1)),
          correction=Correction(
              r"\begin{aligned}&\textstyle\sum_{\bar d} \frac{\partial\mathcal L}{\partial "
              r"a^{n+1}_{\omega,t,\bar d}} \frac{\partial a^{n+1}_{\omega,t,\bar d}}{\partial "
              r"h^n_{t,d}} + \dots \\ &= W^{n+1\,\top}_{u,o} \delta a^{n+1}_{o,t} + "
              r"W^{n+1\,\top}_{u,g} \delta a^{n+1}_{g,t}\end{aligned}",
              _proves(_dh11(), ("h", 0, 0), "stack")),
          damage=r"superscript $n$ on $a$ where the sums (to $D_{n+1}$) and the second form "
                 r"have $n+1$",
          note=r"R1 drops the path down the stack; R2 has the right shape only when "
               r"$D_n = D_{n+1}$, and is wrong then ({doc}`stacked_lm`).",
          chapters=("stacked_lm",)),
    Claim("001-3.2-31", "§3.2, eq. (17), first form, row 4",
          r"\begin{aligned}&+ " + _pair(_a("phi", "t"), "D_{n+1}") + r" \\ &+ "
          + _pair(_a("iota", "t"), "D_{n+1}") + r"\end{aligned}",
          _first_form_readings(4, lambda m: _up(m, 0, 0, "f", 0) + _up(m, 0, 0, "i", 0),
                               lambda m: _up(m, 0, 0, "f", 1) + _up(m, 0, 0, "i", 1)),
          correction=Correction(
              r"W^{n+1\,\top}_{u,f} \delta a^{n+1}_{f,t} + W^{n+1\,\top}_{u,i} "
              r"\delta a^{n+1}_{i,t}",
              _proves(_dh11(), ("h", 0, 0), "stack")),
          damage="as row 3", chapters=("stacked_lm",)),
    Claim("001-3.2-32", "§3.2, eq. (17), the “=” between the two forms",
          r"\text{(17), rows 1–4} \;=\; \text{(17), rows 5–8}",
          (Reading(_FIRST_R1, "", _proves(_dh11(g3=_zero, g4=_zero), ("h", 0, 0), "stack")),
           Reading(_FIRST_R2, "",
                   _proves(_dh11(g3=lambda m: _up(m, 0, 0, "o", 0) + _up(m, 0, 0, "g", 0),
                                 g4=lambda m: _up(m, 0, 0, "f", 0) + _up(m, 0, 0, "i", 0)),
                           ("h", 0, 0), "stack23")),
           Reading(_FIRST_R3, "", _proves(_dh11(), ("h", 0, 0), "stack"))),
          correction=Correction(_CORRECT_17, _proves(_dh11(), ("h", 0, 0), "stack")),
          note=r"Each reading of rows 1–4 is compared with $\partial J/\partial h^1_1$, which "
               r"rows 5–8 give ({ref}`001-3.2-33 <errata-001-3-2-33>` to 36).",
          chapters=("stacked_lm",)),
    Claim("001-3.2-33", "§3.2, eq. (17), second form, row 5",
          r"\begin{aligned}&= \sum_{k=1}^K w_{hy,kd}^n " + _dL(_Y) + r" \\ &\quad + "
          + _wsum(_w(r"h\omega"), _a("omega", "t+1"), "D_n") + " + "
          + _wsum(_w(r"h\eta"), _a("eta", "t+1"), "D_n") + r"\end{aligned}",
          (Reading("as written", "",
                   _proves(_dh11(g1=lambda m: _out(m, 0, 0) + _nxt(m, 0, 0, "o")
                                 + _nxt(m, 0, 0, "g")), ("h", 0, 0), "stack")),),
          chapters=("stacked_lm",)),
    Claim("001-3.2-34", "§3.2, eq. (17), second form, row 6",
          r"+ " + _wsum(_w(r"h\phi"), _a("phi", "t+1"), "D_n") + " + "
          + _wsum(_w(r"h\iota"), _a("iota", "t+1"), "D_n"),
          (Reading("as written", "",
                   _proves(_dh11(g2=lambda m: _nxt(m, 0, 0, "f") + _nxt(m, 0, 0, "i")),
                           ("h", 0, 0), "stack")),),
          note=r"$w^n_{h\iota}$ here confirms the reading of eq. (1)'s $\mathbf W^n_{hu}$.",
          chapters=("stacked_lm",)),
    Claim("001-3.2-35", "§3.2, eq. (17), second form, row 7",
          r"+ " + _wsum(_w(r"h-\omega", "n+1"), _a("omega", "t", "n+1"), "D_{n+1}") + " + "
          + _wsum(_w(r"h-\eta", "n+1"), _a("eta", "t", "n+1"), "D_{n+1}"),
          (Reading("as written", "",
                   _proves(_dh11(g3=lambda m: _up(m, 0, 0, "o", 1) + _up(m, 0, 0, "g", 1)),
                           ("h", 0, 0), "stack")),),
          note=r"The path down the stack: $W^{n+1\,\top}_u \delta a^{n+1}_t$.",
          chapters=("stacked_lm",)),
    Claim("001-3.2-36", "§3.2, eq. (17), second form, row 8",
          r"+ " + _wsum(_w(r"h-\phi", "n+1"), _a("phi", "t", "n+1"), "D_{n+1}") + " + "
          + _wsum(_w(r"h-\iota", "n+1"), _a("iota", "t", "n+1"), "D_{n+1}"),
          (Reading("as written", "",
                   _proves(_dh11(g4=lambda m: _up(m, 0, 0, "f", 1) + _up(m, 0, 0, "i", 1)),
                           ("h", 0, 0), "stack")),),
          chapters=("stacked_lm",)),
    Claim("001-3.2-37", "§3.2, eq. (17) (and (20), (22)) at the edges",
          r"\begin{aligned}&t = T,\ n = N:\ a_{\cdot,T+1}^n,\ \boldsymbol{\eta}_{T+1}^n,\ "
          r"a^{N+1}_{\cdot,t} \\ &\text{never defined}\end{aligned}",
          (), kind="omission",
          correction=Correction(
              r"\delta a^n_{T+1} = 0, \quad \delta c^n_{T+1} = 0, \quad \delta a^{N+1}_t = 0",
              engine(_proved(
                  (lambda m: _out(m, 0, 1) + sum((_up(m, 0, 1, k, 1) for k in "fiog"),
                                                 sp.zeros(2, 1)), ("h", 0, 1)),
                  (lambda m: _out(m, 1, 0) + sum((_nxt(m, 1, 0, k) for k in "fiog"),
                                                 sp.zeros(2, 1)), ("h", 1, 0)),
                  (_dc_last, ("c", 0, 1))), "stack")),
          note=r"Proved at $h^1_2$ and $\eta^1_2$ (last step) and $h^2_1$ (top layer); "
               r"layer 1 has no $W^1_u$ ({ref}`001-1-54 <errata-001-1-54>`).",
          chapters=("stacked_lm",)),
)


# ------------------------------------------------------------------ §3.3: output gates

_S33 = (
    Claim("001-3.3-38", "§3.3, eq. (18)",
          _dL(r"a_{\omega,t,d}^n") + r" = " + _dL(r"h_{t,d}^n")
          + r" \frac{\partial h_{t,d}^n}{\partial a_{\omega,t,d}^n}",
          (Reading("as written", "",
                   _proves(lambda m: odot(m.dh_next, _partial(m.h, m.o, Sigmoid)), "a_o",
                           "cell11")),),
          note=r"$\partial L/\partial h$ is the total of eq. (17) (here `dh_next`); "
               r"$\partial h/\partial a_\omega$ is SymPy's local derivative.",
          chapters=("peepholes", "stacked_lm")),
    Claim("001-3.3-39", "§3.3, eq. (19)",
          r"\frac{\partial h_{t,d}^n}{\partial a_{\omega,t,d}^n} = g(\eta_{t,d}^n) "
          r"f'(a_{\omega,t,d}^n)",
          (Reading("as written", "",
                   _proves(lambda m: odot(m.dh_next, m.tanh_c, m.o, m.ones - m.o), "a_o",
                           "cell11")),),
          note=r"Checked inside eq. (18): $\eta_t$ does not depend on $a_{\omega,t}$.",
          chapters=("peepholes", "stacked_lm")),
)


# ------------------------------------------------------------------ §3.4: states

_W_PHI = r"w_{\eta\phi,d}"
_W_IOTA = r"w_{\eta\iota,d}"
_NEXT = (r"\phi_{t+1,d}^n " + _dL(r"\eta_{t+1,d}^n") + r" \\ &\quad + " + _W_PHI + " "
         + _dL(r"a_{\phi,t+1,d}^n") + " + " + _W_IOTA + " " + _dL(r"a_{\iota,t+1,d}^n"))
_H_ETA = r"\frac{\partial h_{t,d}^n}{\partial \eta_{t,d}^n}"


def _cell_dc(dh_by_eta):
    """∂J/∂η_t in the cell with ∂h/∂η given: dh_next ⊙ ∂h/∂η + dc_next."""
    return lambda m: odot(m.dh_next, dh_by_eta(m)) + m.dc_next


_S34 = (
    Claim("001-3.4-40", "§3.4, eq. (20), first line",
          r"\begin{aligned}" + _dL(r"\eta_{t,d}^n") + " &= " + _DH + " " + _H_ETA
          + r" \\ &\quad + " + _dL(r"\eta_{t+1,d}^n")
          + r" \frac{\partial \eta_{t+1,d}^n}{\partial \eta_{t,d}^n} \\ &\quad + "
          + _dL(r"a_{\phi,t+1,d}^n") + r" \frac{\partial a_{\phi,t+1,d}^n}"
          r"{\partial \eta_{t,d}^n} \\ &\quad + " + _dL(r"a_{\iota,t+1,d}^n")
          + r" \frac{\partial a_{\iota,t+1,d}^n}{\partial \eta_{t,d}^n}\end{aligned}",
          (Reading(r"R1: $\partial h/\partial\eta$ the derivative inside the step, through "
                   r"$\omega$ too (eq. (21))", "",
                   _proves(_eta11(_dh_by_eta_total), ("c", 0, 0), "stack")),
           Reading(r"R2: $\partial h/\partial\eta$ the partial $\omega\, g'(\eta)$, "
                   r"$\omega$ held fixed", "",
                   _proves(_eta11(_dh_by_eta_local), ("c", 0, 0), "stack"))),
          correction=Correction(
              r"\begin{aligned}\frac{dh_t}{dc_t} &= p_o \odot o_t \odot (1 - o_t) \odot "
              r"\tanh(c_t) \\ &\quad + o_t \odot (1 - \tanh^2 c_t)\end{aligned}",
              _proves(_eta11(_dh_by_eta_total), ("c", 0, 0), "stack")),
          damage=r"the consumer $a_{\omega,t}$ of $\eta_t$ is not listed: "
                 r"it hides in $\partial h/\partial\eta$",
          note=r"Eq. (21) computes R1. Checked at $\eta^1_1$, every quantity of step 2 "
               r"written out; nothing comes from layer 2, which reads $h$ only.",
          chapters=("peepholes", "stacked_lm")),
    Claim("001-3.4-41", "§3.4, eq. (20), second line",
          r"\begin{aligned}&= " + _DH + " " + _H_ETA + r" \\ &\quad + " + _NEXT
          + r"\end{aligned}",
          (Reading(r"as written, $\partial h/\partial\eta$ by eq. (21)", "",
                   _proves(_eta11(_dh_by_eta_total), ("c", 0, 0), "stack")),),
          damage=r"$w_{\eta\phi,d}$, $w_{\eta\iota,d}$ lack the superscript $n$",
          chapters=("peepholes", "stacked_lm")),
    Claim("001-3.4-42", "§3.4, eq. (21), first line",
          _H_ETA + r" = g(\eta_{t,d}^n) \frac{\partial \omega_{t,d}^n}{\partial \eta_{t,d}^n} "
          r"+ \omega_{t,d}^n g'(\eta_{t,d}^n)",
          (Reading("as written", "",
                   _proves(_cell_dc(lambda m: odot(m.tanh_c, m.p_o, m.o, m.ones - m.o)
                                    + odot(m.o, m.ones - square(m.tanh_c))), "c", "cell11")),),
          note=r"Checked inside $\partial J/\partial\eta_t$ of one cell, with "
               r"$\partial\omega/\partial\eta = w_{\eta\omega} f'(a_\omega)$ from eq. (4).",
          chapters=("peepholes",)),
    Claim("001-3.4-43", "§3.4, eq. (21), second line",
          r"= w_{\eta\omega,d}^n f'(a_{\omega,t,d}^n) g(\eta_{t,d}^n) + \omega_{t,d}^n "
          r"g'(\eta_{t,d}^n)",
          (Reading("as written", "",
                   _proves(_cell_dc(lambda m: odot(m.p_o, m.o, m.ones - m.o, m.tanh_c)
                                    + odot(m.o, m.ones - square(m.tanh_c))), "c", "cell11")),),
          chapters=("peepholes",)),
    Claim("001-3.4-44", "§3.4, eq. (21), third line",
          r"= w_{\eta\omega,d}^n \frac{\partial h_{t,d}^n}{\partial a_{\omega,t,d}^n} + "
          r"\omega_{t,d}^n g'(\eta_{t,d}^n)",
          (Reading(r"as written, $\partial h/\partial a_\omega$ by eq. (19)", "",
                   _proves(_cell_dc(lambda m: odot(m.p_o, m.tanh_c, m.o, m.ones - m.o)
                                    + odot(m.o, m.ones - square(m.tanh_c))), "c", "cell11")),),
          chapters=("peepholes",)),
    Claim("001-3.4-45", "§3.4, eq. (22), first line",
          r"\begin{aligned}" + _dL(r"\eta_{t,d}^n") + " &= " + _DH + r" \Bigl\{ "
          r"w_{\eta\omega,d}^n \frac{\partial h_{t,d}^n}{\partial a_{\omega,t,d}^n} \\ "
          r"&\qquad + \omega_{t,d}^n g'(\eta_{t,d}^n) \Bigr\} \\ &\quad + " + _NEXT
          + r"\end{aligned}",
          (Reading("as written", "", _proves(_eta11(_dh_by_eta_total), ("c", 0, 0), "stack")),),
          damage=r"$w_{\eta\phi,d}$, $w_{\eta\iota,d}$ lack the superscript $n$",
          chapters=("peepholes", "stacked_lm")),
    Claim("001-3.4-46", "§3.4, eq. (22), second line",
          r"\begin{aligned}&= w_{\eta\omega,d}^n " + _dL(r"a_{\omega,t,d}^n")
          + r" \\ &\quad + \omega_{t,d}^n g'(\eta_{t,d}^n) " + _DH + r" \\ &\quad + " + _NEXT
          + r"\end{aligned}",
          (Reading("as written", "", _proves(_eq22, ("c", 0, 0), "stack")),),
          note=r"The five paths of $\delta c^n_t$; in the stack everything from layer "
               r"$n+1$ arrives through $\partial L/\partial h^n_t$.",
          chapters=("peepholes", "stacked_lm")),
)


# ------------------------------------------------------------------ §3.5: gate inputs

_S35 = (
    Claim("001-3.5-47", "§3.5, eq. (23)",
          r"\begin{aligned}" + _dL(r"a_{\eta,t,d}^n") + r" &= \frac{\partial \eta_{t,d}^n}"
          r"{\partial a_{\eta,t,d}^n} " + _dL(r"\eta_{t,d}^n") + r" \\ &= \iota_{t,d}^n "
          r"g'(a_{\eta,t,d}^n) " + _dL(r"\eta_{t,d}^n") + r"\end{aligned}",
          (Reading("as written", "", engine(_members(
              lambda m: odot(_partial(m.c, m.g, Tanh), _dc_cell(m)),
              lambda m: odot(m.i, m.ones - square(m.g), _dc_cell(m)), "a_g"), "cell11")),),
          note=r"$\partial L/\partial\eta_t$ is the total of eq. (22); the local "
               r"$\partial\eta/\partial a_\eta$ is SymPy's.",
          chapters=("peepholes", "stacked_lm")),
    Claim("001-3.5-48", "§3.5, eq. (24)",
          r"\begin{aligned}" + _dL(r"a_{\phi,t,d}^n") + r" &= \frac{\partial \eta_{t,d}^n}"
          r"{\partial a_{\phi,t,d}^n} " + _dL(r"\eta_{t,d}^n") + r" \\ &= "
          r"f'(a_{\phi,t,d}^n) \eta_{t-1,d}^n " + _dL(r"\eta_{t,d}^n") + r"\end{aligned}",
          (Reading("as written", "", engine(_members(
              lambda m: odot(_partial(m.c, m.f, Sigmoid), _dc_cell(m)),
              lambda m: odot(m.f, m.ones - m.f, m.c_prev, _dc_cell(m)), "a_f"), "cell11")),),
          chapters=("peepholes", "stacked_lm")),
    Claim("001-3.5-49", "§3.5, eq. (25)",
          r"\begin{aligned}" + _dL(r"a_{\iota,t,d}^n") + r" &= \frac{\partial \eta_{t,d}^n}"
          r"{\partial a_{\iota,t,d}^n} " + _dL(r"\eta_{t,d}^n") + r" \\ &= "
          r"f'(a_{\iota,t,d}^n) g(\eta_{t,d}^n) " + _dL(r"\eta_{t,d}^n") + r"\end{aligned}",
          (Reading("as written", "", engine(_members(
              lambda m: odot(_partial(m.c, m.i, Sigmoid), _dc_cell(m)),
              lambda m: odot(m.i, m.ones - m.i, m.tanh_c, _dc_cell(m)), "a_i"), "cell11")),),
          correction=Correction(
              r"\begin{aligned}" + _dL(r"a_{\iota,t,d}^n") + r" &= f'(a_{\iota,t,d}^n)\, "
              r"g(a_{\eta,t,d}^n) " + _dL(r"\eta_{t,d}^n") + r" \\ \delta a_{i,t} &= "
              r"\delta c_t \odot g_t \odot i_t \odot (1 - i_t)\end{aligned}",
              _proves(lambda m: odot(_dc_cell(m), m.g, m.i, m.ones - m.i), "a_i", "cell11")),
          note=r"The first member is right; the second takes $g(\eta_t)$, the squashed state "
               r"of eq. (5), where eq. (3) multiplies $\iota_t$ by the candidate "
               r"$g(a_{\eta,t})$.",
          chapters=("peepholes", "stacked_lm")),
)


# ------------------------------------------------------------------ omissions of §3

def _grad(name):
    return lambda m: _sweep(m)["grads"][name]


_OM = (
    Claim("001-om-50", "§3 as a whole: the layers' weights",
          r"\begin{aligned}&" + _dL(r"\mathbf{W}_{xk}^n") + r",\ " + _dL(r"\mathbf{W}_{hk}^n")
          + r",\ " + _dL(r"\mathbf{W}_{h-k}^n") + r",\ " + _dL(r"\mathbf{b}_{k}^n")
          + r" \\ &(k = \iota, \phi, \eta, \omega):\ \text{never given}\end{aligned}",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned}\frac{\partial J}{\partial W^n} &= \sum_t \delta a^n_t\, "
              r"z^{n\top}_t, \quad \frac{\partial J}{\partial b^n} = \sum_t \delta a^n_t, \\ "
              r"\frac{\partial J}{\partial W^n_x}[:, k] &= \sum_{t:\ x_t = k} \delta a^n_t"
              r"\end{aligned}",
              engine(_proved((_grad("dW_x[0]"), lambda m: m.W_x[0]),
                             (_grad("dW[1]"), lambda m: m.W[1]),
                             (_grad("db[0]"), lambda m: m.b[0])), "stack")),
          note=r"The note stops at $\partial L/\partial\mathbf a$. Proved for $W^1_x$ (word 2 "
               r"read twice: its column sums two steps), $W^2 = [W^2_h\ W^2_u]$ and $b^1$.",
          chapters=("stacked_lm",)),
    Claim("001-om-51", "§3 as a whole: the peephole weights",
          _dL(r"\mathbf{w}_{\eta\iota}^n") + r",\ " + _dL(r"\mathbf{w}_{\eta\phi}^n")
          + r",\ " + _dL(r"\mathbf{w}_{\eta\omega}^n") + r":\ \text{never given}",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned}\frac{\partial J}{\partial p^n} = \sum_t \bigl[&\delta "
              r"a^n_{f,t}\odot c^n_{t-1};\ \delta a^n_{i,t}\odot c^n_{t-1}; \\ "
              r"&\delta a^n_{o,t}\odot c^n_t\bigr]\end{aligned}",
              _proves(_grad("dp[0]"), lambda m: m.p[0], "stack")),
          note=r"The output gate's peephole weight multiplies the new state $c^n_t$, the "
               r"other two the old one.",
          chapters=("stacked_lm", "peepholes")),
    Claim("001-om-52", "§1 and §3: the initial states",
          r"\begin{aligned}&\mathbf{h}_0^n,\ \boldsymbol{\eta}_0^n\ \text{never defined;} "
          r"\\ &\text{their gradients never given}\end{aligned}",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned}\frac{\partial J}{\partial h^n_0} &= W^{n\top}_h \delta a^n_1, "
              r"\\ \frac{\partial J}{\partial c^n_0} &= f^n_1 \odot \delta c^n_1 \\ &\quad "
              r"+ p^n_f \odot \delta a^n_{f,1} + p^n_i \odot \delta a^n_{i,1}\end{aligned}",
              engine(_proved((_grad("dh0[0]"), lambda m: m.h0[0]),
                             (_grad("dc0[0]"), lambda m: m.c0[0])), "stack")),
          note="Needed when the initial states are learned or carried over from the "
               "previous batch; proved for layer 1.",
          chapters=("stacked_lm",)),
    Claim("001-om-53", "§3 as a whole: the order of evaluation",
          r"\begin{aligned}&\text{(17) needs } \partial\mathcal{L}/\partial a^{n+1}_t,\ "
          r"\partial\mathcal{L}/\partial a^n_{t+1}; \\ &\text{(22) needs } "
          r"\partial\mathcal{L}/\partial a^n_{\omega,t}:\ \text{no order given}\end{aligned}",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned}&\text{top layer first; in a layer } t = T, \dots, 1; \\ "
              r"&\text{in a step } \delta h \to \delta a_o \to \delta c \to "
              r"\delta a_f, \delta a_i, \delta a_g\end{aligned}",
              _proves(lambda m: _sweep(m)["da"][0][0], ("a", 0, 0), "stack")),
          note=r"The sweep in this order gives $\delta a^1_1$, the last quantity it reaches; "
               r"step by step from $t = T$, top layer first, works too.",
          chapters=("stacked_lm",)),
)


CLAIMS = _S1 + _S2 + _S3 + _S31 + _S32 + _S33 + _S34 + _S35 + _OM
