"""The seed example is built reproducibly from its readable source, exactly as published."""
from decimal import Decimal

import toolkit
from conftest import EXAMPLE, EXAMPLE_DATA
from toolkit.datafile import dump, load_data, write_data


def test_committed_example_equals_fresh_build(tmp_path):
    fresh = write_data(load_data(EXAMPLE_DATA), tmp_path / "x.xlsx")
    assert fresh.read_bytes() == EXAMPLE.read_bytes(), "example xlsx is stale: run `make example`"


def _norm(v):
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return Decimal(str(v))
    if isinstance(v, str):
        try:
            return Decimal(v)
        except Exception:
            return v
    return v


def test_every_value_of_the_source_comes_back(tmp_path):
    src = load_data(EXAMPLE_DATA)
    back = dump(toolkit.load(EXAMPLE))
    for sheet, values in src.items():
        assert _norm(back.get(sheet)) == _norm(values), sheet


def test_published_figures_including_mistakes():
    d = toolkit.load(EXAMPLE)
    # as published: 商品和服务支出 6.84 although its items sum to 6.83
    items = [r for r in d.rows("t6") if r.code and r.code.startswith("302") and len(r.code) == 5]
    assert sum(r["total"] for r in items) == Decimal("6.83")
    assert d.get("t6", "total", "public") == Decimal("6.84")
    assert d.get("perf_project#3", "name") == "房屋租赁费"
    assert "与2022年预算数相同" in d.get("narrative", "s7")
    assert d.get("t7", "_note") == "注：本表无数据"
    assert d.get("t5", "_title") == "2023年一般公共预算支出预算表（不含上年结转）"
