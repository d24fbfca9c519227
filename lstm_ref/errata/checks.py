"""Checks: the engine calls that decide a reading, packaged as ``check(models) -> Outcome``.

Each builder takes functions of one symbolic model (written with the model's
names, as the chapters write hand formulas) and the model's name in the
source's ``MODELS``; it returns the check a :class:`.claim.Reading` or
:class:`.claim.Correction` carries.

=================  ========================================================
``proves``         a gradient: ``verify.prove`` (hand vs SymPy)
``forward``        a forward equation: both sides with every atom replaced
                   by its definition (σ(a_f) for ``f[0]`` …), then
                   ``verify.identity``
``equals``         an identity in the model's names, atoms kept opaque
``engine``         any engine call that raises ``FormulaMismatch`` when the
                   claim is wrong (``bptt_double_sum``, several proofs)
``numeric``        a statement decided by numbers: the function returns the
                   :class:`.claim.Outcome` itself
``all_of``         several checks of one reading: it holds when each holds
=================  ========================================================

A formula whose products do not conform (SymPy's ``ShapeError`` while it is
built) or whose shape is not the shape of what it claims to be is
*ill-formed*; one that is well formed but differs from SymPy's derivative
(or from the model's forward pass) is *wrong*, with the numbers of the
engine's counterexample.
"""

from __future__ import annotations

import sympy as sp

from lstm_ref.verify import FormulaMismatch, identity, prove
from lstm_ref.verify.prove import Counterexample

from .claim import Outcome

__all__ = ["proves", "forward", "equals", "engine", "numeric", "all_of", "written_out",
           "expand_atoms",
           "counterexample_text", "number"]

_SHOWN = 6       # values of a counterexample point written out
_NAME = "the formula"   # what the engine's messages call a transcription


def number(x: float) -> str:
    """A value as a table shows it: 6 significant digits, a true minus sign."""
    text = f"{x:.6g}"
    return "0" if text in ("0", "-0") else text.replace("-", "−")


def counterexample_text(cx: Counterexample, model_text: str, identity_form=False) -> str:
    """One or two sentences: where, the two values, the first few point values."""
    at = ", ".join(f"{k} = {number(v)}" for k, v in cx.at[:_SHOWN])
    more = f", … ({len(cx.at)} values)" if len(cx.at) > _SHOWN else ""
    if identity_form:
        head = f"entry {cx.entry}: left − right = {number(cx.hand)}"
    else:
        head = (f"entry {cx.entry}: as written {number(cx.hand)}, "
                f"true value {number(cx.truth)}")
    where = f"{model_text}, seeded point {cx.point}" if model_text else f"point {cx.point}"
    return f"{head} ({where}; {at}{more})"


def _shape_problem(err: Exception) -> str:
    return " ".join(str(err).split())[:160].rstrip(".")


def _build(fn, m):
    """fn(m), or the Outcome 'ill-formed' when its products do not conform."""
    try:
        return fn(m), None
    except sp.ShapeError as err:
        return None, Outcome("ill-formed", f"the products do not conform: {_shape_problem(err)}")


def _mismatch(err: FormulaMismatch, model_text: str, identity_form=False,
              own_symbols=False) -> Outcome:
    if err.counterexample is None:
        head, *rest = str(err).split("\n  ")
        text = "; ".join(" ".join(part.split()) for part in [head, *rest])
        text = text.removeprefix(f"{_NAME}: ")
        if "shape" in err.headline:
            return Outcome("ill-formed", text[:200])
        return Outcome("wrong", "not equal", text[:200])
    against = ("the other side" if own_symbols else "the model" if identity_form
               else "the derivative of the forward pass")
    return Outcome("wrong", "differs from " + against,
                   counterexample_text(err.counterexample, model_text, identity_form))


def proves(hand, wrt, model: str, *, loss=None, **prove_kw):
    """Check a gradient: ``verify.prove(hand(m), wrt, m)``.

    ``hand(m)`` builds the formula in model ``m``'s names; ``wrt`` is what
    ``prove`` takes (a name, ``("c", t)``) or a function of ``m``
    (``lambda m: m.W_f``). ``loss(m, graph)``, if given, replaces the model's
    J (a source's loss of one step, E_T, rather than the sum).
    """
    def check(models):
        m, text = models[model], models.text(model)
        h, bad = _build(hand, m)
        if bad:
            return bad
        target = wrt(m) if callable(wrt) else wrt
        kw = dict(prove_kw)
        if loss is not None:
            kw["loss"] = lambda g: loss(m, g)
        try:
            p = prove(_NAME, h, target, m, verbose=False, **kw)
        except FormulaMismatch as err:
            return _mismatch(err, text)
        how = "exact proof" if p.method == "exact" else f"sampled at {p.points} points"
        entries = f"{p.entries} entr{'y' if p.entries == 1 else 'ies'}"
        return Outcome("holds", f"{how}, {entries}; {text}")
    return check


def _definitions(m):
    g = m.build()[0]
    return dict(g.atom_defs)


def expand_atoms(expr, defs):
    """Replace every atom by its definition until none is left (f[0] → σ(a_f[0]) …).

    ``defs`` maps atoms to definitions: a graph's ``atom_defs`` (or, in a build
    with taps, its ``local_defs``), as a dict.
    """
    for _ in range(64):
        new = expr.xreplace(defs)
        if new == expr:
            return new
        expr = new
    raise RuntimeError("atom definitions do not terminate")


def written_out(expr, m):
    """``expr`` (in model ``m``'s names) with every atom replaced by its definition.

    ``written_out(m.f, m)`` is σ(W_f z + b_f) entry by entry, in the model's
    leaves only: what a source that never names the atoms writes.
    """
    return expand_atoms(sp.sympify(expr), _definitions(m))


def forward(lhs, rhs, model: str):
    """Check a forward equation: ``lhs(m) = rhs(m)`` with every atom written out.

    Both sides may use the model's atoms (``m.f``, ``m.tanh_c``), derived
    names (``m.a_f``, ``m.c``) and ``verify.Sigmoid`` / ``verify.Tanh`` of
    anything; each atom is replaced by its definition, so σ(W_f z + b_f)
    equals ``m.f`` exactly when its argument is the model's pre-activation.
    """
    def check(models):
        m, text = models[model], models.text(model)
        sides = []
        for fn in (lhs, rhs):
            side, bad = _build(fn, m)
            if bad:
                return bad
            sides.append(sp.Matrix(side) if isinstance(side, sp.MatrixBase) else side)
        defs = _definitions(m)
        left, right = (expand_atoms(sp.sympify(s), defs) for s in sides)
        try:
            identity(_NAME, left, right, verbose=False)
        except FormulaMismatch as err:
            return _mismatch(err, text, identity_form=True)
        return Outcome("holds", f"equal to the model's forward pass; {text}")
    return check


def equals(lhs, rhs, model: str | None = None):
    """Check an identity ``lhs(m) = rhs(m)`` (atoms kept as independent symbols).

    With ``model=None`` the functions take no argument: a generic identity in
    symbols of their own.
    """
    def check(models):
        m = models[model] if model else None
        text = models.text(model) if model else ""
        sides = []
        for fn in (lhs, rhs):
            side, bad = _build((lambda _m, fn=fn: fn()) if m is None else fn, m)
            if bad:
                return bad
            sides.append(side)
        try:
            identity(_NAME, sides[0], sides[1], verbose=False)
        except FormulaMismatch as err:
            return _mismatch(err, text, identity_form=True, own_symbols=m is None)
        return Outcome("holds", "identity" + (f"; {text}" if text else ""))
    return check


def engine(fn, model: str):
    """Check with any engine call: ``fn(m)`` raises ``FormulaMismatch`` when wrong.

    ``fn`` returns the evidence: a short str, or an engine result whose first
    printed line is used.
    """
    def check(models):
        m, text = models[model], models.text(model)
        try:
            res, bad = _build(fn, m)
        except FormulaMismatch as err:
            return _mismatch(err, text)
        if bad:
            return bad
        evidence = str(res).split("\n")[0].replace("✓ ", "").strip()
        return Outcome("holds", f"{evidence}; {text}")
    return check


def numeric(fn, model: str | None = None):
    """Check a statement by computation: ``fn(m)`` (or ``fn()``) returns the Outcome."""
    def check(models):
        out = fn(models[model]) if model else fn()
        if not isinstance(out, Outcome):
            raise TypeError(f"numeric check: expected an Outcome, got {type(out).__name__}")
        return out
    return check


def all_of(*checks):
    """Holds when every check holds; else the first outcome that does not.

    The evidence of a pass joins the checks' heads with "and", each model named once.
    """
    def check(models):
        outs = [c(models) for c in checks]
        for out in outs:
            if out.verdict != "holds":
                return out
        heads, tails = [], []
        for out in outs:
            head, _, tail = out.evidence.partition("; ")
            heads.append(head)
            if tail and tail not in tails:
                tails.append(tail)
        return Outcome("holds", " and ".join(heads) + ("; " + "; ".join(tails) if tails else ""))
    return check
