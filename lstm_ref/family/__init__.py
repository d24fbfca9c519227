"""The LSTM family: one configuration, one initialiser, one step pair, one loop.

Modules, in reading order:

* :mod:`lstm_ref.family.config`: ``LSTMConfig`` (peepholes none/diagonal/full,
  forget gate on/off), ``FamilyParams``, ``init_family_params``
* :mod:`lstm_ref.family.cell`: ``family_step_forward`` / ``family_step_backward``
* :mod:`lstm_ref.family.sequence`: ``family_forward`` / ``family_backward``

No fused fast path: only the core cell has one (:mod:`lstm_ref.fused`).
"""

from .cell import FamilyStepCache, FamilyStepGrads, family_step_backward, family_step_forward
from .config import (
    PEEPHOLES,
    FamilyParams,
    LSTMConfig,
    check_family_params,
    init_family_params,
    split_peepholes,
)
from .sequence import FamilySeqCache, FamilySeqGrads, family_backward, family_forward

__all__ = ["PEEPHOLES", "LSTMConfig", "FamilyParams", "init_family_params", "split_peepholes",
           "check_family_params", "FamilyStepCache", "FamilyStepGrads", "family_step_forward",
           "family_step_backward", "FamilySeqCache", "FamilySeqGrads", "family_forward",
           "family_backward"]
