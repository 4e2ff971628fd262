"""bdt serve on the corrupt-file corpus (issue 17, point 7): a handful of the generated broken
files (benchmarks/generate.py make_corrupt_cases) uploaded over HTTP — no browser, to stay fast —
each refused with the library's Chinese reason naming what is broken, or read with the findings
that name the sheet and cell. The browser path for an unreadable file is test_serve_security's."""
from __future__ import annotations

import html
from urllib.parse import quote

import pytest
from conftest import EXAMPLE
from test_batch_support import generate_module
from test_serve import Client, Server

UNREADABLE = {  # case -> words the Chinese message must hold
    "bad_shared_string": ["已损坏，无法读取", "表"],
    "undefined_entity": ["已损坏，无法读取"],
    "far_cell": ["XFD1048576"],
    "full_table_inserted_row": ["「表3 支出总表」第 67 行是表注行", "A67", "--capacity"],
}
CELLS: dict = {}  # readable case -> the (sheet, cell) its findings must link to
READABLE = {  # case -> rule codes among its findings
    "hostile_numbers": {"F115"},
    "hostile_text": {"F117", "F118"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("serve") / "data") as s:
        yield s


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    gen = generate_module()
    folder = tmp_path_factory.mktemp("corrupt")
    numbers, number_cells = gen.make_hostile_numbers(EXAMPLE, folder / "极端数字.xlsx")
    text, text_cells = gen.make_hostile_text(EXAMPLE, folder / "控制字符与超长文字.xlsx")
    CELLS["hostile_numbers"] = [(sh, c) for sh, c, _ in number_cells]
    CELLS["hostile_text"] = list(text_cells.values())
    return {"bad_shared_string": gen.make_bad_shared_string(EXAMPLE, folder / "共享字符串索引错误.xlsx"),
            "undefined_entity": gen.make_undefined_entity(EXAMPLE, folder / "未定义的实体.xlsx"),
            "far_cell": gen.make_far_cell(EXAMPLE, folder / "极远单元格.xlsx"),
            "full_table_inserted_row": gen.make_full_table_inserted_row(EXAMPLE, folder / "满表插入空行.xlsx")[0],
            "hostile_numbers": numbers, "hostile_text": text}


def test_corrupt_uploads_get_the_chinese_reason_or_findings_naming_cells(server, cases):
    c = Client(server.url)
    names = list(UNREADABLE) + list(READABLE)
    ids = c.upload([(cases[n].name, cases[n].read_bytes()) for n in names])
    items = dict(zip(names, c.wait(ids, timeout=90)))
    for name, words in UNREADABLE.items():
        assert items[name]["status"] == "unreadable", (name, items[name])
        page = c.get(f"/s/{ids[names.index(name)]}")[2].decode("utf-8")
        message = html.unescape(page.split('id="file-error" class="error">')[1].split("</p>")[0])
        assert all(w in message for w in words), (name, message)  # what is wrong, and where
        assert "内部错误" not in message and "Traceback" not in page
    for name, rules in READABLE.items():
        assert items[name]["status"] not in ("unreadable", "failed", "internal"), (name, items[name])
        page = c.get(f"/s/{ids[names.index(name)]}")[2].decode("utf-8")
        for rule in rules:
            assert f'href="/rules/{rule}"' in page, (name, rule)
        for sheet, cell in CELLS[name]:  # each finding links to its cell on the page
            assert f"sheet={quote(sheet)}&amp;cell={cell}" in page, (name, sheet, cell)
