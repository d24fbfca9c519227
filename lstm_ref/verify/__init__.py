"""lstm_ref.verify: the SymPy verification engine of the course.

Every gradient the book states is proved equal to SymPy's derivative of the
symbolic forward pass (``prove``), checked three ways against lstm_ref and
finite differences (``three_way``), and reader exercises are diagnosed
(``check_*``).

Examples
--------
>>> from lstm_ref import verify as V
>>> cell = V.symbolic_cell(H=2, D=3)
>>> dc = V.odot(cell.dh_next, cell.o, cell.ones - V.square(cell.tanh_c)) + cell.dc_next
>>> V.prove("∂J/∂c_t", dc, "c", cell)            # doctest: +ELLIPSIS
✓ proved  ∂J/∂c_t  (exact: hand − SymPy expands to 0 in all 2 entries)
Proof(...)
"""

from .forward import (GATES, HEADS, SymbolicCell, SymbolicSequence, symbolic_cell,
                      symbolic_sequence)
from .graph import dot, odot, ones, square
from .prove import DIGITS, TOL, FormulaMismatch, Proof, prove, sympy_grad
from .symbols import Tanh, matrix, sigma, vector
from .identity import identity
from .agree import Agreement, AgreementError, rel_err, three_way
from .bptt import bptt_double_sum
from .exercises import (EXERCISES, MISTAKES, ExerciseFailed, Mistake, Verdict, check_cell_backward,
                        check_cell_forward, check_dW_v, check_exercise, check_mse_grad,
                        check_sequence_backward,
                        check_softmax_ce_grad)

__all__ = ["GATES", "HEADS", "SymbolicCell", "SymbolicSequence", "symbolic_cell",
           "symbolic_sequence", "dot", "odot", "ones", "square", "DIGITS", "TOL",
           "FormulaMismatch", "Proof", "prove", "sympy_grad", "identity", "Tanh", "sigma",
           "vector", "matrix",
           "Agreement", "AgreementError", "rel_err", "three_way", "bptt_double_sum",
           "EXERCISES", "MISTAKES", "ExerciseFailed", "Mistake", "Verdict",
           "check_cell_backward", "check_cell_forward", "check_dW_v", "check_exercise", "check_mse_grad",
           "check_sequence_backward", "check_softmax_ce_grad"]
