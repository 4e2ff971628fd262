"""The Excel front end: what the 校验 / 填充 / 导出 buttons run (through xlwings).

Each entry point takes the calling workbook (`xw.Book.caller()`), reads every sheet it needs in
one whole-range read, runs the same core as the command line, and writes back in a few batched
writes: one colour matrix per marked sheet, one block of values per run of derived cells, one
findings sheet. The number of calls to Excel grows with the number of sheets, not of cells.

The module imports only pure-Python dependencies at top level, so the same functions run in
xlwings Lite (Python inside the Excel add-in, no macros) — there `book` is passed in explicitly.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal

from .findings import FINDINGS_HEADER, MARK_RGB, SEVERITY_ZH, cell_marks, summary, summary_line
from .layout import layout
from .schema import DERIVED, INPUT, load_schema
from .colors import DERIVED_RGB, EDITABLE_RGB, INPUT_RGB, cell_rgb
from .layout import META_SHEET

FINDINGS_SHEET = "校验结果"
MARK = {sev: "#" + rgb for sev, rgb in MARK_RGB.items()}
HEADER = FINDINGS_HEADER


ROLE_COLOR = {INPUT: "#" + INPUT_RGB, DERIVED: "#" + DERIVED_RGB, "editable": "#" + EDITABLE_RGB}


# ---------------------------------------------------------------------------- reading


class _SheetGrid:
    def __init__(self, rows):
        self._rows = rows

    def to_python(self, skip_empty_area=False):
        return self._rows


class BookAdapter:
    """A live xlwings Book seen through the two calls the reader needs; one range read per sheet."""

    def __init__(self, book):
        self.book = book
        self.sheet_names = [s.name for s in book.sheets]
        self._cache = {}

    def sheet(self, name):
        return self.book.sheets[name]

    def get_sheet_by_name(self, name):
        if name not in self._cache:
            sheet = self.book.sheets[name]
            used = sheet.used_range
            last = used.last_cell
            rows = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value or []
            self._cache[name] = _SheetGrid([["" if v is None else v for v in row] for row in rows])
        return self._cache[name]


def read(book, schema=None):
    """The Disclosure of a live workbook (same checks and model as for files)."""
    from .io.reader import read_book

    return read_book(BookAdapter(book), schema or load_schema(), book.name)



def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _alert(book, text: str, title: str = "预算公开工具") -> None:
    try:
        book.app.alert(text, title=title)
    except Exception:  # engines without dialogs (or tests without an app): the sheet says it too
        pass


def _error(book, exc) -> str:
    """Tell the clerk in Chinese what went wrong (never a traceback) and return the message."""
    from .io.reader import WorkbookError

    if isinstance(exc, (WorkbookError, ProtectionError)):
        msg = exc.message
    else:
        msg = (f"程序出错，本次操作未完成（{type(exc).__name__}：{exc}）。\n"
               f"请点「检查环境」核对安装；仍不能解决时把本提示截图发给财政局。说明见 {DOC}。")
    _alert(book, msg, "无法处理本工作簿")
    return msg


DOC = "docs/excel.md 第六节「常见提示」"


# ---------------------------------------------------------------------------- protection


class ProtectionError(Exception):
    """A sheet's protection could not be lifted or restored; `message` is for the clerk."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


_ALLOW = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows")


class _WinProtection:
    """Protection through Excel's object model (Windows COM via pywin32: `sheet.api`).

    Excel refuses a write into a locked cell of a protected sheet, so the sheets a button writes
    are unprotected for the write and protected again afterwards with the options they had
    (contents, drawing objects, scenarios, the formatting the clerk may do)."""

    def __init__(self, api):
        self.api = api

    def protected(self) -> bool:
        return bool(self.api.ProtectContents)

    def lift(self):
        api = self.api
        state = {"DrawingObjects": bool(api.ProtectDrawingObjects), "Contents": True,
                 "Scenarios": bool(api.ProtectScenarios)}
        for k in _ALLOW:
            state[k] = bool(getattr(api.Protection, k))
        api.Unprotect()
        return state

    def restore(self, state) -> None:
        self.api.Protect(**state)


class _MacroProtection:
    """macOS: AppleScript writes into locked cells fail silently and its protect command takes
    other names, so protection is lifted and restored by the VBA helpers of bdt_buttons.bas
    (`BdtLiftProtection` / `BdtRestoreProtection`), called through `Book.macro`."""

    def __init__(self, book, name):
        self.book, self.name = book, name

    def protected(self) -> bool:
        return bool(self.book.macro("BdtIsProtected")(self.name))

    def lift(self):
        return self.book.macro("BdtLiftProtection")(self.name)

    def restore(self, state) -> None:
        self.book.macro("BdtRestoreProtection")(self.name, state)


def _protection(book, sheet):
    """The protection handle of a live sheet, or None for engines that have no protection to lift
    (xlwings' remote engine and xlwings Lite: they record or batch values, see docs/excel.md)."""
    module = type(getattr(sheet, "impl", None)).__module__ or ""
    if module.endswith("_xlmac"):
        return _MacroProtection(book, sheet.name)
    try:
        api = sheet.api
    except Exception:
        return None
    if hasattr(api, "Unprotect") and hasattr(api, "Protect"):
        return _WinProtection(api)
    return None


class _Unprotected:
    """`with _Unprotected(book, names):` — the named sheets writable inside, protected as before
    after it, also when a write fails. A sheet that cannot be protected again is reported to the
    clerk (by name) rather than left open silently."""

    def __init__(self, book, names):
        self.book, self.names = book, list(dict.fromkeys(names))
        self.lifted: list = []

    def __enter__(self):
        sheets = {s.name: s for s in self.book.sheets}
        for name in self.names:
            if name not in sheets:
                continue
            handle = _protection(self.book, sheets[name])
            if handle is None or not handle.protected():
                continue
            try:
                state = handle.lift()
            except Exception as exc:
                self.__exit__(None, None, None)
                raise ProtectionError(f"无法解除工作表「{name}」的保护（{exc}）：本次未写入任何内容。"
                                      f"若该表被设置了密码，请用财政局下发的原版模板；说明见 {DOC}。") from exc
            self.lifted.append((name, handle, state))
        return self

    def __exit__(self, *exc_info):
        failed = []
        while self.lifted:
            name, handle, state = self.lifted.pop()
            try:
                handle.restore(state)
            except Exception:
                failed.append(name)
        if failed:
            msg = ("未能恢复以下工作表的保护：" + "、".join(f"「{n}」" for n in failed) +
                   "。请在 Excel「审阅 → 保护工作表」中重新保护（不设密码），以免灰色格被误改。")
            if exc_info[0] is None:
                raise ProtectionError(msg)
            _alert(self.book, msg, "工作表保护")
        return False


# ---------------------------------------------------------------------------- validate


def _cell_colors(d) -> dict:
    """(sheet name, A1) -> the template colour of that cell (what clearing a mark restores)."""
    out = {}
    for inst, name in d.sheet_names.items():
        spec = d.spec(inst)
        for p in layout(spec).cells:
            rgb = cell_rgb(p.spec)
            out[(name, p.address)] = None if rgb is None else "#" + rgb
    return out


def _previous_marks(adapter) -> list[tuple[str, str]]:
    if FINDINGS_SHEET not in adapter.sheet_names:
        return []
    rows = adapter.get_sheet_by_name(FINDINGS_SHEET).to_python()
    marks = []
    for r in rows[2:]:
        if len(r) >= 4 and r[2] and r[3]:
            cell = str(r[3])
            if cell.startswith("=HYPERLINK"):
                cell = cell.rsplit(",", 1)[-1].strip(' ")')
            marks.append((str(r[2]), cell))
    return marks


def _paint(book, by_sheet: dict) -> int:
    """One setRangeColors per sheet: a matrix over the marked area, 'keep' (Ellipsis) elsewhere."""
    from .findings import cell_order

    actions = 0
    for sheet_name, cells in by_sheet.items():
        if sheet_name not in [s.name for s in book.sheets]:
            continue
        coords = {cell_order(c): color for c, color in cells.items()}
        rows = [r for r, _ in coords]
        cols = [c for _, c in coords]
        r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
        matrix = [[coords.get((r, c), ...) for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]
        rng = book.sheets[sheet_name].range((r0, c0), (r1, c1))
        if hasattr(rng, "set_colors"):
            rng.set_colors(matrix)
        else:  # desktop engines: colour cell by cell is what COM offers; keep it to marked cells
            for (r, c), color in coords.items():
                book.sheets[sheet_name].range((r, c)).color = color
        actions += 1
    return actions


def _findings_rows(findings) -> list[list]:
    rows = []
    for f in findings:
        link = f'=HYPERLINK("#\'{f.sheet}\'!{f.cell}","{f.cell}")' if f.cell else ""
        message = f.message.split("：", 1)[1] if f.message.startswith("「") and "：" in f.message else f.message
        rows.append([SEVERITY_ZH[f.severity], f.rule, f.sheet, link, message,
                     _plain(f.expected), _plain(f.actual)])
    return rows


def _plain(v):
    if isinstance(v, Decimal):
        return float(v) if v == v.quantize(Decimal("0.01")) else str(v)
    return v


def validate(book=None) -> dict:
    """校验: mark every finding's cell, clear the previous marks, list all findings on 校验结果."""
    return _entry(_validate, book)


def _validate(book) -> dict:
    from .rules import validate as run_rules

    adapter, d = _open_book(book)
    findings = run_rules(d)
    colors = _cell_colors(d)
    paint: dict = {}
    for sheet, cell in _previous_marks(adapter):
        paint.setdefault(sheet, {})[cell] = colors.get((sheet, cell))
    for (sheet, cell), sev in cell_marks(findings).items():
        paint.setdefault(sheet, {})[cell] = MARK[sev]

    counts = summary(findings)
    line = summary_line(findings, _dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    touched = list(paint) + [FINDINGS_SHEET]
    with _Unprotected(book, touched):
        _paint(book, paint)
        names = [s.name for s in book.sheets]
        if FINDINGS_SHEET in names:
            sheet = book.sheets[FINDINGS_SHEET]
            sheet.clear_contents()
        else:
            sheet = book.sheets.add(name=FINDINGS_SHEET, after=book.sheets[len(names) - 1])
        values = [[line] + [None] * (len(HEADER) - 1), HEADER] + _findings_rows(findings)
        sheet.range((1, 1), (len(values), len(HEADER))).value = values
    _alert(book, line, "校验结果")
    return {"summary": counts, "findings": len(findings), "line": line, "unprotected": sorted(touched)}


def _read_adapter(adapter, book):
    from .io.reader import read_book

    return read_book(adapter, load_schema(), book.name)


def _open_book(book):
    """(adapter, disclosure) of the live workbook; a WorkbookError (Chinese, naming sheet and cell) otherwise."""
    adapter = BookAdapter(book)
    return adapter, _read_adapter(adapter, book)


def _entry(func, book, *args, **kw) -> dict:
    """Run one button's work; any failure ends in one Chinese message box and {"error": message}."""
    try:
        book = _caller(book)
    except Exception as exc:  # not started from a workbook's button (or xlwings cannot reach Excel)
        msg = (f"找不到调用本程序的工作簿（{type(exc).__name__}：{exc}）。请在 Excel 中点击工作簿上的按钮运行，"
               f"不要直接运行 Python；说明见 {DOC}。")
        return {"error": msg}
    try:
        return func(book, *args, **kw)
    except Exception as exc:
        return {"error": _error(book, exc)}


# ---------------------------------------------------------------------------- fill


def _runs(cells: dict) -> list[tuple[int, int, int, int, list]]:
    """Cover {(row, col): value} with rectangles made only of these cells: (r0, c0, r1, c1, values).

    Row-wise runs first, then runs with the same column span in consecutive rows are stacked,
    so a table's derived columns become a few blocks however many rows the department has.
    """
    by_row: dict = {}
    for (r, c), v in cells.items():
        by_row.setdefault(r, []).append(c)
    spans = []
    for r in sorted(by_row):
        cols = sorted(by_row[r])
        start = prev = cols[0]
        for c in cols[1:] + [None]:
            if c is not None and c == prev + 1:
                prev = c
                continue
            spans.append((r, start, prev))
            if c is not None:
                start = prev = c
    rects = []  # [r0, c0, r1, c1]
    open_by_cols: dict = {}
    for r, c0, c1 in spans:
        rect = open_by_cols.get((c0, c1))
        if rect is not None and rect[2] == r - 1:
            rect[2] = r
        else:
            rect = [r, c0, r, c1]
            rects.append(rect)
            open_by_cols[(c0, c1)] = rect
    return [(r0, c0, r1, c1, [[_xl(cells[(r, c)]) for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)])
            for r0, c0, r1, c1 in rects]


def _xl(v):
    if isinstance(v, Decimal):
        return float(v)  # Excel stores doubles; the two decimals survive exactly as in a typed cell
    return v


def fill(book=None) -> dict:
    """填充: write every derived cell (only those), in one block per run of derived cells."""
    return _entry(_fill, book)


def _fill(book) -> dict:
    from .fill import compute, meta_changes
    from .findings import cell_order

    _, d = _open_book(book)
    plan = compute(d)
    changed_sheets = {d.entry(*k).sheet for k in plan.changes}
    by_sheet: dict = {}
    for (inst, row, col), value in plan.values.items():
        e = d.entry(inst, row, col)
        if e.sheet in changed_sheets:
            by_sheet.setdefault(e.sheet, {})[cell_order(e.cell)] = value
    # derived cells of unused block rows are blank: writing them keeps the blocks contiguous
    for inst, name in d.sheet_names.items():
        if name not in changed_sheets:
            continue
        used = {r.key for b in d.spec(inst).blocks for r in d.rows(inst, b.key)}
        for p in layout(d.spec(inst)).value_cells:
            if p.block and p.row_key not in used and p.spec.role == DERIVED and not p.spec.editable:
                by_sheet[name].setdefault(cell_order(p.address), None)
    meta = meta_changes(d, plan.fingerprints)
    if meta:
        by_sheet[META_SHEET] = {cell_order(k): v for k, v in meta.items()}
    writes = 0
    with _Unprotected(book, by_sheet):
        for sheet_name, cells in by_sheet.items():
            sheet = book.sheets[sheet_name]
            for r0, c0, r1, c1, values in _runs(cells):
                sheet.range((r0, c0), (r1, c1)).value = values
                writes += 1
    kept = len(plan.kept)
    line = f"填充完成：更新 {len(plan.changes)} 个派生格" + (f"，保留单位自行撰写的 {kept} 段情况说明" if kept else "") + "。"
    _alert(book, line, "填充")
    return {"changed": len(plan.changes), "writes": writes, "kept": kept, "line": line, "unprotected": sorted(by_sheet)}


# ---------------------------------------------------------------------------- export


def export(book=None, formats: str = "pdf,docx,data", confirm=None) -> dict:
    """导出: save the workbook, validate what will be published, ask before a draft, write the files.

    The files are made from the saved workbook on disk, so a workbook that cannot be saved is not
    exported (the clerk is told why). When the filled workbook still has error findings the clerk
    chooses: 是 = 导出草稿 (every page marked 草稿·未通过校验), 否 = 取消. `confirm(text) -> bool`
    replaces that question (tests, xlwings Lite); an engine that cannot ask exports nothing.
    """
    return _entry(_export, book, formats, confirm)


DRAFT_QUESTION = ("工作簿仍有 {n} 个“错误”级问题（{codes}），按现状公开会把错误发布出去。\n\n"
                  "点“是”：导出草稿，每页标注“草稿·未通过校验”，不得作为正式公开文件；\n"
                  "点“否”：取消导出，先点「校验」查看并改正。")


def _ask_draft(book, text: str) -> bool:
    try:
        answer = book.app.alert(text, title="导出草稿？", buttons="yes_no")
    except Exception:  # no dialog on this engine: never publish a draft unasked
        return False
    return answer == "yes"


def _export(book, formats, confirm) -> dict:
    from pathlib import Path

    from .export import ExportRefused
    from .export import export as run_export

    try:
        book.save()
    except Exception as exc:
        msg = (f"无法保存工作簿（{type(exc).__name__}：{exc}），未导出。导出使用保存在磁盘上的文件："
               "请关闭只读、确认文件夹可写，或用“另存为”保存为 .xlsm 后再点「导出」。")
        _alert(book, msg, "导出")
        return {"error": msg}
    src = Path(book.fullname)
    if not src.is_file():
        msg = "工作簿还没有保存到本机磁盘（导出需要磁盘上的文件）：请先“另存为”到本机文件夹，再点「导出」。"
        _alert(book, msg, "导出")
        return {"error": msg}
    out_dir = src.with_name(src.stem + "-公开")
    fmts = formats.split(",")
    draft = False
    try:
        paths = run_export(src, fmts, out_dir)
    except ExportRefused as refused:
        codes = "、".join(sorted({f.rule for f in refused.errors}))
        question = DRAFT_QUESTION.format(n=len(refused.errors), codes=codes)
        if not (confirm(question) if confirm is not None else _ask_draft(book, question)):
            line = f"已取消导出：仍有 {len(refused.errors)} 个“错误”级问题（{codes}）。请点「校验」查看并改正后再导出。"
            _alert(book, line, "导出")
            return {"cancelled": True, "errors": len(refused.errors), "line": line}
        paths = run_export(src, fmts, out_dir, force=True)
        draft = True
    names = "、".join(sorted(paths))
    draft = bool(getattr(paths, "draft", draft))
    if draft:
        line = f"已导出草稿到：{out_dir}（{names}）。每页标注“草稿·未通过校验”，改正错误后请重新导出。"
    else:
        line = f"已导出到：{out_dir}（{names}）"
    _alert(book, line, "导出")
    return {"out": str(out_dir), "files": {k: str(v) for k, v in paths.items()}, "line": line, "draft": draft}


# ---------------------------------------------------------------------------- check


def check(book=None) -> dict:
    """检查环境: the `bdt doctor` report for the workbook that called, in a message box."""
    return _entry(_check, book)


def _check(book) -> dict:
    from pathlib import Path

    from .doctor import report

    path = Path(book.fullname) if getattr(book, "fullname", None) else None
    text = report(path if path is not None and path.is_file() else None)
    _alert(book, text, "检查环境")
    return {"line": text}
