"""Auto-checkers for reader exercises: run the reader's NumPy function on
seeded inputs and say exactly what is wrong.

Each checker knows the correct answer (NumPy formulas proved elsewhere in the
book and tested here against finite differences) and a list of named
candidate mistakes, each a function producing the answer that mistake would
give. The reader's output is compared with the correct answer, then with each
candidate in turn; shape errors and transposes are recognised first.

A checker prints one line and returns a :class:`Verdict`. With ``expect=None``
it asserts the reader is correct (raising :class:`ExerciseFailed`); a chapter
that *demonstrates* a wrong attempt passes ``expect="<mistake name>"``, which
asserts that exactly that diagnosis is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .agree import rel_err

__all__ = ["Mistake", "Verdict", "ExerciseFailed", "check_softmax_ce_grad", "check_mse_grad",
           "check_dW_v", "check_cell_forward", "check_cell_backward", "check_sequence_backward", "check_exercise",
           "EXERCISES", "MISTAKES"]

RTOL, ATOL = 1e-7, 1e-10
FIELDS_CELL = ("dx", "dh_prev", "dc_prev", "dW", "db")
FIELDS_SEQ = ("dx", "dh0", "dc0", "dW", "db")


class ExerciseFailed(AssertionError):
    """The reader's function is not correct (or not diagnosed as expected)."""


@dataclass(frozen=True)
class Mistake:
    """A named, recognisable mistake.

    Attributes
    ----------
    name : str
        Short key, e.g. ``"sign"``; used with ``expect=``.
    message : str
        What is wrong, in the book's words.
    answer : callable
        ``answer(ctx) -> dict`` of the outputs this mistake produces.
    """

    name: str
    message: str
    answer: Callable


@dataclass(frozen=True)
class Verdict:
    """Outcome of a checker.

    Attributes
    ----------
    exercise : str
    ok : bool
        True only if the reader's answer is correct.
    diagnosis : str
        ``"correct"``, a mistake name, ``"shape"`` or ``"unknown"``.
    message : str
        The one printed line.
    """

    exercise: str
    ok: bool
    diagnosis: str
    message: str

    def __str__(self):
        return self.message


# --------------------------------------------------------------------- machinery

def _fields(out, fields):
    """The reader's output as a dict of arrays (NamedTuple, dict, object or array)."""
    if len(fields) == 1 and not isinstance(out, dict) and not hasattr(out, fields[0]):
        return {fields[0]: np.asarray(out, dtype=float)}
    if isinstance(out, tuple) and not hasattr(out, "_fields"):
        if len(out) != len(fields):
            raise TypeError(f"reader output: expected {len(fields)} arrays {fields}, "
                            f"got a tuple of {len(out)}")
        out = dict(zip(fields, out))
    if isinstance(out, dict):
        get = out.get
    else:
        def get(k):
            return getattr(out, k, None)
    res = {}
    for k in fields:
        v = get(k)
        if v is None:
            raise TypeError(f"reader output: expected field {k!r} (fields {fields}), "
                            f"got {type(out).__name__} without it")
        res[k] = np.asarray(v, dtype=float)
    return res


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=ATOL)


def _judge(exercise, out, correct, mistakes, ctx, expect):
    fields = tuple(correct)
    got = _fields(out, fields)
    # 1. shapes (a transposed result is recognised here)
    for k in fields:
        if got[k].shape != correct[k].shape:
            if got[k].shape == correct[k].T.shape and _close(got[k], correct[k].T):
                diag, msg = "transposed", (f"{k} is transposed: got shape {got[k].shape}, "
                                           f"expected {correct[k].shape} (gradient layout: "
                                           f"d{k[1:]} has the shape of {k[1:]})")
            else:
                diag, msg = "shape", (f"{k} has the wrong shape: expected {correct[k].shape}, "
                                      f"got {got[k].shape}")
            return _finish(exercise, False, diag, msg, expect)
    # 2. correct?
    if all(_close(got[k], correct[k]) for k in fields):
        worst = max(rel_err(got[k], correct[k]) for k in fields)
        return _finish(exercise, True, "correct",
                       f"correct ({', '.join(fields)} match, rel_err={worst:.1e})", expect)
    # 3. a known mistake?
    for m in mistakes:
        wrong = m.answer(ctx)
        if all(_close(got[k], wrong[k]) for k in fields):
            return _finish(exercise, False, m.name, m.message, expect)
    bad = [k for k in fields if not _close(got[k], correct[k])]
    return _finish(exercise, False, "unknown",
                   "wrong, and not a mistake this checker knows: "
                   + ", ".join(f"{k} rel_err={rel_err(got[k], correct[k]):.1e}" for k in bad), expect)


def _finish(exercise, ok, diag, msg, expect):
    line = f"{'✓' if ok else '✗'} {exercise}: {diag if ok else diag + ' — ' + msg}" \
        if not ok else f"✓ {exercise}: {msg}"
    v = Verdict(exercise, ok, diag, line)
    print(line)
    if expect is None and not ok:
        raise ExerciseFailed(line)
    if expect is not None and diag != expect:
        raise ExerciseFailed(f"{exercise}: expected the diagnosis {expect!r}, got {diag!r}: {line}")
    return v


def _check_expect(expect, mistakes):
    names = {m.name for m in mistakes} | {"transposed", "shape", "unknown"}
    if expect is not None and expect not in names:
        raise ValueError(f"expect: expected None or one of {sorted(names)}, got {expect!r}")


def _check_fn(fn):
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")


def _scaled(name, factor, message, field):
    return Mistake(name, message, lambda ctx: {field: factor(ctx) * ctx["correct"][field]})


# ------------------------------------------------------------------ output layer

def _softmax(v):
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_mistakes():
    return [
        Mistake("sign", "the sign is flipped: this is y − ŷ; ∂J/∂v = ŷ − y",
                lambda c: {"dv": -c["correct"]["dv"]}),
        Mistake("forgot_y", "the target is missing: this is ŷ alone; ∂J/∂v = ŷ − y",
                lambda c: {"dv": c["y_hat"]}),
        Mistake("logits_not_probabilities", "softmax is missing: this is v − y; use ŷ = softmax(v)",
                lambda c: {"dv": c["v"] - c["Y"]}),
        _scaled("mean_over_batch", lambda c: 1 / c["B"],
                "divided by B: the course's J sums over the batch (no mean)", "dv"),
    ]


def check_softmax_ce_grad(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's ∂J/∂v for softmax + cross-entropy.

    Parameters
    ----------
    fn : callable
        ``fn(v, y) -> dv`` with v (B, V) logits, y (B,) int class indices,
        dv (B, V).
    expect : str, optional
        None: assert the answer is correct. A mistake name (``"sign"``,
        ``"forgot_y"``, ``"logits_not_probabilities"``, ``"mean_over_batch"``,
        ``"transposed"``, ``"shape"``): assert that this is the diagnosis.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    J = −Σ_b log ŷ_{b, y_b},  ŷ = softmax(v),  ∂J/∂v = ŷ − Y  (Y one-hot)
    """
    _check_fn(fn)
    mistakes = _softmax_mistakes()
    _check_expect(expect, mistakes)
    rng = np.random.default_rng(seed)
    B, V = 3, 5
    v = rng.standard_normal((B, V))
    y = rng.integers(0, V, size=B)
    Y = np.eye(V)[y]
    y_hat = _softmax(v)
    correct = {"dv": y_hat - Y}
    ctx = dict(v=v, Y=Y, y_hat=y_hat, B=B, correct=correct)
    return _judge("check_softmax_ce_grad", fn(v.copy(), y.copy()), correct, mistakes, ctx, expect)


def check_mse_grad(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's ∂J/∂ŷ for the squared error J = Σ (ŷ − y)².

    Parameters
    ----------
    fn : callable
        ``fn(y_hat, y) -> dy_hat``, all (B, V).
    expect : str, optional
        None, or one of ``"sign"`` (source 002's 2(y − ŷ)), ``"missing_factor_2"``,
        ``"mean_over_batch"``, ``"transposed"``, ``"shape"``.
    seed : int

    Returns
    -------
    Verdict

    Equations
    ---------
    J = Σ_{b,k} (ŷ_{bk} − y_{bk})²,  ∂J/∂ŷ = 2 (ŷ − y)
    """
    _check_fn(fn)
    mistakes = [
        Mistake("sign", "the sign is flipped: 2(y − ŷ) (as in source 002); ∂J/∂ŷ = 2(ŷ − y)",
                lambda c: {"dy_hat": -c["correct"]["dy_hat"]}),
        _scaled("missing_factor_2", lambda c: 0.5,
                "the factor 2 is missing: d(u²)/du = 2u, and J has no ½", "dy_hat"),
        _scaled("mean_over_batch", lambda c: 1 / c["B"],
                "divided by B: the course's J sums over the batch (no mean)", "dy_hat"),
    ]
    _check_expect(expect, mistakes)
    rng = np.random.default_rng(seed)
    B, V = 3, 4
    y_hat, y = rng.standard_normal((B, V)), rng.standard_normal((B, V))
    correct = {"dy_hat": 2 * (y_hat - y)}
    ctx = dict(B=B, correct=correct)
    return _judge("check_mse_grad", fn(y_hat.copy(), y.copy()), correct, mistakes, ctx, expect)


def check_dW_v(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's ∂J/∂W_v of the output layer v = W_v h + b_v.

    Parameters
    ----------
    fn : callable
        ``fn(dv, h) -> dW_v`` with dv (B, V), h (B, H), dW_v (V, H).
    expect : str, optional
        None, or ``"sign"``, ``"mean_over_batch"``, ``"one_example"``,
        ``"transposed"``, ``"shape"``.
    seed : int

    Returns
    -------
    Verdict

    Equations
    ---------
    ∂J/∂W_v = Σ_b dv_b h_bᵀ = dvᵀ h  (code: ``dv.T @ h``)
    """
    _check_fn(fn)
    mistakes = [
        Mistake("sign", "the sign is flipped", lambda c: {"dW_v": -c["correct"]["dW_v"]}),
        _scaled("mean_over_batch", lambda c: 1 / c["B"],
                "divided by B: the course's J sums over the batch (no mean)", "dW_v"),
        Mistake("one_example", "only one example is used: W_v is shared, so sum dv_b h_bᵀ over "
                "the batch (dv.T @ h)", lambda c: {"dW_v": np.outer(c["dv"][0], c["h"][0])}),
    ]
    _check_expect(expect, mistakes)
    rng = np.random.default_rng(seed)
    B, V, H = 3, 5, 2
    dv, h = rng.standard_normal((B, V)), rng.standard_normal((B, H))
    correct = {"dW_v": dv.T @ h}
    ctx = dict(B=B, dv=dv, h=h, correct=correct)
    return _judge("check_dW_v", fn(dv.copy(), h.copy()), correct, mistakes, ctx, expect)


# ------------------------------------------------------------------- LSTM cell

def _sig(a):
    return 1 / (1 + np.exp(-a))


def cell_forward_np(x, h_prev, c_prev, W, b, variant=None):
    """Reference NumPy cell forward used by the checkers (rows = examples).

    Parameters
    ----------
    x : (B, D)
    h_prev, c_prev : (B, H)
    W : (4H, H+D)
    b : (4H,)
    variant : str, optional
        None for the correct step, else a key of ``FORWARD_MISTAKES``.

    Returns
    -------
    h, c : (B, H)
    cache : dict
    """
    H = h_prev.shape[1]
    if variant == "gate_order_ifog":
        W, b = _swap_if(W, H), _swap_if(b, H)
    z = np.concatenate([x, h_prev] if variant == "stack_x_first" else [h_prev, x], axis=1)  # (B, H+D)
    a = z @ W.T + b                                  # a = W z + b          (B, 4H)
    f, i, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), _sig(a[:, 2 * H:3 * H])
    g = _sig(a[:, 3 * H:]) if variant == "sigmoid_candidate" else np.tanh(a[:, 3 * H:])
    c = (c_prev if variant == "no_forget_gate" else f * c_prev) + i * g
    tanh_c = np.tanh(c)
    h = o * c if variant == "missing_tanh_on_c" else o * tanh_c
    return h, c, dict(z=z, f=f, i=i, o=o, g=g, c_prev=c_prev, tanh_c=tanh_c, W=W)


FORWARD_MISTAKES = {
    "gate_order_ifog": "the gates are read in order i, f, o, g; the course's order is f, i, o, g "
                       "(rows 0:H of W are the forget gate)",
    "stack_x_first": "the input is stacked as [x; h_prev]; the course stacks z = [h_prev; x] "
                     "(h first, source 000), so W's first H columns act on h_prev",
    "missing_tanh_on_c": "h = o ⊙ c: the squashing tanh of the cell state is missing; "
                         "h = o ⊙ tanh(c)",
    "sigmoid_candidate": "the candidate uses σ; g = tanh(a_g) (it must be able to be negative)",
    "no_forget_gate": "c = c_prev + i ⊙ g: the forget gate is missing (that is the 1997 LSTM); "
                      "c = f ⊙ c_prev + i ⊙ g",
}


def _forward_variant(ctx, variant):
    """(h, c) of the correct forward step, or of a named mistake."""
    h, c, _ = cell_forward_np(*(ctx[k] for k in ("x", "h_prev", "c_prev", "W", "b")), variant=variant)
    return {"h": h, "c": c}


def check_cell_forward(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's LSTM cell forward step.

    Parameters
    ----------
    fn : callable
        ``fn(x, h_prev, c_prev, W, b) -> (h, c)`` (a tuple, NamedTuple, dict or
        object with ``h`` and ``c``), with x (B, D), h_prev and c_prev (B, H),
        W (4H, H+D) in gate order f, i, o, g acting on z = [h_prev; x],
        b (4H,); h and c are (B, H).
    expect : str, optional
        None, or a key of ``FORWARD_MISTAKES``, ``"transposed"`` or ``"shape"``.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    z = [h_prev; x],  a = W z + b,  f, i, o = σ(a_f), σ(a_i), σ(a_o),  g = tanh(a_g),
    c = f ⊙ c_prev + i ⊙ g,  h = o ⊙ tanh(c)
    """
    _check_fn(fn)
    mistakes = [Mistake(k, msg, (lambda c, k=k: _forward_variant(c, k)))
                for k, msg in FORWARD_MISTAKES.items()]
    _check_expect(expect, mistakes)
    rng = np.random.default_rng(seed)
    B, D, H = 2, 4, 3                        # D ≠ H, so a wrong stacking order is visible
    ctx = dict(B=B, H=H, x=rng.standard_normal((B, D)), h_prev=rng.standard_normal((B, H)),
               c_prev=rng.standard_normal((B, H)), W=0.8 * rng.standard_normal((4 * H, H + D)),
               b=0.5 * rng.standard_normal(4 * H))
    ctx["correct"] = _forward_variant(ctx, None)
    args = [ctx[k].copy() for k in ("x", "h_prev", "c_prev", "W", "b")]
    return _judge("check_cell_forward", fn(*args), ctx["correct"], mistakes, ctx, expect)


def cell_backward_np(dh, dc_next, cache, variant=None):
    """Reference NumPy cell backward, or the answer of a named mistake.

    Parameters
    ----------
    dh, dc_next : (B, H)
        ∂J/∂h_t (all of it) and the gradient carried into c_t from step t+1.
    cache : dict
        From :func:`cell_forward_np`.
    variant : str, optional
        None for the correct answer, else a key of ``MISTAKES["cell"]``.

    Returns
    -------
    dict with dx (B, D), dh_prev (B, H), dc_prev (B, H), dW (4H, H+D), db (4H,)
    """
    z, f, i, o, g, c_prev, tanh_c, W = (cache[k] for k in
                                        ("z", "f", "i", "o", "g", "c_prev", "tanh_c", "W"))
    H = f.shape[1]
    dtanh = 1 - tanh_c if variant == "tanh_not_squared" else 1 - tanh_c**2
    dc = dh * o * dtanh                                # (B, H) through h = o ⊙ tanh(c)
    if variant != "missing_dc_next":
        dc = dc + dc_next                              # + the carried memory gradient
    sp = (lambda s: 1) if variant == "missing_sigmoid_derivative" else (lambda s: s * (1 - s))
    da = np.concatenate([dc * c_prev * sp(f),          # da_f  (B, H)
                         dc * g * sp(i),               # da_i
                         dh * tanh_c * sp(o),          # da_o
                         dc * i * (1 - g**2)], axis=1)  # da_g  -> (B, 4H)
    dz = da @ W                                        # (B, H+D)
    dc_prev = dc_next * f if variant == "dc_prev_only_dc_next" else dc * f
    return dict(dx=dz[:, H:], dh_prev=dz[:, :H], dc_prev=dc_prev, dW=da.T @ z, db=da.sum(axis=0))


def _swap_if(M, H):
    """Swap the f and i blocks of rows (the i,f,o,g order mistake)."""
    return np.concatenate([M[H:2 * H], M[:H], M[2 * H:]], axis=0)


def _cell_variant(ctx, variant):
    if variant == "gate_order_ifog":
        # a consistent implementation reading W's blocks in order i, f, o, g
        # computes the correct gradients of the model with f and i rows swapped
        W, b, H = ctx["W"], ctx["b"], ctx["H"]
        _, _, cache = cell_forward_np(ctx["x"], ctx["h_prev"], ctx["c_prev"], _swap_if(W, H),
                                      _swap_if(b, H))
        out = cell_backward_np(ctx["dh"], ctx["dc_next"], cache)
        out["dW"], out["db"] = _swap_if(out["dW"], H), _swap_if(out["db"], H)
        return out
    if variant == "sign":
        return {k: -v for k, v in ctx["correct"].items()}
    _, _, cache = cell_forward_np(ctx["x"], ctx["h_prev"], ctx["c_prev"], ctx["W"], ctx["b"])
    return cell_backward_np(ctx["dh"], ctx["dc_next"], cache, variant)


CELL_MISTAKES = {
    "missing_dc_next": "dc lacks “+ dc_next”, the gradient carried from c_{t+1}; "
                       "dc = dh ⊙ o ⊙ (1 − tanh²c) + dc_next (every output is affected)",
    "tanh_not_squared": "tanh' is written 1 − tanh(c) instead of 1 − tanh²(c)",
    "missing_sigmoid_derivative": "the gate derivative σ' = σ(1 − σ) is missing in da_f, da_i, da_o",
    "dc_prev_only_dc_next": "dc_prev is dc_next ⊙ f only: the path through h_t is missing; "
                            "dc_prev = dc ⊙ f with the full dc",
    "gate_order_ifog": "the gates are read in order i, f, o, g; the course's order is f, i, o, g",
    "sign": "every gradient has the wrong sign",
}


def check_cell_backward(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's LSTM cell backward step.

    Parameters
    ----------
    fn : callable
        ``fn(dh, dc_next, x, h_prev, c_prev, W, b)`` returning an object,
        NamedTuple or dict with ``dx`` (B, D), ``dh_prev``, ``dc_prev`` (B, H),
        ``dW`` (4H, H+D), ``db`` (4H,). Inputs: dh, dc_next, h_prev, c_prev
        (B, H), x (B, D), W (4H, H+D), b (4H,).
    expect : str, optional
        None, or a key of ``CELL_MISTAKES``, ``"transposed"`` or ``"shape"``.
    seed : int

    Returns
    -------
    Verdict

    Equations
    ---------
    dc = dh ⊙ o ⊙ (1 − tanh²c) + dc_next;  da = [dc⊙c_prev⊙f(1−f); dc⊙g⊙i(1−i);
    dh⊙tanh c⊙o(1−o); dc⊙i⊙(1−g²)];  dz = Wᵀda;  dW = Σ_b da zᵀ;  dc_prev = dc ⊙ f
    """
    _check_fn(fn)
    mistakes = [Mistake(k, msg, (lambda c, k=k: _cell_variant(c, k)))
                for k, msg in CELL_MISTAKES.items()]
    _check_expect(expect, mistakes)
    rng = np.random.default_rng(seed)
    B, D, H = 2, 4, 3
    ctx = dict(B=B, H=H, x=rng.standard_normal((B, D)), h_prev=rng.standard_normal((B, H)),
               c_prev=rng.standard_normal((B, H)), W=0.5 * rng.standard_normal((4 * H, H + D)),
               b=0.5 * rng.standard_normal(4 * H), dh=rng.standard_normal((B, H)),
               dc_next=rng.standard_normal((B, H)))
    ctx["correct"] = _cell_variant(ctx, None)
    args = [ctx[k].copy() for k in ("dh", "dc_next", "x", "h_prev", "c_prev", "W", "b")]
    return _judge("check_cell_backward", fn(*args), ctx["correct"], mistakes, ctx, expect)


# -------------------------------------------------------------------- sequence

def sequence_backward_np(dh, x, h0, c0, W, b, variant=None):
    """Reference BPTT (one backward sweep), or the answer of a named mistake.

    Parameters
    ----------
    dh : (T, B, H)
        ∂J_t/∂h_t of the losses at each step.
    x : (T, B, D)
    h0, c0 : (B, H)
    W : (4H, H+D)
    b : (4H,)
    variant : str, optional
        None, or a key of ``SEQ_MISTAKES``.

    Returns
    -------
    dict with dx (T, B, D), dh0, dc0 (B, H), dW, db

    Equations
    ---------
    dh_t = ∂J_t/∂h_t + dh_prev(t+1),  dc_next(t) = dc_prev(t+1)
    """
    T = x.shape[0]
    caches, h, c = [], h0, c0
    for t in range(T):
        h, c, cache = cell_forward_np(x[t], h, c, W, b)
        caches.append(cache)
    dW, db = np.zeros_like(W), np.zeros_like(b)
    dx = np.zeros_like(x)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    first = T - 1 if variant == "last_step_only" else 0
    for t in reversed(range(first, T)):
        carry_h = 0 if variant == "no_dh_next" else dh_next
        carry_c = 0 if variant == "no_dc_carry" else dc_next
        g = cell_backward_np(dh[t] + carry_h, carry_c * np.ones_like(h0), caches[t])
        dx[t] = g["dx"]
        dW, db = dW + g["dW"], db + g["db"]            # W is shared: sum over steps
        dh_next, dc_next = g["dh_prev"], g["dc_prev"]
    return dict(dx=dx, dh0=dh_next, dc0=dc_next, dW=dW, db=db)


SEQ_MISTAKES = {
    "no_dh_next": "the recurrent gradient is missing: dh_t must add dh_prev from step t+1",
    "no_dc_carry": "dc_prev is not carried: step t's dc_next must be step t+1's dc_prev",
    "last_step_only": "only the last step is back-propagated: BPTT sweeps t = T … 1 and "
                      "sums dW, db over all steps",
    "sign": "every gradient has the wrong sign",
}


def check_sequence_backward(fn, *, expect=None, seed=0) -> Verdict:
    """Check a reader's BPTT over a sequence.

    Parameters
    ----------
    fn : callable
        ``fn(dh, x, h0, c0, W, b)`` returning ``dx`` (T, B, D), ``dh0``,
        ``dc0`` (B, H), ``dW`` (4H, H+D), ``db`` (4H,) (object, NamedTuple or
        dict). dh (T, B, H) is ∂J_t/∂h_t of each step's loss.
    expect : str, optional
        None, or a key of ``SEQ_MISTAKES``, ``"transposed"`` or ``"shape"``.
    seed : int

    Returns
    -------
    Verdict
    """
    _check_fn(fn)
    rng = np.random.default_rng(seed)
    T, B, D, H = 3, 2, 4, 3
    ctx = dict(dh=rng.standard_normal((T, B, H)), x=rng.standard_normal((T, B, D)),
               h0=rng.standard_normal((B, H)), c0=rng.standard_normal((B, H)),
               W=0.5 * rng.standard_normal((4 * H, H + D)), b=0.5 * rng.standard_normal(4 * H))
    keys = ("dh", "x", "h0", "c0", "W", "b")
    ctx["correct"] = sequence_backward_np(*(ctx[k] for k in keys))
    mistakes = [Mistake(k, msg, (lambda c, k=k: {kk: -v for kk, v in c["correct"].items()}
                                 if k == "sign" else
                                 sequence_backward_np(*(c[kk] for kk in keys), variant=k)))
                for k, msg in SEQ_MISTAKES.items()]
    _check_expect(expect, mistakes)
    return _judge("check_sequence_backward", fn(*(ctx[k].copy() for k in keys)),
                  ctx["correct"], mistakes, ctx, expect)


EXERCISES = {
    "softmax_ce_grad": check_softmax_ce_grad,
    "mse_grad": check_mse_grad,
    "dW_v": check_dW_v,
    "cell_forward": check_cell_forward,
    "cell_backward": check_cell_backward,
    "sequence_backward": check_sequence_backward,
}
MISTAKES = {"cell_forward": FORWARD_MISTAKES, "cell": CELL_MISTAKES, "sequence": SEQ_MISTAKES}


def check_exercise(name: str, fn, **kwargs) -> Verdict:
    """Run the checker registered under ``name`` (a key of ``EXERCISES``).

    Parameters
    ----------
    name : str
    fn : callable
        The reader's function (see the individual checker for its signature).
    **kwargs
        ``expect``, ``seed``.

    Returns
    -------
    Verdict
    """
    if name not in EXERCISES:
        raise ValueError(f"name: expected one of {sorted(EXERCISES)}, got {name!r}")
    return EXERCISES[name](fn, **kwargs)
