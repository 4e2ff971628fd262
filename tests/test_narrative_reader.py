"""The 情况说明 reader (toolkit.narrative_reader): vocabulary, longest match, word boundaries, precision."""
from decimal import Decimal

import pytest

from toolkit.narrative_reader import Lexicon, parse_paragraph, tokens, vocabulary
from toolkit.schema import load_schema


@pytest.fixture(scope="module")
def lex():
    return Lexicon.for_schema(load_schema(), "某某市财政局")


def keys(text, lex, para="s1"):
    p = parse_paragraph(text, lex, para)
    return [m.key for m in p.mentions], [u.phrase for u in p.unchecked]


@pytest.mark.parametrize("text,key", [
    ("财政拨款支出预算224.31万元。", "t4.grand.ex_sub"),  # not 支出预算 (t1)
    ("“三公”经费支出预算9.00万元。", "t10.total.total"),
    ("三公经费财政拨款支出预算9.00万元。", "t10.total.total"),
    ("一般公共预算拨款支出预算224.31万元。", "t5.total.total"),
    ("政府性基金预算支出0万元。", "t8.total.total"),
    ("国有资本经营预算支出0万元。", "t9.total.ex_total"),
    ("一般公共预算项目支出150万元。", "t5.total.project"),
    ("公务用车购置和运行维护费9万元。", "t10.car.total"),
    ("某某市财政局政府采购预算7.05万元。", "notes.proc_total"),  # the department's name is a boundary
    ("本部门2023年度部门收入预算224.31万元。", "t1.grand.in_amt"),
])
def test_longest_phrase_names_the_quantity(lex, text, key):
    assert keys(text, lex) == ([key], [])


@pytest.mark.parametrize("text,phrase", [
    ("工资福利支出预算60万元。", "工资福利支出"),  # 经济分类 outside 六、基本支出: known, not checked
    ("专项业务费支出预算60万元。", "专项业务费支出预算"),  # unknown head: not 支出预算
    ("政府购买服务预算7.05万元。", "政府购买服务预算"),
    ("事业收入10万元。", "事业收入"),
    ("其他运转类项目支出20万元。", "其他运转类项目支出"),
])
def test_unknown_phrase_is_not_checked(lex, text, phrase):
    assert keys(text, lex) == ([], [phrase])


def test_economic_classes_in_basic_expenditure_paragraph(lex):
    assert keys("工资福利支出67.41万元。", lex, "s6_1") == (["econ:t6:301"], [])


def test_unknown_share_base_and_change_are_not_guessed(lex):
    p = parse_paragraph("支出预算224.31万元，其中：基本支出74.31万元，占专项资金的33.13%。", lex, "s3")
    assert p.shares == [] and [u.phrase for u in p.unchecked] == ["占专项资金"]
    p = parse_paragraph("支出预算224.31万元，工资福利支出比上年增加5万元。", lex, "s3")
    assert p.changes == []  # not 支出预算's change


def test_tokens_units_and_precision():
    got = [(t.number, t.unit, t.places) for t in tokens("1.2亿元、70,500元、33%、33.1%、5辆、6人、2次、1批、3台")]
    assert got == [(Decimal("1.2"), "亿元", 1), (Decimal(70500), "元", 0), (Decimal(33), "%", 0),
                   (Decimal("33.1"), "%", 1), (Decimal(5), "辆", 0), (Decimal(6), "人", 0), (Decimal(2), "次", 0),
                   (Decimal(1), "批", 0), (Decimal(3), "台", 0)]


def test_vocabulary_is_data():
    v = vocabulary()
    assert "财政拨款支出" in v["quantities"]["t4.grand.ex_sub"] and "政府购买服务" in v["unchecked"]
    own = Lexicon([], vocab={"quantities": {"t3.total.basic": ["基本运行支出"]}})
    assert keys("基本运行支出74.31万元。", own) == (["t3.total.basic"], [])


def test_filler_longest_bounds_every_filler_word():
    """`Lexicon.at_end` stops scanning back after FILLER_LONGEST non-filler positions: that is only
    right while no word of FILLER is longer (a longer one added to FILLER must raise the bound)."""
    import re

    from toolkit.narrative_reader import FILLER, FILLER_LONGEST

    assert FILLER.pattern.startswith("(?:") and FILLER.pattern.endswith(")*")
    words = FILLER.pattern[3:-2].split("|")
    lengths = [len(re.sub(r"\[[^\]]*\]", "x", w).replace("\\s", "x")) for w in words]
    assert max(lengths) == FILLER_LONGEST, dict(zip(words, lengths))


def test_at_end_finds_a_row_name_before_a_long_filler_tail():
    """A department's own row name is found before a tail of several filler words (the suffix look-up
    must look past all of them), and not when a non-filler word follows it."""
    from toolkit.narrative_reader import Lexicon

    lex = Lexicon([("201", "一般公共服务支出")])
    lex.add_rows({"t5": [("2010301", "行政运行"), ("2050203", "初中教育支出")]})
    hit = lex.at_end("其中初中教育支出预算数为", "money", "s5")
    assert hit is not None and hit.keyword.word == "初中教育支出" and hit.key == "class:t5:2050203"
    hit = lex.at_end("行政运行的财政拨款预算数合计为 ", "money", "s5")
    assert hit is not None and hit.keyword.word == "行政运行"
    miss = lex.at_end("行政运行保障", "money", "s5")
    assert miss is None or miss.keyword.word != "行政运行"
