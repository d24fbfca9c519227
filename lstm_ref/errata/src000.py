"""Source 000's formulas, transcribed and checked (the 2019 blog post on LSTM backprop).

Every display of the post, in its own notation ($\\hat c_t$, $a_c$, $W_c$ for the
course's $g_t$, $a_g$, $W_g$), with one reading per plausible reading of the
OCR-damaged text. The models:

* ``cell`` (H = 2, D = 3) and ``cell11`` (H = D = 1): one headless core step;
  ``dh_next`` is the total ∂J/∂h_t and ``dc_next`` the post's ∂J/∂c_next.
  Formulas with matrices are checked in ``cell``, elementwise ones in ``cell11``.
* ``head``: the same step with the post's softmax cross-entropy output layer.
* ``seq``: two steps with that output layer at every step (the post's model over
  time): the sums over t, the initial states and the order of the backward loop.
* Update rules are decided on numbers: a small ``lstm_ref`` model (three steps,
  softmax head), the loss before and after one step of the rule.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import sympy as sp

import lstm_ref
from lstm_ref import verify
from lstm_ref.verify import FormulaMismatch, Sigmoid, Tanh, odot, prove, square
from lstm_ref.verify.numeric import forward_point

from .checks import engine, equals, forward, numeric, proves
from .claim import Claim, Correction, Model, Outcome, Reading

SOURCE = "000"
TITLE = "Deriving backpropagation equations for an LSTM"
SECTIONS = {
    "FWD": "Forward propagation",
    "OUT": "Output layer",
    "HID": "Hidden state",
    "OG": "Output gate",
    "CS": "Cell state and candidate",
    "IG": "Input gate",
    "FG": "Forget gate",
    "IN": "Stacked input and previous states",
    "UPD": "Sums over time and the update rule",
}

MODELS = {
    "cell": Model("core cell, H = 2, D = 3", lambda: verify.symbolic_cell(H=2, D=3)),
    "cell11": Model("core cell, H = D = 1", lambda: verify.symbolic_cell(H=1, D=1)),
    "head": Model("core cell with softmax cross-entropy head, H = 2, D = 3, V = 3",
                  lambda: verify.symbolic_cell(H=2, D=3, head="softmax_ce", V=3)),
    "seq": Model("two steps with softmax cross-entropy heads, H = 2, D = 1, V = 3",
                 lambda: verify.symbolic_sequence(T=2, H=2, D=1, head="softmax_ce", V=3)),
}

_GATE = {"f": 0, "i": 1, "o": 2, "g": 3}          # gate blocks of W, b (course order)


# ------------------------------------------------------------------ hand formulas

def _sig_prime(u):
    """d σ(u)/du, as SymPy differentiates the engine's σ (elementwise)."""
    s = sp.Symbol("s")
    return u.applyfunc(lambda e: sp.diff(Sigmoid(s), s).subs(s, e))


def _tanh_prime(u):
    """d tanh(u)/du, elementwise."""
    s = sp.Symbol("s")
    return u.applyfunc(lambda e: sp.diff(Tanh(s), s).subs(s, e))


def _dc(m):
    """∂J/∂c_t = ∂J/∂h_t ⊙ o_t ⊙ (1 − tanh² c_t) + ∂J/∂c_next (the total)."""
    return odot(m.dh_next, m.o, m.ones - square(m.tanh_c)) + m.dc_next


def _da(m, gate):
    """∂J/∂a_k of one step (course order f, i, o, g), in a cell's atoms."""
    one, dc = m.ones, _dc(m)
    return {"f": lambda: odot(dc, m.c_prev, m.f, one - m.f),
            "i": lambda: odot(dc, m.g, m.i, one - m.i),
            "o": lambda: odot(m.dh_next, m.tanh_c, m.o, one - m.o),
            "g": lambda: odot(dc, m.i, one - square(m.g))}[gate]()


def _dz(m):
    """∂J/∂z_t = W_fᵀ ∂J/∂a_f + W_iᵀ ∂J/∂a_i + W_oᵀ ∂J/∂a_o + W_cᵀ ∂J/∂a_c."""
    return sum((getattr(m, "W_" + k).T * _da(m, k) for k in "fiog"),
               sp.zeros(m.H + m.D, 1))


def _dv(m):
    return m.y_hat - m.y


def _bptt(m):
    """The post's backward step run for t = T … 1 from zero, in a sequence's atoms.

    Returns the per-step ∂J/∂a_t (4H, 1), the totals ∂J/∂h_t, ∂J/∂c_t, and what
    step 1 sends to h_0, c_0.
    """
    T, H, one = m.T, m.H, m.ones
    dh_next, dc_next = sp.zeros(H, 1), sp.zeros(H, 1)
    da, dh, dc = [None] * T, [None] * T, [None] * T
    for t in reversed(range(T)):
        c_prev = m.c0 if t == 0 else m.c[t - 1]
        dh[t] = m.W_v.T * (m.y_hat[t] - m.y[t]) + dh_next          # HID-16, HID-17
        dc[t] = odot(dh[t], m.o[t], one - square(m.tanh_c[t])) + dc_next   # CS-24, CS-25
        da[t] = sp.Matrix.vstack(odot(dc[t], c_prev, m.f[t], one - m.f[t]),
                                 odot(dc[t], m.g[t], m.i[t], one - m.i[t]),
                                 odot(dh[t], m.tanh_c[t], m.o[t], one - m.o[t]),
                                 odot(dc[t], m.i[t], one - square(m.g[t])))
        dh_next = m.W_h.T * da[t]                                  # IN-45
        dc_next = odot(dc[t], m.f[t])                              # IN-46
    return da, dh, dc, dh_next, dc_next


def _rows(m, gate):
    k = _GATE[gate]
    return slice(k * m.H, (k + 1) * m.H)


def _sum_dW(m, gate):
    """Σ_t ∂J/∂a_{k,t} z_tᵀ."""
    da = _bptt(m)[0]
    r = _rows(m, gate)
    return sum((da[t][r, :] * m.z[t].T for t in range(m.T)), sp.zeros(m.H, m.H + m.D))


_PROVED_PER_STEP: set = set()      # models whose per-step ∂J/∂(W)_t are proved


def _per_step(m):
    """∂J/∂(W)_t = ∂J/∂a_t z_tᵀ at every t: W as used at step t (proved once per model)."""
    if id(m) not in _PROVED_PER_STEP:
        da = _bptt(m)[0]
        for t in range(m.T):
            prove(f"∂J/∂(W)_{t + 1}", da[t] * m.z[t].T, ("W", t), m, verbose=False)
        _PROVED_PER_STEP.add(id(m))


def _per_step_then_sum(gate):
    """Each step's ∂J/∂(W)_t = ∂J/∂a_t z_tᵀ, and the gate block of their sum = ∂J/∂W_k."""
    def fn(m):
        _per_step(m)
        prove(f"Σ_t ∂J/∂W_{gate}", _sum_dW(m, gate), getattr(m, "W_" + gate), m,
              verbose=False)
        return (f"∂J/∂(W)_t = ∂J/∂a_t z_tᵀ at t = 1, 2 and the {gate} rows of their sum "
                f"= ∂J/∂W_{gate}: exact proofs")
    return fn


def _sum_dWv(m):
    return sum(((m.y_hat[t] - m.y[t]) * m.h[t].T for t in range(m.T)),
               sp.zeros(*m.W_v.shape))


# ------------------------------------------------------------ numeric checks

def _shapes(m):
    ok = m.h_prev.shape == (m.H, 1) and m.x.shape == (m.D, 1) and m.z.shape == (m.H + m.D, 1)
    text = (f"h_{{t−1}} is {m.H}×1 (n_h = H = {m.H}), x_t is {m.D}×1 (n_x = D = {m.D}), "
            f"z_t is {m.H + m.D}×1")
    return Outcome("holds" if ok else "ill-formed", text)


def _softmax_check(m, points=3):
    """ŷ of the model equals lstm_ref.softmax of its v at seeded forward points."""
    g, _, domains = m.build()
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(points):
        vals = forward_point(g, domains, rng)
        v = np.array([float(e.xreplace(vals)) for e in m.v])
        y_hat = np.array([float(e.xreplace(vals)) for e in m.y_hat])
        worst = max(worst, float(np.max(np.abs(y_hat - lstm_ref.softmax(v)))))
    if worst > 1e-12:
        return Outcome("wrong", "ŷ ≠ softmax(v)", f"max |ŷ − softmax(v)| = {worst:.4g}")
    return Outcome("holds", f"ŷ = lstm_ref.softmax(v) to 1e-12 at {points} seeded points")


@cache
def _training():
    """A small lstm_ref model with the post's output layer: loss and gradients."""
    rng = np.random.default_rng(0)
    T, B, D, H, V = 3, 2, 3, 2, 3
    p = lstm_ref.init_lstm_params(D, H, rng)
    W_v, b_v = lstm_ref.init_affine_params(H, V, rng)
    x = rng.standard_normal((T, B, D))
    h0 = c0 = np.zeros((B, H))
    labels = rng.integers(0, V, size=(T, B))
    params = dict(W=p.W, b=p.b, W_v=W_v, b_v=b_v)

    def loss(W, b, W_v, b_v):
        h, _, _ = lstm_ref.lstm_forward(x, h0, c0, W, b)
        v, _ = lstm_ref.affine_forward(h, W_v, b_v)
        return float(lstm_ref.softmax_cross_entropy(v, labels)[0])

    h, _, seq_cache = lstm_ref.lstm_forward(x, h0, c0, p.W, p.b)
    v, head_cache = lstm_ref.affine_forward(h, W_v, b_v)
    _, dv = lstm_ref.softmax_cross_entropy(v, labels)
    head = lstm_ref.affine_backward(dv, head_cache)
    grads = lstm_ref.lstm_backward(head.dh, seq_cache)
    return loss, params, dict(W=grads.dW, b=grads.db, W_v=head.dW_v, b_v=head.db_v), H


def _signed(x: float) -> str:
    """A value with its sign, 4 significant digits, a true minus sign."""
    return f"{x:+.4g}".replace("-", "−")


def _step(param, gate, delta):
    """J and ΔJ after param[gate rows] += delta · ∂J/∂param[gate rows]; and delta‖·‖²."""
    loss, params, grads, H = _training()
    step = np.zeros_like(params[param])
    rows = slice(None) if gate is None else slice(_GATE[gate] * H, (_GATE[gate] + 1) * H)
    step[rows] = grads[param][rows]
    J0 = loss(**params)
    moved = dict(params, **{param: params[param] + delta * step})
    return J0, loss(**moved) - J0, delta * float(np.sum(step ** 2))


def _update(param, gate, name, alpha, descent=False):
    """Decide the rule 'name += α ∂J/∂name' (or '−=' with ``descent``) on numbers.

    It is a descent step, as SGD must be, iff it lowers J for a small |α|.
    """
    def fn():
        J0, dJ, first = _step(param, gate, -alpha if descent else alpha)
        rule = f"{name} {'−' if descent else '+'}= α·∂J/∂{name}, α = {alpha:g}".replace("-", "−")
        if dJ < 0:
            return Outcome("holds", f"descent: {rule} changes J = {J0:.4g} by {_signed(dJ)}")
        return Outcome("wrong", "the step goes along the gradient: J rises (gradient ascent)",
                       f"ΔJ = {_signed(dJ)} > 0 ({rule}, J = {J0:.4g}; first order "
                       f"α‖∂J/∂{name}‖² = {_signed(first)}; "
                       f"lstm_ref, T = 3, B = 2, D = 3, H = 2, V = 3, seed 0)")
    return fn


def _descent(param, gate, name):
    """The correction name ← name − α ∂J/∂name (α = 0.01) lowers J."""
    return numeric(_update(param, gate, name, 0.01, descent=True))


def _biases(m):
    """∂J/∂b_k = Σ_t ∂J/∂a_{k,t}, ∂J/∂b_v = Σ_t (ŷ_t − y_t), and descent steps on them."""
    da = _bptt(m)[0]
    try:
        for k in "fiog":
            r = _rows(m, k)
            prove(f"∂J/∂b_{k}", sum((d[r, :] for d in da), sp.zeros(m.H, 1)),
                  getattr(m, "b_" + k), m, verbose=False)
        prove("∂J/∂b_v", sum((m.y_hat[t] - m.y[t] for t in range(m.T)),
                             sp.zeros(m.V, 1)), m.b_v, m, verbose=False)
    except FormulaMismatch as err:
        return Outcome("wrong", err.headline, str(err.counterexample))
    steps = [_step(p, None, -0.01)[1] for p in ("b", "b_v")]
    if max(steps) >= 0:
        return Outcome("wrong", "a bias step against the gradient did not lower J",
                       f"ΔJ = {steps}")
    return Outcome("holds", "five bias sums: exact proofs; b, b_v −= 0.01·gradient lower J "
                   f"(ΔJ = {_signed(steps[0])}, {_signed(steps[1])}; lstm_ref)")


def _ce_identity():
    """−Σ_k y_k log softmax(v)_k has gradient softmax(v) Σ_k y_k − y, for any y."""
    v, y = sp.symbols("v0:3", real=True), sp.symbols("y0:3", real=True)
    S = sum(sp.exp(u) for u in v)
    y_hat = [sp.exp(u) / S for u in v]
    # log ŷ_k = v_k − log Σ_j e^{v_j}
    J = -sum(yk * (u - sp.log(S)) for yk, u in zip(y, v))
    lhs = sp.Matrix([sp.diff(J, u) for u in v])
    rhs = sp.Matrix([p * sum(y) - yk for p, yk in zip(y_hat, y)])
    return lhs, rhs


def _chain_jacobian_h():
    """(∂v/∂h)ᵀ ∂J/∂v = W_vᵀ ∂J/∂v for v = W_v h + b_v (own symbols, V = 3, H = 2)."""
    W_v, h, b_v = verify.matrix("W_v", 3, 2), verify.vector("h", 2), verify.vector("b_v", 3)
    dv = verify.vector("dv", 3)
    return (W_v * h + b_v).jacobian(h).T * dv, W_v.T * dv


def _chain_jacobian_z():
    """Σ_k (∂a_k/∂z)ᵀ ∂J/∂a_k = Σ_k W_kᵀ ∂J/∂a_k for a_k = W_k z + b_k (H = 2, D = 3)."""
    z = verify.vector("z", 5)
    lhs, rhs = sp.zeros(5, 1), sp.zeros(5, 1)
    for k in "fiog":
        W_k, b_k, d_k = (verify.matrix(f"W_{k}", 2, 5), verify.vector(f"b_{k}", 2),
                         verify.vector(f"da_{k}", 2))
        lhs += (W_k * z + b_k).jacobian(z).T * d_k
        rhs += W_k.T * d_k
    return lhs, rhs


def _initial_states(m):
    dh0, dc0 = _bptt(m)[3:]
    prove("∂J/∂h_0", dh0, m.h0, m, verbose=False)
    prove("∂J/∂c_0", dc0, m.c0, m, verbose=False)
    return "∂J/∂h_0 = W_hᵀ ∂J/∂a_1 and ∂J/∂c_0 = ∂J/∂c_1 ⊙ f_1: exact proofs"


def _backward_loop(m):
    da = _bptt(m)[0]
    prove("∂J/∂a_1", da[0], ("a", 0), m, verbose=False)
    prove("∂J/∂W", sum((da[t] * m.z[t].T for t in range(m.T)), sp.zeros(*m.W.shape)),
          m.W, m, verbose=False)
    return ("t = T … 1 from ∂J/∂h_next = ∂J/∂c_next = 0: ∂J/∂a_1 and Σ_t ∂J/∂a_t z_tᵀ "
            "= ∂J/∂W, exact proofs")


# ----------------------------------------------------------------- LaTeX pieces

def _d(num, den):
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def _chain(lhs, mid, result):
    """The post's two-part line ∂J/∂X = ∂J/∂Y · ∂Y/∂X ⇒ ∂J/∂X = result, on two lines."""
    return (rf"\begin{{aligned}} {_d('J', lhs)} &= {_d('J', mid)} \cdot {_d(mid, lhs)} \\"
            "\n"
            rf"\Rightarrow {_d('J', lhs)} &= {result} \end{{aligned}}")


def _then(lhs, result):
    return rf"\Rightarrow {_d('J', lhs)} = {result}"


_DCT = _d("J", "c_t")
_DSIG = r"\frac{d(\sigma(a_f))}{da_f}"


def _r(row):
    """A link to another row of this table: ``_r("OUT-13")``."""
    return f"{{ref}}`000-{row} <errata-000-{row.lower()}>`"


def _omitted(what):
    return r"\text{(not given: }" + what + r"\text{)}"


# ---------------------------------------------------------------------- claims

def _gate_fwd(k, act):
    """FWD-03 … FWD-06: a_k = W_k · z_t + b_k, k_t = act(a_k)."""
    fn = Tanh if act == "tanh" else Sigmoid
    return forward(lambda m: sp.Matrix.vstack(getattr(m, "a_" + k), getattr(m, k)),
                   lambda m: sp.Matrix.vstack(
                       getattr(m, "W_" + k) * m.z + getattr(m, "b_" + k),
                       (getattr(m, "W_" + k) * m.z + getattr(m, "b_" + k)).applyfunc(fn)),
                   "cell")


def _fg_readings(tail_r1, tail_r2, tail_r3, wrt, latex2, latex3):
    """The three readings of the forget-gate lines' 'c_t - 1'."""
    return (Reading("R1: c_{t-1}", "", proves(tail_r1, wrt, "cell11")),
            Reading("R2: (c_t − 1)", latex2, proves(tail_r2, wrt, "cell11")),
            Reading("R3: precedence, (… ⊙ c_t) − 1", latex3, proves(tail_r3, wrt, "cell11")))


def _upd(cid, line, gate, src):
    """UPD-50 … 56: W_src += α · ∂J/∂W_src, on the gate's block of rows of W."""
    name = f"W_{src}"
    return Claim(
        cid, f"update display, line {line}, right",
        rf"W_{src} \mathrel{{+}}= \alpha * {_d('J', 'W_' + src)}",
        (Reading("R1: α > 0 (the text says SGD)", "", numeric(_update("W", gate, name, 0.01))),
         Reading("R2: α < 0 (never stated)", "", numeric(_update("W", gate, name, -0.01)))),
        correction=Correction(
            rf"W_{gate} \leftarrow W_{gate} - \alpha\,{_d('J', 'W_' + gate)},\quad \alpha > 0",
            _descent("W", gate, f"W_{gate}")),
        damage="`+ =` split; the sign of α is never stated",
        chapters=("cell_backward", "training"))


CLAIMS = (
    # ---------------------------------------------------------------- forward
    Claim("000-FWD-01", "§Forward propagation, 1st display, line 1",
          r"h_{t-1} \in \mathbb{R}^{n_h}, \quad x_t \in \mathbb{R}^{n_x}",
          (Reading("as written", "", numeric(_shapes, "cell")),),
          damage="extraction: `h_-t-1`, `n_-h`, `n_-x` for $h_{t-1}$, $n_h$, $n_x$; "
                 "`egin{aligned}` for `\\begin{aligned}`",
          note="Sizes only: $n_h$ is the course's $H$ and $n_x$ its $D$ ({doc}`notation`).",
          chapters=("notation",)),
    Claim("000-FWD-02", "§Forward propagation, 1st display, line 2",
          r"z_t = [h_{t-1}, x_t]",
          (Reading("R1: stacked, [h_{t-1}; x_t]", r"z_t = \begin{bmatrix} h_{t-1} \\ x_t"
                   r"\end{bmatrix}",
                   equals(lambda m: m.z, lambda m: sp.Matrix.vstack(m.h_prev, m.x), "cell")),
           Reading("R2: side by side, a 2-column block", r"z_t = \begin{bmatrix} h_{t-1} & x_t"
                   r"\end{bmatrix}",
                   equals(lambda m: m.z, lambda m: sp.Matrix.hstack(m.h_prev, m.x), "cell"))),
          correction=Correction(r"z_t = [h_{t-1};\, x_t] \in \mathbb{R}^{H+D}",
                                equals(lambda m: m.z,
                                       lambda m: sp.Matrix.vstack(m.h_prev, m.x), "cell")),
          damage="extraction: `z_-t`, `h_-t-1`",
          note="Only the stacked reading makes $W_f \\cdot z_t$ defined; $h_{t-1}$ comes first, "
               "the course's order.",
          chapters=("forward", "notation")),
    Claim("000-FWD-03", "§Forward propagation, 2nd display, line 1",
          r"a_f = W_f \cdot z_t + b_f, \quad f_t = \sigma(a_f)",
          (Reading("as written", "", _gate_fwd("f", "sigma")),),
          damage="extraction: lost braces (`a_-f`, `W_-f`)",
          note="The shapes $W_f \\in \\mathbb{R}^{n_h\\times(n_h+n_x)}$, "
               "$b_f \\in \\mathbb{R}^{n_h}$ are implied, never stated.",
          chapters=("forward",)),
    Claim("000-FWD-04", "§Forward propagation, 2nd display, line 2",
          r"a_i = W_i \cdot z_t + b_i, \quad i_t = \sigma(a_i)",
          (Reading("as written", "", _gate_fwd("i", "sigma")),),
          damage="extraction: lost braces", chapters=("forward",)),
    Claim("000-FWD-05", "§Forward propagation, 2nd display, line 3",
          r"a_o = W_o \cdot z_t + b_o, \quad o_t = \sigma(a_o)",
          (Reading("as written", "", _gate_fwd("o", "sigma")),),
          damage="extraction: lost braces", chapters=("forward",)),
    Claim("000-FWD-06", "§Forward propagation, 2nd display, line 4",
          r"a_c = W_c \cdot z_t + b_c, \quad \hat{c}_t = tanh(a_c)",
          (Reading("as written", "", _gate_fwd("g", "tanh")),),
          damage="extraction: lost braces",
          note="$\\hat c_t$, $a_c$, $W_c$, $b_c$ are the course's candidate $g_t$, $a_g$, $W_g$, "
               "$b_g$; the hat is not a prediction.",
          chapters=("forward",)),
    Claim("000-FWD-07", "§Forward propagation, 3rd display",
          r"c_t = i_t \odot \hat{c}_t + f_t \odot c_t - 1",
          (Reading("R1: c_{t-1}", r"c_t = i_t \odot \hat{c}_t + f_t \odot c_{t-1}",
                   equals(lambda m: m.c, lambda m: odot(m.i, m.g) + odot(m.f, m.c_prev),
                          "cell11")),
           Reading("R2: f_t ⊙ (c_t − 1)", r"c_t = i_t \odot \hat{c}_t + f_t \odot (c_t - 1)",
                   equals(lambda m: m.c, lambda m: odot(m.i, m.g) + odot(m.f, m.c - m.ones),
                          "cell11")),
           Reading("R3: precedence, (… ⊙ c_t) − 1",
                   r"c_t = \bigl(i_t \odot \hat{c}_t + f_t \odot c_t\bigr) - 1",
                   equals(lambda m: m.c, lambda m: odot(m.i, m.g) + odot(m.f, m.c) - m.ones,
                          "cell11"))),
          correction=Correction(r"c_t = f_t \odot c_{t-1} + i_t \odot g_t",
                                equals(lambda m: m.c,
                                       lambda m: odot(m.f, m.c_prev) + odot(m.i, m.g),
                                       "cell11")),
          damage="extraction: `c_t - 1` is a subscript $t-1$ that lost its braces",
          note="R2 and R3 are implicit equations in $c_t$ that the cell's $c_t$ does not "
               "satisfy; R2 would define another cell, $c_t = (i_t\\odot g_t - f_t)"
               "\\oslash(1-f_t)$.",
          chapters=("forward",)),
    Claim("000-FWD-08", "§Forward propagation, line after the 3rd display",
          r"h_t = o_t \odot tanh(c_t)",
          (Reading("as written", "",
                   forward(lambda m: m.h, lambda m: odot(m.o, m.c.applyfunc(Tanh)), "cell")),),
          damage="extraction: left outside the display", chapters=("forward",)),
    Claim("000-FWD-09", "§Forward propagation, 4th display, line 1",
          r"v_t = W_v \cdot h_t + b_v",
          (Reading("as written", "",
                   forward(lambda m: m.v, lambda m: m.W_v * m.h + m.b_v, "head")),),
          chapters=("forward",)),
    Claim("000-FWD-10", "§Forward propagation, 4th display, line 2",
          r"\hat{y}_t = softmax(v_t)",
          (Reading("as written", "", numeric(_softmax_check, "head")),),
          chapters=("forward",)),
    Claim("000-FWD-11", "§Backward propagation, text before §Output",
          _omitted(r"\text{the loss } J \text{ and the target } y_t"),
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned} J &= \sum_{t=1}^{T} J_t, \quad "
              r"J_t = -\sum_k y_{t,k} \log \hat y_{t,k}, \\"
              "\n"
              r"\frac{\partial J_t}{\partial v_t} &= \hat y_t \sum_k y_{t,k} - y_t "
              r"\end{aligned}",
              equals(lambda: _ce_identity()[0], lambda: _ce_identity()[1])),
          note="The loss is named (softmax with cross-entropy) but never written, and $y_t$ "
               "never defined; " + _r("OUT-13") + "'s $\\hat y_t - y_t$ needs "
               "$\\sum_k y_{t,k} = 1$ (one-hot or a distribution).",
          chapters=("losses",)),
    Claim("000-FWD-12", "§Forward and §Backward propagation",
          _omitted(r"h_0,\ c_0,\ \partial J/\partial h_0,\ \partial J/\partial c_0"),
          (), kind="omission",
          correction=Correction(
              r"\frac{\partial J}{\partial h_0} = W_h^\top \frac{\partial J}{\partial a_1},"
              r"\quad \frac{\partial J}{\partial c_0} = \frac{\partial J}{\partial c_1} "
              r"\odot f_1",
              engine(_initial_states, "seq")),
          note="Needed only when the initial states are learned or carried over from a "
               "previous chunk of the sequence.",
          chapters=("bptt",)),
    # ---------------------------------------------------------------- output
    Claim("000-OUT-13", "§Output, display, line 1",
          r"\frac{\partial J}{\partial v_t} = \hat{y}_t - y_t",
          (Reading("as written", "", proves(_dv, "v", "head")),),
          damage="extraction: `v_-t`, `\\hat{y}_-t`",
          note="Holds for a target with $\\sum_k y_{t,k} = 1$, which the model builds in; "
               "the general form is in " + _r("FWD-11") + ".",
          chapters=("losses", "cell_backward")),
    Claim("000-OUT-14", "§Output, display, line 2",
          _chain("W_v", "v_t", r"\frac{\partial J}{\partial v_t} \cdot h_t^{T}"),
          (Reading("as written", "", proves(lambda m: _dv(m) * m.h.T, lambda m: m.W_v, "head")),),
          damage="extraction: lost braces",
          note="$\\partial v_t/\\partial W_v$ is a three-index object, so the middle "
               "product is notation; the result is step $t$'s share, summed in "
               + _r("UPD-57") + ".",
          chapters=("losses", "matrix_calculus", "cell_backward")),
    Claim("000-OUT-15", "§Output, display, line 3",
          _chain("b_v", "v_t", r"\frac{\partial J}{\partial v_t}"),
          (Reading("as written", "", proves(_dv, lambda m: m.b_v, "head")),),
          damage="extraction: lost braces",
          note="Step $t$'s share; the sum over $t$ and an update for $b_v$ are never given "
               "(" + _r("UPD-59") + ").",
          chapters=("losses",)),
    # ---------------------------------------------------------------- hidden state
    Claim("000-HID-16", "§Hidden state, display, line 1",
          _chain("h_t", "v_t", r"W_v^T \cdot \frac{\partial J}{\partial v_t}"),
          (Reading("R1: at the last step, t = T", "",
                   proves(lambda m: m.W_v.T * (m.y_hat[1] - m.y[1]), ("h", 1), "seq")),
           Reading("R2: at t < T, as the total", "",
                   proves(lambda m: m.W_v.T * (m.y_hat[0] - m.y[0]), ("h", 0), "seq"))),
          correction=Correction(
              r"\frac{\partial J}{\partial h_t} = W_v^\top \frac{\partial J}{\partial v_t} + "
              r"\frac{\partial J}{\partial h_\text{next}}",
              proves(lambda m: m.W_v.T * _dv(m) + m.dh_next, "h", "head")),
          damage="extraction: `h_- t`, `W_- v^T`",
          note="Before the next line adds $\\partial J/\\partial h_{next}$ the same symbol "
               "names only the output path; that is the whole gradient only at $t = T$.",
          chapters=("cell_backward", "losses")),
    Claim("000-HID-60", "§Hidden state, display, line 1, middle part (added)",
          r"\frac{\partial J}{\partial v_t} \cdot \frac{\partial v_t}{\partial h_t} "
          r"= W_v^T \cdot \frac{\partial J}{\partial v_t}",
          (Reading("R1: gradients as columns, ∂v_t/∂h_t = W_v",
                   r"\frac{\partial J}{\partial v_t}\, W_v",
                   equals(lambda m: _dv(m) * m.W_v, lambda m: m.W_v.T * _dv(m), "head")),
           Reading("R2: gradients as rows (numerator layout), transposed",
                   r"\Bigl(\bigl(\tfrac{\partial J}{\partial v_t}\bigr)^{T} W_v\Bigr)^{T}",
                   equals(lambda m: (_dv(m).T * m.W_v).T, lambda m: m.W_v.T * _dv(m),
                          "head"))),
          correction=Correction(
              r"\Bigl(\frac{\partial v_t}{\partial h_t}\Bigr)^{\!\top} "
              r"\frac{\partial J}{\partial v_t} = W_v^\top \frac{\partial J}{\partial v_t}",
              equals(lambda: _chain_jacobian_h()[0], lambda: _chain_jacobian_h()[1])),
          note="The chain is in the order of row gradients and the result a column, so the "
               "middle product conforms only as rows, as the transpose of the result. Every "
               "$\\Rightarrow$ line repeats this order, harmlessly: its Jacobians are diagonal.",
          chapters=("matrix_calculus",)),
    Claim("000-HID-17", "§Hidden state, display, line 2",
          r"\frac{\partial J}{\partial h_t} \mathrel{+}= \frac{\partial J}{\partial h_{next}}",
          (Reading("as written", "",
                   proves(lambda m: m.W_v.T * _dv(m) + m.dh_next, "h", "head")),),
          damage="extraction: `+ =`, `h_- next`",
          note="$\\partial J/\\partial h_{next}$ is never defined: it is the first $n_h$ rows "
               "of step $t+1$'s $\\partial J/\\partial z_{t+1}$ (" + _r("IN-45")
               + "), and 0 at $t = T$.",
          chapters=("cell_backward", "bptt", "losses")),
    # ---------------------------------------------------------------- output gate
    Claim("000-OG-18", "§Output gate, 1st display",
          _chain("o_t", "h_t", r"\frac{\partial J}{\partial h_t} \odot tanh(c_t)"),
          (Reading("as written", "", proves(lambda m: odot(m.dh_next, m.tanh_c), "o", "cell11")),),
          damage="extraction: lost braces",
          note="$\\partial J/\\partial h_t$ here and below is the total after "
               + _r("HID-17") + ".",
          chapters=("cell_backward",)),
    Claim("000-OG-19", "§Output gate, 2nd display",
          _chain("a_o", "o_t", r"\frac{\partial J}{\partial h_t} \odot tanh(c_t) \odot "
                 r"\frac{d(\sigma(a_o))}{da_o}"),
          (Reading("as written", "",
                   proves(lambda m: odot(m.dh_next, m.tanh_c, _sig_prime(m.a_o)), "a_o",
                          "cell11")),),
          damage="extraction: lost braces", chapters=("cell_backward",)),
    Claim("000-OG-20", "§Output gate, 3rd display",
          _then("a_o", r"\frac{\partial J}{\partial h_t} \odot tanh(c_t) \odot "
                r"\sigma(a_o)(1 - \sigma(a_o))"),
          (Reading("as written", "",
                   proves(lambda m: odot(m.dh_next, m.tanh_c, m.a_o.applyfunc(Sigmoid),
                                         m.ones - m.a_o.applyfunc(Sigmoid)), "a_o", "cell11")),),
          damage="extraction: lost braces",
          chapters=("matrix_calculus", "cell_backward")),
    Claim("000-OG-21", "§Output gate, 4th display",
          _then("a_o", r"\frac{\partial J}{\partial h_t} \odot tanh(c_t) \odot o_t(1 - o_t)"),
          (Reading("as written", "", proves(lambda m: _da(m, "o"), "a_o", "cell11")),),
          damage="extraction: lost braces", chapters=("cell_backward",)),
    Claim("000-OG-22", "§Output gate, 5th display, line 1",
          _chain("W_o", "a_o", r"\frac{\partial J}{\partial a_o} \cdot z_t^{T}"),
          (Reading("as written", "",
                   proves(lambda m: _da(m, "o") * m.z.T, lambda m: m.W_o, "cell")),),
          damage="extraction: `W_{-o}`, `a_{-o}`",
          note="Step $t$'s share of $\\partial J/\\partial W_o$ (" + _r("UPD-62")
               + ").",
          chapters=("cell_backward", "matrix_calculus")),
    Claim("000-OG-23", "§Output gate, 5th display, line 2",
          _chain("b_o", "a_o", r"\frac{\partial J}{\partial a_o}"),
          (Reading("as written", "", proves(lambda m: _da(m, "o"), lambda m: m.b_o, "cell")),),
          damage="extraction: `b_{-o}`, `a_{-o}`", chapters=("cell_backward",)),
    # ---------------------------------------------------------------- cell state
    Claim("000-CS-24", "§Cell state, 1st display",
          _chain("c_t", "h_t", r"\frac{\partial J}{\partial h_t} \odot o_t \odot "
                 r"(1 - tanh(c_t)^2)"),
          (Reading("R1: at the last step, t = T", "",
                   proves(lambda m: odot(_bptt(m)[1][1], m.o[1],
                                         m.ones - square(m.tanh_c[1])), ("c", 1), "seq")),
           Reading("R2: at t < T, as the total", "",
                   proves(lambda m: odot(_bptt(m)[1][0], m.o[0],
                                         m.ones - square(m.tanh_c[0])), ("c", 0), "seq"))),
          correction=Correction(
              r"\frac{\partial J}{\partial c_t} = \frac{\partial J}{\partial h_t} \odot o_t "
              r"\odot (1 - \tanh^2 c_t) + \frac{\partial J}{\partial c_\text{next}}",
              proves(_dc, "c", "cell11")),
          damage="extraction: `c_- t`, `h_- t`",
          note="As with $\\partial J/\\partial h_t$, the symbol first names the path through "
               "$h_t$ only; the next line adds the path through $c_{t+1}$.",
          chapters=("cell_backward",)),
    Claim("000-CS-25", "§Cell state, 2nd display",
          r"\frac{\partial J}{\partial c_t} \mathrel{+}= \frac{\partial J}{\partial c_{next}}",
          (Reading("as written", "", proves(_dc, "c", "cell11")),),
          damage="extraction: `+ =`, `c_{-}next`",
          note="$\\partial J/\\partial c_{next}$ is step $t+1$'s "
               "$\\partial J/\\partial c_{t+1} \\odot f_{t+1}$ (" + _r("IN-46")
               + "), 0 at $t = T$; neither is said here.",
          chapters=("cell_backward", "bptt")),
    Claim("000-CS-26", "§Cell state, 3rd display",
          _chain(r"\hat{c}_t", "c_t", r"\frac{\partial J}{\partial c_t} \odot i_t"),
          (Reading("as written", "", proves(lambda m: odot(_dc(m), m.i), "g", "cell11")),),
          damage="extraction: lost braces", chapters=("cell_backward",)),
    Claim("000-CS-27", "§Cell state, 4th display, line 1",
          _chain("a_c", r"\hat{c}_t", r"\frac{\partial J}{\partial c_t} \odot i_t \odot "
                 r"\frac{d(tanh(a_c))}{da_c}"),
          (Reading("as written", "",
                   proves(lambda m: odot(_dc(m), m.i, _tanh_prime(m.a_g)), "a_g", "cell11")),),
          chapters=("cell_backward",)),
    Claim("000-CS-28", "§Cell state, 4th display, line 2",
          _then("a_c", r"\frac{\partial J}{\partial c_t} \odot i_t \odot (1 - tanh(a_c)^2)"),
          (Reading("as written", "",
                   proves(lambda m: odot(_dc(m), m.i, m.ones - square(m.a_g.applyfunc(Tanh))),
                          "a_g", "cell11")),),
          chapters=("matrix_calculus", "cell_backward")),
    Claim("000-CS-29", "§Cell state, 4th display, line 3",
          _then("a_c", r"\frac{\partial J}{\partial c_t} \odot i_t \odot (1 - \hat{c}_t^2)"),
          (Reading("as written", "", proves(lambda m: _da(m, "g"), "a_g", "cell11")),),
          chapters=("cell_backward",)),
    Claim("000-CS-30", "§Cell state, 5th display",
          _chain("W_c", "a_c", r"\frac{\partial J}{\partial a_c} \cdot z_t^T"),
          (Reading("as written", "",
                   proves(lambda m: _da(m, "g") * m.z.T, lambda m: m.W_g, "cell")),),
          damage="extraction: every `\\frac` printed as `rac`",
          chapters=("cell_backward",)),
    Claim("000-CS-31", "§Cell state, 6th display",
          _chain("b_c", "a_c", r"\frac{\partial J}{\partial a_c}"),
          (Reading("as written", "", proves(lambda m: _da(m, "g"), lambda m: m.b_g, "cell")),),
          damage="extraction: `b \\ c`, `a \\ c` for $b_c$, $a_c$",
          chapters=("cell_backward",)),
    # ---------------------------------------------------------------- input gate
    Claim("000-IG-32", "§Input gate, 1st display",
          _chain("i_t", "c_t", r"\frac{\partial J}{\partial c_t} \odot \hat{c}_t"),
          (Reading("as written", "", proves(lambda m: odot(_dc(m), m.g), "i", "cell11")),),
          damage="extraction: `i \\cdot t`, `c \\cdot t` for $i_t$, $c_t$ (a product "
                 "$i\\cdot t$ has no meaning here)",
          chapters=("cell_backward",)),
    Claim("000-IG-33", "§Input gate, 2nd display",
          _chain("a_i", "i_t", r"\frac{\partial J}{\partial c_t} \odot \hat{c}_t \odot "
                 r"\frac{d(\sigma(a_i))}{da_i}"),
          (Reading("as written", "",
                   proves(lambda m: odot(_dc(m), m.g, _sig_prime(m.a_i)), "a_i", "cell11")),),
          damage="extraction: lost braces", chapters=("cell_backward",)),
    Claim("000-IG-34", "§Input gate, 3rd display",
          _then("a_i", r"\frac{\partial J}{\partial c_t} \odot \hat{c}_t \odot "
                r"\sigma(a_i)(1 - \sigma(a_i))"),
          (Reading("as written", "",
                   proves(lambda m: odot(_dc(m), m.g, m.a_i.applyfunc(Sigmoid),
                                         m.ones - m.a_i.applyfunc(Sigmoid)), "a_i", "cell11")),),
          damage="extraction: lost braces", chapters=("matrix_calculus", "cell_backward")),
    Claim("000-IG-35", "§Input gate, 4th display",
          _then("a_i", r"\frac{\partial J}{\partial c_t} \odot \hat{c}_t \odot i_t(1 - i_t)"),
          (Reading("as written", "", proves(lambda m: _da(m, "i"), "a_i", "cell11")),),
          damage="extraction: lost braces", chapters=("cell_backward",)),
    Claim("000-IG-36", "§Input gate, 5th display",
          _chain("W_i", "a_i", r"\frac{\partial J}{\partial a_i} \cdot z_t^{T}"),
          (Reading("as written", "",
                   proves(lambda m: _da(m, "i") * m.z.T, lambda m: m.W_i, "cell")),),
          damage="extraction: lost braces", chapters=("cell_backward",)),
    Claim("000-IG-37", "§Input gate, 6th display",
          _chain("b_i", "a_i", r"\frac{\partial J}{\partial a_i}"),
          (Reading("as written", "", proves(lambda m: _da(m, "i"), lambda m: m.b_i, "cell")),),
          damage="extraction: `b \\ i`, `a \\ i` for $b_i$, $a_i$",
          chapters=("cell_backward",)),
    # ---------------------------------------------------------------- forget gate
    Claim("000-FG-38", "§Forget gate, 1st display",
          _chain("f_t", "c_t", r"\frac{\partial J}{\partial c_t} \odot c_t - 1"),
          _fg_readings(lambda m: odot(_dc(m), m.c_prev),
                       lambda m: odot(_dc(m), m.c - m.ones),
                       lambda m: odot(_dc(m), m.c) - m.ones, "f",
                       _then("f_t", rf"{_DCT} \odot (c_t - 1)"),
                       _then("f_t", rf"\bigl({_DCT} \odot c_t\bigr) - 1")),
          correction=Correction(rf"{_d('J', 'f_t')} = {_DCT} \odot c_{{t-1}}",
                                proves(lambda m: odot(_dc(m), m.c_prev), "f", "cell11")),
          damage="extraction: `c_{-}t - 1`, as in 000-FWD-07",
          chapters=("cell_backward",)),
    Claim("000-FG-39", "§Forget gate, 2nd display",
          _chain("a_f", "f_t", r"\frac{\partial J}{\partial c_t} \odot c_t - 1 \odot "
                 r"\frac{d(\sigma(a_f))}{da_f}"),
          _fg_readings(lambda m: odot(_dc(m), m.c_prev, _sig_prime(m.a_f)),
                       lambda m: odot(_dc(m), m.c - m.ones, _sig_prime(m.a_f)),
                       lambda m: odot(_dc(m), m.c) - _sig_prime(m.a_f), "a_f",
                       _then("a_f", rf"{_DCT} \odot (c_t - 1) \odot {_DSIG}"),
                       _then("a_f", rf"{_DCT} \odot c_t - {_DSIG}")),
          correction=Correction(
              rf"{_d('J', 'a_f')} = {_DCT} \odot c_{{t-1}} \odot f_t \odot (1 - f_t)",
              proves(lambda m: _da(m, "f"), "a_f", "cell11")),
          damage="extraction: `c_{-}t - 1`",
          chapters=("cell_backward",)),
    Claim("000-FG-40", "§Forget gate, 3rd display",
          _then("a_f", r"\frac{\partial J}{\partial c_t} \odot c_t - 1 \odot "
                r"\sigma(a_f)(1 - \sigma(a_f))"),
          _fg_readings(lambda m: odot(_dc(m), m.c_prev, _sig_prime(m.a_f)),
                       lambda m: odot(_dc(m), m.c - m.ones, _sig_prime(m.a_f)),
                       lambda m: odot(_dc(m), m.c) - _sig_prime(m.a_f), "a_f",
                       _then("a_f", rf"{_DCT} \odot (c_t - 1) \odot \sigma(a_f)(1-\sigma(a_f))"),
                       _then("a_f", rf"{_DCT} \odot c_t - \sigma(a_f)(1-\sigma(a_f))")),
          correction=Correction(
              rf"{_d('J', 'a_f')} = {_DCT} \odot c_{{t-1}} \odot f_t \odot (1 - f_t)",
              proves(lambda m: _da(m, "f"), "a_f", "cell11")),
          damage="extraction: `c_{-}t - 1`",
          chapters=("matrix_calculus", "cell_backward")),
    Claim("000-FG-41", "§Forget gate, 4th display",
          _then("a_f", r"\frac{\partial J}{\partial c_t} \odot c_t - 1 \odot f_t(1 - f_t)"),
          _fg_readings(lambda m: _da(m, "f"),
                       lambda m: odot(_dc(m), m.c - m.ones, m.f, m.ones - m.f),
                       lambda m: odot(_dc(m), m.c) - odot(m.f, m.ones - m.f), "a_f",
                       _then("a_f", rf"{_DCT} \odot (c_t - 1) \odot f_t(1 - f_t)"),
                       _then("a_f", rf"{_DCT} \odot c_t - f_t(1 - f_t)")),
          correction=Correction(
              rf"{_d('J', 'a_f')} = {_DCT} \odot c_{{t-1}} \odot f_t \odot (1 - f_t)",
              proves(lambda m: _da(m, "f"), "a_f", "cell11")),
          damage="extraction: `c_{-}t - 1`",
          chapters=("cell_backward",)),
    Claim("000-FG-42", "§Forget gate, 5th display, line 1",
          _chain("W_f", "a_f", r"\frac{\partial J}{\partial a_f} \cdot z_t^{T}"),
          (Reading("as written", "",
                   proves(lambda m: _da(m, "f") * m.z.T, lambda m: m.W_f, "cell")),),
          damage="extraction: lost braces",
          note="Step $t$'s share of $\\partial J/\\partial W_f$ (" + _r("UPD-62")
               + ").",
          chapters=("cell_backward",)),
    Claim("000-FG-43", "§Forget gate, 5th display, line 2",
          _chain("b_f", "a_f", r"\frac{\partial J}{\partial a_f}"),
          (Reading("as written", "", proves(lambda m: _da(m, "f"), lambda m: m.b_f, "cell")),),
          damage="extraction: lost braces", chapters=("cell_backward",)),
    # ---------------------------------------------------------------- input z_t
    Claim("000-IN-44", "§Input, 1st display",
          r"\begin{aligned} \frac{\partial J}{\partial z_t} &= "
          r"\frac{\partial J}{\partial a_f} \cdot \frac{\partial a_f}{\partial z_t} + "
          r"\frac{\partial J}{\partial a_i} \cdot \frac{\partial a_i}{\partial z_t} \\"
          "\n"
          r"&\quad + \frac{\partial J}{\partial a_o} \cdot \frac{\partial a_o}{\partial z_t} + "
          r"\frac{\partial J}{\partial a_c} \cdot \frac{\partial a_c}{\partial z_t} \\"
          "\n"
          r"\Rightarrow \frac{\partial J}{\partial z_t} &= "
          r"W_f^{T} \cdot \frac{\partial J}{\partial a_f} + "
          r"W_i^{T} \cdot \frac{\partial J}{\partial a_i} \\"
          "\n"
          r"&\quad + W_o^{T} \cdot \frac{\partial J}{\partial a_o} + "
          r"W_c^{T} \cdot \frac{\partial J}{\partial a_c} \end{aligned}",
          (Reading("as written", "", proves(_dz, "z", "cell")),),
          damage="extraction: lost braces",
          note="The result is right; the middle sum has the order of row gradients "
               "(" + _r("IN-61") + ").",
          chapters=("cell_backward",)),
    Claim("000-IN-61", "§Input, 1st display, middle part (added)",
          r"\sum_{k\in\{f,i,o,c\}} \frac{\partial J}{\partial a_k} \cdot "
          r"\frac{\partial a_k}{\partial z_t} = \sum_{k} W_k^{T} \cdot "
          r"\frac{\partial J}{\partial a_k}",
          (Reading("R1: gradients as columns, ∂a_k/∂z_t = W_k",
                   r"\sum_k \frac{\partial J}{\partial a_k}\, W_k",
                   equals(lambda m: sum((_da(m, k) * getattr(m, "W_" + k) for k in "fiog"),
                                        sp.zeros(m.H, m.H + m.D)), _dz, "cell")),
           Reading("R2: gradients as rows (numerator layout), transposed",
                   r"\Bigl(\sum_k \bigl(\tfrac{\partial J}{\partial a_k}\bigr)^{T} W_k"
                   r"\Bigr)^{T}",
                   equals(lambda m: sum((_da(m, k).T * getattr(m, "W_" + k) for k in "fiog"),
                                        sp.zeros(1, m.H + m.D)).T, _dz, "cell"))),
          correction=Correction(
              r"\sum_k \Bigl(\frac{\partial a_k}{\partial z_t}\Bigr)^{\!\top} "
              r"\frac{\partial J}{\partial a_k} = \sum_k W_k^\top "
              r"\frac{\partial J}{\partial a_k}",
              equals(lambda: _chain_jacobian_z()[0], lambda: _chain_jacobian_z()[1])),
          note="Read as columns, each term multiplies an $n_h\\times 1$ gradient by an "
               "$n_h\\times(n_h+n_x)$ matrix; the order of the chain rule for columns is "
               "$(\\partial a_k/\\partial z_t)^\\top \\partial J/\\partial a_k$.",
          chapters=("matrix_calculus", "cell_backward")),
    Claim("000-IN-45", "§Input, 2nd display, line 1",
          r"\frac{\partial J}{\partial h_{t-1}} = \frac{\partial J}{\partial z_t}[:n_h, :]",
          (Reading("as written", "",
                   proves(lambda m: _dz(m)[:m.H, :], lambda m: m.h_prev, "cell")),),
          damage="extraction: `h_{-}t - 1`, `n_{-}h`",
          note="NumPy slicing of a column vector: the first $n_h$ rows, since $h_{t-1}$ is "
               "on top of $z_t$; the course's row-per-example code slices `dz[:, :H]`.",
          chapters=("cell_backward",)),
    Claim("000-IN-46", "§Input, 2nd display, line 2",
          _chain("c_t - 1", "c_t", r"\frac{\partial J}{\partial c_t} \odot f_t"),
          (Reading("R1: c_{t-1}", _then("c_{t-1}", rf"{_DCT} \odot f_t"),
                   proves(lambda m: odot(_dc(m), m.f), lambda m: m.c_prev, "cell11")),
           Reading("R2: c_t − 1", _then("(c_t - 1)", rf"{_DCT} \odot f_t"),
                   proves(lambda m: odot(_dc(m), m.f), "c", "cell11"))),
          correction=Correction(
              rf"{_d('J', 'c_{t-1}')} = {_DCT} \odot f_t",
              proves(lambda m: odot(_dc(m), m.f), lambda m: m.c_prev, "cell11")),
          damage="extraction: `c_{-}t - 1` (three times); a stray `&`",
          note="R2 differentiates by $c_t - 1$, which has the gradient of $c_t$ itself.",
          chapters=("cell_backward", "bptt")),
    Claim("000-IN-47", "§Input",
          _omitted(r"\partial J/\partial x_t"),
          (), kind="omission",
          correction=Correction(
              r"\frac{\partial J}{\partial x_t} = \frac{\partial J}{\partial z_t}[n_h:, :]",
              proves(lambda m: _dz(m)[m.H:, :], lambda m: m.x, "cell")),
          note="Needed below a stacked layer or a trained embedding.",
          chapters=("cell_backward", "bptt")),
    Claim("000-IN-48", "text after §Input (the T steps and the accumulation)",
          r"\begin{aligned} &\text{(not given: the order } t = T, \dots, 1, \\"
          "\n"
          r"&\partial J/\partial h_{next} = \partial J/\partial c_{next} = 0 "
          r"\text{ at } t = T\text{)} \end{aligned}",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned} &\text{for } t = T, \dots, 1, \text{ from } "
              r"\tfrac{\partial J}{\partial h_\text{next}} = "
              r"\tfrac{\partial J}{\partial c_\text{next}} = 0: \\"
              "\n"
              r"&\tfrac{\partial J}{\partial W} \mathrel{+}= "
              r"\tfrac{\partial J}{\partial a_t} z_t^\top \end{aligned}",
              engine(_backward_loop, "seq")),
          note="The text says the step runs $T$ times and the weight gradients are "
               "accumulated, which is right, but not that it runs backwards from the last "
               "step.",
          chapters=("bptt",)),
    # ---------------------------------------------------------------- updates
    Claim("000-UPD-49", "update display, line 1, left",
          r"\frac{\partial J}{\partial W_f} = \sum_{t}^{T}\frac{\partial J}{\partial W_f^{t}}",
          (Reading("as written", "", engine(_per_step_then_sum("f"), "seq")),),
          damage="extraction: `\\sum_{-}t^{T}`, lower limit lost",
          note="$W_f^t$ is $W_f$ as used at step $t$, not a power.",
          chapters=("bptt",)),
    Claim("000-UPD-62", "§Forget gate, 5th display vs update display, line 1 (added)",
          r"\begin{aligned} \text{§Forget gate: } \frac{\partial J}{\partial W_f} &= "
          r"\frac{\partial J}{\partial a_f} \cdot z_t^{T} \\"
          "\n"
          r"\text{update: } \frac{\partial J}{\partial W_f} &= \sum_{t}^{T}"
          r"\frac{\partial J}{\partial W_f^{t}} \end{aligned}",
          (Reading("earlier: §Forget gate, at t = T", "",
                   proves(lambda m: _bptt(m)[0][1][_rows(m, "f"), :] * m.z[1].T,
                          lambda m: m.W_f, "seq")),
           Reading("later: the sum over t", "",
                   proves(lambda m: _sum_dW(m, "f"), lambda m: m.W_f, "seq"))),
          kind="contradiction",
          correction=Correction(
              r"\frac{\partial J}{\partial W_f} = \sum_{t=1}^{T} "
              r"\frac{\partial J}{\partial a_{f,t}}\, z_t^\top",
              proves(lambda m: _sum_dW(m, "f"), lambda m: m.W_f, "seq")),
          note="One symbol for step $t$'s share and for the gradient; the same holds for "
               "$W_i, W_o, W_c, W_v$ and the biases.",
          chapters=("bptt",)),
    _upd("000-UPD-50", 1, "f", "f"),
    Claim("000-UPD-51", "update display, line 2, left",
          r"\frac{\partial J}{\partial W_i} = \sum_{t}^{T}\frac{\partial J}{\partial W_i^{t}}",
          (Reading("as written", "", engine(_per_step_then_sum("i"), "seq")),),
          damage="extraction: `\\sum_{-}t^{T}`", chapters=("bptt",)),
    _upd("000-UPD-52", 2, "i", "i"),
    Claim("000-UPD-53", "update display, line 3, left",
          r"\frac{\partial J}{\partial W_o} = \sum_{t}^{T}\frac{\partial J}{\partial W_o^{t}}",
          (Reading("as written", "", engine(_per_step_then_sum("o"), "seq")),),
          damage="extraction: `\\sum_{-}t^{T}`", chapters=("bptt",)),
    _upd("000-UPD-54", 3, "o", "o"),
    Claim("000-UPD-55", "update display, line 4, left",
          r"\frac{\partial J}{\partial W_c} = \sum_{t}^{T}\frac{\partial J}{\partial W_c^{t}}",
          (Reading("as written", "", engine(_per_step_then_sum("g"), "seq")),),
          damage="extraction: `\\sum_{-}t^{T}`", chapters=("bptt",)),
    _upd("000-UPD-56", 4, "g", "c"),
    Claim("000-UPD-57", "update display, line 5, left",
          r"\frac{\partial J}{\partial W_v} = \sum_{t}^{T}\frac{\partial J}{\partial W_v^{t}}",
          (Reading("as written", "", proves(_sum_dWv, lambda m: m.W_v, "seq")),),
          damage="extraction: `\\sum_{-}t^{T}`", chapters=("losses",)),
    Claim("000-UPD-58", "update display, line 5, right",
          r"W_v \mathrel{+}= \alpha * \frac{\partial J}{\partial W_v}",
          (Reading("R1: α > 0 (the text says SGD)", "",
                   numeric(_update("W_v", None, "W_v", 0.01))),
           Reading("R2: α < 0 (never stated)", "",
                   numeric(_update("W_v", None, "W_v", -0.01)))),
          correction=Correction(
              r"W_v \leftarrow W_v - \alpha\,\frac{\partial J}{\partial W_v},\quad \alpha > 0",
              _descent("W_v", None, "W_v")),
          damage="`+ =` split; the sign of α is never stated",
          chapters=("cell_backward", "training")),
    Claim("000-UPD-59", "update display (biases)",
          r"\begin{aligned} &\text{(not given: sums and updates} \\"
          "\n"
          r"&\text{of } b_f, b_i, b_o, b_c, b_v\text{)} \end{aligned}",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned} \frac{\partial J}{\partial b_k} &= \sum_{t=1}^{T} "
              r"\frac{\partial J}{\partial a_{k,t}} \quad (k = f, i, o, g), \\"
              "\n"
              r"\frac{\partial J}{\partial b_v} &= \sum_{t=1}^{T} (\hat y_t - y_t), \\"
              "\n"
              r"b &\leftarrow b - \alpha\,\frac{\partial J}{\partial b} "
              r"\quad (\text{every bias}) \end{aligned}",
              numeric(_biases, "seq")),
          note="The per-step bias gradients are derived in every gate's section but never "
               "summed or used.",
          chapters=("bptt", "losses", "cell_backward")),
)
