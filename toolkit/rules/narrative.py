"""情况说明文字与表格核对 (N5xx): every figure written in the 情况说明 is read back and checked.

The paragraphs of the standard 情况说明 state amounts of quantities the tables hold (“基本支出74.31万元”),
their shares (“占33.13%”), their change on last year (“比上年减少9.32万元，下降3.99%”, “与上年相同”),
and a few figures of the 说明数据 sheet (政府采购, 项目个数, 车辆, 租赁面积). Reading happens in two
layers so the parser can be tested on any department's wording without a workbook behind it:

1. *Parsing* (no values): a paragraph is split into sentences on 。 and each sentence into tokens
   `number + unit` (万元 元 % 个 辆 平方米). The *lead* of a token — the text back to the previous
   token or clause punctuation (，；：。、) — says what the token is:

   - `Mention`  the amount of a known quantity: a keyword at the end of the lead, with only filler
     words (为、共计、预算数…) between it and the number; of several, the whole noun phrase wins
     (“一般公共预算基本支出” over “基本支出”). A keyword far from its number is not enough
     (“项目支出中办公用房租赁费65万元” is not 项目支出);
   - `Change`   an amount after 增加/减少… with a comparison (比上年、与2022年…), or a “与上年相同/持平”
     phrase (a change of 0). It belongs to the quantity named in its own clause (“基本支出比上年增加…”),
     else to the last quantity of its clause group (up to ；) — but after an enumeration
     “总额A，其中：B，C，比上年减少…” to the group's head A;
   - `Rate`     增长/下降 R% right after a change (or on its own, with a comparison);
   - `Share`    占 P%: of the last mention, relative to the total named after 占, else to the
     sentence's subject (its first mention, or the paragraph's subject when that is itself a part).

   Explanations (主要原因是/由于… to the end of the sentence, and on through sentences that open with
   一是/2./此外…) are reasons: their figures (购车价格17.22万元、追加维稳资金20万元) are not statements.

2. *Checking* resolves each quantity key to the figure in the tables (`Quantity`; a blank cell
   counts as 0.00) or in 说明数据, and compares.

Comparisons: amounts exact at 0.01 万元 (“150万元” is 150.00); percentages to 2 decimals, ±0.01
for the rounding of the amounts. Shares and rates are computed from the table figures, so a wrong
amount is reported once (N501), not again in its share.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ..describe import describe, row_label
from . import ERROR, INFO, WARNING, checker, money, register

register("N501", ERROR, "说明金额与表不符", """
    情况说明中写明的某项金额（如“基本支出74.31万元”“一般公共服务支出207.41万元”““三公”经费预算9.00万元”）
    与公开表中的对应数字不一致。情况说明是对公开表的文字解读，所述金额必须与表中数字完全相同（精确到0.01万元；
    “150万元”视为150.00万元）。表中空格按0.00计。功能分类“类”级支出：第四部分与财政拨款收支总表核对，
    其他部分与一般公共预算支出表核对。""")
register("N502", ERROR, "占比计算错误", """
    “A万元，占P%”中的P应等于A除以所属总额（本段或本句的总额，如“支出预算224.31万元，其中：基本支出……”，
    或“占”字后写明的总额）乘以100，保留两位小数。金额取公开表中的数字计算，允许±0.01个百分点的舍入差。
    占比算错会误导读者对支出结构的判断。""")
register("N503", ERROR, "增减率分母错误或计算错误", """
    “比上年减少C万元，下降R%”中的R应等于C除以上年数乘以100，上年数 = 本年数 ± C（减少时加，增加时减）。
    常见错误是用本年数作分母（如9.32÷224.31=4.15%，正确为9.32÷233.63=3.99%）。
    只写增减率未写增减额时，用「说明数据」中填写的上年数核对。""")
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
    或以万元写出了以元计的数字。公开表的金额单位为万元，单位写错会使金额相差一万倍。""")
register("N508", ERROR, "说明留空待填", """
    段落中仍有留给填报人的待填标记：【…】、＿＿ / ____、“请填写”“待补充”、XX / ××等占位符。
    公开前应填写完整或删除。""")
register("N509", ERROR, "项目个数与表不符", """
    绩效管理情况中“实行绩效目标管理的项目N个”与项目支出表（本年预算）列出的项目个数不一致。""")
register("N510", ERROR, "说明数字与说明数据不符", """
    情况说明中写明的、表中没有而「说明数据」中填写的数字不一致：政府采购预算总额及货物、工程、服务预算，
    绩效管理涉及的一般公共预算当年拨款（即项目支出表一般公共预算合计），实有车辆数、车辆编制数，
    租赁（自有）办公用房面积。「说明数据」中未填的车辆数和面积不核对。""")

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TEN_THOUSAND = Decimal(10000)
HALF_CENT = Decimal("0.005")

# ============================================================================ text: tokens, leads
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")

UNITS = {"万元": "money", "元": "money", "%": "pct", "个": "count", "辆": "vehicle", "平方米": "area", "㎡": "area"}
TOKEN = re.compile(r"(?<![\d.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<unit>万元|元|%|个|辆|平方米|㎡)")
CLAUSE_PUNCT = frozenset("，；：。、,;:！？!?")
SENTENCE_END = re.compile(r"[。！？!?]")
GROUP_SEP = frozenset("；;")

# words that may stand between a keyword and its number (“三公”经费预算数为9.00万元)
FILLER = re.compile(r"(?:\s|[（(]类[）)]|的|为|是|共|共计|合计|总计|总额|总体|规模|达到|达|安排|预算数|预算|数|金额|资金|计|约"
                    r"|财政拨款|年度|本年|全年|：|:)*")
COMPARE = re.compile(r"(?:比|较|与|和|同)(?:20\d\d年度?|上年度?|上一年度?|去年)|同比")
CONTINUES = re.compile(r"\s*(?:(?:比|较|与|同)(?:20\d\d年度?|上年度?|上一年度?|去年)|同比)")
CHANGE_END = re.compile(r"(?P<verb>增加|增长|上升|提高|增|多|减少|下降|降低|压减|缩减|减|少)了?(?:预算|资金|经费)?\s*$")
RATE_END = re.compile(r"(?P<verb>增长率|增长|增加|上升|提高|增幅|涨幅|增|下降率|减少|下降|降低|降幅|减幅|减)"
                      r"(?:了|为|率|幅度)?(?:为|是|约)?\s*$")
SHARE_LEAD = re.compile(r"占(?:比)?(?P<base>[^，；。]*?)(?:的)?(?:比例|比重)?(?:为|是|约)?\s*$")
SAME = re.compile(r"(?:与|和|同|较|比)(?:20\d\d年度?|上年度?|上一年度?|去年)[^，；。、,;\d]{0,10}?"
                  r"(?:相同|持平|一致|不变|相等|无变化|没有变化|无增减)|同比(?:持平|不变|无变化)")
OPENING = re.compile(r"(?:\s|[；;，,：:]|其中|20\d\d年度?|本年度?|全年|本部门|部门|本单位)*")  # before a statement's keyword
ORDINAL = re.compile(r"(?:[一二三四五六七八九十]+是|[（(]?[一二三四五六七八九十\d]{1,2}[）)、.．]|第[一二三四五六七八九十]"
                     r"|首先|其次|再次|最后|另外|此外|同时|加之)")
EXPLAIN = re.compile(r"主要原因|原因是|原因为|原因如下|主要是因为|主要是由于|主要由于|由于|因为")
DOWN = ("减", "下降", "降", "少")

GAP_MARKS = re.compile(r"【[^】]*】|[＿_]{2,}|[（(]?(?:请填写|请补充|待填写|待补充)[^）)，。；]{0,20}[）)]?"
                       r"|(?<![A-Za-z])[XxＸｘ×]{2,}(?![A-Za-z])")


def normalise(text: str) -> str:
    """Full-width digits, point and percent to ASCII, one for one (positions stay the same)."""
    return text.translate(_FULLWIDTH)


def to_decimal(num: str) -> Decimal:
    return Decimal(num.replace(",", ""))


def r2(x: Decimal) -> Decimal:
    """x rounded to 0.01; a figure too large to hold 0.01 (a share of a 1e-300 denominator, a
    30-digit number typed in the text) is returned as it is: it is compared, never rounded."""
    if not x.is_finite() or x.adjusted() >= 20:
        return x
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def pct(part: Decimal, whole: Decimal) -> Decimal:
    return r2(part / whole * HUNDRED)


def quote(text: str, start: int, end: int) -> str:
    """The phrase as the reader sees it, whitespace collapsed and outer punctuation trimmed."""
    return re.sub(r"\s+", "", text[start:end]).strip("，；：。、,;: ")


def is_down(verb: str) -> bool:
    return any(verb.startswith(w) or verb.endswith(w) for w in DOWN)


@dataclass(frozen=True)
class Token:
    """A number with its unit: 224.31万元, 33.13%, 3个."""

    start: int
    end: int
    number: Decimal
    unit: str

    @property
    def family(self) -> str:
        return UNITS[self.unit]


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    return [Token(m.start(), m.end(), to_decimal(m["num"]), m["unit"])
            for m in TOKEN.finditer(text, start, len(text) if end is None else end)]


def lead_start(text: str, pos: int, floor: int) -> int:
    """Where the clause leading to `pos` starts: after the previous punctuation, not before `floor`."""
    i = pos
    while i > floor and text[i - 1] not in CLAUSE_PUNCT:
        i -= 1
    return i


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, split after 。; a sentence that opens with 比上年/与上年… continues the previous one."""
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        head = text[s:e].lstrip(" \t\r\n，；、,;")
        if merged and CONTINUES.match(head):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def gap_marks(text: str) -> list[str]:
    """The clerk's gap markers left in a paragraph, in order, each once."""
    seen = []
    for m in GAP_MARKS.finditer(text or ""):
        if m.group() not in seen:
            seen.append(m.group())
    return seen


# ============================================================================ lexicon: words → quantity keys
def _kw_pattern(word: str) -> re.Pattern:
    """A keyword as a regex: quotes optional (“三公”经费 = 三公经费), either kind of bracket."""
    out = []
    for ch in word:
        if ch in "“”\"‘’'「」":
            out.append("[“”\"‘’'「」]?")
        elif ch in "（(":
            out.append("[（(]")
        elif ch in "）)":
            out.append("[）)]")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


@dataclass(frozen=True)
class Keyword:
    word: str
    key: str  # quantity key
    family: str  # money | count | vehicle | area
    pattern: re.Pattern


@dataclass(frozen=True)
class Hit:
    keyword: Keyword
    start: int  # in the searched string
    end: int

    @property
    def key(self) -> str:
        return self.keyword.key


# quantity key → words the 情况说明 uses for it (the first is its name in messages)
MONEY_WORDS: dict[str, tuple[str, ...]] = {
    "t1.grand.in_amt": ("预算收入总计", "收入总计", "预算收入", "收入预算", "部门预算收入"),
    "t1.subtotal.in_amt": ("本年收入", "本年收入合计", "当年收入"),
    "t2.total.carry": ("上年结转", "上年结转收入", "上年结转资金"),
    "t1.grand.ex_total": ("支出总计", "支出预算", "预算支出总计", "预算支出", "支出预算总计", "部门预算支出"),
    "t1.subtotal.ex_cur": ("本年预算安排", "当年预算安排"),
    "t2.total.gpb": ("一般公共预算拨款收入", "一般公共预算拨款", "一般公共预算当年拨款", "一般公共预算收入",
                     "一般公共预算财政拨款"),
    "t2.total.gf": ("政府性基金预算拨款收入", "政府性基金预算拨款", "政府性基金预算收入", "政府性基金收入"),
    "t2.total.soc": ("国有资本经营预算拨款收入", "国有资本经营预算拨款", "国有资本经营预算收入"),
    "t2.total.special": ("财政专户管理资金收入", "财政专户管理资金"),
    "t2.total.unit": ("单位资金收入", "单位资金"),
    "t4.grand.in_amt": ("财政拨款收支总预算", "财政拨款收支总计", "财政拨款收入总计"),
    "t4.subtotal.in_amt": ("当年拨款收入", "当年财政拨款收入"),
    "t3.total.basic": ("基本支出",),
    "t3.total.project": ("项目支出",),
    "t5.total.total": ("一般公共预算支出",),
    "t5.total.basic": ("一般公共预算基本支出", "一般公共预算安排的基本支出", "一般公共预算安排基本支出"),
    "t6.total.personnel": ("人员经费",),
    "t6.total.public": ("公用经费",),
    "t10.total.total": ("“三公”经费", "“三公”经费预算", "“三公”经费财政拨款预算"),
    "t10.abroad.total": ("因公出国（境）费", "因公出国（境）费用", "因公出国（境）经费"),
    "t10.reception.total": ("公务接待费",),
    "t10.car.total": ("公务用车购置及运行费", "公务用车购置及运行维护费"),
    "t10.car_buy.total": ("公务用车购置费",),
    "t10.car_run.total": ("公务用车运行维护费", "公务用车运行费"),
    "t11.total.total": ("机关运行经费",),
    "notes.proc_total": ("政府采购预算总额", "政府采购预算", "政府采购总额"),
    "notes.proc_goods": ("政府采购货物预算", "政府采购货物"),
    "notes.proc_works": ("政府采购工程预算", "政府采购工程"),
    "notes.proc_services": ("政府采购服务预算", "政府采购服务"),
    "t12.gpb": ("涉及一般公共预算当年拨款", "涉及一般公共预算拨款", "涉及一般公共预算资金", "涉及财政拨款"),
}
OTHER_WORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "t12.count": ("count", ("项目", "绩效目标管理的项目")),
    "notes.vehicles": ("vehicle", ("实有", "实有车辆", "实有公务用车", "现有车辆", "现有公务用车", "共有车辆",
                                   "共有公务用车", "车辆总数")),
    "notes.vehicle_quota": ("vehicle", ("编制", "车辆编制", "车辆编制数", "编制数")),
    "notes.rented_area": ("area", ("租赁", "租赁办公用房", "租用", "租赁面积", "租赁办公用房面积")),
    "notes.owned_area": ("area", ("自有办公用房", "自有办公用房面积", "自有房屋")),
}
# paragraph-specific meanings: 第四部分 speaks of 财政拨款 (表4); 政府采购 lists 货物/工程/服务
PARAGRAPH_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "s4": {
        "t4.carry.in_amt": ("上年结转", "上年结转收入", "上年财政拨款结转"),
        "t4.grand.in_amt": ("财政拨款收支总预算", "收入总计", "财政拨款收入总计"),
        "t4.grand.ex_sub": ("支出总计", "财政拨款支出总计"),
    },
    "s9": {
        "notes.proc_goods": ("货物", "货物类", "政府采购货物预算", "政府采购货物"),
        "notes.proc_works": ("工程", "工程类", "政府采购工程预算", "政府采购工程"),
        "notes.proc_services": ("服务", "服务类", "政府采购服务预算", "政府采购服务"),
    },
}
# words that look like a keyword but name something no table holds (政府购买服务 is not 政府采购服务)
UNCHECKED_WORDS = ("政府购买服务",)
CLASS_PARAGRAPH_TABLE = {"s4": "t4"}  # elsewhere a 功能分类 类 is the 表5 class total
CONTINUED_FROM = {"s6_2": "s6_1", "s6_3": "s6_1"}  # 六、基本支出 is one section in three cells
NUMBERING = re.compile(r"^[一二三四五六七八九十百]+、")


def function_classes(schema) -> list[tuple[str, str]]:
    """(code, name) of the 功能分类 classes, from 表1's rows (“一、一般公共服务支出” → 201, 一般公共服务支出)."""
    out = []
    try:
        rows = schema.sheet("t1").rows
    except KeyError:
        return out
    for row in rows:
        spec = getattr(row, "cells", {}).get("ex_item")
        if getattr(row, "of", None) and spec is not None and spec.text:
            out.append((row.of, NUMBERING.sub("", spec.text)))
    return out


class Lexicon:
    """Keyword → quantity key, by unit family, with paragraph-specific overrides."""

    def __init__(self, classes: list[tuple[str, str]]):
        self.classes = dict(classes)
        self.general = self._keywords(MONEY_WORDS, "money") + [
            Keyword(w, key, fam, _kw_pattern(w)) for key, (fam, words) in OTHER_WORDS.items() for w in words]
        self.general += [Keyword(name, f"class:t5:{code}", "money", _kw_pattern(name)) for code, name in classes]
        self.general += [Keyword(w, "", "money", _kw_pattern(w)) for w in UNCHECKED_WORDS]
        self._by_para: dict[str, list[Keyword]] = {}

    @staticmethod
    def _keywords(table: dict, family: str) -> list[Keyword]:
        return [Keyword(w, key, family, _kw_pattern(w)) for key, words in table.items() for w in words]

    @classmethod
    def for_schema(cls, schema) -> Lexicon:
        return cls(function_classes(schema))

    def keywords(self, para: str | None) -> list[Keyword]:
        if para not in self._by_para:
            extra = self._keywords(PARAGRAPH_WORDS.get(para, {}), "money")
            table = CLASS_PARAGRAPH_TABLE.get(para)
            if table:
                extra += [Keyword(name, f"class:{table}:{code}", "money", _kw_pattern(name))
                          for code, name in self.classes.items()]
            words = {k.word for k in extra}
            self._by_para[para] = extra + [k for k in self.general if k.word not in words]
        return self._by_para[para]

    def at_end(self, text: str, family: str, para: str | None) -> Hit | None:
        """The keyword that ends `text` (only filler words after it).

        Of several, the one that starts earliest — the whole noun phrase before the number:
        “一般公共预算基本支出” over “基本支出”, “项目支出预算” as 项目支出 (预算 is filler) over “支出预算”.
        """
        best = None
        for kw in self.keywords(para):
            if kw.family != family:
                continue
            for m in kw.pattern.finditer(text):
                if not FILLER.fullmatch(text, m.end()):
                    continue
                if best is None or (-m.start(), m.end()) > (-best.start, best.end):
                    best = Hit(kw, m.start(), m.end())
        return best

    def inside(self, text: str, family: str, para: str | None) -> Hit | None:
        """The longest keyword anywhere in `text` (for the total named after 占)."""
        best = None
        for kw in self.keywords(para):
            if kw.family != family:
                continue
            for m in kw.pattern.finditer(text):
                if best is None or m.end() - m.start() > best.end - best.start:
                    best = Hit(kw, m.start(), m.end())
        return best

    def name(self, key: str) -> str:
        """The quantity's name in messages."""
        if key.startswith("class:"):
            return self.classes.get(key.rsplit(":", 1)[1], key)
        if key in MONEY_WORDS:
            return MONEY_WORDS[key][0]
        if key in OTHER_NAMES:
            return OTHER_NAMES[key]
        for para_words in PARAGRAPH_WORDS.values():
            if key in para_words:
                return para_words[key][0]
        return key


OTHER_NAMES = {
    "t12.count": "实行绩效目标管理的项目个数", "notes.vehicles": "实有车辆数", "notes.vehicle_quota": "车辆编制数",
    "notes.rented_area": "租赁办公用房面积", "notes.owned_area": "自有办公用房面积",
    "t4.carry.in_amt": "上年财政拨款结转", "t4.grand.ex_sub": "财政拨款支出总计",
}


# ============================================================================ parsed statements
@dataclass
class Mention:
    """“基本支出74.31万元”: the stated amount of a known quantity."""

    key: str
    value: Decimal  # as written, in `unit`
    unit: str
    start: int  # where the keyword starts (the phrase quoted in messages)
    end: int  # end of the number and unit
    sentence: int
    word: str = ""  # the keyword as the text writes it


@dataclass
class Change:
    """“比上年减少9.32万元，下降3.99%” or “与上年相同”: a stated change on last year."""

    key: str
    amount: Decimal | None  # signed, in `unit`; 0 for 与上年相同; None when only a rate is given
    unit: str | None
    rate: Decimal | None  # signed percentage, None when not stated
    start: int
    end: int
    same: bool = False
    mention: Mention | None = None  # the amount of the quantity stated right before, if any
    rate_down: bool | None = None  # the rate's own direction (to catch 减少…增长)

    @property
    def down(self) -> bool | None:
        if self.amount:
            return self.amount < 0
        return None

    def amount_wan(self) -> Decimal | None:
        if self.amount is None:
            return None
        return self.amount / TEN_THOUSAND if self.unit == "元" else self.amount


@dataclass
class Share:
    """“基本支出74.31万元，占33.13%”: a part's share of a total."""

    part: Mention
    base: str  # quantity key of the total
    percent: Decimal
    start: int
    end: int
    base_word: str = ""  # the total as the text names it


@dataclass
class Paragraph:
    """What one 情况说明 paragraph states."""

    key: str
    text: str
    mentions: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    shares: list = field(default_factory=list)
    subject: Mention | None = None  # the total the paragraph ends on (carried into a continuing paragraph)

    def phrase(self, start: int, end: int) -> str:
        return quote(self.text, start, end)


class _Sentence:
    """Running state while reading one sentence."""

    def __init__(self, index: int, start: int, end: int, subject: Mention | None):
        self.index, self.start, self.end = index, start, end
        self.carried = subject  # the paragraph's subject so far
        self.group_mentions: list[Mention] = []
        self.first: Mention | None = None
        self.first_is_part = False
        self.last = None  # last Mention | Change | Share | None (an unchecked number resets it)

    @property
    def subject(self) -> Mention | None:
        return self.carried if self.first_is_part or self.first is None else self.first


def _groups(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clause-group spans of a sentence, split after each ；."""
    out, s = [], start
    for i in range(start, end):
        if text[i] in GROUP_SEP:
            out.append((s, i + 1))
            s = i + 1
    out.append((s, end))
    return out


def _opens_with_mention(text: str, start: int, end: int, lex: Lexicon, para) -> bool:
    """The group starts straight with “keyword + amount” (公务接待费2.50万元…): a statement, not a reason."""
    first = next(iter(tokens(text, start, end)), None)
    if first is None:
        return False
    lead = text[start:first.start]
    hit = lex.at_end(lead, first.family, para)
    return hit is not None and bool(hit.key) and OPENING.fullmatch(lead[:hit.start]) is not None


def explanations(text: str, spans: list[tuple[int, int]], lex: Lexicon, para) -> list[tuple[int, int]]:
    """Spans of explanation, whose figures are reasons (追加资金20万元), not statements to check.

    An explanation runs from 主要原因是/由于… to the end of its sentence, and on through following
    sentences that open with a list marker (一是…、2.…、此外…). Inside its sentence, a clause group
    (after ；) that opens straight with a keyword and its amount resumes the statements.
    """
    out, running = [], False
    for s, e in spans:
        if running and not ORDINAL.match(text[s:e].lstrip(" \t\r\n，；、,;")):
            running = False
        for gs, ge in _groups(text, s, e):
            if running and _opens_with_mention(text, gs, ge, lex, para):
                running = False
            if running:
                out.append((gs, ge))
                continue
            m = EXPLAIN.search(text, gs, ge)
            if m:
                out.append((m.start(), ge))
                running = True
    return out


def parse_paragraph(text: str, lexicon: Lexicon, para: str | None = None, subject: Mention | None = None) -> Paragraph:
    """Read a paragraph into mentions, changes and shares (no table values needed).

    `subject` is the total that shares refer to when the paragraph names none itself (六、基本支出:
    “人员经费…，占…%” in s6_2 is a share of the 基本支出 stated in s6_1).
    """
    text = normalise(text or "")
    out = Paragraph(para or "", text)
    spans = sentences(text)
    muted = explanations(text, spans, lexicon, para)
    for i, (s, e) in enumerate(spans):
        st = _Sentence(i, s, e, subject)
        _read_sentence(text, st, lexicon, para, out, muted)
        subject = st.subject
    out.subject = subject
    return out


def _read_sentence(text: str, st: _Sentence, lex: Lexicon, para, out: Paragraph, muted) -> None:
    events = [(t.start, "token", t) for t in tokens(text, st.start, st.end)]
    events += [(m.start(), "same", m) for m in SAME.finditer(text, st.start, st.end)]
    events.sort(key=lambda ev: ev[0])
    floor = st.start
    for pos, kind, ev in events:
        if any(ch in GROUP_SEP for ch in text[floor:pos]):
            st.group_mentions = []
        if any(a <= pos < b for a, b in muted):
            floor = ev.end if kind == "token" else ev.end()
            st.last = None
            continue
        ls = lead_start(text, pos, floor)
        if kind == "same":
            _read_same(text, st, ev, ls, lex, para, out)
            floor = ev.end()
            continue
        lead = text[ls:pos]
        if ev.family == "pct":
            _read_percent(text, st, ev, ls, lead, lex, para, out)
        elif ev.family == "money" and CHANGE_END.search(lead):
            _read_change(text, st, ev, ls, lead, lex, para, out)
        else:
            _read_mention(text, st, ev, ls, lead, lex, para, out)
        floor = ev.end


def _read_mention(text, st: _Sentence, tok: Token, ls: int, lead: str, lex: Lexicon, para, out: Paragraph):
    hit = lex.at_end(lead, tok.family, para)
    if hit is None and tok.family == "count" and re.match(r"\s*(?:绩效)?项目", text[tok.end:]):
        hit = Hit(Keyword("项目", "t12.count", "count", _kw_pattern("项目")), len(lead), len(lead))
    if hit is None or not hit.key:
        st.last = None
        return
    m = Mention(hit.key, tok.number, tok.unit, ls + hit.start, tok.end, st.index, quote(lead, hit.start, hit.end))
    out.mentions.append(m)
    if tok.family == "money":
        st.group_mentions.append(m)
        if st.first is None:
            st.first = m
    st.last = m


def _target(text, st: _Sentence, ls: int, upto: int, lex: Lexicon, para):
    """The quantity a change in the clause starting at `ls` is about: (key, phrase start, mention)."""
    clause = text[ls:upto]
    cm = COMPARE.search(clause)
    if cm:  # 基本支出比上年增加…: the quantity is named in the clause itself
        hit = lex.at_end(clause[:cm.start()], "money", para)
        if hit and hit.key:
            return hit.key, ls + hit.start, None
    gm = st.group_mentions
    if not gm:
        return None
    m = gm[0] if len(gm) >= 3 else gm[-1]  # after an enumeration “A，其中：B，C，比上年…” the change is A's
    return m.key, m.start, m


def _read_change(text, st: _Sentence, tok: Token, ls: int, lead: str, lex: Lexicon, para, out: Paragraph):
    verb = CHANGE_END.search(lead)["verb"]
    tgt = _target(text, st, ls, ls + CHANGE_END.search(lead).start(), lex, para)
    if tgt is None or not COMPARE.search(text, min(tgt[1], ls), tok.start):
        st.last = None  # 增加预算30万元 with no comparison: not a change on last year
        return
    key, start, mention = tgt
    sign = -1 if is_down(verb) else 1
    adjacent = mention is not None and mention is st.last
    ch = Change(key, sign * tok.number, tok.unit, None, ls, tok.end,
                mention=mention if adjacent else None)
    out.changes.append(ch)
    st.last = ch


def _read_same(text, st: _Sentence, m: re.Match, ls: int, lex: Lexicon, para, out: Paragraph):
    tgt = _target(text, st, ls, m.start(), lex, para)
    if tgt is None:
        return
    key, start, mention = tgt
    adjacent = mention is not None and mention is st.last
    ch = Change(key, ZERO, None, None, start if (adjacent or mention is None) else m.start(), m.end(), same=True,
                mention=mention if adjacent else None)
    out.changes.append(ch)
    st.last = ch


def _read_percent(text, st: _Sentence, tok: Token, ls: int, lead: str, lex: Lexicon, para, out: Paragraph):
    sm = SHARE_LEAD.search(lead)
    if sm:
        part = st.last if isinstance(st.last, Mention) and st.last.unit in ("万元", "元") else None
        if part is None:
            st.last = None
            return
        named = lex.inside(sm["base"], "money", para) if sm["base"].strip() else None
        if named and named.key:
            base, word = named.key, quote(sm["base"], named.start, named.end)
        else:
            if part is st.first:
                st.first_is_part = True
            subject = st.subject
            if subject is None or subject is part:
                st.last = None
                return
            base, word = subject.key, subject.word
        sh = Share(part, base, tok.number, part.start, tok.end, word)
        out.shares.append(sh)
        st.last = sh
        return
    rm = RATE_END.search(lead)
    if not rm:
        st.last = None
        return
    down = is_down(rm["verb"])
    if isinstance(st.last, Change) and st.last.rate is None and not st.last.same:
        ch = st.last
        ch.rate = -tok.number if down else tok.number
        ch.rate_down = down
        ch.end = tok.end
        return
    tgt = _target(text, st, ls, ls + rm.start(), lex, para)
    if tgt is None or not COMPARE.search(text, min(tgt[1], ls), tok.start):
        st.last = None
        return
    key, start, mention = tgt
    ch = Change(key, None, None, -tok.number if down else tok.number, ls, tok.end, rate_down=down)
    out.changes.append(ch)
    st.last = ch


# ============================================================================ quantities: keys → figures
@dataclass(frozen=True)
class Quantity:
    key: str
    name: str
    value: Decimal | None  # None: not known (a blank count in 说明数据)
    where: str  # 「表3 支出总表」D6（合计·基本支出）
    code: str  # the rule a wrong statement of it breaks
    unit: str = "万元"
    prior: Decimal | None = None  # last year's figure from 说明数据
    prior_where: str | None = None


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

    def __getitem__(self, key: str) -> Quantity:
        if key not in self._cache:
            self._cache[key] = self._resolve(key)
        return self._cache[key]

    def _prior(self, key: str) -> tuple[Decimal | None, str | None]:
        d = self.d
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
            _, table, code = key.split(":")
            return self._function_class(table, code, name)
        if key == "t12.gpb":
            rows = d.rows("t12")
            total = sum((r.get("gpb") for r in rows if isinstance(r.get("gpb"), Decimal)), ZERO)
            return Quantity(key, name, total, f"「{d.sheet_names.get('t12', 't12')}」一般公共预算列合计", "N510")
        if key == "t12.count":
            n = len(d.rows("t12"))
            return Quantity(key, name, Decimal(n), f"「{d.sheet_names.get('t12', 't12')}」所列项目数", "N509", unit="个")
        if key.startswith("notes."):
            fld = key.split(".", 1)[1]
            v = d.get("notes", fld)
            fam = next((f for k, (f, _) in OTHER_WORDS.items() if k == key), "money")
            if fam == "money":
                if v is None and fld == "proc_total":
                    parts = [d.amount("notes", f) for f in ("proc_goods", "proc_works", "proc_services")]
                    v = sum(parts, ZERO)
                v = v if isinstance(v, Decimal) else ZERO
                return Quantity(key, name, v, describe(d, "notes", fld), "N510")
            return Quantity(key, name, v if isinstance(v, Decimal) else None, describe(d, "notes", fld), "N510",
                            unit=UNIT_OF_FAMILY[fam])
        sheet, row, col = key.split(".")
        return Quantity(key, name, d.amount(sheet, row, col), describe(d, sheet, row, col), "N501",
                        prior=prior, prior_where=prior_where)

    def _function_class(self, table: str, code: str, name: str) -> Quantity:
        d = self.d
        key = f"class:{table}:{code}"
        if table == "t4":
            row = next((r.key for r in d.schema.sheet("t4").rows if getattr(r, "of", None) == code), None)
            if row is None:
                return Quantity(key, name, None, f"「{d.sheet_names.get('t4', 't4')}」", "N501")
            return Quantity(key, name, d.amount("t4", row, "ex_sub"), describe(d, "t4", row, "ex_sub"), "N501")
        rows = d.rows(table)
        own = [r for r in rows if r.code == code]
        if own:
            return Quantity(key, name, own[0].get("total") or ZERO, describe(d, table, own[0].key, "total"), "N501")
        leaves = [r for r in rows if r.code and r.code.startswith(code) and not r.is_parent]
        total = sum((r.get("total") for r in leaves if isinstance(r.get("total"), Decimal)), ZERO)
        return Quantity(key, name, total, f"「{d.sheet_names.get(table, table)}」{code} {name}", "N501")


# ============================================================================ checks
def _fields(d) -> list[str]:
    """The 情况说明 paragraph fields, in order (none when the schema has no narrative sheet)."""
    try:
        return list(d.spec("narrative").fields)
    except KeyError:
        return []


def _paragraphs(ctx):
    """(field key, Entry, parsed Paragraph) of every 情况说明 paragraph with text, in order."""
    if "narrative" not in ctx._cache:
        d = ctx.d
        lex = Lexicon.for_schema(d.schema)
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


def _title(ctx, key: str) -> str:
    return row_label(ctx.d, "narrative", key)


def _count(v: Decimal) -> str:
    """A count or area as written: 3, 275, 275.5."""
    return str(int(v)) if v == v.to_integral_value() else money(v)


def _fmt_change(x: Decimal) -> str:
    if x == 0:
        return "与上年相同"
    return f"{'增加' if x > 0 else '减少'} {money(abs(x))} 万元"


@checker("N508")
def check_gaps(ctx):
    """A paragraph still holds a gap marker for the clerk."""
    d = ctx.d
    for key in _fields(d):
        e = d.entry("narrative", key)
        if e is None or not isinstance(e.value, str):
            continue
        marks = gap_marks(e.value)
        if marks:
            shown = "、".join(f"“{m}”" for m in marks)
            yield ctx.finding("N508", e, f"“{_title(ctx, key)}”中仍有待填写的标记 {shown}，公开前应填写完整或删除。",
                              expected=None, actual=marks[0])


@checker("N501", "N507", "N509", "N510")
def check_amounts(ctx):
    """Every stated amount, count and area equals the table (or 说明数据) figure."""
    _, qs, paras = _paragraphs(ctx)
    for key, e, p in paras:
        for m in p.mentions:
            q = qs[m.key]
            phrase = p.phrase(m.start, m.end)
            if q.value is None:
                continue
            if q.unit != "万元":
                if m.value == q.value:
                    continue
                yield ctx.finding(q.code, e, f"文中“{phrase}”与{q.where}的 {_count(q.value)} {q.unit}不符，"
                                             f"应为 {_count(q.value)} {q.unit}。", expected=q.value, actual=m.value)
                continue
            stated = m.value / TEN_THOUSAND if m.unit == "元" else m.value
            ok = abs(stated - q.value) <= HALF_CENT if m.unit == "元" else r2(stated) == r2(q.value)
            if ok:
                continue
            if q.value != 0 and (m.value == q.value if m.unit == "元" else m.value == q.value * TEN_THOUSAND):
                right = "万元" if m.unit == "元" else "元"
                yield ctx.finding("N507", e, f"文中“{phrase}”单位有误：{m.word or q.name}为 {money(q.value)} 万元（{q.where}），"
                                             f"数字写的是以{right}计的数，单位却写成“{m.unit}”；应为“{money(q.value)}万元”。",
                                  expected=q.value, actual=m.value)
                continue
            shown = f"（即 {money(r2(stated))} 万元）" if m.unit == "元" else ""
            yield ctx.finding(q.code, e, f"文中“{phrase}”{shown}与{q.where}的 {money(q.value)} 万元不符"
                                         f"（相差 {money(r2(stated - q.value))} 万元），应为 {money(q.value)} 万元。",
                              expected=q.value, actual=stated)


@checker("N502")
def check_shares(ctx):
    """占P% equals part ÷ total × 100, from the table figures."""
    _, qs, paras = _paragraphs(ctx)
    for key, e, p in paras:
        for sh in p.shares:
            part, base = qs[sh.part.key], qs[sh.base]
            if not base.value or part.value is None:
                continue
            want = pct(part.value, base.value)
            if abs(sh.percent - want) <= CENT:
                continue
            yield ctx.finding("N502", e, f"文中“{p.phrase(sh.start, sh.end)}”占比计算有误：{sh.part.word or part.name} "
                                         f"{money(part.value)} 万元÷{sh.base_word or base.name} {money(base.value)} 万元×100 = "
                                         f"{money(want)}%，应为“占{money(want)}%”，文中写作 {money(r2(sh.percent))}%。",
                              expected=want, actual=sh.percent)


@checker("N506")
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
            if not base.value or abs(parts_total - base.value) > HALF_CENT * (len(shares) + 1):
                continue  # not all the parts are listed: their shares need not add up to 100%
            total = sum((s.percent for s in shares), ZERO)
            diff = total - HUNDRED
            if diff == 0:
                continue
            tol = HALF_CENT * len(shares)
            listed = "+".join(f"{money(s.percent)}%" for s in shares)
            name = shares[0].base_word or base.name
            if abs(diff) <= tol:
                yield ctx.finding("N506", e, f"{name}各组成部分的占比 {listed} = {money(total)}%，与100%相差 "
                                             f"{money(diff)} 个百分点，在 {len(shares)} 个两位小数占比的舍入误差（±{money(tol)}）之内，"
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
    if abs(rate - want) <= CENT:
        return None
    phrase = p.phrase(ch.start, ch.end)
    wrong_base = current and abs(rate - pct(change, current)) <= CENT and abs(change) > 0
    if wrong_base:
        msg = (f"文中“{phrase}”：增减率的分母错用了本年数 {money(current)} 万元"
               f"（{money(abs(change))}÷{money(current)}×100 = {money(r2(abs(ch.rate)))}%）。分母应为上年数 {money(prior)} 万元"
               f"（{source}），{money(abs(change))}÷{money(prior)}×100 = {money(abs(want))}%，应写“{'增长' if want > 0 else '下降'}{money(abs(want))}%”。")
    else:
        msg = (f"文中“{phrase}”：增减率计算有误。上年数 {money(prior)} 万元（{source}），"
               f"{money(abs(change))}÷{money(prior)}×100 = {money(abs(want))}%，"
               f"应为{'增长' if want > 0 else '下降' if want < 0 else '持平'} {money(abs(want))}%，文中写作 {money(r2(abs(ch.rate)))}%。")
    return ctx.finding("N503", e, msg, expected=want, actual=ch.rate)


@checker("N503", "N504")
def check_changes(ctx):
    """Rates use last year as denominator; stated changes agree with 说明数据's prior figures."""
    _, qs, paras = _paragraphs(ctx)
    for key, e, p in paras:
        for ch in p.changes:
            q = qs[ch.key]
            if q.value is None:
                continue
            cur = q.value
            amt = ch.amount_wan()
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
            if r2(amt) == r2(actual):
                continue
            start = ch.mention.start if ch.mention else ch.start
            rate = pct(actual, q.prior) if q.prior else None
            rate = f"，{'增长' if rate > 0 else '下降'} {money(abs(rate))}%" if rate else ""
            yield ctx.finding("N504", e, f"文中“{p.phrase(start, ch.end)}”，即{q.name}{_fmt_change(amt)}；但上年数为 "
                                         f"{money(q.prior)} 万元（{q.prior_where}），本年 {money(cur)} 万元（{q.where}），"
                                         f"实际{_fmt_change(actual)}{rate}。",
                              expected=actual, actual=amt)


def _stated_change(changes: dict, key: str, depth: int = 0) -> tuple[Decimal, list] | None:
    """A quantity's stated change: its own, or the sum of its parts' (公务用车 = 购置 + 运行维护)."""
    if key in changes:
        return changes[key].amount_wan(), [changes[key]]
    parts = CHANGE_PARTS.get(key)
    if not parts or depth > 3:
        return None
    got = [_stated_change(changes, k, depth + 1) for k in parts]
    if any(g is None for g in got):
        return None
    return sum((g[0] for g in got), ZERO), [c for g in got for c in g[1]]


@checker("N505")
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
            total = ch.amount_wan()
            parts_sum = sum((g[0] for g in got), ZERO)
            if abs(total - parts_sum) <= HALF_CENT * (len(parts) + 1):
                continue
            listed = "、".join(f"{qs[c.key].name}{'与上年相同' if c.same else _fmt_change(c.amount_wan()).replace(' ', '')}"
                              for g in got for c in g[1])
            start = ch.mention.start if ch.mention else ch.start
            yield ctx.finding("N505", e, f"文中“{p.phrase(start, ch.end)}”，即{qs[total_key].name}{_fmt_change(total)}；"
                                         f"而文中其中各项的增减合计为{_fmt_change(parts_sum)}（{listed}），前后矛盾。",
                              expected=parts_sum, actual=total)
        # the same quantity given two different amounts (or changes) anywhere in the text
        for m in p.mentions:
            if m.unit != "万元":
                continue
            prev = seen_amount.get(m.key)
            phrase = p.phrase(m.start, m.end)
            if prev is None:
                seen_amount[m.key] = (m.value, phrase, key)
            elif r2(prev[0]) != r2(m.value):
                q = qs[m.key]
                yield ctx.finding("N505", e, f"{q.name}在“{_title(ctx, prev[2])}”中写作“{prev[1]}”，"
                                             f"此处写作“{phrase}”，同一数字前后不一致（{q.where}为 {money(q.value)} 万元）。",
                                  expected=prev[0], actual=m.value)
        for k, ch in own.items():
            prev = seen_change.get(k)
            phrase = p.phrase(ch.start, ch.end)
            if prev is None:
                seen_change[k] = (ch.amount_wan(), phrase, key)
            elif r2(prev[0]) != r2(ch.amount_wan()):
                yield ctx.finding("N505", e, f"{qs[k].name}的增减在“{_title(ctx, prev[2])}”中写作“{prev[1]}”，"
                                             f"此处写作“{phrase}”，前后不一致。", expected=prev[0], actual=ch.amount_wan())


__all__ = ["parse_paragraph", "Lexicon", "Quantities", "Mention", "Change", "Share", "Paragraph", "gap_marks"]
