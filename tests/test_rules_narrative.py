"""N5xx: every figure in the 情况说明 read back and checked against the tables and 说明数据."""
from decimal import Decimal

import pytest

import toolkit
from conftest import EXAMPLE, edit_workbook
from toolkit.layout import layout
from toolkit.rules import RULES, validate
from toolkit.rules.narrative import Lexicon, gap_marks, parse_paragraph
from toolkit.schema import load_schema

SCHEMA = load_schema()
SHEET = SCHEMA.sheet("narrative").sheet  # 情况说明
NOTES = SCHEMA.sheet("notes").sheet  # 说明数据
CODES = [f"N5{i:02d}" for i in range(1, 11)]


def cell(key: str) -> str:
    return layout(SCHEMA.sheet("narrative")).get(key).address


def notes_cell(key: str) -> str:
    return layout(SCHEMA.sheet("notes")).get(key).address


@pytest.fixture(scope="module")
def seed():
    return toolkit.load(EXAMPLE)


@pytest.fixture(scope="module")
def lex():
    return Lexicon.for_schema(SCHEMA)


def narrative_findings(path_or_d):
    d = path_or_d if hasattr(path_or_d, "entries") else toolkit.load(path_or_d)
    return [f for f in validate(d) if f.rule.startswith("N")]


def rewrite(seed, example, key: str, old: str, new: str):
    """Replace `old` by `new` in paragraph `key` of a copy of the seed; the N-findings of the copy."""
    text = seed.get("narrative", key)
    assert old in text, f"{old!r} not in {key}"
    edit_workbook(example, {(SHEET, cell(key)): text.replace(old, new, 1)})
    return narrative_findings(example)


def only(findings, code, key):
    hits = [f for f in findings if f.rule == code and f.cell == cell(key)]
    assert hits, f"{code} not at {key}: {[(f.rule, f.cell, f.message) for f in findings]}"
    assert all(f.sheet == SHEET for f in hits)
    return hits


# ------------------------------------------------------------------------------ the seed
def test_all_codes_registered_with_chinese_doc():
    for code in CODES:
        r = RULES[code]
        assert r.family == "情况说明文字" and r.title and any("\u4e00" <= ch <= "\u9fff" for ch in r.doc)
    assert RULES["N506"].severity == "warning" and RULES["N501"].severity == "error"


def test_seed_fires_exactly_the_known_problems(seed):
    got = sorted((f.rule, f.severity, f.cell) for f in narrative_findings(seed))
    assert got == sorted([
        ("N515", "warning", cell("s1")),  # “增加预算30万元。；本年部门…”: doubled punctuation
        ("N504", "error", cell("s7")),
        ("N505", "error", cell("s7")),
        ("N506", "info", cell("s5_2")),
        # the seed gives no reason for its 购置费 17.22 → 0: N520 (issue 16); its 三公 total's change is D703's
        ("N520", "warning", cell("s7")),
    ])


def test_seed_sangong_messages_quote_text_and_figures(seed):
    fs = {f.rule: f for f in narrative_findings(seed) if f.cell == cell("s7")}
    n504, n505 = fs["N504"], fs["N505"]
    assert "与2022年预算数相同" in n504.message and "26.22" in n504.message and "减少 17.22" in n504.message
    assert n504.expected == Decimal("-17.22") and n504.actual == 0
    assert "与2022年预算数相同" in n505.message and "公务用车购置费减少17.22万元" in n505.message
    assert n505.expected == Decimal("-17.22")
    n506 = next(f for f in narrative_findings(seed) if f.rule == "N506")
    assert "100.01%" in n506.message and "尾差" in n506.message


def test_seed_sangong_fixed_is_quiet(seed, example):
    fs = rewrite(seed, example, "s7", "9.00万元与2022年预算数相同", "9.00万元，比上年减少17.22万元，下降65.68%")
    # the figures now agree; the reason the seed never gives for the change is still asked for (N520)
    assert [f for f in fs if f.cell == cell("s7") and f.rule != "N520"] == []


# ------------------------------------------------------------------------------ one modified copy per code
def test_n501_amount_differs_from_table(seed, example):
    fs = rewrite(seed, example, "s3", "基本支出74.31万元", "基本支出47.31万元")
    f = only(fs, "N501", "s3")[0]
    assert f.severity == "error" and "基本支出47.31万元" in f.message and "74.31" in f.message
    assert f.expected == Decimal("74.31") and f.actual == Decimal("47.31")
    # shares are computed from the table figures: the wrong amount is reported once, not again in its share
    assert not [x for x in fs if x.rule in ("N502", "N506") and x.cell == cell("s3")]


def test_n501_function_class_and_whole_numbers(seed, example):
    fs = rewrite(seed, example, "s4", "卫生健康支出3.34万元", "卫生健康支出3.43万元")
    f = only(fs, "N501", "s4")[0]
    assert "卫生健康支出3.43万元" in f.message and "3.34" in f.message and "表4" in f.message
    # “项目支出150万元” is 150.00: no finding on the seed (covered above); 149万元 is wrong
    fs = rewrite(seed, example, "s3", "项目支出150万元", "项目支出149万元")
    assert "150.00" in only(fs, "N501", "s3")[0].message


def test_n502_share_miscalculated(seed, example):
    fs = rewrite(seed, example, "s3", "占33.13%", "占33.31%")
    f = only(fs, "N502", "s3")[0]
    assert f.severity == "error"
    assert "基本支出74.31万元，占33.31%" in f.message and "33.13%" in f.message
    assert f.expected == Decimal("33.13") and f.actual == Decimal("33.31")


def test_n503_rate_over_current_year(seed, example):
    fs = rewrite(seed, example, "s5_1", "下降3.99%", "下降4.15%")
    f = only(fs, "N503", "s5_1")[0]
    assert f.severity == "error"
    assert "比上年减少9.32万元，下降4.15%" in f.message and "分母" in f.message
    assert "上年数 233.63" in f.message and "3.99%" in f.message
    assert f.expected == Decimal("-3.99") and f.actual == Decimal("-4.15")


def test_n503_rate_plain_wrong(seed, example):
    fs = rewrite(seed, example, "s1", "下降3.99%", "下降3.5%")
    f = only(fs, "N503", "s1")[0]
    assert "计算有误" in f.message and "3.99%" in f.message and "3.50%" in f.message


def test_n504_change_disagrees_with_prior_year(seed, example):
    edit_workbook(example, {(NOTES, notes_cell("prior_gpb")): 230})
    fs = narrative_findings(example)
    f = only(fs, "N504", "s5_1")[0]
    assert f.severity == "error" and "比上年减少9.32万元" in f.message
    assert "230" in f.message and "减少 5.69 万元" in f.message
    assert f.expected == Decimal("-5.69") and f.actual == Decimal("-9.32")


def test_n505_same_quantity_two_amounts(seed, example):
    fs = rewrite(seed, example, "s2", "预算收入224.31万元", "预算收入242.31万元")
    f = only(fs, "N505", "s2")[0]
    assert "预算收入总计224.31万元" in f.message and "预算收入242.31万元" in f.message
    assert only(fs, "N501", "s2")


def test_n505_direction_of_amount_and_rate(seed, example):
    fs = rewrite(seed, example, "s5_1", "下降3.99%", "增长3.99%")
    f = only(fs, "N505", "s5_1")[0]
    assert "减少" in f.message and "增长" in f.message and "方向矛盾" in f.message
    assert not [x for x in fs if x.rule == "N503"]  # the size 3.99 is right: reported once, as a clash


def test_n506_shares_beyond_rounding(seed, example):
    fs = rewrite(seed, example, "s5_2", "占92.47%", "占93.46%")
    f = only(fs, "N506", "s5_2")[0]
    assert f.severity == "warning" and "101.00%" in f.message and "93.46%" in f.message
    assert only(fs, "N502", "s5_2")  # and the wrong share itself


def test_n506_quiet_when_shares_add_up(seed, example):
    fs = rewrite(seed, example, "s5_2", "占92.47%", "占92.46%")
    assert not [f for f in fs if f.rule == "N506"]
    assert not [f for f in fs if f.rule == "N502"]  # 92.46 is within ±0.01 of 92.47


def test_n507_unit_yuan_for_wan(seed, example):
    fs = rewrite(seed, example, "s9", "政府采购服务预算7.05万元", "政府采购服务预算7.05元")
    f = only(fs, "N507", "s9")[0]
    assert f.severity == "error" and "7.05元" in f.message and "7.05万元" in f.message
    assert not [x for x in fs if x.rule in ("N501", "N510")]


def test_n507_correct_yuan_is_fine(seed, example):
    fs = rewrite(seed, example, "s9", "政府采购服务预算7.05万元", "政府采购服务预算70500元")
    assert not [f for f in fs if f.cell == cell("s9")]


def test_n508_gap_marker(seed, example):
    fs = rewrite(seed, example, "s1", "主要原因是", "主要原因是【请填写变动原因】")
    f = only(fs, "N508", "s1")[0]
    assert f.severity == "error" and "【请填写变动原因】" in f.message
    assert gap_marks("预算XX万元，____，（请填写）") == ["XX", "____", "（请填写）"]
    assert gap_marks("“四个统一”、Xbox") == []


def test_n509_project_count(seed, example):
    fs = rewrite(seed, example, "s10_1", "项目3个", "项目4个")
    f = only(fs, "N509", "s10_1")[0]
    assert f.severity == "error" and "项目4个" in f.message and "3" in f.message and "表12" in f.message


@pytest.mark.parametrize("key,old,new,right", [
    ("s11_2", "租赁275平方米", "租赁300平方米", "275 平方米"),
    ("s11_1", "实有3辆", "实有4辆", "3"),
    ("s9", "预算总额7.05万元", "预算总额8.05万元", "7.05"),
    ("s10_1", "当年拨款150万元", "当年拨款160万元", "150.00"),
])
def test_n510_figures_of_the_notes(seed, example, key, old, new, right):
    fs = rewrite(seed, example, key, old, new)
    f = only(fs, "N510", key)[0]
    assert f.severity == "error" and new in f.message and right in f.message


# ------------------------------------------------------------------------------ parser on other wordings
def test_parser_other_departments_wording(lex):
    p = parse_paragraph(
        "2023年“三公”经费预算数为12.50万元，比上年减少2.00万元，下降13.79%。其中：因公出国(境)费0万元，与上年持平；"
        "公务接待费2.50万元，比上年减少2.00万元，主要原因是厉行节约减少接待3.00万元；公务用车购置及运行维护费10.00万元，"
        "与上年持平。", lex, "s7")
    assert [(m.key, m.value) for m in p.mentions] == [
        ("t10.total.total", Decimal("12.50")), ("t10.abroad.total", Decimal("0")),
        ("t10.reception.total", Decimal("2.50")), ("t10.car.total", Decimal("10.00"))]
    assert [(c.key, c.amount, c.rate) for c in p.changes] == [
        ("t10.total.total", Decimal("-2.00"), Decimal("-13.79")),
        ("t10.abroad.total", 0, None),
        ("t10.reception.total", Decimal("-2.00"), None),  # the explanation's 3.00 is not read
        ("t10.car.total", 0, None)]


def test_parser_change_named_in_clause_and_explanations(lex):
    p = parse_paragraph("一般公共预算当年拨款300万元，其中基本支出比上年增加5万元，增长2.5%。因重新租房增加预算30万元。", lex, "s5_1")
    # in 五、一般公共预算 the 基本支出 is 表5's (一般公共预算), not 表3's (all funds)
    assert [(c.key, c.amount, c.rate) for c in p.changes] == [("t5.total.basic", Decimal("5"), Decimal("2.5"))]
    p = parse_paragraph("项目支出中办公用房租赁费65万元。", lex, "s3")
    assert p.mentions == []  # a keyword far from the number is not enough


def test_parser_share_of_named_total_and_continued_sentence(lex):
    p = parse_paragraph("基本支出74.31万元，占一般公共预算当年拨款的33.13%。比上年减少1万元。", lex, "s3")
    assert [(s.part.key, s.base) for s in p.shares] == [("t3.total.basic", "t2.total.gpb")]
    assert [(c.key, c.amount) for c in p.changes] == [("t3.total.basic", Decimal("-1"))]


def test_parser_fullwidth_and_yuan(lex):
    p = parse_paragraph("政府采购预算总额７０５００元，其中：货物类0万元、服务类７．０５万元。", lex, "s9")
    assert [(m.key, m.value, m.unit) for m in p.mentions] == [
        ("notes.proc_total", Decimal("70500"), "元"), ("notes.proc_goods", Decimal("0"), "万元"),
        ("notes.proc_services", Decimal("7.05"), "万元")]


def test_n507_yuan_figure_written_as_wan(seed, example):
    fs = rewrite(seed, example, "s9", "预算总额7.05万元", "预算总额70500万元")
    f = only(fs, "N507", "s9")[0]
    assert "70500万元" in f.message and "7.05万元" in f.message


def test_n503_rate_only_checked_against_notes(seed, example):
    fs = rewrite(seed, example, "s5_1", "比上年减少9.32万元，下降3.99%", "比上年下降4.15%")
    f = only(fs, "N503", "s5_1")[0]
    assert "比上年下降4.15%" in f.message and "分母" in f.message and "233.63" in f.message
    fs = rewrite(seed, example, "s5_1", "比上年减少9.32万元，下降3.99%", "比上年下降3.99%")
    assert not [f for f in fs if f.cell == cell("s5_1")]


def test_share_in_continuing_paragraph(seed, example):
    # 六、基本支出 spans three cells: “人员经费…，占…%” is a share of the 基本支出 stated in s6_1
    text = seed.get("narrative", "s6_2").replace("人员经费67.48万元，", "人员经费67.48万元，占80.00%，")
    edit_workbook(example, {(SHEET, cell("s6_2")): text})
    f = only(narrative_findings(example), "N502", "s6_2")[0]
    assert "74.31" in f.message and "90.81%" in f.message


@pytest.mark.parametrize("text,key", [
    ("项目支出预算150万元。", "t3.total.project"),  # 预算 is filler: not 支出预算
    ("一般公共预算基本支出74.31万元。", "t5.total.basic"),
    ("本年部门预算支出总计224.31万元。", "t1.grand.ex_total"),
    ("涉及一般公共预算当年拨款150万元。", "t12.gpb"),
    ("2023年财政拨款安排的三公经费预算9.00万元。", "t10.total.total"),  # quotes optional
    ("一般公共服务支出（类）207.41万元。", "class:t5:201"),
])
def test_parser_keyword_choice(lex, text, key):
    assert [m.key for m in parse_paragraph(text, lex, "s1").mentions] == [key]
    # 三、支出预算 speaks of 表3 (all funds): its 类 are 表3's
    assert [m.key for m in parse_paragraph("一般公共服务支出类科目207.41万元。", lex, "s3").mentions] == ["class:t3:201"]


def test_parser_explanations_are_not_statements(lex):
    p = parse_paragraph(
        "2023年度收入预算总计1,234.56万元，其中：本年收入1,200.00万元，上年结转34.56万元，比上年增加100.00万元，"
        "增长8.82%，主要原因是人员工资调整，增加人员经费50万元；新增项目支出50万元。二是基本支出80万元用于租房。"
        "2023年度支出预算总计1234.56万元，与上年相比，增加100万元。", lex, "s1")
    assert [(m.key, m.value) for m in p.mentions] == [
        ("t1.grand.in_amt", Decimal("1234.56")), ("t1.subtotal.in_amt", Decimal("1200.00")),
        ("t2.total.carry", Decimal("34.56")), ("t1.grand.ex_total", Decimal("1234.56"))]
    # after “其中：本年收入…，上年结转…” the change is the total's, not 上年结转's
    assert [(c.key, c.amount, c.rate) for c in p.changes] == [
        ("t1.grand.in_amt", Decimal("100.00"), Decimal("8.82")), ("t1.grand.ex_total", Decimal("100"), None)]
    # a clause group that opens with a statement ends the explanation
    p = parse_paragraph("收入总计224.31万元，比上年减少9.32万元，主要原因是人员调整，新增项目支出50万元；"
                        "本年部门预算支出总计224.31万元，比上年减少9.32万元。", lex, "s1")
    assert [m.key for m in p.mentions] == ["t1.grand.in_amt", "t1.grand.ex_total"]
    assert [c.key for c in p.changes] == ["t1.grand.in_amt", "t1.grand.ex_total"]


def test_generated_paragraphs_pass_their_own_check(seed, example):
    """The standard paragraphs that fill writes (toolkit.narrative) are read back without complaint."""
    narrative = pytest.importorskip("toolkit.narrative")
    paragraphs = narrative.generate(seed, seed.get)
    edit_workbook(example, {(SHEET, cell(k)): v for k, v in paragraphs.items()})
    got = sorted((f.rule, f.severity, f.cell) for f in narrative_findings(example))
    # the seed's 尾差 in the class shares, and the gap left for the 三公 reason the clerk has not given
    assert got == [("N506", "info", cell("s5_2")), ("N508", "error", cell("s7"))]


# ------------------------------------------------------------------------------ issue 12: reading other wordings
def test_n511_unknown_phrase_is_reported_not_compared(seed, example):
    # “工资福利支出预算” ends with 支出预算 (the total, 224.31) but is not it: not checked, no N501
    fs = rewrite(seed, example, "s3", "。", "，工资福利支出预算60.00万元。")
    f = only(fs, "N511", "s3")[0]
    assert f.severity == "info" and "工资福利支出" in f.message and "未核对" in f.message
    assert not [x for x in fs if x.rule == "N501" and x.cell == cell("s3")]


def test_n501_precision_as_written(seed, example):
    fs = rewrite(seed, example, "s3", "基本支出74.31万元，占33.13%", "基本支出74.3万元，占33.1%")
    assert not [f for f in fs if f.cell == cell("s3")]
    fs = rewrite(seed, example, "s3", "支出预算224.31万元", "支出预算0.03亿元")
    f = only(fs, "N501", "s3")[0]
    assert "0.02亿元" in f.message and "224.31" in f.message


def test_n512_blank_figure(seed, example):
    fs = rewrite(seed, example, "s3", "基本支出74.31万元，占33.13%", "基本支出万元，占%")
    f = only(fs, "N512", "s3")[0]
    assert f.severity == "error" and "基本支出万元" in f.message and "占%" in f.message
    fs = rewrite(seed, example, "s3", "。", "（金额单位：万元）。")
    assert not [f for f in fs if f.rule == "N512"]


def test_n513_counts_contradict(seed, example):
    fs = rewrite(seed, example, "s11_1", "实有3辆。", "实有3辆，其中：机要通信用车2辆，应急保障用车2辆。")
    f = only(fs, "N513", "s11_1")[0]
    assert f.severity == "error" and "2+2 = 4辆" in f.message and "3辆" in f.message
    fs = rewrite(seed, example, "s11_1", "实有3辆。", "实有3辆，其中：机要通信用车1辆，应急保障用车1辆。")
    assert only(fs, "N513", "s11_1")[0].severity == "warning"


def test_n514_year_of_another_disclosure(seed, example):
    fs = rewrite(seed, example, "s3", "2023年度支出预算", "2022年度支出预算")
    f = only(fs, "N514", "s3")[0]
    assert f.severity == "warning" and "2022" in f.message and "应为“2023年”" in f.message
    fs = rewrite(seed, example, "s7", "与2022年预算数相同", "与2021年预算数相同")
    assert "应为“2022年”" in only(fs, "N514", "s7")[0].message


def test_n515_doubled_words_and_punctuation(seed, example):
    fs = rewrite(seed, example, "s7", "因公出国（境）费0.00万元", "因公出国（境）经费费0.00万元")
    assert "费费" in only(fs, "N515", "s7")[0].message
    fs = rewrite(seed, example, "s3", "其中：", "其中：认认真真、方方面面，")
    assert not [f for f in fs if f.rule == "N515" and f.cell == cell("s3")]


def test_n516_empty_note_copied_from_another_table(seed, example):
    from conftest import edit_workbook as edit
    note = layout(SCHEMA.sheet("t8")).get("_note").address
    edit(example, {(SCHEMA.sheet("t8").sheet, note): "注：本部门没有国有资本经营预算，本表无数据。"})
    f = next(f for f in narrative_findings(example) if f.rule == "N516")
    assert f.cell == note and "国有资本经营" in f.message and "表9" in f.message
    edit(example, {(SCHEMA.sheet("t8").sheet, note): "注：本部门没有政府性基金预算支出，本表无数据。"})
    assert not [f for f in narrative_findings(example) if f.rule == "N516"]


def test_n517_list_leaves_out_an_item(seed, example):
    fs = rewrite(seed, example, "s4", "、住房保障支出5.93万元", "")
    f = only(fs, "N517", "s4")[0]
    assert f.severity == "warning" and "住房保障支出 5.93" in f.message
    fs = rewrite(seed, example, "s4", "、住房保障支出5.93万元", "等")
    assert not [f for f in fs if f.rule == "N517"]


def test_n518_root_cause_in_the_table_said_once(seed, example):
    """表3's 基本支出 typed as 84.31 (its rows add to 74.32): the text's 74.31 is right — no N501 telling the
    clerk to change it; one N518 at the table cell lists where the figure is quoted."""
    t3 = SCHEMA.sheet("t3")
    basic = layout(t3).get("total", "basic").address
    before = narrative_findings(seed)
    assert not [f for f in before if f.rule == "N518"]
    edit_workbook(example, {(t3.sheet, basic): 84.31})
    fs = narrative_findings(example)
    assert not [f for f in fs if f.rule == "N501" and f.cell == cell("s3")]
    f = [f for f in fs if f.rule == "N518"]
    assert len(f) == 1 and f[0].sheet == t3.sheet and f[0].cell == basic
    assert "74.32" in f[0].message and "与按明细计算的数一致" in f[0].message and cell("s3") in f[0].message
    # the text copies the wrong figure: still one finding, saying the text must follow the table's fix
    text = seed.get("narrative", "s3").replace("基本支出74.31万元", "基本支出84.31万元")
    edit_workbook(example, {(SHEET, cell("s3")): text})
    f = [f for f in narrative_findings(example) if f.rule == "N518"]
    assert len(f) == 1 and "照抄了表中填报数" in f[0].message


def test_identical_discrepancies_grouped_once(seed):
    """The seed's one 尾差 (表3 合计 224.31, rows 224.32) copied into 表1/2/4/5: one finding lists the cells."""
    plain, grouped = validate(seed), validate(seed, grouped=True)
    same = [f for f in plain if f.rule == "A302" and f.expected == Decimal("224.32")]
    assert len(same) == 8
    one = [f for f in grouped if f.rule == "A302" and f.expected == Decimal("224.32")]
    assert len(one) == 1 and "同一差异共 8 处" in one[0].message
    assert all(f.location() in one[0].message for f in same[1:])
    assert {f.rule for f in grouped} == {f.rule for f in plain}  # nothing else lost
