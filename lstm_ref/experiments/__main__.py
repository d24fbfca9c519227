"""``python -m lstm_ref.experiments``: see :mod:`lstm_ref.experiments.cli`."""

import sys

from .cli import main

sys.exit(main())
