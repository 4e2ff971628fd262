"""Generate the Excel template from the schema, deterministically.

Input cells are yellow and unlocked, derived cells grey and locked (sheet protection without a
password), narrative paragraphs that the program writes but the clerk may rewrite are green and
unlocked. Code cells get a drop-down of the reference codes; amounts the number format 0.00.
Each sheet prints on A4 with its header rows repeated. A hidden sheet `_meta` records the
template and schema versions, which the reader checks before it reads anything; it and the code
list `_codes` are very hidden (Excel's 取消隐藏 does not list them).
"""
from __future__ import annotations

import datetime as _dt
import io
import os
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

from .io.atomic import atomic_output  # noqa: F401  (re-exported)
from .colors import DERIVED_RGB, EDITABLE_RGB, HEADER_RGB, INPUT_RGB, cell_rgb
from .layout import CAPACITY_PREFIX, CODES_SHEET, META_SHEET, SheetLayout, a1, consecutive_runs, layout  # noqa: F401  (the sheet names are re-exported)
from .reference import load_reference
from .schema import DERIVED, INPUT, LABEL, FormSpec, Schema, TableSpec, load_schema
FIXED_TIME = _dt.datetime(2023, 1, 1, 0, 0, 0)

FILL_INPUT = PatternFill("solid", fgColor=INPUT_RGB)  # light yellow: type here
FILL_DERIVED = PatternFill("solid", fgColor=DERIVED_RGB)  # grey: the program writes this
FILL_EDITABLE = PatternFill("solid", fgColor=EDITABLE_RGB)  # green: generated, may be rewritten
FILL_HEADER = PatternFill("solid", fgColor=HEADER_RGB)
_FILLS = {INPUT_RGB: FILL_INPUT, DERIVED_RGB: FILL_DERIVED, EDITABLE_RGB: FILL_EDITABLE, HEADER_RGB: FILL_HEADER}
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = "宋体"

LEGEND = "黄色：请填写　灰色：程序生成（受保护）　绿色：程序生成，可改写"


def number_format(schema: Schema, type_name: str, unit: str | None = None) -> str:
    fmt = schema.types[type_name].format if type_name in schema.types else "General"
    if unit and fmt == "0":
        return f'0"{unit}"'
    return fmt


def cell_fill(spec) -> PatternFill | None:
    """The template's fill for a cell (`colors.cell_rgb`): what the clerk sees, and what clearing a
    validation mark restores."""
    rgb = cell_rgb(spec)
    return None if rgb is None else _FILLS[rgb]


def _style_cell(cell, schema: Schema, spec, in_table: bool, wrap_text: bool) -> None:
    style = spec.style
    bold = style in ("title", "header", "total", "section")
    size = 16 if style == "title" else (10 if style in ("small", "unit", "note") else 11)
    cell.font = Font(name=FONT, size=size, bold=bold, italic=style == "note")
    horizontal = None
    if style in ("title", "header", "center"):
        horizontal = "center"
    elif style == "unit":
        horizontal = "right"
    numeric = spec.type in schema.types and schema.types[spec.type].numeric
    wrap = wrap_text or (spec.type in schema.types and schema.types[spec.type].wrap) or style in ("header", "rowlabel")
    cell.alignment = Alignment(
        horizontal=horizontal or ("right" if numeric and spec.role != LABEL else None),
        vertical="center",
        wrap_text=wrap,
    )
    fill = cell_fill(spec)
    if fill is not None:
        cell.fill = fill
    if spec.role == INPUT or (spec.role == DERIVED and spec.editable):
        cell.protection = Protection(locked=False)
    if spec.role != LABEL:
        cell.number_format = number_format(schema, spec.type, spec.unit)


def _framed(lay: SheetLayout, p) -> bool:
    if isinstance(lay.spec, TableSpec):
        return p.row >= (lay.header_rows[0] if lay.header_rows else 1) and p.row_key != "_note"
    return p.spec.style not in ("title", "center")


def _render_label(text: str | None) -> str | None:
    if text is None:
        return None
    return text.replace("{year}", "20XX").replace("{dept_name}", "").replace("{dept_code}", "")


def _ranges(cells: list[tuple[int, int]]) -> str:
    """Compress (row, col) pairs into a space-separated sqref of column runs."""
    by_col: dict[int, list[int]] = {}
    for r, c in cells:
        by_col.setdefault(c, []).append(r)
    parts = []
    for c in sorted(by_col):
        for start, end in consecutive_runs(by_col[c]):
            parts.append(a1(start, c) if start == end else f"{a1(start, c)}:{a1(end, c)}")
    return " ".join(parts)


def add_sheet(wb: Workbook, schema: Schema, spec, name: str | None = None, index: int | None = None):
    """Add one schema sheet (table or form) to `wb`, styled and protected. Returns the worksheet."""
    lay = layout(spec)
    ws = wb.create_sheet(title=name or (spec.sheet_name(1) if isinstance(spec, FormSpec) else spec.sheet), index=index)
    ws.sheet_view.showGridLines = False
    widths = [c.width for c in spec.columns] if isinstance(spec, TableSpec) else list(spec.widths)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[a1(1, j)[:-1]].width = w
    merged_extent = {}
    for r1, c1, r2, c2 in lay.merges:
        merged_extent[(r1, c1)] = (r2, c2)
    for p in lay.cells:
        cell = ws.cell(row=p.row, column=p.col)
        if p.spec.role == LABEL:
            cell.value = p.spec.text
        elif p.spec.text is not None and p.spec.role == DERIVED and p.spec.type == "label":
            cell.value = _render_label(p.spec.text)
        long_text = p.spec.type == "text" and (p.span >= 2 or isinstance(spec, FormSpec))
        _style_cell(cell, schema, p.spec, isinstance(spec, TableSpec), long_text)
        if _framed(lay, p):
            r2, c2 = merged_extent.get((p.row, p.col), (p.row, p.col))
            for rr in range(p.row, r2 + 1):
                for cc in range(p.col, c2 + 1):
                    ws.cell(row=rr, column=cc).border = BORDER
        if p.spec.role != LABEL and p.spec.type == "text" and isinstance(spec, FormSpec):
            height = 96 if p.spec.editable else (48 if p.span >= 2 else 30)
            ws.row_dimensions[p.row].height = max(ws.row_dimensions[p.row].height or 0, height)
    for r1, c1, r2, c2 in lay.merges:
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    last_col = a1(1, lay.ncols)[:-1]
    # drop-downs for classification codes, and a non-negative check on amounts typed by the clerk
    if isinstance(spec, TableSpec):
        _validations(ws, schema, spec, lay)
        ws.freeze_panes = f"A{lay.data_start}"
        ws.print_title_rows = f"{lay.header_rows[0]}:{lay.header_rows[1]}"
        ws.page_setup.orientation = "landscape" if spec.landscape else "portrait"
    else:
        _choice_validations(ws, lay)
        ws.freeze_panes = "A2"
        ws.page_setup.orientation = "portrait"
    ws.print_area = f"A1:{last_col}{lay.last_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.protection.sheet = True
    ws.protection.objects = True  # the buttons (.xlsm) can be clicked, not moved or deleted
    ws.protection.scenarios = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    return ws


def _validations(ws, schema: Schema, spec: TableSpec, lay: SheetLayout) -> None:
    ref = load_reference()
    lists = {
        "function": f"{CODES_SHEET}!$A$2:$A${len(ref.function_codes) + 1}",
        "economic": f"{CODES_SHEET}!$C$2:$C${len(ref.economic_codes) + 1}",
    }
    code_cells: dict[str, list] = {}
    amount_cells = []
    for block in spec.blocks:
        first, cap = lay.block_rows[block.key]
        for code_col in block.code_columns:
            if block.kind in lists and spec.column(code_col).type == "code":
                j = spec.col_keys.index(code_col) + 1
                code_cells.setdefault(block.kind, []).extend((r, j) for r in range(first, first + cap))
    for p in lay.cells:
        if p.spec.role == INPUT and p.spec.type == "amount":
            amount_cells.append((p.row, p.col))
    for kind, cells in code_cells.items():
        dv = DataValidation(type="list", formula1=f"={lists[kind]}", allow_blank=True, errorStyle="warning",
                            showErrorMessage=True, errorTitle="科目编码",
                            error="该编码不在参考科目表中，请核对（仍可保留输入）。",
                            promptTitle="科目编码", prompt="请从下拉列表选择或输入科目编码", showInputMessage=True)
        for rng in _ranges(cells).split():
            dv.add(rng)
        ws.add_data_validation(dv)
    if amount_cells:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                            errorStyle="warning", showErrorMessage=True, errorTitle="金额",
                            error=f"金额应为不小于0的数字（单位：{schema.money.unit}，{_places_text(schema.money.decimals)}）。")
        for rng in _ranges(amount_cells).split():
            dv.add(rng)
        ws.add_data_validation(dv)


def _choice_validations(ws, lay: SheetLayout) -> None:
    """A drop-down for each form field whose values are a fixed list (`choices:` in the schema)."""
    for p in lay.cells:
        if p.spec.role == INPUT and p.spec.choices:
            dv = DataValidation(type="list", formula1='"' + ",".join(p.spec.choices) + '"', allow_blank=True,
                                errorStyle="warning", showErrorMessage=True, errorTitle="填写值",
                                error=f"应为{'或'.join(p.spec.choices)}之一（留空按“{p.spec.choices[0]}”处理）。")
            dv.add(a1(p.row, p.col))
            ws.add_data_validation(dv)
def _places_text(n: int) -> str:
    """“保留两位小数” / “取整数”: the amounts' decimals as the input message says them."""
    return "取整数" if n == 0 else f"保留{'两' if n == 2 else n}位小数"


def _codes_sheet(wb: Workbook) -> None:
    ref = load_reference()
    ws = wb.create_sheet(CODES_SHEET)
    ws.append(["功能分类编码", "功能分类名称", "经济分类编码", "经济分类名称"])
    f = sorted(ref.function_codes.items())
    e = sorted(ref.economic_codes.items())
    for i in range(max(len(f), len(e))):
        row = list(f[i]) if i < len(f) else [None, None]
        row += list(e[i]) if i < len(e) else [None, None]
        ws.append(row)
    for col in "ABCD":
        for c in ws[col]:
            c.number_format = "@"
    ws.sheet_state = "veryHidden"  # not in Excel's 取消隐藏 list: only the VBA editor shows it


def meta_rows(schema: Schema) -> list[tuple[str, str]]:
    return [
        ("template_version", schema.template_version),
        ("schema_version", schema.schema_version),
        ("schema_name", schema.name),
    ] + ([("schema_id", schema.id)] if schema.id else []) + [
        ("generator", "bdt (budget disclosure toolkit)"),
    ] + [(f"{CAPACITY_PREFIX}{k}", str(v)) for k, v in sorted(schema.capacities.items())]


def build_workbook(schema: Schema | None = None, projects: int = 1) -> Workbook:
    schema = schema or load_schema()
    wb = Workbook()
    wb.remove(wb.active)
    for spec in schema.sheets:
        if isinstance(spec, FormSpec) and spec.repeat:
            for n in range(1, projects + 1):
                add_sheet(wb, schema, spec, spec.sheet_name(n))
        else:
            add_sheet(wb, schema, spec)
    _codes_sheet(wb)
    ws = wb.create_sheet(META_SHEET)
    for k, v in meta_rows(schema):
        ws.append([k, v])
    ws.sheet_state = "veryHidden"
    wb.active = 0
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """The saved workbook with fixed document properties (times fixed again by write_normalized_zip)."""
    wb.properties.creator = "bdt"
    wb.properties.lastModifiedBy = "bdt"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def save_deterministic(wb: Workbook, path: str | os.PathLike) -> Path:
    """Save with fixed document times and zip timestamps, atomically, so equal content gives equal bytes."""
    return write_normalized_zip(workbook_bytes(wb), path)


_CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def write_normalized_zip(data: bytes, path: str | os.PathLike) -> Path:
    path = Path(path)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = _CORE_MODIFIED.sub(b"\\g<1>2023-01-01T00:00:00Z\\g<2>", payload)
            dst.writestr(zi, payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as fh:
        fh.write(out.getvalue())
    return path


def build_template(path: str | os.PathLike, schema: Schema | None = None) -> Path:
    return save_deterministic(build_workbook(schema), path)
