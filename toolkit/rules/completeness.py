"""Completeness of the disclosure (D7xx), after 财预〔2016〕143号 and current practice.

The reader already refuses a workbook that lacks a required sheet. These rules check what the
sheets must say: an empty table is published with its note, a table with data is not marked
empty, the required 情况说明 sections are there, changes are explained, titles carry the year.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..derive import EMPTY_NOTE, Evaluator, Scope, table_is_empty
from . import ERROR, INFO, WARNING, checker, money, parameter, register

register("D701", ERROR, "空表未注明“本表无数据”", """
    没有数据的表格也应公开，并注明“本表无数据”（财预〔2016〕143号：没有数据的表格应当列出空表并说明）。""")
register("D702", ERROR, "有数据的表注明了“本表无数据”", """
    表中已有金额，却注明“本表无数据”或“空表”，前后矛盾。""")
register("D703", WARNING, "“三公”经费增减未说明原因", """
    “三公”经费预算与上年相比有增减的，应说明增减变动原因（财预〔2016〕143号及 2014 年财政部推进地方预决算公开的要求）。
    “说明了原因”指「说明数据」中填了“三公”经费增减变动原因，或该段文字含参数 reason_words 中的某个词；
    财政局只要求较大的变动说明原因时，用参数 threshold 设定变动比例（上年为 0 而本年不为 0 的总要说明）。""")
register("D704", ERROR, "情况说明缺少必要内容", """
    情况说明须包括收支增减变化、收入、支出、财政拨款、一般公共预算支出、基本支出、“三公”经费、
    机关运行经费和政府采购情况（财预〔2016〕143号）。对应段落为空。""")
register("D705", WARNING, "情况说明缺少逐步公开内容", """
    绩效管理、国有资产占有使用情况属于“逐步公开”内容，一般应说明；无相关情况时写明“无”。""")
register("D706", INFO, "名词解释为空", """
    名词解释为空时，导出文件使用标准释义。""")
register("D707", ERROR, "标题或表头年度、部门与基本信息不符", """
    表格标题、表头中的年度和部门名称应与基本信息一致（如 2023 年的公开表中出现“2022年预算收支总表”，
    或仍是模板中的“20XX”）。运行“填充”可自动生成。""")
register("D708", WARNING, "收支增减变动未说明原因", """
    收入、支出总计与上年相比有增减的，情况说明应写明主要原因（「说明数据」中的增减变动原因，或该段文字含参数
    reason_words 中的某个词）；参数 threshold 设定需要说明原因的变动比例。""")

for _code, _what in (("D703", "“三公”经费"), ("D708", "收入总计")):
    parameter(_code, "threshold", Decimal(0), f"""
        {_what}比上年变动的比例（增减额 ÷ 上年数，0.10 即 10%）达到该值才要求说明原因；默认 0，即有增减就要求。
        上年数为 0 而本年不为 0 时总要求。""", minimum=Decimal(0))
    parameter(_code, "reason_words", ("原因",), """
        段落中出现其中任何一个词即视为说明了原因（如 ["原因", "主要是", "由于"]）；默认只认“原因”。""")


def _needs_reason(prior: Decimal, now: Decimal, threshold: Decimal) -> bool:
    """The change from `prior` to `now` is large enough (a rule's parameter threshold) to need a reason."""
    if prior == now:
        return False
    if prior == 0:
        return True
    return abs(now - prior) / abs(prior) >= threshold


def _gives_reason(text: str, words) -> bool:
    return any(w and w in text for w in words)

REQUIRED = {"s1": "部门预算收支数据变动情况及原因", "s2": "收入预算情况说明", "s3": "支出预算情况说明",
            "s4": "财政拨款收支预算总体情况说明", "s5_1": "一般公共预算当年拨款规模变化情况",
            "s5_2": "一般公共预算当年拨款结构情况", "s6_1": "一般公共预算基本支出情况说明",
            "s7": "“三公”经费增减变动原因说明", "s8": "机关运行经费增减变动原因说明", "s9": "政府采购情况"}
GRADUAL = {"s10_1": "绩效管理情况", "s10_2": "绩效目标情况", "s11_1": "车辆情况", "s11_2": "房屋情况",
           "s11_3": "其他国有资产占有使用情况"}
EMPTY_MARK = re.compile(r"无数据|空表")


def unused_form(d, inst: str) -> bool:
    """A repeated form (项目绩效N) of which the clerk filled nothing: a department without projects
    keeps the template's one blank 项目绩效1. Such a form is not part of the disclosure — its
    required fields are not errors (a project of 表12 without its form is P602's concern)."""
    spec = d.spec(inst)
    if not getattr(spec, "repeat", False):
        return False
    return all(e.value in (None, "") for e in d.entries.get(inst, {}).values() if e.role == "input")


@checker("D701", "D702")
def check_empty_tables(ctx):
    d = ctx.d
    for spec in d.schema.tables:
        if spec.key not in d.entries:
            continue  # an optional table the workbook leaves out (F122): nothing is published
        note = d.entry(spec.key, "_note")
        text = note.value or ""
        if table_is_empty(d, spec.key):
            if not EMPTY_MARK.search(text):
                yield ctx.finding("D701", note, f"本表没有数据，应注明“{EMPTY_NOTE}”。", expected=EMPTY_NOTE, actual=text or None)
        elif EMPTY_MARK.search(text):
            yield ctx.finding("D702", note, f"本表已有数据，却注明“{text}”。", expected=None, actual=text)


@checker("D703", "D708", needs=("notes", "narrative", "t1", "t10"))
def check_explained(ctx):
    d = ctx.d
    U = d.schema.money.unit
    prior = d.get("notes", "prior_sangong")
    if not isinstance(prior, Decimal):
        parts = [d.get("notes", f) for f in ("prior_abroad", "prior_reception", "prior_car_buy", "prior_car_run")]
        prior = sum((p for p in parts if isinstance(p, Decimal)), Decimal(0)) if any(isinstance(p, Decimal) for p in parts) else None
    now = d.amount("t10", "total", "total")
    if prior is not None and _needs_reason(prior, now, ctx.param("D703", "threshold")):
        reason = d.get("notes", "sangong_reason")
        text = d.get("narrative", "s7") or ""
        if not reason and not _gives_reason(text, ctx.param("D703", "reason_words")):
            change = now - prior
            word = "增加" if change > 0 else "减少"
            yield ctx.finding("D703", d.entry("narrative", "s7"),
                              f"“三公”经费预算 {money(now)} {U}，比上年 {money(prior)} {U}{word} {money(abs(change))} {U}，未说明增减原因"
                              f"（可填「说明数据」中的“三公”经费增减变动原因）。", expected="增减原因", actual=None)
    p_income = d.get("notes", "prior_income")
    now_income = d.get("t1", "grand", "in_amt")
    threshold = ctx.param("D708", "threshold")
    if isinstance(p_income, Decimal) and isinstance(now_income, Decimal) and _needs_reason(p_income, now_income, threshold):
        text = d.get("narrative", "s1") or ""
        if not d.get("notes", "change_reason") and not _gives_reason(text, ctx.param("D708", "reason_words")):
            yield ctx.finding("D708", d.entry("narrative", "s1"),
                              f"收入总计比上年变动 {money(now_income - p_income)} {U}，未说明主要原因。", expected="主要原因", actual=None)


@checker("D704", "D705", "D706", needs=("narrative", "glossary"))
def check_sections(ctx):
    d = ctx.d
    fields = d.spec("narrative").fields  # a table set's own 情况说明 form has its own paragraphs (sh-9)
    for key, title in REQUIRED.items():
        if key in fields and not (d.get("narrative", key) or "").strip():
            yield ctx.finding("D704", d.entry("narrative", key), f"情况说明“{title}”为空（可运行“填充”生成标准段落）。")
    for key, title in GRADUAL.items():
        if key in fields and not (d.get("narrative", key) or "").strip():
            yield ctx.finding("D705", d.entry("narrative", key), f"情况说明“{title}”为空；无相关情况时请写明“无”。")
    if not d.rows("glossary", "terms"):
        yield ctx.finding("D706", d.sheet_names["glossary"], "名词解释为空，导出时将使用标准释义。")


@checker("D707")
def check_titles(ctx):
    d = ctx.d
    if d.year is None and not d.dept_name:
        return
    ev = Evaluator(d)
    for inst, data in d.entries.items():
        if unused_form(d, inst):
            continue  # an unused 项目绩效 form is not published: its title is not checked
        for (row, col), e in data.items():
            if e.spec.type != "label" or not (e.spec.derive or "").startswith("fmt("):
                continue
            want = ev.evaluate(e.spec.derive, Scope(inst, row)).value
            if (e.value or "") != want:
                yield ctx.finding("D707", e, f"应为「{want}」，实际为「{e.value or ''}」。", expected=want, actual=e.value)
