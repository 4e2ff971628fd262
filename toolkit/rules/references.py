"""The 情况说明's references to tables by number: 「详见表13」, 「表5 政府采购预算明细表」 (N521, N522).

A table set that numbers differently from another (bj-14 numbers 项目支出表 4 and the 绩效目标表 13/14;
sx-13 numbers them 12 and not at all) makes a text copied from another year or region cite the wrong
table. The numbers a document publishes are the schema's `number`s of its tables and of its forms
numbered as tables; a reference must name one of them, and the title written beside it must be that
table's.
"""
from __future__ import annotations

import re

from . import WARNING, checker, register

register("N521", WARNING, "情况说明引用了不存在的表号", """
    情况说明中写的“表N”（如“详见表15”）应是本套公开表中的一个表号（表和编为表号的绩效目标表）。
    引用了不存在的表号，多半是沿用了其他年度或其他格式（表的数目、顺序不同）的文字。""")
register("N522", WARNING, "情况说明引用的表号与表名不符", """
    情况说明中“表N”旁写的表名（“表5政府采购预算明细表”“项目支出表（表4）”）应是第N张表的表名。
    表号和表名对不上，读者会翻到另一张表；通常是表的顺序变了而文字没有改。""")

REF = re.compile(r"(?<![\d附续])表\s*(\d{1,2})(?!\d)")
_LEAD = "《「“\"（(：:、 \u3000"


def _plain(title: str) -> str:
    """A title as a text writes it: without {year}年/年度 and a trailing （…） qualifier."""
    t = re.sub(r"\{year\}\s*年?度?", "", title)
    t = re.sub(r"（[^）]*）$", "", t).strip()
    return t


def numbered(schema) -> dict[int, tuple[str, list[str]]]:
    """{表号: (key, [titles as a text may write them])} of the tables and the numbered forms."""
    out: dict = {}
    for s in schema.sheets:
        n = getattr(s, "number", None)
        if n is None:
            continue
        names = {_plain(s.title)}
        if getattr(s, "kind", "") == "form":
            for r in getattr(s, "rows", ())[:1]:  # the form's caption row (its published title)
                for c in getattr(r, "cells", ()):
                    if getattr(c, "text", None):
                        names.add(_plain(c.text))
        out[n] = (s.key, sorted((x for x in names if len(x) >= 4), key=len, reverse=True))
    return out


def _title_at(text: str, titles: list, after: bool) -> tuple[int, str] | None:
    """(表号, title) of the longest title that starts (after=True) or ends the text."""
    best = None
    for n, names in titles:
        for name in names:
            hit = text.startswith(name) if after else text.endswith(name)
            if hit and (best is None or len(name) > len(best[1])):
                best = (n, name)
    return best


@checker("N521", "N522", needs=("narrative",))
def check_table_references(ctx):
    """Every 「表N」 in a 情况说明 paragraph is a 表号 of this table set (N521), and a table title written
    right after it, or right before a bracketed 「（表N）」, is that table's (N522)."""
    d = ctx.d
    nums = numbered(d.schema)
    if not nums:
        return
    titles = [(n, names) for n, (_, names) in nums.items()]
    spec = d.schema.sheet("narrative")
    for key in spec.fields:
        e = d.entry("narrative", key)
        if e is None or not isinstance(e.value, str):
            continue
        text = e.value
        for m in REF.finditer(text):
            n = int(m.group(1))
            if n not in nums:
                yield ctx.finding("N521", e, f"“{m.group(0)}”：本套公开表（{d.schema.id or d.schema.name}）没有表{n}"
                                  f"（表号 {min(nums)}–{max(nums)}）。", expected=f"{min(nums)}–{max(nums)}", actual=n)
                continue
            after = _title_at(text[m.end():m.end() + 40].lstrip(_LEAD), titles, after=True)
            before = None
            if text[:m.start()].endswith(("（", "(")):
                before = _title_at(text[:m.start()].rstrip("（( "), titles, after=False)
            for hit in (after, before):
                if hit and hit[0] != n:
                    own = nums[n][1][0] if nums[n][1] else nums[n][0]
                    yield ctx.finding("N522", e, f"“{m.group(0)}”旁写的是「{hit[1]}」，而「{hit[1]}」是表{hit[0]}；"
                                      f"表{n}是「{own}」。", expected=f"表{hit[0]}", actual=m.group(0))
                    break
