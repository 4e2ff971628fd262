"""情况说明文字与表格核对 (N5xx): every figure written in the 情况说明 is read back and checked.

The paragraphs of the standard 情况说明 state amounts of quantities the tables hold (“基本支出74.31万元”),
their shares (“占33.13%”), their change on last year (“比上年减少9.32万元，下降3.99%”, “与上年相同”),
and a few figures of the 说明数据 sheet (政府采购, 项目个数, 车辆, 租赁面积). Reading happens in two
layers so the parser can be tested on any department's wording without a workbook behind it:

1. *Parsing* (no values) is the reader's, toolkit/narrative_reader.py, with its vocabulary as data
   (toolkit/schema/narrative_vocabulary.yaml): mentions, changes, rates, shares, phrases it does not
   know (not checked, N511), years, counts and enumerations.
2. *Checking* (here) resolves each quantity key to the figure in the tables (`Quantity`; a blank
   cell counts as 0.00) or in 说明数据, and compares.

Comparisons are at the precision written: “150万元” says 150.00 (and any figure that rounds to 150),
“33.1%” any share that rounds to 33.1; two-decimal percentages ±0.01 for the rounding of the amounts;
元 and 亿元 are converted. Shares and rates are computed from the table figures, so a wrong amount is
reported once (N501), not again in its share.
"""
from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from ..describe import describe, row_label
from ..narrative_reader import (  # noqa: F401  (the reader's names, re-exported for the rules' users)
    CENT,
    CONTINUED_FROM,
    HALF_CENT,
    HUNDRED,
    MONEY_SCALE,
    TEN_THOUSAND,
    ZERO,
    Change,
    Hit,
    Keyword,
    Lexicon,
    Mention,
    Paragraph,
    Share,
    Unchecked,
    YearRef,
    _kw_pattern,
    blank_figures,
    count_groups,
    doublings,
    GAP_MARKS as GAP_MARK_RE,
    gap_marks,
    half_unit,
    lead_start,
    normalise,
    parse_paragraph,
    pct,
    quote,
    r2,
    rounded,
    sentences,
    tokens,
    vocabulary,
)
from ..schema.units import YUAN_PER, Precision, factor
from . import ERROR, INFO, WARNING, checker, money, parameter, register

#: The tables' amount precision (schema.money) for the checks in progress: the comparison unit.
#: A text's “万元”/“元”/“亿元” figure is converted to it; tolerances are half a unit of its last
#: decimal. Set by `_paragraphs` (every amount check starts there); 万元 at two decimals otherwise.
_TABLE: ContextVar = ContextVar("bdt_table_money", default=None)
_BUNDLED = Precision("万元", 2)


def T() -> Precision:
    """Unit and decimals of the tables' amounts in the checks in progress."""
    return _TABLE.get() or _BUNDLED


def _scale(unit: str | None) -> Decimal:
    """Factor from a written money unit to the tables' unit (1 for no unit or a count)."""
    return factor(unit, T().unit) if unit in YUAN_PER and T().unit in YUAN_PER else Decimal(1)


def _amt(m) -> Decimal:
    """A written amount (Mention) in the tables' unit."""
    return m.value * _scale(m.unit)


def _chg(ch) -> Decimal | None:
    """A written change (Change) in the tables' unit."""
    return None if ch.amount is None else ch.amount * _scale(ch.unit)

register("N501", ERROR, "说明金额与表不符", """
    情况说明中写明的某项金额（如“基本支出74.31万元”“一般公共服务支出207.41万元”““三公”经费预算9.00万元”）
    与公开表中的对应数字不一致。情况说明是对公开表的文字解读，所述金额必须与表中数字一致：按文中写出的精度比较
    （“74.31万元”精确到0.01万元；“150万元”“74.3万元”“1.2亿元”是表中数字按该精度四舍五入的结果即为一致；
    以元写的金额换算为万元，允许表中0.01万元的舍入）。名称按最长匹配认定（“财政拨款支出预算”不是“支出预算”）。表中空格按0.00计。功能分类“类”级支出：第四部分与财政拨款收支总表核对，
    其他部分与一般公共预算支出表核对。""")
register("N502", ERROR, "占比计算错误", """
    “A万元，占P%”中的P应等于A除以所属总额（本段或本句的总额，如“支出预算224.31万元，其中：基本支出……”，
    或“占”字后写明的总额）乘以100，按文中写出的小数位数四舍五入（“33.13%”“33.1%”“33%”都可以是正确的）。
    金额取公开表中的数字计算，允许±0.01个百分点的舍入差。“占”字后的总额不是已知数量时不核对（N511）。占比算错会误导读者对支出结构的判断。""")
register("N503", ERROR, "增减率分母错误或计算错误", """
    “比上年减少C万元，下降R%”中的R应等于C除以上年数乘以100，上年数 = 本年数 ± C（减少时加，增加时减）。
    常见错误是用本年数作分母（如9.32÷224.31=4.15%，正确为9.32÷233.63=3.99%）。
    只写增减率未写增减额时，用「说明数据」中填写的上年数核对。增减率按文中写出的小数位数比较（“下降4%”可以是3.99%）。""")
register("N504", ERROR, "增减额与上年数不符", """
    情况说明所写的增减额（“比上年减少/增加C万元”，或“与上年相同/持平”即增减为0）与「说明数据」中填写的上年数
    算出的增减额（本年数 − 上年数）不一致。核对的数量：收入总计、支出总计、一般公共预算当年拨款、“三公”经费合计
    及因公出国（境）费、公务接待费、公务用车购置费、公务用车运行维护费、机关运行经费；上年数未填的不核对。""")
register("N505", ERROR, "说明前后矛盾", """
    情况说明对同一数量的表述自相矛盾：如“三公”经费合计写“与上年预算数相同”，而其中各项写明的增减合计不为0；
    同一数量在文中出现两个不同的金额或增减额；增减额写“减少”而增减率写“增长”。前后矛盾的说明无法让读者判断
    哪个数字是对的。""")
register("N506", WARNING, "占比合计不为100%", """
    同一总额下列出了全部组成部分及其占比（各部分金额之和等于总额），各占比之和应为100%。
    合计与100%之差在各占比舍入误差之内（每个两位小数的占比±0.005个百分点）时为提示，属正常尾差，
    可调整最大一项使合计为100%；超出时为警告，说明有占比写错。""")
register("N507", ERROR, "金额单位错误", """
    情况说明中的金额单位与数字不符：如“政府采购服务预算7.05元”而表中为7.05万元（应写“万元”），
    或以万元写出了以元计的数字。公开表的金额单位（结构定义中金额类型的单位，通常为万元）与文中单位不同时按单位换算后比较，
    单位写错会使金额相差一万倍。""")
register("N508", ERROR, "说明留空待填", """
    段落中仍有留给填报人的待填标记：【…】、＿＿ / ____、“请填写”“待补充”、XX / ××等占位符。
    公开前应填写完整或删除。""")
register("N509", ERROR, "项目个数与表不符", """
    绩效管理情况中“实行绩效目标管理的项目N个”与项目支出表（本年预算）列出的项目个数不一致。""")
register("N510", ERROR, "说明数字与说明数据不符", """
    情况说明中写明的、表中没有而「说明数据」中填写的数字不一致：政府采购预算总额及货物、工程、服务预算，
    绩效管理涉及的一般公共预算当年拨款（即项目支出表一般公共预算合计），实有车辆数、车辆编制数，
    租赁（自有）办公用房面积。「说明数据」中未填的车辆数和面积不核对。""")

register("N511", INFO, "说明数字未核对", """
    情况说明中某个数字前的名称不是能与公开表对应的数量（词表 toolkit/schema/narrative_vocabulary.yaml 中没有，
    或是表中没有的内容，如“政府购买服务”“事业收入”，或是已知名称被包含在更长的名称中，如“专项业务费支出预算”
    不是“支出预算”）。这样的数字不与任何表中数字比较（不按猜测的数量核对），只提示未核对，请人工核对；
    如是本地常用说法，可把它加入词表。""")
register("N512", ERROR, "说明数字留空", """
    段落中有单位或百分号而没有数字（如“占%”“基本支出万元”“增长%”“实有辆”），是套用模板时没有填写的数字。
    公开前应填写完整；没有这项内容的，删去整句。""")
register("N513", ERROR, "说明中的数目前后矛盾", """
    同一句中总数与其中各项的数目相矛盾：“共有公务用车5辆，其中：执法执勤用车3辆，机要通信用车3辆”（各项之和超过总数，
    错误）；列出两项以上而各项之和小于总数，且没有用“等”表明未列全的，为警告（漏列一项或总数写错）。
    适用于个、辆、人、人次、次、批、台。""")
register("N514", WARNING, "说明年度与预算年度不符", """
    情况说明中写在金额前的年度（“2022年度支出预算…”）应是本公开的预算年度；与之比较的年度（“比2021年减少…”
    “与2022年预算数相同”）应是上一年度。其他年度多半是沿用了往年的说明未改。说明原因时提到的往年
    （“2022年购置了一辆新车”）和日期（“截至2022年底”）不在此列。""")
register("N515", WARNING, "说明中重复的字词或标点", """
    段落中有紧挨着重复的字词或标点：“增加增加”“的的”“经费费”“。。”“。；”“，，”，多是录入或复制粘贴时的笔误。
    汉语中本来就重叠的词（常常、层层、认认真真、方方面面，词表 reduplications）不在此列。""")
register("N516", WARNING, "空表说明写的是别的表的内容", """
    没有数据的表注明“本表无数据”时附带的说明，写的是另一张表的内容（如政府性基金预算支出表注明“本部门没有国有资本经营
    预算”），多是从别的表复制来的，读者会误解本表为什么为空。说明应写本表的内容（词表 table_topics）。""")
register("N517", WARNING, "列举不全", """
    以“主要包括”“包括”“主要用于以下方面”“分别为”等引出、看来是完整列举的一串数量（收入来源、基本支出和项目支出、
    人员经费和公用经费、“三公”经费各项、政府采购的货物/工程/服务、功能分类各“类”及其金额），列出了其中两项以上，
    却漏了表中不为零的一项；只列名称的清单（“人员经费……主要包括：基本工资、津贴补贴……”）与基本支出表中该列不为零的
    各项对照。漏列的数量会使读者以为它为零；确实只列主要几项的，请以“等”结尾。""")
register("N518", WARNING, "说明引用的表中数字本身有误", """
    情况说明引用的表中数字本身与其计算关系不符（超出舍入误差，见同一格的 A301/A303/X401 等），问题的根源在表，
    不在文字。报一次：指出该表格的数字、按明细应为多少，并列出情况说明中引用它的各处——与表中填报数相同的，
    改表后要随之改；已与按明细计算的数一致的，文字是对的，只改表即可（此时不再对这句话报 N501）。""")

register("N520", WARNING, "较大增减未说明原因", """
    有上年数的数量（一般公共预算当年拨款、“三公”经费各项、机关运行经费；收入支出总计和“三公”经费合计由 D708、D703
    报告，本规则不重复）与上年相比增减达到
    阈值（默认 10%，即 |本年数 − 上年数| ÷ 上年数 ≥ 0.10；上年为 0 而本年不为 0 的也算）时，情况说明中讲到它的文字
    须说明原因（“主要原因是……”“主要是……”“原因：……”“主要用于……”等，词表 change_reasons）。讲到它的文字：
    写明其增减的句子（“比上年增加……”）之后、或同一句中的原因；文中未写其增减的，其所在段落（如“三公”经费为
    七、机关运行经费为八）中的原因。原因处留空待填（“主要原因是【请填写……】”）的由 N508 报告，本规则不重复。阈值是规则参数 N520.threshold
    （财政局的配置可改）。其他地区的公开要求对较大增减说明原因，不说明的常被通报。""")
parameter("N520", "threshold", Decimal("0.10"), """
    须说明原因的增减幅度（|本年数 − 上年数| ÷ 上年数，0.10 即 10%；上年为 0 而本年不为 0 的总要说明）。""",
          minimum=Decimal(0))

# ============================================================================ quantities: keys → figures
@dataclass(frozen=True)
class Quantity:
    key: str
    name: str
    value: Decimal | None  # None: not known (a blank count in 说明数据)
    where: str  # 「表3 支出总表」D6（合计·基本支出）
    code: str  # the rule a wrong statement of it breaks
    unit: str | None = None  # None: money, in the tables' unit (T()); else a count's unit (个, 辆, 平方米)
    prior: Decimal | None = None  # last year's figure from 说明数据
    prior_where: str | None = None
    at: tuple | None = None  # (table, row, column) of the table cell it is read from


PRIOR_FIELDS = {
    "t1.grand.in_amt": "prior_income", "t1.grand.ex_total": "prior_expense", "t2.total.gpb": "prior_gpb",
    "t10.total.total": "prior_sangong", "t10.abroad.total": "prior_abroad",
    "t10.reception.total": "prior_reception", "t10.car_buy.total": "prior_car_buy",
    "t10.car_run.total": "prior_car_run", "t11.total.total": "prior_jiguan",
}
PRIOR_PARTS = {  # a prior that 说明数据 derives, rebuilt from its parts when the total cell is blank
    "t10.total.total": ("prior_abroad", "prior_reception", "prior_car_buy", "prior_car_run"),
    "t10.car.total": ("prior_car_buy", "prior_car_run"),
}
# a stated change of the total must equal the sum of its parts' stated changes
CHANGE_PARTS = {
    "t10.total.total": ("t10.abroad.total", "t10.reception.total", "t10.car.total"),
    "t10.car.total": ("t10.car_buy.total", "t10.car_run.total"),
}
UNIT_OF_FAMILY = {"count": "个", "vehicle": "辆", "area": "平方米"}


class Quantities:
    """Resolves quantity keys against a disclosure (blank table cells count as 0.00)."""

    def __init__(self, d, lexicon: Lexicon):
        self.d = d
        self.lex = lexicon
        self._cache: dict[str, Quantity] = {}
        self._empty_tables: dict[str, bool] = {}
        self._leaves: dict[tuple, dict] = {}  # (table, column) -> {code prefix: leaf total}

    def __getitem__(self, key: str) -> Quantity:
        if key not in self._cache:
            q = self._resolve(key)
            if q.at and self._empty(q.at[0]):
                # a table with no figure at all was not filled in (or not transcribed): nothing to compare with
                q = Quantity(q.key, q.name, None, q.where, q.code, q.unit, q.prior, q.prior_where, q.at)
            self._cache[key] = q
        return self._cache[key]

    def _empty(self, table: str) -> bool:
        if table not in self._empty_tables:
            from ..derive import table_is_empty

            try:
                self._empty_tables[table] = table_is_empty(self.d, table)
            except KeyError:
                self._empty_tables[table] = False
        return self._empty_tables[table]

    def _prior(self, key: str) -> tuple[Decimal | None, str | None]:
        d = self.d
        if not d.schema.has("notes"):
            return None, None  # a table set without the 说明数据 form (sh-9): no 上年数 to compare with
        fld = PRIOR_FIELDS.get(key)
        if fld:
            v = d.get("notes", fld)
            if isinstance(v, Decimal):
                return v, describe(d, "notes", fld)
        parts = PRIOR_PARTS.get(key)
        if parts:
            vals = [d.get("notes", p) for p in parts]
            if all(isinstance(v, Decimal) for v in vals):
                return sum(vals, ZERO), "「{}」（{}）".format(
                    d.sheet_names.get("notes", "说明数据"), "、".join(row_label(d, "notes", p) for p in parts))
        return None, None

    def _resolve(self, key: str) -> Quantity:
        d = self.d
        name = self.lex.name(key)
        prior, prior_where = self._prior(key)
        if key.startswith("class:"):
            _, table, code, *col = key.split(":")
            return self._function_class(table, code, name, col=col[0] if col else "total")
        if key.startswith("econ:"):  # an 经济分类 class of 表6: its row, else the sum of its items
            _, table, code = key.split(":")
            return self._function_class(table, code, name, prefix="econ")
        if key in ("t12.gpb", "t12.count") and not d.schema.has("t12"):  # no 项目支出表 in this table set
            return Quantity(key, name, None, f"本表结构（{d.schema.id or d.schema.name}）无项目支出表", "N510")
        if key == "t12.gpb":
            rows = d.rows("t12")
            total = sum((r.get("gpb") for r in rows if isinstance(r.get("gpb"), Decimal)), ZERO)
            return Quantity(key, name, total, f"「{d.sheet_names.get('t12', 't12')}」一般公共预算列合计", "N510")
        if key == "t12.count":
            n = len(d.rows("t12"))
            return Quantity(key, name, Decimal(n), f"「{d.sheet_names.get('t12', 't12')}」所列项目数", "N509", unit="个")
        if key.startswith("notes.") and not d.schema.has("notes"):
            return Quantity(key, name, None, f"本表结构（{d.schema.id or d.schema.name}）无「说明数据」", "N510")
        if key.startswith("notes."):
            fld = key.split(".", 1)[1]
            v = d.get("notes", fld)
            fam = self.lex.vocab.get("counts", {}).get(key, {}).get("family", "money")
            if fam == "money":
                if v is None and fld == "proc_total":
                    parts = [d.amount("notes", f) for f in ("proc_goods", "proc_works", "proc_services")]
                    v = sum(parts, ZERO)
                v = v if isinstance(v, Decimal) else ZERO
                return Quantity(key, name, v, describe(d, "notes", fld), "N510")
            return Quantity(key, name, v if isinstance(v, Decimal) else None, describe(d, "notes", fld), "N510",
                            unit=UNIT_OF_FAMILY[fam])
        if not _addressable(d.schema, key):  # a cell of another table set (sx-13's t1.subtotal …): nothing to compare
            return Quantity(key, name, None, f"本表结构（{d.schema.id or d.schema.name}）无此数", "N501")
        sheet, row, col = key.split(".")
        return Quantity(key, name, d.amount(sheet, row, col), describe(d, sheet, row, col), "N501",
                        prior=prior, prior_where=prior_where, at=(sheet, row, col))

    def _function_class(self, table: str, code: str, name: str, prefix: str = "class", col: str = "total") -> Quantity:
        d = self.d
        key = f"{prefix}:{table}:{code}" + (f":{col}" if col != "total" else "")
        if table == "t4":
            row = next((r.key for r in d.schema.sheet("t4").rows if getattr(r, "of", None) == code), None)
            if row is None:
                return Quantity(key, name, None, f"「{d.sheet_names.get('t4', 't4')}」", "N501")
            return Quantity(key, name, d.amount("t4", row, "ex_sub"), describe(d, "t4", row, "ex_sub"), "N501",
                            at=("t4", row, "ex_sub"))
        rows = d.rows(table)
        if not rows:  # the table's rows are not filled in (only its totals): nothing to compare with
            return Quantity(key, name, None, f"「{d.sheet_names.get(table, table)}」{code} {name}", "N501")
        own = d.code_index(table, "items", "code")[0].get(code)
        if own is not None:
            return Quantity(key, name, own.get(col) or ZERO, describe(d, table, own.key, col), "N501",
                            at=(table, own.key, col))
        total = self._leaf_totals(table, col).get(code, ZERO)
        return Quantity(key, name, total, f"「{d.sheet_names.get(table, table)}」{code} {name}", "N501")

    def _leaf_totals(self, table: str, col: str) -> dict:
        """{code prefix: sum of `col` over the table's leaf rows (no child rows) whose code starts
        with it}, made once per table and column: a 类 named in the text whose own row is absent is
        the sum of its leaves, found without scanning the table per quantity."""
        got = self._leaves.get((table, col))
        if got is None:
            got = {}
            for r in self.d.rows(table):
                c, v = r.code, r.get(col)
                if not isinstance(c, str) or not c or r.is_parent or not isinstance(v, Decimal):
                    continue
                for n in range(1, len(c) + 1):
                    got[c[:n]] = got.get(c[:n], ZERO) + v
            self._leaves[(table, col)] = got
        return got


# ============================================================================ checks
def _fields(d) -> list[str]:
    """The 情况说明 paragraph fields, in order (none when the schema has no narrative sheet)."""
    try:
        return list(d.spec("narrative").fields)
    except KeyError:
        return []


def _paragraphs(ctx):
    """(field key, Entry, parsed Paragraph) of every 情况说明 paragraph with text, in order."""
    _TABLE.set(ctx.d.schema.money)
    if "narrative" not in ctx._cache:
        d = ctx.d
        lex = Lexicon.for_schema(d.schema, d.dept_name or "")
        lex.add_rows({t: [(r.code, r.get("name")) for r in _rows(d, t) if r.code and isinstance(r.get("name"), str)]
                      for t in ("t3", "t5")})
        out, parsed = [], {}
        for key in _fields(d):
            e = d.entry("narrative", key)
            if e is None or not isinstance(e.value, str) or not e.value.strip():
                continue
            prev = parsed.get(CONTINUED_FROM.get(key))
            parsed[key] = parse_paragraph(e.value, lex, key, prev.subject if prev else None)
            out.append((key, e, parsed[key]))
        ctx._cache["narrative"] = (lex, Quantities(d, lex), out)
    return ctx._cache["narrative"]


def _rows(d, table: str) -> list:
    try:
        return d.rows(table)
    except KeyError:
        return []


def _title(ctx, key: str) -> str:
    return row_label(ctx.d, "narrative", key)


def _narrative_texts(d):
    """(field key, Entry) of every 情况说明 paragraph that holds text, in order."""
    for key in _fields(d):
        e = d.entry("narrative", key)
        if e is not None and isinstance(e.value, str):
            yield key, e


def _count(v: Decimal) -> str:
    """A count or area as written: 3, 275, 275.5."""
    return str(int(v)) if v == v.to_integral_value() else money(v)


def _fmt_change(x: Decimal) -> str:
    if x == 0:
        return "与上年相同"
    return f"{'增加' if x > 0 else '减少'} {money(abs(x))} {T().unit}"


@checker("N508", needs=("narrative",))
def check_gaps(ctx):
    """A paragraph still holds a gap marker for the clerk."""
    d = ctx.d
    for key, e in _narrative_texts(d):
        marks = gap_marks(e.value)
        if marks:
            shown = "、".join(f"“{m}”" for m in marks)
            yield ctx.finding("N508", e, f"“{_title(ctx, key)}”中仍有待填写的标记 {shown}，公开前应填写完整或删除。",
                              expected=None, actual=marks[0])


def as_written(value_wan: Decimal, unit: str, places: int) -> Decimal:
    """A figure of the tables (in their unit, T(): 万元 in the bundled schema) written in `unit` at
    `places` decimals: what the text should say."""
    v = value_wan / _scale(unit)
    return rounded(v, places)


def amount_agrees(stated: Decimal, unit: str, places: int, value_wan: Decimal) -> bool:
    """Does “stated unit” say the table's 万元 figure, at the precision the text writes?

    150万元 is 150.00 (and 150.40 rounded); 33.1万元 is 33.05…33.149; 1.2亿元 is 11,500…12,499.99万元;
    70500元 is 7.05万元 (the table holds 0.01万元 = 100元: ±50元). The table's unit and decimals are
    the schema's (T()): in a table in 元 to the fen, “224.31万元” is any 2,243,050.00…2,243,149.99元."""
    P = T()
    if unit in YUAN_PER and P.unit in YUAN_PER and YUAN_PER[unit] < YUAN_PER[P.unit]:
        return abs(stated * _scale(unit) - value_wan) <= P.half  # finer than the table: the table's rounding
    if unit == P.unit and places >= P.decimals:
        return rounded(stated, P.decimals) == rounded(value_wan, P.decimals)
    return as_written(value_wan, unit, places) == stated


def wrong_unit(m, value_wan: Decimal) -> str | None:
    """The unit the number was meant in, when the written number is the table figure in another unit
    (7.05元 for 7.05万元, 70500万元 for 70500元, 224.31亿元 for 224.31万元)."""
    if value_wan == 0:
        return None
    for unit in MONEY_SCALE:
        if unit != m.unit and m.value == as_written(value_wan, unit, m.places) and (
                m.places >= T().decimals or unit == "元" or as_written(value_wan, unit, T().decimals) == m.value):
            return unit
    return None


@checker("N512", needs=("narrative",))
def check_blank_figures(ctx):
    """A unit or % with no number: an unfilled placeholder."""
    d = ctx.d
    for key, e in _narrative_texts(d):
        blanks = blank_figures(e.value)
        if blanks:
            text = normalise(e.value)
            shown = "、".join(f"“{quote(text, max(0, s - 6), t)}”" for s, t, _ in blanks[:5])
            yield ctx.finding("N512", e, f"“{_title(ctx, key)}”中有没有填写的数字：{shown}"
                                         f"{'等' if len(blanks) > 5 else ''}（单位前缺少数字），公开前应填写完整。",
                              expected=None, actual=blanks[0][2])


@checker("N513", needs=("narrative",))
def check_counts(ctx):
    """The parts listed after 其中 do not exceed (or, listed in full, fall short of) the whole count."""
    d = ctx.d
    for key, e in _narrative_texts(d):
        text = normalise(e.value)
        for g in count_groups(text):
            total = sum((t.number for t in g.parts), ZERO)
            whole, unit = g.whole.number, g.whole.unit
            if total == whole or (total < whole and (len(g.parts) < 2 or g.open_end)):
                continue
            listed = "+".join(_count(t.number) for t in g.parts)
            phrase = quote(text, lead_start(text, g.whole.start, 0), g.end)
            if total > whole:
                yield ctx.finding("N513", e, f"文中“{phrase}”：其中各项 {listed} = {_count(total)}{unit}，"
                                             f"超过总数 {_count(whole)}{unit}，前后矛盾。", expected=whole, actual=total)
            else:
                yield ctx.finding("N513", e, f"文中“{phrase}”：其中各项 {listed} = {_count(total)}{unit}，"
                                             f"少于总数 {_count(whole)}{unit}，是漏列了一项还是总数写错？未列全时请写“等”。",
                                  expected=whole, actual=total, severity=WARNING)


@checker("N514", needs=("narrative",))
def check_years(ctx):
    """Years before a statement are the budget year; years compared with are the year before."""
    d = ctx.d
    try:
        year = int(str(d.year).strip())
    except (TypeError, ValueError):
        return
    _, _, paras = _paragraphs(ctx)
    for key, e, p in paras:
        for y in p.years:
            want = year if y.kind == "statement" else year - 1
            if y.year == want:
                continue
            s, t = lead_start(p.text, y.start, 0), y.end
            phrase = quote(p.text, s, min(len(p.text), max(t, y.end + 8)))
            what = "金额所属的年度" if y.kind == "statement" else "比较的年度"
            yield ctx.finding("N514", e, f"文中“{phrase}…”中{what}为 {y.year} 年，本公开的预算年度为 {year} 年，"
                                         f"应为“{want}年”；请核对是否沿用了往年的说明。", expected=want, actual=y.year)


@checker("N515", needs=("narrative",))
def check_doublings(ctx):
    """Repeated words and doubled punctuation in a paragraph."""
    d = ctx.d
    for key, e in _narrative_texts(d):
        text = normalise(e.value)
        found = doublings(text)
        if found:
            shown = "、".join(f"“{quote(text, max(0, s - 4), min(len(text), t + 4)) or w}”中的“{w}”"
                             for s, t, w in found[:5])
            yield ctx.finding("N515", e, f"“{_title(ctx, key)}”中有重复的字词或标点：{shown}"
                                         f"{'等' if len(found) > 5 else ''}，请核对。", expected=None, actual=found[0][2])


def _topics(text: str) -> list[tuple[str, list]]:
    """(phrase, tables) of the table contents a note names, longest phrase first, not overlapping."""
    topics = vocabulary().get("table_topics", {})
    out, taken = [], []
    for phrase in sorted(topics, key=len, reverse=True):
        for m in _kw(phrase).finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            out.append((phrase, list(topics[phrase])))
    return out


def _kw(phrase: str):
    return _kw_pattern(phrase)


@checker("N516", needs=("narrative",))
def check_empty_notes(ctx):
    """An empty table's note speaks of another table's content (copied from that table's note)."""
    d = ctx.d
    for spec in d.schema.tables:
        note = d.entry(spec.key, "_note")
        text = note.value if note is not None and isinstance(note.value, str) else ""
        if not text.strip():
            continue
        named = _topics(text)
        if not named or any(spec.key in tables for _, tables in named):
            continue
        phrase, tables = named[0]
        yield ctx.finding("N516", note, f"本表（{ctx.sheet_name(spec.key)}）的说明“{text.strip()}”写的是“{phrase}”，"
                                        f"那是{'、'.join(ctx.sheet_name(t) for t in tables)}的内容，像是从别的表复制来的；"
                                        f"请改为说明本表为什么没有数据。", expected=None, actual=text)


def _enumerations(p) -> list[tuple[int, int]]:
    """Spans from an enumeration marker (主要包括：…) to the end of its sentence, unless the list ends with 等."""
    v = vocabulary()
    markers = sorted(v.get("enumeration_markers", ()), key=len, reverse=True)
    open_ends = v.get("enumeration_open_ends", ())
    out = []
    for s, e in sentences(p.text):
        at = min((i for i in (p.text.find(m, s, e) for m in markers) if i >= 0), default=-1)
        if at < 0:
            continue
        body = p.text[at:e].rstrip("。；;，, \t\r\n")
        if any(body.endswith(w) for w in open_ends) or re.search(r"等[^，；。\d]{0,4}$", body):
            continue
        out.append((at, e))
    return out


@checker("N517", needs=("narrative",))
def check_enumerations(ctx):
    """A list that presents itself as complete leaves out a non-zero item of its table."""
    d = ctx.d
    _, qs, paras = _paragraphs(ctx)
    groups = dict(vocabulary().get("enumerations", {}))
    for key, e, p in paras:
        for a, b in _enumerations(p):
            omitted = _name_list_omissions(ctx, p, a, b)
            if omitted:
                subject, missing, n = omitted
                yield ctx.finding("N517", e, f"文中“{p.phrase(a, min(b, a + 40))}…”列举了{subject}的{n}项，漏了"
                                             f"{ctx.sheet_name('t6')}中不为零的{'、'.join(missing)}；如只列主要几项，请以“等”结尾。",
                                  expected="、".join(missing), actual=n)
                continue
            listed = [m for m in p.mentions if a <= m.start < b and m.unit in MONEY_SCALE]
            keys = {m.key for m in listed}
            candidates = list(groups.items())
            for table in ("t3", "t4", "t5"):
                if any(k.startswith(f"class:{table}:") and k.count(":") == 2 for k in keys):
                    codes = [code for code, _ in Lexicon.for_schema(d.schema).classes.items()]
                    candidates.append((f"功能分类{ctx.sheet_name(table)}", [f"class:{table}:{c}" for c in codes]))
            for name, members in candidates:
                said = [k for k in members if k in keys or (k == "t10.car.total" and
                                                            {"t10.car_buy.total", "t10.car_run.total"} & keys)]
                if len(said) < 2:
                    continue
                missing = [qs[k] for k in members if k not in said and (qs[k].value or ZERO) != 0]
                if not missing:
                    continue
                shown = "、".join(f"{q.name} {money(q.value)} {T().unit}（{q.where}）" for q in missing)
                yield ctx.finding("N517", e, f"文中“{p.phrase(a, min(b, a + 40))}…”列举了{len(said)}项，漏了表中不为零的"
                                             f"{shown}；如只列主要几项，请以“等”结尾。",
                                  expected="、".join(q.name for q in missing), actual=len(said))


_NAME_SEP = re.compile(r"[、，,；;：:\s]+")


def _name_list_omissions(ctx, p, a: int, b: int):
    """(subject, [names of non-zero rows left out], number listed) for a list of item names only
    (“人员经费…主要包括：基本工资、津贴补贴…”), or None when the list is not one of the table's names."""
    lists = vocabulary().get("name_lists") or {}
    sentence_start = max((s for s, _ in sentences(p.text) if s <= a), default=0)
    before = p.text[sentence_start:a]
    subject = max((k for k in lists if k in before), key=before.rfind, default=None)
    if subject is None:
        return None
    where = lists[subject]
    rows = [r for r in _rows(ctx.d, where["table"]) if not r.is_parent and isinstance(r.get("name"), str)
            and r.get("name").strip()]
    names = {r.get("name").strip(): r for r in rows}
    body = p.text[a:b]
    for m in sorted(vocabulary().get("enumeration_markers", ()), key=len, reverse=True):
        if body.startswith(m):
            body = body[len(m):]
            break
    items = [w.strip("。“”\"'") for w in _NAME_SEP.split(body) if w.strip("。“”\"'")]
    listed = [w for w in items if w in names]
    if len(listed) < 2:  # not a list of this table's items
        return None
    missing = [n for n, r in names.items() if n not in listed and (r.get(where["column"]) or ZERO) != 0]
    return (subject, missing, len(listed)) if missing else None


def _inconsistent(ctx) -> dict:
    """{(table, row, col): (Entry, computed value, rounding tolerance)} of derived table cells whose entered figure differs from
    their derivation beyond rounding — the table figures the 情况说明 must not be judged by."""
    if "narrative_inconsistent" not in ctx._cache:
        from ..derive import DeriveError, derived_cells

        out = {}
        for inst, row, col, e, expr, scope in derived_cells(ctx.d):
            if e.spec.type != "amount" or not isinstance(e.value, Decimal):
                continue
            if expr.startswith(("fmt(", "function_name(", "economic_name(", "narrative(", "empty_note(")):
                continue
            try:
                res = ctx.evaluator.evaluate(expr, scope)
            except (DeriveError, TypeError):
                continue
            if not any(isinstance(d_value, Decimal) for d_value in (ctx.d.get(*ref) for ref in res.refs)):
                continue  # a total whose items are all blank: not derived from anything (not filled in yet)
            tol = ctx.evaluator.tolerance(res)
            if isinstance(res.value, Decimal) and abs(e.value - res.value) > tol:
                out[(inst, row, col)] = (e, res.value, tol)
        ctx._cache["narrative_inconsistent"] = out
    return ctx._cache["narrative_inconsistent"]


def _near(m, computed: Decimal, tol: Decimal) -> bool:
    """The text's figure is the table figure as computed from its rows (within their rounding)."""
    return amount_agrees(m.value, m.unit, m.places, computed) or abs(_amt(m) - computed) <= tol


@checker("N518", needs=("narrative",))
def check_root_causes(ctx):
    """A quoted table figure that is itself wrong: one finding at the table cell, listing the quotes."""
    _, qs, paras = _paragraphs(ctx)
    bad = _inconsistent(ctx)
    quoted: dict = {}
    for key, e, p in paras:
        for m in p.mentions:
            q = qs[m.key]
            if q.at in bad and m.unit in MONEY_SCALE:
                quoted.setdefault(q.at, []).append((key, e, p, m))
    for at, uses in quoted.items():
        cell, computed, tol = bad[at]
        q = qs[uses[0][3].key]
        where = []
        for key, e, p, m in uses:
            if _near(m, computed, tol):
                how = "与按明细计算的数一致，文字无需改"
            elif amount_agrees(m.value, m.unit, m.places, cell.value):
                how = "照抄了表中填报数，改表后须随之改"
            else:
                how = "与两者都不同"
            where.append(f"「{e.sheet}」{e.cell}（{_title(ctx, key)}）“{p.phrase(m.start, m.end)}”{how}")
        yield ctx.finding("N518", cell, f"情况说明引用的{q.name} {money(cell.value)} {T().unit}本身与计算关系不符："
                                        f"按明细应为 {money(computed)} {T().unit}（见本格的表内核对）。根源在表，请先改表；"
                                        f"引用它的共 {len(uses)} 处：" + "；".join(where) + "。",
                          expected=computed, actual=cell.value)


@checker("N501", "N507", "N509", "N510", needs=("narrative",))
def check_amounts(ctx):
    """Every stated amount, count and area equals the table (or 说明数据) figure, at the precision written."""
    _, qs, paras = _paragraphs(ctx)
    for key, e, p in paras:
        for m in p.mentions:
            q = qs[m.key]
            phrase = p.phrase(m.start, m.end)
            if q.value is None:
                continue
            if q.unit is not None:
                if m.value == q.value:
                    continue
                yield ctx.finding(q.code, e, f"文中“{phrase}”与{q.where}的 {_count(q.value)} {q.unit}不符，"
                                             f"应为 {_count(q.value)} {q.unit}。", expected=q.value, actual=m.value)
                continue
            others = [qs[k] for k in m.alternatives]
            if any(amount_agrees(m.value, m.unit, m.places, x.value) for x in [q, *others] if x.value is not None):
                continue
            wrong_table = _inconsistent(ctx).get(q.at)
            if wrong_table and _near(m, wrong_table[1], wrong_table[2]):
                continue  # the text is right and the table is wrong: N518 says so, once, at the table
            stated = _amt(m)
            right = wrong_unit(m, q.value)
            U = T().unit
            if right:
                yield ctx.finding("N507", e, f"文中“{phrase}”单位有误：{m.word or q.name}为 {money(q.value)} {U}（{q.where}），"
                                             f"数字写的是以{right}计的数，单位却写成“{m.unit}”；应为“{T().text(q.value)}”。",
                                  expected=q.value, actual=m.value)
                continue
            shown = f"（即 {money(r2(stated))} {U}）" if m.unit != U else ""
            yield ctx.finding(q.code, e, f"文中“{phrase}”{shown}与{q.where}的 {money(q.value)} {U}不符"
                                         f"（相差 {money(r2(stated - q.value))} {U}），应为 {money(q.value)} {U}"
                                         f"{_as_unit(q.value, m)}。",
                              expected=q.value, actual=stated)


def _as_unit(value_wan: Decimal, m) -> str:
    """“（即 1.23亿元）” when the text writes another unit or precision."""
    if m.unit == T().unit and m.places >= T().decimals:
        return ""
    return f"（按文中写法为“{as_written(value_wan, m.unit, m.places)}{m.unit}”）"


@checker("N511", needs=("narrative",))
def check_unchecked(ctx):
    """A figure after a phrase the reader does not know: said once, not compared with a guess."""
    _, _, paras = _paragraphs(ctx)
    for key, e, p in paras:
        for u in p.unchecked:
            yield ctx.finding("N511", e, f"文中“{p.phrase(u.start, u.end)}”中的“{u.phrase}”不是能与公开表对应的数量名称，"
                                         f"该数字未核对，请人工核对。", expected=None, actual=u.value)


def percent_agrees(written: Decimal, places: int, exact: Decimal) -> bool:
    """A share or rate written at `places` decimals says `exact` (computed from the table amounts).

    Two decimals: within ±0.01 of the rounded value (the amounts themselves are rounded); fewer
    (33%, 33.1%): the correctly rounded value, with the same ±0.01 for the amounts' rounding."""
    if places >= 2:
        return abs(written - r2(exact)) <= CENT
    return abs(written - exact) <= half_unit(places) + CENT


@checker("N502", needs=("narrative",))
def check_shares(ctx):
    """占P% equals part ÷ total × 100, from the table figures."""
    _, qs, paras = _paragraphs(ctx)
    for key, e, p in paras:
        for sh in p.shares:
            part, base = qs[sh.part.key], qs[sh.base]
            if not base.value or part.value is None:
                continue
            want = pct(part.value, base.value)
            if percent_agrees(sh.percent, sh.places, part.value / base.value * HUNDRED):
                continue
            shown = rounded(part.value / base.value * HUNDRED, min(sh.places, 2))
            yield ctx.finding("N502", e, f"文中“{p.phrase(sh.start, sh.end)}”占比计算有误：{sh.part.word or part.name} "
                                         f"{money(part.value)} {T().unit}÷{sh.base_word or base.name} {money(base.value)} {T().unit}×100 = "
                                         f"{money(want)}%，应为“占{money(shown)}%”，文中写作 {money(sh.percent)}%。",
                              expected=want, actual=sh.percent)


@checker("N506", needs=("narrative",))
def check_share_totals(ctx):
    """The shares of all the parts of one total add up to 100%."""
    _, qs, paras = _paragraphs(ctx)
    for key, e, p in paras:
        groups: dict[str, list[Share]] = {}
        for sh in p.shares:
            groups.setdefault(sh.base, []).append(sh)
        for base_key, shares in groups.items():
            if len(shares) < 2 or len({s.part.key for s in shares}) < len(shares):
                continue
            base = qs[base_key]
            if any(qs[s.part.key].value is None for s in shares):
                continue
            parts_total = sum((qs[s.part.key].value for s in shares), ZERO)
            if not base.value or abs(parts_total - base.value) > T().half * (len(shares) + 1):
                continue  # not all the parts are listed: their shares need not add up to 100%
            total = sum((s.percent for s in shares), ZERO)
            diff = total - HUNDRED
            if diff == 0:
                continue
            tol = sum((half_unit(min(s.places, 2)) for s in shares), ZERO)
            listed = "+".join(f"{money(s.percent)}%" for s in shares)
            name = shares[0].base_word or base.name
            if abs(diff) <= tol and any(sh.places < 2 for sh in shares):
                continue  # shares written to fewer decimals need not add up to exactly 100
            if abs(diff) <= tol:
                yield ctx.finding("N506", e, f"{name}各组成部分的占比 {listed} = {money(total)}%，与100%相差 "
                                             f"{money(diff)} 个百分点，在 {len(shares)} 个占比的舍入误差（±{money(tol)}）之内，"
                                             f"属尾差；可调整最大一项使合计为100%。",
                                  expected=HUNDRED, actual=total, severity=INFO)
            else:
                yield ctx.finding("N506", e, f"{name}各组成部分的占比 {listed} = {money(total)}%，与100%相差 "
                                             f"{money(diff)} 个百分点，超出舍入误差（±{money(tol)}），有占比写错，请核对。",
                                  expected=HUNDRED, actual=total)


def _rate_finding(ctx, e, p, ch: Change, change: Decimal, current: Decimal, prior: Decimal, source: str,
                  signed: bool):
    """N503 for a stated rate that is not change ÷ prior (saying so when it is change ÷ current).

    Next to a stated amount only the size is compared (a 减少…增长 clash is N505's); a rate stated
    alone is compared with its sign too.
    """
    if prior <= 0 or ch.rate is None:
        return None
    want = pct(change, prior)
    rate = ch.rate if signed else (abs(ch.rate) if want >= 0 else -abs(ch.rate))
    if percent_agrees(rate, ch.rate_places, change / prior * HUNDRED):
        return None
    if not signed and ch.places < 2 and ch.unit in MONEY_SCALE:
        # “减少8万元，下降1.24%”: a change written in whole 万元 is 7.5…8.5, and so is its rate's range
        h = half_unit(ch.places) * _scale(ch.unit) * (1 if change >= 0 else -1)
        ends = [(change + dc) / (current - change - dc) * HUNDRED for dc in (-h, h) if current - change - dc > 0]
        if len(ends) == 2 and min(ends) - CENT <= rate <= max(ends) + CENT:
            return None
    phrase = p.phrase(ch.start, ch.end)
    wrong_base = current and percent_agrees(rate, ch.rate_places, change / current * HUNDRED) and abs(change) > 0
    if wrong_base:
        msg = (f"文中“{phrase}”：增减率的分母错用了本年数 {money(current)} {T().unit}"
               f"（{money(abs(change))}÷{money(current)}×100 = {money(r2(abs(ch.rate)))}%）。分母应为上年数 {money(prior)} {T().unit}"
               f"（{source}），{money(abs(change))}÷{money(prior)}×100 = {money(abs(want))}%，应写“{'增长' if want > 0 else '下降'}{money(abs(want))}%”。")
    else:
        msg = (f"文中“{phrase}”：增减率计算有误。上年数 {money(prior)} {T().unit}（{source}），"
               f"{money(abs(change))}÷{money(prior)}×100 = {money(abs(want))}%，"
               f"应为{'增长' if want > 0 else '下降' if want < 0 else '持平'} {money(abs(want))}%，文中写作 {money(r2(abs(ch.rate)))}%。")
    return ctx.finding("N503", e, msg, expected=want, actual=ch.rate)


@checker("N503", "N504", needs=("narrative",))
def check_changes(ctx):
    """Rates use last year as denominator; stated changes agree with 说明数据's prior figures."""
    _, qs, paras = _paragraphs(ctx)
    for key, e, p in paras:
        for ch in p.changes:
            q = qs[ch.key]
            if q.value is None and ch.of is not None and ch.of.unit in MONEY_SCALE \
                    and ch.amount is not None and ch.rate is not None:
                # the table does not hold the figure: the rate can still be checked against the text's own
                # amount and change (“116433.12元，同比增加16803.36元，增长14.43%”)
                amt = _chg(ch)
                f = _rate_finding(ctx, e, p, ch, amt, _amt(ch.of), _amt(ch.of) - amt,
                                  f"文中本年 {money(_amt(ch.of))} {'+' if amt < 0 else '−'} {money(abs(amt))}",
                                  signed=False)
                if f:
                    yield f
                continue
            if q.value is None:
                continue
            cur = q.value
            amt = _chg(ch)
            if amt is not None and ch.rate is not None:
                f = _rate_finding(ctx, e, p, ch, amt, cur, cur - amt,
                                  f"本年 {money(cur)} {'+' if amt < 0 else '−'} {money(abs(amt))}", signed=False)
                if f:
                    yield f
            elif amt is None and ch.rate is not None and q.prior is not None:
                f = _rate_finding(ctx, e, p, ch, cur - q.prior, cur, q.prior, q.prior_where, signed=True)
                if f:
                    yield f
            if amt is None or q.prior is None:
                continue
            actual = cur - q.prior
            if amount_agrees(ch.amount, ch.unit or T().unit, ch.places, actual):
                continue
            start = ch.mention.start if ch.mention else ch.start
            rate = pct(actual, q.prior) if q.prior else None
            rate = f"，{'增长' if rate > 0 else '下降'} {money(abs(rate))}%" if rate else ""
            yield ctx.finding("N504", e, f"文中“{p.phrase(start, ch.end)}”，即{q.name}{_fmt_change(amt)}；但上年数为 "
                                         f"{money(q.prior)} {T().unit}（{q.prior_where}），本年 {money(cur)} {T().unit}（{q.where}），"
                                         f"实际{_fmt_change(actual)}{rate}。",
                              expected=actual, actual=amt)


def same_figure(a: Mention, b: Mention) -> bool:
    """Two written amounts say the same figure, each at its own unit and precision (150万元 = 150.00万元)."""
    return amount_agrees(a.value, a.unit, a.places, _amt(b)) or amount_agrees(b.value, b.unit, b.places, _amt(a))


def _stated_change(changes: dict, key: str, depth: int = 0) -> tuple[Decimal, list] | None:
    """A quantity's stated change: its own, or the sum of its parts' (公务用车 = 购置 + 运行维护)."""
    if key in changes:
        return _chg(changes[key]), [changes[key]]
    parts = CHANGE_PARTS.get(key)
    if not parts or depth > 3:
        return None
    got = [_stated_change(changes, k, depth + 1) for k in parts]
    if any(g is None for g in got):
        return None
    return sum((g[0] for g in got), ZERO), [c for g in got for c in g[1]]


@checker("N505", needs=("narrative",))
def check_contradictions(ctx):
    """Statements about the same quantity agree with each other."""
    _, qs, paras = _paragraphs(ctx)
    seen_amount: dict[str, tuple] = {}
    seen_change: dict[str, tuple] = {}
    for key, e, p in paras:
        own: dict[str, Change] = {}
        for ch in p.changes:
            if ch.amount is not None:
                own.setdefault(ch.key, ch)
            if ch.down is not None and ch.rate_down is not None and ch.down != ch.rate_down:
                yield ctx.finding("N505", e, f"文中“{p.phrase(ch.start, ch.end)}”：增减额为"
                                             f"{'减少' if ch.down else '增加'}，增减率却写成{'下降' if ch.rate_down else '增长'}，方向矛盾。",
                                  expected=None, actual=ch.rate)
        # a total's stated change against the sum of its parts' stated changes
        for total_key, parts in CHANGE_PARTS.items():
            if total_key not in own:
                continue
            got = [_stated_change(own, k) for k in parts]
            if any(g is None for g in got):
                continue
            ch = own[total_key]
            total = _chg(ch)
            parts_sum = sum((g[0] for g in got), ZERO)
            if abs(total - parts_sum) <= T().half * (len(parts) + 1):
                continue
            listed = "、".join(f"{qs[c.key].name}{'与上年相同' if c.same else _fmt_change(_chg(c)).replace(' ', '')}"
                              for g in got for c in g[1])
            start = ch.mention.start if ch.mention else ch.start
            yield ctx.finding("N505", e, f"文中“{p.phrase(start, ch.end)}”，即{qs[total_key].name}{_fmt_change(total)}；"
                                         f"而文中其中各项的增减合计为{_fmt_change(parts_sum)}（{listed}），前后矛盾。",
                              expected=parts_sum, actual=total)
        # the same quantity given two different amounts (or changes) anywhere in the text
        for m in p.mentions:
            if m.unit not in MONEY_SCALE:
                continue
            prev = seen_amount.get(m.key)
            phrase = p.phrase(m.start, m.end)
            if prev is None:
                seen_amount[m.key] = (m.value, phrase, key, m)
            elif not same_figure(prev[3], m):
                q = qs[m.key]
                yield ctx.finding("N505", e, f"{q.name}在“{_title(ctx, prev[2])}”中写作“{prev[1]}”，"
                                             f"此处写作“{phrase}”，同一数字前后不一致（{q.where}为 {money(q.value)} {T().unit}）。",
                                  expected=prev[0], actual=m.value)
        for k, ch in own.items():
            prev = seen_change.get(k)
            phrase = p.phrase(ch.start, ch.end)
            if prev is None:
                seen_change[k] = (_chg(ch), phrase, key)
            elif r2(prev[0]) != r2(_chg(ch)):
                yield ctx.finding("N505", e, f"{qs[k].name}的增减在“{_title(ctx, prev[2])}”中写作“{prev[1]}”，"
                                             f"此处写作“{phrase}”，前后不一致。", expected=prev[0], actual=_chg(ch))


DEFAULT_CHANGE_THRESHOLD = Decimal("0.10")


def _threshold(ctx) -> Decimal:
    """The N520 threshold in force: a fraction (0.10) or a percentage written as "10%"."""
    v = ctx.param("N520", "threshold", DEFAULT_CHANGE_THRESHOLD)
    text = str(v).strip()
    if text.endswith("%"):
        return Decimal(text[:-1].strip()) / HUNDRED
    return Decimal(text)


def reason_positions(text: str, markers) -> list[int]:
    """Where a reason opens: a marker followed, within its sentence, by what it says — or by a gap
    【请填写…】 that N508 already reports (the place of the reason is there; said once, not twice)."""
    text = normalise(text or "")
    out = []
    for mk in sorted(set(markers), key=len, reverse=True):
        for m in re.finditer(re.escape(mk), text):
            end = next((i for i in range(m.end(), len(text)) if text[i] in "。！？!?；;"), len(text))
            said = text[m.end():end]
            if GAP_MARK_RE.search(said) or len(re.findall(r"[\u4e00-\u9fff0-9A-Za-z]", said)) >= 2:
                out.append(m.start())  # a reason, or its place left for the clerk (N508 reports the gap)
    return sorted(set(out))


def _covered(text: str, ch: Change, reasons: list[int]) -> bool:
    """A reason follows the change in its paragraph, or its own sentence gives one."""
    if any(r >= ch.start for r in reasons):
        return True
    spans = sentences(normalise(text))
    own = next(((s, e) for s, e in spans if s <= ch.start < e), None)
    return own is not None and any(own[0] <= r < own[1] for r in reasons)


def _addressable(schema, key: str) -> bool:
    """Whether the vocabulary's "table.row.column" key names a cell this schema has (other keys: yes)."""
    parts = key.split(".")
    if len(parts) != 3 or ":" in key or parts[0] in ("notes",):
        return True
    sheet, row, col = parts
    if not schema.has(sheet):
        return False
    spec = schema.sheet(sheet)
    rows = {r.key for r in getattr(spec, "rows", ()) if not hasattr(r, "capacity")}
    return row in rows and col in getattr(spec, "col_keys", ())


@checker("N520", needs=("narrative",))
def check_change_reasons(ctx):
    """A change of a quantity with a 上年数 at or above the threshold is explained in the text."""
    d = ctx.d
    spec = vocabulary().get("change_reasons") or {}
    markers, homes = spec.get("markers") or (), spec.get("quantities") or {}
    if not homes:
        return
    threshold = _threshold(ctx)
    _, qs, paras = _paragraphs(ctx)
    reasons = {key: reason_positions(e.value, markers) for key, e, p in paras}
    for qkey, home in homes.items():
        if not _addressable(d.schema, qkey):
            continue  # the vocabulary names a cell of another table set (sx-13's t2 gpb …)
        q = qs[qkey]
        if q.prior is None or q.at is None:
            continue
        try:
            now = d.amount(*q.at)  # a blank (or empty) table this year is 0.00
        except KeyError:
            continue
        prior = q.prior
        change = now - prior
        if change == 0:
            continue
        rate = abs(change) / abs(prior) if prior != 0 else None
        if rate is not None and rate < threshold:
            continue
        stated = [(key, e, p, ch) for key, e, p in paras for ch in p.changes if ch.key == qkey]
        if stated:
            if any(_covered(p.text, ch, reasons[key]) for key, e, p, ch in stated):
                continue
            key, where = stated[0][0], stated[0][1]
            said = f"文中“{stated[0][2].phrase(stated[0][3].start, stated[0][3].end)}”之后未说明原因"
        else:
            found = [(key, e) for key, e, p in paras if key == home]
            if not found:
                continue  # the paragraph is blank: D704 says so
            key, where = found[0]
            if reasons[key]:
                continue
            said = "该段未说明原因"
        word = "增加" if change > 0 else "减少"
        U = ctx.d.schema.money.unit  # the tables' unit (schema.units)
        how = (f"{word} {money(abs(change))} {U}，{'增长' if change > 0 else '下降'} {money(r2(rate * HUNDRED))}%"
               if rate is not None else f"上年为 0，本年{word}至 {money(r2(now))} {U}")
        yield ctx.finding("N520", where, f"{q.name}本年 {money(r2(now))} {U}（{q.where}），上年 {money(r2(prior))} {U}"
                                         f"（{q.prior_where}），{how}，达到须说明原因的幅度（{money(r2(threshold * HUNDRED))}%）；"
                                         f"“{_title(ctx, key)}”{said}（如“主要原因是……”）。",
                          expected="增减原因", actual=r2(rate * HUNDRED) if rate is not None else now)


__all__ = ["parse_paragraph", "Lexicon", "Quantities", "Mention", "Change", "Share", "Paragraph", "gap_marks"]
