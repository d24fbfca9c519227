"""The adding problem (Hochreiter & Schmidhuber 1997, experiment 4).

Options default to the course's settings for the chosen model
(:func:`lstm_ref.experiments.adding.default_spec`).
"""

from __future__ import annotations

from .adding import MODELS, default_spec, train_adding

__all__ = ["add_arguments", "run", "default_name"]


def add_arguments(p) -> None:
    p.add_argument("--model", choices=MODELS, default="lstm1997")
    p.add_argument("--T", type=int, default=100, help="minimal sequence length")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-sequences", type=int, default=None,
                   help="budget of training sequences (default: the spec's, 1,000,000)")
    p.add_argument("--H", type=int, default=None, help="memory cells / hidden units")
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--halve-at", type=float, default=None,
                   help="halve lr when this fraction of the last 2,000 is correct, then each "
                        "time the fraction wrong halves (default: the spec's)")
    p.add_argument("--gradient", choices=("full", "truncated"), default=None,
                   help="full BPTT, or the paper's truncated gradient (default: the spec's)")
    p.add_argument("--block", type=int, default=None,
                   help="cells per block sharing their gates (default: the spec's)")
    p.add_argument("--squash", choices=("tanh", "scaled"), default=None,
                   help="tanh, or the paper's scaled logistic functions (default: the spec's)")
    p.add_argument("--recurrent", choices=("cells", "all"), default=None,
                   help="what step t sees of step t-1: the cells' outputs, or also every "
                        "gate unit's activation (the paper's fully connected hidden layer; "
                        "truncated gradient only) (default: the spec's)")
    p.add_argument("--checkpoint-every", type=int, default=200, help="batches")


def _spec(args):
    over = {k: getattr(args, k) for k in ("H", "batch", "lr", "max_sequences", "halve_at",
                                          "gradient", "block", "squash", "recurrent")
            if getattr(args, k) is not None}
    return default_spec(args.model, args.T, args.seed, **over)


def default_name(args) -> str:
    return f"adding-{args.model}-T{args.T}-seed{args.seed}"


def run(args):
    result = train_adding(_spec(args), directory=args.out,
                          checkpoint_every=args.checkpoint_every,
                          progress=not args.no_progress)
    return result.summary(), result.params
