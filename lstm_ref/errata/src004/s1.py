"""Source 004, §1 (gradients of the cross-entropy loss) and §2 (forward propagation).

§1 derives the gradient of a softmax + cross-entropy output layer in the
denominator layout, with basis tensors ``e_k ⊗ e_i`` and ``diag(·)``
Jacobians, and states the sigmoid + binary cross-entropy case without a
derivation. §2 writes the forward pass of the full-matrix peephole LSTM.

Models (built once per audit):

* the derivation of §1 is an identity in explicit symbols: free probabilities
  ``ŷ`` (``s1_probs``), or the softmax written out on free logits ``s`` with a
  general target ``t`` (``s1_soft``), m = 3;
* the definitions of §1 are compared with the course's heads: the loss and
  ``ŷ`` of a full-peephole cell's softmax (sigmoid) head, written out in its
  leaves at ``W_v = 0``, so that the logits are the free bias ``b_v``
  (``s1_head``, ``s1_bhead``); the gradients are proved on the cell itself
  (``s1_ce``, ``s1_bce``);
* §2 is checked in the full-peephole cell, H = 2, D = 3 (``s1_cell``), and
  the sum reading of ``[a, b, c]`` in one with H = D = 2 (``s1_cell22``).

004's names in the course's: ``s_t`` → ``v_t``, ``V`` → ``W_v``, ``t_t`` → ``y_t``,
``E_T`` → ``J_T``, ``C_t`` → ``c_t``, ``C̃_t`` → ``g_t``; the columns of 004's
``W_k`` (x first) are ``W_{k,x}``, ``W_{k,h}``, ``P_k`` (:func:`w004`).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import sympy as sp

from lstm_ref import verify
from lstm_ref.family import LSTMConfig
from lstm_ref.verify import Sigmoid, Tanh, identity, odot

from ..checks import all_of, equals, forward, numeric, proves, written_out
from ..claim import Claim, Correction, Model, Outcome, Reading

__all__ = ["SECTIONS", "MODELS", "CLAIMS", "w004"]

SECTIONS = {"1": "Gradients of the cross-entropy loss", "2": "Forward propagation"}

FULL = LSTMConfig(peephole="full")
M = 3          # outputs m of §1's examples


# --- models ------------------------------------------------------------------------------

def _unit(k, n=M):
    return sp.eye(n)[:, k]


def _outer(k, i, n=M):
    """004's e_k ⊗ e_i: the outer product e_k e_iᵀ (row k, column i)."""
    return _unit(k, n) * _unit(i, n).T


def _softmax(s):
    e = s.applyfunc(sp.exp)
    return e / sum(e)


def _gradient(E, x):
    """∂E/∂x of a scalar E, denominator layout: a column."""
    return sp.Matrix([sp.diff(E, xk) for xk in x])


def _probs():
    """Free probabilities ŷ (positive) and a general target t; 004's E_T as a function of ŷ."""
    y_hat = sp.Matrix([sp.Symbol(f"y_hat[{k}]", positive=True) for k in range(M)])
    t = verify.vector("t", M)
    E = -sum(t[k] * sp.log(y_hat[k]) for k in range(M))
    return SimpleNamespace(y_hat=y_hat, t=t, E=E, dE=_gradient(E, y_hat))


def _soft():
    """The softmax and the sigmoid written out on free logits s; a general target t."""
    s, t = verify.vector("s", M), verify.vector("t", M)
    y_hat = _softmax(s)
    E = -sum(t[k] * sp.log(y_hat[k]) for k in range(M))
    p = _probs()
    dE_dyhat = p.dE.xreplace(dict(zip(p.y_hat, y_hat)))     # ∂E/∂ŷ at ŷ = softmax(s)
    sig = s.applyfunc(lambda u: 1 / (1 + sp.exp(-u)))
    E_bce = -sum(t[k] * sp.log(sig[k]) + (1 - t[k]) * sp.log(1 - sig[k]) for k in range(M))
    return SimpleNamespace(s=s, t=t, e=s.applyfunc(sp.exp), y_hat=y_hat, E=E,
                           dE_ds=_gradient(E, s), dy_ds=y_hat.jacobian(s).T,
                           dE_dyhat=dE_dyhat, sig=sig, E_bce=E_bce)


def _cell(head=None, H=2, D=3):
    return verify.symbolic_cell(H=H, D=D, config=FULL, head=head, V=M)


def _head(head):
    """The course's output head on free logits: the cell's ŷ and loss at W_v = 0.

    With W_v = 0 the logits v = W_v h + b_v are the free b_v (004's s_t), and
    with dh_next = dc_next = 0 the cell's loss is the head's loss alone.
    """
    c = _cell(head)
    at = {u: 0 for u in [*c.W_v, *c.dh_next, *c.dc_next]}
    return SimpleNamespace(s=c.b_v, t=c.y, y_hat=written_out(c.y_hat, c).xreplace(at),
                           E=c.J.xreplace(at))


MODELS = {
    "s1_probs": Model("free probabilities ŷ and target t, m = 3", _probs),
    "s1_soft": Model("softmax written out on free logits s, target t, m = 3", _soft),
    "s1_head": Model("the course's softmax + CE head on free logits s = b_v (W_v = 0), m = 3",
                     lambda: _head("softmax_ce")),
    "s1_bhead": Model("the course's sigmoid + BCE head on free logits s = b_v (W_v = 0), "
                      "m = 3", lambda: _head("sigmoid_bce")),
    "s1_ce": Model("full-peephole cell, H = 2, D = 3, softmax + CE head, m = 3",
                   lambda: _cell("softmax_ce")),
    "s1_bce": Model("full-peephole cell, H = 2, D = 3, sigmoid + BCE head, m = 3",
                    lambda: _cell("sigmoid_bce")),
    "s1_cell": Model("full-peephole cell, H = 2, D = 3", _cell),
    "s1_cell22": Model("full-peephole cell, H = D = 2", lambda: _cell(H=2, D=2)),
}


# --- check helpers -----------------------------------------------------------------------

def _refused(check):
    """A literal reading SymPy cannot even build (a scalar plus a matrix, a derivative by
    an expression): 'ill-formed', with SymPy's message."""
    def run(models):
        try:
            return check(models)
        except (TypeError, ValueError) as err:
            text = re.sub(r"<class '(?:[\w.]*\.)?(\w+)'>", r"\1", " ".join(str(err).split()))
            return Outcome("ill-formed", f"SymPy cannot build it: {text[:140].rstrip('.')}")
    return run


def _shape(M_):
    return "×".join(map(str, M_.shape))


def _layout(_m=None):
    """004's layout statement: ∂(scalar)/∂(vector) a column, ∂(vector)/∂(scalar) a row."""
    x, s = verify.vector("x", 2), sp.Symbol("s", real=True)
    E = sp.Function("E")(*x)
    y = sp.Matrix([sp.Function(f"y{k}")(s) for k in range(M)])
    dE_dx = sp.Matrix([E]).jacobian(x).T            # denominator layout: transposed Jacobian
    dy_ds = y.jacobian(sp.Matrix([s])).T
    found = f"∂E/∂x is ({_shape(dE_dx)}) for x (2×1), ∂y/∂s is ({_shape(dy_ds)}) for y (3×1)"
    if dE_dx.shape == (2, 1) and dy_ds.shape == (1, M):
        return Outcome("holds", "denominator layout (transposed Jacobians): " + found)
    return Outcome("false", "denominator layout", found)


def _sizes(m):
    """004's sizes: s_t = V h_t with V (m×n) and h_t (n×1) has the shape of ŷ_t."""
    V = verify.matrix("V", m.V, m.H)
    s = V * m.h
    if s.shape == m.y_hat.shape:
        return Outcome("holds", f"V h_t is ({_shape(s)}), the shape of ŷ_t; {m.V} = m, {m.H} = n")
    return Outcome("ill-formed", f"V h_t is ({_shape(s)}), ŷ_t is ({_shape(m.y_hat)})")


def _probabilities(m):
    """Σ_i ŷ_i = 1 identically, and 0 < ŷ_i < 1 for every real logit (SymPy's assumptions)."""
    identity("Σ ŷ = 1", sum(m.y_hat), sp.S.One, verbose=False)
    for k, y in enumerate(m.y_hat):
        low, high = sp.simplify(y).is_positive, sp.together(1 - y).is_positive
        if low is None or high is None:
            raise RuntimeError(f"SymPy cannot decide the sign of ŷ[{k}] or 1 − ŷ[{k}]")
        if not (low and high):
            return Outcome("wrong", "a probability outside (0, 1)", f"entry [{k}]: {y}")
    return Outcome("holds", "Σ ŷ = 1 identically; ŷ_i > 0 and 1 − ŷ_i > 0 for real logits")


def w004(m, k, c=None):
    """004's W_k[x_t, h_{t-1}, C] in the course's blocks: W_{k,x} x + W_{k,h} h + P_k C.

    ``c`` is the cell state the gate sees (None: the candidate, which has none).
    """
    H = m.H
    W = m.ns["W_" + k]
    if c is None:
        return sp.Matrix.hstack(W[:, H:], W[:, :H]) * sp.Matrix.vstack(m.x, m.h_prev)
    return sp.Matrix.hstack(W[:, H:], W[:, :H], m.ns["P_" + k]) * sp.Matrix.vstack(
        m.x, m.h_prev, c)


def _sum_reading(m):
    """004's W_i[x, h, C] read as W_i (x + h + C): one (H×H) matrix for all three."""
    return m.W_i[:, :m.H] * (m.x + m.h_prev + m.c_prev) + m.b_i


def _tied(m):
    """The cell's a_i with its input and peephole blocks set to the recurrent one."""
    H = m.H
    tie = dict(zip([*m.W_i[:, H:], *m.P_i], [*m.W_i[:, :H], *m.W_i[:, :H]]))
    return m.a_i.xreplace(tie)


def _sig(u):
    return u.applyfunc(Sigmoid)


# --- §1 -------------------------------------------------------------------------------

_Y = r"\hat{\mathcal{Y}}_T"
_OCR_Y = r"extraction: $\hat{\mathcal Y}_T$ for $\hat y_T$ in the whole display"


def _dE(m):
    return m.dE


def _sum_e(coef, n=M, skip_diagonal=False):
    """Σ_i Σ_k coef(i, k) e_k ⊗ e_i."""
    return sum((coef(i, k) * _outer(k, i, n) for i in range(n) for k in range(n)
                if not (skip_diagonal and i == k)), sp.zeros(n, n))


def _diag_sum(coef, n=M):
    """Σ_i coef(i) e_i ⊗ e_i."""
    return sum((coef(i) * _outer(i, i, n) for i in range(n)), sp.zeros(n, n))


def _d(m, i, k):
    """∂(ŷ_T)_i/∂(s_T)_k, SymPy's."""
    return sp.diff(m.y_hat[i], m.s[k])


def _two_class_left(m):
    """softmax(s, 0)_1 and the two-class CE with target (t, 1 − t), s = s[0], t = t[0]."""
    p = _softmax(sp.Matrix([m.s[0], 0]))
    return sp.Matrix([p[0], -m.t[0] * sp.log(p[0]) - (1 - m.t[0]) * sp.log(p[1])])


def _two_class_right(m):
    """σ(s) and the BCE term of one output, written out."""
    sig = m.sig[0]
    return sp.Matrix([sig, -m.t[0] * sp.log(sig) - (1 - m.t[0]) * sp.log(1 - sig)])


_SECTION_1 = (
    Claim("004-1-01", "§1, 1st display",
          r"h_t \in \mathbb{R}^n,\ \hat{y}_t, s_t \in \mathbb{R}^m,\ V \in \mathbb{R}^{mxn}",
          (Reading(r"R1: $V \in \mathbb R^{m\times n}$", r"V \in \mathbb{R}^{m\times n}",
                   numeric(_sizes, "s1_ce")),),
          damage=r"extraction: `mxn` for $m\times n$",
          note=r"In the course's letters $n = H$, $m$ is the output size $V$, and the "
               r"matrix $V$ is $W_v$.",
          chapters=("losses",)),
    Claim("004-1-02", "§1, 2nd display",
          r"\begin{aligned} \hat{y}_t &= \text{softmax}(s_t) = \frac{e^{s_t}}{\sum_i e^{(s_t)_i}},"
          r" \\ s_t &= Vh_t \end{aligned}",
          (Reading("as written", "",
                   all_of(forward(lambda m: m.v - m.b_v, lambda m: m.W_v * m.h, "s1_ce"),
                        equals(lambda m: m.y_hat, lambda m: _softmax(m.s), "s1_head"))),),
          note=r"004's logits have no bias: $s_t$ is the course's $v_t = W_v h_t + b_v$ "
               r"at $b_v = 0$, and the softmax is compared with the course's head on free "
               r"logits.",
          chapters=("losses",)),
    Claim("004-1-03", "§1, 2nd display, side conditions",
          r"\sum_i (\hat{y}_t)_i = 1, \quad (\hat{y}_t)_i \in [0, 1]",
          (Reading("as written", "", numeric(_probabilities, "s1_head")),),
          note=r"For finite logits every $(\hat y_t)_i$ even lies in the open interval "
               r"$(0, 1)$."),
    Claim("004-1-04", "§1, 3rd display and the line after it",
          r"\begin{aligned} &E_T = -\sum_i (t_T)_i \cdot log((\hat{y}_T)_i), \\"
          r" &\sum_i (t_T)_i = 1,\ (t_t)_i \in [0, 1] \end{aligned}",
          (Reading("as written", "",
                   equals(lambda m: m.E,
                          lambda m: -sum(m.t[k] * sp.log(_softmax(m.s)[k]) for k in range(M)),
                          "s1_head")),),
          damage=r"the conditions write $t_T$ and $t_t$ for the same target",
          note=r"This is the course's softmax + CE head; its soft target satisfies "
               r"$\sum_i (t_T)_i = 1$ by construction.",
          chapters=("losses",)),
    Claim("004-1-05", "§1, notation line before the 4th display",
          r"e_i,\ e_i^{\tau},\ e_i \otimes e_i",
          (Reading(r"R1: $e_k \otimes e_i = e_k e_i^\tau$, the row index first",
                   r"\sum_k \sum_i A_{ki}\, e_k \otimes e_i = A",
                   equals(lambda: sum((verify.matrix("A", 3, 2)[k, i] * _unit(k, 3) * _unit(i, 2).T
                                       for k in range(3) for i in range(2)), sp.zeros(3, 2)),
                          lambda: verify.matrix("A", 3, 2))),),
          damage=r"two definitions run together: $e_i$ a unit vector, $e_i^\tau$ its "
                 r"transpose, $\otimes$ the tensor product",
          note=r"(3.1) writes $e_j e_i^\tau = e_j \otimes e_i$, which fixes this reading; "
               r"$\tau$ is the transpose here and the last time step in §3.2.",
          chapters=("matrix_calculus",)),
    Claim("004-1-06", "§1, paragraph before the 4th display (formalised)",
          r"\begin{aligned} &\frac{\partial E}{\partial x} \in \mathbb{R}^{n\times 1}"
          r"\ \ (E \text{ scalar},\ x \in \mathbb{R}^n), \\"
          r" &\frac{\partial y}{\partial s} \in \mathbb{R}^{1\times m}"
          r"\ \ (y \in \mathbb{R}^m,\ s \text{ scalar}) \end{aligned}",
          (Reading("as written", "", numeric(_layout)),),
          kind="claim",
          damage="the second sentence differentiates vectors 'with respect to scalar "
                 "functions': read as by a scalar",
          chapters=("matrix_calculus",)),
    Claim("004-1-07", "§1, 4th display, 1st equality",
          r"\frac{\partial E_T}{\partial " + _Y + r"} = -\sum_i (t_T)_i \cdot \frac{\partial"
          r" \log((" + _Y + r")_i)}{\partial \sum_{i'} (" + _Y + r")_{i'}} \cdot e_i",
          (Reading(r"R1: the sum belongs to the operator, "
                   r"$\sum_{i'} e_{i'}\,\partial/\partial(\hat y_T)_{i'}$",
                   r"-\sum_i (t_T)_i \sum_{i'} \frac{\partial \log((\hat y_T)_i)}"
                   r"{\partial (\hat y_T)_{i'}}\, e_{i'}",
                   equals(lambda m: -sum((m.t[i] * sp.diff(sp.log(m.y_hat[i]), m.y_hat[j])
                                          * _unit(j) for i in range(M) for j in range(M)),
                                         sp.zeros(M, 1)), _dE, "s1_probs")),
           Reading(r"R2: literal, a derivative by the number $\sum_{i'} (\hat y_T)_{i'}$", "",
                   _refused(equals(
                       lambda m: -sum((m.t[i] * sp.diff(sp.log(m.y_hat[i]), sum(m.y_hat))
                                       * _unit(i) for i in range(M)), sp.zeros(M, 1)),
                       _dE, "s1_probs")))),
          correction=Correction(
              r"\frac{\partial J}{\partial \hat y} = -\sum_k y_k \sum_j "
              r"\frac{\partial \log \hat y_k}{\partial \hat y_j}\, e_j",
              equals(lambda m: -sum((m.t[i] * sp.diff(sp.log(m.y_hat[i]), m.y_hat[j])
                                     * _unit(j) for i in range(M) for j in range(M)),
                                    sp.zeros(M, 1)), _dE, "s1_probs")),
          damage=_OCR_Y + r"; the sum $\sum_{i'}$ stands in the denominator"),
    Claim("004-1-08", "§1, 4th display, 2nd equality",
          r"= -\sum_i (t_T)_i \cdot \frac{\partial \log((" + _Y + r")_i)}{\partial (" + _Y
          + r")_i} \cdot e_i",
          (Reading("as written", "",
                   equals(lambda m: -sum((m.t[i] * sp.diff(sp.log(m.y_hat[i]), m.y_hat[i])
                                          * _unit(i) for i in range(M)), sp.zeros(M, 1)),
                          _dE, "s1_probs")),),
          damage=_OCR_Y),
    Claim("004-1-09", "§1, 4th display, 3rd equality",
          r"= -\sum_i \frac{(t_T)_i}{(" + _Y + r")_i} \cdot e_i",
          (Reading("as written", "",
                   equals(lambda m: -sum((m.t[i] / m.y_hat[i] * _unit(i) for i in range(M)),
                                         sp.zeros(M, 1)), _dE, "s1_probs")),),
          damage=_OCR_Y,
          chapters=("losses",)),
    Claim("004-1-10", "§1, 4th display, last equality",
          r"= -\dim(" + _Y + r")^{-1} t_T",
          (Reading(r"R1: `dim` is $\operatorname{diag}$",
                   r"-\operatorname{diag}(\hat y_T)^{-1} t_T",
                   equals(lambda m: -sp.diag(*m.y_hat).inv() * m.t, _dE, "s1_probs")),
           Reading(r"R2: literal, $\dim(\hat y_T) = m$", r"-\frac{1}{m}\, t_T",
                   equals(lambda m: -m.t / M, _dE, "s1_probs"))),
          correction=Correction(
              r"\frac{\partial J}{\partial \hat y} = -\operatorname{diag}(\hat y)^{-1} y",
              equals(lambda m: -sp.diag(*m.y_hat).inv() * m.t, _dE, "s1_probs")),
          damage=_OCR_Y + r"; `dim` for `diag` (the next display has "
                 r"$\operatorname{diag}(\hat y_T)^{-1}t_T$)",
          chapters=("losses",)),
    Claim("004-1-11", "(1.1), case $i = k$",
          r"\begin{aligned} \frac{\partial (\hat{y}_T)_i}{\partial (s_T)_k} &= "
          r"\frac{e^{(s_T)_i}}{\sum_{i'} e^{(s_T)_{i'}}} - \left(\frac{e^{(s_T)_i}}{\sum_{i'}}"
          r" e^{(s_T)_{i'}}\right)^2 \\ &\quad (i = k) \end{aligned}",
          (Reading(r"R1: the square of $e^{(s_T)_i}/\sum_{i'} e^{(s_T)_{i'}}$",
                   r"\frac{e^{(s_T)_i}}{\sum_{i'} e^{(s_T)_{i'}}} - \left(\frac{e^{(s_T)_i}}"
                   r"{\sum_{i'} e^{(s_T)_{i'}}}\right)^2",
                   equals(lambda m: sp.Matrix([_d(m, i, i) for i in range(M)]),
                          lambda m: sp.Matrix([m.e[i] / sum(m.e) - (m.e[i] / sum(m.e)) ** 2
                                               for i in range(M)]), "s1_soft")),),
          damage=r"misplaced brace: the summand $e^{(s_T)_{i'}}$ stands outside the fraction",
          chapters=("losses",)),
    Claim("004-1-12", "(1.1), case $i = k$, simplified",
          r"= (\hat{y}_T)_i - (\hat{y}_T)_i^2 = (\hat{y}_T)_i \cdot (1 - (\hat{y}_T)_i)",
          (Reading("as written", "",
                   equals(lambda m: sp.Matrix([_d(m, i, i) for i in range(M)] * 2),
                          lambda m: sp.Matrix([m.y_hat[i] - m.y_hat[i] ** 2 for i in range(M)]
                                              + [m.y_hat[i] * (1 - m.y_hat[i])
                                                 for i in range(M)]), "s1_soft")),),
          chapters=("losses",)),
    Claim("004-1-13", r"(1.1), case $i \ne k$",
          r"\begin{aligned} \frac{\partial (\hat{y}_T)_i}{\partial (s_T)_k} &= "
          r"-\frac{e^{(s_T)_i} \cdot e^{(s_T)_k}}{\left(\sum_{i'} e^{(s_T)_{i'}}\right)^2} \\"
          r" &= -(\hat{y}_T)_i \cdot (\hat{y}_T)_k \quad (i \neq k) \end{aligned}",
          (Reading("as written", "",
                   equals(lambda m: sp.Matrix([_d(m, i, k) for i in range(M) for k in range(M)
                                               if i != k] * 2),
                          lambda m: sp.Matrix([-m.e[i] * m.e[k] / sum(m.e) ** 2
                                               for i in range(M) for k in range(M) if i != k]
                                              + [-m.y_hat[i] * m.y_hat[k] for i in range(M)
                                                 for k in range(M) if i != k]),
                          "s1_soft")),),
          chapters=("losses",)),
    Claim("004-1-14", "§1, display after (1.1), 1st line",
          r"\begin{aligned} \frac{\partial \hat{y}_T}{\partial s_T} &= \sum_i \sum_k "
          r"\frac{\partial (\hat{y}_T)_i}{\partial (s_T)_k} \cdot e_k \otimes e_i \\"
          r" &= \sum_i \frac{\partial (\hat{y}_T)_i}{\partial (s_T)_i} \cdot e_i \otimes e_i \\"
          r" &\quad + \sum_i \sum_{k \neq i} \frac{\partial (\hat{y}_T)_i}{\partial (s_T)_k}"
          r" \cdot e_k \otimes e_i \end{aligned}",
          (Reading("as written", "",
                   equals(lambda m: sp.Matrix.vstack(m.dy_ds, m.dy_ds),
                          lambda m: sp.Matrix.vstack(
                              _sum_e(lambda i, k: _d(m, i, k)),
                              _diag_sum(lambda i: _d(m, i, i))
                              + _sum_e(lambda i, k: _d(m, i, k), skip_diagonal=True)),
                          "s1_soft")),),
          note=r"Entry $(k, i)$ is $\partial(\hat y_T)_i/\partial(s_T)_k$: the denominator "
               r"layout, the transposed Jacobian.",
          chapters=("losses",)),
    Claim("004-1-15", "§1, display after (1.1), 2nd line",
          r"\begin{aligned} &= \sum_i (\hat{y}_T)_i - (\hat{y}_T)_i^2 \cdot e_i \otimes e_i \\"
          r" &\quad - \sum_i \sum_{k \neq i} (\hat{y}_T)_i \cdot (\hat{y}_T)_k \cdot e_k"
          r" \otimes e_i \end{aligned}",
          (Reading(r"R1: $\sum_i \bigl((\hat y_T)_i - (\hat y_T)_i^2\bigr)\, e_i\otimes e_i"
                   r" - \dots$", "",
                   equals(lambda m: _diag_sum(lambda i: m.y_hat[i] - m.y_hat[i] ** 2)
                          - _sum_e(lambda i, k: m.y_hat[i] * m.y_hat[k], skip_diagonal=True),
                          lambda m: m.dy_ds, "s1_soft")),
           Reading(r"R2: literal, $\sum_i \bigl((\hat y_T)_i - (\hat y_T)_i^2\, e_i\otimes "
                   r"e_i\bigr)$, a number minus a matrix", "",
                   _refused(equals(
                       lambda m: sum((m.y_hat[i] - m.y_hat[i] ** 2 * _outer(i, i)
                                      for i in range(M)), sp.zeros(M, M))
                       - _sum_e(lambda i, k: m.y_hat[i] * m.y_hat[k], skip_diagonal=True),
                       lambda m: m.dy_ds, "s1_soft")))),
          correction=Correction(
              r"\begin{aligned} \frac{\partial \hat y}{\partial v} &= \sum_k (\hat y_k - "
              r"\hat y_k^2)\, e_k e_k^\top \\ &\quad - \sum_k \sum_{j \ne k} \hat y_k \hat y_j\,"
              r" e_j e_k^\top \end{aligned}",
              equals(lambda m: _diag_sum(lambda i: m.y_hat[i] - m.y_hat[i] ** 2)
                     - _sum_e(lambda i, k: m.y_hat[i] * m.y_hat[k], skip_diagonal=True),
                     lambda m: m.dy_ds, "s1_soft")),
          damage=r"parentheses missing around $(\hat y_T)_i - (\hat y_T)_i^2$"),
    Claim("004-1-16", "§1, display after (1.1), 3rd line",
          r"\begin{aligned} &= -\sum_i \sum_k (\hat{y}_T)_i \cdot (\hat{y}_T)_k \cdot e_k "
          r"\otimes e_i \\ &\quad + \sum_i (\hat{y}_T)_i \cdot e_i \otimes e_i \end{aligned}",
          (Reading("as written", "",
                   equals(lambda m: -_sum_e(lambda i, k: m.y_hat[i] * m.y_hat[k])
                          + _diag_sum(lambda i: m.y_hat[i]), lambda m: m.dy_ds, "s1_soft")),),
          note=r"The $-(\hat y_T)_i^2$ of the diagonal moves into the full double sum.",
          chapters=("losses",)),
    Claim("004-1-17", "§1, display after (1.1), 4th line",
          r"= -\hat{y}_T \hat{y}_T^\tau + \operatorname{diag}(\hat{y}_T)",
          (Reading("as written", "",
                   equals(lambda m: -m.y_hat * m.y_hat.T + sp.diag(*m.y_hat),
                          lambda m: m.dy_ds, "s1_soft")),),
          note="The matrix is symmetric: the same in both layouts.",
          chapters=("losses",)),
    Claim("004-1-18", r"§1, display of $\partial E_T/\partial s_T$, 1st line",
          r"\begin{aligned} \frac{\partial E_T}{\partial s_T} &= \frac{\partial E_T}{\partial "
          r"\hat{y}_T} \frac{\partial \hat{y}_T}{\partial s_T} \\ &= \frac{\partial \hat{y}_T}"
          r"{\partial s_T} \frac{\partial E_T}{\partial \hat{y}_T} \end{aligned}",
          (Reading("left product",
                   r"\frac{\partial E_T}{\partial \hat{y}_T} \frac{\partial \hat{y}_T}"
                   r"{\partial s_T}",
                   equals(lambda m: m.dE_dyhat * m.dy_ds, lambda m: m.dE_ds, "s1_soft")),
           Reading("right product",
                   r"\frac{\partial \hat{y}_T}{\partial s_T} \frac{\partial E_T}"
                   r"{\partial \hat{y}_T}",
                   equals(lambda m: m.dy_ds * m.dE_dyhat, lambda m: m.dE_ds, "s1_soft"))),
          correction=Correction(
              r"\frac{\partial J}{\partial v} = \frac{\partial \hat y}{\partial v}\,"
              r"\frac{\partial J}{\partial \hat y}",
              equals(lambda m: m.dy_ds * m.dE_dyhat, lambda m: m.dE_ds, "s1_soft")),
          note="The left product is the numerator-layout order; 004 notes that the order "
               "swaps and keeps both.",
          chapters=("matrix_calculus",)),
    Claim("004-1-19", r"§1, display of $\partial E_T/\partial s_T$, 2nd line",
          r"\begin{aligned} &= (-\hat{y}_T \hat{y}_T^\tau + \operatorname{diag}(\hat{y}_T)) \\"
          r" &\quad \cdot (-\operatorname{diag}(\hat{y}_T)^{-1}t_T) \end{aligned}",
          (Reading("as written", "",
                   equals(lambda m: (-m.y_hat * m.y_hat.T + sp.diag(*m.y_hat))
                          * (-sp.diag(*m.y_hat).inv() * m.t), lambda m: m.dE_ds, "s1_soft")),),
          note=r"It confirms the $\operatorname{diag}$ reading of "
               r"{ref}`004-1-10 <errata-004-1-10>`.",
          chapters=("losses",)),
    Claim("004-1-20", r"§1, display of $\partial E_T/\partial s_T$, 3rd line",
          r"\begin{aligned} &= \hat{y}_T \hat{y}_T^\tau \operatorname{diag}(\hat{y}_T)^{-1}t_T"
          r" \\ &\quad - \operatorname{diag}(\hat{y}_T)\operatorname{diag}(\hat{y}_T)^{-1}t_T"
          r" \end{aligned}",
          (Reading("as written", "",
                   equals(lambda m: m.y_hat * m.y_hat.T * sp.diag(*m.y_hat).inv() * m.t
                          - sp.diag(*m.y_hat) * sp.diag(*m.y_hat).inv() * m.t,
                          lambda m: m.dE_ds, "s1_soft")),),
          chapters=("losses",)),
    Claim("004-1-21", r"§1, display of $\partial E_T/\partial s_T$, 4th line",
          r"= \hat{y}_T \hat{y}_T^\tau \operatorname{diag}(\hat{y}_T)^{-1}t_T - \mathbb{1}t_T",
          (Reading(r"R1: $\mathbb 1$ is the identity matrix", "",
                   equals(lambda m: m.y_hat * m.y_hat.T * sp.diag(*m.y_hat).inv() * m.t
                          - sp.eye(M) * m.t, lambda m: m.dE_ds, "s1_soft")),
           Reading(r"R2: $\mathbb 1$ is the column of ones (as $\mathbb 1^n$ in §3.2)", "",
                   equals(lambda m: m.y_hat * m.y_hat.T * sp.diag(*m.y_hat).inv() * m.t
                          - sp.ones(M, 1) * m.t, lambda m: m.dE_ds, "s1_soft"))),
          correction=Correction(
              r"\frac{\partial J}{\partial v} = \hat y \hat y^\top "
              r"\operatorname{diag}(\hat y)^{-1} y - I\, y",
              equals(lambda m: m.y_hat * m.y_hat.T * sp.diag(*m.y_hat).inv() * m.t
                     - sp.eye(M) * m.t, lambda m: m.dE_ds, "s1_soft")),
          damage=r"$\mathbb 1$ is not defined here; 004 uses it for a column of ones later"),
    Claim("004-1-22", r"§1, display of $\partial E_T/\partial s_T$, 5th line",
          r"= \hat{y}_T \hat{y}_T^\tau \operatorname{diag}(\hat{y}_T)^{-1}t_T - t_T",
          (Reading("as written", "",
                   equals(lambda m: m.y_hat * m.y_hat.T * sp.diag(*m.y_hat).inv() * m.t - m.t,
                          lambda m: m.dE_ds, "s1_soft")),)),
    Claim("004-1-23", r"§1, display of $\partial E_T/\partial s_T$, last line",
          r"= \hat{y}_T \sum_i (t_T)_i - t_T",
          (Reading("as written, any target $t_T$", "",
                   equals(lambda m: m.y_hat * sum(m.t) - m.t, lambda m: m.dE_ds, "s1_soft")),
           Reading(r"with $\sum_i (t_T)_i = 1$", r"\hat y_T - t_T",
                   proves(lambda m: m.y_hat - m.y, "v", "s1_ce"))),
          note=r"With $\sum_i (t_T)_i = 1$ ({ref}`004-1-04 <errata-004-1-04>`) it is "
               r"$\hat y_T - t_T$, the form §3.1 starts from; §1 leaves that step unwritten.",
          chapters=("losses",)),
    Claim("004-1-24", r"§1, the line after the $\partial E_T/\partial s_T$ display",
          r"x, q \in \{1, ..., m\}, \quad y, p \in \{1, ..., n\}",
          (),
          kind="omission",
          correction=Correction(r"\frac{\partial J_t}{\partial W_v} = (\hat y_t - y_t)\, h_t^\top",
                                proves(lambda m: (m.y_hat - m.y) * m.h.T, lambda m: m.W_v,
                                       "s1_ce")),
          damage="an orphaned line of index ranges; the derivation it belongs to is not in "
                 "the text",
          note=r"§1 sets out to compute the gradient of $V$ (and §3.2 cites it as "
               r"derivation (1.2)), but $\partial E_T/\partial V$ is never stated. The index "
               r"names $x$, $y$ would clash with the input and the prediction.",
          chapters=("losses",)),
    Claim("004-1-25", "§1, the binary cross-entropy display",
          r"\begin{aligned} E_t = -\sum_{i} (&(t_t)_i \cdot log((\hat{y}_t)_i) \\"
          r" &+ (1 - (t_t)_i) \cdot log(1 - (\hat{y}_t)_i)) \end{aligned}",
          (Reading("as written", "",
                   equals(lambda m: m.E,
                          lambda m: -sum(m.t[k] * sp.log(Sigmoid(m.s[k]))
                                         + (1 - m.t[k]) * sp.log(1 - Sigmoid(m.s[k]))
                                         for k in range(M)), "s1_bhead")),),
          note="This is the course's sigmoid + BCE head.",
          chapters=("losses",)),
    Claim("004-1-26", "§1, the sigmoid output display",
          r"\hat{y}_t = \sigma(s_t) = \frac{1}{1 + e^{-s_t}}",
          (Reading("as written, element-wise", "",
                   all_of(forward(lambda m: m.y_hat, lambda m: _sig(m.v), "s1_bce"),
                        equals(lambda m: sp.Matrix([sp.diff(m.sig[k], m.s[k]) for k in range(M)]),
                               lambda m: m.sig.multiply_elementwise(sp.ones(M, 1) - m.sig),
                               "s1_soft"))),),
          note=r"The course's head applies the engine's $\sigma$, known by "
               r"$\sigma' = \sigma(1 - \sigma)$; $1/(1 + e^{-s})$ is checked to satisfy it.",
          chapters=("losses",)),
    Claim("004-1-27", "§1, last paragraph, 1st sentence (formalised)",
          r"\begin{aligned} &\left.\frac{\partial E_t}{\partial s_t}\right|_{\text{sigmoid, "
          r"BCE}} \\ &\quad = \left.\frac{\partial E_t}{\partial s_t}\right|_{\text{softmax, "
          r"CE}} \end{aligned}",
          (Reading(r"R1: the form §3.1 uses, $\hat y_t - t_t$", "",
                   proves(lambda m: m.y_hat - m.y, "v", "s1_bce")),
           Reading(r"R2: §1's result, $\hat y_t \sum_i (t_t)_i - t_t$", "",
                   proves(lambda m: m.y_hat * sum(m.y) - m.y, "v", "s1_bce"))),
          kind="claim",
          correction=Correction(r"\frac{\partial J_t}{\partial v_t} = \sigma(v_t) - y_t",
                                proves(lambda m: m.y_hat - m.y, "v", "s1_bce")),
          damage="which form of the multi-class gradient is meant is not said",
          note=r"004 gives no derivation ({doc}`losses` does). BCE targets need not sum to 1, "
               r"so only the form $\hat y_t - t_t$ carries over.",
          chapters=("losses",)),
    Claim("004-1-28", "§1, last paragraph, 2nd sentence (formalised)",
          r"E^{\text{BCE}}_t \text{ is a special case of } E^{\text{CE}}_t",
          (Reading(r"R1: each term, a two-class softmax CE with logits $((s_t)_i, 0)$", "",
                   equals(_two_class_left, _two_class_right, "s1_soft")),
           Reading(r"R2: one $m$-class softmax over the $m$ outputs",
                   r"E^{\text{BCE}}(\sigma(s_t), t_t) = E^{\text{CE}}"
                   r"(\operatorname{softmax}(s_t), t_t)",
                   equals(lambda m: m.E_bce, lambda m: m.E, "s1_soft"))),
          kind="claim",
          correction=Correction(
              r"\begin{aligned} &\operatorname{softmax}(v, 0)_1 = \sigma(v), \\"
              r" &-y\log\sigma(v) - (1 - y)\log(1 - \sigma(v)) \\ &\quad = -y\log p_1 - "
              r"(1 - y)\log p_2, \\ &p = \operatorname{softmax}(v, 0) \end{aligned}",
              equals(_two_class_left, _two_class_right, "s1_soft")),
          note="Each sigmoid output with its BCE term is a two-class softmax with CE; the "
               "m outputs together are not one m-class softmax.",
          chapters=("losses",)),
)


# --- §2 -------------------------------------------------------------------------------

_SECTION_2 = (
    Claim("004-2-01", "§2, 1st hint on notation",
          r"a \;\text{②}\; b",
          (Reading(r"R1: ② is $\odot$, the element-wise product",
                   r"a \odot b = \operatorname{diag}(a)\, b",
                   equals(lambda: odot(verify.vector("a", 3), verify.vector("b", 3)),
                          lambda: sp.diag(*verify.vector("a", 3)) * verify.vector("b", 3))),),
          damage=r"extraction: ② for $\odot$"),
    Claim("004-2-02", "§2, 2nd hint on notation, first form",
          r"[a,b,c] = a+b+c",
          (Reading(r"R1: $x_t$, $h_{t-1}$, $C_{t-1}$ of one size (as in §3.1)",
                   r"\begin{aligned} &W_i(x_t + h_{t-1} + C_{t-1}) + b_i \\ &\quad = a_{i,t}"
                   r"\ \text{at}\ W_{i,x} = W_{i,h} = P_i \end{aligned}",
                   forward(_tied, _sum_reading, "s1_cell22")),
           Reading(r"R2: $x_t \in \mathbb R^D$ with $D \ne n$", "",
                   forward(lambda m: m.a_i, _sum_reading, "s1_cell"))),
          correction=Correction(
              r"a_{i,t} = W_{i,x} x_t + W_{i,h} h_{t-1} + P_i c_{t-1} + b_i",
              forward(lambda m: m.a_i, lambda m: w004(m, "i", m.c_prev) + m.b_i, "s1_cell")),
          note=r"Where it is defined, the sum ties a gate's input, recurrent and peephole "
               r"weights to one matrix: another model. The stacked form "
               r"({ref}`004-2-03 <errata-004-2-03>`) is the "
               r"full-peephole LSTM; §3.1 derives with the sum.",
          chapters=("peepholes",)),
    Claim("004-2-03", "§2, 2nd hint on notation, second form",
          r"[a,b,c] = \begin{bmatrix} a \\ b \\ c \end{bmatrix}",
          (Reading(r"R1: the columns of $W_k$ are blocks for $x_t$, $h_{t-1}$, $C$",
                   r"\begin{aligned} W_k[x_t, h_{t-1}, C] &= W_{k,x} x_t + W_{k,h} h_{t-1} \\"
                   r" &\quad + P_k C \end{aligned}",
                   forward(lambda m: sp.Matrix.vstack(m.a_f, m.a_i, m.a_g, m.a_o),
                           lambda m: sp.Matrix.vstack(w004(m, "f", m.c_prev) + m.b_f,
                                                      w004(m, "i", m.c_prev) + m.b_i,
                                                      w004(m, "g") + m.b_g,
                                                      w004(m, "o", m.c) + m.b_o),
                           "s1_cell")),),
          note=r"The course's reading ({doc}`notation`); 004 puts $x_t$ first, the course's "
               r"$z_t$ puts $h_{t-1}$ first and keeps the $C$ columns apart as $P_k$.",
          chapters=("peepholes",)),
    Claim("004-2-04", "§2, forward display, line 1",
          r"i_t = \sigma(W_i[x_t, h_{t-1}, C_{t-1}] + b_i)",
          (Reading("as written", "",
                   forward(lambda m: m.i, lambda m: _sig(w004(m, "i", m.c_prev) + m.b_i),
                           "s1_cell")),),
          chapters=("forward", "peepholes")),
    Claim("004-2-05", "§2, forward display, line 2",
          r"f_t = \sigma(W_f[x_t, h_{t-1}, C_{t-1}] + b_f)",
          (Reading("as written", "",
                   forward(lambda m: m.f, lambda m: _sig(w004(m, "f", m.c_prev) + m.b_f),
                           "s1_cell")),),
          chapters=("forward", "peepholes")),
    Claim("004-2-06", "§2, forward display, line 3",
          r"\tilde{C}_t = \tanh(W_c[x_t, h_{t-1}] + b_c)",
          (Reading("as written", "",
                   forward(lambda m: m.g, lambda m: (w004(m, "g") + m.b_g).applyfunc(Tanh),
                           "s1_cell")),),
          note=r"The candidate has no peephole; $W_c$, $b_c$ are the course's $W_g$, $b_g$.",
          chapters=("peepholes",)),
    Claim("004-2-07", "§2, forward display, line 4",
          r"C_t = f_t \odot C_{t-1} + i_t \odot \tilde{C}_t",
          (Reading("as written", "",
                   forward(lambda m: m.c, lambda m: odot(m.f, m.c_prev) + odot(m.i, m.g),
                           "s1_cell")),),
          chapters=("forward",)),
    Claim("004-2-08", "§2, forward display, line 5",
          r"o_t = \sigma(W_o[x_t, h_{t-1}, C_t] + b_o)",
          (Reading("as written", "",
                   forward(lambda m: m.o, lambda m: _sig(w004(m, "o", m.c) + m.b_o),
                           "s1_cell")),),
          note=r"The output gate sees the new cell state $C_t$.",
          chapters=("forward", "peepholes")),
    Claim("004-2-09", "§2, forward display, line 6",
          r"h_t = o_t \odot \tanh(C_t)",
          (Reading("as written", "",
                   forward(lambda m: m.h, lambda m: odot(m.o, m.c.applyfunc(Tanh)),
                           "s1_cell")),),
          chapters=("forward",)),
)

CLAIMS = _SECTION_1 + _SECTION_2
