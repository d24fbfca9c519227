r"""Optimizers: pure update functions, state in and state out.

Parameters and gradients are mappings from names to arrays with the same keys
and shapes, e.g. ``{"W": W, "b": b}`` and ``{"W": dW, "b": db}``. Every function
returns NEW dicts of NEW arrays and modifies nothing it is given; an optimizer
with memory (momentum, RMSprop, Adam) takes its state as an argument and returns
the next one, a NamedTuple holding one dict per accumulator, keyed like the
parameters (one accumulator per parameter array, element-wise).

* :func:`sgd_step`: :math:`\theta \leftarrow \theta - \eta g`
* :func:`momentum_init`, :func:`momentum_step`: heavy-ball momentum
* :func:`rmsprop_init`, :func:`rmsprop_step`: RMSprop in source 004's form
* :func:`adam_init`, :func:`adam_step`: Adam with bias correction (Kingma & Ba 2015)
* :func:`clip_by_global_norm`: gradient clipping by the norm of all arrays together
  (Pascanu, Mikolov & Bengio 2013)

Here :math:`g = \partial J/\partial\theta` (the course's ``dX``), :math:`\eta` the
learning rate, and :math:`k` counts updates, not time steps. The learning rate and
the other hyperparameters are Python numbers; the updates keep each parameter's dtype.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, NamedTuple

import numpy as np

from . import _validate as _v

__all__ = [
    "MomentumState",
    "RMSpropState",
    "AdamState",
    "sgd_step",
    "momentum_init",
    "momentum_step",
    "rmsprop_init",
    "rmsprop_step",
    "adam_init",
    "adam_step",
    "clip_by_global_norm",
]


class MomentumState(NamedTuple):
    """State of :func:`momentum_step`."""

    v: dict  #: the velocity v of every parameter (dict of str -> ndarray, its shape)


class RMSpropState(NamedTuple):
    """State of :func:`rmsprop_step`."""

    ms: dict  #: the running mean of squared gradients E[g²] of every parameter


class AdamState(NamedTuple):
    """State of :func:`adam_step`."""

    m: dict  #: first-moment estimates (running mean of g) of every parameter
    v: dict  #: second-moment estimates (running mean of g², element-wise)
    t: int  #: the number of updates taken so far (0 after :func:`adam_init`)


# ------------------------------------------------------------------ validation

def _number(name: str, value: Any) -> float:
    """A real number (not a bool) as a Python float, or a TypeError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {_v._type_name(value)}")
    return float(value)


def _positive(name: str, value: Any) -> float:
    """A finite number > 0 (learning rate, eps, max_norm) as a Python float."""
    _number(name, value)
    return float(_v.check_positive(name, value))


def _decay(name: str, value: Any) -> float:
    """A decay rate (beta, beta1, beta2, rho) in [0, 1) as a Python float."""
    value = _number(name, value)
    if not 0.0 <= value < 1.0:  # also False for NaN
        raise ValueError(f"{name}: expected a number in [0, 1), got {value!r}")
    return value


def _check_params(params: Any) -> Mapping:
    """A mapping of names to finite float arrays."""
    _v.check_type("params", params, Mapping)
    for k, a in params.items():
        _v.check_float(f"params[{k!r}]", a)
        _v.check_finite(f"params[{k!r}]", a)
    return params


def _check_like(name: str, arrays: Any, params: Mapping, *, finite: bool = True) -> Mapping:
    """``arrays`` (gradients or an accumulator) has exactly params' keys, shapes and dtypes."""
    _v.check_type(name, arrays, Mapping)
    missing = [k for k in params if k not in arrays]
    extra = [k for k in arrays if k not in params]
    if missing or extra:
        said = []
        if missing:
            said.append(f"missing {', '.join(repr(k) for k in missing)}")
        if extra:
            said.append(f"extra {', '.join(repr(k) for k in extra)}")
        raise ValueError(f"{name}: expected the keys of params {sorted(params, key=str)}, "
                         f"got {sorted(arrays, key=str)} ({'; '.join(said)})")
    for k, p in params.items():
        a = arrays[k]
        _v.check_float(f"{name}[{k!r}]", a)
        if a.shape != p.shape:
            raise ValueError(f"{name}[{k!r}]: expected shape {p.shape} (the shape of "
                             f"params[{k!r}]), got {a.shape}")
        if a.dtype != p.dtype:
            raise TypeError(f"{name}[{k!r}]: expected dtype {p.dtype} (the dtype of "
                            f"params[{k!r}]), got {a.dtype}")
        if finite:
            _v.check_finite(f"{name}[{k!r}]", a)
    return arrays


def _check_state(state: Any, cls: type, params: Mapping) -> None:
    """``state`` is a ``cls`` whose dicts are keyed and shaped like ``params``."""
    _v.check_type("state", state, cls)
    for field in cls._fields:
        if field != "t":
            _check_like(f"state.{field}", getattr(state, field), params)


# Every update below is wrapped in np.asarray: arithmetic on a 0-d array (a scalar
# parameter) returns a NumPy scalar, and the next step must get an array back.

def _zeros_like(params: Any) -> dict:
    """One zero accumulator per parameter (new arrays, the parameter's dtype)."""
    return {k: np.zeros_like(a) for k, a in _check_params(params).items()}


# ------------------------------------------------------------------ SGD

def sgd_step(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray], *,
             lr: float) -> dict:
    r"""One step of (stochastic) gradient descent.

    Equations
    ---------
    .. math::

        \theta \leftarrow \theta - \eta\, g, \qquad g = \partial J/\partial\theta

    A step *against* the gradient: for a small :math:`\eta > 0` it lowers
    :math:`J` by about :math:`\eta\lVert g\rVert^2`. Source 000's update display
    adds the gradient instead (:math:`W \mathrel{+}= \alpha\,\partial J/\partial W`,
    errata rows 000-UPD-50 … 56), which is gradient ascent.

    Parameters
    ----------
    params : mapping of str -> ndarray
        Parameters :math:`\theta`, any shapes, float32 or float64, e.g. W (4H, H+D), b (4H,).
    grads : mapping of str -> ndarray
        :math:`g = \partial J/\partial\theta`: the same keys, shapes and dtypes; finite.
    lr : float
        Learning rate :math:`\eta > 0`.

    Returns
    -------
    dict of str -> ndarray
        The updated parameters (new arrays).

    Raises
    ------
    ValueError
        ``lr`` not a finite positive number; keys or shapes of ``grads`` that differ
        from ``params``; NaN or Inf in a gradient or parameter.
    TypeError
        A non-mapping, a non-array or an array that is not float32/float64.
    """
    lr = _positive("lr", lr)
    _check_like("grads", grads, _check_params(params))
    return {k: np.asarray(p - lr * grads[k]) for k, p in params.items()}


# ------------------------------------------------------------------ momentum

def momentum_init(params: Mapping[str, np.ndarray]) -> MomentumState:
    r"""The initial state of :func:`momentum_step`: zero velocity.

    Equations
    ---------
    .. math::

        v_0 = 0 \quad\text{(one array per parameter, its shape)}

    Parameters
    ----------
    params : mapping of str -> ndarray
        The parameters the state is for (any shapes, float32 or float64).

    Returns
    -------
    MomentumState
    """
    return MomentumState(v=_zeros_like(params))


def momentum_step(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray],
                  state: MomentumState, *, lr: float, beta: float = 0.9
                  ) -> tuple[dict, MomentumState]:
    r"""One step of gradient descent with (heavy-ball) momentum.

    Equations
    ---------
    .. math::

        v_k = \beta\, v_{k-1} + g_k, \qquad \theta_k = \theta_{k-1} - \eta\, v_k

    :math:`v_k = \sum_{j \le k} \beta^{k-j} g_j` sums the past gradients with
    geometrically decaying weights: a direction that persists builds up to
    :math:`g/(1-\beta)`, one that alternates cancels. With :math:`\beta = 0` this
    is :func:`sgd_step`.

    Parameters
    ----------
    params, grads : mapping of str -> ndarray
        As in :func:`sgd_step`.
    state : MomentumState
        :math:`v_{k-1}` for every parameter (from :func:`momentum_init` or the last step).
    lr : float
        Learning rate :math:`\eta > 0`.
    beta : float, default 0.9
        Momentum coefficient :math:`\beta \in [0, 1)`.

    Returns
    -------
    params : dict of str -> ndarray
        :math:`\theta_k` (new arrays).
    state : MomentumState
        :math:`v_k` (new arrays).

    Raises
    ------
    ValueError, TypeError
        As :func:`sgd_step`; ``beta`` outside [0, 1); a state not shaped like ``params``.
    """
    lr, beta = _positive("lr", lr), _decay("beta", beta)
    _check_like("grads", grads, _check_params(params))
    _check_state(state, MomentumState, params)
    v = {k: np.asarray(beta * state.v[k] + grads[k]) for k in params}  # v_k = β v_{k-1} + g_k
    new = {k: np.asarray(p - lr * v[k]) for k, p in params.items()}
    return new, MomentumState(v=v)


# ------------------------------------------------------------------ RMSprop

def rmsprop_init(params: Mapping[str, np.ndarray]) -> RMSpropState:
    r"""The initial state of :func:`rmsprop_step`: :math:`E[g^2]_0 = 0`.

    Equations
    ---------
    .. math::

        E[g^2]_0 = 0 \quad\text{(one array per parameter, its shape)}

    Source 004 does not give the start value (errata row 004-3.2-51a); zero is
    the usual choice.

    Parameters
    ----------
    params : mapping of str -> ndarray

    Returns
    -------
    RMSpropState
    """
    return RMSpropState(ms=_zeros_like(params))


def rmsprop_step(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray],
                 state: RMSpropState, *, lr: float, rho: float = 0.9, eps: float = 1e-8
                 ) -> tuple[dict, RMSpropState]:
    r"""One step of RMSprop, in source 004's form (:math:`\epsilon` inside the root).

    Equations
    ---------
    .. math::

        E[g^2]_k = \rho\, E[g^2]_{k-1} + (1-\rho)\, g_k \odot g_k, \qquad
        \theta_k = \theta_{k-1} - \eta\, g_k \oslash \sqrt{E[g^2]_k + \epsilon}

    element-wise, one accumulator per parameter (errata rows 004-3.2-49 … 51a;
    source 004 writes :math:`\gamma` for :math:`\rho` and :math:`\alpha` for
    :math:`\eta`). Each entry's step is scaled by the root mean square of its
    recent gradients. Libraries also write :math:`\sqrt{E[g^2]_k} + \epsilon`;
    this function follows the source.

    Parameters
    ----------
    params, grads : mapping of str -> ndarray
        As in :func:`sgd_step`.
    state : RMSpropState
        :math:`E[g^2]_{k-1}` for every parameter.
    lr : float
        Learning rate :math:`\eta > 0`.
    rho : float, default 0.9
        Decay of the running mean, :math:`\rho \in [0, 1)`.
    eps : float, default 1e-8
        :math:`\epsilon > 0`, keeps the division finite.

    Returns
    -------
    params : dict of str -> ndarray
        :math:`\theta_k` (new arrays).
    state : RMSpropState
        :math:`E[g^2]_k` (new arrays).

    Raises
    ------
    ValueError, TypeError
        As :func:`sgd_step`; ``rho`` outside [0, 1); ``eps`` not a positive number;
        a state not shaped like ``params``.
    """
    lr, rho, eps = _positive("lr", lr), _decay("rho", rho), _positive("eps", eps)
    _check_like("grads", grads, _check_params(params))
    _check_state(state, RMSpropState, params)
    ms = {k: np.asarray(rho * state.ms[k] + (1 - rho) * grads[k] ** 2) for k in params}  # E[g²]_k
    new = {k: np.asarray(p - lr * grads[k] / np.sqrt(ms[k] + eps)) for k, p in params.items()}
    return new, RMSpropState(ms=ms)


# ------------------------------------------------------------------ Adam

def adam_init(params: Mapping[str, np.ndarray]) -> AdamState:
    r"""The initial state of :func:`adam_step`: zero moments, no update taken.

    Equations
    ---------
    .. math::

        m_0 = 0, \quad v_0 = 0, \quad t = 0

    Parameters
    ----------
    params : mapping of str -> ndarray

    Returns
    -------
    AdamState
    """
    return AdamState(m=_zeros_like(params), v=_zeros_like(params), t=0)


def adam_step(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray],
              state: AdamState, *, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
              eps: float = 1e-8) -> tuple[dict, AdamState]:
    r"""One step of Adam (Kingma & Ba 2015, Algorithm 1), with bias correction.

    Equations
    ---------
    .. math::

        \begin{aligned}
        t &\leftarrow t + 1\\
        m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t\\
        v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t \odot g_t\\
        \hat m_t &= m_t / (1-\beta_1^t), \qquad \hat v_t = v_t / (1-\beta_2^t)\\
        \theta_t &= \theta_{t-1} - \eta\, \hat m_t \oslash (\sqrt{\hat v_t} + \epsilon)
        \end{aligned}

    :math:`t` counts updates. From :math:`m_0 = v_0 = 0` the running means are
    biased towards zero: :math:`m_t = (1-\beta_1)\sum_{j\le t}\beta_1^{t-j} g_j`
    has weights summing to :math:`1-\beta_1^t`, and dividing by it corrects that
    (at :math:`t = 1`, :math:`\hat m_1 = g_1` and :math:`\hat v_1 = g_1^2`, so the
    first step moves each entry by about :math:`\eta`). Here :math:`\epsilon`
    is outside the root, as in the paper (compare :func:`rmsprop_step`).

    Parameters
    ----------
    params, grads : mapping of str -> ndarray
        As in :func:`sgd_step`.
    state : AdamState
        :math:`m_{t-1}, v_{t-1}` for every parameter and the count :math:`t-1`.
    lr : float, default 1e-3
        Step size :math:`\eta > 0` (the paper's :math:`\alpha`).
    beta1, beta2 : float, default 0.9, 0.999
        Decay rates of the moment estimates, each in [0, 1).
    eps : float, default 1e-8
        :math:`\epsilon > 0`.

    Returns
    -------
    params : dict of str -> ndarray
        :math:`\theta_t` (new arrays).
    state : AdamState
        :math:`m_t, v_t` (new arrays) and :math:`t`.

    Raises
    ------
    ValueError, TypeError
        As :func:`sgd_step`; ``beta1``/``beta2`` outside [0, 1); ``eps`` not a
        positive number; ``state.t`` not an int >= 0; a state not shaped like ``params``.
    """
    lr, eps = _positive("lr", lr), _positive("eps", eps)
    beta1, beta2 = _decay("beta1", beta1), _decay("beta2", beta2)
    _check_like("grads", grads, _check_params(params))
    _check_state(state, AdamState, params)
    if isinstance(state.t, bool) or not isinstance(state.t, (int, np.integer)):
        raise TypeError(f"state.t: expected an int >= 0, got {_v._type_name(state.t)}")
    if state.t < 0:
        raise ValueError(f"state.t: expected an int >= 0, got {state.t}")
    t = int(state.t) + 1
    m = {k: np.asarray(beta1 * state.m[k] + (1 - beta1) * grads[k]) for k in params}  # m_t
    v = {k: np.asarray(beta2 * state.v[k] + (1 - beta2) * grads[k] ** 2) for k in params}  # v_t
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t  # the weights of m_t, v_t sum to these
    new = {k: np.asarray(p - lr * (m[k] / c1) / (np.sqrt(v[k] / c2) + eps))
           for k, p in params.items()}
    return new, AdamState(m=m, v=v, t=t)


# ------------------------------------------------------------------ clipping

def _global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """sqrt of the sum of squares of every entry, in float64, without overflow."""
    flat = [np.asarray(g, dtype=np.float64).ravel() for g in grads.values()]
    with np.errstate(over="ignore"):
        total = sum(float(np.dot(g, g)) for g in flat)
    if math.isfinite(total):
        return math.sqrt(total)
    # finite entries whose squares overflow: factor out the largest magnitude
    big = max(float(np.max(np.abs(g))) for g in flat if g.size)
    return big * math.sqrt(sum(float(np.dot(g / big, g / big)) for g in flat))


def clip_by_global_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict, float]:
    r"""Rescale all gradients together so that their joint norm is at most ``max_norm``.

    Equations
    ---------
    .. math::

        \lVert g\rVert = \Big(\sum_{\text{arrays } X}\ \sum_{\text{entries}}
        (\partial J/\partial X)^2\Big)^{1/2}, \qquad
        g \leftarrow g \cdot \min\!\Big(1, \frac{\text{max\_norm}}{\lVert g\rVert}\Big)

    (Pascanu, Mikolov & Bengio 2013). One factor for every array keeps the
    direction of the whole gradient; only its length is capped. Gradients with
    :math:`\lVert g\rVert \le` ``max_norm`` are returned unchanged (as copies).

    Parameters
    ----------
    grads : mapping of str -> ndarray
        The gradients, any shapes, float32 or float64, finite.
    max_norm : float
        The largest allowed norm, > 0.

    Returns
    -------
    grads : dict of str -> ndarray
        The clipped gradients (new arrays, the dtypes of ``grads``).
    norm : float
        :math:`\lVert g\rVert` before clipping (computed in float64).

    Raises
    ------
    ValueError
        ``max_norm`` not a finite positive number; NaN or Inf in a gradient.
    TypeError
        A non-mapping, a non-array or a non-float array.
    """
    max_norm = _positive("max_norm", max_norm)
    _v.check_type("grads", grads, Mapping)
    for k, g in grads.items():
        _v.check_float(f"grads[{k!r}]", g)
        _v.check_finite(f"grads[{k!r}]", g)
    norm = _global_norm(grads)
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0  # a Python float: keeps the dtype
    return {k: np.asarray(g * scale) for k, g in grads.items()}, norm
