"""Hand formulas as the engine accepts them: Matrices in atoms, leaves, Sigmoid and Tanh.

A chapter writes a gradient in the model's atoms (``cell.f``, ``cell.tanh_c``
…) and leaves (``cell.W``, ``cell.dh_next`` …). Where it needs an activation
of something else it applies the engine's opaque functions ``verify.Sigmoid``
and ``verify.Tanh`` (:mod:`.symbols`), which the engine turns into atoms.

SymPy's own ``sympy.tanh``, a sigmoid written out as ``1/(1 + sympy.exp(-a))``
and an undefined ``sympy.Function('sigma')`` are other functions to SymPy:
they never become atoms, never cancel against SymPy's derivative of the
forward pass, and the engine cannot evaluate an undefined one. So
:func:`hand_matrix` rejects them before any work, with a ``TypeError`` that
names the function and says what to write instead, wrapped to 76 columns
(:mod:`.report`). (A type error: the formula
is built from the wrong kind of object; it is not a formula that was checked
and found to disagree, which is what :class:`.prove.FormulaMismatch` reports.)

:func:`check_identity_side` is the milder check of :func:`.identity.identity`,
whose sides are ordinary SymPy expressions where ``sympy.tanh``, ``sympy.exp``
and undefined functions such as ``φ`` are legitimate: it rejects only an
undefined function named like an activation (``sigma``, ``tanh`` …), which
SymPy would treat as an arbitrary function.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

from .report import MESSAGE_WIDTH, wrap
from .symbols import Sigmoid, Tanh

__all__ = ["as_matrix", "hand_matrix", "check_hand_functions", "check_identity_side",
           "ENGINE_FUNCTIONS", "ACTIVATION_NAMES"]

#: The functions a hand formula may apply (the engine's opaque activations).
ENGINE_FUNCTIONS = (Sigmoid, Tanh)

#: Names of undefined functions that can only mean an activation.
ACTIVATION_NAMES = frozenset({"sigma", "σ", "sigmoid", "sig", "logistic", "tanh"})

_MODEL_ATOMS = {"sigmoid": "f, i, o, y_hat", "tanh": "g, tanh_c"}


def as_matrix(value, what: str) -> sp.Matrix:
    """``value`` as a mutable SymPy Matrix (an expression or number becomes 1×1).

    Parameters
    ----------
    value : sympy.Matrix, sympy.Expr, int, float, list or tuple
        A formula; lists and tuples are rows of a Matrix.
    what : str
        The argument's name, used in the error message (``"hand"``, ``"lhs"`` …).

    Returns
    -------
    sympy.Matrix

    Raises
    ------
    TypeError
        For any other type, naming ``what``.
    """
    if isinstance(value, sp.MatrixBase):
        return sp.Matrix(value)
    if isinstance(value, (sp.Expr, int, float)):
        return sp.Matrix([[sp.sympify(value)]])
    if isinstance(value, (list, tuple)):
        return sp.Matrix(value)
    raise TypeError(f"{what}: expected a sympy Matrix or expression, got {type(value).__name__}")


def _applications(M):
    """Every distinct function application in the entries of M (one visit per node)."""
    seen, stack, found = set(), list(M), []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, sp.Function):      # an application: tanh(u), Sigmoid(u), sigma(u) …
            found.append(node)
        stack.extend(node.args)
    return sorted(found, key=sp.default_sort_key)


def _shown(app) -> str:
    text = sp.sstr(app)
    return text if len(text) <= 80 else text[:77] + "..."


def _advice(app, what: str, model: bool = True) -> str:
    """The error message for one function application a formula may not contain,
    wrapped to ``MESSAGE_WIDTH`` columns."""
    return wrap(_advice_text(app, what, model), MESSAGE_WIDTH)


def _advice_text(app, what: str, model: bool) -> str:
    name = type(app).__name__
    shown = _shown(app)

    def use(kind):      # what to write instead
        fn = "verify.Tanh" if kind == "tanh" else "verify.Sigmoid"
        written = "sympy.tanh(a)" if kind == "tanh" else "1/(1 + sympy.exp(-a))"
        where = (f", or the model's atoms ({_MODEL_ATOMS[kind]})" if model
                 else f", or write it out ({written})")
        return f"use {fn}, the engine's opaque {kind}{where}"

    if isinstance(app, AppliedUndef):
        guess = "tanh" if "tanh" in name.lower() else "sigmoid"
        return (f"{what}: uses {name}, an undefined SymPy function (sympy.Function({name!r})), "
                f"in {shown}: SymPy knows nothing about it, not even its derivative. "
                f"If it is the {guess}, {use(guess)}")
    if app.func is sp.tanh:
        return (f"{what}: uses sympy.tanh, in {shown}: SymPy's tanh never cancels against the "
                f"engine's derivatives; {use('tanh')}")
    if app.func is sp.exp:
        return (f"{what}: uses sympy.exp, in {shown} (a sigmoid written as 1/(1 + exp(-a))?): "
                f"SymPy's exp never cancels against the engine's derivatives; {use('sigmoid')}")
    return (f"{what}: uses sympy.{name}, in {shown}: a hand formula may apply only "
            f"verify.Sigmoid and verify.Tanh to the model's atoms and leaves")


def check_hand_functions(M, what: str) -> None:
    """Raise if the formula M applies any function other than Sigmoid and Tanh.

    Call it on the formula *in atoms* (after ``Graph.atomize``): the softmax
    head's ``exp(v_k)`` is then already the atom product ŷ_k S, and what is
    left is what the engine cannot relate to its model.

    Parameters
    ----------
    M : sympy.Matrix or iterable of sympy.Expr
    what : str
        The argument's name for the message (``"hand"``, ``"hands['dW']"`` …).

    Raises
    ------
    TypeError
        Naming the first offending function (``sympy.tanh``, ``sympy.exp``,
        an undefined ``sigma`` …), the application, and saying to use
        ``verify.Sigmoid`` / ``verify.Tanh``.
    """
    for app in _applications(M):
        if not isinstance(app, ENGINE_FUNCTIONS):
            raise TypeError(_advice(app, what))


def hand_matrix(value, what: str, atomize=None) -> sp.Matrix:
    """A hand formula as a Matrix in atoms, checked to apply only Sigmoid and Tanh.

    Parameters
    ----------
    value : sympy.Matrix or sympy.Expr
        The formula, in the model's atoms and leaves.
    what : str
        The argument's name for messages.
    atomize : callable, optional
        ``Graph.atomize`` of the model's build, applied entrywise first.

    Returns
    -------
    sympy.Matrix
        In atoms (if ``atomize`` is given).

    Raises
    ------
    TypeError
        Not a Matrix or expression, or applying another function
        (:func:`check_hand_functions`).
    """
    M = as_matrix(value, what)
    if atomize is not None:
        M = M.applyfunc(atomize)
    check_hand_functions(M, what)
    return M


def check_identity_side(M, what: str) -> None:
    """Raise if a side of an identity applies an undefined function named like an activation.

    Parameters
    ----------
    M : sympy.Matrix
    what : str
        ``"lhs"`` or ``"rhs"``.

    Raises
    ------
    TypeError
        For ``sympy.Function('sigma')(a)``, ``Function('tanh')(a)`` …
        (names in ``ACTIVATION_NAMES``, any case), saying to use
        ``verify.Sigmoid`` / ``verify.Tanh`` or the written-out function.
        Other undefined functions (an arbitrary loss φ) are accepted.
    """
    for app in _applications(M):
        if isinstance(app, AppliedUndef) and type(app).__name__.lower() in ACTIVATION_NAMES:
            raise TypeError(_advice(app, what, model=False))
