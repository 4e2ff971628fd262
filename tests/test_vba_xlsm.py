"""The macro-enabled template: built deterministically, its VBA project read back by independent
readers (oletools' olevba, LibreOffice) with the source of `macros/`, and its buttons bound."""
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from conftest import ROOT, need_tool, run
from toolkit.vba import ovba, xlsm

MACROS = ROOT / "macros"
BUTTONS = {"校验": "BdtValidate", "填充": "BdtFill", "导出": "BdtExport", "扩充行数": "BdtGrow", "检查环境": "BdtCheck"}
FIRST_SHEET = "基本信息"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return xlsm.build_xlsm(tmp_path_factory.mktemp("xlsm") / "workbook_template.xlsm")


def visible_sheets(parts) -> int:
    tags = re.findall(r"<sheet [^>]*>", parts["xl/workbook.xml"].decode())
    return len([t for t in tags if "state=" not in t or 'state="visible"' in t])


@pytest.fixture(scope="module")
def parts(built) -> dict:
    with zipfile.ZipFile(built) as z:
        return {n: z.read(n) for n in z.namelist()}


def _expected_sources() -> dict[str, str]:
    """Module name -> source text as the project must hold it (CRLF), from macros/ and xlwings."""
    out = {}
    for bas in sorted(MACROS.glob("*.bas")):
        m = ovba.standard_module(bas.read_text(encoding="utf-8"))
        out[m.name] = m.source
    xlwings_bas, dictionary_cls = xlsm.xlwings_sources()
    out["xlwings"] = ovba.crlf(xlwings_bas)
    out["Dictionary"] = ovba.class_module(dictionary_cls).source
    return out


# ---------------------------------------------------------------------------------------------
# the package


def test_build_is_deterministic(built, tmp_path):
    again = xlsm.build_xlsm(tmp_path / "again.xlsm")
    assert again.read_bytes() == built.read_bytes()
    code = "import sys; from toolkit.vba import build_xlsm; build_xlsm(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "other.xlsm")], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONHASHSEED": "123"})
    assert (tmp_path / "other.xlsm").read_bytes() == built.read_bytes()


def test_every_xml_part_is_well_formed(parts):
    for name, data in parts.items():
        if name.endswith((".xml", ".rels", ".vml")):
            ET.fromstring(data)


def test_package_is_macro_enabled(parts):
    ct = parts["[Content_Types].xml"].decode()
    assert 'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"' in ct
    assert '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>' in ct
    assert '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>' in ct
    visible = visible_sheets(parts)
    assert ct.count("application/vnd.ms-excel.controlproperties+xml") == len(BUTTONS) * visible
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    assert re.search(r'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"', rels)
    assert parts["xl/vbaProject.bin"][:8] == bytes.fromhex("D0CF11E0A1B11AE1")


def test_code_names_match_the_document_modules(parts):
    assert '<workbookPr codeName="ThisWorkbook"' in parts["xl/workbook.xml"].decode()
    sheets = sorted((n for n in parts if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
                    key=lambda n: int(re.search(r"\d+", n.rsplit("/", 1)[1]).group()))
    for i, name in enumerate(sheets, start=1):
        assert f'<sheetPr codeName="Sheet{i}"' in parts[name].decode(), name


def test_buttons_on_the_first_sheet_call_their_subs(parts):
    first = parts["xl/worksheets/sheet1.xml"].decode()
    assert f'name="{FIRST_SHEET}"' in parts["xl/workbook.xml"].decode().split("<sheet ")[1]
    assert "<legacyDrawing r:id=" in first and "<drawing r:id=" in first
    assert first.index("<drawing ") < first.index("<legacyDrawing ") < first.index("<controls>")
    vml = parts["xl/drawings/vmlDrawing1.vml"].decode()
    shapes = re.findall(r"<v:shape .*?</v:shape>", vml)
    assert len(shapes) == len(BUTTONS)
    subs = set(re.findall(r"^Public Sub (\w+)\(\)$", (MACROS / "bdt_buttons.bas").read_text(encoding="utf-8"), re.M))
    for shape, (caption, macro) in zip(shapes, BUTTONS.items()):
        assert 'ObjectType="Button"' in shape and caption in shape
        assert f"<x:FmlaMacro>[0]!{macro}</x:FmlaMacro>" in shape
        assert macro in subs  # a no-argument Public Sub of the button module
        assert "<x:PrintObject>False</x:PrintObject>" in shape
        anchor = [int(v) for v in re.search(r"<x:Anchor>([^<]*)</x:Anchor>", shape).group(1).split(",")]
        assert anchor[2] == anchor[6] == 0  # in the frozen top row, always in view
        assert anchor[0] >= 5  # right of the table (A:D)
    # Excel 2010+: <controls> with a ctrlProp part per button, and DrawingML stand-ins
    controls = re.findall(r'<control shapeId="(\d+)" r:id="(rId\d+)"[^>]*><controlPr [^>]*macro="\[0\]!(\w+)"', first)
    assert [c[2] for c in controls] == list(BUTTONS.values())
    sheet_rels = parts["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    for shape_id, rid, _ in controls:
        target = re.search(rf'Id="{rid}" Type="[^"]+/ctrlProp" Target="\.\./(ctrlProps/ctrlProp\d+\.xml)"', sheet_rels).group(1)
        assert b'objectType="Button"' in parts["xl/" + target]
        assert f'id="_x0000_s{shape_id}"' in vml
        assert f'spid="_x0000_s{shape_id}"' in parts["xl/drawings/drawing1.xml"].decode()


def test_the_template_reader_accepts_the_xlsm(built):
    from toolkit.io.reader import read_workbook

    read_workbook(built)


def test_the_cell_writer_keeps_macros_and_buttons(built, tmp_path):
    from toolkit.io.writer import write_cells

    out = write_cells(built, {FIRST_SHEET: {"B2": "测试单位"}}, tmp_path / "filled.xlsm")
    with zipfile.ZipFile(built) as a, zipfile.ZipFile(out) as b:
        for name in ("xl/vbaProject.bin", "xl/drawings/vmlDrawing1.vml", "[Content_Types].xml"):
            assert a.read(name) == b.read(name)
        sheet = b.read("xl/worksheets/sheet1.xml").decode()
        assert "测试单位" in sheet and "<controls>" in sheet and "<legacyDrawing" in sheet


# ---------------------------------------------------------------------------------------------
# olevba (oletools), an independent reader of the VBA project


def test_olevba_reads_back_the_source_of_macros_and_xlwings(built):
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(built))
    try:
        assert parser.detect_vba_macros()
        got = {fname.rsplit(".", 1)[0]: (fname, code) for _, stream, fname, code in parser.extract_macros()}
    finally:
        parser.close()
    for name, source in _expected_sources().items():
        fname, code = got[name]
        assert ovba.crlf(code) == source, name  # byte for byte, once both are CRLF
    assert got["bdt_buttons"][0] == "bdt_buttons.bas" and got["Dictionary"][0] == "Dictionary.cls"
    n_sheets = len(re.findall(r"<sheet ", zipfile.ZipFile(built).read("xl/workbook.xml").decode()))
    for doc in ["ThisWorkbook"] + [f"Sheet{i}" for i in range(1, n_sheets + 1)]:
        assert got[doc][0] == f"{doc}.cls"
    assert "正在校验" in got["bdt_buttons"][1]  # Chinese text survives the cp936 round trip
    assert len(got) == n_sheets + 1 + len(_expected_sources())


def test_macros_folder_is_the_source_of_truth():
    text = (MACROS / "bdt_buttons.bas").read_text(encoding="utf-8")
    assert text.startswith('Attribute VB_Name = "bdt_buttons"')
    for sub, func in (("BdtValidate", "validate"), ("BdtFill", "fill"), ("BdtExport", "export")):
        body = re.search(rf"Public Sub {sub}\(\)\n(.*?)End Sub", text, re.S).group(1)
        assert f'RunPython "import toolkit.excel as x; x.{func}()"' in body
    text.encode("cp936")  # the project's code page must be able to hold it


def test_olevba_command_line(built):
    olevba = need_tool("olevba")
    r = run(olevba, "--decode", str(built), timeout=120)
    assert "VBA MACRO bdt_buttons.bas" in r.stdout and "VBA MACRO xlwings.bas" in r.stdout
    assert 'RunPython "import toolkit.excel as x; x.validate()"' in r.stdout


# ---------------------------------------------------------------------------------------------
# LibreOffice: opens the workbook, imports the modules, binds each button to its Sub


@pytest.fixture(scope="module")
def libreoffice(built, tmp_path_factory):
    soffice = need_tool("soffice")
    work = tmp_path_factory.mktemp("lo")
    profile = f"-env:UserInstallation=file://{work}/profile"
    r = run(soffice, "--headless", "--norestore", profile, "--convert-to", "ods", "--outdir", str(work), str(built),
            timeout=300)
    ods = work / "workbook_template.ods"
    assert ods.exists(), r.stdout + r.stderr
    return soffice, profile, work, ods


def test_libreoffice_imports_every_module(libreoffice):
    *_, ods = libreoffice
    with zipfile.ZipFile(ods) as z:
        names = z.namelist()
        basic = {n.rsplit("/", 1)[1][:-4]: z.read(n) for n in names
                 if n.startswith("Basic/VBAProject/") and n.endswith(".xml") and not n.endswith("script-lb.xml")}
    ns = "{http://openoffice.org/2000/script}"
    for name, source in _expected_sources().items():
        root = ET.fromstring(basic[name])
        kind = root.get(ns + "moduleType")
        assert kind == ("class" if name == "Dictionary" else "normal"), name
        text = root.text.split("\n")
        header = 3 if kind == "class" else 2  # "Rem Attribute VBA_ModuleType=...", "Option VBASupport 1"[, ...]
        assert text[1] == "Option VBASupport 1"
        code = [l for l in source.split("\r\n") if not l.startswith("Attribute ")]
        assert "\n".join(text[header:]).rstrip("\n") == "\n".join(code).rstrip("\n"), name
    assert ET.fromstring(basic["ThisWorkbook"]).get(ns + "moduleType") == "document"
    assert ET.fromstring(basic["Sheet1"]).get(ns + "moduleType") == "document"


def test_libreoffice_binds_each_button_to_its_sub(libreoffice, parts):
    *_, ods = libreoffice
    content = zipfile.ZipFile(ods).read("content.xml").decode()
    first_table = content.split("<table:table ")[1]
    assert f'table:name="{FIRST_SHEET}"' in first_table
    buttons = re.findall(r'<form:button [^>]*form:label="([^"]+)"[^>]*>(.*?)</form:button>', content, re.S)
    visible = visible_sheets(parts)
    assert [label for label, _ in buttons] == list(BUTTONS) * visible
    for label, body in buttons:
        url = f"vnd.sun.star.script:VBAProject.bdt_buttons.{BUTTONS[label]}?language=Basic&amp;location=document"
        assert 'script:event-name="form:performaction"' in body and url in body
    assert first_table.count("<draw:control ") == len(BUTTONS)
    assert content.count("<draw:control ") == len(BUTTONS) * visible  # one set per working sheet, no strays


def test_render_the_sheet_with_its_buttons(libreoffice, built):
    """PDF and PNG of the first sheet with its buttons, for a person to look at.

    Buttons are not printed and lie outside the print area (A:D), so the rendering uses a copy
    whose print area takes in the buttons and whose buttons print. Set BDT_RENDER_DIR to keep
    the PNG.
    """
    soffice, profile, work, _ = libreoffice
    need_tool("pdftoppm")
    need_tool("pdftotext")
    render = work / "render.xlsm"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(render, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(".vml"):
                data = data.replace(b"<x:PrintObject>False</x:PrintObject>", b"")
            if info.filename == "xl/worksheets/sheet1.xml":  # the wider area on a landscape page: fitted
                data = data.replace(b'orientation="portrait"', b'orientation="landscape"')  # to its width, the
                #                   buttons' captions would wrap on portrait (five buttons since 扩充行数)
            if info.filename == "xl/workbook.xml":
                data = re.sub(rb'(<definedName name="_xlnm.Print_Area" localSheetId="0">[^<]*!\$A\$1:\$)D',
                              rb"\1J", data)  # A:D, the gap E, five buttons F:J
            dst.writestr(info, data)
    r = run(soffice, "--headless", "--norestore", profile, "--convert-to", "pdf", "--outdir", str(work), str(render),
            timeout=300)
    pdf = work / "render.pdf"
    assert pdf.exists(), r.stdout + r.stderr
    page1 = run("pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-").stdout
    assert "部门预算公开 基本信息" in page1
    first_line = next(l for l in page1.splitlines() if "基本信息" in l)
    assert all(caption in first_line for caption in BUTTONS), first_line  # the buttons sit beside the title
    run("pdftoppm", "-r", "110", "-f", "1", "-l", "1", "-png", str(pdf), str(work / "sheet"), timeout=120)
    png = work / "sheet-1.png" if (work / "sheet-1.png").exists() else work / "sheet-01.png"
    assert png.exists() and png.stat().st_size > 10_000
    keep = os.environ.get("BDT_RENDER_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / "workbook_template_xlsm_sheet1.png")


def test_optional_xlwings_conf_sheet_is_hidden_and_has_its_document_module():
    import io

    import openpyxl

    data = xlsm.build_xlsm_bytes(xlwings_conf={"INTERPRETER_WIN": r"C:\Python311\pythonw.exe"})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    conf = wb[xlsm.CONF_SHEET]
    assert conf.sheet_state == "hidden" and conf["A1"].value == "INTERPRETER_WIN"
    n = len(wb.worksheets)
    project = zipfile.ZipFile(io.BytesIO(data)).read("xl/vbaProject.bin")
    from toolkit.vba import cfb

    text = cfb.read_compound_file(project)["PROJECT"].decode("cp936")
    assert f"Document=Sheet{n}/&H00000000" in text and f"Document=Sheet{n + 1}/" not in text
