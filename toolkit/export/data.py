"""Open data: every table as a tidy CSV plus a Frictionless Data Package descriptor.

Layout of each CSV (documented again in ``datapackage.json``):

* UTF-8 with a byte-order mark (so Excel opens the Chinese text correctly), comma separated,
  CRLF line ends, one header row of machine-friendly column keys (the Chinese column titles,
  units and classifications are in the descriptor);
* first column ``row``: the row's key in the table (``c201``, ``subtotal``, ``total`` for fixed
  rows, ``items#3`` for the third used detail row), then one column per table column in order;
* codes (科目编码) are text, amounts are plain decimal numbers in 万元 (``224.32``, no thousands
  separators, blank when the published table leaves the cell blank), labels are text;
* fixed rows are all present (as in the published table), detail rows only when used;
* text that a spreadsheet would read as a formula (starting with = + - @, tab or CR) is prefixed
  with '; numbers are never altered (a negative amount is data).

The figures are those of the filled model, i.e. the same as in the PDF and DOCX.
"""
from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from .. import __version__
from ..schema import TableSpec
from .document import NUMERIC, Document, Table, neutralise

CLASSIFICATIONS = {
    "function": ("functional-classification", "政府收支分类科目·支出功能分类（类3位、款5位、项7位）"),
    "economic": ("economic-classification", "部门预算支出经济分类科目（类3位、款5位）"),
    "revenue": ("revenue-classification", "政府收支分类科目·收入分类"),
}


def _csv_value(cell) -> str:
    v = cell.value
    if isinstance(v, Decimal):
        return format(v, "f")
    if v is None:
        return neutralise(cell.text) if cell.type == "label" and cell.text else ""
    return neutralise(str(v))


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


def _fields(t: Table, spec: TableSpec | None, unit: str) -> list[dict]:
    fields = [{"name": "row", "title": "行标识", "type": "string",
               "description": "表内固定行的键（如 c201、subtotal、total），或明细行 items#序号"}]
    for key, title, typ in zip(t.col_keys, t.col_titles, t.col_types):
        f: dict = {"name": key, "title": title}
        if typ in NUMERIC:
            f.update(type="integer" if typ in ("count", "year") else "number", bareNumber=True, decimalChar=".")
            if typ == "amount":
                f.update(unit=unit, currency="CNY", columnType="value")
            elif typ == "yuan":
                f.update(unit="元", currency="CNY", columnType="value")
        else:
            f["type"] = "string"
            cls = _classification(spec, key) if spec is not None else None
            if cls:
                prefix, desc, what = cls
                f["columnType"] = f"{prefix}:generic:{what}"
                f["classification"] = desc
        fields.append(f)
    return fields


def render_data(doc: Document, d, out_dir) -> dict:
    """Write table01.csv … and datapackage.json into `out_dir`; returns {"files": [...], "descriptor": path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    unit = d.schema.unit
    resources, files = [], []
    for t in doc.tables:
        if t.kind != "table":
            continue
        spec = d.schema.sheet(t.key.split("#")[0])
        name = f"table{t.number:02d}" if t.number is not None else t.key.replace("#", "-")
        path = out / f"{name}.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(["row", *t.col_keys])
            for row in t.body:
                if row.key is None:
                    continue  # the blank row shown under an empty table's 合计
                w.writerow([row.key, *(_csv_value(c) if c is not None else "" for c in row.cells)])
        files.append(path)
        codes = [f"{c}" for c in t.col_keys if _classification(spec, c) and _classification(spec, c)[2] == "code"]
        res = {
            "name": name,
            "path": path.name,
            "title": t.title,
            "description": f"{t.label}：{t.title}（单位：{unit}）" + ("。本表无数据。" if t.note else ""),
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8-sig",
            "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": "\"", "doubleQuote": True,
                        "header": True},
            "schema": {"fields": _fields(t, spec, unit), "primaryKey": ["row"],
                       "missingValues": [""]},
            "bdt": {"table": t.key, "number": t.number, "sheet": t.sheet, "empty": bool(t.note),
                    "classification_columns": codes},
        }
        resources.append(res)
    dept_code = d.dept_code or ""
    year = d.year
    descriptor = {
        "profile": "tabular-data-package",
        "name": f"budget-{dept_code or 'dept'}-{year or 'year'}".lower(),
        "title": f"【{doc.mark}】{doc.title}" if doc.mark else doc.title,
        "description": ((doc.note or "") + (

            "部门预算公开的 13 张表，每表一个 CSV（UTF-8 带 BOM，逗号分隔）。第一列 row 为行标识（固定行的键，"
            "或明细行 items#序号），其余各列为表中各列，列名为机器可读的键，中文列名、单位和分类见 schema.fields。"
            f"金额单位为{unit}，为不带千分位的十进制数；科目编码为文本；空白表示表中该格为空。"
            "以 = + - @ 开头的文字前加了单引号，以免被电子表格当作公式。数字取自填好的工作簿（派生数由程序按输入重新计算）。"
        )),
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "keywords": ["部门预算", "预算公开", "部门预算公开", d.dept_name or "", str(year or "")],
        "countryCode": "CN",
        "fiscalYear": year,
        "currency": "CNY",
        "unit": unit,
        "fiscalPeriod": {"start": f"{year}-01-01", "end": f"{year}-12-31"} if year else None,
        "budgetPhase": "approved",
        "publisher": {"name": d.dept_name, "code": dept_code},
        "sources": [{"title": Path(str(d.path)).name if getattr(d, "path", None) else "workbook"}],
        "contributors": [{"title": d.dept_name, "role": "publisher"}],
        "bdt": {"version": __version__, "schema_version": d.schema.schema_version,
                "template_version": d.schema.template_version, "schema": d.schema.name,
                "status": "draft" if doc.mark else "validated", "status_note": doc.note},
        "resources": resources,
    }
    descriptor = {k: v for k, v in descriptor.items() if v is not None}
    dp = out / "datapackage.json"
    with open(dp, "w", encoding="utf-8", newline="\n") as fh:
        json.dump(descriptor, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return {"files": files, "descriptor": dp}


__all__ = ["render_data"]
