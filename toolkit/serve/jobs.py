"""The work behind the web pages: one library call per job, run in a process pool.

`check(src, out, name)` is what an upload does — read (with every refusal of toolkit.io.safety),
validate, write the annotated copy (toolkit.annotate, the 校验 button's marks), the filled
workbook (toolkit.fill) and the report (toolkit.report), and a result.json the pages show.
`export_zip(src, target)` makes the publication files (toolkit.export) and packs them in one
zip. `sheet_window` reads the part of a sheet around a cell for the read-only grid.
`Runner` runs jobs in worker processes and records their outcome in the `Store`; the pages
only read records. Each job writes into a temporary folder that is renamed into place when it
is complete, so a killed worker leaves nothing half-written.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ..outcome import INTERNAL, FileOutcome, _internal, count_findings, read_outcome
from .storage import QUEUED, RUNNING, atomic_write

ANNOTATED, FILLED, GROWN = "annotated", "filled", "grown"


def _stem(name: str) -> str:
    from ..export import safe_name

    stem = name.rsplit(".", 1)[0] if "." in name else name
    return safe_name(stem, limit=60)


def downloads(name: str, suffix: str) -> dict:
    """kind -> (file inside the job's folder, name offered to the browser)."""
    stem = _stem(name)
    return {
        ANNOTATED: (f"out/annotated{suffix}", f"{stem}.标注{suffix}"),
        FILLED: (f"out/filled{suffix}", f"{stem}.填充{suffix}"),
        GROWN: (f"out/grown{suffix}", f"{stem}.扩充行数{suffix}"),
        "report.html": ("out/report.html", f"{stem}.校验报告.html"),
        "report.json": ("out/report.json", f"{stem}.校验报告.json"),
        "export.zip": ("export.zip", f"{stem}.公开文件.zip"),
    }


def _finding(f, titles: dict) -> dict:
    from ..report import _short

    d = f.to_dict()
    d["short"] = _short(f)
    d["title"] = titles.get(f.rule, "")
    return d


def _bureau(waivers, config, folder):
    """The bureau's files for a job (toolkit.bureau, read in the worker at each job: the bureau may
    edit them while the server runs): the explicit paths given, else those of `folder` (the data
    folder: bdt-waivers.yaml in it, bdt.toml in it or its parents, as for a workbook there)."""
    from ..bureau import bureau_files

    return bureau_files(folder, config=config, waivers=waivers)


def check(src, out, name: str, waivers: str | None = None, config: str | None = None, folder: str | None = None) -> dict:
    """Check one uploaded workbook; write the annotated and filled copies and the report into `out`.

    Returns (and writes as out/result.json) {status, message, department, dept_code, year,
    counts, rules, severities, findings, config}. Never raises for a bad workbook: an unreadable
    file gives status "unreadable" and the reader's Chinese message. `src` is only read.
    `waivers` / `config`: the bureau's waiver and rule settings files, else those of `folder` (none:
    默认规则设置); a bad one makes the check an internal error naming it (the clerk's file is not at fault)."""
    from ..annotate import annotate
    from ..fill import fill, names_kept_lines
    from ..report import FileResult, _rules, to_html, to_json
    from ..rules import validate

    from ..export import safe_name

    stored, out = Path(src), Path(out)
    tmp = out.with_name(f"{out.name}.tmp{secrets.token_hex(4)}")
    (tmp / "in").mkdir(parents=True)
    src = tmp / "in" / safe_name(name, 120)  # the library's messages name the file as the clerk knows it
    try:
        os.link(stored, src)
    except OSError:
        shutil.copyfile(stored, src)
    suffix = stored.suffix
    outcome = FileOutcome(path=name)
    findings = None
    year = None
    names_kept: list = []
    grown: list = []
    d = read_outcome(src, outcome, name=name)
    w = None
    settings = None
    if d is not None:
        try:
            files = _bureau(waivers, config, folder)
            w, settings = files.waivers, files.in_force(d)
            findings = validate(d, waivers=w, config=files.config)
            annotate(src, tmp / f"{ANNOTATED}{suffix}", findings=findings)
            _, plan = fill(src, out=tmp / f"{FILLED}{suffix}", disclosure=d)
            names_kept = names_kept_lines(plan)
            grown = _grown(src, tmp / f"{GROWN}{suffix}", d)
        except Exception as exc:  # noqa: BLE001 - reported on the page, never a blank 500
            outcome.status, outcome.message = INTERNAL, _internal("", exc)
        year = d.year
    if findings is not None:
        count_findings(outcome, findings)
    result = FileResult(name, findings, None if findings is not None else (outcome.message or "无法读取"),
                        waivers=w.outcome(d) if w is not None and findings is not None else None, config=settings)
    outcome.config = settings.text(name_only=True) if settings is not None else ""  # no server paths for clerks
    (tmp / "report.html").write_text(to_html([result]), encoding="utf-8")
    (tmp / "report.json").write_text(to_json([result]), encoding="utf-8")
    titles = {code: r.title for code, r in _rules().items()} if findings else {}
    data = {"status": outcome.status, "message": outcome.message, "department": outcome.department,
            "dept_code": outcome.dept_code, "year": year if findings is not None else None,
            "counts": outcome.counts, "rules": outcome.rules, "severities": outcome.severities,
            "findings": [_finding(f, titles) for f in findings or []], "names_kept": names_kept,
            "grown": grown, "config": outcome.config}
    atomic_write(tmp / "result.json", json.dumps(data, ensure_ascii=False).encode("utf-8"))
    shutil.rmtree(tmp / "in")
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return data


def _grown(src, target, d) -> list:
    """What the 扩充行数 button does in Excel: when a table block is (nearly) full, a copy of the
    workbook with that block doubled (toolkit.grow) to download; the lines saying what grew, or a
    message why it could not be made. Nothing is written while every block has room."""
    from ..grow import GrowError, full_blocks, grow

    if not full_blocks(d):
        return []
    try:
        return grow(src, target, disclosure=d)[1].lines
    except GrowError as exc:
        return ["无法生成扩充行数的工作簿：" + exc.message]
    except Exception as exc:  # noqa: BLE001 - the optional copy never costs the clerk the check itself
        return [_internal("无法生成扩充行数的工作簿，", exc)]


def outcome(row, result: dict | None) -> FileOutcome:
    """A submission as a `toolkit.batch.FileOutcome` (for the bureau's batch summary)."""
    r = result or {}
    return FileOutcome(path=row["filename"], department=row["department"], dept_code=row["dept_code"],
                       status=row["status"], counts=dict(r.get("counts") or {"error": 0, "warning": 0, "info": 0}),
                       rules=dict(r.get("rules") or {}), severities=dict(r.get("severities") or {}),
                       message=row["message"] or "", config=r.get("config") or "")


FORMATS = ("pdf", "docx", "xlsx", "html", "data")


def export_zip(src, target, formats=("pdf", "docx", "xlsx", "html", "data"), waivers: str | None = None,
               config: str | None = None, folder: str | None = None) -> dict:
    """Export the workbook (forced: a workbook with errors comes out marked 草稿·未通过校验 on every
    page) and pack every file in one zip at `target`. Returns {draft, errors, files}."""
    from ..export import export
    from ..io.reader import read_workbook

    src, target = Path(src), Path(target)
    work = target.with_name(f"{target.name}.tmp{secrets.token_hex(4)}")
    try:
        d = read_workbook(src)
        bureau = _bureau(waivers, config, folder)
        result = export(d, list(formats), work / "files", force=True, waivers=bureau.waivers, config=bureau.config)
        files = sorted(p for p in (work / "files").rglob("*") if p.is_file())
        part = work / "export.zip"
        with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in files:
                zf.write(p, p.relative_to(work / "files").as_posix())
        with open(part, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(part, target)
        return {"draft": result.draft, "errors": len(result.status.errors), "files": len(files)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- the read-only grid

def _show(v) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return format(Decimal(repr(v)), "f")
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return str(v)


def _cell_rc(cell: str) -> tuple[int, int]:
    from ..findings import cell_order

    return cell_order(cell)


def sheet_window(src, sheet: str, cell: str | None, rows: int = 8, cols: int = 8) -> dict | None:
    """The part of `sheet` around `cell`: {"cols": [letters], "rows": [(number, [text...])],
    "row", "col"} (1-based position of the cell), or None when the sheet is not in the file."""
    from python_calamine import CalamineWorkbook

    from ..layout import column_letter

    wb = CalamineWorkbook.from_path(str(src))
    if sheet not in wb.sheet_names:
        return None
    grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    r, c = _cell_rc(cell) if cell else (1, 1)
    width = max([len(x) for x in grid] + [c])
    r0, r1 = max(1, r - rows), max(r + rows, min(len(grid), 2 * rows + 1))
    c0 = max(1, c - cols)
    c1 = min(max(width, c), c0 + 2 * cols)
    out = []
    for i in range(r0, r1 + 1):
        line = grid[i - 1] if i - 1 < len(grid) else []
        out.append((i, [_show(line[j - 1]) if j - 1 < len(line) else "" for j in range(c0, c1 + 1)]))
    return {"cols": [column_letter(j) for j in range(c0, c1 + 1)], "rows": out, "row": r, "col": c,
            "first_col": c0, "first_row": r0}


# ---------------------------------------------------------------- the pool

def _warm() -> None:
    import signal

    # Ctrl+C (or a stop signal to the whole process group) is the server's to handle: it records
    # what is unfinished as pending, then stops the workers itself
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    from ..batch import warm

    warm()
    from .. import annotate, fill  # noqa: F401


class Runner:
    """Runs checks and exports on worker processes and records each outcome in the store.

    A job that raises or whose worker dies is recorded as an internal error with a Chinese
    message; a job running longer than `timeout` seconds is recorded as timed out (its worker
    is replaced)."""

    def __init__(self, store, jobs: int = 2, timeout: float = 300, config: str | None = None):
        import multiprocessing

        self.store, self.jobs, self.timeout = store, max(1, jobs), timeout
        self.config = config  # bdt serve --config (else the data folder's bdt.toml, looked up at each job)
        self._ctx = multiprocessing.get_context("spawn")
        self.pool = self._pool()
        self.started: dict = {}  # (kind, id) -> (future, start time)
        self._again: set = set()
        self.closing = False
        self._retried: set = set()  # jobs cut short by a pool replaced for another job's timeout

    def _pool(self):
        return ProcessPoolExecutor(self.jobs, mp_context=self._ctx, initializer=_warm)

    def check(self, sid: str) -> None:
        row = self.store.get(sid)
        self.store.set_status(sid, RUNNING)
        self._start("check", sid, check, str(self.store.source(row)), str(self.store.out(sid)), row["filename"],
                    *self._files())

    def export(self, sid: str) -> None:
        row = self.store.get(sid)
        self.store.set_export(sid, RUNNING)
        self._start("export", sid, export_zip, str(self.store.source(row)), str(self.store.folder(sid) / "export.zip"),
                    FORMATS, *self._files())

    def _files(self) -> tuple:
        """(waivers, config, folder) for a job: --config, and the data folder where the job looks up
        the rest (bdt-waivers.yaml, bdt.toml)."""
        return None, self.config, str(self.store.root)

    def _start(self, kind: str, sid: str, fn, *args) -> None:
        fut = self._submit(fn, *args)
        self.started[(kind, sid)] = (fut, time.monotonic())
        fut.add_done_callback(lambda f: self._done(kind, sid, f))

    def _done(self, kind: str, sid: str, fut) -> None:
        """A job ended: record its result, or run it again when the pool was replaced under it."""
        if self._stopped(fut):
            return  # the server is stopping: the record stays pending and runs again at the next start
        if (kind, sid) in self._again:
            self._again.discard((kind, sid))
            return getattr(self, kind)(sid)
        self.started.pop((kind, sid), None)
        try:
            result = fut.result()
        except BaseException as exc:  # noqa: BLE001
            if kind == "check":
                self.store.finish(sid, {"status": INTERNAL, "message": _internal("处理时工作进程出错：", exc)})
            else:
                self.store.set_export(sid, "failed", _internal("导出时出错：", exc))
            return
        if kind == "check":
            self.store.finish(sid, result)
        else:
            note = "草稿·未通过校验：导出的文件每页标注草稿，改正错误后重新上传。" if result["draft"] else ""
            self.store.set_export(sid, "done", note)

    def _submit(self, fn, *args):
        try:
            fut = self.pool.submit(fn, *args)
        except Exception:  # a broken pool (a worker was killed): start a fresh one
            self.pool = self._pool()
            fut = self.pool.submit(fn, *args)
        fut._bdt_pool = self.pool
        return fut

    def overdue(self) -> list:
        """Jobs over the time limit: recorded as failed; the pool is replaced so they stop."""
        now = time.monotonic()
        late = [(k, v) for k, v in list(self.started.items()) if now - v[1] > self.timeout and not v[0].done()]
        if not late:
            return []
        old, self.pool = self.pool, self._pool()
        self._again.update(k for k, v in self.started.items() if not v[0].done() and k not in dict(late))
        for (kind, sid), (fut, _) in late:
            self.started.pop((kind, sid), None)
            msg = f"处理超时（超过 {self.timeout:.0f} 秒），已停止。请检查文件后重新上传。"
            if kind == "check":
                self.store.finish(sid, {"status": INTERNAL, "message": msg})
            else:
                self.store.set_export(sid, "failed", msg)
        _stop(old)
        return late

    def _stopped(self, fut) -> bool:
        """The server is stopping (the record stays pending and runs again at the next start), or
        the pool broke under a job (a worker killed): run it once more on a fresh pool."""
        from concurrent.futures.process import BrokenProcessPool

        if self.closing and (fut.cancelled() or fut.exception() is not None):
            return True
        if not fut.cancelled() and isinstance(fut.exception(), BrokenProcessPool):
            key = next((k for k, v in self.started.items() if v[0] is fut), None)
            if key is not None and key not in self._retried:
                self._retried.add(key)
                self.pool = self._pool() if self.pool is getattr(fut, "_bdt_pool", None) else self.pool
                (self.check if key[0] == "check" else self.export)(key[1])
                return True
        return False

    def close(self) -> None:
        self.closing = True
        _stop(self.pool, wait=True)


def _stop(pool, wait: bool = False) -> None:
    procs = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if wait:
            p.join(timeout=2)
        if p.is_alive():
            p.kill()  # workers ignore SIGTERM (see _warm)


__all__ = ["check", "export_zip", "sheet_window", "downloads", "outcome", "Runner", "QUEUED"]
