"""The template is generated deterministically from the schema and shows the clerk what to type."""
import subprocess
import sys

import openpyxl
import pytest

from conftest import TEMPLATE, need_tool, run
from toolkit.layout import layout
from toolkit.schema import load_schema
from toolkit.template import FILL_DERIVED, FILL_INPUT, META_SHEET, build_template


def test_committed_template_equals_a_fresh_build(tmp_path):
    fresh = build_template(tmp_path / "fresh.xlsx")
    assert fresh.read_bytes() == TEMPLATE.read_bytes(), "workbook_template.xlsx is stale: run `make template`"


def test_build_is_deterministic_across_processes(tmp_path):
    for name in ("a.xlsx", "b.xlsx"):
        subprocess.run([sys.executable, "-m", "toolkit.cli", "template", "build", "--out", str(tmp_path / name)], check=True)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


@pytest.fixture(scope="module")
def wb():
    return openpyxl.load_workbook(TEMPLATE)


def test_sheet_names_the_clerk_expects(wb):
    names = wb.sheetnames
    for n in range(1, 14):
        assert any(s.startswith(f"表{n} ") for s in names)
    assert names[0] == "基本信息" and "项目绩效1" in names and "部门整体绩效目标" in names
    assert wb[META_SHEET].sheet_state == "veryHidden"
    meta = {r[0].value: r[1].value for r in wb[META_SHEET].iter_rows()}
    s = load_schema()
    assert meta["template_version"] == s.template_version and meta["schema_version"] == s.schema_version


def test_input_cells_unlocked_yellow_derived_locked_grey(wb):
    s = load_schema()
    lay = layout(s.sheet("t3"))
    ws = wb["表3 支出总表"]
    leaf_basic = ws[lay.get("items#1", "basic").address]
    total = ws[lay.get("total", "total").address]
    row_total = ws[lay.get("items#1", "total").address]
    assert leaf_basic.protection.locked is False and leaf_basic.fill.fgColor.rgb.endswith(FILL_INPUT.fgColor.rgb[-6:])
    for c in (total, row_total):
        assert c.protection.locked is True and c.fill.fgColor.rgb.endswith(FILL_DERIVED.fgColor.rgb[-6:])
    assert leaf_basic.number_format == "0.00"
    assert ws.protection.sheet is True and not ws.protection.password


def test_code_cells_have_dropdowns_and_amounts_a_check(wb):
    ws = wb["表3 支出总表"]
    kinds = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert "list" in kinds and kinds["list"].formula1.startswith("=_codes!$A$2")
    assert "A7" in str(kinds["list"].sqref)
    assert kinds["decimal"].operator == "greaterThanOrEqual"
    ws6 = wb["表6 基本支出经济科目表"]
    lists = [dv for dv in ws6.data_validations.dataValidation if dv.type == "list"]
    assert lists and lists[0].formula1.startswith("=_codes!$C$2")


def test_print_setup_freeze_and_repeated_headers(wb):
    ws = wb["表4 财政拨款收支总表"]
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows.replace("$", "") == "4:6"
    assert ws.freeze_panes == "A7"
    assert ws.print_area


def test_libreoffice_opens_the_template_without_repair(tmp_path):
    soffice = need_tool("soffice")
    need_tool("pdftotext")
    r = run(soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to", "pdf", "--outdir", str(tmp_path), str(TEMPLATE), timeout=240)
    pdf = tmp_path / "workbook_template.pdf"
    assert pdf.exists(), r.stderr
    text = run("pdftotext", "-layout", str(pdf), "-").stdout
    for needle in ("预算收支总表", "支出总表", "一般公共服务支出", "项目支出绩效目标申报表", "单位：万元"):
        assert needle in text
    pages = int(next(l.split()[-1] for l in run("pdfinfo", str(pdf)).stdout.splitlines() if l.startswith("Pages")))
    assert 15 <= pages <= 60


def test_committed_xlsm_template_equals_a_fresh_build(tmp_path):
    from toolkit.vba import build_xlsm

    fresh = build_xlsm(tmp_path / "fresh.xlsm")
    committed = TEMPLATE.with_suffix(".xlsm")
    assert fresh.read_bytes() == committed.read_bytes(), "workbook_template.xlsm is stale: run `make template`"
