"""Workbooks of their own size: a department with more rows than the standard template holds.

The standard template keeps its capacities (60 rows in 表3 …); `bdt import` of a larger data file
and `bdt template build --capacity` give a workbook whose blocks hold the rows, recorded in _meta,
and every reader (validate, fill, export) lays that workbook out by its own record.
"""
import copy
from decimal import Decimal

import pytest
import yaml
from python_calamine import CalamineWorkbook

import toolkit
from conftest import EXAMPLE
from toolkit.cli import main
from toolkit.datafile import dump, write_data
from toolkit.fill import fill
from toolkit.io.reader import WorkbookError
from toolkit.io.writer import write_cells
from toolkit.schema import SchemaError, load_schema

DATA = EXAMPLE.with_suffix(".yaml")


def meta(path) -> dict:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("_meta").to_python()
    return {r[0]: r[1] for r in rows if r and r[0]}


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """The example with 130 projects in 表12 (the template holds 60)."""
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["t12"]["items"] = [{"name": f"项目{k:03d}", "total": "1.00", "gpb": "1.00"} for k in range(1, 131)]
    path = tmp_path_factory.mktemp("big") / "big.xlsx"
    write_data(data, path)
    return path


def test_the_standard_template_keeps_its_size():
    assert not [k for k in meta(EXAMPLE) if str(k).startswith("capacity:")]
    assert load_schema().sheet("t12").block("items").capacity == 60


def test_import_gives_a_larger_block_recorded_in_the_workbook(big):
    assert meta(big)["capacity:t12.items"] == "200"  # 130 rows, a quarter spare, in steps of 50
    d = toolkit.load(big)
    rows = d.rows("t12", "items")
    assert [r.get("name") for r in rows] == [f"项目{k:03d}" for k in range(1, 131)]
    assert d.schema.sheet("t12").block("items").capacity == 200
    last = d.entry("t12", "items#130", "name")
    assert last.value == "项目130" and int(last.cell[1:]) > 130
    assert d.entry("t12", "items#200", "name") is not None and d.entry("t12", "items#201", "name") is None
    assert dump(d)["t12"]["items"][129] == {"name": "项目130", "total": "1.00", "gpb": "1.00"}


def test_fill_and_validate_use_the_workbook_s_own_layout(big, tmp_path):
    out, plan = fill(big, out=tmp_path / "filled.xlsx")
    d = toolkit.load(out)
    assert d.get("t12", "items#130", "total") == Decimal("1.00")  # derived cell of row 130 filled
    assert sum(r.get("total") for r in d.rows("t12", "items")) == Decimal("130.00")
    assert main(["validate", str(out)]) in (0, 1)


def test_template_build_capacity_option(tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    assert main(["template", "build", "--out", str(out), "--no-xlsm", "--capacity", "t3=300,t5=300"]) == 0
    m = meta(out)
    assert m["capacity:t3.items"] == "300" and m["capacity:t5.items"] == "300"
    d = toolkit.load(out)
    assert d.schema.sheet("t3").block("items").capacity == 300
    assert main(["template", "build", "--out", str(tmp_path / "x.xlsx"), "--capacity", "t99=5"]) == 2
    assert "没有可扩充行数的表或区块「t99」" in capsys.readouterr().err
    with pytest.raises(SchemaError, match="超出范围"):
        load_schema().with_capacities("t3=999999")


@pytest.mark.parametrize("value", ["abc", "0", "5000000"])
def test_a_tampered_capacity_record_is_refused_naming_meta(big, tmp_path, value):
    rows = CalamineWorkbook.from_path(str(big)).get_sheet_by_name("_meta").to_python()
    row = next(i for i, r in enumerate(rows, start=1) if r[0] == "capacity:t12.items")
    bad = write_cells(big, {"_meta": {f"B{row}": value}}, tmp_path / f"bad-{value}.xlsx")
    with pytest.raises(WorkbookError, match="隐藏工作表「_meta」中的行数记录无效"):
        toolkit.load(bad)


# ---------------------------------------------------------------- cost follows the data, not the capacity
# Issue 14: a larger capacity must not make a small workbook slower. The reader keeps entries for a
# table block's rows down to its last row with data; the blank capacity rows below cost nothing
# until asked for. Checked by counting operations (Python and C calls, benchmarks/scale.py's
# counter: the same on every run and machine) of the example in the standard workbook and in one
# whose 表3 holds 1,000 rows and 表12 300 projects (16× and 5× the standard capacity).
ROOMY = "t3=1000,t12=300"
CAPACITY_BOUND = 1.15  # read and validate: at most 15 % more operations (measured 1.01 and 1.00)


def _ops(fn):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import scale

    out, n = scale.operations(fn)
    return out, n


@pytest.fixture(scope="module")
def roomy(tmp_path_factory):
    """The example's data in a workbook of capacities ROOMY (every reader lays it out by _meta)."""
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("roomy") / "roomy.xlsx"
    write_data(data, path, schema=load_schema().with_capacities(ROOMY))
    return path


def test_read_and_validate_cost_follows_the_rows_with_data(roomy, tmp_path):
    from toolkit.rules import validate

    counts = {}
    for name, path in (("standard", EXAMPLE), ("roomy", roomy)):
        validate(toolkit.load(path))  # imports and caches outside the count
        d, read = _ops(lambda: toolkit.load(path))
        findings, rules = _ops(lambda: validate(d))
        _, filled = _ops(lambda: fill(path, out=tmp_path / f"{name}.filled.xlsx"))
        counts[name] = {"read": read, "rules": rules, "fill": filled, "findings": sorted(map(str, findings))}
    std, big = counts["standard"], counts["roomy"]
    assert std["findings"] == big["findings"]  # the same workbook content, the same findings
    ratios = {k: round(big[k] / std[k], 3) for k in ("read", "rules", "fill")}
    print("operations, roomy / standard:", ratios)
    assert std["read"] > 10_000 and std["rules"] > 10_000  # the counter saw the work
    assert ratios["read"] <= CAPACITY_BOUND and ratios["rules"] <= CAPACITY_BOUND, ratios
    # fill also rewrites each sheet's XML, whose empty styled rows grow with the capacity (a regex
    # step per <row>, and zlib): a little more, not 16×
    assert ratios["fill"] <= 1.2, ratios  # measured 1.06 (before: read 1.54, rules 1.22, fill 1.33)


def test_blank_cells_below_the_data_are_entries_when_asked(roomy):
    d = toolkit.load(roomy)
    used = d.rows("t3", "items")
    n = d.extents[("t3", "items")]
    assert n == max(r.index for r in used) and n < 100  # entries kept down to the last row with data
    assert len([k for k in d.entries["t3"] if k[0].startswith("items#")]) == n * len(d.spec("t3").col_keys)
    below = d.entry("t3", "items#999", "basic")  # a blank capacity row: made on demand
    assert below is not None and below.value is None and below.raw is None and below.sheet == "表3 支出总表"
    first = d.entry("t3", "items#1", "basic")
    assert int(below.cell[1:]) == int(first.cell[1:]) + 998 and below.cell[0] == first.cell[0]
    assert below.precision == first.precision and below.role == "input" and below.block == "items"  # row 1 is a 类 roll-up
    assert d.entry("t3", "items#999", "basic") is below  # the same entry each time
    assert d.entry("t3", "items#1001", "basic") is None and d.entry("t3", "items#0", "basic") is None
    assert d.get("t12", "items#300", "name") is None and d.entry("t12", "items#301", "name") is None


def test_a_row_typed_far_below_the_others_is_read_and_its_gap_kept(roomy, tmp_path):
    """A value in row 900 of 1,000: the rows between are entries (blank), the row is read, validated
    and filled like any other."""
    d0 = toolkit.load(roomy)
    code = d0.entry("t3", "items#900", "code").cell
    name = d0.entry("t3", "items#900", "name").cell
    basic = d0.entry("t3", "items#900", "basic").cell
    edited = write_cells(roomy, {"表3 支出总表": {code: "2010101", basic: 5}}, tmp_path / "far.xlsx")
    d = toolkit.load(edited)
    assert d.extents[("t3", "items")] == 900
    assert d.get("t3", "items#900", "basic") == Decimal("5.00") and d.rows("t3", "items")[-1].index == 900
    assert ("items#899", "code") in d.entries["t3"] and d.entry("t3", "items#899", "code").value is None
    out, plan = fill(edited, out=tmp_path / "far.filled.xlsx")
    assert ("t3", "items#900", "name") in plan.values  # the name is derived from the code in row 900
    assert toolkit.load(out).entry("t3", "items#900", "name").cell == name


def test_a_formula_without_its_result_far_below_the_data_is_still_reported(roomy, tmp_path):
    """calamine reads a formula saved without its result as blank: the row holding it counts as
    used, so the cell is an entry and F114 names it (not silently lost below the data)."""
    import openpyxl

    from toolkit.rules import validate

    cell = toolkit.load(roomy).entry("t3", "items#900", "basic").cell
    wb = openpyxl.load_workbook(roomy)
    wb["表3 支出总表"][cell] = "=SUM(A1:A2)"
    wb.save(tmp_path / "formula.xlsx")
    d = toolkit.load(tmp_path / "formula.xlsx")
    assert d.extents[("t3", "items")] == 900
    hits = [(f.sheet, f.cell) for f in validate(d) if f.rule == "F114"]
    assert hits == [("表3 支出总表", cell)]


# ---------------------------------------------------------------- blocks that grow (bdt template grow)
def test_grow_keeps_everything_typed_and_adds_rows(tmp_path, capsys):
    src = tmp_path / "部门.xlsx"
    src.write_bytes(EXAMPLE.read_bytes())
    assert main(["template", "grow", str(src), "--capacity", "t3=200,t12=100"]) == 0
    out = tmp_path / "部门.grown.xlsx"
    assert "「表3 支出总表」明细行 60 → 200 行" in capsys.readouterr().out and src.read_bytes() == EXAMPLE.read_bytes()
    m = meta(out)
    assert m["capacity:t3.items"] == "200" and m["capacity:t12.items"] == "100"
    old, new = toolkit.load(src), toolkit.load(out)
    for inst, data in old.entries.items():  # every cell as typed and as read, at its new place
        for (row, col), e in data.items():
            n = new.entry(inst, row, col)
            assert (n.value, n.raw, n.sheet) == (e.value, e.raw, e.sheet), (inst, row, col)
    assert {k: v for k, v in old.meta.items() if k != "_rows" and not k.startswith("capacity:")} == \
        {k: v for k, v in new.meta.items() if k != "_rows" and not k.startswith("capacity:")}
    assert new.entry("t3", "items#200", "basic") is not None and new.entry("t3", "items#201", "basic") is None
    from toolkit.rules import validate

    assert sorted((f.rule, f.message) for f in validate(old)) == sorted((f.rule, f.message) for f in validate(new))
    # the new rows are the template's: unlocked input cells in a protected sheet
    import openpyxl

    ws = openpyxl.load_workbook(out)["表3 支出总表"]
    cell = ws[new.entry("t3", "items#200", "basic").cell]
    assert ws.protection.sheet and cell.protection.locked is False


def test_grow_refuses_what_it_could_not_carry(tmp_path, capsys):
    from toolkit.grow import GrowError, full_blocks, grow

    d = toolkit.load(EXAMPLE)
    assert full_blocks(d) == {}  # the example leaves room everywhere: nothing to grow unasked
    with pytest.raises(GrowError, match="无需扩充"):
        grow(EXAMPLE, tmp_path / "x.xlsx")
    last = max(r.index for r in d.rows("t3"))
    with pytest.raises(GrowError, match=f"已填到第 {last} 行明细"):
        grow(EXAMPLE, tmp_path / "x.xlsx", "t3=2")
    note = d.entry("t3", "_note").cell
    outside = write_cells(EXAMPLE, {"表3 支出总表": {f"H{int(note[1:]) + 3}": "备忘"}}, tmp_path / "outside.xlsx")
    assert main(["template", "grow", str(outside), "--capacity", "t3=200"]) == 2
    assert "模板之外的内容" in capsys.readouterr().err and not (tmp_path / "outside.grown.xlsx").exists()


def test_a_nearly_full_block_grows_to_twice_its_size(big, tmp_path):
    from toolkit.grow import full_blocks, grow, roomier

    assert roomier(58, 60) == 120 and roomier(190, 200) == 400 and roomier(100, 60) == 150
    filled = tmp_path / "full.xlsx"
    d = toolkit.load(big)  # 130 projects in a block of 200: room left
    assert "t12.items" not in full_blocks(d)
    rows = {d.entry("t12", f"items#{k}", "name").cell: f"项目{k:03d}" for k in range(131, 196)}
    write_cells(big, {"表12 项目支出表": rows}, filled)
    assert full_blocks(toolkit.load(filled)) == {"t12.items": 400}
    out, caps = grow(filled, tmp_path / "full.xlsm")  # a macro-enabled name: the buttons' VBA project too
    assert caps == {"t12.items": 400} and meta(out)["capacity:t12.items"] == "400"
    import zipfile

    assert "xl/vbaProject.bin" in zipfile.ZipFile(out).namelist()
    assert toolkit.load(out).get("t12", "items#195", "name") == "项目195"
