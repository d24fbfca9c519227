"""How a checker judges a reader's function: named mistakes, the verdict, the printed line.

A checker is described by an :class:`Exercise`: how to draw seeded inputs, the
correct answer (computed by lstm_ref) and a tuple of :class:`Mistake`\\ s, each
the answer that one named mistake gives. :func:`run` calls the reader's
function on copies of the inputs and judges its output, field by field:

0. a function that raises ``NotImplementedError`` (a "your turn" skeleton) is
   ``"not_attempted"``: one friendly line, no exception, even with ``expect=None``;
   an output that is not the arrays asked for (None, a tuple of the wrong length,
   a missing field, not numbers) is ``"wrong_return"``, saying what to return;
1. with the correct answer: ``"correct"``;
2. with each mistake's answer, in order: the first that matches names the mistake
   (shapes included, so a mistake may have other shapes than the correct answer);
3. by shape: a transposed result is ``"transposed"``, any other wrong shape ``"shape"``;
4. otherwise ``"unknown"``, naming the first entry that differs: its gate block
   (gate order f, i, o, g) or time step, with the expected and the reader's value.

Outputs match when every entry agrees to ``RTOL``/``ATOL``; the printed error
is :func:`lstm_ref.max_rel_error` (``max_rel_err=``). Every printed line fits in
``WIDTH`` columns: a long diagnosis continues on lines indented by four spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import _text
from ..gradcheck import max_rel_error
from ..params import GATES

__all__ = ["RTOL", "ATOL", "WIDTH", "GENERIC", "ExerciseFailed", "Mistake", "Verdict",
           "Exercise", "run", "wrap", "averaged_over_batch", "swapped"]

RTOL, ATOL = 1e-7, 1e-10
#: Printed lines are at most this wide (a page's code column).
WIDTH = _text.WIDTH
#: Diagnoses every checker can make besides its named mistakes.
GENERIC = ("transposed", "shape", "unknown", "wrong_return", "not_attempted")


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
        ``"correct"``, a mistake name, or one of the generic diagnoses
        ``"transposed"``, ``"shape"``, ``"unknown"``, ``"wrong_return"``,
        ``"not_attempted"`` (the tuple ``GENERIC``).
    message : str
        What was printed: one line, or a line and its indented continuation lines.
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
    axes : dict, optional
        ``axes[field]``: the field's axes in letters, e.g. ``"4H H+D"`` or ``"T B D"``.
        A ``4H`` axis is split into the gate blocks f, i, o, g and a ``T`` axis is
        searched from the last step (where the backward sweep starts) when the
        first difference is located; other letters only name the axis.
    """

    name: str
    args: tuple
    draw: Callable
    correct: Callable
    mistakes: tuple
    axes: dict = field(default_factory=dict)

    @property
    def diagnoses(self) -> tuple:
        """Every value ``expect=`` accepts besides None."""
        return tuple(m.name for m in self.mistakes) + GENERIC


def run(exercise: Exercise, fn, *, expect=None, seed=0) -> Verdict:
    """Judge ``fn`` on the inputs of ``exercise`` drawn with ``seed``; print the verdict.

    Parameters
    ----------
    exercise : Exercise
    fn : callable
        The reader's function; called with copies of ``ctx[k]`` for ``k`` in ``exercise.args``.
    expect : str, optional
        None: raise :class:`ExerciseFailed` unless the answer is correct or not
        attempted yet (``fn`` raises ``NotImplementedError``).
        A diagnosis name: raise unless that is the diagnosis.
    seed : int
        Non-negative seed of ``np.random.default_rng``.

    Returns
    -------
    Verdict

    Equations
    ---------
    max_rel_err(a, b) = max_k |a_k − b_k| / max(max_k |a_k|, max_k |b_k|)
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
    try:
        out = fn(*(np.copy(ctx[k]) for k in exercise.args))
    except NotImplementedError:
        return _finish(exercise.name, False, "not_attempted",
                       _not_attempted(exercise.name, fn), expect)
    ok, diagnosis, message = _diagnose(out, ctx, exercise)
    return _finish(exercise.name, ok, diagnosis, message, expect)


_NBSP = "\u00a0"  # a space the wrapping must not break at
_GROUP = re.compile(r"[\[(][^\[\]()]{0,40}[\])]")  # a short (...) or [...]: a shape, an index
_OPERATOR = re.compile(r" ([=+−⊙@…*/-]|\+=) ")  # a formula's operator keeps its operands
_LETTERS = re.compile(r"\b(\w), (?=\w\b)")  # a list of single letters: i, f, g, o


def averaged_over_batch(correct: dict, B: int, fields) -> dict:
    """The answer of the mistake "a mean over the batch": ``correct`` with the
    parameter gradients ``fields`` divided by the batch size B (they are sums
    over the batch rows, one parameter serving every example)."""
    return {**correct, **{k: correct[k] / B for k in fields}}


def swapped(correct: dict, a: str, b: str) -> dict:
    """The answer of a mistake that exchanges two outputs: ``correct`` with the
    fields ``a`` and ``b`` swapped (e.g. ``dx`` and ``dh_prev``, the two slices of
    ``dz = [dh_prev, dx]``)."""
    return {**correct, a: correct[b], b: correct[a]}


def wrap(line: str) -> str:
    """``line`` in lines of at most :data:`WIDTH` columns; continuation lines indented by 4.

    Short bracketed groups (``dW[5, 4]``, ``(2, 3)``, ``(h, c)``), an operator and
    its operands (``ŷ − y``) and lists of single letters (``i, f, g, o``) are kept
    on one line where they fit; the wrapping itself is the package's one rule,
    :func:`lstm_ref._text.wrap`.

    Equations
    ---------
    None: text layout only.
    """
    keep = _GROUP.sub(lambda m: m.group().replace(" ", _NBSP), line)
    for _ in range(2):  # twice: "a − b − c" shares the b
        keep = _OPERATOR.sub(lambda m: _NBSP + m.group(1) + _NBSP, keep)
        keep = _LETTERS.sub(lambda m: m.group(1) + "," + _NBSP, keep)
    return _text.wrap(keep).replace(_NBSP, " ")


def _not_attempted(exercise, fn):
    """The friendly line's text; " this cell" is dropped where it would not fit on one line."""
    name = getattr(fn, "__name__", "<lambda>")
    what = "your function" if name == "<lambda>" else name
    text = f"not attempted yet — fill in {what} above and re-run"
    fits = len(f"○ {exercise}: {text} this cell") <= WIDTH
    return f"{text} this cell" if fits else text


# ------------------------------------------------------------------ the reader's output

def _what_to_return(fields):
    if len(fields) == 1:
        return f"return the array {fields[0]}"
    names = ", ".join(fields)
    if len(fields) == 2:
        return f"return the tuple ({names})"
    return f"return ({names}) as a tuple, NamedTuple or dict"


def _kind(out):
    if out is None:
        return "None (is the return statement missing?)"
    if isinstance(out, (tuple, list)):
        return f"a {type(out).__name__} of {len(out)} values"
    shape = getattr(out, "shape", None)
    return f"an array of shape {shape}" if shape is not None else f"a {type(out).__name__}"


def _fields(out, fields):
    """The reader's output as a dict of float arrays, or the wrong_return message."""
    if out is None:
        return None, f"got {_kind(out)}; {_what_to_return(fields)}"
    if len(fields) == 1 and not isinstance(out, (dict, tuple)) and not hasattr(out, fields[0]):
        out = {fields[0]: out}
    if isinstance(out, dict):
        values = {k: out.get(k) for k in fields}
    else:
        values = {k: getattr(out, k, None) for k in fields}
        if any(v is None for v in values.values()) and isinstance(out, (tuple, list)):
            if len(out) != len(fields):
                return None, f"got {_kind(out)}; {_what_to_return(fields)}"
            values = dict(zip(fields, out))
    missing = [k for k, v in values.items() if v is None]
    if len(missing) == len(fields):
        return None, f"got {_kind(out)}; {_what_to_return(fields)}"
    if missing:
        return None, (f"got {_kind(out)} without {', '.join(missing)}; "
                      f"{_what_to_return(fields)}")
    res = {}
    for k, v in values.items():
        try:
            res[k] = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            return None, (f"{k} is not an array of numbers (got {_kind(v)}); "
                          f"{_what_to_return(fields)}")
    return res, None


# ------------------------------------------------------------------ judging

def _close(a, b):
    return a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=ATOL)


def _diagnose(out, ctx, exercise):
    """(ok, diagnosis, message) of the reader's output ``out``."""
    correct = ctx["correct"]
    fields = tuple(correct)
    got, wrong_return = _fields(out, fields)
    if got is None:
        return False, "wrong_return", wrong_return
    if all(_close(got[k], correct[k]) for k in fields):
        worst = max(max_rel_error(got[k], correct[k]) for k in fields)
        return True, "correct", f"correct ({', '.join(fields)} match, max_rel_err={worst:.1e})"
    for m in exercise.mistakes:
        wrong = m.answer(ctx)
        if all(_close(got[k], wrong[k]) for k in fields):
            return False, m.name, m.message
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
    bad = [k for k in fields if not _close(got[k], correct[k])]
    errors = ", ".join(f"{k}{_NBSP}max_rel_err={max_rel_error(got[k], correct[k]):.1e}"
                       for k in bad)
    first = _first_difference(bad[0], got[bad[0]], correct[bad[0]], exercise.axes.get(bad[0]))
    return False, "unknown", (f"not a mistake this checker knows. {first}. "
                                f"Outputs that differ: {errors}")


def _first_difference(k, got, want, axes):
    """Where ``got`` first differs from ``want``: index, gate block or time step, values."""
    bad = np.argwhere(~np.isclose(got, want, rtol=RTOL, atol=ATOL))  # C order
    letters = axes.split() if axes and len(axes.split()) == got.ndim else [""] * got.ndim
    if "T" in letters:  # the backward sweep meets the last step first
        p = letters.index("T")
        bad = bad[bad[:, p] == bad[:, p].max()]
    idx = tuple(int(n) for n in bad[0])
    where = []
    if "T" in letters:
        p, T = letters.index("T"), got.shape[letters.index("T")]
        t = idx[p] + 1  # the equations count t = 1 … T
        later = ", the last, where the backward sweep starts" if t == T else "; later steps match"
        where.append(f"time step t={t} of {T}{later}")
    if "4H" in letters:
        p = letters.index("4H")
        H = got.shape[p] // 4
        gate = GATES[idx[p] // H]
        within = ", ".join(str(n % H if q == p else n) for q, n in enumerate(idx))
        where.append(f"gate block {gate}, {k}_{gate}[{within}]")
    at = f"{k}[{', '.join(map(str, idx))}]" + (f" ({'; '.join(where)})" if where else "")
    return f"First difference: {at}: expected {want[idx]:.3g}, got {got[idx]:.3g}"


def _finish(exercise, ok, diagnosis, message, expect):
    if ok:
        line = f"✓ {exercise}: {message}"
    elif diagnosis == "not_attempted":
        line = f"○ {exercise}: {message}"
    else:
        line = f"✗ {exercise}: {diagnosis} — {message}"
    line = wrap(line)
    print(line)
    if expect is None and not ok and diagnosis != "not_attempted":
        raise ExerciseFailed(line)
    if expect is not None and diagnosis != expect:
        raise ExerciseFailed(f"{exercise}: expected the diagnosis {expect!r}, "
                             f"got {diagnosis!r}: {line}")
    return Verdict(exercise, ok, diagnosis, line)
