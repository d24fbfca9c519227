"""verify.identity: accepts true identities, rejects false ones with a counterexample."""
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
    W, z, u = V.matrix("W", 3, 2), V.vector("z", 2), V.vector("u", 3)
    with pytest.raises(V.FormulaMismatch, match=r"outer: shapes differ: lhs is \(3, 2\), rhs is \(2, 3\)"):
        V.identity("outer", u * z.T, z * u.T)


def test_rejects_a_wrong_sign_with_a_counterexample():
    y, t = V.vector("y", 2), V.vector("t", 2)
    with pytest.raises(V.FormulaMismatch, match=r"(?s)mse: not an identity; entry \[0,0\].*lhs − rhs = .* at "):
        V.identity("mse", 2 * (y - t), 2 * (t - y))


def test_name_must_be_a_string():
    with pytest.raises(TypeError, match="name: expected a str"):
        V.identity(3, sp.Integer(1), sp.Integer(1))
