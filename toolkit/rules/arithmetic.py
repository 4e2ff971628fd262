"""Arithmetic inside a table (A3xx) and agreement of repeated figures across tables (X40x).

Every derived number of the schema is recomputed from the figures *as published* in its
operands and compared with the published figure. The derivation is the same one `fill` writes,
so validate and fill can never disagree. Rounding is taken into account (XBRL Calculations 1.1):
a total of n published amounts may differ from their sum by up to (n+1)× half a unit of the last
decimal (0.005 万元 at two decimals; the schema's `types.amount` says unit and decimals) through
rounding alone — that is a 尾差 (warning, with the exact correction); more is an error.
"""
from __future__ import annotations

from decimal import Decimal

from ..derive import ZERO, DeriveError, derived_cells
from ..describe import describe, label, short
from . import ERROR, WARNING, checker, money, register

register("A301", ERROR, "表内计算不符", """
    表内的合计、小计及“合计 = 各分项之和”“合计 = 基本支出 + 项目支出”等关系不成立，且差额超出舍入能解释的范围。
    依据：公开表的表内勾稽关系（各表表样）。差额在舍入范围内的见 A302。""")
register("A302", WARNING, "表内尾差", """
    表内合计与各分项之和相差不超过各项舍入误差之和（每个金额代表其末位半个单位的区间，
    两位小数的万元金额为 ±0.005 万元，以元到分的为 ±0.005 元），
    属尾差。提示给出精确的调整数：或改合计，或按未舍入数调整某一分项。""")
register("A303", ERROR, "类/款合计与明细不符", """
    功能分类（或经济分类）的类、款行金额不等于其下级款、项行之和，差额超出舍入范围。
    依据：支出功能分类公开到项级，类、款为下级之和（财预〔2016〕143号）。""")
register("A304", WARNING, "类/款合计尾差", """
    类、款行与其下级之和相差在舍入误差之内，属尾差，提示精确的调整数。""")
register("A305", ERROR, "收支不平衡", """
    收支总表、财政拨款收支总表的收入总计与支出总计不相等。部门预算收支必须平衡。""")
register("X401", ERROR, "表间数据不一致", """
    同一数字在不同表中重复出现（如收支总表的一般公共预算收入 = 收入总表的一般公共预算合计；
    财政拨款收支总表的各功能类 = 一般公共预算支出表的类合计；部门整体绩效目标表的资金 = 收入/支出总表），
    两处数字不一致。依据：公开表之间的勾稽关系。""")
register("X402", WARNING, "表间尾差", """
    由其他表的多个数字相加得到的数字与其之和相差在舍入误差之内，属尾差。""")

SKIP_FUNCTIONS = ("fmt(", "function_name(", "economic_name(", "narrative(", "empty_note(")


def _sheets_of(refs) -> set[str]:
    return {r[0] for r in refs}


def _operands(ctx, inst, refs) -> str:
    d = ctx.d
    parts = []
    refs = [ref for ref in refs if d.get(*ref) not in (None, ZERO)]
    for s, r, c in refs[:8]:
        v = d.get(s, r, c)
        where = short(d, s, r, c) if s == inst else describe(d, s, r, c)
        parts.append(f"{where} {money(v if v is not None else ZERO)}")
    more = f" 等 {len(refs)} 项" if len(refs) > 8 else ""
    return "、".join(parts) + more


@checker("A301", "A302", "A303", "A304", "X401", "X402")
def check_derivations(ctx):
    """Every derived number equals its derivation from the published operands (or is a 尾差)."""
    d = ctx.d
    ev = ctx.evaluator
    money_types = d.schema.money_types  # "amount", and a table published in another unit (sh-9 表9 in 万元)
    for inst, row, col, e, expr, scope in derived_cells(d):
        if e.spec.type not in ("yuan", "count", "area", "percent") and e.spec.type not in money_types:
            continue
        if expr.startswith(SKIP_FUNCTIONS):
            continue
        try:
            res = ev.evaluate(expr, scope)
        except (DeriveError, TypeError):  # a malformed value already has its F-finding
            continue
        expected = res.value if isinstance(res.value, Decimal) else ZERO
        actual = e.value if isinstance(e.value, Decimal) else None
        if actual is None and expected == ZERO:
            continue
        diff = (actual or ZERO) - expected
        if diff == 0 and actual is not None:
            continue
        unit = e.unit or ""
        rollup = e.rollup is not None
        cross = bool(_sheets_of(res.refs) - {inst})
        tol = ev.tolerance(res) if e.spec.type in money_types else ZERO
        prec = e.precision or d.schema.money
        within = actual is not None and abs(diff) <= tol
        if rollup:
            code = "A304" if within else "A303"
        elif cross:
            code = "X402" if within else "X401"
        else:
            code = "A302" if within else "A301"
        what = label(d, inst, row, col)
        ops = _operands(ctx, inst, res.refs)
        n_ops = sum(1 for ref in res.refs if d.get(*ref) is not None)
        if actual is None:
            msg = (f"{what} 为空，按计算关系应为 {money(expected)}{unit}（{ops}）。"
                   "请运行“填充”自动生成，或手工填写。")
        elif within:
            msg = (f"{what} 填报 {money(actual)}{unit}，按明细计算为 {money(expected)}{unit}，相差 {money(diff)}{unit}，"
                   f"在 {n_ops} 个{_places(prec)}金额的舍入误差（±{money(tol)}）之内，属尾差。"
                   f"建议改为 {money(expected)}，或按未舍入的数调整明细使二者一致。（{ops}）")
        elif n_ops == 0 and not cross:
            # only the total was typed (a clerk copying a published total, rows not yet entered):
            # say so instead of calling it a calculation error with an empty list of operands
            msg = (f"{what} 填报 {money(actual)}{unit}，但计算它的各格都为空（按计算关系应为 {money(expected)}{unit}）。"
                   "请填写明细行，或核对此数。")
        elif cross and len(res.refs) == 1:
            msg = (f"{what} 填报 {money(actual)}{unit}，与 {ops.rsplit(' ', 1)[0]} 的 {money(expected)}{unit} 不一致"
                   f"（相差 {money(diff)}{unit}）。同一数字在各表中应相同。")
        else:
            msg = (f"{what} 填报 {money(actual)}{unit}，按计算关系应为 {money(expected)}{unit}，相差 {money(diff)}{unit}，"
                   f"超出舍入误差（±{money(tol)}）能解释的范围，属计算错误。（{ops}）")
        yield ctx.finding(code, e, msg, expected=expected, actual=actual)


@checker("A305")
def check_balance(ctx):
    """收入总计 = 支出总计 on 表1 and 表4."""
    d = ctx.d
    for inst, inc, exp in (("t1", "in_amt", "ex_total"), ("t4", "in_amt", "ex_sub")):
        if not d.present(inst):
            continue  # a table set without it (or an optional table left out)
        a, b = d.get(inst, "grand", inc), d.get(inst, "grand", exp)
        if a is None and b is None:
            continue
        if (a or ZERO) != (b or ZERO):
            e = d.entry(inst, "grand", exp)
            u = d.schema.money.unit
            yield ctx.finding("A305", e, f"收入总计 {money(a)} {u}与支出总计 {money(b)} {u}不相等，相差 {money((a or ZERO) - (b or ZERO))} {u}。",
                              expected=a, actual=b)


register("A306", ERROR, "行内恒等关系不成立", """
    每一行都应满足的关系（结构定义中的 identities）：合计 = 基本支出 + 项目支出，合计 = 人员经费 + 公用经费，
    合计 = 各资金来源之和等。对合计行和类、款行也要成立（这些行的数字由下级加总，二者须一致）。
    差额在舍入范围内的报 A302 尾差。""")


@checker("A306", "A302")
def check_identities(ctx):
    """Row identities (total = basic + project …) on total rows and 类/款 rows too."""
    from ..derive import Scope

    d = ctx.d
    ev = ctx.evaluator
    for spec in d.schema.tables:
        if not spec.identities:
            continue
        row_keys = [r.key for r in spec.rows if not hasattr(r, "capacity")]
        for block in spec.blocks:
            row_keys += [r.key for r in d.rows(spec.key, block.key)]
        for row in row_keys:
            for left, right in spec.identities:
                e = d.entry(spec.key, row, left)
                if e is None or e.spec.role == "label":
                    continue
                if e.rollup is None and e.spec.derive == right:
                    continue  # the cell's own derivation: already checked by A301
                res = ev.evaluate(right, Scope(spec.key, row))
                if e.value is None and not any(d.get(*ref) is not None for ref in res.refs):
                    continue
                actual = e.value if isinstance(e.value, Decimal) else ZERO
                expected = res.value
                diff = actual - expected
                if diff == 0:
                    continue
                n = sum(1 for ref in res.refs if d.get(*ref) is not None) + (e.value is not None)
                tol = (e.precision or d.schema.money).half * n if n > 1 else ZERO
                u = e.unit or ""
                what = label(d, spec.key, row, left)
                ops = _operands(ctx, spec.key, res.refs)
                if abs(diff) <= tol:
                    yield ctx.finding("A302", e, f"{what} {money(actual)}{u}，而 {ops} 相加为 {money(expected)}{u}，相差 {money(diff)}，"
                                      f"在舍入误差（±{money(tol)}）之内，属尾差。建议改为 {money(expected)} 或调整分项。",
                                      expected=expected, actual=actual)
                else:
                    yield ctx.finding("A306", e, f"{what} {money(actual)}{u}，不等于 {ops} 之和 {money(expected)}{u}（相差 {money(diff)}）。",
                                      expected=expected, actual=actual)


HALF_CENT_TOL = Decimal("0.005")  # two decimals; the rules use the schema's precision (Entry.precision.half)

_PLACE_WORDS = {0: "整数", 1: "一位小数", 2: "两位小数", 3: "三位小数", 4: "四位小数"}


def _places(prec) -> str:
    """“两位小数” / “整数”: the decimals of a type, as the message says them."""
    return _PLACE_WORDS.get(prec.decimals, f"{prec.decimals}位小数")
