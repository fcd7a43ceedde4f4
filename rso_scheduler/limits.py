"""Limits shared by the command line and the library, in a module that imports nothing heavy.

`rso generate` and the scenario files check a seed without importing the solver (OR-Tools).
"""

from __future__ import annotations

MAX_SEED = 2**31 - 1  # CP-SAT takes a 32-bit signed seed; a larger one fails deep in OR-Tools
