"""Paged outputs as a reader prints them (issue #10 points 6 and 8), checked on rendered pages:
the PDF as written, the DOCX and the print xlsx as LibreOffice (headless) lays them out.

One stressed workbook serves every check: the example with 55 projects in 表12 (the table runs
over pages), a project text of ~2,900 characters (the form runs over pages) and every amount of
the budget tables set to 987654.32 万元 (wide figures in narrow columns).

* 续表 heads every continuation page of a table in the PDF, the DOCX and the xlsx, and no page on
  which a table starts;
* the DOCX's columns hold every code and amount on one line in LibreOffice's fallback fonts
  (DejaVu for Times New Roman here), its properties are the toolkit's (title, author = the
  department, created now, application bdt), and its pages carry the running header;
* the xlsx prints 表1 and 表4 on one page each, every page with its footer 第 N 页 and header
  inside the paper (LibreOffice clipped the footer with the 0.6 in margin).
"""
import html
import re
import subprocess
import zipfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import toolkit
from conftest import EXAMPLE, edit_workbook, need_tool
from test_export_typeset import LONG
from toolkit.export import export
from toolkit.export.document import NUMERIC, build_document
from toolkit.fill import compute
from toolkit.layout import layout

BIG = Decimal("987654.32")


def _stressed(tmp):
    spec = toolkit.load_schema().sheet("t12")
    first, _ = layout(spec).block_rows["items"]
    edits = {}
    for i in range(55):
        edits[(spec.sheet, f"A{first + i}")] = f"测试项目{i + 1:02d}"
        edits[(spec.sheet, f"C{first + i}")] = 1 + i
    d = toolkit.load(edit_workbook(EXAMPLE, edits, tmp / "stressed.xlsx"))
    for inst, entries in d.entries.items():
        if re.fullmatch(r"t\d+", inst):
            for e in entries.values():
                if isinstance(e.value, Decimal) and e.value:
                    e.value = BIG
    d.entries["perf_project#1"][("overview", "")].value = LONG * 17
    return d


def _lo_pdf(src, out_dir):
    """`src` converted to PDF by LibreOffice headless (its own profile; the process ends with the call)."""
    exe = need_tool("soffice")
    copy = out_dir / f"lo-{src.suffix.lstrip('.')}{src.suffix}"
    copy.write_bytes(src.read_bytes())
    subprocess.run([exe, f"-env:UserInstallation=file://{out_dir}/lo-profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out_dir), str(copy)], capture_output=True, timeout=300)
    pdf = copy.with_suffix(".pdf")
    if not pdf.exists():
        pytest.fail(f"LibreOffice could not convert {src.name} (make test-deps installs libreoffice)")
    return pdf


def _pages(pdf) -> list:
    """Per page: (width, height, [(xMin, yMin, xMax, yMax, word)])."""
    out = subprocess.run([need_tool("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for w, h, body in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, re.S):
        words = [(float(a), float(b), float(c), float(e), html.unescape(t)) for a, b, c, e, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', body)]
        pages.append((float(w), float(h), words))
    return pages


DPI = 100


def _images(pdf, tmp_path) -> list:
    """Each page as a boolean image of its dark pixels."""
    import numpy
    from PIL import Image

    subprocess.run([need_tool("pdftoppm"), "-gray", "-r", str(DPI), str(pdf), str(tmp_path / "p")], check=True)
    files = sorted(tmp_path.glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[1]))
    return [numpy.asarray(Image.open(f)) < 160 for f in files]


def _text(page) -> str:
    return "".join(w[4] for w in sorted(page[2], key=lambda w: (round(w[1]), w[0])))


@pytest.fixture(scope="module")
def stressed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("print")
    d = _stressed(tmp)
    out = export(d, "pdf,docx,xlsx", tmp / "out", force=True)
    doc = build_document(d, compute(d).values)
    return {"out": out, "doc": doc, "docx_pdf": _lo_pdf(out["docx"], tmp), "xlsx_pdf": _lo_pdf(out["xlsx"], tmp)}


def _continued(pages, title: str) -> tuple:
    """(page indexes where the table titled `title` starts, page indexes headed 续表 for it)."""
    key = re.sub(r"\s+", "", title)
    starts = [i for i, p in enumerate(pages) if key in re.sub(r"\s+", "", _text(p)).replace("续表：" + key, "")]
    cont = [i for i, p in enumerate(pages) if ("续表：" + key) in re.sub(r"\s+", "", _text(p))]
    return starts, cont


T12 = "预算公开表12 2023年项目支出预算表（本年预算）"
FORM = "项目支出绩效目标申报表"


@pytest.mark.parametrize("fmt", ["pdf", "docx", "xlsx"])
def test_xubiao_heads_every_continuation_page_and_no_first_page(stressed, fmt):
    pdf = stressed["out"]["pdf"] if fmt == "pdf" else stressed[f"{fmt}_pdf"]
    pages = _pages(pdf)
    texts = [re.sub(r"\s+", "", _text(p)) for p in pages]
    # 表12: starts on one page, continues on the next ones (with 测试项目55 on the last), each headed 续表
    start = next(i for i, t in enumerate(texts) if "测试项目01" in t)
    end = next(i for i, t in enumerate(texts) if "测试项目55" in t)
    assert end > start
    assert "续表" not in texts[start]
    for i in range(start + 1, end + 1):
        assert "续表：预算公开表12" in texts[i], (fmt, i)
    # the long project form runs over pages: every page after its first says 续表
    def starts_form(t):
        return FORM in t.replace("续表：" + FORM, "")

    first = next(i for i, t in enumerate(texts) if i > end and starts_form(t))
    last = next(i for i, t in enumerate(texts) if i > first and starts_form(t)) - 1
    assert "续表" not in texts[first]
    assert last > first or fmt == "xlsx"  # the sheet is 1.08 pages tall at its width: one page there
    assert "2023110100000000001" in "".join(texts[first:last + 1])
    assert all("续表：" + FORM in texts[i] for i in range(first + 1, last + 1))
    # and no other page says 续表 (every table starting on a page of its own)
    heads = [i for i, t in enumerate(texts) if "续表" in t]
    assert set(heads) == set(range(start + 1, end + 1)) | set(range(first + 1, last + 1)), heads


def test_docx_columns_hold_codes_and_amounts_in_fallback_fonts(stressed):
    """Every figure and code of the tables is one word in LibreOffice's rendering (a wrapped
    987654.32 would be two)."""
    want = Counter()
    for t in stressed["doc"].tables:
        for row in t.body:
            for c in row.cells:
                if c and re.fullmatch(r"[\d.,%-]{3,}", c.text) and (c.type in NUMERIC or c.type == "code"):
                    want[c.text] += 1
    assert want["987654.32"] >= 20 and any(len(k) >= 10 for k in want)  # 1975308.64, 4938271.60 …
    got = Counter(w[4] for p in _pages(stressed["docx_pdf"]) for w in p[2])
    missing = {k: n - got[k] for k, n in want.items() if got[k] < n}
    assert not missing, missing


def test_docx_properties_and_running_header(stressed):
    with zipfile.ZipFile(stressed["out"]["docx"]) as z:
        core = z.read("docProps/core.xml").decode("utf-8")
        app = z.read("docProps/app.xml").decode("utf-8")
    doc = stressed["doc"]
    assert f"<dc:creator>{doc.dept}</dc:creator>" in core
    assert re.search(r"<dc:title>[^<]*" + re.escape(doc.title) + "</dc:title>", core)
    created = re.search(r'<dcterms:created xsi:type="dcterms:W3CDTF">([^<]+)</dcterms:created>', core).group(1)
    when = datetime.fromisoformat(created.replace("Z", "+00:00"))
    assert abs(datetime.now(timezone.utc) - when) < timedelta(minutes=30)
    assert "<Application>bdt" in app and "python-docx" not in core
    pages = _pages(stressed["docx_pdf"])
    body = [p for p in pages if re.search(r"^-\d+-$", re.sub(r"\s+", "", "".join(
        w[4] for w in p[2] if w[1] > p[1] - 60)))]  # pages with a page number: the body
    assert len(body) >= 20
    numbers = []
    for w, h, words in body:
        top = "".join(x[4] for x in words if x[3] < 70)
        assert re.sub(r"\s+", "", doc.title) in re.sub(r"\s+", "", top)
        numbers.append(int(re.sub(r"\s+", "", "".join(x[4] for x in words if x[1] > h - 60)).strip("-")))
    assert numbers == list(range(1, len(body) + 1))  # the sections of the tables go on numbering


def test_xlsx_prints_t_tables_on_one_page_with_footer_and_header_inside(stressed, tmp_path):
    pages = _pages(stressed["xlsx_pdf"])
    images = _images(stressed["xlsx_pdf"], tmp_path)
    texts = [re.sub(r"\s+", "", _text(p)) for p in pages]
    for label in ("预算公开表1", "预算公开表4"):
        at = [i for i, t in enumerate(texts) if label + "2023年" in t]
        assert len(at) == 1, (label, at)
        # one page: the next page is the next table's, not this one's continuation
        assert "续表" not in texts[at[0] + 1] and re.search(r"预算公开表\d+2023年", texts[at[0] + 1])
    for n, (w, h, words) in enumerate(pages):
        foot = [x for x in words if x[1] > h - 80 and re.search(r"第|页|\d", x[4])]
        assert re.search(r"第\d+页", "".join(x[4] for x in foot)), n
        # the footer and the header lie inside the paper with room to spare
        assert all(x[3] < h - 12 for x in foot), (n, foot)
        assert all(x[1] > 12 for x in words), n
        # and are drawn whole: LibreOffice clips text that does not fit its footer area (the lower
        # half of 第 1 页 was cut off: its ink ended at 47–50 % of the word's box, whole glyphs
        # reach 58–71 %), so the ink of each footer word must reach below the middle of its box
        dark, k = images[n], DPI / 72
        for x0, y0, x1, y1, text in foot:
            rows = dark[int(y0 * k):int(y1 * k) + 1, int(x0 * k):int(x1 * k) + 1].any(axis=1)
            assert rows.any() and rows.nonzero()[0].max() / len(rows) >= 0.55, (n, text, rows.tolist())
