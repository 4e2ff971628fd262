"""`bdt batch`: many workbooks in parallel, one folder per department, a bureau summary."""
from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import shutil
from pathlib import Path

import pytest
from test_batch_support import SEED, copy_tree, corpus, corrupt_cases, digest

import toolkit
from toolkit import batch
from toolkit.batch import (ERRORS, INTERNAL, OK, UNREADABLE, InlineExecutor, Options, Progress, discover, run_batch,
                           safe_folder_name)
from toolkit.cli import main


def outcome_key(o):
    return (Path(o.path).name, o.department, o.status, dict(o.counts), dict(o.rules), o.folder)


def rows(out: Path) -> list[dict]:
    text = (out / "summary.csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    return list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """A bureau's inbox: the generated department workbooks and every corrupt case, in subfolders."""
    root = tmp_path_factory.mktemp("inbox")
    copy_tree(corpus(), root / "各单位")
    copy_tree(corrupt_cases().values(), root / "问题文件")
    (root / "各单位" / "~$忻州市教育局.xlsx").write_bytes(b"lock")  # Excel's lock file: skipped
    (root / "说明.txt").write_text("not a workbook")  # not a workbook suffix: skipped
    return root


@pytest.fixture(scope="module")
def bureau_run(inbox, tmp_path_factory):
    """`bdt batch INBOX --out OUT --fill --jobs 2` once for the module (process pool)."""
    out = tmp_path_factory.mktemp("out")
    before = {p: digest(p) for p in inbox.rglob("*") if p.is_file()}
    code = main(["batch", str(inbox), "--out", str(out), "--jobs", "2", "--fill", "--no-progress"])
    after = {p: digest(p) for p in inbox.rglob("*") if p.is_file()}
    return code, out, before, after


# ---------------------------------------------------------------- the main job

def test_batch_over_departments_and_corrupt_cases(bureau_run, inbox):
    code, out, _, _ = bureau_run
    cases = corrupt_cases()
    table = rows(out)
    assert code == 2  # some files could not be read
    assert len(table) == len(corpus()) + len(cases)  # one row per workbook, lock file and .txt skipped
    by_file = {Path(r["文件"]).name: r for r in table}
    readable_cases = {"libreoffice", "formula_no_cache",  # readable, with findings naming the cells:
                      "hostile_numbers", "value_outside", "prefixed_sheets", "copied_form", "hostile_text"}
    for case, path in cases.items():
        r = by_file[path.name]
        if case in readable_cases:
            assert r["status"] in (OK, ERRORS), (case, r)
        else:
            assert r["status"] == UNREADABLE and r["说明"], (case, r)  # every corrupt file reported by name
    for p in corpus():
        assert by_file[p.name]["status"] in (OK, ERRORS)
        assert by_file[p.name]["部门"] in p.stem  # the department read from the workbook
    statuses = {r["status"] for r in table}
    assert {OK, ERRORS, UNREADABLE} <= statuses and INTERNAL not in statuses


def test_each_department_gets_its_own_folder_inside_out(bureau_run):
    code, out, _, _ = bureau_run
    table = rows(out)
    folders = [r["输出文件夹"] for r in table]
    assert len(set(folders)) == len(folders) and all(folders)
    for r in table:
        folder = out / r["输出文件夹"]
        assert folder.resolve().parent == out.resolve()
        assert (folder / "report.html").is_file() and (folder / batch.MARKER).is_file()
        if r["status"] in (OK, ERRORS):
            data = json.loads((folder / "findings.json").read_text(encoding="utf-8"))
            assert data["files"][0]["summary"]["error"] == int(r["错误"])
            filled = [p for p in folder.iterdir() if p.name.endswith(".filled.xlsx")]
            assert len(filled) == 1  # --fill
            toolkit.load(filled[0])  # the filled workbook reads
        else:
            html = (folder / "report.html").read_text(encoding="utf-8")
            assert r["说明"][:20] in html  # the department is told why its file was refused
    # the seed's department appears three times (LibreOffice copy, formula copy, …): suffixes
    seed_name = toolkit.load(SEED).dept_name
    assert seed_name in folders and f"{seed_name}-2" in folders


def test_input_files_are_never_modified(bureau_run):
    _, _, before, after = bureau_run
    assert before == after


def test_summary_html_names_every_corrupt_file_and_links_reports(bureau_run):
    _, out, _, _ = bureau_run
    html = (out / "summary.html").read_text(encoding="utf-8")
    for r in rows(out):
        if r["status"] == UNREADABLE:
            assert Path(r["文件"]).name in html
    assert "<svg" in html and "各规则问题数" in html  # the per-rule chart
    from toolkit.sortable import script_tag

    # self-contained: the one inline script is the table sorter (issue 16), nothing loaded from elsewhere
    assert html.count("<script") == 1 and script_tag() in html and "src=" not in html
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")
    from urllib.parse import unquote
    import re

    links = re.findall(r'href="([^"#]+)"', html)
    assert links and all((out / unquote(link)).is_file() for link in links)


def test_summary_totals_add_up(bureau_run):
    _, out, _, _ = bureau_run
    table = rows(out)
    from toolkit.batch import FileOutcome, rule_totals

    outcomes = []
    for r in table:
        top = {}
        for part in filter(None, r["主要问题"].split("、")):
            code, n = part.split("×")
            top[code] = int(n)
        outcomes.append(FileOutcome(r["文件"], status=r["status"], rules=top))
    totals = {t["code"]: t["findings"] for t in rule_totals(outcomes)}
    assert sum(totals.values()) == sum(sum(o.rules.values()) for o in outcomes)


# ---------------------------------------------------------------- same results, any executor

def test_inline_and_process_pool_give_the_same_outcomes(tmp_path):
    paths = corpus()[:6] + [corrupt_cases()["truncated"], corrupt_cases()["entity_bomb"]]
    a = run_batch(paths, Options(out_dir=str(tmp_path / "a")), InlineExecutor())
    ex = batch.make_executor("process", 2, None, Options(out_dir=str(tmp_path / "b")))
    try:
        b = run_batch(paths, Options(out_dir=str(tmp_path / "b")), ex.executor, respawn=ex.respawn, jobs=2)
    finally:
        ex.close()
    assert [outcome_key(o) for o in a.outcomes] == [outcome_key(o) for o in b.outcomes]
    assert a.exit_status == b.exit_status == 2


def test_any_concurrent_futures_executor(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    paths = corpus()[:4]
    with ThreadPoolExecutor(2) as ex:
        r = run_batch(paths, Options(out_dir=str(tmp_path)), ex)
    assert [o.status for o in r.outcomes] == [o.status for o in run_batch(paths, Options(out_dir=str(tmp_path / "i"))).outcomes]


# ---------------------------------------------------------------- one failure never stops the others

def test_unexpected_exception_is_one_internal_error_row(tmp_path, monkeypatch):
    import toolkit.rules

    paths = corpus()[:3]
    real = toolkit.rules.validate
    victim = toolkit.load(paths[1]).dept_name

    def flaky(d, **kw):  # validate(d, config=...): the rule settings in force
        if d.dept_name == victim:
            raise KeyError("boom")
        return real(d, **kw)

    monkeypatch.setattr(toolkit.rules, "validate", flaky)
    r = run_batch(paths, Options(out_dir=str(tmp_path)))
    st = [o.status for o in r.outcomes]
    assert st[1] == INTERNAL and st[0] != INTERNAL and st[2] != INTERNAL
    assert "KeyError: 'boom'" in r.outcomes[1].message and "test_batch.py" in r.outcomes[1].message
    assert r.exit_status == 3  # an internal error: its own exit status, as bdt validate
    assert (tmp_path / r.outcomes[1].folder / "report.html").is_file()
    assert "内部错误" in (tmp_path / "summary.html").read_text(encoding="utf-8")


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="needs fork to pass the patch to workers")
def test_a_crashing_worker_process_takes_down_only_its_file(tmp_path, monkeypatch):
    """A file that kills its worker process (a native crash, out of memory) is isolated and
    reported; the pool is replaced and every other file still gets its result."""
    from toolkit.io import reader

    paths = copy_tree(corpus()[:8], tmp_path / "in")
    killer = paths[3]
    real = reader.read_workbook

    def crash(path, *a, **kw):
        if Path(path).name == killer.name:
            os._exit(9)
        return real(path, *a, **kw)

    monkeypatch.setattr(reader, "read_workbook", crash)
    opts = Options(out_dir=str(tmp_path / "out"))
    ex = batch.make_executor("process", 2, None, opts)
    try:
        r = run_batch(paths, opts, ex.executor, respawn=ex.respawn, jobs=2)
    finally:
        ex.close()
    st = {Path(o.path).name: o.status for o in r.outcomes}
    assert st.pop(killer.name) == INTERNAL
    assert set(st.values()) <= {OK, ERRORS} and len(st) == 7
    bad = next(o for o in r.outcomes if o.path == str(killer))
    assert "异常退出" in bad.message and bad.folder


# ---------------------------------------------------------------- folders, re-runs, names

def test_rerun_replaces_its_own_folders_and_keeps_others(tmp_path):
    paths = corpus()[:3] + [SEED, SEED.with_name(SEED.name)]
    out = tmp_path / "out"
    out.mkdir()
    mine = out / toolkit.load(SEED).dept_name  # a folder the user made, not bdt: never touched
    run_batch(paths, Options(out_dir=str(out)))
    first = sorted(p.name for p in out.iterdir())
    run_batch(paths, Options(out_dir=str(out)))
    assert sorted(p.name for p in out.iterdir()) == first  # no -2, -3 piling up
    shutil.rmtree(out)
    out.mkdir()
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    r = run_batch([SEED], Options(out_dir=str(out)))
    assert (mine / "keep.txt").read_text() == "mine"
    assert r.outcomes[0].folder == mine.name + "-2"


def test_hostile_department_names_stay_inside_out(tmp_path):
    from toolkit.io.writer import write_cells

    d = toolkit.load(SEED)
    e = d.entry("info", "dept_name")
    names = ["../../etc/passwd", "..", "CON", "a/b\\c:d*?", "\u202eexe.txt", " .hidden ", "x" * 400,
             "=HYPERLINK(\"http://x\")", "\x00\x01", "con.txt"]
    paths = []
    for k, name in enumerate(names):
        paths.append(write_cells(SEED, {e.sheet: {e.cell: name}}, tmp_path / f"in{k}.xlsx"))
    out = tmp_path / "out"
    r = run_batch(paths, Options(out_dir=str(out)))
    folders = [o.folder for o in r.outcomes]
    assert len(set(folders)) == len(folders)
    for f in folders:
        assert (out / f).resolve().parent == out.resolve()
        assert "/" not in f and "\\" not in f and ".." not in f and not f.startswith(".")
        assert len(f.encode()) <= batch.MAX_NAME_BYTES + 8
    assert not (tmp_path / "etc").exists()
    table = rows(out)
    assert table[7]["部门"].startswith("'=")  # CSV injection: Excel will not run it
    assert "_CON" in folders and "_con.txt" in folders


@pytest.mark.parametrize("name,expected", [
    ("忻州市财政局", "忻州市财政局"),
    ("../../etc/passwd", "__etc_passwd"),
    ("a/b\\c:d*?\"<>|e", "a_b_c_d______e"),
    ("CON", "_CON"), ("lpt1.txt", "_lpt1.txt"), ("COM¹", "_COM¹"),
    ("  .隐藏.  ", "隐藏"),
    ("e\u0301", "é"),  # NFC
    ("a\u202eb\u200bc", "abc"),  # bidi override, zero-width space
    ("第一行\n第二行\t尾", "第一行 第二行 尾"),
    ("", "未命名单位"), (None, "未命名单位"), ("...", "未命名单位"),
])
def test_safe_folder_name(name, expected):
    assert safe_folder_name(name) == expected


def test_safe_folder_name_caps_length_and_uses_fallback():
    long = safe_folder_name("部" * 500)
    assert len(long) <= batch.MAX_NAME_CHARS and len(long.encode()) <= batch.MAX_NAME_BYTES
    assert safe_folder_name("///", fallback="0007-某局") == "0007-某局"
    assert safe_folder_name(None, fallback="../x") == "_x"


# ---------------------------------------------------------------- inputs, exit codes, CLI

def test_discover_folders_globs_and_skips(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for p in ["a/1.xlsx", "a/b/2.xlsm", "a/b/3.XLSX", "a/~$1.xlsx", "a/.hidden.xlsx", "a/notes.txt", "a/old.xls"]:
        (tmp_path / p).write_bytes(b"x")
    out = tmp_path / "a" / "out"
    out.mkdir()
    (out / "prev.filled.xlsx").write_bytes(b"x")  # an earlier run's output inside the input folder
    found, notes = discover([tmp_path / "a"], out)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == ["a/1.xlsx", "a/b/2.xlsm", "a/b/3.XLSX", "a/old.xls"]
    found, notes = discover([str(tmp_path / "a" / "*.xlsx"), str(tmp_path / "nothing*.xlsx"), tmp_path / "a" / "1.xlsx"])
    assert [p.name for p in found] == ["1.xlsx"] and len(notes) == 1 and "nothing" in notes[0]
    found, _ = discover([tmp_path / "missing.xlsx"])  # a typo is a row that says so
    assert [p.name for p in found] == ["missing.xlsx"]
    found, notes = discover([out], out)  # --out given as the input folder: said so, not silently empty
    assert not found and "输出文件夹" in notes[0]


def _by_status(bureau_run, status) -> list[Path]:
    by_name = {p.name: p for p in corpus()}
    return [by_name[Path(r["文件"]).name] for r in rows(bureau_run[1])
            if r["status"] == status and Path(r["文件"]).name in by_name]


def test_exit_status_like_validate(tmp_path, bureau_run):
    clean, errs = _by_status(bureau_run, OK)[:2], _by_status(bureau_run, ERRORS)[:1]
    assert clean and errs, "the corpus has clean departments and departments with errors"
    assert main(["batch", *map(str, clean), "--out", str(tmp_path / "o0"), "--jobs", "1"]) == 0
    assert main(["batch", *map(str, clean + errs), "--out", str(tmp_path / "o1"), "--jobs", "1"]) == 1
    assert main(["batch", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "o2"), "--jobs", "1"]) == 2
    assert main(["batch", str(tmp_path / "empty-dir-missing*.xlsx"), "--out", str(tmp_path / "o3")]) == 2


def test_cli_prints_every_unreadable_file(tmp_path, capsys):
    cases = corrupt_cases()
    files = [cases["truncated"], cases["not_a_zip"], corpus()[0]]
    code = main(["batch", *map(str, files), "--out", str(tmp_path / "o"), "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 2
    assert cases["truncated"].name in out and cases["not_a_zip"].name in out and "汇总" in out


def test_cli_help_lists_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    text = capsys.readouterr().out
    for opt in ("--out", "--jobs", "--fill", "--export", "--executor", "--scheduler", "--progress"):
        assert opt in text


def test_export_is_called_for_clean_workbooks_only(tmp_path, monkeypatch):
    """--export calls toolkit.export.export(path, formats, out_dir, force) in the worker."""
    try:
        import toolkit.export as export_mod
    except ImportError:
        pytest.skip("toolkit.export not importable yet")
    calls = []

    def fake(path, formats, out_dir, force):
        calls.append((Path(path).name, tuple(formats), Path(out_dir).name, force))
        (Path(out_dir) / "x.pdf").write_bytes(b"%PDF")
        return [Path(out_dir) / "x.pdf"]

    monkeypatch.setattr(export_mod, "export", fake, raising=False)
    paths = corpus()[:6]
    r = run_batch(paths, Options(out_dir=str(tmp_path), export=("pdf",), fill=True))
    ok = [o for o in r.outcomes if o.status == OK]
    assert len(calls) == len(ok) and all(c[1] == ("pdf",) and c[2] == batch.EXPORT_FOLDER and c[3] for c in calls)
    assert all(c[0].endswith(".filled.xlsx") for c in calls)  # with --fill, the filled workbook is exported
    for o in r.outcomes:
        if o.status == ERRORS:
            assert "未导出" in o.message


def test_real_export_when_available(tmp_path, bureau_run):
    try:
        from toolkit.export import export  # noqa: F401
    except ImportError:
        pytest.skip("toolkit.export.export not available yet (being written)")
    clean = _by_status(bureau_run, OK)[:1]
    r = run_batch(clean, Options(out_dir=str(tmp_path / "out"), export=("html",)))
    o = r.outcomes[0]
    assert o.status == OK, o.message
    assert any((tmp_path / "out" / o.folder / batch.EXPORT_FOLDER).iterdir())


# ---------------------------------------------------------------- progress

class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_silent_off_terminal_unless_asked():
    s = io.StringIO()
    p = Progress(10, stream=s)
    for k in range(1, 11):
        p.update(k, "x.xlsx")
    p.close()
    assert s.getvalue() == ""
    s = io.StringIO()
    p = Progress(10, stream=s, enabled=True)
    for k in range(1, 11):
        p.update(k, "x.xlsx")
    assert s.getvalue().count("\n") == 10 and "10/10" in s.getvalue()


def test_progress_bar_redraws_one_line_on_a_terminal():
    s = _Tty()
    p = Progress(3, stream=s)
    p.update(1, "忻州市财政局.xlsx")
    p.last = 0
    p.update(3, "b.xlsx")
    p.close()
    text = s.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and "3/3" in text and "#" in text


def test_unknown_export_format_is_refused_before_any_work(tmp_path, capsys):
    try:
        import toolkit.export as export_mod
    except ImportError:
        pytest.skip("toolkit.export not importable yet")
    if not getattr(export_mod, "FORMATS", None):
        pytest.skip("toolkit.export has no FORMATS list yet")
    code = main(["batch", str(SEED), "--out", str(tmp_path / "o"), "--export", "pdf,xyz"])
    assert code == 2 and "xyz" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_run_bureau_refuses_before_any_workbook_with_the_messages_bdt_batch_prints(tmp_path):
    """The library call behind `bdt batch` (toolkit.batch.run_bureau): each refusal is a BatchError
    with the text the command prints after 错误：, and the notes on the way go to `say`."""
    from toolkit.batch import BatchError, run_bureau

    empty = tmp_path / "空"
    empty.mkdir()
    said = []
    with pytest.raises(BatchError) as exc:
        run_bureau([str(empty)], tmp_path / "out", say=said.append)
    assert exc.value.message == "没有找到要处理的工作簿。"
    assert said == [f"注意：文件夹「{empty}」中没有 .xlsx/.xlsm 工作簿。"]
    with pytest.raises(BatchError) as exc:
        run_bureau([str(SEED)], tmp_path / "out", export="pdf,xyz")
    assert exc.value.message.startswith("未知的导出格式 xyz；可选：")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(BatchError) as exc:
        run_bureau([str(SEED)], tmp_path / "file")
    assert exc.value.message == f"--out「{tmp_path / 'file'}」不是文件夹。"
    assert not (tmp_path / "out").exists()  # nothing written
