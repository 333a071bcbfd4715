"""CSV exports that are safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

# A cell starting with one of these is read as a formula, or as a command by some spreadsheets
# (CSV injection): such a cell is written with a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def csv_safe(value: str) -> str:
    """Return the cell as text a spreadsheet shows, never runs."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_line(cells: Sequence[str]) -> str:
    """Return one CSV line of safe cells, with its line ending."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_safe(cell) for cell in cells])
    return buffer.getvalue()
