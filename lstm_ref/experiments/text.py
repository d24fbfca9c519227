r"""The character model's text: the shipped snapshot, its split, and two count baselines.

``load_text`` reads a text and splits it (the last 10% held out); ``unigram_bits``
and ``bigram_bits`` score the add-one smoothed count models the LSTM has to beat
(:mod:`lstm_ref.experiments.charlm`).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import _validate as _v

__all__ = ["HELD_OUT_FRACTION", "TEXTS", "CharText", "load_text", "unigram_bits", "bigram_bits",
           "check_text_symbols"]

HELD_OUT_FRACTION = 0.1  #: the last 10% of the text is held out
TEXT_DIR = Path(__file__).resolve().parents[2] / "book" / "data" / "text"
TEXTS = ("course_prose",)  #: texts shipped in book/data/text/<name>.txt


class CharText(NamedTuple):
    """A text as symbols: the vocabulary, and the training and held-out splits."""

    vocab: str  #: the K distinct characters, sorted; symbol k is vocab[k]
    train: np.ndarray  #: (N_train,) int64, the first 90% of the text
    held_out: np.ndarray  #: (N_held,) int64, the last 10%

    @property
    def K(self) -> int:
        return len(self.vocab)

    def encode(self, s: str) -> np.ndarray:
        """The symbols (int64) of the characters of ``s``."""
        unknown = sorted(set(s) - set(self.vocab))
        if unknown:
            raise ValueError(f"s: expected characters of the vocabulary, got {unknown!r}")
        index = {ch: k for k, ch in enumerate(self.vocab)}
        return np.array([index[ch] for ch in s], dtype=np.int64)

    def decode(self, symbols) -> str:
        """The characters of the symbols, as one string."""
        return "".join(self.vocab[k] for k in np.asarray(symbols).ravel())


def load_text(text: str = "course_prose") -> CharText:
    r"""Read a shipped text (by name) or a UTF-8 file (by path) and split it.

    Equations
    ---------
    For a text of N characters, with :math:`M = \lfloor N/10 \rfloor`:

    .. math::

        \text{train} = c_1 \dots c_{N-M}, \qquad
        \text{held out} = c_{N-M+1} \dots c_N

    The vocabulary is every distinct character of the *whole* text, sorted, so
    the held-out part has no unknown character. This is not a statistic the
    model learns from the held-out text: it only fixes K (and a character seen
    only in the held-out part costs the baselines and the model alike).

    Returns
    -------
    CharText
        ``train`` the first ``N - floor(N/10)`` characters, ``held_out`` the rest.
    """
    if not isinstance(text, str) or not text:
        raise TypeError(f"text: expected a text name {TEXTS} or a path (str), got {text!r}")
    path = TEXT_DIR / f"{text}.txt" if text in TEXTS else Path(text)
    if not path.is_file():
        raise ValueError(f"text: expected one of {TEXTS} or the path of a file, got {text!r}")
    s = path.read_text(encoding="utf-8")
    held = int(len(s) * HELD_OUT_FRACTION)
    if held < 2 or len(s) - held < 2:
        raise ValueError(f"text: expected at least 20 characters, got {len(s)} in {path}")
    vocab = "".join(sorted(set(s)))
    index = {ch: k for k, ch in enumerate(vocab)}
    symbols = np.array([index[ch] for ch in s], dtype=np.int64)
    return CharText(vocab=vocab, train=symbols[:-held], held_out=symbols[-held:])


def check_text_symbols(name, symbols, K, at_least):
    """Raise unless ``symbols`` is a 1-D int array of at least ``at_least`` symbols in [0, K)."""
    _v.check_int(name, symbols)
    if symbols.ndim != 1 or len(symbols) < at_least:
        raise ValueError(f"{name}: expected a 1-D array of at least {at_least} symbols, "
                         f"got shape {symbols.shape}")
    if symbols.min() < 0 or symbols.max() >= K:
        raise ValueError(f"{name}: expected symbols in [0, {K}) (K = {K}), got values in "
                         f"[{symbols.min()}, {symbols.max()}]")


def unigram_bits(train, held_out, K: int) -> float:
    r"""Bits per character of the add-one (Laplace) unigram model of ``train`` on ``held_out``.

    Equations
    ---------
    .. math::

        p(a) = \frac{n_a + 1}{N + K}, \qquad
        \text{bits} = -\frac{1}{M} \sum_{j=1}^{M} \log_2 p(y_j)

    :math:`n_a` counts symbol a in the N training symbols; :math:`y_1, \dots,
    y_M` are the held-out symbols, each scored on its own.

    Parameters
    ----------
    train : ndarray of int, shape (N,)
    held_out : ndarray of int, shape (M,)
    K : int
        Vocabulary size; symbols are in [0, K).
    """
    _v.check_positive("K", K, integer=True)
    check_text_symbols("train", train, K, 1)
    check_text_symbols("held_out", held_out, K, 1)
    counts = np.bincount(train, minlength=K)  # (K,) n_a
    p = (counts + 1) / (len(train) + K)  # (K,) add-one
    return float(-np.mean(np.log2(p[held_out])))


def bigram_bits(train, held_out, K: int) -> float:
    r"""Bits per character of the add-one (Laplace) bigram model of ``train`` on ``held_out``.

    Equations
    ---------
    .. math::

        p(b \mid a) = \frac{n_{ab} + 1}{n_{a\cdot} + K}, \qquad
        \text{bits} = -\frac{1}{M-1} \sum_{j=2}^{M} \log_2 p(y_j \mid y_{j-1})

    :math:`n_{ab}` counts the pairs "a then b" among the N - 1 adjacent pairs of
    the training symbols, :math:`n_{a\cdot} = \sum_b n_{ab}`. Every held-out
    symbol but the first is scored, given the one before it.

    Parameters
    ----------
    train : ndarray of int, shape (N,), N >= 2
    held_out : ndarray of int, shape (M,), M >= 2
    K : int
    """
    _v.check_positive("K", K, integer=True)
    check_text_symbols("train", train, K, 2)
    check_text_symbols("held_out", held_out, K, 2)
    pairs = np.zeros((K, K))  # (K, K) n_ab
    np.add.at(pairs, (train[:-1], train[1:]), 1)
    p = (pairs + 1) / (pairs.sum(axis=1, keepdims=True) + K)  # (K, K) row a: p(b | a)
    return float(-np.mean(np.log2(p[held_out[:-1], held_out[1:]])))
