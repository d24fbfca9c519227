"""prove_for_all_sizes: the cell's gradients for every H, D, and the mistakes fixed sizes miss.

Oracles: SymPy's derivative of the forward pass lowered to index notation (the
generic engine); the fixed-size ``prove`` at the reported smallest failing size
(and at the sizes that the planted mistakes fool); central finite differences
of lstm_ref's forward pass, against the generic derivative (in the engine's normal
form) filled in at H=3, D=2.
"""

import numpy as np
import pytest
import sympy as sp

import lstm_ref
from lstm_ref import LSTMConfig, verify
from lstm_ref.verify.generic import COL, ROW
from lstm_ref.verify.generic_forward import D, H
from lstm_ref.verify.normal import Scope, normal_form

HP, HPow = sp.HadamardProduct, sp.HadamardPower
DIAG, FULL, NO_F = (LSTMConfig(peephole="diagonal"), LSTMConfig(peephole="full"),
                    LSTMConfig(forget_gate=False))


def cell_formulas(m):
    """The chapter's hand formulas (book/cell_backward) for a generic cell of m.config."""
    one, dh, cfg = m.ones, m.dh_next, m.config

    def back(k, d):                                         # P_kᵀ d, the peephole path
        return HP(getattr(m, "p_" + k), d) if cfg.peephole == "diagonal" \
            else getattr(m, "P_" + k).T * d

    F = {"do": (HP(dh, m.tanh_c), "o")}
    da = dict(o=HP(dh, m.tanh_c, m.o, one - m.o))
    dc = HP(dh, m.o, one - HPow(m.tanh_c, 2)) + m.dc_next
    if "o" in cfg.peephole_gates:
        dc = dc + back("o", da["o"])
    F["dc"] = (dc, "c")
    F["dg"], F["di"] = (HP(dc, m.i), "g"), (HP(dc, m.g), "i")
    da["g"], da["i"] = HP(dc, m.i, one - HPow(m.g, 2)), HP(dc, m.g, m.i, one - m.i)
    dc_prev = dc
    if cfg.forget_gate:
        F["df"] = (HP(dc, m.c_prev), "f")
        da["f"] = HP(dc, m.c_prev, m.f, one - m.f)
        dc_prev = HP(dc, m.f)
    for k in cfg.peephole_gates:
        if k != "o":
            dc_prev = dc_prev + back(k, da[k])
    F["dc_prev"] = (dc_prev, m.c_prev)
    for k in cfg.gates:
        F["da_" + k] = (da[k], "a_" + k)
        F["dW_" + k] = (da[k] * m.z.T, getattr(m, "W_" + k))
    da_all = sp.BlockMatrix([[da[k]] for k in cfg.gates])
    F["dW"], F["db"] = (da_all * m.z.T, m.W), (da_all, m.b)
    dz = m.W.T * da_all
    F["dz"], F["dh_prev"], F["dx"] = (dz, "z"), (dz[:H, :], m.h_prev), (dz[H:, :], m.x)
    if cfg.peephole != "none":
        seen = dict(f=m.c_prev, i=m.c_prev, o=m.c)
        dp = [HP(da[k], seen[k]) if cfg.peephole == "diagonal" else da[k] * seen[k].T
              for k in cfg.peephole_gates]
        F["dp"] = (sp.BlockMatrix([[d] for d in dp]), m.p)
    return F, da, dc


CORE = verify.generic_cell()
CORE_F, CORE_DA, CORE_DC = cell_formulas(CORE)


@pytest.mark.parametrize("name", sorted(CORE_F))
def test_core_cell_gradient_is_proved_for_all_sizes(name):
    hand, wrt = CORE_F[name]
    proof = verify.prove_for_all_sizes(name, hand, wrt, CORE, verbose=False)
    assert str(proof).startswith(f"✓ proved for all H, D ≥ 1  {name}")
    assert proof.blocks == {"dW": 8, "db": 4, "dz": 2}.get(name, 2 if "dW_" in name else 1)


def test_head_gradients_are_proved_for_all_sizes():
    m = verify.generic_cell(head="softmax_ce")
    dv = m.y_hat - m.y
    for name, hand, wrt in [("dv", dv, "v"), ("dW_v", dv * m.h.T, m.W_v),
                            ("db_v", dv, m.b_v), ("dh", m.W_v.T * dv + m.dh_next, "h")]:
        proof = verify.prove_for_all_sizes(name, hand, wrt, m, verbose=False)
        assert "for all H, D, V ≥ 1" in str(proof) and "Σ_k y_k" in str(proof)
    with pytest.raises(verify.FormulaMismatch):     # the path through step t+1 is needed
        verify.prove_for_all_sizes("dh without dh_next", m.W_v.T * dv, "h", m, verbose=False)


def two_step_formulas(m):
    """∂J/∂h_0 and ∂J/∂c_0 of two steps: the cell's backward step applied twice."""
    one = m.ones

    def da_of(dh, dc, t, c_prev):
        return sp.BlockMatrix([[HP(dc, c_prev, m.f[t], one - m.f[t])],
                               [HP(dc, m.g[t], m.i[t], one - m.i[t])],
                               [HP(dh, m.tanh_c[t], m.o[t], one - m.o[t])],
                               [HP(dc, m.i[t], one - HPow(m.g[t], 2))]])
    dc2 = HP(m.dh[1], m.o[1], one - HPow(m.tanh_c[1], 2)) + m.dc_T
    dh1 = m.dh[0] + (m.W.T * da_of(m.dh[1], dc2, 1, m.c[0]))[:H, :]
    dc1 = HP(dh1, m.o[0], one - HPow(m.tanh_c[0], 2)) + HP(dc2, m.f[1])
    da1, da2 = da_of(dh1, dc1, 0, m.c0), da_of(m.dh[1], dc2, 1, m.c[0])
    dh0 = (m.W.T * da1)[:H, :]
    return dh0, HP(dc1, m.f[0]), (da1, da2)


def test_two_step_sequence_gradients_down_to_h0_and_c0():
    m = verify.generic_sequence(2)
    dh0, dc0, _ = two_step_formulas(m)
    verify.prove_for_all_sizes("∂J/∂h_0 (T=2)", dh0, m.h0, m, verbose=False)
    verify.prove_for_all_sizes("∂J/∂c_0 (T=2)", dc0, m.c0, m, verbose=False)
    with pytest.raises(verify.FormulaMismatch) as err:     # the c-path alone is not dc_0
        verify.prove_for_all_sizes("dc_0 without the h-path", HP(m.dc_T, m.f[1], m.f[0]),
                                   m.c0, m, verbose=False)
    assert err.value.sizes == {"H": 1, "D": 1}


def test_two_step_parameter_gradients_sum_over_the_steps():
    m = verify.generic_sequence(2)
    _, _, (da1, da2) = two_step_formulas(m)
    verify.prove_for_all_sizes("∂J/∂W (T=2)", da1 * m.z[0].T + da2 * m.z[1].T, m.W, m,
                               verbose=False)
    verify.prove_for_all_sizes("∂J/∂b (T=2)", da1 + da2, m.b, m,
                               verbose=False)
    with pytest.raises(verify.FormulaMismatch):     # the last step's share alone
        verify.prove_for_all_sizes("∂J/∂W, step 2 only", da2 * m.z[1].T, m.W, m,
                                   verbose=False)


@pytest.mark.parametrize("config", [DIAG, FULL, NO_F, LSTMConfig(peephole="full",
                                                                 forget_gate=False)],
                         ids=["diagonal", "full", "1997", "1997-full"])
def test_variant_gradients_that_differ_from_the_core(config):
    m = verify.generic_cell(config=config)
    F = cell_formulas(m)[0]
    names = ["dc", "dc_prev", "da_i", "da_o"] + (["da_f"] if config.forget_gate else []) \
        + (["dp"] if config.peephole != "none" else [])
    for name in names:
        hand, wrt = F[name]
        verify.prove_for_all_sizes(f"{config} {name}", hand, wrt, m, verbose=False)


# ------------------------------------------------------------------ planted mistakes
p_, q_ = sp.symbols("p q", integer=True)
ROW3 = sp.FunctionMatrix(H, H + D, sp.Lambda((p_, q_), sp.KroneckerDelta(p_, 3)))


def _per_gate(m, da, weight):
    return sum((weight(k) * da[k] for k in m.config.gates), sp.ZeroMatrix(H, 1))


MISTAKES = {
    # name: (hand, wrt, smallest failing size, a size that fools the fixed-size prove)
    "missing transposes": (_per_gate(CORE, CORE_DA, lambda k: getattr(CORE, f"W_{k}h")),
                           CORE.h_prev, (2, 1), (1, 3)),
    "stray factor H/2": (H / 2 * CORE_DC, "c", (1, 1), (2, 3)),
    "wrong in row index 3": (CORE_F["dW_f"][0] + HP(ROW3, CORE_F["dW_f"][0]), CORE.W_f,
                             (4, 1), (3, 2)),
    "index typo δa[p] for δa[k]": (
        sum((HP(getattr(CORE, f"W_{k}h").T * CORE.ones, CORE_DA[k]) for k in "fiog"),
            sp.ZeroMatrix(H, 1)), CORE.h_prev, (2, 1), (1, 2)),
    "dx without the column offset H": ((CORE.W.T * sp.BlockMatrix(
        [[CORE_DA[k]] for k in "fiog"]))[:D, :], CORE.x, (1, 1), None),
    "dropped gate g": (sum((getattr(CORE, f"W_{k}").T * CORE_DA[k] for k in "fio"),
                           sp.ZeroMatrix(H + D, 1)), "z", (1, 1), None),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_planted_mistake_is_rejected_with_the_smallest_failing_size(name):
    hand, wrt, smallest, fooled = MISTAKES[name]
    with pytest.raises(verify.FormulaMismatch) as err:
        verify.prove_for_all_sizes(name, hand, wrt, CORE, verbose=False)
    h, d = smallest
    assert err.value.sizes == {"H": h, "D": d}
    assert f"at H={h}, D={d}" in err.value.headline
    assert err.value.counterexample is not None
    assert all(len(line) <= 88 for line in str(err.value).split("\n"))
    # the fixed-size proof at the smallest size rejects it (the reported evidence) …
    cell, hand_n = CORE.at_size(hand, H=h, D=d)
    wrt_n = wrt if isinstance(wrt, str) else CORE.at_size(wrt, H=h, D=d)[1]
    with pytest.raises(verify.FormulaMismatch):
        verify.prove(name, hand_n, wrt_n, cell, verbose=False)
    if fooled is not None:        # … and a smaller or other fixed size is fooled by it
        cell, hand_n = CORE.at_size(hand, H=fooled[0], D=fooled[1])
        wrt_n = wrt if isinstance(wrt, str) else CORE.at_size(wrt, H=fooled[0],
                                                              D=fooled[1])[1]
        assert verify.prove(name, hand_n, wrt_n, cell, verbose=False).method == "exact"


def test_peephole_without_transpose_is_rejected_at_H_2():
    m = verify.generic_cell(config=FULL)
    F, da, dc = cell_formulas(m)
    wrong = F["dc_prev"][0] - m.P_f.T * da["f"] + m.P_f * da["f"]
    with pytest.raises(verify.FormulaMismatch) as err:
        verify.prove_for_all_sizes("P_f instead of P_fᵀ", wrong, m.c_prev, m, verbose=False)
    assert err.value.sizes == {"H": 2, "D": 1}


# ------------------------------------------------------- the derivative, in numbers
def test_generic_derivative_at_H3_D2_matches_finite_differences():
    h, d = 3, 2
    rng = np.random.default_rng(16)
    x, h_prev, c_prev = (rng.standard_normal((1, n)) for n in (d, h, h))
    W, b = lstm_ref.init_lstm_params(d, h, rng)
    b = b + 0.1 * rng.standard_normal(b.shape)
    dh_next, dc_next = rng.standard_normal((1, h)), rng.standard_normal((1, h))

    def J_of(x, h_prev, c_prev, W, b):
        h_t, c_t, _ = lstm_ref.lstm_step_forward(x, h_prev, c_prev, W, b)
        return np.sum(dh_next * h_t) + np.sum(dc_next * c_t)

    cache = lstm_ref.lstm_step_forward(x, h_prev, c_prev, W, b)[2]
    col = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "dh_next": dh_next,
           "dc_next": dc_next, **{k: getattr(cache, k) for k in ("f", "i", "o", "g", "tanh_c")}}
    values = {k: v.reshape(-1, 1) for k, v in col.items()}
    for j, k in enumerate("fiog"):
        values[f"W_{k}h"], values[f"W_{k}x"] = W[j * h:(j + 1) * h, :h], W[j * h:(j + 1) * h, h:]
        values["b_" + k] = b[j * h:(j + 1) * h].reshape(-1, 1)

    def fill_in(wrt, shape):
        out = np.zeros(shape)                                  # (rows, cols) of wrt
        for leaf, roff, coff, expr in verify.sympy_grad_for_all_sizes(CORE, wrt):
            rows, cols = (int(n.xreplace({H: h, D: d})) for n in leaf.shape)
            r0, c0 = (int(sp.sympify(o).xreplace({H: h, D: d})) for o in (roff, coff))
            # the engine's normal form of SymPy's derivative (deltas collapsed): its rules
            # are checked here too
            expr = normal_form(expr, Scope({ROW: (0, leaf.shape[0] - 1),
                                            COL: (0, leaf.shape[1] - 1)}))
            for r in range(rows):
                for s in range(cols):
                    e = expr.xreplace({H: h, D: d, ROW: r, COL: s}).doit()
                    e = e.xreplace({a: values[a.base.name][int(a.indices[0]), int(a.indices[1])]
                                    for a in e.atoms(sp.Indexed)})
                    out[r0 + r, c0 + s] = float(e)
        return out

    analytic = dict(x=fill_in(CORE.x, (d, 1)).T, h_prev=fill_in(CORE.h_prev, (h, 1)).T,
                    c_prev=fill_in(CORE.c_prev, (h, 1)).T, W=fill_in(CORE.W, W.shape),
                    b=fill_in(CORE.b, (4 * h, 1)).ravel())
    arrays = dict(x=x, h_prev=h_prev, c_prev=c_prev, W=W, b=b)
    report = lstm_ref.gradcheck(J_of, arrays, analytic)
    report.assert_ok()


# ------------------------------------------------------------------- the rules
def test_normal_form_collapses_a_delta_sum_only_inside_its_range():
    r, k = sp.Symbol("r", integer=True), sp.Dummy("k", integer=True)
    x = sp.IndexedBase("x")
    summed = sp.Sum(sp.KroneckerDelta(k, r) * x[k, 0], (k, 0, H - 1))
    assert normal_form(summed - x[r, 0], Scope({r: (0, H - 1)})) == 0
    assert normal_form(summed, Scope({r: (H, H + D - 1)})) == 0          # r out of range
    assert normal_form(summed - x[r, 0], Scope({r: (0, H + D - 1)})) != 0  # undecided
    assert sp.expand(normal_form(sp.Sum(x[r, 0], (k, 0, H - 1))) - H * x[r, 0]) == 0


# --------------------------------------------------------------------- bad input
def test_bad_input_names_the_argument():
    hand, wrt = CORE_F["dc"]
    with pytest.raises(ValueError, match="wrt: expected a site"):
        verify.prove_for_all_sizes("x", hand, "q", CORE)
    with pytest.raises(ValueError, match="wrt: expected a leaf"):
        verify.prove_for_all_sizes("x", hand, sp.MatrixSymbol("Q", H, 1), CORE)
    with pytest.raises(TypeError, match="wrt: expected"):
        verify.prove_for_all_sizes("x", hand, 3, CORE)
    with pytest.raises(TypeError, match="hand: expected a sympy matrix expression"):
        verify.prove_for_all_sizes("x", sp.Symbol("y"), "c", CORE)
    with pytest.raises(TypeError, match="model: expected a GenericModel"):
        verify.prove_for_all_sizes("x", hand, "c", verify.symbolic_cell())
    with pytest.raises(TypeError, match="name: expected a non-empty str"):
        verify.prove_for_all_sizes("", hand, "c", CORE)
    with pytest.raises(verify.FormulaMismatch, match=r"has shape \(H, 1\), but ∂J/∂W_f"):
        verify.prove_for_all_sizes("x", hand, CORE.W_f, CORE)
    with pytest.raises(ValueError, match="head: expected None or 'softmax_ce'"):
        verify.generic_cell(head="mse")
    with pytest.raises(ValueError, match="T: expected an int >= 1, got 0"):
        verify.generic_sequence(0)
    with pytest.raises(ValueError, match="H: expected an int >= 1, got 0"):
        CORE.at_size(hand, H=0, D=1)
    with pytest.raises(ValueError, match="sizes: expected values for D"):
        CORE.at_size(hand, H=1)
    with pytest.raises(TypeError, match="config: expected an lstm_ref.LSTMConfig"):
        verify.generic_cell(config="full")


def test_odot_and_square_build_hadamard_expressions_on_the_generic_cell():
    m = verify.generic_cell()
    assert verify.odot(m.o, m.i, m.g) == HP(m.o, m.i, m.g)
    assert verify.square(m.tanh_c) == HPow(m.tanh_c, 2)
    with pytest.raises(ValueError, match=r"odot: expected shape \(H, 1\), got \(H, D \+ H\)"):
        verify.odot(m.o, m.W_f)
