"""`bdt batch` — the finance bureau's job: every department's workbook, checked in parallel.

    bdt batch 收到的工作簿/ --out 结果/ [--jobs N] [--fill] [--export pdf,docx]
    bdt batch 'a/*.xlsx' b/ --out 结果/ --executor dask --scheduler tcp://10.0.0.5:8786

One file's failure never stops the others: `work(path, options)` never raises, it returns a
small `FileOutcome` (department, status, counts, rules, message). Each department's outputs
(report.html, findings.json, and with --fill / --export the filled workbook and the published
files) go to its own folder under --out, named safely from the department's name; input files
are only ever read. At the end, summary.csv and summary.html in --out give one row per
workbook and the per-rule totals across departments, with a chart. With --fill or --export the
findings reported (report.html, the counts, the summary) are those of the *filled* workbook —
what is published — not of the workbook as submitted (`toolkit.export.check`).
With --roster 名单.csv (toolkit.roster) the summary also says who on the bureau's roster is
missing, late (by the files' modification times), failing or clean, in summary.html and roster.csv;
every row has a grade A–D (toolkit.grade, docs/grade.md).

The same `run_batch(paths, options, executor)` runs on local processes (the default; `--jobs 1`
is one worker process), in-process (`InlineExecutor`, from Python), on a Dask cluster
(`--executor dask`), or on any concurrent.futures-style executor passed from Python. Exit status
as `bdt validate`: 0 no errors, 1 errors found, 2 some file could not be read (or took longer
than the per-file time limit), 3 an internal error.

One file never holds up or takes down the batch: each has a time limit (`--timeout`, default
10 minutes: SIGALRM inside the worker, and the parent kills a worker process that does not
answer the alarm — a native library stuck without returning to Python); a file whose worker
dies (a native crash, out of memory) is retried alone and reported; the command line runs even
`--jobs 1` in a worker process, so a crash of the reading library never stops the summary.

How it stays fast: the parent loads the schema, the reference tables and every rule once
before the worker processes fork, so no worker repeats that; each workbook is read once with
python-calamine (after the cheap checks of toolkit.io.safety) and validated once.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import threading
import time
import unicodedata
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures import BrokenExecutor as _BrokenExecutor
from concurrent.futures import TimeoutError as _FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import UserError
from .inputs import WORKBOOK_SUFFIXES, discover  # noqa: F401
from .outcome import (  # noqa: F401 (re-exported: the names batch had)
    ERRORS, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_UNREADABLE, INTERNAL, OK, STATUS_ZH,
    TOP_RULES, UNREADABLE, FileOutcome, _internal, _last_line, count_findings, exit_status, read_outcome)
from .progress import Progress
from .summary import (  # noqa: F401
    MTIME, PRIOR_CSV, ROSTER_CSV, SUMMARY_CSV, SUMMARY_HTML, _atomic_write, config_notes,
    grades, outcome_grade, prior_lines, roster_report, rule_chart_svg, rule_totals, summary_text,
    unmatched_notes, write_prior_csv, write_summary_csv, write_summary_html)

MARKER = ".bdt-batch"  # a department folder written by bdt batch (a re-run may replace it)
STARTED = ".started"  # written by a worker when it starts a file (finds the file that crashed a pool)
EXPORT_FOLDER = "公开文件"  # --export outputs, inside the department's folder
DEFAULT_TIMEOUT = 600.0  # seconds one workbook may take (read, check, fill, export)


# ---------------------------------------------------------------- options and outcomes

@dataclass(frozen=True)
class Options:
    """What every worker needs (picklable: plain strings and flags)."""

    out_dir: str
    staging: str = ""  # where workers write; folders are moved into out_dir at the end
    fill: bool = False
    export: tuple = ()
    export_all: bool = False  # export workbooks with errors too (default: only the clean ones)
    schema: str | None = None
    lang: str = "zh"
    timeout: float | None = DEFAULT_TIMEOUT  # per file, seconds; None or 0: no limit
    waivers: str | None = None  # the waiver file in force (toolkit.waivers; --waivers, or bdt-waivers.yaml beside the inputs)
    config: str | None = None  # --config FILE for every workbook; None: each workbook's own (toolkit.config)
    prior: tuple = ()  # last year's workbooks (--prior): (path, 部门代码, name, year) each, see toolkit.prior


def _key(path) -> str:
    return hashlib.sha1(os.fsencode(os.path.abspath(path))).hexdigest()[:16]


# ---------------------------------------------------------------- the worker

class _TimeLimit(BaseException):
    """Raised by SIGALRM in a worker whose file took longer than options.timeout."""


@contextmanager
def _time_limit(seconds):
    """Raise _TimeLimit after `seconds` (on a process's main thread, where signals arrive;
    elsewhere, e.g. a Dask worker thread, no limit inside the worker)."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum, frame):
        raise _TimeLimit()

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def timeout_message(seconds) -> str:
    return (f"处理时间超过每个文件的时间限制（{seconds:g} 秒），已停止处理该文件：文件可能过大或内容异常，"
            "也可能是机器太忙。其他文件不受影响；可以单独重试该文件（bdt validate），或用 --timeout 放宽限制。")


def _hard_limit(seconds):
    """When the parent gives up on a worker that did not answer its alarm."""
    return None if not seconds else float(seconds) * 1.5 + 5


def work(path, options: Options) -> FileOutcome:
    """Check one workbook and write its outputs into its staging folder. Never raises."""
    t0 = time.perf_counter()
    out = FileOutcome(path=str(path))
    try:
        with _time_limit(options.timeout):
            _work(Path(path), options, out)
    except KeyboardInterrupt:
        raise
    except _TimeLimit:
        out.status, out.message = UNREADABLE, timeout_message(options.timeout)
    except BaseException as exc:  # noqa: BLE001 - the contract: one row per file, whatever happens
        out.status = INTERNAL
        out.message = _internal("", exc)
    out.seconds = time.perf_counter() - t0
    return out


def _work(path: Path, options: Options, out: FileOutcome) -> None:
    from .report import FileResult, to_html, to_json
    from .rules import validate
    from .schema import chosen_schema

    staging = Path(options.staging or options.out_dir) / _key(path)
    if staging.exists():
        shutil.rmtree(staging)  # a retry after a crashed worker: start clean
    staging.mkdir(parents=True)
    (staging / STARTED).write_text(str(path), encoding="utf-8")
    out.staging = str(staging)
    schema = chosen_schema(options.schema)  # None: each workbook is read with the schema its _meta records

    from .config import config_for, in_force

    findings = None
    waivers = _waivers(options.waivers)
    config = config_for(path, options.config)  # checked by the parent before the batch started
    d = read_outcome(path, out, schema=schema)
    settings = in_force(config, d)  # the department's own [per-department] tables resolved here
    out.config = settings.text()
    if d is not None and options.prior:
        attach_prior(d, options, out, schema)
    if d is not None:
        try:
            if options.fill or options.export:
                # one read, one derivation: what is published is the filled workbook, so its
                # findings are reported (not the submitted one's), and fill and export reuse them
                from .export.check import exported_findings
                from .fill import compute

                plan = prior_plan(d) if getattr(d, "prior", None) is not None else compute(d)
                status = exported_findings(d, plan.values, plan.fingerprints, waivers=waivers, config=config)
                findings = status.findings
            else:
                findings = validate(d, config=config, waivers=waivers)
        except Exception as exc:
            out.status, out.message = INTERNAL, _internal("校验时出错：", exc)
    if findings is not None:
        count_findings(out, findings)

    # the department's report: its findings, or why its file could not be read
    error = None if findings is not None else (out.message or "无法读取")
    outcome = None
    if waivers is not None and findings is not None:
        outcome = waivers.outcome(d, filled=bool(options.fill or options.export))
    result = FileResult(str(path), findings, error, waivers=outcome, config=settings,
                        skipped=tuple(getattr(d, "skipped_rules", ()) if d is not None else ()))
    _write_text(staging / "report.html", to_html([result], lang=options.lang))
    _write_text(staging / "findings.json", to_json([result]))

    notes = []
    source = path
    if findings is not None and options.fill:
        target = staging / filled_name(path)
        try:
            from .fill import fill

            source, _plan = fill(path, out=target, schema=schema, disclosure=d, plan=plan)
        except Exception as exc:
            out.status = INTERNAL
            notes.append(_internal("填充时出错：", exc))
            source = None
    if findings is not None and options.export and source is not None:
        if out.counts.get("error") and not options.export_all:
            notes.append("有“错误”级问题，未导出（改正后重新提交，或用 --export-all 强制导出）。")
        else:
            try:
                from .export import export

                folder = staging / EXPORT_FOLDER
                folder.mkdir(exist_ok=True)
                export(d, list(options.export), folder, True, values=plan.values, status=status)
                from .export.fonts import fallback_warning

                if {"pdf", "docx"} & set(options.export) and fallback_warning():
                    notes.append(fallback_warning())
            except Exception as exc:
                out.status = INTERNAL
                notes.append(_internal("导出时出错：", exc))
    if notes:
        out.message = "；".join([m for m in [out.message] if m] + notes)
    (staging / STARTED).unlink(missing_ok=True)
    out.outputs = sorted(p.name for p in staging.iterdir() if not p.name.startswith("."))


_WAIVERS: dict = {}


def _waivers(path):
    """The waiver file of the batch, read once per worker process (validated by `run` first)."""
    if not path:
        return None
    if path not in _WAIVERS:
        from .waivers import Waivers

        _WAIVERS[path] = Waivers.load(path)
    return _WAIVERS[path]
def attach_prior(d, options: Options, out: FileOutcome, schema=None) -> None:
    """Last year's workbook of `d` among options.prior (by 部门代码, else name), attached to `d`;
    `out` records which one, or why none (a wrong year, no such department)."""
    from .prior import Candidate, PriorError, attach, match, read_prior

    cand, how = match(d, [Candidate(*c) for c in options.prior])
    if cand is None:
        out.prior_note = how
        return
    try:
        attach(d, read_prior(cand.path, schema))
    except PriorError as exc:
        out.prior_note = exc.message
        return
    out.prior, out.prior_note = cand.path, how


def prior_plan(d):
    """The fill's plan with the blank 上年数 filled from the attached last year's workbook."""
    from .prior import fill_plan

    return fill_plan(d)[0]


def filled_name(path: Path) -> str:
    """The filled workbook's name in a department's folder: the input's stem (cut to fit a file
    system's 255 bytes with room to spare) + .filled + .xlsx/.xlsm; never report.html,
    findings.json, the export folder or a hidden name."""
    suffix = ".filled" + (path.suffix.lower() if path.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx")
    stem = path.stem.lstrip(".") or "工作簿"
    while len((stem + suffix).encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + suffix


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def warm(options: Options | None = None) -> None:
    """Load once what every workbook needs (schema, layouts, reference tables, rule modules).

    Called in the parent before worker processes fork (they inherit it) and as the pool
    initializer (for spawn/forkserver start methods, or remote workers)."""
    from .layout import layout
    from .reference import load_reference
    from .rules import _load_families
    from .schema import load_schema

    schema = load_schema(options.schema) if options and options.schema else load_schema()
    for spec in schema.sheets:
        layout(spec)
    load_reference()
    _load_families()
    from . import report  # noqa: F401
    from .io import reader  # noqa: F401


# ---------------------------------------------------------------- safe folder names

_UNSAFE = set('/\\:*?"<>|')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"COM{i}" for i in "0123456789¹²³"), *(f"LPT{i}" for i in "0123456789¹²³")}
_SUMMARY_NAMES = {SUMMARY_CSV, SUMMARY_HTML, ROSTER_CSV}  # a department's folder never takes these names
MAX_NAME_CHARS = 60
MAX_NAME_BYTES = 180  # of UTF-8; file systems allow 255 per component, leave room for suffixes


def safe_folder_name(name, fallback: str = "未命名单位") -> str:
    """A folder name from a department's name that is safe on Linux, macOS and Windows.

    NFC-normalised; path separators and characters Windows forbids become "_"; control, format
    (bidi overrides, zero-width) and private-use characters are dropped; "..", leading dots and
    trailing dots/spaces go; Windows device names (CON, NUL, COM1…) get a "_" prefix; the length
    is capped. Empty after all that: the fallback (cleaned the same way)."""
    text = unicodedata.normalize("NFC", str(name or ""))
    chars = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in _UNSAFE:
            chars.append("_")
        elif ch.isspace() or cat in ("Zs", "Zl", "Zp"):
            chars.append(" ")
        elif cat in ("Cc", "Cf", "Co", "Cs", "Cn"):
            continue
        else:
            chars.append(ch)
    text = " ".join("".join(chars).split())
    text = re.sub(r"\.{2,}", "", text)  # "..", "...": gone (a name is never a path step)
    text = text.strip(". ")
    if text.split(".")[0].strip().upper() in _RESERVED:
        text = "_" + text
    if text.startswith(("-", "~")):  # "-rf": never read as an option by a shell command; "~" as home
        text = "_" + text
    if text.casefold() in _SUMMARY_NAMES:  # a department named "summary.csv" never blocks the summary
        text = "_" + text
    text = text[:MAX_NAME_CHARS]
    while len(text.encode("utf-8")) > MAX_NAME_BYTES:
        text = text[:-1]
    text = text.rstrip(". ")
    if not any(ch.isalnum() for ch in text):  # nothing left that names anything ("___", "")
        return safe_folder_name(fallback, "未命名单位") if fallback and fallback != name else "未命名单位"
    return text


def _inside(folder: Path, root: Path) -> bool:
    try:
        folder.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return folder.resolve().parent == root.resolve()


def _ours(folder: Path) -> bool:
    return folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file()


def _ensure_report(o: FileOutcome, lang: str) -> None:
    """A file whose worker died has no report yet: write one that says so."""
    from .report import FileResult, to_html

    folder = Path(o.staging)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STARTED).unlink(missing_ok=True)
    if not (folder / "report.html").exists():
        _write_text(folder / "report.html", to_html([FileResult(o.path, None, o.message or "无法处理")], lang=lang))
    o.outputs = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def place(outcomes: list[FileOutcome], out_dir: Path, lang: str = "zh") -> None:
    """Move each staging folder to out_dir/<safe department name>, de-duplicated, in input order."""
    out_dir = Path(out_dir)
    used: set[str] = set()
    for o in outcomes:
        if not o.staging:
            continue
        try:
            _ensure_report(o, lang)
            base = safe_folder_name(o.department, fallback=Path(o.path).stem)
            name, n = base, 2
            while True:
                target = out_dir / name
                if name.casefold() not in used and (not os.path.lexists(target) or _ours(target)):
                    break
                name, n = f"{base}-{n}", n + 1
            used.add(name.casefold())
            if not _inside(target, out_dir):  # cannot happen with a safe name; never write outside
                raise RuntimeError(f"folder {target!r} escapes {out_dir!r}")
            if os.path.lexists(target):
                shutil.rmtree(target)  # this department's folder from an earlier run
            (Path(o.staging) / MARKER).write_text(
                json.dumps({"source": o.path, "department": o.department}, ensure_ascii=False), encoding="utf-8")
            shutil.move(o.staging, target)
            o.folder = name
        except Exception as exc:
            o.status = INTERNAL
            o.message = "；".join(m for m in [o.message, _internal("保存输出文件夹时出错：", exc)] if m)


# ---------------------------------------------------------------- executors

class InlineExecutor:
    """A concurrent.futures-style executor that runs each call at submit, in this process."""

    def submit(self, fn, *args, **kwargs) -> Future:
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001
            f.set_exception(exc)
        return f

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        pass


MAX_DEFAULT_JOBS = 4


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity: a container's or taskset's limit), not
    every core the machine has."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


def default_jobs(files: int) -> int:
    """`--jobs` when not given: min(usable cores, files, MAX_DEFAULT_JOBS), at least 1.

    A worker per file at most (an idle worker is a process for nothing); no more than the cores
    the process may use (validation is CPU-bound: a second worker on one core only adds switching);
    and no more than 4, since every worker holds a read workbook and its reports (≈70 MB each on
    the example) and a bureau's office machine or a shared server rarely has more cores idle. On
    the 2 shared cores of the development machine jobs 1, 2 and 4 took the same time within noise
    (figures in issue 14's note)."""
    return max(1, min(usable_cores(), files, MAX_DEFAULT_JOBS))


def process_pool(jobs: int, options: Options | None = None):
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=jobs, initializer=warm, initargs=(options,))


@dataclass
class Executor:
    """An executor, how to close it, and how to get a fresh one if its processes die."""

    executor: object
    close: object = None
    respawn: object = None  # callable(jobs) -> executor, for process pools
    label: str = ""


def make_executor(kind: str, jobs: int, scheduler: str | None, options: Options) -> Executor:
    if kind == "dask":
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("使用 --executor dask 需要安装 dask[distributed]（pip install 'dask[distributed]'）。") from None
        if not scheduler or scheduler == "local":
            client = Client(n_workers=jobs, threads_per_worker=1, dashboard_address=None)
            label = f"Dask 本机集群（{jobs} 个进程）"
        else:
            client = Client(scheduler)
            label = f"Dask 集群 {scheduler}"
        return Executor(client.get_executor(pure=False), client.close, None, label)
    if kind == "inline":
        return Executor(InlineExecutor(), None, None, "本进程")
    warm(options)  # before the fork: every worker inherits the loaded schema, references and rules
    pool = process_pool(jobs, options)
    return Executor(pool, lambda: pool.shutdown(wait=True), lambda n: process_pool(n, options),
                    f"{jobs} 个进程" if jobs > 1 else "1 个工作进程")


def _kill_workers(executor) -> bool:
    """SIGKILL a process pool's workers (one is stuck past its time limit); False if not a pool."""
    procs = getattr(executor, "_processes", None)
    if not procs:
        return False
    for p in list(procs.values()):
        try:
            p.kill()
        except Exception:
            pass
    return True


# ---------------------------------------------------------------- the batch

@dataclass
class BatchResult:
    outcomes: list[FileOutcome]
    out_dir: Path
    seconds: float
    summary_csv: Path | None = None
    summary_html: Path | None = None
    roster_csv: Path | None = None
    roster: object = None  # toolkit.roster.RosterReport with a roster
    grades: list = field(default_factory=list)  # toolkit.grade.Grade per outcome (with the roster's statuses)

    @property
    def exit_status(self) -> int:
        return exit_status(self.outcomes)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def _crashed(path, staging: str, what: str) -> FileOutcome:
    return FileOutcome(path=str(path), status=INTERNAL, staging=staging,
                       message=f"程序内部错误（不是文件本身的问题）：{what}。请把该文件转给技术支持。")


def _timed_out(path, staging: str, seconds) -> FileOutcome:
    return FileOutcome(path=str(path), status=UNREADABLE, staging=staging, message=timeout_message(seconds))


def _stuck(staging: Path, path: str, limit: float | None) -> bool:
    """Whether the worker that started `path` has been at it longer than `limit` seconds."""
    if not limit:
        return False
    try:
        return time.time() - (staging / _key(path) / STARTED).stat().st_mtime > limit
    except OSError:
        return False


def run_batch(paths, options: Options, executor=None, *, progress=None, respawn=None, jobs: int = 1,
              summary: bool = True, roster=None) -> BatchResult:
    """Check every path on `executor` (any concurrent.futures-style executor; default in-process),
    place each department's folder in options.out_dir and write summary.csv / summary.html.

    `respawn(n)` returns a fresh executor when a worker process dies (a process pool breaks):
    the files that were running then are retried alone, the others on a fresh pool. A file still
    running `_hard_limit(options.timeout)` seconds after it started (its worker did not answer the
    alarm) gets its pool's workers killed and is reported as timed out; the others are retried.
    `roster`: the entries of a roster (toolkit.roster.read_roster): the summary gains the roster
    section and roster.csv, each file's modification time taken as its submission time."""
    t0 = time.perf_counter()
    out_dir = Path(options.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    own_staging = not options.staging
    if own_staging:
        options = replace(options, staging=str(out_dir / f".bdt-staging-{uuid.uuid4().hex[:8]}"))
    staging = Path(options.staging)
    staging.mkdir(parents=True, exist_ok=True)
    executor = executor or InlineExecutor()
    paths = [str(p) for p in paths]
    results: dict[int, FileOutcome] = {}
    created = []  # executors this call made (after a crash): shut down here
    done = 0
    limit = _hard_limit(options.timeout)
    timed_out: set[int] = set()
    try:
        pending = list(range(len(paths)))
        rounds = 0
        while pending:
            rounds += 1
            broken = []

            def collect(fut, i):
                nonlocal done
                try:
                    results[i] = fut.result()
                except _BrokenExecutor:
                    broken.append(i)
                    return
                except Exception as exc:  # the executor, not the worker, failed (e.g. Dask KilledWorker)
                    results[i] = _crashed(paths[i], str(staging / _key(paths[i])), f"任务未能执行：{_last_line(exc)}")
                done += 1
                if progress:
                    progress.update(done, Path(paths[i]).name)

            futures = {}
            for i in pending:
                fut = executor.submit(work, paths[i], options)
                if fut.done():  # an in-process executor: report progress as it goes
                    collect(fut, i)
                else:
                    futures[fut] = i
            waiting = set(futures)
            while waiting:
                finished, waiting = wait(waiting, timeout=min(5.0, limit / 4) if limit else None,
                                         return_when=FIRST_COMPLETED)
                for fut in finished:
                    collect(fut, futures[fut])
                stuck = [futures[f] for f in waiting if _stuck(staging, paths[futures[f]], limit)]
                if stuck and _kill_workers(executor):  # the futures then fail as a broken pool
                    timed_out.update(stuck)
            for i in [i for i in broken if i in timed_out]:
                broken.remove(i)
                results[i] = _timed_out(paths[i], str(staging / _key(paths[i])), options.timeout)
                done += 1
                if progress:
                    progress.update(done, Path(paths[i]).name)
            if not broken:
                break
            # a worker process died (crash, out of memory): find the files it was working on
            suspects = [i for i in broken if (staging / _key(paths[i]) / STARTED).exists()]
            others = [i for i in broken if i not in suspects]
            if respawn is None or rounds > 10:
                for i in broken:
                    results[i] = _crashed(paths[i], str(staging / _key(paths[i])), "处理该文件时工作进程异常退出")
                    done += 1
                break
            for i in suspects:  # alone, in a fresh process each: only the culprit fails
                solo = respawn(1)
                created.append(solo)
                try:
                    results[i] = solo.submit(work, paths[i], options).result(timeout=limit)
                except _FutureTimeout:
                    _kill_workers(solo)
                    results[i] = _timed_out(paths[i], str(staging / _key(paths[i])), options.timeout)
                except Exception:
                    results[i] = _crashed(paths[i], str(staging / _key(paths[i])),
                                          "处理该文件时工作进程异常退出（可能是内存不足或读取库崩溃）")
                finally:
                    solo.shutdown(wait=True)
                done += 1
                if progress:
                    progress.update(done, Path(paths[i]).name)
            try:
                executor.shutdown(wait=False, cancel_futures=True)
            except Exception:
                pass
            if others:
                executor = respawn(jobs)
                created.append(executor)
            pending = others
        outcomes = [results[i] for i in range(len(paths))]
        place(outcomes, out_dir, lang=options.lang)
    finally:
        for ex in created:
            try:
                ex.shutdown(wait=True)
            except Exception:
                pass
        if progress:
            progress.close()
        if own_staging:
            shutil.rmtree(staging, ignore_errors=True)
    result = BatchResult(outcomes, out_dir, time.perf_counter() - t0)
    report = roster_report(outcomes, roster) if roster is not None else None
    result.roster = report
    result.grades = grades(outcomes, report)  # once: summary.csv and summary.html show the same
    if summary:
        result.summary_csv = write_summary_csv(outcomes, out_dir / SUMMARY_CSV, grades=result.grades)
        result.summary_html = write_summary_html(outcomes, out_dir / SUMMARY_HTML, seconds=result.seconds, roster=report,
                                                 grades=result.grades)
        if report is not None:
            from .roster import to_csv

            result.roster_csv = _atomic_write(out_dir / ROSTER_CSV, to_csv(report, MTIME))
    return result


# ---------------------------------------------------------------- the bureau's run (what bdt batch calls)

class BatchError(UserError):
    """A batch that cannot start (unknown export format, --out not a folder, no workbooks): the
    message says why; `bdt batch` prints it and exits 2. The other refusals are the libraries' own
    errors, raised as they are: RosterError, ConfigError, WaiverError, PriorError."""


def export_formats(text) -> tuple:
    """The --export formats ("pdf,docx" → ("pdf", "docx")), checked against what the exporter offers."""
    formats = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in (text or "").split(",") if f.strip()))
    if formats:
        try:
            from . import export as export_module
            from .export import export  # noqa: F401
        except ImportError as exc:
            raise BatchError(f"导出功能不可用（{exc}）。") from None
        known = getattr(export_module, "FORMATS", None)
        unknown = [f for f in formats if known and f not in known]
        if unknown:
            raise BatchError(f"未知的导出格式 {'、'.join(unknown)}；可选：{'、'.join(known)}。")
    return formats


@dataclass
class BureauRun:
    """A finished `run_bureau`: the batch's result and what its summary lines need."""

    result: BatchResult
    paths: list  # the workbooks found
    used: dict  # {rule settings file or None: [workbooks]} (toolkit.config.check_configs)
    prior: tuple = ()  # last year's candidates (Options.prior)
    formats: tuple = ()
    schema: str | None = None

    def consolidate(self):
        """--consolidate: the 汇总 of these workbooks in --out/汇总 (toolkit.consolidate)."""
        from .consolidate import consolidate

        return consolidate(self.paths, self.result.out_dir / "汇总", formats=self.formats, schema=self.schema)

    def write_prior_csv(self) -> Path:
        """--prior: 上年数匹配.csv beside summary.csv."""
        return write_prior_csv(self.result.outcomes, self.prior, self.result.out_dir / PRIOR_CSV)


def run_bureau(inputs, out, *, fill: bool = False, export=None, export_all: bool = False, schema=None,
               lang: str = "zh", timeout=DEFAULT_TIMEOUT, waivers=None, config=None, prior=None, roster=None,
               executor: str | None = None, scheduler: str | None = None, jobs: int | None = None,
               progress: bool | None = None, say=None) -> BureauRun:
    """`bdt batch`: the workbooks named by `inputs` (files, folders, glob patterns) checked (and with
    `fill` / `export` filled and exported) into `out`, with the bureau's summary.

    Everything that can refuse is checked before any workbook is processed, in this order: the
    export formats, `out`, the roster, the inputs, every rule settings file (`config`, else each
    workbook's own), the waiver file (`waivers`, else the first input folder's bdt-waivers.yaml,
    toolkit.bureau), last year's folder (`prior`). `say(line)` receives the notes meant for the
    user on the way (inputs skipped, settings in force, executor). KeyboardInterrupt stops the
    workers and is raised again."""
    say = say or (lambda line: None)
    out_dir = Path(out)
    formats = export_formats(export)
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchError(f"--out「{out_dir}」不是文件夹。")
    entries = None
    if roster:
        from .roster import read_roster

        entries = read_roster(roster)
    paths, notes = discover(inputs, out_dir)
    for n in notes:
        say(f"注意：{n}")
    if not paths:
        raise BatchError("没有找到要处理的工作簿。")
    from .bureau import bureau_files
    from .config import check_configs

    used = check_configs(paths, config)  # every configuration file read and checked once, before any workbook
    for note in config_notes(used):
        say(note)
    found_waivers = bureau_files(inputs, waivers=waivers).waivers  # --waivers, else the first input folder's
    candidates = ()
    if prior:
        from .prior import index_folder
        from .schema import load_schema

        found, unread = index_folder(prior, load_schema(schema) if schema else None)
        for n in unread:
            say(f"注意：上年工作簿 {n}")
        candidates = tuple((c.path, c.code, c.name, c.year) for c in found)
    options = Options(out_dir=str(out_dir.resolve()), fill=fill, export=formats, export_all=export_all,
                      schema=str(Path(schema).resolve()) if schema else None, lang=lang, timeout=timeout or None,
                      waivers=str(found_waivers.path.resolve()) if found_waivers is not None else None,
                      config=str(Path(config).resolve()) if config else None, prior=candidates)
    kind = executor or ("dask" if scheduler else "process")
    jobs = jobs or default_jobs(len(paths))
    if kind == "process":
        jobs = max(1, min(jobs, len(paths)))
    ex = make_executor(kind, jobs, scheduler, options)
    bar = Progress(len(paths), enabled=progress, label="处理" if (fill or formats) else "校验")
    say(f"共 {len(paths)} 个工作簿，使用{ex.label}处理……")
    try:
        result = run_batch(paths, options, ex.executor, progress=bar, respawn=ex.respawn, jobs=jobs, roster=entries)
    except KeyboardInterrupt:
        try:
            ex.executor.shutdown(wait=False, cancel_futures=True)
        except Exception:
            pass
        raise
    finally:
        if ex.close:
            try:
                ex.close()
            except Exception:
                pass
    return BureauRun(result, paths, used, candidates, formats, schema)


__all__ = ["Options", "FileOutcome", "default_jobs", "usable_cores", "BatchResult", "work", "run_batch", "discover", "safe_folder_name", "place",
           "InlineExecutor", "make_executor", "write_summary_csv", "write_summary_html", "rule_totals",
           "rule_chart_svg", "Progress", "warm", "exit_status", "run_bureau", "BureauRun", "BatchError", "export_formats"]
