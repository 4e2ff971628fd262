"""The library functions behind the Excel buttons (toolkit.findings.mark_plan / previous_marks,
toolkit.fill.live_writes / names_kept_lines), on real xlsx files, and the kept 科目名称 shown by
every front end: the 填充 alert (recording engine), `bdt fill` (subprocess) and the web result."""
import os
import sys

import pytest
from python_calamine import CalamineWorkbook

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
xw = pytest.importorskip("xlwings")

import toolkit  # noqa: E402
from conftest import EXAMPLE, edit_workbook, run  # noqa: E402
from test_excel import actions, book_of, written  # noqa: E402
from toolkit import excel  # noqa: E402
from toolkit.annotate import annotate  # noqa: E402
from toolkit.colors import cell_rgb  # noqa: E402
from toolkit.fill import compute, live_writes, names_kept_lines  # noqa: E402
from toolkit.findings import FINDINGS_SHEET, MARK_RGB, cell_marks, mark_plan, previous_marks  # noqa: E402
from toolkit.rules import validate  # noqa: E402

T3 = "表3 支出总表"
LINE = "「表3 支出总表」B9：保留了填写的科目名称「行政运行」，与科目编码 2010350 的名称「事业运行」不一致"


@pytest.fixture
def wrong_name(tmp_path):
    """The example with 2010350 (事业运行) named 行政运行 by the clerk on 表3."""
    return edit_workbook(EXAMPLE, {(T3, "B9"): "行政运行"}, tmp_path / "wrong-name.xlsx")


def test_previous_marks_reads_a_file_and_a_live_sheet_alike(tmp_path):
    """One definition for both: the annotated file gives the link's text, the button's live sheet
    gives the HYPERLINK formula; both give every finding's cell, nothing for cell-less findings."""
    findings = validate(toolkit.load(EXAMPLE))
    expected = [(f.sheet, f.cell) for f in findings if f.cell]
    assert expected
    out = annotate(EXAMPLE, tmp_path / "a.xlsx", findings=findings).path
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(FINDINGS_SHEET).to_python(skip_empty_area=False)
    assert sorted(previous_marks(rows)) == sorted(expected)
    book = book_of(EXAMPLE)
    excel.validate(book)
    live = [a["values"] for a in actions(book, "setValues") if a["column_count"] == len(excel.HEADER)][0]
    assert any(str(r[3]).startswith("=HYPERLINK") for r in live[2:])
    assert sorted(previous_marks(live)) == sorted(expected)
    # junk in the 单元格 column is not taken for an address
    assert previous_marks([["x"], excel.HEADER, ["错误", "A101", T3, "第7行", "…"], ["错误", "A101", T3, "C6"]]) \
        == [(T3, "C6")]


def test_mark_plan_restores_previous_marks_and_marks_findings():
    d = toolkit.load(EXAMPLE)
    findings = validate(d)
    plan = mark_plan(d, findings, [(T3, "B2"), ("基本信息", "B2")])
    marks = cell_marks(findings)
    for (sheet, cell), sev in marks.items():
        assert plan[sheet][cell] == MARK_RGB[sev]
    spec = d.spec(next(i for i, n in d.sheet_names.items() if n == "基本信息"))
    from toolkit.layout import layout
    b2 = next(p for p in layout(spec).cells if p.address == "B2")
    assert ("基本信息", "B2") not in marks  # a mark of last time, no finding now: template colour back
    assert plan["基本信息"]["B2"] == cell_rgb(b2.spec) and cell_rgb(b2.spec) is not None


def test_template_color_of_every_cell_without_laying_out_capacity_rows():
    """The colour a mark gives back is the template's, for every cell of every sheet (block rows
    below the data included); a cell outside the template, or an unknown sheet, has none."""
    from toolkit.findings import template_color
    from toolkit.layout import layout

    d = toolkit.load(EXAMPLE)
    n = 0
    for inst, name in d.sheet_names.items():
        for p in layout(d.spec(inst)).cells:
            assert template_color(d, name, p.address) == cell_rgb(p.spec), (name, p.address)
            n += 1
    assert n > 4000  # the example: ≈4,260 cells of the template, capacity rows included
    t3 = d.spec("t3")
    last = layout(t3).last_row
    assert template_color(d, T3, f"A{last + 5}") is None and template_color(d, T3, "ZZ3") is None
    assert template_color(d, "别的表", "B2") is None


def test_live_writes_cover_every_change_only_derived_cells_and_meta():
    d = toolkit.load(EXAMPLE)
    plan = compute(d)
    writes = live_writes(d, plan)
    roles = {(e.sheet, e.cell): e.role for _, _, _, e in d.cells()}
    for k, v in plan.changes.items():
        e = d.entry(*k)
        assert writes[e.sheet][e.cell] == v
    assert all(roles.get((s, c), "derived") == "derived" for s, cells in writes.items() if s != "_meta" for c in cells)
    assert "_meta" in writes
    # what the button wrote is this plan, cell for cell
    book = book_of(EXAMPLE)
    excel.fill(book)
    got = written(book)
    assert {(s, c) for s, cells in writes.items() for c in cells} == set(got)


def test_names_kept_lines_name_sheet_cell_typed_and_expected(wrong_name):
    plan = compute(toolkit.load(wrong_name))
    lines = names_kept_lines(plan)
    assert len(lines) == 1 and lines[0].startswith(LINE), lines
    assert names_kept_lines(compute(toolkit.load(EXAMPLE))) == []


def test_excel_fill_alert_shows_the_kept_name(wrong_name):
    book = book_of(wrong_name)
    result = excel.fill(book)
    assert result["names_kept"] and result["names_kept"][0].startswith(LINE)
    text = actions(book, "alert")[-1]["args"][0]
    assert text.startswith(result["line"]) and LINE in text
    assert written(book).get((T3, "B9"), "行政运行") == "行政运行"  # the typed name is not overwritten
    clean = book_of(EXAMPLE)
    assert excel.fill(clean)["names_kept"] == []
    assert "科目名称" not in actions(clean, "alert")[-1]["args"][0]


def test_bdt_fill_prints_one_line_per_kept_name(wrong_name, tmp_path):
    r = run(sys.executable, "-m", "toolkit.cli", "fill", str(wrong_name), "--out", str(tmp_path / "f.xlsx"))
    assert r.returncode == 0, r.stderr
    kept = [ln for ln in r.stdout.splitlines() if "保留了填写的科目名称" in ln]
    assert len(kept) == 1 and kept[0].startswith(LINE), r.stdout
    r = run(sys.executable, "-m", "toolkit.cli", "fill", str(EXAMPLE), "--out", str(tmp_path / "g.xlsx"))
    assert r.returncode == 0 and "科目名称" not in r.stdout, r.stdout


def test_the_web_result_page_shows_the_kept_name(wrong_name, tmp_path):
    """Upload to a real `bdt serve` (own process group, stopped in `finally` by the context)."""
    import html

    from test_serve import Client, Server

    with Server(tmp_path / "data") as server:
        client = Client(server.url)
        ids = client.upload([(wrong_name.name, wrong_name.read_bytes()), (EXAMPLE.name, EXAMPLE.read_bytes())])
        client.wait(ids)
        pages = [html.unescape(client.get(f"/s/{i}")[2].decode("utf-8")) for i in ids]
    assert 'id="names-kept"' in pages[0] and LINE in pages[0], pages[0][:2000]
    assert 'id="names-kept"' not in pages[1] and "科目名称「" not in pages[1]
