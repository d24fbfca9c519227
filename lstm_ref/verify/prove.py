"""Decide whether a hand-derived gradient equals SymPy's derivative.

For a loss J built by :mod:`.forward` and a quantity X (a leaf such as W, or an
intermediate such as c_t reached through a tap), SymPy differentiates the
forward pass, ∂J/∂X, and both it and the hand formula are rewritten in atoms.
Then either

* **exact**: every entry of (hand − SymPy) expands to the zero polynomial in
  the atoms and leaves — a proof, since the atoms are treated as independent;
* **sampled**: both sides are evaluated at N seeded random forward points with
  50-digit arithmetic and must agree to 1e-40 — strong evidence, not a proof,
  used only where exact expansion is too slow (long unrolled sequences).

The result says which one was done. Disagreement raises :class:`FormulaMismatch`
with a concrete counterexample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from .forward import SymbolicCell, SymbolicSequence
from .symbols import ELEMENTARY, Tanh, sigma

__all__ = ["prove", "sympy_grad", "Proof", "FormulaMismatch", "MODES", "DIGITS", "TOL",
           "EXACT_MAX_T"]

MODES = ("auto", "exact", "sampled")
DIGITS = 50          # working precision of the sampled check
TOL = 1e-40          # sampled check: max |hand − SymPy| allowed
EXACT_MAX_T = 2      # auto mode expands sequences exactly up to this many steps


class FormulaMismatch(AssertionError):
    """A hand formula disagrees with SymPy's derivative of the forward pass."""


@dataclass(frozen=True)
class Proof:
    """Outcome of one :func:`prove` call (only successful ones are returned).

    Attributes
    ----------
    name : str
        The equation's name as given by the chapter.
    method : {"exact", "sampled"}
    entries : int
        Number of scalar entries compared.
    points : int
        Sample points (0 for an exact proof).
    digits : int
        Working precision of the sampled check (0 for exact).
    maxdiff : float
        Largest |hand − SymPy| seen (0.0 for exact).
    reason : str
        Why sampling was used ("" for exact).
    seconds : float
        Wall time (not printed, so notebook output is deterministic).
    """

    name: str
    method: str
    entries: int
    points: int
    digits: int
    maxdiff: float
    reason: str
    seconds: float

    def __str__(self):
        if self.method == "exact":
            return (f"✓ proved  {self.name}  (exact: hand − SymPy expands to 0 "
                    f"in all {self.entries} entries)")
        return (f"✓ agrees  {self.name}  (sampled, not a proof: {self.points} points, "
                f"{self.digits} digits, maxdiff={self.maxdiff:.1e}; {self.reason})")


# ----------------------------------------------------------------------------- wrt

def _as_matrix(value, what):
    if isinstance(value, sp.MatrixBase):
        return sp.Matrix(value)
    if isinstance(value, sp.Expr) or isinstance(value, (int, float)):
        return sp.Matrix([[sp.sympify(value)]])
    if isinstance(value, (list, tuple)):
        return sp.Matrix(value)
    raise TypeError(f"{what}: expected a sympy Matrix or expression, got {type(value).__name__}")


def _leaf_symbols(model):
    out = set()
    for v in model.ns.values():
        for m in (v if isinstance(v, list) else [v]):
            if isinstance(m, sp.MatrixBase):
                out.update(e for e in m if isinstance(e, sp.Symbol))
    return out


def _resolve(model, wrt):
    """Return ("leaf", Matrix) or ("site", key) for ``wrt``."""
    if isinstance(wrt, str):
        if isinstance(model, SymbolicSequence):
            raise TypeError(f"wrt: a sequence needs (site, t), e.g. ('c', 0); got {wrt!r}")
        if wrt not in model.sites:
            raise ValueError(f"wrt: expected one of {model.sites} or a Matrix of leaves, got {wrt!r}")
        return "site", wrt
    if isinstance(wrt, tuple) and len(wrt) == 2 and isinstance(wrt[0], str):
        if not isinstance(model, SymbolicSequence):
            raise TypeError(f"wrt: (site, t) addresses a sequence step; for a cell use the "
                            f"site name, got {wrt!r}")
        name, t = wrt
        if name not in model.sites:
            raise ValueError(f"wrt: expected a site in {model.sites}, got {name!r}")
        if not (isinstance(t, int) and 0 <= t < model.T):
            raise ValueError(f"wrt: expected a step t in [0, {model.T}), got {t!r}")
        return "site", (name, t)
    if isinstance(wrt, sp.MatrixBase):
        m = sp.Matrix(wrt)
        leaves = _leaf_symbols(model)
        if all(isinstance(e, sp.Symbol) for e in m) and all(e in leaves for e in m):
            # leaves: but atoms are symbols too; an atom Matrix is an intermediate
            for key, val in model.ns.items():
                vals = val if isinstance(val, list) else [val]
                for t, v in enumerate(vals):
                    if isinstance(v, sp.MatrixBase) and v == m and key in model.sites:
                        return "site", (key if isinstance(model, SymbolicCell) else (key, t))
            return "leaf", m
        for key, val in model.ns.items():
            if key not in model.sites:
                continue
            vals = val if isinstance(val, list) else [val]
            for t, v in enumerate(vals):
                if isinstance(v, sp.MatrixBase) and v == m:
                    return "site", (key if isinstance(model, SymbolicCell) else (key, t))
        raise ValueError("wrt: expected a Matrix of leaf symbols (e.g. cell.W) or an "
                         f"intermediate of the model (one of {model.sites}); got a "
                         f"{m.shape} Matrix matching neither")
    raise TypeError(f"wrt: expected a site name, (site, t) or a sympy Matrix, "
                    f"got {type(wrt).__name__}")


def _check_model(model):
    if not isinstance(model, (SymbolicCell, SymbolicSequence)):
        raise TypeError(f"model: expected a SymbolicCell or SymbolicSequence, "
                        f"got {type(model).__name__}")


def _derivative(model, kind, key, loss=None):
    """SymPy's ∂J/∂(wrt) in atoms, plus the graph and sampling domains."""
    if kind == "leaf":
        g, J, domains = model.build()
        J = J if loss is None else loss(g)
        return key.applyfunc(lambda s: g.atomize(sp.diff(J, s))), g, domains
    g, J, domains = model.build(frozenset([key]))
    J = J if loss is None else loss(g)
    tau = g.tap_symbols[key]
    zero = g.zero()
    d = tau.applyfunc(lambda s: g.atomize(sp.diff(J, s).xreplace(zero)))
    return d, g, domains


def sympy_grad(model, wrt):
    """SymPy's derivative ∂J/∂(wrt) of the model's forward pass, in atoms.

    Parameters
    ----------
    model : SymbolicCell or SymbolicSequence
    wrt : str, (str, int) or sympy.Matrix
        A site name (cell: ``"c"``, ``"a_f"`` …), ``(site, t)`` (sequence),
        a Matrix of leaves (``cell.W``, ``cell.W_f``, ``seq.h0`` …) or an
        intermediate Matrix of the model (``cell.c``).

    Returns
    -------
    sympy.Matrix
        Same shape as ``wrt`` (gradient layout), in atoms and leaves.
    """
    _check_model(model)
    kind, key = _resolve(model, wrt)
    return _derivative(model, kind, key)[0]


# ------------------------------------------------------------------ decision steps

_OPAQUE = (sigma, Tanh, sp.exp, sp.log)


def _has_residue(e):
    return any(e.atoms(f) for f in _OPAQUE)


def _expands_to_zero(e) -> bool:
    d = sp.expand(e)
    if d == 0:
        return True
    if d.is_polynomial() if hasattr(d, "is_polynomial") else True:
        return False
    # rational (e.g. BCE's ŷ(1−ŷ)/ŷ): decide on the numerator
    return sp.expand(sp.numer(sp.together(d))) == 0


def _fmt(x) -> str:
    return mpmath.nstr(x, 8, min_fixed=-4, max_fixed=4) if x != 0 else "0"


def _sample(g, domains, rng, free_needed):
    """Leaf values of one random forward point, then all atoms (50 digits)."""
    vals = {}
    for m, dom in domains:
        n = len(m)
        if dom == "simplex":
            draw = rng.dirichlet(np.ones(n + 1))[:n]
        elif dom == "unit":
            draw = rng.uniform(0.05, 0.95, size=n)
        else:
            draw = rng.uniform(-1.0, 1.0, size=n)
        for s, v in zip(m, draw):
            vals[s] = sp.Float(float(v), DIGITS + 10)
    for atom, d in g.atom_defs:
        vals[atom] = d.xreplace(vals).evalf(DIGITS + 10)
    missing = free_needed - set(vals)
    if missing:
        raise RuntimeError(f"internal: no value for {sorted(map(str, missing))}")
    return vals


def _evaluate(M, vals):
    return [sp.Float(e.xreplace(vals).evalf(DIGITS + 10), DIGITS + 10) for e in M]


def _counterexample(name, hand, theirs, g, domains, seed, points, header, shape):
    """Search seeded forward points for an entry where hand ≠ SymPy; format it."""
    rng = np.random.default_rng(seed)
    free = set().union(*(e.free_symbols for e in list(hand) + list(theirs)))
    for p in range(points):
        vals = _sample(g, domains, rng, free)
        hv, sv = _evaluate(hand, vals), _evaluate(theirs, vals)
        diffs = [abs(a - b) for a, b in zip(hv, sv)]
        k = int(np.argmax([float(d) for d in diffs]))
        if diffs[k] > TOL:
            r, c = divmod(k, shape[1])
            idx = f"[{r}]" if shape[1] == 1 else f"[{r},{c}]"
            used = sorted((hand[k] - theirs[k]).free_symbols | hand[k].free_symbols
                          | theirs[k].free_symbols, key=str)
            shown = ", ".join(f"{s}={_fmt(vals[s])}" for s in used[:14])
            more = f", … ({len(used) - 14} more)" if len(used) > 14 else ""
            dexpr = str(sp.expand(hand[k] - theirs[k]))
            if len(dexpr) > 160:
                dexpr = dexpr[:157] + "..."
            return (f"{name}: hand formula ≠ SymPy's derivative of the forward pass\n"
                    f"  {header}\n"
                    f"  entry {idx}: hand − SymPy = {dexpr}\n"
                    f"  counterexample (seeded forward point {p}): entry {idx}\n"
                    f"    hand  = {_fmt(hv[k])}\n"
                    f"    SymPy = {_fmt(sv[k])}\n"
                    f"    at {shown}{more}")
    return None


def prove(name: str, hand, wrt, model, *, mode: str = "auto", points: int = 3,
          seed: int = 0, loss=None, verbose: bool = True) -> Proof:
    """Prove that a hand-derived gradient equals SymPy's derivative of J.

    Parameters
    ----------
    name : str
        The equation's name, printed and used in error messages,
        e.g. ``"∂J/∂c_t (source 000)"``.
    hand : sympy.Matrix
        The chapter's formula in the vectorized form it states, written in
        the model's atoms and leaves (``cell.f``, ``cell.tanh_c``, ``cell.W``,
        ``cell.dc_next`` …). Gradient layout: same shape as ``wrt``.
    wrt : str, (str, int) or sympy.Matrix
        What J is differentiated with respect to: a leaf Matrix (``cell.W``,
        ``cell.W_f``, ``cell.x`` …), an intermediate by name (``"c"``,
        ``"a_f"``; sequence ``("c", t)``) or by value (``cell.c``).
        Intermediates are differentiated *through everything downstream*:
        a tap τ is added to X in the forward pass and ∂J/∂τ taken at τ = 0.
    model : SymbolicCell or SymbolicSequence
        Supplies the forward pass and J.
    mode : {"auto", "exact", "sampled"}
        "auto" expands exactly except for sequences longer than
        ``EXACT_MAX_T`` steps, which are sampled.
    points, seed : int
        Number of sample points and the seed of ``np.random.default_rng``
        (sampled mode, and the search for a counterexample).
    loss : callable, optional
        ``loss(graph) -> Expr`` replacing J (used by the BPTT helper).
    verbose : bool
        Print the one-line verdict.

    Returns
    -------
    Proof
        Printed as one deterministic line, e.g.
        ``✓ proved  ∂J/∂c_t  (exact: hand − SymPy expands to 0 in all 2 entries)``.

    Raises
    ------
    FormulaMismatch
        (an AssertionError) naming the equation, with a counterexample.

    Equations
    ---------
    exact:   expand(hand − ∂J/∂X) = 0 entrywise, atoms independent
    sampled: max_{points, entries} |hand − ∂J/∂X| < 1e-40 at 50 digits
    """
    t0 = time.perf_counter()
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty str, got {name!r}")
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValueError(f"points: expected an int >= 1, got {points!r}")
    _check_model(model)
    hand_m = _as_matrix(hand, "hand")
    kind, key = _resolve(model, wrt)
    theirs, g, domains = _derivative(model, kind, key, loss)
    if hand_m.shape != theirs.shape:
        hint = " (it has the transposed shape: is a W or a product transposed?)" \
            if hand_m.shape == theirs.shape[::-1] else ""
        raise FormulaMismatch(
            f"{name}: hand formula has shape {hand_m.shape} but ∂J/∂X has the shape of X, "
            f"{theirs.shape} (gradient layout){hint}")
    hand_a = hand_m.applyfunc(g.atomize)
    n = len(theirs)

    reason = ""
    method = mode
    if mode == "auto":
        method = "exact"
        if isinstance(model, SymbolicSequence) and model.T > EXACT_MAX_T:
            method = "sampled"
            reason = f"exact expansion skipped for T={model.T} > {EXACT_MAX_T} steps (too slow)"
    if method == "exact" and any(_has_residue(e) for e in list(hand_a) + list(theirs)):
        if mode == "exact":
            raise ValueError(f"mode: 'exact' impossible for {name}: a function application "
                             "is not an atom of the model")
        method, reason = "sampled", "an expression is not polynomial in the atoms"
    elif method == "sampled" and not reason:
        reason = "sampling requested"

    if method == "exact":
        bad = [k for k in range(n) if not _expands_to_zero(hand_a[k] - theirs[k])]
        if bad:
            msg = _counterexample(name, hand_a, theirs, g, domains, seed, max(points, 5),
                                  f"exact check: hand − SymPy is a nonzero polynomial in "
                                  f"{len(bad)} of {n} entries", theirs.shape)
            if msg is None:
                msg = (f"{name}: hand − SymPy is a nonzero polynomial in the atoms in {len(bad)} "
                       f"of {n} entries, yet vanished at every sampled forward point: the "
                       f"formula relies on a relation between atoms the model does not know")
            raise FormulaMismatch(msg)
        res = Proof(name, "exact", n, 0, 0, 0.0, "", time.perf_counter() - t0)
    else:
        rng = np.random.default_rng(seed)
        free = set().union(*(e.free_symbols for e in list(hand_a) + list(theirs)))
        worst = sp.Float(0)
        for p in range(points):
            vals = _sample(g, domains, rng, free)
            hv, sv = _evaluate(hand_a, vals), _evaluate(theirs, vals)
            worst = max([worst] + [abs(a - b) for a, b in zip(hv, sv)])
        if worst > TOL:
            msg = _counterexample(name, hand_a, theirs, g, domains, seed, points,
                                  f"sampled check: {points} points, {DIGITS} digits, "
                                  f"max |hand − SymPy| = {float(worst):.3e} > {TOL:.0e}",
                                  theirs.shape)
            raise FormulaMismatch(msg)
        res = Proof(name, "sampled", n, points, DIGITS, float(worst), reason,
                    time.perf_counter() - t0)
    if verbose:
        print(res)
    return res
