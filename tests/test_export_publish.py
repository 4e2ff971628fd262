"""Publication quality of the exports, checked on the rendered output (issue #10).

* what is exported is what is validated (the filled model), and batch --fill --export reports that;
* a forced export is marked 草稿·未通过校验 on every page and in the properties of every format,
  and only correcting or waiving the errors removes the mark;
* charts state the same shares as the text computes from the same rounded figures;
* the HTML in headless chromium at 390 px and 1280 px: no cell content overflows its cell, figures
  and codes never wrap, tables scroll in their own container; axe-core finds no violation;
* the DOCX: 目录 page numbers stored, right in LibreOffice's pagination; zh-CN; properties.
"""
import json
import re
import subprocess
import zipfile
from decimal import Decimal

import openpyxl
import pytest

import toolkit
from browser import axe, chromium, measure
from conftest import EXAMPLE, need_tool
from toolkit.export import ExportRefused, export
from toolkit.export.check import DRAFT_MARK, exported_findings
from toolkit.fill import compute, fill
from toolkit.rules import validate


def pdftext(path, page=None, layout=True) -> str:
    args = [need_tool("pdftotext")] + (["-layout"] if layout else [])
    if page:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def npages(path) -> int:
    info = subprocess.run([need_tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def pdfinfo(path) -> str:
    return subprocess.run([need_tool("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def seed():
    return toolkit.load(EXAMPLE)


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    """The seed exported with --force: it has errors, so every format is a marked draft."""
    return export(EXAMPLE, "pdf,docx,xlsx,html,data", tmp_path_factory.mktemp("draft"), force=True)


@pytest.fixture(scope="module")
def waived(tmp_path_factory, draft):
    """The same export with every remaining error rule waived (recorded), not forced."""
    codes = sorted({f.rule for f in draft.status.errors})
    return export(EXAMPLE, "pdf,docx,xlsx,html,data", tmp_path_factory.mktemp("waived"),
                  waive={c: "经财政局审核同意" for c in codes})


def lo_pdf(docx_path, out_dir):
    """The DOCX converted by LibreOffice (Writer) headless: what a reader's office suite shows."""
    exe = need_tool("soffice")
    src = out_dir / "doc.docx"
    src.write_bytes(docx_path.read_bytes())
    subprocess.run([exe, f"-env:UserInstallation=file://{out_dir}/lo-profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out_dir), str(src)], capture_output=True, timeout=300)
    pdf = out_dir / "doc.pdf"
    if not pdf.exists():
        pytest.fail("LibreOffice could not convert the DOCX (is libreoffice-writer installed? make test-deps)")
    return pdf


# ------------------------------------------------------------------------------ what is validated


def test_export_validates_the_filled_document_it_publishes(seed, tmp_path):
    """The seed has 4 errors as submitted; filled, its 情况说明 contradicts the corrected totals:
    export checks the filled model — exactly what validating the filled file finds."""
    assert len([f for f in validate(seed) if f.severity == "error"]) == 4
    filled_path, _ = fill(EXAMPLE, out=tmp_path / "filled.xlsx")
    on_file = validate(toolkit.load(filled_path))
    plan = compute(seed)
    status = exported_findings(seed, plan.values, plan.fingerprints)
    key = [(f.rule, f.sheet, f.cell, f.message) for f in status.findings]
    assert key == [(f.rule, f.sheet, f.cell, f.message) for f in on_file]
    assert len(status.errors) == 16
    assert {"N501", "X407"} <= {f.rule for f in status.errors}
    with pytest.raises(ExportRefused) as exc:
        export(seed, ["html"], tmp_path / "x")
    assert len(exc.value.errors) == 16 and "N501" in str(exc.value)


def test_batch_fill_export_reports_the_findings_of_what_it_published(tmp_path):
    from toolkit.batch import Options, run_batch

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "seed.xlsx").write_bytes(EXAMPLE.read_bytes())
    r = run_batch([inbox / "seed.xlsx"], Options(out_dir=str(tmp_path / "out"), fill=True, export=("html",),
                                                 export_all=True))
    o = r.outcomes[0]
    assert o.counts["error"] == 16, o.counts  # not the 4 of the unfilled workbook
    report = json.loads((tmp_path / "out" / o.folder / "findings.json").read_text(encoding="utf-8"))
    text = json.dumps(report, ensure_ascii=False)
    assert text.count('"error"') >= 16 and "N501" in text
    html = next((tmp_path / "out" / o.folder).rglob("*.html"))
    assert "N501" not in html.name
    published = [p for p in (tmp_path / "out" / o.folder).rglob("*部门预算公开.html")]
    assert published and DRAFT_MARK in published[0].read_text(encoding="utf-8")


# ------------------------------------------------------------------------------ the draft mark


def test_forced_pdf_is_marked_on_every_page_and_in_its_properties(draft, tmp_path):
    pdf = draft["pdf"]
    n = npages(pdf)
    for page in range(1, n + 1):
        assert DRAFT_MARK in squash(pdftext(pdf, page)), page
    info = pdfinfo(pdf)
    assert re.search(r"Title:\s+【草稿·未通过校验】", info)
    assert "草稿·未通过校验" in re.search(r"Keywords:.*", info).group(0)
    assert "16 个“错误”级问题" in re.search(r"Subject:.*", info).group(0)
    # the mark is visible: red pixels in the top band and in the middle of the cover page (watermark)
    from PIL import Image

    subprocess.run([need_tool("pdftoppm"), "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "c")],
                   check=True)
    im = Image.open(next(tmp_path.glob("c*.png"))).convert("RGB")
    w, h = im.size

    def reddish(box):
        px = list(im.crop(box).getdata()) if not hasattr(im, 'get_flattened_data') else im.crop(box).get_flattened_data()
        return sum(1 for r, g, b in px if r > g + 25 and r > b + 25)

    assert reddish((0, 0, w // 2, h // 12)) > 20  # 【草稿·未通过校验】 at the top
    assert reddish((w // 4, h // 3, 3 * w // 4, 2 * h // 3)) > 200  # the diagonal watermark


def test_forced_docx_is_marked_in_every_section_header_and_properties(draft, tmp_path):
    import docx

    d = docx.Document(str(draft["docx"]))
    assert len(d.sections) >= 2
    for sec in d.sections:
        assert DRAFT_MARK in sec.header.paragraphs[0].text
    cp = d.core_properties
    assert cp.title.startswith("【草稿·未通过校验】") and cp.content_status == DRAFT_MARK
    assert DRAFT_MARK in cp.keywords and "16 个" in cp.comments
    # as LibreOffice prints it: the mark on every page
    pdf = lo_pdf(draft["docx"], tmp_path)
    for page in range(1, npages(pdf) + 1):
        assert DRAFT_MARK in squash(pdftext(pdf, page)), page


def test_forced_html_xlsx_and_data_are_marked(draft):
    html = draft["html"].read_text(encoding="utf-8")
    assert "<title>【草稿·未通过校验】" in html and 'class="draft-doc"' in html
    assert re.search(r'<div class="draft" role="note">草稿·未通过校验：导出时仍有 16 个', html)
    assert '<meta name="robots" content="noindex">' in html
    wb = openpyxl.load_workbook(draft["xlsx"])
    assert wb.properties.title.startswith("【草稿·未通过校验】") and wb.properties.contentStatus == DRAFT_MARK
    for ws in wb.worksheets:
        assert DRAFT_MARK in ws.oddHeader.left.text, ws.title
    dp = json.loads((draft["data"] / "datapackage.json").read_text(encoding="utf-8"))
    assert dp["bdt"]["status"] == "draft" and dp["title"].startswith("【草稿·未通过校验】")


def test_only_waiving_the_errors_removes_the_mark_and_the_waiver_is_recorded(waived):
    assert not waived.status.errors and waived.status.waived
    pdf = waived["pdf"]
    assert DRAFT_MARK not in pdftext(pdf)
    info = pdfinfo(pdf)
    assert "已豁免：N501（经财政局审核同意）" in info
    html = waived["html"].read_text(encoding="utf-8")
    assert DRAFT_MARK not in html
    import docx

    d = docx.Document(str(waived["docx"]))
    assert all(DRAFT_MARK not in s.header.paragraphs[0].text for s in d.sections)
    assert d.core_properties.content_status == "正式"
    dp = json.loads((waived["data"] / "datapackage.json").read_text(encoding="utf-8"))
    assert dp["bdt"]["status"] == "validated" and "已豁免" in dp["bdt"]["status_note"]


def test_there_is_no_switch_that_hides_the_mark():
    import inspect

    params = inspect.signature(export).parameters
    assert not {p for p in params if "mark" in p or "draft" in p}


# ------------------------------------------------------------------------------ one set of figures


def test_pie_chart_shares_are_those_the_text_computes_from_the_table_figures(draft, seed):
    """The chart's shares are computed like the generated 情况说明 (the table's rounded 合计 as the
    base, the same half-up rounding): the generated paragraph and the chart agree to the digit."""
    from toolkit.narrative import generate

    plan = compute(seed)

    def lookup(inst, row, col):
        if (inst, row, col) in plan.values:
            return plan.values[(inst, row, col)]
        e = seed.entry(inst, row, col)
        return None if e is None else e.value

    generated = generate(seed, lookup)["s5_2"]  # the standard paragraph from the filled figures
    shares = re.findall(r"占(\d+\.\d\d)%", generated)
    assert shares and shares[0] == "92.46"
    page = next(pdftext(draft["pdf"], p) for p in range(1, npages(draft["pdf"]) + 1)
                if "一般公共预算当年拨款结构图" in pdftext(draft["pdf"], p))
    chart_shares = re.findall(r"(\d+\.\d\d)%", page.split("一般公共预算当年拨款结构图", 1)[1])
    for s in shares:
        assert s in chart_shares, (s, chart_shares)
    total = seed.schema and plan.values[("t5", "total", "total")]
    assert total == Decimal("224.32")


# ------------------------------------------------------------------------------ HTML in a browser


@pytest.mark.parametrize("width", [390, 1280])
def test_html_cells_never_overflow_and_figures_never_wrap(draft, width):
    url = draft["html"].resolve().as_uri()
    with chromium(width) as drv:
        m = measure(drv, url)
    cells = m["cells"]
    assert len(cells) > 500
    overflowing = [c for c in cells if c["overflow"] > 0 or c["outside"] > 1]
    assert not overflowing, overflowing[:5]
    wrapped = [c for c in cells if c["nowrap"] and c["lines"] > 1]
    assert not wrapped, wrapped[:5]  # no 7-digit code or amount broken over lines
    one_char_lines = [c for c in cells if c["chars"] >= 3 and c["lines"] >= c["chars"]]
    assert not one_char_lines, one_char_lines[:5]  # no header collapsed to a character per line
    assert m["pageOverflow"] <= 0  # the page itself never scrolls sideways
    if width == 390:
        assert m["scrollers"] >= 13  # wide tables scroll in their own container
    else:
        assert m["scrollers"] == 0


def test_html_passes_axe_core_in_chromium(draft):
    with chromium(390) as drv:
        r = axe(drv, draft["html"].resolve().as_uri())
    assert "error" not in r, r
    assert r["passes"] > 20
    assert r["violations"] == [], json.dumps(r["violations"], ensure_ascii=False, indent=1)


def test_html_tables_have_captions_scopes_and_linked_headers(draft):
    html = draft["html"].read_text(encoding="utf-8")
    assert html.count("<caption") >= 17
    t3 = html[html.index("2023年预算支出总表</h2>"):]
    t3 = t3[:t3.index("</table>")]
    ids = set(re.findall(r'<th [^>]*id="([^"]+)"', t3))
    assert re.search(r'<th id="[^"]+" scope="colgroup" colspan="3"', t3)
    # the 事业运行 基本支出 figure is linked to 2023年预算数 › 基本支出 and to its row
    cell = re.search(r'<th id="([^"]+)" scope="row"[^>]*>事业运行</th><td headers="([^"]+)"[^>]*>57\.41</td>', t3)
    assert cell
    heads = cell.group(2).split()
    assert cell.group(1) in heads and len(heads) >= 3 and set(heads) <= ids
    forms = html[html.index("项目支出绩效目标申报表"):]
    assert re.search(r'<th [^>]*scope="row"[^>]*>项目名称</th>', forms)


# ------------------------------------------------------------------------------ DOCX


def test_docx_toc_numbers_are_stored_and_right_in_libreoffice(draft, tmp_path):
    with zipfile.ZipFile(draft["docx"]) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        settings = z.read("word/settings.xml").decode("utf-8")
        styles = z.read("word/styles.xml").decode("utf-8")
        app = z.read("docProps/app.xml").decode("utf-8")
        names = z.namelist()
    assert "w:updateFields" not in settings and 'w:dirty="true"' not in xml
    assert xml.count("PAGEREF _Toc_bdt") >= 30 and xml.count('w:name="_Toc_bdt') >= 30
    assert 'w:eastAsia="zh-CN"' in styles and 'w:val="zh-CN"' in styles
    assert "<Application>bdt" in app and "Macintosh" not in app
    assert not [n for n in names if "thumbnail" in n]
    pdf = lo_pdf(draft["docx"], tmp_path)
    n = npages(pdf)
    pages = [""] + [pdftext(pdf, p) for p in range(1, n + 1)]
    toc_page = next(i for i, p in enumerate(pages) if "目" in p and "录" in p and "....." in p)
    entries = re.findall(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$", pages[toc_page], re.M)
    assert len(entries) >= 30
    for title, number in entries:
        at = [i for i in range(toc_page + 1, n + 1) if re.search(rf"^\s*-\s*{number}\s*-\s*$", pages[i], re.M)]
        assert at and squash(title) in squash(pages[at[0]]), (title, number)


def test_docx_pagination_pass_writes_nothing_but_the_docx(tmp_path, monkeypatch, seed):
    """The 目录 page numbers come from laying the PDF out in memory: no stray file in the folder."""
    from toolkit.export.document import build_document
    from toolkit.export.docx import render_docx

    monkeypatch.chdir(tmp_path)
    render_docx(build_document(seed, compute(seed).values), tmp_path / "a.docx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx"]
