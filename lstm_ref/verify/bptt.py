"""Source 004's BPTT double sum, for comparison with one backward sweep.

Source 004 writes the gradient of E = Σ_T E_T as

    ∂E/∂W = Σ_{T=1}^{τ} Σ_{t=1}^{T} ∂E_T/∂(W)_t

where (W)_t is "W as used at step t". Here (W)_t is made literal: step t uses
W + τ_t with its own tap τ_t, and ∂E_T/∂(W)_t = ∂E_T/∂τ_t at τ = 0.

* Causality (the inner bound t ≤ T) is proved exactly: E_T does not contain
  τ_t for t > T (a free-symbol check).
* Regrouping, Σ_T Σ_{t≤T} ∂E_T/∂τ_t = Σ_t ∂(Σ_{T≥t} E_T)/∂τ_t, which is
  evaluated at seeded points with 65-digit numerical differentiation of the
  forward pass and compared with the chapter's single-sweep formula.
"""

from __future__ import annotations

import time

import mpmath
import numpy as np
import sympy as sp

from .forward import SymbolicSequence
from .numeric import Program
from .prove import DIGITS, TOL, FormulaMismatch, Proof, _as_matrix, _evaluator, _sample, _PREC

__all__ = ["bptt_double_sum"]


def bptt_double_sum(name: str, hand, seq: SymbolicSequence, param: str = "W", *,
                    points: int = 2, seed: int = 0, verbose: bool = True) -> Proof:
    """Check a single-sweep formula against source 004's double sum.

    Parameters
    ----------
    name : str
        The equation's name.
    hand : sympy.Matrix
        The chapter's ∂E/∂W (4H, H+D) or ∂E/∂b (4H, 1) in the sequence's atoms.
    seq : SymbolicSequence
        With a head (E_T = ℓ(v_T, y_T)) or without (E_T = dh_T·h_T, plus
        dc_T·c_T at the last step).
    param : {"W", "b"}
    points, seed : int
        Sample points and the seed of ``np.random.default_rng``.
    verbose : bool
        Print one line.

    Returns
    -------
    Proof
        method "sampled"; reason states that causality was proved exactly.

    Raises
    ------
    FormulaMismatch

    Equations
    ---------
    Σ_{T} Σ_{t≤T} ∂E_T/∂(W)_t = Σ_t ∂(Σ_{T≥t} E_T)/∂(W)_t
    """
    t0 = time.perf_counter()
    if not isinstance(seq, SymbolicSequence):
        raise TypeError(f"seq: expected a SymbolicSequence, got {type(seq).__name__}")
    if param not in ("W", "b"):
        raise ValueError(f"param: expected 'W' or 'b', got {param!r}")
    T = seq.T
    taps = frozenset((param, t) for t in range(T))
    g, J_terms = seq.build_terms(taps)
    domains = seq.build()[2]
    tau = [g.tap_symbols[(param, t)] for t in range(T)]
    hand_m = _as_matrix(hand, "hand")
    if hand_m.shape != tau[0].shape:
        raise FormulaMismatch(f"{name}: hand formula has shape {hand_m.shape}, expected the "
                              f"shape of {param}, {tau[0].shape}")
    # causality, exactly: E_T is free of every tap of a later step
    for T_ in range(T):
        for t in range(T_ + 1, T):
            if J_terms[T_].free_symbols & set(tau[t]):
                raise AssertionError(f"internal: E_{T_ + 1} depends on ({param})_{t + 1}")
    tails = [Program([sum(J_terms[t:], sp.S.Zero)], _PREC) for t in range(T)]
    hand_eval = _evaluator(hand_m.applyfunc(g.atomize))
    rng = np.random.default_rng(seed)
    worst = 0.0
    for p in range(points):
        vals = _sample(g, domains, rng)
        total = [mpmath.mpf(0)] * len(tau[0])
        with mpmath.workdps(_PREC):
            for t in range(T):
                for k, s in enumerate(tau[t]):
                    point = dict(vals)

                    def tail(u, s=s, point=point, t=t):
                        point[s] = u
                        return tails[t](point)[0]
                    total[k] += mpmath.diff(tail, mpmath.mpf(0))
        hv = hand_eval(vals)
        diffs = [float(abs(a - b)) for a, b in zip(hv, total)]
        worst = max([worst] + diffs)
        if worst > TOL:
            k = int(np.argmax(diffs))
            r, c = divmod(k, tau[0].shape[1])
            raise FormulaMismatch(
                f"{name}: hand formula ≠ source 004's double sum Σ_T Σ_(t≤T) ∂E_T/∂({param})_t\n"
                f"  counterexample (seeded forward point {p}): entry [{r},{c}]\n"
                f"    hand       = {mpmath.nstr(hv[k], 8)}\n"
                f"    double sum = {mpmath.nstr(total[k], 8)}")
    res = Proof(name, "sampled", len(tau[0]), points, DIGITS, worst,
                f"double sum over T={T} steps; causality t ≤ T proved exactly",
                time.perf_counter() - t0)
    if verbose:
        print(res)
    return res
