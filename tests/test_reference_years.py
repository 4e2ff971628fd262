"""Classification codes by budget year (issue #13 point 5): code_changes.csv, C210 and C211."""
import shutil

import pytest

import toolkit
from conftest import edit_workbook
from toolkit.reference import DATA_DIR, load_reference
from toolkit.rules import validate
from test_rules import at

ADDED_2024 = "22006"  # 耕地保护考核奖惩基金支出, added by 财政部's notice of 2024-03-29


def _findings(path, rule):
    return [f for f in validate(toolkit.load(path)) if f.rule == rule]


def test_bundled_changes_are_sourced_and_year_bounded():
    ref = load_reference()
    assert ref.validity[ADDED_2024] == (2024, None)
    assert ADDED_2024 not in load_reference(year=2023).function_codes
    assert load_reference(year=2023).elsewhere[ADDED_2024][0] == "耕地保护考核奖惩基金支出"
    assert load_reference(year=2024).function_name(ADDED_2024) == "耕地保护考核奖惩基金支出"
    import csv
    with open(DATA_DIR / "code_changes.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            assert row["source"].strip(), row  # every change names the notice that made it


@pytest.mark.parametrize("year, expect", [(2023, True), (2024, False), (2025, False)])
def test_code_added_in_2024_is_an_error_in_a_2023_budget_only(example, year, expect):
    code_cell = at("t3", "items#3", "code")
    edits = {code_cell: ADDED_2024, at("info", "year"): year}
    edit_workbook(example, edits)
    got = _findings(example, "C210")
    if expect:
        assert [(f.sheet, f.cell) for f in got] == [code_cell]
        assert "自 2024 年度起设立" in got[0].message and "2023 年度预算" in got[0].message
        assert got[0].severity == "error"
    else:
        assert got == []
    # never "unknown to the reference": the code is known, only its year differs
    assert not [f for f in _findings(example, "C204") if f.actual == ADDED_2024]


def _bureau_folder(tmp_path, changes: str = "", year: int | None = None):
    folder = tmp_path / "ref"
    shutil.copytree(DATA_DIR, folder)
    if changes:
        (folder / "code_changes.csv").write_text("kind,code,name,valid_from,valid_to,source\n" + changes, encoding="utf-8")
    if year:
        (folder / "reference.yaml").write_text(f"year: {year}\n", encoding="utf-8")
    return folder


def test_a_code_withdrawn_by_the_bureau_list_is_reported_after_its_last_year(example, tmp_path, monkeypatch):
    code_cell = at("t3", "items#3", "code")
    code = toolkit.load(example).get("t3", "items#3", "code")
    folder = _bureau_folder(tmp_path, f"function,{code},,,2022,本局2023年科目调整通知（测试）\n")
    monkeypatch.setenv("BDT_REFERENCE_DIR", str(folder))
    got = _findings(example, "C210")
    assert code_cell in [(f.sheet, f.cell) for f in got]  # and wherever else the code is used (表2, 表5 …)
    assert {f.actual for f in got} == {code} and all("2023 年度起已停用" in f.message for f in got)
    monkeypatch.delenv("BDT_REFERENCE_DIR")
    assert _findings(example, "C210") == []


def test_a_bureau_list_of_another_year_is_flagged_once(example, tmp_path, monkeypatch):
    monkeypatch.setenv("BDT_REFERENCE_DIR", str(_bureau_folder(tmp_path, year=2025)))
    got = _findings(example, "C211")
    assert [(f.sheet, f.cell) for f in got] == [at("info", "year")]
    assert "2025 年度" in got[0].message and "2023 年" in got[0].message
    monkeypatch.setenv("BDT_REFERENCE_DIR", str(_bureau_folder(tmp_path / "b", year=2023)))
    assert _findings(example, "C211") == []


def test_a_malformed_year_in_the_bureau_list_is_a_clear_error(tmp_path):
    folder = _bureau_folder(tmp_path, "function,2010101,行政运行,二〇二四,,x\n")
    with pytest.raises(ValueError, match="不是四位年份"):
        load_reference(folder)
