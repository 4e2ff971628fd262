"""The bj-14 schema (Beijing 2025, 14 tables) on real files: its example imported and filled, then
edited with openpyxl to hold known mistakes; forms numbered as tables (表13/表14) in the exports;
the rules the table set cannot run listed; the 政府采购 / 政府购买服务 checks and the 「表N」
references (procurement.py, references.py) found at the right cells.
"""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import yaml

from toolkit.cli import main, validate_files
from toolkit.fill import fill
from toolkit.io.reader import read_workbook
from toolkit.report import to_text
from toolkit.rules import validate
from toolkit.schema import SchemaError, load_schema, schema_path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "bj-tongzhou-renda-2025.yaml"
NEW = {"F125", "F126", "X413", "X414", "X415", "X416", "N521", "N522"}


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    """The bj-14 example, imported into its template and filled (derived cells and 情况说明 written)."""
    tmp = tmp_path_factory.mktemp("bj14")
    wb = tmp / "example.xlsx"
    assert main(["import", str(EXAMPLE), "--schema", "bj-14", "--out", str(wb)]) == 0
    out = tmp / "filled.xlsx"
    fill(wb, out=out)
    return out


@pytest.fixture
def wb(filled, tmp_path) -> Path:
    p = tmp_path / "wb.xlsx"
    p.write_bytes(filled.read_bytes())
    return p


def _set(path: Path, edits: dict, refill: bool = False) -> None:
    """Write values at the cells of (sheet key, row, col) entries, as a clerk would; refill: run fill
    again (the derived totals and the generated paragraphs follow the new inputs)."""
    d = read_workbook(path)
    book = openpyxl.load_workbook(path)
    for (sheet, row, col), value in edits.items():
        e = d.entry(sheet, row, col)
        assert e is not None, (sheet, row, col)
        book[e.sheet][e.cell].value = value
    book.save(path)
    if refill:
        fill(path, out=path)


def _at(findings, code):
    return [(f.sheet, f.cell) for f in findings if f.rule == code]


def _cell(path, sheet, row, col=""):
    e = read_workbook(path).entry(sheet, row, col)
    return (e.sheet, e.cell)


def test_schema_numbers_and_titles():
    s = load_schema("bj-14")
    numbered = sorted((x.number, x.key, x.title) for x in s.sheets if getattr(x, "number", None) is not None)
    assert [n for n, _, _ in numbered] == list(range(1, 15))
    titles = {n: t for n, _, t in numbered}
    assert titles[5] == "政府采购预算明细表" and titles[12] == "政府购买服务预算财政拨款明细表"
    assert titles[13] == "项目支出绩效目标表" and titles[14] == "部门整体支出绩效目标表"
    keys = {n: k for n, k, _ in numbered}
    # same-content tables keep the sx-13 keys (the rules use them), with this format's numbers
    assert (keys[1], keys[4], keys[6], keys[7], keys[8], keys[11]) == ("t1", "t12", "t4", "t5", "t6", "t10")
    assert not any(s.has(k) for k in ("t7", "t11", "t13"))


def test_duplicate_table_number_is_refused(tmp_path):
    data = yaml.safe_load(schema_path("bj-14").read_text(encoding="utf-8"))
    for sheet in data["sheets"]:
        if sheet["key"] == "perf_dept":
            sheet["number"] = 12  # 表12 is 政府购买服务预算财政拨款明细表
    p = tmp_path / "dup.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SchemaError, match="表号 12"):
        load_schema(p)


def test_outline_naming_an_unknown_paragraph_is_refused(tmp_path):
    data = yaml.safe_load(schema_path("bj-14").read_text(encoding="utf-8"))
    data["outline"].append({"paragraph": "s99"})
    p = tmp_path / "bad-outline.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SchemaError, match="s99"):
        load_schema(p)


def test_example_passes_the_new_checks_and_lists_the_rules_it_cannot_run(filled):
    d = read_workbook(filled)
    assert d.schema.id == "bj-14"
    findings = validate(d)
    assert not [f for f in findings if f.rule in NEW], [str(f) for f in findings if f.rule in NEW]
    skipped = {c: s.missing for s in d.skipped_rules for c in s.codes}
    assert skipped["X408"] == ("t11",)  # 机关运行经费 is no table here
    assert "N520" not in skipped  # it runs on the quantities bj-14 has (机关运行经费 left out of its list)
    assert not ({"X406", "X407"} | NEW) & set(skipped)  # they ran: 项目支出表 (表4) holds every project
    [r] = validate_files([filled])
    text = to_text([r])
    assert "未运行的规则" in text and "X408：本表结构（bj-14）没有「t11」" in text


def test_projects_checked_against_the_one_project_table(wb):
    """bj-14 has no 项目支出结转表: X406 compares 支出总表's 项目支出 with 表4 alone."""
    _set(wb, {("t12", "items#1", "gpb"): 190}, refill=True)  # 人大会议经费 180.00 → 190.00
    findings = validate(read_workbook(wb))
    x406 = [f for f in findings if f.rule == "X406"]
    assert (x406[0].sheet, x406[0].cell) == _cell(wb, "t3", "total", "project")
    assert "项目支出表合计 574.70" in x406[0].message and "上年结转" not in x406[0].message


def test_rules_about_bj14_tables_are_not_listed_for_sx13():
    """sx-13 has no 政府采购预算明细表: the checks about it have nothing to look at and are not listed
    (applies_to); N521/N522 run on sx-13 too."""
    d = read_workbook(ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx")
    findings = validate(d)
    skipped = {c for s in d.skipped_rules for c in s.codes}
    assert not (NEW & skipped) and not [f for f in findings if f.rule in NEW]


def test_wrong_procurement_total_found_at_the_table_total(wb):
    """The 情况说明's 政府采购服务预算 typed as 70.00 (the table's 服务 items sum to 78.50): after fill the
    stated 政府采购预算总额 is 86.80, the table's 合计 95.30 — X413 at 表5's 合计 cell, X414 at the
    说明数据 figure."""
    _set(wb, {("notes", "proc_services", ""): 70}, refill=True)
    findings = validate(read_workbook(wb))
    total_cell = _cell(wb, "proc", "total", "total")
    assert total_cell[0] == "表5 政府采购预算明细表"
    assert _at(findings, "X413") == [total_cell]
    [x413] = [f for f in findings if f.rule == "X413"]
    assert "95.30" in x413.message and "86.80" in x413.message
    assert _at(findings, "X414") == [_cell(wb, "notes", "proc_services")]


def test_procurement_row_without_kind_or_name(wb):
    _set(wb, {("proc", "items#2", "kind"): "印刷", ("proc", "items#3", "name"): None})
    findings = validate(read_workbook(wb))
    assert _at(findings, "F125") == [_cell(wb, "proc", "items#2", "kind")]
    assert "「印刷」" in next(f.message for f in findings if f.rule == "F125")
    assert _cell(wb, "proc", "items#3", "name") in _at(findings, "F126")
    assert _at(findings, "X414") == [_cell(wb, "notes", "proc_services")]  # 服务 items now 60.00


def test_services_beyond_the_projects_funds(wb):
    """人大代表履职服务经费 has 246.50 of 一般公共预算 in 表4; buying 300.00 of services with it is X415
    at that 表12 cell; a service row naming no 表4 project is listed (X416, info)."""
    _set(wb, {("svc", "items#2", "gpb"): 300, ("svc", "items#1", "name"): "会务保障服务"}, refill=True)
    findings = validate(read_workbook(wb))
    assert _at(findings, "X415") == [_cell(wb, "svc", "items#2", "gpb")]
    assert "246.50" in next(f.message for f in findings if f.rule == "X415")
    assert _at(findings, "X416") == [_cell(wb, "svc", "items#1", "name")]
    assert next(f for f in findings if f.rule == "X416").severity == "info"


def test_table_references_in_the_narrative(wb):
    d = read_workbook(wb)
    generated = d.get("narrative", "s10_1")
    assert "见表13" in generated and "见表14" in generated  # fill cites the forms' numbers from the schema
    _set(wb, {("narrative", "s10_2", ""): "绩效目标详见表15。",
              ("narrative", "s9", ""): "政府采购情况详见表4政府采购预算明细表；项目支出表（表12）列出各项目。"})
    findings = validate(read_workbook(wb))
    assert _at(findings, "N521") == [_cell(wb, "narrative", "s10_2")]
    n522 = [f for f in findings if f.rule == "N522"]
    assert [(f.sheet, f.cell) for f in n522] == [_cell(wb, "narrative", "s9")] * 2
    by_ref = {f.actual: f.message for f in n522}
    assert "「政府采购预算明细表」是表5" in by_ref["表4"] and "表4是「项目支出表」" in by_ref["表4"]
    assert "「项目支出表」是表4" in by_ref["表12"]


def test_forms_are_captioned_and_ordered_as_tables_13_and_14(filled, tmp_path):
    from toolkit.export import export

    outs = export(filled, ["html", "xlsx", "docx"], tmp_path / "out", force=True)
    html = Path(outs["html"]).read_text(encoding="utf-8")
    labels = re.findall(r'<p class="tlabel">预算公开表(\d+)</p>\s*<h[23] class="ttitle"[^>]*>([^<]*)<', html)
    numbers = [int(n) for n, _ in labels]
    assert numbers == sorted(numbers) and set(numbers) == set(range(1, 15))
    assert numbers.count(13) == 3  # one 项目支出绩效目标表 per project
    assert dict(labels)["13"] == "项目支出绩效目标表" and dict(labels)["14"] == "部门整体支出绩效目标表"
    # the forms come right after 表12, before the 情况说明's text
    assert html.index("预算公开表12") < html.index("预算公开表13") < html.index("预算公开表14")
    # the document follows the schema's outline (the source's 目录): 第一部分 情况说明, then 第二部分 报表
    heads = re.findall(r"<h[12][^>]*>([^<]*)</h[12]>", html)
    assert heads.index("第一部分 2025年度部门预算情况说明") < heads.index("五、其他情况说明") < heads.index("六、名词解释") \
        < heads.index("第二部分 2025年度部门预算报表") < heads.index("收支总表")
    assert html.index("第二部分 2025年度部门预算报表") < html.index("预算公开表1<")
    book = openpyxl.load_workbook(outs["xlsx"])
    firsts = {ws["A1"].value for ws in book.worksheets}
    assert {"预算公开表13", "预算公开表14"} <= firsts
    import docx

    paras = [p.text for p in docx.Document(outs["docx"]).paragraphs]
    labels = [p for p in paras if re.fullmatch(r"预算公开表\d+", p)]
    assert labels[-4:] == ["预算公开表13"] * 3 + ["预算公开表14"]
    i = paras.index("预算公开表14")
    assert paras[i + 1] == "部门整体支出绩效目标表"


def test_sx13_forms_keep_their_place_without_a_number(tmp_path):
    from toolkit.export import export

    outs = export(ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx", ["html"], tmp_path / "o", force=True)
    html = Path(outs["html"]).read_text(encoding="utf-8")
    assert "预算公开表13" in html and "预算公开表14" not in html
    # the perf forms still follow the 情况说明's 绩效 heading, uncaptioned
    assert html.index("绩效目标情况") < html.index("项目支出绩效目标申报表")
