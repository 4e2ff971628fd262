"""政府采购预算明细表 and 政府购买服务预算财政拨款明细表 (F125, F126, X413–X416).

Tables of the bj-14 format (Beijing 2025: 表5 `proc`, 表12 `svc`); a schema without them skips these
rules (listed as not run). What a reviewer of that format checks first: the 政府采购 table adds up to
the 政府采购预算 the 情况说明 states (in total and by 货物/工程/服务), every item says what kind of
procurement it is, and no project buys more services with 财政拨款 than the 财政拨款 it has.
"""
from __future__ import annotations

from decimal import Decimal

from ..derive import ZERO
from . import ERROR, INFO, WARNING, checker, money, register

KINDS = {"货物": "proc_goods", "工程": "proc_works", "服务": "proc_services"}

register("F125", ERROR, "政府采购采购类别不明", """
    政府采购预算明细表的每一行应写明采购类别：货物、工程或服务（与情况说明中政府采购货物、工程、服务
    预算的划分一致）。类别为空或写成其他文字的行，无法与情况说明的分类数核对。""")
register("F126", WARNING, "明细行没有项目名称", """
    政府采购预算明细表、政府购买服务预算财政拨款明细表中填了金额的行应写明项目名称：
    公众和审核人员据此把采购、购买服务与项目支出表中的项目对应起来。""")
register("X413", ERROR, "政府采购预算明细表合计与情况说明不符", """
    政府采购预算明细表的合计应等于情况说明（「说明数据」政府采购预算总额）所述的政府采购预算。
    两者不同，说明表或说明中有一处写错。相差不超过各项的舍入误差（每项半个末位单位）时视为尾差、不报告。""")
register("X414", ERROR, "政府采购分类合计与情况说明不符", """
    政府采购预算明细表中采购类别为货物、工程、服务的各行之和，应分别等于「说明数据」中的政府采购货物、
    工程、服务预算（情况说明按此三类说明政府采购）。相差不超过各项的舍入误差时不报告。""")
register("X415", ERROR, "政府购买服务超过项目的财政拨款", """
    政府购买服务预算财政拨款明细表中一个项目用某类财政拨款（一般公共预算、政府性基金预算、国有资本经营预算）
    购买服务的金额，不能超过项目支出表中该项目同一类财政拨款的金额：购买服务的钱来自项目的财政拨款。""")
register("X416", INFO, "政府购买服务的项目不在项目支出表中", """
    政府购买服务预算财政拨款明细表中的项目名称在项目支出表中找不到。用基本支出（公用经费）购买服务时
    可以如此；否则多半是项目名称写得不一致，请核对。""")


def _amt(row, col) -> Decimal:
    v = row.get(col)
    return v if isinstance(v, Decimal) else ZERO


def _name(row) -> str:
    v = row.get("name")
    return v.strip() if isinstance(v, str) else ""


def _kind(row) -> str:
    v = row.get("kind")
    return v.strip() if isinstance(v, str) else ""


def _has_amount(row, cols) -> bool:
    return any(_amt(row, c) for c in cols)


@checker("F125", "F126", applies_to=("proc",))
def check_procurement_rows(ctx):
    """Every 政府采购 row with an amount names its project and one of 货物/工程/服务 (F125, F126)."""
    for r in ctx.d.rows("proc"):
        if not _has_amount(r, ("total", "fin", "special", "unit")):
            continue
        kind = _kind(r)
        if kind not in KINDS:
            shown = f"「{kind}」" if kind else "为空"
            yield ctx.finding("F125", r.entries["kind"], f"采购类别{shown}：应为货物、工程或服务之一。",
                              expected="货物/工程/服务", actual=kind or None)
        if not _name(r):
            yield ctx.finding("F126", r.entries["name"], f"填了金额 {money(_amt(r, 'total'))} {ctx.d.schema.money.unit}，"
                              "但没有项目名称。", actual=None)


@checker("F126", applies_to=("svc",))
def check_service_rows(ctx):
    """Every 政府购买服务 row with an amount names its project (F126)."""
    for r in ctx.d.rows("svc"):
        if _has_amount(r, ("total", "gpb", "gf", "soc")) and not _name(r):
            yield ctx.finding("F126", r.entries["name"], f"填了金额 {money(_amt(r, 'total'))} {ctx.d.schema.money.unit}，"
                              "但没有项目名称。", actual=None)


def _stated(d, field: str) -> Decimal | None:
    v = d.get("notes", field)
    return v if isinstance(v, Decimal) else None


@checker("X413", "X414", needs=("notes",), applies_to=("proc",))
def check_procurement_against_notes(ctx):
    """The 政府采购预算明细表 against the 政府采购预算 the 情况说明 states: its 合计 (X413, reported at the
    table's 合计 cell) and its sums by 采购类别 (X414, at the 说明数据 figure that disagrees). Within the
    rounding of the items summed (half a unit of the last decimal each) a difference is 尾差."""
    d = ctx.d
    U, H = d.schema.money.unit, d.schema.money.half
    rows = [r for r in d.rows("proc") if _has_amount(r, ("total", "fin", "special", "unit"))]
    items = sum((_amt(r, "total") for r in rows), ZERO)
    shown = d.get("proc", "total", "total")
    table_total = shown if isinstance(shown, Decimal) else items  # the 合计 as the file has it (fill derives it)
    parts = {k: _stated(d, f) for k, f in KINDS.items()}
    stated = _stated(d, "proc_total")
    if stated is None and any(v is not None for v in parts.values()):
        stated = sum((v or ZERO for v in parts.values()), ZERO)
    tol = H * (len(rows) + 1)
    if stated is not None and (table_total or stated) and abs(table_total - stated) > tol:
        where = d.entry("proc", "total", "total")
        note = d.entry("notes", "proc_total")
        cite = f"「{note.sheet}」{note.cell}" if note is not None else "说明数据"
        yield ctx.finding("X413", where, f"政府采购预算明细表合计 {money(table_total)} {U}，与情况说明所述政府采购预算总额"
                          f" {money(stated)} {U}（{cite}）不一致。", expected=stated, actual=table_total)
    for kind, field in KINDS.items():
        mine = [r for r in rows if _kind(r) == kind]
        got = sum((_amt(r, "total") for r in mine), ZERO)
        want = parts[kind]
        n = len(mine)
        if want is None and not got:
            continue
        if abs(got - (want or ZERO)) > H * (n + 1):
            where = d.entry("notes", field)
            yield ctx.finding("X414", where if where is not None else "说明数据",
                              f"政府采购{kind}预算 {money(want)} {U}，而政府采购预算明细表中采购类别为“{kind}”的各行合计"
                              f" {money(got)} {U}，不一致。", expected=got, actual=want)


@checker("X415", "X416", needs=("t12",), applies_to=("svc",))
def check_services_within_projects(ctx):
    """Per project and fund, the services bought (svc) within the project's 财政拨款 in 项目支出表 (X415,
    at the first service row of that project and fund); a service row whose project is not in
    项目支出表 is listed (X416, info: services may be bought from 基本支出)."""
    d = ctx.d
    U = d.schema.money.unit
    projects: dict = {}
    for r in d.rows("t12"):
        if _name(r):
            p = projects.setdefault(_name(r), {c: ZERO for c in ("gpb", "gf", "soc")})
            for c in p:
                p[c] += _amt(r, c)
    bought: dict = {}
    for r in d.rows("svc"):
        name = _name(r)
        if not name or not _has_amount(r, ("total", "gpb", "gf", "soc")):
            continue
        if name not in projects:
            yield ctx.finding("X416", r.entries["name"], f"项目「{name}」不在项目支出表中（用基本支出购买服务时可以如此，"
                              "否则请核对项目名称）。", actual=name)
            continue
        for c in ("gpb", "gf", "soc"):
            first, total = bought.get((name, c), (r, ZERO))
            bought[(name, c)] = (first, total + _amt(r, c))
    funds = {"gpb": "一般公共预算", "gf": "政府性基金预算", "soc": "国有资本经营预算"}
    for (name, c), (first, total) in bought.items():
        has = projects[name][c]
        if total > has:
            yield ctx.finding("X415", first.entries[c], f"项目「{name}」用{funds[c]}购买服务 {money(total)} {U}，"
                              f"超过项目支出表中该项目的{funds[c]}拨款 {money(has)} {U}。", expected=f"≤{money(has)}", actual=total)
