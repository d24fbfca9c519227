"""Exact proofs for unrolled sequences (T = 3): SymPy's derivative node by node.

Oracles: the whole-J ``sp.diff`` derivative (T = 2, entry by entry), the
65-digit numerical derivative of the forward pass (T = 3), and the full
reverse-mode BPTT sweep written in atoms, as a chapter would.
"""

import numpy as np
import pytest
import sympy as sp

from lstm_ref import verify as V
from lstm_ref.verify.chain import whole_derivative
from lstm_ref.verify.numeric import evaluator, forward_point, numeric_derivative
from lstm_ref.verify.poly import NotPolynomial, expand_sparse
from lstm_ref.verify.prove import EXACT_MAX_T, NODE_BY_NODE

T, H, D = 3, 2, 3


@pytest.fixture(scope="module")
def seq():
    return V.symbolic_sequence(T=T, H=H, D=D)


def bptt(s, variant=None):
    """Reverse-mode BPTT of J = Σ_t dh_t·h_t + dc_T·c_T in atoms (gate order f, i, o, g).

    ``variant`` injects a mistake: "no_dc_carry" (dc_prev = 0 between steps),
    "no_recurrent_dh" (dh_t misses W_hᵀ da_{t+1}), "last_step_dW" (dW = da_T z_Tᵀ).
    """
    one = s.ones
    dh_next, dc_next = sp.zeros(s.H, 1), s.dc_T
    dW, db, dx = sp.zeros(*s.W.shape), sp.zeros(*s.b.shape), [None] * s.T
    for t in reversed(range(s.T)):
        c_prev = s.c[t - 1] if t > 0 else s.c0
        dh = s.dh[t] + (sp.zeros(s.H, 1) if variant == "no_recurrent_dh" else dh_next)
        dc = V.odot(dh, s.o[t], one - V.square(s.tanh_c[t])) + dc_next
        da = sp.Matrix.vstack(V.odot(dc, c_prev, s.f[t], one - s.f[t]),
                              V.odot(dc, s.g[t], s.i[t], one - s.i[t]),
                              V.odot(dh, s.tanh_c[t], s.o[t], one - s.o[t]),
                              V.odot(dc, s.i[t], one - V.square(s.g[t])))
        if variant != "last_step_dW" or t == s.T - 1:
            dW += da * s.z[t].T                       # Σ_t da_t z_tᵀ
        db += da
        dz = s.W.T * da
        dx[t] = dz[s.H:, :]
        dh_next = dz[:s.H, :]                         # recurrent term W_hᵀ da_t
        dc_next = sp.zeros(s.H, 1) if variant == "no_dc_carry" else V.odot(dc, s.f[t])
    return dict(dW=dW, db=db, dx=dx, dh0=dh_next, dc0=dc_next)


def test_full_bptt_at_T3_proves_exactly(seq, capsys):
    d = bptt(seq)
    checks = [("∂J/∂W (T=3)", d["dW"], seq.W), ("∂J/∂b (T=3)", d["db"], seq.b),
              ("∂J/∂h_0 (T=3)", d["dh0"], seq.h0), ("∂J/∂c_0 (T=3)", d["dc0"], seq.c0)]
    checks += [(f"∂J/∂x_{t + 1} (T=3)", d["dx"][t], seq.x[t]) for t in range(T)]
    for name, hand, wrt in checks:
        res = V.prove(name, hand, wrt, seq)
        assert res.method == "exact" and res.entries == len(hand) and res.how == NODE_BY_NODE
    out = capsys.readouterr().out.splitlines()
    # too long for one line of 88 columns: the head, then the details indented by 4
    assert out[:3] == ["✓ proved  ∂J/∂W (T=3)",
                       "    exact: hand − SymPy expands to 0 in all 40 entries;",
                       "    SymPy's derivative assembled node by node through the unrolled graph"]
    assert len([ln for ln in out if ln.startswith("✓ proved  ")]) == len(checks)
    assert max(map(len, out)) <= 88


def test_node_by_node_equals_whole_J_sp_diff_at_T2():
    s = V.symbolic_sequence(T=2, H=2, D=3)
    for wrt in (s.c0, s.h0, s.x[0], s.b, s.W[:, 0]):
        new = V.sympy_grad(s, wrt)
        g, J, _ = s.build()
        old = whole_derivative(g, J, sp.Matrix(wrt))
        assert new.shape == old.shape
        for a, b in zip(new, old):
            assert expand_sparse(a - b).is_zero()
    # an intermediate through a tap: ∂J/∂c_1 by both routes
    g, J, _ = s.build(frozenset([("c", 0)]))
    old = whole_derivative(g, J, g.tap_symbols[("c", 0)])
    assert all(expand_sparse(a - b).is_zero() for a, b in zip(V.sympy_grad(s, ("c", 0)), old))


def test_node_by_node_equals_numerical_derivative_at_T3(seq):
    g, J, domains = seq.build()
    new = V.sympy_grad(seq, seq.W[:2, :])          # two rows of W: the f-gate block
    ref = numeric_derivative(J, sp.ImmutableMatrix(seq.W[:2, :]))
    rng = np.random.default_rng(3)
    for _ in range(2):
        vals = forward_point(g, domains, rng)
        got, want = evaluator(new)(vals), ref(vals)
        assert max(abs(a - b) for a, b in zip(got, want)) < V.TOL


def test_node_by_node_with_a_head_matches_numerical_derivative():
    s = V.symbolic_sequence(T=2, H=2, D=2, head="softmax_ce", V=3)
    g, J, domains = s.build()
    new = V.sympy_grad(s, s.c0)
    ref = numeric_derivative(J, sp.ImmutableMatrix(s.c0))
    vals = forward_point(g, domains, np.random.default_rng(5))
    assert max(abs(a - b) for a, b in zip(evaluator(new)(vals), ref(vals))) < V.TOL


@pytest.mark.parametrize("variant,key", [("no_dc_carry", "dc0"), ("no_recurrent_dh", "dh0"),
                                         ("last_step_dW", "dW")])
def test_wrong_sweeps_at_T3_are_rejected(seq, variant, key):
    wrt = {"dc0": seq.c0, "dh0": seq.h0, "dW": seq.W}[key]
    name = f"∂J/∂{key[1:]} ({variant})"
    with pytest.raises(V.FormulaMismatch) as exc:
        V.prove(name, bptt(seq, variant)[key], wrt, seq)
    msg = str(exc.value)
    assert msg.startswith(name + ": hand formula ≠ SymPy's derivative")
    assert max(len(line) for line in msg.splitlines()) <= 76
    assert "exact check" in msg and "counterexample (seeded forward point" in msg
    assert "hand  =" in msg and "SymPy =" in msg


def test_wrong_dx_at_an_early_step_is_rejected(seq):
    with pytest.raises(V.FormulaMismatch, match="counterexample"):
        V.prove("∂J/∂x_1 (no dc carry)", bptt(seq, "no_dc_carry")["dx"][0], seq.x[0], seq)


def test_auto_mode_samples_beyond_exact_max_T():
    s = V.symbolic_sequence(T=EXACT_MAX_T + 1, H=1, D=1)
    res = V.prove("∂J/∂h_4", s.dh[3], ("h", 3), s, verbose=False)
    assert res.method == "sampled" and "T=4 > 3" in res.reason


def test_double_sum_is_exact_at_T3_and_rejects_last_step_only(seq, capsys):
    d = bptt(seq)
    res = V.bptt_double_sum("dJ/dW single sweep = double sum", d["dW"], seq, "W")
    assert res.method == "exact" and "causality t ≤ T proved exactly" in str(res)
    assert V.bptt_double_sum("dJ/db", d["db"], seq, "b", verbose=False).method == "exact"
    with pytest.raises(V.FormulaMismatch, match="double sum\n  exact check: hand − Σ_T"):
        V.bptt_double_sum("dJ/dW last step", bptt(seq, "last_step_dW")["dW"], seq, "W")


def test_sparse_expansion_equals_sympy_expand():
    rng = np.random.default_rng(11)
    xs = sp.symbols("x0:4", real=True)
    for _ in range(20):
        e = sp.Integer(int(rng.integers(-3, 4)))
        for _ in range(4):
            a, b = (xs[int(k)] for k in rng.integers(0, 4, size=2))
            e = (e + a) * (b - sp.Rational(int(rng.integers(1, 5)), 3)) ** int(rng.integers(0, 3))
        p = expand_sparse(e - sp.expand(e))
        assert p.is_zero()
        assert expand_sparse(e + 1 - sp.expand(e)).leading() == 1
    with pytest.raises(NotPolynomial):
        expand_sparse(1 / (xs[0] + 1))


def test_double_sum_beyond_exact_max_T_is_sampled():
    s = V.symbolic_sequence(T=4, H=1, D=1)
    res = V.bptt_double_sum("dJ/db (T=4)", bptt(s)["db"], s, "b", points=1, verbose=False)
    assert res.method == "sampled" and "causality" in res.reason and res.maxdiff < V.TOL
    with pytest.raises(V.FormulaMismatch, match="double sum"):
        V.bptt_double_sum("dJ/dW (T=4, last step)", bptt(s, "last_step_dW")["dW"], s, "W",
                          points=1)
