"""Open data: tidy CSVs a program can sum, plus a Frictionless Data Package descriptor.

Layout (documented again in ``datapackage.json``):

* UTF-8 with a byte-order mark (so Excel opens the Chinese text correctly), comma separated,
  CRLF line ends, one header row of machine-friendly column keys (the Chinese column titles,
  units and classifications are in the descriptor);
* every CSV starts with the same columns ``dept_code, dept_name, year, table``, so the files of
  many departments (or years) can be concatenated and still say whose each row is; the primary key
  is (dept_code, year, row) — (dept_name, year, row) when the workbook has no 部门代码 (optional);
* table CSVs then have ``row`` (the row's key: ``c201``, ``subtotal``, ``total`` for fixed rows,
  ``items#3`` for the third used detail row), ``level`` (``total`` | ``subtotal`` | ``类`` | ``款`` |
  ``项`` | ``目`` | ``item``), ``parent`` (the ``row`` of the row it sums into; blank for a top row),
  ``amount_unit`` and ``yuan_per_unit`` (the unit as data: an amount × yuan_per_unit = 元), then one column
  per table column in order. Every amount of a row with children equals the sum of its children,
  so summing the 项 rows (or any level's rows) reproduces the published totals;
* the T-shaped tables (表1, 表4, 表9: income on the left, expenditure on the right of one printed
  row) are split into two files of records, ``table01-income.csv`` and ``table01-expenditure.csv``;
* ``performance-projects.csv`` (one row per project / the department: goals and funds in 元) and
  ``performance-indicators.csv`` (one row per 绩效指标, for the 实施期 and the 年度 separately);
* codes (科目编码) are text, amounts plain decimal numbers (no thousands separators, blank when the
  published table leaves the cell blank), labels text;
* fixed rows are present when they carry anything on that side, detail rows only when used;
* text that a spreadsheet would read as a formula (starting with = + - @, tab or CR) is prefixed
  with '; control characters are removed; numbers are never altered (a negative amount is data).

The figures are those of the filled model, i.e. the same as in the PDF and DOCX. No local path
(the workbook's file name) goes into the descriptor.
"""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from .. import __version__
from ..schema import FixedRow, TableSpec
from ..schema.units import YUAN_PER
from .document import NUMERIC, Document, Table, Values, clean_text, neutralise

CLASSIFICATIONS = {
    "function": ("functional-classification", "政府收支分类科目·支出功能分类（类3位、款5位、项7位）"),
    "economic": ("economic-classification", "部门预算支出经济分类科目（类3位、款5位）"),
    "revenue": ("revenue-classification", "政府收支分类科目·收入分类"),
}
LEVELS = {3: "类", 5: "款", 7: "项", 9: "目"}
SIDES = {"in_": ("income", "收入"), "ex_": ("expenditure", "支出")}
COMMON = [
    {"name": "dept_code", "title": "部门代码", "type": "string"},
    {"name": "dept_name", "title": "部门名称", "type": "string"},
    {"name": "year", "title": "预算年度", "type": "integer"},
    {"name": "table", "title": "表", "type": "string", "description": "来源表（如 t3；T 形表另加 :income / :expenditure）"},
]
ROW_FIELDS = [
    {"name": "row", "title": "行标识", "type": "string",
     "description": "表内固定行的键（如 c201、subtotal、total），或明细行 items#序号"},
    {"name": "level", "title": "层级", "type": "string",
     "constraints": {"enum": ["total", "subtotal", "类", "款", "项", "目", "item"]},
     "description": "total 合计/总计；subtotal 小计（自身又计入上一级）；类/款/项/目 按科目编码位数；item 其他行"},
    {"name": "parent", "title": "上级行", "type": "string",
     "description": "本行计入的行（row 值）；空白表示顶层。有下级的行，各金额等于下级之和"},
    {"name": "amount_unit", "title": "金额单位", "type": "string"},
    {"name": "yuan_per_unit", "title": "每单位折合元", "type": "integer",
     "description": "金额 × yuan_per_unit = 元（万元为 10000，元为 1）"},
]
_REF = re.compile(r"\b(\w+)\.(\w+)\.(\w+)\b")
_NAME = re.compile(r"[^a-z0-9._-]+")


def _slug(text: str) -> str:
    return _NAME.sub("-", str(text).lower()).strip("-") or "x"


def _csv_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f") if v.is_finite() else ""
    return neutralise(clean_text(str(v)))


def _cell_value(cell) -> str:
    if cell is None:
        return ""
    if cell.value is None:
        return _csv_text(cell.text) if cell.type == "label" and cell.text else ""
    return _csv_text(cell.value)


def _classification(spec: TableSpec, col: str):
    """(columnType prefix, description, "code"|"label") for a code column or the name it keys."""
    for block in spec.blocks:
        for code_col, cols in block.code_columns.items():
            kind = "revenue" if code_col.startswith("in_") else block.kind
            if kind not in CLASSIFICATIONS:
                continue
            prefix, desc = CLASSIFICATIONS[kind]
            if col == code_col:
                return prefix, desc, "code"
            if col in cols and spec.column(col).type == "label":
                return prefix, desc, "label"
    if col == "gov_name":
        return "economic-classification", "政府预算支出经济分类科目", "label"
    return None


def _sides(spec: TableSpec) -> list:
    """[(suffix, side title, column keys)]: one entry, or income/expenditure for a T-shaped table."""
    keys = spec.col_keys
    if any(k.startswith("in_") for k in keys) and any(k.startswith("ex_") for k in keys):
        return [(SIDES[p][0], SIDES[p][1], [k for k in keys if k.startswith(p)]) for p in SIDES]
    return [(None, None, keys)]


def _fixed_children(spec: TableSpec, cols: list) -> dict:
    """{fixed row key: [child row keys] or ("block", block key)} from the rows' own derivations:
    sum_rows(col), block_sum(block, col), or a plain sum of rows of this same table and column."""
    out: dict = {}
    amounts = [c for c in cols if spec.column(c).type == "amount"]
    for r in spec.rows:
        if not isinstance(r, FixedRow):
            continue
        for col in amounts:
            cs = r.cells.get(col)
            expr = (cs.derive or "").strip() if cs is not None else ""
            if not expr:
                continue
            if expr.startswith("sum_rows("):
                out[r.key] = [x.key for x in spec.rows if isinstance(x, FixedRow) and x.of and col in x.cells]
            elif expr.startswith("block_sum("):
                out[r.key] = ("block", expr[len("block_sum("):].split(",")[0].strip())
            else:
                refs = _REF.findall(expr)
                rest = _REF.sub("", expr).replace("+", "").strip()
                if refs and not rest and all(t == spec.key and c == col for t, _, c in refs):
                    out[r.key] = [k for _, k, _ in refs]
            if r.key in out:
                break
    return out


def _hierarchy(d, t: Table, spec: TableSpec, cols: list) -> tuple[dict, dict]:
    """({row key: parent row key}, {row key: level}) for one side of a table."""
    parent: dict = {}
    fixed = _fixed_children(spec, cols)
    block_total = {}
    for p, kids in fixed.items():
        if isinstance(kids, tuple):
            block_total[kids[1]] = p
        else:
            for k in kids:
                parent.setdefault(k, p)
    code_of: dict = {}
    for b in spec.blocks:
        code_col = next((c for c in b.code_columns if c in cols), None)
        rows = d.rows(t.key, b.key)
        by_code = {r.get(code_col): r.key for r in rows} if code_col else {}
        up = d.code_tree(t.key, b.key, code_col)[0] if code_col else {}
        for r in rows:
            pc = up.get(r.key)
            parent[r.key] = by_code.get(pc) if pc else block_total.get(b.key)
            if code_col and isinstance(r.get(code_col), str):
                code_of[r.key] = r.get(code_col)
    has_kids = {p for p in parent.values() if p} | set(fixed)  # a sum row, even of no rows today
    level = {}
    for row in t.body:
        k = row.key
        if k is None:
            continue
        code = code_of.get(k)
        if code is None and isinstance(k, str) and k.startswith("c") and k[1:].isdigit():
            code = k[1:]  # a fixed 类 row of 表1/表4 (c201 = 201 一般公共服务支出)
        if code and len(code) in LEVELS and (k not in has_kids or k in code_of or k.startswith("c")):
            level[k] = LEVELS[len(code)]
        elif k in has_kids:
            level[k] = "subtotal" if parent.get(k) else "total"
        else:
            level[k] = "item"
    return parent, level


def _on_side(spec: TableSpec, key: str, cols: list, cells: list) -> bool:
    """A fixed row belongs to a side of a T-shaped table when the schema gives it a cell there,
    a detail row when it has a value there."""
    fixed = next((r for r in spec.rows if isinstance(r, FixedRow) and r.key == key), None)
    if fixed is not None:
        return any(c in fixed.cells for c in cols)
    return any(_cell_value(c) for c in cells)


def _table_fields(t: Table, spec: TableSpec | None, unit: str, cols: list, schema=None) -> list[dict]:
    fields = [dict(f) for f in COMMON + ROW_FIELDS]
    idx = {k: i for i, k in enumerate(t.col_keys)}
    for key in cols:
        i = idx[key]
        title, typ = t.col_titles[i], t.col_types[i]
        f: dict = {"name": key, "title": title}
        money = schema.money_types if schema is not None else ("amount",)  # sh-9 表9: type wan, 万元
        if typ in NUMERIC or typ in money:
            f.update(type="integer" if typ in ("count", "year") else "number", bareNumber=True, decimalChar=".")
            if typ in ("amount", "yuan") or typ in money:
                prec = schema.precision(typ) if schema is not None else None
                f.update(unit=prec.unit if prec is not None else unit, currency="CNY", columnType="value")
                if prec is not None:
                    f["decimals"] = prec.decimals
        else:
            f["type"] = "string"
            cls = _classification(spec, key) if spec is not None else None
            if cls:
                prefix, desc, what = cls
                f["columnType"] = f"{prefix}:generic:{what}"
                f["classification"] = desc
        fields.append(f)
    return fields


def _resource(name: str, path: Path, title: str, description: str, fields: list, key: list, bdt: dict) -> dict:
    return {
        "name": name,
        "path": path.name,
        "title": title,
        "description": description,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": "\"", "doubleQuote": True,
                    "header": True},
        "schema": {"fields": fields, "primaryKey": key, "missingValues": [""]},
        "bdt": bdt,
    }


def _write(path: Path, text: str, encoding: str) -> None:
    from ..io.atomic import atomic_output

    with atomic_output(path) as fh:
        fh.write(text.encode(encoding))


def _write_csv(path: Path, header: list, rows: list) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    _write(path, buf.getvalue(), "utf-8-sig")


UNIT_FACTOR = {u: int(f) for u, f in YUAN_PER.items()}  # 元 per unit (toolkit.schema.units)


def _who_key(who: list) -> str:
    """The column saying whose a row is in the primary key: dept_code, or dept_name when the
    workbook has no 部门代码 (it is optional: many regions never publish one)."""
    return "dept_code" if who[0] else "dept_name"


def _table_resources(doc: Document, d, out: Path, who: list) -> list:
    resources = []
    for t in doc.tables:
        if t.kind != "table":
            continue
        spec = d.schema.sheet(t.key.split("#")[0])
        unit = spec.unit or d.schema.unit  # a table may have its own unit (sh-9 表9 in 万元)
        factor = UNIT_FACTOR.get(unit, 1)
        base = f"table{t.number:02d}" if t.number is not None else _slug(t.key.replace("#", "-"))
        idx = {k: i for i, k in enumerate(t.col_keys)}
        for side, side_title, cols in _sides(spec):
            name = f"{base}-{side}" if side else base
            parent, level = _hierarchy(d, t, spec, cols)
            rows = []
            for row in t.body:
                if row.key is None:
                    continue  # the blank row shown under an empty table's 合计
                cells = [row.cells[idx[c]] for c in cols]
                if side and not _on_side(spec, row.key, cols, cells):
                    continue  # nothing on this side of the printed row
                rows.append([*who, f"{t.key}:{side}" if side else t.key, row.key, level.get(row.key, "item"),
                             parent.get(row.key) or "", unit, factor, *(_cell_value(c) for c in cells)])
            path = out / f"{name}.csv"
            fields = _table_fields(t, spec, unit, cols, d.schema)
            _write_csv(path, [f["name"] for f in fields], rows)
            codes = [c for c in cols if (cls := _classification(spec, c)) and cls[2] == "code"]
            title = f"{t.title}（{side_title}）" if side else t.title
            resources.append(_resource(
                name, path, title,
                f"{t.label}：{title}（单位：{unit}）" + ("。本表无数据。" if t.note else ""),
                fields, [_who_key(who), "year", "row"],
                {"table": t.key, "number": t.number, "side": side, "sheet": t.sheet, "empty": bool(t.note),
                 "classification_columns": codes}))
    return resources


def _perf_resources(V: Values, d, out: Path, who: list) -> list:
    proj_rows, ind_rows = [], []
    for form in ("perf_dept", "perf_project"):
        for inst in d.instances(form):
            if form == "perf_dept":
                name, goals = d.dept_name or "", [("annual", V.get(inst, "goal"))]
                funds = (V.get(inst, "src_total"), d.schema.precision("amount").unit, None)
            else:
                name = V.get(inst, "name") or ""
                goals = [("period", V.get(inst, "goal_period")), ("annual", V.get(inst, "goal_annual"))]
                funds = (V.get(inst, "total_annual"), d.schema.precision("yuan").unit, V.get(inst, "total_period"))
            proj_rows.append([*who, inst, _csv_text(name), "department" if form == "perf_dept" else "project",
                              _csv_text(dict(goals).get("period")), _csv_text(dict(goals).get("annual")),
                              _csv_text(funds[2]), _csv_text(funds[0]), funds[1]])
            above: dict = {}  # the printed form merges a blank 一级/二级指标 into the one above: filled down
            for r in d.rows(inst, "indicators"):
                g = lambda f: V.get(inst, r.key, f)  # noqa: E731
                l1 = g("l1")
                if form == "perf_dept":
                    parts = [("annual", g("l2"), g("l3"), g("value"))]
                else:
                    parts = [("period", g("l2_period"), g("l3_period"), g("value_period")),
                             ("annual", g("l2_annual"), g("l3_annual"), g("value_annual"))]
                new_l1 = l1 not in (None, "")
                if new_l1:
                    above["l1"] = l1
                for period, l2, l3, value in parts:
                    if l2 not in (None, ""):
                        above[period] = l2
                    elif not new_l1:
                        l2 = above.get(period)
                    if not any(x not in (None, "") for x in (l3, value)) and l2 is None:
                        continue
                    ind_rows.append([*who, inst, f"{r.key}:{period}", _csv_text(name), period,
                                     _csv_text(above.get("l1")), _csv_text(l2), _csv_text(l3), _csv_text(value)])
    common = [dict(f) for f in COMMON]
    common[3] = {**common[3], "description": "绩效目标表（perf_dept 部门整体；perf_project#n 第 n 个项目）"}
    period = {"name": "period", "title": "期间", "type": "string", "constraints": {"enum": ["period", "annual"]},
              "description": "period 实施期；annual 年度"}
    pfields = common + [
        {"name": "name", "title": "项目名称（部门整体表为部门名称）", "type": "string"},
        {"name": "kind", "title": "类型", "type": "string", "constraints": {"enum": ["department", "project"]}},
        {"name": "goal_period", "title": "实施期目标", "type": "string"},
        {"name": "goal_annual", "title": "年度目标", "type": "string"},
        {"name": "funds_period", "title": "实施期资金总额", "type": "number", "bareNumber": True},
        {"name": "funds_annual", "title": "年度资金总额", "type": "number", "bareNumber": True},
        {"name": "funds_unit", "title": "资金单位", "type": "string"},
    ]
    ifields = common + [
        {"name": "row", "title": "指标行", "type": "string", "description": "indicators#序号:期间"},
        {"name": "name", "title": "项目名称（部门整体表为部门名称）", "type": "string"}, period,
        {"name": "l1", "title": "一级指标", "type": "string"},
        {"name": "l2", "title": "二级指标", "type": "string"},
        {"name": "l3", "title": "三级指标", "type": "string"},
        {"name": "value", "title": "指标值", "type": "string"},
    ]
    out_res = []
    for name, rows, fields, key, title in (
            ("performance-projects", proj_rows, pfields, [_who_key(who), "year", "table"], "绩效目标（部门整体与各项目）"),
            ("performance-indicators", ind_rows, ifields, [_who_key(who), "year", "table", "row"], "绩效指标")):
        path = out / f"{name}.csv"
        _write_csv(path, [f["name"] for f in fields], rows)
        out_res.append(_resource(name, path, title, f"{title}，取自绩效目标申报表", fields, key, {"performance": True}))
    return out_res


def render_data(doc: Document, d, out_dir, values: dict | None = None) -> dict:
    """Write the table CSVs, the performance CSVs and datapackage.json into `out_dir`;
    returns {"files": [...], "descriptor": path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # the descriptor goes first and comes back last: an export killed half-way leaves no
    # datapackage.json, never an old one beside a mix of old and new CSVs (each CSV is atomic)
    (out / "datapackage.json").unlink(missing_ok=True)
    for old in out.glob("*.csv"):  # a re-export replaces the package (no stale table01.csv)
        old.unlink()
    if values is None:
        values = doc.values
    if values is None:
        from ..fill import compute

        values = compute(d).values
    V = Values(d, values)
    unit = d.schema.unit
    dept_code = clean_text(d.dept_code or "")
    year = d.year
    who = [_csv_text(dept_code), _csv_text(d.dept_name or ""), "" if year is None else str(year)]
    resources = _table_resources(doc, d, out, who) + _perf_resources(V, d, out, who)
    files = [out / r["path"] for r in resources]
    descriptor = {
        "profile": "tabular-data-package",
        "name": f"budget-{_slug(dept_code or 'dept')}-{year or 'year'}",
        "title": f"【{doc.mark}】{doc.title}" if doc.mark else doc.title,
        "description": ((doc.note or "") + (
            "部门预算公开的各表，每表一个 CSV（UTF-8 带 BOM，逗号分隔），收支对照的表（表1、表4、表9）拆为收入与支出两个文件；"
            "另有绩效目标与绩效指标。每个文件前四列为部门代码、部门名称、年度、来源表，可跨部门直接拼接。"
            "表的 CSV 中 row 为行标识，level 为层级（total/subtotal/类/款/项/目/item），parent 为所计入的上级行，"
            "有下级的行各金额等于其下级之和；amount_unit 与 yuan_per_unit 给出金额单位（金额 × yuan_per_unit = 元）。"
            f"金额单位为{unit}，为不带千分位的十进制数；科目编码为文本；空白表示表中该格为空。"
            "以 = + - @ 开头的文字前加了单引号，以免被电子表格当作公式。数字取自填好的工作簿（派生数由程序按输入重新计算）。"
        )),
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "keywords": [k for k in ["部门预算", "预算公开", "部门预算公开", clean_text(d.dept_name or ""), str(year or "")] if k],
        "countryCode": "CN",
        "fiscalYear": year,
        "currency": "CNY",
        "unit": unit,
        "fiscalPeriod": {"start": f"{year}-01-01", "end": f"{year}-12-31"} if year else None,
        "budgetPhase": "approved",
        "publisher": {"name": clean_text(d.dept_name or ""), "code": dept_code},
        "sources": [{"title": f"部门预算公开工作簿（{d.schema.name}，模板 {d.schema.template_version}）"}],
        "contributors": [{"title": clean_text(d.dept_name or "") or "部门", "role": "publisher"}],
        "bdt": {"version": __version__, "schema_version": d.schema.schema_version,
                "template_version": d.schema.template_version, "schema": d.schema.name,
                "status": "draft" if doc.mark else "validated", "status_note": doc.note,
                **({"waivers": doc.waivers} if getattr(doc, "waivers", None) else {})},
        "resources": resources,
    }
    descriptor = {k: v for k, v in descriptor.items() if v is not None}
    dp = out / "datapackage.json"
    _write(dp, json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return {"files": files, "descriptor": dp}


__all__ = ["render_data", "LEVELS"]
