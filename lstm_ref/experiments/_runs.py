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
from pathlib import Path

from .. import _validate as _v
from .checkpoint import load_checkpoint, save_checkpoint

__all__ = ["Bookkeeper", "progress_bar"]


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
