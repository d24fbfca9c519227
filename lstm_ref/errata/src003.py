r"""Source 003's formulas (A. Mallya's web note "LSTM"), transcribed and checked.

Source 003 writes the cell with split weights, :math:`W_\ast` on :math:`x^t` and
:math:`U_\ast` on :math:`h^{t-1}`, no biases, time as a superscript, and the gate
blocks in the order a (the candidate, the course's g), i, f, o. It is the course's
cell with :math:`b = 0` and its weight permuted (:mod:`lstm_ref.split`):
:math:`\Theta = [W\;U] = P_\text{row} W_\text{fused} P_\text{col}^\top`,
:math:`I^t = [x^t; h^{t-1}] = P_\text{col} z_t`.

The models its formulas are checked in:

* ``split``, ``split11``: the engine's core cell written out in its leaves with
  :math:`b = 0` (no atoms), beside 003's blocks :math:`W_a, \dots, U_o` of
  :math:`\Theta`: forward equations and definitions;
* ``cell``, ``cell11``: the engine's core cell. A proof there holds for every
  bias, :math:`b = 0` (003's model) included; a formula found wrong gets its
  counterexample searched again at :math:`b = 0` (:func:`_proves`), so every
  number in the table is a point of 003's own model;
* ``seq``: the core sequence at :math:`T = 2`, for what crosses steps (the
  accumulator :math:`\delta c^t`, the recurrent part of :math:`\partial E/\partial h^t`).

Source 003's names in the engine's atoms: :math:`a^t` = ``g``,
:math:`\hat a^t, \hat i^t, \hat f^t, \hat o^t` = ``a_g``, ``a_i``, ``a_f``, ``a_o``;
the total :math:`\partial E/\partial h^t` is ``dh_next`` and :math:`\delta c^t`
(after its "+=") is ``dc_next + dh_next ⊙ o ⊙ (1 − tanh²c)``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import sympy as sp

import lstm_ref
from lstm_ref import verify
from lstm_ref.verify import Sigmoid, Tanh, odot, square
from lstm_ref.verify.hand import hand_matrix
from lstm_ref.verify.numeric import atom_values, evaluator

from .checks import all_of, counterexample_text, equals, numeric, proves, written_out
from .claim import Claim, Correction, Model, Outcome, Reading

__all__ = ["SOURCE", "TITLE", "SECTIONS", "MODELS", "CLAIMS"]

SOURCE = "003"
TITLE = "LSTM Forward and Backward Pass (A. Mallya, web note)"
SECTIONS = {
    "FWD": "Forward pass",
    "NOTE": "Notes on the forward pass",
    "BWD": "Backward pass: cell and gate gradients",
    "THETA": "Backward pass: the stacked weight Θ",
}


# ------------------------------------------------------------------ the layout

def _rows(H: int) -> list:
    """Fused row of each of 003's rows: blocks a (= g), i, f, o out of f, i, o, g."""
    return [lstm_ref.GATES.index(k) * H + r for k in lstm_ref.SPLIT_GATES for r in range(H)]


def _cols(H: int, D: int) -> list:
    """Fused column of each of 003's columns: I = [x; h] out of z = [h; x]."""
    return [*range(H, H + D), *range(H)]


def _permutation(order: list) -> sp.Matrix:
    """The permutation matrix P with (P v)[k] = v[order[k]]."""
    return sp.Matrix(len(order), len(order), lambda r, c: int(order[r] == c))


def _split_model(H: int, D: int) -> SimpleNamespace:
    """The core cell in its leaves with b = 0 (``course``) and 003's blocks of Θ."""
    cell = verify.symbolic_cell(H=H, D=D)
    no_bias = {s: 0 for s in cell.b}

    def course(m):
        return written_out(m, cell).xreplace(no_bias)

    Theta = cell.W.extract(_rows(H), _cols(H, D))
    W, U = Theta[:, :D], Theta[:, D:]
    ns = SimpleNamespace(H=H, D=D, x=cell.x, h_prev=cell.h_prev, c_prev=cell.c_prev,
                         W_fused=cell.W, z=cell.z, Theta=Theta, W=W, U=U,
                         I=sp.Matrix.vstack(cell.x, cell.h_prev),
                         P_row=_permutation(_rows(H)), P_col=_permutation(_cols(H, D)),
                         course=SimpleNamespace(**{k: course(getattr(cell, k)) for k in (
                             "a", "a_f", "a_i", "a_o", "a_g", "f", "i", "o", "g", "c", "h")}))
    for k, name in enumerate("aifo"):                  # W_a, U_a, W_i, U_i, …
        setattr(ns, "W_" + name, W[k * H:(k + 1) * H, :])
        setattr(ns, "U_" + name, U[k * H:(k + 1) * H, :])
    # source 003's items 1–6, each in its own symbols (b = 0)
    hat = {k: getattr(ns, "W_" + k) * ns.x + getattr(ns, "U_" + k) * ns.h_prev for k in "aifo"}
    a = hat["a"].applyfunc(Tanh)
    i, f, o = (hat[k].applyfunc(Sigmoid) for k in "ifo")
    c = odot(a, i) + odot(ns.c_prev, f)
    ns.src = SimpleNamespace(a_hat=hat["a"], i_hat=hat["i"], f_hat=hat["f"], o_hat=hat["o"],
                             a=a, i=i, f=f, o=o, c=c, h=odot(c.applyfunc(Tanh), o))
    return ns


# ------------------------------------------------------- 003's names in the engine

def _names(m) -> SimpleNamespace:
    """Source 003's backward quantities in the engine's cell ``m`` (local derivatives
    corrected in ``dI_hat``, rows in 003's order â, î, f̂, ô)."""
    one = m.ones
    dE_dh = m.dh_next                                          # total ∂E/∂h^t
    h_path = odot(dE_dh, m.o, one - square(m.tanh_c))          # ∂E/∂h^t ⊙ ∂h^t/∂c^t
    delta_c = m.dc_next + h_path                               # δc^t after its "+="
    dE_do = odot(dE_dh, m.tanh_c)
    dE_da, dE_di, dE_df = odot(delta_c, m.i), odot(delta_c, m.g), odot(delta_c, m.c_prev)
    dI_hat = sp.Matrix.vstack(odot(dE_da, one - square(m.g)), odot(dE_di, m.i, one - m.i),
                              odot(dE_df, m.f, one - m.f), odot(dE_do, m.o, one - m.o))
    Theta = m.W.extract(_rows(m.H), _cols(m.H, m.D))
    return SimpleNamespace(one=one, dE_dh=dE_dh, h_path=h_path, delta_c=delta_c,
                           dE_do=dE_do, dE_da=dE_da, dE_di=dE_di, dE_df=dE_df, dI_hat=dI_hat,
                           Theta=Theta, W=Theta[:, :m.D], U=Theta[:, m.D:],
                           I=sp.Matrix.vstack(m.x, m.h_prev))


def _bptt(m) -> SimpleNamespace:
    """Source 003's backward pass over the sequence ``m``, corrected and with the
    recurrent term U^T ∂E/∂Î^{t+1}: per step (code index t) the total ∂E/∂h^t,
    δc^t, its initial value (what step t+1 sent), ∂E/∂Î^t and I^t."""
    T, H, D, one = m.T, m.H, m.D, m.ones
    Theta = m.W.extract(_rows(H), _cols(H, D))
    U = Theta[:, D:]
    dh, dc, dc_init, dI = [None] * T, [None] * T, [None] * T, [None] * T
    dc_next, dh_rec = m.dc_T, sp.zeros(H, 1)
    for t in reversed(range(T)):
        c_prev = m.c0 if t == 0 else m.c[t - 1]
        dh[t] = m.dh[t] + dh_rec                               # cost layer + step t+1
        dc_init[t] = dc_next                                   # δc^t before its "+="
        dc[t] = dc_next + odot(dh[t], m.o[t], one - square(m.tanh_c[t]))
        dI[t] = sp.Matrix.vstack(odot(dc[t], m.i[t], one - square(m.g[t])),
                                 odot(dc[t], m.g[t], m.i[t], one - m.i[t]),
                                 odot(dc[t], c_prev, m.f[t], one - m.f[t]),
                                 odot(dh[t], m.tanh_c[t], m.o[t], one - m.o[t]))
        dh_rec = U.T * dI[t]                                   # what h^{t−1} gets back
        dc_next = odot(dc[t], m.f[t])                          # δc^{t−1}'s initial value
    inputs = [sp.Matrix.vstack(m.x[t], m.h0 if t == 0 else m.h[t - 1]) for t in range(T)]
    return SimpleNamespace(Theta=Theta, U=U, dh=dh, dc=dc, dc_init=dc_init, dI=dI, I=inputs,
                           one=one)


MODELS = {
    "split": Model("003's cell, the core cell with b = 0, H = 2, D = 3",
                   lambda: _split_model(2, 3)),
    "split11": Model("003's cell, the core cell with b = 0, H = D = 1",
                     lambda: _split_model(1, 1)),
    "cell": Model("core cell, H = 2, D = 3", lambda: verify.symbolic_cell(H=2, D=3)),
    "cell11": Model("core cell, H = D = 1", lambda: verify.symbolic_cell(H=1, D=1)),
    "seq": Model("core sequence, T = 2, H = 2, D = 3",
                 lambda: verify.symbolic_sequence(T=2, H=2, D=3)),
}


# ------------------------------------------------------------ check combinators

def _at_no_bias(m, wrt, hand, seed=0, points=5):
    """A counterexample in 003's own model: hand ≠ SymPy's ∂J/∂(wrt) at a seeded
    forward point with every bias entry 0 (None if none of ``points`` shows one)."""
    leaf = isinstance(wrt, sp.MatrixBase)
    g, _, domains = m.build(frozenset() if leaf else frozenset([wrt]))
    left = hand_matrix(hand, "hand", g.atomize)
    right = verify.sympy_grad(m, wrt)
    no_bias = set(m.b)
    rng = np.random.default_rng(seed)
    for p in range(points):
        vals = {}
        for leaves, _ in domains:                   # every leaf U(−1, 1), as the engine draws
            for sym, v in zip(leaves, rng.uniform(-1.0, 1.0, size=len(leaves))):
                vals[sym] = 0.0 if sym in no_bias else float(v)
        atom_values(g, vals)
        hv, tv = evaluator(left)(vals), evaluator(right)(vals)
        gaps = [float(abs(a - b)) for a, b in zip(hv, tv)]
        k = int(np.argmax(gaps))
        if gaps[k] > 1e-12:
            r, c = divmod(k, left.shape[1])
            used = sorted((left[k].free_symbols | right[k].free_symbols) - no_bias, key=str)
            return verify.Counterexample(f"[{r}]" if left.shape[1] == 1 else f"[{r},{c}]",
                                         float(hv[k]), float(tv[k]),
                                         tuple((str(u), float(vals[u])) for u in used), p, seed)
    return None


def _proves(hand, wrt, model: str):
    """:func:`.checks.proves` in a core model; a formula found wrong gets its
    counterexample again at b = 0, 003's model (an error if it has none there)."""
    engine_check = proves(hand, wrt, model)

    def decide(models):
        out = engine_check(models)
        if out.verdict != "wrong":
            return out
        m = models[model]
        target = wrt(m) if callable(wrt) else wrt
        cx = _at_no_bias(m, target, hand(m))
        if cx is None:
            raise RuntimeError(f"{model}: wrong for some b but no counterexample at b = 0")
        return Outcome("wrong", out.evidence,
                       counterexample_text(cx, models.text(model) + ", b = 0"))
    return decide


def _g(x: float) -> str:
    """A computed number as printed: 4 significant digits, a true minus sign."""
    return f"{x:.4g}".replace("-", "−")


# ------------------------------------------------------------- numeric checks

def _sigmoid_range():
    """σ maps ℝ into (0, 1): increasing, limits 0 and 1; float64 stays in [0, 1]."""
    u = sp.Symbol("u", real=True)
    s = 1 / (1 + sp.exp(-u))
    increasing = bool(sp.diff(s, u).is_positive)
    limits = (sp.limit(s, u, -sp.oo), sp.limit(s, u, sp.oo))
    grid = lstm_ref.sigmoid(np.linspace(-40.0, 40.0, 801))
    if not (increasing and limits == (0, 1) and grid.min() >= 0 and grid.max() <= 1):
        return Outcome("false", "σ leaves [0, 1]", f"limits {limits}, increasing {increasing}")
    return Outcome("holds", f"SymPy: σ′ > 0, σ → 0 and 1 at ∓∞, so σ(ℝ) = (0, 1); float64 on "
                            f"u ∈ [−40, 40]: [{_g(grid.min())}, {_g(grid.max())}]")


def _second_derivative(m, *, sigmoid_linear: bool):
    """∂²h^t/∂(x^t)² of 003's H = D = 1 cell with tanh (and σ) replaced by the
    identity, at a seeded point; returns (value, the point as text)."""
    h = m.course.h[0].replace(Tanh, lambda u: u)
    h = h.replace(Sigmoid, (lambda u: u) if sigmoid_linear else (lambda u: 1 / (1 + sp.exp(-u))))
    x = m.x[0]
    rng = np.random.default_rng(11)
    others = sorted(h.free_symbols - {x}, key=str)
    tenths = [k for k in range(-9, 10) if k]                  # no zero: every path counts
    point = {s: sp.Rational(int(rng.choice(tenths)), 10) for s in others}
    point[x] = sp.Rational(3, 10)
    value = float(sp.diff(h, x, 2).xreplace(point))
    shown = ", ".join(f"{name} = {_g(float(point[v[0]]))}" for name, v in
                      (("x", m.x), ("h_prev", m.h_prev), ("c_prev", m.c_prev)))
    return value, f"{shown}, W in tenths (seeded)"


def _tanh_only_nonlinearity(m):
    """003's NOTE 3: with both tanh linear, h^t would be linear in x^t."""
    value, at = _second_derivative(m, sigmoid_linear=False)
    if value == 0:
        return Outcome("holds", "tanh → identity leaves h^t linear in x^t")
    return Outcome("false", "tanh → identity (b = 0, H = D = 1): h^t is still not linear in x^t",
                   f"∂²h^t/∂(x^t)² = {_g(value)} ≠ 0 (at {at})")


def _other_nonlinearities(m):
    """Non-linear through σ (tanh linear) and through the products alone (σ linear too)."""
    v_sigma, _ = _second_derivative(m, sigmoid_linear=False)
    v_prod, _ = _second_derivative(m, sigmoid_linear=True)
    if v_sigma == 0 or v_prod == 0:
        return Outcome("false", "a linear cell", f"∂²h/∂x² = {_g(v_sigma)}, {_g(v_prod)}")
    return Outcome("holds", f"∂²h^t/∂(x^t)² = {_g(v_sigma)} with tanh → identity and "
                            f"{_g(v_prod)} with σ → identity too (products only); "
                            f"003's cell, b = 0, H = D = 1, seeded point")


def _saturation():
    """003's NOTE 3: σ′ vanishes for very negative inputs, tanh′ does not."""
    u = np.array([-10.0, 10.0])
    d_tanh = lstm_ref.tanh_grad_from_output(np.tanh(u))
    d_sigma = lstm_ref.sigmoid_grad_from_output(lstm_ref.sigmoid(u))
    if d_tanh[0] >= d_sigma[0]:
        return Outcome("holds", f"tanh′(−10) = {_g(d_tanh[0])} ≥ σ′(−10) = {_g(d_sigma[0])}")
    return Outcome("false", "tanh′ vanishes for large |u| as well, and faster than σ′",
                   f"tanh′(−10) = {_g(d_tanh[0])} < σ′(−10) = {_g(d_sigma[0])} "
                   f"(and at +10: tanh′ = {_g(d_tanh[1])}, σ′ = {_g(d_sigma[1])}; "
                   f"lstm_ref, float64)")


def _both_saturate():
    """tanh′(u) = 4σ′(2u), and both derivatives → 0 at ±∞ (SymPy, in y = e^u > 0)."""
    u, y = sp.Symbol("u", real=True), sp.Symbol("y", positive=True)
    at_y = {sp.exp(u): y}

    def sigma(v):
        return 1 / (1 + sp.exp(-v))

    d_tanh = (1 - sp.tanh(u) ** 2).rewrite(sp.exp).subs(at_y)          # rational in y
    d_sigma = (sigma(u) * (1 - sigma(u))).subs(at_y)
    twice = (4 * sigma(2 * u) * (1 - sigma(2 * u))).subs(at_y)        # 4σ′(2u)
    same = sp.cancel(d_tanh - twice) == 0
    ends = [sp.limit(e, y, end) for e in (d_tanh, d_sigma) for end in (0, sp.oo)]
    if not same or any(e != 0 for e in ends):
        return Outcome("false", "not as stated", f"tanh′ − 4σ′(2u) = {sp.cancel(d_tanh - twice)}"
                                                 f", limits {ends}")
    return Outcome("holds", "SymPy, in y = e^u: tanh′ − 4σ′(2u) cancels to 0, and both "
                            "derivatives tend to 0 as y → 0 and y → ∞ (u → ∓∞)")


def _sizes_and_start():
    """003's model with its sizes and h⁰ = c⁰ = 0 is the core loop with b = 0."""
    rng = np.random.default_rng(7)
    T, B, D, H = 3, 2, 3, 2
    W, U = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    x, zero = rng.standard_normal((T, B, D)), np.zeros((B, H))
    h, c, _ = lstm_ref.split_forward(x, zero, zero, W, U)
    h_core, c_core, _ = lstm_ref.lstm_forward(x, zero, zero, lstm_ref.split_to_fused(W, U),
                                              np.zeros(4 * H))
    gap = max(np.abs(h - h_core).max(), np.abs(c - c_core).max())
    if gap > 1e-12:
        return Outcome("false", "the split loop differs from the core loop",
                       f"max |Δ| = {_g(gap)}")
    return Outcome("holds", "lstm_ref.split_forward, W (8×3), U (8×2), h⁰ = c⁰ = 0, T = 3, "
                            "equals lstm_forward with W_fused = P_rowᵀ [W U] P_col, b = 0 "
                            "(max |Δh|, |Δc| ≤ 1e−12)")


def _sgd_descent():
    """Θ ← Θ − α ∂E/∂Θ with lstm_ref's (corrected, recurrent) gradient is a descent step."""
    rng = np.random.default_rng(36)
    T, B, D, H = 5, 2, 3, 2
    x = rng.standard_normal((T, B, D))
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    W, U = 0.5 * rng.standard_normal((4 * H, D)), 0.5 * rng.standard_normal((4 * H, H))
    y = rng.standard_normal((T, B, H))

    def E(W, U):
        return 0.5 * np.sum((lstm_ref.split_forward(x, h0, c0, W, U)[0] - y) ** 2)

    h, _, cache = lstm_ref.split_forward(x, h0, c0, W, U)
    g = lstm_ref.split_backward(h - y, cache)                 # ∂E/∂h^t = h^t − y^t
    alpha = 1e-3
    drop = E(W, U) - E(W - alpha * g.dW, U - alpha * g.dU)
    predicted = alpha * (np.sum(g.dW ** 2) + np.sum(g.dU ** 2))   # α ‖∂E/∂Θ‖²
    if not (drop > 0 and abs(drop / predicted - 1) < 0.05):
        return Outcome("false", "not a descent step", f"drop {_g(drop)}, α‖g‖² {_g(predicted)}")
    return Outcome("holds", f"E = ½Σ‖h^t − y^t‖², T = 5, α = 0.001: E drops by {_g(drop)}, "
                            f"first order α‖∂E/∂Θ‖² = {_g(predicted)} (lstm_ref.split_backward)")


def _step1_contraction(m):
    """003's ∂E/∂Î^1 · ∂Î^1/∂Θ at step 1, the contraction done by SymPy, in the fused
    layout of the engine's per-step weight copy W_(1)."""
    b = _bptt(m)
    I_hat = b.Theta * b.I[0]                                  # Î^1 = Θ I^1 (b = 0)
    dTheta = sp.Matrix(*b.Theta.shape, lambda j, k: sum(
        (b.dI[0][r] * sp.diff(I_hat[r], b.Theta[j, k]) for r in range(I_hat.shape[0])),
        sp.S.Zero))
    P_row, P_col = _permutation(_rows(m.H)), _permutation(_cols(m.H, m.D))
    return P_row.T * dTheta * P_col                           # Θ-shaped → W-shaped


def _dc1(m, via_c2):
    """δc^1 = (initial value from step 2) + (the h-path term at step 1)."""
    b = _bptt(m)
    return via_c2(b) + odot(b.dh[0], m.o[0], b.one - square(m.tanh_c[0]))


# --------------------------------------------------------------------- claims

_DC_LATEX = (r"\begin{aligned}\frac{\partial E}{\partial c^1} &= \frac{\partial E}{\partial h^1}"
             r"\odot o^1\odot(1-\tanh^2 c^1)\\ &\quad + \frac{\partial E}{\partial c^2}"
             r"\odot f^2\end{aligned}")
_DC_COURSE = (r"\begin{aligned}\frac{\partial J}{\partial c_{t-1}} &= f_t\odot"
              r"\frac{\partial J}{\partial c_t}\\ &\quad + \frac{\partial J}{\partial h_{t-1}}"
              r"\odot o_{t-1}\odot(1-\tanh^2 c_{t-1})\end{aligned}")


def _pre(k):
    """â^t, î^t, f̂^t, ô^t: the course's pre-activation beside 003's, b = 0."""
    return lambda m: sp.Matrix.vstack(getattr(m.course, "a_" + ("g" if k == "a" else k)),
                                      getattr(m.course, "g" if k == "a" else k))


def _src_pre(k):
    return lambda m: sp.Matrix.vstack(getattr(m.src, k + "_hat"), getattr(m.src, k))


def _fwd(id_, item, latex, k, gate, damage="", note=""):
    return Claim(id_, f"§Forward Pass, item {item} ({gate})", latex,
                 (Reading("as written", "", equals(_pre(k), _src_pre(k), "split")),),
                 damage=damage, note=note, chapters=("forward", "split_weights"))


_FWD = (
    _fwd("003-FWD-01", 1, r"a^t = \tanh(\hat{a}^t) = \tanh(W_a x^t + U_a h^{t-1})", "a",
         "cell input",
         note=r"003's $a^t$ is the candidate, the course's $g_t$; hats mark pre-activations, "
              r"so $\hat a^t$ is $a_g$ with $b = 0$."),
    _fwd("003-FWD-02", 2, r"i^t = \sigma(\hat{i}_t) = \sigma(W_i x^t + U_i h^{t-1})", "i",
         "input gate", damage=r"$\hat{i}_t$ with a subscript, read as $\hat i^t$ like every "
                              r"other symbol"),
    _fwd("003-FWD-03", 3, r"f^t = \sigma(\hat{f}^t) = \sigma(W_f x^t + U_f h^{t-1})", "f",
         "forget gate"),
    Claim("003-FWD-04", "§Forward Pass, item 4 (memory cell)",
          r"c^t = a^t \odot i^t + c^{t-1} \odot f^t",
          (Reading("as written", "", equals(lambda m: m.course.c, lambda m: m.src.c, "split")),),
          chapters=("forward", "split_weights")),
    _fwd("003-FWD-05", 5, r"o^t = \sigma(\hat{o}^t) = \sigma(W_o x^t + U_o h^{t-1})", "o",
         "output gate"),
    Claim("003-FWD-06", "§Forward Pass, item 6 (output)", r"h^t = \tanh(c^t) \odot o^t",
          (Reading("as written", "", equals(lambda m: m.course.h, lambda m: m.src.h, "split")),),
          chapters=("forward", "split_weights")),
    Claim("003-FWD-07", "§Forward Pass, items 1–6 as a whole",
          r"\text{not stated: sizes of } W_\ast,\ U_\ast;\ \ h^0,\ c^0",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned}&W_\ast\in\mathbb{R}^{H\times D},\ U_\ast\in\mathbb{R}^{H\times H},"
              r"\\ &\Theta\in\mathbb{R}^{4H\times(D+H)};\ \ h^0, c^0 \text{ given (e.g. 0)}"
              r"\end{aligned}",
              numeric(_sizes_and_start)),
          note=r"Having no bias is a choice of model, not an error: it is the course's cell "
               r"with $b = 0$.",
          chapters=("split_weights", "api")),
)

_NOTE = (
    Claim("003-NOTE-08", "§Forward Pass, NOTE 1, first sentence",
          r"c^{t+1} = c^t \quad (\text{implicit dataflow})",
          (Reading("R1: an equation between the values", r"c^t = c^{t-1}",
                   equals(lambda m: m.course.c, lambda m: m.c_prev, "split11")),
           Reading("R2: the gradient passes back unchanged",
                   r"\frac{\partial E}{\partial c^{t-1}} = \delta c^t",
                   _proves(lambda m: _names(m).delta_c, lambda m: m.c_prev,
                                     "cell11"))),
          kind="claim",
          correction=Correction(
              r"\begin{aligned}c_t &= f_t\odot c_{t-1} + i_t\odot g_t,\\ "
              r"\frac{\partial J}{\partial c_{t-1}} &= f_t\odot\frac{\partial J}{\partial c_t}"
              r"\end{aligned}",
              all_of(equals(lambda m: m.course.c,
                          lambda m: odot(m.course.f, m.c_prev) + odot(m.course.i, m.course.g),
                          "split11"),
                   _proves(lambda m: odot(_names(m).delta_c, m.f), lambda m: m.c_prev,
                          "cell11"))),
          note=r"The path $c^t \to c^{t+1}$ exists, but it is scaled by $f^{t+1}$; 003's own "
               r"{ref}`003-BWD-22 <errata-003-bwd-22>` says so.",
          chapters=("bptt",)),
    Claim("003-NOTE-09", "§Forward Pass, NOTE 1, second sentence",
          r"c^t \text{ gets gradients from } h^t \text{ and from } h^{t+1}",
          (Reading("through $h^t$, and through $c^{t+1}$, which carries $h^{t+1}$ ($T = 2$)",
                   _DC_LATEX,
                   _proves(lambda m: _dc1(m, lambda b: odot(b.dc[1], m.f[1])),
                                     ("c", 0), "seq")),),
          kind="claim",
          note=r"Loose but right: $h^{t+1}$ (and every later step) reaches $c^t$ through "
               r"$c^{t+1}$; with $\partial E/\partial h^1$ the total, recurrent term included.",
          chapters=("bptt", "split_weights", "cell_backward")),
    Claim("003-NOTE-10", "§Forward Pass, NOTE 2",
          r"i^t,\ f^t,\ o^t \in [0, 1] \quad (\text{all gates use } \sigma)",
          (Reading("as written", r"\sigma(u)\in[0, 1]\ \text{for all real } u",
                   numeric(_sigmoid_range)),),
          kind="claim",
          note=r"Strictly the open interval $(0, 1)$: a gate never closes or opens completely "
               r"(in float64 σ(40) rounds to 1)."),
    Claim("003-NOTE-11", "§Forward Pass, NOTE 3, first sentence",
          r"\begin{aligned}&\text{the non-linearity comes from}\\ &\tanh(\hat a^t) "
          r"\text{ and the } \tanh \text{ in } h_t\end{aligned}",
          (Reading("R1: with both tanh linear, $h^t$ would be linear in $x^t$",
                   r"\tanh\to\mathrm{id}\ \Rightarrow\ \partial^2 h^t/\partial (x^t)^2 = 0",
                   numeric(_tanh_only_nonlinearity, "split11")),),
          kind="claim", damage=r"$h_t$ with a subscript: the $\tanh(c^t)$ inside $h^t$",
          correction=Correction(
              r"\begin{aligned}\tanh\to\mathrm{id}:\ h_t &= o_t\odot(f_t\odot c_{t-1} + "
              r"i_t\odot a_g),\\ &\text{non-linear through } \sigma \text{ and } \odot"
              r"\end{aligned}",
              numeric(_other_nonlinearities, "split11")),
          note="The sigmoid gates and the gate-times-signal products are non-linear too."),
    Claim("003-NOTE-12", "§Forward Pass, NOTE 3, second sentence",
          r"\sigma'(u)\to 0 \ (u\to-\infty), \text{ but } \tanh'(u) \not\to 0",
          (Reading("as written", "", numeric(_saturation)),),
          kind="claim",
          correction=Correction(
              r"\begin{aligned}\tanh'(u) &= 1-\tanh^2 u = 4\,\sigma'(2u),\\ "
              r"\sigma'(u),\ \tanh'(u) &\to 0 \ \text{ as } |u|\to\infty\end{aligned}",
              numeric(_both_saturate)),
          note=r"Both saturate on both sides, $\tanh$ faster at the same $u$; "
               r"$\sigma'$ vanishes for very positive inputs too.",
          chapters=("split_weights", "matrix_calculus")),
)


def _cell11_prove(fn, wrt):
    return _proves(lambda m: fn(_names(m), m), wrt, "cell11")


_BWD = (
    Claim("003-BWD-13", "§Backward Pass, first sentence",
          r"\text{updated: } W_o, U_o, W_f, U_f, W_i, U_i",
          (Reading("as written: $W_a$, $U_a$ need no update",
                   r"\frac{\partial E}{\partial W_a} = 0,\ \frac{\partial E}{\partial U_a} = 0",
                   _proves(lambda m: sp.zeros(m.H, m.D + m.H),
                                     lambda m: _names(m).Theta[:m.H, :], "cell")),),
          kind="claim",
          correction=Correction(
              r"\frac{\partial J}{\partial W_a} = \frac{\partial J}{\partial a_g}\,x_t^\top,\ "
              r"\frac{\partial J}{\partial U_a} = \frac{\partial J}{\partial a_g}\,h_{t-1}^\top",
              _proves(lambda m: _names(m).dI_hat[:m.H, :] * _names(m).I.T,
                     lambda m: _names(m).Theta[:m.H, :], "cell")),
          note=r"The candidate's weights are left out of the list though $\Theta$ contains them; "
               r"no update rule is given either ({ref}`003-THETA-36 <errata-003-theta-36>`).",
          chapters=("split_weights", "bptt")),
    Claim("003-BWD-14", "§Backward Pass, second sentence",
          r"\frac{\partial E}{\partial h^t} \text{ from the cost layer}",
          (Reading("as written: the cost layer's term is all of it ($T = 2$, $t = 1$)",
                   r"\frac{\partial E}{\partial h^1} = \frac{\partial E}{\partial h^1}"
                   r"\Big|_{\text{cost}}",
                   _proves(lambda m: m.dh[0], ("h", 0), "seq")),),
          kind="claim",
          damage=r"$E$, called the error of $h^t$, and the cost layer are never defined",
          correction=Correction(
              r"\frac{\partial J}{\partial h_t} = \frac{\partial J_t}{\partial h_t} + "
              r"U^\top\frac{\partial J}{\partial \hat I^{t+1}}",
              _proves(lambda m: _bptt(m).dh[0], ("h", 0), "seq")),
          note=r"$h^t$ also feeds step $t+1$: the recurrent term $U^\top\partial E/\partial\hat "
               r"I^{t+1}$ (the course's `dh_next`) is never computed, so every later formula that "
               r"uses $\partial E/\partial h^t$ inherits the gap.",
          chapters=("bptt", "split_weights")),
    Claim("003-BWD-15", "§Backward Pass, 1st display",
          r"\begin{aligned}\frac{\partial E}{\partial o^t} &= \frac{\partial E}{\partial h^t} "
          r"\cdot \frac{\partial h^t}{\partial o^t}\\ &= \frac{\partial E}{\partial h^t} "
          r"\odot \tanh(c^t)\end{aligned}",
          (Reading("as written", "", _cell11_prove(lambda n, m: n.dE_do, "o")),),
          note=r"Right with the total $\partial E/\partial h^t$ (see "
               r"{ref}`003-BWD-14 <errata-003-bwd-14>`); the $\cdot$ with a diagonal Jacobian "
               r"is $\odot$.",
          chapters=("cell_backward", "split_weights")),
    Claim("003-BWD-16", "§Backward Pass, 2nd display",
          r"\begin{aligned}\frac{\partial E}{\partial c^t} &= \frac{\partial E}{\partial h^t} "
          r"\frac{\partial h^t}{\partial c^t}\\ &= \frac{\partial E}{\partial h^t} \odot o^t "
          r"\odot [1 - \tanh^2(c^t)]\end{aligned}",
          (Reading(r"R1: the part through $h^t$ (what $\delta c^t$ adds)",
                   r"\frac{\partial E}{\partial c^t} - \delta c^{t+1}\odot f^{t+1}",
                   _cell11_prove(lambda n, m: n.h_path + m.dc_next, "c")),
           Reading(r"R2: the total $\partial E/\partial c^t$", "",
                   _cell11_prove(lambda n, m: n.h_path, "c"))),
          correction=Correction(
              r"\begin{aligned}\frac{\partial J}{\partial c_t} &= \frac{\partial J}{\partial h_t}"
              r"\odot o_t\odot(1-\tanh^2 c_t)\\ &\quad + f_{t+1}\odot"
              r"\frac{\partial J}{\partial c_{t+1}}\end{aligned}",
              _cell11_prove(lambda n, m: n.delta_c, "c")),
          note=r"The symbol $\partial E/\partial c^t$ names only the $h$-path term; the total is "
               r"$\delta c^t$ after 003-BWD-18.",
          chapters=("split_weights", "cell_backward")),
    Claim("003-BWD-17", "§Backward Pass, sentence before the 3rd display",
          r"\delta c^t \text{ accumulates gradients from } h^T",
          (Reading("R1: $h^T$ a slip for $h^t$", r"\delta c^t = \delta c^{t+1}\odot f^{t+1} + "
                   r"\frac{\partial E}{\partial c^t}",
                   _cell11_prove(lambda n, m: n.delta_c, "c")),
           Reading("R2: from every step up to $T$ ($T = 2$)", _DC_LATEX,
                   _proves(lambda m: _dc1(m, lambda b: odot(b.dc[1], m.f[1])),
                                     ("c", 0), "seq"))),
          kind="claim", damage=r"$h^T$: capital $T$ where $t$, or up to $T$, is meant",
          note=r"Read literally (from $h^T$ alone) it would be wrong; both plausible readings "
               r"hold.",
          chapters=("split_weights", "bptt")),
    Claim("003-BWD-18", "§Backward Pass, 3rd display",
          r"\delta c^t \mathrel{+}= \frac{\partial E}{\partial c^t}",
          (Reading(r"as written, $\delta c^t$ starting at $\delta c^{t+1}\odot f^{t+1}$ "
                   "(003-BWD-22)", "",
                   _cell11_prove(lambda n, m: n.delta_c, "c")),),
          damage=r"extraction: `+ =` for $\mathrel{+}=$",
          note=r"The start value at $t = T$ ($0$, or a gradient arriving at $c^T$) is not stated.",
          chapters=("split_weights", "bptt", "cell_backward")),
    Claim("003-BWD-19", "§Backward Pass, 4th display",
          r"\frac{\partial E}{\partial i^t} = \delta c^t \odot a^t",
          (Reading("as written", "", _cell11_prove(lambda n, m: n.dE_di, "i")),),
          chapters=("cell_backward", "split_weights")),
    Claim("003-BWD-20", "§Backward Pass, 5th display",
          r"\frac{\partial E}{\partial a^t} = \delta c^t \odot i^t",
          (Reading("as written", "", _cell11_prove(lambda n, m: n.dE_da, "g")),),
          chapters=("cell_backward", "split_weights")),
    Claim("003-BWD-21", "§Backward Pass, 6th display",
          r"\frac{\partial E}{\partial f^t} = \delta c^t \odot c^{t-1}",
          (Reading("as written", "", _cell11_prove(lambda n, m: n.dE_df, "f")),),
          chapters=("cell_backward", "split_weights", "notation")),
    Claim("003-BWD-22", "§Backward Pass, 7th display",
          r"\frac{\partial E}{\partial c^{t-1}} = \delta c^t \odot f^t",
          (Reading("as written", "",
                   _proves(lambda m: odot(_names(m).delta_c, m.f), lambda m: m.c_prev,
                          "cell11")),),
          note=r"Within one step this is all of $\partial E/\partial c^{t-1}$; in a sequence it "
               r"is the $c$-path part, the initial value of $\delta c^{t-1}$.",
          chapters=("cell_backward", "split_weights")),
    Claim("003-BWD-23", "§Backward Pass, NOTE after the 7th display",
          r"\begin{aligned}&\delta c^{t-1} \leftarrow \delta c^t\odot f^t,\ \text{later "
          r"updated}\\ &\text{by } \frac{\partial E}{\partial c^{t-1}}\end{aligned}",
          (Reading(r"R1: $\partial E/\partial c^{t-1}$ as in 003-BWD-16 ($T = 2$)", _DC_LATEX,
                   _proves(lambda m: _dc1(m, lambda b: b.dc_init[0]), ("c", 0),
                                     "seq")),
           Reading(r"R2: $\partial E/\partial c^{t-1}$ as in 003-BWD-22, just above",
                   r"\delta c^1 = \delta c^2\odot f^2 + \delta c^2\odot f^2",
                   _proves(lambda m: 2 * _bptt(m).dc_init[0], ("c", 0), "seq"))),
          kind="claim",
          correction=Correction(_DC_COURSE, _proves(lambda m: _bptt(m).dc[0], ("c", 0), "seq")),
          note=r"One symbol, two quantities: $\partial E/\partial c^{t-1}$ is the $c$-path term "
               r"in 003-BWD-22 and the $h$-path term here; the procedure is right only with the "
               r"second.",
          chapters=("bptt", "split_weights")),
    Claim("003-BWD-24", "§Backward Pass, 8th display",
          r"\frac{\partial E}{\partial \hat{a}^t} = \frac{\partial E}{\partial a^t} \odot "
          r"[1 - \tanh(\hat{a}^t)]",
          (Reading("R1: as printed", "",
                   _cell11_prove(lambda n, m: odot(n.dE_da, n.one - m.a_g.applyfunc(Tanh)),
                                 "a_g")),
           Reading("R2: a lost square", r"\frac{\partial E}{\partial a^t}\odot"
                   r"[1-\tanh^2(\hat a^t)]",
                   _cell11_prove(lambda n, m: odot(n.dE_da, n.one - square(
                       m.a_g.applyfunc(Tanh))), "a_g"))),
          correction=Correction(
              r"\frac{\partial J}{\partial a_g} = \frac{\partial J}{\partial g_t}\odot(1-g_t^2)",
              _cell11_prove(lambda n, m: odot(n.dE_da, n.one - square(m.g)), "a_g")),
          note=r"$\tanh' = 1-\tanh^2$, so the factor is $1-(a^t)^2$.",
          chapters=("cell_backward", "split_weights", "bptt")),
    Claim("003-BWD-25", "§Backward Pass, 9th display",
          r"\frac{\partial E}{\partial \hat{i}^t} = \frac{\partial E}{\partial i^t} \odot "
          r"\hat{a}^t \odot (1 - \hat{a}^t)",
          (Reading("R1: as printed (the candidate's pre-activation)", "",
                   _cell11_prove(lambda n, m: odot(n.dE_di, m.a_g, n.one - m.a_g), "a_i")),
           Reading(r"R2: $\hat a^t$ a slip for $\hat i^t$",
                   r"\frac{\partial E}{\partial i^t}\odot\hat i^t\odot(1-\hat i^t)",
                   _cell11_prove(lambda n, m: odot(n.dE_di, m.a_i, n.one - m.a_i), "a_i")),
           Reading("R3: the gate's output meant", r"\frac{\partial E}{\partial i^t}\odot i^t"
                   r"\odot(1-i^t)",
                   _cell11_prove(lambda n, m: odot(n.dE_di, m.i, n.one - m.i), "a_i"))),
          correction=Correction(
              r"\frac{\partial J}{\partial a_i} = \frac{\partial J}{\partial i_t}\odot i_t\odot"
              r"(1-i_t)",
              _cell11_prove(lambda n, m: odot(n.dE_di, m.i, n.one - m.i), "a_i")),
          note=r"$\sigma' = \sigma(1-\sigma)$ is written through the gate's output, not "
               r"through any pre-activation.",
          chapters=("cell_backward", "split_weights")),
    Claim("003-BWD-26", "§Backward Pass, 10th display",
          r"\frac{\partial E}{\partial \hat{f}^t} = \frac{\partial E}{\partial f^t} \odot "
          r"\hat{f}^t \odot (1 - \hat{f}^t)",
          (Reading("R1: as printed", "",
                   _cell11_prove(lambda n, m: odot(n.dE_df, m.a_f, n.one - m.a_f), "a_f")),
           Reading("R2: spurious hats", r"\frac{\partial E}{\partial f^t}\odot f^t\odot"
                   r"(1-f^t)",
                   _cell11_prove(lambda n, m: odot(n.dE_df, m.f, n.one - m.f), "a_f"))),
          correction=Correction(
              r"\frac{\partial J}{\partial a_f} = \frac{\partial J}{\partial f_t}\odot f_t\odot"
              r"(1-f_t)",
              _cell11_prove(lambda n, m: odot(n.dE_df, m.f, n.one - m.f), "a_f")),
          chapters=("cell_backward", "split_weights", "notation")),
    Claim("003-BWD-27", "§Backward Pass, 11th display",
          r"\frac{\partial E}{\partial \hat{o}^t} = \frac{\partial E}{\partial o^t} \odot "
          r"\delta^t \odot (1 - \delta^t)",
          (Reading(r"R1: $\delta^t$ an extraction of $\hat o^t$",
                   r"\frac{\partial E}{\partial o^t}\odot\hat o^t\odot(1-\hat o^t)",
                   _cell11_prove(lambda n, m: odot(n.dE_do, m.a_o, n.one - m.a_o), "a_o")),
           Reading(r"R2: $\delta^t$ for $o^t$",
                   r"\frac{\partial E}{\partial o^t}\odot o^t\odot(1-o^t)",
                   _cell11_prove(lambda n, m: odot(n.dE_do, m.o, n.one - m.o), "a_o")),
           Reading(r"R3: $\delta^t$ the accumulator $\delta c^t$",
                   r"\frac{\partial E}{\partial o^t}\odot\delta c^t\odot(1-\delta c^t)",
                   _cell11_prove(lambda n, m: odot(n.dE_do, n.delta_c, n.one - n.delta_c),
                                 "a_o"))),
          damage=r"$\delta^t$ is how the extraction renders a hatted $o$ (also in "
                 r"003-THETA-29, 003-THETA-33)",
          correction=Correction(
              r"\frac{\partial J}{\partial a_o} = \frac{\partial J}{\partial o_t}\odot o_t\odot"
              r"(1-o_t)",
              _cell11_prove(lambda n, m: odot(n.dE_do, m.o, n.one - m.o), "a_o")),
          chapters=("cell_backward", "split_weights")),
)


def _theta_prove(hand, wrt):
    return _proves(lambda m: hand(_names(m)), lambda m: wrt(_names(m)), "cell")


_A_HAT = r"\frac{\partial E}{\partial \hat{a}^t}"
_BRACKET = (r"\left[" + _A_HAT + r" \ \frac{\partial E}{\partial \hat{i}^t} \ "
            r"\frac{\partial E}{\partial \hat{f}^t} \ \frac{\partial E}{\partial \delta^t}"
            r"\right]")

_THETA = (
    Claim("003-THETA-28", "§Backward Pass, display after \"Because\"",
          r"\hat{I} = \Theta I",
          (Reading("R1: at step $t$, with $b = 0$", r"\hat I^t = \Theta I^t",
                   equals(lambda m: sp.Matrix.vstack(m.course.a_g, m.course.a_i, m.course.a_f,
                                                     m.course.a_o),
                          lambda m: m.Theta * m.I, "split")),),
          damage="superscript t dropped on both sides",
          chapters=("split_weights", "bptt", "forward")),
    Claim("003-THETA-29", "§Backward Pass, 1st display after \"where\"",
          r"\hat{I}^t = [\hat{a}^t \ \hat{i}^t \ \hat{f}^t \ \delta^t]^T",
          (Reading(r"R1: $\delta^t$ read as $\hat o^t$",
                   r"\hat I^t = [\hat a^t;\ \hat i^t;\ \hat f^t;\ \hat o^t]"
                   r" = P_{\mathrm{row}}\,a_t",
                   equals(lambda m: sp.Matrix.vstack(m.src.a_hat, m.src.i_hat, m.src.f_hat,
                                                     m.src.o_hat),
                          lambda m: m.P_row * m.course.a, "split")),),
          damage=r"$\delta^t$ for $\hat o^t$ (as in 003-BWD-27)",
          note="Gate order a, i, f, o: the course's (f, i, o, g) rows permuted.",
          chapters=("split_weights", "notation")),
    Claim("003-THETA-30", "§Backward Pass, 2nd display after \"where\"",
          r"\Theta = [W \ U]",
          (Reading(r"as written, $W$ and $U$ stacked by rows in the order of $\hat I^t$",
                   r"\Theta = \begin{bmatrix} W_a & U_a\\ \vdots & \vdots\\ W_o & U_o"
                   r"\end{bmatrix} = P_{\mathrm{row}} W P_{\mathrm{col}}^\top",
                   equals(lambda m: sp.Matrix.hstack(
                       sp.Matrix.vstack(m.W_a, m.W_i, m.W_f, m.W_o),
                       sp.Matrix.vstack(m.U_a, m.U_i, m.U_f, m.U_o)),
                       lambda m: m.P_row * m.W_fused * m.P_col.T, "split")),),
          note=r"That $W = [W_a; W_i; W_f; W_o]$ and $U$ alike are stacked by rows is implied, "
               r"not stated.",
          chapters=("split_weights",)),
    Claim("003-THETA-31", "§Backward Pass, 3rd display after \"where\"",
          r"I^t = [x^t \ h^{t-1}]^T",
          (Reading("as written", r"I^t = P_{\mathrm{col}}\, z_t",
                   equals(lambda m: sp.Matrix.vstack(m.x, m.h_prev),
                          lambda m: m.P_col * m.z, "split")),),
          note=r"$x$ first: the course's $z_t = [h_{t-1}; x_t]$ the other way round.",
          chapters=("split_weights", "cell_backward", "notation")),
    Claim("003-THETA-32", "§Backward Pass, display after \"we have\", first members",
          r"\delta \Theta^t = \frac{\partial E}{\partial \Theta} \Big|_{t=} "
          r"\frac{\partial E}{\partial \hat{I}^t} \cdot \frac{\partial \hat{I}^t}"
          r"{\partial \Theta} \Big|_{t=}",
          (Reading("R1: each bar followed by $=$; step 1 of $T = 2$",
                   r"\delta\Theta^1 = \frac{\partial E}{\partial\Theta}\Big|_1 = "
                   r"\frac{\partial E}{\partial\hat I^1}\cdot\frac{\partial\hat I^1}"
                   r"{\partial\Theta}\Big|_1",
                   _proves(_step1_contraction, ("W", 0), "seq")),),
          damage=r"extraction: `\Big|_{t=}`, the $=$ after each bar pulled into the subscript",
          note=r"$\partial E/\partial\Theta|_t$ is the gradient of the weight as used at step "
               r"$t$ only; the contraction with the 3-index $\partial\hat I^t/\partial\Theta$ "
               r"is done by SymPy and compared with the engine's per-step copy $W_{(1)}$.",
          chapters=("bptt",)),
    Claim("003-THETA-33", "§Backward Pass, display after \"we have\", last member",
          r"\delta\Theta^t = " + _BRACKET + r" \times I^t",
          (Reading("R1: a row of $4H$ entries times the column $I^t$", "",
                   _theta_prove(lambda n: n.dI_hat.T * n.I, lambda n: n.Theta)),
           Reading("R2: the bracket a column of $4H$, times $I^t$", "",
                   _theta_prove(lambda n: n.dI_hat * n.I, lambda n: n.Theta)),
           Reading("R3: the outer product", r"\frac{\partial E}{\partial\hat I^t}\,(I^t)^\top",
                   _theta_prove(lambda n: n.dI_hat * n.I.T, lambda n: n.Theta)),
           Reading("R4: the other order", r"I^t\left(\frac{\partial E}{\partial\hat I^t}"
                   r"\right)^\top",
                   _theta_prove(lambda n: n.I * n.dI_hat.T, lambda n: n.Theta))),
          damage=r"$\partial\delta^t$ for $\partial\hat o^t$ (as in 003-BWD-27)",
          correction=Correction(
              r"\begin{aligned}\frac{\partial J}{\partial\Theta}\Big|_t &= "
              r"\frac{\partial J}{\partial\hat I^t}(I^t)^\top\\ &= P_{\mathrm{row}}"
              r"\frac{\partial J}{\partial a_t}z_t^\top P_{\mathrm{col}}^\top\end{aligned}",
              _theta_prove(lambda n: n.dI_hat * n.I.T, lambda n: n.Theta)),
          note=r"Checked with the corrected local derivatives (003-BWD-24 to 27); "
               r"$\delta\Theta^t$ is $4H\times(D+H)$.",
          chapters=("cell_backward", "bptt", "split_weights")),
    Claim("003-THETA-34", "§Backward Pass, last display",
          r"\frac{\partial E}{\partial \Theta} = \sum_{t=1}^T \delta \Theta^t",
          (Reading("as written, $T = 2$", r"\frac{\partial E}{\partial\Theta} = "
                   r"\sum_{t=1}^{2}\frac{\partial E}{\partial\hat I^t}(I^t)^\top",
                   _proves(lambda m: sum((b.dI[t] * b.I[t].T for b in [_bptt(m)]
                                         for t in range(m.T)), sp.zeros(4 * m.H, m.D + m.H)),
                          lambda m: _bptt(m).Theta, "seq")),),
          note=r"Holds with the corrected $\delta\Theta^t$ (003-THETA-33) and the total "
               r"$\partial E/\partial h^t$; with 003's cost-layer term alone "
               r"({ref}`003-BWD-14 <errata-003-bwd-14>`) the sum is wrong.",
          chapters=("bptt", "split_weights")),
    Claim("003-THETA-35", "§Backward Pass as a whole",
          r"\text{not given: } \frac{\partial E}{\partial h^{t-1}},\ "
          r"\frac{\partial E}{\partial x^t}",
          (), kind="omission",
          correction=Correction(
              r"\frac{\partial J}{\partial h_{t-1}} = U^\top\frac{\partial J}{\partial\hat I^t},"
              r"\ \ \frac{\partial J}{\partial x_t} = W^\top\frac{\partial J}{\partial\hat I^t}",
              all_of(_theta_prove(lambda n: n.U.T * n.dI_hat, lambda n: n.I[n.W.shape[1]:, :]),
                   _theta_prove(lambda n: n.W.T * n.dI_hat, lambda n: n.I[:n.W.shape[1], :]))),
          note=r"BPTT needs $\partial E/\partial h^{t-1}$: it is the recurrent term missing in "
               r"{ref}`003-BWD-14 <errata-003-bwd-14>`. With $x$ first it is the last $H$ "
               r"entries of $\Theta^\top\partial E/\partial\hat I^t$.",
          chapters=("cell_backward", "split_weights")),
    Claim("003-THETA-36", "§Backward Pass, end (added row)",
          r"\text{not given: an update rule for } \Theta",
          (), kind="omission",
          correction=Correction(
              r"\Theta \leftarrow \Theta - \alpha\,\frac{\partial E}{\partial\Theta}",
              numeric(_sgd_descent)),
          note=r"The text says that the backward pass updates the weights but stops at "
               r"$\partial E/\partial\Theta$; the plain gradient step with the corrected, "
               r"recurrent gradient lowers $E$ as first-order theory predicts."),
)

CLAIMS = _FWD + _NOTE + _BWD + _THETA
