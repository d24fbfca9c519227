"""The bookkeeping shared by every symbolic forward pass: taps and atoms.

A *tap* is a symbolic perturbation τ added to an intermediate quantity X of
the forward pass, X ↦ X + τ. Differentiating the loss with respect to τ and
then setting τ = 0 gives ∂J/∂X *through everything downstream of X*, which is
exactly what a backward pass calls ``dX``.

An *atom* is a symbol standing for one application of an opaque function,
e.g. ``f[0]`` for σ(a_f[0]) or ``tanh_c[1]`` for tanh(c[1]). ``atomize``
replaces applications by atoms (outermost first), turning derivatives into
polynomials in atoms and leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .symbols import Sigmoid, Tanh

__all__ = ["Graph", "dot", "odot", "ones", "square", "replace_dag"]


@dataclass
class Graph:
    """Mutable record filled while one forward pass is built (private).

    Attributes
    ----------
    taps : frozenset
        Sites that receive a tap in this build.
    tap_symbols : dict
        Site -> Matrix of τ symbols (same shape as the tapped quantity).
    atom_of : dict
        Function application (taps set to 0) -> atom expression.
    atom_defs : list of (Symbol, Expr)
        Each atom with its definition in earlier atoms and leaves, in
        forward order; used to evaluate atoms numerically.
    local_of : dict
        Function application *with its taps* -> atom (equal to the
        applications of ``atom_of`` in an untapped build).
    local_defs : list of (Symbol, Expr)
        Each atom with its *local definition* fn(u): u is its argument in
        earlier atoms, leaves and taps, in forward order. Differentiating
        these one by one and chaining them is :mod:`.chain`'s derivative.
    untapped_of, atomized_of : dict
        Remembered results of :meth:`untapped` and :meth:`atomize` (each
        distinct subexpression once; :func:`replace_dag`).
    """

    taps: frozenset = frozenset()
    tap_symbols: dict = field(default_factory=dict)
    atom_of: dict = field(default_factory=dict)
    atom_defs: list = field(default_factory=list)
    local_of: dict = field(default_factory=dict)
    local_defs: list = field(default_factory=list)
    untapped_of: dict = field(default_factory=dict, repr=False)
    atomized_of: dict = field(default_factory=dict, repr=False)

    def zero(self) -> dict:
        """The substitution τ -> 0 for every tap made so far."""
        return {s: sp.S.Zero for m in self.tap_symbols.values() for s in m}

    def untapped(self, expr):
        """``expr`` with every tap τ set to 0, i.e. ``expr.xreplace(self.zero())``.

        An unrolled forward pass in function form is a DAG whose tree form is
        exponentially large; ``xreplace`` walks the tree, this walks each
        distinct subexpression once (remembered in ``untapped_of`` for the
        whole build: a τ, once made, is always set to 0).
        """
        if not self.tap_symbols:
            return expr
        return replace_dag(expr, self.zero(), self.untapped_of)

    def tap(self, site, value: sp.Matrix, label: str) -> sp.Matrix:
        """Return ``value + τ`` if ``site`` is tapped, else ``value``."""
        if site not in self.taps:
            return value
        tau = sp.Matrix(*value.shape, lambda r, c: sp.Symbol(
            f"τ_{label}[{r},{c}]" if value.shape[1] > 1 else f"τ_{label}[{r}]", real=True))
        self.tap_symbols[site] = tau
        return value + tau

    def derivative_factors(self) -> dict:
        """The activations' derivative factors, each with a stand-in symbol.

        Differentiating σ and tanh leaves the factors 1 − A and 1 − A² of
        their atoms A (:mod:`.symbols`), in SymPy's derivative and in a hand
        formula alike; :func:`.poly.unequal_entries` first compares the two
        with these sums kept whole, which spares expanding them.

        Equations
        ---------
        σ'(a) = A (1 − A) for A = σ(a),   tanh'(a) = 1 − A² for A = tanh(a)

        Returns
        -------
        dict
            ``1 − A`` (sigmoid atoms) and ``1 − A²`` (tanh atoms) -> a Dummy.
        """
        out = {}
        for atom, d in self.atom_defs:
            if isinstance(d, Sigmoid):
                out[1 - atom] = sp.Dummy(f"1-{atom}")
            elif isinstance(d, Tanh):
                out[1 - atom**2] = sp.Dummy(f"1-{atom}^2")
        return out

    def atomize(self, expr):
        """Replace every registered function application by its atom.

        As ``expr.xreplace(self.atom_of)`` (outermost first), walking each
        distinct subexpression once: a hand formula written as a backward sweep
        shares its subexpressions, and its tree form is exponentially large.
        The results are remembered (``atomized_of``) until an atom is registered.
        """
        return replace_dag(expr, self.atom_of, self.atomized_of)

    def apply(self, fn, arg: sp.Matrix, name: str) -> sp.Matrix:
        """Apply ``fn`` elementwise, registering one atom per entry.

        Parameters
        ----------
        fn : Sigmoid or Tanh
        arg : Matrix, shape (n, 1)
            Argument in function form (may contain taps).
        name : str
            Atom base name, e.g. ``"f"`` or ``"tanh_c_2"``.
        """
        out = []
        for k in range(arg.shape[0]):
            app = fn(arg[k])
            atom = sp.Symbol(f"{name}[{k}]", real=True)
            key = self.untapped(app)
            arg_atoms = self.atomize(key.args[0])
            self.atom_of[key] = atom
            # the same application written in atoms (what a hand formula uses)
            self.atom_of[fn(arg_atoms)] = atom
            self.atom_defs.append((atom, fn(arg_atoms)))
            # the local definition keeps the taps: atom = fn(u), u in atoms, leaves, τ
            self.local_defs.append((atom, fn(arg[k].xreplace(self.local_of))))
            self.local_of[app] = atom
            self.atomized_of.clear()          # atom_of changed: remembered results are stale
            out.append(app)
        return sp.Matrix(out)

    def softmax_exp(self, v: sp.Matrix, label: str):
        """Register exp(v_k) = ŷ_k · S with Σ_k ŷ_k = 1 built in.

        Equations
        ---------
        ŷ_k = e^{v_k} / S,  S = Σ_j e^{v_j},  ŷ_{V-1} = 1 − Σ_{k<V-1} ŷ_k

        The sum Σ_j e^{v_j} itself is the atom S, so that the derivative of
        log Σ_j e^{v_j}, Σ_k e^{v_k} ∂v_k / Σ_j e^{v_j}, becomes Σ_k ŷ_k ∂v_k
        (a polynomial in the atoms, not a quotient).

        Returns
        -------
        y_hat : Matrix, shape (V, 1)
            ŷ in atoms, last entry eliminated by the constraint.
        """
        n = v.shape[0]
        free = [sp.Symbol(f"y_hat{label}[{k}]", real=True) for k in range(n - 1)]
        y_hat = free + [1 - sum(free)]
        S = sp.Symbol(f"S{label}", positive=True)
        v_fn = [self.untapped(v[k]) for k in range(n)]
        exps = [sp.exp(self.atomize(vk)) for vk in v_fn]
        self.atom_defs.append((S, sum(exps)))
        for k in range(n - 1):
            self.atom_defs.append((free[k], exps[k] / S))
        for k in range(n):
            self.atom_of[sp.exp(v_fn[k])] = y_hat[k] * S
            self.atom_of[exps[k]] = y_hat[k] * S
        # Σ_j e^{v_j} -> S, in function form and in atoms (xreplace matches it before its terms)
        self.atom_of[sum((sp.exp(vk) for vk in v_fn), sp.S.Zero)] = S
        self.atom_of[sum(exps, sp.S.Zero)] = S
        self.atomized_of.clear()              # atom_of changed: remembered results are stale
        return sp.Matrix(y_hat)


def replace_dag(expr, rule: dict, memo: dict):
    """``expr.xreplace(rule)``, visiting each distinct subexpression once.

    Parameters
    ----------
    expr : sympy.Basic
    rule : dict
        Subexpression -> replacement, matched outermost first (as ``xreplace``).
    memo : dict
        Subexpression -> its result under ``rule``; filled, and reused by
        later calls with the same rule.

    Returns
    -------
    sympy.Basic
        (A Matrix for a Matrix ``expr``, replaced entrywise.)
    """
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: replace_dag(e, rule, memo))

    def walk(e):
        hit = memo.get(e)
        if hit is not None:
            return hit
        r = rule.get(e)
        if r is None:
            if e.args:
                args = [walk(a) for a in e.args]
                changed = any(a is not b for a, b in zip(args, e.args))
                r = e.func(*args) if changed else e
            else:
                r = e
        memo[e] = r
        return r
    return walk(expr)


def dot(u: sp.Matrix, w: sp.Matrix):
    """Σ_k u_k w_k for two column vectors."""
    return sum((u[k] * w[k] for k in range(u.shape[0])), sp.S.Zero)


def odot(*ms):
    """Elementwise (Hadamard) product u ⊙ w ⊙ … of equally shaped matrices.

    Parameters
    ----------
    *ms : sympy.Matrix or sympy.MatrixExpr
        Two or more matrices of one shape: explicit matrices (a fixed-size
        model), or matrix expressions with symbolic sizes (a generic model of
        :mod:`lstm_ref.verify.generic_forward`).

    Returns
    -------
    sympy.Matrix, or sympy.HadamardProduct when any factor is a matrix expression
        Same shape.
    """
    if len(ms) < 2:
        raise TypeError(f"odot: expected at least 2 matrices, got {len(ms)}")
    for m in ms[1:]:
        if m.shape != ms[0].shape:
            raise ValueError(f"odot: expected shape {ms[0].shape}, got {m.shape}")
    if not all(isinstance(m, sp.MatrixBase) for m in ms):
        return sp.HadamardProduct(*ms)  # symbolic sizes: kept as a product of expressions
    out = ms[0]
    for m in ms[1:]:
        out = out.multiply_elementwise(m)
    return out


def ones(n: int) -> sp.Matrix:
    """Column vector of ones, shape (n, 1)."""
    return sp.ones(n, 1)


def square(m):
    """Elementwise square m ⊙ m (a ``HadamardPower`` for a matrix expression)."""
    if not isinstance(m, sp.MatrixBase):
        return sp.HadamardPower(m, 2)
    return m.applyfunc(lambda e: e**2)


