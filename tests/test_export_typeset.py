"""Chinese typesetting of the PDF (issue #10 point 5), checked on the rendered output.

Word boxes from `pdftotext -bbox` are joined into the visual lines of the page; the page images
from `pdftoppm` show where the table rules are. On the example and on a workbook with long,
punctuation-heavy texts:

* no line starts with a mark that may not start a line (，。；：、）》” …) or ends with one that
  may not end it (（《“ …);
* no text crosses a table rule (text never overflows its cell; ReportLab's own CJK wrap hangs a
  closing mark into the next cell: “项目资金（元）”);
* no line of a cell holds a single character carried down from the line above (代/码, 资/金);
* body text is justified: every line that does not end its paragraph ends at the right margin;
* a very long project text splits the form across pages at full size instead of shrinking it.
"""
import html
import re
import subprocess

import numpy
import pytest
from PIL import Image

import toolkit
from conftest import EXAMPLE, need_tool
from toolkit.export import export
from toolkit.export.cjkwrap import NO_END, NO_START, break_lines
from toolkit.export.pdf import MARGIN_X, PAGE_W

CELL_HEIGHT = 8.55  # pdftotext's box height of an 8.5 pt table cell line
LONG = ("为全面落实“放管服”改革要求（含《政府信息公开条例》规定的事项），本项目分三个阶段实施：一、调研论证；"
        "二、组织实施，包括接访、劝返、送返等工作（详见附件1）；三、绩效评价。资金使用坚持“专款专用、"
        "厉行节约”的原则——严格执行预算，确保资金安全……项目编码2023110100000000001，金额700,000元。")


def _words(pdf) -> list:
    out = subprocess.run([need_tool("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    pages = []
    for page in re.findall(r"<page (.*?)</page>", out, re.S):
        ws = [(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page)]
        # not the draft watermark (large, rotated) nor the 目录's dot leaders
        pages.append([w for w in ws if w[3] - w[1] < 25 and w[4].strip(".")])
    return pages


def _lines(words) -> list:
    """Words on one baseline that touch, joined: the lines as a reader sees them."""
    out = []
    for w in sorted(words, key=lambda w: (round(w[3], 1), w[0])):
        if out and abs(out[-1][3] - w[3]) < 0.5 and -1 < w[0] - out[-1][2] < 4:
            a = out[-1]
            out[-1] = (a[0], min(a[1], w[1]), w[2], a[3], a[4] + w[4])
        else:
            out.append(w)
    return out


DPI = 100


def _images(pdf, tmp_path) -> list:
    """Each page as a boolean image (dark pixels); rules drawn without anti-aliasing, so that a
    0.5 pt rule is at least one fully dark pixel wide."""
    subprocess.run([need_tool("pdftoppm"), "-gray", "-aaVector", "no", "-r", str(DPI), str(pdf),
                    str(tmp_path / "p")], check=True)
    files = sorted(tmp_path.glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[1]))
    return [numpy.asarray(Image.open(f)) < 128 for f in files]


@pytest.fixture(scope="module")
def example_pdf(tmp_path_factory):
    return export(EXAMPLE, "pdf", tmp_path_factory.mktemp("typeset"), force=True)["pdf"]


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory):
    """The example with long texts: a project overview of ~2,900 characters (the form is about two
    pages long), punctuation-heavy texts in the other project fields, a narrow label column."""
    d = toolkit.load(EXAMPLE)
    p = d.entries["perf_project#1"]
    p[("overview", "")].value = LONG * 17
    for key in ("basis", "necessity", "measures", "plan", "goal_period", "goal_annual"):
        p[(key, "")].value = LONG
    d.entries["perf_project#2"][("overview", "")].value = LONG * 3
    return export(d, "pdf", tmp_path_factory.mktemp("typeset-long"), force=True)["pdf"]


@pytest.fixture(scope="module", params=["example", "long"])
def pdf(request, example_pdf, long_pdf):
    return example_pdf if request.param == "example" else long_pdf


def test_no_line_starts_or_ends_with_a_forbidden_mark(pdf):
    bad, n = [], 0
    for page, words in enumerate(_words(pdf), 1):
        for x0, y0, x1, y1, text in _lines(words):
            n += 1
            if text[0] in NO_START or text[-1] in NO_END:
                bad.append((page, text))
    assert n > 500 and not bad, bad[:10]


def test_text_never_crosses_a_table_rule(pdf, tmp_path):
    scale = DPI / 72
    images = _images(pdf, tmp_path)
    pages = _words(pdf)
    assert len(images) == len(pages)
    crossed, checked = [], 0
    for page, (dark, words) in enumerate(zip(images, pages), 1):
        for x0, y0, x1, y1, text in words:
            if y1 - y0 > 12:  # body text and titles are not in tables
                continue
            a, b = int(y0 * scale) - 2, int(y1 * scale) + 2
            left, right = int(x0 * scale) + 2, int(x1 * scale) - 2
            if right <= left:
                continue
            box = dark[a:b, left:right]
            if box.mean() > 0.5:  # light text on a coloured area (a chart's label)
                continue
            checked += 1
            # a thin column of the box dark from above the text to below it: a rule runs through the
            # text (a chart's coloured area behind a label is dark on both sides)
            full = dark[a:b, left - 4:right + 4].all(axis=0)
            del box
            rule = full[4:-4] & ~(full[:-8] & full[8:])
            if rule.any():
                crossed.append((page, text))
    assert checked > 300 and not crossed, crossed[:10]


def test_no_cell_line_is_a_single_character_carried_down(pdf):
    widows = []
    for page, words in enumerate(_words(pdf), 1):
        cells = [w for w in _lines(words) if w[3] - w[1] < 9]
        for w in cells:
            if len(w[4].rstrip("".join(NO_START))) != 1:
                continue
            above = [v for v in cells if abs(v[0] - w[0]) < 0.5 and 0 < w[1] - v[3] < 3]
            if above:
                widows.append((page, above[0][4], w[4]))
    assert not widows, widows


def test_body_text_is_justified(pdf):
    """Two lines 20 pt apart (one paragraph's leading), the second starting at the margin: the first
    was broken by the layout, so it must reach the right margin."""
    right = PAGE_W - MARGIN_X
    soft, ragged = 0, []
    for page, words in enumerate(_words(pdf), 1):
        lines = [w for w in _lines(words) if abs(w[3] - w[1] - 11.56) < 0.3]  # 11.5 pt body text
        for a in lines:
            below = [b for b in lines if abs(b[3] - a[3] - 20) < 0.2 and abs(b[0] - MARGIN_X) < 0.5]
            if below:
                soft += 1
                if abs(a[2] - right) > 0.6:
                    ragged.append((page, a[2], a[4]))
    assert soft >= 5 and not ragged, ragged[:5]


def test_a_long_project_text_splits_the_form_at_full_size(long_pdf):
    pages = _words(long_pdf)
    text = ["".join(w[4] for w in ws) for ws in pages]
    holding = [i for i, t in enumerate(text) if "为全面落实" in t and "项目编码" in t]
    first = next(i for i, t in enumerate(text) if "项目支出绩效目标申报表" in t)
    # the form starts on its page (ReportLab moves the long row whole to the next page, where it
    # splits) and runs over the pages after it
    assert len(holding) >= 2 and first <= holding[0] <= first + 1
    holding = sorted({first, *holding})
    # every line of the form at the normal cell size: nothing shrunk
    for i in holding:
        cell = [w for w in pages[i] if w[3] - w[1] < 10 and 50 < w[1] < w[3] < 780  # not the page header, footer
                and not w[4].startswith("续表")]
        assert cell and all(abs(w[3] - w[1] - CELL_HEIGHT) < 0.3 for w in cell)
    # and the whole text is there: 17 repetitions of the overview, in order, over the pages
    joined = re.sub(r"\s+", "", "".join(text[i] for i in holding))
    assert joined.count("项目编码2023110100000000001，金额700,000元。") >= 17 + 7


# ------------------------------------------------------------------------------ the line breaker


def _w(ch):
    return 1.0


@pytest.mark.parametrize("text,width,lines", [
    ("一二三四，五六", 4, ["一二三", "四，五六"]),  # ， never starts a line: 四 comes down with it
    ("一二三（四五六", 4, ["一二三", "（四五六"]),  # （ never ends a line
    ("一二三“四五”六七八", 4, ["一二三", "“四五”", "六七八"]),  # “ never ends a line, ” never starts one
    ("甲乙2023110100丙", 6, ["甲乙", "202311", "0100丙"]),  # a code wider than the line is cut inside
    ("收入224.32万元", 6, ["收入", "224.32", "万元"]),  # a figure is not broken
    ("主管部门及代码", 6, ["主管部门及", "代码"]),  # no 孤字: 代/码
    ("项目资金（元）", 5, ["项目资金", "（元）"]),
    ("一二三四——五六", 5, ["一二三四", "——五六"]),  # —— is one mark
])
def test_break_lines(text, width, lines):
    got = break_lines(text, _w, width)
    assert [ln.text for ln in got] == lines
    assert all(ln.width <= width for ln in got)
    assert "".join(lines) == text


def test_break_lines_keeps_hard_breaks_and_marks_paragraph_ends():
    got = break_lines("一二三四五六\n七八", _w, 4, first_indent=1)
    assert [(ln.text, ln.last) for ln in got] == [("一二三", False), ("四五六", True), ("七八", True)]


def test_break_lines_on_real_metrics_never_exceeds_the_box():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from toolkit.export.fonts import PDF_FONT, cjk_font

    cjk_font()
    text = LONG * 3
    for avail in (30, 47.5, 61, 100, 233.3):
        lines = break_lines(text, lambda ch: stringWidth(ch, PDF_FONT, 8.5), avail)
        assert "".join(ln.text for ln in lines) == text
        for ln in lines:
            assert stringWidth(ln.text, PDF_FONT, 8.5) <= avail + 1e-6
            assert ln.text[0] not in NO_START and ln.text[-1] not in NO_END
