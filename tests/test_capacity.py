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
