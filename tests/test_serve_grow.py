"""The 扩充行数 button without Excel: `bdt serve` (its own process, over HTTP) offers a copy with more
rows when an uploaded workbook's table is nearly full, and says nothing while every table has room."""
from __future__ import annotations

import pytest

import toolkit
from conftest import EXAMPLE
from toolkit.io.writer import write_cells

pytest.importorskip("starlette")

from test_serve import Client, Server  # noqa: E402


def nearly_full(tmp_path):
    """The seed with 表12 filled down to row 57 of its 60."""
    d = toolkit.load(EXAMPLE)
    first = len(d.rows("t12")) + 1
    names = {d.entry("t12", f"items#{k}", "name").cell: f"新增项目{k:02d}" for k in range(first, 58)}
    return write_cells(EXAMPLE, {d.sheet_names["t12"]: names}, tmp_path / "满.xlsx")


def test_serve_offers_a_grown_copy_only_when_a_table_is_nearly_full(tmp_path):
    full = nearly_full(tmp_path)
    with Server(tmp_path / "data") as s:
        c = Client(s.url)
        roomy, tight = c.upload([("单位.xlsx", EXAMPLE.read_bytes()), ("满.xlsx", full.read_bytes())])
        c.wait([roomy, tight])
        page = c.get(f"/s/{roomy}")[2].decode("utf-8")
        assert 'id="grown"' not in page and 'id="dl-grown"' not in page
        assert c.get(f"/s/{roomy}/download/grown")[0] == 404  # nothing made for a workbook with room

        page = c.get(f"/s/{tight}")[2].decode("utf-8")
        assert 'id="dl-grown"' in page and "「表12 项目支出表」明细行 60 → 120 行" in page
        status, headers, body = c.get(f"/s/{tight}/download/grown")
        assert status == 200 and "%E6%89%A9%E5%85%85%E8%A1%8C%E6%95%B0.xlsx" in headers["content-disposition"]
    grown = tmp_path / "grown.xlsx"
    grown.write_bytes(body)
    g, src = toolkit.load(grown), toolkit.load(full)
    assert g.schema.sheet("t12").block("items").capacity == 120
    assert g.get("t12", "items#57", "name") == "新增项目57"
    for (row, col), e in src.entries["t12"].items():  # every typed cell carried over, as typed
        if e.role == "input" and e.value is not None:
            assert g.get("t12", row, col) == e.value, (row, col)
