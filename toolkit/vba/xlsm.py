"""The macro-enabled template `workbook_template.xlsm`: the schema's workbook plus buttons and VBA.

`build_xlsm(path)` starts from exactly the workbook `toolkit.template.build_workbook` generates,
names the workbook's and sheets' code names (ThisWorkbook, Sheet1 ...), saves it, and adds to the
package:

* `xl/vbaProject.bin`, a VBA project written here from source text (`ovba` + `cfb`): the button
  module `macros/bdt_buttons.bas`, xlwings' standalone module and its Dictionary class (read from
  the installed xlwings package, so the VBA side matches the Python side's version), and the
  empty document modules Excel expects for the workbook and every sheet;
* five form buttons (校验 / 填充 / 导出 / 扩充行数 / 检查环境) on every visible sheet — each table and form
  the clerk works on — right of the table in the frozen top row so they stay in view while the
  clerk scrolls down, each bound to its own no-argument Sub. They are free-floating (neither
  moved nor sized with cells) and locked, and the sheets protect their objects, so a clerk can
  click them but not move, resize or delete them. They are written the way Excel 2010+ writes
  form buttons: a legacy VML shape (`x:ClientData ObjectType="Button"` with `x:FmlaMacro`), a
  `ctrlProp` part, the `<controls>` element of the sheet, and the hidden DrawingML stand-in
  shape that points back to the VML shape;
* the content types and relationships that make it an `.xlsm`.

xlwings reads its configuration from a sheet named `xlwings.conf`, a file `xlwings.conf` beside
the workbook, or the user's `~/.xlwings/xlwings.conf`, and otherwise uses defaults: the `python`
on PATH, the workbook's folder added to `sys.path`, no UDF modules. Those defaults suit the
template, so by default no `xlwings.conf` sheet is added (an empty value in such a sheet would
override what IT configured for the user); `build_xlsm(..., xlwings_conf={...})` adds one.

Output is deterministic: fixed times (through `toolkit.template.write_normalized_zip`), a project
GUID derived from the schema's name and versions, and no random seeds.
"""
from __future__ import annotations

import importlib.util
import io
import os
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from ..schema import Schema, load_schema
from ..template import FONT, build_workbook, workbook_bytes, write_normalized_zip
from . import cfb, ovba

ROOT = Path(__file__).resolve().parents[2]
BUTTON_MODULE = "bdt_buttons.bas"
# `macros/` at the top of the repository is the only source of the buttons' VBA; a wheel carries
# a copy in the package (setup.py's build step puts it there), a source checkout has none.
PACKAGED_MACROS_DIR = Path(__file__).resolve().with_name("macros")
MACROS_DIR = PACKAGED_MACROS_DIR if (PACKAGED_MACROS_DIR / BUTTON_MODULE).is_file() else ROOT / "macros"
CONF_SHEET = "xlwings.conf"

XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_CT = "application/vnd.ms-office.vbaProject"
VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CTRLPROP_CT = "application/vnd.ms-excel.controlproperties+xml"
DRAWING_CT = "application/vnd.openxmlformats-officedocument.drawing+xml"

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
REL_VML = REL_NS + "/vmlDrawing"
REL_DRAWING = REL_NS + "/drawing"
REL_CTRLPROP = REL_NS + "/ctrlProp"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14_NS = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XDR_NS = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
A14_NS = "http://schemas.microsoft.com/office/drawing/2010/main"
COMPAT_EXT = "{63B3BB69-23CF-44E3-9099-C40C66FF867C}"

EMU_PER_PX = 9525
MAX_DIGIT_WIDTH = 7  # px, Calibri 11, the workbook's default font


@dataclass(frozen=True)
class Button:
    caption: str
    macro: str  # a Sub of bdt_buttons.bas, no arguments
    width: float = 12.0  # of its column, in characters


BUTTONS = (Button("校验", "BdtValidate"), Button("填充", "BdtFill"), Button("导出", "BdtExport"),
           Button("扩充行数", "BdtGrow", width=22.0), Button("检查环境", "BdtCheck", width=22.0))

# Geometry on each sheet: row 1 (frozen) is made 30 pt high; the column after the table is a
# narrow gap, and each button sits in its own column after it, inset a few pixels.
TITLE_ROW_HEIGHT_PT = 30.0
GAP_COLUMN_WIDTH = 2.0
INSET_X_PX, INSET_Y_PX = 4, 5


# ---------------------------------------------------------------------------------------------
# The VBA project


def xlwings_dir() -> Path:
    """The installed xlwings package's folder (found without importing xlwings, which is slow)."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("xlwings is not installed (pip install xlwings); its VBA module is needed")
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def xlwings_version(package_dir: Path | None = None) -> str:
    """The version line of the xlwings VBA module ("'Version: 0.37.8")."""
    m = re.search(r"^'Version: (\S+)", xlwings_sources(package_dir)[0], re.M)
    return m.group(1) if m else "unknown"


def xlwings_sources(package_dir: Path | None = None) -> tuple[str, str]:
    """The standalone xlwings module and its Dictionary class, as shipped by the installed xlwings.

    These are the two modules `xlwings quickstart --standalone` embeds (its template workbook
    carries exactly `xlwings` and `Dictionary`).
    """
    d = package_dir or xlwings_dir()
    bas, cls = d / "xlwings.bas", d / "addin" / "Dictionary.cls"
    for p in (bas, cls):
        if not p.is_file():
            raise FileNotFoundError(f"{p}: not found; is xlwings installed (pip install xlwings)?")
    return bas.read_bytes().decode("cp1252"), cls.read_bytes().decode("cp1252")


def button_source(macros_dir: Path | None = None) -> str:
    path = (macros_dir or MACROS_DIR) / BUTTON_MODULE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the button module is missing (a bdt checkout has it in macros/, a wheel in toolkit/vba/macros/)")
    return path.read_text(encoding="utf-8")


def code_names(n_sheets: int) -> list[str]:
    return [f"Sheet{i}" for i in range(1, n_sheets + 1)]


def vba_modules(n_sheets: int, macros_dir: Path | None = None, xlwings_package: Path | None = None) -> list[ovba.Module]:
    """Every module of the template's VBA project, in project order."""
    xlwings_bas, dictionary_cls = xlwings_sources(xlwings_package)
    modules = [ovba.document_module("ThisWorkbook", ovba.WORKBOOK_BASE)]
    modules += [ovba.document_module(name, ovba.WORKSHEET_BASE) for name in code_names(n_sheets)]
    modules.append(ovba.standard_module(button_source(macros_dir)))
    modules.append(ovba.standard_module(xlwings_bas))
    modules.append(ovba.class_module(dictionary_cls))
    return modules


def project_guid(schema: Schema) -> str:
    """A stable project ID: the same schema name and versions give the same GUID."""
    key = f"bdt-vba-project:{schema.name}:{schema.schema_version}:{schema.template_version}"
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, key)).upper() + "}"


def vba_project_bin(modules: list[ovba.Module], guid: str) -> bytes:
    return cfb.write_compound_file(ovba.build_project(modules, guid))


# ---------------------------------------------------------------------------------------------
# Buttons: geometry and the parts that carry them


def column_px(width: float | None) -> int:
    """Excel's column width (characters) in pixels for the default font."""
    if width is None:
        width = 8.43
    return int(((256 * width + int(128 / MAX_DIGIT_WIDTH)) / 256) * MAX_DIGIT_WIDTH)


@dataclass(frozen=True)
class Placed:
    button: Button
    shape_id: int  # 1024 * drawing + n: VML shape ids are numbered per drawing (o:idmap)
    col: int  # 0-based column of the button (it stays inside this column)
    left_px: int  # from the sheet's left edge
    top_px: int
    width_px: int
    height_px: int

    @property
    def drawing(self) -> int:
        return (self.shape_id - 1) // 1024

    @property
    def number(self) -> int:  # 1, 2, … within its sheet ("Button 1")
        return self.shape_id - 1024 * self.drawing


def place_buttons(ws, first_col: int, drawing: int = 1) -> list[Placed]:
    """Buttons side by side in row 1, the first in 0-based column `first_col`, one per column;
    `drawing`: the sheet's drawing number (1 for the first sheet with buttons, 2 …)."""
    left = sum(column_px(ws.column_dimensions[get_column_letter(c)].width) for c in range(1, first_col + 1))
    placed = []
    row_px = round(TITLE_ROW_HEIGHT_PT * 4 / 3)
    for i, b in enumerate(BUTTONS):
        col = first_col + i  # 0-based
        w = column_px(ws.column_dimensions[get_column_letter(col + 1)].width)
        placed.append(Placed(b, 1024 * drawing + 1 + i, col, left + INSET_X_PX, INSET_Y_PX, w - 2 * INSET_X_PX, row_px - 2 * INSET_Y_PX))
        left += w
    return placed


def _pt(px: int) -> str:
    return f"{px * 0.75:g}pt"


def vml_drawing(placed: list[Placed]) -> str:
    shapes = []
    for p in placed:
        anchor = f"{p.col}, {INSET_X_PX}, 0, {INSET_Y_PX}, {p.col}, {INSET_X_PX + p.width_px}, 0, {INSET_Y_PX + p.height_px}"
        shapes.append(
            f'<v:shape id="_x0000_s{p.shape_id}" type="#_x0000_t201" style="position:absolute;'
            f"margin-left:{_pt(p.left_px)};margin-top:{_pt(p.top_px)};width:{_pt(p.width_px)};"
            f'height:{_pt(p.height_px)};z-index:{p.number};mso-wrap-style:tight" o:button="t" '
            'fillcolor="buttonFace [67]" strokecolor="windowText [64]" o:insetmode="auto">'
            '<v:fill color2="buttonFace [67]" o:detectmouseclick="t"/>'
            '<o:lock v:ext="edit" rotation="t"/>'
            '<v:textbox style="mso-direction-alt:auto" o:singleclick="f">'
            f'<div style="text-align:center"><font face="{FONT}" size="220" color="#000000">'
            f"{escape(p.button.caption)}</font></div></v:textbox>"
            '<x:ClientData ObjectType="Button">'
            f"<x:Anchor>{anchor}</x:Anchor>"
            "<x:MoveWithCells/><x:SizeWithCells/>"  # present = does not move / size: free-floating
            "<x:PrintObject>False</x:PrintObject><x:AutoFill>False</x:AutoFill>"
            f"<x:FmlaMacro>[0]!{p.button.macro}</x:FmlaMacro>"
            "<x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign>"
            "</x:ClientData></v:shape>"
        )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{placed[0].drawing}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" '
        'o:connecttype="rect"/><o:lock v:ext="edit" shapetype="t"/></v:shapetype>'
        + "".join(shapes)
        + "</xml>"
    )


def _cell_anchor(p: Placed, tag_prefix: str) -> str:
    """`<from>`/`<to>` cell anchors of a button (column, row and offsets in EMU, rows 0-based)."""
    def pos(tag: str, col_px: int, row_px: int) -> str:
        x = "xdr:"
        return (
            f"<{tag_prefix}{tag}><{x}col>{p.col}</{x}col><{x}colOff>{col_px * EMU_PER_PX}</{x}colOff>"
            f"<{x}row>0</{x}row><{x}rowOff>{row_px * EMU_PER_PX}</{x}rowOff></{tag_prefix}{tag}>"
        )

    return pos("from", INSET_X_PX, INSET_Y_PX) + pos("to", INSET_X_PX + p.width_px, INSET_Y_PX + p.height_px)


def drawing_part(placed: list[Placed]) -> str:
    """The DrawingML side of the form buttons: hidden stand-ins pointing at the VML shapes.

    Excel 2010+ writes these for every form control; consumers that know `a14` keep the link
    between the two, older ones ignore the whole block (there is no fallback content). Anchored
    "don't move or size with cells" (editAs="absolute"): rows or columns the clerk resizes or
    hides do not carry the buttons away.
    """
    anchors = []
    for p in placed:
        anchors.append(
            f'<mc:AlternateContent xmlns:mc="{MC_NS}"><mc:Choice xmlns:a14="{A14_NS}" Requires="a14">'
            '<xdr:twoCellAnchor editAs="absolute">'
            + _cell_anchor(p, "xdr:")
            + '<xdr:sp macro="" textlink=""><xdr:nvSpPr>'
            f'<xdr:cNvPr id="{p.shape_id}" name="Button {p.number}" hidden="1"><a:extLst>'
            f'<a:ext uri="{COMPAT_EXT}"><a14:compatExt spid="_x0000_s{p.shape_id}"/></a:ext>'
            "</a:extLst></xdr:cNvPr><xdr:cNvSpPr/></xdr:nvSpPr>"
            '<xdr:spPr bwMode="auto"><a:xfrm>'
            f'<a:off x="{p.left_px * EMU_PER_PX}" y="{p.top_px * EMU_PER_PX}"/>'
            f'<a:ext cx="{p.width_px * EMU_PER_PX}" cy="{p.height_px * EMU_PER_PX}"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln w="9525"><a:miter lim="800000"/>'
            "<a:headEnd/><a:tailEnd/></a:ln></xdr:spPr>"
            '<xdr:txBody><a:bodyPr vertOverflow="clip" wrap="square" lIns="27432" tIns="27432" rIns="27432" '
            'bIns="27432" anchor="ctr" upright="1"/><a:lstStyle/><a:p><a:pPr algn="ctr" rtl="0">'
            '<a:defRPr sz="1000"/></a:pPr><a:r><a:rPr lang="zh-CN" altLang="en-US" sz="1100" b="0" i="0" '
            'u="none" strike="noStrike" baseline="0"><a:solidFill><a:srgbClr val="000000"/></a:solidFill>'
            f'<a:latin typeface="{FONT}"/><a:ea typeface="{FONT}"/></a:rPr><a:t>{escape(p.button.caption)}</a:t></a:r></a:p>'
            '</xdr:txBody></xdr:sp><xdr:clientData fPrintsWithSheet="0"/></xdr:twoCellAnchor>'
            "</mc:Choice><mc:Fallback/></mc:AlternateContent>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<xdr:wsDr xmlns:xdr="{XDR_NS}" xmlns:a="{A_NS}">' + "".join(anchors) + "</xdr:wsDr>"
    )


def ctrl_prop() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<formControlPr xmlns="{X14_NS}" objectType="Button" lockText="1"/>'
    )


def controls_element(placed: list[Placed], rel_ids: list[str]) -> str:
    """The sheet's `<controls>` (Excel 2010+), inside mc:AlternateContent as Excel writes it."""
    items = []
    for p, rid in zip(placed, rel_ids):
        items.append(
            f'<mc:AlternateContent xmlns:mc="{MC_NS}"><mc:Choice Requires="x14">'
            f'<control shapeId="{p.shape_id}" r:id="{rid}" name="Button {p.number}">'
            f'<controlPr defaultSize="0" print="0" autoFill="0" autoPict="0" macro="[0]!{p.button.macro}">'
            "<anchor>" + _cell_anchor(p, "")  # moveWithCells, sizeWithCells: false
            + "</anchor></controlPr></control></mc:Choice></mc:AlternateContent>"
        )
    return (
        f'<mc:AlternateContent xmlns:mc="{MC_NS}"><mc:Choice Requires="x14"><controls>'
        + "".join(items)
        + "</controls></mc:Choice></mc:AlternateContent>"
    )


# ---------------------------------------------------------------------------------------------
# Package surgery


def _rels_add(xml: str | None, rels: list[tuple[str, str, str]]) -> str:
    if xml is None:
        xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
    add = "".join(f'<Relationship Id="{rid}" Type="{typ}" Target="{target}"/>' for rid, typ, target in rels)
    return xml.replace("</Relationships>", add + "</Relationships>")


def _free_rel_ids(xml: str | None, n: int) -> list[str]:
    used = set(re.findall(r'Id="(rId\d+)"', xml or ""))
    out, i = [], 1
    while len(out) < n:
        if f"rId{i}" not in used:
            out.append(f"rId{i}")
        i += 1
    return out


def _free_name(names: set[str], pattern: str) -> str:
    i = 1
    while pattern.format(i) in names:
        i += 1
    return pattern.format(i)


# Elements of CT_Worksheet that come after legacyDrawing/controls; the new elements go before the first.
_AFTER_CONTROLS = ("<webPublishItems", "<tableParts", "<extLst")
_AFTER_DRAWING = ("<legacyDrawing", "<legacyDrawingHF", "<drawingHF", "<picture", "<oleObjects", "<controls") + _AFTER_CONTROLS


def _insert_before(xml: str, candidates: tuple[str, ...], fragment: str) -> str:
    positions = [xml.find(c) for c in candidates if xml.find(c) >= 0]
    at = min(positions) if positions else xml.rindex("</worksheet>")
    return xml[:at] + fragment + xml[at:]


def _sheet_part(files: dict[str, bytes], sheet_name: str) -> str:
    wb_xml = files["xl/workbook.xml"].decode("utf-8")
    rels = files["xl/_rels/workbook.xml.rels"].decode("utf-8")
    m = re.search(r'<sheet [^>]*name="' + re.escape(escape(sheet_name, {'"': "&quot;"})) + r'"[^>]*r:id="(rId\d+)"', wb_xml)
    if not m:
        raise ValueError(f"sheet {sheet_name!r} not found in xl/workbook.xml")
    t = re.search(r'<Relationship [^>]*Id="' + m.group(1) + r'"[^>]*Target="([^"]+)"', rels) or \
        re.search(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="' + m.group(1) + '"', rels)
    target = t.group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def _add_buttons(files, names, put, button_sheet: str, placed: list[Placed]) -> tuple[str, list[str]]:
    """One sheet's buttons: VML, DrawingML stand-ins, ctrlProps, and the sheet's references to them."""
    sheet = _sheet_part(files, button_sheet)
    sheet_dir, sheet_file = sheet.rsplit("/", 1)
    rels_name = f"{sheet_dir}/_rels/{sheet_file}.rels"
    sheet_rels = files.get(rels_name, b"").decode("utf-8") or None
    if sheet_rels and (REL_VML in sheet_rels or REL_DRAWING in sheet_rels):
        raise ValueError(f"{sheet} already has a drawing; merging drawings is not supported")
    rids = _free_rel_ids(sheet_rels, 2 + len(placed))
    vml_name = _free_name(names, "xl/drawings/vmlDrawing{}.vml")
    drawing_name = _free_name(names, "xl/drawings/drawing{}.xml")
    ctrl_names = []
    for _ in placed:
        ctrl_names.append(_free_name(names | set(ctrl_names), "xl/ctrlProps/ctrlProp{}.xml"))
    new_rels = [(rids[0], REL_DRAWING, "../" + drawing_name[3:]), (rids[1], REL_VML, "../" + vml_name[3:])]
    new_rels += [(rid, REL_CTRLPROP, "../" + name[3:]) for rid, name in zip(rids[2:], ctrl_names)]
    put(rels_name, _rels_add(sheet_rels, new_rels))
    put(drawing_name, drawing_part(placed))
    put(vml_name, vml_drawing(placed))
    for name in ctrl_names:
        put(name, ctrl_prop())

    xml = files[sheet].decode("utf-8")
    root = re.search(r"<worksheet\b[^>]*>", xml).group(0)
    extra = {"xmlns:r": REL_NS, "xmlns:mc": MC_NS, "xmlns:x14": X14_NS, "xmlns:xdr": XDR_NS}
    new_root = root[:-1] + "".join(f' {k}="{v}"' for k, v in extra.items() if k + "=" not in root) + ">"
    xml = xml.replace(root, new_root, 1)
    xml = _insert_before(xml, _AFTER_DRAWING, f'<drawing r:id="{rids[0]}"/><legacyDrawing r:id="{rids[1]}"/>')
    xml = _insert_before(xml, _AFTER_CONTROLS, controls_element(placed, rids[2:]))
    put(sheet, xml)

    return drawing_name, ctrl_names


def add_macro_parts(data: bytes, vba_bin: bytes, button_sheet, placed: list[Placed] | None = None) -> bytes:
    """Turn a saved .xlsx (bytes) into an .xlsm with the VBA project and the buttons;
    `button_sheet`: a sheet name (with `placed`), or {sheet name: placed buttons}."""
    buttons = button_sheet if isinstance(button_sheet, dict) else {button_sheet: placed}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        order = [i.filename for i in z.infolist()]
        files = {name: z.read(name) for name in order}
    names = set(files)

    def put(name: str, payload: str | bytes) -> None:
        if name not in files:
            order.append(name)
        names.add(name)
        files[name] = payload.encode("utf-8") if isinstance(payload, str) else payload

    # the workbook: vbaProject.bin and its relationship
    wb_rels = files["xl/_rels/workbook.xml.rels"].decode("utf-8")
    (vba_rid,) = _free_rel_ids(wb_rels, 1)
    put("xl/_rels/workbook.xml.rels", _rels_add(wb_rels, [(vba_rid, REL_VBA, "vbaProject.bin")]))
    put("xl/vbaProject.bin", vba_bin)

    drawing_names, all_ctrl_names = [], []
    for button_sheet, placed in buttons.items():
        drawing_name, ctrl_names = _add_buttons(files, names, put, button_sheet, placed)
        drawing_names.append(drawing_name)
        all_ctrl_names += ctrl_names

    # content types
    ct = files["[Content_Types].xml"].decode("utf-8")
    ct = ct.replace(f'ContentType="{XLSX_MAIN}"', f'ContentType="{XLSM_MAIN}"')
    defaults = ""
    if 'Extension="bin"' not in ct:
        defaults += f'<Default Extension="bin" ContentType="{VBA_CT}"/>'
    if 'Extension="vml"' not in ct:
        defaults += f'<Default Extension="vml" ContentType="{VML_CT}"/>'
    ct = re.sub(r"(<Types\b[^>]*>)", lambda m: m.group(1) + defaults, ct, count=1)
    overrides = "".join(f'<Override PartName="/{n}" ContentType="{DRAWING_CT}"/>' for n in drawing_names)
    overrides += "".join(f'<Override PartName="/{n}" ContentType="{CTRLPROP_CT}"/>' for n in all_ctrl_names)
    ct = ct.replace("</Types>", overrides + "</Types>")
    put("[Content_Types].xml", ct)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in order:
            z.writestr(name, files[name])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------


def _schema_of(workbook) -> Schema | None:
    """The schema an openpyxl workbook of the template records in its _meta (schema_id), as the reader picks it."""
    from ..io.reader import schema_for
    from ..layout import META_SHEET

    if META_SHEET not in workbook.sheetnames:
        return None
    meta = {str(r[0]).strip(): str(r[1]).strip() for r in workbook[META_SHEET].iter_rows(values_only=True)
            if len(r) >= 2 and r[0] not in ("", None) and r[1] is not None}
    return schema_for(meta, None)


def build_xlsm_bytes(schema: Schema | None = None, *, macros_dir: Path | None = None,
                     xlwings_package: Path | None = None, xlwings_conf: dict[str, str] | None = None,
                     workbook=None) -> bytes:
    """The macro-enabled template as bytes (before zip normalisation); `workbook`: an openpyxl
    workbook of the template already holding data (bdt import --out x.xlsm) instead of a blank one."""
    if schema is None and workbook is not None:
        schema = _schema_of(workbook)
    schema = schema or load_schema()
    wb = workbook if workbook is not None else build_workbook(schema)
    if xlwings_conf:
        conf = wb.create_sheet(CONF_SHEET)
        for key, value in xlwings_conf.items():
            conf.append([key, value])
        conf.sheet_state = "hidden"
    wb.code_name = "ThisWorkbook"
    for ws, name in zip(wb.worksheets, code_names(len(wb.worksheets))):
        ws.sheet_properties.codeName = name
    buttons = {}
    for ws in [w for w in wb.worksheets if w.sheet_state == "visible"]:  # every sheet the clerk works on
        ws.row_dimensions[1].height = max(ws.row_dimensions[1].height or 0, TITLE_ROW_HEIGHT_PT)
        gap = ws.max_column + 1  # 1-based: the narrow column right of the table
        ws.column_dimensions[get_column_letter(gap)].width = GAP_COLUMN_WIDTH
        for i, b in enumerate(BUTTONS):
            ws.column_dimensions[get_column_letter(gap + 1 + i)].width = b.width
        # the first button's 0-based column index equals `gap`
        buttons[ws.title] = place_buttons(ws, gap, drawing=len(buttons) + 1)
    data = workbook_bytes(wb)
    modules = vba_modules(len(wb.worksheets), macros_dir, xlwings_package)
    return add_macro_parts(data, vba_project_bin(modules, project_guid(schema)), buttons)


def build_xlsm(out_path: str | os.PathLike, schema: Schema | None = None, **kw) -> Path:
    """Write the macro-enabled template to `out_path` (deterministically); returns the path."""
    return write_normalized_zip(build_xlsm_bytes(schema, **kw), out_path)
