"""The disclosure schema: tables, forms, cells and their roles, loaded from YAML and checked once.

`load_schema()` returns the bundled schema (``default.yaml``) unless a path, or the
``BDT_SCHEMA`` environment variable, names another one. Everything else in the toolkit (template,
reader, rules, fill, exporters) gets cell positions and derivations from the `Schema` object.
"""
from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_SCHEMA = Path(__file__).with_name("default.yaml")
#: bundled schemas by name (`bdt --schema sx-13`, `bdt schema list`); each file's `id:` is its name.
#: "default" is an alias of the 13-table format the toolkit started with.
BUNDLED = {"sx-13": "default.yaml", "bj-14": "bj-14.yaml", "sh-9": "sh-9.yaml"}
ALIASES = {"default": "sx-13"}

INPUT, DERIVED, LABEL = "input", "derived", "label"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class SchemaError(ValueError):
    """The schema file itself is malformed (a bureau's edited copy, usually)."""


class MissingSheet(KeyError):
    """A table or form the schema does not have (a rule written for another table set asked for it)."""

    def __init__(self, key: str):
        super().__init__(f"schema has no sheet {key!r}")
        self.key = key


@dataclass(frozen=True)
class TypeSpec:
    name: str
    format: str = "General"
    numeric: bool = False
    whole: bool = False
    unit: str | None = None
    wrap: bool = False
    max: object = None  # largest magnitude a cell of this type may hold (numbers); see default.yaml
    max_length: int | None = None  # longest text a cell of this type may hold (characters)
    decimals: int | None = None  # places of a numeric type (read from `format` when not given)

    @property
    def precision(self):
        """Unit and decimals of the type (toolkit.schema.units.Precision), made once per type."""
        got = self.__dict__.get("_precision")
        if got is None:
            from .units import precision_of

            got = self.__dict__["_precision"] = precision_of(self)
        return got


@dataclass(frozen=True)
class CellSpec:
    """What one cell is: a fixed label, a value the clerk types, or a derived value."""

    role: str  # INPUT | DERIVED | LABEL
    type: str = "label"
    text: str | None = None  # label text, or the template of a derived label
    derive: str | None = None  # derivation expression (DERIVED only)
    editable: bool = False  # derived but the clerk may overwrite it (narrative paragraphs)
    required: bool = False
    unit: str | None = None  # suffix shown by the number format (人, 个)
    style: str | None = None
    choices: tuple = ()  # the values a form field may hold (empty: any); checked by rule F120
    optional: bool = False  # a label added later to the template: older workbooks have it blank

    @property
    def is_value(self) -> bool:
        return self.role != LABEL


@dataclass(frozen=True)
class Column:
    key: str
    type: str
    width: float = 12


@dataclass(frozen=True)
class FixedRow:
    key: str
    cells: dict  # column key -> CellSpec
    of: str | None = None  # the classification code / item this row stands for
    style: str | None = None


@dataclass(frozen=True)
class Block:
    """An open block of rows: the clerk fills as many as needed, up to `capacity`."""

    key: str
    kind: str  # function | economic | revenue | free
    capacity: int
    cells: dict  # column key -> CellSpec (for a leaf row)
    rollup: tuple = ()  # columns that a parent row (类/款) sums from its children
    code_columns: dict = field(default_factory=dict)  # code column -> columns it keys

    def code_column_for(self, col: str) -> str | None:
        for code_col, cols in self.code_columns.items():
            if col == code_col or col in cols:
                return code_col
        return None

    def row_key(self, i: int) -> str:
        return f"{self.key}#{i}"


@dataclass(frozen=True)
class TableSpec:
    key: str
    number: int
    sheet: str
    title: str
    columns: tuple
    header: tuple  # tuple of tuples of str
    rows: tuple  # FixedRow | Block
    landscape: bool = False
    kind: str = "table"
    repeat: bool = False
    identities: tuple = ()  # (left column, right expression) every row must satisfy
    optional: bool = False  # the workbook may leave this table out (its sheet deleted); rules needing it are skipped
    unit: str | None = None  # the table's amount unit (caption 单位：…): its own `unit:`, else the schema's

    @property
    def col_keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def blocks(self) -> list[Block]:
        return [r for r in self.rows if isinstance(r, Block)]

    def block(self, key: str) -> Block:
        for b in self.blocks:
            if b.key == key:
                return b
        raise KeyError(key)

    def fixed_row(self, key: str) -> FixedRow:
        for r in self.rows:
            if isinstance(r, FixedRow) and r.key == key:
                return r
        raise KeyError(key)


@dataclass(frozen=True)
class FormCell:
    spec: CellSpec
    field: str | None = None  # None for labels
    span: int = 1
    vspan: int = 1


@dataclass(frozen=True)
class FormRow:
    cells: tuple  # FormCell


@dataclass(frozen=True)
class FormBlock:
    key: str
    capacity: int
    cells: tuple  # FormCell, one per field
    label: str | None = None  # text of the first column ("职责{n}"); None: no label column

    def row_key(self, i: int) -> str:
        return f"{self.key}#{i}"

    @property
    def fields(self) -> list[str]:
        return [c.field for c in self.cells if c.field]


@dataclass(frozen=True)
class FormSpec:
    key: str
    sheet: str
    title: str
    widths: tuple
    rows: tuple  # FormRow | FormBlock
    repeat: bool = False
    kind: str = "form"
    optional: bool = False
    number: int | None = None  # published among the tables as 表N (bj-14's 绩效目标表), else None

    @property
    def fields(self) -> dict[str, CellSpec]:
        out = {}
        for r in self.rows:
            if isinstance(r, FormRow):
                for c in r.cells:
                    if c.field:
                        out[c.field] = c.spec
        return out

    @property
    def blocks(self) -> list[FormBlock]:
        return [r for r in self.rows if isinstance(r, FormBlock)]

    def block(self, key: str) -> FormBlock:
        for b in self.blocks:
            if b.key == key:
                return b
        raise KeyError(key)

    def sheet_name(self, n: int = 1) -> str:
        return self.sheet.replace("{n}", str(n))

    @property
    def sheet_pattern(self) -> re.Pattern:
        return re.compile("^" + re.escape(self.sheet).replace(r"\{n\}", r"(\d+)") + "$")


ROUNDING_POLICIES = ("round", "balance")


@dataclass(frozen=True)
class Publication:
    """How amounts are published (`publication:` at the top of the schema; toolkit.rounding).

    `decimals`: places of the published figures (万元 to 0.01). `input_decimals`: places an input
    cell may hold (exact amounts from the budget system: 6 places of 万元 are 0.01 元); equal to
    `decimals` (the default) keeps inputs at the published precision. `rounding`: how exact figures
    become published ones — ``round`` (each figure ROUND_HALF_UP; 尾差 reported as info) or
    ``balance`` (舍位平衡: every published total equals the sum of its published items)."""

    decimals: int = 2
    rounding: str = "round"
    input_decimals: int = 2

    @property
    def quantum(self):
        from decimal import Decimal

        return Decimal(1).scaleb(-self.decimals)

    @property
    def input_quantum(self):
        from decimal import Decimal

        return Decimal(1).scaleb(-self.input_decimals)

    @property
    def exact_inputs(self) -> bool:
        """Inputs may be finer than the published figures."""
        return self.input_decimals > self.decimals


def _decimals_of(fmt: str | None) -> int:
    m = re.search(r"\.(0+)", fmt or "")
    return len(m.group(1)) if m else 0


def parse_publication(raw, types: dict) -> Publication:
    amount = types.get("amount")
    default = _decimals_of(amount.format) if amount is not None else 2
    raw = raw or {}
    if not isinstance(raw, dict):
        raise SchemaError(f"publication 应为映射（decimals/rounding/input_decimals），而不是 {raw!r}")
    unknown = set(raw) - {"decimals", "rounding", "input_decimals"}
    if unknown:
        raise SchemaError(f"publication 有未知的项：{'、'.join(sorted(map(str, unknown)))}")
    dec = raw.get("decimals", default)
    inp = raw.get("input_decimals", dec)
    for name, v in (("decimals", dec), ("input_decimals", inp)):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10:
            raise SchemaError(f"publication.{name} 应为 0～10 的整数，而不是 {v!r}")
    if inp < dec:
        raise SchemaError(f"publication.input_decimals（{inp}）不能少于公开的小数位数 decimals（{dec}）")
    rounding = raw.get("rounding", "round")
    if rounding not in ROUNDING_POLICIES:
        raise SchemaError(f"publication.rounding 应为 {' 或 '.join(ROUNDING_POLICIES)}，而不是 {rounding!r}")
    return Publication(decimals=dec, rounding=rounding, input_decimals=inp)


@dataclass
class Schema:
    schema_version: str
    template_version: str
    name: str
    unit: str
    types: dict  # name -> TypeSpec
    sheets: list  # TableSpec | FormSpec
    source: Path | None = None
    capacities: dict = field(default_factory=dict)  # block capacities changed for one workbook {"t3.items": 2000}
    id: str = ""  # the schema's name (sx-13, bj-14, sh-9): recorded in a workbook's _meta as schema_id
    publication: Publication = field(default_factory=Publication)  # published precision and rounding policy
    outline: tuple | None = None  # the published document's order (toolkit.export.outline); None: the sx-13 OUTLINE

    def sheet(self, key: str):
        for s in self.sheets:
            if s.key == key:
                return s
        raise MissingSheet(key)

    def has(self, key: str) -> bool:
        return any(s.key == key for s in self.sheets)

    @property
    def tables(self) -> list[TableSpec]:
        return [s for s in self.sheets if isinstance(s, TableSpec)]

    @property
    def forms(self) -> list[FormSpec]:
        return [s for s in self.sheets if isinstance(s, FormSpec)]

    def type(self, name: str) -> TypeSpec:
        return self.types[name]

    def precision(self, type_name: str):
        """Unit and decimals of a cell type ("amount", "yuan", …): the one place rules, fill,
        narrative and exports ask (toolkit.schema.units.Precision)."""
        t = self.types.get(type_name)
        if t is None:
            from .units import Precision

            return Precision(None, 0)
        return t.precision

    @property
    def money(self):
        """Precision of the tables' amounts (type ``amount``): 万元 at two decimals in the bundled
        schema, 元 at the fen in a Shanghai-style one."""
        return self.precision("amount")

    @property
    def money_types(self) -> frozenset:
        """The types of the tables' money columns: ``amount`` and any other table column type in a
        currency unit (sh-9's ``wan``: its 表9 is published in 万元 while the other tables are in 元)."""
        got = self.__dict__.get("_money_types")
        if got is None:
            from .units import YUAN_PER
            got = frozenset({"amount"} | {c.type for t in self.tables for c in t.columns
                                          if c.type in self.types and self.types[c.type].unit in YUAN_PER})
            self.__dict__["_money_types"] = got
        return got

    def keys(self) -> set[str]:
        return {s.key for s in self.sheets}

    def block_capacities(self) -> dict[str, int]:
        """{"t3.items": 60, …}: the rows each open block of a table holds."""
        return {f"{t.key}.{b.key}": b.capacity for t in self.tables for b in t.blocks}

    def with_capacities(self, caps: dict) -> "Schema":
        """This schema with some table blocks holding more (or fewer) rows: a department with
        2,000 项 rows or 300 projects gets a workbook of its own size, while the standard template
        stays small. Keys are "t3.items" or just "t3" (every block of 表3); values are row counts
        (1 … MAX_CAPACITY). The result records the changes in `capacities` (the template writes
        them to _meta, the reader applies them), and is cached, so layouts are computed once."""
        wanted = parse_capacities(caps, self)
        key = (id(self), tuple(sorted(wanted.items())))
        hit = _WITH_CAPACITIES.get(key)
        if hit is not None and hit[0] is self:
            return hit[1]
        if not wanted:
            return self
        sheets = []
        for spec in self.sheets:
            if isinstance(spec, TableSpec) and any(k.split(".")[0] == spec.key for k in wanted):
                rows = tuple(_replace(r, capacity=wanted[f"{spec.key}.{r.key}"])
                             if isinstance(r, Block) and f"{spec.key}.{r.key}" in wanted else r for r in spec.rows)
                spec = _replace(spec, rows=rows)
            sheets.append(spec)
        out = _replace(self, sheets=sheets, capacities={**self.capacities, **wanted})
        _WITH_CAPACITIES[key] = (self, out)
        return out


MAX_CAPACITY = 20000  # rows of one block: far above any department, far below what a sheet holds
_WITH_CAPACITIES: dict = {}


def _replace(obj, **changes):
    import dataclasses

    return dataclasses.replace(obj, **changes)


def parse_capacities(caps, schema: "Schema") -> dict[str, int]:
    """ "t3=2000,t12=300" / {"t3": 2000, "t5.items": "2000"} → {"t3.items": 2000, …} (checked)."""
    if isinstance(caps, str):
        items = []
        for part in filter(None, (x.strip() for x in caps.replace("，", ",").split(","))):
            if "=" not in part:
                raise SchemaError(f"容量应写成 表=行数（如 t3=2000），而不是「{part}」")
            k, v = part.split("=", 1)
            items.append((k.strip(), v.strip()))
    else:
        items = list((caps or {}).items())
    known = schema.block_capacities()
    out: dict[str, int] = {}
    for k, v in items:
        k = str(k)
        keys = [k] if k in known else [b for b in known if b.split(".")[0] == k]
        if not keys:
            raise SchemaError(f"没有可扩充行数的表或区块「{k}」（可用：{'、'.join(sorted(known))}）")
        try:
            n = float(str(v).strip())
            if n != int(n):
                raise ValueError
            n = int(n)
        except (ValueError, OverflowError):
            raise SchemaError(f"「{k}」的容量「{v}」不是整数") from None
        if not 1 <= n <= MAX_CAPACITY:
            raise SchemaError(f"「{k}」的容量 {n} 超出范围（1～{MAX_CAPACITY} 行）")
        for b in keys:
            out[b] = n
    return out


# ---------------------------------------------------------------------------- parsing


def _cell_from_table_value(value, col: Column) -> CellSpec | None:
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    if value == "input":
        return CellSpec(role=INPUT, type=col.type)
    if value.startswith("="):
        return CellSpec(role=DERIVED, type=col.type, derive=value[1:].strip())
    if PLACEHOLDER.search(value):
        return CellSpec(role=DERIVED, type="label", text=value, derive=f"fmt({value!r})")
    return CellSpec(role=LABEL, type="label", text=value)


def _label(text: str, style: str | None = None, optional: bool = False) -> CellSpec:
    if PLACEHOLDER.search(text):
        return CellSpec(role=DERIVED, type="label", text=text, derive=f"fmt({text!r})", style=style)
    return CellSpec(role=LABEL, type="label", text=text, style=style, optional=optional)


def _form_cell(raw) -> FormCell:
    if raw is None or isinstance(raw, str):
        return FormCell(spec=_label(raw or ""))
    if not isinstance(raw, dict):
        raise SchemaError(f"form cell must be text or a mapping, got {raw!r}")
    span, vspan = int(raw.get("span", 1)), int(raw.get("vspan", 1))
    if "field" in raw:
        derive = raw.get("derive")
        spec = CellSpec(
            role=DERIVED if derive else INPUT,
            type=raw.get("type", "text"),
            derive=derive,
            editable=bool(raw.get("editable", False)),
            required=bool(raw.get("required", False)),
            unit=raw.get("unit"),
            style=raw.get("style"),
            choices=tuple(str(c) for c in raw.get("choices") or ()),
        )
        return FormCell(spec=spec, field=raw["field"], span=span, vspan=vspan)
    return FormCell(spec=_label(str(raw.get("text", "")), raw.get("style"), bool(raw.get("optional", False))),
                    span=span, vspan=vspan)


def _parse_table(d: dict) -> TableSpec:
    columns = tuple(Column(c["key"], c["type"], float(c.get("width", 12))) for c in d["columns"])
    colmap = {c.key: c for c in columns}
    defaults = d.get("row_defaults", {}) or {}
    rows = []
    for r in d["rows"]:
        if "block" in r:
            cells = {}
            for k, v in r["cells"].items():
                if k not in colmap:
                    raise SchemaError(f"{d['key']}: block {r['block']} names unknown column {k}")
                spec = _cell_from_table_value(v, colmap[k])
                if spec:
                    cells[k] = spec
            code_cols = r.get("code_columns")
            if code_cols is None:
                code_cols = {"code": [k for k in colmap if k != "code"]} if "code" in colmap else {}
            rows.append(
                Block(
                    key=r["block"],
                    kind=r.get("kind", "free"),
                    capacity=int(r["capacity"]),
                    cells=cells,
                    rollup=tuple(r.get("rollup", ())),
                    code_columns={k: tuple(v) for k, v in code_cols.items()},
                )
            )
            continue
        key = r["key"]
        of = r.get("of")
        cells = {}
        if of is not None:
            for k, v in defaults.items():
                if k not in r:
                    cells[k] = _cell_from_table_value(v, colmap[k])
        for k, v in r.items():
            if k in ("key", "of", "style"):
                continue
            if k not in colmap:
                raise SchemaError(f"{d['key']}.{key}: unknown column {k}")
            spec = _cell_from_table_value(v, colmap[k])
            if spec:
                cells[k] = spec
            else:
                cells.pop(k, None)
        rows.append(FixedRow(key=key, cells=cells, of=None if of is None else str(of), style=r.get("style")))
    header = tuple(tuple("" if h is None else str(h) for h in row) for row in d["header"])
    for h in header:
        if len(h) != len(columns):
            raise SchemaError(f"{d['key']}: header row {h} has {len(h)} cells, table has {len(columns)} columns")
    return TableSpec(
        key=d["key"],
        number=int(d["number"]),
        sheet=d["sheet"],
        title=d["title"],
        columns=columns,
        header=header,
        rows=tuple(rows),
        landscape=bool(d.get("landscape", False)),
        optional=bool(d.get("optional", False)),
        identities=tuple(_identity(i, colmap, d["key"]) for i in d.get("identities", ())),
        unit=d.get("unit"),  # a table published in another unit than the schema's (sh-9 表9 in 万元)
    )


def _identity(text: str, colmap: dict, table: str) -> tuple[str, str]:
    left, sep, right = text.partition("=")
    left, right = left.strip(), right.strip()
    if not sep or left not in colmap:
        raise SchemaError(f"{table}: identity {text!r} must read 'column = expression'")
    for node in ast.walk(ast.parse(right, mode="eval")):
        if isinstance(node, ast.Name) and node.id not in colmap:
            raise SchemaError(f"{table}: identity {text!r} names unknown column {node.id}")
    return left, right


def _parse_form(d: dict) -> FormSpec:
    rows = []
    for r in d["rows"]:
        if isinstance(r, dict) and "block" in r:
            b = r["block"]
            rows.append(
                FormBlock(
                    key=b["key"],
                    capacity=int(b["capacity"]),
                    cells=tuple(_form_cell(c) for c in b["cells"]),
                    label=b.get("label"),
                )
            )
        else:
            rows.append(FormRow(cells=tuple(_form_cell(c) for c in r)))
    return FormSpec(
        key=d["key"],
        sheet=d["sheet"],
        title=d.get("title", d["sheet"]),
        widths=tuple(float(w) for w in d["widths"]),
        rows=tuple(rows),
        repeat=bool(d.get("repeat", False)),
        optional=bool(d.get("optional", False)),
        number=None if d.get("number") is None else int(d["number"]),
    )


def _type_spec(name: str, t: dict) -> TypeSpec:
    """A type with its decimals and format in agreement: `decimals` alone gives the format
    ("0.00"; "#,##0.00" when `grouping: true`), `format` alone gives the decimals, both must agree."""
    from .units import decimals_of_format, format_for

    t = dict(t or {})
    grouping = bool(t.pop("grouping", False))
    dec = t.get("decimals")
    if dec is not None:
        if isinstance(dec, bool) or not isinstance(dec, int) or not 0 <= dec <= 10:
            raise SchemaError(f"types.{name}: decimals 应为 0～10 的整数，而不是 {dec!r}")
        if "format" not in t:
            t["format"] = format_for(dec, grouping)
        elif t.get("numeric") and decimals_of_format(t["format"]) not in (dec, 0):
            # a whole-number format with decimals (元 to the fen, "#,##0"): whole figures shown
            # without ".00", others with their decimals (the exports); any other mismatch is an error
            raise SchemaError(f"types.{name}: format {t['format']!r} 显示 {decimals_of_format(t['format'])} 位小数，"
                              f"与 decimals: {dec} 不一致")
    elif t.get("numeric"):
        t["decimals"] = decimals_of_format(t.get("format")) or 0
    try:
        return TypeSpec(name=name, **t)
    except TypeError as exc:
        raise SchemaError(f"types.{name}: {exc}") from None


def _table_unit(data: dict, types: dict) -> str:
    """The unit of the tables (captions 单位：…): the amount type's unit; a top-level `unit:` must agree."""
    amount = types.get("amount")
    own = amount.unit if amount is not None else None
    top = data.get("unit")
    if top is not None and own is not None and top != own:
        raise SchemaError(f"unit: {top} 与 types.amount.unit: {own} 不一致（表的单位即金额类型的单位）")
    return top or own or "万元"


def parse_schema(data: dict, source: Path | None = None) -> Schema:
    types = {}
    for name, t in (data.get("types") or {}).items():
        types[name] = _type_spec(name, t)
    sheets = []
    for s in data["sheets"]:
        kind = s.get("kind", "table")
        sheets.append(_parse_table(s) if kind == "table" else _parse_form(s))
    unit = _table_unit(data, types)
    sheets = [_replace(s, unit=unit) if isinstance(s, TableSpec) and s.unit is None else s for s in sheets]
    schema = Schema(
        schema_version=str(data["schema_version"]),
        template_version=str(data["template_version"]),
        name=data.get("name", ""),
        unit=unit,
        types=types,
        sheets=sheets,
        source=source,
        id=str(data.get("id", "") or ""),
        publication=parse_publication(data.get("publication"), types),
        outline=_parse_outline(data.get("outline")),
    )
    check_schema(schema)
    return schema


OUTLINE_KINDS = ("cover", "contents", "part", "heading", "paragraph", "info", "tables", "chart", "forms", "glossary")


def _parse_outline(items) -> tuple | None:
    """`outline:` — the published document's order as data (the entries of toolkit.export.outline:
    {part: …}, {heading: …, level: 3}, {paragraph: s2}, {tables: all} …). Each entry names one kind."""
    if items is None:
        return None
    if not isinstance(items, list):
        raise SchemaError("outline: must be a list of entries ({part: …}, {paragraph: s1}, {tables: all} …)")
    out = []
    for i, item in enumerate(items, 1):
        kinds = [k for k in OUTLINE_KINDS if isinstance(item, dict) and k in item]
        if len(kinds) != 1:
            raise SchemaError(f"outline entry {i} ({item!r}) must name exactly one of {', '.join(OUTLINE_KINDS)}")
        out.append(dict(item))
    return tuple(out)


def yaml_load(text_or_file):
    """YAML with libyaml's C loader where PyYAML has it (≈10× faster than the pure-Python one).
    PyYAML is imported here, not at module level: a start-up that finds the compiled schema skips it."""
    import yaml

    return yaml.load(text_or_file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _load_compiled(raw: bytes, path: str):
    """The schema parsed and checked once, kept as a pickle keyed by the file's hash (start-up of
    every command and every Excel click: ≈4 ms instead of ≈70 ms)."""
    import sys

    from ..cache import cached, key

    digest = key(raw, Path(__file__).read_bytes(), sys.version, path)  # the parser's own source too
    return cached("schema", digest, lambda: parse_schema(yaml_load(raw.decode("utf-8")), Path(path)),
                  lambda obj: isinstance(obj, Schema))


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float) -> Schema:
    return _load_compiled(Path(path).read_bytes(), path)


def schema_path(name_or_path: str | os.PathLike) -> Path:
    """A bundled schema's file by its name ("sh-9", "default"), or the path given. Raises SchemaError
    (Chinese) for a name that is neither."""
    text = str(name_or_path)
    key = ALIASES.get(text, text)
    if key in BUNDLED:
        return Path(__file__).with_name(BUNDLED[key])
    p = Path(name_or_path)
    if not p.exists():
        raise SchemaError(f"没有名为「{text}」的内置结构，也没有这个结构文件。"
                          f"内置结构：{'、'.join(BUNDLED)}（bdt schema list 列出）；或给出 YAML 文件的路径。")
    return p


def bundled_schemas() -> list[Schema]:
    """The bundled schemas, in the order of BUNDLED."""
    return [load_schema(k) for k in BUNDLED]


def chosen_schema(name_or_path=None) -> Schema | None:
    """The schema a user chose (`--schema`, else $BDT_SCHEMA), or None: then a workbook's own
    `_meta` schema_id picks it when read (toolkit.io.reader), and a new template is the default."""
    if name_or_path or os.environ.get("BDT_SCHEMA"):
        return load_schema(name_or_path)
    return None


def load_schema(path: str | os.PathLike | None = None) -> Schema:
    """Load and check a schema: a bundled name or a path (the default unless `path` or
    $BDT_SCHEMA says otherwise)."""
    p = schema_path(path or os.environ.get("BDT_SCHEMA") or DEFAULT_SCHEMA).resolve()
    return _load_cached(str(p), p.stat().st_mtime)


# ---------------------------------------------------------------------------- checking

KNOWN_FUNCTIONS = {
    "sum_rows", "block_sum", "count_rows", "children", "function_name", "economic_name", "fmt", "narrative", "sum",
    "abs", "round", "min", "max", "len", "empty_note",
}


def iter_derivations(schema: Schema):
    """Yield (sheet key, where, CellSpec) for every derived cell spec in the schema."""
    for s in schema.sheets:
        if isinstance(s, TableSpec):
            for r in s.rows:
                for col, spec in r.cells.items():
                    if spec.role == DERIVED:
                        yield s.key, (r.key, col), spec
        else:
            for r in s.rows:
                for c in r.cells:
                    if c.spec.role == DERIVED:
                        yield s.key, (getattr(r, "key", None), c.field), c.spec


def check_schema(schema: Schema) -> None:
    """Check every derivation parses and every reference it makes exists. Raises SchemaError."""
    from .units import MONEY_UNITS as _MONEY_UNITS
    keys = {}
    numbers: dict = {}
    for s in schema.sheets:
        if s.key in keys:
            raise SchemaError(f"duplicate sheet key {s.key}")
        keys[s.key] = s
        n = getattr(s, "number", None)
        if n is not None:  # 表号 are unique across tables and numbered forms (表13/表14 of bj-14)
            if n in numbers:
                raise SchemaError(f"{s.key}: 表号 {n} is already {numbers[n]}'s")
            numbers[n] = s.key
        if isinstance(s, TableSpec):
            for c in s.columns:
                if c.type not in schema.types:
                    raise SchemaError(f"{s.key}: column {c.key} has unknown type {c.type}")
                u = schema.types[c.type].unit
                if s.unit and u in _MONEY_UNITS and u != s.unit:  # the caption 单位：… must be the figures' unit
                    raise SchemaError(f"{s.key}: unit: {s.unit}，而列 {c.key} 的类型 {c.type} 的单位是 {u}"
                                      "（表的单位须与其金额列的类型一致）")
            seen = set()
            for r in s.rows:
                if r.key in seen:
                    raise SchemaError(f"{s.key}: duplicate row key {r.key}")
                seen.add(r.key)
        else:
            for name, spec in s.fields.items():
                if spec.type not in schema.types:
                    raise SchemaError(f"{s.key}.{name}: unknown type {spec.type}")
    paragraphs = keys["narrative"].fields if isinstance(keys.get("narrative"), FormSpec) else {}
    for item in schema.outline or ():  # a schema's own document order names its paragraphs, tables and forms
        if "paragraph" in item and item["paragraph"] not in paragraphs:
            raise SchemaError(f"outline: paragraph {item['paragraph']!r} is not a field of the narrative form")
        if "chart" in item and item.get("table") not in keys:
            raise SchemaError(f"outline: chart {item.get('key', '')!r} names unknown table {item.get('table')!r}")
        for k in item.get("forms", ()):
            if k not in keys:
                raise SchemaError(f"outline: unknown form {k!r}")
    for sheet_key, where, spec in iter_derivations(schema):
        try:
            tree = ast.parse(spec.derive, mode="eval")
        except SyntaxError as exc:
            raise SchemaError(f"{sheet_key}{where}: derivation {spec.derive!r} does not parse: {exc}") from None
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name) or node.func.id not in KNOWN_FUNCTIONS:
                    raise SchemaError(f"{sheet_key}{where}: unknown function in {spec.derive!r}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
                base = node.value.value
                if isinstance(base, ast.Name) and base.id in keys:
                    t = keys[base.id]
                    if isinstance(t, TableSpec):
                        row = node.value.attr
                        if row not in {r.key for r in t.rows}:
                            raise SchemaError(f"{sheet_key}{where}: {base.id} has no row {row} ({spec.derive!r})")
                        if node.attr not in t.col_keys:
                            raise SchemaError(f"{sheet_key}{where}: {base.id} has no column {node.attr}")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                t = keys.get(node.value.id)
                if isinstance(t, FormSpec) and node.attr not in t.fields:
                    raise SchemaError(f"{sheet_key}{where}: form {t.key} has no field {node.attr}")
