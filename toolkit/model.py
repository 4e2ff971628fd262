"""The typed disclosure model: every value keyed by (sheet, row, column), each remembering its cell.

Money is `Decimal` in the unit of its type (``amount``: the tables' unit, 万元 in the bundled schema;
``yuan``: the 元 of the project performance forms); `Entry.precision` gives unit and decimals
(toolkit.schema.units). Text is `str`; a blank cell is `None`. `Disclosure.frame()` gives pandas views.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from .layout import layout
from .schema import DERIVED, INPUT, LABEL, Block, CellSpec, FormBlock, FormSpec, Schema, TableSpec


@dataclass(slots=True)  # tens of thousands per workbook: slots make each smaller and quicker to make
class Entry:
    value: object  # Decimal | str | None
    raw: object  # what the cell held, as read
    sheet: str  # sheet name in the workbook
    cell: str  # A1 address
    spec: CellSpec
    role: str  # effective role (a block's parent row turns input amounts into derived roll-ups)
    block: str | None = None
    index: int | None = None
    rollup: str | None = None  # set on a parent row's roll-up cell: "children(items, col)"
    precision: object = None  # unit and decimals of the cell's type (schema.units.Precision; None: not numeric)

    @property
    def derivation(self) -> str | None:
        return self.rollup or (self.spec.derive if self.role == DERIVED else None)

    @property
    def unit(self) -> str | None:
        return self.precision.unit if self.precision is not None else None


@dataclass
class BlockRow:
    """One used row of an open block (a 类/款/项 code row, an economic code row, a project…)."""

    table: str
    block: str
    index: int
    entries: dict  # column -> Entry
    parent: dict = field(default_factory=dict)  # code column -> bool (has children in the block)
    key: str = field(init=False, repr=False, compare=False)  # "items#3", made once (asked for per operand)

    def __post_init__(self):
        self.key = f"{self.block}#{self.index}"

    def get(self, col: str):
        e = self.entries.get(col)
        return None if e is None else e.value

    def __getitem__(self, col: str):
        return self.get(col)

    @property
    def code(self) -> str | None:
        return self.get("code")

    @property
    def is_parent(self) -> bool:
        return any(self.parent.values())

    @property
    def level(self) -> int | None:
        """1 for 类 (3 digits), 2 for 款 (5), 3 for 项 (7); None when the row has no code."""
        c = self.code
        return {3: 1, 5: 2, 7: 3}.get(len(c)) if c else None


class Disclosure:
    """A read workbook: values, where they sit, and what the reader had to normalise."""

    def __init__(self, schema: Schema, path, sheet_names: dict, entries: dict, findings: list):
        self.schema = schema
        self.path = path
        self.sheet_names = sheet_names  # instance key -> sheet name in the workbook
        self.entries = entries  # instance key -> {(row, col): Entry}
        self.findings = findings  # what reading found (format findings)
        self.meta: dict = {}  # the hidden _meta sheet: versions, fingerprints of generated paragraphs
        self._rows_cache: dict = {}
        # (instance key, block key) -> rows of a table block that `entries` holds (1..n): the reader
        # keeps no entries for the blank capacity rows below the last row with data; `entry()`
        # makes those on demand. A block missing here has all its rows in `entries`.
        self.extents: dict = {}
        self._blanks: dict = {}

    # ---------------------------------------------------------------- access
    def spec(self, sheet: str):
        return self.schema.sheet(sheet.split("#")[0])

    def entry(self, sheet: str, row: str, col: str = "") -> Entry | None:
        data = self.entries.get(sheet)
        if data is None:
            return None
        e = data.get((row, col))
        if e is None and "#" in row:
            return self._blank_entry(sheet, row, col)
        return e

    def keep_rows(self, sheet: str, block: str, n: int) -> None:
        """Hold entries for rows 1..n of a table block (blank entries for the rows not kept yet)."""
        have = self.extents.get((sheet, block))
        if have is None or n <= have:
            return
        data = self.entries[sheet]
        for i in range(have + 1, n + 1):
            for p in layout(self.spec(sheet)).row_cells(block, i):
                if p.spec.role != LABEL and p.key not in data:
                    data[p.key] = self._blank_entry(sheet, p.row_key, p.col_key)
        self.extents[(sheet, block)] = n
        self._rows_cache.clear()

    def _blank_entry(self, sheet: str, row: str, col: str) -> Entry | None:
        """The entry of a blank cell in a table block's capacity rows below its data (not kept by
        the reader): the same Entry the cell would have had, made when first asked for."""
        key = (sheet, row, col)
        hit = self._blanks.get(key)
        if hit is None:
            p = layout(self.spec(sheet)).find(row, col)
            if p is None or p.block is None or p.spec.role == LABEL:
                return None
            prec = self.__dict__.get("_precisions")
            if prec is None:
                prec = self._precisions = precisions(self.schema)
            hit = self._blanks[key] = Entry(None, None, self.sheet_names.get(sheet, sheet), p.address, p.spec,
                                            p.spec.role, p.block, p.index, precision=prec.get(p.spec.type))
        return hit

    def get(self, sheet: str, row: str, col: str = ""):
        e = self.entry(sheet, row, col)
        return None if e is None else e.value

    def amount(self, sheet: str, row: str, col: str = "") -> Decimal:
        """The value as a Decimal, blank counting as zero."""
        v = self.get(sheet, row, col)
        return v if isinstance(v, Decimal) else Decimal(0)

    def present(self, key: str) -> bool:
        """The workbook has sheet `key` (False: the schema lacks it, or an optional one was left out)."""
        return key in self.entries

    def instances(self, key: str) -> list[str]:
        """Instance keys of a sheet spec: [key] for ordinary sheets, key#1, key#2… for repeated forms."""
        return [k for k in self.entries if k == key or k.startswith(key + "#")]

    @property
    def projects(self) -> list[str]:
        return self.instances("perf_project")

    @property
    def year(self) -> int | None:
        y = self.get("info", "year")
        return int(y) if isinstance(y, Decimal) and y == y.to_integral_value() else None

    @property
    def dept_name(self) -> str | None:
        return self.get("info", "dept_name")

    @property
    def dept_code(self) -> str | None:
        return self.get("info", "dept_code")

    def rows(self, sheet: str, block: str = "items") -> list[BlockRow]:
        """The used rows of an open block, in sheet order (blank rows are skipped)."""
        key = (sheet, block)
        if key not in self._rows_cache:
            self._rows_cache[key] = self._collect_rows(sheet, block)
        return self._rows_cache[key]

    def _collect_rows(self, sheet: str, block_key: str) -> list[BlockRow]:
        spec = self.spec(sheet)
        block = spec.block(block_key)
        cap = self.extents.get((sheet, block_key), block.capacity)  # rows below hold no data
        cols = spec.col_keys if isinstance(spec, TableSpec) else block.fields
        out = []
        data = self.entries.get(sheet, {})
        for i in range(1, cap + 1):
            rk = block.row_key(i)
            ents = {c: data[(rk, c)] for c in cols if (rk, c) in data}
            if any(e.value is not None for e in ents.values() if e.spec.role != LABEL):
                row = BlockRow(sheet, block_key, i, ents)
                out.append(row)
        if isinstance(block, Block):
            for code_col in block.code_columns:
                kids = code_tree(out, code_col)[1]
                for r in out:
                    c = r.get(code_col)
                    r.parent[code_col] = bool(c) and c in kids
        return out

    def row_index(self, sheet: str, block: str = "items") -> dict:
        """{row key: BlockRow} of a block's used rows (cached with the rows)."""
        key = (sheet, block, "index")
        if key not in self._rows_cache:
            self._rows_cache[key] = {r.key: r for r in self.rows(sheet, block)}
        return self._rows_cache[key]

    def code_tree(self, sheet: str, block: str, code_col: str) -> tuple[dict, dict]:
        """(parent, children) of a block's rows by code prefix, computed once per block and column:
        parent[row key] = the longest code in the block that is a proper prefix of the row's code
        (None for a 类 row or an orphan); children[code] = the rows whose parent code it is."""
        key = (sheet, block, "tree", code_col)
        if key not in self._rows_cache:
            self._rows_cache[key] = code_tree(self.rows(sheet, block), code_col)
        return self._rows_cache[key]

    def code_index(self, sheet: str, block: str, code_col: str) -> tuple[dict, list]:
        """({code: first row with it}, [rows with a code and no parent row]) of a block, computed
        once per block and column, so that `t3[code]` is a dictionary look-up, not a scan."""
        key = (sheet, block, "index", code_col)
        if key not in self._rows_cache:
            first: dict = {}
            for r in self.rows(sheet, block):
                c = r.get(code_col)
                if c is not None:
                    first.setdefault(c, r)
            parent = self.code_tree(sheet, block, code_col)[0]
            top = [r for r in self.rows(sheet, block) if isinstance(r.get(code_col), str) and r.get(code_col)
                   and parent.get(r.key) is None]
            self._rows_cache[key] = (first, top)
        return self._rows_cache[key]

    def cells(self, role: str | None = None):
        """Every value cell, as (instance key, row, col, Entry), optionally only one role."""
        for sheet, data in self.entries.items():
            for (row, col), e in data.items():
                if role is None or e.role == role:
                    yield sheet, row, col, e

    # ---------------------------------------------------------------- pandas views
    def frame(self, sheet: str, block: str = "items"):
        """A pandas DataFrame of a block's used rows (Decimal values, object dtype). pandas is an
        optional extra (`pip install bdt-budget-disclosure[pandas]`): installed by default it would
        be imported by xlwings on every Excel click, with numpy (≈ 0.5–1 s)."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Disclosure.frame() needs pandas: pip install 'bdt-budget-disclosure[pandas]'") from exc

        spec = self.spec(sheet)
        cols = spec.col_keys if isinstance(spec, TableSpec) else spec.block(block).fields
        records = []
        for r in self.rows(sheet, block):
            rec = {c: r.get(c) for c in cols}
            rec["_cell"] = next(iter(r.entries.values())).cell if r.entries else None
            rec["_parent"] = r.is_parent
            records.append(rec)
        return pd.DataFrame.from_records(records, columns=[*cols, "_cell", "_parent"])

    def form(self, sheet: str) -> dict:
        """Scalar fields of a form as {field: value}."""
        spec = self.spec(sheet)
        return {f: self.get(sheet, f) for f in spec.fields}

    # ---------------------------------------------------------------- roles
    def apply_block_roles(self) -> None:
        """Parent rows (类/款 with children in the block) have their roll-up columns derived."""
        for spec in self.schema.tables:
            for block in spec.blocks:
                if not block.rollup:
                    continue
                for row in self.rows(spec.key, block.key):
                    for code_col, is_parent in row.parent.items():
                        if not is_parent:
                            continue
                        for col in block.rollup:
                            if block.code_column_for(col) == code_col and col in row.entries:
                                row.entries[col].role = DERIVED
                                row.entries[col].rollup = f"children({block.key}, {col})"


def code_tree(rows: list, code_col: str) -> tuple[dict, dict]:
    """Linear-time prefix hierarchy of rows (see `Disclosure.code_tree`): each code looks up its
    own prefixes (at most 6) in a set instead of being compared with every other row."""
    codes = {c for r in rows if isinstance(c := r.get(code_col), str) and c}
    parent: dict = {}
    children: dict = {}
    for r in rows:
        c = r.get(code_col)
        if not (isinstance(c, str) and c):
            continue
        up = next((c[:n] for n in range(len(c) - 1, 0, -1) if c[:n] in codes), None)
        parent[r.key] = up
        if up is not None:
            children.setdefault(up, []).append(r)
    return parent, children


@contextmanager
def paused_gc():
    """The cyclic garbage collector paused while a step builds many acyclic objects (entries,
    results): each collection would traverse every object alive, a cost that grows with the
    workbook (measured 15–30 % of read + validate + fill at 2,000 rows). Reference counting still
    frees everything; the collector's previous state is restored, also on an exception."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def empty_entries_for(spec, sheet_name: str, schema=None) -> dict:
    """Entries with no values for every value cell of a sheet spec (a sheet the workbook lacks)."""
    lay = layout(spec)
    prec = precisions(schema) if schema is not None else {}
    return {
        p.key: Entry(None, None, sheet_name, p.address, p.spec, p.spec.role, p.block, p.index,
                     precision=prec.get(p.spec.type))
        for p in lay.value_cells
    }


def precisions(schema) -> dict:
    """{type name: Precision} of a schema's numeric types (what each Entry of the type carries)."""
    return {name: t.precision for name, t in schema.types.items() if t.numeric}


__all__ = ["Disclosure", "Entry", "BlockRow", "INPUT", "DERIVED", "LABEL", "FormSpec", "FormBlock"]
