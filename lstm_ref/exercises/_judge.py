"""How a checker judges a reader's function: named mistakes, the verdict, the one printed line.

A checker is described by an :class:`Exercise`: how to draw seeded inputs, the
correct answer (computed by lstm_ref) and a tuple of :class:`Mistake`\\ s, each
the answer that one named mistake gives. :func:`run` calls the reader's
function on copies of the inputs and compares its output, field by field,

1. by shape: a transposed result is ``"transposed"``, any other wrong shape ``"shape"``;
2. with the correct answer: ``"correct"``;
3. with each mistake's answer, in order: the first that matches names the mistake;
4. otherwise ``"unknown"``.

Outputs match when every entry agrees to ``RTOL``/``ATOL``; the printed error
is :func:`lstm_ref.max_rel_error` (``max_rel_err=``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..gradcheck import max_rel_error

__all__ = ["RTOL", "ATOL", "GENERIC", "ExerciseFailed", "Mistake", "Verdict", "Exercise", "run"]

RTOL, ATOL = 1e-7, 1e-10
#: Diagnoses every checker can make besides its named mistakes.
GENERIC = ("transposed", "shape", "unknown")


class ExerciseFailed(AssertionError):
    """The reader's function is not correct (or not diagnosed as expected)."""


@dataclass(frozen=True)
class Mistake:
    """A named, recognisable mistake.

    Attributes
    ----------
    name : str
        Short key, e.g. ``"sign"``; used with ``expect=``.
    message : str
        What is wrong, in the book's words.
    answer : callable
        ``answer(ctx) -> dict`` of the outputs this mistake produces; ``ctx``
        holds the checker's inputs and, under ``"correct"``, the correct outputs.
    """

    name: str
    message: str
    answer: Callable


@dataclass(frozen=True)
class Verdict:
    """Outcome of a checker.

    Attributes
    ----------
    exercise : str
    ok : bool
        True only if the reader's answer is correct.
    diagnosis : str
        ``"correct"``, a mistake name, ``"transposed"``, ``"shape"`` or ``"unknown"``.
    message : str
        The one printed line.
    """

    exercise: str
    ok: bool
    diagnosis: str
    message: str

    def __str__(self):
        return self.message


@dataclass(frozen=True)
class Exercise:
    """Everything a checker needs.

    Attributes
    ----------
    name : str
        The checker's name, printed first (``"check_cell_backward"``).
    args : tuple of str
        Keys of the context passed, in order, to the reader's function.
    draw : callable
        ``draw(rng) -> dict``: the seeded inputs (the context).
    correct : callable
        ``correct(ctx) -> dict`` of the correct outputs, from lstm_ref.
    mistakes : tuple of Mistake
        Tried in order; the first whose answer matches is the diagnosis.
    """

    name: str
    args: tuple
    draw: Callable
    correct: Callable
    mistakes: tuple

    @property
    def diagnoses(self) -> tuple:
        """Every value ``expect=`` accepts besides None."""
        return tuple(m.name for m in self.mistakes) + GENERIC


def run(exercise: Exercise, fn, *, expect=None, seed=0) -> Verdict:
    """Judge ``fn`` on the inputs of ``exercise`` drawn with ``seed``; print one line.

    Parameters
    ----------
    exercise : Exercise
    fn : callable
        The reader's function; called with copies of ``ctx[k]`` for ``k`` in ``exercise.args``.
    expect : str, optional
        None: raise :class:`ExerciseFailed` unless the answer is correct.
        A diagnosis name: raise unless that is the diagnosis.
    seed : int
        Non-negative seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")
    if expect is not None and expect not in exercise.diagnoses:
        raise ValueError(f"expect: expected None or one of {sorted(exercise.diagnoses)}, "
                         f"got {expect!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: expected a non-negative int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed}")
    ctx = exercise.draw(np.random.default_rng(seed))
    ctx["correct"] = exercise.correct(ctx)
    out = fn(*(np.copy(ctx[k]) for k in exercise.args))
    ok, diagnosis, message = _diagnose(out, ctx, exercise.mistakes)
    return _finish(exercise.name, ok, diagnosis, message, expect)


def _fields(out, fields):
    """The reader's output as a dict of float arrays (NamedTuple, dict, object, tuple or array)."""
    if len(fields) == 1 and not isinstance(out, dict) and not hasattr(out, fields[0]):
        return {fields[0]: np.asarray(out, dtype=float)}
    if isinstance(out, tuple) and not hasattr(out, "_fields"):
        if len(out) != len(fields):
            raise TypeError(f"reader output: expected {len(fields)} arrays {fields}, "
                            f"got a tuple of {len(out)}")
        out = dict(zip(fields, out))
    if isinstance(out, dict):
        get = out.get
    else:
        def get(k):
            return getattr(out, k, None)
    res = {}
    for k in fields:
        v = get(k)
        if v is None:
            raise TypeError(f"reader output: expected field {k!r} (fields {fields}), "
                            f"got {type(out).__name__} without it")
        res[k] = np.asarray(v, dtype=float)
    return res


def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=ATOL)


def _diagnose(out, ctx, mistakes):
    """(ok, diagnosis, message) of the reader's output ``out``."""
    correct = ctx["correct"]
    fields = tuple(correct)
    got = _fields(out, fields)
    for k in fields:
        want = correct[k]
        if got[k].shape == want.shape:
            continue
        if got[k].shape == want.T.shape and _close(got[k], want.T):
            layout = (f" (gradient layout: {k} has the shape of {k[1:]})"
                      if k.startswith("d") else "")
            return False, "transposed", (f"{k} is transposed: got shape {got[k].shape}, "
                                         f"expected {want.shape}{layout}")
        return False, "shape", f"{k} has the wrong shape: expected {want.shape}, got {got[k].shape}"
    if all(_close(got[k], correct[k]) for k in fields):
        worst = max(max_rel_error(got[k], correct[k]) for k in fields)
        return True, "correct", f"correct ({', '.join(fields)} match, max_rel_err={worst:.1e})"
    for m in mistakes:
        wrong = m.answer(ctx)
        if all(_close(got[k], wrong[k]) for k in fields):
            return False, m.name, m.message
    bad = [k for k in fields if not _close(got[k], correct[k])]
    return False, "unknown", ("wrong, and not a mistake this checker knows: "
                              + ", ".join(f"{k} max_rel_err={max_rel_error(got[k], correct[k]):.1e}"
                                          for k in bad))


def _finish(exercise, ok, diagnosis, message, expect):
    line = f"✓ {exercise}: {message}" if ok else f"✗ {exercise}: {diagnosis} — {message}"
    print(line)
    if expect is None and not ok:
        raise ExerciseFailed(line)
    if expect is not None and diagnosis != expect:
        raise ExerciseFailed(f"{exercise}: expected the diagnosis {expect!r}, "
                             f"got {diagnosis!r}: {line}")
    return Verdict(exercise, ok, diagnosis, line)
