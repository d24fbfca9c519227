"""lstm_ref.verify: the SymPy verification engine of the course.

Every gradient the book states is proved equal to SymPy's derivative of the
symbolic forward pass (``prove``), checked three ways against lstm_ref and
finite differences (``three_way``), and compared with source 004's BPTT
double sum (``bptt_double_sum``); general matrix-calculus facts are decided
by ``identity``. (The reader-exercise checkers build on it in
:mod:`lstm_ref.exercises`.)

The symbolic models follow :class:`lstm_ref.LSTMConfig`: ``symbolic_cell(H,
D, config=LSTMConfig(peephole="full", forget_gate=False))`` is that member of
the family, with the peephole leaf ``p`` and its blocks ``p_f``, ``p_i``,
``p_o`` (diagonal) or ``P_f``, ``P_i``, ``P_o`` (full), and no ``f``, ``W_f``,
``b_f``, ``a_f`` without a forget gate. ``prove``, ``sympy_grad``,
``three_way`` (with ``dp``) and ``bptt_double_sum`` (``param="p"``) work on
every member. ``symbolic_stack(N, T, sizes, K, symbols, config=...)`` is source
001's stacked language model built from the same cells (sites ``("h", n, t)``,
``("c", n, t)`` …, ``("v", t)``); ``prove``, ``sympy_grad`` and ``three_way``
(keys ``"dW_x[0]"``, ``"dW[1]"`` …) work on it too.

Modules, in reading order, one concept each (all in ``lstm_ref/verify/``):

1. ``symbols``   ``Sigmoid``, ``Tanh``: opaque functions known only by their derivative
2. ``graph``     taps (X + τ, to reach ∂J/∂X of an intermediate) and atoms (``f[0]`` for σ(a_f[0]))
3. ``forward``   the symbolic forward passes of every LSTMConfig: a cell, T steps, heads
4. ``stack``     source 001's stacked LSTM language model: N layers, one-hot input, T steps
5. ``chain``     SymPy's derivative ∂J/∂X: ``sp.diff`` of the whole J, or node by node
6. ``poly``      the exact zero test: sparse expansion of hand − SymPy, σ', tanh' kept whole
7. ``numeric``   65-digit evaluation at seeded forward points; numerical derivatives
8. ``report``    how results print: within 88 columns, and once in Jupyter (no echoed repr)
9. ``hand``      what a hand formula may contain: atoms, leaves, ``Sigmoid`` and ``Tanh``
10. ``prove``    ``prove``: hand formula vs SymPy's derivative, a verdict or a counterexample
11. ``identity`` ``identity``: two-sided identities outside the LSTM model
12. ``agree``    ``three_way``: hand formula vs lstm_ref (core, family, stack) vs finite diff.
13. ``bptt``     ``bptt_double_sum``: source 004's double sum vs one backward sweep
14. ``lower``    matrix notation -> index notation: the entry [p, q] with symbolic sizes
15. ``normal``   a normal form of index expressions (delta sums, conditions by linear
                 arithmetic, canonical bound indices): its zero is a proof for every size
16. ``generic_forward``  ``generic_cell``, ``generic_sequence``: the forward pass with
                 symbolic H, D (V) in matrix notation, atoms and function form
17. ``generic``  ``prove_for_all_sizes``: hand formula vs SymPy's derivative for every
                 H, D ≥ 1, or the smallest size where it fails, with a counterexample

Every result prints its verdict when made (``verbose=True``) and is a small
object (``Proof``, ``IdentityProof``, ``AgreementTable``) whose ``str`` is
that verdict. Ending a Jupyter cell, it is not shown a second time: no
``Proof(name=…)`` repr, no echoed ``'✓ identity …'`` (:mod:`.report`).

Examples
--------
>>> from lstm_ref import verify as V
>>> cell = V.symbolic_cell(H=2, D=3)
>>> dc = V.odot(cell.dh_next, cell.o, cell.ones - V.square(cell.tanh_c)) + cell.dc_next
>>> proof = V.prove("∂J/∂c_t", dc, "c", cell)
✓ proved  ∂J/∂c_t  (exact: hand − SymPy expands to 0 in all 2 entries)
>>> proof.method, proof.entries
('exact', 2)
>>> V.prove("∂J/∂c_t, the cell state's total derivative (both paths, source 000)",
...         dc, cell.c, cell).method
✓ proved  ∂J/∂c_t, the cell state's total derivative (both paths, source 000)
    exact: hand − SymPy expands to 0 in all 2 entries
'exact'
"""

from lstm_ref.params import GATES

from .agree import Agreement, AgreementError, AgreementTable, three_way
from .bptt import bptt_double_sum
from .forward import HEADS, SymbolicCell, SymbolicSequence, symbolic_cell, symbolic_sequence
from .generic import GenericProof, prove_for_all_sizes, sympy_grad_for_all_sizes
from .generic_forward import GenericModel, generic_cell, generic_sequence
from .graph import dot, odot, ones, square
from .identity import IdentityProof, identity
from .numeric import DIGITS
from .prove import TOL, Counterexample, FormulaMismatch, Proof, prove, sympy_grad
from .stack import SymbolicStack, symbolic_stack
from .symbols import Sigmoid, Tanh, matrix, vector

__all__ = ["GATES", "HEADS", "SymbolicCell", "SymbolicSequence", "symbolic_cell",
           "symbolic_sequence", "SymbolicStack", "symbolic_stack", "dot", "odot", "ones",
           "square", "DIGITS", "TOL",
           "FormulaMismatch", "Counterexample", "Proof", "prove", "sympy_grad", "identity",
           "IdentityProof",
           "Sigmoid", "Tanh", "vector", "matrix", "Agreement", "AgreementError", "AgreementTable",
           "three_way", "bptt_double_sum", "GenericModel", "generic_cell", "generic_sequence",
           "GenericProof", "prove_for_all_sizes", "sympy_grad_for_all_sizes"]
