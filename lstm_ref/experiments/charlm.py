r"""A character-level language model: source 001's stacked LSTM trained on the course's prose.

The model is :mod:`lstm_ref.stack.model` (every layer reads the symbol, every layer
feeds the logits) with the core cell ``LSTMConfig()``. The text is a fixed
snapshot of the course's own prose, ``book/data/text/course_prose.txt`` (built
by ``tools/make_charlm_text.py``); its last 10% is held out.

Training is truncated BPTT with disjoint windows, BPTT(k, k) (Sutskever 2013,
thesis §2.8.6): B streams read the training text in parallel, stream b from
offset :math:`b \lfloor N/B \rfloor` (wrapping round at the end). Each update
runs one window of k characters per stream forward *from the state the
previous window ended in*, backpropagates within the window only, and carries
the final state :math:`(h^n_k, c^n_k)` of every layer on to the next window.
No gradient crosses a window boundary. The loss of an update is the mean
next-character cross-entropy over its :math:`kB` predictions,

.. math::

    J = \frac{1}{kB} \sum_{b=1}^{B} \sum_{t=1}^{k} -\ln \hat y^{(b)}_{t,\,x^{(b)}_{t+1}}
    \quad \text{nats}, \qquad \text{bits/char} = J / \ln 2,

minimised by Adam with the gradient clipped by its global norm.

The figures it reports, all in bits per character of the held-out text: the
model's (:func:`held_out_bits`), and two count baselines estimated on the
training text (:func:`~lstm_ref.experiments.text.unigram_bits`,
:func:`~lstm_ref.experiments.text.bigram_bits`).

The command line (``python -m lstm_ref.experiments charlm --help``) runs
:func:`train_charlm` with checkpoints, so that a killed run resumes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from .. import _validate as _v
from ..activations import log_softmax
from ..family.config import FamilyParams, LSTMConfig
from ..losses import softmax_cross_entropy
from ..optim import adam_init, adam_step, clip_by_global_norm
from ..stack import (
    StackLayer,
    StackParams,
    init_stack_params,
    sample_stack,
    stack_backward,
    stack_final_state,
    stack_forward,
)
from ._runs import Bookkeeper, check_same_run, model_arrays, model_from_arrays, progress_bar
from .checkpoint import restore_rng, rng_state
from .text import TEXTS, CharText, bigram_bits, check_text_symbols, load_text, unigram_bits

# load_text, unigram_bits, bigram_bits (lstm_ref.experiments.text) are importable from here too
__all__ = ["CONFIG", "TEMPERATURES", "CharSpec", "CharResult", "flatten_params",
           "unflatten_params", "window_loss", "held_out_bits", "train_charlm"]

CONFIG = LSTMConfig()  #: the cell of every layer: the core LSTM (the fused path runs it)
TEMPERATURES = (0.5, 1.0, 1.5)  #: the samples drawn at the end of a run
SAMPLE_CHARS = 300  #: characters per sample
SAMPLE_SEED = 2015  #: the samples' generator (fixed: every run samples alike)
SAMPLE_FIRST = "\n"  #: each sample starts from a new line (or, without one, the text's first)
EVAL_STREAMS = 8  #: held-out text is scored as 8 contiguous parts, each from zero state
EVAL_WINDOW = 100  #: ... in windows of 100 characters, the state carried between them


@dataclass(frozen=True)
class CharSpec:
    """Everything that decides a run: model size, windows, optimizer, budget, text, seed."""

    seed: int = 0  #: seeds the initial weights
    sizes: tuple = (96, 96)  #: hidden sizes (H_1, ..., H_N), bottom layer first
    k: int = 50  #: window length: BPTT(k, k)
    batch: int = 32  #: B parallel streams through the training text
    lr: float = 3e-3  #: Adam's learning rate
    clip: float | None = 1.0  #: global-norm clip of the gradient of J (nats/char), None: none
    steps: int = 3000  #: the budget, in updates
    eval_every: int = 100  #: score the held-out text every this many updates
    text: str = "course_prose"  #: a name in TEXTS, or the path of a UTF-8 text file

    def __post_init__(self):
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed: expected an integer >= 0, got {self.seed!r}")
        sizes = self.sizes
        if isinstance(sizes, list):
            object.__setattr__(self, "sizes", tuple(sizes))
        ok = isinstance(self.sizes, tuple) and len(self.sizes) > 0 and all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in self.sizes)
        if not ok:
            raise ValueError(f"sizes: expected a non-empty tuple of positive ints "
                             f"(H_1, ..., H_N), got {sizes!r}")
        for name in ("k", "batch", "steps", "eval_every"):
            _v.check_positive(name, getattr(self, name), integer=True)
        _v.check_positive("lr", self.lr)
        if self.clip is not None:
            _v.check_positive("clip", self.clip)
        if not isinstance(self.text, str) or not self.text:
            raise TypeError(f"text: expected a text name {TEXTS} or a path (str), "
                            f"got {self.text!r}")

    def describe(self) -> str:
        return (f"sizes={self.sizes}, k={self.k}, batch={self.batch}, lr={self.lr}, "
                f"clip={self.clip}, steps={self.steps}, seed={self.seed}, text={self.text}")


# ----------------------------------------------------------------------------- the model


def flatten_params(params: StackParams) -> dict:
    """StackParams (or StackGrads' parameter part) as a flat dict of named arrays.

    Equations
    ---------
    None: the same arrays (not copies) under new names.

    Names: ``layers.{n}.W_x``, ``layers.{n}.W``, ``layers.{n}.b`` (``layers.{n}.p``
    with peepholes), ``W_y.{n}``, ``b_y``: what the optimizer and ``.npz`` files take.
    """
    flat = {}
    for n, layer in enumerate(params.layers):
        flat[f"layers.{n}.W_x"] = layer.W_x
        flat[f"layers.{n}.W"] = layer.cell.W
        flat[f"layers.{n}.b"] = layer.cell.b
        if layer.cell.p is not None:
            flat[f"layers.{n}.p"] = layer.cell.p
    for n, W_y in enumerate(params.W_y):
        flat[f"W_y.{n}"] = W_y
    flat["b_y"] = params.b_y
    return flat


def unflatten_params(flat: dict, N: int) -> StackParams:
    """The inverse of :func:`flatten_params` for N layers.

    Equations
    ---------
    None: the same arrays (not copies) back in a StackParams.
    """
    layers = tuple(StackLayer(W_x=flat[f"layers.{n}.W_x"],
                              cell=FamilyParams(W=flat[f"layers.{n}.W"], b=flat[f"layers.{n}.b"],
                                                p=flat.get(f"layers.{n}.p")))
                   for n in range(N))
    return StackParams(layers=layers, W_y=tuple(flat[f"W_y.{n}"] for n in range(N)),
                       b_y=flat["b_y"])


def window_loss(window, params: StackParams, h0, c0, *, config: LSTMConfig = CONFIG):
    r"""One window of BPTT(k, k): the mean loss, its gradient, the state to carry on.

    Equations
    ---------
    From the carried state :math:`(h^n_0, c^n_0)`, treated as a constant:

    .. math::

        J = \frac{1}{kB} \sum_{\text{rows}} \sum_{t=1}^{k}
            -\ln \operatorname{softmax}(v_t)_{x_{t+1}}, \qquad
        \delta v_t = \frac{\operatorname{softmax}(v_t) - e_{x_{t+1}}}{kB}

    then :func:`~lstm_ref.stack.model.stack_backward` within the window; the
    gradients it returns for :math:`h^n_0, c^n_0` are dropped (no gradient
    crosses into the previous window).

    Parameters
    ----------
    window : ndarray of int, shape (k+1, B)
        :math:`x_1, \dots, x_{k+1}` of every stream: inputs ``window[:-1]``,
        targets ``window[1:]``.
    params : StackParams
    h0, c0 : tuple of N ndarrays (B, H_n)
        The state the previous window ended in (zeros at the start).
    config : LSTMConfig

    Returns
    -------
    J : float
        Mean cross-entropy per character, in nats.
    grads : dict of str -> ndarray
        :math:`\partial J/\partial\theta`, named as :func:`flatten_params`.
    h_T, c_T : tuple of N ndarrays (B, H_n)
        The state after the window's last input, for the next window.
    """
    logits, cache = stack_forward(window[:-1], params, config, h0=h0, c0=c0)
    k, B = window.shape[0] - 1, window.shape[1]
    J, dlogits = softmax_cross_entropy(logits, window[1:])  # sum over kB predictions
    g = stack_backward(dlogits / (k * B), cache)  # of the mean
    grads = flatten_params(StackParams(layers=g.layers, W_y=g.W_y, b_y=g.b_y))
    h_T, c_T = stack_final_state(cache)
    return J / (k * B), grads, h_T, c_T


def held_out_bits(params: StackParams, symbols, *, config: LSTMConfig = CONFIG,
                  streams: int = EVAL_STREAMS, window: int = EVAL_WINDOW) -> float:
    r"""Bits per character of the model on a held-out text, the state carried through it.

    Equations
    ---------
    The text :math:`y_1, \dots, y_M` is cut into ``streams`` contiguous parts
    of :math:`n = \lfloor (M-1)/S \rfloor` predictions each (part s reads
    :math:`y_{sn+1}, \dots, y_{sn+n}` and predicts the next character of each);
    each part starts from zero state and runs in windows of ``window`` steps,
    the state carried from window to window (no gradients):

    .. math::

        \text{bits} = \frac{1}{S n \ln 2} \sum_{\text{predictions}}
        -\ln \operatorname{softmax}(v_t)_{y_{t+1}}

    (the last :math:`M - 1 - Sn < S` characters are not scored).

    Parameters
    ----------
    params : StackParams
    symbols : ndarray of int, shape (M,)
    config : LSTMConfig
    streams : int
        S, parts scored side by side as one batch.
    window : int
        Steps per forward call (a memory bound only: the result does not depend on it
        beyond rounding).
    """
    _v.check_positive("streams", streams, integer=True)
    _v.check_positive("window", window, integer=True)
    K = params.b_y.shape[0]
    check_text_symbols("symbols", symbols, K, streams + 1)
    n = (len(symbols) - 1) // streams
    parts = np.stack([symbols[s * n: s * n + n + 1] for s in range(streams)], axis=1)  # (n+1, S)
    h = c = None  # zeros: stack_forward's default
    nats = 0.0
    for start in range(0, n, window):
        chunk = parts[start: start + window + 1]  # (w+1, S): inputs and targets
        logits, cache = stack_forward(chunk[:-1], params, config, h0=h, c0=c)
        log_p = np.take_along_axis(log_softmax(logits), chunk[1:, :, None], axis=2)
        nats -= float(log_p.sum())
        h, c = stack_final_state(cache)
    return nats / (streams * n * math.log(2))


# ----------------------------------------------------------------------------- training


class CharResult(NamedTuple):
    """What a run ends with (also written to ``result.json`` by the command line)."""

    spec: CharSpec
    K: int  #: vocabulary size
    train_chars: int  #: characters in the training split
    held_out_chars: int  #: characters in the held-out split
    updates: int  #: updates done
    held_out_bits: float  #: the model's bits/char on the held-out text, at the end
    baselines: dict  #: "unigram", "bigram": bits/char on the held-out text
    history: dict  #: "train_bits" per update; "eval_update", "held_out_bits"
    samples: dict  #: temperature (str) -> text
    wall_time: float  #: seconds, summed over every resumed part of the run
    params: dict  #: flat dict of arrays, see flatten_params

    def summary(self) -> dict:
        """The JSON-ready figures (no parameters); curves rounded to 5 decimals."""
        return {"spec": asdict(self.spec), "K": self.K, "train_chars": self.train_chars,
                "held_out_chars": self.held_out_chars, "updates": self.updates,
                "chars_trained": self.updates * self.spec.k * self.spec.batch,
                "held_out_bits": round(self.held_out_bits, 5),
                "baselines": {k: round(v, 5) for k, v in self.baselines.items()},
                "samples": self.samples, "wall_time_s": round(self.wall_time, 1),
                "history": {"train_bits": [round(v, 5) for v in self.history["train_bits"]],
                            "eval_update": list(self.history["eval_update"]),
                            "held_out_bits": [round(v, 5)
                                              for v in self.history["held_out_bits"]]}}


def _fresh_state(spec: CharSpec, text: CharText) -> dict:
    rng = np.random.default_rng(spec.seed)
    params = init_stack_params(CONFIG, text.K, spec.sizes, rng)
    flat = flatten_params(params)
    B, N = spec.batch, len(text.train)
    return {"params": flat, "opt": adam_init(flat), "rng": rng, "updates": 0,
            "positions": (np.arange(B) * (N // B)).astype(np.int64),  # stream b at b*N/B
            "h": tuple(np.zeros((B, H)) for H in spec.sizes),
            "c": tuple(np.zeros((B, H)) for H in spec.sizes),
            "history": {"train_bits": [], "eval_update": [], "held_out_bits": []},
            "wall_time": 0.0}


def _to_checkpoint(spec: CharSpec, s: dict):
    arrays = model_arrays(s["params"], s["opt"])
    arrays.update({f"state.h.{n}": h for n, h in enumerate(s["h"])})
    arrays.update({f"state.c.{n}": c for n, c in enumerate(s["c"])})
    arrays["positions"] = s["positions"]
    state = {"spec": asdict(spec), "rng": rng_state(s["rng"]), "updates": s["updates"],
             "adam_t": s["opt"].t, "history": s["history"], "wall_time": s["wall_time"]}
    return arrays, state


def _from_checkpoint(spec: CharSpec, ckpt) -> dict:
    saved = CharSpec(**{**ckpt.state["spec"], "sizes": tuple(ckpt.state["spec"]["sizes"])})
    check_same_run(saved, spec, "steps")
    a, st = ckpt.arrays, ckpt.state
    params, opt = model_from_arrays(a, st["adam_t"])
    N = len(spec.sizes)
    return {"params": params, "opt": opt,
            "rng": restore_rng(st["rng"]), "updates": int(st["updates"]),
            "positions": a["positions"],
            "h": tuple(a[f"state.h.{n}"] for n in range(N)),
            "c": tuple(a[f"state.c.{n}"] for n in range(N)),
            "history": st["history"], "wall_time": float(st["wall_time"])}


def _evaluate(spec: CharSpec, s: dict, text: CharText) -> None:
    params = unflatten_params(s["params"], len(spec.sizes))
    s["history"]["eval_update"].append(int(s["updates"]))
    s["history"]["held_out_bits"].append(held_out_bits(params, text.held_out))


def _update(spec: CharSpec, s: dict, text: CharText) -> None:
    """One update of BPTT(k, k): a window per stream, from the carried state."""
    N = len(text.train)
    steps = np.arange(spec.k + 1)[:, None]  # (k+1, 1)
    window = text.train[(s["positions"][None, :] + steps) % N]  # (k+1, B), wraps round
    params = unflatten_params(s["params"], len(spec.sizes))
    J, grads, s["h"], s["c"] = window_loss(window, params, s["h"], s["c"])
    if spec.clip is not None:
        grads, _ = clip_by_global_norm(grads, spec.clip)
    s["params"], s["opt"] = adam_step(s["params"], grads, s["opt"], lr=spec.lr)
    s["positions"] = (s["positions"] + spec.k) % N
    s["updates"] += 1
    s["history"]["train_bits"].append(J / math.log(2))


def train_charlm(spec: CharSpec, *, directory=None, checkpoint_every: int = 100,
                 progress: bool = False,
                 stop_after_batches: int | None = None) -> CharResult | None:
    r"""Train for ``spec.steps`` updates of BPTT(k, k); score, and sample at the end.

    Equations
    ---------
    Update :math:`u = 1, 2, \dots`: stream b reads symbols
    :math:`p_b, \dots, p_b + k` of the training text (indices mod N, with
    :math:`p_b = b \lfloor N/B \rfloor + (u-1)k`); then

    .. math::

        J_u, g_u, (h, c) &= \texttt{window\_loss}(\text{window}, \theta, h, c) \\
        \theta &\leftarrow \text{Adam}\big(\theta,\ g_u \min(1, \tau/\lVert g_u\rVert)\big)

    (:math:`\tau` = ``spec.clip``). The history records :math:`J_u/\ln 2` for
    every update, and :func:`held_out_bits` before the first update, every
    ``eval_every`` updates and after the last.

    Parameters
    ----------
    spec : CharSpec
    directory : path, optional
        Checkpoints go to ``directory/checkpoints`` every ``checkpoint_every``
        updates, and a run finds its last checkpoint there and resumes from it.
        A checkpoint holds everything the next update reads: the parameters,
        Adam's moments and t, the generator's state, the streams' positions,
        the carried states h and c of every layer, and the history.
    progress : bool
        Show a tqdm progress bar (updates, with the latest bits/char).
    stop_after_batches : int, optional
        Stop (as if interrupted) after this many updates of this call, with a
        checkpoint, and return None: for testing resumption.

    Returns
    -------
    CharResult, or None when stopped by ``stop_after_batches``.
    """
    _v.check_type("spec", spec, CharSpec)
    text = load_text(spec.text)
    if len(text.train) < spec.batch * (spec.k + 1):
        raise ValueError(f"text: expected a training split of at least batch * (k + 1) = "
                         f"{spec.batch * (spec.k + 1)} characters, got {len(text.train)}")
    books = Bookkeeper(directory, checkpoint_every=checkpoint_every,
                       stop_after=stop_after_batches)
    ckpt = books.load()
    s = _fresh_state(spec, text) if ckpt is None else _from_checkpoint(spec, ckpt)
    if s["updates"] == 0 and not s["history"]["eval_update"]:
        _evaluate(spec, s, text)  # the untrained model: the curve's first point
    bar = None
    if progress:
        bar = progress_bar(total=spec.steps, initial=s["updates"], unit="upd",
                           desc=f"charlm {'x'.join(map(str, spec.sizes))} seed={spec.seed}")
    while s["updates"] < spec.steps:
        _update(spec, s, text)
        if s["updates"] % spec.eval_every == 0 or s["updates"] == spec.steps:
            _evaluate(spec, s, text)
        if bar is not None:
            _show(bar, s)
        if books.after_batch(s, s["updates"], lambda: _to_checkpoint(spec, s)):
            if bar is not None:
                bar.close()
            return None  # interrupted, with a checkpoint
    if bar is not None:
        bar.close()
    params = unflatten_params(s["params"], len(spec.sizes))
    start = SAMPLE_FIRST if SAMPLE_FIRST in text.vocab else text.decode(text.train[:1])
    samples = {}
    for tau in TEMPERATURES:
        rng = np.random.default_rng(SAMPLE_SEED)
        drawn = sample_stack(params, CONFIG, text.encode(start), SAMPLE_CHARS, rng,
                             temperature=tau)
        samples[str(tau)] = start + text.decode(drawn[:, 0])
    books.save(s, s["updates"], lambda: _to_checkpoint(spec, s))
    baselines = {"unigram": unigram_bits(text.train, text.held_out, text.K),
                 "bigram": bigram_bits(text.train, text.held_out, text.K)}
    return CharResult(spec=spec, K=text.K, train_chars=len(text.train),
                      held_out_chars=len(text.held_out), updates=s["updates"],
                      held_out_bits=s["history"]["held_out_bits"][-1], baselines=baselines,
                      history=s["history"], samples=samples, wall_time=s["wall_time"],
                      params=s["params"])



def _show(bar, s: dict) -> None:
    bar.update(1)
    if s["updates"] % 25 == 0:
        h = s["history"]
        bar.set_postfix(train=f"{np.mean(h['train_bits'][-25:]):.3f}",
                        held_out=f"{h['held_out_bits'][-1]:.3f}", refresh=False)
