"""Input validation shared by every public function.

Bad input must fail *before* NumPy does, with a message that names the
argument, what was expected and what was given::

    x: expected shape (T, B, D) = (5, 3, ?), got (5, 4, 2); B = 3 from h0 (shape (3, 7))
    W: expected dtype float32 (the dtype of x), got float64
    reduction: unknown option 'avg'; expected one of 'sum', 'mean'

Shapes are written with the course's size letters (T, B, D, H, V). A spec is a
space-separated list of dimensions, each a letter, an integer, a multiple such
as ``4H`` or a sum such as ``H+D``: ``W`` is checked against ``"4H H+D"``.
Every size letter is bound by the first argument that determines it, and every
later argument must agree with it.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Iterable

import numpy as np

__all__ = [
    "FLOAT_DTYPES",
    "check_array",
    "check_float",
    "check_int",
    "check_finite",
    "check_same_dtype",
    "check_floats",
    "check_option",
    "check_type",
    "check_positive",
    "check_shapes",
    "empty_input_sizes",
]

#: The only dtypes accepted for real-valued inputs.
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _type_name(a: Any) -> str:
    t = type(a)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def check_array(name: str, a: Any) -> np.ndarray:
    """Raise TypeError unless ``a`` is a NumPy array; return it."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray, got {_type_name(a)}")
    return a


def check_float(name: str, a: Any) -> np.ndarray:
    """Raise TypeError unless ``a`` is a float32 or float64 array; return it."""
    check_array(name, a)
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name}: expected dtype float32 or float64, got {a.dtype}")
    return a


def check_int(name: str, a: Any) -> np.ndarray:
    """Raise TypeError unless ``a`` is an integer array (class indices); return it."""
    check_array(name, a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an integer dtype (class indices), got {a.dtype}")
    return a


def _all_finite(a: np.ndarray) -> bool:
    """True iff every entry of the float array ``a`` is finite.

    Fast path, one pass through BLAS: a NaN or Inf makes the sum of squares
    ``a . a`` NaN or Inf. So does overflow of finite entries above ~1e154
    (float64) or ~1e19 (float32); only then are ``min`` and ``max`` consulted,
    which propagate NaN and are finite exactly when every entry is.
    """
    if a.size == 0:
        return True
    if a.flags.c_contiguous or a.flags.f_contiguous:
        v = a.ravel(order="K")  # a view
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.dot(v, v)):
                return True
    return bool(np.isfinite(a.min()) and np.isfinite(a.max()))


def check_finite(name: str, a: np.ndarray) -> np.ndarray:
    """Raise ValueError if ``a`` holds NaN or +-Inf; return it."""
    if not _all_finite(a):
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        raise ValueError(
            f"{name}: expected finite values, got {bad} NaN/Inf "
            f"entr{'y' if bad == 1 else 'ies'} out of {a.size}"
        )
    return a


def check_probabilities(name: str, a: np.ndarray) -> np.ndarray:
    """Raise ValueError unless every entry of ``a`` lies in [0, 1]; return it.

    For targets that are probabilities (0/1 labels, soft or smoothed labels).
    """
    if a.size and not (a.min() >= 0 and a.max() <= 1):
        raise ValueError(
            f"{name}: expected probabilities in [0, 1], got values in "
            f"[{a.min():g}, {a.max():g}]"
        )
    return a


def check_nonnegative(name: str, a: np.ndarray, what: str = "values") -> np.ndarray:
    """Raise ValueError if any entry of ``a`` is negative; return it."""
    if a.size and not a.min() >= 0:
        raise ValueError(f"{name}: expected {what} >= 0, got a minimum of {a.min():g}")
    return a


def check_same_dtype(**arrays: np.ndarray) -> np.dtype:
    """Raise TypeError unless all arrays share the dtype of the first; return it."""
    first_name, first = next(iter(arrays.items()))
    for name, a in arrays.items():
        if a.dtype != first.dtype:
            raise TypeError(
                f"{name}: expected dtype {first.dtype} (the dtype of {first_name}), "
                f"got {a.dtype}; pass all arrays in one dtype"
            )
    return first.dtype


def check_floats(**arrays: Any) -> np.dtype:
    """Float dtype, finite values and one common dtype for every argument.

    The usual entry check of a public function; returns the common dtype.
    """
    for name, a in arrays.items():
        check_float(name, a)
    check_same_dtype(**arrays)
    for name, a in arrays.items():
        check_finite(name, a)
    return next(iter(arrays.values())).dtype


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Raise ValueError unless ``value`` is one of ``allowed``; return it."""
    allowed = tuple(allowed)
    if value not in allowed:
        listed = ", ".join(repr(v) for v in allowed)
        raise ValueError(f"{name}: unknown option {value!r}; expected one of {listed}")
    return value


def check_type(name: str, value: Any, typ: type | tuple[type, ...]) -> Any:
    """Raise TypeError unless ``isinstance(value, typ)``; return it."""
    if not isinstance(value, typ):
        if isinstance(typ, tuple):
            expected = " or ".join(t.__name__ for t in typ)
        else:
            expected = typ.__name__
        raise TypeError(f"{name}: expected {expected}, got {_type_name(value)}")
    return value


def check_positive(name: str, value: Any, *, integer: bool = False) -> Any:
    """Raise unless ``value`` is a positive (integer) number; return it."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds):
        expected = "a positive integer" if integer else "a positive number"
        raise TypeError(f"{name}: expected {expected}, got {_type_name(value)}")
    if not value > 0 or not np.isfinite(value):
        expected = "a positive integer" if integer else "a positive finite number"
        raise ValueError(f"{name}: expected {expected}, got {value!r}")
    return value


# --------------------------------------------------------------------------
# Symbolic shapes
# --------------------------------------------------------------------------

_TERM = re.compile(r"^(\d*)([A-Za-z_]\w*)?$")


def _parse_dim(token: str) -> list[tuple[int, str | None]]:
    """``"4H"`` -> [(4, "H")], ``"H+D"`` -> [(1, "H"), (1, "D")], ``"3"`` -> [(3, None)]."""
    terms = []
    for part in token.split("+"):
        m = _TERM.match(part)
        if not m or not part:
            raise ValueError(f"bad dimension spec {token!r}")
        coef, sym = m.groups()
        if sym is None:
            terms.append((int(coef), None))
        else:
            terms.append((int(coef) if coef else 1, sym))
    return terms


@functools.lru_cache(maxsize=None)
def _parse_spec(spec: str) -> tuple[tuple[str, ...], str, tuple]:
    """``"T B D"`` -> (tokens, "(T, B, D)", parsed dims); specs are fixed strings, so cached."""
    tokens = tuple(spec.split())
    pretty = "(" + ", ".join(tokens) + (",)" if len(tokens) == 1 else ")")
    return tokens, pretty, tuple(tuple(_parse_dim(t)) for t in tokens)


def _eval_dim(terms, sizes) -> int | None:
    total = 0
    for coef, sym in terms:
        if sym is None:
            total += coef
        elif sym in sizes:
            total += coef * sizes[sym]
        else:
            return None
    return total


def check_shapes(
    *specs: tuple[str, np.ndarray, str], sizes: dict[str, int] | None = None
) -> dict[str, int]:
    """Check array shapes against symbolic specs with consistent sizes.

    Parameters
    ----------
    *specs : (name, array, spec)
        ``spec`` is e.g. ``"T B D"``; dimensions may be ``4H`` or ``H+D``.
    sizes : dict, optional
        Sizes already known (``{"H": 16}``); they are attributed to "the cache".

    Returns
    -------
    dict
        Every size letter bound by the specs, e.g. ``{"T": 5, "B": 3, ...}``.

    Raises
    ------
    ValueError
        On a wrong number of dimensions or a size that disagrees with an
        earlier argument; the message names both arguments.
    """
    sizes = dict(sizes or {})
    source = {k: ("the cache", None) for k in sizes}
    for name, a, spec in specs:
        tokens, pretty, parsed = _parse_spec(spec)
        if a.ndim != len(tokens):
            raise ValueError(
                f"{name}: expected a {len(tokens)}-D array of shape {pretty}, "
                f"got shape {a.shape} ({a.ndim}-D)"
            )
        # Bind unknown letters (a dimension with exactly one unknown letter
        # determines it), then compare every dimension.
        for terms, n, tok in zip(parsed, a.shape, tokens):
            unknown = [(c, s) for c, s in terms if s is not None and s not in sizes]
            if len(unknown) != 1:
                continue
            coef, sym = unknown[0]
            known = _eval_dim([(c, s) for c, s in terms if (c, s) != (coef, sym)], sizes)
            rest = n - known
            if rest >= coef and rest % coef == 0:
                sizes[sym] = rest // coef
                source[sym] = (name, a.shape)
        for terms, n, tok in zip(parsed, a.shape, tokens):
            want = _eval_dim(terms, sizes)
            if want is None or want != n:
                shown = []
                for t in parsed:
                    v = _eval_dim(t, sizes)
                    shown.append("?" if v is None else str(v))
                expected = "(" + ", ".join(shown) + (",)" if len(shown) == 1 else ")")
                msg = f"{name}: expected shape {pretty} = {expected}, got {a.shape}"
                culprits = [
                    s for _, s in terms if s is not None and s in sizes and source[s][0] != name
                ]
                if want is None:
                    msg += f"; {n} is not of the form {tok} with integer sizes >= 1"
                for s in culprits:
                    src, shape = source[s]
                    where = src if shape is None else f"{src} (shape {shape})"
                    msg += f"; {s} = {sizes[s]} from {where}"
                raise ValueError(msg)
    return sizes


def empty_input_sizes(x: Any, spec: str, sizes: dict[str, int] | None = None) -> dict[str, int]:
    """Known sizes for checking ``x`` against ``spec`` (its last letter D), D = 0 bound.

    :func:`check_shapes` binds only sizes >= 1; a dense input of width 0 (a cell
    without one, e.g. the first layer of a stack) binds ``D = 0`` here, before
    the check. Other sizes are passed through.
    """
    sizes = dict(sizes or {})
    if getattr(x, "ndim", None) == len(spec.split()) and x.shape[-1] == 0:
        sizes["D"] = 0
    return sizes
