"""Batch robustness (issue 17, point 5): a per-file time limit, exit 3 for an internal error, a
crash of one file never stops the summary, output names never collide with the summary's files."""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from test_batch_support import copy_tree, corpus

from toolkit import batch
from toolkit.batch import ERRORS, INTERNAL, OK, UNREADABLE, Options, run_batch
from toolkit.cli import main

fork_only = pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                               reason="needs fork to pass the patch to the workers")


def _slow_reader(victim: str, block_alarm: bool = False):
    from toolkit.io import reader

    real = reader.read_workbook

    def slow(path, *a, **kw):
        if Path(path).name == victim:
            if block_alarm:  # a native library stuck without returning to Python: the alarm never lands
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(60)
        return real(path, *a, **kw)

    return reader, slow


def test_a_file_over_the_time_limit_is_reported_and_the_batch_goes_on(tmp_path, monkeypatch):
    paths = copy_tree(corpus()[:3], tmp_path / "in")
    reader, slow = _slow_reader(paths[1].name)
    monkeypatch.setattr(reader, "read_workbook", slow)
    batch.warm()  # the first file does not pay for loading the schema and rules
    t0 = time.monotonic()
    r = run_batch(paths, Options(out_dir=str(tmp_path / "out"), timeout=4))
    assert time.monotonic() - t0 < 30
    st = [o.status for o in r.outcomes]
    assert st[1] == UNREADABLE and st[0] in (OK, ERRORS) and st[2] in (OK, ERRORS)
    assert "时间限制（4 秒）" in r.outcomes[1].message and "--timeout" in r.outcomes[1].message
    assert r.exit_status == 2
    assert (tmp_path / "out" / r.outcomes[1].folder / "report.html").is_file()
    assert "时间限制" in (tmp_path / "out" / "summary.html").read_text(encoding="utf-8")
    assert not signal.getitimer(signal.ITIMER_REAL)[0]  # no alarm left armed in this process


@fork_only
def test_a_worker_deaf_to_its_alarm_is_killed_by_the_parent(tmp_path, monkeypatch):
    """The in-worker alarm cannot interrupt a stuck native call; the parent kills that pool and
    retries the other files that were running on it."""
    paths = copy_tree(corpus()[:4], tmp_path / "in")
    reader, slow = _slow_reader(paths[0].name, block_alarm=True)
    monkeypatch.setattr(reader, "read_workbook", slow)
    opts = Options(out_dir=str(tmp_path / "out"), timeout=2)  # the parent gives up after 8 s
    ex = batch.make_executor("process", 2, None, opts)
    t0 = time.monotonic()
    try:
        r = run_batch(paths, opts, ex.executor, respawn=ex.respawn, jobs=2)
    finally:
        ex.close()
    assert time.monotonic() - t0 < 40
    st = [o.status for o in r.outcomes]
    assert st[0] == UNREADABLE and "时间限制" in r.outcomes[0].message
    assert all(s in (OK, ERRORS, UNREADABLE) for s in st[1:])  # the others: done (or timed out on a busy machine)
    assert sum(s in (OK, ERRORS) for s in st[1:]) >= 2
    assert (tmp_path / "out" / "summary.csv").is_file()


@fork_only
def test_jobs_1_survives_a_native_crash_and_writes_the_summary(tmp_path, monkeypatch, capsys):
    """`--jobs 1` runs in one worker process: a file that kills it (os._exit stands for an abort
    in the reading library) is one internal-error row, exit 3, and the summary is written."""
    from toolkit.io import reader

    paths = copy_tree(corpus()[:3], tmp_path / "in")
    real = reader.read_workbook

    def crash(path, *a, **kw):
        if Path(path).name == paths[2].name:
            os._exit(134)
        return real(path, *a, **kw)

    monkeypatch.setattr(reader, "read_workbook", crash)
    out = tmp_path / "out"
    code = main(["batch", *map(str, paths), "--out", str(out), "--jobs", "1", "--no-progress"])
    assert code == 3
    text = (out / "summary.csv").read_text(encoding="utf-8-sig")
    assert paths[2].name in text and "内部错误" in text
    assert not list(out.glob(".bdt-staging-*"))  # the staging folder is gone
    assert "异常退出" in capsys.readouterr().out


def test_exit_status_order():
    def o(status):
        return batch.FileOutcome(path="x.xlsx", status=status)

    assert batch.exit_status([o(OK)]) == 0
    assert batch.exit_status([o(OK), o(ERRORS)]) == 1
    assert batch.exit_status([o(ERRORS), o(UNREADABLE)]) == 2
    assert batch.exit_status([o(UNREADABLE), o(INTERNAL), o(ERRORS)]) == 3


def test_timeout_option_on_the_command_line(capsys):
    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    assert "--timeout" in capsys.readouterr().out


def test_no_output_name_collides_with_the_summary(tmp_path):
    """Departments named like the batch's own files, and an input whose name would make an
    over-long filled workbook: every department gets its folder, the summary its two files."""
    import toolkit
    from toolkit.io.writer import write_cells

    src = corpus()[0]
    d = toolkit.load(src)
    e = d.entry("info", "dept_name")
    names = ["summary.csv", "SUMMARY.HTML", "summary.html.", ".bdt-staging-x", "report.html"]
    paths = []
    for k, name in enumerate(names):
        dst = tmp_path / "in" / f"{k}{'长' * 82}.xlsx"  # 252 bytes: the filled name must be shortened
        dst.parent.mkdir(exist_ok=True)
        paths.append(write_cells(src, {e.sheet: {e.cell: name}}, dst))  # an atomic write: its temporary name fits too
    out = tmp_path / "out"
    r = run_batch(paths, Options(out_dir=str(out), fill=True))
    assert all(o.status in (OK, ERRORS) for o in r.outcomes), [o.message for o in r.outcomes]
    top = sorted(p.name for p in out.iterdir())
    assert batch.SUMMARY_CSV in top and batch.SUMMARY_HTML in top
    folders = [o.folder for o in r.outcomes]
    assert len(set(f.casefold() for f in folders)) == len(folders)
    assert not {f.casefold() for f in folders} & {batch.SUMMARY_CSV, batch.SUMMARY_HTML}
    assert all(not f.startswith(".") for f in folders)
    for o in r.outcomes:
        filled = [n for n in o.outputs if ".filled." in n]
        assert len(filled) == 1 and len(filled[0].encode()) <= 255
        assert {"report.html", "findings.json"} <= set(o.outputs)
