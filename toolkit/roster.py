"""The bureau's roster: who is expected to publish, and who has (issue 16, point 2).

A roster is a CSV the finance bureau keeps, one line per department (部门) or unit (单位) expected
to publish: its code, name, parent (the 部门 a 单位 belongs to, by code or by name; empty for a
部门) and due date. Headers in Chinese (部门代码 or 单位代码 or 代码, 名称 or 部门名称 or 单位名称,
上级部门 or 上级主管部门, 截止日期) or English (code, name, parent, due); UTF-8 with or without BOM,
or GBK (what Excel writes on a Chinese Windows); dates as 2024-03-31, 2024/3/31, 2024.3.31 or
2024年3月31日. A bad line is refused with a Chinese message naming the CSV line.

`match(entries, submissions)` gives each roster entry a status:

* 未提交 — no submission matches it;
* 逾期 — its (latest) submission came after the due date (the due date itself is still on time);
* 未通过 — on time, but the workbook has errors (or could not be read);
* 通过 — on time and without errors (warnings and 提示 are allowed: they do not block publication).

逾期 goes before 未通过: a late workbook with errors is 逾期, and its check result is kept beside
(`EntryStatus.check`). A submission is matched by code first (部门代码 of its 基本信息), then by name
(whitespace removed, full-width letters and digits made half-width: NFKC); a workbook that could
not be read is matched by its file name (without the extension) as a name. Several submissions of
one entry: the latest counts, the others are listed as superseded. Submissions that match no
entry (unknown) or several entries by name (ambiguous) are reported, not guessed.

For each 部门 (an entry other entries name as parent, or a parent named by entries but not itself
on the roster) `RosterReport.unpublished` lists its 单位 that have not published (未提交).

The library knows nothing of files' times: the front ends say when a submission came (bdt batch:
the file's modification time; bdt serve: the upload time).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

from .errors import UserError

MISSING, LATE, FAILED, PASSED = "未提交", "逾期", "未通过", "通过"
STATUSES = (MISSING, LATE, FAILED, PASSED)

_HEADERS = {
    "code": ("部门代码", "单位代码", "代码", "编码", "code"),
    "name": ("名称", "部门名称", "单位名称", "name"),
    "parent": ("上级部门", "上级主管部门", "主管部门", "parent"),
    "due": ("截止日期", "截止时间", "due", "due date", "due_date"),
}
_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?\s*$")


class RosterError(UserError):
    """A roster that cannot be read; `message` is for the clerk (Chinese, names the line)."""


@dataclass(frozen=True)
class Entry:
    line: int  # the CSV line (1 is the header)
    code: str
    name: str
    parent: str = ""
    due: date | None = None

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()


@dataclass(frozen=True)
class Submission:
    """One workbook received: what its 基本信息 says, its check result, when it came."""

    key: object  # the caller's handle (an index, a record id)
    code: str | None
    name: str | None
    status: str  # toolkit.batch statuses: ok / errors / unreadable / internal error
    submitted: datetime | None = None
    label: str = ""  # the file name, for messages
    rules: dict = field(default_factory=dict)
    severities: dict = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return self.status == "ok"


@dataclass
class EntryStatus:
    entry: Entry
    status: str
    submission: Submission | None = None
    by: str = ""  # "代码" or "名称": how the submission was matched
    superseded: list = field(default_factory=list)  # earlier submissions of the same entry
    note: str = ""

    @property
    def check(self) -> str:
        """The check result of its submission, in Chinese ('' when none)."""
        s = self.submission
        if s is None:
            return ""
        return {"ok": "通过", "errors": "有错误", "unreadable": "无法读取"}.get(s.status, "内部错误")

    @cached_property
    def grade(self):
        """Its grade (toolkit.grade): from its submission's findings and this status (computed once:
        roster.csv and the roster section show the same)."""
        from .grade import grade

        s = self.submission
        if s is None:
            return grade(roster_status=self.status)
        return grade(s.rules, s.severities, self.status, readable=s.status in ("ok", "errors"))

    @property
    def days_late(self) -> int:
        s = self.submission
        if self.entry.due is None or s is None or s.submitted is None:
            return 0
        return max((s.submitted.date() - self.entry.due).days, 0)


@dataclass
class RosterReport:
    entries: list  # EntryStatus, in roster order
    unknown: list  # Submission matching no entry
    ambiguous: list  # (Submission, [Entry]) matching several entries by name
    unpublished: dict  # 部门 label -> [Entry] of its 单位 not published (未提交)

    def by_status(self, status: str) -> list:
        return [e for e in self.entries if e.status == status]

    def count(self, status: str) -> int:
        return len(self.by_status(status))

    def of(self, key) -> EntryStatus | None:
        """The entry a submission (by its key) counts for, if it is the one that counts."""
        for e in self.entries:
            if e.submission is not None and e.submission.key == key:
                return e
        return None


def normalise(text) -> str:
    """A name or code as compared: NFKC (full-width → half-width), no whitespace at all, case-folded."""
    t = unicodedata.normalize("NFKC", "" if text is None else str(text))
    return re.sub(r"\s+", "", t).casefold()


def decode_roster(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # GBK's superset: what Excel's "CSV" writes on Chinese Windows
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RosterError(f"名单「{name}」既不是 UTF-8 也不是 GBK 编码，无法读取（第 {line} 行附近）。"
                          "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”。") from None


def parse_date(text: str) -> date | None:
    t = unicodedata.normalize("NFKC", text or "").strip()
    if not t:
        return None
    m = _DATE.match(t)
    if not m:
        raise ValueError
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _columns(header: list[str], name: str) -> dict:
    found = {}
    for i, h in enumerate(header):
        key = normalise(h).replace("_", " ")
        for field_, names in _HEADERS.items():
            if key in {normalise(n).replace("_", " ") for n in names} and field_ not in found:
                found[field_] = i
    missing = [f for f in ("code", "name") if f not in found]
    if missing:
        zh = {"code": "部门代码", "name": "名称"}
        raise RosterError(f"名单「{name}」第 1 行（表头）缺少列：{'、'.join(zh[f] for f in missing)}。"
                          "表头应为 部门代码,名称,上级部门,截止日期（或 code,name,parent,due）。")
    return found


def read_roster(path, text: str | None = None) -> list[Entry]:
    """The entries of a roster CSV (or of `text`, the CSV's content). Raises RosterError."""
    name = Path(path).name if path else "名单"
    if text is None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise RosterError(f"无法读取名单「{name}」：{exc.strerror or exc}。") from None
        text = decode_roster(data, name)
    text = text.lstrip("\ufeff")
    lines = []  # the CSV line each row starts on (a quoted field may span lines)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    line = 1
    for row in reader:
        lines.append(line)
        rows.append(row)
        line = reader.line_num + 1
    if not rows or not any(c.strip() for c in rows[0]):
        raise RosterError(f"名单「{name}」是空的：第 1 行应为表头 部门代码,名称,上级部门,截止日期。")
    cols = _columns(rows[0], name)
    entries: list[Entry] = []
    seen: dict = {}
    for row, line in zip(rows[1:], lines[1:]):
        if not any(c.strip() for c in row):
            continue  # a blank line
        get = lambda f: row[cols[f]].strip() if f in cols and cols[f] < len(row) else ""  # noqa: E731
        code, nm, parent, due = get("code"), get("name"), get("parent"), get("due")
        if not code and not nm:
            raise RosterError(f"名单「{name}」第 {line} 行：部门代码和名称都是空的。")
        if not nm:
            raise RosterError(f"名单「{name}」第 {line} 行：名称是空的（部门代码 {code}）。")
        try:
            when = parse_date(due)
        except ValueError:
            raise RosterError(f"名单「{name}」第 {line} 行：截止日期「{due}」不是日期"
                              "（应写作 2024-03-31、2024/3/31 或 2024年3月31日）。") from None
        key = normalise(code)
        if key and key in seen:
            raise RosterError(f"名单「{name}」第 {line} 行：部门代码 {code} 与第 {seen[key]} 行重复。")
        if key:
            seen[key] = line
        entries.append(Entry(line, code, nm, parent, when))
    return entries


def _late(entry: Entry, s: Submission) -> bool:
    return entry.due is not None and s.submitted is not None and s.submitted.date() > entry.due


def _when(s: Submission):
    return s.submitted or datetime.min


def match(entries: list[Entry], submissions) -> RosterReport:
    """Each roster entry's status from the submissions (see the module docstring)."""
    by_code: dict = {}
    by_name: dict = {}
    for e in entries:
        if normalise(e.code):
            by_code[normalise(e.code)] = e
        by_name.setdefault(normalise(e.name), []).append(e)
    got: dict = {}  # entry line -> [(submission, by, note)]
    unknown, ambiguous = [], []
    for s in submissions:
        code = normalise(s.code)
        name = normalise(s.name) if s.name else normalise(Path(s.label).stem) if s.label and s.status in (
            "unreadable", "internal error") else ""
        note = ""
        if code and code in by_code:
            e, by = by_code[code], "代码"
            if name and normalise(e.name) != name:
                note = f"工作簿中的名称「{s.name}」与名单不同（名单为「{e.name}」），按部门代码对应"
        elif name and len(by_name.get(name, [])) == 1:
            e, by = by_name[name][0], "名称"
            if code and normalise(e.code) and code != normalise(e.code):
                note = f"工作簿中的部门代码 {s.code} 与名单不同（名单为 {e.code}），按名称对应"
        elif name and by_name.get(name):
            ambiguous.append((s, list(by_name[name])))
            continue
        else:
            unknown.append(s)
            continue
        got.setdefault(e.line, []).append((s, by, note))
    statuses = []
    for e in entries:
        subs = sorted(got.get(e.line, []), key=lambda t: _when(t[0]), reverse=True)
        if not subs:
            statuses.append(EntryStatus(e, MISSING))
            continue
        s, by, note = subs[0]
        status = LATE if _late(e, s) else PASSED if s.clean else FAILED
        statuses.append(EntryStatus(e, status, s, by, [t[0] for t in subs[1:]], note))
    return RosterReport(statuses, unknown, ambiguous, _unpublished(entries, statuses))


def _unpublished(entries: list[Entry], statuses: list[EntryStatus]) -> dict:
    """部门 label -> its 单位 not published, for every 部门 that has 单位 on the roster."""
    by_code = {normalise(e.code): e for e in entries if normalise(e.code)}
    by_name: dict = {}
    for e in entries:
        by_name.setdefault(normalise(e.name), []).append(e)
    out: dict = {}
    status = {s.entry.line: s.status for s in statuses}
    for e in entries:
        if not e.parent.strip():
            continue
        p = normalise(e.parent)
        head = by_code.get(p) or (by_name[p][0] if len(by_name.get(p, [])) == 1 else None)
        label = head.label if head else e.parent.strip()
        units = out.setdefault(label, [])
        if status[e.line] == MISSING:
            units.append(e)
    return out


def submission_from_outcome(key, outcome, submitted: datetime | None) -> Submission:
    """A `toolkit.batch.FileOutcome` (batch, or a serve record turned into one) as a Submission."""
    return Submission(key, outcome.dept_code, outcome.department, outcome.status, submitted,
                      Path(outcome.path).name, dict(outcome.rules), dict(outcome.severities))


# ---------------------------------------------------------------- the roster in a summary

def _time(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M") if t else ""


def _safe(v) -> str:
    """Text Excel will not run as a formula (CSV injection)."""
    t = "" if v is None else str(v)
    return "'" + t if t[:1] in ("=", "+", "-", "@", "\t", "\r") else t


ROSTER_COLUMNS = ["名单行号", "部门代码", "名称", "上级部门", "截止日期", "状态", "提交时间", "逾期天数", "校验结果",
                  "等级", "得分", "文件", "对应方式", "说明"]


def to_csv(report: RosterReport, time_source: str) -> bytes:
    """The roster's status as CSV (UTF-8 with BOM, as summary.csv): one row per roster entry in
    roster order, then the submissions not on the roster (状态 不在名单中 / 无法对应)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(ROSTER_COLUMNS)
    for st in report.entries:
        e, s, g = st.entry, st.submission, st.grade
        notes = [st.note] if st.note else []
        if st.superseded:
            notes.append(f"另有较早提交 {len(st.superseded)} 份：" + "、".join(x.label for x in st.superseded))
        w.writerow([e.line, _safe(e.code), _safe(e.name), _safe(e.parent), e.due.isoformat() if e.due else "", st.status,
                    _time(s.submitted) if s else "", st.days_late or "", st.check, g.letter, g.score,
                    _safe(s.label) if s else "", st.by, _safe("；".join(notes))])
    for s in report.unknown:
        w.writerow(["", _safe(s.code or ""), _safe(s.name or ""), "", "", "不在名单中", _time(s.submitted), "", "", "", "",
                    _safe(s.label), "", "名单中没有这个部门代码或名称"])
    for s, many in report.ambiguous:
        w.writerow(["", _safe(s.code or ""), _safe(s.name or ""), "", "", "无法对应", _time(s.submitted), "", "", "", "",
                    _safe(s.label), "", "名称与名单中多项相同：第 " + "、".join(str(e.line) for e in many) + " 行"])
    w.writerow([])
    w.writerow([f"提交时间：{time_source}"])
    return buf.getvalue().encode("utf-8-sig")


_ST_CLASS = {MISSING: "status-unreadable", LATE: "status-errors", FAILED: "status-errors", PASSED: "status-ok"}


def to_html(report: RosterReport, time_source: str) -> str:
    """The roster section of a bureau summary (an HTML fragment; every text escaped)."""
    import html

    e = html.escape
    n = len(report.entries)
    out = ['<section id="roster">', "<h2>名单核对（应公开的部门和单位）</h2>",
           f'<p class="summary-counts"><span>名单共 {n} 个</span>'
           + "".join(f'<span class="{_ST_CLASS[s]}">{s} {report.count(s)}</span>' for s in STATUSES) + "</p>",
           f'<p class="meta">提交时间：{e(time_source)}。截止日期当天提交不算逾期；逾期且有错误的记为“逾期”，校验结果见“校验”列；'
           "“通过”允许有警告和提示。</p>"]
    missing = report.by_status(MISSING)
    out.append(f'<h3>未提交（{len(missing)} 个）</h3>')
    if missing:
        out.append('<ul id="roster-missing">' + "".join(f"<li>{e(m.entry.label)}</li>" for m in missing) + "</ul>")
    else:
        out.append("<p>名单中的部门和单位都已提交。</p>")
    if report.unpublished:
        out.append("<h3>各部门未公开的所属单位</h3>")
        out.append('<ul id="roster-units">')
        for head, units in report.unpublished.items():
            text = "、".join(e(u.label) for u in units) if units else "所属单位均已提交"
            out.append(f'<li data-dept="{e(head)}"><strong>{e(head)}</strong>（未公开 {len(units)} 个）：{text}</li>')
        out.append("</ul>")
    out.append('<table id="roster-table"><thead><tr><th>行号</th><th>部门代码</th><th>名称</th><th>上级部门</th>'
               "<th>截止日期</th><th>状态</th><th>提交时间</th><th>校验</th><th>等级</th><th>文件</th><th>说明</th></tr></thead><tbody>")
    for st in report.entries:
        en, s, g = st.entry, st.submission, st.grade
        notes = [st.note] if st.note else []
        if st.days_late:
            notes.insert(0, f"逾期 {st.days_late} 天")
        if st.superseded:
            notes.append(f"另有较早提交 {len(st.superseded)} 份")
        out.append(f'<tr><td class="num">{en.line}</td><td>{e(en.code)}</td><td>{e(en.name)}</td><td>{e(en.parent)}</td>'
                   f'<td>{en.due.isoformat() if en.due else ""}</td><td><span class="{_ST_CLASS[st.status]}">{st.status}</span></td>'
                   f'<td>{_time(s.submitted) if s else ""}</td><td>{e(st.check)}</td>'
                   f'<td class="grade grade-{g.letter}">{g.letter}</td><td>{e(s.label) if s else ""}</td>'
                   f'<td class="msg">{e("；".join(notes))}</td></tr>')
    out.append("</tbody></table>")
    if report.unknown or report.ambiguous:
        out.append(f"<h3>不在名单中或无法对应的工作簿（{len(report.unknown) + len(report.ambiguous)} 个）</h3>")
        out.append('<ul id="roster-unknown">')
        for s in report.unknown:
            out.append(f"<li>{e(s.label)}（{e(s.code or '无代码')} {e(s.name or '无名称')}）：名单中没有这个部门代码或名称</li>")
        for s, many in report.ambiguous:
            lines = "、".join(f"第 {m.line} 行 {e(m.label)}" for m in many)
            out.append(f"<li>{e(s.label)}（{e(s.name or '')}）：名称与名单中多项相同（{lines}），请在工作簿中填写部门代码</li>")
        out.append("</ul>")
    out.append("</section>")
    return "\n".join(out)


__all__ = ["to_csv", "to_html", "ROSTER_COLUMNS", "decode_roster", "Entry", "Submission", "EntryStatus", "RosterReport", "RosterError", "read_roster", "match",
           "normalise", "submission_from_outcome", "MISSING", "LATE", "FAILED", "PASSED", "STATUSES"]
