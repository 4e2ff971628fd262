"""Waivers with a reason (issue 16.5), on the seed example and copies of it edited with openpyxl.

The seed has 4 errors as submitted (N504, N505 at 情况说明!B11, P604 at 部门整体绩效目标!E6, P601 at
项目绩效3!B3) and 16 in the filled workbook export publishes (12 more: N501/N504 where the clerk's
text states the figures fill corrects, X407). Waiving every one of them lets export through
without --force, not as a draft; changing a waived figure re-opens its finding and refuses export.
"""
import csv
import json
import shutil
import zipfile

import openpyxl
import pytest
import yaml

import toolkit
from conftest import EXAMPLE, edit_workbook, rgb
from toolkit.cli import main
from toolkit.export import ExportRefused, export
from toolkit.export.check import DRAFT_MARK
from toolkit.findings import MARK_RGB, WAIVED, open_errors, summary
from toolkit.rules import validate
from toolkit.waivers import WAIVERS_FILE, WaiverError, Waivers, make, parse

SUBMITTED_ERRORS = {("N504", "情况说明", "B11"), ("N505", "情况说明", "B11"), ("P604", "部门整体绩效目标", "E6"),
                    ("P601", "项目绩效3", "B3")}


def _errors(findings) -> set:
    return {(f.rule, f.sheet, f.cell) for f in open_errors(findings)}


@pytest.fixture(scope="module")
def all_errors_file(tmp_path_factory):
    """A waiver file covering every error of the seed, submitted and filled (made by the library
    function bdt waive calls, one call per rule)."""
    d = toolkit.load(EXAMPLE)
    w = Waivers(path=tmp_path_factory.mktemp("w") / WAIVERS_FILE)
    for code in ("N501", "N504", "N505", "P601", "P604", "X407"):
        w.add(make(d, code, None, f"{code} 经核实可以接受", "张三", at="2026-12-01"))
    return w.save()


@pytest.fixture
def book(tmp_path, all_errors_file):
    """A copy of the seed with the full waiver file beside it."""
    p = tmp_path / "单位.xlsx"
    shutil.copy(EXAMPLE, p)
    shutil.copy(all_errors_file, tmp_path / WAIVERS_FILE)
    return p


def test_the_seed_has_the_errors_this_file_is_about():
    assert _errors(validate(toolkit.load(EXAMPLE))) == SUBMITTED_ERRORS


def test_every_error_waived_validate_shows_them_waived_and_export_is_not_a_draft(book, capsys):
    w = Waivers.beside(book)
    assert len(w) == 16  # 4 submitted + 12 only in the filled workbook (after_fill)
    assert sum(x.after_fill for x in w.items) == 12
    d = toolkit.load(book)
    findings = validate(d, waivers=w)
    waived = [f for f in findings if f.waived is not None]
    assert {(f.rule, f.sheet, f.cell) for f in waived} == SUBMITTED_ERRORS  # still in the list, marked
    assert open_errors(findings) == [] and summary(findings)["error"] == 0 and summary(findings)["waived"] == 4
    assert len(findings) == len(validate(d))  # nothing removed
    outcome = w.outcome(d)
    assert len(outcome.applied) == 4 and outcome.stale == [] and outcome.unused == []
    assert len(outcome.pending) == 12  # waivers of the filled workbook: checked at export, not "unused"

    # bdt validate: exit 0, the waived ones in their own section with reason and who
    assert main(["validate", str(book)]) == 0
    out = capsys.readouterr().out
    assert "已豁免（经审核，不计入错误）" in out and "已豁免：N504 经核实可以接受（张三，2026-12-01）" in out
    assert "错误 0 项" in out and "已豁免 4 项" in out
    assert main(["validate", str(book), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["files"][0]
    assert data["summary"]["error"] == 0 and data["summary"]["waived"] == 4
    assert {f["rule"] for f in data["findings"] if "waived" in f} == {"N504", "N505", "P604", "P601"}
    assert data["findings"][[f.get("waived") is not None for f in data["findings"]].index(True)]["waived"]["by"] == "张三"
    assert main(["validate", str(book), "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert '<table class="waived">' in page and "P604 经核实可以接受" in page

    # export: no --force needed, not a draft, the waivers recorded in the data package
    result = export(d, ["data", "html"], book.parent / "out", waivers=w)
    assert not result.draft and result.status.errors == [] and len(result.status.waived) == 16
    pkg = json.loads((book.parent / "out" / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert pkg["bdt"]["status"] == "validated"
    assert len(pkg["bdt"]["waivers"]) == 16 and pkg["bdt"]["waivers"][0]["waived"]["by"] == "张三"
    assert "已豁免（经审核）" in pkg["bdt"]["status_note"] and DRAFT_MARK not in pkg["bdt"]["status_note"]
    assert DRAFT_MARK not in result["html"].read_text(encoding="utf-8")
    # the command line finds bdt-waivers.yaml beside the workbook
    assert main(["export", str(book), "--to", "data", "--out", str(book.parent / "cli")]) == 0
    assert "已豁免 16 个“错误”级问题" in capsys.readouterr().err


def test_without_the_waivers_export_is_refused_as_before(tmp_path):
    with pytest.raises(ExportRefused) as exc:
        export(EXAMPLE, ["data"], tmp_path)
    assert len(exc.value.errors) == 16


def test_a_changed_figure_reopens_the_finding_and_export_is_refused_again(book, capsys):
    # 在编人员数 10 → 9: still more than the 6 in post (P604 stays), but not the figure waived
    edit_workbook(book, {("部门整体绩效目标", "E6"): 9})
    w = Waivers.beside(book)
    d = toolkit.load(book)
    findings = validate(d, waivers=w)
    assert _errors(findings) == {("P604", "部门整体绩效目标", "E6")}
    outcome = w.outcome(d)
    assert [(x.rule, x.cell) for x, _ in outcome.stale] == [("P604", "E6")]
    assert outcome.stale[0][1][0].actual == 9
    line = outcome.lines()[0]
    assert line.startswith("豁免不再适用") and "豁免时 应为 ≤6、实际 10" in line and "实际 9" in line
    assert main(["validate", str(book)]) == 1
    out = capsys.readouterr().out
    assert "【豁免记录】" in out and "豁免不再适用" in out and "错误 1 项" in out
    with pytest.raises(ExportRefused) as exc:
        export(d, ["data"], book.parent / "out", waivers=w)
    assert [(f.rule, f.cell) for f in exc.value.errors] == [("P604", "E6")]
    assert main(["export", str(book), "--to", "data", "--out", str(book.parent / "cli")]) == 1
    err = capsys.readouterr().err
    assert "未导出" in err and "豁免不再适用" in err
    # --force still makes a draft
    assert export(d, ["data"], book.parent / "draft", force=True, waivers=w).draft


def test_a_rewritten_paragraph_reopens_its_finding_even_with_the_same_numbers(book):
    """The cell content is part of the figure: 情况说明!B11 rewritten (still saying 相同)."""
    text = toolkit.load(book).get("narrative", "s7")
    edit_workbook(book, {("情况说明", "B11"): text.replace("预算9.00万元", "预算 9.00 万元")})
    w = Waivers.beside(book)
    d = toolkit.load(book)
    assert {("N504", "情况说明", "B11"), ("N505", "情况说明", "B11")} <= _errors(validate(d, waivers=w))
    assert {x.rule for x, _ in w.outcome(d).stale} == {"N504", "N505"}


def test_unused_waiver_listed_when_its_finding_is_gone(book, capsys):
    edit_workbook(book, {("项目绩效3", "B3"): "办公用房租赁费"})  # the project name corrected: P601 gone
    w = Waivers.beside(book)
    d = toolkit.load(book)
    findings = validate(d, waivers=w)
    assert ("P601", "项目绩效3", "B3") not in {(f.rule, f.sheet, f.cell) for f in findings}
    assert [(x.rule, x.cell) for x in w.outcome(d).unused] == [("P601", "B3")]
    assert main(["validate", str(book), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["files"][0]
    assert [x["rule"] for x in data["waivers"]["unused"]] == ["P601"]
    assert main(["validate", str(book)]) == 0
    assert "豁免未使用" in capsys.readouterr().out


def test_bdt_waive_writes_a_waiver_that_then_applies(tmp_path, capsys):
    p = tmp_path / "单位.xlsx"
    shutil.copy(EXAMPLE, p)
    assert main(["waive", str(p), "--rule", "P604", "--cell", "部门整体绩效目标!E6", "--reason", "含借调人员，已核实",
                 "--by", "李四"]) == 0
    out = capsys.readouterr().out
    assert "已豁免 P604 「部门整体绩效目标」E6：应为 ≤6，实际 10" in out
    entries = yaml.safe_load((tmp_path / WAIVERS_FILE).read_text(encoding="utf-8"))["waivers"]
    assert len(entries) == 1
    e = entries[0]
    assert (e["rule"], e["sheet"], e["cell"], e["expected"], e["actual"], e["content"]) == \
        ("P604", "部门整体绩效目标", "E6", "≤6", "10", "10")
    assert e["department"] == "忻州市人民政府驻北京联络处" and e["department_code"] == "104"
    assert e["reason"] == "含借调人员，已核实" and e["by"] == "李四" and e["at"] and "after_fill" not in e
    # it applies: validate lists P604 as waived, the other three errors stay open
    assert main(["validate", str(p)]) == 1
    out = capsys.readouterr().out
    assert "已豁免：含借调人员，已核实（李四" in out and "错误 3 项" in out
    # the same waiver again replaces it (one entry), another appends
    assert main(["waive", str(p), "--rule", "P604", "--cell", "部门整体绩效目标!E6", "--reason", "再次", "--by", "李四"]) == 0
    assert main(["waive", str(p), "--rule", "N504", "--reason", "口径", "--by", "李四"]) == 0  # every N504, both views
    capsys.readouterr()
    entries = yaml.safe_load((tmp_path / WAIVERS_FILE).read_text(encoding="utf-8"))["waivers"]
    assert [(x["rule"], x["cell"], x.get("after_fill", False)) for x in entries] == \
        [("P604", "E6", False), ("N504", "B11", False), ("N504", "B2", True), ("N504", "B6", True)]
    assert entries[0]["reason"] == "再次"


def test_bdt_waive_refuses_when_there_is_no_such_finding(tmp_path, capsys):
    p = tmp_path / "单位.xlsx"
    shutil.copy(EXAMPLE, p)
    assert main(["waive", str(p), "--rule", "N503", "--cell", "情况说明!B12", "--reason", "x", "--by", "张三"]) == 1
    err = capsys.readouterr().err
    assert "没有可以豁免的问题" in err and "「情况说明」B12" in err and "N503" in err
    assert main(["waive", str(p), "--rule", "P601", "--cell", "情况说明!B11", "--reason", "x", "--by", "张三"]) == 1
    assert "该处现有的问题：" in capsys.readouterr().err  # names the rules that are there (N504、N505 …)
    assert main(["waive", str(p), "--rule", "N504", "--cell", "B11", "--reason", "x", "--by", "张三"]) == 1
    assert "缺少工作表名称" in capsys.readouterr().err
    assert not (tmp_path / WAIVERS_FILE).exists()  # nothing written


def test_a_waiver_for_another_department_does_not_apply(book):
    data = yaml.safe_load(book.with_name(WAIVERS_FILE).read_text(encoding="utf-8"))
    for e in data["waivers"]:
        e["department"], e["department_code"] = "忻州市审计局", "105"
    book.with_name(WAIVERS_FILE).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    w = Waivers.beside(book)
    d = toolkit.load(book)
    assert _errors(validate(d, waivers=w)) == SUBMITTED_ERRORS
    assert w.outcome(d).unused == [] and w.outcome(d).stale == []  # not this department's waivers at all
    with pytest.raises(ExportRefused):
        export(d, ["data"], book.parent / "out", waivers=w)
    # the same code with another name: the code decides; the name alone (no code) matches by name
    for e in data["waivers"]:
        e["department"], e["department_code"] = "别的名称", "104"
    assert open_errors(validate(d, waivers=Waivers(parse(yaml.safe_dump(data, allow_unicode=True))))) == []
    for e in data["waivers"]:
        e["department"] = "忻州市人民政府驻北京联络处"
        del e["department_code"]
    assert open_errors(validate(d, waivers=Waivers(parse(yaml.safe_dump(data, allow_unicode=True))))) == []


def test_hand_written_figures_compare_as_numbers():
    text = """
waivers:
  - department: "104"
    rule: P604
    cell: 部门整体绩效目标!E6
    actual: 10.00
    reason: 手工填写
    by: 王五
"""
    w = Waivers(parse(text))
    findings = validate(toolkit.load(EXAMPLE), waivers=w)
    assert [(f.rule, f.waived.by) for f in findings if f.waived is not None] == [("P604", "王五")]


@pytest.mark.parametrize("text, words", [
    ("waivers:\n  - rule: P604\n    sheet: 部门整体绩效目标\n    cell: E6\n    department: '104'\n    actual: '10'\n    by: 张三\n",
     ["第 1 条", "缺少“reason”"]),
    ("waivers:\n  - {rule: P604, sheet: a, cell: E6, department: x, actual: 1, reason: r, by: b}\n"
     "  - {rule: P604, sheet: a, cell: E6, department: x, actual: 1, reson: r, by: b}\n",
     ["第 2 条", "不认识的项「reson」"]),
    ("waivers:\n  - {rule: Q999, sheet: a, cell: E6, department: x, actual: 1, reason: r, by: b}\n",
     ["第 1 条", "没有编号为「Q999」"]),
    ("waivers:\n  - {rule: P604, sheet: a, cell: 第六格, department: x, actual: 1, reason: r, by: b}\n",
     ["第 1 条", "不是单元格地址"]),
    ("waivers:\n  - {rule: P604, sheet: a, cell: E6, department: x, reason: r, by: b}\n",
     ["第 1 条", "没有记录豁免时的数字"]),
    ("waivers:\n  - {rule: P604, sheet: a, cell: E6, actual: 1, reason: r, by: b}\n", ["第 1 条", "缺少“department”"]),
    ("waivers:\n  - rule: P604\n   sheet: [\n", ["不是有效的 YAML", "行"]),
    ("waivers: 5\n", ["应为一列豁免"]),
    ("- 就一句话\n", ["第 1 条", "应为“键: 值”"]),
])
def test_a_malformed_waiver_file_names_the_file_and_the_entry(tmp_path, capsys, text, words):
    f = tmp_path / "bureau-waivers.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(WaiverError) as exc:
        Waivers.load(f)
    assert "「bureau-waivers.yaml」" in exc.value.message
    for word in words:
        assert word in exc.value.message, exc.value.message
    assert main(["validate", str(EXAMPLE), "--waivers", str(f)]) == 2
    assert "bureau-waivers.yaml" in capsys.readouterr().err


def test_a_malformed_file_beside_the_workbook_is_reported_for_it(book, capsys):
    book.with_name(WAIVERS_FILE).write_text("waivers:\n  - {rule: P604}\n", encoding="utf-8")
    assert main(["validate", str(book)]) == 2
    out = capsys.readouterr().out
    assert "无法读取" in out and WAIVERS_FILE in out and "第 1 条" in out
    assert main(["export", str(book), "--to", "data", "--out", str(book.parent / "o")]) == 2
    assert "第 1 条" in capsys.readouterr().err


def test_annotate_marks_waived_cells_light_grey_and_says_so(book, tmp_path):
    w = Waivers.beside(book)
    out = tmp_path / "标注.xlsx"
    from toolkit.annotate import annotate

    marked = annotate(book, out, waivers=w)
    assert marked.counts["error"] == 0 and marked.counts["waived"] == 4
    wb = openpyxl.load_workbook(out)
    assert rgb(wb["部门整体绩效目标"], "E6") == MARK_RGB[WAIVED]  # waived: grey, not red
    assert rgb(wb["项目绩效3"], "B3") == MARK_RGB[WAIVED]
    assert rgb(wb["部门整体绩效目标"], "C5") == MARK_RGB["warning"]  # an open warning keeps its colour
    rows = list(wb["校验结果"].iter_rows(values_only=True))
    assert "已豁免 4 项" in rows[0][0]
    e6 = [r for r in rows[2:] if r[2] == "部门整体绩效目标" and r[3] == "E6"][0]
    assert e6[0] == "已豁免（错误）" and "已豁免：P604 经核实可以接受（张三，2026-12-01）" in e6[4]
    # and the same copy from bdt validate --annotate
    assert main(["validate", str(book), "--annotate", str(tmp_path / "cli.xlsx")]) == 0
    assert rgb(openpyxl.load_workbook(tmp_path / "cli.xlsx")["部门整体绩效目标"], "E6") == MARK_RGB[WAIVED]


def test_batch_counts_waived_apart_and_exports_the_waived_department(tmp_path, all_errors_file):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    shutil.copy(EXAMPLE, inbox / "a.xlsx")
    other = edit_workbook(EXAMPLE, {("部门整体绩效目标", "E6"): 9}, out=inbox / "b.xlsx")  # P604 figure changed
    shutil.copy(all_errors_file, inbox / WAIVERS_FILE)
    assert main(["batch", str(inbox), "--out", str(tmp_path / "out"), "--export", "data", "-j", "1",
                 "--no-progress"]) == 1  # b still has an open error
    rows = {r["文件"].rsplit("/", 1)[-1]: r for r in
            csv.DictReader((tmp_path / "out" / "summary.csv").read_text(encoding="utf-8-sig").splitlines())}
    assert (rows["a.xlsx"]["错误"], rows["a.xlsx"]["已豁免"], rows["a.xlsx"]["status"]) == ("0", "16", "ok")
    assert (rows["b.xlsx"]["错误"], rows["b.xlsx"]["已豁免"], rows["b.xlsx"]["status"]) == ("1", "15", "errors")
    assert other.exists()
    a = tmp_path / "out" / rows["a.xlsx"]["输出文件夹"]
    pkg = json.loads(next(a.rglob("datapackage.json")).read_text(encoding="utf-8"))
    assert pkg["bdt"]["status"] == "validated"
    b = tmp_path / "out" / rows["b.xlsx"]["输出文件夹"]
    assert not list(b.rglob("datapackage.json"))  # refused: an error that is not waived
    report = json.loads((b / "findings.json").read_text(encoding="utf-8"))["files"][0]
    assert [x["rule"] for x in report["waivers"]["stale"]] == ["P604"]
    assert "已豁免" in (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")


def test_excel_buttons_use_the_waivers_beside_the_workbook(book, monkeypatch):
    """校验 paints waived cells grey and lists them as 已豁免; 导出 asks nothing and is no draft."""
    import os
    import sys

    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    xw = pytest.importorskip("xlwings")
    from conftest import ROOT
    from toolkit import excel

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from xlpayload import payload

    monkeypatch.chdir(book.parent)  # the remote engine's fullname is the file's name
    b = xw.Book(json=payload(book))
    result = excel.validate(b)
    assert result["summary"]["error"] == 0 and result["summary"]["waived"] == 4
    colours = [a for a in b.json()["actions"] if a["func"] == "setRangeColors"]
    assert any(("#" + MARK_RGB[WAIVED]).lower() in str(a["args"]).lower() for a in colours)
    assert not any(excel.MARK["error"].lower() in str(a["args"]).lower() for a in colours)  # no red left
    b = xw.Book(json=payload(book))
    out = excel.export(b, formats="data", confirm=lambda q: pytest.fail("asked for a draft: " + q))
    assert out["draft"] is False
    dp = json.loads((book.parent / "单位-公开" / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert dp["bdt"]["status"] == "validated" and len(dp["bdt"]["waivers"]) == 16


def test_serve_jobs_use_the_bureaus_waiver_file(book, tmp_path):
    """bdt serve: bdt-waivers.yaml in the data folder; the check counts waived apart, the export zip is no draft."""
    pytest.importorskip("starlette")
    from toolkit.serve import jobs

    data = jobs.check(str(book), str(tmp_path / "out"), "单位.xlsx", str(book.with_name(WAIVERS_FILE)))
    assert data["counts"]["error"] == 0 and data["counts"]["waived"] == 4 and data["status"] == "ok"
    assert sum(1 for f in data["findings"] if f["waived"]) == 4
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["files"][0]
    assert len(report["waivers"]["applied"]) == 4
    zipped = jobs.export_zip(str(book), str(tmp_path / "export.zip"), ("data",), str(book.with_name(WAIVERS_FILE)))
    assert zipped["draft"] is False and zipped["errors"] == 0
    with zipfile.ZipFile(tmp_path / "export.zip") as zf:
        assert json.loads(zf.read("data/datapackage.json"))["bdt"]["status"] == "validated"
    # without the file: as before (4 errors, a draft)
    assert jobs.check(str(book), str(tmp_path / "o2"), "单位.xlsx")["counts"]["error"] == 4
    assert jobs.export_zip(str(book), str(tmp_path / "e2.zip"), ("data",))["draft"] is True


def test_serve_result_page_shows_waived_findings(tmp_path, all_errors_file):
    """The running server (its own process) with bdt-waivers.yaml in its data folder: the result
    page of an uploaded seed shows 已豁免 4 and each waived finding's reason."""
    pytest.importorskip("starlette")
    from test_serve import Client, Server

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(all_errors_file, data / WAIVERS_FILE)
    with Server(data) as s:
        c = Client(s.url)
        ids = c.upload([("单位.xlsx", EXAMPLE.read_bytes())])
        items = c.wait(ids)
        assert items[0]["status"] == "ok" and items[0]["errors"] == 0
        status, _, body = c.get(f"/s/{ids[0]}")
        page = body.decode("utf-8")
        assert status == 200 and "已豁免 4" in page and "P604 经核实可以接受" in page


def test_the_bureau_waives_from_the_serve_result_page(tmp_path):
    """Only the bureau: its result page offers 豁免 per open error; posting it writes the data
    folder's bdt-waivers.yaml with the current figure and re-checks the submission."""
    pytest.importorskip("starlette")
    from test_serve import BUREAU, Client, Server

    data = tmp_path / "data"
    with Server(data) as s:
        clerk = Client(s.url)
        ids = clerk.upload([("单位.xlsx", EXAMPLE.read_bytes())])
        assert clerk.wait(ids)[0]["errors"] == 4
        fields = {"rule": "P604", "sheet": "部门整体绩效目标", "cell": "E6", "reason": "含借调人员", "by": "张三"}
        assert clerk.post(f"/s/{ids[0]}/waive", {"csrf": clerk.csrf(), **fields})[0] == 403  # not the bureau
        assert 'action="/s/' + ids[0] + '/waive"' not in clerk.get(f"/s/{ids[0]}")[2].decode("utf-8")
        bureau = Client(s.url)
        assert bureau.post("/bureau/login", {"csrf": bureau.csrf(), "password": BUREAU})[0] == 303
        page = bureau.get(f"/s/{ids[0]}")[2].decode("utf-8")
        assert page.count(f'action="/s/{ids[0]}/waive"') == 4  # one form per open error
        status, _, body = bureau.post(f"/s/{ids[0]}/waive", {"csrf": bureau.csrf(), **fields, "rule": "N503"})
        assert status == 400 and "没有可以豁免的问题" in body.decode("utf-8")
        assert bureau.post(f"/s/{ids[0]}/waive", {"csrf": bureau.csrf(), **fields})[0] == 303
        assert bureau.wait(ids)[0]["errors"] == 3
        entries = yaml.safe_load((data / WAIVERS_FILE).read_text(encoding="utf-8"))["waivers"]
        assert [(e["rule"], e["cell"], e["actual"], e["by"]) for e in entries] == [("P604", "E6", "10", "张三")]
        page = bureau.get(f"/s/{ids[0]}")[2].decode("utf-8")
        assert "已豁免 1" in page and "含借调人员" in page and page.count(f'action="/s/{ids[0]}/waive"') == 3
