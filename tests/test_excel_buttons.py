"""Where the buttons are and that the clerk cannot move them (issue 11 point 4), on the committed
workbook_template.xlsm and the example: five buttons on every visible sheet, in the frozen top row
right of the table, free-floating and locked, objects protected; `_codes`/`_meta` very hidden."""
import re
import zipfile

import openpyxl
import pytest

from conftest import EXAMPLE, ROOT, TEMPLATE

XLSM = ROOT / "workbook_template.xlsm"
BUTTONS = {"校验": "BdtValidate", "填充": "BdtFill", "导出": "BdtExport", "扩充行数": "BdtGrow", "检查环境": "BdtCheck"}
BAS = (ROOT / "macros" / "bdt_buttons.bas").read_text(encoding="utf-8")


def sheet_parts(z):
    """{sheet name: (state, sheet part)} from the workbook and its relationships."""
    wb = z.read("xl/workbook.xml").decode()
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    out = {}
    for tag in re.findall(r"<sheet [^>]*>", wb):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        rid = re.search(r'r:id="([^"]+)"', tag).group(1)
        tag_rel = next(t for t in re.findall(r"<Relationship [^>]*>", rels) if f'Id="{rid}"' in t)
        target = re.search(r'Target="([^"]+)"', tag_rel).group(1)
        state = (re.search(r'state="(\w+)"', tag) or re.match("(.)", "visible")).group(1)
        out[name] = (state, "xl/" + target.lstrip("/").removeprefix("xl/"))
    return out


def rel_target(z, part, kind):
    d, f = part.rsplit("/", 1)
    rels = z.read(f"{d}/_rels/{f}.rels").decode()
    tag = next(t for t in re.findall(r"<Relationship [^>]*>", rels) if re.search(rf'Type="[^"]+/{kind}"', t))
    return "xl/" + re.search(r'Target="\.\./([^"]+)"', tag).group(1)


def test_every_working_sheet_has_the_five_buttons_in_its_top_row():
    wb = openpyxl.load_workbook(XLSM, read_only=False, keep_vba=True)
    subs = set(re.findall(r"^Public Sub (\w+)\(\)$", BAS, re.M))
    with zipfile.ZipFile(XLSM) as z:
        parts = sheet_parts(z)
        visible = [n for n, (state, _) in parts.items() if state == "visible"]
        assert len(visible) >= 19 and visible[0] == "基本信息" and "表6 基本支出经济科目表" in visible
        idmaps = set()
        for name in visible:
            part = parts[name][1]
            vml = z.read(rel_target(z, part, "vmlDrawing")).decode()
            idmaps.add(re.search(r'<o:idmap v:ext="edit" data="(\d+)"/>', vml).group(1))
            shapes = re.findall(r"<v:shape .*?</v:shape>", vml)
            assert len(shapes) == len(BUTTONS), name
            last_col = openpyxl.utils.column_index_from_string(
                re.search(r"\$([A-Z]+)\$\d+$", wb[name].print_area[0] if isinstance(wb[name].print_area, list)
                          else wb[name].print_area).group(1))
            for shape, (caption, macro) in zip(shapes, BUTTONS.items()):
                assert caption in shape and f"<x:FmlaMacro>[0]!{macro}</x:FmlaMacro>" in shape, name
                assert macro in subs
                anchor = [int(v) for v in re.search(r"<x:Anchor>([^<]*)</x:Anchor>", shape).group(1).split(",")]
                assert anchor[2] == anchor[6] == 0, name  # row 1: frozen, in view while scrolling down
                assert anchor[0] >= last_col, name  # right of the printed table: never over a cell
                # free-floating (present = does not move / size with cells) and locked (the default)
                assert "<x:MoveWithCells/>" in shape and "<x:SizeWithCells/>" in shape, name
                assert "<x:Locked>False" not in shape
            drawing = z.read(rel_target(z, part, "drawing")).decode()
            assert drawing.count('editAs="absolute"') == len(BUTTONS) and 'editAs="oneCell"' not in drawing
            xml = z.read(part).decode()
            assert 'moveWithCells="1"' not in xml and 'sizeWithCells="1"' not in xml
            assert re.findall(r'<controlPr [^>]*macro="\[0\]!(\w+)"', xml) == list(BUTTONS.values()), name
        assert len(idmaps) == len(visible)  # shape ids numbered per drawing, never clashing


@pytest.mark.parametrize("path", [TEMPLATE, XLSM, EXAMPLE], ids=["xlsx", "xlsm", "example"])
def test_sheets_protect_their_objects_and_the_lists_are_very_hidden(path):
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    for ws in wb.worksheets:
        if ws.title.startswith("_"):
            assert ws.sheet_state == "veryHidden", ws.title
        else:
            assert ws.sheet_state == "visible"
            p = ws.protection
            assert p.sheet and p.objects, ws.title  # buttons cannot be moved, resized or deleted
            assert not p.password  # the buttons lift it without one
            assert not p.formatCells  # False = allowed: validate may colour cells, the clerk may too
    assert {"_codes", "_meta"} <= set(wb.sheetnames)


def test_docs_excel_md_says_what_the_template_does():
    """docs/excel.md (issue 11 point 6) against the template and the code it describes."""
    from toolkit import doctor, excel

    docs = (ROOT / "docs" / "excel.md").read_text(encoding="utf-8")
    assert all(f"**{caption}**" in docs for caption in BUTTONS) and "五个按钮" in docs and "四个按钮" not in docs
    flat = docs.replace("\n", "")
    assert "每一张工作表" in flat and "不能被拖动、改变大小或删除" in flat
    assert "`_codes`" in docs and "`_meta`" in docs and "深度隐藏" in flat
    assert "-公开" in docs and '"-公开"' in (ROOT / "toolkit" / "excel.py").read_text(encoding="utf-8")
    assert "草稿·未通过校验" in docs and excel.DRAFT_QUESTION.count("“是”") == 1
    mac_conf = "~/" + "/".join(doctor.user_conf_path("Darwin").parts[-5:])
    assert mac_conf in docs, mac_conf
    assert "xlwings runpython install" in docs and "WPS" in docs and "bdt serve" in docs
    assert "xlwings.conf` 工作表" not in docs  # the template has no such sheet (the three ways are described)
