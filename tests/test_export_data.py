"""Open data a program can sum: levels and parents, units as data, department/year columns, the
T-shaped tables as income and expenditure records, performance targets, `frictionless validate`.

Everything is read back from the files the exporter wrote (the seed example, forced: it has
errors), never from the document model.
"""
import csv
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal

import pytest

import toolkit
from conftest import EXAMPLE, edit_workbook
from toolkit.export import export
from toolkit.export.document import Values
from toolkit.fill import compute


@pytest.fixture(scope="module")
def pkg(tmp_path_factory):
    # a distinctive local file name that must not reach the published descriptor
    src = tmp_path_factory.mktemp("src") / "张三的草稿-机密.xlsx"
    shutil.copy(EXAMPLE, src)
    out = export(src, "data", tmp_path_factory.mktemp("data"), force=True)
    return out["data"]


def records(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def descriptor(pkg):
    return json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))


def test_frictionless_validate_passes(pkg):
    r = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(pkg / "datapackage.json")],
                       capture_output=True, text=True, timeout=120)
    report = json.loads(r.stdout)
    bad = [(t["name"], [e["message"] for e in t["errors"][:3]]) for t in report["tasks"] if not t["valid"]]
    assert report["valid"], (bad, report.get("errors"))
    assert len(report["tasks"]) == 18  # 13 tables, 3 of them split in two, + 2 performance files


def test_every_csv_says_department_and_year_and_concatenates(pkg, tmp_path):
    dp = descriptor(pkg)
    for res in dp["resources"]:
        rows = records(pkg / res["path"])
        names = [f["name"] for f in res["schema"]["fields"]]
        assert names[:4] == ["dept_code", "dept_name", "year", "table"]
        assert res["schema"]["primaryKey"][:2] == ["dept_code", "year"]
        for r in rows:
            assert (r["dept_code"], r["dept_name"], r["year"]) == ("104", "忻州市人民政府驻北京联络处", "2023")
    # a second department: the same files concatenate with no key collision
    other = edit_workbook(EXAMPLE, {("基本信息", "B2"): "另一个部门", ("基本信息", "B3"): "105"}, tmp_path / "b.xlsx")
    d2 = toolkit.load(other)
    assert d2.dept_code == "105"
    out2 = export(d2, "data", tmp_path / "b", force=True)["data"]
    both = records(pkg / "table03.csv") + records(out2 / "table03.csv")
    keys = [(r["dept_code"], r["year"], r["row"]) for r in both]
    assert len(keys) == len(set(keys)) and {r["dept_name"] for r in both} == {"忻州市人民政府驻北京联络处", "另一个部门"}


def test_amounts_carry_their_unit_as_data(pkg):
    dp = descriptor(pkg)
    tables = [r for r in dp["resources"] if "table" in r["bdt"]]
    for res in tables:
        for r in records(pkg / res["path"]):
            assert (r["amount_unit"], r["yuan_per_unit"]) == ("万元", "10000")
    t3 = {r["row"]: r for r in records(pkg / "table03.csv")}
    assert Decimal(t3["total"]["total"]) * int(t3["total"]["yuan_per_unit"]) == Decimal("2243200")
    proj = records(pkg / "performance-projects.csv")
    assert {r["funds_unit"] for r in proj if r["kind"] == "project"} == {"元"}


def _amount_fields(res):
    return [f["name"] for f in res["schema"]["fields"] if f.get("unit") and f["type"] == "number"]


def _dec(text):
    return Decimal(text) if text else Decimal(0)


def test_every_parent_is_the_decimal_sum_of_its_children(pkg):
    """Every row with children equals the sum of its children, in every amount column of every
    table file: the CSV alone lets a program re-add the published figures."""
    dp = descriptor(pkg)
    checked = 0
    for res in dp["resources"]:
        if "table" not in res["bdt"]:
            continue
        rows = records(pkg / res["path"])
        by_key = {r["row"]: r for r in rows}
        kids = defaultdict(list)
        for r in rows:
            assert r["level"] in ("total", "subtotal", "类", "款", "项", "目", "item"), r
            if r["parent"]:
                assert r["parent"] in by_key, (res["name"], r["row"], r["parent"])
                kids[r["parent"]].append(r)
        for p, children in kids.items():
            for col in _amount_fields(res):
                assert sum((_dec(c[col]) for c in children), Decimal(0)) == _dec(by_key[p][col]), (res["name"], p, col)
                checked += 1
    assert checked > 60


def test_summing_xiang_rows_reproduces_the_published_totals(pkg):
    """The 项 (7-digit) rows of 表3 and 表5 add up to the 合计 row, column by column, by Decimal
    arithmetic; levels follow the code lengths and parents the code prefixes."""
    d = toolkit.load(EXAMPLE)
    values = compute(d).values
    for name, key in (("table03", "t3"), ("table05", "t5")):
        rows = records(pkg / f"{name}.csv")
        total = next(r for r in rows if r["level"] == "total")
        xiang = [r for r in rows if r["level"] == "项"]
        assert xiang and all(len(r["code"]) == 7 for r in xiang)
        for r in rows:
            if r["level"] in ("类", "款", "项"):
                assert len(r["code"]) == {"类": 3, "款": 5, "项": 7}[r["level"]]
                parent = next((p for p in rows if p["row"] == r["parent"]), None)
                assert parent is not None
                assert parent["level"] == "total" if r["level"] == "类" else r["code"].startswith(parent["code"])
        for col in ("total", "basic", "project"):
            s = sum((_dec(r[col]) for r in xiang), Decimal(0))
            assert s == _dec(total[col]) == values.get((key, "total", col), d.get(key, "total", col)), (name, col)
    t3 = {r["row"]: r for r in records(pkg / "table03.csv")}
    assert (t3["total"]["total"], t3["total"]["basic"], t3["total"]["project"]) == ("224.32", "74.32", "150.00")


def test_t_shaped_tables_split_into_income_and_expenditure(pkg):
    dp = descriptor(pkg)
    names = {r["name"] for r in dp["resources"]}
    for n in ("table01", "table04", "table09"):
        assert {f"{n}-income", f"{n}-expenditure"} <= names and n not in names
    inc = {r["row"]: r for r in records(pkg / "table01-income.csv")}
    exp = {r["row"]: r for r in records(pkg / "table01-expenditure.csv")}
    assert set(records(pkg / "table01-income.csv")[0]) >= {"in_item", "in_amt"}
    assert not any(k.startswith("ex_") for k in records(pkg / "table01-income.csv")[0])
    assert inc["c201"]["in_item"] == "一、一般公共预算" and inc["grand"]["level"] == "total"
    assert exp["c201"]["ex_item"] == "一、一般公共服务支出" and exp["c201"]["level"] == "类"
    assert "c230" in exp and "c230" not in inc  # expenditure-only printed rows stay off the income side
    assert inc["grand"]["in_amt"] == exp["grand"]["ex_total"]  # 收入总计 = 支出总计
    t4 = {r["row"]: r for r in records(pkg / "table04-income.csv")}
    assert t4["carry_gpb"]["parent"] == "carry" and t4["carry"]["parent"] == "grand"


def test_performance_targets_included(pkg):
    d = toolkit.load(EXAMPLE)
    ind = records(pkg / "performance-indicators.csv")
    want = 0
    for inst in ["perf_dept", *d.projects]:
        for r in d.rows(inst, "indicators"):
            fields = ("l3", "value") if inst == "perf_dept" else ("l3_period", "value_period", "l3_annual", "value_annual")
            want += sum(1 for f in fields if d.get(inst, r.key, f)) > 0
    assert len(ind) >= want > 20
    assert all(r["l1"] for r in ind)  # the printed form's merged 一级指标 filled down
    first = next(r for r in ind if r["table"] == "perf_project#1")
    assert first["name"] == d.get("perf_project#1", "name") and first["period"] in ("period", "annual")
    proj = {r["table"]: r for r in records(pkg / "performance-projects.csv")}
    assert set(proj) == {"perf_dept", *d.projects}
    V = Values(d, compute(d).values)
    assert Decimal(proj["perf_project#1"]["funds_annual"]) == V.get("perf_project#1", "total_annual") == 700000


def test_no_local_file_name_in_the_descriptor(pkg):
    text = (pkg / "datapackage.json").read_text(encoding="utf-8")
    assert "张三" not in text and "机密" not in text and ".xlsx" not in text and "/tmp" not in text
    src = descriptor(pkg)["sources"]
    assert src and all("/" not in s["title"] for s in src)
