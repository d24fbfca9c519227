"""The character-level language model (source 001's stack on the course's prose).

Options default to :class:`lstm_ref.experiments.charlm.CharSpec`'s fields.
"""

from __future__ import annotations

import argparse

import numpy as np

from .charlm import CharSpec, train_charlm
from .text import TEXTS

__all__ = ["add_arguments", "run", "default_name"]


def _sizes(value: str) -> tuple:
    try:
        sizes = tuple(int(v) for v in value.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"expected positive ints separated by commas, "
                                         f"e.g. 96,96; got {value!r}")
    return sizes


def add_arguments(p) -> None:
    """The options of ``python -m lstm_ref.experiments charlm`` (defaults: CharSpec's)."""
    d = CharSpec()
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--sizes", type=_sizes, default=d.sizes,
                   help="hidden sizes of the layers, bottom first, e.g. 96,96")
    p.add_argument("--k", type=int, default=d.k, help="window length of BPTT(k, k)")
    p.add_argument("--batch", type=int, default=d.batch, help="parallel streams B")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam's learning rate")
    p.add_argument("--clip", type=float, default=d.clip,
                   help="global-norm clipping threshold (0: none)")
    p.add_argument("--steps", type=int, default=d.steps, help="budget of updates")
    p.add_argument("--eval-every", type=int, default=d.eval_every,
                   help="score the held-out text every this many updates")
    p.add_argument("--text", default=d.text,
                   help=f"a shipped text {TEXTS} or the path of a UTF-8 file")
    p.add_argument("--checkpoint-every", type=int, default=100, help="updates")
    p.add_argument("--params-dtype", choices=("float32", "float64"), default="float32",
                   help="dtype of the saved params.npz (training is float64)")


def _spec(args) -> CharSpec:
    return CharSpec(seed=args.seed, sizes=tuple(args.sizes), k=args.k, batch=args.batch,
                    lr=args.lr, clip=args.clip or None, steps=args.steps,
                    eval_every=args.eval_every, text=args.text)


def default_name(args) -> str:
    return f"charlm-{'x'.join(map(str, args.sizes))}-seed{args.seed}"


def run(args):
    result = train_charlm(_spec(args), directory=args.out,
                          checkpoint_every=args.checkpoint_every,
                          progress=not args.no_progress)
    dtype = np.dtype(args.params_dtype)
    params = {k: v.astype(dtype) for k, v in result.params.items()}
    return {**result.summary(), "params_dtype": dtype.name}, params
