r"""The LSTM family's one switchboard: which cell, and its parameters.

One configuration object says which member of the family a cell is; one
initialiser makes its parameters; the step pair (:mod:`lstm_ref.family.cell`)
and the plain sequence loop (:mod:`lstm_ref.family.sequence`) honour it::

    config = LSTMConfig(peephole="diagonal", forget_gate=True)
    params = init_family_params(config, D, H, rng)      # FamilyParams(W, b, p)

Options:

* ``peephole``: ``"none"`` (source 000), ``"diagonal"`` (source 001, Graves:
  the input and forget gates see :math:`c_{t-1}` and the output gate sees
  :math:`c_t`, each through a weight vector) or ``"full"`` (source 004: the same
  three paths through full :math:`H \times H` matrices);
* ``forget_gate``: ``True``, or ``False`` for the 1997 LSTM's constant error
  carousel :math:`c_t = c_{t-1} + i_t \odot g_t` (source 002).

Layout (the core's, with the forget gate's rows left out when there is none)::

    W = [W_f; W_i; W_o; W_g]   (G*H, H+D) on z = [h_prev; x]   G = len(config.gates)
    b = [b_f; b_i; b_o; b_g]   (G*H,)
    p = [p_f; p_i; p_o]        (P*H,) diagonal, (P*H, H) full  P = len(config.peephole_gates)

``LSTMConfig()`` is the core cell of :mod:`lstm_ref.cell`, parameters and all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _validate as _v
from ..params import GATES, _check_dtype

__all__ = ["PEEPHOLES", "LSTMConfig", "FamilyParams", "init_family_params",
           "split_peepholes", "check_family_params", "check_input_width"]

#: The values of ``LSTMConfig.peephole``.
PEEPHOLES = ("none", "diagonal", "full")


@dataclass(frozen=True)
class LSTMConfig:
    """Which member of the LSTM family a cell is (frozen, hashable).

    Parameters
    ----------
    peephole : {"none", "diagonal", "full"}, default "none"
        How the gates see the cell state: not at all, through a weight vector
        per gate (element-wise), or through a full H x H matrix per gate.
    forget_gate : bool, default True
        False gives the 1997 LSTM: :math:`c_t = c_{t-1} + i_t \\odot g_t`.

    Equations
    ---------
    .. math::

        a_f &\\mathrel{+}= P_f c_{t-1}, \\quad a_i \\mathrel{+}= P_i c_{t-1}, \\quad
        a_o \\mathrel{+}= P_o c_t \\\\
        P_k c &= p_k \\odot c \\ (\\text{diagonal}), \\qquad P_k c \\ (\\text{full})
    """

    peephole: str = "none"
    forget_gate: bool = True

    def __post_init__(self):
        _v.check_option("peephole", self.peephole, PEEPHOLES)
        if not isinstance(self.forget_gate, (bool, np.bool_)):
            raise TypeError(f"forget_gate: expected True or False, got {self.forget_gate!r}")

    @property
    def gates(self) -> tuple:
        """Row blocks of W and b, in order: ``("f","i","o","g")`` or ``("i","o","g")``."""
        return GATES if self.forget_gate else tuple(k for k in GATES if k != "f")

    @property
    def peephole_gates(self) -> tuple:
        """Row blocks of the peephole weight p: the gates that see the cell state."""
        if self.peephole == "none":
            return ()
        return tuple(k for k in self.gates if k != "g")

    def describe(self) -> str:
        """Short name, e.g. ``"peephole=full, no forget gate"`` (``"core"`` for the defaults)."""
        parts = [] if self.peephole == "none" else [f"peephole={self.peephole}"]
        if not self.forget_gate:
            parts.append("no forget gate")
        return ", ".join(parts) or "core"


class FamilyParams(NamedTuple):
    """Parameters of one cell of the family (see :class:`LSTMConfig` for the layout).

    ``W`` (G*H, H+D), ``b`` (G*H,), ``p`` peephole weights: None, (P*H,) or (P*H, H).
    """

    W: np.ndarray
    b: np.ndarray
    p: np.ndarray | None = None


def _p_spec(config: LSTMConfig) -> str | None:
    n = len(config.peephole_gates)
    return {"none": None, "diagonal": f"{n}H", "full": f"{n}H H"}[config.peephole]


def check_input_width(name: str, D) -> int:
    """Raise unless ``D`` is an integer >= 0 (a dense input of width 0 is allowed); return it.

    D = 0 is the cell with no dense input (the first layer of a stack, whose
    one-hot input enters through ``a_in``).
    """
    if isinstance(D, bool) or not isinstance(D, (int, np.integer)):
        raise TypeError(f"{name}: expected an integer >= 0, got {type(D).__name__}")
    if D < 0:
        raise ValueError(f"{name}: expected an integer >= 0 (0: no dense input), got {D!r}")
    return int(D)


def check_family_params(params, config, H: int | None = None, D: int | None = None) -> dict:
    """Check ``params`` against ``config``; return the sizes ``{"H": .., "D": ..}``.

    ``H`` and ``D``, when given, are the sizes of the inputs (D = 0 allowed).

    Raises
    ------
    TypeError
        ``config`` is not an LSTMConfig, ``params`` not a FamilyParams, or a
        non-float array.
    ValueError
        A shape that does not fit the config, or peephole weights that the
        config does not have (or lacks); the message names the option.
    """
    _v.check_type("config", config, LSTMConfig)
    _v.check_type("params", params, FamilyParams)
    G = len(config.gates)
    arrays = {"params.W": params.W, "params.b": params.b}
    spec = _p_spec(config)
    if spec is None and params.p is not None:
        shape = getattr(params.p, "shape", type(params.p).__name__)
        raise ValueError(f"params.p: config.peephole is 'none', so expected no peephole "
                         f"weights (None), got {shape}; use LSTMConfig(peephole='diagonal') "
                         "or 'full' to train them")
    if spec is not None:
        if params.p is None:
            raise ValueError(f"params.p: config.peephole is {config.peephole!r}, so expected "
                             f"peephole weights of shape ({spec.replace(' ', ', ')}), got None")
        arrays["params.p"] = params.p
    _v.check_floats(**arrays)
    sizes = {k: n for k, n in (("H", H), ("D", D)) if n is not None}
    if D is None and params.W.ndim == 2 and H is not None and params.W.shape[1] == H:
        sizes["D"] = 0  # W (G*H, H): no dense input
    specs = [("params.W", params.W, f"{G}H H+D"), ("params.b", params.b, f"{G}H")]
    if spec is not None:
        specs.append(("params.p", params.p, spec))
    try:
        return _v.check_shapes(*specs, sizes=sizes)
    except ValueError as err:
        gates = ", ".join(config.gates)
        raise ValueError(f"{err} (config {config.describe()}: {G} gate blocks {gates})") from None


def split_peepholes(p, config: LSTMConfig) -> dict:
    """Split the peephole weight into its per-gate blocks (views).

    Equations
    ---------
    .. math::

        p = [p_f; p_i; p_o] \\;\\mapsto\\; \\{f: p_f,\\ i: p_i,\\ o: p_o\\}

    Parameters
    ----------
    p : ndarray, shape (P*H,) (diagonal) or (P*H, H) (full)
    config : LSTMConfig
        With peepholes; P = len(config.peephole_gates).

    Returns
    -------
    dict
        Gate name -> block of shape (H,) or (H, H).
    """
    _v.check_type("config", config, LSTMConfig)
    if config.peephole == "none":
        raise ValueError("config: expected a config with peepholes ('diagonal' or 'full'), "
                         "got peephole='none'")
    _v.check_float("p", p)
    n = len(config.peephole_gates)
    want = 1 if config.peephole == "diagonal" else 2
    if p.ndim != want or p.shape[0] % n or (want == 2 and p.shape[1] * n != p.shape[0]):
        spec = f"({n}H,)" if want == 1 else f"({n}H, H)"
        raise ValueError(f"p: expected shape {spec} for peephole={config.peephole!r}, "
                         f"got {p.shape}")
    H = p.shape[0] // n
    return {k: p[j * H:(j + 1) * H] for j, k in enumerate(config.peephole_gates)}


def init_family_params(config: LSTMConfig, D: int, H: int, rng: np.random.Generator, *,
                       forget_bias=None, scale=None, dtype=np.float64) -> FamilyParams:
    r"""Random parameters for the cell ``config`` describes.

    Equations
    ---------
    .. math::

        W_{jk},\ p_{jk} \sim \mathcal U(-s, s), \quad s = \frac{1}{\sqrt{H + D}}, \qquad
        b = [\,\underbrace{b_f}_{=\text{forget\_bias}};\ 0;\ 0;\ 0\,]

    The same draws as :func:`~lstm_ref.params.init_lstm_params` for W (the core's
    parameters for ``LSTMConfig()``), then the peephole weights.

    Parameters
    ----------
    config : LSTMConfig
    D, H : int
        Input and hidden sizes (D = 0: no dense input, W of shape (G*H, H)).
    rng : numpy.random.Generator
    forget_bias : float, optional
        Every entry of :math:`b_f` (default 1.0). Only for a cell with a
        forget gate: passing it with ``forget_gate=False`` is an error.
    scale : float, optional
        Half-width s of the uniform distribution.
    dtype : float32 or float64, default float64

    Returns
    -------
    FamilyParams
        ``W`` (G*H, H+D), ``b`` (G*H,), ``p`` None / (P*H,) / (P*H, H).
    """
    _v.check_type("config", config, LSTMConfig)
    check_input_width("D", D)
    _v.check_positive("H", H, integer=True)
    _v.check_type("rng", rng, np.random.Generator)
    dtype = _check_dtype(dtype)
    if forget_bias is not None and not config.forget_gate:
        raise ValueError(f"forget_bias: config.forget_gate is False (no forget gate), so "
                         f"expected no forget_bias, got {forget_bias!r}")
    if forget_bias is None:
        forget_bias = 1.0
    _v.check_type("forget_bias", forget_bias, (int, float, np.integer, np.floating))
    if isinstance(forget_bias, bool) or not np.isfinite(forget_bias):
        raise ValueError(f"forget_bias: expected a finite number, got {forget_bias!r}")
    if scale is None:
        scale = 1.0 / np.sqrt(H + D)
    _v.check_positive("scale", scale)
    G = len(config.gates)
    W = rng.uniform(-scale, scale, size=(G * H, H + D)).astype(dtype)
    b = np.zeros(G * H, dtype=dtype)
    if config.forget_gate:
        b[:H] = forget_bias  # b_f: the first block
    p = None
    n = len(config.peephole_gates)
    if config.peephole == "diagonal":
        p = rng.uniform(-scale, scale, size=n * H).astype(dtype)
    elif config.peephole == "full":
        p = rng.uniform(-scale, scale, size=(n * H, H)).astype(dtype)
    return FamilyParams(W=W, b=b, p=p)
