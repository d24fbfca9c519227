"""``prove_for_all_sizes``: a hand formula equals SymPy's derivative for every H, D ≥ 1.

:func:`.prove.prove` decides a formula at fixed sizes (H = 2, D = 3), where
some wrong formulas are right by accident: at H = 1 a missing transpose is
invisible (a 1 × 1 matrix is its own transpose), at H = 2 a stray factor H/2
is 1, and a formula wrong only in row 3 of dW is right for H ≤ 3. This
prover works with the sizes as symbols (:mod:`.generic_forward`):

1. the hand formula, in matrix notation, is lowered to its entry [r, s]
   with symbolic indices (:mod:`.lower`), at each block of ``wrt`` (the fused
   W is its eight blocks W_k^h, W_k^x: entry [H + r, s] of W is W_i^h[r, s] …);
2. SymPy differentiates J, lowered the same way, with respect to that entry
   of the block (``sp.diff`` of a sum over symbolic ranges with respect to
   ``W_ih[r, s]``: the product rule gives Kronecker deltas); a site such as
   c_t gets a tap, as at fixed sizes (:mod:`.graph`);
3. both sides are written in atoms: each application σ(u), tanh(u), e^u whose
   argument is, up to renaming of bound indices, the model's a_f[e], c[e],
   v[e] … becomes the atom f[e], tanh_c[e], ŷ[e]·S …;
4. hand − SymPy is brought to the normal form of :mod:`.normal` (conditions
   decided by linear arithmetic on the index ranges, delta sums collapsed,
   bound indices renamed canonically). Zero is a proof for every size.

Every rewrite is an identity, so a zero is a proof; a rule the engine lacks
can only make a correct formula fail, never a wrong one pass. What is
trusted: SymPy's differentiation (``diff``) and delta summation
(``deltasummation``), its linear-arithmetic satisfiability test, and the
rules of :mod:`.lower` and :mod:`.normal`, listed there.

A formula that does not reduce to 0 is then tried at concrete sizes in
increasing order, with the fixed-size :func:`.prove.prove`; the first size at
which that rejects it is reported, with its numerical counterexample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product

import sympy as sp

from .generic_forward import GenericModel
from .lower import entry, lower
from .normal import Scope, normal_form
from .prove import FormulaMismatch, prove
from .report import Printed, shorten, verdict, wrap_lines
from .symbols import Sigmoid, Tanh

__all__ = ["prove_for_all_sizes", "sympy_grad_for_all_sizes", "GenericProof", "MAX_TRIED",
           "ROW", "COL"]

#: the generic entry [r, s] of a block of wrt (free indices of every derivative)
ROW, COL = R, S_IDX = sp.Symbol("r", integer=True), sp.Symbol("s", integer=True)
IOTA = sp.Symbol("ι", integer=True)
MAX_TRIED = 6          # counterexample search: sizes with H + D (+ V − 1) ≤ this
_RESIDUAL_CHARS = 150


@dataclass(frozen=True)
class GenericProof(Printed):
    """Outcome of one :func:`prove_for_all_sizes` call (only successful ones are returned).

    ``str(proof)`` is the verdict, e.g.
    ``✓ proved for all H, D ≥ 1  ∂J/∂c_t  (index notation: hand − SymPy = 0 at entry [r])``.
    """

    name: str
    sizes: str
    blocks: int
    entry: str
    given: str = ""
    seconds: float = field(default=0.0, compare=False)
    printed_in: int | None = field(default=None, repr=False, compare=False)

    def __str__(self):
        where = (f"at entry {self.entry}" if self.blocks == 1
                 else f"at entry {self.entry} of each of its {self.blocks} blocks")
        details = f"index notation: hand − SymPy = 0 {where}" + self.given
        return verdict(f"✓ proved for all {self.sizes}  {self.name}", details)


def _size_text(model) -> str:
    return ", ".join(str(s) for s in model.sizes) + " ≥ 1"


# ----------------------------------------------------------------- wrt -> blocks
def _blocks_of(model: GenericModel, wrt):
    """(label, ((leaf, row offset, col offset), …), shape, taps) of ``wrt``."""
    if isinstance(wrt, (str, tuple)):
        if wrt not in model.sites:
            raise ValueError(f"wrt: expected a site of the model, one of {model.sites}, "
                             f"or one of its parameter or input matrices, got {wrt!r}")
        parts = model.build({wrt})[2][wrt]
        shape = (sum((b.shape[0] for b, _ in parts), sp.S.Zero), 1)
        label = wrt if isinstance(wrt, str) else f"{wrt[0]}_{wrt[1] + 1}"
        return label, tuple((b, off, 0) for b, off in parts), shape, frozenset({wrt})
    if not isinstance(wrt, sp.MatrixExpr):
        raise TypeError(f"wrt: expected a site name or a matrix of the model, "
                        f"got {type(wrt).__name__}")
    names = [n for n, v in model.ns.items() if not isinstance(v, list) and v == wrt]
    names += [f"{n}[{t}]" for n, v in model.ns.items() if isinstance(v, list)
              for t, item in enumerate(v) if item == wrt]
    if isinstance(wrt, sp.MatrixSymbol) and names:
        return names[0], ((wrt, 0, 0),), wrt.shape, frozenset()
    if isinstance(wrt, sp.BlockMatrix) and names and all(
            isinstance(b, sp.MatrixSymbol) for b in wrt.blocks):
        parts, roff = [], sp.S.Zero
        for i, n in enumerate(wrt.rowblocksizes):
            coff = sp.S.Zero
            for j, m in enumerate(wrt.colblocksizes):
                parts.append((wrt.blocks[i, j], roff, coff))
                coff += m
            roff += n
        return names[0], tuple(parts), wrt.shape, frozenset()
    raise ValueError(f"wrt: expected a leaf of the model or a block matrix of its leaves "
                     f"(model.W, model.W_f, model.x …), got {wrt}")


# ------------------------------------------------------------------- atoms
def _anchor(arg):
    """A leaf or atom entry of ``arg`` at row ι outside every sum: where to read e."""
    found = [m for m in _top_entries(arg) if m.indices[0] == IOTA]
    return sorted(found, key=str)[0].base


def _top_entries(e):
    """Entries (``Indexed``) of ``e`` that are not inside a Sum."""
    if isinstance(e, sp.Indexed):
        return [e]
    if isinstance(e, sp.Sum):
        return []
    return [m for a in e.args for m in _top_entries(a)]


@lru_cache(maxsize=32)
def _prepared(key):
    """The model's templates lowered at row ι with their anchors, and its atomize memo."""
    out = []
    for fn, arg, value in _MODELS[key].build()[0]:
        targ = lower(arg, IOTA, 0)
        out.append((fn, targ, value, _anchor(targ)))
    return tuple(out), {}


def atomize(e, prepared, memo=None):
    """Replace σ(u), tanh(u), e^u by the atom whose argument u is (bound indices renamed)."""
    memo = {} if memo is None else memo
    if e in memo:
        return memo[e]
    out = e
    if e.args and not isinstance(e, sp.Indexed):
        args = [atomize(a, prepared, memo) for a in e.args]
        if any(a is not b for a, b in zip(args, e.args)):
            out = e.func(*args)
    if isinstance(out, (Sigmoid, Tanh, sp.exp)):
        arg = out.args[0]
        for fn, targ, value, anchor in prepared:
            if out.func is not fn:
                continue
            for m in {m for m in _top_entries(arg) if m.base == anchor}:
                if normal_form(arg - targ.xreplace({IOTA: m.indices[0]})) == 0:
                    out = value(m.indices[0])
                    break
            else:
                continue
            break
    memo[e] = out
    return out


# ------------------------------------------------------------- SymPy's side
@lru_cache(maxsize=512)
def _block_derivative(key, leaf, taps):
    """SymPy's ∂J/∂leaf[r, s] in atoms, and the ranges of r, s (one block of a wrt)."""
    _, J, tapped = _MODELS[key].build(taps)
    prepared, memo = _prepared(key)
    taus = {sp.IndexedBase(b.name) for ps in tapped.values() for b, _ in ps}
    s = S_IDX if leaf.shape[1] != 1 else sp.S.Zero
    d = J.diff(entry(leaf, R, s))
    d = d.replace(lambda e: isinstance(e, sp.Indexed) and e.base in taus,
                  lambda e: sp.S.Zero)                      # the taps back to 0
    scope = Scope({R: (sp.S.Zero, leaf.shape[0] - 1)})
    if s != 0:
        scope[S_IDX] = (sp.S.Zero, leaf.shape[1] - 1)
    return atomize(d, prepared, memo), scope


_MODELS: dict = {}


def sympy_grad_for_all_sizes(model: GenericModel, wrt) -> tuple:
    """SymPy's ∂J/∂(wrt) at the generic entry of each block of ``wrt``, in atoms.

    Parameters
    ----------
    model : GenericModel
    wrt : str, (str, int) or sympy.MatrixExpr
        As in :func:`prove_for_all_sizes`.

    Returns
    -------
    tuple of (MatrixSymbol, row offset, column offset, sympy.Expr)
        Per block X of ``wrt`` (a leaf, or a tap τ at a site): its offsets in
        ``wrt`` and ∂J/∂X[r, s] in index notation with the free indices ``ROW``
        (r) and ``COL`` (s; 0 for a column), valid for every H, D.

    Equations
    ---------
    ∂J/∂X[r, s] = sp.diff(J lowered to index notation, X[r, s]), then atoms
    """
    if not isinstance(model, GenericModel):
        raise TypeError(f"model: expected a GenericModel, got {type(model).__name__}")
    _, parts, _, taps = _blocks_of(model, wrt)
    key = (model.T, model.config, model.head)
    _MODELS[key] = model
    return tuple((leaf, roff, coff, _block_derivative(key, leaf, taps)[0])
                 for leaf, roff, coff in parts)


def _entry_text(leaf, roff, coff, column):
    r = "r" if roff == 0 else f"{roff} + r"
    s = "s" if coff == 0 else f"{coff} + s"
    return f"[{r}]" if not column else f"[{r}, {s}]"


# ------------------------------------------------------------ counterexamples
def _sizes_in_order(model):
    names = model.sizes
    lows = [1, 1, 2][:len(names)]
    grid = product(*[range(lo, MAX_TRIED + 1) for lo in lows])
    ok = [g for g in grid if sum(g) - (len(g) == 3) <= MAX_TRIED]
    return [dict(zip(names, g)) for g in sorted(ok, key=lambda g: (sum(g), g))]


def _smallest_failure(name, hand, wrt, model):
    """(sizes, the fixed-size FormulaMismatch) at the first size that rejects the formula."""
    for sizes in _sizes_in_order(model):
        at = {str(k): v for k, v in sizes.items()}
        fixed_model, hand_n = model.at_size(hand, **at)
        wrt_n = wrt if isinstance(wrt, (str, tuple)) else model.at_size(wrt, **at)[1]
        try:
            prove(name, hand_n, wrt_n, fixed_model, verbose=False)
        except FormulaMismatch as err:
            return sizes, err
    return None, None


def _check_hand(hand, shape, name, label):
    if not isinstance(hand, sp.MatrixExpr):
        raise TypeError(f"hand: expected a sympy matrix expression in the generic model's "
                        f"symbols (MatrixSymbol, HadamardProduct …), got {type(hand).__name__}")
    if any(sp.expand(a - b) != 0 for a, b in zip(hand.shape, shape)):
        err = FormulaMismatch.of(
            f"{name}: hand formula has shape {hand.shape}, but ∂J/∂{label} has the shape "
            f"of {label}, {shape} (gradient layout)")
        err.sizes = None
        raise err


def prove_for_all_sizes(name: str, hand, wrt, model: GenericModel, *,
                        verbose: bool = True) -> GenericProof:
    """Prove that a hand formula equals SymPy's derivative of J for every size.

    Parameters
    ----------
    name : str
        The equation's name, printed and used in error messages.
    hand : sympy.MatrixExpr
        The formula in matrix notation, in the generic model's leaves and atoms
        (``model.dh_next``, ``model.o``, ``model.W`` …), with ``sp.HadamardProduct``
        for ⊙, ``sp.HadamardPower(m, 2)`` for an element-wise square,
        ``model.ones`` for a column of ones; shape (gradient layout) that of ``wrt``.
    wrt : str, (str, int) or sympy.MatrixExpr
        A site (``"c"``, ``"a_o"``, ``"z"``; a sequence's ``("c", 0)``) or a leaf
        or block matrix of leaves (``model.W``, ``model.W_f``, ``model.x``, ``model.h0``).
    model : GenericModel
        From :func:`.generic_forward.generic_cell` or ``generic_sequence``.
    verbose : bool
        Print the verdict.

    Returns
    -------
    GenericProof
        Whose verdict reads, e.g.,
        ``✓ proved for all H, D ≥ 1  ∂J/∂c_t  (index notation: hand − SymPy = 0 at entry [r])``.

    Raises
    ------
    FormulaMismatch
        hand − SymPy does not reduce to 0. The message gives the generic residual,
        the smallest size at which the fixed-size :func:`.prove.prove` rejects the
        formula (``err.sizes``) and its numerical counterexample; or, if no size
        up to H + D = ``MAX_TRIED`` rejects it, says that a rewrite rule may be
        missing. Also for a hand formula of the wrong shape.
    TypeError, ValueError
        A wrong type of ``name``, ``hand``, ``model`` or ``wrt``, or an unknown site.

    Equations
    ---------
    normal_form( hand[e(r, s)] − ∂J/∂X_blk[r, s] ) = 0 for every block X_blk of wrt,
    e(r, s) = (row offset + r, column offset + s), r, s symbolic in their ranges
    """
    t0 = time.perf_counter()
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty str, got {name!r}")
    if not isinstance(model, GenericModel):
        raise TypeError(f"model: expected a GenericModel (verify.generic_cell(), "
                        f"verify.generic_sequence()), got {type(model).__name__}")
    label, parts, shape, taps = _blocks_of(model, wrt)
    _check_hand(hand, shape, name, label)
    key = (model.T, model.config, model.head)
    _MODELS[key] = model
    prepared, memo = _prepared(key)
    dists = [model.ns[k] for k in ("y", "y_hat") if k in model.ns]
    for leaf, roff, coff in parts:
        d, scope = _block_derivative(key, leaf, taps)
        column = leaf.shape[1] != 1
        mine = atomize(lower(hand, roff + R, coff + (S_IDX if column else 0)), prepared, memo)
        rest = normal_form(mine - d, scope, dists)
        if rest != 0:
            raise _rejection(name, hand, wrt, model, label, leaf, roff, coff, column, rest)
    given = "; given Σ_k y_k = Σ_k ŷ_k = 1" if model.head else ""
    entry = "[r, s]" if any(leaf.shape[1] != 1 for leaf, _, _ in parts) else "[r]"
    res = GenericProof(name, _size_text(model), len(parts), entry, given,
                       time.perf_counter() - t0)
    return res.announce(verbose)


def _as_columns(e, model):
    """For printing: an entry x[k, 0] of a column vector as x[k]."""
    columns = {sp.IndexedBase(n) for n, leaf in model.leaves().items()
               if isinstance(leaf, sp.MatrixSymbol) and leaf.shape[1] == 1}
    return e.replace(lambda a: isinstance(a, sp.Indexed) and a.base in columns,
                     lambda a: sp.Indexed(a.base, a.indices[0]))


def _rejection(name, hand, wrt, model, label, leaf, roff, coff, column, rest):
    where = f"{label}{_entry_text(leaf, roff, coff, column)}"
    residual = shorten(str(_as_columns(rest, model)), _RESIDUAL_CHARS)
    sizes, err = _smallest_failure(name, hand, wrt, model)
    claim = "hand formula ≠ SymPy's derivative"
    lines = [f"  index notation: at entry {where}, hand − SymPy reduces to {residual}"]
    if err is None:
        lines.append(f"  no fixed size up to H + D = {MAX_TRIED} rejects it: a rewrite rule "
                     "of the generic engine may be missing (this is no counterexample)")
        out = FormulaMismatch.of(f"{name}: not reduced to 0 for all sizes", *lines)
    else:
        at = ", ".join(f"{k}={v}" for k, v in sizes.items())
        lines.append(f"  smallest failing size: {at}; there, the fixed-size proof says:")
        head = wrap_lines(f"{name}: {claim} at {at}", keep=[claim, f"at {at}"])
        body = "\n".join(wrap_lines(line) for line in lines)
        # the fixed-size evidence as prove wrapped it (lines of at most 76 columns)
        out = FormulaMismatch("\n".join([head, body] + str(err).split("\n")[1:]), head)
        out.counterexample = err.counterexample
    out.sizes = None if sizes is None else {str(k): v for k, v in sizes.items()}
    return out
