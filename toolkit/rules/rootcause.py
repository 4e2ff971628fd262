"""Root cause once: identical discrepancies grouped into one finding (issue 12 point 8).

One rounding slip in a table propagates: the seed's 表3 合计 224.31 (rows 224.32) is repeated in 表1,
表2, 表4 and 表5, and each copy breaks its own identity, so the same “填报 224.31，按明细计算为 224.32”
is reported at every cell. `group_identical` keeps the first finding (in the stable order) of each
group of findings with the same rule, expected and actual value, and says in it where else the
same discrepancy is: the clerk reads one cause and the list of cells to change.

Grouping is a presentation of the findings (`validate(d, grouped=True)`); the default list keeps one
finding per cell because cell marks (annotate, the Excel button, the web page) are drawn per finding.
"""
from __future__ import annotations

from dataclasses import replace

# rules whose findings state a table figure and its computed value (the same pair is the same cause)
GROUPED = ("A301", "A302", "A303", "A304", "X401", "X402")


def group_identical(findings: list, codes=GROUPED) -> list:
    """The findings with each group of identical discrepancies (same rule family, expected, actual)
    merged into its first member, which lists the other cells; order otherwise unchanged."""
    first: dict = {}
    members: dict = {}
    for f in findings:
        if f.rule not in codes or f.expected is None or f.actual is None:
            continue
        key = (f.rule[0], f.severity, str(f.expected), str(f.actual))
        first.setdefault(key, f)
        members.setdefault(key, []).append(f)
    out = []
    for f in findings:
        key = (f.rule[0], f.severity, str(f.expected), str(f.actual))
        group = members.get(key) if f.rule in codes else None
        if not group or len(group) == 1:
            out.append(f)
            continue
        if first[key] is not f:
            continue
        others = "、".join(g.location() for g in group[1:])
        out.append(replace(f, message=f"{f.message}（同一差异共 {len(group)} 处，另见：{others}；"
                                      f"多为同一个数字在各表中照抄，改正根源后各处一并改正。）"))
    return out
