"""The bureau's summary of a run over many workbooks: summary.csv, summary.html, roster.csv,
上年数匹配.csv and the lines `bdt batch` prints.

Every function here takes the run's `toolkit.outcome.FileOutcome` rows (in input order) and,
where it applies, the roster's report (toolkit.roster.RosterReport, keyed by the rows' indexes)
or last year's candidates (toolkit.prior): it reads no workbook. `bdt batch` (toolkit.batch) and
the serve bureau page (toolkit.serve.app) write the same tables through it.

- summary.csv: UTF-8 with BOM, one row per workbook, columns `CSV_COLUMNS` (…提示, 已豁免,
  主要问题, 输出文件夹, 说明, 规则设置, 等级, 得分), text cells guarded against CSV injection.
- summary.html: self-contained (inline CSS, an SVG chart of findings per rule, the sorting script
  of toolkit.sortable), worst grade first; the roster section first when there is a roster.
- the grade (toolkit.grade) of each row, from its findings and its roster status, computed once
  per run (`grades`) and given to both writers.
"""
from __future__ import annotations

import csv
import html
import io
import os
from datetime import date
from pathlib import Path
from urllib.parse import quote

from .outcome import _RANK, ERRORS, INTERNAL, OK, STATUS_ZH, UNREADABLE, FileOutcome

SUMMARY_CSV, SUMMARY_HTML = "summary.csv", "summary.html"  # the batch's own files in --out
ROSTER_CSV = "roster.csv"  # with --roster: each roster entry's status, beside summary.csv
PRIOR_CSV = "上年数匹配.csv"
MTIME = "工作簿文件的修改时间"  # what a batch takes as a submission's time (a roster's 逾期)


# ---------------------------------------------------------------- cells

def _display(o: FileOutcome) -> str:
    return o.department or Path(o.path).stem


def _top(o: FileOutcome) -> str:
    return "、".join(f"{code}×{n}" for code, n in o.top_rules)


def _csv_safe(v) -> str:
    """Text that Excel will not run as a formula (CSV injection: =, +, -, @ at the start)."""
    t = "" if v is None else str(v)
    return "'" + t if t[:1] in ("=", "+", "-", "@", "\t", "\r") else t


def _atomic_write(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def _default_config() -> str:
    from .config import DEFAULT_TEXT

    return DEFAULT_TEXT


# ---------------------------------------------------------------- grades

def outcome_grade(o: FileOutcome, roster_status: str | None = None):
    """A workbook's grade (toolkit.grade) from its findings and, with a roster, its entry's status."""
    from .grade import grade

    return grade(o.rules, o.severities, roster_status, readable=o.readable)


def grades(outcomes, roster=None) -> list:
    """Each outcome's grade, in order (with `roster`, a RosterReport keyed by the outcomes' indexes,
    its entry's status counts: late is one grade down). Computed once per run and given to both
    writers (`grades=`); a writer given none computes them itself."""
    out = []
    for k, o in enumerate(outcomes):
        st = roster.of(k) if roster is not None else None
        out.append(outcome_grade(o, st.status if st is not None else None))
    return out


_grades = grades  # the writers' parameter `grades` shadows the function


# ---------------------------------------------------------------- summary.csv

CSV_COLUMNS = ["序号", "部门", "部门代码", "文件", "状态", "status", "错误", "警告", "提示", "已豁免", "主要问题", "输出文件夹", "说明",
               "规则设置", "等级", "得分"]


def write_summary_csv(outcomes, path, roster=None, grades=None) -> Path:
    """summary.csv: UTF-8 with BOM (Excel opens it right), one row per workbook, input order.
    `grades`: the outcomes' grades (`grades()`), else computed here from `roster`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    grades = _grades(outcomes, roster) if grades is None else grades
    for k, o in enumerate(outcomes, 1):
        g = grades[k - 1]
        w.writerow([k, _csv_safe(o.department or ""), _csv_safe(o.dept_code or ""), _csv_safe(o.path),
                    STATUS_ZH.get(o.status, o.status), o.status, o.counts.get("error", 0), o.counts.get("warning", 0),
                    o.counts.get("info", 0), o.counts.get("waived", 0), _top(o), _csv_safe(o.folder or ""),
                    _csv_safe(o.message), _csv_safe(o.config or _default_config()), g.letter, g.score])
    return _atomic_write(Path(path), buf.getvalue().encode("utf-8-sig"))


# ---------------------------------------------------------------- summary.html

def config_groups(outcomes) -> list[tuple[str, list]]:
    """(rule settings, [outcomes checked with them]) in order of first appearance: what the summary
    prints, so a department's own settings (per-department tables) show as a group of its own."""
    groups: dict = {}
    for o in outcomes:
        groups.setdefault(o.config or _default_config(), []).append(o)
    return list(groups.items())


def _config_html(outcomes) -> list[str]:
    e = html.escape
    groups = config_groups(outcomes)
    out = ['<section class="config">', "<h2>规则设置</h2>"]
    if len(groups) == 1:
        out.append(f'<p class="meta config">全部工作簿：{e(groups[0][0])}</p>')
    else:
        out.append('<ul class="config-list">')
        for text, members in groups:
            names = "、".join(_display(o) for o in members)
            out.append(f"<li>{e(text)}<br>适用于 {len(members)} 个工作簿：{e(names)}</li>")
        out.append("</ul>")
    out.append("</section>")
    return out


def rule_totals(outcomes) -> list[dict]:
    """Per rule across all departments: code, title, severity, findings, departments."""
    from .rules import catalogue

    titles = {r.code: r for r in catalogue()}
    totals: dict[str, dict] = {}
    for o in outcomes:
        for code, n in o.rules.items():
            t = totals.setdefault(code, {"code": code, "findings": 0, "departments": 0,
                                         "severity": o.severities.get(code, "info")})
            t["findings"] += n
            t["departments"] += 1
            sev = o.severities.get(code, "info")
            if _RANK.get(sev, 3) < _RANK.get(t["severity"], 3):
                t["severity"] = sev  # as found (a rule may report a milder case than its catalogue severity)
    for code, t in totals.items():
        rule = titles.get(code)
        t["title"] = rule.title if rule else ""
    return sorted(totals.values(), key=lambda t: (-t["findings"], _RANK.get(t["severity"], 3), t["code"]))


_SEV_COLOR = {"error": "#b3261e", "warning": "#c77700", "info": "#00838f"}
_SEV_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
def rule_chart_svg(totals: list[dict], limit: int = 25) -> str:
    """An inline SVG horizontal bar chart of findings per rule (top `limit` rules)."""
    rows = totals[:limit]
    if not rows:
        return ""
    e = html.escape
    bar_h, gap, label_w, bar_w, num_w = 18, 6, 250, 520, 150
    height = len(rows) * (bar_h + gap) + gap + 22
    width = label_w + bar_w + num_w
    peak = max(t["findings"] for t in rows) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="100%" '
           f'role="img" aria-label="各规则问题数">',
           '<style>text{font-size:12px;font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif}</style>']
    for k, t in enumerate(rows):
        y = gap + k * (bar_h + gap)
        w = max(2, round(bar_w * t["findings"] / peak))
        color = _SEV_COLOR.get(t["severity"], "#555")
        label = f'{t["code"]} {t["title"]}'
        if len(label) > 20:
            label = label[:19] + "…"
        out.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{e(label)}</text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{color}" rx="2">'
                   f'<title>{e(t["code"])} {e(t["title"])}：{t["findings"]} 项，{t["departments"]} 个单位</title></rect>')
        out.append(f'<text x="{label_w + w + 6}" y="{y + 13}">{t["findings"]}（{t["departments"]} 个单位）</text>')
    ly = height - 8
    x = label_w
    for sev in ("error", "warning", "info"):
        out.append(f'<rect x="{x}" y="{ly - 10}" width="12" height="12" fill="{_SEV_COLOR[sev]}"/>'
                   f'<text x="{x + 16}" y="{ly}">{_SEV_ZH[sev]}</text>')
        x += 70
    out.append("</svg>")
    return "\n".join(out)


_CSS = """
.summary-counts span { margin-right: 1.2em; }
.status-ok { color: #1e6b2f; font-weight: bold; }
.status-errors { color: #b3261e; font-weight: bold; }
.status-unreadable, .status-internal { color: #fff; background: #b3261e; padding: 0 .4em; border-radius: 3px; }
td.num { text-align: right; white-space: nowrap; }
.chart { max-width: 900px; display: block; margin: .5em 0 1.5em; }
ul.unreadable-list li { margin: .3em 0; }
td.grade { text-align: center; font-weight: bold; }
.grade-A { color: #1e6b2f; } .grade-B { color: #2f5f8a; } .grade-C { color: #c77700; } .grade-D { color: #b3261e; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; text-decoration: underline dotted; }
th[aria-sort=ascending] button::after { content: " ▲"; } th[aria-sort=descending] button::after { content: " ▼"; }
"""


def write_summary_html(outcomes, path, seconds: float | None = None, today: date | None = None, roster=None,
                       time_source: str = MTIME, grades=None) -> Path:
    """summary.html: self-contained (inline CSS, SVG and the table-sorting script of
    toolkit.sortable), one row per workbook, worst grade first; with `roster` (a RosterReport whose
    keys are the outcomes' indexes) the roster section, `time_source` saying what the submission
    times are. `grades`: as write_summary_csv."""
    from . import __version__
    from . import report
    from .grade import RULE_TEXT
    from .sortable import script_tag

    e = html.escape
    today = today or date.today()
    totals = rule_totals(outcomes)
    n = len(outcomes)
    by = {s: sum(1 for o in outcomes if o.status == s) for s in STATUS_ZH}
    warned = sum(1 for o in outcomes if o.status == OK and o.counts.get("warning"))
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>部门预算公开批量校验汇总</title>",
           f"<style>{getattr(report, '_CSS', '')}{_CSS}</style>", "</head>", "<body>", "<header>",
           "<h1>部门预算公开批量校验汇总</h1>",
           f'<p class="meta">生成日期：{today.year}年{today.month}月{today.day}日'
           + (f"　用时 {seconds:.1f} 秒" if seconds is not None else "") + "</p>",
           f'<p class="summary-counts"><span>共 {n} 个工作簿</span>'
           f'<span class="status-ok">通过 {by[OK]}</span>'
           + (f"<span>（其中 {warned} 个有警告）</span>" if warned else "")
           + f'<span class="status-errors">有错误 {by[ERRORS]}</span>'
           f"<span>无法读取 {by[UNREADABLE]}</span>"
           + (f"<span>内部错误 {by[INTERNAL]}</span>" if by[INTERNAL] else "") + "</p>",
           "</header>"]

    bad = [o for o in outcomes if o.status in (UNREADABLE, INTERNAL)]
    if bad:
        out.append('<section class="unreadable">')
        out.append(f"<h2>无法处理的文件（{len(bad)} 个）</h2>")
        out.append('<ul class="unreadable-list">')
        for o in bad:
            link = f' <a href="{quote(o.folder)}/report.html">报告</a>' if o.folder else ""
            out.append(f"<li><strong>{e(o.name)}</strong>：{e(o.message)}{link}</li>")
        out.append("</ul></section>")

    if roster is not None:
        from .roster import to_html

        out.append(to_html(roster, time_source))

    if totals:
        out.append("<section>")
        out.append("<h2>各规则问题数（全部单位合计）</h2>")
        out.append(rule_chart_svg(totals))
        out.append("<table><thead><tr><th>规则</th><th>名称</th><th>级别</th><th>问题数</th><th>涉及单位数</th></tr></thead><tbody>")
        for t in totals:
            out.append(f'<tr><td class="cell">{e(t["code"])}</td><td>{e(t["title"])}</td>'
                       f'<td><span class="sev sev-{e(t["severity"])}">{e(_SEV_ZH.get(t["severity"], t["severity"]))}</span></td>'
                       f'<td class="num">{t["findings"]}</td><td class="num">{t["departments"]}</td></tr>')
        out.append("</tbody></table></section>")

    out += _config_html(outcomes)

    grades = _grades(outcomes, roster) if grades is None else grades
    rank = {INTERNAL: 0, UNREADABLE: 1, ERRORS: 2, OK: 3}
    # worst first: grade D before A, then fewer points, then status and errors as before
    ordered = sorted(enumerate(outcomes, 1), key=lambda ko: (-grades[ko[0] - 1].rank, grades[ko[0] - 1].score,
                                                            rank.get(ko[1].status, 0), -ko[1].counts.get("error", 0),
                                                            -ko[1].counts.get("warning", 0), ko[0]))
    out.append("<section>")
    out.append("<h2>各单位校验结果</h2>")
    out.append(f'<p class="meta grade-rule">{e(RULE_TEXT)}默认按等级从低到高排列；点击表头可按等级、错误数或部门名称排序。</p>')
    out.append('<table class="sortable" id="results"><thead><tr><th data-sort="num"><button type="button">序号</button></th>'
               '<th data-sort="text"><button type="button">部门</button></th><th>文件</th><th>状态</th>'
               '<th data-sort="num"><button type="button">错误</button></th><th data-sort="num"><button type="button">警告</button></th>'
               '<th>提示</th><th data-sort="num"><button type="button">已豁免</button></th>'
               '<th data-sort="num"><button type="button">等级</button></th>'
               '<th data-sort="num"><button type="button">得分</button></th>'
               "<th>主要问题</th><th>报告</th><th>说明</th></tr></thead><tbody>")
    for k, o in ordered:
        g = grades[k - 1]
        cls = {OK: "status-ok", ERRORS: "status-errors", UNREADABLE: "status-unreadable",
               INTERNAL: "status-internal"}.get(o.status, "")
        link = f'<a href="{quote(o.folder)}/report.html">查看</a>' if o.folder else ""
        out.append(f'<tr><td class="num">{k}</td><td>{e(_display(o))}</td><td>{e(o.name)}</td>'
                   f'<td><span class="{cls}">{e(STATUS_ZH.get(o.status, o.status))}</span></td>'
                   f'<td class="num">{o.counts.get("error", 0)}</td><td class="num">{o.counts.get("warning", 0)}</td>'
                   f'<td class="num">{o.counts.get("info", 0)}</td><td class="num">{o.counts.get("waived", 0)}</td>'
                   f'<td class="grade grade-{g.letter}" data-v="{g.rank}" title="{e("；".join(g.reasons))}">{g.letter}</td>'
                   f'<td class="num">{g.score}</td><td>{e(_top(o))}</td><td>{link}</td>'
                   f'<td class="msg">{e(o.message)}</td></tr>')
    out.append("</tbody></table></section>")
    out.append(script_tag())
    out.append(f"<footer>本汇总由 bdt {e(__version__)}（部门预算公开工具）生成。各单位的问题清单见其文件夹中的 report.html。</footer>")
    out.append("</body></html>")
    return _atomic_write(Path(path), ("\n".join(out) + "\n").encode("utf-8"))


# ---------------------------------------------------------------- roster

def _mtime(path: str):
    from datetime import datetime

    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime)
    except OSError:
        return None


def roster_report(outcomes, entries, times=None):
    """The roster's status (toolkit.roster.match) of these outcomes, each outcome's key its index;
    `times[i]`: when outcome i was submitted (default: its file's modification time)."""
    from .roster import match, submission_from_outcome

    return match(entries, [submission_from_outcome(k, o, times[k] if times is not None else _mtime(o.path))
                           for k, o in enumerate(outcomes)])


# ---------------------------------------------------------------- last year's workbooks

def prior_summary(outcomes, candidates) -> dict:
    """Which workbooks got last year's workbook, which did not (and why), which of last year's
    workbooks no department of this year matched."""
    used = {o.prior for o in outcomes if o.prior}
    return {"matched": [o for o in outcomes if o.prior],
            "unmatched": [o for o in outcomes if o.readable and not o.prior],
            "unused": [c[0] for c in candidates if c[0] not in used]}


def write_prior_csv(outcomes, candidates, path) -> Path:
    """上年数匹配.csv: one row per workbook (its last year's workbook, how matched or why not) and one
    per last year's workbook that matched no department."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["工作簿", "单位", "部门代码", "上年工作簿", "匹配方式或未匹配原因"])
    for o in outcomes:
        w.writerow([_csv_safe(o.name), _csv_safe(o.department or ""), _csv_safe(o.dept_code or ""),
                    _csv_safe(Path(o.prior).name if o.prior else ""), _csv_safe(o.prior_note or o.message)])
    for p in prior_summary(outcomes, candidates)["unused"]:
        w.writerow(["", "", "", _csv_safe(Path(p).name), "没有本年工作簿与之匹配"])
    return _atomic_write(Path(path), ("\ufeff" + buf.getvalue()).encode("utf-8"))


def prior_lines(outcomes, candidates, csv_path=None) -> list[str]:
    """The --prior part of the batch summary: matched, unmatched (with why), unused."""
    s = prior_summary(outcomes, candidates)
    lines = [f"上年工作簿：{len(s['matched'])} 个单位已匹配，{len(s['unmatched'])} 个未匹配"
             + (f"，{len(s['unused'])} 个上年工作簿没有对应的本年工作簿" if s["unused"] else "") + "。"]
    lines += [f"  未匹配：{_display(o)}：{o.prior_note}" for o in s["unmatched"]]
    lines += [f"  未使用的上年工作簿：{Path(p).name}" for p in s["unused"]]
    if csv_path:
        lines.append(f"上年数匹配明细：{csv_path}")
    return lines


# ---------------------------------------------------------------- what the command prints

def config_notes(used: dict) -> list[str]:
    """One line per configuration file the batch uses ({path or None: [workbooks]})."""
    from .config import DEFAULT_TEXT

    return [f"规则设置：{path or DEFAULT_TEXT}（{len(files)} 个工作簿）" for path, files in used.items()]


def unmatched_notes(used: dict, outcomes) -> list[str]:
    """A department's table in a configuration file that matched none of the workbooks it applies to
    (a mistyped 部门代码 would otherwise be silently without effect)."""
    from .config import load_config

    by_path = {o.path: o for o in outcomes}
    notes = []
    for path, files in used.items():
        if path is None:
            continue
        seen = [(by_path[f].dept_code, by_path[f].department) for f in files if f in by_path]
        for key in load_config(path).unmatched(seen):
            notes.append(f"注意：配置文件「{path}」中的部门设置「{key}」没有对应的工作簿（按部门代码或部门名称匹配），未起作用。")
    return notes


def summary_text(result) -> str:
    """The lines `bdt batch` prints at the end (a toolkit.batch.BatchResult)."""
    o = result.outcomes
    warned = sum(1 for x in o if x.status == OK and x.counts.get("warning"))
    lines = [f"已处理 {len(o)} 个工作簿（用时 {result.seconds:.1f} 秒）：通过 {result.count(OK)}"
             + (f"（其中 {warned} 个有警告）" if warned else "")
             + f"，有错误 {result.count(ERRORS)}，无法读取 {result.count(UNREADABLE)}"
             + (f"，内部错误 {result.count(INTERNAL)}" if result.count(INTERNAL) else "") + "。"]
    bad = [x for x in o if x.status in (UNREADABLE, INTERNAL)]
    if bad:
        lines.append("无法处理的文件：")
        lines += [f"  {x.path}：{x.message}" for x in bad]
    for text, members in config_groups(o):
        lines.append(f"规则设置：{text}" + (f"（{len(members)} 个工作簿）" if len(members) < len(o) else ""))
    if result.roster is not None:
        from .roster import MISSING, STATUSES

        r = result.roster
        lines.append(f"名单 {len(r.entries)} 个：" + "，".join(f"{s} {r.count(s)}" for s in STATUSES)
                     + (f"；不在名单中或无法对应的工作簿 {len(r.unknown) + len(r.ambiguous)} 个" if r.unknown or r.ambiguous else "")
                     + f"（提交时间取{MTIME}）。")
        if r.count(MISSING):
            lines.append("未提交：" + "、".join(x.entry.label for x in r.by_status(MISSING)))
    if result.summary_html:
        lines.append(f"汇总：{result.summary_html}、{result.summary_csv}"
                     + (f"、{result.roster_csv}" if result.roster_csv else ""))
        lines.append(f"各单位的报告：{result.out_dir}{os.sep}<单位名称>{os.sep}report.html")
    return "\n".join(lines)


__all__ = ["SUMMARY_CSV", "SUMMARY_HTML", "ROSTER_CSV", "PRIOR_CSV", "MTIME", "CSV_COLUMNS", "outcome_grade", "grades",
           "write_summary_csv", "write_summary_html", "rule_totals", "rule_chart_svg", "config_groups", "roster_report",
           "prior_summary", "write_prior_csv", "prior_lines", "config_notes", "unmatched_notes", "summary_text"]
