"""Report presenters (text, JSON, HTML) on the seed example's real findings, and docs/rules.md."""
import json
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest

import toolkit
from conftest import EXAMPLE, ROOT
from toolkit.docs import rules_markdown, unwrap
from toolkit.findings import ERROR, INFO, SEVERITY_ZH, WARNING, Finding, summary
from toolkit.report import FileResult, to_html, to_json, to_text
from toolkit.rules import catalogue, validate

ANSI = re.compile(r"\x1b\[")
UNREADABLE = "「bad.xlsx」不是有效的 .xlsx 文件（可能已损坏、被加密或不是 Excel 文件）。"


@pytest.fixture(scope="module")
def seed():
    findings = validate(toolkit.load(EXAMPLE))
    assert findings, "the seed example is expected to have findings (it has 尾差 as published)"
    return FileResult(str(EXAMPLE), findings, None)


def _counts_line(counts):
    if not any(counts.values()):
        return "未发现问题"
    return f"错误 {counts['error']} 项，警告 {counts['warning']} 项，提示 {counts['info']} 项"


def _hostile():
    """Findings a user could provoke: markup in the message, the sheet name, the values."""
    return [
        Finding("A301", ERROR, "表<1>", "C6", "「表<1>」C6：项目「<script>alert('x')</script>」& 其他", Decimal("1.50"), "<b>"),
        Finding("Z999", INFO, "情况说明", None, "没有登记的规则 <i>也能显示</i>"),
    ]


# ------------------------------------------------------------------ text

def test_text_groups_by_file_and_sheet_with_summary(seed):
    out = to_text([seed], color=False)
    assert not ANSI.search(out)
    lines = out.splitlines()
    assert lines[0] == str(EXAMPLE)
    assert _counts_line(summary(seed.findings)) in lines
    for sheet in {f.sheet for f in seed.findings}:
        assert f"【{sheet}】" in lines
    rules = {r.code: r for r in catalogue()}
    for f in seed.findings:
        cell = f.cell or "-"
        label = f"{SEVERITY_ZH[f.severity]} {f.rule} {rules[f.rule].title}"
        assert any(ln.startswith(f"  {cell} ") and label in ln for ln in lines), f
    # the line starts with the cell; the 「sheet」cell： prefix is not repeated in the message
    f = next(f for f in seed.findings if f.message.startswith(f.location() + "："))
    assert f.location() + "：" not in next(ln for ln in lines if ln.startswith(f"  {f.cell} ") and f.rule in ln)


def test_text_colour_only_on_request(seed):
    findings = seed.findings + _hostile()
    plain = to_text([FileResult("a.xlsx", findings, None)], color=False)
    coloured = to_text([FileResult("a.xlsx", findings, None)], color=True)
    assert not ANSI.search(plain)
    assert "\x1b[31m错误\x1b[0m" in coloured and "\x1b[36m提示\x1b[0m" in coloured
    if any(f.severity == WARNING for f in findings):
        assert "\x1b[33m警告\x1b[0m" in coloured
    assert re.sub(r"\x1b\[\d*m", "", coloured) == plain


def test_text_clean_unreadable_and_total():
    results = [FileResult("ok.xlsx", [], None), FileResult("bad.xlsx", None, UNREADABLE),
               FileResult("x.xlsx", _hostile(), None)]
    out = to_text(results, color=False)
    assert "ok.xlsx\n未发现问题" in out
    assert f"bad.xlsx\n  无法读取：{UNREADABLE}" in out
    assert "错误 1 项，警告 0 项，提示 1 项" in out
    assert out.rstrip().endswith("共 3 个文件：错误 1 项，警告 0 项，提示 1 项；1 个文件无法读取")
    assert "  -   提示 Z999  没有登记的规则" in out  # a finding without a cell, a code outside the catalogue


def test_text_english_headings_keep_chinese_messages(seed):
    out = to_text([seed, FileResult("bad.xlsx", None, UNREADABLE)], color=False, lang="en")
    c = summary(seed.findings)
    assert f"errors {c['error']}, warnings {c['warning']}, info {c['info']}" in out
    assert "Unreadable: " + UNREADABLE in out
    assert "未发现问题" not in out and _counts_line(c) not in out and "【" in out
    assert seed.findings[0].message.split("：", 1)[-1][:10] in out


# ------------------------------------------------------------------ JSON

def test_json_exact_shape_and_counts(seed):
    bad = FileResult("bad.xlsx", None, UNREADABLE)
    data = json.loads(to_json([seed, bad]))
    assert list(data) == ["files"]
    one, two = data["files"]
    assert list(one) == ["file", "findings", "summary", "config"]
    assert one["config"]["default"] is True and one["config"]["text"] == "默认规则设置"
    assert one["file"] == str(EXAMPLE)
    assert one["summary"] == summary(seed.findings)
    assert list(one["summary"]) == ["error", "warning", "info"]
    assert len(one["findings"]) == len(seed.findings)
    for got, f in zip(one["findings"], seed.findings):
        assert list(got) == ["rule", "severity", "sheet", "cell", "message", "expected", "actual"]
        assert (got["rule"], got["severity"], got["sheet"], got["cell"], got["message"]) == \
               (f.rule, f.severity, f.sheet, f.cell, f.message)
        for key in ("expected", "actual"):
            v = getattr(f, key)
            if isinstance(v, Decimal):
                assert got[key] == format(v, "f") and isinstance(got[key], str)
    assert two == {"file": "bad.xlsx", "findings": [], "summary": {"error": 0, "warning": 0, "info": 0},
                   "config": one["config"], "error": UNREADABLE}


def test_json_decimals_as_strings_and_chinese_unescaped():
    f = Finding("A302", WARNING, "表3 支出总表", "C6", "「表3 支出总表」C6：尾差", Decimal("224.31"), Decimal("224.30"))
    out = to_json([FileResult("a.xlsx", [f], None)])
    assert "表3 支出总表" in out and "\\u" not in out
    got = json.loads(out)["files"][0]["findings"][0]
    assert got["expected"] == "224.31" and got["actual"] == "224.30"


# ------------------------------------------------------------------ HTML

class _Doc(HTMLParser):
    """Collects what a browser would see: tags, ids, links, and the text of each table cell."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.ids, self.hrefs, self.cells, self.text = [], set(), [], [], []
        self._td = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "td":
            self._td = ""

    def handle_endtag(self, tag):
        if tag == "td" and self._td is not None:
            self.cells.append(self._td)
            self._td = None

    def handle_data(self, data):
        self.text.append(data)
        if self._td is not None:
            self._td += data


def _parse(html_text):
    p = _Doc()
    p.feed(html_text)
    p.close()
    return p


def test_html_report_of_the_seed(seed):
    out = to_html([seed], today=date(2024, 3, 1))
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    doc = _parse(out)
    tags = [t for t, _ in doc.tags]
    assert ("html", {"lang": "zh-CN"}) in doc.tags and ("meta", {"charset": "utf-8"}) in doc.tags
    # self-contained: inline CSS only, no scripts, no external references
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert not re.search(r"(src|href)\s*=\s*\"(https?:)?//", out) and "@import" not in out
    assert "@media print" in out
    text = "".join(doc.text)
    assert EXAMPLE.name in text and "2024年3月1日" in text
    c = summary(seed.findings)
    for sev in ("error", "warning", "info"):
        assert f"{SEVERITY_ZH[sev]} {c[sev]} 项" in text
    for h in ("单元格", "级别", "规则", "说明", "应为", "实际"):
        assert ("th", {}) in doc.tags and h in text
    rules = {r.code: r for r in catalogue()}
    rows = [doc.cells[i:i + 6] for i in range(0, len(doc.cells), 6)]
    assert len(rows) == len(seed.findings)
    for row, f in zip(rows, seed.findings):
        assert row[0] == (f.cell or "（整表）") and row[1] == SEVERITY_ZH[f.severity]
        assert row[2] == f"{f.rule} {rules[f.rule].title}"
        assert row[3] and row[3] in f.message
        if isinstance(f.expected, Decimal):
            assert row[4] == format(f.expected, "f")
    # every rule link lands on a glossary entry carrying the rule's doc
    assert doc.hrefs and all(h.startswith("#") and h[1:] in doc.ids for h in doc.hrefs)
    for code in {f.rule for f in seed.findings}:
        assert f"rule-{code}" in doc.ids
        assert unwrap(rules[code].doc) in text
    for sheet in {f.sheet for f in seed.findings}:
        assert ("h3", {}) in doc.tags and sheet in text


def test_html_escapes_user_text():
    out = to_html([FileResult("<b>dept.xlsx", _hostile(), None)])
    assert "<script>" not in out and "<b>" not in out and "<i>" not in out and "<1>" not in out
    doc = _parse(out)
    assert "script" not in [t for t, _ in doc.tags]
    text = "".join(doc.text)
    assert "项目「<script>alert('x')</script>」& 其他" in text  # shown to the reader as typed
    assert "表<1>" in text and "<b>dept.xlsx" in text
    assert "没有登记的规则 <i>也能显示</i>" in text and "（整表）" in doc.cells
    assert "rule-Z999" in doc.ids and "（规则目录中没有这条规则的说明。）" in text


def test_html_several_files_with_an_unreadable_one(seed):
    out = to_html([seed, FileResult("/secret/folder/bad.xlsx", None, UNREADABLE)], title="某某区财政局 审核意见",
                  lang="en", today=date(2024, 3, 1))
    doc = _parse(out)
    text = "".join(doc.text)
    assert "某某区财政局 审核意见" in text and "2024-03-01" in text
    assert "/secret/folder" not in out  # file names only, not the bureau's folders
    assert "Unreadable: " + UNREADABLE in text and "1 unreadable" in text
    assert {"file-1", "file-2"} <= doc.ids
    for h in ("Cell", "Severity", "Rule", "Message", "Expected", "Actual"):
        assert h in text
    assert "单元格" not in text


# ------------------------------------------------------------------ docs/rules.md

def test_docs_rules_md_is_current():
    path = ROOT / "docs" / "rules.md"
    if not path.exists() or path.read_text(encoding="utf-8") != rules_markdown():
        pytest.fail("docs/rules.md is stale: run `bdt docs rules --out docs/rules.md`", pytrace=False)


def test_rules_markdown_lists_every_rule_by_family():
    from toolkit.rules import FAMILIES

    md = rules_markdown()
    positions = []
    for r in catalogue():
        head = f"### {r.code} {r.title}"
        assert head in md
        section = md.split(head, 1)[1].split("\n### ", 1)[0]
        assert f"级别：{SEVERITY_ZH[r.severity]}" in section
        assert unwrap(r.doc) in section
        assert f"](#{r.code.lower()})" in md and f'<a id="{r.code.lower()}"></a>' in md
        positions.append((list(FAMILIES).index(r.code[0]), md.index(head)))
    assert [p for _, p in sorted(positions)] == sorted(p for _, p in positions)  # families in FAMILIES order
    assert md.index("## 目录") < min(p for _, p in positions)


def test_unwrap_joins_chinese_lines_without_spaces():
    assert unwrap("表内合计与各分项之和\n相差不超过。\nSee also\nA302.") == "表内合计与各分项之和相差不超过。See also A302."
    assert unwrap("第一段\n续\n\n第二段") == "第一段续\n\n第二段"
    assert unwrap("包括：\n- 甲\n- 乙") == "包括：\n- 甲\n- 乙"
