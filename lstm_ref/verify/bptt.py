"""Source 004's BPTT double sum, for comparison with one backward sweep.

Source 004 writes the gradient of E = Σ_T E_T as

    ∂E/∂W = Σ_{T=1}^{τ} Σ_{t=1}^{T} ∂E_T/∂(W)_t

where (W)_t is "W as used at step t". Here (W)_t is made literal: step t uses
W + τ_t with its own tap τ_t, and ∂E_T/∂(W)_t = ∂E_T/∂τ_t at τ = 0.

* Causality (the inner bound t ≤ T) is proved exactly: E_T does not contain
  τ_t for t > T (a free-symbol check).
* Up to ``EXACT_MAX_T`` = 3 steps the double sum is formed term by term from
  SymPy's derivatives ∂E_T/∂τ_t, each assembled node by node through the
  unrolled graph (:mod:`.chain`: forward-mode tangents from τ_t, then ∂E_T/∂s
  of the loss term), and hand − Σ_T Σ_{t≤T} ∂E_T/∂τ_t must expand to 0 in
  the atoms: a proof.
* Longer sequences are sampled: Σ_t ∂(Σ_{T≥t} E_T)/∂τ_t (the same sum,
  regrouped) at seeded points with 65-digit numerical differentiation of the
  forward pass, compared with the chapter's single-sweep formula.

Every member of the LSTM family works alike (``seq.config``); with peepholes
the peephole weights p are a third parameter with per-step copies (p)_t.
"""

from __future__ import annotations

import time

import mpmath
import numpy as np
import sympy as sp

from .chain import local_graph, loss_partials, tangents
from .forward import SymbolicSequence
from .hand import hand_matrix
from .numeric import DIGITS, PREC, Program, evaluator, forward_point
from .poly import unequal_entries
from .prove import EXACT_MAX_T, TOL, FormulaMismatch, Proof

__all__ = ["bptt_double_sum"]

_CLAIM = "hand formula ≠ source 004's double sum"      # a mismatch's headline, after the name


def bptt_double_sum(name: str, hand, seq: SymbolicSequence, param: str = "W", *,
                    points: int = 2, seed: int = 0, verbose: bool = True) -> Proof:
    """Check a single-sweep formula against source 004's double sum.

    Parameters
    ----------
    name : str
        The equation's name.
    hand : sympy.Matrix
        The chapter's ∂E/∂W (G*H, H+D), ∂E/∂b (G*H, 1) or, with peepholes,
        ∂E/∂p (the shape of ``seq.p``) in the sequence's atoms.
    seq : SymbolicSequence
        Any member of the LSTM family (``seq.config``), with a head
        (E_T = ℓ(v_T, y_T)) or without (E_T = dh_T·h_T, plus dc_T·c_T at the
        last step).
    param : {"W", "b", "p"}
        "p" (the peephole weights) only for a sequence with peepholes.
    points, seed : int
        Sample points and the seed of ``np.random.default_rng``.
    verbose : bool
        Print the verdict (within 88 columns: details on lines indented by 4).

    Returns
    -------
    Proof
        method "exact" for T ≤ ``EXACT_MAX_T`` (3), else "sampled"; both
        state that causality was proved exactly. In Jupyter a call ending a
        cell shows the verdict once, with no repr (:class:`.prove.Proof`).

    Raises
    ------
    FormulaMismatch
    ValueError
        ``param`` is not a parameter of ``seq`` ("p" without peepholes).
    TypeError
        ``hand`` applies a function other than ``Sigmoid`` and ``Tanh``
        (``sympy.tanh``, a sigmoid written with ``sympy.exp`` …); see :mod:`.hand`.

    Equations
    ---------
    Σ_{T} Σ_{t≤T} ∂E_T/∂(W)_t = Σ_t ∂(Σ_{T≥t} E_T)/∂(W)_t
    ∂E_T/∂(W)_t = Σ_{s ∈ free(E_T)} ∂E_T/∂s · ds/dτ_t     (exact path)
    """
    t0 = time.perf_counter()
    if not isinstance(seq, SymbolicSequence):
        raise TypeError(f"seq: expected a SymbolicSequence, got {type(seq).__name__}")
    params = ("W", "b") + (("p",) if seq.config.peephole != "none" else ())
    if param not in params:
        extra = ": seq.config has no peepholes (peephole='none')" if param == "p" else ""
        raise ValueError(f"param: expected one of {params}, got {param!r}{extra}")
    T = seq.T
    taps = frozenset((param, t) for t in range(T))
    g, J_terms = seq.build_terms(taps)
    domains = seq.build()[2]
    tau = [g.tap_symbols[(param, t)] for t in range(T)]
    # in atoms, and applying no function but Sigmoid and Tanh (TypeError otherwise)
    hand_a = hand_matrix(hand, "hand", g.atomize)
    if hand_a.shape != tau[0].shape:
        raise FormulaMismatch.of(f"{name}: hand formula has shape {hand_a.shape}, expected the "
                                 f"shape of {param}, {tau[0].shape}")
    # causality, exactly: E_T is free of every tap of a later step
    for T_ in range(T):
        for t in range(T_ + 1, T):
            if J_terms[T_].free_symbols & set(tau[t]):
                raise AssertionError(f"internal: E_{T_ + 1} depends on ({param})_{t + 1}")
    if T <= EXACT_MAX_T:
        return _exact(name, hand_a, g, J_terms, tau, domains, param, seed, verbose, t0)
    tails = [Program([sum(J_terms[t:], sp.S.Zero)], PREC) for t in range(T)]
    hand_eval = evaluator(hand_a)
    rng = np.random.default_rng(seed)
    worst = 0.0
    for p in range(points):
        vals = forward_point(g, domains, rng)
        total = [mpmath.mpf(0)] * len(tau[0])
        with mpmath.workdps(PREC):
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
            raise FormulaMismatch.of(
                f"{name}: {_CLAIM}",
                f"  sampled check: hand vs Σ_T Σ_(t≤T) ∂E_T/∂({param})_t in {DIGITS} digits",
                f"  counterexample (seeded forward point {p}): entry [{r},{c}]",
                f"    hand       = {mpmath.nstr(hv[k], 8)}",
                f"    double sum = {mpmath.nstr(total[k], 8)}", keep=[_CLAIM])
    res = Proof(name, "sampled", len(tau[0]), points, DIGITS, worst,
                f"double sum over T={T} steps; causality t ≤ T proved exactly",
                time.perf_counter() - t0)
    return res.announce(verbose)


def _exact(name, hand_a, g, J_terms, tau, domains, param, seed, verbose, t0):
    """Σ_T Σ_{t≤T} ∂E_T/∂(param)_t term by term, then hand − it expands to 0 (hand in atoms)."""
    T = len(tau)
    lg = local_graph(g)
    dE = [loss_partials(lg, g, E) for E in J_terms]          # ∂E_T/∂s, s ∈ free(E_T)
    total = []
    for k in range(len(tau[0])):
        terms = []
        for t in range(T):
            tan = tangents(lg, tau[t][k])                     # ds/dτ_t for every atom s
            for T_ in range(t, T):                            # inner bound t ≤ T
                terms += [p * tan[s] for s, p in dE[T_].items() if s in tan]
        total.append(sp.Add(*terms))
    total = sp.Matrix(*hand_a.shape, total)
    bad = unequal_entries(hand_a, total, g.derivative_factors())
    if bad:
        hand_eval, ref_eval = evaluator(hand_a), evaluator(total)
        rng = np.random.default_rng(seed)
        vals = forward_point(g, domains, rng)
        hv, rv = hand_eval(vals), ref_eval(vals)
        k = max(bad, key=lambda j: abs(hv[j] - rv[j]))
        r, c = divmod(k, hand_a.shape[1])
        raise FormulaMismatch.of(
            f"{name}: {_CLAIM}",
            f"  exact check: hand − Σ_T Σ_(t≤T) ∂E_T/∂({param})_t is a nonzero polynomial in "
            f"{len(bad)} of {len(total)} entries",
            f"  counterexample (seeded forward point 0): entry [{r},{c}]",
            f"    hand       = {mpmath.nstr(hv[k], 8)}",
            f"    double sum = {mpmath.nstr(rv[k], 8)}", keep=[_CLAIM])
    res = Proof(name, "exact", len(total), 0, 0, 0.0, "", time.perf_counter() - t0,
                f"double sum over T={T} steps of SymPy's ∂E_T/∂({param})_t, each assembled node "
                f"by node through the unrolled graph; causality t ≤ T proved exactly")
    return res.announce(verbose)
