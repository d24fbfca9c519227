"""Identities outside the LSTM model: matrix-calculus facts, explicit softmax.

:func:`prove` compares a hand formula with SymPy's derivative of one of the
course's symbolic forward passes. Chapters also state general identities
(the chain rule in denominator layout, the softmax Jacobian, an unnormalised
soft target) whose two sides are ordinary SymPy expressions; :func:`identity`
decides those.

The sides may apply ``sympy.tanh``, ``sympy.exp`` and undefined functions (an
arbitrary loss φ), or the engine's opaque ``Sigmoid`` and ``Tanh``, which
SymPy cannot rewrite into the others: an identity uses one kind or the other
for each activation. An undefined function named like an activation
(``sympy.Function('sigma')``) is rejected with a ``TypeError``
(:func:`.hand.check_identity_side`).

:func:`identity` prints ``✓ identity  <name>`` and returns an
:class:`IdentityProof`; in Jupyter a call ending a cell shows that line once,
without an echo of the result (:class:`.report.Printed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from .hand import as_matrix, check_identity_side
from .prove import Counterexample, FormulaMismatch
from .report import Printed, shorten, wrap
from .symbols import Sigmoid, Tanh

__all__ = ["identity", "IdentityProof"]

_EXPR_CHARS = 140      # lhs − rhs in a message: about two wrapped lines
_SIMPLIFY_OPS = 200    # lhs − rhs is simplified for the message up to this many operations


@dataclass(frozen=True)
class IdentityProof(Printed):
    """Outcome of one :func:`identity` call (only successful ones are returned).

    ``str(result)`` is the verdict ``✓ identity  <name>`` (a long name wraps
    onto lines indented by 4 spaces, within 88 columns). The result is truthy.
    In Jupyter, displayed in the cell that printed it, it shows nothing (no
    echoed string); elsewhere it shows its verdict (:class:`.report.Printed`).

    Attributes
    ----------
    name : str
        The identity's name.
    entries : int
        Number of scalar entries decided.
    printed_in : int or None
        The Jupyter cell in which the verdict was printed (None: not printed
        or not in Jupyter); not part of the repr or of equality.
    """

    name: str
    entries: int
    printed_in: int | None = field(default=None, repr=False, compare=False)

    def __str__(self):
        return wrap(f"✓ identity  {self.name}")


def _nonzero_at_a_point(e) -> bool:
    """True if ``e`` is clearly non-zero at one seeded point (then no simplify is needed)."""
    if e.atoms(AppliedUndef) or not e.free_symbols:
        return False
    rng = np.random.default_rng(12345)
    point = {s: sp.Float(rng.uniform(0.1, 0.9), 30) for s in e.free_symbols}
    value = sp.N(e.xreplace(point), 30)
    return bool(value.is_number and value.is_comparable and abs(value) > 1e-20)


def _shown(e):
    """``e`` simplified for the message when it is small (simplify takes minutes on a big one)."""
    return sp.simplify(e) if sp.count_ops(e) <= _SIMPLIFY_OPS else e


def _is_zero(e) -> bool:
    # expand settles polynomials; exp/log/σ-free rational forms need simplify, which can
    # take a minute on a large expression: a non-zero value at one point decides it first
    if sp.expand(e) == 0:
        return True
    if _nonzero_at_a_point(e):
        return False
    return sp.simplify(e.rewrite(sp.exp)) == 0


def _counterexample(e, seed: int, entry: str = "[0,0]"):
    """Values of the free symbols at which the entry ``e`` of lhs − rhs is non-zero.

    Returns the message line and the :class:`.prove.Counterexample` (None if
    no point was found).
    """
    undefined = sorted({type(a).__name__ for a in e.atoms(AppliedUndef)})
    if undefined:       # an arbitrary function has no values to try
        return (f"no numeric counterexample: lhs − rhs applies the undefined function(s) "
                f"{', '.join(undefined)}, which have no values"), None
    rng = np.random.default_rng(seed)
    symbols = sorted(e.free_symbols, key=str)
    for p in range(5):
        point = {s: sp.Float(rng.uniform(0.1, 0.9), 30) for s in symbols}
        value = sp.N(e.xreplace(point), 15)
        if value.is_number and value != 0:
            shown = ", ".join(f"{s}={float(v):.6g}" for s, v in list(point.items())[:10])
            more = f", … ({len(point) - 10} more)" if len(point) > 10 else ""
            found = Counterexample(entry, float(value), 0.0,
                                   tuple((str(s), float(v)) for s, v in point.items()), p, seed)
            return f"lhs − rhs = {float(value):.6g} at {shown}{more}", found
    return "no numeric counterexample found at 5 seeded points (symbolically non-zero)", None


def _mixed(e) -> str:
    """A hint when e mixes an engine activation with SymPy's own form of it."""
    fns = {type(a) for a in e.atoms(sp.Function)}
    pairs = [("verify.Tanh", Tanh, "sympy.tanh", sp.tanh),
             ("verify.Sigmoid", Sigmoid, "sympy.exp", sp.exp)]
    for ours, ours_fn, theirs, theirs_fn in pairs:
        if ours_fn in fns and theirs_fn in fns:
            return (f"lhs − rhs mixes {ours} and {theirs}: SymPy cannot rewrite the opaque "
                    f"{ours}, so write both sides with one of them")
    return ""


def identity(name: str, lhs, rhs, *, seed: int = 0, verbose: bool = True) -> IdentityProof:
    """Assert that ``lhs == rhs`` holds identically, entry by entry.

    Equations
    ---------
    expand(lhs − rhs) = 0, or simplify(lhs − rhs) = 0 after rewriting in exp,
    for every entry; shapes must agree.

    Parameters
    ----------
    name : str
        The identity's name, printed and used in the error message.
    lhs, rhs : sympy.Matrix or sympy.Expr
        The two sides; expressions are treated as 1×1 matrices.
    seed : int
        Seed of ``np.random.default_rng`` for the counterexample search.
    verbose : bool
        Print the verdict ``✓ identity  <name>``.

    Returns
    -------
    IdentityProof
        Truthy; ``str()`` of it is the verdict. (It used to be the verdict
        str, which Jupyter echoed as ``'✓ identity …'`` below the printed
        line when the call ended a cell; the result shows nothing there.)

    Raises
    ------
    FormulaMismatch
        If the shapes differ or an entry of lhs − rhs is not identically zero;
        the message names the identity, the entry (cut after whole terms) and
        a numeric counterexample, wrapped to 76 columns.
    TypeError
        ``name`` is not a str, a side is not a Matrix or expression, or a side
        applies an undefined function named like an activation
        (``sympy.Function('sigma')``): use ``verify.Sigmoid`` / ``verify.Tanh``.
    """
    if not isinstance(name, str):
        raise TypeError(f"name: expected a str, got {type(name).__name__}")
    left, right = as_matrix(lhs, "lhs"), as_matrix(rhs, "rhs")
    check_identity_side(left, "lhs")
    check_identity_side(right, "rhs")
    if left.shape != right.shape:
        raise FormulaMismatch.of(f"{name}: shapes differ: lhs is {left.shape}, "
                                 f"rhs is {right.shape}")
    for k, e in enumerate(left - right):
        if not _is_zero(e):
            r, c = divmod(k, left.shape[1])
            mixed = _mixed(e)
            line, found = _counterexample(e, seed, f"[{r},{c}]")
            err = FormulaMismatch.of(
                f"{name}: not an identity; entry [{r},{c}] of lhs − rhs is",
                f"  {shorten(sp.sstr(_shown(e)), _EXPR_CHARS)}",
                f"  {line}", *([f"  {mixed}"] if mixed else []),
                keep=["not an identity;"])
            err.counterexample = found
            raise err
    return IdentityProof(name, len(left)).announce(verbose)
