"""Last year's figures from last year's workbook: the 上年数 of 说明数据, as published last year.

The 说明数据 sheet holds the 上年数 (上年预算收入总计, “三公”经费 items, 机关运行经费 …) that the
情况说明 compares this year's figures with. A clerk retypes them from last year's publication; a
bureau has last year's workbooks. This module reads last year's workbook (same template; its
预算年度 must be this year − 1) and takes each 上年数 from the cell named in
toolkit/schema/prior_figures.yaml (data, not code):

- `read_prior(path)` reads it — with the ordinary reader when it is this template, else (an older
  template version, a table missing) only the cells the mapping names, each found by its row's
  label (收入总计, 合计 …), so a field whose table is missing is reported as not matched;
- `attach(d, prior_d)` checks the year and sets ``d.prior`` (rule X410 compares typed 上年数 with it);
- `apply(d)` fills the *blank* 上年数 of `d` in memory and lists what it filled, what it kept
  (typed by the clerk: never overwritten; a disagreement is X410's), and what it could not match;
- `fill_plan(d)` = apply + the fill's derivation, for `toolkit.fill.fill(prior=…)` and the batch;
- `index_folder()` / `match()`: a folder of last year's workbooks matched by 部门代码, then name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .errors import UserError
from .schema import DERIVED, LABEL, SchemaError, TableSpec, load_schema, yaml_load

PRIOR_FIGURES = Path(__file__).with_name("schema") / "prior_figures.yaml"
ZERO = Decimal(0)
CENT = Decimal("0.01")
EMPTY_MARK = re.compile(r"无数据|空表")


class PriorError(UserError):
    """Last year's workbook cannot serve (wrong year, not readable): a Chinese message."""


@dataclass(frozen=True)
class Source:
    table: str
    row: str
    col: str

    @property
    def key(self) -> str:
        return f"{self.table}.{self.row}.{self.col}"


@dataclass(frozen=True)
class PriorField:
    field: str  # the 说明数据 field (prior_income)
    sources: tuple  # Source, in order of preference
    derived: bool  # derived in this schema's form (prior_sangong): never filled, never typed


@dataclass
class Figure:
    """One 上年数 as last year's workbook gives it (value None: not matched, `reason` says why)."""

    field: str
    value: Decimal | None
    where: str = ""  # 「表1 收支总表」C40（收入总计·2022年）of last year's workbook
    reason: str = ""  # why there is no value
    note: str = ""  # how the value was found when not simply read (computed, empty table)


@dataclass
class PriorFill:
    """What `apply` did to a workbook's 上年数."""

    prior_path: str
    partial: str = ""  # why last year's workbook was read cell by cell (an older template), if it was
    filled: list = field(default_factory=list)  # (field, label, cell, value, where)
    kept: list = field(default_factory=list)  # (field, label, cell, typed value, last year's value)
    unmatched: list = field(default_factory=list)  # (field, label, reason)

    @property
    def disagree(self) -> list:
        return [k for k in self.kept if k[4] is not None and k[3] != k[4]]


# ---------------------------------------------------------------- the mapping (data)

def mapping_path(schema) -> Path:
    """prior_figures.yaml beside the schema file when there is one, else the bundled one."""
    src = getattr(schema, "source", None)
    if src is not None:
        beside = Path(src).with_name("prior_figures.yaml")
        if beside.exists():
            return beside
    return PRIOR_FIGURES


def mapping(schema=None) -> list[PriorField]:
    schema = schema or load_schema()
    path = mapping_path(schema)
    key = (str(path), path.stat().st_mtime, id(schema))
    hit = _MAPPINGS.get(key)
    if hit is None or hit[0] is not schema:
        hit = _MAPPINGS[key] = (schema, _mapping(str(path), schema))
    return hit[1]


_MAPPINGS: dict = {}


def _mapping(path: str, schema) -> list[PriorField]:
    with open(path, encoding="utf-8") as fh:
        data = yaml_load(fh) or {}
    form_key = data.get("form", "notes")
    try:
        form = schema.sheet(form_key)
    except KeyError:
        raise SchemaError(f"{path}: 结构中没有表单 {form_key}") from None
    fields = form.fields
    out = []
    for name, sources in (data.get("fields") or {}).items():
        if name not in fields:
            raise SchemaError(f"{path}: 「{form.sheet}」没有字段 {name}")
        if isinstance(sources, str):
            sources = [sources]
        srcs = []
        for s in sources:
            parts = str(s).split(".")
            if len(parts) != 3:
                raise SchemaError(f"{path}: {name} 的来源 {s!r} 应写成 表.行.列（如 t1.grand.in_amt）")
            t, r, c = parts
            try:
                spec = schema.sheet(t)
                if not isinstance(spec, TableSpec):
                    raise KeyError(t)
                spec.fixed_row(r)
                spec.column(c)
            except KeyError:
                raise SchemaError(f"{path}: {name} 的来源 {s} 不是结构中的表格单元格") from None
            srcs.append(Source(t, r, c))
        out.append(PriorField(name, tuple(srcs), fields[name].role == DERIVED))
    return out


def field_label(schema, name: str, form_key: str = "notes") -> str:
    from .describe import _form_field_label

    return _form_field_label(schema.sheet(form_key), name)


# ---------------------------------------------------------------- reading last year's workbook

def read_prior(path, schema=None):
    """Last year's workbook as a Disclosure. This template: the ordinary reader. An older template
    version, or a sheet missing: only the cells the mapping names (found by their row labels) —
    ``d.meta["_prior_partial"]`` then says why, and a table that is not there gives no figure."""
    from .io.reader import WorkbookError, read_workbook

    path = Path(path)
    schema = schema or load_schema()
    try:
        return read_workbook(path, schema=schema)
    except WorkbookError as exc:
        first = exc.message
    try:
        d = _read_partial(path, schema)
    except WorkbookError as exc:
        raise PriorError(f"上年工作簿无法读取：{exc.message}") from None
    if d is None:
        raise PriorError(f"上年工作簿无法读取：{first}")
    d.meta["_prior_partial"] = first.split("。")[0]  # the reader's reason, without its advice
    return d


def _cell_text(v) -> str:
    return re.sub(r"\s+", "", str(v)) if v not in (None, "") else ""


def _find_sheet(names: list, spec) -> str | None:
    if spec.sheet in names:
        return spec.sheet
    if isinstance(spec, TableSpec):  # an older template may name 表10 differently: same number
        prefix = re.compile(rf"^表{spec.number}(?!\d)")
        hits = [n for n in names if prefix.match(n)]
        if len(hits) == 1:
            return hits[0]
    return None


def _read_partial(path: Path, schema):
    """The mapped cells and 基本信息 of a workbook of another template version (or one missing a
    sheet): each cell found by its row's label in the column the template puts it, so rows added
    or removed between versions do not shift what is read. None: not this toolkit's template."""
    from .io.normalize import normalize_number, normalize_text
    from .io.reader import _open, _sheet_rows
    from .layout import META_SHEET, a1, layout
    from .model import Disclosure, Entry

    book = _open(path)
    names = list(book.sheet_names)
    if META_SHEET not in names:
        return None
    meta_rows = _sheet_rows(book, META_SHEET, path)
    meta = {str(r[0]).strip(): str(r[1]).strip() for r in meta_rows if len(r) >= 2 and r[0] not in ("", None)}
    wanted: dict = {}
    for pf in mapping(schema):
        for s in pf.sources:
            wanted.setdefault(s.table, []).append((s.row, s.col))
    entries, sheet_names = {}, {}
    info = schema.sheet("info")
    sheet = _find_sheet(names, info)
    if sheet:
        rows = _sheet_rows(book, sheet, path)
        lay = layout(info)
        data = {}
        for fld in ("dept_name", "dept_code", "year"):
            p = lay.find(fld)
            if p is None:
                continue
            label = next((q.spec.text for q in lay.label_cells if q.row == p.row and q.col < p.col), None)
            for i, row in enumerate(rows):
                if label and any(_cell_text(v) == _cell_text(label) for v in row[:p.col - 1]):
                    raw = row[p.col - 1] if p.col - 1 < len(row) else None
                    if fld == "year":
                        val, _ = normalize_number(raw, sheet, a1(i + 1, p.col)) if raw not in (None, "") else (None, [])
                    else:
                        val, _ = normalize_text(raw, sheet, a1(i + 1, p.col), code=fld == "dept_code") \
                            if raw not in (None, "") else (None, [])
                    data[(fld, "")] = Entry(val, raw, sheet, a1(i + 1, p.col), p.spec, p.spec.role)
                    break
        entries["info"], sheet_names["info"] = data, sheet
    for table, cells in wanted.items():
        spec = schema.sheet(table)
        sheet = _find_sheet(names, spec)
        if sheet is None:
            continue
        rows = _sheet_rows(book, sheet, path)
        lay = layout(spec)
        data = {}
        numbers = any(isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0
                      for row in rows[lay.data_start - 1:] for v in row)
        for row_key, col in cells:
            p = lay.get(row_key, col)
            lab = _row_label_cell(lay, spec, row_key, col)
            if lab is None:
                continue
            for i, row in enumerate(rows):
                if lab.col - 1 < len(row) and _cell_text(row[lab.col - 1]) == _cell_text(lab.spec.text):
                    raw = row[p.col - 1] if p.col - 1 < len(row) else None
                    val, _ = normalize_number(raw, sheet, a1(i + 1, p.col)) if raw not in (None, "") else (None, [])
                    if isinstance(val, Decimal) and val.is_finite():
                        val = val.quantize(CENT)
                    data[(row_key, col)] = Entry(val, raw, sheet, a1(i + 1, p.col), p.spec, p.spec.role)
                    break
        note = " ".join(_cell_text(v) for row in rows for v in row if isinstance(v, str))
        data[("_note", "")] = Entry("注：本表无数据" if not numbers and EMPTY_MARK.search(note) else None, None, sheet,
                                    "", lay.get("_note").spec, DERIVED)
        data[("_numbers", "")] = Entry(numbers, None, sheet, "", lay.get("_note").spec, LABEL)
        entries[table], sheet_names[table] = data, sheet
    d = Disclosure(schema, path, sheet_names, entries, [])
    d.meta = meta
    return d


def _row_label_cell(lay, spec: TableSpec, row_key: str, col: str):
    """The label cell that names a fixed row for `col`: the nearest to its left, else the first."""
    j = spec.col_keys.index(col)
    labels = [lay.get(row_key, c) for c in spec.col_keys
              if lay.find(row_key, c) is not None and lay.get(row_key, c).spec.role == LABEL
              and lay.get(row_key, c).spec.text]
    left = [p for p in labels if p.col - 1 < j]
    return (left[-1] if left else labels[0]) if labels else None


def check_year(d, prior_d) -> None:
    """Last year's workbook must be of this year − 1 (a clear message otherwise)."""
    name = Path(str(prior_d.path)).name
    if d.year is None:
        raise PriorError("本年工作簿「基本信息」未填写预算年度，无法确定上年工作簿应为哪一年。")
    if prior_d.year is None:
        raise PriorError(f"上年工作簿「{name}」的「基本信息」未填写预算年度，无法确认它是 {d.year - 1} 年的公开。")
    if prior_d.year != d.year - 1:
        raise PriorError(f"上年工作簿「{name}」的预算年度是 {prior_d.year} 年，本年工作簿是 {d.year} 年，"
                         f"上年工作簿应为 {d.year - 1} 年的公开。")


def attach(d, prior_d):
    """Check the year and attach last year's workbook to `d` (``d.prior``); returns prior_d."""
    check_year(d, prior_d)
    d.prior = prior_d
    return prior_d


# ---------------------------------------------------------------- last year's figures

def figures(prior_d) -> dict[str, Figure]:
    """{field: Figure} of every mapped 上年数 from last year's workbook (computed once)."""
    hit = getattr(prior_d, "_prior_figures", None)
    if hit is not None:
        return hit
    partial = "_prior_partial" in prior_d.meta
    computed = None
    out = {}
    for pf in mapping(prior_d.schema):
        fig = None
        reasons = []
        for s in pf.sources:
            spec = prior_d.schema.sheet(s.table)
            if s.table not in prior_d.entries:
                reasons.append(f"上年工作簿没有「{spec.sheet}」")
                continue
            e = prior_d.entry(s.table, s.row, s.col)
            where = _where(prior_d, s, e)
            if e is None:
                reasons.append(f"上年工作簿「{prior_d.sheet_names[s.table]}」中找不到“{_row_text(spec, s)}”一行")
                continue
            if isinstance(e.value, Decimal):
                fig = Figure(pf.field, e.value, where)
                break
            if not partial and e.role == DERIVED:  # not filled last year: from last year's own inputs
                if computed is None:
                    from .fill import compute

                    computed = compute(prior_d).values
                v = computed.get((s.table, s.row, s.col))
                if isinstance(v, Decimal):
                    fig = Figure(pf.field, v, where, note="上年工作簿中该格为空（未填充），按上年工作簿的填写数计算")
                    break
            if _table_has_numbers(prior_d, s.table):
                fig = Figure(pf.field, ZERO.quantize(CENT), where, note="上年表中该格为空，即 0.00")
                break
            if _marked_empty(prior_d, s.table):
                fig = Figure(pf.field, ZERO.quantize(CENT), where, note="上年该表注明“本表无数据”，即 0.00")
                break
            reasons.append(f"上年工作簿「{prior_d.sheet_names[s.table]}」没有任何数字，也未注明“本表无数据”")
        out[pf.field] = fig or Figure(pf.field, None, reason="；".join(dict.fromkeys(reasons)) or "没有来源")
    prior_d._prior_figures = out
    return out


def _row_text(spec: TableSpec, s: Source) -> str:
    from .layout import layout

    lab = _row_label_cell(layout(spec), spec, s.row, s.col)
    return lab.spec.text if lab is not None else s.row


def _where(prior_d, s: Source, e) -> str:
    spec = prior_d.schema.sheet(s.table)
    from .describe import column_label

    cell = f"「{prior_d.sheet_names.get(s.table, spec.sheet)}」{e.cell}" if e is not None and e.cell else \
        f"「{prior_d.sheet_names.get(s.table, spec.sheet)}」"
    return f"{cell}（{_row_text(spec, s)}·{column_label(spec, s.col, prior_d.year)}）"


def _table_has_numbers(prior_d, table: str) -> bool:
    if "_prior_partial" in prior_d.meta:
        e = prior_d.entry(table, "_numbers")
        return bool(e and e.value)
    from .derive import table_is_empty

    return not table_is_empty(prior_d, table)


def _marked_empty(prior_d, table: str) -> bool:
    e = prior_d.entry(table, "_note")
    return bool(e and isinstance(e.value, str) and EMPTY_MARK.search(e.value))


# ---------------------------------------------------------------- this year's workbook

def compare(d) -> list[tuple]:
    """(PriorField, this year's Entry, Figure) of each typed 上年数 that disagrees with last year's
    workbook attached to `d` (none when no workbook is attached)."""
    prior_d = getattr(d, "prior", None)
    if prior_d is None:
        return []
    figs = figures(prior_d)
    out = []
    for pf in mapping(d.schema):
        if pf.derived:
            continue
        e = d.entry("notes", pf.field)
        fig = figs.get(pf.field)
        if e is None or fig is None or fig.value is None or not isinstance(e.value, Decimal):
            continue
        if e.value != fig.value:
            out.append((pf, e, fig))
    return out


def apply(d, prior_d=None) -> PriorFill:
    """Fill the blank 上年数 of `d` (in memory) from last year's workbook; typed ones are kept."""
    prior_d = prior_d if prior_d is not None else d.prior
    if getattr(d, "prior", None) is not prior_d:
        attach(d, prior_d)
    figs = figures(prior_d)
    pfill = PriorFill(str(prior_d.path), prior_d.meta.get("_prior_partial", ""))
    for pf in mapping(d.schema):
        if pf.derived:
            continue
        e = d.entry("notes", pf.field)
        label = field_label(d.schema, pf.field)
        if e is None:
            pfill.unmatched.append((pf.field, label, "本年工作簿没有该格"))
            continue
        fig = figs[pf.field]
        if e.value not in (None, ""):
            pfill.kept.append((pf.field, label, e.cell, e.value, fig.value))
            continue
        if fig.value is None:
            pfill.unmatched.append((pf.field, label, fig.reason))
            continue
        e.value = fig.value
        pfill.filled.append((pf.field, label, e.cell, fig.value, fig.where + (f"（{fig.note}）" if fig.note else "")))
    return pfill


def fill_plan(d, prior_d=None):
    """(Plan, PriorFill): the blank 上年数 filled from last year and every derived cell computed
    from them (the 情况说明's comparisons, the “三公” 上年合计); the filled 上年数 are changes too."""
    from .fill import compute

    pfill = apply(d, prior_d)
    plan = compute(d)
    for fld, _label, _cell, value, _where in pfill.filled:
        plan.changes[("notes", fld, "")] = value
    plan.prior = pfill
    return plan, pfill


def report_lines(pfill: PriorFill) -> list[str]:
    """Chinese lines: what was filled, kept, and could not be matched."""
    name = Path(pfill.prior_path).name
    lines = []
    if pfill.partial:
        lines.append(f"注意：上年工作簿不是本版模板或缺少工作表（{pfill.partial}），只按行名称读取了上年数所在的格。")
    lines.append(f"由上年工作簿「{name}」填入 {len(pfill.filled)} 个上年数" + ("：" if pfill.filled else "。"))
    lines += [f"  「说明数据」{cell} {label}：{value}（{where}）" for _f, label, cell, value, where in pfill.filled]
    same = [label for _f, label, _c, typed, last in pfill.kept if last is None or typed == last]
    if same:
        lines.append(f"已填写、未改动的上年数 {len(same)} 个（{'、'.join(same)}）。")
    for _f, label, cell, typed, last in pfill.kept:
        if last is not None and typed != last:
            lines.append(f"  「说明数据」{cell} {label}：已填写 {typed}，与上年工作簿的 {last} 不一致，保留填写数"
                         f"（校验规则 X410）。")
    if pfill.unmatched:
        lines.append(f"未能由上年工作簿取得的上年数 {len(pfill.unmatched)} 个：")
        lines += [f"  {label}（{f}）：{reason}" for f, label, reason in pfill.unmatched]
    return lines


# ---------------------------------------------------------------- a folder of last year's workbooks

@dataclass(frozen=True)
class Candidate:
    path: str
    code: str | None
    name: str | None
    year: int | None


def _norm_name(s) -> str:
    return re.sub(r"[\s（）()]", "", str(s or ""))


def index_folder(folder, schema=None) -> tuple[list[Candidate], list[str]]:
    """Last year's workbooks in `folder` (recursively) with their 部门代码, name and year; and a
    note for each file that could not be read."""
    schema = schema or load_schema()
    folder = Path(folder)
    if not folder.is_dir():
        raise PriorError(f"上年工作簿文件夹「{folder}」不存在或不是文件夹。")
    out, notes = [], []
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() not in (".xlsx", ".xlsm") or p.name.startswith(("~$", ".")) or not p.is_file():
            continue
        try:
            d = read_prior(p, schema)
        except PriorError as exc:
            notes.append(f"{p.name}：{exc.message}")
            continue
        out.append(Candidate(str(p), (d.dept_code or "").strip() or None, d.dept_name, d.year))
    return out, notes


def match(d, candidates) -> tuple[Candidate | None, str]:
    """Last year's workbook of `d` among `candidates`: same 部门代码, else same name (of the year
    before d's when the candidates say their year). Returns (candidate, how) or (None, why not)."""
    pool = [c for c in candidates if d.year is None or c.year is None or c.year == d.year - 1]
    code = (d.dept_code or "").strip()
    if code:
        hits = [c for c in pool if c.code == code]
        if len(hits) == 1:
            return hits[0], "按部门代码"
        if len(hits) > 1:
            return None, f"部门代码 {code} 对应多个上年工作簿（{'、'.join(Path(c.path).name for c in hits)}）"
    name = _norm_name(d.dept_name)
    if name:
        hits = [c for c in pool if _norm_name(c.name) == name]
        if len(hits) == 1:
            return hits[0], "按部门名称"
        if len(hits) > 1:
            return None, f"部门名称「{d.dept_name}」对应多个上年工作簿"
    return None, "上年工作簿文件夹中没有同一部门代码或名称的工作簿"


__all__ = ["PriorError", "read_prior", "attach", "check_year", "figures", "compare", "apply", "fill_plan",
           "report_lines", "index_folder", "match", "mapping", "Figure", "PriorFill", "Candidate"]
