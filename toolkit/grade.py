"""A grade A–D per department, in the style of the national ranking of 预决算公开.

The national rankings (e.g. the 财政部 inspection of 地方预决算公开 and the academic
transparency indices) score each department out of 100 — completeness first, then accuracy and
timeliness — and publish a band. This module does the same from what the toolkit knows: the
findings of the department's workbook (counted per rule and severity) and, when the bureau keeps a
roster, whether it published and on time. It is a pure function: the same counts give the same
grade (no dates, no files). The rule, also printed in every summary and in docs/grade.md:

* start from 100 points;
* each rule with **errors** costs 8 points (a rule of the 公开完整性 family D7xx — a table or
  section missing from the disclosure — costs 15), and each further error finding of the same
  rule 1 point more (so one systematic mistake repeated over 30 rows is not 30 separate ones,
  but still weighs more than a single slip);
* each rule with **warnings** costs 1 point, 10 points at most in all; 提示 (info) costs nothing;
* grade: **A** 90 points or more *and no errors*; **B** 75 or more; **C** 60 or more; **D** below 60;
* published **late** (roster status 逾期): one grade lower (A→B, B→C, C→D) and 10 points off;
  Not published (未提交), or a workbook that could not be read or checked: **D**, 0 points.

Warnings do not by themselves keep a department from A unless it has many kinds of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

GRADES = ("A", "B", "C", "D")
BANDS = (("A", 90), ("B", 75), ("C", 60))  # lowest score of each band; below the last: D
ERROR_RULE, ERROR_RULE_BY_FAMILY = 8, {"D": 15}
ERROR_REPEAT = 1
WARNING_RULE, WARNING_CAP = 1, 10
LATE = 10
MISSING, LATE_STATUS = "未提交", "逾期"  # the roster's statuses that weigh on the grade

RULE_TEXT = ("评分办法：满分 100 分。每条出现“错误”的规则扣 8 分（公开完整性 D7xx 类规则扣 15 分），"
             "同一规则每多一处错误再扣 1 分；每条出现“警告”的规则扣 1 分，合计最多扣 10 分；“提示”不扣分；"
             "90 分及以上且无错误为 A，75 分及以上为 B，60 分及以上为 C，其余为 D；逾期提交降一等（A 降为 B，依此类推）并扣 10 分；"
             "未提交或工作簿无法读取、无法校验的为 D（0 分）。")


@dataclass(frozen=True)
class Grade:
    letter: str
    score: int
    reasons: tuple = field(default=())  # what the points went for, in Chinese

    @property
    def rank(self) -> int:
        """0 for A … 3 for D: the sort key (best first)."""
        return GRADES.index(self.letter)


def grade(rules: dict | None = None, severities: dict | None = None, roster_status: str | None = None,
          readable: bool = True) -> Grade:
    """The grade of one department.

    `rules`: rule code -> number of findings; `severities`: rule code -> the most severe severity
    found for it (as `toolkit.batch.FileOutcome` keeps them); `roster_status`: the roster's status
    of the department (未提交 / 逾期 / 未通过 / 通过) or None without a roster; `readable`: False
    when the workbook could not be read or checked."""
    if roster_status == MISSING:
        return Grade("D", 0, ("未提交",))
    if not readable:
        return Grade("D", 0, ("工作簿无法读取或无法校验",))
    rules, severities = rules or {}, severities or {}
    score, reasons = 100, []
    errors = 0
    warned = 0
    for code in sorted(rules):
        n, sev = int(rules[code]), severities.get(code)
        if n <= 0:
            continue
        if sev == "error":
            errors += n
            cost = ERROR_RULE_BY_FAMILY.get(code[:1], ERROR_RULE) + ERROR_REPEAT * (n - 1)
            score -= cost
            reasons.append(f"{code} 错误 {n} 处 −{cost}")
        elif sev == "warning":
            warned += 1
    if warned:
        cost = min(WARNING_RULE * warned, WARNING_CAP)
        score -= cost
        reasons.append(f"{warned} 条规则有警告 −{cost}")
    score = max(score, 0)
    letter = "D"
    for band, low in BANDS:
        if score >= low and not (band == "A" and errors):
            letter = band
            break
    if roster_status == LATE_STATUS:
        letter = GRADES[min(GRADES.index(letter) + 1, len(GRADES) - 1)]
        score = max(score - LATE, 0)
        reasons.append(f"逾期：降一等，−{LATE}")
    return Grade(letter, score, tuple(reasons))


__all__ = ["Grade", "grade", "GRADES", "RULE_TEXT"]
