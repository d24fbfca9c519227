""""Your turn" cells whose check is not one of the function checkers.

Some exercises are questions (how many step-backwards? what fraction of the FLOPs?)
rather than functions to write. Their "your turn" cell names the answers, set to
``None``, and calls :func:`check_answer`, which says "not attempted yet" while any is
``None`` and otherwise whether each is right, without printing the answer itself.

Others ask for a function that the cell then checks its own way (a proof, a finite
difference check, ``cmp``). Such a cell runs its check inside :func:`your_turn`,
which prints the checkers' "not attempted yet" line while the skeleton still raises
``NotImplementedError``.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ._judge import Verdict, _finish, _not_attempted

__all__ = ["ANSWERS", "check_answer", "your_turn"]


def _theta_indices(H, D):
    # source 003 stores rows in the order a(=g), i, f, o and columns acting on [x; h]
    row_perm = np.concatenate([np.arange(k * H, (k + 1) * H) for k in (3, 1, 0, 2)])
    col_perm = np.concatenate([np.arange(H, H + D), np.arange(H)])
    return {"row_back": np.argsort(row_perm), "col_back": np.argsort(col_perm)}


#: For each exercise label: the names of its answers, the names of the sizes it is
#: asked at (passed to ``check_answer`` too), and the correct answers at those sizes.
ANSWERS = {
    "ex-mc-square": (("candidates",), (),
                     lambda: {"candidates": ((3, 3), (3, 3), (3, 3))}),
    "ex-bptt-many-to-one": (("n_double_sum", "n_single_sweep"), ("T",),
                            lambda T: {"n_double_sum": T, "n_single_sweep": T}),
    "ex-bptt-forget": (("f_exact",), (), lambda: {"f_exact": 0.0}),
    "ex-bptt-theta": (("row_back", "col_back"), ("H", "D"), _theta_indices),
    "ex-perf-flops": (("flops_per_step", "in_loop_share"), ("B", "D", "H"),
                      lambda B, D, H: {"flops_per_step": 6 * B * 4 * H * (H + D),
                                       "in_loop_share": 2 * H / (3 * (H + D))}),
    "ex-perf-b1": (("gflops_factor",), (), lambda: {"gflops_factor": 32}),
    # source 003's permutations are not involutions (P_col is one only when D = H)
    "ex-split-inverse": (("row_self_inverse", "col_self_inverse"), (),
                         lambda: {"row_self_inverse": False, "col_self_inverse": False}),
    # asked at T = 5000, i ⊙ g = m = 0.1, f = 0.9: c_T = T m and the limit m / (1 − f)
    "ex-lstm1997-drift": (("c_T_1997", "c_limit_forget"), (),
                          lambda: {"c_T_1997": 500.0, "c_limit_forget": 1.0}),
    # (a) diagonal peepholes, forget gate: 4 gate blocks, 3 peephole vectors;
    # (b) full peepholes, no forget gate: 3 gate blocks, 2 peephole matrices
    "ex-family-count": (("n_a", "n_b"), ("D", "H"),
                        lambda D, H: {"n_a": 4 * H * (H + D + 1) + 3 * H,
                                      "n_b": 3 * H * (H + D + 1) + 2 * H * H}),
    # asked at N = 3 layers, T = 5 steps: δh^n_t has the output term always, the layer
    # above's if n < N, the next step's if t < T: (N−1)(T−1), (N−1) + (T−1), and δh^N_T
    "ex-stack-count": (("n_three", "n_two", "n_one"), (),
                       lambda: {"n_three": 8, "n_two": 6, "n_one": 1}),
    # X1, X2 ~ U(-1, 1) independent: the best constant is E[y] = 1/2, its mean squared error
    # Var((X1 + X2)/4) = (2/3)/16; wrong when |X1 + X2| >= 0.16, and S = X1 + X2 has the
    # triangular density (2 − |s|)/4 on [-2, 2]: P(|S| < a) = a − a²/4
    "ex-adding-const": (("mse", "p_wrong"), (),
                        lambda: {"mse": 1 / 24, "p_wrong": 1 - (0.16 - 0.16**2 / 4)}),
    # BPTT(k, k): the prediction at window step t is trained on the inputs x_1 … x_t of its
    # window, lags 0 … t − 1; the longest lag is k − 1, the mean of the longest over t (k − 1)/2
    "ex-charlm-lag": (("max_lag", "avg_lag"), ("k",),
                      lambda k: {"max_lag": k - 1, "avg_lag": (k - 1) / 2}),
    # add-one bigram after a character seen n times (as the first of a pair) and followed by
    # u distinct characters: the K − u unseen continuations get 1/(n + K) each
    "ex-charlm-unseen": (("unseen_mass",), ("n", "u", "K"),
                         lambda n, u, K: {"unseen_mass": (K - u) / (n + K)}),
}


def _same(given, expected) -> bool:
    if isinstance(expected, float):
        return isinstance(given, (int, float, np.number)) and bool(np.isclose(given, expected,
                                                                             rtol=1e-9, atol=1e-12))
    try:
        return bool(np.array_equal(np.asarray(given), np.asarray(expected)))
    except (TypeError, ValueError):
        return False


def check_answer(exercise: str, *, expect=None, **given) -> Verdict:
    """Check the answers of a question exercise (the labels are the keys of ``ANSWERS``).

    Parameters
    ----------
    exercise : str
        The exercise's label, e.g. ``"ex-perf-flops"``.
    expect : str, optional
        None: assert the answers are right (a wrong one raises ``ExerciseFailed``);
        ``"not_attempted"`` or ``"wrong_value"``: assert that diagnosis.
    **given
        The answers by name (``None`` while not attempted), and the sizes the
        question is asked at (e.g. ``T=50``).

    Returns
    -------
    Verdict

    Equations
    ---------
    None: each answer is compared with the stored one (numbers to a relative 1e-9,
    shapes and index arrays exactly).
    """
    if exercise not in ANSWERS:
        raise ValueError(f"exercise: expected one of {sorted(ANSWERS)}, got {exercise!r}")
    names, sizes, correct = ANSWERS[exercise]
    unknown = sorted(set(given) - set(names) - set(sizes))
    missing = [k for k in (*names, *sizes) if k not in given]
    if unknown or missing:
        raise TypeError(f"check_answer({exercise!r}): expected the keywords "
                        f"{', '.join((*names, *sizes))}; unknown {unknown}, missing {missing}")
    if expect not in (None, "not_attempted", "wrong_value"):
        raise ValueError(f"expect: expected None, 'not_attempted' or 'wrong_value', got {expect!r}")
    todo = [k for k in names if given[k] is None]
    if todo:
        return _finish(exercise, False, "not_attempted",
                       f"not attempted yet — fill in {', '.join(todo)} above and re-run this cell",
                       expect)
    expected = correct(*(given[k] for k in sizes))
    wrong = [k for k in names if not _same(given[k], expected[k])]
    if wrong:
        return _finish(exercise, False, "wrong_value",
                       f"{' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not right yet "
                       f"(open the solution below for the reasoning)", expect)
    return _finish(exercise, True, "correct", f"correct ({', '.join(names)})", expect)


@contextlib.contextmanager
def your_turn(exercise: str, fn):
    """Run a "your turn" cell's own check; while ``fn`` is a skeleton, say so instead.

    ::

        with exercises.your_turn("ex-mc-hadamard", dJ_dc):
            yours = dJ_dc(dh, o, tanh_c)
            print(lstm_ref.gradcheck(...).assert_ok())

    If the block raises ``NotImplementedError`` (the skeleton's), the rest of the block
    is skipped and the checkers' line ``○ <exercise>: not attempted yet — fill in <fn>
    above and re-run this cell`` is printed; nothing is raised. Any other error, and
    every failed check, propagates as usual.

    Parameters
    ----------
    exercise : str
        The exercise's label, printed first.
    fn : callable
        The reader's function (its name is printed).

    Equations
    ---------
    None: control flow only.
    """
    try:
        yield
    except NotImplementedError:
        _finish(exercise, False, "not_attempted", _not_attempted(exercise, fn), None)
