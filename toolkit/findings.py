"""Findings: what a check found, where (sheet and cell), and how bad it is."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)
SEVERITY_ZH = {ERROR: "错误", WARNING: "警告", INFO: "提示"}

_CELL = re.compile(r"^([A-Z]+)(\d+)$")


def cell_order(cell: str | None) -> tuple[int, int]:
    """Sort key of an A1 address: row first, then column."""
    m = _CELL.match(cell or "")
    if not m:
        return (0, 0)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return (int(m.group(2)), col)


def _plain(v):
    if isinstance(v, Decimal):
        return format(v, "f")
    return v


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    sheet: str
    cell: str | None
    message: str
    expected: object = None
    actual: object = None
    #: the waiver that covers this finding (toolkit.waivers.Waiver: who, why, when), None when open.
    #: A waived finding stays in every list and report, shown as 已豁免; it does not count as an
    #: open error (exit status, export gate, batch counts). Not part of equality: the same finding.
    waived: object = field(default=None, compare=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["expected"] = _plain(self.expected)
        d["actual"] = _plain(self.actual)
        d["waived"] = self.waived.to_dict() if self.waived is not None else None
        return d

    def location(self) -> str:
        return f"「{self.sheet}」{self.cell}" if self.cell else f"「{self.sheet}」"


def sort_findings(findings, sheet_order: list[str] | None = None) -> list[Finding]:
    """Stable order: workbook sheet order, then row, column, rule code, message."""
    index = {name: i for i, name in enumerate(sheet_order or [])}
    big = len(index)
    return sorted(
        set(findings),
        key=lambda f: (index.get(f.sheet, big), f.sheet, cell_order(f.cell), f.rule, f.message),
    )


def is_open(f) -> bool:
    """Not covered by a waiver (toolkit.waivers)."""
    return getattr(f, "waived", None) is None


def open_errors(findings) -> list:
    """Error findings no waiver covers: what refuses an export and sets exit status 1."""
    return [f for f in findings if f.severity == ERROR and is_open(f)]


def summary(findings) -> dict:
    """Open findings per severity; plus "waived": how many are waived, when any are."""
    out = {s: 0 for s in SEVERITIES}
    waived = 0
    for f in findings:
        if is_open(f):
            out[f.severity] += 1
        else:
            waived += 1
    if waived:
        out["waived"] = waived
    return out


# ------------------------------------------------------------------ marking findings in a workbook
# shared by the headless annotated copy (toolkit.annotate) and the Excel 校验 button (toolkit.excel)
WAIVED = "waived"  # the mark of a cell whose findings are all waived (toolkit.waivers)
MARK_RGB = {ERROR: "FF9999", WARNING: "FFD966", INFO: "BDD7EE", WAIVED: "E7E6E6"}  # cell fill per severity
FINDINGS_HEADER = ["级别", "规则", "工作表", "单元格", "说明", "应为", "实际"]
_ORDER = {ERROR: 0, WARNING: 1, INFO: 2, WAIVED: 3}


def cell_marks(findings) -> dict:
    """{(sheet, A1): severity of the worst open finding on that cell, or "waived" when every
    finding on it is waived (a light grey: reviewed, nothing to do)} — what gets coloured."""
    worst: dict = {}
    for f in findings:
        if not f.cell:
            continue
        key = (f.sheet, f.cell)
        sev = f.severity if is_open(f) else WAIVED
        if key not in worst or _ORDER[sev] < _ORDER[worst[key]]:
            worst[key] = sev
    return worst


def summary_line(findings, stamp: str, settings: str | None = None) -> str:
    """The first line of the 校验结果 sheet; `settings`: the rule settings in force (toolkit.config)."""
    counts = summary(findings)
    waived = f"已豁免 {counts['waived']} 项（灰色，见“级别”列的豁免理由）；" if counts.get("waived") else ""
    return (f"校验完成（{stamp}）：错误 {counts[ERROR]} 项，警告 {counts[WARNING]} 项，提示 {counts[INFO]} 项。"
            + waived
            + ("红色为错误，黄色为警告，蓝色为提示；点击单元格地址可跳转。" if findings else "未发现问题。")
            + (f"规则设置：{settings}。" if settings else ""))


def waived_note(f) -> str:
    """“已豁免：理由（张三，2026-12-03）” for a waived finding, "" for an open one."""
    w = getattr(f, "waived", None)
    if w is None:
        return ""
    who = "，".join(x for x in (w.by, w.at) if x)
    return f"已豁免：{w.reason}" + (f"（{who}）" if who else "")


FINDINGS_SHEET = "校验结果"
_A1 = re.compile(r"[A-Z]{1,3}[0-9]{1,7}")


def findings_rows(findings) -> list[list]:
    """One row per finding: 级别, 规则, 工作表, 单元格, 说明 (without the location prefix), 应为, 实际."""
    rows = []
    for f in findings:
        message = f.message.split("：", 1)[1] if f.message.startswith("「") and "：" in f.message else f.message
        level = SEVERITY_ZH[f.severity] if is_open(f) else f"已豁免（{SEVERITY_ZH[f.severity]}）"
        if not is_open(f):
            message = f"{message}\n{waived_note(f)}"
        rows.append([level, f.rule, f.sheet, f.cell or "", message, f.expected, f.actual])
    return rows


def previous_marks(rows) -> list[tuple[str, str]]:
    """(sheet, A1) of the cells listed on a 校验结果 sheet, from its rows as read: a file gives the
    link's text (B5), a live sheet may give the formula (=HYPERLINK("#'表3'!B5","B5"))."""
    out = []
    for r in rows[2:]:
        if len(r) < 4 or not r[2] or not r[3]:
            continue
        cell = str(r[3]).strip()
        if cell.startswith("=HYPERLINK"):
            cell = cell.rsplit(",", 1)[-1].strip(' ")')
        if _A1.fullmatch(cell):
            out.append((str(r[2]), cell))
    return out


def template_color(d, sheet: str, cell: str) -> str | None:
    """The template's RGB of cell `cell` (A1) of sheet `sheet` (its name in the workbook); None: no
    fill, or not a cell of the template. Looked up per cell, so that restoring last time's marks
    does not lay out every capacity row of a workbook of thousands of rows."""
    from .colors import cell_rgb
    from .layout import layout

    inst = next((k for k, name in d.sheet_names.items() if name == sheet), None)
    if inst is None:
        return None
    spec = layout(d.spec(inst)).spec_at(*cell_order(cell))
    return cell_rgb(spec) if spec is not None else None


def mark_plan(d, findings, previous) -> dict:
    """{sheet: {A1: RGB or None}}: what 校验 colours — the cells marked last time (`previous`, from
    `previous_marks`) get their template colour back, each finding's cell its worst severity's."""
    paint: dict = {}
    for sheet, cell in previous:
        paint.setdefault(sheet, {})[cell] = template_color(d, sheet, cell)
    for (sheet, cell), sev in cell_marks(findings).items():
        paint.setdefault(sheet, {})[cell] = MARK_RGB[sev]
    return paint
