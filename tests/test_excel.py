"""The Excel entry points against the real xlwings library, through its remote engine.

The payload is built from a real workbook in the shape xlwings' VBA client (Remote.bas) sends:
every worksheet's values from A1 to the end of its used range, empty cells as null. The engine
records what the entry point does as actions instead of touching Excel; the tests read them.
"""
import os
import subprocess
import sys

import pytest

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
xw = pytest.importorskip("xlwings")

import toolkit  # noqa: E402
from conftest import EXAMPLE, EXAMPLE_DATA, ROOT  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from xlpayload import payload  # noqa: E402
from toolkit import excel  # noqa: E402
from toolkit.datafile import load_data, write_data  # noqa: E402
from toolkit.layout import a1  # noqa: E402
from toolkit.rules import validate as run_rules  # noqa: E402


def book_of(path, extra_sheets=()):
    return xw.Book(json=payload(path, extra_sheets))


def actions(book, func=None):
    acts = book.json()["actions"]
    return [a for a in acts if func is None or a["func"] == func]


def painted(book):
    """{(sheet name, A1): colour} from every setRangeColors matrix."""
    names = [s.name for s in book.sheets]
    out = {}
    for a in actions(book, "setRangeColors"):
        for i, row in enumerate(a["args"][0]):
            for j, color in enumerate(row):
                if color != "keep":
                    out[(names[a["sheet_position"]], a1(a["start_row"] + i + 1, a["start_column"] + j + 1))] = color
    return out


def written(book):
    """{(sheet name, A1): value} from every setValues."""
    names = [s.name for s in book.sheets]
    out = {}
    for a in actions(book, "setValues"):
        for i, row in enumerate(a["values"]):
            for j, v in enumerate(row):
                out[(names[a["sheet_position"]], a1(a["start_row"] + i + 1, a["start_column"] + j + 1))] = v
    return out


def test_validate_colours_exactly_the_flagged_cells():
    book = book_of(EXAMPLE)
    result = excel.validate(book)
    findings = run_rules(toolkit.load(EXAMPLE))
    flagged = {(f.sheet, f.cell) for f in findings if f.cell}
    colours = painted(book)
    assert set(colours) == flagged
    errors = {(f.sheet, f.cell) for f in findings if f.severity == "error"}
    assert all(colours[c] == excel.MARK["error"].lower() for c in errors)
    assert colours[("项目绩效3", "B3")] == excel.MARK["error"].lower()  # P601 房屋租赁费
    assert colours[("表6 基本支出经济科目表", "D15")] == excel.MARK["warning"].lower()  # 尾差
    assert result["summary"] == {"error": 4, "warning": 22, "info": 1} or result["findings"] == len(findings)


def test_validate_writes_the_findings_sheet_with_links_and_a_summary():
    book = book_of(EXAMPLE)
    excel.validate(book)
    adds = actions(book, "addSheet")
    assert len(adds) == 1 and excel.FINDINGS_SHEET in str(adds[0]["args"])
    target = [a for a in actions(book, "setValues") if a["column_count"] == len(excel.HEADER)]
    assert len(target) == 1
    values = target[0]["values"]
    findings = run_rules(toolkit.load(EXAMPLE))
    assert values[0][0].startswith("校验完成") and "错误" in values[0][0]
    assert values[1] == excel.HEADER
    assert len(values) == len(findings) + 2
    links = [r[3] for r in values[2:] if r[3]]
    assert '=HYPERLINK("#\'项目绩效3\'!B3","B3")' in links
    alerts = actions(book, "alert")
    assert alerts and alerts[0]["args"][0].startswith("校验完成")


def test_validate_clears_the_marks_of_the_previous_run():
    old = {"name": excel.FINDINGS_SHEET, "pictures": [], "tables": [], "values": [
        ["校验完成：错误 1 项", None, None, None, None, None, None], excel.HEADER,
        ["错误", "A301", "表3 支出总表", '=HYPERLINK("#\'表3 支出总表\'!D9","D9")', "…", None, None],
        ["提示", "F105", "基本信息", "B2", "…", None, None],
    ]}
    book = book_of(EXAMPLE, extra_sheets=[old])
    excel.validate(book)
    colours = painted(book)
    assert colours[("表3 支出总表", "D9")] == excel.ROLE_COLOR["input"].lower()  # back to input yellow
    assert colours[("基本信息", "B2")] == excel.ROLE_COLOR["input"].lower()
    assert not actions(book, "addSheet")
    assert actions(book, "sheetClearContents")


def test_fill_writes_only_derived_cells(tmp_path):
    book = book_of(EXAMPLE)
    result = excel.fill(book)
    d = toolkit.load(EXAMPLE)
    roles = {}
    for inst, row, col, e in d.cells():
        roles[(e.sheet, e.cell)] = e.role
    cells = written(book)
    assert cells
    for (sheet, cell), value in cells.items():
        if sheet == "_meta":
            continue
        assert roles.get((sheet, cell)) == "derived", (sheet, cell, value)
    assert cells[("表3 支出总表", "C6")] == pytest.approx(224.32)
    assert cells[("表6 基本支出经济科目表", "D15")] == pytest.approx(6.83)
    # the clerk's paragraphs are not written
    assert not [c for c in cells if c[0] == "情况说明"]
    assert result["changed"] == 27


def test_number_of_actions_grows_with_sheets_not_cells(tmp_path):
    paths = []
    for n in (3, 40):
        data = load_data(EXAMPLE_DATA)
        data["t12"]["items"] = [{"name": f"项目{i}", "gpb": "1.00"} for i in range(1, n + 1)]
        paths.append(write_data(data, tmp_path / f"p{n}.xlsx"))
    counts = []
    for path in paths:
        b1 = book_of(path)
        excel.validate(b1)
        b2 = book_of(path)
        excel.fill(b2)
        counts.append((len(actions(b1)), len(actions(b2)), sum(v not in (None, "") for v in written(b2).values())))
    (v_small, f_small, cells_small), (v_big, f_big, cells_big) = counts
    assert cells_big > cells_small + 30  # many more cells written…
    assert f_big == f_small  # …with the same number of calls
    assert v_big <= v_small + 1
    from python_calamine import CalamineWorkbook

    sheets = len(CalamineWorkbook.from_path(str(EXAMPLE)).sheet_names)
    assert v_small <= sheets + 4


def test_unreadable_book_gives_a_clear_alert():
    p = payload(EXAMPLE)
    p["sheets"] = [s for s in p["sheets"] if s["name"] != "表5 一般公共预算支出表"]
    book = xw.Book(json=p)
    result = excel.validate(book)
    assert "表5 一般公共预算支出表" in result["error"]
    assert actions(book, "alert")[0]["args"][0] == result["error"]


def test_core_imports_without_calamine_for_xlwings_lite():
    """xlwings Lite has no python-calamine: the entry points must import and run without it."""
    code = (
        "import sys; sys.modules['python_calamine'] = None\n"
        "import os; os.environ['XLWINGS_LICENSE_KEY'] = 'noncommercial'\n"
        "import toolkit.excel, toolkit.rules, toolkit.fill, toolkit.narrative\n"
        "import xlwings as xw\n"
        "p = {'client': 'Office.js', 'version': xw.__version__, 'book': {'name': 'x.xlsx', 'active_sheet_index': 0},"
        " 'sheets': [{'name': 'S', 'values': [[1]], 'pictures': [], 'tables': []}], 'names': []}\n"
        "r = toolkit.excel.validate(xw.Book(json=p))\n"
        "assert '_meta' in r['error'], r\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
