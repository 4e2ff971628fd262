"""Fill: every derived cell comes back from the inputs, nothing else in the file changes."""
import shutil
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment

import toolkit
from conftest import EXAMPLE
from toolkit.fill import fill
from toolkit.io import writer
from toolkit.narrative import generate
from toolkit.rules import validate

# Published figures that are wrong: the fill writes the right value here (validate reports them).
CORRECTED = {
    ("t1", "c201", "in_amt"), ("t1", "subtotal", "in_amt"), ("t1", "subtotal", "ex_total"), ("t1", "subtotal", "ex_cur"),
    ("t1", "grand", "in_amt"), ("t1", "grand", "ex_total"), ("t1", "grand", "ex_cur"),
    ("t2", "total", "total"), ("t2", "total", "gpb"), ("t3", "total", "total"), ("t3", "total", "basic"),
    ("t4", "c201", "in_amt"), ("t4", "subtotal", "in_amt"), ("t4", "subtotal", "ex_sub"), ("t4", "subtotal", "ex_gpb"),
    ("t4", "grand", "in_amt"), ("t4", "grand", "ex_sub"), ("t4", "grand", "ex_gpb"),
    ("t5", "total", "total"), ("t5", "total", "basic"),
    ("t6", "total", "public"), ("t6", "items#9", "total"), ("t6", "items#9", "public"),
    ("perf_dept", "src_total", ""), ("perf_dept", "dir_total", ""), ("perf_dept", "src_gpb", ""), ("perf_dept", "dir_basic", ""),
}


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def _blank_derived(src, dst):
    """A copy of the seed with every derived cell emptied (labels/titles/notes/names included)."""
    d = toolkit.load(src)
    by_sheet = {}
    for inst, row, col, e in d.cells(role="derived"):
        if e.spec.editable:
            continue  # narrative paragraphs are the clerk's text in the seed
        by_sheet.setdefault(e.sheet, {})[e.cell] = None
    writer.write_cells(src, by_sheet, dst)
    return dst


def test_blank_and_fill_gives_back_the_published_figures(tmp_path):
    blank = _blank_derived(EXAMPLE, tmp_path / "blank.xlsx")
    assert toolkit.load(blank).get("t3", "total", "total") is None
    out, plan = fill(blank, tmp_path / "filled.xlsx")
    seed, filled = toolkit.load(EXAMPLE), toolkit.load(out)
    for inst, row, col, e in seed.cells(role="derived"):
        if e.spec.editable:
            continue
        got = filled.get(inst, row, col)
        want = e.value
        if (inst, row, col) in CORRECTED:
            assert got != want, (inst, row, col)
            continue
        if isinstance(want, Decimal) or isinstance(got, Decimal):
            assert (got or 0) == (want or 0), (e.sheet, e.cell, got, want)
        else:
            assert got == want, (e.sheet, e.cell, got, want)
    assert filled.get("t3", "total", "total") == Decimal("224.32")
    assert filled.get("t6", "items#9", "public") == Decimal("6.83")
    # inputs are unchanged, value by value
    for inst, row, col, e in seed.cells(role="input"):
        assert filled.get(inst, row, col) == e.value, (e.sheet, e.cell)
    # validate on the original still reports the published mistakes that fill corrected
    original = {(f.sheet, f.cell) for f in validate(seed) if f.rule in ("A302", "A304")}
    assert ("表3 支出总表", "C6") in original and ("表6 基本支出经济科目表", "D15") in original


def test_fill_changes_only_derived_cells_and_nothing_else(tmp_path):
    out, plan = fill(EXAMPLE, tmp_path / "filled.xlsx")
    before, after = _members(EXAMPLE), _members(out)
    assert before.keys() == after.keys()
    d = toolkit.load(EXAMPLE)
    changed_sheets = {d.entry(*k).sheet for k in plan.changes} | {"_meta"}
    parts = writer.sheet_parts(zipfile.ZipFile(EXAMPLE))
    changed_parts = {parts[s] for s in changed_sheets}
    for name in before:
        if name not in changed_parts:
            assert before[name] == after[name], name
    # inside a patched sheet, every cell not in the plan keeps its XML
    wb_before = openpyxl.load_workbook(EXAMPLE)
    wb_after = openpyxl.load_workbook(out)
    changed_cells = {(d.entry(*k).sheet, d.entry(*k).cell) for k in plan.changes}
    for ws in wb_before.worksheets:
        if ws.title == "_meta":
            continue
        for row in ws.iter_rows():
            for c in row:
                if (ws.title, c.coordinate) in changed_cells:
                    continue
                assert wb_after[ws.title][c.coordinate].value == c.value
                assert wb_after[ws.title][c.coordinate].style_id == c.style_id


def test_fill_is_idempotent(tmp_path):
    first, plan1 = fill(EXAMPLE, tmp_path / "a.xlsx")
    assert plan1.changes
    second, plan2 = fill(first, tmp_path / "b.xlsx")
    assert plan2.changes == {}
    assert _members(first) == _members(second)


def test_fill_keeps_hand_edited_paragraphs_and_rewrites_its_own(tmp_path):
    blank = _blank_derived(EXAMPLE, tmp_path / "blank.xlsx")
    d = toolkit.load(blank)
    # clear the clerk's paragraphs: fill generates them
    para = {d.entry("narrative", k).cell: None for k in d.spec("narrative").fields}
    writer.write_cells(blank, {"情况说明": para}, blank)
    out, _ = fill(blank, tmp_path / "f1.xlsx")
    f1 = toolkit.load(out)
    s3 = f1.get("narrative", "s3")
    assert s3 == "2023年度支出预算224.32万元，其中：基本支出74.32万元，占33.13%；项目支出150.00万元，占66.87%。"
    # the clerk rewrites s3; a later fill (after a figure changes) keeps it and the validator checks it
    own = "2023年度支出预算224.32万元，其中：基本支出74.32万元，项目支出150.00万元。（本段经单位改写）"
    writer.write_cells(out, {"情况说明": {f1.entry("narrative", "s3").cell: own}}, out)
    out2, plan = fill(out, tmp_path / "f2.xlsx")
    assert toolkit.load(out2).get("narrative", "s3") == own
    assert ("narrative", "s3", "") in plan.kept
    # paragraphs fill wrote itself are regenerated, not treated as the clerk's
    assert ("narrative", "s2", "") not in plan.kept


def test_generated_narrative_states_the_seed_figures():
    d = toolkit.load(EXAMPLE)
    p = generate(d, d.get)
    text = "".join(p.values())
    for needle in ("224.31万元", "33.13%", "66.87%", "92.47%", "3.41%", "1.49%", "2.64%", "减少9.32万元", "下降3.99%",
                   "人员经费67.48万元", "公用经费6.84万元", "政府采购预算总额7.05万元", "项目3个"):
        assert needle in text, needle


def test_generated_narrative_passes_the_narrative_rules(tmp_path):
    d = toolkit.load(EXAMPLE)
    p = generate(d, d.get)
    path = tmp_path / "gen.xlsx"
    writer.write_cells(EXAMPLE, {"情况说明": {d.entry("narrative", k).cell: v for k, v in p.items()}}, path)
    findings = [f for f in validate(toolkit.load(path)) if f.rule.startswith("N") and f.severity != "info"]
    # the only narrative finding left is the gap for the 三公 reason the seed never gave
    # (shares summing to 100.01% stay an info: they are the seed's own, correctly rounded, figures)
    assert [f.rule for f in findings] == ["N508"], [(f.rule, f.message) for f in findings]
    assert "三公" in findings[0].message


def test_names_are_filled_from_codes(tmp_path):
    d = toolkit.load(EXAMPLE)
    e_code = d.entry("t3", "items#14", "code")
    e_basic = d.entry("t3", "items#14", "basic")
    src = tmp_path / "x.xlsx"
    writer.write_cells(EXAMPLE, {"表3 支出总表": {e_code.cell: "2010101", e_basic.cell: Decimal("1.00")}}, src)
    out, plan = fill(src, tmp_path / "y.xlsx")
    assert toolkit.load(out).get("t3", "items#14", "name") == "行政运行"


def test_atomic_write_leaves_the_original_on_failure(tmp_path, monkeypatch):
    """A crash half-way through writing the zip leaves the original intact and no debris."""
    src = tmp_path / "w.xlsx"
    shutil.copy(EXAMPLE, src)
    before = src.read_bytes()
    real = zipfile.ZipFile.writestr
    calls = {"n": 0}

    def crash_midway(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 10:
            raise OSError("disk full (simulated)")
        return real(self, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash_midway)
    with pytest.raises(OSError, match="simulated"):
        fill(src, in_place=True)
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx"]


def test_failed_rename_leaves_the_original(tmp_path, monkeypatch):
    src = tmp_path / "w.xlsx"
    shutil.copy(EXAMPLE, src)
    before = src.read_bytes()
    from toolkit import template

    monkeypatch.setattr(template.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("rename failed (simulated)")))
    with pytest.raises(OSError, match="simulated"):
        fill(src, in_place=True)
    assert src.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_in_place_keeps_a_backup(tmp_path):
    src = tmp_path / "w.xlsx"
    shutil.copy(EXAMPLE, src)
    before = src.read_bytes()
    fill(src, in_place=True)
    assert (tmp_path / "w.xlsx.bak").read_bytes() == before
    assert toolkit.load(src).get("t3", "total", "total") == Decimal("224.32")


def _xlsm_with_vba_chart_comment(tmp_path):
    """The seed as .xlsm carrying a VBA project, a form button (VML + ctrlProp), a chart and a comment."""
    wb = openpyxl.load_workbook(EXAMPLE)
    ws = wb["表10 三公经费表"]
    ws["A14"].comment = Comment("本表请于10月底前填报", "财政局")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=5, max_row=10))
    ws.add_chart(chart, "H2")
    mid = tmp_path / "mid.xlsx"
    wb.save(mid)
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8  # opaque VBA project bytes
    ctrl = b'<?xml version="1.0" encoding="UTF-8"?><formControlPr xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" objectType="Button" lockText="1"/>'
    out = tmp_path / "book.xlsm"
    with zipfile.ZipFile(mid) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                                    b'<Override PartName="/xl/ctrlProps/ctrlProp1.xml" ContentType="application/vnd.ms-excel.controlproperties+xml"/></Types>')
            if info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
            dst.writestr(info, data)
        dst.writestr("xl/vbaProject.bin", vba)
        dst.writestr("xl/ctrlProps/ctrlProp1.xml", ctrl)
    return out


def test_xlsm_vba_buttons_chart_and_comment_survive(tmp_path):
    book = _xlsm_with_vba_chart_comment(tmp_path)
    out, plan = fill(book, tmp_path / "filled.xlsm")
    before, after = _members(book), _members(out)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert after["xl/ctrlProps/ctrlProp1.xml"] == before["xl/ctrlProps/ctrlProp1.xml"]
    for name in before:
        if name.startswith(("xl/charts/", "xl/drawings/", "xl/comments", "xl/_rels", "[Content_Types]")) or "vml" in name:
            assert after[name] == before[name], name
    wb = openpyxl.load_workbook(out, keep_vba=True)
    assert wb["表10 三公经费表"]["A14"].comment.text == "本表请于10月底前填报"
    assert toolkit.load(out).get("t3", "total", "total") == Decimal("224.32")
    sheet_xml = after[writer.sheet_parts(zipfile.ZipFile(out))["表10 三公经费表"]].decode()
    assert "<drawing " in sheet_xml and "<legacyDrawing " in sheet_xml


def test_fill_then_validate_leaves_only_what_the_inputs_force(tmp_path):
    """After fill, the one arithmetic/cross-table error left is forced by the inputs themselves:
    the economic items add up to 74.31 while the function-code items add up to 74.32."""
    out, _ = fill(EXAMPLE, tmp_path / "f.xlsx")
    ax = [f for f in validate(toolkit.load(out)) if f.rule[0] in "AX" and f.severity == "error"]
    assert [(f.rule, f.sheet, f.cell) for f in ax] == [("X407", "表6 基本支出经济科目表", "D6")]


# ---------------------------------------------------------------- issue 12: fill and import

def _seed_data():
    import yaml

    from conftest import EXAMPLE_DATA
    return yaml.safe_load(EXAMPLE_DATA.read_text(encoding="utf-8"))


def _import(data, path):
    from toolkit.datafile import write_data
    write_data(data, path)
    return path


def _drop_codes(data, codes, tables=("t2", "t3", "t5")):
    for t in tables:
        data[t]["items"] = [r for r in data[t]["items"] if r["code"] not in codes]
    return data


@pytest.mark.parametrize("absent", [("20103",), ("20805",), ("201", "20103")])
def test_orphan_rows_are_counted_once(tmp_path, absent):
    """A 项 whose 款 row (or 类 and 款) is left out counts once into its 类 and into 表1/表4's 类 rows
    (the figures of 201 are 57.41 + 150.00 = 207.41 whichever rows above the 项 are present)."""
    src = _import(_drop_codes(_seed_data(), absent), tmp_path / "orphan.xlsx")
    out, plan = fill(src, tmp_path / "filled.xlsx")
    f = toolkit.load(out)
    by_code = {r.get("code"): r for r in f.rows("t3")}
    if "201" in by_code:
        assert by_code["201"].get("total") == Decimal("207.41")
        assert by_code["201"].get("basic") == Decimal("57.41")
    if "208" in by_code:
        assert by_code["208"].get("total") == Decimal("7.64")
    assert f.get("t3", "total", "total") == Decimal("224.32")  # 207.41 + 7.64 + 3.34 + 5.93
    for t, col in (("t1", "ex_total"), ("t4", "ex_sub")):
        assert f.get(t, "c201", col) == Decimal("207.41"), (t, f.get(t, "c201", col))
        assert f.get(t, "c208", col) == Decimal("7.64")
    assert f.get("t1", "subtotal", "ex_total") == Decimal("224.32")
    # the missing rows stay findings (C202), the totals are not: no A/X error on the filled file
    fs = validate(f)
    assert {x.rule for x in fs if x.rule == "C202"} == {"C202"}
    assert not [x for x in fs if x.rule[0] in "AX" and x.severity == "error" and x.rule != "X407"], \
        [(x.rule, x.sheet, x.cell, x.message) for x in fs if x.rule[0] in "AX"]


def test_fill_keeps_a_typed_name_that_disagrees_with_its_code(tmp_path):
    """The clerk typed 2101101 (行政单位医疗) for the row named 事业单位医疗: fill keeps the name,
    the mismatch stays a C203 finding on the filled file (the wrong code does not vanish)."""
    data = _seed_data()
    for t in ("t2", "t3", "t5"):
        for r in data[t]["items"]:
            if r["code"] == "2101102":
                r["code"] = "2101101"
    src = _import(data, tmp_path / "wrong-code.xlsx")
    out, plan = fill(src, tmp_path / "filled.xlsx")
    f = toolkit.load(out)
    row = next(r for r in f.rows("t3") if r.get("code") == "2101101")
    assert row.get("name") == "事业单位医疗"
    assert ("t3", row.key, "name") in plan.names_kept
    assert not [k for k in plan.changes if k[2] == "name"]
    c203 = [x for x in validate(f) if x.rule == "C203"]
    assert {x.sheet for x in c203} == {"表2 收入总表", "表3 支出总表", "表5 一般公共预算支出表"}
    assert all("行政单位医疗" in x.message and "事业单位医疗" in x.message for x in c203)
    # a blank name is still filled from the code
    e = f.entry("t3", row.key, "name")
    writer.write_cells(out, {"表3 支出总表": {e.cell: None}}, tmp_path / "blank-name.xlsx")
    out2, _ = fill(tmp_path / "blank-name.xlsx", tmp_path / "filled2.xlsx")
    assert toolkit.load(out2).get("t3", row.key, "name") == "行政单位医疗"


def test_import_keeps_text_beginning_with_equals_as_text(tmp_path):
    """`bdt import`: text that begins with “=” is written as text, never as a formula."""
    data = _seed_data()
    data["notes"]["other"] = "=无另需说明情况"
    data["narrative"]["s12_2"] = "=SUM(A1:A9)"
    data["perf_project"][0]["indicators"][0]["value_period"] = "=100%"
    data["info"]["dept_name"] = "=忻州市人民政府驻北京联络处"
    path = _import(data, tmp_path / "eq.xlsx")
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    d = toolkit.load(path)
    assert d.get("notes", "other") == "=无另需说明情况"
    assert d.get("narrative", "s12_2") == "=SUM(A1:A9)"
    assert d.dept_name == "=忻州市人民政府驻北京联络处"
    wb = openpyxl.load_workbook(path)
    cell = wb[d.entry("narrative", "s12_2").sheet][d.entry("narrative", "s12_2").cell]
    assert cell.value == "=SUM(A1:A9)" and cell.data_type == "s"
    from toolkit.datafile import dump
    assert dump(d)["narrative"]["s12_2"] == "=SUM(A1:A9)"


def _without_projects(data):
    """The seed as a department without projects: 表12 empty, no 项目绩效 form, no project money."""
    for t in ("t2", "t3", "t5"):
        data[t]["items"] = [r for r in data[t]["items"] if r["code"] != "2010399"]
        for r in data[t]["items"]:
            r.pop("project", None)
    data.pop("perf_project")
    data["t12"] = {"_note": "注：本表无数据"}
    for k in ("perf_count", "perf_amount"):
        data["notes"].pop(k)
    data.pop("narrative")
    return data


def test_department_without_projects_has_no_finding_on_the_blank_project_form(tmp_path):
    src = _import(_without_projects(_seed_data()), tmp_path / "noproj.xlsx")
    d = toolkit.load(src)
    assert d.projects == ["perf_project#1"]  # the template's one blank form
    out, _ = fill(src, tmp_path / "filled.xlsx")
    for book in (src, out):
        found = [(f.rule, f.cell) for f in validate(toolkit.load(book)) if f.sheet == "项目绩效1" and f.severity != "info"]
        assert found == [], (book.name, found)
    # a form the clerk began is checked: its empty 项目名称 is an error again
    e = d.entry("perf_project#1", "implementer")
    begun = writer.write_cells(src, {e.sheet: {e.cell: "忻州市人民政府驻北京联络处"}}, tmp_path / "begun.xlsx")
    assert ("F111", "项目绩效1", "B3") in {(f.rule, f.sheet, f.cell) for f in validate(toolkit.load(tmp_path / "begun.xlsx"))}
