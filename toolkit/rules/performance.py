"""Performance-target forms (P6xx): 部门整体 and 项目支出绩效目标申报表 against the tables.

Project forms state money in 元 (type ``yuan``), the tables in their own unit (type ``amount``:
万元 in the bundled schema, 元 in a Shanghai-style one): a form's 年度资金总额, converted through the
units (toolkit.schema.units, ÷ 10000 for 万元), must match the project's 合计 in 项目支出表 to the
precision the table shows (± half a unit of its last decimal).
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..derive import ZERO
from ..schema.units import convert, is_money
from . import ERROR, WARNING, checker, money, parameter, register

register("P601", ERROR, "绩效目标表项目名称与项目支出表不符", """
    每张项目支出绩效目标申报表的项目名称都应与项目支出表中的某个项目完全一致，
    否则无法对应该项目的资金和绩效目标。找不到时提示项目支出表中名称相近的项目。""")
parameter("P601", "similarity", Decimal("0.5"), """
    提示“可能是”哪个项目时要求的名称相似度（两个名称共有的字占较长名称用字的比例，0 到 1）；
    只影响提示，不影响是否报告。""", minimum=Decimal(0), maximum=Decimal(1))
register("P602", WARNING, "项目未填报绩效目标表", """
    项目支出表中的项目没有对应名称的项目支出绩效目标申报表（实行绩效目标管理的项目应逐项填报）。
    财政局只要求一定金额以上的项目填报绩效目标表时，用参数 min_amount 设定该金额。""")
parameter("P602", "min_amount", Decimal(0), """
    项目支出表中合计（万元）低于该金额的项目不要求填报绩效目标表；默认 0，即每个项目都要求。""",
          unit="万元", minimum=Decimal(0))
register("P603", ERROR, "绩效目标表资金与项目支出表不符", """
    项目支出绩效目标申报表的年度资金总额（元）折合为项目支出表的单位（万元，或结构定义中的单位）后，
    应等于项目支出表中该项目的合计，允许表中末位的舍入（两位小数的万元为 ±0.005 万元）。""")
register("P604", ERROR, "“其中”数超过总数", """
    “其中”项不能超过其总数：在编人员数不超过实际在职人员总数和核定编制数；年度资金不超过实施期资金总额。""")
register("P605", ERROR, "人员构成之和与总数不符", """
    部门整体支出绩效目标表中，在编人员数 + 其他人员数应等于实际在职人员总数。""")
register("P606", WARNING, "编制数与机构设置不符", """
    部门整体支出绩效目标表的核定人员编制数，与概况“机构设置情况”各内设机构编制之和不一致
    （如有不属于内设机构的领导职数编制，请在概况中写明）。""")
register("P607", WARNING, "内设机构数与机构设置不符", """
    部门整体支出绩效目标表的内设职能部门数，与概况中列出的内设机构个数不一致。""")
register("P608", WARNING, "成本指标与资金不符", """
    成本指标（二级或三级指标含“成本”）给出的金额上限低于该表的年度资金，目标与预算不匹配。""")
register("P609", WARNING, "填报日期不完整", """
    绩效目标申报表的填报日期应为完整日期（如 2022.10.26 或 2022-10-26）。""")
register("P610", WARNING, "绩效指标缺少指标值", """
    填写了三级指标却没有指标值，该指标无法考核。""")

DATE = re.compile(r"^\d{4}\s*[.\-/年]\s*\d{1,2}\s*[.\-/月]\s*\d{1,2}\s*日?$")
AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万元|元)")


def _project_index(d) -> dict:
    out = {}
    for key in ("t12", "t13"):
        if not d.present(key):
            continue
        for r in d.rows(key):
            if r.get("name"):
                out.setdefault(r.get("name"), r)
    return out


@checker("P601", "P602", "P603", needs=("t12", "perf_project"))
def check_projects(ctx):
    d = ctx.d
    index = _project_index(d)
    similarity = ctx.param("P601", "similarity")
    min_amount = ctx.param("P602", "min_amount")
    named = set()
    for inst in d.projects:
        e = d.entry(inst, "name")
        name = e.value
        if not name:
            continue
        named.add(name)
        row = index.get(name)
        if row is None:
            near = [n for n in index if n.endswith(name) or name.endswith(n) or _overlap(n, name) >= similarity]
            hint = f"，可能是「{near[0]}」" if near else ""
            yield ctx.finding("P601", e, f"项目名称「{name}」在项目支出表中找不到{hint}。名称应与项目支出表完全一致。",
                              expected=near[0] if near else None, actual=name)
            continue
        annual = d.get(inst, "total_annual")
        table = row.get("total")
        if isinstance(annual, Decimal) and isinstance(table, Decimal):
            te = row.entries["total"]
            form_p, table_p = d.entry(inst, "total_annual").precision or d.schema.precision("yuan"), te.precision or d.schema.money
            in_table = convert(annual, form_p.unit, table_p.unit)
            if abs(in_table - table) > table_p.half:
                same = form_p.unit == table_p.unit
                yield ctx.finding("P603", d.entry(inst, "total_annual"),
                                  f"年度资金总额 {money(annual)} {form_p.unit}"
                                  + ("" if same else f"（合 {money(table_p.rounded(in_table))} {table_p.unit}）")
                                  + f"，与项目支出表「{te.sheet}」{te.cell} 的 {money(table)} {table_p.unit}不符。",
                                  expected=convert(table, table_p.unit, form_p.unit), actual=annual)
    for name, row in index.items():
        if row.table == "t12" and name not in named:
            total = row.get("total")
            if min_amount and isinstance(total, Decimal) and total < min_amount:
                continue  # below the amount from which the bureau asks for a form
            yield ctx.finding("P602", row.entries["name"], f"项目「{name}」没有名称一致的项目支出绩效目标申报表。", actual=name)


def _overlap(a: str, b: str) -> float:
    common = sum(1 for ch in set(a) if ch in b)
    return common / max(len(set(a)), len(set(b)), 1)


def _num(d, inst, field):
    v = d.get(inst, field)
    return v if isinstance(v, Decimal) else None


@checker("P604", "P605", "P606", "P607", needs=("perf_dept",))
def check_counts(ctx):
    d = ctx.d
    actual, onroll, other, quota = (_num(d, "perf_dept", f) for f in ("staff_actual", "staff_onroll", "staff_other", "staff_quota"))
    exceeded = False
    if onroll is not None and actual is not None and onroll > actual:
        exceeded = True
        yield ctx.finding("P604", d.entry("perf_dept", "staff_onroll"),
                          f"其中：在编人员数 {money(onroll)} 人，超过实际在职人员总数 {money(actual)} 人。", expected=f"≤{money(actual)}", actual=onroll)
    if onroll is not None and quota is not None and onroll > quota:
        exceeded = True
        yield ctx.finding("P604", d.entry("perf_dept", "staff_onroll"),
                          f"在编人员数 {money(onroll)} 人，超过核定的人员编制数 {money(quota)} 人。", expected=f"≤{money(quota)}", actual=onroll)
    if not exceeded and actual is not None and onroll is not None and onroll + (other or ZERO) != actual:
        yield ctx.finding("P605", d.entry("perf_dept", "staff_actual"),
                          f"在编人员数 {money(onroll)} + 其他人员数 {money(other or ZERO)} ≠ 实际在职人员总数 {money(actual)}。",
                          expected=onroll + (other or ZERO), actual=actual)
    divisions = d.rows("info", "divisions")
    staff = [r.get("staff") for r in divisions if isinstance(r.get("staff"), Decimal)]
    if quota is not None and staff and sum(staff) != quota:
        parts = "、".join(f"{r.get('name') or ''}{money(r.get('staff'))}" for r in divisions)
        yield ctx.finding("P606", d.entry("perf_dept", "staff_quota"),
                          f"核定的人员编制数 {money(quota)} 人，概况中各内设机构编制合计 {money(sum(staff))} 人（{parts}），不一致，请核对。",
                          expected=sum(staff), actual=quota)
    n_div = _num(d, "perf_dept", "divisions")
    if n_div is not None and divisions and n_div != len(divisions):
        yield ctx.finding("P607", d.entry("perf_dept", "divisions"),
                          f"内设职能部门数 {money(n_div)} 个，概况中列出 {len(divisions)} 个内设机构。", expected=len(divisions), actual=n_div)
    for inst in d.projects:
        for kind in ("total", "central", "province", "city", "self", "other"):
            period, annual = _num(d, inst, f"{kind}_period"), _num(d, inst, f"{kind}_annual")
            if period is not None and annual is not None and annual > period:
                yield ctx.finding("P604", d.entry(inst, f"{kind}_annual"),
                                  f"年度资金 {money(annual)} 元超过实施期资金 {money(period)} 元。", expected=f"≤{money(period)}", actual=annual)


def _indicator_rows(d, inst, l2, l3, value):
    for r in d.rows(inst, "indicators"):
        yield r, r.get(l2), r.get(l3), r.get(value), r.entries.get(value) or r.entries.get(l3)


@checker("P608", "P609", "P610")
def check_indicators(ctx):
    d = ctx.d
    money_p = d.schema.money  # the comparison unit: the tables'
    forms = []
    if d.present("perf_dept"):
        dept = d.entry("perf_dept", "src_total")
        forms.append(("perf_dept", [("l2", "l3", "value")],
                      convert(_num(d, "perf_dept", "src_total"), (dept.precision or money_p).unit if dept else money_p.unit,
                              money_p.unit)))
    for inst in d.projects:
        annual = _num(d, inst, "total_annual")
        e = d.entry(inst, "total_annual")
        forms.append((inst, [("l2_period", "l3_period", "value_period"), ("l2_annual", "l3_annual", "value_annual")],
                      convert(annual, (e.precision or d.schema.precision("yuan")).unit, money_p.unit)
                      if annual is not None else None))
    for inst, columns, funds in forms:
        for l2, l3, value in columns:
            for r, t2, t3, v, e in _indicator_rows(d, inst, l2, l3, value):
                if t3 and not v and r.entries.get(value) is not None:
                    yield ctx.finding("P610", r.entries[value], f"三级指标「{t3}」没有指标值。", actual=None)
                if v and funds and "成本" in f"{t2 or ''}{t3 or ''}":
                    m = AMOUNT.search(v)
                    if m and is_money(money_p.unit):
                        cap = convert(Decimal(m.group(1)), m.group(2), money_p.unit)
                        if cap < funds - money_p.half:
                            shown = money(money_p.rounded(funds))
                            yield ctx.finding("P608", r.entries[value],
                                              f"成本指标「{t3 or t2}」{v}，低于本表年度资金 {shown} {money_p.unit}，请核对。",
                                              expected=f"≥{shown}{money_p.unit}", actual=v)
    for inst in d.projects:
        date = d.get(inst, "date")
        if date and not DATE.match(date):
            yield ctx.finding("P609", d.entry(inst, "date"), f"填报日期「{date}」不完整，应为如 2022.10.26 的完整日期。", actual=date)


register("P611", WARNING, "绩效目标表出现其他年度", """
    绩效目标是预算年度的目标。目标、指标文字中出现预算年度以外的“XXXX年”（常见于沿用上年表格），
    请核对是否应改为本年度。""")
register("P612", WARNING, "时效指标方向可疑", """
    时效指标（响应时间、处置时限等）通常是上限，应写“≤”。写成“≥N小时/分钟/天”意味着越慢越好。""")

YEAR = re.compile(r"(\d{4})年")
TIME_FLOOR = re.compile(r"[≥>＞]\s*\d+(?:\.\d+)?\s*(小时|分钟|天|日|工作日|个工作日)")
TEXT_FIELDS = ("goal", "goal_period", "goal_annual", "strategy", "overview")


@checker("P611", "P612")
def check_indicator_text(ctx):
    d = ctx.d
    year = d.year
    for inst in [*(["perf_dept"] if d.present("perf_dept") else []), *d.projects]:
        spec = d.spec(inst)
        if year:
            for field in TEXT_FIELDS:
                if field not in spec.fields:
                    continue
                text = d.get(inst, field) or ""
                others = sorted({y for y in YEAR.findall(text) if int(y) != year})
                if others:
                    yield ctx.finding("P611", d.entry(inst, field),
                                      f"{year}年度的绩效目标中出现“{'年、'.join(others)}年”，请核对是否沿用了往年内容。",
                                      expected=f"{year}年", actual="、".join(others))
        block = spec.block("indicators")
        value_cols = [f for f in block.fields if f.startswith("value")]
        for r in d.rows(inst, "indicators"):
            for vc in value_cols:
                suffix = vc[len("value"):]
                l2 = r.get(f"l2{suffix}") or ""
                l3 = r.get(f"l3{suffix}") or ""
                v = r.get(vc) or ""
                if "时效" in l2 + l3 and TIME_FLOOR.search(v):
                    yield ctx.finding("P612", r.entries[vc], f"时效指标「{l3 or l2}」的指标值为“{v}”，时限通常应写“≤”。", actual=v)
