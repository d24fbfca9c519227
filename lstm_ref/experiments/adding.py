r"""The adding problem: experiment 4 of Hochreiter & Schmidhuber (1997), section 5.4.

The task, as the paper defines it. Every element of a sequence is a pair: a
value drawn uniformly from [-1, 1] and a marker in {-1, 0, 1}. The length L is
an integer drawn between T and T + T/10. One of the first ten pairs is marked
1 (its value is X_1); one of the first T/2 - 1 pairs still unmarked is marked 1
(its value is X_2). The first and the last pair carry the marker -1 unless
marked, and X_1 is set to 0 when the very first pair is the one marked (the paper
says this of X_1 only; a second mark on the first pair keeps its value). At the
end of the sequence, and only there, the target is

.. math::

    y = 0.5 + \frac{X_1 + X_2}{4} \in [0, 1].

The paper's success criteria, which this module applies unchanged:

* a sequence is processed correctly when :math:`|\hat y - y| < 0.04`;
* training stops when the mean training error over the most recent 2,000
  training sequences is below 0.01 and all 2,000 were processed correctly;
* the trained net is then scored on 2,560 test sequences.

The network: the recurrent layer (the 1997 LSTM, the modern LSTM or a vanilla
RNN), and one sigmoid output unit that sees only the last hidden state,
:math:`\hat y = \sigma(w^\top h_L + b)`. The loss of a batch is
:math:`J = \frac{1}{2B}\sum_b (\hat y_b - y_b)^2`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from .. import _validate as _v
from ..activations import sigmoid
from ..affine import affine_backward, affine_forward
from ..family import FamilyParams, LSTMConfig, family_backward, family_forward, init_family_params
from ..family.cell import _step_forward
from ..family.config import check_family_params
from ..family.sequence import FamilySeqCache
from ..losses import mean_squared_error
from ..optim import adam_init, adam_step, clip_by_global_norm, sgd_step
from ..rnn import init_rnn_params, rnn_backward, rnn_forward
from ._runs import Bookkeeper, check_same_run, model_arrays, model_from_arrays, progress_bar
from .checkpoint import restore_rng, rng_state

__all__ = ["PAPER", "MODELS", "CORRECT_BELOW", "STOP_MEAN_ERROR", "STOP_WINDOW", "TEST_SIZE",
           "AddingSpec", "AddingResult", "PaperFigure", "adding_batch", "adding_test_set",
           "default_spec", "init_adding_params", "stopping_criterion", "net_forward",
           "net_backward", "paper_gradients", "train_adding",
           "test_errors"]

CORRECT_BELOW = 0.04  #: a sequence is correct when its absolute error is below 0.04
STOP_MEAN_ERROR = 0.01  #: stop when the mean training error (last 2,000) is below this ...
STOP_WINDOW = 2000  #: ... and the last 2,000 training sequences were all correct
TEST_SIZE = 2560  #: the size of the paper's test set


class PaperFigure(NamedTuple):
    """One row of the paper's results for the adding problem."""

    sequences: int  #: training sequences until the stopping criterion held
    test_wrong: int  #: test sequences with an absolute error of 0.04 or more, of 2,560


#: Hochreiter & Schmidhuber (1997), section 5.4, the results of experiment 4, by T.
PAPER = {100: PaperFigure(74_000, 1), 500: PaperFigure(209_000, 0)}

#: The recurrent layers this module trains.
MODELS = ("lstm1997", "lstm", "rnn")


@dataclass(frozen=True)
class AddingSpec:
    """Everything that decides a run: the model, the task, the optimizer, the seed."""

    model: str  #: "lstm1997", "lstm" or "rnn"
    T: int  #: minimal sequence length; lengths are drawn from T .. T + T//10
    seed: int  #: seeds the initial weights and the training sequences
    H: int = 4  #: memory cells (the paper: 2 blocks of 2 cells)
    batch: int = 1  #: sequences per update (1: online, as in the paper)
    optimizer: str = "sgd"  #: "sgd" or "adam"
    lr: float = 0.5
    clip: float | None = None  #: global-norm clipping threshold, None for none
    scale: float = 0.1  #: initial weights uniform in [-scale, scale]
    input_bias: tuple = (-3.0, -6.0)  #: initial input-gate bias, one value per block of cells
    forget_bias: float = 1.0  #: initial forget-gate bias (the modern LSTM only)
    max_sequences: int = 1_000_000  #: the budget: stop unsolved after this many
    #: halve lr when this fraction of the last 2,000 sequences (all seen since the last
    #: halving) is correct, then again each time the fraction wrong halves
    #: (None: a constant lr, as the paper's)
    halve_at: float | None = None
    #: "full": backpropagation through time; "truncated": the paper's gradient, in which
    #: only the cells' carousel carries error back in time (the LSTMs only)
    gradient: str = "full"
    #: cells per block; a block's cells share one input gate and one output gate
    block: int = 1
    #: "tanh": g = tanh, h = o tanh(c); "scaled": the paper's g = 4 sigma - 2 and
    #: h = o (2 sigma(c) - 1) (the 1997 LSTM trained by SGD only)
    squash: str = "tanh"
    #: what the gates and cell inputs see of step t-1: "cells", the cells' outputs
    #: h_{t-1} (the LSTM of the book), or "all", also every gate unit's activation at
    #: t-1 (the paper's fully connected hidden layer; with the truncated gradient only)
    recurrent: str = "cells"

    def __post_init__(self):
        _v.check_option("model", self.model, MODELS)
        _v.check_option("optimizer", self.optimizer, ("sgd", "adam"))
        for name in ("T", "H", "batch", "max_sequences"):
            _v.check_positive(name, getattr(self, name), integer=True)
        _check_T(self.T)
        _v.check_positive("lr", self.lr)
        _v.check_positive("scale", self.scale)
        if self.clip is not None:
            _v.check_positive("clip", self.clip)
        if self.halve_at is not None and not 0 < self.halve_at <= 1:
            raise ValueError(f"halve_at: expected a fraction in (0, 1] or None, "
                             f"got {self.halve_at!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed: expected an integer >= 0, got {self.seed!r}")
        _v.check_option("gradient", self.gradient, ("full", "truncated"))
        _v.check_option("squash", self.squash, ("tanh", "scaled"))
        _v.check_positive("block", self.block, integer=True)
        _v.check_option("recurrent", self.recurrent, ("cells", "all"))
        if self.recurrent == "all" and self.gradient != "truncated":
            raise ValueError(f"recurrent: 'all' feeds the gates' activations back as inputs "
                             f"held constant, which is the truncated gradient's view; expected "
                             f"gradient='truncated', got gradient={self.gradient!r}")
        if self.model == "rnn" and (self.gradient, self.block) != ("full", 1):
            raise ValueError(f"gradient, block: the RNN has no carousel and no gates; expected "
                             f"'full' and 1, got {self.gradient!r} and {self.block!r}")
        if self.H % self.block:
            raise ValueError(f"block: expected a divisor of H = {self.H}, got {self.block!r}")
        if self.squash == "scaled" and (self.model, self.optimizer, self.clip) != (
                "lstm1997", "sgd", None):
            raise ValueError(f"squash: 'scaled' is the 1997 LSTM's, trained by SGD without "
                             f"clipping; got model={self.model!r}, optimizer={self.optimizer!r}, "
                             f"clip={self.clip!r}")

    def describe(self) -> str:
        return (f"{self.model}, T={self.T}, seed={self.seed}, H={self.H}, "
                f"batch={self.batch}, {self.optimizer} lr={self.lr}")


def default_spec(model: str, T: int, seed: int, **overrides) -> AddingSpec:
    r"""The course's settings for each model (any field can be overridden).

    * ``lstm1997``: the paper's net: no forget gate, 2 blocks of 2 cells (a
      block's cells share their gates), the paper's squashing functions, its
      truncated gradient, online SGD with learning rate 0.5, weights in
      [-0.1, 0.1], input-gate biases -3 and -6. Its gates and cells see the cells'
      outputs of step t-1, as the book's LSTM does; ``recurrent="all"`` adds the
      paper's fully connected hidden layer (they also see the gates of t-1).
    * ``lstm``: the modern LSTM: a forget gate with bias 5 (it starts at
      :math:`\sigma(5) \approx 0.993`, so that a cell keeps half of its content for
      about 100 steps), the paper's negative input-gate biases, 8 cells, Adam
      (lr 0.01) on batches of 16 with clipping at norm 1; lr is halved when 95% of
      the last 2,000 sequences are correct, and again each time the fraction wrong
      halves (5%, 2.5%, ...).
    * ``rnn``: a vanilla tanh RNN with the modern LSTM's size and optimizer
      (the baseline that should fail).
    """
    _v.check_option("model", model, MODELS)
    modern = {"H": 8, "batch": 16, "optimizer": "adam", "lr": 0.01, "clip": 1.0, "scale": 0.5,
              "halve_at": 0.95}
    paper = {"gradient": "truncated", "block": 2, "squash": "scaled"}
    base = {"lstm1997": paper,
            "lstm": {**modern, "forget_bias": 5.0},
            "rnn": modern}[model]
    return AddingSpec(model=model, T=T, seed=seed, **{**base, **overrides})


# ----------------------------------------------------------------------------- the task


def _check_T(T) -> None:
    _v.check_positive("T", T, integer=True)
    if T < 10:
        raise ValueError(f"T: expected an integer >= 10 (one of the first ten pairs is "
                         f"marked), got {T}")


def adding_batch(rng: np.random.Generator, T: int, B: int):
    """B sequences of the adding problem, all of one length L (drawn from T .. T + T//10).

    With B = 1 this is exactly the paper's stream of sequences; a batch shares
    its length so that it is one array.

    Returns
    -------
    x : ndarray, shape (L, B, 2)
        Column 0 the values, column 1 the markers.
    y : ndarray, shape (B,)
        The targets :math:`0.5 + (X_1 + X_2)/4`.
    """
    _v.check_type("rng", rng, np.random.Generator)
    _check_T(T)
    _v.check_positive("B", B, integer=True)
    L = int(rng.integers(T, T + T // 10 + 1))
    x = np.zeros((L, B, 2))  # (L, B, 2)
    x[:, :, 0] = rng.uniform(-1.0, 1.0, size=(L, B))
    x[0, :, 1] = -1.0  # the first and the last pair: marker -1 ...
    x[L - 1, :, 1] = -1.0
    first = rng.integers(0, 10, size=B)  # one of the first ten pairs
    # one of the first T/2 - 1 pairs still unmarked: draw among T/2 - 1 places, skip `first`
    k = rng.integers(0, T // 2 - 1, size=B)
    second = k + (k >= first)
    cols = np.arange(B)
    x[first, cols, 0] = np.where(first == 0, 0.0, x[first, cols, 0])  # X_1 = 0 on pair 1
    x[first, cols, 1] = 1.0  # ... unless marked
    x[second, cols, 1] = 1.0
    y = 0.5 + (x[first, cols, 0] + x[second, cols, 0]) / 4.0  # (B,)
    return x, y


def adding_test_set(T: int, n: int = TEST_SIZE):
    """The fixed test set for T: n sequences, grouped by length.

    Drawn one by one (as the paper's stream) from a generator seeded with
    (1997, T): every model and every seed is scored on the same sequences.

    Returns
    -------
    list of (x, y)
        One pair per length L present: x (L, n_L, 2), y (n_L,).
    """
    rng = np.random.default_rng([1997, T])
    by_length: dict[int, list] = {}
    for _ in range(n):
        x, y = adding_batch(rng, T, 1)
        by_length.setdefault(len(x), []).append((x, y))
    return [(np.concatenate([x for x, _ in pairs], axis=1), np.concatenate([y for _, y in pairs]))
            for _, pairs in sorted(by_length.items())]


# ----------------------------------------------------------------------------- the net


def _config(model: str) -> LSTMConfig:
    return LSTMConfig(forget_gate=(model == "lstm"))


class _Arch(NamedTuple):
    """What the net's forward pass needs to know besides its parameters."""

    model: str
    feedback: int  #: cells per gate unit fed back (the block size); 0: none fed back


def _arch(model) -> _Arch:
    """The architecture from a model name (the book's recurrence) or an AddingSpec."""
    if isinstance(model, AddingSpec):
        return _Arch(model.model, model.block if model.recurrent == "all" else 0)
    _v.check_option("model", model, MODELS)
    return _Arch(model, 0)


def _gate_names(config: LSTMConfig) -> list:
    """The gates whose units the paper feeds back: every gate but the cell input g."""
    return [k for k in config.gates if k != "g"]


def _gate_units(spec: AddingSpec) -> int:
    """Q, the number of gate units fed back to step t+1 (0 unless ``recurrent='all'``)."""
    if spec.recurrent == "cells":
        return 0
    return len(_gate_names(_config(spec.model))) * spec.H // spec.block  # one per block


def init_adding_params(spec: AddingSpec, rng: np.random.Generator) -> dict:
    """Initial parameters: the recurrent layer's ``W``, ``b``; the output unit's ``W_v``, ``b_v``.

    Returns
    -------
    dict
        ``W`` (G*H, H+2+Q) and ``b`` (G*H,) (G = 3 gates without a forget gate,
        4 with one; G = 1 for the RNN; Q the gate units fed back, 0 unless
        ``recurrent='all'``), ``W_v`` (1, H), ``b_v`` (1,).
    """
    H = spec.H
    if spec.model == "rnn":
        W, b = init_rnn_params(2, H, rng, scale=spec.scale)
    else:
        config = _config(spec.model)
        extra = {"forget_bias": spec.forget_bias} if config.forget_gate else {}
        D = 2 + _gate_units(spec)  # the inputs, then the gate units of step t-1
        W, b, _ = init_family_params(config, D, H, rng, scale=spec.scale, **extra)
        i = _rows(config, "i", H).start  # the input-gate block of b
        blocks = np.array_split(np.arange(H), len(spec.input_bias))
        for value, cells in zip(spec.input_bias, blocks):
            b[i + cells] = value  # start with the input gates nearly shut
        for rows in _shared_gate_rows(spec):  # a block's cells start with one gate
            W[rows] = W[rows[0]]
            b[rows] = b[rows[0]]
        if spec.squash == "scaled":  # the paper's W_g, b_g, in the tanh cell's variables
            W[_rows(config, "g", H)] /= 2
            b[_rows(config, "g", H)] /= 2
    W_v = rng.uniform(-spec.scale, spec.scale, size=(1, H))
    return {"W": W, "b": b, "W_v": W_v, "b_v": np.zeros(1)}


def _rows(config: LSTMConfig, gate: str, H: int) -> slice:
    """The rows of W and b that belong to ``gate``."""
    k = config.gates.index(gate)
    return slice(k * H, (k + 1) * H)


def _shared_gate_rows(spec: AddingSpec) -> list:
    """Row indices of W and b that hold one gate shared by a block of cells, a list per gate."""
    if spec.block == 1:
        return []
    config = _config(spec.model)
    return [np.arange(start, start + spec.block) + _rows(config, gate, spec.H).start
            for gate in ("i", "o") for start in range(0, spec.H, spec.block)]


def paper_gradients(grads: dict, spec: AddingSpec) -> dict:
    r"""The gradients of the paper's parameters, in the tanh cell's variables.

    Two of the paper's choices are changes of variables of the family's cell,
    so the cell stays the one the book verifies:

    * **Shared gates.** A block's cells share one input gate and one output
      gate: their rows of W and b start equal, and each gets the sum of the
      block's gradients (the gradient of the one shared weight), so they stay
      equal.
    * **Scaled squashing.** The paper's :math:`g(a) = 4\sigma(a) - 2 =
      2\tanh(a/2)` and :math:`h(c) = 2\sigma(c) - 1 = \tanh(c/2)` give the same
      net as the tanh cell with :math:`W_g' = W_g/2`, :math:`b_g' = b_g/2` and
      :math:`c' = c/2`. Since :math:`\partial J/\partial W_g = \tfrac12\,\partial
      J/\partial W_g'`, an SGD step of size :math:`\eta` on :math:`W_g` moves
      :math:`W_g'` by :math:`\tfrac{\eta}{4}\,\partial J/\partial W_g'`: the g rows'
      gradients are scaled by 1/4 (and their initial values by 1/2).

    Equations
    ---------
    .. math::

        \delta W_{r} \leftarrow \sum_{r' \in \text{block}(r)} \delta W_{r'}
        \ (\text{gate rows } r), \qquad
        \delta W_g \leftarrow \tfrac14\, \delta W_g, \quad \delta b_g \leftarrow
        \tfrac14\, \delta b_g

    Parameters
    ----------
    grads : dict
        ``W`` (3H, H+2), ``b`` (3H,), ``W_v``, ``b_v``: the tanh cell's gradients.
    spec : AddingSpec

    Returns
    -------
    dict
        The same keys; ``grads`` itself when neither choice is made.
    """
    rows = _shared_gate_rows(spec)
    if not rows and spec.squash == "tanh":
        return grads
    dW, db = grads["W"].copy(), grads["b"].copy()  # (3H, H+2), (3H,)
    for r in rows:
        dW[r] = dW[r].sum(axis=0)  # one weight per block: the sum over its cells
        db[r] = db[r].sum()
    if spec.squash == "scaled":
        g = _rows(_config(spec.model), "g", spec.H)
        dW[g] /= 4  # dJ/dW_g = dJ/dW_g' / 2, and W_g' moves by half of W_g's step
        db[g] /= 4
    return {**grads, "W": dW, "b": db}


class _NetCache(NamedTuple):
    model: str
    core: object  # the recurrent layer's sequence cache
    out: object  # the output layer's affine cache
    y_hat: np.ndarray  # (B,)
    L: int
    H: int
    fed_back: bool  # the gate units of t-1 were inputs of step t (held constant)


def _hidden(params: dict, x: np.ndarray, arch: _Arch):
    """The hidden states h (L, B, H) of the net over x (L, B, 2), and the core's cache."""
    h0 = np.zeros((x.shape[1], params["W_v"].shape[1]))  # (B, H)
    if arch.model == "rnn":
        return rnn_forward(x, h0, params["W"], params["b"])
    core = FamilyParams(params["W"], params["b"])
    if arch.feedback:
        return _hidden_fed_back(x, h0, core, _config(arch.model), arch.feedback)
    h, _, cache = family_forward(x, h0, h0, core, _config(arch.model))
    return h, cache


def _hidden_fed_back(x, h0, core: FamilyParams, config: LSTMConfig, block: int):
    r"""The paper's fully connected hidden layer: step t also sees the gate units of t-1.

    The family's step with the input :math:`\tilde x_t = [x_t;\ q_{t-1}]`, where
    :math:`q_{t-1}` holds the activation of every gate unit at step t-1 (one per
    block of cells; :math:`q_0 = 0`). Under the truncated gradient :math:`q_{t-1}`
    is an input held constant, like :math:`h_{t-1}`, so the loop over the step
    pair and :func:`~lstm_ref.family.family_backward` serve unchanged: the
    columns of W that read :math:`q_{t-1}` get :math:`\delta a_t\, q_{t-1}^\top`.

    Returns
    -------
    h : ndarray, shape (L, B, H)
    cache : FamilySeqCache
    """
    gates = _gate_names(config)
    B, H = h0.shape
    Q = len(gates) * H // block  # one unit per gate and block
    check_family_params(core, config, H, x.shape[2] + Q)
    h_t, c_t = h0, h0
    q = np.zeros((B, Q))  # (B, Q) no gate has fired before step 1
    hs, caches = [], []
    for x_t in x:
        h_t, c_t, step = _step_forward(np.concatenate([x_t, q], axis=1), h_t, c_t, core, config,
                                       None)
        # a block's cells share each gate: one unit per block (columns 0, block, 2 block, ...)
        q = np.concatenate([getattr(step, k)[:, ::block] for k in gates], axis=1)  # (B, Q)
        hs.append(h_t)
        caches.append(step)
    return np.stack(hs), FamilySeqCache(steps=tuple(caches))


def _read_out(params: dict, h_last: np.ndarray):
    """The output y_hat = sigma(W_v h_L + b_v) (B,) from the last hidden states (B, H)."""
    v, out = affine_forward(h_last, params["W_v"], params["b_v"])  # (B, 1)
    return sigmoid(v[:, 0]), out


def net_forward(params: dict, x: np.ndarray, model):
    """Run the net over x (L, B, 2); return the outputs y_hat (B,) at the last step and a cache.

    ``model``: a model name (the recurrence of the book's LSTM), or the run's AddingSpec
    (which also says whether the gate units are fed back, ``recurrent='all'``).
    """
    arch = _arch(model)
    h, core = _hidden(params, x, arch)  # (L, B, H)
    y_hat, out = _read_out(params, h[-1])  # only h_L is read
    return y_hat, _NetCache(arch.model, core, out, y_hat, len(x), h.shape[2],
                            arch.feedback > 0)


def net_backward(dy_hat: np.ndarray, cache: _NetCache, *, truncate: bool = False) -> dict:
    """Gradients of every parameter, from dJ/dy_hat (B,).

    ``truncate``: the paper's truncated gradient for the LSTMs
    (:func:`lstm_ref.family.sequence.family_backward` with ``truncate=True``).
    """
    if cache.fed_back and not truncate:
        raise ValueError("truncate: the gate units of t-1 were inputs held constant "
                         "(recurrent='all'), which only the truncated gradient assumes; "
                         "expected True, got False")
    y_hat = cache.y_hat
    dv = (dy_hat * y_hat * (1 - y_hat))[:, None]  # (B, 1) through the output sigmoid
    out = affine_backward(dv, cache.out)
    dh = np.zeros((cache.L, len(y_hat), cache.H))  # (L, B, H): only step L has a loss
    dh[-1] = out.dh
    if cache.model == "rnn":
        core = rnn_backward(dh, cache.core)
    else:
        core = family_backward(dh, cache.core, truncate=truncate)
    return {"W": core.dW, "b": core.db, "W_v": out.dW_v, "b_v": out.db_v}


def test_errors(params: dict, model, test_set) -> np.ndarray:
    r"""The absolute errors :math:`|\hat y - y|` of every test sequence (in test-set order).

    Every length runs in one batch: a shorter sequence is padded with zeros after its end
    and its output is read at its own last step. The net is causal (step t sees only steps
    1..t), so the padding never reaches that output: the same errors as running each
    length on its own, in one sweep over the longest length instead of one per length.
    ``model``: a model name or the run's AddingSpec, as for :func:`net_forward`.
    """
    lengths = np.concatenate([np.full(len(y), len(x)) for x, y in test_set])  # (N,)
    x = np.zeros((lengths.max(), len(lengths), 2))  # (L_max, N, 2), zeros after each end
    y = np.concatenate([y for _, y in test_set])  # (N,)
    start = 0
    for x_L, y_L in test_set:
        x[:len(x_L), start:start + len(y_L)] = x_L
        start += len(y_L)
    h, _ = _hidden(params, x, _arch(model))  # (L_max, N, H)
    y_hat, _ = _read_out(params, h[lengths - 1, np.arange(len(lengths))])  # (N,)
    return np.abs(y_hat - y)


# ----------------------------------------------------------------------------- training


class AddingResult(NamedTuple):
    """What a run ends with (also written to ``result.json`` by the command line)."""

    spec: AddingSpec
    solved_at: int | None  #: training sequences until the criterion held; None: not within budget
    sequences: int  #: training sequences seen
    test_wrong: int  #: test sequences with an absolute error of 0.04 or more, of 2,560
    test_mse: float  #: mean squared test error
    #: "sequences", and over the last 2,000: "mean_error" (of e^2), "correct" (fraction)
    history: dict
    wall_time: float  #: seconds, summed over every resumed part of the run
    params: dict

    def summary(self) -> dict:
        """The JSON-ready figures (no parameters)."""
        return {"spec": asdict(self.spec), "solved_at": self.solved_at,
                "sequences": self.sequences, "test_wrong": self.test_wrong,
                "test_size": TEST_SIZE, "test_mse": self.test_mse,
                "wall_time_s": round(self.wall_time, 1),
                "history": {k: v.tolist() for k, v in self.history.items()}}


def _fresh_state(spec: AddingSpec) -> dict:
    rng = np.random.default_rng(spec.seed)
    params = init_adding_params(spec, rng)
    return {"params": params, "opt": adam_init(params) if spec.optimizer == "adam" else None,
            "rng": rng, "recent": np.full(STOP_WINDOW, np.inf), "sequences": 0, "batches": 0,
            "history": {"sequences": [], "mean_error": [], "correct": []},
            "solved_at": None, "wall_time": 0.0, "lr": spec.lr, "since_halving": 0,
            "halve_below": None if spec.halve_at is None else 1 - spec.halve_at}


def _to_checkpoint(spec: AddingSpec, s: dict):
    arrays = {**model_arrays(s["params"], s["opt"]), "recent": s["recent"]}
    state = {"spec": asdict(spec), "rng": rng_state(s["rng"]), "sequences": s["sequences"],
             "batches": s["batches"], "history": s["history"], "solved_at": s["solved_at"],
             "wall_time": s["wall_time"], "adam_t": None if s["opt"] is None else s["opt"].t,
             "lr": s["lr"], "since_halving": s["since_halving"],
             "halve_below": s["halve_below"]}
    return arrays, state


def _from_checkpoint(spec: AddingSpec, ckpt) -> dict:
    fields = ckpt.state["spec"]
    saved = AddingSpec(**{**fields, "input_bias": tuple(fields["input_bias"])})
    check_same_run(saved, spec, "max_sequences")
    a, st = ckpt.arrays, ckpt.state
    params, opt = model_from_arrays(a, st["adam_t"])
    return {"params": params, "opt": opt, "rng": restore_rng(st["rng"]), "recent": a["recent"],
            "sequences": st["sequences"], "batches": st["batches"], "history": st["history"],
            "solved_at": st["solved_at"], "wall_time": st["wall_time"], "lr": st["lr"],
            "since_halving": st["since_halving"], "halve_below": st["halve_below"]}


def _update(spec: AddingSpec, s: dict, grads: dict) -> None:
    if spec.clip is not None:
        grads, _ = clip_by_global_norm(grads, spec.clip)
    if spec.optimizer == "adam":
        s["params"], s["opt"] = adam_step(s["params"], grads, s["opt"], lr=s["lr"])
    else:
        s["params"] = sgd_step(s["params"], grads, lr=s["lr"])
    s["since_halving"] += spec.batch
    wrong = np.mean(np.abs(s["recent"]) >= CORRECT_BELOW)  # fraction of the last 2,000
    if (spec.halve_at is not None and s["since_halving"] >= STOP_WINDOW
            and wrong <= s["halve_below"]):
        # the errors halved: so does the step, lest the noise of a large step break a run
        s["lr"] /= 2
        s["halve_below"] /= 2
        s["since_halving"] = 0


def train_adding(spec: AddingSpec, *, directory=None, checkpoint_every: int = 200,
                 log_every: int = 1000, progress: bool = False,
                 stop_after_batches: int | None = None) -> AddingResult | None:
    """Train until the paper's criterion holds or the budget is spent; score the test set.

    Parameters
    ----------
    spec : AddingSpec
    directory : path, optional
        Checkpoints go to ``directory/checkpoints`` every ``checkpoint_every``
        batches, and a run finds its last checkpoint there and resumes from it.
    log_every : int
        Record the training curve every this many sequences.
    progress : bool
        Show a tqdm progress bar (sequences, with the error of the last 2,000).
    stop_after_batches : int, optional
        Stop (as if interrupted) after this many batches of this call, with a
        checkpoint, and return None: for testing resumption.

    Returns
    -------
    AddingResult, or None when stopped by ``stop_after_batches``.
    """
    _v.check_type("spec", spec, AddingSpec)
    books = Bookkeeper(directory, checkpoint_every=checkpoint_every,
                       stop_after=stop_after_batches)
    ckpt = books.load()
    s = _fresh_state(spec) if ckpt is None else _from_checkpoint(spec, ckpt)
    bar = None
    if progress:
        bar = progress_bar(total=spec.max_sequences, initial=s["sequences"], unit="seq",
                           desc=f"{spec.model} T={spec.T} seed={spec.seed}")
    B = spec.batch
    while s["solved_at"] is None and s["sequences"] < spec.max_sequences:
        x, y = adding_batch(s["rng"], spec.T, B)
        y_hat, cache = net_forward(s["params"], x, spec)
        err = y_hat - y  # (B,) the errors of this batch, before its update
        s["recent"] = np.concatenate([s["recent"][B:], err])[-STOP_WINDOW:]
        s["sequences"] += B
        s["batches"] += 1
        solved = stopping_criterion(s["recent"])
        if solved:
            s["solved_at"] = s["sequences"]
        else:
            J, dy_hat = mean_squared_error(y_hat, y)  # J = mean e^2, dJ/dy_hat = 2e/B
            grads = net_backward(dy_hat / 2, cache,  # J/2: the paper's 1/2 e^2
                                 truncate=spec.gradient == "truncated")
            _update(spec, s, paper_gradients(grads, spec))
        if s["sequences"] % log_every < B or solved:
            _log(s)
        if bar is not None:
            _show(bar, s, B)
        if books.after_batch(s, s["batches"], lambda: _to_checkpoint(spec, s)):
            if bar is not None:
                bar.close()
            return None  # interrupted, with a checkpoint
    if bar is not None:
        bar.close()
    books.clock(s)
    wrong = test_errors(s["params"], spec, adding_test_set(spec.T))
    history = {k: np.asarray(v, dtype=int if k == "sequences" else float)
               for k, v in s["history"].items()}
    result = AddingResult(spec=spec, solved_at=s["solved_at"], sequences=s["sequences"],
                          test_wrong=int(np.sum(wrong >= CORRECT_BELOW)),
                          test_mse=float(np.mean(wrong ** 2)), history=history,
                          wall_time=s["wall_time"], params=s["params"])
    books.save(s, s["batches"], lambda: _to_checkpoint(spec, s))
    return result


def stopping_criterion(recent) -> bool:
    r"""The paper's criterion on the errors of the most recent training sequences.

    True when there are 2,000 of them (``recent`` of length 2,000; entries
    not yet filled are inf), all with :math:`|e| < 0.04`, and their mean
    training error :math:`\overline{e^2}` is below 0.01.
    """
    recent = np.asarray(recent, dtype=float)
    if recent.shape != (STOP_WINDOW,):
        raise ValueError(f"recent: expected shape ({STOP_WINDOW},), got {recent.shape}")
    return bool(np.all(np.abs(recent) < CORRECT_BELOW) and np.mean(recent ** 2) < STOP_MEAN_ERROR)


def _log(s: dict) -> None:
    seen = min(s["sequences"], STOP_WINDOW)
    recent = s["recent"][-seen:]
    s["history"]["sequences"].append(int(s["sequences"]))
    s["history"]["mean_error"].append(float(np.mean(recent ** 2)))
    s["history"]["correct"].append(float(np.mean(np.abs(recent) < CORRECT_BELOW)))


def _show(bar, s: dict, B: int) -> None:
    bar.update(B)
    if s["batches"] % 50 == 0:
        h = s["history"]
        if h["sequences"]:
            bar.set_postfix(err=f"{h['mean_error'][-1]:.4f}", ok=f"{h['correct'][-1]:.3f}",
                            refresh=False)
