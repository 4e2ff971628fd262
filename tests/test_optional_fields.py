"""Optional fields (issue 13 point 4): 部门代码 may be left blank — many regions never publish one.

A copy of the seed example with 基本信息's 部门代码 cleared validates without F111 and with the
same findings otherwise; fill writes the derived 「主管部门及代码」/「部门名称」 cells of the
performance forms as the name alone (no leading '-'); the open data keys rows by name instead.
"""
import csv
import json
import subprocess
import sys
from collections import Counter

import pytest

import toolkit
from conftest import EXAMPLE, edit_workbook
from toolkit.derive import fill_placeholders
from toolkit.export import export
from toolkit.fill import fill
from toolkit.rules import validate

NAME = "忻州市人民政府驻北京联络处"
PERF = ["perf_dept", "perf_project#1", "perf_project#2", "perf_project#3"]


@pytest.fixture(scope="module")
def nocode(tmp_path_factory):
    """The example with 部门代码 blank; the stale derived '104-…' cells left for fill to redo."""
    d = toolkit.load(EXAMPLE)
    e = d.entry("info", "dept_code")
    assert e.value == "104"
    out = tmp_path_factory.mktemp("nocode") / "nocode.xlsx"
    return edit_workbook(EXAMPLE, {(e.sheet, e.cell): None}, out)


def test_schema_marks_dept_code_optional():
    spec = toolkit.load(EXAMPLE).entry("info", "dept_code").spec
    assert not spec.required
    assert toolkit.load(EXAMPLE).entry("info", "dept_name").spec.required  # the name stays required


def test_blank_dept_code_is_no_finding(nocode):
    with_code = Counter(f.rule for f in validate(toolkit.load(EXAMPLE)))
    without = validate(toolkit.load(nocode))
    assert not [f for f in without if f.rule == "F111"]
    assert not [f for f in without if "部门代码" in f.message]
    assert Counter(f.rule for f in without) == with_code


def test_blank_name_is_still_f111(tmp_path):
    e = toolkit.load(EXAMPLE).entry("info", "dept_name")
    bad = edit_workbook(EXAMPLE, {(e.sheet, e.cell): None}, tmp_path / "noname.xlsx")
    assert [f for f in validate(toolkit.load(bad)) if f.rule == "F111" and "部门名称" in f.message]


def test_fill_writes_the_name_alone(nocode, tmp_path):
    before = toolkit.load(nocode)
    assert {before.get(i, "dept") for i in PERF} == {f"104-{NAME}"}  # stale, from the code
    out, _plan = fill(nocode, tmp_path / "filled.xlsx")
    after = toolkit.load(out)
    assert [after.get(i, "dept") for i in PERF] == [NAME] * 4
    assert after.dept_code is None
    # and with the code the same derivation still gives code-name
    out2, _ = fill(EXAMPLE, tmp_path / "filled2.xlsx")
    assert toolkit.load(out2).get("perf_dept", "dept") == f"104-{NAME}"


@pytest.mark.parametrize("ctx, want", [
    ({"dept_code": "104", "dept_name": "X"}, "104-X"),
    ({"dept_code": None, "dept_name": "X"}, "X"),
    ({"dept_code": "  ", "dept_name": "X"}, "X"),
    ({"dept_code": "104", "dept_name": None}, "104"),
    ({}, ""),
])
def test_fill_placeholders_drops_the_separator_of_a_blank(ctx, want):
    assert fill_placeholders("{dept_code}-{dept_name}", ctx) == want


def test_open_data_without_code_keys_rows_by_name(nocode, tmp_path):
    filled, _ = fill(nocode, tmp_path / "filled.xlsx")
    pkg = export(filled, "data", tmp_path / "pub", force=True)["data"]
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    assert desc["name"] == "budget-dept-2023"
    for res in desc["resources"]:
        assert res["schema"]["primaryKey"][0] == "dept_name", res["name"]
    with open(pkg / "table02.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["dept_code"] == "" and r["dept_name"] == NAME for r in rows)
    perf = (pkg / "performance-projects.csv").read_text(encoding="utf-8-sig")
    assert f"104-{NAME}" not in perf and "-" + NAME not in perf
    r = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(pkg / "datapackage.json")],
                       capture_output=True, text=True, timeout=120)
    assert json.loads(r.stdout)["valid"], r.stdout[:2000]


# ------------------------------------------------------------------ empty tables in every export

EMPTY = ["t7", "t8", "t9", "t11", "t13"]  # the seed's tables without data
OWN = "注：本部门没有政府性基金预算支出，本表无数据。"


def test_empty_tables_carry_their_note_in_every_export(tmp_path):
    """The workbook's note cells cleared (a clerk deleted them, no fill run): every export still
    prints 注：本表无数据 under each empty table; a department's own wording (表8) is kept instead."""
    from test_export import pdftext, squash  # the PDF text helpers (pdftotext)
    import docx
    import openpyxl

    d = toolkit.load(EXAMPLE)
    edits = {}
    for key in EMPTY:
        e = d.entry(key, "_note")
        assert e.value == "注：本表无数据"
        edits[(e.sheet, e.cell)] = OWN if key == "t8" else None
    src = edit_workbook(EXAMPLE, edits, tmp_path / "nonotes.xlsx")
    assert [toolkit.load(src).get(k, "_note") for k in EMPTY] == [None, OWN, None, None, None]
    out = export(src, "pdf,docx,xlsx,html,data", tmp_path / "pub", force=True)
    std = "注：本表无数据"
    texts = {
        "pdf": squash(pdftext(out["pdf"])),
        "docx": "\n".join(p.text for p in docx.Document(str(out["docx"])).paragraphs),
        "html": out["html"].read_text(encoding="utf-8"),
        "xlsx": "\n".join(str(c.value) for ws in openpyxl.load_workbook(out["xlsx"]).worksheets
                          for row in ws.iter_rows() for c in row if c.value is not None),
    }
    for fmt, text in texts.items():
        own = squash(OWN) if fmt == "pdf" else OWN
        assert text.count(own) == 1, fmt
        assert text.count(std) == 4, fmt  # 表7 表9 表11 表13
    # the print xlsx: the note sits on the sheet of its own table
    wb = openpyxl.load_workbook(out["xlsx"])
    with_note = sorted(ws.title for ws in wb.worksheets
                       if any(isinstance(c.value, str) and c.value.startswith("注：本") for row in ws.iter_rows() for c in row))
    numbers = sorted(d.schema.sheet(k).sheet.split()[0] for k in EMPTY)  # 表7, 表8, …
    assert sorted(t.split()[0] for t in with_note) == numbers, with_note
    desc = json.loads((out["data"] / "datapackage.json").read_text(encoding="utf-8"))
    empty = sorted({r["bdt"]["table"] for r in desc["resources"] if r.get("bdt", {}).get("empty")})
    assert empty == sorted(EMPTY), empty


def test_a_table_emptied_by_the_clerk_gets_the_note(tmp_path):
    """表10's only figure (公务用车运行维护费 9.00) cleared, its stale derived 9.00 totals left in the
    workbook: the export computes the table as empty and prints the note; fill writes it."""
    d = toolkit.load(EXAMPLE)
    e = d.entry("t10", "car_run", "gpb")
    assert str(e.value) == "9.00" and d.get("t10", "_note") is None
    src = edit_workbook(EXAMPLE, {(e.sheet, e.cell): None}, tmp_path / "t10.xlsx")
    assert str(toolkit.load(src).get("t10", "total", "total")) == "9.00"  # stale until fill
    html = export(src, "html", tmp_path / "pub", force=True)["html"].read_text(encoding="utf-8")
    assert html.count("注：本表无数据") == 6  # the seed's 5 and 表10
    filled, _ = fill(src, tmp_path / "filled.xlsx")
    f = toolkit.load(filled)
    assert f.get("t10", "_note") == "注：本表无数据"
    assert not [x for x in validate(f) if x.rule in ("D701", "D702")]
