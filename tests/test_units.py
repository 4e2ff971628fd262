"""Units and precision of amounts are schema data (issue 13, point 1).

The bundled schema publishes its tables in 万元 with two decimals. A copy that changes only the unit
data (`unit`, `types.amount`) publishes them in 元 — to the fen, with thousands separators as Shanghai
districts and 梧州 units do (“5,806,105.16 元”, tests/corpus/gx-wuzhou-school-2023.yaml), or in whole
元. The seed example's figures ×10000, imported through such a copy, must give the same findings as
the 万元 seed (same rules, same cells; messages in 元), no spurious rounding warnings, a narrative in
元, exports captioned 单位：元.
"""
import re
from decimal import Decimal

import openpyxl
import pytest
from conftest import EXAMPLE, EXAMPLE_DATA

import toolkit
from toolkit.datafile import load_data, write_data
from toolkit.export.data import render_data
from toolkit.export.document import build_document
from toolkit.export.xlsx import render_xlsx
from toolkit.layout import layout
from toolkit.narrative import generate
from toolkit.rules import validate
from toolkit.schema import (
    DEFAULT_SCHEMA,
    SchemaError,
    TableSpec,
    load_schema,
    parse_schema,
    yaml_load,
)
from toolkit.schema.units import Precision, convert, decimals_of_format

AMOUNT_LINE = re.compile(r"^  amount: .*$", re.MULTILINE)


def schema_in_yuan(tmp_path, decimals: int, name: str):
    """default.yaml with only its unit data changed: the tables' amounts in 元 at `decimals` places."""
    text = DEFAULT_SCHEMA.read_text(encoding="utf-8")
    fmt = "#,##0.00" if decimals == 2 else "#,##0" if decimals == 0 else "#,##0." + "0" * decimals
    new = f'  amount:  {{format: "{fmt}", decimals: {decimals}, numeric: true, unit: 元, max: "1e16"}}'
    text, n = AMOUNT_LINE.subn(new, text)
    assert n == 1
    text, n = re.subn(r"^unit: 万元$", "unit: 元", text, flags=re.MULTILINE)
    assert n == 1
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_schema(path)


def scaled(data: dict, schema, factor: Decimal) -> dict:
    """The data file with every amount-typed figure (tables, forms, 说明数据) multiplied by `factor`."""
    def scale(v):
        return format(Decimal(str(v)) * factor, "f") if v not in (None, "") else v

    out = dict(data)
    for spec in schema.sheets:
        if spec.key not in data:
            continue
        amount_cells = [p for p in layout(spec).value_cells if p.spec.type == "amount"]
        insts = data[spec.key] if isinstance(data[spec.key], list) else [data[spec.key]]
        new_insts = []
        for inst in insts:
            inst = {k: ([dict(r) if isinstance(r, dict) else r for r in v] if isinstance(v, list)
                        else dict(v) if isinstance(v, dict) else v) for k, v in inst.items()}
            for p in amount_cells:
                if p.block is not None:
                    rows = inst.get(p.block)
                    if isinstance(rows, list) and p.index <= len(rows) and isinstance(rows[p.index - 1], dict):
                        row = rows[p.index - 1]
                        if p.col_key in row:
                            row[p.col_key] = scale(row[p.col_key])
                elif isinstance(spec, TableSpec):
                    row = inst.get(p.row_key)
                    if isinstance(row, dict) and p.col_key in row:
                        row[p.col_key] = scale(row[p.col_key])
                elif p.row_key in inst:
                    inst[p.row_key] = scale(inst[p.row_key])
            new_insts.append(inst)
        out[spec.key] = new_insts if isinstance(data[spec.key], list) else new_insts[0]
    return out


@pytest.fixture(scope="module")
def seed():
    return toolkit.load(EXAMPLE)


@pytest.fixture(scope="module")
def yuan(tmp_path_factory):
    """(schema, disclosure) of the seed re-entered in 元 to the fen through a 元 schema."""
    tmp = tmp_path_factory.mktemp("yuan")
    schema = schema_in_yuan(tmp, 2, "yuan2")
    data = scaled(load_data(EXAMPLE_DATA), schema, Decimal(10000))
    path = write_data(data, tmp / "seed-yuan.xlsx", schema)
    return schema, toolkit.load(path, schema=schema)


def key(f):
    return f.rule, f.sheet, f.cell


# ---------------------------------------------------------------------------- the library place


def test_precision_is_schema_data():
    s = load_schema()
    assert s.unit == "万元" and s.money == Precision("万元", 2)
    assert s.precision("yuan").unit == "元" and s.precision("yuan").decimals == 2
    assert s.money.half == Decimal("0.005") and s.money.quantum == Decimal("0.01")
    assert s.money.text(Decimal("224.31")) == "224.31万元"
    assert s.precision("yuan").show(Decimal(700000)) == "700,000"  # "#,##0": whole 元 without .00
    assert s.precision("yuan").show(Decimal("700000.5")) == "700,000.50"  # … the fen when there is one
    assert convert(Decimal("224.31"), "万元", "元") == Decimal(2243100) and convert(Decimal("1.2"), "亿元", "万元") == 12000
    assert decimals_of_format('0.00"万元"') == 2 and decimals_of_format("#,##0") == 0 and decimals_of_format("@") is None


def test_format_and_decimals_must_agree():
    data = yaml_load(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    data["types"]["amount"] = {"format": "0.000", "decimals": 2, "numeric": True, "unit": "万元"}
    with pytest.raises(SchemaError, match="decimals"):
        parse_schema(data)
    data["types"]["amount"] = {"decimals": 3, "numeric": True, "unit": "万元"}  # the format follows the decimals
    assert parse_schema(data).type("amount").format == "0.000"
    data["types"]["amount"] = {"format": "0.00", "numeric": True, "unit": "元"}
    data["unit"] = "万元"  # the tables' caption contradicting the amounts' unit
    with pytest.raises(SchemaError, match="不一致"):
        parse_schema(data)


# ---------------------------------------------------------------------------- 元 to the fen


@pytest.fixture(scope="module")
def consistent(tmp_path_factory):
    """The seed after `fill` (its totals = the sum of its rounded items: no 尾差 left), in 万元 and
    re-entered ×10000 in 元 to the fen: (万元 disclosure, 元 schema, 元 disclosure)."""
    import shutil

    from toolkit.datafile import dump
    from toolkit.fill import fill

    tmp = tmp_path_factory.mktemp("consistent")
    shutil.copy(EXAMPLE, tmp / "seed.xlsx")
    filled, _ = fill(tmp / "seed.xlsx", tmp / "seed.filled.xlsx")
    wan = toolkit.load(filled)
    schema = schema_in_yuan(tmp, 2, "yuan2")
    data = scaled(dump(wan), schema, Decimal(10000))
    return wan, schema, toolkit.load(write_data(data, tmp / "filled-yuan.xlsx", schema), schema=schema)


def test_consistent_seed_in_yuan_gives_the_same_findings(consistent):
    """Same rules at the same cells; the money messages speak 元; no rounding finding appears."""
    wan_d, _, d = consistent
    assert d.get("t1", "grand", "in_amt") == wan_d.get("t1", "grand", "in_amt") * 10000
    wan, yua = validate(wan_d), validate(d)
    assert sorted(map(key, yua)) == sorted(map(key, wan)), sorted(set(map(key, yua)) ^ set(map(key, wan)))
    by_key = {key(f): f for f in yua}
    checked = 0
    for f in wan:
        g = by_key[key(f)]
        if re.search(r"\d ?万元", f.message) and f.rule[0] in "AXPD":
            checked += 1
            own = re.sub(r"「[^」]*」|“[^”]*”|[≤≥][\d.]+万元", "", g.message)  # what the clerk wrote is quoted as written
            assert "元" in own and not re.search(r"\d ?万元", own), g.message
    assert checked >= 1
    assert not [f for f in yua if f.rule == "F107"]


def test_seed_in_yuan_turns_its_wan_tails_into_errors(seed, yuan):
    """The published seed ×10000: its 0.01万元 尾差 are 100.00 元 apart in a table stated to the fen,
    which no rounding explains — each 尾差 becomes the error of its family at the same cell (and the
    text quoting such a total gets N518); every other finding is the same. Nothing new is a 尾差."""
    _, d = yuan
    assert d.get("t1", "grand", "in_amt") == Decimal("2243100.00") and d.entry("t1", "grand", "in_amt").unit == "元"
    wan, yua = validate(seed), validate(d)
    tail_to_error = {"A302": {"A301", "A306"}, "A304": {"A303"}, "X402": {"X401"}}
    tails = {(f.sheet, f.cell) for f in wan if f.rule in tail_to_error}
    assert tails  # the seed has its 224.31 / 224.32
    for f in wan:
        if f.rule in tail_to_error:
            assert any(key(g)[1:] == key(f)[1:] and g.rule in tail_to_error[f.rule] for g in yua), key(f)
    errors = {(g.sheet, g.cell) for g in yua if g.rule in ("A301", "A303", "A306", "X401")}
    same = lambda fs: sorted(key(f) for f in fs if f.rule not in tail_to_error and f.rule not in ("A301", "A303", "A306", "X401", "N518", "N506"))
    assert same(yua) == same(wan)
    assert {(g.sheet, g.cell) for g in yua if g.rule == "N518"} <= errors
    assert not [g for g in yua if g.rule in tail_to_error or g.rule == "F107"]
    assert all("100.00元" in g.message or "100.00)" in g.message or "-100.00" in g.message
               for g in yua if g.rule in ("A301", "A303") and (g.sheet, g.cell) in tails)


def test_tolerance_is_half_a_fen_in_yuan(consistent, tmp_path):
    wan_d, schema, d = consistent
    from toolkit.derive import Result
    from toolkit.rules import Context

    # three published operands and the total: ±4 half units (0.02 元 here, 0.02 万元 in the seed)
    assert Context(d).evaluator.tolerance(Result(Decimal(0), 3)) == Decimal("0.020")
    assert Context(wan_d).evaluator.tolerance(Result(Decimal(0), 3)) == Decimal("0.020")
    assert d.schema.money.half == Decimal("0.005") and d.schema.money.unit == "元"
    # a 0.01 元 slip in a total of three items is a 尾差, a 1 元 slip an error (in 万元 0.01 is 100 元)
    t3 = d.entry("t3", "total", "total")
    wb = openpyxl.load_workbook(d.path)
    ws = wb[t3.sheet]
    ws[t3.cell] = float(t3.value + Decimal("0.01"))
    wb.save(tmp_path / "slip.xlsx")
    codes = {f.rule for f in validate(toolkit.load(tmp_path / "slip.xlsx", schema=schema)) if f.cell == t3.cell}
    assert codes & {"A302", "X402"} and not codes & {"A301", "X401"}, codes
    ws[t3.cell] = float(t3.value + 1)
    wb.save(tmp_path / "slip1.xlsx")
    found = [f for f in validate(toolkit.load(tmp_path / "slip1.xlsx", schema=schema)) if f.cell == t3.cell]
    assert {f.rule for f in found} & {"A301", "X401"}, [(f.rule, f.message) for f in found]
    assert any("元" in f.message and "万元" not in f.message for f in found)


def test_extra_decimals_are_checked_at_the_types_places(consistent, tmp_path):
    _, schema, d = consistent
    e = d.entry("t3", "items#1", "basic")
    wb = openpyxl.load_workbook(d.path)
    wb[e.sheet][e.cell] = float(e.value) + 0.004
    wb.save(tmp_path / "dec.xlsx")
    f107 = [f for f in validate(toolkit.load(tmp_path / "dec.xlsx", schema=schema)) if f.rule == "F107"]
    assert [f.cell for f in f107] == [e.cell] and "两位小数" in f107[0].message and "元" in f107[0].message


def test_fill_writes_the_narrative_in_yuan(yuan):
    _, d = yuan
    text = "".join(generate(d, d.get).values())
    for needle in ("2,243,100.00元", "减少93,200.00元", "人员经费674,800.00元", "政府采购预算总额70,500.00元",
                   "33.13%", "下降3.99%"):
        assert needle in text, needle
    for v in d.form("notes").values():  # the clerk's own reasons (“追加维稳资金20万元”) are quoted as written
        if isinstance(v, str):
            text = text.replace(v.rstrip("。；;"), "")
    assert "万元" not in text, text


def test_generated_yuan_narrative_passes_the_narrative_rules(consistent, tmp_path):
    """The reader parses “2,243,200.00元” and the rules compare it in the tables' 元."""
    from toolkit.io import writer

    _, schema, d = consistent
    p = generate(d, d.get)
    assert "2,243,200.00元" in p["s3"]
    path = tmp_path / "gen.xlsx"
    writer.write_cells(d.path, {"情况说明": {d.entry("narrative", k).cell: v for k, v in p.items()}}, path)
    findings = [f for f in validate(toolkit.load(path, schema=schema)) if f.rule.startswith("N") and f.severity != "info"]
    assert [f.rule for f in findings] == ["N508"], [(f.rule, f.message) for f in findings]


def test_a_wan_figure_in_the_text_is_compared_in_yuan(consistent):
    """The seed's own text says “支出预算224.31万元”; after fill its table says 224.32万元 = 2,243,200.00元:
    the same N501 in both units, the difference 0.01万元 = 100.00元; “207.41万元” agrees with 2,074,100.00元."""
    wan_d, _, d = consistent
    e = d.entry("narrative", "s3")
    assert "224.31万元" in e.value and "207.41万元" in d.get("narrative", "s5_2")
    def n501(x):
        return [f for f in validate(x) if f.cell == e.cell and f.rule == "N501" and "224.31万元" in f.message]
    (w,), (y,) = n501(wan_d), n501(d)
    assert "相差 -0.01 万元" in w.message and "相差 -100.00 元" in y.message and "2243200.00 元" in y.message
    assert not [f for f in validate(d) if f.rule == "N501" and "207.41" in f.message]


def test_exports_show_the_yuan_unit(yuan, tmp_path):
    _, d = yuan
    doc = build_document(d)
    t1 = next(t for t in doc.tables if t.key == "t1")
    assert t1.unit == "单位：元"
    texts = [c.text for r in t1.body for c in r.cells if c is not None]
    assert "2,074,100.00" in texts
    render_xlsx(doc, tmp_path / "pub.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "pub.xlsx")
    cells = [c for ws in wb.worksheets[:3] for row in ws.iter_rows() for c in row]
    assert any(c.value == "单位：元" for c in cells)
    assert any(c.number_format == "#,##0.00" and c.value == Decimal(2074100) for c in cells)
    pkg = render_data(doc, d, tmp_path / "data")
    import json

    meta = json.loads((tmp_path / "data" / "datapackage.json").read_text(encoding="utf-8"))
    fields = [f for r in meta["resources"] if r["name"].startswith("table01") for f in r["schema"]["fields"]
              if f.get("columnType") == "value"]
    assert fields and {f["unit"] for f in fields} == {"元"} and {f["decimals"] for f in fields} == {2}
    assert pkg is not None


def test_template_caption_in_yuan(yuan, tmp_path):
    _, d = yuan
    wb = openpyxl.load_workbook(d.path)
    ws = wb[d.sheet_names["t1"]]
    assert any(c.value == "单位：元" for row in ws.iter_rows(max_row=3) for c in row)
    fmt = ws[d.entry("t1", "grand", "in_amt").cell].number_format
    assert "#,##0.00" in fmt


# ---------------------------------------------------------------------------- whole 元


def test_seed_in_whole_yuan(consistent, tmp_path):
    """Whole 元: the filled seed ×10000 has no fen, so it validates as in 万元; a fen is F107; rounding ±0.5 元."""
    from toolkit.datafile import dump

    wan_d = consistent[0]
    schema = schema_in_yuan(tmp_path, 0, "yuan0")
    assert schema.money == Precision("元", 0, True) and schema.money.half == Decimal("0.5")
    assert schema.type("amount").format == "#,##0"
    data = scaled(dump(wan_d), schema, Decimal(10000))
    d = toolkit.load(write_data(data, tmp_path / "seed-yuan0.xlsx", schema), schema=schema)
    assert sorted(map(key, validate(d))) == sorted(map(key, validate(wan_d)))
    assert "支出预算2,243,200元" in "".join(generate(d, d.get).values())
    e = d.entry("t3", "items#1", "basic")
    wb = openpyxl.load_workbook(d.path)
    wb[e.sheet][e.cell] = float(e.value) + 0.5
    wb.save(tmp_path / "fen.xlsx")
    f107 = [f for f in validate(toolkit.load(tmp_path / "fen.xlsx", schema=schema)) if f.rule == "F107"]
    assert [f.cell for f in f107] == [e.cell] and "整数" in f107[0].message
