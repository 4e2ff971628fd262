"""The patch writer's worksheet edit: one pass, any prefix, optional `r` attributes, order kept.

Checked by parsing the result as XML (not by looking for our own strings): every edited cell has
its new value and its old style, every other cell is unchanged, rows and cells stay in order.
"""
from decimal import Decimal
from xml.etree import ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.findings import cell_order
from toolkit.io.writer import cell_styles, patch_sheet_xml, restyle_sheet_xml

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet(rows: dict, prefix: str = "", with_r: bool = True) -> str:
    """A worksheet XML with {row: {col: (value, style)}}; `prefix` "x:" binds the namespace to x."""
    p = prefix
    xmlns = f'xmlns:{p[:-1]}="{NS}"' if p else f'xmlns="{NS}"'
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns}>'
           f'<{p}dimension ref="A1"/><{p}sheetData>']
    for r in sorted(rows):
        out.append(f'<{p}row r="{r}" spans="1:9">' if with_r else f"<{p}row>")
        for c in sorted(rows[r]):
            v, s = rows[r][c]
            ref = f' r="{chr(64 + c)}{r}"' if with_r else ""
            out.append(f'<{p}c{ref} s="{s}"><{p}v>{v}</{p}v></{p}c>' if v is not None else f'<{p}c{ref} s="{s}"/>')
        out.append(f"</{p}row>")
    out.append(f'</{p}sheetData><{p}pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
               f'footer="0.3"/></{p}worksheet>')
    return "".join(out)


def cells(xml: str) -> dict:
    """{A1: (value text or None, style or None)} as an XML parser reads the sheet; checks order."""
    root = ET.fromstring(xml.encode("utf-8"))
    out, last_row = {}, 0
    for row in root.iter(f"{{{NS}}}row"):
        r = int(row.get("r"))
        assert r > last_row, "rows out of order"
        last_row, last_col = r, 0
        for c in row.findall(f"{{{NS}}}c"):
            ref = c.get("r")
            rr, cc = cell_order(ref)
            assert rr == r and cc > last_col, f"cell {ref} out of order in row {r}"
            last_col = cc
            v = c.find(f"{{{NS}}}v")
            t = c.find(f"{{{NS}}}is/{{{NS}}}t")
            out[ref] = (v.text if v is not None else t.text if t is not None else None, c.get("s"))
    return out


grid = st.dictionaries(st.integers(1, 30), st.dictionaries(
    st.integers(1, 8), st.tuples(st.one_of(st.none(), st.integers(0, 999).map(str)), st.integers(1, 5).map(str)),
    max_size=6), max_size=12)
edits = st.dictionaries(st.tuples(st.integers(1, 8), st.integers(1, 35)).map(lambda t: f"{chr(64 + t[0])}{t[1]}"),
                        st.one_of(st.decimals(0, 10 ** 6, places=2).map(Decimal), st.text("合计ab <&>", min_size=1,
                                                                                             max_size=5)),
                        max_size=25)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(grid, edits, st.sampled_from(["", "x:"]))
def test_patch_edits_exactly_the_given_cells(rows, changes, prefix):
    xml = sheet(rows, prefix)
    before = cells(xml)
    after = cells(patch_sheet_xml(xml, changes))
    for ref, value in changes.items():
        text, style = after[ref]
        want = format(value, "f") if isinstance(value, Decimal) else value
        assert text == want, ref
        assert style == (before[ref][1] if ref in before else None), ref  # the cell keeps its style
    assert {k: v for k, v in after.items() if k not in changes} == {k: v for k, v in before.items()
                                                                    if k not in changes}


def test_rows_and_cells_without_r_attributes_are_counted_in_order():
    xml = sheet({1: {1: ("1", "2"), 2: ("2", "2")}, 2: {1: ("3", "4")}}, with_r=False)
    out = patch_sheet_xml(xml, {"B2": Decimal("5.5"), "B1": Decimal("7")})
    root = ET.fromstring(out.encode("utf-8"))
    rows = root.findall(f".//{{{NS}}}row")
    assert len(rows) == 2
    second = rows[1].findall(f"{{{NS}}}c")
    assert [c.find(f"{{{NS}}}v").text for c in second] == ["3", "5.5"]
    first = rows[0].findall(f"{{{NS}}}c")
    assert [c.find(f"{{{NS}}}v").text for c in first] == ["1", "7"] and first[1].get("s") == "2"


def test_empty_sheetdata_and_restyle_and_styles_in_one_pass():
    xml = sheet({}).replace("<sheetData></sheetData>", "<sheetData/>")
    out = patch_sheet_xml(xml, {"C3": "甲"})
    assert cells(out) == {"C3": ("甲", None)}
    xml = sheet({2: {1: ("1", "3"), 3: ("2", "4")}}, prefix="x:")
    out = restyle_sheet_xml(xml, {"A2": "9", "B2": "8", "C5": "7"})
    assert cells(out) == {"A2": ("1", "9"), "B2": (None, "8"), "C2": ("2", "4"), "C5": (None, "7")}
    assert cell_styles(xml, ["A2", "C2", "B2", "Z9"]) == {"A2": "3", "C2": "4", "B2": None, "Z9": None}
