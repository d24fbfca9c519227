"""Three-way agreement: hand formula, lstm_ref's NumPy code, finite differences.

For each gradient of the cell (dx, dh_prev, dc_prev, dW, db, and dp with
peepholes), of the sequence (dx, dh0, dc0, dW, db, dp) or of the stacked
language model (``dW_x[n]``, ``dW[n]``, ``db[n]``, ``dp[n]``, ``dW_y[n]``,
``db_y``, ``dh0[n]``, ``dc0[n]``):

1. hand == SymPy's derivative of the symbolic forward pass (:func:`prove`);
2. the hand formula evaluated at numbers == lstm_ref's backward on the same
   numbers (float64, B examples as rows; parameter gradients summed over B);
3. lstm_ref's backward == central finite differences of lstm_ref's forward.

lstm_ref's side is the core pair (``lstm_step_forward``/``_backward``,
``lstm_forward``/``lstm_backward``) for the core cell ``LSTMConfig()`` and the
family pair (``family_step_forward``/``_backward``, ``family_forward``/
``family_backward``) with the model's config for every other member; for a
stack it is ``lstm_ref.stack_loss`` (forward, softmax cross-entropy, backward).

(2) and (3) are measured with :func:`lstm_ref.gradcheck.max_rel_error`, the
course's max-based relative error, printed ``max_rel_err=``. The printed
table is 73 columns wide (within the 88 of :mod:`.report`).
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from lstm_ref.family import LSTMConfig
from lstm_ref.gradcheck import max_rel_error

from .forward import SymbolicCell, SymbolicSequence
from .hand import hand_matrix
from .numeric import atom_values, evaluator
from .prove import prove
from .report import MESSAGE_WIDTH, Printed, wrap, wrap_lines
from .stack import SymbolicStack

__all__ = ["three_way", "AgreementError", "Agreement", "AgreementTable", "HAND_TOL", "FD_TOL"]

HAND_TOL = 1e-10   # (2) float64 evaluation of the same formula
FD_TOL = 1e-6      # (3) central differences, eps = 1e-6

CELL_GRADS = {"dx": "x", "dh_prev": "h_prev", "dc_prev": "c_prev", "dW": "W", "db": "b",
              "dp": "p"}
SEQ_GRADS = {"dx": "x", "dh0": "h0", "dc0": "c0", "dW": "W", "db": "b", "dp": "p"}


class AgreementError(AssertionError):
    """Hand formula, lstm_ref and finite differences do not agree."""


@dataclass(frozen=True)
class Agreement:
    """One row of the three-way table.

    Attributes
    ----------
    grad : str
        ``"dx"``, ``"dW"`` ...
    method : str
        How (1) was done: "exact" or "sampled".
    hand_vs_ref : float
        ``max_rel_error`` of (2).
    ref_vs_fd : float
        ``max_rel_error`` of (3).
    """

    grad: str
    method: str
    hand_vs_ref: float
    ref_vs_fd: float


class AgreementTable(Printed, list):
    """The rows of one :func:`three_way` check: a list of :class:`Agreement`.

    ``str(table)`` is the printed table (title, header, one row per
    gradient). In Jupyter, displayed in the cell that printed it, it shows
    nothing (no list repr after the table); elsewhere it shows the table
    (:class:`.report.Printed`). ``repr()`` is the list's repr.

    Attributes
    ----------
    title : str
        ``three-way check: LSTM cell, H=2 D=3 B=2, seed 0``, naming a family
        member other than the core cell:
        ``three-way check: LSTM cell (peephole=full), H=2 D=1 B=2, seed 0`` …
    printed_in : int or None
        The Jupyter cell in which the table was printed (None: not printed).
    """

    def __init__(self, title: str, rows):
        super().__init__(rows)
        self.title = title
        self.printed_in = None

    def __str__(self):
        return _table(self.title, self)


def _hand_numeric(model, hand, bind, B):
    """Evaluate the hand Matrix per example at the numbers ``bind(b)``."""
    g, _, _ = model.build()
    evaluate = evaluator(hand.applyfunc(g.atomize))
    rows = []
    for k in range(B):
        vals = atom_values(g, {s: mpmath.mpf(float(v)) for s, v in bind(k).items()})
        rows.append(np.array([float(v) for v in evaluate(vals)]))
    return rows


def _check_hands(hands, allowed, T=None):
    """Keys among ``allowed``; every formula applies only Sigmoid and Tanh."""
    if not isinstance(hands, dict) or not hands:
        raise TypeError("hands: expected a non-empty dict of name -> Matrix, "
                        f"got {type(hands).__name__}")
    bad = sorted(set(hands) - set(allowed))
    if bad:
        raise ValueError(f"hands: expected keys among {sorted(allowed)}, got {bad}")
    for name, hand in hands.items():
        if T is not None and name == "dx":
            if not isinstance(hand, (list, tuple)) or len(hand) != T:
                raise TypeError(f"hands['dx']: expected a list of {T} Matrices, "
                                f"got {type(hand).__name__}")
            for t, h in enumerate(hand):
                hand_matrix(h, f"hands['dx'][{t}]")
        else:
            hand_matrix(hand, f"hands[{name!r}]")


def _verdict(title, rows, verbose):
    """Print the table (``verbose``) and raise :class:`AgreementError` on any ✗ row."""
    table = AgreementTable(title, rows).announce(verbose)
    bad = [r.grad for r in rows if r.hand_vs_ref > HAND_TOL or r.ref_vs_fd > FD_TOL]
    if bad:
        raise AgreementError(wrap_lines(f"{title}: disagreement in {', '.join(bad)}",
                                        MESSAGE_WIDTH) + "\n" + str(table))
    return table


def _table(title, rows):
    lines = [wrap(title), f"  {'grad':<8}{'hand = SymPy':<15}{'hand = lstm_ref':<25}"
                    "lstm_ref = finite diff."]
    for r in rows:
        m2 = "✓" if r.hand_vs_ref <= HAND_TOL else "✗"
        m3 = "✓" if r.ref_vs_fd <= FD_TOL else "✗"
        col2 = f"{m2} max_rel_err={r.hand_vs_ref:.1e}"
        lines.append(f"  {r.grad:<8}{'✓ ' + r.method:<15}{col2:<25}"
                     f"{m3} max_rel_err={r.ref_vs_fd:.1e}")
    return "\n".join(lines)


def _numeric_side(config, is_seq):
    """lstm_ref's loss and backward for the config: ``(loss, grads)`` of (x, h0, c0, W, b, p).

    The core pair for ``LSTMConfig()`` (exactly the core cell), the family pair otherwise.
    """
    from lstm_ref import family  # lazy: the numeric side
    from lstm_ref.cell import lstm_step_backward, lstm_step_forward
    from lstm_ref.sequence import lstm_backward, lstm_forward

    core = config == LSTMConfig()

    def forward(x, h0, c0, W, b, p):
        if is_seq:
            return (lstm_forward(x, h0, c0, W, b) if core else
                    family.family_forward(x, h0, c0, family.FamilyParams(W, b, p), config))
        x0 = x[0]
        return (lstm_step_forward(x0, h0, c0, W, b) if core else
                family.family_step_forward(x0, h0, c0, family.FamilyParams(W, b, p), config))

    def backward(dh, dc, cache):
        if is_seq:
            grads = (lstm_backward if core else family.family_backward)(dh, cache, dc_T=dc)
            return dict(dx=grads.dx, dh0=grads.dh0, dc0=grads.dc0, dW=grads.dW, db=grads.db,
                        dp=None if core else grads.dp)
        grads = (lstm_step_backward if core else family.family_step_backward)(dh[0], dc, cache)
        return dict(dx=grads.dx[None], dh_prev=grads.dh_prev, dc_prev=grads.dc_prev,
                    dW=grads.dW, db=grads.db, dp=None if core else grads.dp)
    return forward, backward


def three_way(model, hands: dict, *, B: int = 2, seed: int = 0, verbose: bool = True):
    """Check hand formulas three ways (SymPy, lstm_ref, finite differences).

    Parameters
    ----------
    model : SymbolicCell, SymbolicSequence or SymbolicStack
        Any member of the LSTM family (``model.config``), without a head:
        J = dh_next·h + dc_next·c (cell) or J = Σ_t dh_t·h_t + dc_T·c_T (sequence);
        or a stacked language model (:func:`.stack.symbolic_stack`), J its
        next-symbol cross-entropy.
    hands : dict
        Cell: any of ``dx`` (D,1), ``dh_prev``, ``dc_prev`` (H,1), ``dW`` (G*H,H+D),
        ``db`` (G*H,1), and with peepholes ``dp`` (the shape of ``model.p``:
        (P*H,1) diagonal, (P*H,H) full). Sequence: ``dx`` (a list of T Matrices
        (D,1)), ``dh0``, ``dc0``, ``dW``, ``db``, ``dp``. Stack: ``"dW_x[n]"``,
        ``"dW[n]"``, ``"db[n]"``, ``"dp[n]"``, ``"dW_y[n]"``, ``"db_y"``,
        ``"dh0[n]"``, ``"dc0[n]"`` for layers n = 0 … N−1, shaped like the leaf
        (rows in the order of ``hands``). Written in the model's atoms and leaves.
    B : int
        Batch size of the numeric checks (rows). A stack's B examples share its
        symbols and differ in their initial states h0, c0.
    seed : int
        Seed of ``np.random.default_rng`` for the numbers.
    verbose : bool
        Print the table.

    Returns
    -------
    AgreementTable
        A list of :class:`Agreement`, one per gradient; in Jupyter a call
        ending a cell shows the printed table once, with no list repr.

    Raises
    ------
    FormulaMismatch
        (1) failed.
    AgreementError
        (2) or (3) failed; the table is printed first.
    TypeError
        A formula of ``hands`` applies a function other than ``Sigmoid`` and
        ``Tanh`` (``sympy.tanh``, a sigmoid written with ``sympy.exp`` …); the
        message names the entry (``hands['dW']``) and the function.
    ValueError
        A key of ``hands`` that is not a gradient of the model (``dp`` without
        peepholes).

    Equations
    ---------
    (1) hand ≡ ∂J/∂X (SymPy)   (2) max_rel_error(hand, lstm_ref) ≤ 1e-10
    (3) max_rel_error(lstm_ref, (J(X+ε) − J(X−ε)) / 2ε) ≤ 1e-6

    Proofs (1) are exact where :func:`.prove.prove` is (a stack up to
    ``EXACT_MAX_STACK_T`` = 2 steps) and sampled beyond; the table says which.
    """
    from lstm_ref.gradcheck import numerical_gradient  # lazy: numeric side

    if isinstance(B, bool) or not isinstance(B, int) or B < 1:
        raise ValueError(f"B: expected an int >= 1, got {B!r}")
    if isinstance(model, SymbolicStack):
        return _three_way_stack(model, hands, B, seed, verbose)
    if not isinstance(model, (SymbolicCell, SymbolicSequence)) or model.head is not None:
        raise TypeError("model: expected a SymbolicCell or SymbolicSequence without a head, "
                        f"got {type(model).__name__}"
                        + (f" with head {model.head!r}" if hasattr(model, "head") else ""))
    is_seq = isinstance(model, SymbolicSequence)
    config = model.config
    peep = config.peephole != "none"
    allowed = {k: v for k, v in (SEQ_GRADS if is_seq else CELL_GRADS).items()
               if peep or k != "dp"}
    T = model.T if is_seq else 1
    _check_hands(hands, allowed, T if is_seq else None)
    H, D = model.H, model.D
    G = len(config.gates)
    rng = np.random.default_rng(seed)
    num = dict(x=rng.standard_normal((T, B, D)), h0=rng.standard_normal((B, H)),
               c0=rng.standard_normal((B, H)), W=rng.standard_normal((G * H, H + D)) * 0.5,
               b=rng.standard_normal(G * H) * 0.5, dh=rng.standard_normal((T, B, H)),
               dc=rng.standard_normal((B, H)), p=None)
    if peep:     # drawn last: the core cell's numbers stay what they were
        num["p"] = rng.standard_normal(model.p.shape[0] if config.peephole == "diagonal"
                                       else model.p.shape) * 0.5

    def bind(k):
        out = {model.W[r, c]: num["W"][r, c] for r in range(G * H) for c in range(H + D)}
        out.update({model.b[r]: num["b"][r] for r in range(G * H)})
        if peep:
            out.update({s: v for s, v in zip(model.p, num["p"].reshape(-1))})
        if is_seq:
            for t in range(T):
                out.update({model.x[t][j]: num["x"][t, k, j] for j in range(D)})
                out.update({model.dh[t][j]: num["dh"][t, k, j] for j in range(H)})
            pairs = [(model.h0, num["h0"]), (model.c0, num["c0"]), (model.dc_T, num["dc"])]
        else:
            out.update({model.x[j]: num["x"][0, k, j] for j in range(D)})
            pairs = [(model.h_prev, num["h0"]), (model.c_prev, num["c0"]),
                     (model.dh_next, num["dh"][0]), (model.dc_next, num["dc"])]
        for m, arr in pairs:
            out.update({m[j]: arr[k, j] for j in range(H)})
        return out

    forward, backward = _numeric_side(config, is_seq)

    def loss(x, h0, c0, W, b, p=None):
        h, c, _ = forward(x, h0, c0, W, b, p)
        c_T = c[-1] if is_seq else c
        h_all = h if is_seq else h[None]
        return float(np.sum(num["dh"] * h_all) + np.sum(num["dc"] * c_T))

    _, _, cache = forward(num["x"], num["h0"], num["c0"], num["W"], num["b"], num["p"])
    ref = backward(num["dh"], num["dc"], cache)
    fd_of = dict(SEQ_GRADS if is_seq else CELL_GRADS)
    fd_of.update({"dh_prev": "h0", "dc_prev": "c0"})

    rows = []
    for name in [k for k in allowed if k in hands]:
        hand = hands[name]
        target = getattr(model, allowed[name])
        # (1) hand ≡ SymPy's derivative
        if is_seq and name == "dx":
            methods = {prove(f"{name}[{t}]", hand[t], target[t], model, verbose=False).method
                       for t in range(T)}
            method = "sampled" if "sampled" in methods else "exact"
            per_t = [_hand_numeric(model, sp.Matrix(hand[t]), bind, B) for t in range(T)]
            hand_num = np.array([[r for r in rows_t] for rows_t in per_t])   # (T, B, D)
        else:
            method = prove(name, hand, target, model, verbose=False).method
            per_b = _hand_numeric(model, sp.Matrix(hand), bind, B)
            shape = tuple(sp.Matrix(hand).shape)
            if name in ("dW", "db", "dp"):
                # parameters are shared by the batch: ∂J/∂W = Σ_b (per-example ∂J/∂W)
                hand_num = np.sum(per_b, axis=0).reshape(shape)
                if hand_num.shape != ref[name].shape:     # b, diagonal p: (n, 1) -> (n,)
                    hand_num = hand_num[:, 0]
            elif name == "dx":
                hand_num = np.array(per_b)[None]            # (1, B, D)
            else:
                hand_num = np.array(per_b)                  # (B, H)
        # (2) hand at numbers vs lstm_ref;  (3) lstm_ref vs finite differences
        e2 = max_rel_error(hand_num, ref[name])
        inputs = {k: num[k] for k in ("x", "h0", "c0", "W", "b", "p") if num[k] is not None}
        fd = numerical_gradient(loss, inputs, wrt=[fd_of[name]])[fd_of[name]]  # eps = 1e-6
        e3 = max_rel_error(ref[name], fd)
        rows.append(Agreement(name, method, e2, e3))
    kind = f"sequence T={T}" if is_seq else "cell"
    variant = "" if config == LSTMConfig() else f" ({config.describe()})"
    title = f"three-way check: LSTM {kind}{variant}, H={H} D={D} B={B}, seed {seed}"
    return _verdict(title, rows, verbose)


# ----------------------------------------------------------------------------- stack

def _stack_grads(model: SymbolicStack) -> dict:
    """Key -> (leaf Matrix, its name among the numeric arrays), in a fixed order."""
    out = {}
    for n in range(model.N):
        for k in ("W_x", "W", "b", "p"):
            if k in model.ns:
                out[f"d{k}[{n}]"] = (model.ns[k][n], f"{k}[{n}]")
    for n in range(model.N):
        out[f"dW_y[{n}]"] = (model.W_y[n], f"W_y[{n}]")
    out["db_y"] = (model.b_y, "b_y")
    for k in ("h0", "c0"):
        for n in range(model.N):
            out[f"d{k}[{n}]"] = (model.ns[k][n], f"{k}[{n}]")
    return out


def _stack_numbers(model: SymbolicStack, rng, B):
    """Named float64 arrays of every leaf (numeric layout: b (G*H,), h0 (B, H) …)."""
    num = {}
    for n in range(model.N):
        for k in ("W_x", "W", "b", "p"):
            if k in model.ns:
                m = model.ns[k][n]
                shape = (m.rows,) if k == "b" or (k == "p" and m.cols == 1) else m.shape
                num[f"{k}[{n}]"] = rng.standard_normal(shape) * 0.5
        num[f"W_y[{n}]"] = rng.standard_normal(model.W_y[n].shape) * 0.5
    num["b_y"] = rng.standard_normal(model.K) * 0.5
    for n, H in enumerate(model.sizes):
        num[f"h0[{n}]"] = rng.standard_normal((B, H))
        num[f"c0[{n}]"] = rng.standard_normal((B, H))
    return num


def _three_way_stack(model: SymbolicStack, hands, B, seed, verbose):
    """:func:`three_way` for a stacked language model (numeric side: ``stack_loss``)."""
    from lstm_ref.family import FamilyParams  # lazy: the numeric side
    from lstm_ref.gradcheck import numerical_gradient
    from lstm_ref.stack import StackLayer, StackParams, stack_loss

    grads = _stack_grads(model)
    _check_hands(hands, grads)
    rng = np.random.default_rng(seed)
    num = _stack_numbers(model, rng, B)
    symbols = np.repeat(np.array(model.symbols, dtype=np.int64)[:, None], B, axis=1)  # (T+1, B)
    N = model.N

    def loss_and_grads(arrays):
        params = StackParams(
            layers=tuple(StackLayer(W_x=arrays[f"W_x[{n}]"], cell=FamilyParams(
                arrays[f"W[{n}]"], arrays[f"b[{n}]"], arrays.get(f"p[{n}]")))
                for n in range(N)),
            W_y=tuple(arrays[f"W_y[{n}]"] for n in range(N)), b_y=arrays["b_y"])
        h0 = tuple(arrays[f"h0[{n}]"] for n in range(N))
        c0 = tuple(arrays[f"c0[{n}]"] for n in range(N))
        return stack_loss(symbols, params, model.config, h0=h0, c0=c0)

    _, g = loss_and_grads(num)
    ref = {}
    for n in range(N):
        layer = g.layers[n]
        ref.update({f"dW_x[{n}]": layer.W_x, f"dW[{n}]": layer.cell.W,
                    f"db[{n}]": layer.cell.b, f"dp[{n}]": layer.cell.p,
                    f"dW_y[{n}]": g.W_y[n], f"dh0[{n}]": g.dh0[n], f"dc0[{n}]": g.dc0[n]})
    ref["db_y"] = g.b_y

    def bind(k):
        out = {}
        for name, (leaf, arr) in grads.items():
            vals = num[arr][k] if arr.startswith(("h0", "c0")) else num[arr]
            out.update(zip(leaf, np.reshape(vals, -1)))
        return out

    rows = []
    for name in hands:
        hand = sp.Matrix(hands[name])
        leaf, arr = grads[name]
        # (1) hand ≡ SymPy's derivative
        method = prove(name, hand, leaf, model, verbose=False).method
        per_b = _hand_numeric(model, hand, bind, B)
        if arr.startswith(("h0", "c0")):
            hand_num = np.array(per_b)                              # (B, H_n)
        else:
            # parameters are shared by the batch: ∂J/∂W = Σ_b (per-example ∂J/∂W)
            hand_num = np.sum(per_b, axis=0).reshape(ref[name].shape)
        # (2) hand at numbers vs lstm_ref;  (3) lstm_ref vs finite differences
        e2 = max_rel_error(hand_num, ref[name])
        fd = numerical_gradient(lambda **a: loss_and_grads(a)[0], num, wrt=[arr])[arr]
        e3 = max_rel_error(ref[name], fd)
        rows.append(Agreement(name, method, e2, e3))
    variant = "" if model.config == LSTMConfig() else f" ({model.config.describe()})"
    sizes = "(" + ", ".join(map(str, model.sizes)) + ")"
    title = (f"three-way check: LSTM stack N={N} T={model.T}{variant}, sizes {sizes} "
             f"K={model.K} B={B}, seed {seed}")
    return _verdict(title, rows, verbose)
