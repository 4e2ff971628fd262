"""The template's cell colours by role, as RGB hex: what the clerk sees (yellow: type here; grey:
the program writes this; green: generated, may be rewritten), and what clearing a validation mark
restores. Plain data, so that the Excel buttons and annotate need not import openpyxl (≈230 ms
of every click); the template builder makes its fills from the same values."""
from __future__ import annotations

from .schema import DERIVED, INPUT

INPUT_RGB = "FFF2CC"  # light yellow: type here
DERIVED_RGB = "E7E6E6"  # grey: the program writes this
EDITABLE_RGB = "E2EFDA"  # green: generated, may be rewritten
HEADER_RGB = "DDEBF7"


def cell_rgb(spec) -> str | None:
    """The template's fill colour of a cell of this spec (None: no fill)."""
    if spec.role == INPUT:
        return INPUT_RGB
    if spec.role == DERIVED and spec.editable:
        return EDITABLE_RGB
    if spec.role == DERIVED and spec.style not in ("title", "small", "note", "center", "header"):
        return DERIVED_RGB
    if spec.style == "header":
        return HEADER_RGB
    return None
