"""Plain-text views of a workbook for a terminal (`bdt show`, `bdt cells`): a table with its header,
fixed rows and used block rows, aligned for CJK double-width characters; a form's fields and blocks;
the list of cells by role."""
from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)

if TYPE_CHECKING:
    from .schema import FormSpec, TableSpec


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, w: int, right: bool) -> str:
    gap = " " * max(w - _width(s), 0)
    return gap + s if right else s + gap


def _fmt(v) -> str:
    if v is None:
        return ""
    from decimal import Decimal

    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def render_table(d, spec: TableSpec, inst: str | None = None) -> str:
    """A plain-text rendering of one table: header, fixed rows and used block rows."""
    inst = inst or spec.key
    heads = []
    for j, _ in enumerate(spec.columns):
        parts = [h[j] for h in spec.header if h[j] not in ("<", "^", "")]
        heads.append("/".join(dict.fromkeys(p.replace("{year}", str(d.year or "")) for p in parts)))
    body = []
    for r in spec.rows:
        if hasattr(r, "capacity"):
            for row in d.rows(inst, r.key):
                body.append([_fmt(row.get(c)) for c in spec.col_keys])
        else:
            cells = []
            for c in spec.col_keys:
                cs = r.cells.get(c)
                if cs is not None and cs.role == "label":
                    cells.append(cs.text or "")
                else:
                    cells.append(_fmt(d.get(inst, r.key, c)))
            if any(cells):
                body.append(cells)
    numeric = [spec.column(c).type in ("amount", "yuan", "count") for c in spec.col_keys]
    widths = [max([_width(heads[j])] + [_width(row[j]) for row in body]) for j in range(len(heads))]
    title = d.get(inst, "_title") or spec.title
    lines = [f"表{spec.number}  {title}  （单位：{spec.unit or d.schema.unit}）", "  ".join(_pad(h, widths[j], False) for j, h in enumerate(heads))]
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(_pad(v, widths[j], numeric[j]) for j, v in enumerate(row)).rstrip())
    note = d.get(inst, "_note")
    if note:
        lines.append(note)
    return "\n".join(lines)


def render_form(d, spec: FormSpec, inst: str) -> str:
    lines = [f"{d.sheet_names[inst]}"]
    for f, cs in spec.fields.items():
        v = d.get(inst, f)
        if v is not None:
            lines.append(f"  {f}: {_fmt(v)}")
    for b in spec.blocks:
        for row in d.rows(inst, b.key):
            lines.append(f"  {b.key}[{row.index}]: " + " | ".join(_fmt(row.get(c)) for c in b.fields))
    return "\n".join(lines)


def show(d, table: int | None = None, forms: bool = False) -> str:
    """`bdt show`: every table (or table number `table`), with `forms` the forms too, as text."""
    from .schema import TableSpec

    out = []
    for spec in d.schema.sheets:
        if isinstance(spec, TableSpec):
            if table is None or table == spec.number:
                out.append(render_table(d, spec))
        elif table is None and forms:
            for inst in d.instances(spec.key):
                out.append(render_form(d, spec, inst))
    return "\n\n".join(out)


def cell_rows(d, role: str | None = None) -> list[dict]:
    """`bdt cells`: each cell (of `role`, input or derived) with sheet, cell, key, row, column, role,
    type and derivation."""
    return [{"sheet": e.sheet, "cell": e.cell, "key": inst, "row": row, "col": col, "role": e.role,
             "type": e.spec.type, "derivation": e.derivation} for inst, row, col, e in d.cells(role=role)]


__all__ = ["render_table", "render_form", "show", "cell_rows"]
