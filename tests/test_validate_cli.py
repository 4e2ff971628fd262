"""`bdt validate` end to end on real files: exit status, formats, --output, unreadable files, colour."""
import json
import os
import sys
from html.parser import HTMLParser

import pytest

import toolkit
from conftest import EXAMPLE, TEMPLATE, edit_workbook, run
from toolkit.cli import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, validate_status
from toolkit.findings import ERROR, INFO, WARNING, Finding, summary
from toolkit.report import FileResult
from toolkit.rules import validate


def bdt(*args, **kw):
    env = {**os.environ, **kw.pop("env", {})}
    return run(sys.executable, "-m", "toolkit.cli", *map(str, args), env=env, **kw)


def expected_status(path) -> int:
    return EXIT_FINDINGS if summary(validate(toolkit.load(path)))["error"] else EXIT_OK


def _json(r):
    assert r.stdout.strip(), r.stderr
    return json.loads(r.stdout)


@pytest.fixture
def corrupt(tmp_path):
    p = tmp_path / "损坏的.xlsx"
    p.write_bytes(b"PK\x03\x04 this is not really a workbook")
    return p


def test_seed_example_status_follows_its_findings():
    r = bdt("validate", EXAMPLE, "--format", "json")
    assert r.returncode == expected_status(EXAMPLE), r.stderr
    (f,) = _json(r)["files"]
    assert f["file"] == str(EXAMPLE) and "error" not in f
    assert f["summary"] == summary(validate(toolkit.load(EXAMPLE)))
    assert len(f["findings"]) == sum(f["summary"].values())


def test_seed_example_text_by_default():
    r = bdt("validate", EXAMPLE)
    assert r.returncode == expected_status(EXAMPLE)
    c = summary(validate(toolkit.load(EXAMPLE)))
    assert r.stdout.splitlines()[0] == str(EXAMPLE)
    assert f"错误 {c['error']} 项，警告 {c['warning']} 项，提示 {c['info']} 项" in r.stdout
    assert "\x1b[" not in r.stdout  # not a terminal: no colour


def test_empty_template_status_follows_its_findings():
    r = bdt("validate", TEMPLATE, "--format", "json")
    assert r.returncode == expected_status(TEMPLATE), r.stderr
    (f,) = _json(r)["files"]
    assert f["summary"] == summary(validate(toolkit.load(TEMPLATE)))


def test_arithmetic_error_exits_1(tmp_path):
    bad = edit_workbook(EXAMPLE, {("表3 支出总表", "D9"): 99.99}, tmp_path / "改错的.xlsx")
    findings = validate(toolkit.load(bad))
    assert any(f.severity == ERROR and f.sheet == "表3 支出总表" for f in findings)
    r = bdt("validate", bad, "--format", "json")
    assert r.returncode == EXIT_FINDINGS
    assert _json(r)["files"][0]["summary"]["error"] == summary(findings)["error"]


def test_corrupt_file_does_not_stop_the_others(corrupt):
    r = bdt("validate", corrupt, EXAMPLE, "--format", "json")
    assert r.returncode == EXIT_UNREADABLE  # 2 wins over 1
    first, second = _json(r)["files"]
    assert first["file"] == str(corrupt) and first["findings"] == []
    assert "损坏的.xlsx" in first["error"] and first["summary"] == {"error": 0, "warning": 0, "info": 0}
    assert second["file"] == str(EXAMPLE) and "error" not in second
    assert second["summary"] == summary(validate(toolkit.load(EXAMPLE)))


def test_missing_and_corrupt_files_in_text(corrupt, tmp_path):
    r = bdt("validate", EXAMPLE, tmp_path / "没有.xlsx", corrupt)
    assert r.returncode == EXIT_UNREADABLE
    assert "无法读取：找不到文件" in r.stdout and "无法读取：「损坏的.xlsx」" in r.stdout
    assert "共 3 个文件" in r.stdout and "2 个文件无法读取" in r.stdout


def test_output_writes_the_file(tmp_path):
    out = tmp_path / "报告" / "seed.json"
    r = bdt("validate", EXAMPLE, "--format", "json", "--output", out)
    assert r.returncode == expected_status(EXAMPLE)
    assert out.exists() and str(out) in r.stdout and "{" not in r.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["files"][0]["file"] == str(EXAMPLE)
    txt = tmp_path / "seed.txt"
    bdt("validate", EXAMPLE, "-o", txt)
    assert "\x1b[" not in txt.read_text(encoding="utf-8") and str(EXAMPLE) in txt.read_text(encoding="utf-8")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def test_html_is_a_full_document(tmp_path, corrupt):
    out = tmp_path / "report.html"
    r = bdt("validate", EXAMPLE, corrupt, "--format", "html", "--output", out)
    assert r.returncode == EXIT_UNREADABLE
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<html lang="zh-CN">' in page and '<meta charset="utf-8">' in page
    p = _Tags()
    p.feed(page)
    assert {"html", "head", "title", "style", "body", "table"} <= set(p.tags) and "script" not in p.tags
    assert EXAMPLE.name in page and "损坏的.xlsx" in page
    # to stdout as well
    r = bdt("validate", EXAMPLE, "--format", "html")
    assert r.stdout.startswith("<!DOCTYPE html>") and r.returncode == expected_status(EXAMPLE)


def test_lang_en_switches_headings_only():
    r = bdt("validate", EXAMPLE, "--lang", "en")
    c = summary(validate(toolkit.load(EXAMPLE)))
    assert f"errors {c['error']}, warnings {c['warning']}, info {c['info']}" in r.stdout
    assert "【表" in r.stdout  # sheet names and messages stay Chinese
    r = bdt("validate", EXAMPLE, "--lang", "en", "--format", "html")
    assert "<th>Cell</th>" in r.stdout and "<th>单元格</th>" not in r.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_on_a_terminal_unless_no_color():
    import pty
    import subprocess

    def on_tty(extra_env):
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env.update(extra_env)
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "validate", str(EXAMPLE)], stdout=slave,
                                 stderr=subprocess.DEVNULL, env=env)
        finally:
            os.close(slave)
        chunks = []
        try:  # read while it writes: a full terminal buffer would block the child
            while data := os.read(master, 65536):
                chunks.append(data)
        except OSError:  # EIO once the child has closed its side (Linux)
            pass
        finally:
            os.close(master)
        return p.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")

    code, out = on_tty({})
    assert code == expected_status(EXAMPLE)
    assert "\x1b[" in out
    if summary(validate(toolkit.load(EXAMPLE)))["warning"]:
        assert "\x1b[33m警告\x1b[0m" in out
    code, out = on_tty({"NO_COLOR": "1"})
    assert "\x1b[" not in out and str(EXAMPLE) in out


def test_status_rules():
    warn = Finding("A302", WARNING, "表1", "C6", "尾差")
    err = Finding("A301", ERROR, "表1", "C6", "不符")
    info = Finding("F105", INFO, "表1", "C6", "空格")
    ok, bad = FileResult("a", [warn, info], None), FileResult("b", [warn, err], None)
    unreadable = FileResult("c", None, "无法读取")
    assert validate_status([]) == EXIT_OK
    assert validate_status([ok, FileResult("d", [], None)]) == EXIT_OK
    assert validate_status([ok, bad]) == EXIT_FINDINGS
    assert validate_status([bad, unreadable]) == EXIT_UNREADABLE
    assert validate_status([unreadable, ok]) == EXIT_UNREADABLE
    # the program's own failure is told by the result, not by the wording of its message
    crashed = FileResult("e", None, "任何文字", internal=True)
    assert validate_status([ok, crashed, unreadable]) == 3
    assert validate_status([FileResult("f", None, "程序内部错误（不是文件本身的问题）")]) == EXIT_UNREADABLE


def test_docs_rules_command(tmp_path):
    from toolkit.docs import rules_markdown

    out = tmp_path / "rules.md"
    r = bdt("docs", "rules", "--out", out)
    assert r.returncode == 0 and out.read_text(encoding="utf-8") == rules_markdown()
    r = bdt("docs", "rules")
    assert r.stdout == rules_markdown()


def test_group_lists_one_discrepancy_once_with_its_other_cells():
    """--group (issue 12 point 8): the seed's one 尾差 (224.31 typed where the items sum to 224.32),
    copied into several tables, is one finding that names the other cells; every other finding
    stays, and the JSON report agrees with the library's grouping."""
    from toolkit.rules.rootcause import group_identical

    findings = validate(toolkit.load(EXAMPLE))
    grouped = group_identical(findings)
    assert len(grouped) < len(findings)
    r = bdt("validate", "--group", "--format", "json", str(EXAMPLE))
    assert r.returncode == expected_status(EXAMPLE)
    out = _json(r)["files"][0]["findings"]
    assert [(f["rule"], f["sheet"], f["cell"]) for f in out] == [(f.rule, f.sheet, f.cell) for f in grouped]
    merged = [f for f in out if "同一差异共" in f["message"]]
    assert merged, "the 尾差 should be merged"
    # every cell a merged finding stands for is named in its message
    for f in merged:
        n = int(f["message"].split("同一差异共 ")[1].split(" 处")[0])
        assert n >= 2 and f["message"].count("」") >= n - 1
    # without --group: one finding per cell, as before
    plain = _json(bdt("validate", "--format", "json", str(EXAMPLE)))["files"][0]["findings"]
    assert len(plain) == len(findings)
