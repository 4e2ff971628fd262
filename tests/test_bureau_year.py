"""The bureau's year in one run (issue 16): a generated bureau of 30 departments with subordinate
units, last year's workbooks for some of them, a roster with missing and late entries, a
configuration that changes two rules and a waiver file, all given to one `bdt batch` with
`--consolidate`. Each part has its own detailed tests (test_consolidate, test_roster, test_prior,
test_config, test_waivers); this one checks that they work together on the same real files, as a
bureau would run them."""
from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from toolkit.cli import main

pytestmark = pytest.mark.slow

EXTRA_MISSING = [("900", "忻州市地方志研究室"), ("901", "忻州市党校")]  # on the roster, never submitted


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [r for r in csv.DictReader(fh) if any(r.values())]


@pytest.fixture(scope="module")
def year(generated_bureau, tmp_path_factory):
    import toolkit
    from toolkit.io.writer import write_cells
    from toolkit.waivers import waive

    root = tmp_path_factory.mktemp("bureau-year")
    inbox = root / "收件箱"
    folder, manifest = generated_bureau  # generated once per session (tests/conftest.py); copied: written below
    shutil.copytree(folder, inbox)

    # last year's workbooks for five plain departments (the year set to 2022), and one for a
    # department that no longer publishes
    prior = root / "去年"
    prior.mkdir()
    plain = manifest["departments"][:5]
    for dep in plain + [manifest["departments"][5]]:
        dst = prior / dep["file"]
        shutil.copy(inbox / dep["file"], dst)
        e = toolkit.load(dst).entry("info", "year")
        write_cells(dst, {e.sheet: {e.cell: 2022}}, dst)
    gone = prior / manifest["departments"][5]["file"]
    d = toolkit.load(gone)
    name, dcode = d.entry("info", "dept_name"), d.entry("info", "dept_code")
    assert name.sheet == dcode.sheet
    write_cells(gone, {name.sheet: {name.cell: "忻州市已撤销的办公室", dcode.cell: "899"}}, gone)

    # the roster: every department and unit expected, two more that never sent anything, the unit
    # the generator left out (unit_missing), and one department whose due date has passed
    late = manifest["departments"][6]
    lines = ["部门代码,名称,上级部门,截止日期"]
    due, past = date.today().isoformat(), "2020-01-31"
    for dep in manifest["departments"]:
        lines.append(f"{dep['code']},{dep['name']},,{past if dep is late else due}")
    expected_missing = {n for _, n in EXTRA_MISSING}
    for g in manifest["groups"]:
        lines.append(f"{g['code']},{g['name']},,{due}")
        units = list(g["units"])
        if g["fault"] == "unit_missing":
            gone_unit = next(f for f in manifest["faults"] if f["kind"] == "unit_missing")
            units.append(gone_unit["file"])
            expected_missing.add(gone_unit["unit"])
        for j, u in enumerate(sorted(units), 1):
            uname = Path(u).stem.split("-", 1)[1]
            lines.append(f"{g['code']}{j:03d},{uname},{g['code']},{due}")
    lines += [f"{c},{n},,{due}" for c, n in EXTRA_MISSING]
    roster = root / "名单.csv"
    roster.write_text("\n".join(lines) + "\n", encoding="gbk")

    # the bureau's configuration beside the workbooks: one rule off, one rule's severity changed
    (inbox / "bdt.toml").write_text('ignore = ["N506"]\n[severity]\nN520 = "info"\n', encoding="utf-8")

    # a reviewed department: every error of 科学技术局's own workbook waived (the counted-twice fault)
    ct = next(g for g in manifest["groups"] if g["fault"] == "counted_twice")
    head = inbox / ct["head"]
    for rule in ("A301", "A303", "X404"):
        waive(head, rule, None, "已核实：所属单位重复汇总的数已向单位确认，下年改正", "张三", file=inbox / "bdt-waivers.yaml")

    out = root / "结果"
    code = main(["batch", str(inbox), "--out", str(out), "--roster", str(roster), "--prior", str(prior),
                 "--consolidate", "--jobs", "2", "--no-progress"])
    return {"manifest": manifest, "inbox": inbox, "out": out, "code": code, "plain": plain, "late": late,
            "missing": expected_missing, "waived_head": ct, "prior": prior}


def test_summary_lists_exactly_the_missing_and_the_late(year):
    rows = _rows(year["out"] / "roster.csv")
    missing = {r["名称"] for r in rows if r["状态"] == "未提交"}
    assert missing == year["missing"]
    late = {r["名称"] for r in rows if r["状态"] == "逾期"}
    assert late == {year["late"]["name"]}
    assert year["code"] == 1  # some departments still have errors


def test_configuration_in_force_everywhere(year):
    summary = _rows(year["out"] / "summary.csv")
    assert len(summary) >= 50
    assert all("bdt.toml" in r["规则设置"] for r in summary)
    for f in year["out"].rglob("findings.json"):
        for entry in json.loads(f.read_text(encoding="utf-8"))["files"]:
            rules = {(x["rule"], x["severity"]) for x in entry["findings"]}
            assert not any(r == "N506" for r, _ in rules), f
            assert all(s == "info" for r, s in rules if r == "N520"), f


def test_waived_department_passes_and_keeps_its_findings_visible(year):
    head = year["waived_head"]
    row = next(r for r in _rows(year["out"] / "summary.csv") if r["部门代码"] == head["code"])
    assert row["错误"] == "0" and int(row["已豁免"]) == 3 and row["状态"] == "通过", row
    roster = next(r for r in _rows(year["out"] / "roster.csv") if r["部门代码"] == head["code"])
    assert roster["状态"] == "通过"
    # the other faulty 部门 still fails
    lo = next(g for g in year["manifest"]["groups"] if g["fault"] == "left_out")
    assert next(r for r in _rows(year["out"] / "summary.csv") if r["部门代码"] == lo["code"])["状态"] != "通过"


def test_last_years_workbooks_matched(year):
    rows = _rows(year["out"] / "上年数匹配.csv")
    matched = {r["单位"] for r in rows if r["上年工作簿"] and r["工作簿"]}
    assert matched == {d["name"] for d in year["plain"]}
    assert any(r["上年工作簿"] and not r["工作簿"] for r in rows)  # the abolished office's: unused


def test_consolidation_finds_the_generated_faults(year):
    rows = _rows(year["out"] / "汇总" / "汇总核对.csv")
    text = json.dumps(rows, ensure_ascii=False)
    for f in year["manifest"]["faults"]:
        assert f["unit"] in text or f["kind"] == "unit_missing", f
    for f in year["manifest"]["faults"]:
        if f["cell"]:
            assert any(r.get("单元格") == f["cell"] or f["cell"] in json.dumps(r, ensure_ascii=False) for r in rows), f
