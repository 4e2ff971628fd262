"""The Excel front end: what the 校验 / 填充 / 导出 / 扩充行数 / 检查环境 buttons run (through xlwings).

Entry-point glue only: each entry point takes the calling workbook (`xw.Book.caller()`), reads it
through the engine adapter (toolkit.xlbook: one whole-range read per sheet), calls one library
function for what to do (toolkit.findings.mark_plan, toolkit.fill.live_writes, toolkit.export),
and writes back in a few batched writes (toolkit.xlbook) inside the sheets' protection lifted by
toolkit.xlprotect. Any failure ends in one Chinese message box, never a traceback.

The module imports only pure-Python dependencies at top level, so the same functions run in
xlwings Lite (Python inside the Excel add-in, no macros) — there `book` is passed in explicitly.
"""
from __future__ import annotations

import datetime as _dt

from .colors import DERIVED_RGB, EDITABLE_RGB, INPUT_RGB
from .findings import FINDINGS_HEADER, FINDINGS_SHEET, MARK_RGB, findings_rows, mark_plan, previous_marks
from .findings import summary, summary_line
from .schema import DERIVED, INPUT
from .xlbook import DOC, alert, findings_values, paint, read, write_cells, write_sheet
from .xlprotect import ProtectionError, Unprotected

MARK = {sev: "#" + rgb for sev, rgb in MARK_RGB.items()}
HEADER = FINDINGS_HEADER
ROLE_COLOR = {INPUT: "#" + INPUT_RGB, DERIVED: "#" + DERIVED_RGB, "editable": "#" + EDITABLE_RGB}


def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


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


def _error(book, exc) -> str:
    """Tell the clerk in Chinese what went wrong (never a traceback) and return the message."""
    from .errors import UserError
    from .io.reader import WorkbookError
    from .waivers import WaiverError

    from .config import ConfigError

    if isinstance(exc, (WorkbookError, ProtectionError, WaiverError, ConfigError, UserError)):
        msg = exc.message
    else:
        msg = (f"程序出错，本次操作未完成（{type(exc).__name__}：{exc}）。\n"
               f"请点「检查环境」核对安装；仍不能解决时把本提示截图发给财政局。说明见 {DOC}。")
    alert(book, msg, "无法处理本工作簿")
    return msg


# ---------------------------------------------------------------------------- validate


def validate(book=None) -> dict:
    """校验: mark every finding's cell, clear the previous marks, list all findings on 校验结果."""
    return _entry(_validate, book)


def _on_disk(book):
    """The workbook's file on this computer, or None (a new, unsaved or cloud-only workbook)."""
    from pathlib import Path

    name = getattr(book, "fullname", None)
    path = Path(str(name)) if name else None
    return path if path is not None and path.is_file() else None


def _bureau_files(book) -> tuple:
    """(waivers, rule settings) found beside the workbook's file (toolkit.waivers, toolkit.config);
    each None when absent or when the workbook is not on disk."""
    from .bureau import bureau_files

    files = bureau_files(_on_disk(book))  # not on disk (None): neither
    return files.waivers, files.config


def _validate(book) -> dict:
    from .config import in_force
    from .rules import validate as run_rules

    adapter, d = read(book)
    waivers, config = _bureau_files(book)
    findings = run_rules(d, config=config, waivers=waivers)
    plan = mark_plan(d, findings, previous_marks(adapter.rows(FINDINGS_SHEET)))
    colors = {s: {c: None if v is None else "#" + v for c, v in cells.items()} for s, cells in plan.items()}
    line = summary_line(findings, _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
                        in_force(config, d).text(name_only=True))
    touched = list(colors) + [FINDINGS_SHEET]
    with Unprotected(book, touched):
        paint(book, colors)
        rows = [[line] + [None] * (len(HEADER) - 1), HEADER] + findings_values(findings_rows(findings))
        write_sheet(book, FINDINGS_SHEET, rows, len(HEADER))
    alert(book, line, "校验结果")
    return {"summary": summary(findings), "findings": len(findings), "line": line, "unprotected": sorted(touched)}


# ---------------------------------------------------------------------------- fill


def fill(book=None) -> dict:
    """填充: write every derived cell (only those), in one block per run of derived cells."""
    return _entry(_fill, book)


def _fill(book) -> dict:
    from .fill import compute, live_writes, names_kept_lines

    _, d = read(book)
    plan = compute(d)
    by_sheet = live_writes(d, plan)
    with Unprotected(book, by_sheet):
        writes = write_cells(book, by_sheet)
    kept = len(plan.kept)
    line = f"填充完成：更新 {len(plan.changes)} 个派生格" + (f"，保留单位自行撰写的 {kept} 段情况说明" if kept else "") + "。"
    names = names_kept_lines(plan)
    text = "\n".join([line] + names)
    alert(book, text, "填充")
    return {"changed": len(plan.changes), "writes": writes, "kept": kept, "line": line, "names_kept": names,
            "unprotected": sorted(by_sheet)}


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


def _saved(book, button: str, done: str):
    """(the saved workbook's file, None) or (None, the Chinese message already shown): the buttons
    that work from the file on disk save it first."""
    from pathlib import Path

    try:
        book.save()
    except Exception as exc:
        msg = (f"无法保存工作簿（{type(exc).__name__}：{exc}），未{done}。{button}使用保存在磁盘上的文件："
               f"请关闭只读、确认文件夹可写，或用“另存为”保存为 .xlsm 后再点「{button}」。")
        alert(book, msg, button)
        return None, msg
    src = Path(book.fullname)
    if not src.is_file():
        msg = f"工作簿还没有保存到本机磁盘（{button}需要磁盘上的文件）：请先“另存为”到本机文件夹，再点「{button}」。"
        alert(book, msg, button)
        return None, msg
    return src, None


def _export(book, formats, confirm) -> dict:
    from .export import ExportRefused
    from .export import export as run_export

    src, msg = _saved(book, "导出", "导出")
    if src is None:
        return {"error": msg}
    out_dir = src.with_name(src.stem + "-公开")
    fmts = formats.split(",")
    waivers, config = _bureau_files(book)  # reviewed findings (bdt-waivers.yaml beside the file) do not refuse the export
    d, plan, status = _checked(src, waivers, config)  # one read, one derivation, one validation per click
    draft = bool(status.errors)
    if draft:
        codes = "、".join(sorted({f.rule for f in status.errors}))
        question = DRAFT_QUESTION.format(n=len(status.errors), codes=codes)
        if not (confirm(question) if confirm is not None else _ask_draft(book, question)):
            line = f"已取消导出：仍有 {len(status.errors)} 个“错误”级问题（{codes}）。请点「校验」查看并改正后再导出。"
            alert(book, line, "导出")
            return {"cancelled": True, "errors": len(status.errors), "line": line}
    try:
        paths = run_export(d, fmts, out_dir, force=draft, values=plan.values, status=status, waivers=waivers,
                           config=config)
    except ExportRefused as refused:  # not a draft question: figures the rounding cannot publish (A312)
        line = str(refused)
        alert(book, line, "导出")
        return {"error": line}
    names = "、".join(sorted(paths))
    draft = bool(getattr(paths, "draft", draft))
    if draft:
        line = f"已导出草稿到：{out_dir}（{names}）。每页标注“草稿·未通过校验”，改正错误后请重新导出。"
    else:
        line = f"已导出到：{out_dir}（{names}）"
    alert(book, line, "导出")
    return {"out": str(out_dir), "files": {k: str(v) for k, v in paths.items()}, "line": line, "draft": draft}


def _checked(src, waivers, config):
    """(model, fill plan, `export.check.Status`) of the saved workbook: what `toolkit.export.export`
    would compute itself, done once here so that a draft the clerk confirms is not read, derived
    and validated a second time (the library's `values=`/`status=` keywords, as in batch)."""
    import toolkit
    from .export.check import exported_findings
    from .fill import compute

    d = toolkit.load(src)
    plan = compute(d)
    return d, plan, exported_findings(d, plan.values, plan.fingerprints, waivers=waivers, config=config)


# ---------------------------------------------------------------------------- grow


def grow(book=None, capacities: str | None = None) -> dict:
    """扩充行数: save, write a copy with more rows in the (nearly) full table blocks beside the
    workbook (toolkit.grow: same template, protected, every typed cell carried over), open it.

    The open workbook is not changed: Excel cannot insert rows into protected, validated table
    blocks reliably from outside, and a copy the clerk checks is safer than rows moved in place.
    `capacities` ("t3=2000"): chosen sizes instead of doubling the full blocks."""
    return _entry(_grow, book, capacities)


def _grow(book, capacities) -> dict:
    from .grow import NothingToGrow
    from .grow import grow as run_grow

    src, msg = _saved(book, "扩充行数", "扩充")
    if src is None:
        return {"error": msg}
    try:
        out, caps = run_grow(src, capacities=capacities)
    except NothingToGrow:
        line = (f"「{src.name}」各表的明细行都还有空余，无需扩充。某张表的空行不到一成时再点「扩充行数」，"
                "该表的行数会加倍；需要指定行数（如 2000 行）时，请财政局用“bdt template grow --capacity t3=2000”生成。")
        alert(book, line, "扩充行数")
        return {"line": line, "capacities": {}}
    opened = True
    try:
        book.app.books.open(str(out))
    except Exception:  # an engine that cannot open files (xlwings Lite, the remote engine)
        opened = False
    line = (f"已生成行数更多的工作簿：{out.name}（{'；'.join(caps.lines)}）。填写的内容已原样带入，本工作簿未改动。"
            + ("新工作簿已打开，请在其中继续填写。" if opened else f"请打开 {out} 继续填写。"))
    alert(book, line, "扩充行数")
    return {"out": str(out), "capacities": dict(caps), "opened": opened, "line": line}


# ---------------------------------------------------------------------------- check


def check(book=None) -> dict:
    """检查环境: the `bdt doctor` report for the workbook that called, in a message box."""
    return _entry(_check, book)


def _check(book) -> dict:
    from .doctor import conf_rows, report
    from .xlbook import BookAdapter

    # the xlwings.conf sheet (if any) from the live workbook, not by opening its file once more
    text = report(_on_disk(book), sheet=conf_rows(BookAdapter(book).rows("xlwings.conf")))
    alert(book, text, "检查环境")
    return {"line": text}
