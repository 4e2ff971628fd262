"""What the pages of `bdt serve` show, computed from the store's records: no Starlette, no requests.

The routes in `app.py` read the request, call one function here (in a worker thread where it reads
files) and render a template; what a page *means* — which submission is a department's latest,
how it is graded, how the findings of a sheet window are marked — is decided here."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from . import jobs
from .storage import PENDING

UPLOAD_TIME = "上传时间"  # a submission's time on the bureau page (a roster's 逾期)
SORTS = {"grade": "等级", "errors": "错误数", "name": "单位名称"}
RANK = {"error": 0, "warning": 1, "info": 2}


def roster(path: Path, outcomes: list, rows: list):
    """(RosterReport or None, error message or ''): the roster file at `path` against these outcomes
    (`rows`: their store records, for the upload times); no file: (None, '')."""
    from ..roster import RosterError, read_roster
    from ..summary import roster_report

    if not path.is_file():
        return None, ""
    try:
        entries = read_roster(path)
    except RosterError as exc:
        return None, exc.message
    return roster_report(outcomes, entries, [datetime.fromtimestamp(r["created"]) for r in rows]), ""


def bureau_board(store, roster_path: Path, sort: str = "grade") -> dict:
    """The bureau page: every record, each department's latest finished submission with its grade
    (worst first by default, as `bdt batch` sorts), and the roster report. Findings (result.json)
    are read only for the submissions graded: the latest per department and those the roster
    counts (matching needs only a record's code, name and time)."""
    from ..summary import outcome_grade

    rows = store.every()
    done = [r for r in rows if r["status"] not in PENDING]
    firsts: dict = {}
    for k, r in enumerate(done):  # newest first: the first seen per department is its latest
        key = r["dept_code"] or r["department"]
        if key and key not in firsts:
            firsts[key] = k
    outcomes = [jobs.outcome(r, None) for r in done]
    report, error = roster(roster_path, outcomes, done)
    need = set(firsts.values()) | ({e.submission.key for e in report.entries if e.submission} if report else set())
    for k in need:
        outcomes[k] = jobs.outcome(done[k], store.result(done[k]["id"]))
    if report is not None:
        report = roster(roster_path, outcomes, done)[0]
    latest = []
    for k in firsts.values():
        st = report.of(k) if report is not None else None
        latest.append((done[k], outcome_grade(outcomes[k], st.status if st is not None else None)))
    sort = sort if sort in SORTS else "grade"
    order = {"grade": lambda t: (-t[1].rank, t[1].score, -t[0]["errors"]),
             "errors": lambda t: (-t[0]["errors"], -t[0]["warnings"]),
             "name": lambda t: t[0]["department"] or t[0]["filename"]}[sort]
    return {"rows": rows, "latest": sorted(latest, key=order), "sort": sort, "report": report,
            "roster_error": error}


def window_findings(findings: list, sheet: str, cell: str | None) -> tuple[list, dict]:
    """(the findings of `cell`, worst first; {cell: its worst severity} on `sheet`) — the sheet window
    marks cells as the annotated workbook colours them."""
    here = sorted((f for f in findings if f["sheet"] == sheet and f["cell"] == cell), key=lambda f: RANK[f["severity"]])
    marked: dict = {}
    for f in findings:
        if f["sheet"] == sheet and f["cell"]:
            old = marked.get(f["cell"])
            if old is None or RANK[f["severity"]] < RANK[old]:
                marked[f["cell"]] = f["severity"]
    return here, marked
