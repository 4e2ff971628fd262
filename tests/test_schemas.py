"""Schemas chosen by name, recorded in the workbook, optional tables, rules a table set cannot run.

Real files throughout: templates built from (edited copies of) the bundled schema, the seed
example imported into them, sheets deleted with openpyxl, validated and exported.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
import yaml

import toolkit
from toolkit.cli import main, validate_files
from toolkit.datafile import load_data, write_data
from toolkit.io.reader import WorkbookError, read_workbook
from toolkit.report import to_html, to_json, to_text
from toolkit.rules import validate
from toolkit.schema import BUNDLED, DEFAULT_SCHEMA, SchemaError, load_schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "xinzhou-beijing-office-2023.yaml"


def _schema_copy(tmp_path, name: str, edit) -> Path:
    data = yaml.safe_load(DEFAULT_SCHEMA.read_text(encoding="utf-8"))
    edit(data)
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def _optional(*keys):
    def edit(data):
        data["id"] = "test-optional"
        for s in data["sheets"]:
            if s["key"] in keys:
                s["optional"] = True
    return edit


def test_bundled_names_resolve_and_unknown_names_are_refused():
    assert "sx-13" in BUNDLED
    assert load_schema("sx-13") is load_schema("default") is load_schema()
    assert load_schema("sx-13").id == "sx-13"
    with pytest.raises(SchemaError, match="没有名为「hb-99」的内置结构"):
        load_schema("hb-99")


def test_schema_list_prints_every_bundled_schema(capsys):
    assert main(["schema", "list"]) == 0
    out = capsys.readouterr().out
    for sid in BUNDLED:
        assert re.search(rf"^{re.escape(sid)}", out, re.M)
    assert "13 张表" in out


def test_workbook_records_its_schema_and_a_mismatch_is_refused_in_chinese(tmp_path, monkeypatch):
    monkeypatch.delenv("BDT_SCHEMA", raising=False)
    other = _schema_copy(tmp_path, "other", lambda d: d.update(id="xx-9", name="另一种表格组成"))
    wb = tmp_path / "a.xlsx"
    assert main(["template", "build", "--schema", str(other), "--out", str(wb), "--no-xlsm"]) == 0
    meta = {r[0]: r[1] for r in openpyxl.load_workbook(wb)["_meta"].iter_rows(values_only=True)}
    assert meta["schema_id"] == "xx-9"
    # read as the default: refused, naming both schemas and the way out
    with pytest.raises(WorkbookError) as exc:
        read_workbook(wb, schema=load_schema("sx-13"))
    msg = exc.value.message
    assert "「xx-9」" in msg and "「sx-13」" in msg and "--schema xx-9" in msg
    # the CLI gives the same message as 无法读取 (exit 2)
    [r] = validate_files([wb], load_schema("sx-13"))
    assert r.error == msg
    # the bundled example records sx-13: read without a schema it is the default
    d = toolkit.load(ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx")
    assert d.meta["schema_id"] == "sx-13" and d.schema.id == "sx-13"


def test_template_build_accepts_the_option_after_the_subcommand(tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", "build", "--schema", "sx-13", "--out", str(out), "--no-xlsm"]) == 0
    assert read_workbook(out).schema.id == "sx-13"


def _example_without(tmp_path, schema_path, *sheets) -> Path:
    schema = load_schema(schema_path)
    wb_path = write_data(load_data(EXAMPLE), tmp_path / "ex.xlsx", schema)
    wb = openpyxl.load_workbook(wb_path)
    for name in sheets:
        del wb[name]
    wb.save(wb_path)
    return wb_path


def test_optional_table_left_out_is_read_rules_skipped_and_listed(tmp_path):
    p = _schema_copy(tmp_path, "opt", _optional("t7", "t11", "t13"))
    schema = load_schema(p)
    wb = _example_without(tmp_path, p, "表13 项目支出结转表", "表11 机关运行经费表")
    d = read_workbook(wb, schema=schema)
    assert not d.present("t13") and not d.present("t11") and d.present("t7")
    f120 = [f for f in d.findings if f.rule == "F122"]
    assert len(f120) == 2 and "表13" in f120[0].message + f120[1].message and f120[0].severity == "info"
    findings = validate(d)
    skipped = {c for s in d.skipped_rules for c in s.codes}
    # 机关运行经费 (X408) needs 表11; 表12 without 表13 still checks against 表3/表5 (X406), and X407
    # needs neither — one checker per rule, so a missing table skips only the rules that need it
    assert "X408" in skipped and not {"X406", "X407"} & skipped
    assert not any(f.rule in skipped for f in findings)
    # the rules that can run still find the seed's genuine mistakes
    assert any(f.rule == "P601" for f in findings)
    # reports list what was not run
    [r] = validate_files([wb], schema)
    assert "未运行的规则" in to_text([r]) and "X408" in to_text([r]) and "表11 机关运行经费表" in to_text([r])
    j = json.loads(to_json([r]))["files"][0]["skipped_rules"]
    assert any("t11" in s["missing"] and "X408" in s["rules"] for s in j)
    assert "未运行的规则" in to_html([r])


def test_required_table_missing_is_still_refused(tmp_path):
    p = _schema_copy(tmp_path, "opt", _optional("t13"))
    wb = _example_without(tmp_path, p, "表7 政府性基金收入表")
    with pytest.raises(WorkbookError, match="缺少工作表 「表7 政府性基金收入表」"):
        read_workbook(wb, schema=load_schema(p))


def test_export_omits_the_left_out_table(tmp_path):
    from toolkit.export import export

    p = _schema_copy(tmp_path, "opt", _optional("t13"))
    wb = _example_without(tmp_path, p, "表13 项目支出结转表")
    d = read_workbook(wb, schema=load_schema(p))
    outs = export(d, ["html", "data"], tmp_path / "out", force=True)
    html = Path(outs["html"]).read_text(encoding="utf-8")
    assert "项目支出预算表（本年预算）" in html  # 表12 is there
    assert "项目支出预算表（上年结转）" not in html  # 表13 is not
    pkg = Path(outs["data"]) / "datapackage.json" if Path(outs["data"]).is_dir() else Path(outs["data"])
    names = [r["name"] for r in json.loads(pkg.read_text(encoding="utf-8"))["resources"]]
    assert "table12" in names and "table13" not in names


def test_a_table_set_without_a_table_skips_its_rules_and_never_crashes(tmp_path):
    def drop(data):
        data["id"] = "no-t13"
        data["sheets"] = [s for s in data["sheets"] if s["key"] not in ("t11", "t13")]
    p = _schema_copy(tmp_path, "no13", drop)
    schema = load_schema(p)
    data = load_data(EXAMPLE)
    data.pop("t13", None)
    data.pop("t11", None)
    wb = write_data(data, tmp_path / "no13.xlsx", schema)
    with pytest.raises(WorkbookError, match="--schema no-t13"):  # not bundled: read as the default, refused
        read_workbook(wb)
    d = read_workbook(wb, schema=schema)
    findings = validate(d)
    reasons = [s for s in d.skipped_rules if "t11" in s.missing]
    assert reasons and "本表结构（no-t13）没有「t11」" in reasons[0].reason and "X408" in reasons[0].codes
    # a set without 项目支出结转表 checks 项目支出 against 项目支出表 alone (needs "t13?")
    assert not any("X406" in s.codes for s in d.skipped_rules)
    assert not any(f.rule == "F122" for f in findings)  # not an optional table left out: the set has none


# ---------------------------------------------------------------- every bundled schema, whole pipeline

#: each bundled schema's example, transcribed from a real published document (cited in its YAML header)
EXAMPLES = {"sx-13": "xinzhou-beijing-office-2023", "bj-14": "bj-tongzhou-renda-2025",
            "sh-9": "shanghai-putuo-wanli-2025"}


def test_every_bundled_schema_has_a_real_example():
    assert set(EXAMPLES) == set(BUNDLED)
    for name in EXAMPLES.values():
        head = (ROOT / "examples" / f"{name}.yaml").read_text(encoding="utf-8")[:3000]
        assert re.search(r"^# source: \S+", head, re.M), f"{name}.yaml does not cite its source"


@pytest.mark.parametrize("sid", sorted(BUNDLED))
def test_whole_pipeline_on_each_bundled_schema(sid, tmp_path, monkeypatch):
    from toolkit.export import export
    from toolkit.fill import fill

    monkeypatch.delenv("BDT_SCHEMA", raising=False)
    template = tmp_path / "template.xlsx"
    assert main(["template", "build", "--schema", sid, "--out", str(template), "--no-xlsm"]) == 0
    assert read_workbook(template).schema.id == sid  # the template records its schema
    wb = tmp_path / "example.xlsx"
    assert main(["import", str(ROOT / "examples" / f"{EXAMPLES[sid]}.yaml"), "--schema", sid, "--out", str(wb)]) == 0
    d = read_workbook(wb)  # no schema given: picked from _meta
    assert d.schema.id == sid
    findings = validate(d)
    assert all(f.rule and f.message for f in findings)
    filled = tmp_path / "filled.xlsx"
    fill(wb, out=filled)
    outs = export(filled, ["html", "xlsx", "data"], tmp_path / "out", force=True)
    for fmt in ("html", "xlsx", "data"):
        assert Path(outs[fmt]).exists()
    # the bundled committed example is the same workbook the import gives
    committed = ROOT / "examples" / f"{EXAMPLES[sid]}.xlsx"
    assert committed.read_bytes() == wb.read_bytes()
