"""Entry format (F1xx): numbers are numbers of the right kind, text is text, nothing left unfilled.

F101–F106 (numbers typed as text, full-width digits, separators, dashes, spaces, garbage) are
found by the reader while it normalises; this module checks the values themselves.
"""
from __future__ import annotations

import re
from decimal import Decimal

from . import ERROR, WARNING, checker, money, register
from .completeness import unused_form

register("F107", WARNING, "金额小数位超过两位", """
    万元金额应保留两位小数（元金额至多到分）。多余的小数位在表中按格式显示为两位，
    但参与合计时会造成“看起来对不上”的尾差，公开数据与表格显示也不一致。""")
register("F108", ERROR, "金额为负数", """
    预算公开表中的金额均应不小于 0（减少额在情况说明中以文字表述，不以负数填表）。""")
register("F109", ERROR, "人数、个数应为整数", """
    人员编制数、在职人数、机构数、车辆数、年度等只能是整数。""")
register("F110", ERROR, "模板占位符未替换", """
    文字中仍有模板占位内容（如“20XX”“XX”“××”“待填写”“[略]”），公开前必须替换为实际内容。""")
register("F111", ERROR, "必填项为空", """
    部门名称、部门代码、预算年度、项目名称等必填项为空。这些内容用于表头和文件名，缺少时无法公开。""")
register("F112", WARNING, "名称格只填了数字", """
    项目名称、单位名称等文字格只填了数字，可能把金额填错了列。""")
register("F113", ERROR, "预算年度不正确", """
    预算年度应为四位公历年份（如 2023）。表头、标题和增减比较都依赖它。""")

PLACEHOLDERS = re.compile(r"20XX|XX年|××|ＸＸ|待填写|\[略\]|【略】|\{\w+\}")
NAME_FIELDS = {("t11", "unit_name"), ("t12", "name"), ("t13", "name"), ("t7", "name"), ("t9", "in_name")}
_DIGITS = re.compile(r"^[\d.,，．\s]+$")


@checker("F107", "F108", "F109", "F112")
def check_values(ctx):
    """Amounts: two decimals, not negative. Counts: whole. Names: not bare numbers."""
    for inst, row, col, e in ctx.d.cells():
        v = e.value
        t = e.spec.type
        if isinstance(v, Decimal):
            if t in ("amount", "yuan", "area") and v != v.quantize(Decimal("0.01")):
                yield ctx.finding("F107", e, f"金额 {money(v)} 超过两位小数，表中显示为 {money(v.quantize(Decimal('0.01')))}；请按两位小数填列。",
                                  expected=v.quantize(Decimal("0.01")), actual=v)
            if t in ("amount", "yuan", "area", "count") and v < 0:
                yield ctx.finding("F108", e, f"金额或数量为负数（{money(v)}）。公开表中的数字应不小于 0。", expected="≥0", actual=v)
            if t in ("count", "year") and v != v.to_integral_value():
                yield ctx.finding("F109", e, f"应为整数，实际为 {money(v)}。", expected=v.to_integral_value(), actual=v)
        elif isinstance(v, str) and (inst.split("#")[0], col) in NAME_FIELDS and _DIGITS.match(v):
            yield ctx.finding("F112", e, f"名称格只填了数字「{v}」，请核对是否填错了列。", actual=v)


@checker("F110")
def check_placeholders(ctx):
    """No template placeholder left in any text the clerk typed."""
    for inst, row, col, e in ctx.d.cells(role="input"):
        if isinstance(e.value, str) and (m := PLACEHOLDERS.search(e.value)):
            yield ctx.finding("F110", e, f"仍有模板占位内容「{m.group(0)}」，请替换为实际内容。", actual=e.value)
    for inst, row, col, e in ctx.d.cells(role="derived"):
        if e.spec.editable and isinstance(e.value, str) and (m := PLACEHOLDERS.search(e.value)):
            yield ctx.finding("F110", e, f"段落中仍有模板占位内容「{m.group(0)}」，请替换为实际内容。", actual=e.value)


@checker("F111", "F113")
def check_required(ctx):
    """Required fields are filled; the budget year is a plausible year."""
    d = ctx.d
    for spec in d.schema.forms:
        for inst in d.instances(spec.key):
            if unused_form(d, inst):
                continue  # the blank 项目绩效1 of a department without projects
            for field, cs in spec.fields.items():
                if cs.required and d.get(inst, field) in (None, ""):
                    e = d.entry(inst, field)
                    yield ctx.finding("F111", e, f"必填项「{_label(spec, field)}」为空。")
    year = d.get("info", "year")
    if isinstance(year, Decimal) and not (2000 <= year <= 2100 and year == year.to_integral_value()):
        yield ctx.finding("F113", d.entry("info", "year"), f"预算年度「{money(year)}」不是有效的四位年份。", actual=year)


def _label(spec, field) -> str:
    from ..describe import _form_field_label

    return _form_field_label(spec, field)
