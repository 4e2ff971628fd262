"""Batch reads and derives each workbook once (issue 14 point 3): validate, fill and export share
the model read, the fill plan and the findings of the filled model."""
from __future__ import annotations

import shutil
from pathlib import Path

import toolkit
from toolkit import fill as fill_module
from toolkit import rules
from toolkit.batch import ERRORS, OK, InlineExecutor, Options, run_batch
from toolkit.io import reader

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "xinzhou-beijing-office-2023.xlsx"


def _counting(monkeypatch, module, name, counts, key):
    real = getattr(module, name)

    def counted(*args, **kwargs):
        counts[key] = counts.get(key, 0) + 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


def test_fill_and_export_read_derive_and_validate_each_workbook_once(tmp_path, monkeypatch):
    paths = []
    for k in range(2):
        p = tmp_path / "in" / f"单位{k}.xlsx"
        p.parent.mkdir(exist_ok=True)
        shutil.copyfile(EXAMPLE, p)
        paths.append(p)
    counts: dict = {}
    # every way in: the reader itself, the names fill and the package bound at import time
    _counting(monkeypatch, reader, "read_workbook", counts, "read")
    _counting(monkeypatch, fill_module, "read_workbook", counts, "read")
    _counting(monkeypatch, toolkit, "load", counts, "load")  # calls reader.read_workbook: counted there too
    _counting(monkeypatch, fill_module, "compute", counts, "derive")
    _counting(monkeypatch, rules, "validate", counts, "validate")
    opts = Options(out_dir=str(tmp_path / "out"), fill=True, export=("html",), export_all=True, timeout=None)
    result = run_batch(paths, opts, InlineExecutor())

    assert all(o.status in (OK, ERRORS) and not o.message for o in result.outcomes), [o.message for o in result.outcomes]
    for o in result.outcomes:  # the work was really done: a filled workbook and a published file each
        folder = Path(result.out_dir) / o.folder
        assert any(n.endswith(".filled.xlsx") for n in o.outputs), o.outputs
        assert list((folder / "公开文件").glob("*.html")), o.outputs
    assert counts.get("read") == len(paths), counts  # 3 per workbook before 9436141 (batch, fill, export each read it)
    assert counts.get("load", 0) == 0, counts
    assert counts.get("derive") == len(paths), counts  # 3 before 9436141 (fill, export, the findings)
    assert counts.get("validate") == len(paths), counts  # the filled model's, once (3 before 9436141)


# ---------------------------------------------------------------- the --jobs default

def test_default_jobs_is_the_least_of_cores_files_and_four(monkeypatch):
    from toolkit import batch

    for cores, files, expected in [(2, 8, 2), (16, 100, 4), (8, 3, 3), (1, 50, 1), (4, 0, 1)]:
        monkeypatch.setattr(batch, "usable_cores", lambda c=cores: c)
        assert batch.default_jobs(files) == expected, (cores, files)
    monkeypatch.undo()
    assert 1 <= batch.usable_cores() <= (__import__("os").cpu_count() or 1)


def test_cli_without_jobs_uses_the_default(tmp_path, monkeypatch, capsys):
    from toolkit import batch
    from toolkit.cli import main

    monkeypatch.setattr(batch, "usable_cores", lambda: 16)  # a big server: still 4 at most, and 1 per file
    paths = []
    for k in range(6):
        p = tmp_path / f"单位{k}.xlsx"
        shutil.copyfile(EXAMPLE, p)
        paths.append(str(p))
    assert main(["batch", *paths, "--out", str(tmp_path / "six"), "--no-progress"]) in (0, 1)
    assert "使用4 个进程处理" in capsys.readouterr().err  # capped at 4
    assert main(["batch", *paths[:2], "--out", str(tmp_path / "two"), "--no-progress"]) in (0, 1)
    assert "使用2 个进程处理" in capsys.readouterr().err  # one per file at most
