"""The benchmark's exp replay exponentiates exactly the numbers lstm_ref does.

`benchmarks/bench_lstm.py` reports ``exp / floor``: the time of lstm_ref's
transcendental calls alone, replayed on their arguments. That figure means
something only if the replayed arguments are lstm_ref's, so here they must
reproduce the gates and tanh(c_t) of lstm_ref's fused path through the
activation formulas of ``lstm_ref.fused``, on both paths of tanh(c_t). No
timing here.
"""
from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

from lstm_ref import fused, max_rel_error
from lstm_ref.params import init_lstm_params

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_lstm", ROOT / "benchmarks" / "bench_lstm.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)  # it finds its naive_lstm next to itself


@pytest.mark.parametrize("shape", [(1, 1, 3, 2), (4, 3, 5, 7), (6, 2, 4, 3)],
                         ids=lambda s: "T{}_B{}_D{}_H{}".format(*s))
@pytest.mark.parametrize("tanh_via_exp", [False, True], ids=["np_tanh", "tanh_via_exp"])
def test_exp_replay_arguments_give_lstm_refs_activations(shape, tanh_via_exp, monkeypatch):
    # lstm_ref switches tanh(c_t) to the exp formula at B*H >= _TANH_VIA_EXP_MIN
    monkeypatch.setattr(fused, "_TANH_VIA_EXP_MIN", 1 if tanh_via_exp else 10**9)
    T, B, D, H = shape
    rng = np.random.default_rng(11)
    p = init_lstm_params(D, H, rng)
    b = p.b + 0.5 * rng.standard_normal(p.b.shape)
    x = rng.standard_normal((T, B, D))
    h0, c0 = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    _, _, cache = fused.fused_lstm_forward(x, h0, c0, p.W, b)

    U, C, tanh_c_directly = bench.exp_arguments(x, h0, c0, p.W, b)
    assert U.shape == (T, B, 4 * H) and C.shape == (T, B, H)
    assert tanh_c_directly is not tanh_via_exp
    k = np.ones(4 * H)
    k[3 * H:] = 2
    gates = k / (1 + np.exp(U)) - (k - 1)                 # _activate_gates_inplace on u = -k a
    tanh_c = np.tanh(C) if tanh_c_directly else 2 / (1 + np.exp(C)) - 1
    assert max_rel_error(gates, cache.gates) < 1e-12
    assert max_rel_error(tanh_c, cache.tanh_c) < 1e-12

    run = bench.exp_floor(x, h0, c0, p.W, b, None)
    np.testing.assert_array_equal(run(), np.exp(U[-1]))   # the last step's gate exp
