"""Regression corpus of issue 12: real published disclosures of other regions (tests/corpus/*.yaml).

Each document is built into a workbook of the template (`write_data`), read back and validated.
For each document the test states, with arithmetic written here from the transcribed numbers,
which inconsistencies the *publication itself* has (`genuine`); each must be found by `validate()`.
Every other error-severity finding is a false alarm and fails the test — except the findings that
only say what the transcription could not hold (`transcription_gap`): the stored copies are
excerpts (one table, one or two paragraphs), so the other tables, paragraphs and the 部门代码 are
blank by construction, not by the publication's fault.

Narrative (情况说明) false alarms are tested apart (`test_no_narrative_false_alarm`) and marked
`xfail(strict=True)` per document where the narrative reader is known to misread the wording
(the classes are recorded in notes/12-corpus-findings.md; toolkit/rules/narrative.py is fixed in
another branch, after whose merge these flip).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

import pytest

import toolkit
from toolkit.datafile import DataFileError, load_data, write_data
from toolkit.findings import ERROR
from toolkit.rules import validate

CORPUS = Path(__file__).parent / "corpus"
D = Decimal


def pct(part, whole, places="0.01") -> Decimal:
    """part ÷ whole × 100, rounded half up at the precision the publication writes."""
    return (D(part) / D(whole) * 100).quantize(D(places), rounding=ROUND_HALF_UP)


def amt(doc: dict, table: str, row: str, col: str = "total") -> Decimal:
    return D(doc[table][row][col])


@dataclass(frozen=True)
class Expect:
    """A finding that must be there: its rule, the cell it is on, a part of its message."""

    rule: str
    cell: str
    says: str

    def matches(self, f) -> bool:
        return f.rule == self.rule and f.cell == self.cell and self.says in f.message


@dataclass
class Doc:
    name: str
    genuine: list = field(default_factory=list)  # Expect, each backed by arithmetic in `arithmetic`
    narrative_xfail: str | None = None  # why the narrative reader misreads this document (known class)


# ------------------------------------------------------------------ the arithmetic, document by document
def arithmetic_cq_fuling_town(doc) -> list:
    t10, n = "t10", doc["notes"]
    total = amt(doc, t10, "abroad") + amt(doc, t10, "reception") + amt(doc, t10, "car_run")
    assert total == amt(doc, t10, "total") == D("14.01")
    # 增长16.75%: the only change is 公务用车运行维护费 +2.01 → prior 12.00, 2.01 ÷ 12.00 = 16.75 %
    assert D(n["prior_car_run"]) == D("14.01") - D("2.01")
    assert pct("2.01", n["prior_car_run"]) == D("16.75")
    assert "增长16.75%" in doc["narrative"]["s7"]
    return []  # consistent


def arithmetic_sc_bazhou(doc) -> list:
    t10 = "t10"
    assert amt(doc, t10, "abroad") + amt(doc, t10, "reception") + amt(doc, t10, "car") == amt(doc, t10, "total") == D(1238)
    assert amt(doc, t10, "car_buy") + amt(doc, t10, "car_run") == amt(doc, t10, "car")
    s7 = doc["narrative"]["s7"]
    # 1278 − 40 = 1238; 40 ÷ 1278 = 3.13 % → “3.1%” is right at the one decimal written
    assert D(1278) - D(40) == D(1238) and pct(40, 1278, "0.1") == D("3.1") and "同比下降3.1%" in s7
    # 32 ÷ (605 + 32) = 5.02 % → “5%” is right at the precision written
    assert pct(32, 605 + 32, "1") == D(5) and "同比下降5%" in s7
    # 8 ÷ (633 + 8) = 1.248 % written 1.24 %: the amounts are whole 万元 (rounded), so the rate of the
    # unrounded figures can be anywhere in 1.17–1.33 %: not a provable mistake
    lo, hi = pct(D("7.5"), D("641.5")), pct(D("8.5"), D("640.5"))
    assert lo <= D("1.24") <= hi
    return []


def arithmetic_gx_baise(doc) -> list:
    t10, n = "t10", doc["notes"]
    items = [amt(doc, t10, k) for k in ("abroad", "reception", "car_buy", "car_run")]
    assert sum(items) == amt(doc, t10, "total") == D(3923)
    prior = [D(n[k]) for k in ("prior_abroad", "prior_reception", "prior_car_buy", "prior_car_run")]
    assert sum(prior) == D(n["prior_sangong"]) == D(3923) + D(332)
    # 332 ÷ 4255 = 7.80 % written 7.81 %: whole-万元 amounts (rounded), the unrounded rate lies in
    # 7.79–7.82 %: not a provable mistake
    lo, hi = pct(D("331.5"), D("4255.5")), pct(D("332.5"), D("4254.5"))
    assert lo <= D("7.81") <= hi
    return []


def arithmetic_ah_lieshan(doc) -> list:
    t10 = "t10"
    assert amt(doc, t10, "car_buy") + amt(doc, t10, "car_run") == amt(doc, t10, "car") == D("245.98")
    assert amt(doc, t10, "abroad") + amt(doc, t10, "reception") + amt(doc, t10, "car") == amt(doc, t10, "total") == D("444.16")
    return []  # the rates (同比下降19% …) have no 2022 amounts to check against


def arithmetic_jx_fengxin(doc) -> list:
    t10, n = "t10", doc["notes"]
    assert amt(doc, t10, "car_buy") + amt(doc, t10, "car_run") == amt(doc, t10, "car") == D("1425.58")
    assert amt(doc, t10, "abroad") + amt(doc, t10, "reception") + amt(doc, t10, "car") == amt(doc, t10, "total") == D("2415.44")
    assert D(n["prior_car_buy"]) + D(n["prior_car_run"]) + D(n["prior_reception"]) + D(n["prior_abroad"]) == D(n["prior_sangong"])
    assert amt(doc, t10, "total") - D(n["prior_sangong"]) == D("36.67")  # 较上年预算增加36.67万元
    return []


def arithmetic_gx_wuzhou_procurement(doc) -> list:
    n = doc["notes"]
    assert D(n["proc_goods"]) + D(n["proc_works"]) + D(n["proc_services"]) == D(n["proc_total"])
    assert D(n["proc_total"]) * 10000 == 17000 and D(n["proc_goods"]) * 10000 == 10000 and D(n["proc_services"]) * 10000 == 7000
    assert pct(10000, 17000, "0.1") == D("58.8") and pct(7000, 17000, "0.1") == D("41.2")
    assert 0 + 0 + 1 + 0 == n["vehicles"]  # 一般公务用车 0、执法执勤 0、特种专业技术 1、其他 0
    return []


DOCS = {
    "cq-fuling-town-sangong-2024": (Doc("cq-fuling-town-sangong-2024", narrative_xfail=(
        "N501: “三公”经费支出预算为14.01万元 read as 支出预算 (支出总计) — a quantity keyword inside a longer "
        "phrase (issue 12 class 1)")), arithmetic_cq_fuling_town),
    "sc-bazhou-sangong-2024": (Doc("sc-bazhou-sangong-2024", narrative_xfail=(
        "N503: 同比下降3.1% / 同比下降5% compared at two decimals (3.13, 5.02) — precision as written "
        "(issue 12 class 2)")), arithmetic_sc_bazhou),
    "gx-baise-sangong-2024": (Doc("gx-baise-sangong-2024"), arithmetic_gx_baise),
    "ah-lieshan-sangong-2023": (Doc("ah-lieshan-sangong-2023"), arithmetic_ah_lieshan),
    "jx-fengxin-sangong-2023": (Doc("jx-fengxin-sangong-2023"), arithmetic_jx_fengxin),
    "gx-wuzhou-unit-procurement-2023": (Doc("gx-wuzhou-unit-procurement-2023", narrative_xfail=(
        "N501: 按政府采购资金类型划分,一般公共预算拨款 17000 元 (procurement funded by the 一般公共预算) "
        "read as the department's 一般公共预算拨款收入 (表2) — a qualified phrase matched as the bare quantity "
        "(issue 12 class 1)")), arithmetic_gx_wuzhou_procurement),
}


# ------------------------------------------------------------------ building and classifying
@lru_cache(maxsize=None)
def _build(name: str, tmpdir: str):
    data = load_data(CORPUS / f"{name}.yaml")
    out = Path(tmpdir) / f"{name}.xlsx"
    write_data(data, out)
    return data, tuple(validate(toolkit.load(out)))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("corpus"))
    return lambda name: _build(name, tmp)


def transcription_gap(f) -> bool:
    """A finding about what the excerpt does not hold: completeness of the disclosure (D7xx: tables
    without data or 无数据 note, blank paragraphs) and the 部门代码 the excerpts do not print."""
    return f.rule.startswith("D7") or (f.rule == "F111" and f.cell == "B3")


def _split(name, findings):
    doc = DOCS[name][0]
    errors = [f for f in findings if f.severity == ERROR and not transcription_gap(f)]
    false = [f for f in errors if not any(e.matches(f) for e in doc.genuine)]
    return [f for f in false if f.rule.startswith("N")], [f for f in false if not f.rule.startswith("N")]


def _narrative_param(name):
    doc = DOCS[name][0]
    marks = [pytest.mark.xfail(strict=True, reason=doc.narrative_xfail)] if doc.narrative_xfail else []
    return pytest.param(name, marks=marks, id=name)


def test_corpus_is_the_acceptance_size():
    """≥ 6 documents of budget year ≥ 2023 from ≥ 3 provinces, each with its address and title."""
    files = sorted(CORPUS.glob("*.yaml"))
    assert {p.stem for p in files} == set(DOCS)
    provinces = set()
    for p in files:
        src = load_data(p)["source"]
        assert src["url"].startswith("http") and src["title"]
        assert src["budget_year"] >= 2023 and load_data(p)["info"]["year"] == src["budget_year"]
        provinces.add(src["province"])
    assert len(files) >= 6 and len(provinces) >= 3


@pytest.mark.parametrize("name", sorted(DOCS))
def test_genuine_inconsistencies_are_found(name, built):
    doc, check = DOCS[name]
    data, findings = built(name)
    assert check(data) == doc.genuine  # the arithmetic above says which mistakes the publication has
    for e in doc.genuine:
        assert any(e.matches(f) for f in findings), f"{name}: not found: {e}"


@pytest.mark.parametrize("name", sorted(DOCS))
def test_no_false_alarm_outside_the_narrative(name, built):
    _, findings = built(name)
    _, other = _split(name, findings)
    assert not other, "\n".join(f"{f.rule} {f.message}" for f in other)


@pytest.mark.parametrize("name", [_narrative_param(n) for n in sorted(DOCS)])
def test_no_narrative_false_alarm(name, built):
    _, findings = built(name)
    narrative, _ = _split(name, findings)
    assert not narrative, "\n".join(f"{f.rule} {f.message}" for f in narrative)


def test_data_file_source_is_kept_out_of_the_workbook(tmp_path):
    data = load_data(CORPUS / "ah-lieshan-sangong-2023.yaml")
    out = write_data(data, tmp_path / "x.xlsx")
    from toolkit.datafile import dump

    back = dump(toolkit.load(out))
    assert "source" not in back and back["t10"]["total"]["total"] == "444.16"
    with pytest.raises(DataFileError, match="sources"):
        write_data({**data, "sources": {}}, tmp_path / "y.xlsx")  # only the one provenance key is known
