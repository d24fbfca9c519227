"""SymPy's derivative of a forward pass: ``sp.diff`` of the whole J, or node by node.

Differentiating the whole nested loss of T unrolled steps with ``sp.diff`` is
correct but slow: SymPy re-canonicalises the *entire* intermediate result after
every nested differentiation (``Derivative.__new__`` walks it with ``replace``),
so the cost grows quadratically with the depth of σ(W·[o·tanh(c); x] + b)
chains — seconds at T = 2, tens of seconds per gradient at T = 3.

Here the same derivative is computed piece by piece. Every atom A of the
forward pass (a gate f_t, i_t, o_t, g_t, tanh(c_t), a sigmoid output ŷ_t) has a
*local definition* A = fn(u) whose argument u is a small expression in earlier
atoms, leaves and taps (:attr:`Graph.local_defs`); the loss J is a small
expression in atoms and leaves. SymPy differentiates each local definition
with respect to each symbol it contains (``sp.diff`` on expressions of a
handful of terms, with σ' = σ(1 − σ) and tanh' = 1 − tanh² from
:mod:`.symbols`), and the chain rule over the DAG is applied in **forward
mode**: a tangent dA/dθ is pushed from θ through the atoms in forward order,
t = 1 … T, each atom's tangent computed once from its parents'.

:func:`whole_derivative` is the plain alternative, ``sp.diff`` of the whole
J: what :func:`.prove.prove` uses for one cell, where it is fast, and the
reference the node-by-node derivative is tested against.

This is the derivative of the forward definitions (SymPy's differentiation
rules, the multivariate chain rule over the computation graph); it does not
use any backward formula, and its structure (forward mode, one sweep per θ)
is independent of the reverse-mode BPTT sweep a chapter writes by hand.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import sympy as sp

from .graph import Graph

__all__ = ["LocalGraph", "local_graph", "loss_partials", "tangents", "node_derivative",
           "whole_derivative"]


class LocalGraph(NamedTuple):
    """The atoms of one build with SymPy's partial derivatives of their definitions.

    Attributes
    ----------
    nodes : tuple of (Symbol, dict)
        Forward order. Each atom A with {s: ∂fn(u)/∂s at τ = 0, in atoms}
        for every symbol s (atom, leaf or tap) of its local definition.
    atoms : dict
        Function application at τ = 0 (in atoms) -> atom; rewrites SymPy's
        derivatives of the local definitions into atoms.
    zero : dict
        τ -> 0 for every tap of the build.
    """

    nodes: tuple
    atoms: dict
    zero: dict


@lru_cache(maxsize=1 << 16)
def _diff(expr, s):
    """``sp.diff(expr, s)``, remembered: builds of one model with different taps
    share most local definitions (only the nodes that read a tapped quantity differ)."""
    return sp.diff(expr, s)


def _partials(expr, atoms: dict, zero: dict) -> dict:
    """SymPy's ∂expr/∂s for every free symbol s of a small local expression.

    Equations
    ---------
    ∂fn(u)/∂s = fn'(u) · ∂u/∂s,  then τ = 0 and fn(u) -> its atom
    """
    out = {}
    for s in expr.free_symbols:
        d = _diff(expr, s).xreplace(zero).xreplace(atoms)
        if d != 0:
            out[s] = d
    return out


def local_graph(g: Graph) -> LocalGraph:
    """Differentiate every local definition of the build ``g`` (once per node).

    Parameters
    ----------
    g : Graph
        A finished build (:func:`.forward.symbolic_sequence` or a cell).

    Returns
    -------
    LocalGraph

    Equations
    ---------
    A = fn(u):  ∂A/∂s = fn'(u) ∂u/∂s   for s ∈ free(u)  (atoms, leaves, taps)
    """
    zero = g.zero()
    # fn(u) at τ = 0, written in atoms, is the atom itself
    atoms = dict(g.atom_of)
    atoms.update({d.xreplace(zero): a for a, d in g.local_defs})
    nodes = tuple((a, _partials(d, atoms, zero)) for a, d in g.local_defs)
    return LocalGraph(nodes, atoms, zero)


def loss_partials(lg: LocalGraph, g: Graph, J) -> dict:
    """∂J/∂s for every atom, leaf and tap s the loss J contains directly.

    Parameters
    ----------
    lg : LocalGraph
        Of the build ``g``.
    g : Graph
    J : sympy.Expr
        The loss in function form (as built by :mod:`.forward`).

    Returns
    -------
    dict
        Symbol -> SymPy's partial derivative of J's local form, in atoms.
    """
    # J's own function applications (σ, tanh) become atoms; exp and log of a
    # softmax head stay functions of the atoms and SymPy differentiates them:
    # ∂ log Σ_j e^{v_j} = Σ_k e^{v_k} ∂v_k / Σ_j e^{v_j} -> (Σ_k S ŷ_k ∂v_k) / S in
    # atoms, which ``expand`` cancels to Σ_k ŷ_k ∂v_k, a polynomial
    partials = _partials(sp.sympify(J).xreplace(g.local_of), lg.atoms, lg.zero)
    return {s: sp.expand(d) for s, d in partials.items()}


def tangents(lg: LocalGraph, theta: sp.Symbol) -> dict:
    """Forward-mode tangents dA/dθ of every atom that depends on θ.

    Parameters
    ----------
    lg : LocalGraph
    theta : Symbol
        A leaf (an entry of W, b, x_t, h_0, c_0 …) or a tap τ.

    Returns
    -------
    dict
        Symbol -> total derivative d(symbol)/dθ at τ = 0, in atoms; θ itself
        maps to 1, symbols independent of θ are absent (tangent 0).

    Equations
    ---------
    dA/dθ = Σ_{s ∈ parents(A)} ∂A/∂s · ds/dθ,   dθ/dθ = 1   (forward order)
    """
    tan = {theta: sp.S.One}
    for atom, partials in lg.nodes:
        # multivariate chain rule: one term per parent that depends on θ
        terms = [p * tan[s] for s, p in partials.items() if s in tan]
        if terms:
            tan[atom] = sp.Add(*terms)
    return tan


def node_derivative(g: Graph, J, variables: sp.Matrix, lg: LocalGraph | None = None) -> sp.Matrix:
    """SymPy's ∂J/∂(variables) at τ = 0 in atoms, assembled node by node.

    Parameters
    ----------
    g : Graph
        The build J comes from.
    J : sympy.Expr
        Loss in function form.
    variables : sympy.Matrix
        Leaf or tap symbols; the result has their shape (gradient layout).
    lg : LocalGraph, optional
        ``local_graph(g)``, if already computed.

    Returns
    -------
    sympy.Matrix

    Equations
    ---------
    dJ/dθ = Σ_{s ∈ free(J)} ∂J/∂s · ds/dθ
    """
    lg = local_graph(g) if lg is None else lg
    dJ = loss_partials(lg, g, J)

    def total(theta):
        tan = tangents(lg, theta)
        return sp.Add(*[p * tan[s] for s, p in dJ.items() if s in tan])
    return variables.applyfunc(total)


def whole_derivative(g: Graph, J, variables: sp.Matrix) -> sp.Matrix:
    """SymPy's ∂J/∂(variables) by ``sp.diff`` of the whole loss, at τ = 0, in atoms.

    Parameters
    ----------
    g : Graph
        The build J comes from.
    J : sympy.Expr
        Loss in function form.
    variables : sympy.Matrix
        Leaf or tap symbols; the result has their shape (gradient layout).

    Returns
    -------
    sympy.Matrix

    Equations
    ---------
    ∂J/∂θ = sp.diff(J, θ),  then τ = 0 and every fn(u) -> its atom
    """
    zero = g.zero()
    return variables.applyfunc(lambda s: g.atomize(sp.diff(J, s).xreplace(zero)))
