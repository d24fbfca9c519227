"""The engine's stacked LSTM language model (source 001): verify.symbolic_stack.

Oracles: lstm_ref's numeric stack on numbers (the symbolic forward values and
loss), SymPy's derivative of the symbolic forward pass (the hand formulas
below, written from the course's derivation, are proved exactly at N = 2,
T = 2), lstm_ref's stack backward and central finite differences
(``three_way`` at T = 3).

The hand formulas (column vectors, one example; layer n, step t; the cell's
equations are the family's, tests/test_verify_family.py):

    δv_t = ŷ_t − onehot(x_{t+1})
    δh^n_t = W_y^nᵀ δv_t                       (the output layer, every layer)
           + (W_u^{n+1})ᵀ δa^{n+1}_t           (layer n+1 at the same step; W_u: the
                                                block of W^{n+1} on h^n_t)
           + (W_h^n)ᵀ δa^n_{t+1}               (layer n at the next step)
    δc^n_t, δa^n_t from δh^n_t and δc^n_{t+1} as in one family cell
    dW^n = Σ_t δa^n_t z^n_tᵀ,  db^n = Σ_t δa^n_t,  dW_x^n[:, k] = Σ_{t: x_t = k} δa^n_t
    dW_y^n = Σ_t δv_t h^n_tᵀ,  db_y = Σ_t δv_t,  dh^n_0 = (W_h^n)ᵀ δa^n_1,  dc^n_0 = δc^n_1 ⊙ f …

Source 001's two slips, each rejected as written: eq. (25) takes g(η_t) (the
cell state, tanh_c here) where g(a_η) (the candidate g) belongs in δa_i, and the
first form of eq. (17) writes layer n's δa^n_t in the same-step terms where
layer n+1's δa^{n+1}_t belongs.
"""

import numpy as np
import pytest
import sympy as sp

import lstm_ref
from lstm_ref import LSTMConfig
from lstm_ref import verify as V
from lstm_ref.verify.graph import replace_dag
from lstm_ref.verify.numeric import Program, atom_values, evaluator

DIAG = LSTMConfig(peephole="diagonal")
CONFIGS = [LSTMConfig(), DIAG, LSTMConfig(peephole="full", forget_gate=False)]
IDS = ["core", "diagonal", "full-no_forget"]


# ------------------------------------------------------------------ hand formulas

def peep_T(m, n, gate, v):
    """P_kᵀ v of layer n: p_k ⊙ v (diagonal) or the transposed block times v (full)."""
    if m.config.peephole == "diagonal":
        return V.odot(m.ns["p_" + gate][n], v)
    return m.ns["P_" + gate][n].T * v


def peep_grad(m, da, c):
    return V.odot(da, c) if m.config.peephole == "diagonal" else da * c.T


def cell_back(m, n, t, dh, dc_next, eq25=False):
    """Layer n, step t: the family cell's backward equations in the stack's atoms.

    ``eq25``: source 001's eq. (25), g(η_t) = tanh(c_t) in δa_i where g(a_g) belongs.
    """
    cfg, one = m.config, m.ones[n]
    c_prev = m.c0[n] if t == 0 else m.c[n][t - 1]
    c, o, i, g, tanh_c = m.c[n][t], m.o[n][t], m.i[n][t], m.g[n][t], m.tanh_c[n][t]
    da = {"o": V.odot(dh, tanh_c, o, one - o)}
    dc = V.odot(dh, o, one - V.square(tanh_c)) + dc_next
    if "o" in cfg.peephole_gates:
        dc = dc + peep_T(m, n, "o", da["o"])          # c_t -> a_o, the same step
    da["i"] = V.odot(dc, tanh_c if eq25 else g, i, one - i)
    da["g"] = V.odot(dc, i, one - V.square(g))
    if cfg.forget_gate:
        f = m.f[n][t]
        da["f"] = V.odot(dc, c_prev, f, one - f)
        dc_prev = V.odot(dc, f)
    else:
        dc_prev = dc                                   # the carousel
    for k in cfg.peephole_gates:
        if k != "o":
            dc_prev = dc_prev + peep_T(m, n, k, da[k])  # c_{t-1} -> a_f, a_i
    out = dict(da=sp.Matrix.vstack(*[da[k] for k in cfg.gates]), dc=dc, dc_prev=dc_prev,
               a_i=da["i"])
    if cfg.peephole_gates:
        out["dp"] = sp.Matrix.vstack(*[peep_grad(m, da[k], c if k == "o" else c_prev)
                                       for k in cfg.peephole_gates])
    return out


def sweep(m, mistake=None):
    """Reverse-mode BPTT through the stack: steps T … 1, at each step layers N … 1.

    ``mistake``: "eq25" (source 001's eq. 25), "eq17" (the first form of its eq. 17:
    layer n's δa^n_t in the same-step terms, taken from the correct sweep, since it
    is itself computed from δh^n_t), "no_same_step" (no path from layer n+1 at step
    t), "top_layer_output_only" (W_y^nᵀ δv_t only for the top layer).
    """
    N, T, K = m.N, m.T, m.K
    right = sweep(m)[1]["da"] if mistake == "eq17" else None
    dv = [m.y_hat[t] - m.y[t] for t in range(T)]     # δv_t = ŷ_t − onehot(x_{t+1})
    da, dh, dc, da_i = ([[None] * T for _ in range(N)] for _ in range(4))
    dc_next = [sp.zeros(H, 1) for H in m.sizes]
    dp = [None] * N
    for t in reversed(range(T)):
        for n in reversed(range(N)):
            d = sp.zeros(m.sizes[n], 1)
            if mistake != "top_layer_output_only" or n == N - 1:
                d = d + m.W_y[n].T * dv[t]                        # the output layer
            if n + 1 < N and mistake != "no_same_step":
                above = right[n][t] if mistake == "eq17" else da[n + 1][t]
                d = d + m.W_u[n + 1].T * above                    # layer n+1, step t
            if t + 1 < T:
                d = d + m.W_h[n].T * da[n][t + 1]                 # layer n, step t+1
            dh[n][t] = d
            r = cell_back(m, n, t, d, dc_next[n], eq25=(mistake == "eq25"))
            da[n][t], dc[n][t], da_i[n][t], dc_next[n] = r["da"], r["dc"], r["a_i"], \
                r["dc_prev"]
            if "dp" in r:      # one p^n serves every step: sum the contributions
                dp[n] = r["dp"] if dp[n] is None else dp[n] + r["dp"]
    hands = {}
    for n in range(N):
        rows = m.W[n].rows
        dW_x = sp.zeros(rows, K)
        for t in range(T):
            dW_x[:, m.symbols[t]] += da[n][t]       # one-hot x_t: column x_t gets δa^n_t
        hands[f"dW_x[{n}]"] = dW_x
        hands[f"dW[{n}]"] = sum((da[n][t] * m.z[n][t].T for t in range(T)),
                                sp.zeros(*m.W[n].shape))
        hands[f"db[{n}]"] = sum((da[n][t] for t in range(T)), sp.zeros(rows, 1))
        if dp[n] is not None:
            hands[f"dp[{n}]"] = dp[n]
        hands[f"dW_y[{n}]"] = sum((dv[t] * m.h[n][t].T for t in range(T)),
                                  sp.zeros(*m.W_y[n].shape))
        hands[f"dh0[{n}]"] = m.W_h[n].T * da[n][0]
        hands[f"dc0[{n}]"] = dc_next[n]
    hands["db_y"] = sum(dv, sp.zeros(K, 1))
    return hands, dict(dv=dv, da=da, dh=dh, dc=dc, a_i=da_i)


@pytest.fixture(scope="module")
def stack():
    """N = 2, T = 2, sizes (2, 2), K = 3, diagonal peepholes: exact proofs in seconds."""
    m = V.symbolic_stack(2, 2, (2, 2), 3, (0, 2, 1), config=DIAG)
    return m, *sweep(m)


# ------------------------------------------------------------------ the model

@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_names_and_shapes(cfg):
    N, T, sizes, K = 2, 2, (2, 3), 4
    m = V.symbolic_stack(N, T, sizes, K, (3, 0, 1), config=cfg)
    G, P = len(cfg.gates), len(cfg.peephole_gates)
    assert (m.N, m.T, m.sizes, m.K, m.symbols, m.config) == (N, T, sizes, K, (3, 0, 1), cfg)
    assert [w.shape for w in m.W_x] == [(G * 2, K), (G * 3, K)]
    assert [w.shape for w in m.W] == [(G * 2, 2), (G * 3, 3 + 2)]    # layer 1: no dense input
    assert [w.shape for w in m.W_h] == [(G * 2, 2), (G * 3, 3)]
    assert [w.shape for w in m.W_u] == [(G * 2, 0), (G * 3, 2)]
    assert [b.shape for b in m.b] == [(G * 2, 1), (G * 3, 1)]
    assert [w.shape for w in m.W_y] == [(K, 2), (K, 3)] and m.b_y.shape == (K, 1)
    assert [h.shape for h in m.h0] == [(2, 1), (3, 1)] == [c.shape for c in m.c0]
    if cfg.peephole == "none":
        assert "p" not in m.ns and "p" not in m.sites
    elif cfg.peephole == "diagonal":
        assert [p.shape for p in m.p] == [(P * 2, 1), (P * 3, 1)]
        assert m.p_o[1].shape == (3, 1)
    else:
        assert [p.shape for p in m.p] == [(P * 2, 2), (P * 3, 3)]
        assert m.P_o[1].shape == (3, 3)
    atoms = ["i", "o", "g", "tanh_c"] + (["f"] if cfg.forget_gate else [])
    for name in atoms + ["h", "c", "a", "z", "a_o", "a_g"]:
        grid = m.ns[name]
        assert len(grid) == N and all(len(row) == T for row in grid), name
    assert ("f" in m.ns, "a_f" in m.sites) == (cfg.forget_gate,) * 2
    assert m.h[1][0].shape == (3, 1) and m.a[1][1].shape == (G * 3, 1)
    assert m.z[0][1] == m.h[0][0] and m.z[1][1] == sp.Matrix.vstack(m.h[1][0], m.h[0][1])
    assert [v.shape for v in m.v] == [(K, 1)] * T == [y.shape for y in m.y_hat]
    assert m.y[0].T.tolist() == [[1, 0, 0, 0]] and m.y[1].T.tolist() == [[0, 1, 0, 0]]
    # the one-hot input is the column W_x^n[:, x_t] inside a^n_t
    assert all(e in m.a[0][0][r].free_symbols for r, e in enumerate(m.W_x[0][:, 3]))
    assert "v" in m.sites and "h" in m.sites


def test_symbols_are_names_of_layer_and_step():
    m = V.symbolic_stack(2, 2, (1, 1), 2, (0, 1, 0))
    assert str(m.f[1][0][0]) == "f^2_1[0]" and str(m.W[1][0, 1]) == "W^2[0,1]"
    assert str(m.h0[0][0]) == "h_0^1[0]" and str(m.y_hat[1][0]) == "y_hat_2[0]"


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(symbols=(0, 3, 1)), ValueError, r"symbols: expected ints in \[0, K\) = \[0, 3\)"),
    (dict(symbols=(0, 1)), ValueError, r"symbols: expected T \+ 1 = 3 ints"),
    (dict(symbols=(0, 1.0, 2)), TypeError, r"symbols\[1\]: expected an int, got float"),
    (dict(symbols="012"), TypeError, r"symbols: expected a sequence of 3 ints"),
    (dict(sizes=(2,)), ValueError, r"sizes: expected N = 2 hidden sizes, got 1"),
    (dict(sizes=(2, 0)), ValueError, r"sizes\[1\]: expected an int >= 1, got 0"),
    (dict(K=1), ValueError, r"K: expected an int >= 2, got 1"),
    (dict(N=0), ValueError, r"N: expected an int >= 1, got 0"),
    (dict(config="diagonal"), TypeError, r"config: expected an lstm_ref\.LSTMConfig"),
])
def test_bad_arguments_are_named(kwargs, exc, match):
    args = dict(N=2, T=2, sizes=(2, 2), K=3, symbols=(0, 2, 1))
    args.update(kwargs)
    config = args.pop("config", LSTMConfig())
    with pytest.raises(exc, match=match):
        V.symbolic_stack(**args, config=config)


def test_numpy_ints_are_symbols():
    m = V.symbolic_stack(1, 2, (1,), 3, np.array([2, 0, 1]))
    assert m.symbols == (2, 0, 1) and all(type(s) is int for s in m.symbols)


def _numbers(cfg, K, sizes, B, seed):
    rng = np.random.default_rng(seed)
    params = lstm_ref.init_stack_params(cfg, K, sizes, rng)
    layers = []
    for layer in params.layers:      # larger weights than the default, so a wrong path shows
        cell = layer.cell._replace(W=rng.uniform(-1, 1, layer.cell.W.shape),
                                   b=rng.uniform(-1, 1, layer.cell.b.shape),
                                   p=None if layer.cell.p is None
                                   else rng.uniform(-1, 1, layer.cell.p.shape))
        layers.append(layer._replace(W_x=rng.uniform(-1, 1, layer.W_x.shape), cell=cell))
    params = params._replace(layers=tuple(layers), b_y=rng.uniform(-1, 1, K))
    h0 = tuple(rng.standard_normal((B, H)) for H in sizes)
    c0 = tuple(rng.standard_normal((B, H)) for H in sizes)
    return params, h0, c0


def _bind(m, params, h0, c0, k=0):
    vals = {}
    for n, layer in enumerate(params.layers):
        pairs = [(m.W_x[n], layer.W_x), (m.W[n], layer.cell.W), (m.b[n], layer.cell.b),
                 (m.W_y[n], params.W_y[n]), (m.h0[n], h0[n][k]), (m.c0[n], c0[n][k])]
        if layer.cell.p is not None:
            pairs.append((m.p[n], layer.cell.p))
        for leaf, arr in pairs:
            vals.update(zip(leaf, np.reshape(arr, -1)))
    vals.update(zip(m.b_y, params.b_y))
    return vals


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_symbolic_forward_equals_stack_forward(cfg):
    N, T, sizes, K, symbols = 2, 3, (2, 3), 4, (1, 3, 3, 0)
    m = V.symbolic_stack(N, T, sizes, K, symbols, config=cfg)
    params, h0, c0 = _numbers(cfg, K, sizes, 1, 21)
    sym = np.array(symbols)[:, None]                                 # (T+1, B)
    logits, cache = lstm_ref.stack_forward(sym[:-1], params, cfg, h0=h0, c0=c0)
    J, _ = lstm_ref.stack_loss(sym, params, cfg, h0=h0, c0=c0)
    g, J_sym, _ = m.build()
    vals = atom_values(g, {s: float(v) for s, v in _bind(m, params, h0, c0).items()})
    for t in range(T):
        got = [float(x) for x in evaluator(m.v[t])(vals)]
        np.testing.assert_allclose(got, logits[t, 0], rtol=1e-13, atol=1e-14)
        for n in range(N):
            got = [float(x) for x in evaluator(m.h[n][t])(vals)]
            np.testing.assert_allclose(got, cache.h[n][t, 0], rtol=1e-13, atol=1e-14)
    # J in function form (σ, tanh, exp, log of the leaves)
    assert abs(float(Program([J_sym])(vals)[0]) - J) < 1e-12 * max(1.0, abs(J))


# ------------------------------------------------------------------ proofs

def test_main_gradients_prove_exactly(stack):
    m, hands, mid = stack
    checks = [(k, hands[k], leaf) for k, leaf in [
        ("dW_x[0]", m.W_x[0]), ("dW[1]", m.W[1]), ("dp[0]", m.p[0]), ("dW_y[0]", m.W_y[0]),
        ("db_y", m.b_y), ("dh0[0]", m.h0[0]), ("dc0[1]", m.c0[1]), ("db[1]", m.b[1])]]
    checks += [("∂J/∂h^1_1", mid["dh"][0][0], ("h", 0, 0)),
               ("∂J/∂c^1_1", mid["dc"][0][0], ("c", 0, 0)),
               ("∂J/∂h^2_1", mid["dh"][1][0], m.h[1][0]),         # an intermediate by value
               ("∂J/∂h^1_1 (by value)", mid["dh"][0][0], m.h[0][0]),   # h^1_1, not z^1_2
               ("∂J/∂v_1", mid["dv"][0], ("v", 0)),
               ("∂J/∂a_i^1_2", mid["a_i"][0][1], ("a_i", 0, 1))]
    for name, hand, wrt in checks:
        res = V.prove(name, hand, wrt, m, verbose=False)
        assert res.method == "exact" and res.entries == len(hand), name
        assert "unrolled stack" in str(res)


def test_sympy_grad_of_the_logits_is_softmax_minus_onehot(stack):
    m, _, _ = stack
    got = V.sympy_grad(m, ("v", 1))
    assert sp.expand(got - (m.y_hat[1] - m.y[1])) == sp.zeros(3, 1)


@pytest.mark.parametrize("cfg", [LSTMConfig(), LSTMConfig(peephole="full",
                                                          forget_gate=False)],
                         ids=["core", "full-no_forget"])
def test_other_members_prove_exactly(cfg):
    m = V.symbolic_stack(2, 2, (1, 2), 2, (1, 0, 1), config=cfg)
    hands, mid = sweep(m)
    for name, wrt in [("dW_x[0]", m.W_x[0]), ("dh0[0]", m.h0[0]), ("dc0[0]", m.c0[0])] + (
            [("dp[0]", m.p[0])] if cfg.peephole != "none" else []):
        assert V.prove(name, hands[name], wrt, m, verbose=False).method == "exact", name
    assert V.prove("∂J/∂h^1_1", mid["dh"][0][0], ("h", 0, 0), m,
                   verbose=False).method == "exact"


def test_auto_mode_samples_beyond_two_steps():
    m = V.symbolic_stack(2, 3, (1, 1), 2, (0, 1, 1, 0))
    hands, _ = sweep(m)
    res = V.prove("dW_y[1]", hands["dW_y[1]"], m.W_y[1], m, verbose=False)
    assert res.method == "sampled" and "T=3 > 2 steps" in res.reason
    assert "sampled, not a proof" in str(res)


@pytest.mark.parametrize("wrt,exc,match", [
    (("c", 0), ValueError, r"a stack's site is \(site, n, t\)"),
    (("c", 2, 0), ValueError, r"expected a layer n in \[0, 2\)"),
    (("h", 0, 2), ValueError, r"expected a step t in \[0, 2\)"),
    (("v", 0, 1), ValueError, r"addressed as \('v', t\)"),
    (("q", 0, 1), ValueError, r"expected a site in"),
    ("c", TypeError, r"expected \(site, n, t\), \('v', t\) or a sympy Matrix"),
])
def test_bad_wrt_is_named(stack, wrt, exc, match):
    m, hands, _ = stack
    with pytest.raises(exc, match=match):
        V.prove("x", hands["db_y"], wrt, m, verbose=False)


# ------------------------------------------------------------------ source 001's slips

@pytest.mark.parametrize("mistake,key,wrt", [
    ("eq25", "a_i", ("a_i", 0, 0)),                 # 001 (25): g(η_t) for g(a_η)
    ("eq25", "dW[0]", None),
    ("eq17", "dh", ("h", 0, 1)),                    # 001 (17), first form
    ("eq17", "dW_x[0]", None),
    ("no_same_step", "dh", ("h", 0, 0)),
    ("top_layer_output_only", "dh", ("h", 0, 1)),
])
def test_source_001_slips_are_rejected(stack, mistake, key, wrt):
    m = stack[0]
    hands, mid = sweep(m, mistake)
    if wrt is None:
        hand, wrt = hands[key], m.ns[key[1:-3]][int(key[-2])]
    else:
        hand = mid[key][0][wrt[2]]
    name = f"{key} ({mistake})"
    with pytest.raises(V.FormulaMismatch) as exc:
        V.prove(name, hand, wrt, m, verbose=False)
    msg = str(exc.value)
    assert msg.startswith(name + ": hand formula ≠ SymPy's derivative")
    assert "exact check: hand − SymPy is a nonzero polynomial in" in msg
    assert "counterexample (seeded forward point 0)" in msg and "SymPy =" in msg
    assert max(len(line) for line in msg.splitlines()) <= 76


def test_corrected_forms_of_the_slips_prove(stack):
    m, hands, mid = stack
    for name, hand, wrt in [("001 (25) corrected", mid["a_i"][0][0], ("a_i", 0, 0)),
                            ("001 (17) corrected", mid["dh"][0][1], ("h", 0, 1))]:
        assert V.prove(name, hand, wrt, m, verbose=False).method == "exact"


# ------------------------------------------------------------------ three ways

KEYS = ["dW_x[0]", "dW[1]", "db[0]", "dp[1]", "dW_y[0]", "db_y", "dh0[1]", "dc0[0]"]


def test_three_way_at_T3(capsys):
    m = V.symbolic_stack(2, 3, (2, 3), 3, (0, 2, 2, 1), config=DIAG)
    hands, _ = sweep(m)
    rows = V.three_way(m, {k: hands[k] for k in KEYS})
    assert [r.grad for r in rows] == KEYS
    assert all(r.method == "sampled" and r.hand_vs_ref < 1e-12 and r.ref_vs_fd < 1e-6
               for r in rows)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("three-way check: LSTM stack N=2 T=3 (peephole=diagonal), "
                      "sizes (2, 3) K=3 B=2, seed 0")
    assert max(len(line) for line in out) <= 88


def test_three_way_exact_at_T2_core_and_every_key():
    m = V.symbolic_stack(2, 2, (1, 2), 3, (2, 0, 1))
    hands, _ = sweep(m)
    rows = V.three_way(m, hands, B=1, seed=4, verbose=False)
    assert {r.grad for r in rows} == set(hands) and "dp[0]" not in hands
    assert all(r.method == "exact" and r.hand_vs_ref < 1e-12 and r.ref_vs_fd < 1e-6
               for r in rows)
    assert rows.title.startswith("three-way check: LSTM stack N=2 T=2, sizes (1, 2) K=3")


def test_three_way_rejects_a_slip_and_unknown_keys(stack):
    m = stack[0]
    wrong, _ = sweep(m, "eq17")
    with pytest.raises(V.FormulaMismatch, match=r"dW\[0\]"):
        V.three_way(m, {"dW[0]": wrong["dW[0]"]}, verbose=False)
    with pytest.raises(ValueError, match=r"hands: expected keys among .*got \['dW'\]"):
        V.three_way(m, {"dW": wrong["dW[0]"]}, verbose=False)
    core = V.symbolic_stack(1, 1, (1,), 2, (0, 1))
    with pytest.raises(ValueError, match=r"got \['dp\[0\]'\]"):
        V.three_way(core, {"dp[0]": core.b[0]}, verbose=False)


# ------------------------------------------------------------------ the machinery

def test_replace_dag_equals_xreplace():
    a, b, c, d = sp.symbols("a b c d", real=True)
    inner = V.Sigmoid(a * b + c)
    e = (inner + d) * (inner - 1) + V.Tanh(inner * d) ** 2
    for rule in ({inner: c}, {a: 0, d: b}, {inner + d: a}, {}):
        assert replace_dag(e, rule, {}) == e.xreplace(rule)
    M = sp.Matrix([e, inner])
    assert replace_dag(M, {inner: c}, {}) == M.xreplace({inner: c})


def test_softmax_loss_partials_are_polynomials_in_the_atoms(stack):
    """Σ_j e^{v_j} is the atom S, so ∂ log Σ_j e^{v_j} is Σ_k ŷ_k ∂v_k, no quotient."""
    from lstm_ref.verify.chain import local_graph, loss_partials
    m = stack[0]
    g, J, _ = m.build()
    dJ = loss_partials(local_graph(g), g, J)
    assert dJ and all(d.is_polynomial(*d.free_symbols) for d in dJ.values())
    # ∂J/∂b_y[0] = Σ_t (ŷ_t[0] − onehot(x_{t+1})[0]) with x_2 = 2, x_3 = 1
    assert sp.expand(dJ[m.b_y[0]] - m.y_hat[0][0] - m.y_hat[1][0]) == 0
