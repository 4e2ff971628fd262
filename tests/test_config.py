"""A bureau's rule configuration (issue 16 point 4) on real files: the seed example with known
findings, a configuration that switches one rule off, changes another's severity and sets a
parameter; per-department tables in a batch of two workbooks; lookup beside the workbooks; the
configuration printed in every report; bad files named with file, key and line; TOML = YAML."""
import csv
import io
import json
import re
import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

import toolkit
from conftest import EXAMPLE, ROOT, edit_workbook
from toolkit.cli import main
from toolkit.config import (DEFAULT_TEXT, ConfigError, check_configs, config_for, find_config, in_force,
                            load_config)
from toolkit.rules import PARAMS, RULES, catalogue, validate

TOML = """\
# 财政局规则设置
ignore = ["P612"]

[severity]
N504 = "warning"

[params.P602]
min_amount = "100"
"""

YAML = """\
# 财政局规则设置
ignore: [P612]
severity:
  N504: warning
params:
  P602:
    min_amount: 100
"""


def key(f):
    return (f.rule, f.severity, f.sheet, f.cell, f.message, str(f.expected), str(f.actual))


@pytest.fixture(scope="module")
def seed():
    d = toolkit.load(EXAMPLE)
    return d, validate(d)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------- the findings change exactly as configured

def test_two_rules_and_a_parameter_change_exactly_what_they_say(seed, tmp_path):
    d, base = seed
    rules = [f.rule for f in base]
    # what the seed example is known to have, so the comparison below cannot pass by accident
    assert rules.count("P612") == 2 and rules.count("P602") == 1
    assert [f.severity for f in base if f.rule == "N504"] == ["error"]
    p602 = next(f for f in base if f.rule == "P602")
    assert "办公用房租赁费" in p602.message  # 65.00 万元 in 表12: below the configured 100

    cfg = load_config(write(tmp_path, "bdt.toml", TOML))
    got = validate(d, config=cfg)
    want = [f for f in base if f.rule not in ("P612", "P602")]
    want = [replace(f, severity="warning") if f.rule == "N504" else f for f in want]
    assert [key(f) for f in got] == [key(f) for f in want]
    assert len(got) == len(base) - 3


def test_parameter_boundaries_on_the_seed(seed, tmp_path):
    d, base = seed

    def count(text, code):
        return sum(1 for f in validate(d, config=load_config(write(tmp_path, "bdt.toml", text))) if f.rule == code)

    # P602: the project 办公用房租赁费 has 65.00 万元
    assert count('[params.P602]\nmin_amount = 65\n', "P602") == 1
    assert count('[params.P602]\nmin_amount = "65.01"\n', "P602") == 0
    # D703: “三公”经费 9.00 against 26.22 last year, −65.68 %
    assert count('[params.D703]\nthreshold = 0.65\n', "D703") == 1
    assert count('[params.D703]\nthreshold = 0.66\n', "D703") == 0
    assert count('[params.D703]\nreason_words = ["原因", "预算数相同"]\n', "D703") == 0  # the paragraph's own words
    # P601: the hint “可能是「办公用房租赁费」” needs the names to overlap enough
    hinted = [f for f in base if f.rule == "P601"]
    assert hinted and hinted[0].expected == "办公用房租赁费"
    strict = [f for f in validate(d, config=load_config(write(tmp_path, "bdt.toml", "[params.P601]\nsimilarity = 1\n")))
              if f.rule == "P601"]
    assert len(strict) == 1 and strict[0].expected is None and "可能是" not in strict[0].message


def test_select_prefixes_and_extend_select(seed, tmp_path):
    d, base = seed
    only_p = validate(d, config=load_config(write(tmp_path, "bdt.toml", 'select = ["P6"]\n')))
    assert {f.rule for f in only_p} == {f.rule for f in base if f.rule.startswith("P6")}
    # the most specific selector wins; ignore wins a tie
    mixed = validate(d, config=load_config(write(tmp_path, "bdt.toml", 'select = ["P"]\nignore = ["P6"]\nextend-select = ["P612"]\n')))
    assert {f.rule for f in mixed} == {"P612"}
    tie = validate(d, config=load_config(write(tmp_path, "bdt.toml", 'extend-select = ["P612"]\nignore = ["P612"]\n')))
    assert "P612" not in {f.rule for f in tie}
    # severity by prefix, reader findings too
    warn = validate(d, config=load_config(write(tmp_path, "bdt.toml", '[severity]\nP6 = "提示"\n')))
    assert {f.severity for f in warn if f.rule.startswith("P6")} == {"info"}
    assert [key(f) for f in warn if not f.rule.startswith("P6")] == [key(f) for f in base if not f.rule.startswith("P6")]


# ---------------------------------------------------------------- export follows the settings

def test_export_refusal_follows_the_configuration(tmp_path):
    from toolkit.export import ExportRefused, export

    d = toolkit.load(EXAMPLE)
    with pytest.raises(ExportRefused) as refused:
        export(d, ["html"], tmp_path / "a")
    codes = sorted({f.rule for f in refused.value.errors})
    cfg = load_config(write(tmp_path, "bdt.toml", "[severity]\n" + "".join(f'{c} = "warning"\n' for c in codes)))
    result = export(d, ["html"], tmp_path / "b", config=cfg)
    assert result["html"].is_file() and not result.draft
    assert {f.rule for f in result.status.findings if f.severity == "warning"} >= set(codes)


# ---------------------------------------------------------------- lookup

def test_found_beside_the_workbook_and_in_parent_folders(tmp_path):
    root = tmp_path / "财政局"
    book = root / "2024" / "收件箱" / "a.xlsx"
    book.parent.mkdir(parents=True)
    shutil.copy(EXAMPLE, book)
    assert find_config(book) is None
    top = write(root, "bdt.yaml", YAML)
    assert find_config(book) == top  # two folders up
    near = write(book.parent, ".bdt.toml", TOML)
    assert find_config(book) == near  # the nearest wins
    write(book.parent, "bdt.toml", TOML)
    with pytest.raises(ConfigError, match="多个配置文件"):
        find_config(book)


def test_lookup_stops_at_a_repository_root(tmp_path):
    write(tmp_path, "bdt.toml", TOML)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    assert find_config(repo / "sub" / "x.xlsx") is None
    assert find_config(tmp_path / "other" / "x.xlsx") == tmp_path / "bdt.toml"


def test_lookup_stops_at_the_home_folder(tmp_path, monkeypatch):
    write(tmp_path, "bdt.toml", TOML)
    home = tmp_path / "home"
    (home / "文档").mkdir(parents=True)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    assert find_config(home / "文档" / "x.xlsx") is None
    write(home, "bdt.toml", TOML)
    assert find_config(home / "文档" / "x.xlsx") == home / "bdt.toml"  # the home folder itself is searched


def test_the_repository_example_uses_the_default_settings():
    assert config_for(EXAMPLE) is None  # the repository root stops the search: no settings of the machine leak in


# ---------------------------------------------------------------- printed in every report

@pytest.fixture
def configured(tmp_path):
    book = tmp_path / "单位" / "忻州驻京联络处.xlsx"
    book.parent.mkdir()
    shutil.copy(EXAMPLE, book)
    write(book.parent, "bdt.toml", TOML)
    return book


def test_validate_reports_print_the_configuration(configured, capsys):
    cfg_path = configured.parent / "bdt.toml"
    assert main(["validate", str(configured)]) == 1
    text = capsys.readouterr().out
    line = next(ln for ln in text.splitlines() if ln.startswith("规则设置："))
    assert str(cfg_path) in line and "不检查 P612" in line and "N504 警告" in line and "P602.min_amount = 100" in line
    assert " P612 " not in text and " P602 " not in text and "警告 N504" in text

    assert main(["validate", str(configured), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)["files"][0]
    assert data["config"]["source"] == str(cfg_path) and data["config"]["disabled"] == ["P612"]
    assert data["config"]["severity"] == {"N504": "warning"} and data["config"]["params"] == {"P602": {"min_amount": "100"}}
    assert not {f["rule"] for f in data["findings"]} & {"P612", "P602"}

    out = configured.parent / "report.html"
    main(["validate", str(configured), "--format", "html", "-o", str(out)])
    capsys.readouterr()
    page = out.read_text(encoding="utf-8")
    m = re.search(r'<p class="meta config">([^<]*)</p>', page)
    assert m and "规则设置：配置文件 bdt.toml" in m.group(1) and "P602.min_amount = 100" in m.group(1)
    assert str(configured.parent) not in page  # the e-mailed report names the file, not the bureau's folders


def test_reports_without_configuration_say_default(capsys, tmp_path):
    main(["validate", str(EXAMPLE)])
    assert f"规则设置：{DEFAULT_TEXT}" in capsys.readouterr().out.splitlines()
    main(["validate", str(EXAMPLE), "--format", "json"])
    assert json.loads(capsys.readouterr().out)["files"][0]["config"]["text"] == DEFAULT_TEXT
    main(["validate", str(EXAMPLE), "--format", "html", "-o", str(tmp_path / "r.html")])
    assert f"规则设置：{DEFAULT_TEXT}" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_explicit_config_replaces_the_lookup(configured, tmp_path, capsys):
    other = write(tmp_path / "别处", "严格.yaml", "severity:\n  P6: error\n")
    main(["validate", str(configured), "--config", str(other), "--format", "json"])
    data = json.loads(capsys.readouterr().out)["files"][0]
    assert data["config"]["source"] == str(other)
    assert {f["severity"] for f in data["findings"] if f["rule"].startswith("P6")} == {"error"}
    assert "P612" in {f["rule"] for f in data["findings"]}  # the bdt.toml beside it is not used


def test_fill_prints_the_filled_workbook_under_the_settings(configured, capsys):
    assert main(["fill", str(configured), "--out", str(configured.with_name("filled.xlsx"))]) == 0
    out = capsys.readouterr().out
    assert "填充后的工作簿按规则设置（配置文件" in out and "不检查 P612" in out


# ---------------------------------------------------------------- per department, in a batch

def test_batch_per_department_override_applies_to_one_department_only(tmp_path, capsys):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    shutil.copy(EXAMPLE, inbox / "a.xlsx")
    edit_workbook(inbox / "a.xlsx", {("基本信息", "B3"): "105", ("基本信息", "B2"): "忻州市某某局"}, inbox / "b.xlsx")
    write(inbox, "bdt.toml", TOML.replace("[params.P602]\nmin_amount = \"100\"\n", "") + """
[per-department."104"]
ignore = ["P611"]
[per-department."104".params.P602]
min_amount = 100
[per-department."忻州市某某局".severity]
P604 = "warning"
[per-department."999"]
ignore = ["N5"]
""")
    out = tmp_path / "结果"
    code = main(["batch", str(inbox), "--out", str(out), "--jobs", "1", "--no-progress"])
    assert code == 1
    std = capsys.readouterr()
    assert "部门设置「999」没有对应的工作簿" in std.err
    assert "不是工作簿的文件" not in std.err  # bdt.toml beside the workbooks is not a stray file
    rows = {r["部门代码"]: r for r in csv.DictReader(io.StringIO((out / "summary.csv").read_text(encoding="utf-8-sig")))}
    a, b = rows["104"], rows["105"]
    assert "部门「104」" in a["规则设置"] and "P611" in a["规则设置"] and "P602.min_amount = 100" in a["规则设置"]
    assert "部门「忻州市某某局」" in b["规则设置"] and "P611" not in b["规则设置"] and "P604 警告" in b["规则设置"]
    fa = json.loads((out / a["输出文件夹"] / "findings.json").read_text(encoding="utf-8"))["files"][0]
    fb = json.loads((out / b["输出文件夹"] / "findings.json").read_text(encoding="utf-8"))["files"][0]
    ra, rb = {f["rule"] for f in fa["findings"]}, {f["rule"] for f in fb["findings"]}
    assert not ra & {"P611", "P602", "P612"} and {"P611", "P602"} <= rb and "P612" not in rb
    assert {f["severity"] for f in fa["findings"] if f["rule"] == "P604"} == {"error"}
    assert {f["severity"] for f in fb["findings"] if f["rule"] == "P604"} == {"warning"}
    assert fa["config"]["departments"] == ["104"] and fb["config"]["departments"] == ["忻州市某某局"]
    page = (out / "summary.html").read_text(encoding="utf-8")
    section = page[page.index('<section class="config">'):]
    section = section[:section.index("</section>")]
    assert section.count("<li>") == 2 and "适用于 1 个工作簿：忻州市人民政府驻北京联络处" in section
    assert "适用于 1 个工作簿：忻州市某某局" in section
    assert "规则设置" in (out / a["输出文件夹"] / "report.html").read_text(encoding="utf-8")


def test_batch_summary_without_configuration_says_default(tmp_path):
    from toolkit.batch import Options, run_batch

    result = run_batch([EXAMPLE], Options(out_dir=str(tmp_path / "o")))
    assert result.outcomes[0].config == DEFAULT_TEXT
    assert f"全部工作簿：{DEFAULT_TEXT}" in result.summary_html.read_text(encoding="utf-8")
    row = next(csv.DictReader(io.StringIO(result.summary_csv.read_text(encoding="utf-8-sig"))))
    assert row["规则设置"] == DEFAULT_TEXT


def test_bad_configuration_stops_the_batch_before_any_workbook(tmp_path, capsys):
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(EXAMPLE, inbox / "a.xlsx")
    write(inbox, "bdt.toml", 'ignore = ["Q123"]\n')
    assert main(["batch", str(inbox), "--out", str(tmp_path / "o"), "--jobs", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "bdt.toml" in err and "第 1 行" in err and "Q123" in err
    assert not (tmp_path / "o" / "summary.csv").exists()


# ---------------------------------------------------------------- bad files: Chinese, file, key, line

BAD = [
    ("unknown code", 'ignore = ["P602", "N999"]\n', "第 1 行", "ignore[1]", "规则「N999」不存在"),
    ("unknown severity code", '[severity]\nN503 = "warning"\nZ1 = "info"\n', "第 3 行", "severity.Z1", "规则「Z1」不存在"),
    ("unknown key", 'ignor = ["P602"]\n', "第 1 行", "ignor", "未知的设置项「ignor」。是否应为「ignore」？"),
    ("unknown key in a department", '[per-department."104"]\nseverty = {}\n', "第 2 行", "per-department.104.severty",
     "部门「104」的设置中未知的设置项"),
    ("bad severity", '\n[severity]\nN503 = "fatal"\n', "第 3 行", "severity.N503", "级别「fatal」无效"),
    ("bad number", '[params.P602]\nmin_amount = "一百"\n', "第 2 行", "params.P602.min_amount", "「一百」不是数字"),
    ("below minimum", '[params.P602]\nmin_amount = -5\n', "第 2 行", "params.P602.min_amount", "小于允许的最小值 0"),
    ("not a choice", '[params.C207]\nfunction_digits = 6\n', "第 2 行", "params.C207.function_digits", "可选 3、5、7"),
    ("unknown parameter", '[params.P602]\nmin_amt = 5\n', "第 2 行", "params.P602.min_amt", "规则 P602 没有参数「min_amt」"),
    ("rule without parameters", '[params.N503]\nx = 1\n', "第 1 行", "params.N503", "规则 N503 没有可设定的参数"),
    ("list expected", 'ignore = "P602"\n', "第 1 行", "ignore", "应为规则编号的列表"),
    ("toml syntax", 'ignore = ["P602"]\n[severity\nN503 = "warning"\n', "第 2 行", None, "TOML 语法错误"),
]


@pytest.mark.parametrize("text,line,key,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_configuration_names_file_key_and_line(tmp_path, text, line, key, message):
    path = write(tmp_path, "bdt.toml", text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    m = err.value.message
    assert m.startswith(f"配置文件「{path}」{line}"), m
    assert message in m, m
    if key:
        assert f"（{key}）" in m, m


def test_bad_yaml_names_file_key_and_line(tmp_path):
    path = write(tmp_path, "bdt.yaml", "severity:\n  N503: warning\nparams:\n  P602:\n    min_amount: abc\n")
    with pytest.raises(ConfigError, match=r"第 5 行（params\.P602\.min_amount）：「abc」不是数字"):
        load_config(path)
    path = write(tmp_path, "bdt.yaml", "ignore: [P602\nseverity: {}\n")
    with pytest.raises(ConfigError, match="YAML 语法错误"):
        load_config(path)


def test_cli_reports_a_bad_configuration_in_chinese(configured, capsys):
    write(configured.parent, "bdt.toml", '[severity]\nN503 = "fatal"\n')
    assert main(["validate", str(configured)]) == 2
    err = capsys.readouterr().err
    assert "bdt.toml" in err and "第 2 行" in err and "级别「fatal」无效" in err
    for cmd in (["fill", str(configured)], ["export", str(configured), "--to", "html"]):
        assert main(cmd) == 2
        assert "级别「fatal」无效" in capsys.readouterr().err
    assert not configured.with_name(configured.stem + ".filled.xlsx").exists()  # nothing written


# ---------------------------------------------------------------- TOML and YAML

def test_toml_and_yaml_give_the_same_result(seed, tmp_path):
    d, _ = seed
    t = load_config(write(tmp_path / "t", "bdt.toml", TOML + '[per-department."0104"]\nignore = ["N5"]\n'))
    y = load_config(write(tmp_path / "y", "bdt.yaml", YAML + "per-department:\n  0104:\n    ignore: [N5]\n"))
    assert (t.base, t.departments) == (y.base, y.departments)
    assert y.departments[0].name == "0104"  # as typed, not the octal number 68
    assert y.base.params["P602"]["min_amount"] == Decimal("100")
    assert [key(f) for f in validate(d, config=t)] == [key(f) for f in validate(d, config=y)]
    exact = load_config(write(tmp_path / "z", "bdt.yaml", "params:\n  D703:\n    threshold: 0.1\n"))
    v = exact.base.params["D703"]["threshold"]
    assert type(v) is Decimal and v == Decimal("0.1")  # never the float 0.1000000000000000055…
    toml_v = load_config(write(tmp_path / "w", "bdt.toml", "[params.D703]\nthreshold = 0.1\n")).base.params["D703"]["threshold"]
    assert type(toml_v) is Decimal and toml_v == Decimal("0.1")


# ---------------------------------------------------------------- parameters are declared and documented

def test_every_parameter_a_rule_reads_is_declared_and_documented():
    catalogue()
    used = set()
    for path in (ROOT / "toolkit" / "rules").glob("*.py"):
        for code, name in re.findall(r'ctx\.param\(\s*"([A-Z]\d{3})"\s*,\s*"(\w+)"', path.read_text(encoding="utf-8")):
            used.add((code, name))
    declared = {(c, n) for c, ps in PARAMS.items() for n in ps}
    assert used and used <= declared, used - declared
    assert declared <= used, declared - used  # no documented parameter that no rule reads
    doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for code, name in declared:
        assert code in RULES
        assert f"`[params.{code}]`" in doc and f"`{name}`" in doc


def test_check_configs_groups_workbooks_by_file(configured, tmp_path):
    other = tmp_path / "x.xlsx"
    shutil.copy(EXAMPLE, other)
    got = check_configs([configured, other])
    assert got == {str(configured.parent / "bdt.toml"): [str(configured)], None: [str(other)]}
    assert in_force(None).text() == DEFAULT_TEXT


# ---------------------------------------------------------------- the Excel 校验 button

def test_excel_validate_button_uses_the_configuration_beside_the_workbook(tmp_path, monkeypatch):
    import os

    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    xw = pytest.importorskip("xlwings")
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from xlpayload import payload

    from toolkit import excel

    shutil.copy(EXAMPLE, tmp_path / "单位.xlsx")
    monkeypatch.chdir(tmp_path)  # the remote engine's fullname is the file's name: found in the current folder

    def run():
        book = xw.Book(json=payload(tmp_path / "单位.xlsx", ()))
        result = excel.validate(book)
        return result, [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]

    plain, alerts = run()
    assert plain["line"].endswith(f"规则设置：{DEFAULT_TEXT}。") and alerts[-1] == plain["line"]
    write(tmp_path, "bdt.toml", TOML)
    configured, _ = run()
    assert "规则设置：配置文件 bdt.toml：不检查 P612" in configured["line"]
    assert configured["findings"] == plain["findings"] - 3  # P612 ×2 and P602 gone
    write(tmp_path, "bdt.toml", 'ignore = ["Q1"]\n')
    bad, alerts = run()
    assert "规则「Q1」不存在" in bad["error"] and "第 1 行" in bad["error"] and alerts == [bad["error"]]
