"""Decide whether a hand-derived gradient equals SymPy's derivative.

For a loss J built by :mod:`.forward` and a quantity X (a leaf such as W, or an
intermediate such as c_t reached through a tap), SymPy differentiates the
forward pass, ∂J/∂X, and both it and the hand formula are rewritten in atoms.
Then either

* **exact**: every entry of (hand − SymPy) expands to the zero polynomial in
  the atoms and leaves — a proof, since the atoms are treated as independent;
* **sampled**: both sides are evaluated at N seeded random forward points with
  50-digit arithmetic and must agree to 1e-40 — strong evidence, not a proof,
  used only where exact expansion is too slow (sequences longer than
  ``EXACT_MAX_T`` = 3 steps, stacks longer than ``EXACT_MAX_STACK_T`` = 2).

How SymPy's derivative is obtained:

* a **cell**: ``sp.diff`` of the whole loss J with respect to each variable;
* a **sequence**: the same derivative assembled node by node through the
  unrolled graph (:mod:`.chain`): SymPy differentiates every atom's local
  definition (f_t = σ(a_f,t), tanh(c_t), …) with respect to its parents and
  the chain rule is applied in forward mode, t = 1 … T. ``sp.diff`` of the
  whole nested J gives the same polynomial (tested at T = 2) but costs tens of
  seconds per gradient at T = 3: SymPy re-canonicalises the entire result
  after every nested differentiation. The verdict line says when this path
  was used;
* a **stack** (:mod:`.stack`): node by node likewise, through every layer
  and step.

For a stack, an entry whose two sides already differ at a seeded forward
point is a nonzero polynomial without expanding it (a wrong formula there
expands to far more terms than memory holds); only the other entries are
expanded.

The expansion itself is exact sparse polynomial arithmetic (:mod:`.poly`; the
canonical form ``sp.expand`` computes, much faster on the ~10⁵ monomials of a
T = 3 gradient), with ``sp.expand``/``together`` for rational expressions. It
first keeps the activations' derivative factors 1 − σ and 1 − tanh² whole
(:meth:`.graph.Graph.derivative_factors`), which spares expanding them; an
entry that does not match that way is expanded fully.

The result says which one was done. Disagreement raises :class:`FormulaMismatch`
with a concrete counterexample. Verdicts fit in 88 columns and messages in 76
(:mod:`.report`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from .chain import LocalGraph, local_graph, node_derivative, whole_derivative
from .forward import SymbolicCell, SymbolicSequence
from .hand import hand_matrix
from .numeric import DIGITS, PREC, evaluator, forward_point, numeric_derivative
from .poly import NotPolynomial, TooLarge, expand_sparse, unequal_entries
from .report import MESSAGE_WIDTH, Printed, shorten, verdict, wrap_lines
from .stack import SymbolicStack
from .symbols import Sigmoid, Tanh

__all__ = ["prove", "sympy_grad", "Proof", "FormulaMismatch", "Counterexample", "MODES", "TOL",
           "EXACT_MAX_T", "EXACT_MAX_STACK_T"]

MODES = ("auto", "exact", "sampled")
TOL = 1e-40          # sampled check: max |hand − SymPy| allowed
EXACT_MAX_T = 3      # auto mode proves sequences exactly up to this many steps
EXACT_MAX_STACK_T = 2  # … and stacks (of any number of layers) up to this many steps
NODE_BY_NODE = "SymPy's derivative assembled node by node through the unrolled graph"
NODE_BY_NODE_STACK = "SymPy's derivative assembled node by node through the unrolled stack"


@dataclass(frozen=True)
class Counterexample:
    """The numbers behind a rejection: one entry where the two sides differ.

    ``entry`` is ``"[r]"`` or ``"[r,c]"``; ``hand`` and ``truth`` are the two
    sides there (for :func:`prove` the hand formula and SymPy's derivative, for
    :func:`.identity.identity` lhs − rhs and 0); ``at`` maps each symbol the
    entry uses to its value at the seeded point (``point`` of ``seed``).
    """

    entry: str
    hand: float
    truth: float
    at: tuple[tuple[str, float], ...]
    point: int = 0
    seed: int = 0


class FormulaMismatch(AssertionError):
    """A hand formula disagrees with SymPy's derivative of the forward pass.

    Its text is wrapped to 76 columns (:mod:`.report`). ``headline`` is its
    first statement, ``"<name>: hand formula ≠ SymPy's derivative"`` (wrapped
    like the text), for a chapter that shows only that part; ``str(err)``
    adds the evidence (entry, counterexample) on indented lines.
    """

    def __init__(self, message: str, headline: str | None = None):
        super().__init__(message)
        self.headline = message.split("\n")[0] if headline is None else headline
        #: the numbers of the counterexample, when one was found (:class:`Counterexample`)
        self.counterexample: Counterexample | None = None

    @classmethod
    def of(cls, headline: str, *details: str, keep=()) -> FormulaMismatch:
        """The mismatch ``headline`` with ``details`` (lines starting with 2 spaces), wrapped.

        ``keep``: phrases of the headline not to break (the claim after the name).
        """
        head = wrap_lines(headline, MESSAGE_WIDTH, keep=keep)
        return cls("\n".join([head, *(wrap_lines(d, MESSAGE_WIDTH) for d in details)]), head)


@dataclass(frozen=True)
class Proof(Printed):
    """Outcome of one :func:`prove` call (only successful ones are returned).

    ``str(proof)`` is the verdict line (wrapped onto lines indented by 4
    spaces beyond 88 columns). In Jupyter, a proof displayed in the cell that
    printed it shows nothing, so a ``prove(...)`` call ending a cell shows its
    verdict once and no repr; elsewhere it shows the verdict
    (:class:`.report.Printed`). ``repr(proof)`` lists the fields.

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
    how : str
        How SymPy's derivative was obtained, when not by ``sp.diff`` of the
        whole loss ("" for a cell); printed after an exact verdict.
    printed_in : int or None
        The Jupyter cell in which the verdict was printed (None: not printed
        or not in Jupyter); not part of the repr or of equality.
    """

    name: str
    method: str
    entries: int
    points: int
    digits: int
    maxdiff: float
    reason: str
    seconds: float
    how: str = field(default="", repr=False)
    printed_in: int | None = field(default=None, repr=False, compare=False)

    def __str__(self):
        if self.method == "exact":
            how = f"; {self.how}" if self.how else ""
            return verdict(f"✓ proved  {self.name}",
                           f"exact: hand − SymPy expands to 0 in all {self.entries} entries{how}")
        return verdict(f"✓ agrees  {self.name}",
                       f"sampled, not a proof: {self.points} point{'s' * (self.points != 1)}, "
                       f"{self.digits} digits, "
                       f"maxdiff={self.maxdiff:.1e}; {self.reason}")


# ----------------------------------------------------------------------------- wrt

def _leaf_symbols(model):
    """The independent symbols of the model (inputs, parameters, upstream, targets)."""
    return {e for m, _ in model.build()[2] for e in m}


def _resolve_stack(model, wrt):
    """Return ("leaf", Matrix) or ("site", key) for ``wrt`` of a stack."""
    if isinstance(wrt, tuple) and wrt and isinstance(wrt[0], str):
        name = wrt[0]
        if name not in model.sites:
            raise ValueError(f"wrt: expected a site in {model.sites}, got {name!r}")
        if name == "v":
            if len(wrt) != 2:
                raise ValueError(f"wrt: the logits are addressed as ('v', t), got {wrt!r}")
        elif len(wrt) != 3:
            raise ValueError(f"wrt: a stack's site is (site, n, t), e.g. ('c', 0, 1); "
                             f"got {wrt!r}")
        if len(wrt) == 3 and not (isinstance(wrt[1], int) and 0 <= wrt[1] < model.N):
            raise ValueError(f"wrt: expected a layer n in [0, {model.N}), got {wrt[1]!r}")
        t = wrt[-1]
        if isinstance(t, bool) or not (isinstance(t, int) and 0 <= t < model.T):
            raise ValueError(f"wrt: expected a step t in [0, {model.T}), got {t!r}")
        return "site", tuple(wrt)
    if isinstance(wrt, sp.MatrixBase):
        m = sp.Matrix(wrt)
        if all(isinstance(e, sp.Symbol) for e in m) and set(m) <= _leaf_symbols(model):
            return "leaf", m
        # z^1_{t+1} = h^1_t (layer 1 has no dense input): a value means h, so z comes last
        for key in sorted(model.sites, key=lambda k: k == "z"):
            val = model.ns.get(key)
            if key == "v":
                found = [((key, t), v) for t, v in enumerate(val)]
            elif isinstance(val, list) and val and isinstance(val[0], list):
                found = [((key, n, t), v) for n, row in enumerate(val)
                         for t, v in enumerate(row)]
            else:
                continue
            for site, v in found:
                if v.shape == m.shape and v == m:
                    return "site", site
        raise ValueError("wrt: expected a Matrix of leaf symbols (e.g. stack.W[0]) or an "
                         f"intermediate of the stack (one of {model.sites}); got a "
                         f"{m.shape} Matrix matching neither")
    raise TypeError(f"wrt: expected (site, n, t), ('v', t) or a sympy Matrix, "
                    f"got {type(wrt).__name__}")


def _resolve(model, wrt):
    """Return ("leaf", Matrix) or ("site", key) for ``wrt``."""
    if isinstance(model, SymbolicStack):
        return _resolve_stack(model, wrt)
    if isinstance(wrt, str):
        if isinstance(model, SymbolicSequence):
            raise TypeError(f"wrt: a sequence needs (site, t), e.g. ('c', 0); got {wrt!r}")
        if wrt not in model.sites:
            raise ValueError(f"wrt: expected one of {model.sites} or a Matrix of leaves, "
                             f"got {wrt!r}")
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
        if all(isinstance(e, sp.Symbol) for e in m) and set(m) <= _leaf_symbols(model):
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
    if not isinstance(model, (SymbolicCell, SymbolicSequence, SymbolicStack)):
        raise TypeError(f"model: expected a SymbolicCell, SymbolicSequence or SymbolicStack, "
                        f"got {type(model).__name__}")


def _taps(kind, key):
    return frozenset() if kind == "leaf" else frozenset([key])


def _setup(model, kind, key, loss=None):
    """The loss to differentiate and the symbols to differentiate it by.

    Returns (graph, J, variables, domains): for a leaf the variables are the
    leaf symbols; for an intermediate X they are the taps τ of X + τ.
    """
    g, J, domains = model.build(_taps(kind, key))
    J = J if loss is None else loss(g)
    variables = key if kind == "leaf" else g.tap_symbols[key]
    return g, J, variables, domains


@lru_cache(maxsize=32)
def _sequence_local_graph(key, taps) -> LocalGraph:
    """``local_graph`` of a sequence build, computed once per (model, taps)."""
    T, H, D, head, V, target, config = key
    model = SymbolicSequence(T, H, D, head, V, target, {}, sp.S.Zero, (), config)
    return local_graph(model.build(taps)[0])


@lru_cache(maxsize=32)
def _stack_local_graph(key, taps) -> LocalGraph:
    """``local_graph`` of a stack build, computed once per (model, taps)."""
    model = SymbolicStack(*key[:5], {}, sp.S.Zero, (), key[5])
    return local_graph(model.build(taps)[0])


def _model_derivative(model, g, J, variables, taps, custom_loss=False):
    """SymPy's ∂J/∂(variables) in atoms: whole-J ``sp.diff`` for a cell,
    node by node (:mod:`.chain`) for a sequence or a stack. Returns (Matrix, how)."""
    if isinstance(model, SymbolicStack):
        lg = local_graph(g) if custom_loss else _stack_local_graph(model.key, taps)
        return node_derivative(g, J, variables, lg), NODE_BY_NODE_STACK
    if not isinstance(model, SymbolicSequence):
        return whole_derivative(g, J, variables), ""
    lg = local_graph(g) if custom_loss else _sequence_local_graph(
        (model.T, model.H, model.D, model.head, model.V, model.target, model.config), taps)
    return node_derivative(g, J, variables, lg), NODE_BY_NODE


def sympy_grad(model, wrt):
    """SymPy's derivative ∂J/∂(wrt) of the model's forward pass, in atoms.

    Parameters
    ----------
    model : SymbolicCell, SymbolicSequence or SymbolicStack
    wrt : str, (str, int), (str, int, int) or sympy.Matrix
        A site name (cell: ``"c"``, ``"a_f"`` …), ``(site, t)`` (sequence),
        ``(site, n, t)`` or ``("v", t)`` (stack), a Matrix of leaves
        (``cell.W``, ``cell.W_f``, ``seq.h0``, ``stack.W_y[1]``, with
        peepholes ``cell.p``, ``cell.P_o`` …) or an intermediate Matrix of the
        model (``cell.c``).

    Returns
    -------
    sympy.Matrix
        Same shape as ``wrt`` (gradient layout), in atoms and leaves.
    """
    _check_model(model)
    kind, key = _resolve(model, wrt)
    g, J, variables, _ = _setup(model, kind, key)
    return _model_derivative(model, g, J, variables, _taps(kind, key))[0]


# ------------------------------------------------------------------ decision steps

_OPAQUE = (Sigmoid, Tanh, sp.exp, sp.log)


def _has_residue(e):
    """Does e still contain σ, tanh, exp or log (not an atom)? One visit per
    distinct subexpression: unrolled gradients share subtrees heavily."""
    seen, stack = set(), [e]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, _OPAQUE):
            return True
        stack.extend(node.args)
    return False


def _fmt(x) -> str:
    return mpmath.nstr(mpmath.mpf(x), 8, min_fixed=-4, max_fixed=4) if x != 0 else "0"


_EXPR_CHARS = 120      # hand − SymPy in a message: about two wrapped lines
_STACK_TERMS = 20000   # a stack's hand − SymPy is written out only up to this many terms


def _diff_text(e, max_terms=None):
    """hand − SymPy of one entry, expanded and cut after whole terms, for a message.

    Returns (text, its symbols, number of terms if the text was cut else None).
    """
    try:
        p = expand_sparse(e, max_terms=max_terms)
    except TooLarge:
        return f"(over {max_terms} terms, not written out)", set(), None
    except NotPolynomial:
        return shorten(str(sp.expand(e)), _EXPR_CHARS), e.free_symbols, None
    n = len(p.terms)
    # SymPy's own printing of the expansion (cells, T ≤ 2); else the leading terms
    text = shorten(str(sp.expand(e)) if n <= 2000 else f"{p.leading(3)} + …", _EXPR_CHARS)
    return text, set(p.symbols), (n if text.endswith("…") else None)


def _counterexample(name, header, hand, hand_eval, ref_eval, g, domains, seed, points,
                    shape, diff_expr=None, max_terms=None):
    """Search seeded forward points for an entry where hand ≠ reference.

    Returns the :class:`FormulaMismatch` to raise (None if every point agrees).
    """
    rng = np.random.default_rng(seed)
    for p in range(points):
        vals = forward_point(g, domains, rng)
        hv, rv = hand_eval(vals), ref_eval(vals)
        diffs = [float(abs(x - y)) for x, y in zip(hv, rv)]
        k = int(np.argmax(diffs))
        if diffs[k] > TOL:
            r, c = divmod(k, shape[1])
            idx = f"[{r}]" if shape[1] == 1 else f"[{r},{c}]"
            dexpr, dsyms, nterms = (_diff_text(diff_expr[k], max_terms)
                                    if diff_expr is not None else ("", set(), None))
            used = sorted(hand[k].free_symbols | dsyms, key=str)
            shown = ", ".join(f"{s}={_fmt(vals[s])}" for s in used[:14])
            more = f", … ({len(used) - 14} more)" if len(used) > 14 else ""
            lines = [f"  {header}"]
            if diff_expr is not None:
                size = f" ({nterms} terms)" if nterms else ""
                lines.append(f"  entry {idx}: hand − SymPy{size} = {dexpr}")
            ref_label = "SymPy" if diff_expr is not None else "∂J/∂X"
            lines += [f"  counterexample (seeded forward point {p}): entry {idx}",
                      f"    {'hand':<{len(ref_label)}} = {_fmt(hv[k])}",
                      f"    {ref_label} = {_fmt(rv[k])}",
                      f"    at {shown}{more}" if shown else "    (hand is constant)"]
            claim = "hand formula ≠ SymPy's derivative"
            err = FormulaMismatch.of(f"{name}: {claim}", *lines, keep=[claim])
            err.counterexample = Counterexample(
                idx, float(hv[k]), float(rv[k]),
                tuple((str(s), float(vals[s])) for s in used), p, seed)
            return err
    return None


def _stack_unequal_entries(hand, hand_eval, theirs, g, domains, seed, points):
    """:func:`.poly.unequal_entries` for a stack, where a wrong entry's expansion is huge.

    An entry whose hand and SymPy values differ at a seeded forward point is a
    nonzero polynomial in the atoms (it would vanish everywhere otherwise): it
    needs no expansion. Only the entries equal at every point are decided by
    expansion (for a correct formula: all of them, in the cheap first pass).
    """
    rng = np.random.default_rng(seed)
    theirs_eval, differ = evaluator(theirs), set()
    for _ in range(points):
        vals = forward_point(g, domains, rng)
        differ |= {k for k, (x, y) in enumerate(zip(hand_eval(vals), theirs_eval(vals)))
                   if abs(x - y) > TOL}
    rest = [k for k in range(len(hand)) if k not in differ]
    bad = unequal_entries([hand[k] for k in rest], [theirs[k] for k in rest],
                          g.derivative_factors())
    return sorted(differ | {rest[j] for j in bad})


def _label(kind, key, variables):
    if kind == "site":
        if isinstance(key, tuple) and len(key) == 3:
            return f"{key[0]}^n={key[1]}_t={key[2]}"
        return f"{key[0]}_t={key[1]}" if isinstance(key, tuple) else key
    name = str(variables[0]).split("[")[0]
    return name


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
        ``cell.dc_next`` …); the only functions it may apply are the engine's
        ``Sigmoid`` and ``Tanh``. Gradient layout: same shape as ``wrt``.
    wrt : str, (str, int), (str, int, int) or sympy.Matrix
        What J is differentiated with respect to: a leaf Matrix (``cell.W``,
        ``cell.W_f``, ``cell.x``, ``stack.W_x[0]`` …), an intermediate by name
        (``"c"``, ``"a_f"``; sequence ``("c", t)``; stack ``("h", n, t)``,
        ``("v", t)``) or by value (``cell.c``, ``stack.h[0][1]``).
        Intermediates are differentiated *through everything downstream*:
        a tap τ is added to X in the forward pass and ∂J/∂τ taken at τ = 0.
    model : SymbolicCell, SymbolicSequence or SymbolicStack
        Supplies the forward pass and J (any member of the LSTM family,
        ``model.config``; a stack's J is its next-symbol cross-entropy).
    mode : {"auto", "exact", "sampled"}
        "auto" is exact except for sequences longer than ``EXACT_MAX_T`` = 3
        steps and stacks longer than ``EXACT_MAX_STACK_T`` = 2 steps, whose
        expanded gradients are too large to decide in seconds; those are
        sampled. For a sequence SymPy's derivative is assembled
        node by node through the unrolled graph (module docstring), and the
        verdict says so.
    points, seed : int
        Number of sample points and the seed of ``np.random.default_rng``
        (sampled mode, and the search for a counterexample).
    loss : callable, optional
        ``loss(graph) -> Expr`` replacing J (used by the BPTT helper).
    verbose : bool
        Print the verdict.

    Returns
    -------
    Proof
        Its verdict, deterministic, printed on one line when it fits in 88
        columns, e.g.
        ``✓ proved  ∂J/∂c_t  (exact: hand − SymPy expands to 0 in all 2 entries)``,
        else with the details on lines indented by 4 spaces, e.g. for a
        sequence::

            ✓ proved  ∂J/∂W (T=3)
                exact: hand − SymPy expands to 0 in all 40 entries;
                SymPy's derivative assembled node by node through the unrolled graph

        In Jupyter a ``prove(...)`` call ending a cell shows this verdict once,
        with no repr after it (:class:`Proof`).

    Raises
    ------
    FormulaMismatch
        (an AssertionError) naming the equation, with a counterexample; its
        text is wrapped to 76 columns, ``err.headline`` is the first statement.
    TypeError
        ``hand`` applies ``sympy.tanh``, ``sympy.exp`` (a written-out
        sigmoid), an undefined ``sympy.Function('sigma')`` or any function
        other than ``Sigmoid`` and ``Tanh`` (:mod:`.hand`); the message names it.

    Equations
    ---------
    exact:   expand(hand − ∂J/∂X) = 0 entrywise, atoms independent
    sampled: max over points, entries of |hand − ∂J/∂X| < 1e-40, where
             ∂J/∂X is the derivative of the forward pass by 65-digit
             numerical differentiation (mpmath.diff)
    """
    t0 = time.perf_counter()
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty str, got {name!r}")
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    if isinstance(points, bool) or not isinstance(points, int) or points < 1:
        raise ValueError(f"points: expected an int >= 1, got {points!r}")
    _check_model(model)
    kind, key = _resolve(model, wrt)
    g, J, variables, domains = _setup(model, kind, key, loss)
    # in atoms, and applying no function but Sigmoid and Tanh (TypeError otherwise)
    hand_a = hand_matrix(hand, "hand", g.atomize)
    if hand_a.shape != variables.shape:
        hint = (["  it has the transposed shape: is a W or a product transposed?"]
                if hand_a.shape == variables.shape[::-1] else [])
        label = _label(kind, key, variables)
        raise FormulaMismatch.of(
            f"{name}: hand formula has shape {hand_a.shape}, but ∂J/∂{label} has the shape "
            f"of {label}, {variables.shape} (gradient layout)", *hint)
    n = len(variables)

    reason = ""
    method = mode
    if mode == "auto":
        method = "exact"
        if isinstance(model, SymbolicSequence) and model.T > EXACT_MAX_T:
            method = "sampled"
            reason = (f"exact differentiation skipped: the nested forward pass of T={model.T} "
                      f"> {EXACT_MAX_T} steps is too large")
        elif isinstance(model, SymbolicStack) and model.T > EXACT_MAX_STACK_T:
            method = "sampled"
            reason = (f"exact differentiation skipped: the nested forward pass of a stack of "
                      f"T={model.T} > {EXACT_MAX_STACK_T} steps is too large")
    elif mode == "sampled":
        reason = "sampling requested"
    theirs, how = None, ""
    if method == "exact":
        theirs, how = _model_derivative(model, g, J, variables, _taps(kind, key),
                                        custom_loss=loss is not None)
        if any(_has_residue(e) for e in list(hand_a) + list(theirs)):
            if mode == "exact":
                raise ValueError(f"mode: 'exact' impossible for {name}: a function application "
                                 "is not an atom of the model")
            method, reason = "sampled", "an expression is not polynomial in the atoms"

    hand_eval = evaluator(hand_a)

    if method == "exact":
        # activation derivative factors kept whole first; full expansion where needed
        if isinstance(model, SymbolicStack):
            bad = _stack_unequal_entries(hand_a, hand_eval, theirs, g, domains, seed, points)
        else:
            bad = unequal_entries(hand_a, theirs, g.derivative_factors())
        if bad:
            diff = hand_a - theirs
            err = _counterexample(name, f"exact check: hand − SymPy is a nonzero polynomial in "
                                  f"{len(bad)} of {n} entries", hand_a, hand_eval,
                                  evaluator(theirs), g, domains, seed,
                                  max(points, 5), variables.shape, diff,
                                  _STACK_TERMS if isinstance(model, SymbolicStack) else None)
            if err is None:
                err = FormulaMismatch.of(
                    f"{name}: hand − SymPy is a nonzero polynomial in the atoms in {len(bad)} "
                    f"of {n} entries, yet vanished at every sampled forward point: the "
                    f"formula relies on a relation between atoms the model does not know")
            raise err
        res = Proof(name, "exact", n, 0, 0, 0.0, "", time.perf_counter() - t0, how)
    else:
        ref_eval = numeric_derivative(J, sp.ImmutableMatrix(variables))
        rng = np.random.default_rng(seed)
        worst = 0.0
        for _ in range(points):
            vals = forward_point(g, domains, rng)
            worst = max([worst] + [float(abs(x - y)) for x, y in
                                   zip(hand_eval(vals), ref_eval(vals))])
        if worst > TOL:
            header = (f"sampled check: {points} points, {DIGITS} digits, "
                      f"max |hand − ∂J/∂X| = {worst:.3e} > {TOL:.0e} (∂J/∂X of the forward "
                      f"pass, {PREC}-digit numerical derivative)")
            raise _counterexample(name, header, hand_a, hand_eval, ref_eval, g, domains, seed,
                                  points, variables.shape)
        res = Proof(name, "sampled", n, points, DIGITS, worst, reason, time.perf_counter() - t0)
    return res.announce(verbose)
