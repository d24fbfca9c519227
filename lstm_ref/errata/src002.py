"""Source 002's formulas, transcribed: handwritten notes "BPTT in LSTM".

The notes derive backpropagation through time for the 1997 LSTM (no forget
gate, the constant error carousel) with a squared-error output layer. Their
names (the dictionary of ``book/lstm1997.ipynb``): ``i_s`` the stacked input
z_t; ``a_ig``, ``a_og`` the input and output gates i_t, o_t; ``a_i`` the cell
input g_t (not the input gate); ``s_t`` the cell state c_t; ``h_x`` and
``h_next`` the two uses of h_t; "os" (stacked output) h_t; ``w_ig``, ``w_og``,
``w_i`` the blocks W_i, W_o, W_g; ``w_y``, ``b_y`` the output layer W_v, b_v.

Every formula is checked in the 1997 cell
(``verify.symbolic_cell(config=LSTMConfig(forget_gate=False))``), with the
squared-error head (``head="mse"``) where the output layer takes part, and in a
two-step sequence where a formula concerns time. The notes have no numbered
sections; the ids use ``cec`` (the carousel at the top), ``bp`` (the loss),
``o2`` (circled 2, the output layer), ``c3`` (circled 3, the memory cell) and
``om`` (the note as a whole: omissions and contradictions). "L.." is a line of
the OCR text.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import lstm_ref
from lstm_ref import verify
from lstm_ref.verify import FormulaMismatch, Sigmoid, Tanh, odot, prove, square

from .checks import engine, equals, forward, numeric, proves
from .claim import Claim, Correction, Model, Outcome, Reading

SOURCE = "002"
TITLE = "BPTT in LSTM (handwritten notes)"
SECTIONS = {
    "cec": "The carousel",
    "bp": "The loss and its derivative",
    "o2": "The output layer",
    "c3": "The memory cell",
    "om": "What the notes leave out or contradict",
}

_CFG = lstm_ref.LSTMConfig(forget_gate=False)
_PEEP = lstm_ref.LSTMConfig(peephole="diagonal", forget_gate=False)

MODELS = {
    "cell": Model("1997 cell, H = 2, D = 3",
                  lambda: verify.symbolic_cell(H=2, D=3, config=_CFG)),
    "cell11": Model("1997 cell, H = D = 1",
                    lambda: verify.symbolic_cell(H=1, D=1, config=_CFG)),
    "head": Model("1997 cell with squared-error head, H = 2, D = 3, V = 3",
                  lambda: verify.symbolic_cell(H=2, D=3, config=_CFG, head="mse", V=3)),
    "head1": Model("1997 cell with squared-error head, H = D = 1, V = 2",
                    lambda: verify.symbolic_cell(H=1, D=1, config=_CFG, head="mse", V=2)),
    "peep": Model("1997 cell with diagonal peepholes, H = 2, D = 3",
                  lambda: verify.symbolic_cell(H=2, D=3, config=_PEEP)),
    "seq": Model("1997 sequence with squared-error head, T = 2, H = 2, D = 1, V = 2",
                 lambda: verify.symbolic_sequence(T=2, H=2, D=1, config=_CFG, head="mse",
                                                  V=2)),
}


# ---------------------------------------------------------------------------
# The course's gradients of one 1997 step (book/lstm1997.ipynb), in a model's
# names. Without a head, dh_next is the total ∂J/∂h_t.

def _dv(m):
    return 2 * (m.y_hat - m.y)                                    # eq-lstm1997-dv


def _dh(m):
    return m.W_v.T * _dv(m) + m.dh_next if m.head else m.dh_next  # eq-lstm1997-dh


def _dc(m, carry=True):
    through_h = odot(_dh(m), m.o, m.ones - square(m.tanh_c))
    return through_h + m.dc_next if carry else through_h


def _da_o(m):
    return odot(_dh(m), m.tanh_c, m.o, m.ones - m.o)


def _da_i(m, carry=True):
    return odot(_dc(m, carry), m.g, m.i, m.ones - m.i)


def _da_g(m, carry=True):
    return odot(_dc(m, carry), m.i, m.ones - square(m.g))


def _da(m):
    return sp.Matrix.vstack(_da_i(m), _da_o(m), _da_g(m))         # blocks i, o, g


# 002's three terms of dL/dis (L162–166): the weight block, dL/d(activation)
# and the activation's derivative, per block
def _terms(m):
    dc = _dc(m)
    return {"og": (m.W_o, odot(_dh(m), m.tanh_c), odot(m.o, m.ones - m.o)),
            "ig": (m.W_i, odot(dc, m.g), odot(m.i, m.ones - m.i)),
            "i": (m.W_g, odot(dc, m.i), m.ones - square(m.g))}


def _chain(m, k):
    w, d, s = _terms(m)[k]
    return w.T * odot(d, s)                       # the chain rule: w_kᵀ (dL/da ⊙ act')


def _dz_with(m, k, term):
    """∂J/∂i_s with 002's term k replaced by ``term`` (the other two kept right)."""
    return sum((term if j == k else _chain(m, j) for j in ("og", "ig", "i")),
               sp.zeros(m.H + m.D, 1))


def _dz(m):
    """① + ② + ③, each term the chain rule's product."""
    return sum((_chain(m, k) for k in ("og", "ig", "i")), sp.zeros(m.H + m.D, 1))


def _dz_as_written(k):
    def hand(m):
        w, _, s = _terms(m)[k]
        return _dz_with(m, k, w.T + s)            # w + act': not defined for H > 1
    return hand


def _dz_times(k):
    def hand(m):
        w, _, s = _terms(m)[k]
        return _dz_with(m, k, w.T * s)            # act' × w, without dL/da
    return hand


# ---------------------------------------------------------------------------
# The sweep through time (book/lstm1997.ipynb, bptt_1997)

def _bptt(seq, carry=True):
    """Every δc_t and δa_t of eq-lstm1997-bptt (index t is step t + 1).

    ``carry=False`` leaves δc_{t+1} out of δc_t, as 002's dL/ds_t does (L122).
    """
    one = seq.ones
    dh_next, dc_next = sp.zeros(seq.H, 1), sp.zeros(seq.H, 1)
    dc, da = [None] * seq.T, [None] * seq.T
    for t in reversed(range(seq.T)):
        dh_t = seq.W_v.T * 2 * (seq.y_hat[t] - seq.y[t]) + dh_next
        dc[t] = odot(dh_t, seq.o[t], one - square(seq.tanh_c[t])) + dc_next
        da[t] = sp.Matrix.vstack(odot(dc[t], seq.g[t], seq.i[t], one - seq.i[t]),
                                 odot(dh_t, seq.tanh_c[t], seq.o[t], one - seq.o[t]),
                                 odot(dc[t], seq.i[t], one - square(seq.g[t])))
        dh_next = seq.W_h.T * da[t]
        dc_next = dc[t] if carry else sp.zeros(seq.H, 1)
    return dc, da


def _squared_error(m, t):
    return sum((m.y[t][k] - m.y_hat[t][k]) ** 2 for k in range(m.V))


def _proved(*items):
    """Engine check of several gradients: ``(name, hand, wrt)`` on one model."""
    def fn(m):
        methods = {prove(name, hand(m), wrt(m) if callable(wrt) else wrt, m,
                         verbose=False).method for name, hand, wrt in items}
        how = "exact proofs" if methods == {"exact"} else "proofs (some sampled)"
        return f"{how} of {len(items)} gradients"
    return fn


def _as_claim(check):
    """A statement's check: a formula found wrong makes the statement false."""
    def claim_check(models):
        out = check(models)
        if out.verdict == "wrong":
            return Outcome("false", out.evidence, out.counterexample)
        return out
    return claim_check


def _three_blocks(m):
    H, D = m.H, m.D
    params = lstm_ref.init_family_params(_CFG, D, H, np.random.default_rng(2))
    shapes = (m.W.shape, m.b.shape, params.W.shape)
    expected = ((3 * H, H + D), (3 * H, 1), (3 * H, H + D))
    blocks = [k for k in ("W_i", "W_o", "W_g", "W_f") if k in m.ns]
    if shapes == expected and blocks == ["W_i", "W_o", "W_g"]:
        return Outcome("holds", f"W is {m.W.shape} = (3H, H+D), b is {m.b.shape}, "
                       f"lstm_ref's W {params.W.shape}: blocks i, o, g and no f; "
                       f"1997 cell, H = {H}, D = {D}")
    return Outcome("false", "not three blocks", f"shapes {shapes}, blocks {blocks}")


def _hidden_input(m):
    """ŷ as a function of a free h (its two factors o ⊙ tanh(c) replaced)."""
    h = sp.Matrix(sp.symbols(f"h_x0:{m.H}", real=True))
    return m.y_hat.xreplace({m.o[k]: h[k] / m.tanh_c[k] for k in range(m.H)}), h


def _no_carry_in_da_o(m):
    prove("δa_o", _da_o(m), "a_o", m, verbose=False)
    if m.dc_next[0] in _da_o(m).free_symbols:
        raise FormulaMismatch.of("δa_o needs δc_t")
    return "exact proof of δa_o, which contains no δc_t"


# ---------------------------------------------------------------------------
# the course's corrections, reused by several rows

_FIX_CARRY = Correction(
    r"\delta c_t = \delta h_t \odot o_t \odot \bigl(1 - \tanh^2(c_t)\bigr) + \delta c_{t+1}",
    proves(lambda m: _bptt(m)[0][0], ("c", 0), "seq"))

_FIX_CELL = Correction(
    r"c_t = c_{t-1} + i_t \odot g_t",
    forward(lambda m: m.c, lambda m: m.c_prev + odot(m.i, m.g), "cell"))

_FIX_DZ = {
    k: Correction(latex, proves(_dz, "z", "cell"))
    for k, latex in (
        ("og", r"① = W_o^\top\bigl(\tfrac{\partial J}{\partial o_t}\odot o_t\odot(1 - o_t)\bigr)"
               r" = W_o^\top\delta a_o"),
        ("ig", r"② = W_i^\top\bigl(\tfrac{\partial J}{\partial i_t}\odot i_t\odot(1 - i_t)\bigr)"
               r" = W_i^\top\delta a_i"),
        ("i", r"③ = W_g^\top\bigl(\tfrac{\partial J}{\partial g_t}\odot(1 - g_t^2)\bigr)"
              r" = W_g^\top\delta a_g"))}


def _dz_term_claim(id_, line, name, k, label, w_ocr):
    return Claim(
        id_, f"③, L{line}, term {label}",
        r"\begin{aligned}&\frac{dL}{dis}\ (\text{from " + name + r"})\\ &\quad= \frac{dL}{da"
        + k + r"}\cdot\frac{da" + k + r"}{dis}\\ &\quad= " + w_ocr
        + r" + \text{activation derivative}\end{aligned}",
        (Reading("R1: the sum as written", "", proves(_dz_as_written(k), "z", "cell")),
         Reading("R2: “+” for “×”",
                 r"\frac{dL}{dis}\ (\text{from " + name + r"}) = \text{act}' \times "
                 + w_ocr, proves(_dz_times(k), "z", "cell"))),
        correction=_FIX_DZ[k],
        damage=f"${w_ocr}$ is $w_{{{k}}}$ (OCR); “– {label}” labels the term",
        note=(r"The middle member, the chain rule, is right. As written a weight matrix plus a "
              r"vector of derivatives has no meaning for $H > 1$ (at $H = 1$, where it is "
              r"defined, {doc}`lstm1997` rejects it); read as a product it still lacks the "
              r"factor $dL/da_{" + k + r"}$."),
        chapters=("lstm1997",))


CLAIMS = (
    # ------------------------------------------------------------------ cec
    Claim("002-cec-01", "top, “CEC cell”, L13 (arrow: input gate activation)",
          r"s_t = s_{t-1} \times \alpha_{ig}",
          (Reading("R1: as written", "",
                   forward(lambda m: m.c, lambda m: odot(m.c_prev, m.i), "cell11")),
           Reading("R2: “×” for “+”, cell input lost", r"s_t = s_{t-1} + a_{ig}\, a_i",
                   forward(lambda m: m.c, lambda m: m.c_prev + odot(m.i, m.g), "cell11"))),
          correction=_FIX_CELL,
          damage=r"$\alpha_{ig}$ is $a_{ig}$, the input gate (the arrow says so)",
          note=(r"The product has no cell input and shrinks the state at every step; its carry "
                r"would be $\delta c_t\odot i_t$, a gate in the carousel. L144 writes the sum "
                r"({ref}`002-om-41 <errata-002-om-41>`)."),
          chapters=("lstm1997",)),
    # ------------------------------------------------------------------ bp
    Claim("002-bp-02", "“for MSE”, L26",
          r"\text{Loss} = (y - \hat{y})^2",
          (Reading("as written, summed over the outputs", "",
                   forward(lambda m: m.J_terms[0], lambda m: _squared_error(m, 0), "seq")),),
          damage="a stray “0” above it (L20) is noise; the sums are implicit",
          note=r"Checked as the loss of one step, $J_1 = \sum_k (y_{1,k} - \hat y_{1,k})^2$.",
          chapters=("losses", "lstm1997")),
    Claim("002-bp-03", "“for MSE”, L31",
          r"\frac{dL}{d\hat{y}} = 2(y - \hat{y})",
          (Reading("as written", "", proves(lambda m: 2 * (m.y - m.y_hat), "v", "head1")),),
          correction=Correction(r"\frac{\partial J}{\partial \hat y_t} = 2(\hat y_t - y_t)",
                                proves(_dv, "v", "head")),
          note=(r"The inner function $y - \hat y$ contributes the factor $-1$; a descent step "
                r"with this sign raises the loss ({doc}`losses` takes one)."),
          chapters=("losses", "lstm1997")),
    # ------------------------------------------------------------------ o2
    Claim("002-o2-04", "②, L36 (margin labels L38–39)",
          r"\hat{y} = a(\omega_y h_x + b_x)",
          (Reading("as written, $a$ the identity", "",
                   forward(lambda m: m.y_hat, lambda m: m.W_v * m.h + m.b_v, "head")),),
          damage=(r"$\omega_y$ is $w_y$ (OCR); $b_x$ is the output bias $b_y$ of L50; "
                  r"“②” is a step number"),
          note=(r"The course's head has no output nonlinearity, so every “activation "
                r"derivative” of ② is 1."),
          chapters=("lstm1997",)),
    Claim("002-o2-05", "②, L41 (“all the derivatives are partial”)",
          r"\frac{d}{d\,\cdot} \equiv \frac{\partial}{\partial\,\cdot}",
          (Reading("R1: derivatives of the whole loss",
                   r"\frac{\partial L}{\partial s_t}\ \text{through } h_t \text{ and } s_{t+1}",
                   proves(lambda m: _bptt(m)[0][0], ("c", 0), "seq")),
           Reading("R2: later steps held fixed",
                   r"\frac{\partial L}{\partial s_t}\Big|_{s_{t+1}}"
                   r" = \frac{dL}{dos}\cdot\frac{dos}{ds_t}",
                   _as_claim(proves(lambda m: _bptt(m, carry=False)[0][0], ("c", 0), "seq",
                                    mode="sampled")))),
          kind="claim", correction=_FIX_CARRY,
          note=(r"The leading factors $dL/dos$ and $dL/ds_t$ of the chains must be total "
                r"derivatives; read the other way, the convention produces "
                r"{ref}`002-c3-20 <errata-002-c3-20>`."),
          chapters=("lstm1997",)),
    Claim("002-o2-06", "②, L43–45",
          r"\frac{dL}{dw_y} = \frac{dL}{d\hat{y}} \cdot \frac{d\hat{y}}{dw_y}",
          (Reading("as written", "",
                   proves(lambda m: _dv(m) * m.h.T, lambda m: m.W_v, "head")),),
          note=(r"Checked with the correct $dL/d\hat y$; with L31's it inherits the sign "
                r"({ref}`002-bp-03 <errata-002-bp-03>`)."),
          chapters=("lstm1997",)),
    Claim("002-o2-07", "②, L47 (“gradient change at time step t”)",
          r"\frac{d\hat{y}}{dw_y} = \text{activation derivative} * h_x",
          (Reading("as written, as a Jacobian", r"\frac{d\hat y}{d\,\mathrm{vec}(w_y)} = "
                   r"\operatorname{diag}(a') \otimes h_x^\top",
                   equals(lambda m: m.y_hat.jacobian(list(m.W_v)),
                          lambda m: sp.kronecker_product(sp.eye(m.V), m.h.T), "head")),),
          note=(r"With $a'= 1$. Contracted with $dL/d\hat y$ it gives the outer product "
                r"$\delta^v h_t^\top$ of {ref}`002-o2-06 <errata-002-o2-06>`."),
          chapters=("lstm1997",)),
    Claim("002-o2-08", "②, L50 (“bias gradient”)",
          r"\frac{d\hat{y}}{db_y} = \text{activation derivative} * 1",
          (Reading("as written, as a Jacobian", "",
                   equals(lambda m: m.y_hat.jacobian(m.b_v), lambda m: sp.eye(m.V), "head")),),
          note=(r"The bias gradient itself, $dL/db_y = dL/d\hat y$, is left to the reader "
                r"by analogy with L45."),
          chapters=("lstm1997",)),
    Claim("002-o2-09", "②, L52 (the accumulator over time)",
          r"G_{w_y} = \sum_t \frac{dL}{dw_y}\Big|_t,\qquad G_{b_y} = \sum_t "
          r"\frac{dL}{db_y}\Big|_t",
          (Reading("as written", "", _as_claim(engine(_proved(
              ("∂J/∂W_v", lambda m: sum((2 * (m.y_hat[t] - m.y[t]) * m.h[t].T
                                         for t in range(m.T)), sp.zeros(m.V, m.H)),
               lambda m: m.W_v),
              ("∂J/∂b_v", lambda m: sum((2 * (m.y_hat[t] - m.y[t]) for t in range(m.T)),
                                        sp.zeros(m.V, 1)),
               lambda m: m.b_v)), "seq"))),),
          kind="claim",
          note="A prose statement, written here as a formula.",
          chapters=("lstm1997",)),
    Claim("002-o2-10", "②, L54 (bracketed label)",
          r"\frac{d\hat{y}}{dh_x} = \frac{dL}{dh_x}\quad"
          r"\text{(“slope of the loss”)}",
          (Reading("as written", "",
                   _as_claim(proves(lambda m: m.W_v.T * sp.ones(m.V, 1) + m.dh_next, "h",
                                    "head1"))),),
          kind="claim",
          correction=Correction(
              r"\frac{\partial J}{\partial h_t} = W_v^\top\delta^v + \mathtt{dh\_next}",
              proves(_dh, "h", "head")),
          note=(r"$d\hat y/dh_x$ is the slope of the prediction; the loss's slope needs the "
                r"factor $dL/d\hat y$ as well. Checked with the path through $t + 1$ kept."),
          chapters=("lstm1997",)),
    Claim("002-o2-11", "②, L56",
          r"\frac{d\hat{y}}{dh_x} = \text{activation derivative} * w_y",
          (Reading("as written, as a Jacobian", "",
                   equals(lambda m: _hidden_input(m)[0].jacobian(_hidden_input(m)[1]),
                          lambda m: m.W_v, "head")),),
          note=(r"With $a' = 1$. A gradient goes back through its transpose, "
                r"$W_v^\top\delta^v$ ({ref}`002-o2-10 <errata-002-o2-10>`)."),
          chapters=("lstm1997",)),
    # ------------------------------------------------------------------ c3
    Claim("002-c3-12", "③, L62",
          r"i_s = \text{stacked input at } t",
          (Reading("as the course stacks it", r"i_s = [h_{t-1};\ x_t]",
                   equals(lambda m: m.z, lambda m: sp.Matrix.vstack(m.h_prev, m.x), "cell")),),
          damage="OCR “1st” for $i_s$; the order of the stack is never given",
          note=(r"The order matters only where $dL/dis$ is split "
                r"({ref}`002-c3-36 <errata-002-c3-36>`)."),
          chapters=("lstm1997",)),
    Claim("002-c3-13", "③, L64–72",
          r"\{(w_i, b),\ (w_{ig}, b),\ (w_{og}, b_{og})\}",
          (Reading("as written: three sets of weights and biases", "",
                   numeric(_three_blocks, "cell")),),
          kind="claim",
          note="Without a forget gate the cell has three gate blocks.",
          chapters=("lstm1997",)),
    Claim("002-c3-14", "③, L74 (“starts from the output gate”)",
          r"\frac{dL}{da_{og}}\ \text{first, then}\ \frac{dL}{ds_t}",
          (Reading("as written", "", _as_claim(engine(_no_carry_in_da_o, "cell"))),),
          kind="claim",
          note=r"Without peepholes $\delta a_o$ needs only $\delta h_t$.",
          chapters=("lstm1997",)),
    Claim("002-c3-15", "③, L76 (margin labels L78–85)",
          r"a_{og} = \text{activation}(s_t \cdot w_{og} + b_{og})",
          (Reading("R1: as written", "",
                   forward(lambda m: m.o, lambda m: (m.W_o * m.c + m.b_o).applyfunc(Sigmoid),
                           "cell")),
           Reading("R2: $s_t$ a slip for $i_s$",
                   r"a_{og} = \text{activation}(i_s \cdot w_{og} + b_{og})",
                   forward(lambda m: m.o, lambda m: (m.W_o * m.z + m.b_o).applyfunc(Sigmoid),
                           "cell"))),
          correction=Correction(r"o_t = \sigma(W_o z_t + b_o)",
                                forward(lambda m: m.o, lambda m: (m.W_o * m.z + m.b_o)
                                        .applyfunc(Sigmoid), "cell")),
          damage=r"the first factor is labelled “stacked input” but written $s_t$",
          note=(r"L162 differentiates $a_{og}$ by $i_s$ ({ref}`002-om-42 <errata-002-om-42>`). "
                r"Read as a peephole on $s_t$ it is another cell, and L122 misses a term there "
                r"({ref}`002-c3-20 <errata-002-c3-20>`)."),
          chapters=("lstm1997",)),
    Claim("002-c3-16", "③, L87 (labels L89–91)",
          r"[h_{\text{next}}, h_x] = \text{activation}(a_{og} \cdot s_t)",
          (Reading("R1: as written", "",
                   forward(lambda m: m.h, lambda m: odot(m.o, m.c).applyfunc(Tanh), "cell11")),
           Reading("R2: misplaced bracket",
                   r"h_x = h_\text{next} = a_{og}\cdot\text{activation}(s_t)",
                   forward(lambda m: m.h, lambda m: odot(m.o, m.c.applyfunc(Tanh)), "cell11"))),
          correction=Correction(r"h_t = o_t \odot \tanh(c_t)",
                                forward(lambda m: m.h, lambda m: odot(m.o, m.c.applyfunc(Tanh)),
                                        "cell")),
          damage=r"$[h_\text{next}, h_x]$ names one vector used twice, not two halves",
          note=(r"Squashing after the gate is another function, with slope "
                r"$o\tanh'(o s)$; 002 never evaluates $dos/ds_t$, so no later line inherits it."),
          chapters=("lstm1997",)),
    Claim("002-c3-17", "③, L95–97",
          r"\begin{aligned}\frac{dL}{dos} \leftarrow\ & dh_\text{next}\ "
          r"(\text{from } t+1),\\ & dh_x\ (\text{from the output})\end{aligned}",
          (Reading("as written: both consumers of $h_t$", "",
                   _as_claim(proves(_dh, "h", "head"))),),
          kind="claim",
          note=(r"Checked with $dh_x = W_v^\top\delta^v$, which 002 never writes "
                r"({ref}`002-o2-10 <errata-002-o2-10>`)."),
          chapters=("lstm1997",)),
    Claim("002-c3-18", "③, L99 (diagram)",
          r"\Bigl[\underbrace{\square\cdots\square}_{dh_\text{next}}\ "
          r"\underbrace{\square\cdots\square}_{dh_x}\Bigr] \to \text{gradient stacked output}",
          (Reading("R1: one vector of $2H$ entries",
                   r"\frac{dL}{dos} = [dh_\text{next};\ dh_x]",
                   proves(lambda m: sp.Matrix.vstack(m.dh_next, m.W_v.T * _dv(m)), "h",
                          "head")),
           Reading("R2: the two gradients of $h_t$, added",
                   r"\frac{dL}{dos} = dh_\text{next} + dh_x", proves(_dh, "h", "head"))),
          correction=Correction(
              r"\delta h_t = W_v^\top\delta^v + \mathtt{dh\_next}", proves(_dh, "h", "head")),
          damage="a drawing of two rows of boxes side by side",
          note=r"$h_t$ has $H$ entries, so its gradient has $H$ entries too.",
          chapters=("lstm1997",)),
    Claim("002-c3-19", "③, L105 and L117",
          r"\frac{dL}{dw_{og}} = \frac{dL}{dos} \cdot \frac{dos}{da_{og}} \cdot "
          r"\frac{da_{og}}{dw_{og}}",
          (Reading("as written", "",
                   proves(lambda m: _da_o(m) * m.z.T, lambda m: m.W_o, "cell")),),
          note=(r"With $dL/dos$ the total $\delta h_t$ and $i_s$ the gate's input "
                r"({ref}`002-c3-15 <errata-002-c3-15>`, R2)."),
          chapters=("lstm1997",)),
    Claim("002-c3-20", "③, L122",
          r"\frac{dL}{ds_t} = \frac{dL}{dos} \cdot \frac{dos}{ds_t}",
          (Reading("R1: as written, at $t = 1$ of $T = 2$", "",
                   proves(lambda m: _bptt(m, carry=False)[0][0], ("c", 0), "seq",
                          mode="sampled")),
           Reading("R2: if $a_{og}$ reads $s_t$ (a peephole, L76)", "",
                   proves(lambda m: _dc(m), "c", "peep"))),
          correction=_FIX_CARRY,
          note=(r"The carry $dL/ds_{t+1}$ through the carousel is never added; at $t = T$ "
                r"nothing is missing. Under R2 the path $s_t\to a_{og}$, "
                r"$p_o\odot\delta a_o$, is missing as well."),
          chapters=("lstm1997",)),
    Claim("002-c3-21", "③, L124–131 (“in derivative form”)",
          r"\begin{aligned}&\frac{dos}{da_{og}},\ \frac{dos}{ds_t},\ \frac{ds_t}{da_{ig}},\ "
          r"\frac{ds_t}{da_i},\ \frac{da_\cdot}{dw_\cdot}\\ &\text{never evaluated}"
          r"\end{aligned}",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned}\delta a_o &= \delta h_t \odot \tanh(c_t) \odot o_t \odot "
              r"(1 - o_t)\\ \delta c_t &= \delta h_t \odot o_t \odot "
              r"\bigl(1 - \tanh^2(c_t)\bigr) + \delta c_{t+1}\\ "
              r"\delta a_i &= \delta c_t \odot g_t \odot i_t \odot (1 - i_t)\\ "
              r"\delta a_g &= \delta c_t \odot i_t \odot (1 - g_t^2)\end{aligned}",
              engine(_proved(("δa_o", _da_o, "a_o"), ("δc_t", _dc, "c"),
                             ("δa_i", _da_i, "a_i"), ("δa_g", _da_g, "a_g")), "cell")),
          note="The local factors are the content of the backward pass; none is written out.",
          chapters=("lstm1997",)),
    Claim("002-c3-22", "③, L138",
          r"a_{ig} = \text{act}(i_s \cdot w_{ig} + b)",
          (Reading("R1: its own bias $b_{ig}$", "",
                   forward(lambda m: m.i, lambda m: (m.W_i * m.z + m.b_i).applyfunc(Sigmoid),
                           "cell11")),
           Reading("R2: one $b$ shared with $a_i$ (L140)", "",
                   forward(lambda m: m.i, lambda m: (m.W_i * m.z + m.b_g).applyfunc(Sigmoid),
                           "cell11"))),
          correction=Correction(r"i_t = \sigma(W_i z_t + b_i)",
                                forward(lambda m: m.i, lambda m: (m.W_i * m.z + m.b_i)
                                        .applyfunc(Sigmoid), "cell")),
          damage="the bias is an unsubscripted $b$, the same letter as in L140",
          note="L70–72 list a bias for each block, which supports R1.",
          chapters=("lstm1997",)),
    Claim("002-c3-23", "③, L140 (“input signal”, L134)",
          r"a_i = \text{act}(i_s \cdot w_i + b)",
          (Reading("R1: its own bias $b_i$", "",
                   forward(lambda m: m.g, lambda m: (m.W_g * m.z + m.b_g).applyfunc(Tanh),
                           "cell11")),
           Reading("R2: one $b$ shared with $a_{ig}$ (L138)", "",
                   forward(lambda m: m.g, lambda m: (m.W_g * m.z + m.b_i).applyfunc(Tanh),
                           "cell11"))),
          correction=Correction(r"g_t = \tanh(W_g z_t + b_g)",
                                forward(lambda m: m.g, lambda m: (m.W_g * m.z + m.b_g)
                                        .applyfunc(Tanh), "cell")),
          damage="unsubscripted $b$, as in L138",
          note=(r"002's $a_i$ is the cell input, the course's $g_t$, not the input gate; "
                r"“act” is $\tanh$ here (the 1997 paper's $4\sigma - 2 = 2\tanh(\cdot/2)$)."),
          chapters=("lstm1997",)),
    Claim("002-c3-24", "③, L142",
          r"s_t = s_{t-1} * \text{product}",
          (Reading("R1: as written", r"s_t = s_{t-1}\,(a_{ig}\, a_i)",
                   forward(lambda m: m.c, lambda m: odot(m.c_prev, m.i, m.g), "cell11")),
           Reading("R2: “*” for “+”", r"s_t = s_{t-1} + a_{ig}\, a_i",
                   forward(lambda m: m.c, lambda m: m.c_prev + odot(m.i, m.g), "cell11"))),
          correction=_FIX_CELL,
          damage="“product” names $a_{ig} * a_i$, written out in L144",
          note=r"Read as a product, its carry would be $\delta c_t\odot i_t\odot g_t$.",
          chapters=("lstm1997",)),
    Claim("002-c3-25", "③, L144",
          r"s_t = s_{t-1} + a_{ig} * a_i",
          (Reading("as written", "",
                   forward(lambda m: m.c, lambda m: m.c_prev + odot(m.i, m.g), "cell")),),
          note=(r"The constant error carousel: $\partial c_t/\partial c_{t-1} = I$ "
                r"({ref}`002-om-37 <errata-002-om-37>`)."),
          chapters=("lstm1997",)),
    Claim("002-c3-26", "③, L146",
          r"\text{the same } \frac{dL}{ds_t} \text{ serves } a_{ig} \text{ and } a_i",
          (Reading("R1: the $dL/ds_t$ of L122", "", _as_claim(engine(_proved(
              ("δa_i", lambda m: _da_i(m, carry=False), "a_i"),
              ("δa_g", lambda m: _da_g(m, carry=False), "a_g")), "cell"))),
           Reading("R2: the total $dL/ds_t$", "", _as_claim(engine(_proved(
               ("δa_i", _da_i, "a_i"), ("δa_g", _da_g, "a_g")), "cell")))),
          kind="claim",
          correction=Correction(
              r"\begin{aligned}\delta a_i &= \delta c_t \odot g_t \odot i_t \odot (1 - i_t)\\ "
              r"\delta a_g &= \delta c_t \odot i_t \odot (1 - g_t^2)\end{aligned}",
              engine(_proved(("δa_i", _da_i, "a_i"), ("δa_g", _da_g, "a_g")), "cell")),
          damage="OCR “dst” for $ds_t$",
          note=(r"The reuse is right (both reach $L$ only through $s_t$); the value reused "
                r"lacks the carry ({ref}`002-c3-20 <errata-002-c3-20>`)."),
          chapters=("lstm1997",)),
    Claim("002-c3-27", "③, L149",
          r"\frac{dL}{dw_{ig}} = \frac{dL}{ds_t} \cdot \frac{ds_t}{da_{ig}} \cdot "
          r"\frac{da_{ig}}{dw_{ig}}",
          (Reading("as written", "",
                   proves(lambda m: _da_i(m) * m.z.T, lambda m: m.W_i, "cell")),),
          note=(r"With the sum of L144, $ds_t/da_{ig} = a_i$ (the course's $g_t$), and "
                r"$dL/ds_t$ the total $\delta c_t$."),
          chapters=("lstm1997",)),
    Claim("002-c3-28", "③, L151",
          r"\frac{dL}{dw_i} = \frac{dL}{ds_t} \cdot \frac{ds_t}{da_i} \cdot "
          r"\frac{da_i}{dw_i}",
          (Reading("as written", "",
                   proves(lambda m: _da_g(m) * m.z.T, lambda m: m.W_g, "cell")),),
          note=r"$ds_t/da_i = a_{ig}$, the course's $i_t$.",
          chapters=("lstm1997",)),
    Claim("002-c3-29", "③, L156–157 (accumulators)",
          r"G_{w_k} = \sum_t \frac{dL}{dw_k}\Big|_t,\quad k \in \{og, ig, i\}",
          (Reading("as written", "", _as_claim(engine(_proved(
              ("∂J/∂W", lambda m: sum((da * z.T for da, z in zip(_bptt(m)[1], m.z)),
                                      sp.zeros(*m.W.shape)), lambda m: m.W),
              ("∂J/∂b", lambda m: sum(_bptt(m)[1], sp.zeros(*m.b.shape)), lambda m: m.b)),
              "seq"))),),
          kind="claim",
          note="A prose statement; checked for the three blocks of $W$ and of $b$ together.",
          chapters=("lstm1997",)),
    Claim("002-c3-30", "③, L159–160",
          r"\frac{dL}{dis} = \sum_{k \in \{og,\, ig,\, i\}} (\text{contribution of } k)",
          (Reading("as written", "",
                   _as_claim(proves(lambda m: m.W.T * _da(m), "z", "cell"))),),
          kind="claim",
          note=r"In the course's form, $\partial J/\partial z_t = W^\top\delta a$.",
          chapters=("lstm1997",)),
    _dz_term_claim("002-c3-31", 162, "output gate", "og", "①", r"\omega_{Dg}"),
    _dz_term_claim("002-c3-32", 164, "input gate", "ig", "②", r"\omega_{ig}"),
    _dz_term_claim("002-c3-33", 166, "cell input", "i", "③", r"\omega_i"),
    Claim("002-c3-34", "③, L168",
          r"\frac{dL}{dis} = ① + ② + ③",
          (Reading("with the terms as products", "",
                   proves(_dz, "z", "cell")),),
          note=(r"The sum is right once each term is the product of "
                r"{ref}`002-c3-31 <errata-002-c3-31>`'s correction."),
          chapters=("lstm1997",)),
    Claim("002-c3-35", "③, L170",
          r"+ \dots",
          (Reading("R1: nothing more", r"\frac{dL}{dis} = ① + ② + ③",
                   proves(_dz, "z", "cell")),
           Reading("R2: more paths intended (as with peepholes)",
                   r"\frac{dL}{dis} = ① + ② + ③\ \text{in a cell with peepholes}",
                   proves(lambda m: m.W.T * sp.Matrix.vstack(
                       odot(_dc(m) + odot(m.p_o, _da_o(m)), m.g, m.i, m.ones - m.i),
                       _da_o(m),
                       odot(_dc(m) + odot(m.p_o, _da_o(m)), m.i, m.ones - square(m.g))),
                          "z", "peep")),),
          damage="a dangling continuation",
          note=(r"No block other than the three reads $i_s$; peepholes add paths through "
                r"$s_t$ and $s_{t-1}$, not $i_s$, so “$+\dots$” has nothing to add."),
          chapters=("lstm1997",)),
    Claim("002-c3-36", "③, L172–177",
          r"\frac{dL}{di_s} \to \Bigl[\frac{dL}{dh_{t-1}};\ \frac{dL}{dx_t}\Bigr]",
          (Reading("as written, in the course's stack order", "", _as_claim(engine(_proved(
              ("∂J/∂h_{t−1}", lambda m: (m.W.T * _da(m))[:m.H, :], lambda m: m.h_prev),
              ("∂J/∂x_t", lambda m: (m.W.T * _da(m))[m.H:, :], lambda m: m.x)), "cell"))),),
          kind="claim",
          note=(r"The first $H$ entries go back to step $t - 1$ as its $dh_\text{next}$ "
                r"(with $i_s = [h_{t-1}; x_t]$, {ref}`002-c3-12 <errata-002-c3-12>`)."),
          chapters=("lstm1997",)),
    # ------------------------------------------------------------------ om
    Claim("002-om-37", "whole note: the carousel's backward step",
          r"\frac{dL}{ds_{t-1}}\ \text{from}\ \frac{dL}{ds_t}\ \text{(not written)}",
          (), kind="omission",
          correction=Correction(r"\frac{\partial J}{\partial c_{t-1}} = \delta c_t",
                                proves(_dc, lambda m: m.c_prev, "cell")),
          note=(r"The defining property of the carousel (identity Jacobian) is never used; "
                r"hence {ref}`002-c3-20 <errata-002-c3-20>`."),
          chapters=("lstm1997",)),
    Claim("002-om-38", "whole note: the cell's biases",
          r"\frac{dL}{db_{og}},\ \frac{dL}{db_{ig}},\ \frac{dL}{db_i}\ \text{(not written)}",
          (), kind="omission",
          correction=Correction(
              r"\frac{\partial J}{\partial b} = \sum_t \delta a_t,\quad "
              r"\delta a_t = [\delta a_i;\ \delta a_o;\ \delta a_g]",
              proves(lambda m: sum(_bptt(m)[1], sp.zeros(*m.b.shape)), lambda m: m.b, "seq")),
          note="Only the weights get chains; the biases are named in L70–72.",
          chapters=("lstm1997",)),
    Claim("002-om-39", "whole note: the last step",
          r"dh_\text{next},\ ds_\text{next}\ \text{at}\ t = T\ \text{(not written)}",
          (), kind="omission",
          correction=Correction(
              r"\begin{aligned}\delta h_T &= W_v^\top\delta^v_T\\ \delta c_T &= \delta h_T "
              r"\odot o_T\odot\bigl(1 - \tanh^2(c_T)\bigr)\end{aligned}",
              engine(_proved(
                  ("δh_T", lambda m: m.W_v.T * 2 * (m.y_hat[-1] - m.y[-1]), ("h", 1)),
                  ("δc_T", lambda m: _bptt(m)[0][-1], ("c", 1))), "seq")),
          note=r"L95 assumes a gradient from $t + 1$; at the last step it is zero.",
          chapters=("lstm1997",)),
    Claim("002-om-40", "whole note: the loss of a sequence",
          r"L = \sum_t (y_t - \hat y_t)^2\ \text{(not written)}",
          (), kind="omission",
          correction=Correction(
              r"J = \sum_t \sum_k (\hat y_{t,k} - y_{t,k})^2",
              forward(lambda m: m.J, lambda m: sum(_squared_error(m, t) for t in range(m.T)),
                      "seq")),
          note="Implied by the accumulators over time (L52, L156).",
          chapters=("lstm1997",)),
    Claim("002-om-41", "L13 against L144",
          r"\begin{aligned}\text{L13:}\quad s_t &= s_{t-1} \times \alpha_{ig}\\ "
          r"\text{L144:}\quad s_t &= s_{t-1} + a_{ig} * a_i\end{aligned}",
          (Reading("L13", r"s_t = s_{t-1} \times a_{ig}",
                   forward(lambda m: m.c, lambda m: odot(m.c_prev, m.i), "cell11")),
           Reading("L144", r"s_t = s_{t-1} + a_{ig} * a_i",
                   forward(lambda m: m.c, lambda m: m.c_prev + odot(m.i, m.g), "cell11"))),
          kind="contradiction", correction=_FIX_CELL,
          note="All the gradients of the note use the later line.",
          chapters=("lstm1997",)),
    Claim("002-om-42", "L76 against L162",
          r"a_{og} = \text{act}(s_t\cdot w_{og} + b_{og})\quad\text{vs.}\quad "
          r"\frac{da_{og}}{dis}",
          (Reading("L76: $a_{og}$ from $s_t$", "",
                   forward(lambda m: m.o, lambda m: (m.W_o * m.c + m.b_o).applyfunc(Sigmoid),
                           "cell")),
           Reading("L162: $a_{og}$ from $i_s$", r"a_{og} = \text{act}(i_s\cdot w_{og} + b_{og})",
                   forward(lambda m: m.o, lambda m: (m.W_o * m.z + m.b_o).applyfunc(Sigmoid),
                           "cell"))),
          kind="contradiction",
          correction=Correction(r"o_t = \sigma(W_o z_t + b_o)",
                                forward(lambda m: m.o, lambda m: (m.W_o * m.z + m.b_o)
                                        .applyfunc(Sigmoid), "cell")),
          note="The margin label of L76 also says “stacked input”.",
          chapters=("lstm1997",)),
)
