"""Human names for cells, for messages: 「表3 支出总表」D9（2010350 事业运行·基本支出）."""
from __future__ import annotations

from .schema import FormSpec, TableSpec


def column_label(spec: TableSpec, col: str, year=None) -> str:
    j = spec.col_keys.index(col)
    parts = [h[j] for h in spec.header if h[j] not in ("<", "^", "")]
    text = parts[-1] if parts else col
    return text.replace("{year}", str(year or ""))


def row_label(d, inst: str, row: str, col: str = "") -> str:
    spec = d.spec(inst)
    if isinstance(spec, FormSpec):
        if "#" in row:
            return f"{row.split('#')[0]} 第{row.split('#')[1]}行"
        return _form_field_label(spec, row)
    if "#" in row:
        code = None
        name = None
        for c in spec.col_keys:
            e = d.entry(inst, row, c)
            if e is None or e.value is None:
                continue
            if spec.column(c).type == "code" and code is None:
                code = e.value
            elif spec.column(c).type in ("label", "text") and name is None:
                name = e.value
        return " ".join(x for x in (code, name) if x) or f"第{row.split('#')[1]}行"
    fixed = spec.fixed_row(row)
    limit = spec.col_keys.index(col) if col in spec.col_keys else len(spec.col_keys)
    texts = [fixed.cells[c].text for c in spec.col_keys[:limit]
             if c in fixed.cells and fixed.cells[c].role == "label" and fixed.cells[c].text]
    if texts:
        return texts[-1]  # two-sided tables (表1/表4): the nearest label to the left names the row
    texts = [cs.text for cs in fixed.cells.values() if cs.role == "label" and cs.text]
    return texts[0] if texts else row


def _form_field_label(spec: FormSpec, field: str) -> str:
    for r in spec.rows:
        cells = getattr(r, "cells", ())
        prev = None
        for c in cells:
            if c.field == field:
                return prev or field
            if not c.field and c.spec.text:
                prev = c.spec.text
    return field


def describe(d, inst: str, row: str, col: str = "") -> str:
    """「sheet」A1（row label·column label）"""
    e = d.entry(inst, row, col)
    where = f"「{e.sheet}」{e.cell}" if e else f"「{d.sheet_names.get(inst, inst)}」"
    return f"{where}（{label(d, inst, row, col)}）"


def short(d, inst: str, row: str, col: str = "") -> str:
    """A1（label）without the sheet, for operands on the same sheet."""
    e = d.entry(inst, row, col)
    return f"{e.cell if e else ''}（{label(d, inst, row, col)}）"


def label(d, inst: str, row: str, col: str = "") -> str:
    """row label·column label, no location."""
    spec = d.spec(inst)
    text = row_label(d, inst, row, col)
    if isinstance(spec, TableSpec) and col:
        text = f"{text}·{column_label(spec, col, d.year)}"
    return text
