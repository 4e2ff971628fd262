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


def test_a_grown_copy_that_fails_is_said_and_the_check_still_stands(tmp_path, monkeypatch):
    """The optional copy is made inside the check job: whatever goes wrong there is one line on the
    page, never an internal error in place of the clerk's findings."""
    from toolkit import grow
    from toolkit.serve import jobs

    full = nearly_full(tmp_path)

    def broken(*a, **k):
        raise OSError("磁盘已满")

    monkeypatch.setattr(grow, "grow", broken)
    data = jobs.check(full, tmp_path / "job", "满.xlsx")
    assert data["status"] in ("ok", "errors") and data["findings"]
    assert len(data["grown"]) == 1 and "无法生成扩充行数的工作簿" in data["grown"][0] and "磁盘已满" in data["grown"][0]
    assert not (tmp_path / "job" / "grown.xlsx").exists()
