"""One workbook's result in a bureau's run (`bdt batch`, the serve bureau page): `FileOutcome`,
its statuses and the exit status of many.

A `FileOutcome` is small and picklable (it crosses process and Dask boundaries): department,
status, counts per severity, findings per rule, a message in Chinese, and where its outputs are.
`read_outcome` reads a workbook for such a row (an unreadable file gives the row its reason);
`count_findings` fills the counts from the findings; `exit_status` is `bdt validate`'s rule over
many rows. Imported by toolkit.batch (which re-exports these names), toolkit.summary and
toolkit.serve.jobs.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 3  # as bdt validate
OK, ERRORS, UNREADABLE, INTERNAL = "ok", "errors", "unreadable", "internal error"
STATUS_ZH = {OK: "通过", ERRORS: "有错误", UNREADABLE: "无法读取", INTERNAL: "内部错误"}
TOP_RULES = 3
_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass
class FileOutcome:
    """One workbook's result: small, picklable, one row of the summary."""

    path: str
    department: str | None = None
    dept_code: str | None = None
    status: str = OK
    counts: dict = field(default_factory=lambda: {"error": 0, "warning": 0, "info": 0})
    rules: dict = field(default_factory=dict)  # rule code -> number of findings
    severities: dict = field(default_factory=dict)  # rule code -> severity
    message: str = ""
    staging: str = ""
    folder: str | None = None  # the department's folder, relative to out_dir
    outputs: list = field(default_factory=list)
    seconds: float = 0.0
    config: str = ""  # the rule settings it was checked with (toolkit.config.InForce.text())
    prior: str = ""  # last year's workbook matched (--prior), its path
    prior_note: str = ""  # how it was matched (按部门代码/按部门名称), or why none was

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def top_rules(self) -> list[tuple[str, int]]:
        """The rules a department should look at first: errors before warnings and info, then by count."""
        rank = {"error": 0, "warning": 1, "info": 2}
        return sorted(self.rules.items(),
                      key=lambda kv: (rank.get(self.severities.get(kv[0]), 3), -kv[1], kv[0]))[:TOP_RULES]

    @property
    def readable(self) -> bool:
        return self.status in (OK, ERRORS)


def _last_line(exc: BaseException) -> str:
    """The traceback's last line, and where it happened (file:line of the innermost frame)."""
    line = traceback.format_exception_only(type(exc), exc)[-1].strip()
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        frame = tb[-1]
        parts = Path(frame.filename).parts
        where = "/".join(parts[-2:]) if len(parts) >= 2 else frame.filename
        return f"{line}（{where}:{frame.lineno}）"
    return line


def _internal(message: str, exc: BaseException) -> str:
    return f"程序内部错误（不是文件本身的问题）：{message}{_last_line(exc)}。请把该文件和此信息转给技术支持。"


def read_outcome(path: Path, out: FileOutcome, schema=None, name: str | None = None):
    """Read one workbook for a summary row: the Disclosure, or None with `out` saying why it is
    unreadable (in Chinese, naming the file as `name`, else its file name). Batch and serve share it."""
    from .io.reader import WorkbookError, read_workbook

    try:
        d = read_workbook(path, schema=schema) if schema is not None else read_workbook(path)
    except WorkbookError as exc:
        out.status, out.message = UNREADABLE, exc.message
        return None
    except OSError as exc:
        out.status, out.message = UNREADABLE, f"无法读取文件「{name or Path(path).name}」：{exc.strerror or exc}。"
        return None
    out.department = _text(d.dept_name)
    out.dept_code = _text(d.dept_code)
    return d


def count_findings(out: FileOutcome, findings) -> None:
    """A summary row's counts per severity and rule, the most severe severity per rule, and its
    status (errors / clean) unless the work already failed inside the toolkit."""
    for f in findings:
        if getattr(f, "waived", None) is not None:  # reviewed and accepted (toolkit.waivers): counted apart
            out.counts["waived"] = out.counts.get("waived", 0) + 1
            continue
        out.counts[f.severity] = out.counts.get(f.severity, 0) + 1
        out.rules[f.rule] = out.rules.get(f.rule, 0) + 1
        if _RANK.get(f.severity, 3) < _RANK.get(out.severities.get(f.rule), 3):
            out.severities[f.rule] = f.severity  # the most severe seen for the rule
    if out.status != INTERNAL:
        out.status = ERRORS if out.counts.get("error") else OK


def _text(v) -> str | None:
    if v is None:
        return None
    t = str(v).strip()
    return t or None


def exit_status(outcomes) -> int:
    """3 if any file met an internal error, else 2 if any could not be read, 1 if any has errors."""
    if any(o.status == INTERNAL for o in outcomes):
        return EXIT_INTERNAL
    if any(o.status == UNREADABLE for o in outcomes):
        return EXIT_UNREADABLE
    if any(o.status == ERRORS for o in outcomes):
        return EXIT_FINDINGS
    return EXIT_OK



__all__ = ["FileOutcome", "read_outcome", "count_findings", "exit_status", "OK", "ERRORS", "UNREADABLE", "INTERNAL",
           "STATUS_ZH", "EXIT_OK", "EXIT_FINDINGS", "EXIT_UNREADABLE", "EXIT_INTERNAL"]
