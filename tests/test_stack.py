"""The stacked LSTM language model (lstm_ref.stack, source 001).

Oracles: finite differences for every parameter and initial state (N = 1, 2, 3,
B = 1, uneven sizes), a dense one-hot implementation built here from the
family cell for the forward pass, the plain path for the fused path, and
softmax(v / temperature) (from the model's own logits) for the sampler.
The symbolic side is tested with the engine (lstm_ref/verify/stack.py).
"""

import numpy as np
import pytest

import lstm_ref as L
from lstm_ref.gradcheck import gradcheck

CORE = L.LSTMConfig()
DIAG = L.LSTMConfig(peephole="diagonal")
DIAG_1997 = L.LSTMConfig(peephole="diagonal", forget_gate=False)
SIZES = {1: (3,), 2: (3, 2), 3: (3, 2, 4)}  # uneven, H_1 != H_2 != H_3


def make(config, K, sizes, T, B, seed=0):
    """Parameters moved off their initial values, states and T+1 symbols."""
    rng = np.random.default_rng(seed)
    p = L.init_stack_params(config, K, sizes, rng)
    layers = tuple(
        L.StackLayer(W_x=layer.W_x,
                     cell=layer.cell._replace(b=layer.cell.b
                                              + 0.3 * rng.standard_normal(layer.cell.b.shape)))
        for layer in p.layers)
    p = p._replace(layers=layers, b_y=0.3 * rng.standard_normal(K))
    h0 = tuple(0.5 * rng.standard_normal((B, H)) for H in sizes)
    c0 = tuple(0.5 * rng.standard_normal((B, H)) for H in sizes)
    symbols = rng.integers(0, K, size=(T + 1, B))
    return rng, p, h0, c0, symbols


def flatten(p, h0, c0):
    """Every array of the model by name, for gradcheck (p{n} only with peepholes)."""
    arrays = {"b_y": p.b_y}
    for n, layer in enumerate(p.layers):
        arrays.update({f"W_x{n}": layer.W_x, f"W{n}": layer.cell.W, f"b{n}": layer.cell.b,
                       f"W_y{n}": p.W_y[n], f"h0{n}": h0[n], f"c0{n}": c0[n]})
        if layer.cell.p is not None:
            arrays[f"p{n}"] = layer.cell.p
    return {k: v.copy() for k, v in arrays.items()}


def unflatten(a, N):
    layers = tuple(L.StackLayer(W_x=a[f"W_x{n}"],
                                cell=L.FamilyParams(a[f"W{n}"], a[f"b{n}"], a.get(f"p{n}")))
                   for n in range(N))
    p = L.StackParams(layers=layers, W_y=tuple(a[f"W_y{n}"] for n in range(N)), b_y=a["b_y"])
    return p, tuple(a[f"h0{n}"] for n in range(N)), tuple(a[f"c0{n}"] for n in range(N))


def flatten_grads(g):
    out = {"b_y": g.b_y}
    for n, layer in enumerate(g.layers):
        out.update({f"W_x{n}": layer.W_x, f"W{n}": layer.cell.W, f"b{n}": layer.cell.b,
                    f"W_y{n}": g.W_y[n], f"h0{n}": g.dh0[n], f"c0{n}": g.dc0[n]})
        if layer.cell.p is not None:
            out[f"p{n}"] = layer.cell.p
    return out


# ----------------------------------------------------------------- finite differences

FD_CASES = [(N, cfg, 1) for N in (1, 2, 3) for cfg in (CORE, DIAG)]
FD_CASES += [(2, DIAG_1997, 1), (2, DIAG, 3)]  # no forget gate; a batch (J sums over it)


@pytest.mark.parametrize("N, config, B", FD_CASES,
                         ids=[f"N{N}-{c.describe()}-B{B}" for N, c, B in FD_CASES])
def test_every_gradient_matches_finite_differences(N, config, B):
    K, T = 5, 4
    _, p, h0, c0, symbols = make(config, K, SIZES[N], T, B, seed=N)
    arrays = flatten(p, h0, c0)

    def J(**a):  # the forward pass and the loss only
        params, h0_, c0_ = unflatten(a, N)
        logits, _ = L.stack_forward(symbols[:-1], params, config, h0=h0_, c0=c0_,
                                    path="plain")
        return L.softmax_cross_entropy(logits, symbols[1:])[0]

    _, grads = L.stack_loss(symbols, p, config, h0=h0, c0=c0, path="plain")
    analytic = flatten_grads(grads)
    assert set(analytic) == set(arrays)  # every parameter and initial state is checked
    report = gradcheck(J, arrays, analytic, tol=1e-7)
    report.assert_ok()
    assert max(report.errors.values()) < 1e-7


def test_gradients_of_symbols_never_seen_are_zero():
    # dW_x^n is a scatter-add over the input symbols x_1..x_T: unseen columns get nothing
    _, p, h0, c0, _ = make(DIAG, 6, (3, 2), 3, 2)
    symbols = np.array([[0, 2], [2, 2], [0, 0], [5, 1]])  # inputs use 0 and 2 only
    _, g = L.stack_loss(symbols, p, DIAG, h0=h0, c0=c0)
    for layer in g.layers:
        assert np.all(layer.W_x[:, [1, 3, 4, 5]] == 0)
        assert np.all(np.abs(layer.W_x[:, [0, 2]]).sum(axis=0) > 0)


# ------------------------------------------------------- forward: a dense one-hot oracle

@pytest.mark.parametrize("config", [CORE, DIAG, DIAG_1997], ids=lambda c: c.describe())
def test_forward_equals_a_dense_one_hot_model(config):
    # Each layer as a family cell whose dense input is [h^{n-1}_t; onehot(x_t)] and whose
    # weight is [W^n | W_x^n]; logits b_y + sum_n W_y^n h^n_t. Built here, from the equations.
    K, sizes, T, B = 6, (4, 3, 2), 5, 3
    _, p, h0, c0, symbols = make(config, K, sizes, T, B, seed=9)
    x = symbols[:-1]
    onehot = np.eye(K)[x]  # (T, B, K): only the test builds it
    u, want = np.zeros((T, B, 0)), p.b_y + np.zeros((T, B, K))
    for n, layer in enumerate(p.layers):
        cell = layer.cell._replace(W=np.concatenate([layer.cell.W, layer.W_x], axis=1))
        h, _, _ = L.family_forward(np.concatenate([u, onehot], axis=2), h0[n], c0[n], cell,
                                   config)
        want = want + h @ p.W_y[n].T
        u = h
    logits, cache = L.stack_forward(x, p, config, h0=h0, c0=c0, path="plain")
    assert logits.shape == (T, B, K) and cache.path == "plain"
    np.testing.assert_allclose(logits, want, rtol=1e-12, atol=1e-13)
    J, _ = L.stack_loss(symbols, p, config, h0=h0, c0=c0)
    log_p = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    want_J = -np.take_along_axis(log_p, symbols[1:, :, None], axis=2).sum()
    assert J == pytest.approx(want_J, rel=1e-12)


# ----------------------------------------------------------------- fused == plain

# (N, sizes, K, T, B): N = 1, T = 1, B = 1, generic, wide vocabulary
FUSED_SHAPES = [((3,), 5, 4, 1), ((3, 2), 5, 1, 2), ((4, 2, 3), 7, 6, 3), ((2, 5), 11, 3, 1)]


@pytest.mark.parametrize("sizes, K, T, B", FUSED_SHAPES)
@pytest.mark.parametrize("states", ["zeros", "given"])
def test_fused_path_equals_plain_path(sizes, K, T, B, states):
    _, p, h0, c0, symbols = make(CORE, K, sizes, T, B, seed=len(sizes) + T)
    kw = {} if states == "zeros" else dict(h0=h0, c0=c0)
    logits_p, cache_p = L.stack_forward(symbols[:-1], p, CORE, path="plain", **kw)
    logits_f, cache_f = L.stack_forward(symbols[:-1], p, CORE, path="fused", **kw)
    assert cache_p.path == "plain" and cache_f.path == "fused"
    np.testing.assert_allclose(logits_f, logits_p, rtol=1e-12, atol=1e-13)
    J_p, g_p = L.stack_loss(symbols, p, CORE, path="plain", **kw)
    J_f, g_f = L.stack_loss(symbols, p, CORE, path="fused", **kw)
    assert J_f == pytest.approx(J_p, rel=1e-13)
    plain, fused = flatten_grads(g_p), flatten_grads(g_f)
    assert set(plain) == set(fused)
    for name in plain:
        assert fused[name].shape == plain[name].shape, name
        np.testing.assert_allclose(fused[name], plain[name], rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_auto_path_is_fused_for_the_core_cell_only():
    for config, want in [(CORE, "fused"), (DIAG, "plain"), (DIAG_1997, "plain")]:
        _, p, _, _, symbols = make(config, 4, (2, 3), 2, 1)
        assert L.stack_forward(symbols, p, config)[1].path == want


def test_fused_gradients_are_not_overwritten_by_a_second_backward():
    _, p, _, _, symbols = make(CORE, 5, (3, 2), 3, 2)
    logits, cache = L.stack_forward(symbols[:-1], p, CORE, path="fused")
    rng = np.random.default_rng(3)
    g1 = L.stack_backward(rng.standard_normal(logits.shape), cache)
    kept = {k: v.copy() for k, v in flatten_grads(g1).items()}
    L.stack_backward(rng.standard_normal(logits.shape), cache)
    for k, v in flatten_grads(g1).items():
        np.testing.assert_array_equal(v, kept[k], err_msg=k)


@pytest.mark.parametrize("config", [DIAG, DIAG_1997, L.LSTMConfig(forget_gate=False),
                                    L.LSTMConfig(peephole="full")], ids=lambda c: c.describe())
def test_fused_path_refuses_other_cells(config):
    _, p, _, _, symbols = make(config, 4, (2, 3), 2, 1)
    with pytest.raises(ValueError, match=r"^path: 'fused' runs only the core cell "
                                         rf"LSTMConfig\(\), got config .*\({config.describe()}\)"):
        L.stack_forward(symbols, p, config, path="fused")
    with pytest.raises(ValueError, match=r"^path: 'fused' .*" + config.describe()):
        L.stack_loss(symbols, p, config, path="fused")


# ----------------------------------------------------------------- training

@pytest.mark.parametrize("config", [CORE, DIAG], ids=lambda c: c.describe())
def test_one_gradient_descent_step_decreases_the_loss(config):
    K, T, B = 6, 8, 4
    _, p, _, _, symbols = make(config, K, (8, 5), T, B, seed=21)

    def step(params, grads, lr):
        layers = tuple(
            L.StackLayer(W_x=layer.W_x - lr * d.W_x,
                         cell=L.FamilyParams(*(None if a is None else a - lr * da
                                               for a, da in zip(layer.cell, d.cell))))
            for layer, d in zip(params.layers, grads.layers))
        return L.StackParams(layers=layers,
                             W_y=tuple(w - lr * dw for w, dw in zip(params.W_y, grads.W_y)),
                             b_y=params.b_y - lr * grads.b_y)

    J0, g = L.stack_loss(symbols, p, config)
    J1, _ = L.stack_loss(symbols, step(p, g, 0.02), config)
    assert J1 < J0 - 1e-3, (J0, J1)
    # the same step uphill raises it: the gradient's sign is what decreases J
    J_up, _ = L.stack_loss(symbols, step(p, g, -0.02), config)
    assert J_up > J0


# ----------------------------------------------------------------- sampling

def test_sample_shape_dtype_and_range():
    _, p, _, _, _ = make(DIAG, 7, (3, 2), 1, 1)
    first = np.array([0, 6, 3])
    s = L.sample_stack(p, DIAG, first, 9, np.random.default_rng(5))
    assert s.shape == (9, 3) and s.dtype == np.int64
    assert s.min() >= 0 and s.max() < 7


def test_sample_is_reproducible_with_the_same_seed():
    _, p, _, _, _ = make(CORE, 7, (3, 2), 1, 1)
    first = np.array([1, 2, 3, 4])
    a = L.sample_stack(p, CORE, first, 20, np.random.default_rng(11), temperature=1.5)
    b = L.sample_stack(p, CORE, first, 20, np.random.default_rng(11), temperature=1.5)
    c = L.sample_stack(p, CORE, first, 20, np.random.default_rng(12), temperature=1.5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("config", [CORE, DIAG_1997], ids=lambda c: c.describe())
def test_small_temperature_concentrates_on_the_argmax(config):
    # Greedy decoding: every drawn symbol is the argmax of the model's logits given the
    # symbols before it (the logits from stack_forward on the sampled prefix).
    _, p, _, _, _ = make(config, 6, (4, 3), 1, 1, seed=2)
    first = np.arange(6)
    s = L.sample_stack(p, config, first, 8, np.random.default_rng(0), temperature=1e-6)
    logits, _ = L.stack_forward(np.concatenate([first[None], s[:-1]]), p, config)
    np.testing.assert_array_equal(s, logits.argmax(axis=2))
    # a temperature near zero is valid, and still greedy
    tiny = L.sample_stack(p, config, first, 8, np.random.default_rng(1), temperature=1e-300)
    np.testing.assert_array_equal(tiny, s)


@pytest.mark.parametrize("temperature", [1.0, 2.5, 0.4])
def test_sample_frequencies_follow_softmax_of_logits_over_temperature(temperature):
    K, B = 5, 40000
    _, p, _, _, _ = make(DIAG, K, (3, 2), 1, 1, seed=4)
    p = p._replace(b_y=np.array([1.0, -0.5, 0.0, 0.7, -1.0]))  # an uneven distribution
    first = np.full(B, 2)
    s = L.sample_stack(p, DIAG, first, 1, np.random.default_rng(8), temperature=temperature)
    v = L.stack_forward(first[None, :1], p, DIAG)[0][0, 0]  # (K,) the first step's logits
    want = np.exp(v / temperature) / np.exp(v / temperature).sum()
    freq = np.bincount(s[0], minlength=K) / B
    # binomial standard deviation <= 0.0025 at B = 40000: 0.012 is ~5 sigma
    np.testing.assert_allclose(freq, want, atol=0.012)
    other = np.exp(v) / np.exp(v).sum()
    if temperature != 1.0:  # the check can tell temperatures apart
        assert np.abs(freq - other).max() > 0.03


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, float("nan"), float("inf"), np.float64(-2)])
def test_temperature_must_be_positive_and_finite(bad):
    _, p, _, _, _ = make(CORE, 4, (2,), 1, 1)
    with pytest.raises(ValueError, match=r"^temperature: expected a positive finite number"):
        L.sample_stack(p, CORE, np.array([0]), 3, np.random.default_rng(0), temperature=bad)


@pytest.mark.parametrize("bad", ["hot", None, True, np.array([1.0])])
def test_temperature_must_be_a_number(bad):
    _, p, _, _, _ = make(CORE, 4, (2,), 1, 1)
    with pytest.raises(TypeError, match=r"^temperature: expected a positive finite number"):
        L.sample_stack(p, CORE, np.array([0]), 3, np.random.default_rng(0), temperature=bad)


def test_sample_bad_arguments_are_named():
    _, p, _, _, _ = make(CORE, 4, (2,), 1, 1)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"^first: expected symbols in \[0, 4\)"):
        L.sample_stack(p, CORE, np.array([4]), 3, rng)
    with pytest.raises(TypeError, match=r"^first: expected integer symbols"):
        L.sample_stack(p, CORE, np.array([0.0]), 3, rng)
    with pytest.raises(ValueError, match=r"^steps: expected a positive integer, got 0"):
        L.sample_stack(p, CORE, np.array([0]), 0, rng)
    with pytest.raises(TypeError, match=r"^rng: expected Generator"):
        L.sample_stack(p, CORE, np.array([0]), 2, 0)


# ----------------------------------------------------------------- bad input

@pytest.fixture
def model():
    _, p, h0, c0, symbols = make(DIAG, 5, (3, 2), 3, 2)
    return p, h0, c0, symbols


def test_symbols_of_float_dtype(model):
    p, _, _, symbols = model
    with pytest.raises(TypeError, match=r"^symbols: expected integer symbols in \[0, 5\) "
                                        r"\(K = 5\), got dtype float64"):
        L.stack_loss(symbols.astype(float), p, DIAG)
    with pytest.raises(TypeError, match=r"^symbols: expected a numpy\.ndarray, got list"):
        L.stack_forward(symbols.tolist(), p, DIAG)


@pytest.mark.parametrize("value", [-1, 5])
def test_symbols_out_of_range(model, value):
    p, _, _, symbols = model
    bad = symbols.copy()
    bad[1, 1] = value
    with pytest.raises(ValueError, match=rf"^symbols: expected symbols in \[0, 5\) \(K = 5\), "
                                         rf"got values in \[.*{value}.*\]$"):
        L.stack_loss(bad, p, DIAG)
    with pytest.raises(ValueError, match=r"^symbols: expected symbols in \[0, 5\)"):
        L.stack_forward(bad, p, DIAG)


@pytest.mark.parametrize("shape", [(4,), (4, 2, 1), (0, 2), (3, 0)])
def test_symbols_of_the_wrong_shape(model, shape):
    p, _, _, _ = model
    with pytest.raises(ValueError, match=r"^symbols: expected a non-empty array of shape "
                                         r"\(T, B\), got shape"):
        L.stack_forward(np.zeros(shape, int), p, DIAG)


def test_loss_needs_a_target(model):
    p, _, _, symbols = model
    with pytest.raises(ValueError, match=r"^symbols: expected a non-empty array of shape "
                                         r"\(T\+1, B\) with T\+1 >= 2, got shape \(1, 2\)"):
        L.stack_loss(symbols[:1], p, DIAG)


def test_unknown_path(model):
    p, _, _, symbols = model
    with pytest.raises(ValueError, match=r"^path: unknown option 'fast'; expected one of "
                                         r"'auto', 'plain', 'fused'"):
        L.stack_loss(symbols, p, DIAG, path="fast")


@pytest.mark.parametrize("sizes", [(), (3, 0), (2, -1), (2.0,), 3, (True,)])
def test_sizes_must_be_positive_ints(sizes):
    with pytest.raises(ValueError, match=r"^sizes: expected a non-empty tuple of positive "
                                         r"ints \(H_1, \.\.\., H_N\)"):
        L.init_stack_params(CORE, 5, sizes, np.random.default_rng(0))


def test_init_shapes_and_other_arguments():
    p = L.init_stack_params(DIAG_1997, 7, (4, 3, 2), np.random.default_rng(0))
    assert [layer.W_x.shape for layer in p.layers] == [(12, 7), (9, 7), (6, 7)]
    assert [layer.cell.W.shape for layer in p.layers] == [(12, 4), (9, 7), (6, 5)]
    assert [layer.cell.p.shape for layer in p.layers] == [(8,), (6,), (4,)]
    assert [w.shape for w in p.W_y] == [(7, 4), (7, 3), (7, 2)] and p.b_y.shape == (7,)
    p32 = L.init_stack_params(CORE, 3, (2,), np.random.default_rng(0), dtype=np.float32)
    assert p32.layers[0].W_x.dtype == p32.W_y[0].dtype == p32.b_y.dtype == np.float32
    with pytest.raises(ValueError, match=r"^K: expected a positive integer, got 0"):
        L.init_stack_params(CORE, 0, (2,), np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"^config: expected LSTMConfig"):
        L.init_stack_params("core", 3, (2,), np.random.default_rng(0))


def test_float32_model_runs_in_float32():
    p = L.init_stack_params(CORE, 5, (3, 2), np.random.default_rng(0), dtype=np.float32)
    symbols = np.random.default_rng(1).integers(0, 5, (4, 2))
    for path in ("plain", "fused"):
        J, g = L.stack_loss(symbols, p, CORE, path=path)
        assert all(a.dtype == np.float32 for a in flatten_grads(g).values()), path


def test_bad_states_and_params_are_named(model):
    p, h0, c0, symbols = model
    with pytest.raises(ValueError, match=r"^h0: expected a tuple of N = 2 arrays \(B, H_n\)"):
        L.stack_loss(symbols, p, DIAG, h0=h0[:1])
    with pytest.raises(ValueError, match=r"^c0\[1\]: expected shape \(B, H\) = \(2, 2\), "
                                         r"got \(2, 3\)"):
        L.stack_loss(symbols, p, DIAG, h0=h0, c0=(c0[0], np.zeros((2, 3))))
    with pytest.raises(TypeError, match=r"^h0\[0\]: expected dtype float64 \(the dtype of "
                                        r"params\), got float32"):
        L.stack_loss(symbols, p, DIAG, h0=(h0[0].astype(np.float32), h0[1]))
    wrong = p._replace(layers=(p.layers[0], p.layers[1]._replace(
        cell=p.layers[1].cell._replace(W=np.zeros((8, 4))))))
    with pytest.raises(ValueError, match=r"^params\.layers\[1\]\.cell: params\.W: expected "
                                         r"shape \(4H, H\+D\) = \(8, 5\), got \(8, 4\).*"
                                         r"layer 1's dense input is layer 0's h, D = 3"):
        L.stack_loss(symbols, p._replace(layers=wrong.layers), DIAG)
    with pytest.raises(ValueError, match=r"^params\.W_y\[0\]: expected shape \(K, H\) = "
                                         r"\(5, 3\), got \(5, 2\)"):
        L.stack_loss(symbols, p._replace(W_y=(np.zeros((5, 2)), p.W_y[1])), DIAG)
    with pytest.raises(ValueError, match=r"^params\.W_y: expected a tuple of N = 2 arrays"):
        L.stack_loss(symbols, p._replace(W_y=p.W_y[:1]), DIAG)
    with pytest.raises(ValueError, match=r"^params\.layers\[0\]\.cell: params\.p: "
                                         r"config\.peephole is 'none', so expected no "
                                         r"peephole weights \(None\), got \(9,\); use "
                                         r"LSTMConfig\(peephole='diagonal'\) or 'full' to "
                                         r"train them$"):
        L.stack_loss(symbols, p, CORE)
    logits, cache = L.stack_forward(symbols[:-1], p, DIAG)
    with pytest.raises(ValueError, match=r"^dlogits: expected shape \(T, B, K\) = "
                                         r"\(3, 2, 5\), got \(3, 2, 4\)"):
        L.stack_backward(np.zeros((3, 2, 4)), cache)
