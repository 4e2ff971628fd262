"""Where every cell of the schema sits on its sheet.

The layout is computed from the schema alone (row order, header rows, block capacities), so the
template builder, the reader, the writer and the Excel front end all agree on addresses without
any address being written down twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import replace
from functools import lru_cache

from .schema import DERIVED, LABEL, CellSpec, FixedRow, FormBlock, FormSpec, Schema, TableSpec, _label

TABLE_FIRST_HEADER_ROW = 4
META_SHEET = "_meta"  # hidden sheet: versions, fill fingerprints
CODES_SHEET = "_codes"  # hidden sheet: the code lists behind the drop-downs
CAPACITY_PREFIX = "capacity:"  # _meta rows of a workbook whose blocks hold other row counts than the schema's


@lru_cache(maxsize=None)
def column_letter(col: int) -> str:
    """1 → A, 27 → AA (the same as openpyxl's get_column_letter, without importing openpyxl)."""
    if not 1 <= col <= 16384:
        raise ValueError(f"column {col} is outside A..XFD")
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def a1(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


@dataclass(frozen=True)
class Placed:
    """One cell of a sheet: its reference in the model and its position."""

    row_key: str  # fixed row key, "items#3" for block rows, field name for form fields, "@A1" for labels
    col_key: str  # column key ("" for form fields and labels)
    row: int
    col: int
    spec: CellSpec
    span: int = 1
    vspan: int = 1
    block: str | None = None  # block key for block cells
    index: int | None = None  # 1-based row index inside the block

    @property
    def address(self) -> str:
        got = self.__dict__.get("_address")  # made once (not functools.cached_property: it locks)
        if got is None:
            got = self.__dict__["_address"] = a1(self.row, self.col)
        return got

    @property
    def key(self) -> tuple[str, str]:
        return (self.row_key, self.col_key)


@dataclass(frozen=True)
class TableBlock:
    """Where a table's open block sits: `capacity` rows from `first`, one cell per column. Its cells
    are made on demand (`SheetLayout.row_cells`), so that a block of 2,000 rows costs nothing to
    lay out until a row is asked for (the reader asks only for the rows that hold data)."""

    key: str
    first: int  # sheet row of index 1
    capacity: int
    columns: tuple  # ((sheet column, column key, CellSpec), …) in column order

    def row_key(self, i: int) -> str:
        return f"{self.key}#{i}"

    def index_of(self, row_key: str) -> int | None:
        """1-based index of a row key of this block ("items#7" → 7), None if not one of its rows."""
        head, sep, tail = row_key.partition("#")
        if head != self.key or not sep or not tail.isdigit() or tail[0] == "0":
            return None
        i = int(tail)
        return i if i <= self.capacity else None


@dataclass
class SheetLayout:
    spec: object  # TableSpec | FormSpec
    ncols: int
    merges: list = field(default_factory=list)  # (r1, c1, r2, c2)
    header_rows: tuple | None = None  # (first, last) rows to repeat when printing
    data_start: int = 1
    last_row: int = 1
    block_rows: dict = field(default_factory=dict)  # block key -> (first row, capacity)
    row_heights: dict = field(default_factory=dict)

    def __post_init__(self):
        self._by_key = {}
        self._fixed: list = []  # cells outside table blocks, in sheet order
        self._order: list = []  # sheet order: Placed or TableBlock
        self.table_blocks: dict = {}  # block key -> TableBlock (cells made on demand)
        self._rows: dict = {}  # (block key, index) -> [Placed]
        self._all = None

    def add(self, p: Placed) -> None:
        self._fixed.append(p)
        self._order.append(p)
        self._by_key[p.key] = p
        self.last_row = max(self.last_row, p.row + p.vspan - 1)
        if self._all is not None:
            self._all.append(p)

    def add_block(self, b: TableBlock) -> None:
        self.table_blocks[b.key] = b
        self.block_rows[b.key] = (b.first, b.capacity)
        self._order.append(b)
        self.last_row = max(self.last_row, b.first + b.capacity - 1)
        self._all = None

    def row_cells(self, block: str, i: int) -> list:
        """The cells of row `i` (1-based) of a table block, made once."""
        hit = self._rows.get((block, i))
        if hit is None:
            b = self.table_blocks[block]
            rk, r = b.row_key(i), b.first + i - 1
            hit = self._rows[(block, i)] = [Placed(rk, ck, r, c, spec, block=block, index=i)
                                            for c, ck, spec in b.columns]
        return hit

    @property
    def cells(self) -> list:
        """Every cell of the sheet in sheet order (the blocks' capacity rows included)."""
        if self._all is None:
            out = []
            for x in self._order:
                if isinstance(x, TableBlock):
                    for i in range(1, x.capacity + 1):
                        out.extend(self.row_cells(x.key, i))
                else:
                    out.append(x)
            self._all = out
        return self._all

    def get(self, row_key: str, col_key: str = "") -> Placed:
        p = self.find(row_key, col_key)
        if p is None:
            raise KeyError((row_key, col_key))
        return p

    def find(self, row_key: str, col_key: str = "") -> Placed | None:
        p = self._by_key.get((row_key, col_key))
        if p is not None or "#" not in row_key:
            return p
        b = self.table_blocks.get(row_key.partition("#")[0])
        i = b.index_of(row_key) if b is not None else None
        if i is None:
            return None
        return next((q for q in self.row_cells(b.key, i) if q.col_key == col_key), None)

    def spec_at(self, row: int, col: int):
        """The CellSpec of the cell placed at sheet row `row`, column `col` (an anchor of `cells`),
        or None — without making the capacity rows' cells."""
        at = self.__dict__.get("_at")
        if at is None or at[0] != len(self._fixed):
            at = self._at = (len(self._fixed), {(p.row, p.col): p.spec for p in self._fixed})
        spec = at[1].get((row, col))
        if spec is not None:
            return spec
        b = self.block_at(row)
        return next((sp for c, _, sp in b.columns if c == col), None) if b is not None else None

    def block_at(self, row: int) -> TableBlock | None:
        """The table block whose capacity rows include sheet row `row`."""
        return next((b for b in self.table_blocks.values() if b.first <= row < b.first + b.capacity), None)

    @property
    def value_cells(self) -> list[Placed]:
        hit = self.__dict__.get("_value_cells")
        if hit is None or hit[0] != len(self.cells):  # recomputed if a cell was added since
            hit = self._value_cells = (len(self.cells), [p for p in self.cells if p.spec.role != LABEL])
        return hit[1]

    @property
    def fixed_value_cells(self) -> list[Placed]:
        """The value cells outside table blocks (fixed rows, form fields, form blocks)."""
        hit = self.__dict__.get("_fixed_values")
        if hit is None or hit[0] != len(self._fixed):
            hit = self._fixed_values = (len(self._fixed), [p for p in self._fixed if p.spec.role != LABEL])
        return hit[1]

    @property
    def label_cells(self) -> list[Placed]:
        """Cells with a fixed text (table blocks have none: their label columns are blank)."""
        hit = self.__dict__.get("_label_cells")
        if hit is None or hit[0] != len(self._fixed):
            hit = self._label_cells = (len(self._fixed), [p for p in self._fixed if p.spec.role == LABEL and p.spec.text])
        return hit[1]


def header_spans(header):
    """Resolve a header grid's "<" (merge left) and "^" (merge up): yield (i, j, text, rowspan, colspan)."""
    for i, hrow in enumerate(header):
        for j, text in enumerate(hrow):
            if text in ("<", "^"):
                continue
            c2 = j
            while c2 + 1 < len(hrow) and hrow[c2 + 1] == "<":
                c2 += 1
            r2 = i
            while r2 + 1 < len(header) and header[r2 + 1][j] == "^":
                r2 += 1
            yield i, j, text, r2 - i + 1, c2 - j + 1


def _table_layout(t: TableSpec) -> SheetLayout:
    n = len(t.columns)
    lay = SheetLayout(spec=t, ncols=n)
    lay.add(Placed("@A1", "", 1, 1, CellSpec(role=LABEL, text=f"预算公开表{t.number}", style="small")))
    lay.add(Placed("_title", "", 2, 1, _label(t.title, "title"), span=n))
    lay.merges.append((2, 1, 2, n))
    lay.add(Placed("_dept", "", 3, 1, _label("部门名称：{dept_name}", "small"), span=max(n - 1, 1)))
    if n > 2:
        lay.merges.append((3, 1, 3, n - 1))
    lay.add(Placed(f"@{a1(3, n)}", "", 3, n, CellSpec(role=LABEL, text=f"单位：{t.unit}", style="unit")))
    r0 = TABLE_FIRST_HEADER_ROW
    hdr = t.header
    for i, j, text, vspan, span in header_spans(hdr):
        spec = _label(text, "header")
        lay.add(Placed(f"@{a1(r0 + i, j + 1)}", "", r0 + i, j + 1, spec, span=span, vspan=vspan))
        if span > 1 or vspan > 1:
            lay.merges.append((r0 + i, j + 1, r0 + i + vspan - 1, j + span))
    lay.header_rows = (r0, r0 + len(hdr) - 1)
    r = r0 + len(hdr)
    lay.data_start = r
    for row in t.rows:
        if isinstance(row, FixedRow):
            for j, col in enumerate(t.columns):
                spec = row.cells.get(col.key)
                if spec is None:
                    spec = CellSpec(role=LABEL, text=None, style=row.style)
                elif row.style and spec.style is None:
                    spec = replace(spec, style=row.style)
                lay.add(Placed(row.key, col.key, r, j + 1, spec))
            r += 1
        else:
            cols = tuple((j + 1, col.key, row.cells.get(col.key) or CellSpec(role=LABEL, text=None))
                         for j, col in enumerate(t.columns))
            lay.add_block(TableBlock(row.key, r, row.capacity, cols))
            r += row.capacity
    note = CellSpec(role=DERIVED, type="text", derive="empty_note()", style="note")
    lay.add(Placed("_note", "", r, 1, note, span=n))
    lay.merges.append((r, 1, r, n))
    return lay


def _form_layout(f: FormSpec) -> SheetLayout:
    n = len(f.widths)
    lay = SheetLayout(spec=f, ncols=n)
    r = 1
    for row in f.rows:
        if isinstance(row, FormBlock):
            lay.block_rows[row.key] = (r, row.capacity)
            for i in range(1, row.capacity + 1):
                c = 1
                if row.label is not None:
                    text = row.label.replace("{n}", str(i))
                    lay.add(Placed(f"@{a1(r, 1)}", "", r, 1, CellSpec(role=LABEL, text=text, style="rowlabel")))
                    c = 2
                for cell in row.cells:
                    lay.add(Placed(row.row_key(i), cell.field, r, c, cell.spec, span=cell.span, block=row.key, index=i))
                    if cell.span > 1:
                        lay.merges.append((r, c, r, c + cell.span - 1))
                    c += cell.span
                r += 1
            continue
        c = 1
        for cell in row.cells:
            if cell.field:
                lay.add(Placed(cell.field, "", r, c, cell.spec, span=cell.span, vspan=cell.vspan))
            elif cell.spec.text or cell.spec.role == DERIVED:
                lay.add(Placed(f"@{a1(r, c)}", "", r, c, cell.spec, span=cell.span, vspan=cell.vspan))
            if cell.span > 1 or cell.vspan > 1:
                lay.merges.append((r, c, r + cell.vspan - 1, c + cell.span - 1))
            c += cell.span
        r += 1
    lay.data_start = 2
    return lay


_CACHE: dict[int, tuple] = {}


def layout(spec) -> SheetLayout:
    """The layout of one table or form spec (computed once per spec object)."""
    hit = _CACHE.get(id(spec))
    if hit is None or hit[0] is not spec:
        lay = _table_layout(spec) if isinstance(spec, TableSpec) else _form_layout(spec)
        hit = _CACHE[id(spec)] = (spec, lay)
    return hit[1]


def layouts(schema: Schema) -> dict[str, SheetLayout]:
    return {s.key: layout(s) for s in schema.sheets}


def consecutive_runs(values) -> list[tuple[int, int]]:
    """Sorted integers as (first, last) runs of consecutive values: 1 2 3 5 → (1, 3), (5, 5)."""
    runs: list[tuple[int, int]] = []
    for v in sorted(values):
        if runs and v == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs
