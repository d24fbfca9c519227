"""The proof engine: source 000's cell gradients prove exactly; wrong ones fail.

Oracles: SymPy's derivative of the symbolic forward pass (inside the engine),
and — for the engine itself — central finite differences of an independent
NumPy forward pass.
"""

import importlib

import numpy as np
import pytest
import sympy as sp

from lstm_ref import lstm_step_forward
from lstm_ref import verify as V
from lstm_ref.verify.numeric import atom_values, evaluator


@pytest.fixture(scope="module")
def cell():
    return V.symbolic_cell(H=2, D=3)


def cell_grads(c, dh):
    """Source 000's backward equations (course notation) as SymPy matrices."""
    one = c.ones
    do = V.odot(dh, c.tanh_c)
    da_o = V.odot(do, c.o, one - c.o)
    dc = V.odot(dh, c.o, one - V.square(c.tanh_c)) + c.dc_next
    dg = V.odot(dc, c.i)
    da_g = V.odot(dg, one - V.square(c.g))
    di = V.odot(dc, c.g)
    da_i = V.odot(di, c.i, one - c.i)
    df = V.odot(dc, c.c_prev)
    da_f = V.odot(df, c.f, one - c.f)
    da = sp.Matrix.vstack(da_f, da_i, da_o, da_g)
    dz = c.W.T * da
    return dict(do=do, a_o=da_o, c=dc, g=dg, a_g=da_g, i=di, a_i=da_i, f=df, a_f=da_f,
                da=da, dW=da * c.z.T, db=da, dz=dz, dh_prev=dz[:c.H, :], dx=dz[c.H:, :],
                dc_prev=V.odot(dc, c.f))


def test_every_cell_gradient_of_source_000_proves_exactly(cell, capsys):
    d = cell_grads(cell, cell.dh_next)
    checks = [("∂J/∂o_t", d["do"], "o"), ("∂J/∂a_o", d["a_o"], "a_o"), ("∂J/∂c_t", d["c"], "c"),
              ("∂J/∂g_t", d["g"], "g"), ("∂J/∂a_g", d["a_g"], "a_g"), ("∂J/∂i_t", d["i"], "i"),
              ("∂J/∂a_i", d["a_i"], "a_i"), ("∂J/∂f_t", d["f"], "f"), ("∂J/∂a_f", d["a_f"], "a_f"),
              ("∂J/∂a", d["da"], "a"), ("∂J/∂W", d["dW"], cell.W), ("∂J/∂b", d["db"], cell.b),
              ("∂J/∂W_f", d["a_f"] * cell.z.T, cell.W_f), ("∂J/∂b_i", d["a_i"], cell.b_i),
              ("∂J/∂z", d["dz"], "z"), ("∂J/∂h_prev", d["dh_prev"], cell.h_prev),
              ("∂J/∂x", d["dx"], cell.x), ("∂J/∂c_prev", d["dc_prev"], cell.c_prev),
              ("∂J/∂h_t", cell.dh_next, "h"), ("∂J/∂c_t by value", d["c"], cell.c)]
    for name, hand, wrt in checks:
        res = V.prove(name, hand, wrt, cell)
        assert res.method == "exact" and res.entries == len(hand)
    out = capsys.readouterr().out.splitlines()
    assert out[2] == "✓ proved  ∂J/∂c_t  (exact: hand − SymPy expands to 0 in all 2 entries)"
    assert len(out) == len(checks) and max(map(len, out)) <= 88


@pytest.mark.parametrize("head,target,dv_of", [
    ("softmax_ce", "soft", lambda c: c.y_hat - c.y),
    ("softmax_ce", 1, lambda c: c.y_hat - c.y),
    ("sigmoid_bce", "soft", lambda c: c.y_hat - c.y),
    ("mse", "soft", lambda c: 2 * (c.y_hat - c.y)),
])
def test_output_layer_gradients_prove_exactly(head, target, dv_of):
    c = V.symbolic_cell(2, 3, head=head, target=target, V=3)
    dv = dv_of(c)
    assert V.prove("∂J/∂v", dv, "v", c).method == "exact"
    V.prove("∂J/∂W_v", dv * c.h.T, c.W_v, c)
    V.prove("∂J/∂b_v", dv, c.b_v, c)
    dh = c.W_v.T * dv + c.dh_next            # source 000: dh = W_vᵀ dv, then += dh_next
    V.prove("∂J/∂h_t", dh, "h", c)
    V.prove("∂J/∂c_t", cell_grads(c, dh)["c"], "c", c)


def _rejects(name, hand, wrt, model, **kw):
    with pytest.raises(V.FormulaMismatch) as exc:
        V.prove(name, hand, wrt, model, **kw)
    msg = str(exc.value)
    assert msg.startswith(name + ":")
    assert max(len(line) for line in msg.splitlines()) <= 76     # room for "✗ rejected: "
    return msg


def test_dropped_dc_next_is_rejected_with_counterexample(cell):
    one = cell.ones
    wrong = V.odot(cell.dh_next, cell.o, one - V.square(cell.tanh_c))
    msg = _rejects("∂J/∂c_t (missing + dc_next)", wrong, "c", cell)
    assert "hand − SymPy = -dc_next[" in msg
    assert "counterexample" in msg and "hand  =" in msg and "SymPy =" in msg
    assert "dc_next[" in msg.split(" at ")[-1]


def test_missing_square_is_rejected(cell):
    one = cell.ones
    wrong = V.odot(cell.dh_next, cell.o, one - cell.tanh_c) + cell.dc_next
    msg = _rejects("∂J/∂c_t (1 − tanh)", wrong, "c", cell)
    assert "tanh_c[" in msg and "counterexample" in msg


def test_transposed_weight_is_rejected_non_square_and_square(cell):
    da = cell_grads(cell, cell.dh_next)["da"]
    msg = _rejects("∂J/∂W (z daᵀ)", cell.z * da.T, cell.W, cell)
    assert "shape (5, 8)" in msg and "(8, 5)" in msg and "transposed" in msg
    # square block: dh_prev = Σ_gates W_{gate,h}ᵀ da_gate; dropping the ᵀ keeps the shape
    H = cell.H
    blocks = [(cell.W[k * H:(k + 1) * H, :H], da[k * H:(k + 1) * H, :]) for k in range(4)]
    wrong = sp.zeros(H, 1)
    for Wk, dak in blocks:
        wrong += Wk * dak
    msg = _rejects("∂J/∂h_prev (W_h not transposed)", wrong, cell.h_prev, cell)
    assert "W[" in msg and "counterexample" in msg


def test_wrong_sign_of_source_002_mse_is_rejected():
    c = V.symbolic_cell(2, 3, head="mse")
    msg = _rejects("∂L/∂ŷ (source 002)", 2 * (c.y - c.y_hat), "v", c)
    assert "counterexample" in msg


def test_sampled_mode_agrees_and_rejects(cell):
    d = cell_grads(cell, cell.dh_next)
    res = V.prove("∂J/∂W sampled", d["dW"], cell.W, cell, mode="sampled", points=2)
    assert res.method == "sampled" and res.maxdiff < V.TOL
    assert "sampled, not a proof: 2 points, 50 digits, maxdiff=" in str(res)
    wrong = V.odot(d["c"], cell.f) + cell.dc_next
    msg = _rejects("∂J/∂c_prev sampled", wrong, cell.c_prev, cell, mode="sampled")
    assert "sampled check" in msg and "counterexample" in msg


def test_sequence_auto_mode_states_sampling():
    s = V.symbolic_sequence(T=4, H=1, D=1)
    res = V.prove("∂J/∂h_4", s.dh[3], ("h", 3), s)
    assert res.method == "sampled" and "T=4" in res.reason
    s2 = V.symbolic_sequence(T=2, H=2, D=3)
    res = V.prove("∂J/∂h_2", s2.dh[1], ("h", 1), s2)
    assert res.method == "exact" and "node by node" in " ".join(str(res).split())
    s1 = V.symbolic_sequence(T=1, H=2, D=3)
    assert V.prove("∂J/∂h_1", s1.dh[0], ("h", 0), s1).method == "exact"


def test_tap_means_total_derivative_through_downstream(cell):
    """∂J/∂o_t through h only; ∂J/∂c_t includes the direct dc_next path."""
    g = V.sympy_grad(cell, "c")
    assert sp.expand(g[0] - (cell.dh_next[0] * cell.o[0] * (1 - cell.tanh_c[0] ** 2)
                             + cell.dc_next[0])) == 0


def test_engine_derivative_matches_finite_differences(cell):
    """The engine's own SymPy derivative vs central differences of an independent forward."""
    rng = np.random.default_rng(7)
    H, D = 2, 3
    x, hp = rng.standard_normal((1, D)), rng.standard_normal((1, H))
    cp = rng.standard_normal((1, H))
    W, b = rng.standard_normal((4 * H, H + D)), rng.standard_normal(4 * H)
    dh, dcn = rng.standard_normal((1, H)), rng.standard_normal((1, H))

    def J(W):
        h, c, _ = lstm_step_forward(x, hp, cp, W, b)
        return float(np.sum(dh * h) + np.sum(dcn * c))
    fd = np.zeros_like(W)
    for idx in np.ndindex(*W.shape):
        e = np.zeros_like(W)
        e[idx] = 1e-6
        fd[idx] = (J(W + e) - J(W - e)) / 2e-6
    gW = V.sympy_grad(cell, cell.W)
    g, _, _ = cell.build()
    vals = {cell.W[r, k]: W[r, k] for r in range(4 * H) for k in range(H + D)}
    vals.update({cell.b[r]: b[r] for r in range(4 * H)})
    for m, arr in ((cell.x, x), (cell.h_prev, hp), (cell.c_prev, cp), (cell.dh_next, dh),
                   (cell.dc_next, dcn)):
        vals.update({m[k]: arr[0, k] for k in range(len(m))})
    got = np.array([float(v) for v in evaluator(gW)(atom_values(g, dict(vals)))]).reshape(W.shape)
    assert np.max(np.abs(got - fd)) < 1e-7


@pytest.mark.parametrize("call,exc,words", [
    (lambda c: V.prove("", c.dc_next, "c", c), TypeError, "name"),
    (lambda c: V.prove("x", c.dc_next, "nope", c), ValueError, "wrt"),
    (lambda c: V.prove("x", c.dc_next, "c", c, mode="fast"), ValueError, "mode"),
    (lambda c: V.prove("x", "dc", "c", c), TypeError, "hand"),
    (lambda c: V.prove("x", c.dc_next, "c", object()), TypeError, "model"),
    (lambda c: V.symbolic_cell(H=0), ValueError, "H"),
    (lambda c: V.symbolic_cell(head="hinge"), ValueError, "head"),
    (lambda c: V.symbolic_cell(head="softmax_ce", target=7), ValueError, "target"),
])
def test_bad_input_names_the_argument(cell, call, exc, words):
    with pytest.raises(exc, match=words):
        call(cell)


# ------------------------------------------- hand formulas with the wrong activations

def _written_sigmoid(u):
    return 1 / (1 + sp.exp(-u))


@pytest.mark.parametrize("wrong,named,use", [
    (sp.tanh, "sympy.tanh", "verify.Tanh"),
    (_written_sigmoid, "sympy.exp", "verify.Sigmoid"),
    (sp.Function("sigma"), "uses sigma, an undefined SymPy function", "verify.Sigmoid"),
    (sp.Function("tanh"), "uses tanh, an undefined SymPy function", "verify.Tanh"),
], ids=["sympy.tanh", "exp-sigmoid", "Function-sigma", "Function-tanh"])
def test_prove_rejects_other_activations_early(cell, monkeypatch, wrong, named, use):
    """∂J/∂a_o = dh ⊙ tanh(c) ⊙ o(1 − o), with o rebuilt from a_o by the wrong function."""
    def no_derivative(*args, **kwargs):
        raise AssertionError("SymPy's derivative was computed before the hand was checked")
    monkeypatch.setattr(importlib.import_module("lstm_ref.verify.prove"), "whole_derivative",
                        no_derivative)
    o = cell.a_o.applyfunc(wrong)
    hand = V.odot(cell.dh_next, cell.tanh_c, o, cell.ones - o)
    with pytest.raises(TypeError) as exc:
        V.prove("∂J/∂a_o", hand, "a_o", cell)
    msg = str(exc.value)
    assert max(len(line) for line in msg.splitlines()) <= 76
    msg = " ".join(msg.split())                                # the message, unwrapped
    assert msg.startswith("hand: ") and named in msg and use in msg


def test_prove_accepts_the_engine_activations_of_model_quantities(cell):
    """The same formula with verify.Sigmoid / verify.Tanh: they become the atoms o, tanh_c."""
    o = cell.a_o.applyfunc(V.Sigmoid)
    hand = V.odot(cell.dh_next, cell.c.applyfunc(V.Tanh), o, cell.ones - o)
    assert V.prove("∂J/∂a_o", hand, "a_o", cell, verbose=False).method == "exact"


def test_prove_accepts_the_softmax_heads_exp():
    """exp(v_k) of the head's own logits is an atom product ŷ_k S, not a foreign function."""
    c = V.symbolic_cell(2, 3, head="softmax_ce")
    e = c.v.applyfunc(sp.exp)
    assert V.prove("dJ/dv = softmax(v) − y", e / sum(e) - c.y, "v", c,
                   verbose=False).method == "exact"
    with pytest.raises(TypeError, match=r"hand: uses sympy\.exp"):
        V.prove("dJ/dv", (2 * c.v).applyfunc(sp.exp) - c.y, "v", c)


def test_sigmoid_is_one_opaque_function_printed_sigmoid():
    a = sp.Symbol("a")
    assert not hasattr(V, "sigma")
    assert str(V.Sigmoid(a)) == "Sigmoid(a)" and str(V.Tanh(a)) == "Tanh(a)"
    assert sp.diff(V.Sigmoid(a), a) == V.Sigmoid(a) * (1 - V.Sigmoid(a))
    assert abs(float(V.Sigmoid(sp.Rational(1, 2)).evalf(30)) - 0.6224593312018546) < 1e-15


def test_a_rejection_carries_its_counterexample_as_numbers():
    # the errata tables print these numbers; they must be the two sides at the point
    cell = V.symbolic_cell(H=2, D=3)
    wrong = V.odot(cell.dh_next, cell.tanh_c)          # misses o ⊙ (1 − tanh²c)
    with pytest.raises(V.FormulaMismatch) as info:
        V.prove("dc", wrong, "c", cell, verbose=False)
    cx = info.value.counterexample
    assert cx.entry in ("[0]", "[1]") and abs(cx.hand - cx.truth) > 1e-6
    at = dict(cx.at)
    k = int(cx.entry[1])
    assert abs(cx.hand - at[f"dh_next[{k}]"] * at[f"tanh_c[{k}]"]) < 1e-12
