"""Source 004's formulas, transcribed: §1 and §2 (``s1``), §3.1 (``s31``), §3.2 (``s32``)."""

from __future__ import annotations

from . import s1, s31, s32

SOURCE = "004"
TITLE = ("Derivations of Backpropagation Through Time Gradients for LSTM Neural Networks "
         "(M. Nakatenus, 2017)")
SECTIONS = {**s1.SECTIONS, **s31.SECTIONS, **s32.SECTIONS}
MODELS = {**s1.MODELS, **s31.MODELS, **s32.MODELS}
CLAIMS = s1.CLAIMS + s31.CLAIMS + s32.CLAIMS
