"""Consolidated figures of a finance bureau's set of workbooks (汇总), and the check that a 部门's
tables equal the sum of its units' (issue 16).

    >>> from toolkit.consolidate import consolidate
    >>> result = consolidate(paths, "汇总", formats=["xlsx", "html"])      # doctest: +SKIP

Each workbook says in 基本信息 whether its publisher is a 部门 (blank: the default) or a 单位, and a
单位 names its 上级主管部门. `consolidate`:

* groups the workbooks: a 部门 with the 单位 whose 上级主管部门 is its name (or code);
* for each 部门 with units, builds the consolidated workbook of those units (本级 unit included:
  it is a 单位 of the 部门 like the others), and, where the 部门's own workbook was submitted too,
  compares that workbook with the sum of its units' workbooks cell by cell, naming the unit that
  makes a difference when that can be told;
* builds the 本级 workbook: the sum over every 部门 (its own workbook where submitted, else the sum
  of its units), units never counted twice;
* exports each consolidated workbook with `toolkit.export` and writes the report (HTML + CSV).

Only *input* figures are summed (by classification code, by fixed row, by project or unit name,
with Decimal); the consolidated workbook is written by `toolkit.datafile.write_data` and every
total, repeated figure, name and 情况说明 paragraph is derived by `toolkit.fill.fill`, exactly as
for a department's own workbook. The performance forms (部门整体/项目绩效目标表) are not summed:
targets and indicators do not add up; the consolidated workbook carries the 部门's own
部门整体绩效目标 where its workbook was submitted, and none of the project forms.
"""
from __future__ import annotations

import csv
import html
import io
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .schema import INPUT, Block, FixedRow, FormSpec, TableSpec

ZERO = Decimal(0)
UNIT, DEPT = "单位", "部门"
MISSING = "（未报送的单位）"  # Difference.culprit when the difference is a unit missing from the submission
NOT_SUMMED = ("perf_dept", "perf_project")  # performance forms: targets, not amounts to add
SUMMED_FORMS = ("notes",)  # forms whose numeric inputs are summed (上年数, 政府采购, 车辆, 面积)
COMPARED_FORMS = ("notes",)  # forms whose amounts are compared 部门 vs units
NUMERIC = ("amount", "yuan", "count", "area")
REASON_TEXT = "汇总数；增减变动原因见所属各单位的预算公开说明。"
# 说明数据 texts a consolidated workbook needs when no 部门 workbook gives its own
DEFAULT_TEXTS = {"change_reason": REASON_TEXT, "sangong_reason": REASON_TEXT, "jiguan_reason": REASON_TEXT,
                 "perf_summary": "汇总表不汇总绩效目标，绩效目标情况见各部门、单位公开的绩效目标表。",
                 "service_catalogue": "见各部门、单位的预算公开文件。"}
NOT_SUMMED_NOTE = ("绩效目标表（部门整体支出绩效目标申报表、项目支出绩效目标申报表）不汇总：目标和指标不能相加，"
                   "以各部门、单位公开的绩效目标表为准。")


def entity(d) -> str:
    """部门 or 单位: the publisher of a workbook (基本信息 公开主体; blank is 部门)."""
    return UNIT if str(d.get("info", "entity") or "").strip() == UNIT else DEPT


def _name(d) -> str:
    return str(d.dept_name or Path(str(d.path)).stem).strip()


def _parent(d) -> str:
    return str(d.get("info", "parent") or "").strip()


@dataclass
class Group:
    """A 部门: its own workbook (head, None when not submitted) and its units' workbooks."""

    name: str
    head: object = None
    units: list = field(default_factory=list)
    code: str | None = None

    @property
    def declared_units(self) -> int | None:
        """所属预算单位数 the 部门's own workbook states (部门整体绩效目标表), if any."""
        if self.head is None:
            return None
        v = self.head.get("perf_dept", "units")
        return int(v) if isinstance(v, Decimal) and v == v.to_integral_value() else None


def group(disclosures) -> tuple[list[Group], list[str]]:
    """The 部门 of a set of read workbooks, each with its units; and notes (Chinese) on workbooks
    that cannot be placed (a 单位 without 上级主管部门, two workbooks of one 部门)."""
    groups: dict[str, Group] = {}
    by_code: dict[str, str] = {}
    notes = []
    for d in disclosures:
        raw = str(d.get("info", "entity") or "").strip()
        if raw not in ("", DEPT, UNIT):
            notes.append(f"「{_name(d)}」的公开主体填为「{raw}」（应为“部门”或“单位”，规则 F120），按部门汇总。")
        if entity(d) == DEPT:
            name = _name(d)
            g = groups.setdefault(name, Group(name))
            if g.head is not None:
                notes.append(f"部门「{name}」有两份部门工作簿（{Path(str(g.head.path)).name}、{Path(str(d.path)).name}），"
                             "汇总只用第一份。")
                continue
            g.head, g.code = d, (str(d.dept_code).strip() if d.dept_code else None)
            if g.code:
                by_code[g.code] = name
    for d in disclosures:
        if entity(d) != UNIT:
            continue
        parent = _parent(d)
        if not parent:
            notes.append(f"单位「{_name(d)}」（{Path(str(d.path)).name}）没有填写上级主管部门，未汇总到任何部门，"
                         "按单独的部门计入本级合计（规则 F121）。")
            groups.setdefault(_name(d), Group(_name(d), head=d))
            continue
        name = parent if parent in groups else by_code.get(parent, parent)
        groups.setdefault(name, Group(name)).units.append(d)
    out = sorted(groups.values(), key=lambda g: g.name)
    for g in out:
        g.units.sort(key=_name)
        if g.head is None and g.units:
            notes.append(f"部门「{g.name}」只报送了所属单位的工作簿（{len(g.units)} 个），没有部门本身的工作簿：部门数按单位之和汇总，"
                         "无法核对。")
    return out, notes


# ---------------------------------------------------------------- summing inputs into a data file

def _s(v: Decimal) -> str:
    return format(v, "f")


def _is_input_number(e) -> bool:
    return e is not None and e.role == INPUT and e.spec.type in NUMERIC and isinstance(e.value, Decimal)


def _free_key_col(spec: TableSpec, block: Block) -> str | None:
    """The column that names a row of a block without codes (项目名称, 单位名称)."""
    for c in spec.col_keys:
        cs = block.cells.get(c)
        if cs is not None and cs.role == INPUT and spec.column(c).type in ("text", "label"):
            return c
    return None


def _sum_block(spec: TableSpec, block: Block, members, problems: list) -> list[dict]:
    if block.code_columns:
        sides = []
        for code_col, cols in block.code_columns.items():
            rows: dict[str, dict] = {}
            summed_at: set = set()
            for d in members:
                for r in d.rows(spec.key, block.key):
                    code = r.get(code_col)
                    has = [c for c in cols if _is_input_number(r.entries.get(c))]
                    if not code:
                        if has:
                            e = r.entries[has[0]]
                            problems.append(f"「{_name(d)}」「{e.sheet}」{e.cell}：有金额但没有科目编码，未计入汇总。")
                        continue
                    row = rows.setdefault(str(code), {code_col: str(code)})
                    for c in cols:
                        e = r.entries.get(c)
                        if _is_input_number(e):
                            row[c] = row.get(c, ZERO) + e.value
                            summed_at.add(str(code))
                        elif e is not None and e.role == INPUT and isinstance(e.value, str) and e.value and c not in row:
                            row[c] = e.value
            codes = sorted(rows)
            for c in summed_at:  # amounts typed on a 款 that another member splits into 项
                if any(o != c and o.startswith(c) for o in codes):
                    problems.append(f"「{spec.sheet}」科目 {c}：有的工作簿在此级次填列金额，有的细分到下级科目，"
                                    "汇总后该级次只按下级科目合计，此级次直接填列的金额未计入，请核对各单位的科目级次。")
            sides.append([{k: (_s(v) if isinstance(v, Decimal) else v) for k, v in rows[c].items()} for c in codes])
        out = []
        for i in range(max((len(s) for s in sides), default=0)):
            row = {}
            for s in sides:
                if i < len(s):
                    row.update(s[i])
            out.append(row)
        return out
    key_col = _free_key_col(spec, block)
    rows: dict = {}
    for d in members:
        for r in d.rows(spec.key, block.key):
            name = r.get(key_col) if key_col else None
            row = rows.setdefault(name if name else (id(r),), {key_col: name} if key_col and name else {})
            for c, e in r.entries.items():
                if _is_input_number(e):
                    row[c] = row.get(c, ZERO) + e.value
    return [{k: (_s(v) if isinstance(v, Decimal) else v) for k, v in row.items()} for row in rows.values()]


def _copy_form(d, spec: FormSpec) -> dict:
    from .datafile import dump

    return dump(d).get(spec.key) or {}


def summed_data(members, info: dict, head=None, extra_notes: dict | None = None) -> tuple[dict, list[str]]:
    """A data file (the format of toolkit.datafile) holding the sum of the members' input figures;
    texts (职责, 机构, 说明) from `head` (the 部门's own workbook) when given. Returns (data, problems)."""
    if not members:
        raise ValueError("没有可汇总的工作簿")
    schema = members[0].schema
    problems: list[str] = []
    data: dict = {}
    for spec in schema.tables:
        sheet: dict = {}
        for r in spec.rows:
            if isinstance(r, FixedRow):
                vals = {}
                for c in spec.col_keys:
                    got = [e.value for d in members if _is_input_number(e := d.entry(spec.key, r.key, c))]
                    if got:
                        vals[c] = _s(sum(got, ZERO))
                if vals:
                    sheet[r.key] = vals
            else:
                rows = _sum_block(spec, r, members, problems)
                if rows:
                    sheet[r.key] = rows
        if sheet:
            data[spec.key] = sheet
    for spec in schema.forms:
        if spec.key in NOT_SUMMED or spec.repeat:
            continue
        form = _copy_form(head, spec) if head is not None and spec.key != "narrative" else {}
        if spec.key in SUMMED_FORMS:
            for f, cs in spec.fields.items():
                if cs.role == INPUT and cs.type in NUMERIC:
                    got = [v for d in members if isinstance(v := d.get(spec.key, f), Decimal)]
                    if got:
                        form[f] = _s(sum(got, ZERO))
                    else:
                        form.pop(f, None)
            for f, text in DEFAULT_TEXTS.items():
                form.setdefault(f, text)
        if spec.key == "info":
            form = {k: v for k, v in form.items() if k not in ("entity", "parent")}
            form.update({k: v for k, v in info.items() if v is not None})
        if spec.key == "glossary" and not form:
            form = next((g for d in members if (g := _copy_form(d, spec))), {})
        form.update((extra_notes or {}).get(spec.key, {}))
        derived = {f for f, cs in spec.fields.items() if cs.role != INPUT}
        form = {k: v for k, v in form.items() if k not in derived}
        if form:
            data[spec.key] = form
    # 部门整体绩效目标: not summed; the 部门's own form where its workbook was submitted
    spec = schema.sheet("perf_dept")
    pd = _copy_form(head, spec) if head is not None else {}
    keep = {f for f, cs in spec.fields.items() if cs.role == INPUT} | {b.key for b in spec.blocks}
    pd = {k: v for k, v in {**pd, **(extra_notes or {}).get("perf_dept", {})}.items() if k in keep}
    if pd:
        data["perf_dept"] = pd
    return data, problems


def build_workbook(data: dict, out, schema=None) -> Path:
    """The workbook of `data`, every derived cell filled by the toolkit (write_data, then fill)."""
    from .datafile import write_data
    from .fill import fill

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bdt-consolidate-") as tmp:
        raw = Path(tmp) / "raw.xlsx"
        write_data(data, raw, schema)
        fill(raw, out)
    return out


def _year(members) -> int | None:
    years = [d.year for d in members if d.year]
    return max(set(years), key=years.count) if years else None


# ---------------------------------------------------------------- 部门 vs the sum of its units

def positions(d) -> dict:
    """{position: [Entry…]} of every published amount cell (the tables and 说明数据), a position
    naming the cell independently of where the workbook has it: (table, fixed row, column),
    (table, code column, code, column) for classification rows, (table, name, column) for a project
    or unit row. A workbook with one code twice has both entries at the position."""
    out: dict = defaultdict(list)
    for spec in d.schema.tables:
        for r in spec.rows:
            if isinstance(r, FixedRow):
                for c in spec.col_keys:
                    e = d.entry(spec.key, r.key, c)
                    if e is not None and e.spec.type == "amount":
                        out[(spec.key, r.key, c)].append(e)
                continue
            key_col = None if r.code_columns else _free_key_col(spec, r)
            for row in d.rows(spec.key, r.key):
                for c, e in row.entries.items():
                    if e.spec.type != "amount":
                        continue
                    if r.code_columns:
                        cc = r.code_column_for(c)
                        ident = ("code", cc, str(row.get(cc))) if cc and row.get(cc) else ("row", row.index)
                    else:
                        name = row.get(key_col) if key_col else None
                        ident = ("name", str(name)) if name else ("row", row.index)
                    out[(spec.key, ident, c)].append(e)
    for key in COMPARED_FORMS:
        spec = d.schema.sheet(key)
        for f, cs in spec.fields.items():
            e = d.entry(key, f)
            if e is not None and cs.type == "amount":
                out[(key, f, "")].append(e)
    return out


def _value(entries) -> Decimal:
    return sum((e.value for e in entries if isinstance(e.value, Decimal)), ZERO)


def _own_values(d) -> dict:
    """{(sheet, cell): value the toolkit derives} of a workbook's derived cells."""
    from .fill import compute

    plan = compute(d)
    out = {}
    for (inst, row, col), v in plan.values.items():
        e = d.entry(inst, row, col)
        if e is not None and e.spec.type == "amount":
            out[(e.sheet, e.cell)] = v if isinstance(v, Decimal) else ZERO
    return out


@dataclass
class Difference:
    """One published amount where a 部门's workbook and the sum of its units' workbooks differ."""

    dept: str
    sheet: str
    cell: str | None
    item: str  # what the cell is (科目 / 行 · 栏)
    dept_value: Decimal
    units_sum: Decimal
    units: list  # [(unit name, its value)]
    cause: str = ""  # who makes the difference, in Chinese
    culprit: str | None = None  # the unit named, when one can be told

    @property
    def difference(self) -> Decimal:
        return self.dept_value - self.units_sum

    @property
    def message(self) -> str:
        where = f"「{self.sheet}」{self.cell}" if self.cell else f"「{self.sheet}」（部门表中没有此行）"
        return (f"部门「{self.dept}」{where}（{self.item}）：部门表 {_s(self.dept_value)} 万元，所属单位合计 {_s(self.units_sum)} 万元，"
                f"相差 {_s(self.difference)} 万元。{self.cause}")


def _item(d, inst: str, row: str, col: str) -> str:
    """「2010301 行政运行·基本支出」: the row and the column, as the clerk reads them."""
    from .describe import row_label

    spec = d.spec(inst)
    try:
        what = row_label(d, inst, row, col)
    except Exception:  # noqa: BLE001 - a label is a help for the reader, never a reason to fail
        what = row
    if isinstance(spec, TableSpec) and col in spec.col_keys:
        j = spec.col_keys.index(col)
        parts = [h[j] for h in spec.header if h[j] not in ("<", "^", "") and not h[j].isdigit()]
        if parts:
            what += "·" + parts[-1].replace("{year}", str(d.year or ""))
    return what


def compare(g: Group) -> list[Difference]:
    """The 部门's own workbook against the sum of its units', every published amount cell; each
    difference with the unit that makes it where that can be told (`Difference.cause`)."""
    if g.head is None or not g.units:
        return []
    head = positions(g.head)
    units = [(u, positions(u)) for u in g.units]
    own = {}
    diffs: list[Difference] = []
    missing = (g.declared_units or 0) - len(g.units)
    keys = list(head) + sorted({k for _, p in units for k in p if k not in head}, key=str)
    unexplained: list[Difference] = []  # differences no submitted unit explains, while units are missing
    for key in keys:
        dv = _value(head.get(key, ()))
        per = [(_name(u), _value(p[key]), p[key][0]) for u, p in units if key in p]
        us = sum((v for _, v, _ in per), ZERO)
        if dv == us:
            continue
        anchor = head[key][0] if key in head else None
        ref_d, ref_e = (g.head, anchor) if anchor is not None else next((u, p[key][0]) for u, p in units if key in p)
        inst = next((i for i, cells in ref_d.entries.items() for k, e in cells.items() if e is ref_e), key[0])
        row_col = next((k for k, e in ref_d.entries.get(inst, {}).items() if e is ref_e), (str(key[1]), key[2]))
        sheet = anchor.sheet if anchor is not None else g.head.sheet_names.get(key[0], ref_e.sheet)
        diff = Difference(g.name, sheet, anchor.cell if anchor is not None else None,
                          _item(ref_d, inst, row_col[0], row_col[1]), dv, us, [(n, v) for n, v, _ in per])
        delta = dv - us
        # 1. a unit whose own figure is the difference: left out of the 部门's figure, or counted twice
        same = [(n, v) for n, v, _ in per if v != 0 and v == abs(delta)]
        # 2. a unit whose own workbook does not add up at this cell
        wrong = []
        for (u, p) in units:
            if key not in p:
                continue
            if id(u) not in own:
                own[id(u)] = _own_values(u)
            for e in p[key]:
                want = own[id(u)].get((e.sheet, e.cell))
                if want is not None and isinstance(e.value, Decimal) and e.value != want:
                    wrong.append((_name(u), e, want))
        if len(same) == 1:
            n, v = same[0]
            diff.culprit = n
            diff.cause = (f"差额恰为单位「{n}」此格的数 {_s(v)} 万元：部门表" +
                          ("少计了该单位（漏汇或漏报）。" if delta < 0 else "多计了该单位（重复汇总）。"))
        elif wrong and sum((e.value - want for _, e, want in wrong), ZERO) == -delta:
            n, e, want = wrong[0]
            diff.culprit = n if len({w[0] for w in wrong}) == 1 else None
            diff.cause = "；".join(f"单位「{n}」「{e.sheet}」{e.cell} 填的 {_s(e.value)} 万元与其本表明细计算的 {_s(want)} 万元不符"
                                  for n, e, want in wrong) + "：部门表按明细汇总，差额来自该单位自身的不平。"
        elif same:
            diff.cause = "差额与以下单位此格的数相同，无法确定是哪一个：" + "、".join(f"「{n}」" for n, _ in same) + "。"
        elif missing > 0:
            unexplained.append(diff)
            continue
        elif wrong:
            diff.cause = "以下单位此格与其本表明细不符，可能与差额有关：" + "、".join(
                f"「{n}」{e.cell}（{_s(e.value)}，应为 {_s(want)}）" for n, e, want in wrong) + "。"
        else:
            diff.cause = "无法判断是哪个单位造成（部门表自身的录入差错，或单位间的分配不同）。"
        diffs.append(diff)
    _propagated(diffs)
    if unexplained:
        # one line, not one per cell: every figure of the missing unit differs
        first = next((x for x in unexplained if x.sheet == g.head.sheet_names.get("t3") and x.cell ==
                      g.head.entry("t3", "total", "total").cell), unexplained[0])
        first.culprit = MISSING
        first.cause = (f"部门填报所属预算单位 {g.declared_units} 个，只报送了 {len(g.units)} 个（" +
                       "、".join(f"「{_name(u)}」" for u in g.units) + "）；已报送的单位都不能解释差额，"
                       f"应是未报送单位的数。共 {len(unexplained)} 个数字因此不符（各表合计、所涉科目和项目），此处只列合计。")
        diffs.insert(0, first)
    return diffs


def _propagated(diffs: list[Difference]) -> None:
    """A difference equal to one already explained in the same sheet (the same slip carried into a
    款, 类 or 合计 row, or a table that repeats the figure) points at that cell and its unit."""
    explained = [d for d in diffs if d.culprit]
    for d in diffs:
        if d.culprit:
            continue
        src = next((x for x in explained if x.difference == d.difference and x is not d), None)
        if src is not None:
            d.culprit = src.culprit
            d.cause = (f"与「{src.sheet}」{src.cell or ''}的差额相同（同一差错在合计或其他表中的反映），"
                       f"涉及单位「{src.culprit}」。")


# ---------------------------------------------------------------- the whole run

@dataclass
class Output:
    """One consolidated workbook: what it sums, where it is, its exports and validation."""

    name: str
    kind: str  # 本级 | 部门
    members: list  # names of the workbooks summed
    path: Path | None = None
    exports: dict = field(default_factory=dict)
    draft: bool = False
    errors: list = field(default_factory=list)  # error findings of the consolidated workbook
    problems: list = field(default_factory=list)
    used: str = ""  # what the 本级 counts for this 部门


@dataclass
class Consolidation:
    outputs: list = field(default_factory=list)
    differences: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # grouping and reading notes, Chinese
    unreadable: list = field(default_factory=list)  # (path, message)
    report_html: Path | None = None
    report_csv: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.differences


def _safe(text: str) -> str:
    from .export import safe_name

    return safe_name(text, limit=60)


def _export(o: Output, formats, out_dir: Path) -> None:
    import toolkit

    from .export import ExportRefused, export
    from .rules import validate

    d = toolkit.load(o.path)
    findings = validate(d)
    o.errors = [f for f in findings if f.severity == "error"]
    if not formats:
        return
    waive = {code: NOT_SUMMED_NOTE for code in {f.rule for f in o.errors if f.rule.startswith("P")}}
    try:
        o.exports = dict(export(d, formats, out_dir, waive=waive))
    except ExportRefused:
        o.exports = dict(export(d, formats, out_dir, force=True, waive=waive))
        o.draft = True


def consolidate(sources, out_dir, formats=(), name: str = "本级合计", schema=None) -> Consolidation:
    """Consolidate workbooks (paths or read Disclosures) into `out_dir`: 本级/ and 部门/<name>/ hold
    the consolidated workbooks and their exports (`formats`: see toolkit.export), 汇总核对.html and
    汇总核对.csv the checks. A file that cannot be read is reported and left out."""
    import toolkit

    from .io.reader import WorkbookError
    from .model import Disclosure

    if isinstance(schema, (str, Path)):
        from .schema import load_schema

        schema = load_schema(schema)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = Consolidation()
    read = []
    for s in sources:
        if isinstance(s, Disclosure):
            read.append(s)
            continue
        try:
            read.append(toolkit.load(s, schema=schema))
        except WorkbookError as exc:
            result.unreadable.append((str(s), exc.message))
        except OSError as exc:
            result.unreadable.append((str(s), f"无法读取文件「{Path(s).name}」：{exc.strerror or exc}。"))
    groups, result.notes = group(read)
    top = []  # what the 本级 sums: each 部门 once
    for g in groups:
        if g.units:
            info = {"dept_name": g.name, "dept_code": g.code, "year": _year(g.units), "entity": DEPT}
            data, problems = summed_data(g.units, info, head=g.head,
                                         extra_notes={"perf_dept": {"units": str(len(g.units))}} if g.head is None else None)
            folder = out_dir / "部门" / _safe(g.name)
            o = Output(g.name, DEPT, [_name(u) for u in g.units], problems=problems)
            o.path = build_workbook(data, folder / f"{_safe(g.name)}-汇总.xlsx", schema)
            _export(o, formats, folder)
            result.outputs.append(o)
            result.differences.extend(compare(g))
            if g.head is not None and g.declared_units is not None and g.declared_units > len(g.units):
                result.notes.append(f"部门「{g.name}」填报所属预算单位 {g.declared_units} 个，只报送了 {len(g.units)} 个单位的工作簿。")
            complete = g.head is None or (g.declared_units or 0) <= len(g.units)
            # the 本级 counts a 部门 once: as the sum of its units where they are all submitted (the
            # source figures; totals derived), else as the 部门's own workbook
            top.append(toolkit.load(o.path) if complete else g.head)
            o.used = "所属单位之和" if complete else "部门自身工作簿（所属单位未报齐）"
        elif g.head is not None:
            top.append(g.head)
    if top:
        info = {"dept_name": name, "year": _year(top), "entity": DEPT}
        data, problems = summed_data(top, info)
        folder = out_dir / "本级"
        o = Output(name, "本级", [_name(d) for d in top], problems=problems)
        o.path = build_workbook(data, folder / f"{_safe(name)}-汇总.xlsx", schema)
        _export(o, formats, folder)
        result.outputs.insert(0, o)
    result.report_csv = write_report_csv(result, out_dir / "汇总核对.csv")
    result.report_html = write_report_html(result, out_dir / "汇总核对.html")
    return result


# ---------------------------------------------------------------- report

CSV_HEADER = ["部门", "工作表", "单元格", "项目", "部门表（万元）", "单位合计（万元）", "差额（万元）", "涉及单位", "说明"]


def _rows(result: Consolidation) -> list[list[str]]:
    return [[d.dept, d.sheet, d.cell or "", d.item, _s(d.dept_value), _s(d.units_sum), _s(d.difference),
             d.culprit or "", d.cause] for d in result.differences]


def write_report_csv(result: Consolidation, path) -> Path:
    from .io.atomic import atomic_output

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_HEADER)
    for row in _rows(result):
        w.writerow([("'" + v) if v[:1] in ("=", "+", "@") else v for v in row])  # no formula when opened in Excel
    path = Path(path)
    with atomic_output(path) as fh:
        fh.write(("\ufeff" + buf.getvalue()).encode("utf-8"))
    return path


def write_report_html(result: Consolidation, path) -> Path:
    from .io.atomic import atomic_output

    e = html.escape
    parts = ["<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>汇总与核对</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;"
             "padding:3px 6px}td.n{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#a00}</style>",
             "<h1>汇总与核对</h1>"]
    parts.append("<h2>汇总工作簿</h2><table><tr><th>汇总</th><th>类别</th><th>汇总的工作簿</th><th>文件</th><th>导出</th><th>状态</th><th>本级合计计入</th></tr>")
    for o in result.outputs:
        status = "草稿·未通过校验" if o.draft else ("有“错误”级问题" if o.errors else "通过校验")
        parts.append(f"<tr><td>{e(o.name)}</td><td>{e(o.kind)}</td><td>{len(o.members)} 个：{e('、'.join(o.members))}</td>"
                     f"<td>{e(o.path.name if o.path else '')}</td><td>{e('、'.join(sorted(o.exports)))}</td><td>{e(status)}</td><td>{e(o.used)}</td></tr>")
    parts.append("</table>")
    parts.append(f"<p>{e(NOT_SUMMED_NOTE)} 本级合计中，有所属单位工作簿的部门按所属单位之和计入（单位未报齐时按部门自身的工作簿），"
                 "其他部门按其自身的工作簿计入；每个单位只计入一次。</p>")
    parts.append(f"<h2>部门与所属单位之和的核对（{len(result.differences)} 处不符）</h2>")
    if result.differences:
        parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in CSV_HEADER) + "</tr>")
        for row in _rows(result):
            parts.append("<tr>" + "".join(f"<td class='n'>{e(v)}</td>" if 4 <= j <= 6 else f"<td>{e(v)}</td>"
                                          for j, v in enumerate(row)) + "</tr>")
        parts.append("</table>")
    else:
        parts.append("<p>报送了部门工作簿和所属单位工作簿的部门，各表数字均等于所属单位之和。</p>")
    notes = list(result.notes) + [p for o in result.outputs for p in o.problems]
    notes += [f"「{Path(p).name}」无法读取，未汇总：{m}" for p, m in result.unreadable]
    if notes:
        parts.append("<h2>说明</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    path = Path(path)
    with atomic_output(path) as fh:
        fh.write("\n".join(parts).encode("utf-8"))
    return path


__all__ = ["consolidate", "Consolidation", "Output", "Difference", "Group", "group", "summed_data",
           "build_workbook", "compare", "positions", "entity"]
