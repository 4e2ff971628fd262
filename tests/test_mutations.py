"""Mutation suite for the 情况说明 reader (issue 12): mistakes planted the way clerks make them must be
found, and correct wordings — other regions' phrasing included — must stay clean.

Each case rewrites one paragraph of the seed example in memory (the workbook is read once) and
validates again. A *planted* case must raise its rule on that paragraph (a finding the seed does
not have); a *clean* case must raise no new error or warning on it (a not-checked info N511 is
allowed: it is the honest answer for a phrase no table holds). `recall()` gives found/planted per
class; `python -m pytest tests/test_mutations.py -s` prints it.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from decimal import Decimal

import pytest
from conftest import EXAMPLE

import toolkit
from toolkit.layout import layout
from toolkit.rules import validate
from toolkit.schema import load_schema


@dataclass(frozen=True)
class Case:
    cls: str  # the class: "1 phrase" … "8 root cause"
    para: str  # paragraph key (s1 … s12_2), or "table:<key>" for an empty-table note
    old: str  # text replaced (the first occurrence); "" replaces the whole paragraph
    new: str
    code: str | None  # the rule that must fire; None: a clean wording

    @property
    def id(self) -> str:
        kind = self.code or "clean"
        return f"{self.cls.split()[0]}-{kind}-{self.para}-{self.new[:14]}"


P = Case  # planted / clean cases read alike: Case(class, paragraph, old, new, code|None)
CASES: list[Case] = [
    # --- 1. a keyword inside a longer phrase: compared with the right quantity, or not at all
    P("1 phrase", "s4", "支出包括：", "财政拨款支出预算224.13万元，支出包括：", "N501"),
    P("1 phrase", "s4", "支出包括：", "财政拨款支出224.31万元，支出包括：", None),
    P("1 phrase", "s7", "“三公”经费预算9.00万元", "“三公”经费支出预算9.00万元", None),
    P("1 phrase", "s7", "“三公”经费预算9.00万元", "“三公”经费支出预算9.50万元", "N501"),
    P("1 phrase", "s7", "“三公”经费预算9.00万元", "三公经费财政拨款支出预算9.00万元", None),
    P("1 phrase", "s5_1", "一般公共预算当年拨款224.31万元", "一般公共预算拨款支出预算224.31万元", None),
    P("1 phrase", "s5_1", "一般公共预算当年拨款224.31万元", "一般公共预算拨款支出预算242.31万元", "N501"),
    P("1 phrase", "s3", "。", "，工资福利支出预算60.00万元。", None),
    P("1 phrase", "s3", "。", "，专项业务费支出预算60.00万元。", None),
    P("1 phrase", "s3", "。", "，其中政府购买服务支出预算7.05万元。", None),
    P("1 phrase", "s3", "。", "，事业收入预算10.00万元。", None),
    P("1 phrase", "s6_1", "其中：", "其中：工资福利支出67.41万元，", None),
    P("1 phrase", "s6_1", "其中：", "其中：工资福利支出65.00万元，", "N501"),
    P("1 phrase", "s6_1", "其中：", "其中：商品和服务支出6.84万元，", None),
    P("1 phrase", "s6_1", "其中：", "其中：商品和服务支出8.64万元，", "N501"),
    P("1 phrase", "s3", "项目支出150万元", "项目支出预算150万元", None),
    P("1 phrase", "s3", "项目支出150万元", "项目支出预算151万元", "N501"),
    P("1 phrase", "s3", "基本支出74.31万元", "一般公共预算基本支出74.31万元", None),
    P("1 phrase", "s3", "基本支出74.31万元", "一般公共预算基本支出73.41万元", "N501"),
    P("1 phrase", "s2", "单位资金0.00万元", "单位资金收入0.00万元", None),
    P("1 phrase", "s2", "单位资金0.00万元", "单位资金收入5.00万元", "N501"),
    P("1 phrase", "s2", "上年结转0.00万元", "上年结转结余0.00万元", None),
    P("1 phrase", "s9", "政府采购服务预算7.05万元", "政府购买服务预算7.05万元", None),
    P("1 phrase", "s7", "公务用车运行维护费9.00万元", "公务用车运维费9.00万元", None),
    P("1 phrase", "s7", "公务用车运行维护费9.00万元", "公务用车运维费9.90万元", "N501"),
    P("1 phrase", "s7", "“三公”经费预算9.00万元与2022年预算数相同", "“三公”经费支出预算9.00万元，比上年减少17.22万元", None),
    P("1 phrase", "s7", "“三公”经费预算9.00万元与2022年预算数相同", "“三公”经费支出预算9.00万元，比上年减少7.22万元", "N504"),
    # other regions' wording (重庆/广西/四川 disclosures of the corpus)
    P("1 phrase", "s7", "2023年财政拨款安排的“三公”经费预算9.00万元", "2023年一般公共预算“三公”经费支出预算为9.00万元", None),
    P("1 phrase", "s7", "2023年财政拨款安排的“三公”经费预算9.00万元", "2023年一般公共预算“三公”经费支出预算为9.10万元", "N501"),
    P("1 phrase", "s9", "7.05万元。", "7.05万元。按政府采购资金类型划分,一般公共预算拨款 70500 元,财政专户管理的资金安排 0 元。", None),
    P("1 phrase", "s3", "。", "；其中：一般公共服务支出类科目 2074100 元,占支出总预算 92.47 %。", None),
    P("1 phrase", "s3", "。", "；其中：一般公共服务支出类科目 2074100 元,占支出总预算 92.47 %,同比增加 100000 元,增长 4.82%。",
      "N503"),
    P("1 phrase", "s5_2", "。", "；其中基本支出74.31万元，占一般公共预算支出的33.13%。", None),
    P("1 phrase", "s6_1", "其中：", "其中：工资福利支出预算 674100 元,对个人和家庭补助支出预算 700 元,", None),
    # the disclosure's own 项 names (梧州 “初中教育支出”), and “其中：基本支出” after an item
    P("1 phrase", "s5_2", "占2.64%。", "占2.64%。其中：事业运行57.41万元，其他政府办公厅（室）及相关机构事务支出150.00万元。", None),
    P("1 phrase", "s5_2", "占2.64%。", "占2.64%。其中：事业运行75.41万元。", "N501"),
    P("1 phrase", "s5_2", "占2.64%。", "占2.64%。一般公共服务支出207.41万元，其中：基本支出57.41万元，项目支出150.00万元。", None),
    P("1 phrase", "s5_2", "占2.64%。", "占2.64%。一般公共服务支出207.41万元，其中：基本支出75.41万元，项目支出150.00万元。", "N501"),
    P("1 phrase", "s7", "与2022年预算数相同。", "，比上年减少17.22万元，其中因公出国（境）费增加0万元。", None),
    # --- 2. precision as written: 33% / 33.1% / 33.13%; 元 and 亿元
    P("2 precision", "s3", "占33.13%", "占33.1%", None),
    P("2 precision", "s3", "占33.13%", "占33%", None),
    P("2 precision", "s3", "占33.13%", "占33.3%", "N502"),
    P("2 precision", "s3", "占33.13%", "占34%", "N502"),
    P("2 precision", "s3", "占66.87%", "占66.9%", None),
    P("2 precision", "s3", "占66.87%", "占67%", None),
    P("2 precision", "s3", "占66.87%", "占66.8%", "N502"),
    P("2 precision", "s5_1", "下降3.99%", "下降4.0%", None),
    P("2 precision", "s5_1", "下降3.99%", "下降4%", None),
    P("2 precision", "s5_1", "下降3.99%", "下降4.2%", "N503"),
    P("2 precision", "s5_1", "下降3.99%", "下降3%", "N503"),
    P("2 precision", "s3", "基本支出74.31万元", "基本支出743100元", None),
    P("2 precision", "s3", "基本支出74.31万元", "基本支出743,100元", None),
    P("2 precision", "s3", "基本支出74.31万元", "基本支出734100元", "N501"),
    P("2 precision", "s3", "支出预算224.31万元", "支出预算0.022431亿元", None),
    P("2 precision", "s3", "支出预算224.31万元", "支出预算0.02亿元", None),
    P("2 precision", "s3", "支出预算224.31万元", "支出预算0.03亿元", "N501"),
    P("2 precision", "s3", "支出预算224.31万元", "支出预算224.31亿元", "N507"),
    P("2 precision", "s3", "基本支出74.31万元", "基本支出74.3万元", None),
    P("2 precision", "s3", "基本支出74.31万元", "基本支出74万元", None),
    P("2 precision", "s3", "基本支出74.31万元", "基本支出74.5万元", "N501"),
    P("2 precision", "s5_1", "减少9.32万元", "减少9.3万元", None),
    P("2 precision", "s5_1", "减少9.32万元", "减少93200元", None),
    P("2 precision", "s5_1", "减少9.32万元", "减少9.5万元", "N504"),
    P("2 precision", "s5_1", "减少9.32万元，下降3.99%", "减少9万元，下降4%", None),  # whole 万元: 8.5…9.5
    P("2 precision", "s5_1", "减少9.32万元，下降3.99%", "减少9万元，下降3.9%", None),
    P("2 precision", "s5_1", "减少9.32万元，下降3.99%", "减少9万元，同比下降4.5%", "N503"),
    P("2 precision", "s2", "预算收入224.31万元", "预算收入224.3万元", None),  # not a clash with 224.31 of s1
    # --- 3. blank figures: a unit or % with no number
    P("3 blank", "s3", "占33.13%", "占%", "N512"),
    P("3 blank", "s3", "占33.13%", "占 ％", "N512"),
    P("3 blank", "s3", "基本支出74.31万元", "基本支出万元", "N512"),
    P("3 blank", "s5_1", "下降3.99%", "下降%", "N512"),
    P("3 blank", "s1", "减少9.32万元", "减少万元", "N512"),
    P("3 blank", "s7", "“三公”经费预算9.00万元", "“三公”经费预算为万元", "N512"),
    P("3 blank", "s11_1", "实有3辆", "实有辆", "N512"),
    P("3 blank", "s10_1", "项目3个", "项目个", "N512"),
    P("3 blank", "s9", "预算总额7.05万元", "预算总额亿元", "N512"),
    P("3 blank", "s3", "。", "（金额单位：万元）。", None),
    P("3 blank", "s3", "。", "，以万元为单位，保留两位小数。", None),
    P("3 blank", "s9", "。", "，均为单价50万元以上的服务。", None),
    P("3 blank", "s10_1", "项目3个", "项目3个（项目个数以项目支出表为准）", None),
    # --- 4. counts that contradict each other
    P("4 counts", "s11_1", "实有3辆。", "实有3辆，其中：机要通信用车2辆，应急保障用车2辆。", "N513"),
    P("4 counts", "s11_1", "实有3辆。", "实有3辆。其中：执法执勤用车1辆、特种专业技术用车1辆。", "N513"),
    P("4 counts", "s11_1", "实有3辆。", "实有3辆，其中执法执勤用车4辆。", "N513"),
    P("4 counts", "s11_1", "", "本部门共有公务用车5辆，其中：机要通信用车2辆，应急保障用车1辆，执法执勤用车3辆。", "N513"),
    P("4 counts", "s10_2", "", "共开展培训12次，其中：业务培训8次，安全培训6次。", "N513"),
    P("4 counts", "s10_2", "", "全年共接待来访群众80批次，其中集体访10批，个人访75批。", "N513"),
    P("4 counts", "s10_2", "", "本单位共有在职人员10人，其中：行政编制6人，事业编制3人，工勤人员2人。", "N513"),
    P("4 counts", "s11_1", "实有3辆。", "实有3辆，其中：机要通信用车2辆，应急保障用车1辆。", None),
    P("4 counts", "s11_1", "实有3辆。", "实有3辆，其中机要通信用车1辆。", None),
    P("4 counts", "s11_1", "实有3辆。", "实有3辆，其中执法执勤用车1辆等。", None),
    P("4 counts", "s10_2", "", "共开展培训12次，其中：业务培训8次，安全培训4次。", None),
    P("4 counts", "s10_2", "", "本单位共有在职人员10人，其中：行政编制6人，事业编制3人，工勤人员1人。", None),
    P("4 counts", "s10_2", "", "共有车辆3辆，编制3辆；另有租用车辆2辆。", None),
    # --- 5. years that are neither the budget year nor the year compared with
    P("5 years", "s3", "2023年度支出预算", "2022年度支出预算", "N514"),
    P("5 years", "s1", "2023年度预算收入总计", "2022年度预算收入总计", "N514"),
    P("5 years", "s5_1", "2023年度一般公共预算", "2024 年一般公共预算", "N514"),
    P("5 years", "s7", "与2022年预算数相同", "与2021年预算数相同", "N514"),
    P("5 years", "s5_1", "比上年减少", "比2021年减少", "N514"),
    P("5 years", "s9", "2023年忻州市", "2021年忻州市", "N514"),
    P("5 years", "s5_1", "比上年减少", "比2022年减少", None),
    P("5 years", "s5_1", "比上年减少", "较2022年度减少", None),
    P("5 years", "s3", "2023年度支出预算", "本年度支出预算", None),
    P("5 years", "s11_1", "驻京办实有3辆", "截至2022年底，驻京办实有3辆", None),
    P("5 years", "s1", "主要原因是2022年购置了一辆新车", "主要原因是2021年购置了一辆新车", None),
    P("5 years", "s11_2", "", "2022年12月31日，在北京租赁275平方米的办公用房。", None),
    # --- 7. repeated words, doubled punctuation; an empty-table note copied from another table
    P("7 doubling", "s5_1", "比上年减少", "比上年减少减少", "N515"),
    P("7 doubling", "s3", "其中：基本支出", "其中：的的基本支出", "N515"),
    P("7 doubling", "s7", "因公出国（境）费0.00万元", "因公出国（境）经费费0.00万元", "N515"),
    P("7 doubling", "s3", "占66.87%。", "占66.87%。。", "N515"),
    P("7 doubling", "s4", "，政府性基金", "，，政府性基金", "N515"),
    P("7 doubling", "s9", "其中：", "其中：：", "N515"),
    P("7 doubling", "s10_2", "及时、高效", "及时、、高效", "N515"),
    P("7 doubling", "s10_2", "严格执行", "严格执行执行", "N515"),
    P("7 doubling", "table:t8", "", "注：本部门没有国有资本经营预算，本表无数据。", "N516"),
    P("7 doubling", "table:t9", "", "注：本部门无政府性基金收入，本表无数据。", "N516"),
    P("7 doubling", "table:t11", "", "注：本部门无“三公”经费，本表无数据。", "N516"),
    P("7 doubling", "table:t13", "", "本部门无政府性基金预算支出，本表为空表。", "N516"),
    P("7 doubling", "s10_2", "严格执行", "认认真真、扎扎实实、方方面面地严格执行", None),
    P("7 doubling", "s10_2", "严格执行", "常常深入基层，层层落实，严格执行", None),
    P("7 doubling", "s3", "其中：", "其中：1. ", None),
    P("7 doubling", "s5_1", "下降3.99%。", "下降3.99% ,同比口径一致。", None),
    P("7 doubling", "s10_2", "严格执行", "按照安徽省省直和淮北市市直单位规定，保障职工工资，严格执行", None),
    P("7 doubling", "table:t8", "", "注：本部门没有政府性基金预算支出，本表无数据。", None),
    P("7 doubling", "table:t9", "", "注：本部门无国有资本经营预算收支，本表无数据。", None),
    P("7 doubling", "table:t13", "", "注：本部门无上年结转的项目支出，本表无数据。", None),
    # --- 6. lists that present themselves as complete but leave out a non-zero item
    P("6 lists", "s4", "、住房保障支出5.93万元", "", "N517"),
    P("6 lists", "s4", "社会保障和就业支出7.64万元、", "", "N517"),
    P("6 lists", "s5_2", "；卫生健康支出3.34万元，占1.49%", "", "N517"),
    P("6 lists", "s5_2", "主要用于以下方面：一般公共服务支出207.41万元，占92.47%；", "主要用于以下方面：", "N517"),
    P("6 lists", "s4", "支出包括：", "支出主要包括：", None),
    P("6 lists", "s4", "、住房保障支出5.93万元", "等", None),
    P("6 lists", "s5_2", "；住房保障支出5.93万元，占2.64%", "等方面", None),
    P("6 lists", "s5_2", "主要用于以下方面：", "分别为：", None),
    P("6 lists", "s3", "", "2023年度支出预算224.31万元，包括基本支出74.31万元和项目支出150万元。", None),
    P("6 lists", "s2", "", "2023年度预算收入224.31万元，包括一般公共预算拨款收入224.31万元、单位资金0万元。", None),
    P("6 lists", "s9", "", "2023年政府采购预算7.05万元，分别为：政府采购货物预算0万元、政府采购服务预算7.05万元。", None),
    # lists of names only (人员经费/公用经费 … 主要包括：…) against 表6's non-zero items
    P("6 lists", "s6_2", "、住房公积金", "", "N517"),
    P("6 lists", "s6_2", "主要包括：其他社会保障缴费、生活补助、", "主要包括：", "N517"),
    P("6 lists", "s6_3", "、劳务费等。", "。", "N517"),
    P("6 lists", "s6_2", "住房公积金、津贴补贴、职工基本医疗保险缴费；", "住房公积金等；", None),
    P("6 lists", "s6_3", "、劳务费等。", "等。", None),
    P("6 lists", "s6_2", "主要包括：", "分别为：", None),
    # --- 8. root cause once: a wrong table figure is reported at the table, the right text left alone
    P("8 root cause", "cell:t3.total.basic", "s3", "84.31", "N518"),
    P("8 root cause", "cell:t2.total.gpb", "s5_1", "242.31", "N518"),
    P("8 root cause", "cell:t5.total.basic", "s6_1", "47.31", "N518"),
    P("8 root cause", "cell:t10.total.total", "s7", "19.00", "N518"),
    P("8 root cause", "cell:t6.total.personnel", "s6_2", "76.48", "N518"),
]

SCHEMA = load_schema()


def _cell(para: str) -> str:
    return layout(SCHEMA.sheet("narrative")).get(para).address


@pytest.fixture(scope="module")
def seed():
    return toolkit.load(EXAMPLE)


@contextlib.contextmanager
def rewritten(d, para: str, old: str, new: str):
    """Paragraph `para` of `d` with `old` replaced by `new` (first occurrence), restored afterwards."""
    if para.startswith("cell:"):  # a table figure typed wrong: cell:t3.total.basic, new = the figure
        e = d.entry(*para.split(":", 1)[1].split("."))
        text, e.value = e.value, Decimal(new)
        try:
            yield d.entry("narrative", old) if old else e
        finally:
            e.value = text
        return
    e = d.entry(para.split(":", 1)[1], "_note") if para.startswith("table:") else d.entry("narrative", para)
    text = e.value or ""
    if old:
        assert old in text, f"{old!r} not in {para}: {text!r}"
        e.value = text.replace(old, new, 1)
    else:
        e.value = new
    try:
        yield e
    finally:
        e.value = text


def _key(f):
    """A finding's fact (the quoted phrase in its message changes with the rewrite)."""
    return (f.rule, f.sheet, f.cell, str(f.expected), str(f.actual))


def outcome(d, case: Case, baseline: set) -> tuple[bool, list]:
    """(passed, the new findings on the case's paragraph — for a table edit: on the table cell, and
    no N501 on the paragraph named in `old`, whose text is right)."""
    with rewritten(d, case.para, case.old, case.new) as e:
        found = validate(d)
        new = [f for f in found if _key(f) not in baseline and f.cell == e.cell and f.sheet == e.sheet]
        if case.para.startswith("cell:"):
            cell = d.entry(*case.para.split(":", 1)[1].split("."))
            if any(f.rule == "N501" and f.cell == e.cell for f in found):
                return False, new
            new = [f for f in found if _key(f) not in baseline and f.cell == cell.cell and f.sheet == cell.sheet]
    if case.code:
        return any(f.rule == case.code for f in new), new
    return not [f for f in new if f.severity != "info"], new


@pytest.fixture(scope="module")
def baseline(seed):
    return {_key(f) for f in validate(seed)}


RESULTS: dict = {}  # case → passed, shared by the per-case tests and the recall report


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_mutation(seed, baseline, case):
    ok, new = outcome(seed, case, baseline)
    RESULTS[case] = ok
    what = f"{case.para}: {case.old!r} → {case.new!r}"
    assert ok, (f"{what}: expected {case.code}" if case.code else f"{what}: false alarm") + \
        f"; new findings: {[(f.rule, f.severity, f.message) for f in new]}"


def recall(d=None, known: dict | None = None) -> dict:
    """{class: (planted found, planted, clean kept clean, clean)} over the suite."""
    d = d or toolkit.load(EXAMPLE)
    base = {_key(f) for f in validate(d)}
    out: dict = {}
    for case in CASES:
        ok = known[case] if known and case in known else outcome(d, case, base)[0]
        found, planted, kept, clean = out.get(case.cls, (0, 0, 0, 0))
        if case.code:
            out[case.cls] = (found + ok, planted + 1, kept, clean)
        else:
            out[case.cls] = (found, planted, kept + ok, clean + 1)
    return out


def test_recall_report(seed, capsys):
    r = recall(seed, RESULTS)
    with capsys.disabled():
        print("\nmutation suite: class  found/planted  clean/clean-cases")
        for cls, (f, p, k, c) in r.items():
            print(f"  {cls:<16} {f}/{p}  {k}/{c}")
    assert all(f == p and k == c for f, p, k, c in r.values())
