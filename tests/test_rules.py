"""Every rule fires on a modified copy of the seed example and stays quiet where the seed is right.

The seed's own mistakes are listed in SEED_FINDINGS: validating the published disclosure must
report exactly those (rule, sheet, cell) for the families tested here, and no others.
"""
import openpyxl
import pytest

import toolkit
from conftest import EXAMPLE, edit_workbook
from toolkit.layout import layout
from toolkit.rules import RULES, catalogue, validate
from toolkit.schema import load_schema

S = load_schema()


def at(sheet_key: str, row: str, col: str = "", n: int = 1):
    """(sheet name, A1) of a schema cell."""
    spec = S.sheet(sheet_key)
    name = spec.sheet_name(n) if spec.repeat else spec.sheet
    return name, layout(spec).get(row, col).address


# The seed's genuine mistakes found by the non-narrative families (narrative: test_rules_narrative.py)
SEED_FINDINGS = {
    ("A302", *at("t1", "subtotal", "ex_total")), ("A302", *at("t1", "subtotal", "ex_cur")),
    ("A302", *at("t2", "total", "total")), ("A302", *at("t2", "total", "gpb")),
    ("A302", *at("t3", "total", "total")), ("A302", *at("t3", "total", "basic")),
    ("A302", *at("t4", "subtotal", "ex_sub")), ("A302", *at("t4", "subtotal", "ex_gpb")),
    ("A302", *at("t5", "total", "total")), ("A302", *at("t5", "total", "basic")),
    ("A302", *at("t6", "total", "total")),
    ("A304", *at("t6", "items#9", "total")), ("A304", *at("t6", "items#9", "public")),
    ("P601", *at("perf_project", "name", n=3)),
    ("P602", *at("t12", "items#3", "name")),
    ("P604", *at("perf_dept", "staff_onroll")),
    ("P606", *at("perf_dept", "staff_quota")),
    ("P608", *at("perf_dept", "indicators#5", "value")),
    ("P609", *at("perf_project", "date", n=3)),
    ("P610", *at("perf_dept", "indicators#4", "value")),
    ("P611", *at("perf_dept", "goal")),
    ("P612", *at("perf_project", "indicators#3", "value_period", n=1)),
    ("P612", *at("perf_project", "indicators#3", "value_annual", n=1)),
    ("D703", *at("narrative", "s7")),
}


@pytest.fixture(scope="module")
def seed_findings():
    return validate(toolkit.load(EXAMPLE))


def test_seed_reports_exactly_its_mistakes(seed_findings):
    got = {(f.rule, f.sheet, f.cell) for f in seed_findings if f.rule[0] != "N"}
    assert got == SEED_FINDINGS


def test_seed_severities(seed_findings):
    errors = {(f.rule, f.cell) for f in seed_findings if f.severity == "error" and f.rule[0] != "N"}
    assert errors == {("P601", "B3"), ("P604", "E6")}
    tail = [f for f in seed_findings if f.rule == "A304"]
    assert all("尾差" in f.message and "建议改为 6.83" in f.message for f in tail)


def test_findings_are_sorted_and_stable(seed_findings):
    again = validate(toolkit.load(EXAMPLE))
    assert again == seed_findings
    order = [f.sheet for f in seed_findings]
    sheets = list(toolkit.load(EXAMPLE).sheet_names.values())
    assert order == sorted(order, key=sheets.index)


def _clear(edits):
    return {k: v for k, v in edits.items()}


CASES = [
    # (rule, edits {(sheet_key,row,col[,n]): value}, expected location (sheet_key,row,col[,n]))
    ("F107", {("t12", "items#1", "gpb"): 70.005}, ("t12", "items#1", "gpb")),
    ("F108", {("t10", "car_run", "gpb"): -9}, ("t10", "car_run", "gpb")),
    ("F109", {("perf_dept", "staff_actual", ""): 6.5}, ("perf_dept", "staff_actual", "")),
    ("F110", {("info", "org_summary", ""): "本单位于20XX年设立"}, ("info", "org_summary", "")),
    ("F111", {("info", "dept_name", ""): None}, ("info", "dept_name", "")),
    ("F112", {("t12", "items#1", "name"): "123"}, ("t12", "items#1", "name")),
    ("F113", {("info", "year", ""): 23}, ("info", "year", "")),
    ("F120", {("info", "entity", ""): "下属单位"}, ("info", "entity", "")),
    ("F121", {("info", "entity", ""): "单位", ("info", "parent", ""): None}, ("info", "parent", "")),
    ("C201", {("t3", "items#3", "code"): "201035"}, ("t3", "items#3", "code")),
    ("C202", {("t3", "items#2", "code"): "20199"}, ("t3", "items#3", "code")),
    ("C203", {("t3", "items#3", "name"): "行政运行"}, ("t3", "items#3", "name")),
    ("C204", {("t3", "items#3", "code"): "2010351"}, ("t3", "items#3", "code")),
    ("C210", {("t3", "items#3", "code"): "22006"}, ("t3", "items#3", "code")),  # a 2024 code in 2023
    ("C205", {("t6", "items#2", "code"): "3010"}, ("t6", "items#2", "code")),
    ("C206", {("t3", "items#4", "code"): "2010350"}, ("t3", "items#4", "code")),
    ("C207", {("t3", "items#14", "code"): "205", ("t3", "items#14", "basic"): 1}, ("t3", "items#14", "code")),
    ("C208", {("t3", "items#3", "code"): None}, ("t3", "items#3", "code")),
    ("C209", {("t12", "items#2", "name"): "特需业务经费"}, ("t12", "items#2", "name")),
    ("A301", {("t3", "items#3", "total"): 60}, ("t3", "items#3", "total")),
    ("A302", {("perf_dept", "src_total", ""): 224.32}, ("perf_dept", "src_total", "")),
    ("A303", {("t3", "items#1", "basic"): 60}, ("t3", "items#1", "basic")),
    ("A304", {("t6", "items#1", "total"): 67.42}, ("t6", "items#1", "total")),
    ("A305", {("t1", "grand", "ex_total"): 200}, ("t1", "grand", "ex_total")),
    ("A306", {("t6", "total", "personnel"): 60}, ("t6", "total", "total")),
    ("X401", {("t1", "c201", "in_amt"): 200}, ("t1", "c201", "in_amt")),
    ("X402", {("notes", "perf_amount", ""): 150.01}, ("notes", "perf_amount", "")),
    ("X403", {("t6", "items#8", "total"): 6.00}, ("t6", "items#8", "total")),
    ("X404", {("t5", "items#3", "basic"): 50}, ("t5", "items#3", "basic")),
    ("X405", {("t2", "items#3", "gpb"): 50, ("t2", "items#3", "total"): 50}, ("t3", "items#3", "total")),
    ("X406", {("t12", "items#1", "gpb"): 80, ("t12", "items#1", "total"): 80}, ("t3", "total", "project")),
    ("X407", {("t5", "total", "basic"): 74}, ("t6", "total", "total")),
    ("X408", {("t11", "items#1", "unit_name"): "本部", ("t11", "items#1", "gpb"): 10}, ("t11", "total", "gpb")),
    # 办公费 1.50 re-coded 30217 公务接待费: more than 表10's 公务接待费 (blank, 0)
    ("X412", {("t6", "items#10", "code"): "30217"}, ("t6", "items#10", "total")),
    ("P603", {("perf_project", "city_annual", "", 1): 800000, ("perf_project", "total_annual", "", 1): 800000},
     ("perf_project", "total_annual", "", 1)),
    ("P604", {("perf_project", "city_annual", "", 2): 200000, ("perf_project", "total_annual", "", 2): 200000},
     ("perf_project", "total_annual", "", 2)),
    ("P605", {("perf_dept", "staff_onroll", ""): 5}, ("perf_dept", "staff_actual", "")),
    ("P607", {("perf_dept", "divisions", ""): 4}, ("perf_dept", "divisions", "")),
    ("D701", {("t7", "_note", ""): None}, ("t7", "_note", "")),
    ("D702", {("t11", "items#1", "unit_name"): "本部", ("t11", "items#1", "gpb"): 1}, ("t11", "_note", "")),
    ("D704", {("narrative", "s9", ""): None}, ("narrative", "s9", "")),
    ("D705", {("narrative", "s11_2", ""): None}, ("narrative", "s11_2", "")),
    ("D707", {("t1", "_title", ""): "2022年预算收支总表"}, ("t1", "_title", "")),
    ("D708", {("narrative", "s1", ""): "2023年度预算收入总计224.31万元。", ("notes", "change_reason", ""): None},
     ("narrative", "s1", "")),
]


def _apply(path, edits):
    out = {}
    for key, value in edits.items():
        sheet_key, row, col, *n = key
        out[at(sheet_key, row, col, *(n or [1]))] = value
    edit_workbook(path, out)


@pytest.mark.parametrize("rule,edits,where", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fires_on_modified_seed(example, seed_findings, rule, edits, where):
    before = {(f.rule, f.sheet, f.cell) for f in seed_findings}
    sheet, cell = at(where[0], where[1], where[2], *(where[3:] or [1]))
    assert (rule, sheet, cell) not in before, "the original must not already report this"
    _apply(example, edits)
    found = [f for f in validate(toolkit.load(example)) if f.rule == rule]
    hits = [f for f in found if (f.sheet, f.cell) == (sheet, cell)]
    assert hits, f"{rule} expected at {sheet}!{cell}, got {[(f.sheet, f.cell) for f in found]}"
    f = hits[0]
    assert f.severity == RULES[rule].severity or rule in ("C203",)
    assert f.message.startswith(f"「{sheet}」{cell}")


FIXES = [
    # (rule that fires on the seed, edits that correct the seed, where it fired)
    ("P601", {("perf_project", "name", "", 3): "办公用房租赁费"}, ("perf_project", "name", "", 3)),
    ("P602", {("perf_project", "name", "", 3): "办公用房租赁费"}, ("t12", "items#3", "name")),
    ("P604", {("perf_dept", "staff_onroll", ""): 6}, ("perf_dept", "staff_onroll", "")),
    ("P606", {("perf_dept", "staff_quota", ""): 8}, ("perf_dept", "staff_quota", "")),
    ("P608", {("perf_dept", "indicators#5", "value"): "≤224.31万元"}, ("perf_dept", "indicators#5", "value")),
    ("P609", {("perf_project", "date", "", 3): "2022.10.26"}, ("perf_project", "date", "", 3)),
    ("P610", {("perf_dept", "indicators#4", "value"): "≤30分钟"}, ("perf_dept", "indicators#4", "value")),
    ("P611", {("perf_dept", "goal", ""): "我单位2023年整体支出绩效目标设定符合国家法律法规。"}, ("perf_dept", "goal", "")),
    ("P612", {("perf_project", "indicators#3", "value_period", 1): "≤4小时"}, ("perf_project", "indicators#3", "value_period", 1)),
    ("D703", {("notes", "sangong_reason", ""): "2022年购置公务用车一辆，2023年无购置计划。"}, ("narrative", "s7", "")),
    ("A304", {("t6", "items#9", "total"): 6.83, ("t6", "items#9", "public"): 6.83}, ("t6", "items#9", "total")),
]


@pytest.mark.parametrize("rule,edits,where", FIXES, ids=[f[0] for f in FIXES])
def test_rule_quiet_once_the_seed_is_corrected(example, seed_findings, rule, edits, where):
    sheet, cell = at(where[0], where[1], where[2], *(where[3:] or [1]))
    assert (rule, sheet, cell) in {(f.rule, f.sheet, f.cell) for f in seed_findings}
    _apply(example, edits)
    assert (rule, sheet, cell) not in {(f.rule, f.sheet, f.cell) for f in validate(toolkit.load(example))}


def test_glossary_empty_is_reported(example):
    wb = openpyxl.load_workbook(example)
    for row in wb["名词解释"].iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].value = None
    wb.save(example)
    assert any(f.rule == "D706" for f in validate(toolkit.load(example)))


def test_every_registered_rule_is_tested():
    import pathlib

    tested = {c[0] for c in CASES} | {c[0] for c in FIXES} | {"D706"}
    text = pathlib.Path(__file__).with_name("test_rules_narrative.py")
    narrative = text.read_text(encoding="utf-8") if text.exists() else ""
    reader = {"F101", "F102", "F103", "F104", "F105", "F106", "F114",
              "F115", "F116", "F117", "F118", "F119"}  # test_reader.py, test_hardening.py
    reader |= {"C211"}  # test_reference_years.py (needs a bureau's reference folder)
    reader |= {"F122"}  # test_schemas.py (an optional table left out)
    reader |= {"A311", "A312", "A313"}  # test_rounding.py (exact amounts, rounded publication)
    reader |= {"X410", "N520"}  # test_prior.py (needs last year's workbook)
    reader |= {"F125", "F126", "X413", "X414", "X415", "X416", "N521", "N522"}  # test_bj14.py (bj-14 tables)
    reader |= {"X411"}  # test_sh9.py (the sh-9 表9's 机关运行经费 column)
    missing = [r.code for r in catalogue() if r.code not in tested | reader and r.code not in narrative]
    assert not missing, f"rules without a firing test: {missing}"
