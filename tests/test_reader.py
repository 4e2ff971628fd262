"""Reading the seed example back, tolerant parsing with findings, and refusals."""
from decimal import Decimal

import openpyxl
import pytest

import toolkit
from conftest import EXAMPLE, TEMPLATE, edit_workbook
from toolkit.io.reader import WorkbookError
from toolkit.layout import layout
from toolkit.schema import load_schema


@pytest.fixture(scope="module")
def seed():
    return toolkit.load(EXAMPLE)


def test_seed_totals_come_back_exact(seed):
    assert seed.get("t1", "grand", "in_amt") == Decimal("224.31")
    assert seed.get("t3", "total", "total") == Decimal("224.31")
    assert seed.get("t3", "total", "basic") == Decimal("74.31")
    assert seed.get("t3", "total", "project") == Decimal("150.00")
    assert str(seed.get("t3", "total", "project")) == "150.00"
    assert seed.get("t6", "total", "public") == Decimal("6.84")
    assert seed.get("t10", "car_run", "gpb") == Decimal("9.00")
    assert all(isinstance(e.value, Decimal) for *_, e in seed.cells() if e.spec.type == "amount" and e.value is not None)


def test_seed_projects_and_forms(seed):
    assert [r["name"] for r in seed.rows("t12")] == ["特需业务经费", "驻京办业务经费", "办公用房租赁费"]
    assert [seed.get(p, "name") for p in seed.projects] == ["特需业务经费", "驻京办业务经费", "房屋租赁费"]
    e = seed.entry("perf_project#1", "city_annual")
    assert e.value == Decimal("700000") and e.unit == "元"
    assert seed.entry("t12", "items#1", "total").unit == "万元"
    assert seed.get("perf_dept", "staff_onroll") == 10
    assert seed.year == 2023 and seed.dept_name == "忻州市人民政府驻北京联络处"


def test_block_rows_know_parents_and_levels(seed):
    rows = seed.rows("t3")
    assert [r.level for r in rows[:4]] == [1, 2, 3, 3]
    assert rows[0].is_parent and not rows[2].is_parent
    assert seed.entry("t3", rows[0].key, "basic").role == "derived"  # 类 row: a roll-up
    assert seed.entry("t3", rows[2].key, "basic").role == "input"  # 项 row: typed
    df = seed.frame("t3")
    assert list(df["code"][:2]) == ["201", "20103"] and df["total"].iloc[0] == Decimal("207.41")


def test_tolerant_parsing_normalises_and_reports(example):
    lay = layout(load_schema().sheet("t3"))
    basic = {i: lay.get(f"items#{i}", "basic").address for i in (3, 7, 10, 13)}
    edit_workbook(example, {
        ("表3 支出总表", basic[3]): "57.41",          # number stored as text
        ("表3 支出总表", basic[7]): "１２３．４５",     # full-width digits
        ("表3 支出总表", basic[10]): " 3.34 ",        # spaces
        ("表3 支出总表", basic[13]): "—",             # dash for empty
        ("表12 项目支出表", "C7"): "1,234.50",        # thousands separator
        ("表12 项目支出表", "C8"): "十五万",           # not a number at all
    })
    d = toolkit.load(example)
    assert d.get("t3", "items#3", "basic") == Decimal("57.41")
    assert d.get("t3", "items#7", "basic") == Decimal("123.45")
    assert d.get("t3", "items#10", "basic") == Decimal("3.34")
    assert d.get("t3", "items#13", "basic") is None
    assert d.get("t12", "items#1", "gpb") == Decimal("1234.50")
    assert d.get("t12", "items#2", "gpb") is None
    by_cell = {(f.sheet, f.cell): f for f in d.findings}
    assert by_cell[("表3 支出总表", basic[3])].rule == "F101"
    assert by_cell[("表3 支出总表", basic[7])].rule in ("F101", "F102")
    assert {f.rule for f in d.findings if f.cell == basic[7]} >= {"F101", "F102"}
    assert {f.rule for f in d.findings if f.cell == basic[10]} >= {"F101", "F105"}
    assert by_cell[("表3 支出总表", basic[13])].rule == "F104"
    assert {f.rule for f in d.findings if f.cell == "C7"} >= {"F103"}
    bad = by_cell[("表12 项目支出表", "C8")]
    assert bad.rule == "F106" and bad.severity == "error" and "十五万" in bad.message and "C8" in bad.message
    # nothing typed is lost: the raw text is kept next to the value
    assert d.entry("t12", "items#2", "gpb").raw == "十五万"


def test_wrong_template_version_is_refused(example):
    edit_workbook(example, {("_meta", "B1"): "2019.9"})
    with pytest.raises(WorkbookError, match="模板版本为 2019.9"):
        toolkit.load(example)


def test_missing_or_renamed_sheet_is_refused(example, tmp_path):
    wb = openpyxl.load_workbook(example)
    wb["表5 一般公共预算支出表"].title = "表5"
    wb.save(example)
    with pytest.raises(WorkbookError, match="缺少工作表 「表5 一般公共预算支出表」"):
        toolkit.load(example)
    wb = openpyxl.load_workbook(EXAMPLE)
    del wb["表10 三公经费表"]
    wb.save(tmp_path / "deleted.xlsx")
    with pytest.raises(WorkbookError, match="表10 三公经费表"):
        toolkit.load(tmp_path / "deleted.xlsx")


def test_inserted_row_is_refused_not_half_read(example):
    wb = openpyxl.load_workbook(example)
    wb["表1 收支总表"].insert_rows(8)
    wb.save(example)
    with pytest.raises(WorkbookError, match="「表1 收支总表」的结构与模板不符：A8 应为「三、国有资本经营预算」"):
        toolkit.load(example)


def test_not_a_workbook_and_old_xls(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_text("not a zip")
    with pytest.raises(WorkbookError, match="不是有效的 .xlsx"):
        toolkit.load(p)
    q = tmp_path / "old.xls"
    q.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(WorkbookError, match="旧版 .xls"):
        toolkit.load(q)
    other = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(other)
    with pytest.raises(WorkbookError, match="不是本工具的预算公开模板"):
        toolkit.load(other)


def test_empty_template_reads_with_no_values():
    d = toolkit.load(TEMPLATE)
    assert d.findings == []
    assert all(e.value is None for *_, e in d.cells(role="input"))
    assert d.projects == ["perf_project#1"]
