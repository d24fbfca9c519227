"""Experiments that train the course's models, resumable from the command line.

* :mod:`lstm_ref.experiments.adding`: the adding problem of Hochreiter & Schmidhuber (1997)
  (its options: ``lstm_ref.experiments.adding_cli``)
* :mod:`lstm_ref.experiments.charlm`: a character-level language model, source 001's stack
  trained with truncated BPTT on the course's own prose (its options:
  ``lstm_ref.experiments.charlm_cli``)
* :mod:`lstm_ref.experiments.text`: the character model's text and its count baselines
* :mod:`lstm_ref.experiments.checkpoint`: atomic ``.npz`` + JSON checkpoints
* :mod:`lstm_ref.experiments.cli`: the command line, ``result.json`` and ``params.npz``

Run one from a shell (``python -m lstm_ref.experiments --help``)::

    python -m lstm_ref.experiments adding --model lstm1997 --T 100 --seed 0
    python -m lstm_ref.experiments charlm --seed 0

A run started again with the same options resumes from its last checkpoint and
ends with the same result as a run that was never interrupted.
"""
