"""Consolidation (issue 16 point 1) on a generated bureau of real workbooks: 30 departments, six of
them with a 本级 unit and 2–5 more units, four deliberate faults (benchmarks/generate.py --bureau).

Every figure of the consolidated tables is checked by independent arithmetic: the units' cells
read with openpyxl straight from the files and summed with Decimal, never through
toolkit.consolidate. The bureau is generated and consolidated once per module (≈ 25 s)."""
from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import toolkit
from toolkit.consolidate import MISSING, consolidate
from toolkit.rules import validate

pytestmark = pytest.mark.slow

BLOCK_TABLES = {"t2": "表2 收入总表", "t3": "表3 支出总表", "t5": "表5 一般公共预算支出表", "t6": "表6 基本支出经济科目表"}
FIXED_TABLES = {"t1": "表1 收支总表", "t4": "表4 财政拨款收支总表", "t10": "表10 三公经费表"}


@pytest.fixture(scope="module")
def bureau(generated_bureau, tmp_path_factory):
    folder, manifest = generated_bureau  # shared with test_bureau_year (tests/conftest.py)
    paths = sorted(folder.rglob("*.xlsx"))
    result = consolidate(paths, tmp_path_factory.mktemp("bureau") / "汇总", formats=["html", "data"])
    return folder, manifest, result


# ---------------------------------------------------------------- independent reading (openpyxl only)

def _num(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return Decimal(str(v))
    return None


WANTED = ("基本信息", *BLOCK_TABLES.values(), *FIXED_TABLES.values(), "表12 项目支出表")
_BOOKS: dict = {}


def _sheet(path: Path, sheet: str) -> list[tuple]:
    """The rows of a sheet as openpyxl reads them (each workbook opened once)."""
    key = (str(path), Path(path).stat().st_mtime_ns)
    if key not in _BOOKS:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            _BOOKS[key] = {n: [tuple(r) for r in wb[n].iter_rows(values_only=True)] for n in WANTED}
        finally:
            wb.close()
    return _BOOKS[key][sheet]


def by_code(path: Path, sheet: str) -> dict:
    """{code or 合计: {column index: Decimal}} of a code table's rows."""
    out: dict = {}
    for row in _sheet(path, sheet):
        key = row[0]
        if not (isinstance(key, str) and (key.isdigit() or key == "合计")):
            continue
        cells = out.setdefault(key, {})
        for j, v in enumerate(row[1:], 1):
            if (n := _num(v)) is not None:
                cells[j] = cells.get(j, Decimal(0)) + n
    return out


def by_position(path: Path, sheet: str) -> dict:
    return {(i, j): n for i, row in enumerate(_sheet(path, sheet)) for j, v in enumerate(row)
            if (n := _num(v)) is not None and i > 2}  # below the title rows (the year is a number there)


def by_project(path: Path) -> dict:
    out: dict = {}
    for row in _sheet(path, "表12 项目支出表"):
        if isinstance(row[0], str) and _num(row[1]) is not None:
            cells = out.setdefault(row[0], {})
            for j, v in enumerate(row[1:], 1):
                if (n := _num(v)) is not None:
                    cells[j] = cells.get(j, Decimal(0)) + n
    return out


def _add(acc: dict, part: dict) -> None:
    for k, cells in part.items():
        tgt = acc.setdefault(k, {})
        for j, v in (cells.items() if isinstance(cells, dict) else [(None, cells)]):
            tgt[j] = tgt.get(j, Decimal(0)) + v


def _flat(d: dict) -> dict:
    return {(k, j): v for k, cells in d.items() for j, v in cells.items()}


def _nonzero(d: dict) -> dict:
    return {k: v for k, v in d.items() if v != 0}


def expected_sums(files: list[Path]):
    codes = {t: {} for t in BLOCK_TABLES}
    fixed = {t: {} for t in FIXED_TABLES}
    projects: dict = {}
    for f in files:
        for t, sheet in BLOCK_TABLES.items():
            _add(codes[t], by_code(f, sheet))
        for t, sheet in FIXED_TABLES.items():
            _add(fixed[t], {k: {None: v} for k, v in by_position(f, sheet).items()})
        _add(projects, by_project(f))
    return codes, fixed, projects


def _output(result, name):
    return next(o for o in result.outputs if o.name == name)


def _group(manifest, fault):
    return next(g for g in manifest["groups"] if g["fault"] == fault)


# ---------------------------------------------------------------- the bureau itself

def test_bureau_has_30_departments_and_tagged_units(bureau):
    folder, manifest, _ = bureau
    assert len(manifest["departments"]) + len(manifest["groups"]) == 30
    for g in manifest["groups"]:
        assert 2 <= len(g["units"]) <= 6
        for u in g["units"]:
            info = _sheet(folder / u, "基本信息")
            assert info[2][2] == "公开主体" and info[2][3] == "单位"  # C3 / D3
            assert info[4][1] == g["name"]  # 上级主管部门 B5
        head = _sheet(folder / g["head"], "基本信息")
        assert head[2][3] == "部门" and head[1][1] == g["name"]
    unit = toolkit.load(folder / _group(manifest, "clean")["units"][0])
    assert not [f for f in validate(unit) if f.rule in ("F120", "F121")]


# ---------------------------------------------------------------- every figure, independently

@pytest.mark.parametrize("which", [0, 1])
def test_clean_department_every_figure_is_the_sum_of_its_units(bureau, which):
    folder, manifest, result = bureau
    g = [g for g in manifest["groups"] if g["fault"] == "clean"][which]
    units = [folder / u for u in g["units"]]
    out = _output(result, g["name"]).path
    codes, fixed, projects = expected_sums(units)
    checked = 0
    for t, sheet in BLOCK_TABLES.items():
        got = _flat(by_code(out, sheet))
        want = _flat(codes[t])
        assert _nonzero(got) == _nonzero(want), sheet
        checked += len(want)
    for t, sheet in FIXED_TABLES.items():
        got = _nonzero(by_position(out, sheet))
        assert got == _nonzero({k: c[None] for k, c in fixed[t].items()}), sheet
        checked += len(got)
    assert _nonzero(_flat(by_project(out))) == _nonzero(_flat(projects))
    assert checked > 100


def test_benji_every_figure_is_the_sum_of_the_departments(bureau):
    """The 本级 counts each 部门 once: its units where they are all submitted, else its own workbook."""
    folder, manifest, result = bureau
    files = [folder / d["file"] for d in manifest["departments"]]
    for g in manifest["groups"]:
        files += [folder / g["head"]] if g["fault"] == "unit_missing" else [folder / u for u in g["units"]]
    out = _output(result, "本级合计").path
    codes, fixed, _ = expected_sums(files)
    for t, sheet in BLOCK_TABLES.items():
        got = by_code(out, sheet)
        want = codes[t]
        assert len(want) > 10, sheet
        assert _nonzero(_flat({k: v for k, v in got.items() if k != "合计"})) == \
            _nonzero(_flat({k: v for k, v in want.items() if k != "合计"})), sheet
        # the total from the independent 类 sums (a unit's own 合计 may be off: unit_unbalanced)
        lei = {}
        for k, cells in want.items():
            if k != "合计" and len(k) == 3:
                _add(lei, {"合计": cells})
        assert _nonzero(got["合计"]) == _nonzero(lei["合计"]), sheet
    assert _nonzero(by_position(out, FIXED_TABLES["t10"])) == _nonzero({k: c[None] for k, c in fixed["t10"].items()})
    assert len(files) >= 30 + 10


def test_consolidated_workbooks_validate_without_arithmetic_errors(bureau):
    _, _, result = bureau
    assert len(result.outputs) == 7  # 本级 + six 部门
    for o in result.outputs:
        bad = [f for f in validate(toolkit.load(o.path)) if f.rule[0] in "AX" and f.severity == "error"]
        assert not bad, (o.name, [f.message for f in bad][:3])


def test_exports_exist_and_carry_the_summed_totals(bureau, tmp_path):
    from toolkit.export import export

    _, _, result = bureau
    o = _output(result, "本级合计")
    total = toolkit.load(o.path).get("t3", "total", "total")
    html = Path(o.exports["html"]).read_text(encoding="utf-8")
    assert f"{total:,.2f}" in html or format(total, "f") in html
    rows = list(csv.DictReader(open(Path(o.exports["data"]) / "table03.csv", encoding="utf-8-sig")))
    assert next(r for r in rows if r["row"] == "total")["total"] == format(total, "f")
    assert "汇总表不汇总绩效目标" in html  # the output says the performance forms are not summed
    # the other formats, through the same toolkit.export the consolidation calls
    more = export(o.path, ["pdf", "docx", "xlsx"], tmp_path, waive={"P602": "汇总表不汇总绩效目标表"}, force=True)
    for f in ("pdf", "docx", "xlsx"):
        assert Path(more[f]).stat().st_size > 1000
    wb = openpyxl.load_workbook(more["xlsx"], read_only=True)
    values = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    wb.close()
    assert any(_num(v) == total or v == format(total, "f") or v == f"{total:,.2f}" for v in values)


# ---------------------------------------------------------------- the checks: known bad, known good

@pytest.mark.parametrize("kind", ["left_out", "counted_twice", "unit_unbalanced"])
def test_fault_found_at_the_right_cell_with_the_right_unit(bureau, kind):
    _, manifest, result = bureau
    fault = next(f for f in manifest["faults"] if f["kind"] == kind)
    found = [d for d in result.differences if d.dept == fault["dept"]]
    assert len(found) == 1, [d.message for d in found]
    d = found[0]
    assert (d.sheet, d.cell, d.culprit) == (fault["sheet"], fault["cell"], fault["unit"])
    assert abs(d.difference) == Decimal(fault["amount"])
    assert fault["unit"] in d.message and d.sheet in d.message and d.cell in d.message


def test_missing_unit_found_once_and_said(bureau):
    _, manifest, result = bureau
    fault = next(f for f in manifest["faults"] if f["kind"] == "unit_missing")
    found = [d for d in result.differences if d.dept == fault["dept"]]
    assert len(found) == 1 and found[0].culprit == MISSING
    assert "只报送了 2 个" in found[0].message and (found[0].sheet, found[0].cell) == ("表3 支出总表", "C6")
    assert any(fault["dept"] in n and "只报送了 2 个" in n for n in result.notes)


def test_clean_departments_give_no_finding(bureau):
    _, manifest, result = bureau
    for g in manifest["groups"]:
        if g["fault"] == "clean":
            assert not [d for d in result.differences if d.dept == g["name"]]
    assert len(result.differences) == 4


def test_report_lists_every_difference(bureau):
    _, _, result = bureau
    rows = list(csv.reader(open(result.report_csv, encoding="utf-8-sig")))
    assert rows[0][:3] == ["部门", "工作表", "单元格"] and len(rows) == 1 + len(result.differences)
    page = result.report_html.read_text(encoding="utf-8")
    for d in result.differences:
        assert d.dept in page and (d.culprit or "") in page


def test_cli_on_one_department_folder(bureau, tmp_path, capsys):
    from toolkit.cli import main

    folder, manifest, _ = bureau
    clean = folder / Path(_group(manifest, "clean")["head"]).parent
    assert main(["consolidate", str(clean), "--out", str(tmp_path / "ok")]) == 0
    assert (tmp_path / "ok" / "汇总核对.html").exists()
    bad = folder / Path(_group(manifest, "left_out")["head"]).parent
    assert main(["consolidate", str(bad), "--out", str(tmp_path / "bad"), "--to", "html"]) == 1
    out = capsys.readouterr().out
    fault = next(f for f in manifest["faults"] if f["kind"] == "left_out")
    assert f"「{fault['sheet']}」{fault['cell']}" in out and fault["unit"] in out
    assert list((tmp_path / "bad" / "部门").rglob("*.html"))


def test_batch_consolidate_flag(bureau, tmp_path, capsys):
    from toolkit.cli import main

    folder, manifest, _ = bureau
    bad = folder / Path(_group(manifest, "counted_twice")["head"]).parent
    main(["batch", str(bad), "--out", str(tmp_path / "b"), "--consolidate", "--jobs", "1", "--no-progress"])
    assert "不符 1 处" in capsys.readouterr().out
    rows = list(csv.reader(open(tmp_path / "b" / "汇总" / "汇总核对.csv", encoding="utf-8-sig")))
    fault = next(f for f in manifest["faults"] if f["kind"] == "counted_twice")
    assert rows[1][1:3] == [fault["sheet"], fault["cell"]] and rows[1][7] == fault["unit"]


def test_workbook_of_the_older_template_reads_as_a_department(tmp_path):
    """A workbook saved before 公开主体 existed (C3/D3 blank) reads unchanged and counts as a 部门."""
    from conftest import EXAMPLE

    p = tmp_path / "old.xlsx"
    shutil.copy(EXAMPLE, p)
    wb = openpyxl.load_workbook(p)
    wb["基本信息"]["C3"] = None
    wb.save(p)
    d = toolkit.load(p)
    from toolkit.consolidate import entity

    assert d.get("info", "entity") is None and entity(d) == "部门"


def test_manifest_written(bureau):
    folder, manifest, _ = bureau
    assert json.loads((folder / "bureau.json").read_text(encoding="utf-8")) == manifest


def test_grouping_by_parent_name_or_code_and_unplaced_workbooks(tmp_path):
    """Units join their 部门 by name or by 部门代码; a 单位 without 上级主管部门 and a wrong 公开主体
    are said, not silently dropped."""
    from conftest import EXAMPLE
    from toolkit.consolidate import group

    wb = openpyxl.load_workbook(EXAMPLE)  # loaded once; each copy is the seed with these cells changed
    ws = wb["基本信息"]
    seed = {c: ws[c].value for c in ("B2", "B3", "D3", "B5")}

    def copy(name, ent=None, parent=None, code=None):
        p = tmp_path / f"{name}.xlsx"
        for c, v in seed.items():
            ws[c] = v
        ws["B2"], ws["D3"], ws["B5"] = name, ent, parent
        if code:
            ws["B3"] = code
        wb.save(p)
        return toolkit.load(p)

    ds = [copy("甲局", code="901"), copy("甲局机关", "单位", "甲局"), copy("甲局中心", "单位", "901"),
          copy("无主单位", "单位"), copy("乙局", "下属单位"), copy("丙局信息中心", "单位", "丙局")]
    groups, notes = group(ds)
    by = {g.name: g for g in groups}
    assert [u.dept_name for u in by["甲局"].units] == ["甲局中心", "甲局机关"] and by["甲局"].head is ds[0]
    assert by["丙局"].head is None and len(by["丙局"].units) == 1
    assert by["乙局"].head is ds[4] and by["无主单位"].head is ds[3]
    text = "\n".join(notes)
    assert "「无主单位」" in text and "F121" in text and "「下属单位」" in text and "丙局" in text
    assert {f.rule for f in validate(ds[3])} >= {"F121"} and "F120" in {f.rule for f in validate(ds[4])}
