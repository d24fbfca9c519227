"""Three-way agreement and source 004's double sum.

Oracles: SymPy's derivative (proof), lstm_ref's NumPy backward, central
finite differences of lstm_ref's forward, and 65-digit derivatives of the
symbolic forward pass (double sum).
"""

import pytest
import sympy as sp

from lstm_ref import verify as V


def sweep(s):
    """One BPTT backward sweep in the sequence's atoms (the book's algorithm)."""
    H = s.H
    dh_next, dc_next = sp.zeros(H, 1), s.dc_T
    dW, db, dx = sp.zeros(4 * H, H + s.D), sp.zeros(4 * H, 1), [None] * s.T
    for t in reversed(range(s.T)):
        dh = s.dh[t] + dh_next
        dc = V.odot(dh, s.o[t], s.ones - V.square(s.tanh_c[t])) + dc_next
        c_prev = s.c0 if t == 0 else s.c[t - 1]
        da = sp.Matrix.vstack(V.odot(dc, c_prev, s.f[t], s.ones - s.f[t]),
                              V.odot(dc, s.g[t], s.i[t], s.ones - s.i[t]),
                              V.odot(dh, s.tanh_c[t], s.o[t], s.ones - s.o[t]),
                              V.odot(dc, s.i[t], s.ones - V.square(s.g[t])))
        dW, db = dW + da * s.z[t].T, db + da
        dz = s.W.T * da
        dx[t] = dz[H:, :]
        dh_next, dc_next = dz[:H, :], V.odot(dc, s.f[t])
    return dict(dx=dx, dh0=dh_next, dc0=dc_next, dW=dW, db=db)


def cell_hands(c):
    one = c.ones
    dc = V.odot(c.dh_next, c.o, one - V.square(c.tanh_c)) + c.dc_next
    da = sp.Matrix.vstack(V.odot(dc, c.c_prev, c.f, one - c.f), V.odot(dc, c.g, c.i, one - c.i),
                          V.odot(c.dh_next, c.tanh_c, c.o, one - c.o),
                          V.odot(dc, c.i, one - V.square(c.g)))
    dz = c.W.T * da
    return dict(dx=dz[c.H:, :], dh_prev=dz[:c.H, :], dc_prev=V.odot(dc, c.f), dW=da * c.z.T, db=da)


def test_three_way_cell(capsys):
    c = V.symbolic_cell(2, 3)
    rows = V.three_way(c, cell_hands(c), B=2, seed=0)
    assert [r.grad for r in rows] == ["dx", "dh_prev", "dc_prev", "dW", "db"]
    assert all(r.method == "exact" and r.hand_vs_ref < 1e-12 and r.ref_vs_fd < 1e-6 for r in rows)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "three-way check: LSTM cell, H=2 D=3 B=2, seed 0"
    assert out[2].startswith("  dx      ✓ exact        ✓ max_rel_err=")
    # the errors are lstm_ref.gradcheck.max_rel_error, printed max_rel_err= under their headers
    header = out[1]
    for line, r in zip(out[2:], rows):
        assert line.index(f"✓ max_rel_err={r.hand_vs_ref:.1e}") == header.index("hand = lstm_ref")
        assert line.rindex(f"✓ max_rel_err={r.ref_vs_fd:.1e}") == header.index("lstm_ref = finite")
    assert " rel_err=" not in "\n".join(out)


def test_three_way_sequence_T3():
    s = V.symbolic_sequence(T=3, H=2, D=3)
    rows = V.three_way(s, sweep(s), B=2, seed=1)
    assert all(r.method == "exact" and r.hand_vs_ref < 1e-12 and r.ref_vs_fd < 1e-6 for r in rows)


def test_three_way_rejects_a_wrong_hand():
    c = V.symbolic_cell(2, 3)
    hands = cell_hands(c)
    hands["dc_prev"] = V.odot(hands["dc_prev"], c.f)      # an extra factor f
    with pytest.raises(V.FormulaMismatch, match="dc_prev"):
        V.three_way(c, hands)


def test_three_way_bad_input():
    c = V.symbolic_cell(2, 3)
    with pytest.raises(ValueError, match="hands"):
        V.three_way(c, {"dq": c.dc_next})
    with pytest.raises(TypeError, match="head"):
        V.three_way(V.symbolic_cell(2, 3, head="mse"), {"db": c.b})
    with pytest.raises(ValueError, match="B"):
        V.three_way(c, {"db": c.b}, B=0)


def test_bptt_double_sum_equals_single_sweep_and_rejects_a_wrong_one():
    s = V.symbolic_sequence(T=3, H=2, D=3)
    h = sweep(s)
    res = V.bptt_double_sum("∂E/∂b (source 004)", h["db"], s, "b")
    assert res.method == "exact" and "causality t ≤ T proved exactly" in str(res)
    V.bptt_double_sum("∂E/∂W (source 004)", h["dW"], s, "W", points=1)
    # only the last step's term (BPTT truncated to one step) is not the double sum
    t = s.T - 1
    dh = s.dh[t]
    dc = V.odot(dh, s.o[t], s.ones - V.square(s.tanh_c[t])) + s.dc_T
    da_last = sp.Matrix.vstack(V.odot(dc, s.c[t - 1], s.f[t], s.ones - s.f[t]),
                               V.odot(dc, s.g[t], s.i[t], s.ones - s.i[t]),
                               V.odot(dh, s.tanh_c[t], s.o[t], s.ones - s.o[t]),
                               V.odot(dc, s.i[t], s.ones - V.square(s.g[t])))
    with pytest.raises(V.FormulaMismatch, match="double sum"):
        V.bptt_double_sum("∂E/∂b (last step only)", da_last, s, "b", points=1)


@pytest.mark.parametrize("build", [lambda: V.symbolic_cell(2, 3),
                                   lambda: V.symbolic_sequence(T=2, H=2, D=3)],
                         ids=["cell", "sequence"])
def test_model_symbols_are_attributes_and_unknown_names_are_named(build):
    model = build()
    assert model.W is model.ns["W"]
    with pytest.raises(AttributeError, match=rf"{type(model).__name__} has no attribute 'W_q'; "
                                             r"available: .*\bW\b"):
        model.W_q


def test_three_way_rejects_sympy_tanh_naming_the_entry():
    c = V.symbolic_cell(2, 3)
    hands = cell_hands(c)
    tanh_c = c.c.applyfunc(sp.tanh)                                    # instead of c.tanh_c
    dc = V.odot(c.dh_next, c.o, c.ones - V.square(tanh_c)) + c.dc_next
    hands["dc_prev"] = V.odot(dc, c.f)
    with pytest.raises(TypeError, match=r"(?s)hands\['dc_prev'\]: uses sympy\.tanh.*verify\.Tanh"):
        V.three_way(c, hands)


def test_three_way_rejects_a_written_out_sigmoid_in_a_sequence_dx():
    s = V.symbolic_sequence(T=2, H=1, D=1)
    hands = sweep(s)
    hands["dx"] = [hands["dx"][0], hands["dx"][1].applyfunc(lambda e: 1 / (1 + sp.exp(-e)))]
    with pytest.raises(TypeError,
                       match=r"(?s)hands\['dx'\]\[1\]: uses sympy\.exp.*verify\.Sigmoid"):
        V.three_way(s, hands)


@pytest.mark.parametrize("T", [2, 4], ids=["exact", "sampled"])
def test_bptt_double_sum_rejects_an_undefined_sigma(T):
    s = V.symbolic_sequence(T=T, H=1, D=1)
    sigma = sp.Function("sigma")
    with pytest.raises(TypeError, match=r"(?s)hand: uses sigma, an undefined.*verify\.Sigmoid"):
        V.bptt_double_sum("∂E/∂b", s.b.applyfunc(sigma), s, "b", points=1)
