"""Read a filled workbook into a `Disclosure` — fast (python-calamine) and tolerant, never half-read.

Before any value is read the workbook must prove it is this template: the hidden `_meta` sheet
names the same template and schema versions, every sheet of the schema is there under its name,
and the fixed labels (table headers, row names) stand where the schema puts them. Anything else
is refused with a `WorkbookError` whose message names the sheet and cell.
"""
from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path

from ..findings import Finding
from ..layout import CAPACITY_PREFIX, META_SHEET, a1, column_letter, layout
from ..model import Disclosure, Entry, paused_gc, precisions
from ..schema import LABEL, FormSpec, Schema, SchemaError, TableSpec, load_schema
from .normalize import guard_number, guard_text, normalize_number, normalize_text
from .safety import UnsafeFile, check_file, formula_findings


class WorkbookError(Exception):
    """The file cannot be read as a disclosure workbook of this template. The message is Chinese."""

    def __init__(self, message: str, path=None):
        super().__init__(message)
        self.message = message
        self.path = path


def _grid(rows: list) -> callable:
    def value(r: int, c: int):
        if r - 1 < len(rows):
            row = rows[r - 1]
            if c - 1 < len(row):
                return row[c - 1]
        return None

    return value


def _same_label(expected: str, actual) -> bool:
    if actual is None or actual == "":
        return not expected
    return "".join(str(actual).split()) == "".join(expected.split())


def _open(path: Path):
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - exercised where calamine is not installed (xlwings Lite)
        return _OpenpyxlBook(path)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise WorkbookError(f"无法读取文件「{path.name}」：不是有效的 Excel 工作簿（{type(exc).__name__}: {exc}）。", path) from None


class _OpenpyxlBook:
    """The same two calls as CalamineWorkbook, on openpyxl (pure Python fallback)."""

    def __init__(self, path: Path):
        import openpyxl

        try:
            self._wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise WorkbookError(f"无法读取文件「{path.name}」：不是有效的 Excel 工作簿（{exc}）。", path) from None
        self.sheet_names = self._wb.sheetnames

    def get_sheet_by_name(self, name):
        ws = self._wb[name]

        class _S:
            @staticmethod
            def to_python(skip_empty_area=False):
                return [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]

        return _S


def _read_meta(book, path: Path) -> dict:
    if META_SHEET not in book.sheet_names:
        raise WorkbookError(
            f"「{path.name}」不是本工具的预算公开模板（缺少隐藏工作表「{META_SHEET}」）。"
            "请用 bdt template build 生成的模板填写，或从模板复制数据。",
            path,
        )
    rows = _sheet_rows(book, META_SHEET, path)
    meta = {str(r[0]).strip(): str(r[1]).strip() for r in rows if len(r) >= 2 and r[0] not in ("", None)}
    meta["_rows"] = {str(r[0]).strip(): i for i, r in enumerate(rows, start=1) if r and r[0] not in ("", None)}
    return meta


def schema_for(meta: dict, path: Path) -> Schema:
    """The schema a workbook says it was built with (_meta schema_id), when no schema was chosen:
    a bundled one by its name; a workbook without the record (or of a bureau's own schema) is read
    with the default ($BDT_SCHEMA or the bundled 13-table schema)."""
    from ..schema import ALIASES, BUNDLED

    sid = meta.get("schema_id") or ""
    sid = ALIASES.get(sid, sid)
    return load_schema(sid) if sid in BUNDLED else load_schema()


def _check_meta(book, schema: Schema, path: Path, meta: dict | None = None) -> dict:
    if meta is None:
        meta = _read_meta(book, path)
    sid = meta.get("schema_id") or ""
    if sid and schema.id and sid != schema.id:
        name = meta.get("schema_name") or sid
        raise WorkbookError(
            f"「{path.name}」是用结构「{sid}」（{name}）生成的，而本次使用的结构是「{schema.id}」（{schema.name}）："
            "两者的表格不同，不能按本结构读取。"
            f"请去掉 --schema（工作簿会按它记录的结构读取），或改用 --schema {sid}。",
            path,
        )
    tv, sv = meta.get("template_version"), meta.get("schema_version")
    if tv != schema.template_version or sv != schema.schema_version:
        raise WorkbookError(
            f"「{path.name}」的模板版本为 {tv or '未知'}（结构版本 {sv or '未知'}），"
            f"本工具需要模板版本 {schema.template_version}（结构版本 {schema.schema_version}）。"
            "请将数据复制到新版模板后再处理。",
            path,
        )
    return meta


OPTIONAL_RULE = "F122"  # an optional table left out of the workbook (documented in rules/entry.py)


def _sheet_plan(book, schema: Schema, path: Path, left_out: list | None = None) -> dict:
    """Map instance keys to sheet names; refuse when a required sheet is missing. An optional
    sheet (schema `optional: true`) that is missing is appended to `left_out`."""
    names = list(book.sheet_names)
    plan = {}
    missing = []
    for spec in schema.sheets:
        if isinstance(spec, FormSpec) and spec.repeat:
            found = sorted(
                ((int(m.group(1)), n) for n in names if (m := spec.sheet_pattern.match(n))),
                key=lambda t: t[0],
            )
            for k, (_, name) in enumerate(found, start=1):
                plan[f"{spec.key}#{k}"] = name
            continue
        if spec.sheet in names:
            plan[spec.key] = spec.sheet
        elif spec.optional:
            if left_out is not None:
                left_out.append(spec)
        else:
            missing.append(spec.sheet)
    if missing:
        listed = "、".join(f"「{m}」" for m in missing)
        raise WorkbookError(
            f"「{path.name}」缺少工作表 {listed}（可能被删除或改名）。"
            f"工作簿中现有：{'、'.join(n for n in names if not n.startswith('_'))}。"
            "请恢复原工作表名称后再处理。",
            path,
        )
    return plan


SHEET_RULE = "F119"  # a sheet the template does not have (documented in rules/entry.py)
_COPY = re.compile(r"^(?P<base>.+?)\s*[(（]\s*\d+\s*[)）]$")
# sheets the toolkit itself adds (annotate.FINDINGS_SHEET, the 校验 button's list): not the clerk's
TOOLKIT_SHEETS = frozenset({"校验结果"})


def sheet_findings(book, schema: Schema, plan: dict) -> list:
    """Sheets the reader does not read, reported: a copy of a template sheet (Excel names a copied
    「项目绩效1」「项目绩效1 (2)」) is an error, as its content is not read; any other sheet of the
    clerk's own (not hidden helper sheets starting with "_") is noted."""
    read = set(plan.values())
    known = {spec.sheet for spec in schema.sheets if not (isinstance(spec, FormSpec) and spec.repeat)}
    repeat = [spec for spec in schema.sheets if isinstance(spec, FormSpec) and spec.repeat]
    out = []
    for name in book.sheet_names:
        if name in read or name.startswith("_") or name in TOOLKIT_SHEETS:
            continue
        m = _COPY.match(name)
        base = m.group("base").strip() if m else None
        if base and (base in known or base in read or any(spec.sheet_pattern.match(base) for spec in repeat)):
            hint = ""
            if any(spec.sheet_pattern.match(base) for spec in repeat):
                hint = "新增项目请把工作表改名为下一个序号（如「项目绩效2」），"
            out.append(Finding(SHEET_RULE, "error", name, None,
                               f"工作表「{name}」像是「{base}」的副本，不是模板中的工作表，其中内容不会被读取、校验或公开。"
                               f"{hint}或删除该副本。", None, name))
        else:
            out.append(Finding(SHEET_RULE, "info", name, None,
                               f"工作表「{name}」不是模板中的工作表，其中内容不会被读取或公开。", None, name))
    return out


def _check_structure(spec, sheet: str, value, path: Path) -> None:
    lay = layout(spec)
    wrong = []
    for p in lay.label_cells:
        if isinstance(spec, TableSpec) and p.row < lay.header_rows[0]:
            continue  # 预算公开表N and the unit line are not structure
        if isinstance(spec, FormSpec) and p.spec.style == "title":
            continue
        actual = value(p.row, p.col)
        if p.spec.optional and actual in (None, ""):
            continue  # a label added to the template later (schema `optional: true`): older workbooks lack it
        if not _same_label(p.spec.text, actual):
            wrong.append((p, actual))
    if wrong:
        p, actual = wrong[0]
        more = f"（另有 {len(wrong) - 1} 处不符）" if len(wrong) > 1 else ""
        raise WorkbookError(
            f"工作表「{sheet}」的结构与模板不符：{p.address} 应为「{p.spec.text}」，实际为「{actual or ''}」{more}。"
            "可能插入或删除了行、列，或改动了表头。请在模板原有的行内填写。",
            path,
        )


OUTSIDE_RULE = "F116"  # data outside a table's or form's area (documented in rules/entry.py)
MAX_OUTSIDE_FINDINGS = 20  # per sheet; the last one says how many more


def _clip(v, n: int = 40) -> str:
    text = str(int(v)) if isinstance(v, float) and v.is_integer() and abs(v) < 1e15 else str(v)
    return text if len(text) <= n else text[:n] + "…"


def _blank(v) -> bool:
    return v is None or v == "" or (isinstance(v, str) and not v.strip())


def check_area(spec, sheet: str, rows: list, path: Path) -> list:
    """Data where the template has no cell: refused when it means rows were shifted, else reported.

    A table's last row is its note (one cell merged across the table). Anything in the other
    columns of that row means block rows were pushed down onto it (a row inserted into a block
    that was full): reading on would lose the pushed row and fill would blank it, so the
    workbook is refused, naming the cells. Any other value outside the cells the template
    defines (below or right of the area, in a cell the template leaves empty) is never read, so
    it is reported (F116, error) naming each cell."""
    lay = layout(spec)
    if isinstance(spec, TableSpec):
        note = lay.get("_note")
        row = rows[note.row - 1] if note.row - 1 < len(rows) else []
        pushed = [f"{a1(note.row, c)}「{_clip(v)}」" for c, v in enumerate(row, start=1) if c > 1 and not _blank(v)]
        if pushed and row and not _blank(row[0]):
            pushed.insert(0, f"{a1(note.row, 1)}「{_clip(row[0])}」")
        below = [r for r in range(note.row + 1, len(rows) + 1) if any(not _blank(v) for v in rows[r - 1])]
        if pushed:
            more = f"，其下还有 {len(below)} 行有数据" if below else ""
            raise WorkbookError(
                f"工作表「{sheet}」第 {note.row} 行是表注行，但 {'、'.join(pushed[:6])} 有数据{more}："
                "明细行可能被插入的空行挤出了表格（表格已填满时插入行，最后一行会落到表注行）。"
                "为避免漏读数据，未处理该工作簿。请删除插入的空行；行数不够时用 bdt template build --capacity 生成更大的模板。",
                path,
            )
    out = []
    count = 0
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if _blank(v) or lay.spec_at(r, c) is not None:  # a cell the template places
                continue
            count += 1
            if count <= MAX_OUTSIDE_FINDINGS:
                where = "表格区域之外" if r > lay.last_row or c > lay.ncols else "模板未设填写格的位置"
                shown = _clip(v)
                out.append(Finding(OUTSIDE_RULE, "error", sheet, a1(r, c),
                                   f"「{sheet}」{a1(r, c)} 在{where}，填有「{shown}」，该内容不会被读取、校验或公开。"
                                   "请移到表内对应的格中，或删除。", None, shown))
    if count > MAX_OUTSIDE_FINDINGS:
        out[-1] = Finding(OUTSIDE_RULE, "error", out[-1].sheet, out[-1].cell,
                          out[-1].message + f"（本表共 {count} 个这样的格，只列出前 {MAX_OUTSIDE_FINDINGS} 个）",
                          None, out[-1].actual)
    return out


def check_note_merge(spec, sheet: str, merges, path: Path) -> None:
    """A table's note row is one cell merged across the table, at a fixed row. Found merged at
    another row (Excel moves the merge with the rows), rows were deleted from or inserted into
    the block above it: the sheet's rows no longer match the template's cells (a note read as a
    detail row, a detail row read as the note) — refused, naming both rows. `merges`: ((row0, col0), (row1, col1)) 0-based, or None
    when the reader cannot tell (then nothing is checked)."""
    if not merges or not isinstance(spec, TableSpec):
        return
    note = layout(spec).get("_note")
    if note is None:
        return
    want = note.row - 1  # 0-based
    full = [(r0, c1) for (r0, c0), (r1, c1) in merges if c0 == 0 and r0 == r1 and c1 > 0]
    if not full or any(r0 == want for r0, _ in full):
        return
    lay = layout(spec)
    width = max(c1 for r0, c1 in full)
    body = lay.header_rows[-1] if lay.header_rows else 0  # 0-based index of the first row below the header
    moved = sorted((r0 for r0, c1 in full if c1 == width and r0 >= body), key=lambda r: abs(r - want))
    if not moved:  # the note merely unmerged (or never merged by the producer): no shift to tell
        return
    at = moved[0] + 1
    k = abs(note.row - at)
    what = f"删除了 {k} 行" if at < note.row else f"插入了 {k} 行"
    fix = (f"请撤销删除，或在第 {at} 行（表注行）上方插入 {k} 行空行恢复原有行数" if at < note.row
           else f"请删除插入的 {k} 行（表注行上方的空行）")
    raise WorkbookError(
        f"工作表「{sheet}」的表注行应在第 {note.row} 行，现在在第 {at} 行：表格中可能{what}，"
        f"表格的行与模板的格已不对应。为避免错读或漏读数据，未处理该工作簿。{fix}；"
        "行数不够时用 bdt template build --capacity 生成更大的模板。",
        path,
    )


def _places(fmt: str) -> int:
    return len(fmt.split(".")[1].rstrip("\"%")) if "." in fmt else 0


def _to_places(value, t):
    """Show a number with its type's decimals (150 -> 150.00 万元) unless that would change it."""
    q = Decimal(1).scaleb(-_places(t.format))
    return value.quantize(q) if value == value.quantize(q) else value


def _sized(schema: Schema, meta: dict, path: Path) -> Schema:
    """The schema with the block capacities this workbook was built with (recorded in _meta)."""
    caps = {k[len(CAPACITY_PREFIX):]: v for k, v in meta.items() if k.startswith(CAPACITY_PREFIX)}
    if not caps:
        return schema
    try:
        return schema.with_capacities(caps)
    except SchemaError as exc:
        raise WorkbookError(f"「{path.name}」隐藏工作表「{META_SHEET}」中的行数记录无效：{exc}", path) from None


def read_workbook(path, schema: Schema | None = None) -> Disclosure:
    """Read `path` (xlsx/xlsm) into a Disclosure, or raise WorkbookError with a clear message."""
    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"找不到文件「{path}」。", path)
    try:  # encrypted, old .xls, truncated, zip or XML bombs: refused before calamine opens the file
        package = check_file(path)
    except UnsafeFile as exc:
        raise WorkbookError(exc.message, path) from None
    if path.suffix.lower() == ".xls":
        raise WorkbookError(f"「{path.name}」是旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后再处理。", path)
    if not zipfile.is_zipfile(path):
        raise WorkbookError(f"「{path.name}」不是有效的 .xlsx 文件（可能已损坏、被加密或不是 Excel 文件）。", path)
    stat = path.stat()
    book = _open(path)
    d = read_book(book, schema, path)
    d.source_stat = (stat.st_size, stat.st_mtime_ns)  # fill refuses to write over a file changed since
    _keep_flagged_rows(d, package.problems)
    d.findings.extend(formula_findings(d, package))  # formulas saved without a result read as blank
    return d


_ROW = re.compile(r"[A-Z]+(\d+)$")


def _keep_flagged_rows(d: Disclosure, problems: dict) -> None:
    """Cells calamine reads as blank although they hold something (a formula saved without its
    result, an error value: io.safety) below a block's last row with data: the block's entries are
    extended down to them, so that formula_findings names them (F114) like any other cell."""
    for inst, name in d.sheet_names.items():
        cells = problems.get(name)
        if not cells:
            continue
        lay = layout(d.spec(inst))
        for a in cells:
            m = _ROW.match(a)
            block = lay.block_at(int(m.group(1))) if m else None
            if block is not None:
                d.keep_rows(inst, block.key, int(m.group(1)) - block.first + 1)


def _sheet_rows(book, name: str, path: Path, merges: dict | None = None) -> list:
    """A sheet's cells as rows; a part calamine rejects is the file's fault (WorkbookError).
    `merges[name]` gets the sheet's merged ranges where the reader knows them (calamine), else None."""
    try:
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        if merges is not None:
            try:
                merges[name] = getattr(sheet, "merged_cell_ranges", None)
            except Exception:  # a reader without merges for this format: the check is skipped
                merges[name] = None
        return rows
    except WorkbookError:
        raise
    except Exception as exc:  # CalamineError: a bad shared-string index, a malformed cell…
        raise WorkbookError(
            f"「{path.name}」的工作表「{name}」已损坏，无法读取（{_reason(exc)}）。"
            "请在 Excel 中打开该文件，另存为新的 .xlsx 后再提交。", path) from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def read_book(book, schema: Schema | None = None, path=None) -> Disclosure:
    """Read an open workbook: anything with `.sheet_names` and `.get_sheet_by_name(n).to_python()`.

    Files come through python-calamine (read_workbook); a live Excel workbook through the
    xlwings adapter in toolkit.xlbook — the same checks and the same model either way.
    """
    with paused_gc():  # tens of thousands of acyclic entries: the cycle collector would rescan them all
        return _read_book(book, schema, path)


def block_extent(block, rows: list) -> int:
    """Rows of a table block from its first to its last row with anything in a value column (0: none).
    `rows`: the sheet as read (calamine stops at the last row and column with data)."""
    cols = [c - 1 for c, _, spec in block.columns if spec.role != LABEL]
    last = min(block.capacity, len(rows) - block.first + 1)
    for i in range(last, 0, -1):
        row = rows[block.first + i - 2]
        if any(c < len(row) and row[c] is not None and row[c] != "" for c in cols):
            return i
    return 0


def _cells_to_read(lay, rows: list, inst: str, extents: dict):
    """The value cells the reader makes entries for, in sheet order, as (row key, column key, sheet
    row, sheet column, CellSpec, block key, index, A1 address): every cell outside table blocks,
    and of each table block its rows down to the last one with data (blank rows among them too,
    so that a blank cell in the used area is an entry to name and to fill). The capacity rows below
    cost nothing: `Disclosure.entry` makes their (blank) entries when asked (`d.extents`). Block
    cells are listed from the block's columns, not made as layout cells (thousands per sheet)."""
    for p in lay.fixed_value_cells:
        yield p.row_key, p.col_key, p.row, p.col, p.spec, p.block, p.index, p.address
    for key, block in lay.table_blocks.items():
        n = extents[(inst, key)] = block_extent(block, rows)
        cols = [(c, ck, spec, column_letter(c)) for c, ck, spec in block.columns if spec.role != LABEL]
        for i in range(1, n + 1):
            rk, r = f"{key}#{i}", block.first + i - 1
            for c, ck, spec, letter in cols:
                yield rk, ck, r, c, spec, key, i, f"{letter}{r}"


def _read_book(book, schema: Schema | None = None, path=None) -> Disclosure:
    path = Path(path) if path is not None else Path("workbook.xlsx")
    meta = _read_meta(book, path)
    schema = schema or schema_for(meta, path)
    _check_meta(book, schema, path, meta)
    schema = _sized(schema, meta, path)
    left_out: list = []
    plan = _sheet_plan(book, schema, path, left_out)
    grids = {}
    findings: list[Finding] = sheet_findings(book, schema, plan)
    for spec in left_out:
        what = f"表{spec.number}「{spec.title.replace('{year}', '')}」" if isinstance(spec, TableSpec) else f"「{spec.sheet}」"
        findings.append(Finding(OPTIONAL_RULE, "info", spec.sheet, None,
                                f"工作簿中没有可选的工作表「{spec.sheet}」：本部门不公开{what}，"
                                "需要该表的规则未运行，导出时不含该表。", None, None))
    for inst, name in plan.items():
        spec = schema.sheet(inst.split("#")[0])
        merges: dict = {}
        rows = _sheet_rows(book, name, path, merges)
        grids[inst] = rows
        _check_structure(spec, name, _grid(rows), path)
        check_note_merge(spec, name, merges.get(name), path)
        findings.extend(check_area(spec, name, rows, path))

    entries = {}
    extents = {}
    prec = precisions(schema)
    for inst, name in plan.items():
        spec = schema.sheet(inst.split("#")[0])
        rows = grids[inst]
        nrows = len(rows)
        data = {}
        lay = layout(spec)
        for rk, ck, row, col, spec, block, index, cell in _cells_to_read(lay, rows, inst, extents):
            r, c = row - 1, col - 1
            raw = rows[r][c] if r < nrows and c < len(rows[r]) else None
            if raw is None or raw == "":  # an empty cell (most of a block's unused capacity): no value, no finding
                data[(rk, ck)] = Entry(None, None, name, cell, spec, spec.role, block, index,
                                       precision=prec.get(spec.type))
                continue
            t = schema.types.get(spec.type)
            if spec.type == "label":
                val, fs = normalize_text(raw, name, cell)
                fs = []  # derived labels (titles) are rewritten by fill; whitespace there is not the clerk's
            elif t is not None and t.numeric:
                val, fs = normalize_number(raw, name, cell, percent=spec.type == "percent")
                val, bad = guard_number(val, t, name, cell)
                fs = fs + bad
                if val is not None:
                    val = _to_places(val, t)
            else:
                val, fs = normalize_text(raw, name, cell, code=spec.type == "code")
                fs = fs + guard_text(val, t, name, cell)
            if fs:
                findings.extend(fs)
            data[(rk, ck)] = Entry(val, raw, name, cell, spec, spec.role, block, index,
                                   precision=prec.get(spec.type))
        entries[inst] = data
    d = Disclosure(schema, path, plan, entries, findings)
    d.extents = extents
    d.meta = meta
    d.apply_block_roles()
    return d


