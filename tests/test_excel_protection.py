"""Static: every cell the buttons write is unlocked, or on a sheet the entry point unprotects.

The write plan is what `toolkit.excel.fill` / `validate` do on the example, recorded by xlwings'
remote engine (values, colours, cleared ranges); the lock state is the workbook file's own (read
with openpyxl). tests/test_protection_uno.py runs the same plan on a real engine.
"""
import os
import shutil

import openpyxl
import pytest

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
xw = pytest.importorskip("xlwings")

from conftest import EXAMPLE  # noqa: E402
from test_excel import actions, book_of, painted, written  # noqa: E402

from toolkit import excel  # noqa: E402


def protected_locked(wb, sheet, cell):
    ws = wb[sheet] if sheet in wb.sheetnames else None
    return bool(ws is not None and ws.protection.sheet and ws[cell].protection.locked)


@pytest.mark.parametrize("entry", ["fill", "validate"])
def test_every_written_cell_is_unlocked_or_on_an_unprotected_sheet(entry, tmp_path):
    path = tmp_path / "单位.xlsx"
    shutil.copy(EXAMPLE, path)
    wb = openpyxl.load_workbook(path)
    old = {"name": excel.FINDINGS_SHEET, "pictures": [], "tables": [], "values": [
        ["校验完成", None, None, None, None, None, None], excel.HEADER,
        ["错误", "A301", "表3 支出总表", '=HYPERLINK("#\'表3 支出总表\'!D9","D9")', "…", None, None]]}
    book = book_of(path, extra_sheets=[old] if entry == "validate" else [])
    result = getattr(excel, entry)(book)
    assert "error" not in result, result
    cells = set(written(book)) | set(painted(book))
    names = [s.name for s in book.sheets]
    for a in actions(book, "sheetClearContents"):
        cells.add((names[a["sheet_position"]], "A1"))
    assert len(cells) > (500 if entry == "fill" else 20)
    lifted = set(result["unprotected"])
    needs = {(s, c) for s, c in cells if protected_locked(wb, s, c)}
    assert needs, "nothing written into a locked cell: the check would prove nothing"
    assert {s for s, _ in needs} <= lifted, sorted({s for s, _ in needs} - lifted)
    if entry == "validate":  # the findings sheet is the program's own, written unprotected
        assert excel.FINDINGS_SHEET in lifted and (excel.FINDINGS_SHEET, "A1") in cells
    # what is lifted is only what is written: no sheet is opened for nothing
    assert lifted <= {s for s, _ in cells} | {excel.FINDINGS_SHEET}
