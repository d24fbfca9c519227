"""Checkers for one step of any cell of the LSTM family, forward and backward.

The correct answers are :func:`~lstm_ref.family.cell.family_step_forward` and
:func:`~lstm_ref.family.cell.family_step_backward` for the ``config`` given. Each mistake is
the real step run on changed inputs (peephole blocks zeroed or transposed, a
shifted ``dc_next``, a cache that holds another cell state) with its outputs
changed, or a few lines on the real :class:`~lstm_ref.FamilyStepCache`. A mistake
that cannot happen in a config is left out for it: no peephole mistakes without
peepholes, no transposed peephole matrix for the diagonal ones, no forget gate in
the carousel of a cell that has one.
"""

from __future__ import annotations

import functools

import numpy as np

from ..activations import sigmoid
from ..family import (
    FamilyParams,
    LSTMConfig,
    family_step_backward,
    family_step_forward,
    split_peepholes,
)
from ..family.cell import peephole, peephole_back
from ..params import fuse_weight
from ._judge import Exercise, Mistake, Verdict, averaged_over_batch, run, swapped

__all__ = ["family_forward_exercise", "family_backward_exercise",
           "check_family_step_forward", "check_family_step_backward"]

B, D, H = 2, 4, 3  # B > 1: a mean over the batch is visible; D ≠ H: swapped slices too


def _check_config(config):
    if not isinstance(config, LSTMConfig):
        raise TypeError(f"config: expected LSTMConfig, got {type(config).__name__}")
    return config


def _draw(config, backward):
    """Seeded inputs of one step of ``config``'s cell (and the upstream gradients)."""
    G, P = len(config.gates), len(config.peephole_gates)
    p_shape = {"none": None, "diagonal": (P * H,), "full": (P * H, H)}[config.peephole]

    def draw(rng):
        ctx = dict(x=rng.standard_normal((B, D)), h_prev=rng.standard_normal((B, H)),
                   c_prev=rng.standard_normal((B, H)),
                   W=0.5 * rng.standard_normal((G * H, H + D)), b=0.5 * rng.standard_normal(G * H))
        if p_shape is not None:
            ctx["p"] = 0.5 * rng.standard_normal(p_shape)
        if backward:
            ctx["dh"] = rng.standard_normal((B, H))
            ctx["dc_next"] = rng.standard_normal((B, H))
        return ctx
    return draw


def _params(ctx, **changed):
    """FamilyParams of the context, some of W, b, p replaced."""
    return FamilyParams(*(changed.get(k, ctx.get(k)) for k in ("W", "b", "p")))


def _step(ctx, config, **changed):
    """family_step_forward on the context's inputs, some of them (x, W, b, p) replaced."""
    return family_step_forward(changed.get("x", ctx["x"]), ctx["h_prev"], ctx["c_prev"],
                               _params(ctx, **changed), config)


def _blocks_changed(p, config, change):
    """The peephole weight with ``change(gate, block)`` applied to each gate's block."""
    blocks = split_peepholes(p, config)
    return np.concatenate([change(k, blocks[k]) for k in config.peephole_gates])


def _zero(gates):
    """A ``change`` for :func:`_blocks_changed`: the blocks of ``gates`` set to zero."""
    return lambda k, blk: np.zeros_like(blk) if k in gates else blk


def _transposed(k, blk):
    return blk.T


def _sign(ctx):
    return {k: -v for k, v in ctx["correct"].items()}


# ------------------------------------------------------------------- forward

def _h_c(out):
    h, c, _ = out
    return {"h": h, "c": c}


def _forward_mistakes(config):
    peep = config.peephole != "none"

    def stack_x_first(ctx):
        # z = [x; h_prev] against W: the correct cell with W's column blocks exchanged
        W = ctx["W"]
        return _h_c(_step(ctx, config, W=fuse_weight(W[:, D:], W[:, :D])))

    def missing_tanh_on_c(ctx):
        _, c, cache = _step(ctx, config)
        return {"h": cache.o * c, "c": c}  # h = o ⊙ c (o as in the cell)

    def returns_c_h(ctx):
        h, c, _ = _step(ctx, config)
        return {"h": c, "c": h}

    def missing_peepholes(ctx):
        return _h_c(_step(ctx, config, p=np.zeros_like(ctx["p"])))

    def output_peephole_sees_c_prev(ctx):
        # a_o = W_o z + b_o + P_o c_{t-1}: the output gate recomputed from the old state
        _, c, cache = _step(ctx, config)
        j = config.gates.index("o")
        a_o = cache.z @ ctx["W"][j * H:(j + 1) * H].T + ctx["b"][j * H:(j + 1) * H]  # (B, H)
        P_o = split_peepholes(ctx["p"], config)["o"]
        o = sigmoid(a_o + peephole(P_o, ctx["c_prev"], config.peephole))  # (B, H)
        return {"h": o * cache.tanh_c, "c": c}

    def peephole_transposed(ctx):
        return _h_c(_step(ctx, config, p=_blocks_changed(ctx["p"], config, _transposed)))

    mistakes = [
        Mistake("stack_x_first",
                "the input is stacked as [x; h_prev]; the course stacks z = [h_prev; x] "
                "(h first, source 000), so W's first H columns act on h_prev", stack_x_first),
        Mistake("missing_tanh_on_c",
                "h = o ⊙ c: the squashing tanh of the cell state is missing; h = o ⊙ tanh(c)",
                missing_tanh_on_c),
        Mistake("returns_c_h", "h and c are swapped: return (h, c), h first", returns_c_h),
        Mistake("missing_bias", "the bias is missing: a = W z + b (code: z @ W.T + b)",
                lambda ctx: _h_c(_step(ctx, config, b=np.zeros_like(ctx["b"])))),
    ]
    if peep:
        mistakes += [
            Mistake("missing_peepholes",
                    "the peephole terms are missing: the gates must see the cell state "
                    "(a_f, a_i += P c_{t-1}; a_o += P_o c_t)", missing_peepholes),
            Mistake("output_peephole_sees_c_prev",
                    "the output gate peeks at c_{t-1}; it sees the NEW cell state: compute "
                    "c_t first, then a_o += P_o c_t", output_peephole_sees_c_prev),
        ]
    if config.peephole == "full":
        mistakes.append(Mistake(
            "peephole_transposed",
            "the peephole matrices act transposed (c @ P_k); P_k c on a batch of rows is "
            "c @ P_k.T", peephole_transposed))
    return tuple(mistakes)


@functools.lru_cache(maxsize=None)
def family_forward_exercise(config: LSTMConfig) -> Exercise:
    """The :class:`~lstm_ref.exercises.Exercise` of :func:`check_family_step_forward`.

    Equations
    ---------
    See :func:`~lstm_ref.family.cell.family_step_forward`.
    """
    _check_config(config)
    args = ("x", "h_prev", "c_prev", "W", "b") + (("p",) if config.peephole != "none" else ())
    return Exercise(
        name="check_family_step_forward",
        args=args,
        draw=_draw(config, backward=False),
        correct=lambda ctx: _h_c(_step(ctx, config)),
        mistakes=_forward_mistakes(config),
        axes={"h": "B H", "c": "B H"},
    )


def check_family_step_forward(fn, *, config, expect=None, seed=0) -> Verdict:
    """Check a reader's forward step of the cell ``config`` describes.

    Parameters
    ----------
    fn : callable
        ``fn(x, h_prev, c_prev, params, config) -> (h, c)`` (a tuple, NamedTuple,
        dict or object with ``h`` and ``c``; further returned items, such as a
        cache, are ignored). x (B, D), h_prev and c_prev (B, H),
        ``params = FamilyParams(W, b, p)``: W (G*H, H+D) in the gate order
        ``config.gates`` acting on z = [h_prev; x], b (G*H,), p None / (P*H,) /
        (P*H, H) in the order ``config.peephole_gates``; h and c are (B, H).
    config : LSTMConfig
        Which cell; the named mistakes are those that can happen in it.
    expect : str, optional
        None, or a mistake: ``"stack_x_first"``, ``"missing_tanh_on_c"``,
        ``"returns_c_h"``, ``"missing_bias"``; with peepholes also
        ``"missing_peepholes"``, ``"output_peephole_sees_c_prev"``; full ones also
        ``"peephole_transposed"``; or ``"transposed"``, ``"shape"``, ``"unknown"``,
        ``"wrong_return"``, ``"not_attempted"``.
    seed : int
        Seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    a = W z + b,  a_f += P_f c_prev,  a_i += P_i c_prev,  f, i = σ(a_f), σ(a_i),
    g = tanh(a_g),  c = f ⊙ c_prev + i ⊙ g  (no forget gate: c_prev + i ⊙ g),
    a_o += P_o c,  o = σ(a_o),  h = o ⊙ tanh(c)
    """
    exercise = family_forward_exercise(_check_config(config))
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")

    def build(x, h_prev, c_prev, W, b, p=None):
        return x, h_prev, c_prev, FamilyParams(W, b, p), config

    def forward(*arrays):  # the reader's outputs beyond (h, c) are not judged
        out = fn(*build(*arrays))
        if isinstance(out, (tuple, list)) and not hasattr(out, "_fields") and len(out) > 2:
            return tuple(out[:2])
        return out
    return run(exercise, functools.wraps(fn)(forward), expect=expect, seed=seed)


# ------------------------------------------------------------------- backward

def _grads(ctx, config, dc_next=None, cache_change=None):
    """family_step_backward(dh, dc_next) after the real forward step, as a dict.

    ``cache_change(cache) -> cache`` replaces what the backward step reads
    (another cell state, other peephole weights) without changing the forward step.
    """
    _, _, cache = _step(ctx, config)
    if cache_change is not None:
        cache = cache_change(cache)
    dc_next = ctx["dc_next"] if dc_next is None else dc_next
    out = family_step_backward(ctx["dh"], dc_next, cache)._asdict()
    del out["da"]  # the exercise returns (dx, dh_prev, dc_prev, dW, db, dp): da is not asked
    if config.peephole == "none":
        del out["dp"]  # None: nothing to judge
    return out


def _with_p(change, config):
    """A ``cache_change``: the backward step reads changed peephole blocks."""
    def cache_change(cache):
        p = _blocks_changed(cache.params.p, config, change)
        return cache._replace(params=cache.params._replace(p=p))
    return cache_change


def _backward_mistakes(config):
    peep = config.peephole != "none"

    def tanh_not_squared(ctx):
        # dc = dh ⊙ o ⊙ (1 − tanh c) + ... is the real dc with dc_next shifted by
        # dh ⊙ o ⊙ (tanh²c − tanh c); everything after dc is then the mistake's
        _, _, cache = _step(ctx, config)
        shift = ctx["dh"] * cache.o * (cache.tanh_c**2 - cache.tanh_c)  # (B, H)
        return _grads(ctx, config, dc_next=ctx["dc_next"] + shift)

    def dx_dh_prev_swapped(ctx):
        return swapped(ctx["correct"], "dx", "dh_prev")

    def mean_over_batch(ctx):
        fields = ("dW", "db", "dp") if peep else ("dW", "db")
        return averaged_over_batch(ctx["correct"], B, fields)

    def no_output_peephole_path(ctx):
        # dc without P_oᵀ δa_o is the real dc with dc_next shifted by −P_oᵀ δa_o
        # (δa_o = dh ⊙ tanh c ⊙ o(1 − o) does not depend on dc)
        _, _, cache = _step(ctx, config)
        da_o = ctx["dh"] * cache.tanh_c * cache.o * (1 - cache.o)  # (B, H)
        P_o = split_peepholes(ctx["p"], config)["o"]
        back = peephole_back(P_o, da_o, config.peephole)  # (B, H) P_oᵀ δa_o
        return _grads(ctx, config, dc_next=ctx["dc_next"] - back)

    def no_next_step_peephole_paths(ctx):
        # the backward step with P_f = P_i = 0 (the forward step unchanged) sends back
        # dc_prev = dc ⊙ f alone; dc and every δa are the real ones
        alone = _grads(ctx, config, cache_change=_with_p(_zero("fi"), config))
        return {**ctx["correct"], "dc_prev": alone["dc_prev"]}

    def forget_gate_in_carousel(ctx):
        # dc_prev = dc ⊙ i + P_iᵀ δa_i: rows 0:H (the input gate here) used as a forget gate
        _, _, cache = _step(ctx, config)
        dc = (_grads(ctx, config, cache_change=_with_p(_zero("fi"), config))["dc_prev"]
              if peep else ctx["correct"]["dc_prev"])  # (B, H) the carousel alone: dc
        right = ctx["correct"]
        return {**right, "dc_prev": right["dc_prev"] - dc + dc * cache.i}

    def dp_output_sees_c_prev(ctx):
        # the cache's c is read only for dP_o: a cache holding c_{t-1} there gives the mistake
        wrong = _grads(ctx, config, cache_change=lambda cache: cache._replace(c=cache.c_prev))
        return {**ctx["correct"], "dp": wrong["dp"]}

    def dp_mean_over_batch(ctx):
        return {**ctx["correct"], "dp": ctx["correct"]["dp"] / B}

    def peephole_not_transposed(ctx):
        # a backward step reading P_kᵀ where P_k is stored sends δa_k @ P_kᵀ along each path
        return _grads(ctx, config, cache_change=_with_p(_transposed, config))

    mistakes = [
        Mistake("missing_dc_next",
                "dc lacks “+ dc_next”, the gradient carried from c_{t+1}; "
                "dc = dh ⊙ o ⊙ (1 − tanh²c) + dc_next (every output is affected)",
                lambda ctx: _grads(ctx, config, dc_next=np.zeros_like(ctx["dc_next"]))),
        Mistake("tanh_not_squared", "tanh' is written 1 − tanh(c) instead of 1 − tanh²(c)",
                tanh_not_squared),
        Mistake("dx_dh_prev_swapped",
                "dx and dh_prev are swapped: z = [h_prev; x], so dh_prev = dz[:, :H] and "
                "dx = dz[:, H:]", dx_dh_prev_swapped),
        Mistake("mean_over_batch",
                "the parameter gradients are divided by B (a mean over the batch): the "
                "course's J sums over the batch, so dW = da.T @ z, db = da.sum(axis=0)",
                mean_over_batch),
        Mistake("sign", "every gradient has the wrong sign", _sign),
    ]
    if peep:
        mistakes += [
            Mistake("no_output_peephole_path",
                    "dc lacks the path c_t → a_o of the output gate's peephole at the same "
                    "step: dc = dh ⊙ o ⊙ (1 − tanh²c) + dc_next + P_oᵀ δa_o",
                    no_output_peephole_path),
            Mistake("no_next_step_peephole_paths",
                    "dc_prev lacks the paths c_{t-1} → a_f, a_i through this step's "
                    "peepholes: dc_prev = dc ⊙ f + P_fᵀ δa_f + P_iᵀ δa_i",
                    no_next_step_peephole_paths),
            Mistake("dp_output_sees_c_prev",
                    "dp_o uses c_{t-1}; the output gate sees the new cell state, so its "
                    "gradient is δa_o with c_t (dp_f, dp_i use c_{t-1})", dp_output_sees_c_prev),
            Mistake("dp_mean_over_batch",
                    "dp is divided by B (a mean over the batch); like dW, it is a sum over "
                    "the batch", dp_mean_over_batch),
        ]
    if config.peephole == "full":
        mistakes.append(Mistake(
            "peephole_not_transposed",
            "the peephole paths use δa @ P.T; P_k c on rows is c @ P_k.T, so its gradient "
            "goes back as δa_k @ P_k (P_kᵀ δa_k in column form)", peephole_not_transposed))
    if not config.forget_gate:
        mistakes.append(Mistake(
            "forget_gate_in_carousel",
            "dc_prev is multiplied by a gate (rows 0:H of W are the input gate here); "
            "the 1997 carousel c_t = c_{t-1} + i ⊙ g passes dc on unchanged: "
            "dc_prev = dc (+ the peephole paths)", forget_gate_in_carousel))
    return tuple(mistakes)


@functools.lru_cache(maxsize=None)
def family_backward_exercise(config: LSTMConfig) -> Exercise:
    """The :class:`~lstm_ref.exercises.Exercise` of :func:`check_family_step_backward`.

    Equations
    ---------
    See :func:`~lstm_ref.family.cell.family_step_backward`.
    """
    _check_config(config)
    G, P = len(config.gates), len(config.peephole_gates)
    gate_axis = "4H" if G == 4 else f"{G}H"  # "4H" names the gate blocks f, i, o, g
    axes = {"dx": "B D", "dh_prev": "B H", "dc_prev": "B H", "dW": f"{gate_axis} H+D",
            "db": gate_axis}
    args = ("dh", "dc_next", "x", "h_prev", "c_prev", "W", "b")
    if config.peephole != "none":
        args += ("p",)
        axes["dp"] = f"{P}H" if config.peephole == "diagonal" else f"{P}H H"
    return Exercise(
        name="check_family_step_backward",
        args=args,
        draw=_draw(config, backward=True),
        correct=lambda ctx: _grads(ctx, config),
        mistakes=_backward_mistakes(config),
        axes=axes,
    )


def check_family_step_backward(fn, *, config, expect=None, seed=0) -> Verdict:
    """Check a reader's backward step of the cell ``config`` describes.

    Parameters
    ----------
    fn : callable
        ``fn(dh, dc_next, cache) -> (dx, dh_prev, dc_prev, dW, db, dp)`` like
        :func:`~lstm_ref.family.cell.family_step_backward` (a tuple, NamedTuple, dict or object
        with these names). ``cache`` is the :class:`~lstm_ref.FamilyStepCache` of
        :func:`~lstm_ref.family.cell.family_step_forward` (fields config, z, f, i, o, g, c_prev,
        c, tanh_c, params). dh, dc_next (B, H); returns dx (B, D), dh_prev,
        dc_prev (B, H), dW (G*H, H+D), db (G*H,), dp (P*H,) or (P*H, H); without
        peepholes dp is None (or left out).
    config : LSTMConfig
        Which cell; the named mistakes are those that can happen in it.
    expect : str, optional
        None, or a mistake: ``"missing_dc_next"``, ``"tanh_not_squared"``,
        ``"dx_dh_prev_swapped"``, ``"mean_over_batch"``, ``"sign"``; with peepholes
        also ``"no_output_peephole_path"``, ``"no_next_step_peephole_paths"``,
        ``"dp_output_sees_c_prev"``, ``"dp_mean_over_batch"``; full ones also
        ``"peephole_not_transposed"``; without a forget gate also
        ``"forget_gate_in_carousel"``; or ``"transposed"``, ``"shape"``,
        ``"unknown"``, ``"wrong_return"``, ``"not_attempted"``.
    seed : int

    Returns
    -------
    Verdict

    Equations
    ---------
    δa_o = δh ⊙ tanh c ⊙ o(1−o);  δc = δh ⊙ o ⊙ (1 − tanh²c) + dc_next + P_oᵀ δa_o;
    δc_prev = δc ⊙ f (or δc) + P_fᵀ δa_f + P_iᵀ δa_i;  dW = Σ_b δa zᵀ;
    dP_k = Σ_b δa_k cᵀ (c_prev for f, i; c for o)
    """
    exercise = family_backward_exercise(_check_config(config))
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")

    def build(dh, dc_next, x, h_prev, c_prev, W, b, p=None):
        # the reader gets a fresh cache of the real forward step on copies of the inputs
        _, _, cache = family_step_forward(x, h_prev, c_prev, FamilyParams(W, b, p), config)
        return dh, dc_next, cache

    def backward(*arrays):
        out = fn(*build(*arrays))
        if config.peephole == "none" and isinstance(out, (tuple, list)) \
                and not hasattr(out, "_fields") and len(out) == 6 and out[5] is None:
            return tuple(out[:5])  # (dx, dh_prev, dc_prev, dW, db, None): dp None is right
        return out
    return run(exercise, functools.wraps(fn)(backward), expect=expect, seed=seed)
