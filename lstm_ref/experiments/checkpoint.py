"""Checkpoints that survive a kill at any moment: atomic files and one pointer.

A checkpoint is two files, written side by side::

    ckpt-000042.npz    the arrays (parameters, optimizer moments, buffers)
    ckpt-000042.json   everything else (counters, the random generator's state, metrics)

and ``latest.json`` names the newest complete pair. Every file is written to a
temporary name in the same directory, flushed to disk and then renamed over its
target (``os.replace`` is atomic on POSIX and Windows), and the pointer moves
only after both files of its pair exist. A process killed at any point leaves
either the previous checkpoint or the new one, never half of one. Arrays are
read back with ``allow_pickle=False``: a checkpoint holds numbers, not code.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, NamedTuple

import numpy as np

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint", "write_json", "write_npz",
           "read_npz", "rng_state", "restore_rng"]

LATEST = "latest.json"


class Checkpoint(NamedTuple):
    """One checkpoint read back: its step, its arrays and its JSON state."""

    step: int  #: the counter it was saved at (e.g. batches done)
    arrays: dict  #: name -> ndarray
    state: dict  #: the JSON part


def _atomic(path: Path, write) -> None:
    """Write through ``write(file)`` to a temporary file, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a result is meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON to ``path``, atomically."""
    path = Path(path)
    text = json.dumps(obj, indent=1, sort_keys=True, allow_nan=False) + "\n"
    _atomic(path, lambda f: f.write(text.encode()))
    return path


def write_npz(path, arrays: Mapping[str, np.ndarray]) -> Path:
    """Write the named arrays to ``path`` (an uncompressed ``.npz``), atomically."""
    path = Path(path)
    for name, a in arrays.items():
        if not isinstance(a, np.ndarray) or a.dtype == object:
            raise TypeError(f"arrays[{name!r}]: expected a numeric ndarray, "
                            f"got {type(a).__name__}")
    _atomic(path, lambda f: np.savez(f, **arrays))
    return path


def read_npz(path) -> dict:
    """The arrays of a ``.npz`` file, loaded with ``allow_pickle=False``."""
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def rng_state(rng: np.random.Generator) -> dict:
    """The generator's complete state, as JSON-ready data."""
    return rng.bit_generator.state


def restore_rng(state: dict) -> np.random.Generator:
    """A generator that continues exactly where the one :func:`rng_state` saw stood."""
    name = state.get("bit_generator")
    if name != "PCG64":
        raise ValueError(f"state: expected the state of a PCG64 generator, got {name!r}")
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    return rng


def save_checkpoint(directory, step: int, arrays: Mapping[str, np.ndarray],
                    state: Mapping[str, Any], *, keep: int = 1) -> Path:
    """Save one checkpoint in ``directory`` and point ``latest.json`` at it.

    Parameters
    ----------
    directory : path
    step : int
        A counter that grows from checkpoint to checkpoint (e.g. batches done).
    arrays : mapping of str to ndarray
    state : mapping
        JSON-ready data (numbers, strings, lists, dicts).
    keep : int, default 1
        How many checkpoints to keep; older ones are deleted after the pointer moves.

    Returns
    -------
    Path of the ``.npz`` file.
    """
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
        raise ValueError(f"step: expected an integer >= 0, got {step!r}")
    directory = Path(directory)
    stem = f"ckpt-{int(step):09d}"
    npz = write_npz(directory / f"{stem}.npz", arrays)
    write_json(directory / f"{stem}.json", dict(state))
    write_json(directory / LATEST, {"step": int(step), "stem": stem})  # the commit point
    stems = sorted(p.stem for p in directory.glob("ckpt-*.json"))
    for old in stems[:-keep] if keep > 0 else []:
        for ext in (".npz", ".json"):
            (directory / f"{old}{ext}").unlink(missing_ok=True)
    return npz


def load_checkpoint(directory) -> Checkpoint | None:
    """The checkpoint ``latest.json`` names, or None when there is none yet."""
    directory = Path(directory)
    pointer = directory / LATEST
    if not pointer.exists():
        return None
    latest = json.loads(pointer.read_text())
    stem = latest["stem"]
    arrays = read_npz(directory / f"{stem}.npz")
    state = json.loads((directory / f"{stem}.json").read_text())
    return Checkpoint(step=int(latest["step"]), arrays=arrays, state=state)
