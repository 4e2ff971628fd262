"""The publication document as data: built once from the filled model, rendered by each back end.

`build_document(d, values)` walks the schema and the document outline (`outline.py`) and returns
a `Document`: headings, paragraphs, tables (title, 部门名称, 单位, header rows with merges, body
rows of formatted cell texts), charts, page breaks and the 目录. The PDF, DOCX and HTML back ends
only lay this out, so the three never say different things.

Figures come from the *filled* model: every derived cell takes the value `toolkit.fill.compute`
derives from the inputs (the cached value in the file is ignored), every input cell the value the
clerk typed. Text typed into the workbook that starts with = + - @ (or a tab / carriage return) is
prefixed with ' so that no exported file carries a formula (numbers stay numbers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..io.normalize import CONTROL_CHARS
from ..layout import header_spans, layout
from ..schema import LABEL, FixedRow, FormSpec, TableSpec
from ..schema.units import YUAN_PER

CENT = Decimal("0.01")
NUMERIC = ("amount", "yuan", "count", "year", "area", "percent")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ------------------------------------------------------------------------------ the model


@dataclass
class Cell:
    text: str = ""
    align: str = "left"  # left | center | right
    bold: bool = False
    header: bool = False  # header cell (shaded, centred)
    span: int = 1  # columns covered
    vspan: int = 1  # rows covered
    value: object = None  # the typed value (Decimal for figures) for xlsx / data
    type: str = "text"  # the schema type of the column/field
    unit: str | None = None  # a suffix shown after a count ("人", "个")
    format: str | None = None  # the schema type's number format ("0.00", "#,##0.00"): the xlsx export's


@dataclass
class Row:
    cells: list  # Cell | None (None: covered by a merged cell above or to the left)
    key: str | None = None  # the row key in the model ("c201", "total", "items#3", …)
    total: bool = False


@dataclass
class Table:
    key: str  # instance key: "t3", "perf_project#2"
    kind: str  # "table" | "form"
    title: str
    widths: list  # relative column widths
    header: list = field(default_factory=list)  # Row
    body: list = field(default_factory=list)  # Row
    label: str | None = None  # "预算公开表1"
    dept: str | None = None  # "部门名称：…"
    unit: str | None = None  # "单位：万元"
    subtitle: str | None = None  # "（2023年度）" on forms
    note: str | None = None  # "注：本表无数据"
    col_keys: list = field(default_factory=list)
    col_titles: list = field(default_factory=list)
    col_types: list = field(default_factory=list)
    sheet: str | None = None  # sheet name in the workbook (print xlsx uses it)
    landscape: bool = False
    number: int | None = None
    toc: bool = True  # the title is a 目录 entry
    level: int = 2  # its 目录 / outline level
    new_page: bool = True

    @property
    def ncols(self) -> int:
        return len(self.widths)

    @property
    def empty(self) -> bool:
        return self.note is not None


def continued(t: Table) -> str:
    """The line that heads a table on the pages it continues on (续表), in every paged format."""
    return "续表：" + " ".join(x for x in (t.label, t.title) if x)


@dataclass
class Heading:
    level: int  # 1 part, 2 section, 3 sub-section
    text: str
    toc: bool = True


@dataclass
class Paragraph:
    text: str
    style: str = "body"  # body | plain


@dataclass
class Chart:
    kind: str  # "pie" | "bar"
    title: str
    labels: list
    values: list  # Decimal
    unit: str = "万元"
    key: str = ""
    base: object = None  # the table total the shares are of (the narrative's denominator); None: the sum

    def share(self, v) -> str:
        """A slice's share as the text states it: the same rounded figures, the same rounding."""
        from ..narrative import pct

        values = [Decimal(x) for x in self.values if x and Decimal(x) > 0]
        whole = self.base if isinstance(self.base, Decimal) and self.base > 0 else sum(values, Decimal(0))
        return pct(Decimal(v), whole) + "%"


@dataclass
class PageBreak:
    pass


@dataclass
class TOC:
    title: str = "目 录"


@dataclass
class Cover:
    dept: str
    title: str  # "2023年度部门预算公开"


@dataclass
class Document:
    title: str  # "忻州市人民政府驻北京联络处2023年度部门预算公开"
    dept: str
    year: int | None
    blocks: list
    mark: str | None = None  # "草稿·未通过校验" on every page of a forced export (check.Status.mark)
    note: str | None = None  # the validation status sentence for the document properties
    waivers: list | None = None  # the waived findings (toolkit.waivers), recorded in the data package
    values: object = None  # the filled model's values the document was built from (open data reads forms)

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def charts(self) -> list[Chart]:
        return [b for b in self.blocks if isinstance(b, Chart)]

    def toc_entries(self) -> list:
        """(index in blocks, level, text) of every 目录 entry, in order."""
        out = []
        for i, b in enumerate(self.blocks):
            if isinstance(b, Heading) and b.toc:
                out.append((i, b.level, b.text))
            elif isinstance(b, Table) and b.toc:
                out.append((i, b.level, b.title))
        return out


# ------------------------------------------------------------------------------ formatting

def clean_text(text: str) -> str:
    """`text` without the characters no export can carry; a CR or CR LF becomes a line feed."""
    if not text:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARS.sub("", text)  # the set the reader reports as F117



def neutralise(text: str) -> str:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe.

    A lone "-" or "+" (a placeholder for "none", which no spreadsheet evaluates) is left alone.
    """
    if text and text.startswith(FORMULA_START) and text not in ("-", "+"):
        return "'" + text
    return text


def fmt_value(v, typ: str = "text", unit: str | None = None, prec=None) -> str:
    """A cell's text as published: each figure with its type's decimals and grouping (`prec`, the
    schema's `Precision` of the type: 万元 with two decimals, 元 with thousands separators; two
    decimals when not given), blank empty."""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        v = Decimal(str(v))
    if isinstance(v, Decimal):
        if prec is not None and v.is_finite() and (typ in ("amount", "area", "percent", "yuan") or prec.unit in YUAN_PER):
            s = prec.show(v)
        elif typ in ("amount", "area", "percent"):
            s = format(v.quantize(CENT, ROUND_HALF_UP), "f")
        elif typ == "yuan":
            s = format(v, ",.0f") if v == v.to_integral_value() else format(v.quantize(CENT, ROUND_HALF_UP), ",f")
        elif typ in ("count", "year") and v == v.to_integral_value():
            s = format(v.to_integral_value(), "f")
        else:
            s = format(v.normalize() if v == v.to_integral_value() else v, "f")
        return s + (unit or "")
    return neutralise(clean_text(str(v)))


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三 (for 一、 二、 and （一）)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


class Values:
    """The filled model: computed derived values over the clerk's inputs."""

    def __init__(self, d, values: dict):
        self.d = d
        self.values = values

    def get(self, inst: str, row: str, col: str = ""):
        key = (inst, row, col)
        v = self.values[key] if key in self.values else self.d.get(inst, row, col)
        return clean_text(v) if isinstance(v, str) else v

    def text(self, inst: str, row: str, col: str = "") -> str:
        v = self.get(inst, row, col)
        return "" if v is None else (v if isinstance(v, str) else fmt_value(v))

    def label(self, text: str | None) -> str:
        """A schema label with {year}/{dept_name}/{dept_code} filled in."""
        if not text:
            return ""
        d = self.d
        return clean_text(text.replace("{year}", str(d.year or "")).replace("{dept_name}", d.dept_name or "")
                          .replace("{dept_code}", d.dept_code or ""))


# ------------------------------------------------------------------------------ tables


def _align(typ: str) -> str:
    return "right" if typ in NUMERIC else "left"


def _value_cell(v, typ: str, unit: str | None = None, bold: bool = False, schema=None) -> Cell:
    t = schema.types.get(typ) if schema is not None else None
    prec = t.precision if t is not None and t.numeric else None
    if schema is not None and typ in schema.money_types:
        typ = "amount"  # a money column in its own unit (sh-9 表9 in 万元): an amount with its type's format
    return Cell(text=fmt_value(v, typ, unit, prec), align=_align(typ), bold=bold, value=v, type=typ,
                format=t.format if prec is not None else None)


def header_rows(header, V: Values) -> list[Row]:
    """Header rows of a table spec with "<" (merge left) and "^" (merge up) resolved into spans."""
    rows = [[None] * len(h) for h in header]
    for i, j, text, vspan, span in header_spans(header):
        rows[i][j] = Cell(text=V.label(text), align="center", bold=True, header=True,
                          span=span, vspan=vspan, type="label")
    return [Row(cells) for cells in rows]


def column_titles(spec: TableSpec, V: Values) -> list[str]:
    """One title per column: the distinct header texts above it, joined with "/"."""
    out = []
    for j in range(len(spec.columns)):
        parts = []
        for i, hrow in enumerate(spec.header):
            # the text that covers (i, j): walk left over "<" and up over "^"
            r, c = i, j
            while spec.header[r][c] in ("<", "^"):
                if spec.header[r][c] == "<":
                    c -= 1
                else:
                    r -= 1
            t = V.label(spec.header[r][c])
            if t and t not in parts and not t.isdigit():
                parts.append(t)
        out.append("/".join(parts) or spec.columns[j].key)
    return out


def build_table(V: Values, spec: TableSpec, inst: str | None = None) -> Table:
    d = V.d
    inst = inst or spec.key
    cols = spec.columns
    title = V.label(spec.title)  # the schema's title (the sheet's _title cell is derived from it)
    dept = V.label("部门名称：{dept_name}")
    t = Table(key=inst, kind="table", title=neutralise(str(title)), widths=[c.width for c in cols],
              label=f"预算公开表{spec.number}", dept=neutralise(str(dept)), unit=f"单位：{spec.unit or d.schema.unit}",
              col_keys=[c.key for c in cols], col_titles=column_titles(spec, V),
              col_types=[c.type for c in cols], sheet=d.sheet_names.get(inst, spec.sheet),
              landscape=spec.landscape, number=spec.number)
    t.header = header_rows(spec.header, V)
    used_blocks = 0
    for r in spec.rows:
        if isinstance(r, FixedRow):
            bold = r.style == "total"
            cells = []
            for c in cols:
                cs = r.cells.get(c.key)
                if cs is None:
                    cells.append(Cell(type=c.type, align=_align(c.type), bold=bold))
                elif cs.role == LABEL:
                    cells.append(Cell(text=V.label(cs.text), bold=bold, type="label", value=V.label(cs.text)))
                else:
                    typ = c.type if cs.type in (None, "label") and c.type in NUMERIC else (cs.type or c.type)
                    cells.append(_value_cell(V.get(inst, r.key, c.key), typ, bold=bold, schema=d.schema))
            t.body.append(Row(cells, key=r.key, total=bold))
        else:
            rows = d.rows(inst, r.key)
            used_blocks += len(rows)
            for br in rows:
                cells = [_value_cell(V.get(inst, br.key, c.key), c.type, schema=d.schema) for c in cols]
                t.body.append(Row(cells, key=br.key))
    note = V.get(inst, "_note")
    if note:
        t.note = str(note)
        if spec.blocks and not used_blocks:
            # an empty table still shows one blank row under its 合计, as published tables do
            t.body.append(Row([Cell(type=c.type, align=_align(c.type)) for c in cols], key=None))
    return t


# ------------------------------------------------------------------------------ forms


def build_form(V: Values, spec: FormSpec, inst: str | None = None, title: str | None = None) -> Table:
    """A performance form as a grid: labels and values at their cells, merges kept, unused rows dropped."""
    d = V.d
    inst = inst or spec.key
    lay = layout(spec)
    n = lay.ncols
    used = {b.key: {r.index for r in d.rows(inst, b.key)} for b in spec.blocks}
    block_of = {}  # sheet row -> (block, index)
    for b in spec.blocks:
        first, cap = lay.block_rows[b.key]
        for i in range(cap):
            block_of[first + i] = (b, i + 1)
    keep = [r for r in range(1, lay.last_row + 1)
            if r not in block_of or block_of[r][1] in used[block_of[r][0].key]]
    index = {r: i for i, r in enumerate(keep)}
    grid = [[None] * n for _ in keep]
    covered = [[False] * n for _ in keep]
    for p in lay.cells:
        if p.row not in index:
            continue
        if p.spec.role == LABEL:
            text, value, typ = V.label(p.spec.text), None, "label"
        elif p.col_key == "" and p.row_key.startswith("@"):
            text, value, typ = V.label(V.get(inst, p.row_key) or p.spec.text), None, "label"
        else:
            value = V.get(inst, p.row_key, p.col_key)
            typ = p.spec.type
            t = d.schema.types.get(typ)
            prec = t.precision if t is not None and t.numeric else None
            text = fmt_value(value, typ, p.spec.unit, prec)
        style = p.spec.style
        i, j = index[p.row], p.col - 1
        vspan = sum(1 for r in range(p.row, p.row + p.vspan) if r in index)
        if style in ("header", "title", "center"):
            align = "center"
        else:
            align = "right" if typ in NUMERIC else "left"
        t = d.schema.types.get(typ)
        cell = Cell(text=text, value=value, type=typ, unit=p.spec.unit, span=p.span, vspan=max(vspan, 1), align=align,
                    format=t.format if t is not None and t.numeric else None,
                    bold=style in ("header", "title"), header=style == "header")
        grid[i][j] = cell
        for di in range(cell.vspan):
            for dj in range(cell.span):
                if di or dj:
                    covered[i + di][j + dj] = True
    # blank slots that nothing covers become empty cells
    for i in range(len(keep)):
        for j in range(n):
            if grid[i][j] is None and not covered[i][j]:
                grid[i][j] = Cell()
            elif covered[i][j]:
                grid[i][j] = None
    _merge_blocks(grid, keep, block_of, spec)
    # leading full-width title / centred rows become the caption
    caption = []
    while grid and grid[0][0] is not None and grid[0][0].span == n and len(caption) < 2:
        caption.append(grid.pop(0)[0].text)
        keep.pop(0)
    number = getattr(spec, "number", None)  # a form numbered as a table (bj-14's 表13/表14): captioned as one
    t = Table(key=inst, kind="form", title=title or (caption[0] if caption else V.label(spec.title)),
              widths=list(spec.widths), subtitle=caption[1] if len(caption) > 1 else None,
              sheet=d.sheet_names.get(inst, spec.sheet), toc=False, level=3,
              label=f"预算公开表{number}" if number is not None else None, number=number)
    t.body = [Row(cells) for cells in grid]
    return t


def _merge_blocks(grid, keep, block_of, spec: FormSpec) -> None:
    """Merge empty cells of form blocks into the cell above, the way the printed forms group rows.

    * the label column of a block whose label is "" joins the label above it (年度绩效指标 …);
    * inside a block, an empty cell joins the one above when the cell to its left did too
      (一级指标 → 二级指标 grouping); the last column never merges.
    """
    rows_by_block: dict = {}
    for i, r in enumerate(keep):
        if r in block_of:
            b, _ = block_of[r]
            rows_by_block.setdefault(b.key, (b, []))[1].append(i)
    for b, idx in rows_by_block.values():
        first_col = 0
        if b.label is not None:
            first_col = 1
            if b.label == "" and idx and idx[0] > 0:
                _extend_up(grid, idx, 0)
        # columns of the block's fields, left to right
        starts, c = [], first_col
        for fc in b.cells:
            starts.append(c)
            c += fc.span
        merged_prev = None
        for k, col in enumerate(starts[:-1]):
            merged_now = set()
            for pos, i in enumerate(idx):
                if pos == 0:
                    continue
                if merged_prev is not None and i not in merged_prev:
                    continue
                cell = grid[i][col]
                if cell is None or cell.text:
                    continue
                if _join_above(grid, i, col):
                    merged_now.add(i)
            merged_prev = merged_now
            if not merged_now:
                break


def _anchor_above(grid, i, col):
    k = i - 1
    while k >= 0 and grid[k][col] is None:
        k -= 1
    return k


def _join_above(grid, i, col) -> bool:
    k = _anchor_above(grid, i, col)
    if k < 0:
        return False
    above, cell = grid[k][col], grid[i][col]
    if above is None or above.span != cell.span or k + above.vspan != i or not above.text:
        return False
    above.vspan += cell.vspan
    for di in range(cell.vspan):
        grid[i + di][col] = None
    return True


def _extend_up(grid, idx, col) -> None:
    for i in idx:
        cell = grid[i][col]
        if cell is None or cell.text:
            return
        if not _join_above(grid, i, col):
            return


# ------------------------------------------------------------------------------ the document


def build_document(d, values: dict | None = None, outline: list | None = None) -> Document:
    """The whole publication document from the filled model (`values` = compute(d).values)."""
    if values is None:
        from ..fill import compute

        values = compute(d).values
    from .outline import OUTLINE, expand

    V = Values(d, values)
    dept = clean_text(d.dept_name or "")
    year = d.year
    blocks = expand(outline or d.schema.outline or OUTLINE, V)  # the schema's own order (bj-14), else sx-13's
    return Document(title=f"{dept}{year or ''}年度部门预算公开", dept=dept, year=year, blocks=blocks, values=values)


__all__ = [
    "Cell", "Row", "Table", "Heading", "Paragraph", "Chart", "PageBreak", "TOC", "Cover", "Document",
    "build_document", "build_table", "build_form", "neutralise", "clean_text", "fmt_value", "Values",
]
