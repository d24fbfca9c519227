"""Matrix notation -> index notation: the generic entry of a matrix expression.

A formula written in matrix notation with symbolic sizes (``MatrixSymbol`` of
shape (H, 1), (H, H), (H, D) …, products, sums, transposes, ``HadamardProduct``,
``HadamardPower``, ``BlockMatrix``, slices and element-wise σ and tanh) is
turned into one scalar expression: its entry [p, q] at *symbolic* indices p, q.
Every matrix product becomes a ``Sum`` over a symbolic range, every block
boundary a ``Piecewise``. The rules, each an identity of matrix algebra:

    M[p, q]             stays M[p, q]          (a leaf or an atom, as ``Indexed``)
    (A + B)[p, q]     = A[p, q] + B[p, q]
    (c A)[p, q]       = c A[p, q]                          (c a scalar)
    (A B)[p, q]       = Σ_{k=0}^{n-1} A[p, k] B[k, q]      (n columns of A;
                                                             n = 1: A[p, 0] B[0, q])
                      = Σ_j Σ_{k=0}^{n_j-1} A_j[p, k] B_j[k, q]
                            when A's columns and B's rows are cut into the same
                            blocks n = n_1 + … + n_m (block multiplication)
    (Aᵀ)[p, q]        = A[q, p]
    (A ⊙ B)[p, q]     = A[p, q] B[p, q],     (A^∘n)[p, q] = A[p, q]^n
    φ(A)[p, q]        = φ(A[p, q])                         (φ element-wise: σ, tanh)
    [A; B][p, q]      = A[p, q] if p ≤ m − 1, else B[p − m, q]   (m rows of A)
    [A  B][p, q]      = A[p, q] if q ≤ n − 1, else B[p, q − n]   (n columns of A)
    A[a:, c:][p, q]   = A[a + p, c + q]
    1[p, q] = 1,   0[p, q] = 0,   I[p, q] = δ_pq,   [φ(i, j)]_{ij}[p, q] = φ(p, q)

Nothing is decided here: a ``Piecewise`` keeps its conditions, a ``Sum`` its
range. :mod:`.normal` decides them from the ranges of the indices.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

__all__ = ["lower", "entry", "IndexSum", "index_symbol", "row_blocks", "col_blocks", "SUPPORTED"]

#: The matrix expression types :func:`lower` knows (anything else is a TypeError).
SUPPORTED = ("MatrixSymbol", "MatAdd", "MatMul", "Transpose", "HadamardProduct",
             "HadamardPower", "ElementwiseApplyFunction", "BlockMatrix", "MatrixSlice",
             "FunctionMatrix", "OneMatrix", "ZeroMatrix", "Identity")


class IndexSum(sp.Sum):
    """SymPy's ``Sum``, remembering its free symbols (it is immutable).

    ``Sum.free_symbols`` walks the whole summand; differentiating a nested
    forward pass asks for it at every level, which is quadratic in the nesting
    depth. The value is the same; it is computed once per object.
    """

    @property
    def free_symbols(self):
        cached = self.__dict__.get("_free")
        if cached is None:
            cached = self.__dict__["_free"] = super().free_symbols
        return cached


def entry(M: sp.MatrixSymbol, p, q) -> sp.Indexed:
    """The entry M[p, q] of a leaf or atom, as ``Indexed`` (cheap to build and to differentiate).

    Equations
    ---------
    ∂M[p, q]/∂M[r, s] = δ_pr δ_qs   (SymPy's rule for ``Indexed``)
    """
    return sp.Indexed(sp.IndexedBase(M.name), p, q)


def index_symbol(name: str = "k") -> sp.Dummy:
    """A fresh integer index for a sum (renamed canonically later, :mod:`.normal`)."""
    return sp.Dummy(name, integer=True)


def _block_row(B: sp.BlockMatrix, i: int) -> sp.MatrixExpr:
    """Row i of the blocks of B, as one matrix expression."""
    row = [B.blocks[i, j] for j in range(B.blockshape[1])]
    return row[0] if len(row) == 1 else sp.BlockMatrix([row])


def _block_col(B: sp.BlockMatrix, j: int) -> sp.MatrixExpr:
    """Column j of the blocks of B, as one matrix expression."""
    col = [B.blocks[i, j] for i in range(B.blockshape[0])]
    return col[0] if len(col) == 1 else sp.BlockMatrix([[c] for c in col])


def _same_cuts(parts) -> bool:
    return all([n for n, _ in p] == [n for n, _ in parts[0]] for p in parts[1:])


def row_blocks(A) -> list:
    """A cut into blocks of rows: [(rows, sub-expression), …] (one block if no cut is known).

    Known cuts: a BlockMatrix's block rows; a transpose's column cuts; the first
    factor's cuts of a product; a common cut of every term of a sum, every
    factor of a Hadamard product, or the argument of an element-wise function.
    """
    if isinstance(A, sp.BlockMatrix) and A.blockshape[0] > 1:
        return [(A.rowblocksizes[i], _block_row(A, i)) for i in range(A.blockshape[0])]
    if isinstance(A, sp.Transpose):
        return [(n, sp.Transpose(sub)) for n, sub in col_blocks(A.arg)]
    if isinstance(A, sp.MatMul):
        coeff, mats = A.as_coeff_matrices()
        if mats:
            rest = mats[1:]
            return [(n, sp.MatMul(coeff, sub, *rest)) for n, sub in row_blocks(mats[0])]
    if isinstance(A, (sp.MatAdd, sp.HadamardProduct)):
        parts = [row_blocks(a) for a in A.args]
        if len(parts[0]) > 1 and _same_cuts(parts):
            return [(parts[0][j][0], A.func(*[p[j][1] for p in parts]))
                    for j in range(len(parts[0]))]
    if isinstance(A, ElementwiseApplyFunction):
        return [(n, ElementwiseApplyFunction(A.function, sub))
                for n, sub in row_blocks(A.expr)]
    return [(A.shape[0], A)]


def col_blocks(A) -> list:
    """A cut into blocks of columns: [(columns, sub-expression), …] (see :func:`row_blocks`)."""
    if isinstance(A, sp.BlockMatrix) and A.blockshape[1] > 1:
        return [(A.colblocksizes[j], _block_col(A, j)) for j in range(A.blockshape[1])]
    if isinstance(A, sp.Transpose):
        return [(n, sp.Transpose(sub)) for n, sub in row_blocks(A.arg)]
    if isinstance(A, sp.MatMul):
        coeff, mats = A.as_coeff_matrices()
        if mats:
            head = mats[:-1]
            return [(n, sp.MatMul(coeff, *head, sub)) for n, sub in col_blocks(mats[-1])]
    if isinstance(A, (sp.MatAdd, sp.HadamardProduct)):
        parts = [col_blocks(a) for a in A.args]
        if len(parts[0]) > 1 and _same_cuts(parts):
            return [(parts[0][j][0], A.func(*[p[j][1] for p in parts]))
                    for j in range(len(parts[0]))]
    return [(A.shape[1], A)]


def _product(A, B, p, q):
    """(A B)[p, q]: one sum per common block of A's columns and B's rows."""
    ca, rb = col_blocks(A), row_blocks(B)
    if [n for n, _ in ca] != [n for n, _ in rb]:
        ca, rb = [(A.shape[1], A)], [(B.shape[0], B)]
    out = sp.S.Zero
    for (n, Aj), (_, Bj) in zip(ca, rb):
        if n == 1:                        # an outer product: the one index is 0
            out += lower(Aj, p, sp.S.Zero) * lower(Bj, sp.S.Zero, q)
            continue
        k = index_symbol()
        out += IndexSum(lower(Aj, p, k) * lower(Bj, k, q), (k, 0, n - 1))
    return out


def _block_entry(B: sp.BlockMatrix, p, q):
    """[A_00 A_01 …; A_10 …][p, q] as a Piecewise over the block boundaries."""
    rows, off = [], sp.S.Zero
    for i, n in enumerate(B.rowblocksizes):
        cols, coff = [], sp.S.Zero
        for j, m in enumerate(B.colblocksizes):
            entry = lower(B.blocks[i, j], p - off, q - coff)
            last_c = j == B.blockshape[1] - 1
            cols.append((entry, True if last_c else q <= coff + m - 1))
            coff += m
        value = cols[0][0] if len(cols) == 1 else sp.Piecewise(*cols)
        last_r = i == B.blockshape[0] - 1
        rows.append((value, True if last_r else p <= off + n - 1))
        off += n
    return rows[0][0] if len(rows) == 1 else sp.Piecewise(*rows)


def lower(A, p, q):
    """The entry [p, q] of the matrix expression A, in index notation.

    Parameters
    ----------
    A : sympy.MatrixExpr
        Built from the types in ``SUPPORTED`` (shapes may be symbolic: H, D, H + D …).
    p, q : sympy.Expr
        Row and column index (integers or symbolic, e.g. a Symbol ``r`` or ``H + r``).

    Returns
    -------
    sympy.Expr
        A scalar in entries (``Indexed``) of the leaves and atoms, ``Sum``, ``Piecewise``,
        ``KroneckerDelta`` and the element-wise functions.

    Raises
    ------
    TypeError
        A node of another type, naming it and the supported ones.

    Equations
    ---------
    (A B)[p, q] = Σ_k A[p, k] B[k, q],   (Aᵀ)[p, q] = A[q, p],
    (A ⊙ B)[p, q] = A[p, q] B[p, q],     φ(A)[p, q] = φ(A[p, q])   (module docstring)
    """
    if not isinstance(A, sp.MatrixExpr):
        if isinstance(A, sp.Expr):
            return A                      # a scalar factor
        raise TypeError(f"A: expected a sympy matrix expression, got {type(A).__name__}")
    if isinstance(A, sp.MatrixSymbol):
        return entry(A, p, q)
    if isinstance(A, sp.MatAdd):
        return sp.Add(*[lower(a, p, q) for a in A.args])
    if isinstance(A, sp.MatMul):
        coeff, mats = A.as_coeff_matrices()
        if not mats:
            return coeff
        if len(mats) == 1:
            return coeff * lower(mats[0], p, q)
        return coeff * _product(mats[0], sp.MatMul(*mats[1:]) if len(mats) > 2 else mats[1],
                                p, q)
    if isinstance(A, sp.Transpose):
        return lower(A.arg, q, p)
    if isinstance(A, sp.HadamardProduct):
        return sp.Mul(*[lower(a, p, q) for a in A.args])
    if isinstance(A, sp.HadamardPower):
        return lower(A.base, p, q) ** A.exp
    if isinstance(A, ElementwiseApplyFunction):
        return A.function(lower(A.expr, p, q))
    if isinstance(A, sp.BlockMatrix):
        return _block_entry(A, p, q)
    if isinstance(A, sp.MatrixSlice):
        (r0, _, rs), (c0, _, cs) = A.rowslice, A.colslice
        return lower(A.parent, r0 + rs * p, c0 + cs * q)
    if isinstance(A, sp.FunctionMatrix):
        return A.lamda(p, q)
    if isinstance(A, sp.OneMatrix):
        return sp.S.One
    if isinstance(A, sp.ZeroMatrix):
        return sp.S.Zero
    if isinstance(A, sp.Identity):
        return sp.KroneckerDelta(p, q)
    raise TypeError(f"A: cannot lower a {type(A).__name__} to index notation; "
                    f"expected one of {', '.join(SUPPORTED)}")
