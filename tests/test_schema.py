"""The schema describes the whole seed disclosure, and is checked when loaded."""
import copy

import pytest
import yaml

from toolkit.layout import layout
from toolkit.schema import DEFAULT_SCHEMA, DERIVED, INPUT, SchemaError, TableSpec, load_schema, parse_schema

SEED_TITLES = [
    "预算收支总表", "预算收入总表", "预算支出总表", "财政拨款收支总表",
    "一般公共预算支出预算表（不含上年结转）", "一般公共预算安排基本支出分经济科目表（不含上年结转）",
    "政府性基金预算收入表（不含上年结转）", "政府性基金预算支出表（不含上年结转）",
    "国有资本经营预算收支预算表（不含上年结转）", "一般公共预算“三公”经费支出预算表",
    "机关运行经费预算财政拨款情况统计表", "项目支出预算表（本年预算）", "项目支出预算表（上年结转）",
]


def test_all_thirteen_seed_tables_with_official_titles():
    s = load_schema()
    tables = sorted(s.tables, key=lambda t: t.number)
    assert [t.number for t in tables] == list(range(1, 14))
    for t, title in zip(tables, SEED_TITLES):
        assert t.title == "{year}年" + title
        assert t.sheet.startswith(f"表{t.number} ")


def test_t1_has_the_thirty_function_classes_and_five_sources():
    t1 = load_schema().sheet("t1")
    classes = [r for r in t1.rows if getattr(r, "of", None)]
    assert len(classes) == 30
    assert classes[0].of == "201" and classes[-1].of == "234"
    sources = [r.cells["in_item"].text for r in t1.rows if "in_item" in r.cells][:5]
    assert sources == ["一、一般公共预算", "二、政府性基金预算", "三、国有资本经营预算", "四、财政专户管理资金", "五、单位资金"]


def test_every_cell_has_a_role_and_derived_cells_a_derivation():
    s = load_schema()
    n_input = n_derived = 0
    for spec in s.sheets:
        for p in layout(spec).value_cells:
            assert p.spec.role in (INPUT, DERIVED)
            if p.spec.role == DERIVED:
                assert p.spec.derive, (spec.key, p.key)
                n_derived += 1
            else:
                n_input += 1
    assert n_input > 500 and n_derived > 300


def test_forms_cover_the_seed_inputs():
    s = load_schema()
    notes = s.sheet("notes").fields
    for f in ["prior_income", "change_reason", "prior_car_buy", "proc_services", "vehicles", "rented_area", "perf_summary"]:
        assert f in notes
    assert s.sheet("perf_project").repeat
    assert s.sheet("perf_project").fields["central_period"].type == "yuan"
    assert s.sheet("perf_dept").fields["src_gpb"].derive == "t2.total.gpb"
    assert len(s.sheet("narrative").fields) == 19


def _raw():
    return yaml.safe_load(DEFAULT_SCHEMA.read_text(encoding="utf-8"))


def test_bad_reference_in_a_derivation_is_refused():
    data = _raw()
    t3 = next(s for s in data["sheets"] if s["key"] == "t3")
    t3["rows"][0]["total"] = "=block_sum(items, totl) + t2.nosuchrow.gpb"
    with pytest.raises(SchemaError, match="no row nosuchrow"):
        parse_schema(data)


def test_unknown_function_is_refused():
    data = _raw()
    t3 = next(s for s in data["sheets"] if s["key"] == "t3")
    t3["rows"][0]["total"] = "=__import__('os')"
    with pytest.raises(SchemaError, match="unknown function"):
        parse_schema(data)


def test_a_province_adapts_the_schema_without_python(tmp_path):
    """Add a column to 表12 and rename a sheet in YAML only; template and reader follow."""
    from toolkit.template import build_template
    from toolkit.io.reader import read_workbook

    data = copy.deepcopy(_raw())
    t12 = next(s for s in data["sheets"] if s["key"] == "t12")
    t12["sheet"] = "表12 项目支出预算表"
    t12["columns"].insert(1, {"key": "func_code", "type": "code", "width": 11})
    for h in t12["header"]:
        h.insert(1, "功能科目" if h is t12["header"][0] else ("^" if h is t12["header"][1] else "2"))
    t12["rows"][0]["cells"]["func_code"] = "input"
    path = tmp_path / "province.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    schema = load_schema(path)
    assert isinstance(schema.sheet("t12"), TableSpec)
    out = build_template(tmp_path / "p.xlsx", schema)
    # reading follows data (empty capacity rows are not read): type a project into the new column
    import openpyxl
    first, _ = layout(schema.sheet("t12")).block_rows["items"]
    wb = openpyxl.load_workbook(out)
    ws = wb["表12 项目支出预算表"]
    ws[f"A{first}"], ws[f"B{first}"] = "测试项目", "2010301"
    wb.save(out)
    d = read_workbook(out, schema=schema)
    assert d.sheet_names["t12"] == "表12 项目支出预算表"
    assert d.entries["t12"][("items#1", "func_code")].value == "2010301"
    assert d.entries["t12"][("items#1", "func_code")].cell == f"B{first}"
