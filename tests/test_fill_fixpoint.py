"""Fill is a fixed point: one run writes what a second run would write (issue 12, point 13).

Property: fill(fill(x)) == fill(x) — same cells, same bytes — for the seed, for the seed with every
derived cell and paragraph blank, and for workbooks made by benchmarks/generate.py (inputs only,
so the first fill derives everything, the narrative included, from blank derived cells).
"""
from __future__ import annotations

import random
import sys
import zipfile

import pytest
from conftest import EXAMPLE, ROOT

import toolkit
from toolkit.datafile import write_data
from toolkit.fill import fill
from toolkit.io import writer

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (benchmarks/generate.py: synthetic department data)


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def _blank(src, dst, paragraphs=True):
    """Every derived cell of `src` emptied (the clerk's paragraphs too when `paragraphs`)."""
    d = toolkit.load(src)
    by_sheet = {}
    for inst, row, col, e in d.cells(role="derived"):
        if e.spec.editable and not paragraphs:
            continue
        by_sheet.setdefault(e.sheet, {})[e.cell] = None
    writer.write_cells(src, by_sheet, dst)
    return dst


def assert_fixed_point(src, tmp_path):
    once, plan1 = fill(src, tmp_path / "once.xlsx")
    twice, plan2 = fill(once, tmp_path / "twice.xlsx")
    assert plan2.changes == {}, {k: (plan1.values.get(k), v) for k, v in plan2.changes.items()}
    assert _members(once) == _members(twice)
    return once, plan1


def test_seed_is_a_fixed_point_after_one_fill(tmp_path):
    assert_fixed_point(EXAMPLE, tmp_path)


def test_blank_seed_reaches_the_fixed_point_in_one_run(tmp_path):
    once, _ = assert_fixed_point(_blank(EXAMPLE, tmp_path / "blank.xlsx"), tmp_path)
    d = toolkit.load(once)
    s6 = d.get("narrative", "s6_2") + d.get("narrative", "s6_3")
    assert "无等" not in s6 and "主要包括：无" not in s6
    assert "基本工资" in d.get("narrative", "s6_2") and "办公费" in d.get("narrative", "s6_3")
    assert "一般公共服务支出207.41万元" in d.get("narrative", "s5_2")


@pytest.mark.parametrize("k,n_rows,n_projects", [(0, 12, 3), (1, 30, 8), (2, 8, 0)])
def test_generated_workbooks_reach_the_fixed_point_in_one_run(tmp_path, k, n_rows, n_projects):
    data = generate.department_data(random.Random(1200 + k), n_rows, n_projects)
    src = write_data(data, tmp_path / "inputs.xlsx")
    assert toolkit.load(src).get("t3", "total", "total") is None  # derived cells blank
    assert_fixed_point(src, tmp_path)
