"""What every training loop of :mod:`lstm_ref.experiments` does besides training.

A :class:`Bookkeeper` keeps a run's checkpoints, its wall time and its
interruption point, so that an experiment's loop reads::

    books = Bookkeeper(directory, checkpoint_every=..., stop_after=...)
    ckpt = books.load()                      # None: a fresh run
    s = fresh() if ckpt is None else restore(ckpt)
    while not done(s):
        ...one batch...
        if books.after_batch(s, step, lambda: to_checkpoint(s)):
            return None                      # interrupted (tests), checkpoint written
    books.finish(s, step, lambda: to_checkpoint(s))

The state ``s`` is a dict with a ``"wall_time"`` entry (seconds), which the
bookkeeper advances, so the wall time of a resumed run is the sum of its parts.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from .. import _validate as _v
from ..optim import AdamState
from .checkpoint import load_checkpoint, save_checkpoint

__all__ = ["Bookkeeper", "progress_bar", "check_same_run", "model_arrays", "model_from_arrays"]


def check_same_run(saved, spec, budget: str) -> None:
    """Raise unless the checkpoint's spec is ``spec``, the budget field ``budget`` aside.

    A run may be resumed with a larger (or smaller) budget; anything else would
    continue a different experiment from this one's state.
    """
    if replace(saved, **{budget: getattr(spec, budget)}) != spec:
        raise ValueError(f"checkpoint: it belongs to another run ({saved.describe()}), "
                         f"not to this one ({spec.describe()}); start over with --fresh "
                         "or choose another --out")


def model_arrays(params: dict, opt: AdamState | None) -> dict:
    """Parameters and Adam's moments as named arrays: ``params.k``, ``adam.m.k``, ``adam.v.k``."""
    arrays = {f"params.{k}": v for k, v in params.items()}
    if opt is not None:
        arrays.update({f"adam.m.{k}": v for k, v in opt.m.items()})
        arrays.update({f"adam.v.{k}": v for k, v in opt.v.items()})
    return arrays


def model_from_arrays(arrays: dict, adam_t: int | None) -> tuple[dict, AdamState | None]:
    """The inverse of :func:`model_arrays`; no Adam state when ``adam_t`` is None (SGD)."""
    params = {k[len("params."):]: v for k, v in arrays.items() if k.startswith("params.")}
    if adam_t is None:
        return params, None
    return params, AdamState(m={k: arrays[f"adam.m.{k}"] for k in params},
                             v={k: arrays[f"adam.v.{k}"] for k in params}, t=int(adam_t))


def progress_bar(*, total: int, initial: int, unit: str, desc: str):
    """A tqdm bar (rate and time left) on standard error."""
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, unit=unit, unit_scale=True, desc=desc,
                dynamic_ncols=True)


class Bookkeeper:
    """Checkpoints every ``checkpoint_every`` batches in ``directory/checkpoints``.

    Parameters
    ----------
    directory : path or None
        None: no checkpoints (and nothing to resume from).
    checkpoint_every : int
        Batches between checkpoints.
    stop_after : int, optional
        Stop after this many batches of this call, as if interrupted (tests).
    """

    def __init__(self, directory, *, checkpoint_every: int, stop_after: int | None = None):
        if directory is not None and not isinstance(directory, (str, Path)):
            raise TypeError(f"directory: expected a path, got {type(directory).__name__}")
        _v.check_positive("checkpoint_every", checkpoint_every, integer=True)
        if stop_after is not None:
            _v.check_positive("stop_after_batches", stop_after, integer=True)
        self.dir = None if directory is None else Path(directory) / "checkpoints"
        self.every = checkpoint_every
        self.stop_after = stop_after
        self.batches = 0  # batches of this call
        self.started = time.perf_counter()

    def load(self):
        """The last checkpoint, or None."""
        return None if self.dir is None else load_checkpoint(self.dir)

    def clock(self, s: dict) -> None:
        """Add the time since the last call to ``s["wall_time"]``."""
        now = time.perf_counter()
        s["wall_time"] += now - self.started
        self.started = now

    def save(self, s: dict, step: int, checkpoint) -> None:
        """Clock, then write ``checkpoint()`` (arrays, state) as checkpoint ``step``."""
        self.clock(s)
        if self.dir is not None:
            save_checkpoint(self.dir, step, *checkpoint())

    def after_batch(self, s: dict, step: int, checkpoint) -> bool:
        """Count a batch, checkpoint when due; True when this call must stop here."""
        self.batches += 1
        stop = self.stop_after is not None and self.batches >= self.stop_after
        if self.dir is not None and (step % self.every == 0 or stop):
            self.save(s, step, checkpoint)
        return stop
