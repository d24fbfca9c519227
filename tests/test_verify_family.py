"""The engine's symbolic models follow lstm_ref.LSTMConfig: every member of the family.

Oracles: lstm_ref's family forward pass on numbers (the symbolic forward
values), SymPy's derivative of the symbolic forward pass (the hand formulas
below, written from the family's backward equations, are proved exactly),
lstm_ref's family backward and central finite differences (``three_way``).

The hand formulas (column vectors, one example; P_k c is p_k ⊙ c for
"diagonal", the product P_k c for "full"):

    δa_o = δh ⊙ tanh(c_t) ⊙ o(1 − o)
    δc_t = δh ⊙ o ⊙ (1 − tanh²c_t) + dc_next + P_oᵀ δa_o     (output-gate peephole path)
    δa_i = δc_t ⊙ g ⊙ i(1 − i),  δa_g = δc_t ⊙ i ⊙ (1 − g²),  δa_f = δc_t ⊙ c_{t-1} ⊙ f(1 − f)
    δc_{t-1} = δc_t ⊙ f + P_fᵀ δa_f + P_iᵀ δa_i               (δc_t ⊙ f -> δc_t without f)
    dW = δa zᵀ,  db = δa,  dz = Wᵀ δa,  dp_k = δa_k ⊙ c (diagonal), dP_k = δa_k cᵀ (full)

with c = c_{t-1} for the gates f, i and c = c_t for the output gate.
"""

import numpy as np
import pytest
import sympy as sp

import lstm_ref
from lstm_ref import LSTMConfig
from lstm_ref import verify as V
from lstm_ref.verify.numeric import atom_values, evaluator
from lstm_ref.verify.poly import Expander, unequal_entries

CONFIGS = [LSTMConfig(peephole=k, forget_gate=fg)
           for k in ("none", "diagonal", "full") for fg in (True, False)]
IDS = [f"{c.peephole}-{'forget' if c.forget_gate else 'no_forget'}" for c in CONFIGS]
PEEPHOLED = [c for c in CONFIGS if c.peephole != "none"]
PEEPHOLED_IDS = [i for c, i in zip(CONFIGS, IDS) if c.peephole != "none"]


# ------------------------------------------------------------------ hand formulas

def peep_T(m, gate, v):
    """P_kᵀ v: p_k ⊙ v (diagonal) or the transposed block times v (full)."""
    if m.config.peephole == "diagonal":
        return V.odot(m.ns["p_" + gate], v)
    return m.ns["P_" + gate].T * v


def peep_grad(m, da, c):
    """∂J/∂p_k = δa_k ⊙ c (diagonal), ∂J/∂P_k = δa_k cᵀ (full)."""
    return V.odot(da, c) if m.config.peephole == "diagonal" else da * c.T


def step_back(m, dh, dc_next, c_prev, c, f, i, o, g, tanh_c, z, drop_o_path=False):
    """One step's backward equations in the model's atoms (module docstring).

    ``drop_o_path`` leaves the output-gate peephole path out of δc_t (a mistake).
    """
    cfg, one = m.config, m.ones
    da = {"o": V.odot(dh, tanh_c, o, one - o)}
    dc = V.odot(dh, o, one - V.square(tanh_c)) + dc_next
    if "o" in cfg.peephole_gates and not drop_o_path:
        dc = dc + peep_T(m, "o", da["o"])                # c_t -> a_o, the same step
    da["i"] = V.odot(dc, g, i, one - i)
    da["g"] = V.odot(dc, i, one - V.square(g))
    if cfg.forget_gate:
        da["f"] = V.odot(dc, c_prev, f, one - f)
    dc_prev = V.odot(dc, f) if cfg.forget_gate else dc  # the carousel
    for k in cfg.peephole_gates:
        if k != "o":
            dc_prev = dc_prev + peep_T(m, k, da[k])     # c_{t-1} -> a_f, a_i
    da_all = sp.Matrix.vstack(*[da[k] for k in cfg.gates])
    dz = m.W.T * da_all
    out = dict(dc=dc, da=da_all, dc_prev=dc_prev, dW=da_all * z.T, db=da_all,
               dh_prev=dz[:m.H, :], dx=dz[m.H:, :])
    if cfg.peephole_gates:
        out["dp"] = sp.Matrix.vstack(*[peep_grad(m, da[k], c if k == "o" else c_prev)
                                       for k in cfg.peephole_gates])
    out.update({"a_" + k: v for k, v in da.items()})
    return out


def cell_back(c, dh=None, **kw):
    f = c.f if c.config.forget_gate else None
    return step_back(c, c.dh_next if dh is None else dh, c.dc_next, c.c_prev, c.c, f, c.i,
                     c.o, c.g, c.tanh_c, c.z, **kw)


def sweep(s, **kw):
    """Reverse-mode BPTT of J = Σ_t dh_t·h_t + dc_T·c_T, in the sequence's atoms."""
    dh_next, dc_next = sp.zeros(s.H, 1), s.dc_T
    total = {k: None for k in ("dW", "db", "dp")}
    dx, dcs, dhs = [None] * s.T, [None] * s.T, [None] * s.T
    for t in reversed(range(s.T)):
        c_prev = s.c0 if t == 0 else s.c[t - 1]
        f = s.f[t] if s.config.forget_gate else None
        dhs[t] = s.dh[t] + dh_next
        r = step_back(s, dhs[t], dc_next, c_prev, s.c[t], f, s.i[t], s.o[t], s.g[t],
                      s.tanh_c[t], s.z[t], **kw)
        for k in total:
            if k in r:   # one W, b, p serve every step: sum the contributions
                total[k] = r[k] if total[k] is None else total[k] + r[k]
        dx[t], dcs[t] = r["dx"], r["dc"]
        dh_next, dc_next = r["dh_prev"], r["dc_prev"]
    hands = dict(dx=dx, dh0=dh_next, dc0=dc_next, dW=total["dW"], db=total["db"])
    if total["dp"] is not None:
        hands["dp"] = total["dp"]
    return hands, dcs, dhs


def cell_hands(c):
    r = cell_back(c)
    return {k: r[k] for k in ("dx", "dh_prev", "dc_prev", "dW", "db", "dp") if k in r}


# ------------------------------------------------------------------ the model

@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_namespace_and_shapes_follow_the_config(cfg):
    H, D = 2, 3
    c = V.symbolic_cell(H, D, config=cfg)
    G, P = len(cfg.gates), len(cfg.peephole_gates)
    assert c.config == cfg and c.W.shape == (G * H, H + D) and c.b.shape == (G * H, 1)
    assert ("f" in c.ns, "W_f" in c.ns, "b_f" in c.ns, "a_f" in c.ns) == (cfg.forget_gate,) * 4
    assert ("a_f" in c.sites, "f" in c.sites) == (cfg.forget_gate,) * 2
    diag = {"p_" + k for k in cfg.peephole_gates}
    full = {"P_" + k for k in cfg.peephole_gates}
    names = {k for k in c.ns if k.startswith(("p_", "P_"))}
    if cfg.peephole == "none":
        assert "p" not in c.ns and not names
    elif cfg.peephole == "diagonal":
        assert c.p.shape == (P * H, 1) and names == diag
        assert all(c.ns[k].shape == (H, 1) for k in diag)
    else:
        assert c.p.shape == (P * H, H) and names == full
        assert all(c.ns[k].shape == (H, H) for k in full)
    s = V.symbolic_sequence(2, H, D, config=cfg)
    assert s.config == cfg and s.W.shape == c.W.shape
    assert (("p" in s.sites) == (cfg.peephole != "none")) and ("W" in s.sites)


def test_default_config_is_the_core_cell():
    c = V.symbolic_cell(2, 3)
    assert c.config == LSTMConfig() and c.W.shape == (8, 5) and "p" not in c.ns
    assert c == V.symbolic_cell(2, 3, config=LSTMConfig())


@pytest.mark.parametrize("call", [lambda: V.symbolic_cell(2, 1, config="full"),
                                  lambda: V.symbolic_sequence(2, 2, 1, config={"peephole": 1})],
                         ids=["cell", "sequence"])
def test_a_config_that_is_not_an_lstmconfig_is_a_type_error(call):
    with pytest.raises(TypeError, match=r"config: expected an lstm_ref\.LSTMConfig"):
        call()


def _numbers(rng, cfg, T, B, H, D):
    params = lstm_ref.init_family_params(cfg, D, H, rng, scale=0.8)
    if params.p is not None:    # larger peepholes than the default, so a wrong path shows
        params = params._replace(p=rng.uniform(-1, 1, size=params.p.shape))
    return (rng.standard_normal((T, B, D)), rng.standard_normal((B, H)),
            rng.standard_normal((B, H)), params)


def _bind(m, params, **leaves):
    vals = {m.W[r, k]: params.W[r, k] for r in range(m.W.rows) for k in range(m.W.cols)}
    vals.update({m.b[r]: params.b[r] for r in range(m.b.rows)})
    if params.p is not None:
        vals.update(dict(zip(m.p, params.p.reshape(-1))))
    for name, arr in leaves.items():
        vals.update(dict(zip(m.ns[name] if isinstance(name, str) else name, arr)))
    return vals


def _values(g, vals, M):
    return np.array([float(v) for v in evaluator(M)(atom_values(g, dict(vals)))])


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
@pytest.mark.parametrize("H,D", [(2, 3), (1, 2)])
def test_symbolic_forward_equals_family_step_forward(cfg, H, D):
    rng = np.random.default_rng(11)
    x, h0, c0, params = _numbers(rng, cfg, 1, 1, H, D)
    h, c, cache = lstm_ref.family_step_forward(x[0], h0, c0, params, cfg)
    m = V.symbolic_cell(H, D, config=cfg)
    g, _, _ = m.build()
    vals = _bind(m, params, x=x[0, 0], h_prev=h0[0], c_prev=c0[0])
    want = dict(h=h, c=c, i=cache.i, o=cache.o, g=cache.g, tanh_c=cache.tanh_c)
    if cfg.forget_gate:
        want["f"] = cache.f
    for name, arr in want.items():
        np.testing.assert_allclose(_values(g, vals, m.ns[name]), arr[0], rtol=1e-13,
                                   atol=1e-14, err_msg=name)


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_symbolic_sequence_equals_family_forward(cfg):
    T, H, D = 2, 2, 1
    rng = np.random.default_rng(12)
    x, h0, c0, params = _numbers(rng, cfg, T, 1, H, D)
    h, c, _ = lstm_ref.family_forward(x, h0, c0, params, cfg)
    s = V.symbolic_sequence(T, H, D, config=cfg)
    g, _, _ = s.build()
    vals = _bind(s, params, h0=h0[0], c0=c0[0])
    for t in range(T):
        vals.update(dict(zip(s.x[t], x[t, 0])))
    for t in range(T):
        np.testing.assert_allclose(_values(g, vals, s.h[t]), h[t, 0], rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(_values(g, vals, s.c[t]), c[t, 0], rtol=1e-13, atol=1e-14)


# ------------------------------------------------------------------ proofs

@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_cell_backward_proves_exactly(cfg):
    c = V.symbolic_cell(2, 1, config=cfg)
    d = cell_back(c)
    checks = [("∂J/∂a_o", d["a_o"], "a_o"), ("∂J/∂c_t", d["dc"], "c"),
              ("∂J/∂a_i", d["a_i"], "a_i"), ("∂J/∂a_g", d["a_g"], "a_g"),
              ("∂J/∂a (W z + b)", d["da"], "a"), ("∂J/∂c_prev", d["dc_prev"], c.c_prev),
              ("∂J/∂h_prev", d["dh_prev"], c.h_prev), ("∂J/∂W", d["dW"], c.W)]
    if cfg.forget_gate:
        checks.append(("∂J/∂a_f", d["a_f"], "a_f"))
    if cfg.peephole != "none":
        checks.append(("∂J/∂p", d["dp"], c.p))
        block = "p_o" if cfg.peephole == "diagonal" else "P_o"
        checks.append((f"∂J/∂{block}", d["dp"][-2:, :], c.ns[block]))
    for name, hand, wrt in checks:
        res = V.prove(name, hand, wrt, c, verbose=False)
        assert res.method == "exact" and res.entries == len(hand)


def test_mse_head_without_forget_gate_proves_exactly():
    c = V.symbolic_cell(2, 1, config=LSTMConfig(peephole="diagonal", forget_gate=False),
                        head="mse", V=2)
    dv = 2 * (c.y_hat - c.y)
    assert V.prove("∂J/∂v", dv, "v", c, verbose=False).method == "exact"
    dh = c.W_v.T * dv + c.dh_next                  # through the head, plus dh_next
    d = cell_back(c, dh)
    for name, hand, wrt in [("∂J/∂h_t", dh, "h"), ("∂J/∂c_t", d["dc"], "c"),
                            ("∂J/∂c_prev", d["dc_prev"], c.c_prev), ("∂J/∂p", d["dp"], c.p),
                            ("∂J/∂W", d["dW"], c.W)]:
        assert V.prove(name, hand, wrt, c, verbose=False).method == "exact"


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_three_way_cell(cfg, capsys):
    c = V.symbolic_cell(2, 1, config=cfg)
    rows = V.three_way(c, cell_hands(c))
    want = ["dx", "dh_prev", "dc_prev", "dW", "db"] + (["dp"] if cfg.peephole != "none" else [])
    assert [r.grad for r in rows] == want
    assert all(r.method == "exact" and r.hand_vs_ref < 1e-12 and r.ref_vs_fd < 1e-6
               for r in rows)
    title = capsys.readouterr().out.splitlines()[0]
    variant = "" if cfg == LSTMConfig() else f" ({cfg.describe()})"
    assert title == f"three-way check: LSTM cell{variant}, H=2 D=1 B=2, seed 0"
    assert len(title) <= 88


def test_three_way_title_names_the_variant(capsys):
    c = V.symbolic_cell(2, 1, config=LSTMConfig(peephole="full"))
    V.three_way(c, {"dp": cell_hands(c)["dp"]})
    assert capsys.readouterr().out.splitlines()[0] == (
        "three-way check: LSTM cell (peephole=full), H=2 D=1 B=2, seed 0")


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_sequence_T2_proves_exactly_and_agrees_three_ways(cfg):
    s = V.symbolic_sequence(2, 2, 1, config=cfg)
    hands, dcs, dhs = sweep(s)
    rows = V.three_way(s, hands, B=1, seed=3, verbose=False)
    assert [r.grad for r in rows] == list(hands)
    assert all(r.method == "exact" and r.hand_vs_ref < 1e-12 and r.ref_vs_fd < 1e-6
               for r in rows)
    # intermediates, through everything downstream (both steps' peephole paths)
    for name, hand, wrt in [("∂J/∂c_1", dcs[0], ("c", 0)), ("∂J/∂h_1", dhs[0], ("h", 0))]:
        assert V.prove(name, hand, wrt, s, verbose=False).method == "exact"


def test_full_peepholes_at_T3_prove_exactly():
    s = V.symbolic_sequence(3, 2, 1, config=LSTMConfig(peephole="full"))
    hands, dcs, dhs = sweep(s)
    checks = [("∂J/∂W (T=3)", hands["dW"], s.W), ("∂J/∂p (T=3)", hands["dp"], s.p),
              ("∂J/∂h_0 (T=3)", hands["dh0"], s.h0), ("∂J/∂c_0 (T=3)", hands["dc0"], s.c0),
              ("∂J/∂x_1 (T=3)", hands["dx"][0], s.x[0]), ("∂J/∂c_1 (T=3)", dcs[0], ("c", 0)),
              ("∂J/∂h_1 (T=3)", dhs[0], ("h", 0))]
    for name, hand, wrt in checks:
        res = V.prove(name, hand, wrt, s, verbose=False)
        assert res.method == "exact" and res.entries == len(hand)


def test_double_sum_over_the_peephole_weights():
    s = V.symbolic_sequence(2, 2, 1, config=LSTMConfig(peephole="full", forget_gate=False))
    hands, _, _ = sweep(s)
    assert V.bptt_double_sum("∂E/∂p", hands["dp"], s, "p", verbose=False).method == "exact"
    assert V.bptt_double_sum("∂E/∂W", hands["dW"], s, "W", verbose=False).method == "exact"
    core = V.symbolic_sequence(2, 1, 1)
    with pytest.raises(ValueError, match=r"param: .*'p'.*seq\.config has no peepholes"):
        V.bptt_double_sum("∂E/∂p", core.b, core, "p")


# ------------------------------------------------------------------ rejections

@pytest.mark.parametrize("cfg", PEEPHOLED, ids=PEEPHOLED_IDS)
def test_dropping_the_output_gate_peephole_path_is_rejected(cfg):
    c = V.symbolic_cell(2, 1, config=cfg)
    wrong = cell_back(c, drop_o_path=True)["dc"]
    name = "∂J/∂c_t without P_oᵀ δa_o"
    with pytest.raises(V.FormulaMismatch) as exc:
        V.prove(name, wrong, "c", c)
    msg = str(exc.value)
    assert msg.startswith(name + ": hand formula ≠ SymPy's derivative")
    assert "counterexample" in msg and max(len(ln) for ln in msg.splitlines()) <= 76


def test_dropping_the_output_gate_peephole_path_is_rejected_in_a_sequence():
    s = V.symbolic_sequence(2, 2, 1, config=LSTMConfig(peephole="diagonal"))
    wrong, dcs, _ = sweep(s, drop_o_path=True)
    with pytest.raises(V.FormulaMismatch, match="counterexample"):
        V.prove("∂J/∂c_1 without P_oᵀ δa_o", dcs[0], ("c", 0), s)
    with pytest.raises(V.FormulaMismatch, match="dp"):
        V.three_way(s, {"dp": wrong["dp"]}, B=1, verbose=False)


def test_dp_is_only_a_gradient_of_a_model_with_peepholes():
    c = V.symbolic_cell(2, 1)
    with pytest.raises(ValueError, match=r"hands: expected keys among .*got \['dp'\]"):
        V.three_way(c, {"dp": c.b})


# ------------------------------------------------------------------ the zero test

def test_unequal_entries_decides_with_and_without_the_opaque_factors():
    o, g, u = sp.symbols("o g u", real=True)
    opaque = {1 - o: sp.Dummy("1-o"), 1 - g**2: sp.Dummy("1-g^2")}
    factored = u * o * (1 - o) * (1 - g**2)
    expanded = sp.expand(factored)               # equal, but only the full pass sees it
    assert unequal_entries([factored, factored], [expanded, factored], opaque) == []
    assert unequal_entries([factored, expanded], [factored + u * o**2, expanded + 1],
                           opaque) == [0, 1]
    # SymPy flattens (1 − g²) + X into 1 − g² + X; the first pass regroups it
    flat = 1 - g**2 + u * o * (1 - g**2)
    first = Expander(opaque=opaque)
    assert first(flat).terms == first((1 - g**2) * (1 + u * o)).terms


def test_the_first_pass_alone_proves_a_peephole_gradient():
    """What keeps T = 3 fast: SymPy's derivative and the hand formula match with the
    activations' derivative factors kept whole (no full expansion needed)."""
    s = V.symbolic_sequence(2, 2, 1, config=LSTMConfig(peephole="full"))
    hands, _, _ = sweep(s)
    g, _, _ = s.build()
    first = Expander(opaque=g.derivative_factors())
    for key, wrt in (("db", s.b), ("dh0", s.h0)):
        theirs, mine = V.sympy_grad(s, wrt), hands[key].applyfunc(g.atomize)
        assert all(first(a).terms == first(b).terms for a, b in zip(mine, theirs)), key
