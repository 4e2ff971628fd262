"""A readable data file (YAML/JSON) <-> a workbook of the template.

The seed example is kept as `examples/*.yaml` and built into the xlsx with `bdt import`, so the
workbook is reproducible and every figure can be reviewed in a diff. The format mirrors the
schema keys:

    info:   {dept_name: ..., year: 2023, duties: ["1、…", …], divisions: [{name: …}, …]}
    t3:     {total: {total: "224.31", …}, items: [{code: "201", …}, …], _note: "注：本表无数据"}
    perf_project: [{name: …, indicators: [{l1: …}, …]}, …]
    source: {url: …, title: …}   (optional: where a transcribed publication comes from; not written)

Amounts are quoted strings so that they stay exact Decimals. `dump()` writes the same format
from a workbook (what a bureau uses to collect figures in bulk).
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import yaml

from .layout import layout
from .schema import LABEL, MAX_CAPACITY, FormSpec, Schema, TableSpec, load_schema
from .template import build_workbook, save_deterministic

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class DataFileError(ValueError):
    pass


# a transcription's provenance (address, title, …): kept in the data file, not in the workbook
SOURCE_KEY = "source"


def load_data(path) -> dict:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise DataFileError(f"{path}: 顶层应为映射（表名: 数据）。")
    return data


def fmt_label(template: str, context: dict) -> str:
    return _PLACEHOLDER.sub(lambda m: str(context.get(m.group(1)) or ""), template)


def _cell_value(schema: Schema, type_name: str, value, where: str):
    if value is None:
        return None
    t = schema.types.get(type_name)
    if t is not None and t.numeric:
        if isinstance(value, bool):
            raise DataFileError(f"{where}: 应为数字，得到 {value!r}")
        if isinstance(value, float):
            raise DataFileError(f"{where}: 金额请写成带引号的字符串（如 \"224.31\"），以免二进制浮点误差")
        try:
            d = Decimal(str(value))
        except Exception:
            raise DataFileError(f"{where}: 无法识别为数字：{value!r}") from None
        return int(d) if t.whole and d == d.to_integral_value() else d
    return str(value)


def _put(ws, row: int, col: int, value) -> None:
    """Write a value; text is text — openpyxl would store a string beginning with “=” as a formula."""
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _rows_of(sheet_data, where: str):
    if sheet_data is None:
        return {}
    if not isinstance(sheet_data, dict):
        raise DataFileError(f"{where}: 应为映射")
    return sheet_data


def _write_sheet(ws, schema: Schema, spec, data: dict, context: dict, where: str) -> None:
    lay = layout(spec)
    known_rows = {p.row_key.split("#")[0] for p in lay.cells} | {"_note"}
    for key in data:
        if key not in known_rows:
            raise DataFileError(f"{where}: 模板中没有「{key}」（可用：{', '.join(sorted(k for k in known_rows if not k.startswith('@')))}）")
    # derived labels (titles, 部门名称, year headers) are written from the context, as published
    for p in lay.cells:
        if p.spec.role != LABEL and p.spec.type == "label" and p.spec.text:
            _put(ws, p.row, p.col, fmt_label(p.spec.text, context))
    for p in lay.value_cells:
        if p.spec.type == "label" and p.spec.text:
            continue
        if p.block is not None:
            rows = data.get(p.block)
            if rows is None:
                continue
            if not isinstance(rows, list):
                raise DataFileError(f"{where}.{p.block}: 应为列表")
            if len(rows) > lay.block_rows[p.block][1]:
                raise DataFileError(f"{where}.{p.block}: {len(rows)} 行超出模板容量 {lay.block_rows[p.block][1]} 行")
            if p.index > len(rows):
                continue
            row = rows[p.index - 1]
            col = p.col_key
            if isinstance(row, str):
                value = row if col == "text" else None
            else:
                value = row.get(col)
        elif isinstance(spec, TableSpec):
            if p.row_key == "_note":
                value = data.get("_note")
            else:
                value = (data.get(p.row_key) or {}).get(p.col_key)
        else:
            value = data.get(p.row_key)
        v = _cell_value(schema, p.spec.type, value, f"{where}.{p.row_key}.{p.col_key}".rstrip("."))
        if v is not None:
            _put(ws, p.row, p.col, v)


def sized_for(data: dict, schema: Schema) -> Schema:
    """The schema with every table block large enough for the rows of `data` (a quarter spare,
    in steps of 50, so the clerk can still add rows); the standard capacities where they suffice."""
    caps = {}
    for spec in schema.tables:
        sheet = data.get(spec.key)
        if not isinstance(sheet, dict):
            continue
        for b in spec.blocks:
            rows = sheet.get(b.key)
            if isinstance(rows, list) and len(rows) > b.capacity:
                caps[f"{spec.key}.{b.key}"] = min(MAX_CAPACITY, -(-(len(rows) * 5 // 4) // 50) * 50)
    return schema.with_capacities(caps) if caps else schema


def write_data(data: dict, out, schema: Schema | None = None) -> Path:
    """Build a workbook of the template holding `data` (values as given, derived ones included).
    A table with more rows than the template holds gets a larger block (`sized_for`), recorded
    in the workbook's _meta so that every reader lays it out the same way."""
    schema = schema or load_schema()
    info = data.get("info") or {}
    context = {"year": info.get("year"), "dept_name": info.get("dept_name"), "dept_code": info.get("dept_code")}
    unknown = set(data) - schema.keys() - {SOURCE_KEY}
    if unknown:
        from .schema import bundled_schemas

        fits = [b.id for b in bundled_schemas() if b.id != schema.id and set(data) - {SOURCE_KEY} <= b.keys()]
        hint = f"。数据文件与内置结构「{'」「'.join(fits)}」相符：请加 --schema {fits[0]}" if fits else ""
        raise DataFileError(f"数据文件中有模板（结构 {schema.id or schema.name}）没有的表：{', '.join(sorted(unknown))}{hint}")
    schema = sized_for(data, schema)
    projects = 1
    for spec in schema.forms:
        if spec.repeat:
            projects = max(projects, len(data.get(spec.key) or []))
    wb = build_workbook(schema, projects=projects)
    for spec in schema.sheets:
        if isinstance(spec, FormSpec) and spec.repeat:
            instances = data.get(spec.key) or []
            if not isinstance(instances, list):
                raise DataFileError(f"{spec.key}: 应为列表（每个项目一个）")
            for n, inst in enumerate(instances, start=1):
                _write_sheet(wb[spec.sheet_name(n)], schema, spec, _rows_of(inst, f"{spec.key}[{n}]"), context, f"{spec.key}[{n}]")
        else:
            _write_sheet(wb[spec.sheet], schema, spec, _rows_of(data.get(spec.key), spec.key), context, spec.key)
    if Path(out).suffix.lower() == ".xlsm":  # a macro-enabled name gets the buttons' VBA project, not a plain xlsx
        from .template import write_normalized_zip
        from .vba.xlsm import build_xlsm_bytes

        return write_normalized_zip(build_xlsm_bytes(schema, workbook=wb), out)
    return save_deterministic(wb, out)


def _plain(v):
    if isinstance(v, Decimal):
        return format(v, "f")
    return v


def dump(disclosure) -> dict:
    """The values of a read workbook in the data-file format (labels and blank cells left out)."""
    schema = disclosure.schema
    out: dict = {}
    for spec in schema.sheets:
        for inst in disclosure.instances(spec.key):
            sheet: dict = {}
            if isinstance(spec, TableSpec):
                for r in spec.rows:
                    if hasattr(r, "capacity"):
                        rows = [{c: _plain(v) for c in spec.col_keys if (v := row.get(c)) is not None}
                                for row in disclosure.rows(inst, r.key)]
                        if rows:
                            sheet[r.key] = rows
                    else:
                        vals = {c: _plain(v) for c in spec.col_keys if (v := disclosure.get(inst, r.key, c)) is not None}
                        if vals:
                            sheet[r.key] = vals
                note = disclosure.get(inst, "_note")
                if note:
                    sheet["_note"] = note
            else:
                for f in spec.fields:
                    v = disclosure.get(inst, f)
                    if v is not None:
                        sheet[f] = _plain(v)
                for b in spec.blocks:
                    rows = []
                    for row in disclosure.rows(inst, b.key):
                        vals = {c: _plain(v) for c in b.fields if (v := row.get(c)) is not None}
                        rows.append(vals["text"] if list(vals) == ["text"] and b.fields == ["text"] else vals)
                    if rows:
                        sheet[b.key] = rows
            if not sheet:
                continue
            if spec.repeat:
                out.setdefault(spec.key, []).append(sheet)
            else:
                out[spec.key] = sheet
    return out
