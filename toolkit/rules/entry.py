"""Entry format (F1xx): numbers are numbers of the right kind, text is text, nothing left unfilled.

F101–F106 (numbers typed as text, full-width digits, separators, dashes, spaces, garbage) are
found by the reader while it normalises; this module checks the values themselves.
"""
from __future__ import annotations

import re
from decimal import Decimal

from . import ERROR, INFO, WARNING, checker, money, register
from .completeness import unused_form

register("F107", WARNING, "金额小数位超过两位", """
    金额的小数位不应多于本栏类型规定的位数（结构定义 types 中的 decimals：万元金额两位小数，
    元金额至多到分；以元为单位公开的地区按其结构定义，如到分或取整）。多余的小数位在表中按格式显示为规定位数，
    但参与合计时会造成“看起来对不上”的尾差，公开数据与表格显示也不一致。
    结构定义允许录入精确金额时（publication.input_decimals 多于公开的小数位），金额可保留到该位数，
    公开时再按舍入规则（四舍五入或舍位平衡）处理；超过该位数的才报告。""")
register("F108", ERROR, "金额为负数", """
    预算公开表中的金额均应不小于 0（减少额在情况说明中以文字表述，不以负数填表）。""")
register("F109", ERROR, "人数、个数应为整数", """
    人员编制数、在职人数、机构数、车辆数、年度等只能是整数。""")
register("F110", ERROR, "模板占位符未替换", """
    文字中仍有模板占位内容（如“20XX”“XX”“××”“待填写”“[略]”），公开前必须替换为实际内容。""")
register("F111", ERROR, "必填项为空", """
    部门名称、预算年度、项目名称等必填项（结构定义中 required: true 的格）为空。这些内容用于表头和文件名，缺少时无法公开。部门代码可不填（不少地区不公开部门代码）。""")
register("F112", WARNING, "名称格只填了数字", """
    项目名称、单位名称等文字格只填了数字，可能把金额填错了列。""")
register("F113", ERROR, "预算年度不正确", """
    预算年度应为四位公历年份（如 2023）。表头、标题和增减比较都依赖它。""")

# F115–F118 are found by the reader (toolkit.io.normalize.guard_number / guard_text,
# toolkit.io.reader.check_area); their limits are schema data (`types:` in schema/default.yaml).
register("F115", ERROR, "数字超出可公开的范围", """
    单元格能存放的数字并不都是金额：1E+26、1e300、无穷大（inf）、非数字（NaN）等超出本栏类型允许的绝对值上限
    （结构定义 types 中的 max：万元金额 10^12、元金额 10^15、人数/个数 10^9、面积 10^12、百分比 10^6、年度 9999）
    时，按“未读取”处理，不参与任何合计与校验，并在该格报告。万元金额的上限使两位小数的金额不超过
    Excel 的 15 位有效数字。通常是多输了位数、单位填错或从其他系统粘贴了错误值。""")
register("F116", ERROR, "表格区域外有数据", """
    模板没有设填写格的位置（表格下方、右侧，或表内留空的格）填了内容。这些内容不会被读取、校验或公开，
    常见原因是插入了行或列、在表外加了备注。表格已填满时插入空行，会把最后一行挤到表注行：
    这种情况下工作簿整体不予处理（报“无法读取”，指出被挤出的格），以免漏读数据。表注行（跨整表合并的一格）
    不在模板的行上（Excel 删除或插入行时合并格随之移动）时同样不予处理，指出应在和实际所在的行。""")
register("F117", WARNING, "文字含控制字符", """
    文字中有不可见的控制字符（U+0000–U+001F 中除制表、换行、回车以外的字符，U+007F–U+009F），
    多来自其他系统的复制粘贴。它们在 PDF、Word、xlsx 中无法显示或会损坏文件，导出时去除；请在表中删除。""")
register("F118", ERROR, "文字超过本栏长度上限", """
    文字长度超过本栏类型允许的字符数（结构定义 types 中的 max_length：科目编码等代码 40 个字符，
    文字 32,767 个字符，即 Excel 一个单元格的上限）。""")
register("F119", ERROR, "多出的工作表", """
    工作簿中有模板没有的工作表。复制的模板工作表（Excel 复制工作表时命名为“项目绩效1 (2)”“表3 支出总表 (2)”）
    不会被读取，其中的数据不会公开，报“错误”；新增项目绩效表应改名为下一个序号（项目绩效2…）。
    单位自建的其他工作表只作提示（不读取、不公开）。以“_”开头的隐藏工作表是模板自带的，不报告。""")
register("F122", INFO, "未包含可选的表", """
    结构定义把该表标为可选（optional: true），工作簿中没有它的工作表（本部门不公开该表）。读取照常进行；
    需要该表的规则不运行，并在报告中列为“未运行的规则”；导出的公开文件不含该表，其余各表保留结构定义中的表号。""")

register("F120", ERROR, "填写值不在可选范围内", """
    有固定可选值的格（结构定义中带 choices 的格，如基本信息的“公开主体”只能填“部门”或“单位”）填了其他内容。
    “公开主体”决定汇总时该工作簿算作一个部门的本级，还是某个部门所属的单位；留空按“部门”处理。""")
register("F121", ERROR, "单位未填上级主管部门", """
    “公开主体”为“单位”的工作簿须在基本信息中填写“上级主管部门”：财政局按它把单位汇总到所属部门，
    并核对部门的表与所属单位之和（bdt consolidate）。""")

PLACEHOLDERS = re.compile(r"20XX|XX年|××|ＸＸ|待填写|\[略\]|【略】|\{\w+\}")
NAME_FIELDS = {("t11", "unit_name"), ("t12", "name"), ("t13", "name"), ("t7", "name"), ("t9", "in_name")}
_DIGITS = re.compile(r"^[\d.,，．\s]+$")


@checker("F107", "F108", "F109", "F112")
def check_values(ctx):
    """Amounts: two decimals (up to publication.input_decimals where the schema accepts exact
    amounts), not negative. Counts: whole. Names: not bare numbers."""
    pub = ctx.d.schema.publication
    for inst, row, col, e in ctx.d.cells():
        v = e.value
        t = e.spec.type
        if isinstance(v, Decimal):
            p = e.precision
            if t == "amount" and pub.exact_inputs:  # exact amounts accepted up to the input precision
                if v != v.quantize(pub.input_quantum):
                    yield ctx.finding("F107", e, f"金额 {money(v)} 超过精确金额允许的 {pub.input_decimals} 位小数"
                                      f"（结构定义 publication.input_decimals），请核对。",
                                      expected=v.quantize(pub.input_quantum), actual=v)
            elif t in ("amount", "yuan", "area") and p is not None and v != (q := v.quantize(p.quantum)):
                places = f"{p.decimals}位小数" if p.decimals != 2 else "两位小数"
                if p.decimals == 0:
                    places = "整数"
                unit = f"（单位：{p.unit}）" if p.unit and t != "area" else ""
                yield ctx.finding("F107", e, f"金额 {money(v)} 超过{places}，表中显示为 {money(q)}；请按{places}填列{unit}。",
                                  expected=q, actual=v)
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


@checker("F120", "F121")
def check_choices(ctx):
    """Fields with a fixed list of values hold one of them; a 单位 names its 上级主管部门."""
    d = ctx.d
    for spec in d.schema.forms:
        for inst in d.instances(spec.key):
            for field, cs in spec.fields.items():
                v = d.get(inst, field)
                if cs.choices and v not in (None, "") and str(v).strip() not in cs.choices:
                    yield ctx.finding("F120", d.entry(inst, field),
                                      f"「{_label(spec, field)}」应填{'或'.join(f'“{c}”' for c in cs.choices)}，"
                                      f"实际为「{v}」（留空按“{cs.choices[0]}”处理）。",
                                      expected="/".join(cs.choices), actual=v)
    if str(d.get("info", "entity") or "").strip() == "单位" and not str(d.get("info", "parent") or "").strip():
        yield ctx.finding("F121", d.entry("info", "parent"),
                          "公开主体为“单位”，但“上级主管部门”为空：汇总时无法归入所属部门，请填写上级主管部门名称。")
