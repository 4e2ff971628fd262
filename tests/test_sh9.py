"""The sh-9 schema (Shanghai district 9-table format in 元, 表9 in 万元) on its real example.

The example is 上海市普陀区人民政府万里街道办事处 2025年部门预算 as published (source in the YAML header).
The document has one genuine error: 款 21201 城乡社区管理事务 is printed 94,995,790 元 in 表2, 表3 and 表5
while its 项 (and 基本支出 + 项目支出) make 94,995,789; validate must report exactly that and nothing else.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from toolkit.cli import main, validate_files
from toolkit.datafile import load_data, write_data
from toolkit.io.reader import read_workbook
from toolkit.report import to_json, to_text
from toolkit.rules import validate
from toolkit.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_YAML = ROOT / "examples" / "shanghai-putuo-wanli-2025.yaml"
EXAMPLE = ROOT / "examples" / "shanghai-putuo-wanli-2025.xlsx"

#: the document's own 1 元 error, as the rules report it: (rule, sheet, cell)
KNOWN = {
    ("A303", "表2 收入预算总表", "C55"), ("A303", "表2 收入预算总表", "D55"),
    ("A303", "表2 收入预算总表", "C56"), ("A303", "表2 收入预算总表", "D56"),
    ("A303", "表3 支出预算总表", "C55"), ("A303", "表3 支出预算总表", "C56"), ("A306", "表3 支出预算总表", "C56"),
    ("A303", "表5 一般公共预算支出表", "C55"), ("A303", "表5 一般公共预算支出表", "C56"),
    ("A306", "表5 一般公共预算支出表", "C56"),
}


def _errors_and_warnings(d):
    return {(f.rule, f.sheet, f.cell) for f in validate(d) if f.severity in ("error", "warning")}


def test_the_real_example_gives_only_the_documents_own_error():
    d = read_workbook(EXAMPLE)
    assert d.schema.id == "sh-9" and d.dept_code in (None, "")  # 部门代码 is not published: no F111
    findings = validate(d)
    assert {(f.rule, f.sheet, f.cell) for f in findings if f.severity in ("error", "warning")} == KNOWN
    kuan = next(f for f in findings if f.rule == "A303" and f.sheet == "表3 支出预算总表" and f.cell == "C56")
    assert "94995790.00元" in kuan.message and "94995789.00元" in kuan.message and "相差 1.00元" in kuan.message
    # X407 (表8 total = 表5 基本支出) runs on this set and agrees: 101,341,746 both
    assert not any("X407" in s.codes for s in d.skipped_rules)
    assert d.amount("t6", "total", "total") == d.amount("t5", "total", "basic") == 101341746


def test_the_example_corrected_by_one_yuan_is_clean(tmp_path):
    data = load_data(EXAMPLE_YAML)
    for key in ("t2", "t3", "t5"):
        row = next(r for r in data[key]["items"] if r["code"] == "21201")
        row["total"] = "94995789"
        if key == "t2":
            row["fiscal"] = "94995789"
    wb = write_data(data, tmp_path / "fixed.xlsx", load_schema("sh-9"))
    assert _errors_and_warnings(read_workbook(wb)) == set()


def test_a_figure_changed_in_yuan_is_reported_in_yuan_at_its_cell(tmp_path):
    data = load_data(EXAMPLE_YAML)
    data["t1"]["c221"]["ex_total"] = "9364733"  # 表1 住房保障支出: 表3 says 9,364,732
    wb = write_data(data, tmp_path / "bad.xlsx", load_schema("sh-9"))
    d = read_workbook(wb)
    cell = d.entry("t1", "c221", "ex_total").cell
    new = _errors_and_warnings(d) - KNOWN
    assert new >= {("X401", "表1 财务收支预算总表", cell)}
    f = next(f for f in validate(d) if f.rule == "X401" and f.cell == cell)
    assert "元" in f.message and "万元" not in f.message and "1.00" in f.message


def test_the_wan_yuan_table_is_checked_in_wan_yuan(tmp_path):
    data = load_data(EXAMPLE_YAML)
    data["sangong"]["total"]["car_run"] = "21.66"  # 小计 36.56 = 15 + 21.56 no longer holds
    wb = write_data(data, tmp_path / "bad9.xlsx", load_schema("sh-9"))
    d = read_workbook(wb)
    cell = d.entry("sangong", "total", "car").cell
    f = next(f for f in validate(d) if f.cell == cell and f.sheet == "表9 三公经费和机关运行经费")
    assert f.rule == "A301" and f.severity == "error"
    assert "36.56万元" in f.message and "36.66万元" in f.message and "0.10万元" in f.message
    # the 万元 table with figures is not an empty table (D701 looks at every money column type)
    assert not any(x.rule == "D701" for x in validate(d))


def test_rules_this_set_cannot_run_are_listed_with_their_reason():
    [r] = validate_files([EXAMPLE])
    text = to_text([r])
    assert "未运行的规则" in text
    assert "X408：本表结构（sh-9）没有「t11」" in text and "本表结构（sh-9）没有「notes」" in text
    assert "N501" not in text.split("未运行的规则")[1]  # the 情况说明 rules run on the document's own text
    skipped = json.loads(to_json([r]))["files"][0]["skipped_rules"]
    assert any("t12" in s["missing"] and "X406" in s["rules"] for s in skipped)


def test_template_build_gives_a_workbook_the_reader_accepts(tmp_path):
    out = tmp_path / "sh9.xlsx"
    assert main(["template", "build", "--schema", "sh-9", "--out", str(out), "--no-xlsm"]) == 0
    d = read_workbook(out)
    assert d.schema.id == "sh-9"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[1:10] == ["表1 财务收支预算总表", "表2 收入预算总表", "表3 支出预算总表", "表4 财政拨款收支预算总表",
                                   "表5 一般公共预算支出表", "表6 政府性基金预算支出表", "表7 国有资本经营预算支出表",
                                   "表8 基本支出经济分类预算表", "表9 三公经费和机关运行经费"]
    captions = {ws.title: [c for row in ws.iter_rows(max_row=4, values_only=True) for c in row if isinstance(c, str)]
                for ws in wb.worksheets[1:10]}
    assert any("单位：万元" in c for c in captions["表9 三公经费和机关运行经费"])
    assert any("单位：元" in c for c in captions["表1 财务收支预算总表"])
    header = [c for row in wb["表2 收入预算总表"].iter_rows(max_row=6, values_only=True) for c in row if c]
    assert {"财政拨款收入", "事业收入", "事业单位经营收入", "其他收入"} <= set(header)


def test_exports_keep_table_9_in_wan_yuan(tmp_path):
    from toolkit.export import export

    outs = export(EXAMPLE, ["xlsx", "data"], tmp_path / "out", force=True)
    csv = (Path(outs["data"]) / "table09.csv").read_text(encoding="utf-8-sig").splitlines()
    head, row = csv[0].split(","), csv[1].split(",")
    assert row[head.index("amount_unit")] == "万元" and row[head.index("yuan_per_unit")] == "10000"
    assert row[head.index("jiguan")] == "464.64"
    t8 = (Path(outs["data"]) / "table08.csv").read_text(encoding="utf-8-sig").splitlines()
    assert t8[1].split(",")[t8[0].split(",").index("amount_unit")] == "元"
    ws = openpyxl.load_workbook(outs["xlsx"]).worksheets[-1]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert any(c.value == "单位：万元" for c in cells)
    figure = next(c for c in cells if c.value == 464.64)
    assert figure.number_format.startswith("0.00")


def test_serve_reads_a_sh9_workbook_by_its_own_schema(tmp_path):
    from test_serve import Client, Server

    with Server(tmp_path / "data") as server:
        c = Client(server.url)
        [sid] = c.upload([("万里街道.xlsx", EXAMPLE.read_bytes())])
        [item] = c.wait([sid])
        assert item["status"] != "unreadable", item
        assert (item["errors"], item["warnings"]) == (len(KNOWN), 0)
        status, _, body = c.get(f"/s/{sid}")
        page = body.decode("utf-8")
        assert status == 200 and "上海市普陀区人民政府万里街道办事处" in page
        assert "A303" in page and "94995789.00元" in page
        status, _, _ = c.post(f"/s/{sid}/export", {"csrf": c.csrf()})
        assert status == 303
        [item] = c.wait([sid], timeout=120, export=True)
        assert item["export"] == "done", item
        status, _, body = c.get(f"/s/{sid}/download/export.zip")
        assert status == 200
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        assert any(n.endswith("table09.csv") for n in names)


def test_xlsm_of_an_imported_sh9_workbook_records_the_sh9_project(tmp_path):
    from toolkit.vba.xlsm import _schema_of, project_guid

    wb = openpyxl.load_workbook(EXAMPLE)
    assert _schema_of(wb).id == "sh-9"
    assert project_guid(_schema_of(wb)) != project_guid(load_schema("sx-13"))


@pytest.mark.parametrize("sid", ["sh-9"])
def test_xlbook_reads_a_live_book_by_its_meta(sid, monkeypatch):
    """The Excel buttons read the open workbook through xlbook.read; a stand-in for the xlwings
    Book (the one layer that needs desktop Excel) over the real example file."""
    from toolkit import xlbook

    monkeypatch.delenv("BDT_SCHEMA", raising=False)
    src = openpyxl.load_workbook(EXAMPLE, data_only=False)

    class Range:
        def __init__(self, ws, a, b):
            self.ws, self.a, self.b = ws, a, b

        @property
        def options(self):
            return lambda **kw: self

        @property
        def value(self):
            return [[c.value for c in row] for row in
                    self.ws.iter_rows(min_row=self.a[0], max_row=self.b[0], min_col=self.a[1], max_col=self.b[1])]

    class Sheet:
        def __init__(self, ws):
            self.ws, self.name = ws, ws.title

        def range(self, a, b=None):
            return Range(self.ws, a, b or a)

        @property
        def used_range(self):
            class U:
                last_cell = type("C", (), {"row": self.ws.max_row, "column": self.ws.max_column})
            return U

    class Sheets(list):
        def __getitem__(self, key):
            return next(s for s in self if s.name == key) if isinstance(key, str) else list.__getitem__(self, key)

    class Book:
        name = EXAMPLE.name
        fullname = str(EXAMPLE)
        sheets = Sheets(Sheet(ws) for ws in src.worksheets)

    _, d = xlbook.read(Book())
    assert d.schema.id == sid
    assert {(f.rule, f.sheet, f.cell) for f in validate(d) if f.severity == "error"} == KNOWN


def test_x411_x412_compare_the_wan_yuan_table_with_the_yuan_tables(tmp_path):
    """表9 (万元) against 表8 (元): 机关运行经费 ≤ 公用经费; 30217 / 30231 ≤ 公务接待费 / 公务用车运行费.
    On the document itself both hold (464.64万元 ≤ 10,827,702 元; 13,500 元 = 1.35万元; 215,600 元 = 21.56万元)."""
    d = read_workbook(EXAMPLE)
    assert not any(f.rule in ("X411", "X412") for f in validate(d))
    data = load_data(EXAMPLE_YAML)
    row = data["sangong"]["total"]
    row.update(jiguan="1100", reception="1.34", total="37.90")  # 1,100万元 > 公用经费; 1.34万元 < 13,500 元
    d = read_workbook(write_data(data, tmp_path / "x41.xlsx", load_schema("sh-9")))
    got = {f.rule: f for f in validate(d) if f.rule in ("X411", "X412")}
    assert got["X411"].sheet == "表9 三公经费和机关运行经费" and got["X411"].cell == d.entry("sangong", "total", "jiguan").cell
    assert "1100.00万元（11000000.00元）" in got["X411"].message and "10827702.00元" in got["X411"].message
    t6_30217 = next(r for r in d.rows("t6") if r.code == "30217")
    assert (got["X412"].sheet, got["X412"].cell) == ("表8 基本支出经济分类预算表", t6_30217.entries["total"].cell)
    assert "13500.00元" in got["X412"].message and "1.34万元（13400.00元" in got["X412"].message
    # 1.35 万元 is exactly 13,500 元: no finding at the boundary
    row.update(jiguan="464.64", reception="1.35", total="37.91")
    d = read_workbook(write_data(data, tmp_path / "x41ok.xlsx", load_schema("sh-9")))
    assert not any(f.rule in ("X411", "X412") for f in validate(d))


def test_a_table_unit_that_contradicts_its_columns_is_a_schema_error(tmp_path):
    import yaml

    from toolkit.schema import SchemaError, schema_path

    data = yaml.safe_load(schema_path("sh-9").read_text(encoding="utf-8"))
    t = next(s for s in data["sheets"] if s["key"] == "sangong")
    for c in t["columns"]:
        c["type"] = "amount"  # 元, while the table says 单位：万元
    data["id"] = "sh-9-bad"
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(SchemaError, match="sangong: unit: 万元，而列 total 的类型 amount 的单位是 元"):
        load_schema(p)


def test_importing_the_sh9_data_without_its_schema_names_the_schema(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("BDT_SCHEMA", raising=False)
    assert main(["import", str(EXAMPLE_YAML), "--out", str(tmp_path / "x.xlsx")]) != 0
    err = capsys.readouterr()
    assert "没有的表：sangong" in err.err + err.out and "请加 --schema sh-9" in err.err + err.out


def test_the_documents_own_narrative_is_checked_against_the_yuan_tables(tmp_path):
    """The 编制说明 writes 万元 (“收入预算18,976.76万元”), the tables 元 (189,767,551): they agree; a
    changed figure is N501 at its paragraph, converted to 元. The 文号 沪府规【2016】168号 is not a gap (N508)."""
    d = read_workbook(EXAMPLE)
    said = [f for f in validate(d) if f.sheet == "情况说明"]
    assert {f.rule for f in said} == {"N511"} and all(f.severity == "info" for f in said)
    data = load_data(EXAMPLE_YAML)
    data["narrative"]["s2"] = data["narrative"]["s2"].replace("收入预算18,976.76万元", "收入预算18,976.86万元")
    d = read_workbook(write_data(data, tmp_path / "n.xlsx", load_schema("sh-9")))
    [f] = [f for f in validate(d) if f.rule == "N501"]
    assert (f.sheet, f.cell) == ("情况说明", d.entry("narrative", "s2").cell) and f.severity == "error"
    assert "189768600.00 元" in f.message and "189767551.00 元" in f.message and "相差 1049.00 元" in f.message


def test_the_export_prints_the_documents_own_sections(tmp_path):
    from toolkit.export import export

    outs = export(EXAMPLE, ["html"], tmp_path / "out", force=True)
    page = Path(outs["html"]).read_text(encoding="utf-8")
    for title in ("2025年部门预算编制说明和其他相关情况说明", "“三公”经费预算情况说明", "项目经费情况说明"):
        assert f">{title}</h" in page
    assert "四、财政拨款收支预算总体情况说明" not in page  # sx-13's outline is not printed over it
    assert "2025年“三公”经费预算数为37.91万元" in page and ">一、项目概况<" in page
