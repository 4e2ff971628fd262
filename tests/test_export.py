"""Export end to end on the seed example: every format written, then read back as a reader would.

The seed is published with mistakes (validate reports errors), so these exports use force=True.
Figures: the export uses the *filled* model, so the tables carry the corrected totals — e.g. 表3
合计 224.32 (57.41 + 150.00 + 7.64 + 3.34 + 5.93), not the published 224.31, and 表6 公用经费 6.83.
The 情况说明 paragraphs are the clerk's own text (kept by fill), so they still say 224.31.
"""
import csv
import re
import subprocess
import zipfile
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest

import toolkit
from conftest import EXAMPLE, edit_workbook, need_tool
from toolkit.export import ExportRefused, export, output_stem, parse_formats, safe_name
from toolkit.export.document import Values, build_document, build_table, fmt_value, neutralise
from toolkit.fill import compute
from toolkit.layout import layout
from toolkit.schema import TableSpec

TITLES = [t.title.replace("{year}", "2023") for t in toolkit.load_schema().tables]
MAX_PDF = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def seed():
    return toolkit.load(EXAMPLE)


@pytest.fixture(scope="module")
def filled(seed):
    return Values(seed, compute(seed).values)


@pytest.fixture(scope="module")
def out(tmp_path_factory, seed):
    d = tmp_path_factory.mktemp("export")
    return export(EXAMPLE, "pdf,docx,xlsx,html,data", d, force=True)


def pdftext(path, first=None, last=None, layout_mode=False) -> str:
    exe = need_tool("pdftotext")
    args = [exe]
    if layout_mode:
        args.append("-layout")
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pages(out):
    """The text of every page of the PDF (squashed), index 1 = first page."""
    exe = need_tool("pdfinfo")
    info = subprocess.run([exe, str(out["pdf"])], capture_output=True, text=True, check=True).stdout
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return [""] + [pdftext(out["pdf"], i, i, layout_mode=True) for i in range(1, n + 1)]


@pytest.fixture(scope="module")
def body_start(pages):
    """Physical page number of the page numbered 1 (after the cover and the 目录)."""
    return next(i for i, p in enumerate(pages) if re.search(r"^\s*-\s*1\s*-\s*$", p, re.M))


# ------------------------------------------------------------------------------ all formats


def test_every_format_is_written_with_the_published_name(out, seed):
    stem = "忻州市人民政府驻北京联络处-2023年部门预算公开"
    assert output_stem(seed) == stem
    for fmt in ("pdf", "docx", "xlsx", "html"):
        assert out[fmt].name == f"{stem}.{fmt}"
        assert out[fmt].stat().st_size > 1000
    assert out["data"].is_dir() and (out["data"] / "datapackage.json").exists()
    assert out["pdf"].stat().st_size <= MAX_PDF


# ------------------------------------------------------------------------------ PDF


def test_pdf_has_every_table_title_and_the_filled_figures(out, pages, body_start):
    text = squash("".join(pages))
    for title in TITLES:
        assert squash(title) in text, title
    assert text.count("注：本表无数据") == 5  # 表7 表8 表9 表11 表13
    # the page of 表3: corrected totals, not the published ones
    p3 = next(p for p in pages[body_start:] if squash(TITLES[2]) in squash(p))
    assert re.search(r"合计\s+224\.32\s+74\.32\s+150\.00", p3)
    assert "224.31" not in p3
    assert re.search(r"2010350\s+事业运行\s+57\.41\s+57\.41", p3)
    p6 = next(p for p in pages[body_start:] if squash(TITLES[5]) in squash(p))
    # 表6 as filled: 公用经费 6.83 (the items add up to 6.83, published 6.84); 合计 74.31
    assert re.search(r"合计\s+74\.31\s+67\.48\s+6\.83", p6)
    # 元 amounts with thousands separators on the project forms; the clerk's narrative kept as written
    assert "700,000" in text
    assert "2023年度预算收入总计224.31万元" in text
    for heading in ("第一部分概况", "第三部分2023年度部门预算情况说明", "第四部分名词解释",
                    "一般公共预算当年拨款结构图", "三公经费分布图", "项目支出绩效目标申报表"):
        assert heading in text


def test_pdf_toc_page_numbers_match_the_pages_of_the_headings(pages, body_start):
    assert body_start >= 3  # cover, 目录, then page 1
    toc = "\n".join(pages[2:body_start])
    entries = re.findall(r"^\s*(\S.*?)\s*\.{4,}\s+(\d+)\s*$", toc, re.M)
    titles = [squash(t) for t, _ in entries]
    assert len(entries) >= 30
    for title in TITLES + ["第一部分概况", "第四部分名词解释", "十二、其他说明"]:
        assert squash(title) in titles, title
    for title, number in entries:
        page = body_start + int(number) - 1
        assert squash(title) in squash(pages[page]), (title, number)
        # and the page carries that number in its footer
        assert re.search(rf"^\s*-\s*{number}\s*-\s*$", pages[page], re.M), (title, number)


def test_pdf_embeds_a_subset_of_the_cjk_font(out):
    exe = need_tool("pdffonts")
    lines = subprocess.run([exe, str(out["pdf"])], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert lines
    cjk = [ln for ln in lines if "WenQuanYi" in ln or "Hei" in ln or "Song" in ln]
    assert cjk
    for ln in lines:  # every font embedded, as a subset
        cols = ln.split()
        assert cols[-5:-2] == ["yes", "yes", "yes"], ln


def test_pdf_pages_render(out, tmp_path):
    exe = need_tool("pdftoppm")
    subprocess.run([exe, "-r", "20", "-png", "-f", "1", "-l", "3", str(out["pdf"]), str(tmp_path / "p")], check=True)
    assert len(list(tmp_path.glob("p-*.png"))) == 3


@pytest.fixture(scope="module")
def long_table(tmp_path_factory):
    """The seed with 55 projects in 表12, so that the table runs over more than one page."""
    d = tmp_path_factory.mktemp("long")
    spec = toolkit.load_schema().sheet("t12")
    lay = layout(spec)
    first, _ = lay.block_rows["items"]
    edits = {}
    for i in range(55):
        edits[(spec.sheet, f"A{first + i}")] = f"测试项目{i + 1:02d}"
        edits[(spec.sheet, f"C{first + i}")] = 1 + i
    src = edit_workbook(EXAMPLE, edits, d / "long.xlsx")
    return export(src, ["pdf"], d, force=True)["pdf"]


def test_pdf_repeats_table_header_rows_on_every_page_of_a_long_table(long_table):
    exe = need_tool("pdfinfo")
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run([exe, str(long_table)], capture_output=True,
                                                         text=True).stdout).group(1))
    texts = [pdftext(long_table, i, i, layout_mode=True) for i in range(1, n + 1)]
    title = squash(TITLES[11])
    first = next(i for i, t in enumerate(texts) if re.search(r"^\s*-\s*1\s*-\s*$", t, re.M))
    start = next(i for i, t in enumerate(texts) if i >= first and title in squash(t))
    assert "测试项目01" in texts[start] and "测试项目55" not in texts[start]
    cont = texts[start + 1]
    assert "测试项目55" in cont
    assert title not in squash(cont).replace("续表：预算公开表12" + title, "")  # only in its 续表 line
    assert "续表：预算公开表12" + title in squash(cont) and "续表" not in texts[start]
    # the header (项目名称 … 一般公共预算 … column numbers 1–7) is repeated above the rows
    assert re.search(r"项目名称.*合计", cont)
    assert "一般公共预算" in cont
    assert re.search(r"\b1\s+2\s+3\s+4\s+5\s+6\s+7\b", cont)
    assert cont.index("项目名称") < cont.index("测试项目")


# ------------------------------------------------------------------------------ DOCX


def test_docx_has_the_tables_with_the_filled_values(out):
    import docx

    doc = docx.Document(str(out["docx"]))
    assert len(doc.tables) >= 13
    texts = [[[c.text for c in r.cells] for r in t.rows] for t in doc.tables]
    t3 = next(t for t in texts if t[0][:3] == ["项目", "项目", "2023年预算数"] and ["2010350", "事业运行", "57.41", "57.41", ""] in t)
    assert ["合计", "", "224.32", "74.32", "150.00"] in t3
    assert t3[1] == ["科目编码", "科目名称", "合计", "基本支出", "项目支出"]
    t10 = next(t for t in texts if any(r[0] == "②公务用车运行维护费" for r in t))
    assert ["②公务用车运行维护费", "9.00", "9.00", "", ""] in t10
    body = "\n".join(p.text for p in doc.paragraphs)
    for title in TITLES:
        assert title in body
    assert body.count("注：本表无数据") == 5
    # header rows marked to repeat, East Asian font set, page-number and TOC fields, two chart pictures
    with zipfile.ZipFile(out["docx"]) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        styles = z.read("word/styles.xml").decode("utf-8")
        footers = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("word/footer"))
        media = [z.read(n) for n in z.namelist() if n.startswith("word/media/")]
        settings = z.read("word/settings.xml").decode("utf-8")
    assert "<w:tblHeader/>" in xml
    assert 'w:eastAsia="宋体"' in styles
    assert " TOC " in xml and "PAGE" in footers
    assert "w:updateFields" not in settings  # the 目录 carries its page numbers (no update prompt)
    assert len(media) == 2
    from io import BytesIO

    from PIL import Image

    for png in media:  # the charts, drawn: not blank
        im = Image.open(BytesIO(png)).convert("RGB")
        assert im.size[0] > 800
        assert len(im.resize((60, 30)).getcolors(4096) or []) > 5


# ------------------------------------------------------------------------------ open data


def test_csvs_round_trip_to_the_filled_decimals(out, seed, filled):
    data = out["data"]
    import json

    dp = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    assert dp["currency"] == "CNY" and dp["unit"] == "万元" and dp["fiscalYear"] == 2023
    assert len(dp["resources"]) == 18  # 表1/4/9 as income + expenditure, + 2 performance files
    checked = 0
    for res in dp["resources"]:
        if "table" not in res["bdt"]:
            continue
        raw = (data / res["path"]).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
        with open(data / res["path"], encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        fields = [f["name"] for f in res["schema"]["fields"]]
        assert rows[0] == fields
        key = res["bdt"]["table"]
        spec = seed.schema.sheet(key)
        types = {c.key: c.type for c in spec.columns}
        for row in rows[1:]:
            rec = dict(zip(fields, row))
            for col, text in rec.items():
                if col not in types:
                    continue
                want = filled.get(key, rec["row"], col)
                if types[col] == "amount":
                    got = Decimal(text) if text else None
                    assert got == want, (key, rec["row"], col, text, want)
                    checked += 1
    assert checked > 300
    t3 = {r["row"]: r for r in csv.DictReader(open(data / "table03.csv", encoding="utf-8-sig"))}
    assert [t3["total"][k] for k in ("total", "basic", "project")] == ["224.32", "74.32", "150.00"]
    res3 = next(r for r in dp["resources"] if r["name"] == "table03")
    code = next(f for f in res3["schema"]["fields"] if f["name"] == "code")
    assert code["type"] == "string" and code["columnType"].startswith("functional-classification")


# ------------------------------------------------------------------------------ print xlsx


def test_print_xlsx_values_only_protected_with_print_areas(out):
    wb = openpyxl.load_workbook(out["xlsx"])
    assert len(wb.worksheets) >= 13
    assert wb.security.lockStructure
    for ws in wb.worksheets:
        assert ws.sheet_state == "visible"
        assert ws.protection.sheet, ws.title
        assert ws.print_area, ws.title
        assert int(ws.page_setup.paperSize) == 9  # A4
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)
    t3 = wb["表3 支出总表"]
    values = [[c.value for c in r] for r in t3.iter_rows()]
    total = next(r for r in values if r[0] == "合计")
    assert total[2:5] == [pytest.approx(224.32), pytest.approx(74.32), 150]
    assert isinstance(total[2], (int, float))
    assert t3.print_title_rows
    with zipfile.ZipFile(out["xlsx"]) as z:
        assert not any("vbaProject" in n for n in z.namelist())


# ------------------------------------------------------------------------------ HTML


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.stack, self.errors = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "col", "path", "rect", "line", "circle", "polygon", "stop", "use", "img"):
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.errors.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_one_self_contained_page_with_tables_and_svg_charts(out):
    html = out["html"].read_text(encoding="utf-8")
    p = _Collect()
    p.feed(html)
    p.close()
    assert not p.errors and not p.stack
    text = squash("".join(p.text))
    for title in TITLES:
        assert squash(title) in text
    names = [t for t, _ in p.tags]
    assert names.count("svg") == 2
    assert names.count("table") >= 13
    assert "script" not in names
    assert not any(a.get("src") or (a.get("href") or "#").startswith("http") for _, a in p.tags)
    assert "224.32" in text and "注：本表无数据" in text
    assert "@media print" in html and "thead" in html
    ids = [a["id"] for _, a in p.tags if "id" in a]
    assert len(ids) == len(set(ids))  # the two inline SVGs do not share clip-path ids


# ------------------------------------------------------------------------------ formula injection


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    d = tmp_path_factory.mktemp("inject")
    spec = toolkit.load_schema().sheet("t12")
    first, _ = layout(spec).block_rows["items"]
    src = edit_workbook(EXAMPLE, {(spec.sheet, f"A{first + 1}"): "@SUM(1+1)", (spec.sheet, f"C{first + 1}"): -5},
                        d / "inject.xlsx")
    # a clerk who types '=HYPERLINK(…) gets a text cell, not a formula: write it as text
    wb = openpyxl.load_workbook(src)
    cell = wb[spec.sheet][f"A{first}"]
    cell.value = '=HYPERLINK("http://x")'
    cell.data_type = "s"
    wb.save(src)
    return export(src, ["docx", "xlsx", "data"], d, force=True)


def test_formula_text_is_neutralised_numbers_stay_numbers(injected):
    rows = {r["row"]: r for r in csv.DictReader(open(injected["data"] / "table12.csv", encoding="utf-8-sig"))}
    assert rows["items#1"]["name"] == "'=HYPERLINK(\"http://x\")"
    assert rows["items#2"]["name"] == "'@SUM(1+1)"
    assert Decimal(rows["items#2"]["gpb"]) == Decimal(-5)  # a negative amount is data, not a formula
    wb = openpyxl.load_workbook(injected["xlsx"])
    ws = wb["表12 项目支出表"]
    cells = [c for r in ws.iter_rows() for c in r if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells)
    neg = [c for r in ws.iter_rows() for c in r if c.value == -5]
    assert neg and neg[0].data_type == "n"
    import docx

    doc = docx.Document(str(injected["docx"]))
    texts = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "'=HYPERLINK(\"http://x\")" in texts
    assert '=HYPERLINK("http://x")' not in texts


# ------------------------------------------------------------------------------ library & CLI


def test_export_refuses_a_workbook_with_errors_unless_forced(seed, tmp_path):
    with pytest.raises(ExportRefused) as exc:
        export(seed, ["html"], tmp_path)
    assert exc.value.errors and "--force" in str(exc.value)
    assert not list(tmp_path.iterdir())


def test_cli_refuses_then_exports_with_force(tmp_path, capsys):
    from toolkit.cli import main

    assert main(["export", str(EXAMPLE), "--out", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "未导出" in err and "个“错误”级问题" in err and "--force" in err
    assert "「表6 基本支出经济科目表」D6" in err and "「情况说明」B2" in err  # names sheet and cell
    assert not (tmp_path / "a").exists()
    assert main(["export", str(EXAMPLE), "--to", "html,data", "--out", str(tmp_path / "b"), "--force"]) == 0
    o = capsys.readouterr()
    assert "已导出 HTML" in o.out and "--force" in o.err
    assert (tmp_path / "b" / "data" / "table01-income.csv").exists()
    assert list((tmp_path / "b").glob("*.html"))
    assert main(["export", str(EXAMPLE), "--to", "pdf,tiff", "--force", "--out", str(tmp_path / "c")]) == 2
    assert "tiff" in capsys.readouterr().err


def test_a_blank_workbook_exports_with_the_standard_glossary(tmp_path):
    from conftest import TEMPLATE

    out = export(TEMPLATE, ["pdf", "docx", "html"], tmp_path, force=True)
    text = squash(pdftext(out["pdf"]))
    assert text.count("注：本表无数据") == 13
    assert "本年无数据" in text  # the charts say so instead of drawing nothing
    assert "财政拨款收入：本级财政当年拨付" in text  # 名词解释 falls back to the standard definitions
    assert out["docx"].exists() and out["html"].exists()


def test_formats_and_names():
    assert parse_formats("pdf, DOCX,pdf") == ["pdf", "docx"]
    assert parse_formats("all") == ["pdf", "docx", "xlsx", "html", "data"]
    with pytest.raises(ValueError):
        parse_formats("exe")
    assert safe_name("a/b\\c:d*e?") == "a_b_c_d_e"
    assert "/" not in safe_name("../../etc/passwd")


def test_cell_formatting():
    assert fmt_value(Decimal("224.315"), "amount") == "224.32"
    assert fmt_value(Decimal("7"), "amount") == "7.00"
    assert fmt_value(Decimal("700000"), "yuan") == "700,000"
    assert fmt_value(Decimal("3"), "count", "个") == "3个"
    assert fmt_value(None, "amount") == ""
    assert fmt_value(Decimal("-5"), "amount") == "-5.00"  # numbers are never neutralised
    assert neutralise("-项目") == "'-项目" and neutralise("+1") == "'+1" and neutralise("\tx") == "'\tx"
    assert neutralise("正常文字") == "正常文字" and neutralise("-") == "-"


def test_document_follows_the_schema(seed, filled):
    """A table's title and header come from the schema: an edited spec changes the document."""
    import dataclasses

    spec = seed.schema.sheet("t3")
    assert isinstance(spec, TableSpec)
    header = (("科目", "<", "{year}年预算（省级表样）", "<", "<"), spec.header[1])
    edited = dataclasses.replace(spec, title="{year}年支出预算总表（省表）", header=header)
    t = build_table(filled, edited)
    assert t.title == "2023年支出预算总表（省表）"
    assert t.header[0].cells[0].text == "科目" and t.header[0].cells[0].span == 2
    assert t.header[0].cells[2].text == "2023年预算（省级表样）" and t.header[0].cells[2].span == 3
    doc = build_document(seed, filled.values)
    assert [x.title for x in doc.tables[:13]] == TITLES


def test_no_cjk_font_file_still_exports_pdf_and_docx(tmp_path):
    """A fresh machine without any CJK font (forced with BDT_CJK_FONT=builtin): the PDF is made
    with the standard non-embedded STSong-Light, the DOCX shows the chart figures as tables, the
    user gets a warning and exit 0 — never a failure (the README's `make demo` depends on it)."""
    import os
    import sys

    env = dict(os.environ, BDT_CJK_FONT="builtin")
    r = subprocess.run([sys.executable, "-m", "toolkit.cli", "export", str(EXAMPLE), "--to", "pdf,docx",
                        "--out", str(tmp_path), "--force"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "STSong-Light" in r.stderr and "未嵌入" in r.stderr
    pdf = next(tmp_path.glob("*.pdf"))
    fonts = subprocess.run([need_tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in fonts.splitlines() if "STSong-Light" in ln)
    assert " no " in f" {line} ", line  # emb column: not embedded
    assert "WenQuanYi" not in fonts
    text = squash(pdftext(pdf))
    assert "部门预算" in text and "224.32" in text
    docx = next(tmp_path.glob("*.docx"))
    with zipfile.ZipFile(docx) as z:
        assert not [n for n in z.namelist() if n.startswith("word/media/")]
        body = z.read("word/document.xml").decode()
    assert "占比" in body and "金额（万元）" in body
