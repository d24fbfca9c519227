"""verify.identity: accepts true identities, rejects false ones with a counterexample."""
import re

import pytest
import sympy as sp

from lstm_ref import verify as V


def test_accepts_the_softmax_jacobian():
    s = V.vector("s", 3)
    e = s.applyfunc(sp.exp)
    y_hat = e / sum(e)
    jac = y_hat.jacobian(s)
    assert V.identity("softmax Jacobian", jac, sp.diag(*y_hat) - y_hat * y_hat.T, verbose=False)


def test_accepts_denominator_layout_outer_product():
    W, z, u = V.matrix("W", 3, 2), V.vector("z", 2), V.vector("u", 3)
    J = (u.T * W * z)[0]
    grad = W.applyfunc(lambda w: sp.diff(J, w))
    V.identity("d(u'Wz)/dW = u z'", grad, u * z.T, verbose=False)


def test_rejects_a_transposed_result_by_shape():
    z, u = V.vector("z", 2), V.vector("u", 3)
    with pytest.raises(V.FormulaMismatch,
                       match=r"outer: shapes differ: lhs is \(3, 2\), rhs is \(2, 3\)"):
        V.identity("outer", u * z.T, z * u.T)


def test_rejects_a_wrong_sign_with_a_counterexample():
    y, t = V.vector("y", 2), V.vector("t", 2)
    with pytest.raises(V.FormulaMismatch,
                       match=r"(?s)mse: not an identity; entry \[0,0\].*lhs − rhs = .* at "):
        V.identity("mse", 2 * (y - t), 2 * (t - y))


def test_name_must_be_a_string():
    with pytest.raises(TypeError, match="name: expected a str"):
        V.identity(3, sp.Integer(1), sp.Integer(1))


def test_sympy_tanh_and_exp_are_fine_in_an_identity():
    s = sp.Symbol("s")
    V.identity("tanh' = 1 - tanh^2", sp.diff(sp.tanh(s), s), 1 - sp.tanh(s) ** 2, verbose=False)
    sig = 1 / (1 + sp.exp(-s))
    V.identity("sigma' = sigma(1 - sigma)", sp.diff(sig, s), sig * (1 - sig), verbose=False)
    V.identity("opaque Sigmoid'", sp.diff(V.Sigmoid(s), s), V.Sigmoid(s) * (1 - V.Sigmoid(s)),
               verbose=False)


@pytest.mark.parametrize("fn,use", [("sigma", "verify.Sigmoid"), ("tanh", "verify.Tanh")])
def test_an_undefined_activation_is_rejected_by_name(fn, use):
    s, f = sp.Symbol("s"), sp.Function(fn)
    with pytest.raises(TypeError) as exc:
        V.identity("f'", sp.diff(f(s), s), f(s) * (1 - f(s)))
    msg = str(exc.value)
    assert max(len(line) for line in msg.splitlines()) <= 76
    assert re.search(rf"^lhs: uses {fn}, an undefined SymPy function.*{use}", " ".join(msg.split()))


def test_an_arbitrary_undefined_function_is_fine_and_a_false_claim_says_why():
    s, phi = sp.Symbol("s"), sp.Function("varphi")
    V.identity("chain rule", sp.diff(phi(2 * s), s), 2 * sp.Subs(sp.diff(phi(s), s), s, 2 * s),
               verbose=False)
    with pytest.raises(V.FormulaMismatch) as exc:
        V.identity("wrong chain rule", sp.diff(phi(2 * s), s), sp.diff(phi(2 * s), s) / 2)
    assert "undefined function(s) varphi" in " ".join(str(exc.value).split())   # unwrapped


def test_mixing_tanh_kinds_is_named():
    s = sp.Symbol("s")
    with pytest.raises(V.FormulaMismatch, match=r"mixes verify\.Tanh and sympy\.tanh"):
        V.identity("tanh", sp.tanh(s), V.Tanh(s))
