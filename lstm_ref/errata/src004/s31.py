"""Source 004, §3.1: the gradient of E_T with respect to the hidden states (the δ^h recursion).

§3.1 starts from ∂E_T/∂s_T = ŷ_T − t_T, passes it through the output layer
(3.1), builds the Jacobians of the gates of step t+1 by h_t ((3.2), (3.3)) and
chains them into the recursion δ^h_t = (∂h_{t+1}/∂h_t) δ^h_{t+1}. It works in
the denominator layout, with basis tensors e_k ⊗ e_i = e_k e_iᵀ.

Models (built once per audit):

* the output layer and E_T: a full-peephole cell with a softmax + CE head
  whose loss is E_T alone (``s31_head``; the upstream dh_next, dc_next are
  set to 0), and one with 004's sizes, x_t, h_t, C_t in R^n (``s31_sizes``);
* the Jacobians ∂X_{t+1}/∂h_t: a full-peephole cell read as step t+1, whose
  h_prev, c_prev are h_t, C_t (``s31_cell``, H = 2, D = 3). A Jacobian is
  checked through the gradient of u·X, u = dh_next: (∂X/∂h_t) u;
* the recursion: a full-peephole sequence of T = 2 steps with the loss
  E_2 = δ^h_2·h_2 alone (``s31_seq``, H = 2, D = 1);
* identities in symbols of their own (``s31_sym``), and 004's output gate
  σ(W_o[x; h; C] + b_o) with three independent arguments, C held fixed
  (``s31_gate``).

004's W_k multiplies the stacked [x; h; C] (x first); its h_t columns are the
course's W_{k,h} (``W_k[:, :H]`` in the engine), its C columns P_k.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import sympy as sp

from lstm_ref import verify
from lstm_ref.family import LSTMConfig
from lstm_ref.verify import Sigmoid, Tanh, dot, odot, square

from ..checks import equals, forward, numeric, proves, written_out
from ..claim import Claim, Correction, Model, Outcome, Reading

__all__ = ["SECTIONS", "MODELS", "CLAIMS"]

SECTIONS = {"3.1": "Gradient of the error with respect to the output (the δ^h recursion)"}

FULL = LSTMConfig(peephole="full")


# --- models ------------------------------------------------------------------------------

def _e(k, n):
    """The unit vector e_k of R^n (k from 0)."""
    return sp.eye(n)[:, k]


def _outer(k, i, n, m=None):
    """004's e_k ⊗ e_i = e_k e_iᵀ (e_k of R^n, e_i of R^m)."""
    return _e(k, n) * _e(i, n if m is None else m).T


def _grad(E, x):
    """∂E/∂x of a scalar E in the denominator layout: a column."""
    return sp.Matrix([E]).jacobian(x).T


def _den(y, x):
    """∂y/∂x of a vector y in the denominator layout: the transposed Jacobian."""
    return y.jacobian(x).T


def _symbols():
    """Symbols of the generic identities: n = 2, m = 3 (s_t = V h_t), u = 3, v = 2."""
    y = verify.vector("y", 2)
    arg = verify.vector("arg", 2)
    return SimpleNamespace(
        y=y, a=sp.Matrix([sp.Function(f"a_{p}")(*y) for p in range(3)]),
        b=verify.vector("b", 3), b_y=sp.Matrix([sp.Function(f"b_{p}")(*y) for p in range(3)]),
        x=verify.vector("x", 3), x_n=verify.vector("x", 2), h=verify.vector("h", 2),
        V=verify.matrix("V", 3, 2),
        C=verify.vector("C", 2), W_o=verify.matrix("W_o", 2, 2), arg=arg,
        phi=sp.Function("phi")(*arg), sig=arg.applyfunc(lambda u: 1 / (1 + sp.exp(-u))),
        tanh=arg.applyfunc(sp.tanh))


def _gate():
    """004's o_{t+1} = σ(W_o[x; h; C] + b_o) with x, h, C independent: C_{t+1} held fixed."""
    H, D = 2, 3
    x, h, C = verify.vector("x", D), verify.vector("h", H), verify.vector("C", H)
    W_o, b_o = verify.matrix("W_o", H, D + 2 * H), verify.vector("b_o", H)
    a = sp.Matrix.vstack(x, h, C)                  # 004's stacked input, x first
    o = (W_o * a + b_o).applyfunc(Sigmoid)
    return SimpleNamespace(H=H, D=D, x=x, h=h, C=C, W_o=W_o, b_o=b_o, a=a, o=o,
                           U=range(D, D + H),      # where h_t sits in a (from 0)
                           W_oh=W_o[:, D:D + H], d_o=sp.diag(*odot(o, sp.ones(H, 1) - o)))


def _head():
    return verify.symbolic_cell(H=2, D=3, config=FULL, head="softmax_ce", V=3)


MODELS = {
    "s31_head": Model("full-peephole cell, H = 2, D = 3, softmax + CE head, m = 3, "
                      "loss E_T alone", _head),
    "s31_sizes": Model("full-peephole cell, x_t, h_t, C_t in R^2, softmax head, m = 3",
                       lambda: verify.symbolic_cell(H=2, D=2, config=FULL, head="softmax_ce",
                                                    V=3)),
    "s31_cell": Model("full-peephole cell as step t+1, H = 2, D = 3 (h_t = h_prev, "
                      "C_t = c_prev; Jacobians times u = dh_next)",
                      lambda: verify.symbolic_cell(H=2, D=3, config=FULL)),
    "s31_seq": Model("full-peephole sequence, T = 2, H = 2, D = 1, loss E_2 = dh_2·h_2 "
                     "alone (δ^h_2 = dh_2)",
                     lambda: verify.symbolic_sequence(T=2, H=2, D=1, config=FULL)),
    "s31_sym": Model("own symbols, n = 2, m = 3", _symbols),
    "s31_gate": Model("o = σ(W_o[x; h; C] + b_o), x, h, C independent, H = 2, D = 3",
                      _gate),
}


# --- losses: source 004's E_T, and u·X for a Jacobian -------------------------------------

def _E_T(site=None):
    """The loss of the last step alone: the cell's upstream dh_next, dc_next (the
    sequence's dc_T) set to 0. ``site`` is the tapped intermediate, if any."""
    def loss(m, g):
        taps = frozenset([site]) if site else frozenset()
        if isinstance(m, verify.SymbolicSequence):
            J, upstream = m.build_terms(taps)[1][-1], list(m.dc_T)
        else:
            J, upstream = m.build(taps)[1], [*m.dh_next, *m.dc_next]
        return J.xreplace({s: 0 for s in upstream})
    return loss


def _u_dot(quantity):
    """The loss u·X(h_prev), u = dh_next: its gradient by h_prev is (∂X/∂h_prev) u."""
    def loss(m, g):
        return dot(m.dh_next, written_out(sp.Matrix(quantity(m)), m))
    return loss


def _jac(quantity, hand, model="s31_cell", **kw):
    """A Jacobian ∂X/∂h_t (denominator layout), checked as (∂X/∂h_t) u = ∂(u·X)/∂h_t."""
    return proves(lambda m: hand(m, m.dh_next), lambda m: m.h_prev, model,
                  loss=_u_dot(quantity), **kw)


# --- the Jacobians of step t+1 by h_t, in the course's atoms -------------------------------

def _wh(m, k):
    """004's W_k^τ read as the block of h_t: the h columns of W_k (W_{k,h})."""
    return m.ns["W_" + k][:, :m.H]


def _step(m, t=None):
    """The atoms of step t+1: the cell's, or step t+1 (code index t) of a sequence."""
    if t is None:
        return SimpleNamespace(f=m.f, i=m.i, o=m.o, g=m.g, tanh_c=m.tanh_c, c_prev=m.c_prev)
    return SimpleNamespace(f=m.f[t], i=m.i[t], o=m.o[t], g=m.g[t], tanh_c=m.tanh_c[t],
                           c_prev=m.c0 if t == 0 else m.c[t - 1])


def _dc_dh(m, s, u):
    """(∂C_{t+1}/∂h_t) u: through f_{t+1}, i_{t+1} and C̃_{t+1}, the gates that read h_t."""
    one = m.ones
    return (_wh(m, "f").T * odot(s.f, one - s.f, s.c_prev, u)
            + _wh(m, "i").T * odot(s.i, one - s.i, s.g, u)
            + _wh(m, "g").T * odot(one - square(s.g), s.i, u))


def _do_dh(m, s, u, total):
    """(∂o_{t+1}/∂h_t) u: (3.3), C_{t+1} held fixed; ``total`` adds h_t → C_{t+1} → o_{t+1}."""
    w = odot(s.o, m.ones - s.o, u)                 # σ' u
    return _wh(m, "o").T * w + (_dc_dh(m, s, m.P_o.T * w) if total else sp.zeros(m.H, 1))


def _dh_dh(m, s, u, total):
    """(∂h_{t+1}/∂h_t) u: the product rule on o_{t+1} ⊙ tanh C_{t+1} (display 21)."""
    one = m.ones
    return (_do_dh(m, s, odot(s.tanh_c, u), total)
            + _dc_dh(m, s, odot(one - square(s.tanh_c), s.o, u)))


def _dh_dh_matrix(m, t, total):
    """∂h_{t+1}/∂h_t as an H×H matrix, column k = (∂h_{t+1}/∂h_t) e_k."""
    return sp.Matrix.hstack(*[_dh_dh(m, _step(m, t), _e(k, m.H), total) for k in range(m.H)])


def _pair(m):
    """∂E_2/∂h_0 of the T = 2 sequence by the (δh, δc) sweep with full peepholes."""
    one = m.ones
    dh, dc = m.dh[m.T - 1], sp.zeros(m.H, 1)      # E_T = δ^h_T·h_T: nothing reaches C_T
    for t in reversed(range(m.T)):
        s = _step(m, t)
        da_o = odot(dh, s.tanh_c, s.o, one - s.o)
        dc = odot(dh, s.o, one - square(s.tanh_c)) + m.P_o.T * da_o + dc   # all five paths
        da_f = odot(dc, s.c_prev, s.f, one - s.f)
        da_i = odot(dc, s.g, s.i, one - s.i)
        da = sp.Matrix.vstack(da_f, da_i, da_o, odot(dc, s.i, one - square(s.g)))
        dh = m.W_h.T * da                          # to h_{t-1}
        dc = odot(dc, s.f) + m.P_f.T * da_f + m.P_i.T * da_i           # to C_{t-1}
    return dh


# --- check helpers -----------------------------------------------------------------------

def _chain(*sides, model):
    """Every equality of a chain s_0 = s_1 = … (each side a function of the model)."""
    links = [equals(sides[k], sides[k + 1], model) for k in range(len(sides) - 1)]

    def check(models):
        for k, link in enumerate(links):
            out = link(models)
            if out.verdict != "holds":
                return Outcome(out.verdict, f"equality {k + 1} of {len(links)}: {out.evidence}",
                               out.counterexample)
        return Outcome("holds", f"all {len(links)} equalities are identities; "
                       f"{models.text(model)}")
    return check


def _sizes(m):
    """004's sizes: s_t in R^m, h_t, C_t, x_t in R^n, in a cell with D = H = n."""
    shapes = {"s_t": m.v.shape, "h_t": m.h.shape, "C_t": m.c.shape, "x_t": m.x.shape}
    text = ", ".join(f"{k} ({r}×{c})" for k, (r, c) in shapes.items())
    if shapes["s_t"] == (m.V, 1) and all(shapes[k] == (m.H, 1) for k in ("h_t", "C_t", "x_t")):
        return Outcome("holds", f"{text}: m = {m.V}, n = {m.H}")
    return Outcome("ill-formed", f"{text}, not m = {m.V}, n = {m.H}")


def _sum_reading(m):
    """[x_t, h_{t-1}, C_{t-1}] = x_t + h_{t-1} + C_{t-1} at D = 3, n = 2."""
    try:
        m.x + m.h_prev + m.c_prev
    except sp.ShapeError as err:
        return Outcome("false", "the sum reading needs D = n",
                       f"D = {m.D}, n = {m.H}: x_t + h_(t-1) does not conform "
                       f"({str(err).rstrip('.')})")
    return Outcome("holds", f"x_t + h_(t-1) + C_(t-1) is defined at D = {m.D}, n = {m.H}")


def _tensor_product(m):
    """⊗ read literally: ∂(a(y) bᵀ)/∂y has three indices, (∂a/∂y) diag(b) two."""
    left = sp.derive_by_array(m.a * m.b.T, list(m.y))
    right = _den(m.a, m.y) * sp.diag(*m.b)
    if left.shape != right.shape:
        return Outcome("ill-formed", f"∂(a(y) bᵀ)/∂y has the shape {left.shape}, "
                       f"(∂a/∂y) diag(b) the shape {right.shape}")
    return Outcome("holds", "shapes agree")


def _depend_on_h(m):
    """The Jacobians of f_{t+1}, i_{t+1}, C̃_{t+1} by h_t at a seeded point: not zero."""
    rng = np.random.default_rng(31)
    leaves = [*m.W, *m.b, *m.p, *m.x, *m.h_prev, *m.c_prev]
    point = {s: sp.Float(rng.uniform(-1, 1), 30) for s in leaves}
    sizes = {}
    for name, X in (("f", m.f), ("i", m.i), ("C̃", m.g)):
        jac = written_out(sp.Matrix(X), m).jacobian(m.h_prev).xreplace(point)
        sizes[name] = max(abs(float(sp.N(e, 20))) for e in jac)
    text = ", ".join(f"max |∂{k}_(t+1)/∂h_t| = {v:.4g}" for k, v in sizes.items())
    if min(sizes.values()) > 0:
        return Outcome("holds", f"at a seeded point (rng 31): {text}; full-peephole cell, "
                       "H = 2, D = 3")
    return Outcome("false", "a Jacobian vanishes", text)


def _c_zero():
    """The claim ∂C_{t+1}/∂h_t = 0, as a Jacobian."""
    return _jac(lambda m: m.c, lambda m, u: sp.zeros(m.H, 1))


def _c_right():
    """∂C_{t+1}/∂h_t from the three gates of step t+1 (display 20 with displays 17, 18)."""
    return _jac(lambda m: m.c, lambda m, u: _dc_dh(m, _step(m), u))


def _w004(m, k, c):
    """004's W_k[x, h, C] in the course's blocks: W_{k,x} x + W_{k,h} h + P_k C."""
    H = m.H
    W = m.ns["W_" + k]
    return sp.Matrix.hstack(W[:, H:], W[:, :H], m.ns["P_" + k]) * sp.Matrix.vstack(
        m.x, m.h_prev, c)


def _row(n, what=""):
    """A link to row n of this section ("{ref}`004-3.1-05 <errata-004-3-1-05>`")."""
    key = f"{n:02d}" if isinstance(n, int) else n
    return f"{{ref}}`004-3.1-{key}{what} <errata-004-3-1-{key}>`"


def _col_sum(terms, n, m):
    return sum(terms, sp.zeros(n, m))


# --- the corrections, in the course's notation -------------------------------------------

_DC_DH = (r"\begin{aligned}"
          "\n"
          r"\frac{\partial c_{t+1}}{\partial h_t} &= W_{f,h}^\top"
          r"\operatorname{diag}\bigl(f_{t+1}\odot(1-f_{t+1})\odot c_t\bigr)\\"
          "\n"
          r"&\quad + W_{i,h}^\top\operatorname{diag}\bigl(i_{t+1}\odot(1-i_{t+1})"
          r"\odot g_{t+1}\bigr)\\"
          "\n"
          r"&\quad + W_{g,h}^\top\operatorname{diag}\bigl((1-g_{t+1}^2)\odot i_{t+1}\bigr)"
          "\n"
          r"\end{aligned}")

_DH_DH = (r"\begin{aligned}"
          "\n"
          r"\frac{\partial h_{t+1}}{\partial h_t} &= W_{o,h}^\top D_o"
          r" + \frac{\partial c_{t+1}}{\partial h_t}\bigl[P_o^\top D_o\\"
          "\n"
          r"&\qquad + \operatorname{diag}\bigl((1-\tanh^2 c_{t+1})\odot o_{t+1}\bigr)\bigr],\\"
          "\n"
          r"D_o &= \operatorname{diag}\bigl(o_{t+1}\odot(1-o_{t+1})\odot\tanh c_{t+1}\bigr)"
          "\n"
          r"\end{aligned}")


# --- §3.1 -------------------------------------------------------------------------------

def _s_h_columns(m, fn):
    """A 2×3 matrix whose column i is fn(i), a column of R^2 (one per output (s_T)_i)."""
    return sp.Matrix.hstack(*[fn(i) for i in range(3)])


CLAIMS = (
    Claim("004-3.1-01", "§3.1, display 1",
          r"\frac{\partial E_T}{\partial s_T} = \hat{y}_T - t_T",
          (Reading("as written", "",
                   proves(lambda m: m.y_hat - m.y, "v", "s31_head", loss=_E_T("v"))),),
          note=r"It needs $\sum_i (t_T)_i = 1$, which §1 assumes; the course's soft target "
               r"satisfies it by construction.",
          chapters=("losses",)),
    Claim("004-3.1-02", "§3.1, display 2",
          r"\begin{aligned}"
          "\n"
          r"&p \in \{1, ..., u\}, \quad q \in \{1, ..., v\},\\"
          "\n"
          r"&s_t \in \mathbb{R}^m, h_t \in \mathbb{R}^n, C_t \in \mathbb{R}^n,"
          r" x_t \in \mathbb{R}^n"
          "\n"
          r"\end{aligned}",
          (Reading("as written", "", numeric(_sizes, "s31_sizes")),),
          damage=r"$u$ and $v$ are not defined: they are the lengths of $a(y)$ and $y$ in "
                 r"display 3",
          note=r"$x_t \in \mathbb R^n$ is a simplification, $D = H$; the rows below use "
               r"$D \ne H$ where matrices are involved.",
          chapters=("notation",)),
    Claim("004-3.1-03", "§3.1, text after display 2 (formalised)",
          r"x_t \in \mathbb{R}^D,\ D \ne n:\ \text{§3 is derived the same way}",
          (Reading(r"R1: stacked $[x_t, h_{t-1}, C]$, blocks $W_{k,x}$, $W_{k,h}$, $P_k$",
                   r"W_k[x_t, h_{t-1}, C] = W_{k,x} x_t + W_{k,h} h_{t-1} + P_k C",
                   _c_right()),
           Reading(r"R2: the sum $[x_t, h_{t-1}, C] = x_t + h_{t-1} + C$ (used from display 14 on)",
                   r"[x_t, h_{t-1}, C_{t-1}] = x_t + h_{t-1} + C_{t-1}",
                   numeric(_sum_reading, "s31_cell"))),
          kind="claim",
          correction=Correction(
              r"\begin{aligned}"
              "\n"
              r"a_{k,t} &= W_{k,x} x_t + W_{k,h} h_{t-1} + P_k c + b_k,\\"
              "\n"
              r"W_{k,x} &\in \mathbb{R}^{H\times D}"
              "\n"
              r"\end{aligned}",
              forward(lambda m: m.a_i, lambda m: _w004(m, "i", m.c_prev) + m.b_i, "s31_cell")),
          note=r"R1 is checked with the $\partial C_{t+1}/\partial h_t$ of display 20 at "
               r"$D = 3 \ne n = 2$. The sum needs $D = n$.",
          chapters=("peepholes",)),
    Claim("004-3.1-04", "§3.1, display 3, line 1",
          r"\operatorname{diag}(\mathbf{x}) = \sum_{p} x_{p} \cdot e_{p} \otimes e_{p}",
          (Reading("as written", "",
                   equals(lambda m: sp.diag(*m.x),
                          lambda m: _col_sum([m.x[p] * _outer(p, p, 3) for p in range(3)], 3, 3),
                          "s31_sym")),),
          note=r"$\mathbf x$ is any vector, not the input; $e_p \otimes e_p = e_p e_p^\tau$."),
    Claim("004-3.1-05", "§3.1, display 3, line 2",
          r"\begin{aligned}"
          "\n"
          r"\frac{\partial (a(y) \otimes b)}{\partial y}"
          r" &= \sum_{p} \sum_{q} \frac{\partial a(y)_{p}}{\partial y_{q}} \cdot b_{p}"
          r" \cdot e_{q} \otimes e_{p}\\"
          "\n"
          r"&= \sum_{p} b_{p} \sum_{q} \frac{\partial a(y)_{p}}{\partial y_{q}}"
          r" \cdot e_{q} \otimes e_{p}\\"
          "\n"
          r"&= \frac{\partial a(y)}{\partial y} \operatorname{diag}(b)"
          "\n"
          r"\end{aligned}",
          (Reading(r"R1: $\otimes$ on the left is $\odot$, $b$ constant",
                   r"\frac{\partial (a(y) \odot b)}{\partial y}",
                   _chain(lambda m: _den(odot(m.a, m.b), m.y),
                          lambda m: _col_sum([sp.diff(m.a[p], m.y[q]) * m.b[p]
                                              * _outer(q, p, 2, 3)
                                              for p in range(3) for q in range(2)], 2, 3),
                          lambda m: _col_sum([m.b[p] * _col_sum(
                              [sp.diff(m.a[p], m.y[q]) * _outer(q, p, 2, 3) for q in range(2)],
                              2, 3) for p in range(3)], 2, 3),
                          lambda m: _den(m.a, m.y) * sp.diag(*m.b), model="s31_sym")),
           Reading(r"R2: $\otimes$ the tensor product, $a(y)\,b^\tau$", "",
                   numeric(_tensor_product, "s31_sym"))),
          correction=Correction(
              r"\begin{aligned}"
              "\n"
              r"\frac{\partial (p(y)\odot q(y))}{\partial y} &= \frac{\partial p}{\partial y}"
              r"\operatorname{diag}(q)\\"
              "\n"
              r"&\quad + \frac{\partial q}{\partial y}\operatorname{diag}(p)"
              "\n"
              r"\end{aligned}",
              equals(lambda m: _den(odot(m.a, m.b_y), m.y),
                     lambda m: _den(m.a, m.y) * sp.diag(*m.b_y)
                     + _den(m.b_y, m.y) * sp.diag(*m.a), "s31_sym")),
          damage=r"$\otimes$ on the left, where the sums differentiate $a(y)_p\, b_p$",
          note=r"R1 holds for a constant $b$ only. Displays 20 and 21 apply the product rule "
               r"to two factors that both depend on $h_t$: that needs the correction's two "
               r"terms, which the text never states.",
          chapters=("matrix_calculus",)),
    Claim("004-3.1-06", "§3.1, display 3, line 4",
          r"\frac{\partial (h_{T})_{j}}{\partial h_{T}} = e_{j}",
          (Reading("as written, every j", "",
                   equals(lambda m: sp.Matrix.hstack(*[_grad(m.h[j], m.h) for j in range(2)]),
                          lambda m: sp.Matrix.hstack(*[_e(j, 2) for j in range(2)]),
                          "s31_sym")),)),
    Claim("004-3.1-07", "§3.1, display 3, line 5",
          r"\begin{aligned}"
          "\n"
          r"\frac{\partial (s_{T})_{i}}{\partial h_{T}} &= \frac{\partial (Vh_{T})_{i}}"
          r"{\partial h_{T}} = \sum_{j} V_{ij} \cdot \frac{\partial (h_{T})_{j}}"
          r"{\partial h_{T}}\\"
          "\n"
          r"&= \sum_{j} V_{ij} \cdot e_{j}"
          "\n"
          r"\end{aligned}",
          (Reading("as written, every i (s_T = V h_T, V 3×2)", "",
                   _chain(lambda m: _s_h_columns(m, lambda i: _grad((m.V * m.h)[i], m.h)),
                          lambda m: _s_h_columns(m, lambda i: sum(
                              (m.V[i, j] * _grad(m.h[j], m.h) for j in range(2)),
                              sp.zeros(2, 1))),
                          lambda m: _s_h_columns(m, lambda i: sum(
                              (m.V[i, j] * _e(j, 2) for j in range(2)), sp.zeros(2, 1))),
                          model="s31_sym")),),
          note=r"Column $i$ of the check is $\partial (s_T)_i/\partial h_T$, row $i$ of "
               r"$V$ as a column.",
          chapters=("matrix_calculus",)),
    Claim("004-3.1-08", "(3.1)",
          r"\begin{aligned}"
          "\n"
          r"\frac{\partial s_T}{\partial h_T} &= \sum_i \frac{\partial (s_T)_i}{\partial h_T}"
          r" \cdot e_i^{\tau} = \sum_i \sum_j V_{ij} \cdot e_j e_i^{\tau}\\"
          "\n"
          r"&= \sum_i \sum_j V_{ij} \cdot e_j \otimes e_i = V^{\tau}"
          "\n"
          r"\end{aligned}",
          (Reading("as written (V 3×2)", "",
                   _chain(lambda m: _den(m.V * m.h, m.h),
                          lambda m: _col_sum([_grad((m.V * m.h)[i], m.h) * _e(i, 3).T
                                              for i in range(3)], 2, 3),
                          lambda m: _col_sum([m.V[i, j] * _e(j, 2) * _e(i, 3).T
                                              for i in range(3) for j in range(2)], 2, 3),
                          lambda m: _col_sum([m.V[i, j] * _outer(j, i, 2, 3)
                                              for i in range(3) for j in range(2)], 2, 3),
                          lambda m: m.V.T, model="s31_sym")),),
          note=r"The denominator layout: the Jacobian of $V h$ is $V$, its transpose $V^\tau$.",
          chapters=("matrix_calculus",)),
    Claim("004-3.1-09", "§3.1, display 5",
          r"\begin{aligned}"
          "\n"
          r"\frac{\partial E_T}{\partial h_T} &= \frac{\partial E_T}{\partial s_T}"
          r" \frac{\partial s_T}{\partial h_T} = \frac{\partial s_T}{\partial h_T}"
          r" \frac{\partial E_T}{\partial s_T}\\"
          "\n"
          r"&= V^{\tau} (\hat{y}_T - t_T)"
          "\n"
          r"\end{aligned}",
          (Reading("1st product: as multiplied, (m×1)(n×m)",
                   r"(\hat y_T - t_T)\, V^{\tau}",
                   proves(lambda m: (m.y_hat - m.y) * m.W_v.T, "h", "s31_head",
                          loss=_E_T("h"))),
           Reading("2nd product: the rest of the line", r"V^{\tau}(\hat y_T - t_T)",
                   proves(lambda m: m.W_v.T * (m.y_hat - m.y), "h", "s31_head",
                          loss=_E_T("h")))),
          correction=Correction(
              r"\frac{\partial J_T}{\partial h_T} = W_v^\top(\hat y_T - y_T)",
              proves(lambda m: m.W_v.T * (m.y_hat - m.y), "h", "s31_head",
                     loss=_E_T("h"))),
          note=r"The first product is in the numerator order; in 004's own denominator layout "
               r"only the second is a product, as §1 remarks.",
          chapters=("losses", "matrix_calculus")),
    Claim("004-3.1-10", "§3.1, display 6",
          r"\frac{\partial}{\partial arg} = \frac{\partial}{\partial arg_i} e_j",
          (Reading(r"as written: one term, $i = j = 1$, on $\varphi = arg_1\, arg_2$",
                   r"\frac{\partial \varphi}{\partial arg_1} e_1",
                   equals(lambda m: _grad(m.arg[0] * m.arg[1], m.arg),
                          lambda m: sp.diff(m.arg[0] * m.arg[1], m.arg[0]) * _e(0, 2),
                          "s31_sym")),
           Reading(r"R1: a sum over $j$, on any $\varphi(arg)$",
                   r"\sum_j \frac{\partial \varphi}{\partial arg_j} e_j",
                   equals(lambda m: _grad(m.phi, m.arg),
                          lambda m: sum((sp.diff(m.phi, m.arg[j]) * _e(j, 2) for j in range(2)),
                                        sp.zeros(2, 1)), "s31_sym"))),
          correction=Correction(
              r"\frac{\partial}{\partial a} = \sum_j e_j \frac{\partial}{\partial a_j}",
              equals(lambda m: _grad(m.phi, m.arg),
                     lambda m: sum((sp.diff(m.phi, m.arg[j]) * _e(j, 2) for j in range(2)),
                                   sp.zeros(2, 1)), "s31_sym")),
          damage=r"the indices $i$ and $j$ differ and the sum over them is missing",
          note=r"The operator builds the gradient (a column) of what it is applied to."),
    Claim("004-3.1-11", "§3.1, display 7",
          r"(\sigma')_{j} = \frac{\partial \sigma(arg)_{j}}{\partial arg_{j}}"
          r" = \sigma(arg)_{j}(1 - \sigma(arg))_{j}",
          (Reading(r"as written, every $j$, $\sigma(a) = 1/(1 + e^{-a})$", "",
                   equals(lambda m: sp.Matrix([sp.diff(m.sig[j], m.arg[j]) for j in range(2)]),
                          lambda m: odot(m.sig, sp.ones(2, 1) - m.sig), "s31_sym")),),
          chapters=("matrix_calculus",)),
    Claim("004-3.1-12", "(3.2), line 1",
          r"\begin{aligned}"
          "\n"
          r"\sigma' &= \frac{\partial \sigma(arg)}{\partial arg} = \sum_{j} \sum_{k}"
          r" \frac{\partial \sigma(arg)_{j}}{\partial arg_{k}} \cdot e_{k} \otimes e_{j}\\"
          "\n"
          r"&= \sum_{j} \sum_{k} \frac{\partial \sigma(arg)_{j}}{\partial arg_{k}}"
          r" \cdot \delta_{jk} \cdot e_{k} \otimes e_{j}\\"
          "\n"
          r"&= \sum_{j} \frac{\partial \sigma(arg)_{j}}{\partial arg_{j}} e_{j} \otimes e_{j}"
          "\n"
          r"\end{aligned}",
          (Reading(r"as written, $\sigma(a) = 1/(1 + e^{-a})$", "",
                   _chain(lambda m: _den(m.sig, m.arg),
                          lambda m: _col_sum([sp.diff(m.sig[j], m.arg[k]) * _outer(k, j, 2)
                                              for j in range(2) for k in range(2)], 2, 2),
                          lambda m: _col_sum([sp.diff(m.sig[j], m.arg[k]) * int(j == k)
                                              * _outer(k, j, 2)
                                              for j in range(2) for k in range(2)], 2, 2),
                          lambda m: _col_sum([sp.diff(m.sig[j], m.arg[j]) * _outer(j, j, 2)
                                              for j in range(2)], 2, 2), model="s31_sym")),),
          damage=r"$\delta_{jk}$ is the Kronecker delta, not a gradient $\delta^h$",
          chapters=("matrix_calculus",)),
    Claim("004-3.1-13", "(3.2), line 2",
          r"\sigma' = \dots = \operatorname{diag}\left(\frac{\partial}{\partial arg} \odot"
          r" \sigma\right)",
          (Reading(r"R1: entry $j$ of $\frac{\partial}{\partial arg} \odot \sigma$ is "
                   r"$\partial\sigma_j/\partial arg_j$",
                   r"\operatorname{diag}\bigl(\sigma(arg)\odot(1-\sigma(arg))\bigr)",
                   equals(lambda m: _den(m.sig, m.arg),
                          lambda m: sp.diag(*odot(m.sig, sp.ones(2, 1) - m.sig)), "s31_sym")),),
          damage=r"a Hadamard product of an operator and a vector, read entry by entry",
          chapters=("matrix_calculus",)),
    Claim("004-3.1-14", "§3.1, text before display 9 (formalised)",
          r"\frac{\partial x_{t+1}}{\partial h_t} = 0, \quad"
          r" \frac{\partial C_{t+1}}{\partial h_t} = 0",
          (Reading("as written", "", _c_zero()),),
          kind="claim",
          correction=Correction(_DC_DH, _c_right()),
          note=r"The $x_{t+1}$ half is true, the $C_{t+1}$ half false: $f_{t+1}$, $i_{t+1}$ "
               r"and $\tilde C_{t+1}$ read $h_t$. 004 uses it to drop the path "
               r"$h_t \to C_{t+1} \to o_{t+1}$ (" + _row(17) + ", " + _row(35) + ").",
          chapters=("peepholes", "bptt")),
    Claim("004-3.1-15", "§3.1, display 9",
          r"o_{t+1} = \sigma(W_o[x_{t+1}, h_t, C_{t+1}] + b_o)",
          (Reading("as written, stacked reading", "",
                   forward(lambda m: m.o,
                           lambda m: (_w004(m, "o", m.c) + m.b_o).applyfunc(Sigmoid),
                           "s31_cell")),),
          chapters=("peepholes",)),
    Claim("004-3.1-16", "(3.3), the equalities",
          r"\begin{aligned}"
          "\n"
          r"\frac{\partial o_{t+1}}{\partial h_{t}}"
          r" &= \frac{\partial \sigma(W_{o}[x_{t+1}, h_{t}, C_{t+1}] + b_{o})}{\partial h_{t}}\\"
          "\n"
          r"&= \frac{\partial \sigma(W_{o}[x_{t+1}, h_{t}, C_{t+1}] + b_{o})}"
          r"{\partial (W_{o}[x_{t+1}, h_{t}, C_{t+1}] + b_{o})}\\"
          "\n"
          r"&\qquad \cdot \frac{\partial (W_{o}[x_{t+1}, h_{t}, C_{t+1}] + b_{o})}"
          r"{\partial h_{t}}\\"
          "\n"
          r"&= \frac{\partial \sigma(W_{o}[x_{t+1}, h_{t}, C_{t+1}] + b_{o})}"
          r"{\partial (W_{o}[x_{t+1}, h_{t}, C_{t+1}] + b_{o})}"
          "\n"
          r"\end{aligned}",
          (Reading("the product: its factors in the order written",
                   r"\sigma'\,((W_o)_{,U})^{\mathsf T}",
                   equals(lambda m: _den(m.o, m.h), lambda m: m.d_o * m.W_oh.T, "s31_gate")),
           Reading(r"the last line: the factor $\partial(\cdot)/\partial h_t$ dropped",
                   r"\sigma'",
                   equals(lambda m: _den(m.o, m.h), lambda m: m.d_o, "s31_gate")),
           Reading("R1: both factors, in the denominator order",
                   r"((W_o)_{,U})^{\mathsf T}\,\sigma'",
                   equals(lambda m: _den(m.o, m.h), lambda m: m.W_oh.T * m.d_o, "s31_gate"))),
          correction=Correction(
              r"\begin{aligned}"
              "\n"
              r"\left.\frac{\partial o_{t+1}}{\partial h_t}\right|_{c_{t+1}}"
              r" &= \frac{\partial a_{o,t+1}}{\partial h_t}\operatorname{diag}"
              r"\bigl(o_{t+1}\odot(1-o_{t+1})\bigr)\\"
              "\n"
              r"&= W_{o,h}^\top\operatorname{diag}\bigl(o_{t+1}\odot(1-o_{t+1})\bigr)"
              "\n"
              r"\end{aligned}",
              equals(lambda m: _den(m.o, m.h), lambda m: m.W_oh.T * m.d_o, "s31_gate")),
          damage=r"the last equality loses a factor; the product is in the numerator order",
          note=r"With $C_{t+1}$ held fixed, as the text assumes; its result (3.3) has both "
               r"factors in the right order (" + _row(17) + "). $(W_o)_{,U}$ are the $h_t$ "
               r"columns of $W_o$ (" + _row(22) + ")."),
    Claim("004-3.1-17", "(3.3), the result",
          r"\frac{\partial o_{t+1}}{\partial h_t} = W_{o}^{\tau} \sigma'",
          (Reading(r"R1: the partial derivative, $C_{t+1}$ held fixed",
                   r"\left.\frac{\partial o_{t+1}}{\partial h_t}\right|_{C_{t+1}}"
                   r" = ((W_o)_{,U})^{\mathsf T}\sigma'",
                   equals(lambda m: _den(m.o, m.h), lambda m: m.W_oh.T * m.d_o, "s31_gate")),
           Reading(r"R2: the total derivative, which $\partial h_{t+1}/\partial h_t$ needs", "",
                   _jac(lambda m: m.o, lambda m, u: _do_dh(m, _step(m), u, total=False)))),
          correction=Correction(
              r"\begin{aligned}"
              "\n"
              r"\frac{\partial o_{t+1}}{\partial h_t} &= \Bigl[W_{o,h}^\top"
              r" + \frac{\partial c_{t+1}}{\partial h_t} P_o^\top\Bigr]\\"
              "\n"
              r"&\quad \cdot \operatorname{diag}\bigl(o_{t+1}\odot(1-o_{t+1})\bigr)"
              "\n"
              r"\end{aligned}",
              _jac(lambda m: m.o, lambda m, u: _do_dh(m, _step(m), u, total=True))),
          damage=r"$W_o^\tau$ is the block of the $h_t$ columns; $\sigma'$ is taken at "
                 r"$o_{t+1}$'s argument",
          note=r"R2 fails through the output peephole: $o_{t+1}$ sees $C_{t+1}$, which "
               r"depends on $h_t$ (" + _row(14) + r"); $\partial c_{t+1}/\partial h_t$ is "
               + _row(31) + ".",
          chapters=("peepholes",)),
    Claim("004-3.1-18", "§3.1, text after (3.3)",
          r"\begin{aligned}"
          "\n"
          r"&\frac{\partial W_o h_t}{\partial h_t} = W_o^{\tau},\\"
          "\n"
          r"&[x_{t+1}, h_t, C_{t+1}] = x_{t+1} + h_t + C_{t+1}"
          "\n"
          r"\end{aligned}",
          (Reading(r"as written: the sum reading, $x$, $h$, $C \in \mathbb R^n$",
                   r"\frac{\partial\, W_o(x_{t+1} + h_t + C_{t+1})}{\partial h_t} = W_o^{\tau}",
                   equals(lambda m: _den(m.W_o * (m.x_n + m.h + m.C), m.h),
                          lambda m: m.W_o.T, "s31_sym")),),
          note=r"The sum is another model: one $W_o$ for $x_{t+1}$, $h_t$ and $C_{t+1}$ "
               r"alike. In the stacked reading the result is a block of $W_o$ (" + _row(22) + ").",
          chapters=("peepholes",)),
    Claim("004-3.1-19", "§3.1, display 11",
          r"\sum_{u} a_u \cdot e_u = h_t, \quad u \in U",
          (Reading(r"as written: $e_u$ a unit vector of $a$'s space", "",
                   equals(lambda m: sum((m.a[u] * _e(u, m.a.shape[0]) for u in m.U),
                                        sp.zeros(m.a.shape[0], 1)),
                          lambda m: m.h, "s31_gate")),
           Reading(r"R1: $e_u$ shifted into $h_t$'s space, $a = [x_{t+1}; h_t; C_{t+1}]$",
                   r"\sum_{u \in U} a_u\, e_{u-D} = h_t",
                   equals(lambda m: sum((m.a[u] * _e(u - m.D, m.H) for u in m.U),
                                        sp.zeros(m.H, 1)),
                          lambda m: m.h, "s31_gate"))),
          correction=Correction(
              r"h_t = \sum_{u \in U} a_u\, e_{u-D},\ \ U = \{D+1, \dots, D+H\}",
              equals(lambda m: sum((m.a[u] * _e(u - m.D, m.H) for u in m.U), sp.zeros(m.H, 1)),
                     lambda m: m.h, "s31_gate")),
          damage=r"$U$ (the positions of $h_t$ in $a$) is defined only later, by its use",
          note=r"The check has $D = 3$, $H = 2$; with 004's $D = n$ the shift is by $n$."),
    Claim("004-3.1-20", "§3.1, display 12",
          r"\frac{\partial a_j}{\partial h_t} = \begin{cases} e_j, & \text{if } a_j \in h_t"
          r" \\ 0 \end{cases}",
          (Reading(r"as written: $e_j$ a unit vector of $a$'s space", "",
                   equals(lambda m: sp.Matrix.hstack(*[_grad(m.a[j], m.h)
                                                       for j in range(m.a.shape[0])]),
                          lambda m: sp.Matrix.hstack(*[
                              _e(j, m.a.shape[0]) if j in m.U else sp.zeros(m.a.shape[0], 1)
                              for j in range(m.a.shape[0])]), "s31_gate")),
           Reading(r"R1: $e_{j-D}$, a unit vector of $h_t$'s space", "",
                   equals(lambda m: sp.Matrix.hstack(*[_grad(m.a[j], m.h)
                                                       for j in range(m.a.shape[0])]),
                          lambda m: sp.Matrix.hstack(*[
                              _e(j - m.D, m.H) if j in m.U else sp.zeros(m.H, 1)
                              for j in range(m.a.shape[0])]), "s31_gate"))),
          correction=Correction(
              r"\frac{\partial a_j}{\partial h_t} = e_{j-D}\ (j \in U),\ \ 0\ \text{otherwise}",
              equals(lambda m: sp.Matrix.hstack(*[_grad(m.a[j], m.h)
                                                  for j in range(m.a.shape[0])]),
                     lambda m: sp.Matrix.hstack(*[
                         _e(j - m.D, m.H) if j in m.U else sp.zeros(m.H, 1)
                         for j in range(m.a.shape[0])]), "s31_gate")),
          damage=r"$0$ is the zero vector of $\mathbb R^n$",
          note=r"Column $j$ of the check is $\partial a_j/\partial h_t$."),
    Claim("004-3.1-21", "§3.1, display 13, line 1",
          r"\frac{\partial (W_o h_t)_i}{\partial h_t} = \sum_j (W_o)_{ij} \cdot"
          r" \frac{\partial \, a_j}{\partial \, h_t}",
          (Reading(r"as written: $W_o$ the stacked $n \times (D + 2n)$ matrix times $h_t$", "",
                   equals(lambda m: sp.Matrix.hstack(*[_grad((m.W_o * m.h)[i], m.h)
                                                       for i in range(m.H)]),
                          lambda m: sp.zeros(m.H, m.H), "s31_gate")),
           Reading(r"R1: $(W_o a)_i$, $a = [x_{t+1}; h_t; C_{t+1}]$",
                   r"\frac{\partial (W_o a)_i}{\partial h_t}",
                   equals(lambda m: sp.Matrix.hstack(*[_grad((m.W_o * m.a)[i], m.h)
                                                       for i in range(m.H)]),
                          lambda m: sp.Matrix.hstack(*[
                              sum((m.W_o[i, j] * _grad(m.a[j], m.h)
                                   for j in range(m.a.shape[0])), sp.zeros(m.H, 1))
                              for i in range(m.H)]), "s31_gate"))),
          correction=Correction(
              r"\frac{\partial (W_o a)_i}{\partial h_t} = \sum_j (W_o)_{ij}"
              r" \frac{\partial a_j}{\partial h_t}",
              equals(lambda m: sp.Matrix.hstack(*[_grad((m.W_o * m.a)[i], m.h)
                                                  for i in range(m.H)]),
                     lambda m: sp.Matrix.hstack(*[
                         sum((m.W_o[i, j] * _grad(m.a[j], m.h) for j in range(m.a.shape[0])),
                             sp.zeros(m.H, 1)) for i in range(m.H)]), "s31_gate")),
          damage=r"$W_o h_t$ where the stacked reading needs $W_o a$"),
    Claim("004-3.1-22", "§3.1, display 13, line 2",
          r"\begin{aligned}"
          "\n"
          r"\frac{\partial W_o h_t}{\partial h_t} &= \sum_i \sum_j (W_o)_{ij} \cdot"
          r" \frac{\partial a_j}{\partial h_t} \otimes e_i\\"
          "\n"
          r"&= \sum_i \sum_j \delta_{ju} (W_o)_{ij} \cdot \frac{\partial a_j}{\partial h_t}"
          r" \otimes e_i\\"
          "\n"
          r"&= \sum_i \sum_u (W_o)_{iu} \cdot \frac{\partial a_u}{\partial h_t} \otimes e_i\\"
          "\n"
          r"&= \sum_i \sum_u (W_o)_{iu} \cdot e_u \otimes e_i = ((W_o)_{,U})^{\mathsf{T}}"
          "\n"
          r"\end{aligned}",
          (Reading(r"as written: $W_o h_t$, $W_o$ the stacked matrix", "",
                   equals(lambda m: _den(m.W_o * m.h, m.h), lambda m: m.W_oh.T, "s31_gate")),
           Reading(r"R1: $W_o a$; $\delta_{ju}$ keeps $j \in U$; $e_u$ as $e_{u-D}$", "",
                   _chain(lambda m: _den(m.W_o * m.a, m.h),
                          lambda m: _col_sum([m.W_o[i, j] * _grad(m.a[j], m.h) * _e(i, m.H).T
                                              for i in range(m.H)
                                              for j in range(m.a.shape[0])], m.H, m.H),
                          lambda m: _col_sum([m.W_o[i, j] * int(j in m.U) * _grad(m.a[j], m.h)
                                              * _e(i, m.H).T for i in range(m.H)
                                              for j in range(m.a.shape[0])], m.H, m.H),
                          lambda m: _col_sum([m.W_o[i, u] * _grad(m.a[u], m.h) * _e(i, m.H).T
                                              for i in range(m.H) for u in m.U], m.H, m.H),
                          lambda m: _col_sum([m.W_o[i, u] * _outer(u - m.D, i, m.H)
                                              for i in range(m.H) for u in m.U], m.H, m.H),
                          lambda m: m.W_oh.T, model="s31_gate"))),
          correction=Correction(
              r"\frac{\partial (W_o a)}{\partial h_t} = ((W_o)_{,U})^{\top} = W_{o,h}^\top",
              equals(lambda m: _den(m.W_o * m.a, m.h), lambda m: m.W_oh.T, "s31_gate")),
          damage=r"$W_o h_t$ as in " + _row(21) + r"; $\delta_{ju}$ with a free $u$ means "
                 r"$j$ restricted to $U$",
          note=r"This is how the course reads every $W_k^\tau$ of §3.1: the block of the "
               r"variable differentiated by.",
          chapters=("peepholes",)),
    Claim("004-3.1-23", "§3.1, display 14",
          r"(\tanh')_j = \frac{\partial \tanh(arg)_j}{\partial arg_j} = 1 - \tanh(arg)_j^2",
          (Reading("as written, every j", "",
                   equals(lambda m: sp.Matrix([sp.diff(m.tanh[j], m.arg[j]) for j in range(2)]),
                          lambda m: sp.ones(2, 1) - square(m.tanh), "s31_sym")),),
          chapters=("matrix_calculus",)),
    Claim("004-3.1-24", "§3.1, display 15",
          r"\tanh' = \frac{\partial \tanh(arg)}{\partial arg} = \operatorname{diag}\left("
          r"\frac{\partial}{\partial arg} \odot \tanh\right)",
          (Reading(r"R1: entry $j$ of $\frac{\partial}{\partial arg} \odot \tanh$ is "
                   r"$\partial\tanh_j/\partial arg_j$",
                   r"\operatorname{diag}\bigl(1 - \tanh^2(arg)\bigr)",
                   equals(lambda m: _den(m.tanh, m.arg),
                          lambda m: sp.diag(*(sp.ones(2, 1) - square(m.tanh))), "s31_sym")),),
          damage=r"the notation of (3.2), " + _row(13),
          chapters=("matrix_calculus",)),
    Claim("004-3.1-25", "§3.1, display 16",
          r"\frac{\partial \tanh(C_{t+1})}{\partial h_t} = \frac{\partial C_{t+1}}{\partial h_t}"
          r" \tanh'",
          (Reading(r"as written, $\tanh'$ at $C_{t+1}$", "",
                   _jac(lambda m: m.tanh_c, lambda m, u: _dc_dh(
                       m, _step(m), odot(m.ones - square(m.tanh_c), u)))),),
          note=r"Here $C_{t+1}$ depends on $h_t$, against the text before display 9 ("
               + _row(14) + ").",
          chapters=("peepholes",)),
    Claim("004-3.1-26", "§3.1, display 17, left",
          r"\frac{\partial f_{t+1}}{\partial h_t} = W_f^{\tau} f'_{t+1} = W_f^{\tau} \sigma'",
          (Reading(r"R1: $W_f^\tau$ the block of the $h_t$ columns, $\sigma'$ at $f_{t+1}$",
                   r"((W_f)_{,U})^{\mathsf T}\operatorname{diag}(f_{t+1}\odot(1-f_{t+1}))",
                   _jac(lambda m: m.f,
                        lambda m, u: _wh(m, "f").T * odot(m.f, m.ones - m.f, u))),),
          damage=r"from display 14 on the text says it uses the sum reading; the course reads "
                 r"$W_f^\tau$ as the block (" + _row(22) + ")",
          note=r"A total derivative too: $f_{t+1}$'s peephole sees $C_t$, which does not "
               r"depend on $h_t$.",
          chapters=("peepholes",)),
    Claim("004-3.1-27", "§3.1, display 17, right",
          r"\frac{\partial i_{t+1}}{\partial h_t} = W_i^{\tau} i'_{t+1} = W_i^{\tau} \sigma'",
          (Reading(r"R1: $W_i^\tau$ the block of the $h_t$ columns, $\sigma'$ at $i_{t+1}$",
                   r"((W_i)_{,U})^{\mathsf T}\operatorname{diag}(i_{t+1}\odot(1-i_{t+1}))",
                   _jac(lambda m: m.i,
                        lambda m, u: _wh(m, "i").T * odot(m.i, m.ones - m.i, u))),),
          damage="as in " + _row(26),
          chapters=("peepholes",)),
    Claim("004-3.1-28", "§3.1, display 18",
          r"\frac{\partial \tilde{C}_{t+1}}{\partial h_{+}} = W_{c}^{\tau} \tilde{C}_{t+1}'"
          r" = W_{c}^{\tau} \tanh'",
          (Reading(r"R1: $h_+$ is $h_t$; $W_c^\tau$ the block of the $h_t$ columns",
                   r"((W_c)_{,U})^{\mathsf T}\operatorname{diag}(1-\tilde C_{t+1}^2)",
                   _jac(lambda m: m.g,
                        lambda m, u: _wh(m, "g").T * odot(m.ones - square(m.g), u))),),
          damage=r"extraction: $h_+$ for $h_t$",
          note=r"The remark beside it cites (3.2) and says to replace $\sigma$ by "
               r"$\tanh'$; the analogue is (3.3) with $\tanh$ for $\sigma$.",
          chapters=("peepholes",)),
    Claim("004-3.1-29", "§3.1, display 19",
          r"C_{t+1} = f_{t+1} \odot C_t + i_{t+1} \odot \tilde{C}_{t+1}",
          (Reading("as written", "",
                   forward(lambda m: m.c, lambda m: odot(m.f, m.c_prev) + odot(m.i, m.g),
                           "s31_cell")),),
          chapters=("forward",)),
    Claim("004-3.1-30", "§3.1, text after display 19 (formalised)",
          r"\frac{\partial f_{t+1}}{\partial h_t},\ \frac{\partial i_{t+1}}{\partial h_t},\ "
          r"\frac{\partial G_{t+1}}{\partial h_t} \ne 0",
          (Reading("as written", "", numeric(_depend_on_h, "s31_cell")),),
          kind="claim",
          damage=r"extraction: $G_{t+1}$ for $\tilde C_{t+1}$",
          note=r"True, and it is why $\partial C_{t+1}/\partial h_t \ne 0$ (" + _row("31a") + ").",
          chapters=("peepholes",)),
    Claim("004-3.1-31", "§3.1, display 20",
          r"\begin{aligned}"
          "\n"
          r"\frac{\partial C_{t+1}}{\partial h_t} &= \frac{\partial f_{t+1}}{\partial h_t}"
          r" \mathrm{diag}(C_t) + \frac{\partial i_{t+1}}{\partial h_t}"
          r" \mathrm{diag}(\tilde{C}_{t+1})\\"
          "\n"
          r"&\quad + \frac{\partial \tilde{C}_{t+1}}{\partial h_t} \mathrm{diag}(i_{t+1})"
          "\n"
          r"\end{aligned}",
          (Reading("as written, with displays 17 and 18", "", _c_right()),),
          note=r"The two-term product rule (the correction of " + _row(5)
               + r"); $C_t$ does not depend on $h_t$.",
          chapters=("peepholes",)),
    Claim("004-3.1-31a", "§3.1, text before display 9 and display 20",
          r"\begin{aligned}"
          "\n"
          r"&\text{before display 9: } \frac{\partial C_{t+1}}{\partial h_t} = 0,\\"
          "\n"
          r"&\text{display 20: } \frac{\partial C_{t+1}}{\partial h_t}"
          r" = \frac{\partial f_{t+1}}{\partial h_t}\mathrm{diag}(C_t) + \dots"
          "\n"
          r"\end{aligned}",
          (Reading("earlier: text before display 9", "", _c_zero()),
           Reading("later: display 20, with displays 17 and 18", "", _c_right())),
          kind="contradiction",
          correction=Correction(_DC_DH, _c_right()),
          note=r"The text first holds $C_{t+1}$ constant in $h_t$ to find (3.3), then "
               r"differentiates it by $h_t$; the later statement is the right one.",
          chapters=("peepholes", "bptt")),
    Claim("004-3.1-32", "§3.1, display 21, line 1",
          r"h_{t+1} = o_{t+1} \odot \tanh(C_{t+1})",
          (Reading("as written", "",
                   forward(lambda m: m.h, lambda m: odot(m.o, m.c.applyfunc(Tanh)),
                           "s31_cell")),),
          chapters=("forward",)),
    Claim("004-3.1-33", "§3.1, display 21, line 2",
          r"\begin{aligned}"
          "\n"
          r"\frac{\partial h_{t+1}}{\partial h_t} &= \frac{\partial o_{t+1}}{\partial h_t}"
          r" \operatorname{diag}(\tanh(C_{t+1}))\\"
          "\n"
          r"&\quad + \frac{\partial \tanh(C_{t+1})}{\partial h_t} \operatorname{diag}(o_{t+1})"
          "\n"
          r"\end{aligned}",
          (Reading(r"as written, with the total $\partial o_{t+1}/\partial h_t$", "",
                   _jac(lambda m: m.h, lambda m, u: _dh_dh(m, _step(m), u, total=True))),),
          note=r"The product rule holds; 004 then inserts the partial (3.3) for "
               r"$\partial o_{t+1}/\partial h_t$ (" + _row(35) + ").",
          chapters=("peepholes",)),
    Claim("004-3.1-34", "§3.1, display 21, line 3",
          r"\begin{aligned}"
          "\n"
          r"&= \frac{\partial o_{t+1}}{\partial h_t} \operatorname{diag}(\tanh(C_{t+1}))\\"
          "\n"
          r"&\quad + \frac{\partial C_{t+1}}{\partial h_t}"
          r" \frac{\partial \tanh(C_{t+1})}{\partial C_{t+1}} \operatorname{diag}(o_{t+1})"
          "\n"
          r"\end{aligned}",
          (Reading(r"as written, with the total $\partial o_{t+1}/\partial h_t$", "",
                   _jac(lambda m: m.h, lambda m, u: _dh_dh(m, _step(m), u, total=True))),),
          chapters=("peepholes",)),
    Claim("004-3.1-35", "§3.1, display 21, line 4",
          r"\begin{aligned}"
          "\n"
          r"&= \frac{\partial o_{t+1}}{\partial h_t} \operatorname{diag}(\tanh(C_{t+1}))\\"
          "\n"
          r"&\quad + \frac{\partial C_{t+1}}{\partial h_t} \tanh' \operatorname{diag}(o_{t+1})"
          "\n"
          r"\end{aligned}",
          (Reading(r"R1: the total $\partial o_{t+1}/\partial h_t$", "",
                   _jac(lambda m: m.h, lambda m, u: _dh_dh(m, _step(m), u, total=True))),
           Reading(r"R2: (3.3) for $\partial o_{t+1}/\partial h_t$, as 004 evaluates it", "",
                   _jac(lambda m: m.h, lambda m, u: _dh_dh(m, _step(m), u, total=False)))),
          correction=Correction(
              _DH_DH, _jac(lambda m: m.h, lambda m, u: _dh_dh(m, _step(m), u, total=True))),
          note=r"R2 misses $h_t \to C_{t+1} \to o_{t+1}$, the term with $P_o^\top$; "
               r"without output peephole ($P_o = 0$) R2 is R1.",
          chapters=("peepholes",)),
    Claim("004-3.1-36", "§3.1, display 21, line 5, and the text after it",
          r"\begin{aligned}"
          "\n"
          r"&= \frac{\partial E_T}{\partial h_t} = \frac{\partial E_T}{\partial h_{t+1}}"
          r" \frac{\partial h_{t+1}}{\partial h_t}\\"
          "\n"
          r"&= \frac{\partial h_{t+1}}{\partial h_t} \frac{\partial E_T}{\partial h_{t+1}}"
          r" = \delta_t^h, \quad \text{from } \frac{\partial E_T}{\partial h_T}"
          "\n"
          r"\end{aligned}",
          (Reading("1st product: as multiplied, (n×1)(n×n)",
                   r"\frac{\partial E_T}{\partial h_{t+1}}\,\frac{\partial h_{t+1}}{\partial h_t}",
                   proves(lambda m: m.dh[1] * _dh_dh_matrix(m, 1, total=True), ("h", 0),
                          "s31_seq", loss=_E_T(("h", 0)))),
           Reading(r"R1: one step back, $t = T - 1$, with row 35, R2",
                   r"\delta^h_{T-1} = \frac{\partial h_T}{\partial h_{T-1}}\,\delta^h_T",
                   proves(lambda m: _dh_dh(m, _step(m, 1), m.dh[1], total=False), ("h", 0),
                          "s31_seq", loss=_E_T(("h", 0)))),
           Reading(r"R2: two steps back, $t = T - 2$, with the true "
                   r"$\partial h_{t+1}/\partial h_t$ (row 35, R1)",
                   r"\delta^h_{T-2} = \frac{\partial h_{T-1}}{\partial h_{T-2}}"
                   r"\frac{\partial h_T}{\partial h_{T-1}}\,\delta^h_T",
                   proves(lambda m: _dh_dh(m, _step(m, 0),
                                           _dh_dh(m, _step(m, 1), m.dh[1], total=True),
                                           total=True),
                          lambda m: m.h0, "s31_seq", loss=_E_T(), mode="sampled"))),
          correction=Correction(
              r"\begin{aligned}"
              "\n"
              r"\frac{\partial J_T}{\partial h_t} &= W_h^\top \delta a_{t+1},\\"
              "\n"
              r"\frac{\partial J_T}{\partial c_t} &= \frac{\partial J_T}{\partial h_t}\odot o_t"
              r"\odot(1-\tanh^2 c_t)\\"
              "\n"
              r"&\quad + P_o^\top\delta a_{o,t} + f_{t+1}\odot\frac{\partial J_T}{\partial c_{t+1}}"
              r"\\"
              "\n"
              r"&\quad + P_f^\top\delta a_{f,t+1} + P_i^\top\delta a_{i,t+1}"
              "\n"
              r"\end{aligned}",
              proves(_pair, lambda m: m.h0, "s31_seq", loss=_E_T())),
          damage=r"the leading $=$ joins a new equation to the Jacobian of line 4",
          note=r"$E_T$ depends on the pair $(h_{t+1}, C_{t+1})$; a recursion through $h$ alone "
               r"drops $C_{t+1} \to C_{t+2}$ and the peepholes of $f_{t+2}$, $i_{t+2}$. The "
               r"correction carries both, $\delta a_{k,t} = \partial J_T/\partial a_{k,t}$.",
          chapters=("peepholes", "bptt")),
)
