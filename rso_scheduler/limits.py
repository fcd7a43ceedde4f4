"""Limits shared by the command line and the library, in a module that imports nothing heavy.

`rso generate` and the scenario files check a seed without importing the solver (OR-Tools).
"""

from __future__ import annotations

MAX_SEED = 2**31 - 1  # CP-SAT takes a 32-bit signed seed; a larger one fails deep in OR-Tools

# Inputs (issue #10): bounded so that no file can make the work or the output unbounded.
MAX_ID_CHARS = 64  # ids become file names (day sheets) and map labels; real ones are short
MAX_TEXT_CHARS = 200  # free text in a cell: officer names, absence reasons
MAX_PROBLEMS_SHOWN = 200  # a million broken rows must not print a million lines
MAX_ADD_FACTOR = 3  # scenario [officers] add: at most three times the data's officers
MAX_GROWTH = 3.0  # scenario [caseload] growth: the caseload at most four times the data's
