"""Cross-table agreement beyond the repeated figures (X403–X408, X411, X412).

The figures a table copies from another are checked through their derivations (X401/X402 in
arithmetic.py). These rules check facts that tie *independent* entries of different tables
together: revenue and expenditure by function, the 一般公共预算 part within the total, projects
against 项目支出, the economic table against 基本支出, and social-insurance items against their
function codes.
"""
from __future__ import annotations

from decimal import Decimal

from ..derive import ZERO
from ..schema import MissingSheet
from ..schema.units import convert
from . import ERROR, WARNING, checker, money, parameter, register

register("X403", WARNING, "社保缴费经济科目与功能科目不对应", """
    基本支出经济科目中的社会保险和住房公积金缴费，应与功能分类中对应科目的基本支出相等：
    30108 机关事业单位基本养老保险缴费 = 2080505；30109 职业年金缴费 = 2080506；
    30110 职工基本医疗保险缴费 + 30111 公务员医疗补助缴费 = 21011 行政事业单位医疗；
    30113 住房公积金 = 2210201。不相等通常说明功能科目或经济科目选错。相差不超过参数 tolerance 时不报告。""")
parameter("X403", "tolerance", Decimal("0.01"), """
    经济科目合计与功能科目基本支出允许相差的金额（表中金额的单位）；默认为末位的一个单位（两位小数的万元为 0.01），即两个舍入金额的误差。""",
          unit="万元", minimum=Decimal(0))
register("X404", ERROR, "一般公共预算支出与支出总表不符", """
    一般公共预算支出表是支出总表中一般公共预算资金的部分：各科目的基本支出、项目支出不能超过支出总表；
    当收入总表显示该科目只有一般公共预算资金时，两表应相等。""")
register("X405", ERROR, "收入总表与支出总表按科目不平衡", """
    同一功能科目的收入（本年收入合计 + 上年结转）应等于其支出合计。""")
register("X406", ERROR, "项目支出表与支出总表不符", """
    支出总表的项目支出合计应等于项目支出表（本年预算）与项目支出表（上年结转）各项目合计之和，
    其一般公共预算部分应等于一般公共预算支出表的项目支出合计。""")
register("X407", ERROR, "经济科目表与基本支出不符", """
    一般公共预算基本支出分经济科目表的合计应等于一般公共预算支出表的基本支出合计。""")
register("X408", WARNING, "机关运行经费超过公用经费", """
    机关运行经费是基本支出中的公用经费部分，不应超过经济科目表的公用经费合计。""")
register("X411", WARNING, "机关运行经费超过公用经费（“三公”经费和机关运行经费表）", """
    上海等地把机关运行经费列在“三公”经费和机关运行经费预算表中（常以万元公开，其余各表以元公开）。
    机关运行经费是一般公共预算基本支出中的日常公用经费，换算为同一单位后不应超过基本支出经济分类表的公用经费合计
    （与 X408 相同的关系，适用于没有单独机关运行经费表的表样）。""")
register("X412", WARNING, "基本支出中的公务接待费、公务用车运行维护费超过“三公”经费", """
    “三公”经费是财政拨款安排的因公出国（境）费、公务用车购置及运行费、公务接待费，包括基本支出和项目支出；
    基本支出经济分类表中的 30217 公务接待费、30231 公务用车运行维护费只是其中基本支出的部分，
    换算为同一单位后不应超过“三公”经费表中的公务接待费、公务用车运行费。""")

SOCIAL = [
    (("30108",), ("2080505",), "机关事业单位基本养老保险缴费"),
    (("30109",), ("2080506",), "职业年金缴费"),
    (("30110", "30111"), ("21011",), "职工基本医疗保险缴费（含公务员医疗补助）"),
    (("30113",), ("2210201",), "住房公积金"),
]


def _by_code(d, table: str, code_col: str = "code") -> dict:
    return {r.get(code_col): r for r in d.rows(table) if r.get(code_col)}


def _amt(row, col) -> Decimal:
    if row is None:
        return ZERO
    v = row.get(col)
    return v if isinstance(v, Decimal) else ZERO


@checker("X403", needs=("t5", "t6"))
def check_social_insurance(ctx):
    d = ctx.d
    U, H = d.schema.money.unit, d.schema.money.half  # the tables' unit and rounding (schema.units)
    econ = _by_code(d, "t6")
    func = _by_code(d, "t5")
    for ecodes, fcodes, what in SOCIAL:
        ev = sum((_amt(econ.get(c), "total") for c in ecodes), ZERO)
        fv = sum((_amt(func.get(c), "basic") for c in fcodes), ZERO)
        if not ev and not fv:
            continue
        if abs(ev - fv) > ctx.param("X403", "tolerance", H * 2):  # default: one unit of the tables' last decimal
            erow = next((econ[c] for c in ecodes if c in econ), None)
            frow = next((func[c] for c in fcodes if c in func), None)
            where = erow.entries["total"] if erow else frow.entries["basic"]
            other = (f"「{frow.entries['basic'].sheet}」{frow.entries['basic'].cell}" if frow and erow
                     else f"功能科目 {'/'.join(fcodes)}")
            yield ctx.finding("X403", where, f"{what} 经济科目合计 {money(ev)} {U}，与{other}的基本支出 {money(fv)} {U}不相等。",
                              expected=fv, actual=ev)


@checker("X404", "X405", needs=("t2", "t3", "t5"))
def check_function_tables(ctx):
    d = ctx.d
    U = d.schema.money.unit  # the tables' unit (schema.units)
    t2, t3, t5 = _by_code(d, "t2"), _by_code(d, "t3"), _by_code(d, "t5")
    for code, r5 in t5.items():
        r3 = t3.get(code)
        r2 = t2.get(code)
        only_gpb = r2 is not None and _amt(r2, "total") == _amt(r2, "gpb") and not _amt(r2, "carry")
        for col, name in (("basic", "基本支出"), ("project", "项目支出")):
            v5, v3 = _amt(r5, col), _amt(r3, col)
            if v5 > v3 or (only_gpb and v5 != v3):
                why = "超过" if v5 > v3 else "不等于（该科目只有一般公共预算资金）"
                yield ctx.finding("X404", r5.entries[col], f"科目 {code} 的{name} {money(v5)} {U}{why}支出总表的 {money(v3)} {U}"
                                  f"（「{r3.entries[col].sheet}」{r3.entries[col].cell}）" if r3 else
                                  f"科目 {code} 的{name} {money(v5)} {U}，支出总表中没有该科目。", expected=v3, actual=v5)
    for code in sorted(set(t2) | set(t3)):
        r2, r3 = t2.get(code), t3.get(code)
        income = _amt(r2, "total") + _amt(r2, "carry")
        spend = _amt(r3, "total")
        if income != spend:
            where = (r3 or r2).entries["total"]
            yield ctx.finding("X405", where, f"科目 {code} 收入（本年收入 + 上年结转）{money(income)} {U}，支出合计 {money(spend)} {U}，不平衡。",
                              expected=income, actual=spend)


def _project_rows(d) -> list:
    """表12's rows and, where the schema has it and the workbook holds it, 表13's (上年结转 projects)."""
    return [r for key in ("t12", "t13") if d.present(key) for r in d.rows(key)]


@checker("X406", needs=("t3", "t5", "t12"))
def check_projects_across(ctx):
    """X406: 项目支出 of 支出总表 / 一般公共预算支出表 against the project tables (本年预算 t12, plus 上年结转
    t13 where the table set has one and the workbook holds it: bj-14's 项目支出表 is the only one)."""
    d = ctx.d
    U, H = d.schema.money.unit, d.schema.money.half  # the tables' unit and rounding (schema.units)
    rows = _project_rows(d)
    projects = sum((_amt(r, "total") for r in rows), ZERO)
    n = len(rows)
    tables = ("t12", "t13") if d.present("t13") else ("t12",)
    t3p = d.amount("t3", "total", "project")
    which = "项目支出表（本年预算 + 上年结转）" if len(tables) == 2 else "项目支出表"
    if (projects or t3p) and abs(projects - t3p) > H * (n + 1):
        yield ctx.finding("X406", d.entry("t3", "total", "project"),
                          f"项目支出合计 {money(t3p)} {U}，{which}合计 {money(projects)} {U}，不一致。",
                          expected=projects, actual=t3p)
    gpb_projects = sum((_amt(r, "gpb") for r in rows), ZERO)
    t5p = d.amount("t5", "total", "project")
    if (gpb_projects or t5p) and abs(gpb_projects - t5p) > H * (n + 1):
        yield ctx.finding("X406", d.entry("t5", "total", "project"),
                          f"一般公共预算项目支出合计 {money(t5p)} {U}，项目支出表的一般公共预算合计 {money(gpb_projects)} {U}，不一致。",
                          expected=gpb_projects, actual=t5p)


@checker("X407", needs=("t5", "t6"))
def check_economic_total(ctx):
    d = ctx.d
    U = d.schema.money.unit
    t6 = d.amount("t6", "total", "total")
    t5b = d.amount("t5", "total", "basic")
    if t6 != t5b:
        yield ctx.finding("X407", d.entry("t6", "total", "total"),
                          f"经济科目表合计 {money(t6)} {U}，与一般公共预算支出表的基本支出合计 {money(t5b)} {U}"
                          f"（「{d.entry('t5', 'total', 'basic').sheet}」{d.entry('t5', 'total', 'basic').cell}）不一致。",
                          expected=t5b, actual=t6)


@checker("X408", needs=("t6", "t11"))
def check_running_costs(ctx):
    """X408: 机关运行经费 (its own table, t11) within the economic table's 公用经费."""
    d = ctx.d
    U = d.schema.money.unit
    jg = max(d.amount("t11", "total", "gpb"), sum((_amt(r, "gpb") for r in d.rows("t11")), ZERO))
    public = d.amount("t6", "total", "public")
    if jg > public:
        yield ctx.finding("X408", d.entry("t11", "total", "gpb"),
                          f"机关运行经费（一般公共预算）{money(jg)} {U}，超过经济科目表的公用经费合计 {money(public)} {U}。",
                          expected=f"≤{money(public)}", actual=jg)


def _in_tables_unit(d, inst: str, row: str, col: str):
    """(value in the tables' unit, value as entered, its unit) of a money cell published in its own unit."""
    e = d.entry(inst, row, col)
    v = d.amount(inst, row, col)
    unit = (e.precision.unit if e is not None and e.precision is not None else None) or d.schema.money.unit
    return convert(v, unit, d.schema.money.unit), v, unit


@checker("X411", needs=("t6",))
def check_jiguan_in_sangong(ctx):
    """X411: 机关运行经费 of the “三公”经费和机关运行经费表 (its own unit) ≤ the 经济科目表's 公用经费.
    A table set with a separate 机关运行经费表 (t11) has X408 for this; one with neither is listed as not run."""
    d = ctx.d
    if not d.schema.has("sangong"):
        if d.schema.has("t11"):
            return  # X408 checks the same relation on the separate table
        raise MissingSheet("sangong")
    if not d.present("sangong"):
        return
    U = d.schema.money.unit
    jg, shown, unit = _in_tables_unit(d, "sangong", "total", "jiguan")
    public = d.amount("t6", "total", "public")
    if jg > public:
        e = d.entry("t6", "total", "public")
        yield ctx.finding("X411", d.entry("sangong", "total", "jiguan"),
                          f"机关运行经费 {money(shown)}{unit}（{money(jg)}{U}），超过基本支出经济分类表的公用经费合计 "
                          f"{money(public)}{U}（「{e.sheet}」{e.cell}）。",
                          expected=f"≤{money(public)}", actual=jg)


#: (经济科目 of 表6, its name, the 三公 item's name, its cell in sh-9's one-row table, in sx-13's 表10)
SANGONG_ITEMS = (("30217", "公务接待费", "公务接待费", ("sangong", "total", "reception"), ("t10", "reception", "total")),
                 ("30231", "公务用车运行维护费", "公务用车运行费", ("sangong", "total", "car_run"), ("t10", "car_run", "total")))


def _schema_has_cell(schema, inst: str, row: str, col: str) -> bool:
    if not schema.has(inst):
        return False
    spec = schema.sheet(inst)
    return col in spec.col_keys and any(getattr(r, "key", None) == row for r in spec.rows)


@checker("X412", needs=("t6",))
def check_sangong_items(ctx):
    """X412: the 基本支出 economic lines 30217 / 30231 ≤ the 三公 table's 公务接待费 / 公务用车运行费
    (sh-9's “三公”经费和机关运行经费表 in its own unit, or sx-13's 表10; the cells come from SANGONG_ITEMS)."""
    d = ctx.d
    U = d.schema.money.unit
    econ = _by_code(d, "t6")
    for code, name, col_name, *cells in SANGONG_ITEMS:
        at = next((c for c in cells if _schema_has_cell(d.schema, *c)), None)
        if at is None:
            raise MissingSheet(cells[0][0])  # neither table set's 三公 table: listed as not run
        row = econ.get(code)
        if row is None or not d.present(at[0]):
            continue
        basic = _amt(row, "total")
        sg, shown, unit = _in_tables_unit(d, *at)
        if basic > sg:
            e = d.entry(*at)
            yield ctx.finding("X412", row.entries["total"],
                              f"基本支出经济科目 {code} {name} {money(basic)}{U}，超过“三公”经费表的{col_name} "
                              f"{money(shown)}{unit}（{money(sg)}{U}，「{e.sheet}」{e.cell}）；“三公”经费包括基本支出和项目支出，"
                              "基本支出部分不应更多。",
                              expected=f"≤{money(sg)}", actual=basic)
