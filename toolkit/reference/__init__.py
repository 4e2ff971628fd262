"""Classification reference data (支出功能分类, 部门/政府经济分类), shipped as replaceable package data.

The bundled CSVs come from public sources (each row names its source) and are partial: a code
missing from them is "unknown to the reference", never proof that it is wrong. A finance bureau
that distributes its own code table points ``BDT_REFERENCE_DIR`` (or `load_reference(path)`) at a
folder with files of the same names and columns.

Codes change from year to year (财政部 issues the 政府收支分类科目 for each budget year and amends it
during the year). ``code_changes.csv`` records those changes as data: per code its list
(``kind``: function / economic / gov_economic), name, ``valid_from`` and ``valid_to`` (budget years,
inclusive; blank = open) and the notice that made the change (``source``). The code lists may carry
the same two columns themselves.
`Reference.for_year(year)` keeps the codes valid in that year and remembers the others, so that a
rule can tell "valid in another year, not in this one" from "unknown". A bureau's folder may
declare the year its list was issued for in ``reference.yaml`` (``year: 2025``): its codes are then
taken as that year's list, and a workbook of another year is told that the list does not match.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")


@dataclass(frozen=True)
class Reference:
    function_codes: dict = field(default_factory=dict)  # code -> name
    economic_codes: dict = field(default_factory=dict)  # 部门经济分类 code -> name
    gov_economic_codes: dict = field(default_factory=dict)  # 政府经济分类 code -> name
    dept_to_gov: dict = field(default_factory=dict)  # dept code -> set of gov codes
    weak: frozenset = frozenset()  # codes whose source is marked NOTE (weakly sourced)
    source: str = ""
    validity: dict = field(default_factory=dict)  # code -> (valid_from | None, valid_to | None)
    elsewhere: dict = field(default_factory=dict)  # after for_year: code -> (name, from, to) valid only in other years
    declared_year: int | None = None  # the year a bureau's list says it was issued for
    year: int | None = None  # the budget year this view was made for

    def for_year(self, year: int | None) -> "Reference":
        """The codes valid in budget year `year` (all codes when the year is unknown)."""
        if year is None or not self.validity:
            return replace(self, year=year)
        keep, away = {}, {}

        def split(codes: dict) -> dict:
            out = {}
            for code, name in codes.items():
                lo, hi = self.validity.get(code, (None, None))
                if (lo is None or year >= lo) and (hi is None or year <= hi):
                    out[code] = name
                else:
                    away[code] = (name, lo, hi)
            return out

        keep["function_codes"] = split(self.function_codes)
        keep["economic_codes"] = split(self.economic_codes)
        keep["gov_economic_codes"] = split(self.gov_economic_codes)
        return replace(self, elsewhere=away, year=year, **keep)

    def validity_text(self, code: str) -> str:
        """「自2024年起设立」「2023年起停用」…, from the valid_from/valid_to of a code."""
        lo, hi = self.validity.get(code, (None, None))
        if lo and hi:
            return f"仅在 {lo}–{hi} 年度有效"
        if lo:
            return f"自 {lo} 年度起设立"
        if hi:
            return f"{hi + 1} 年度起已停用"
        return ""

    def function_name(self, code: str) -> str | None:
        return self.function_codes.get(code)

    def economic_name(self, code: str) -> str | None:
        return self.economic_codes.get(code)


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _stamp(d: Path) -> tuple:
    """(name, size, mtime) of the folder's files: the lists are read again when a bureau replaces
    one in a process that lives on (xlwings' UDF server, bdt serve)."""
    try:
        return tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(d) if e.is_file()))
    except OSError:
        return ()


@lru_cache(maxsize=4)
def _load(folder: str, stamp: tuple = ()) -> Reference:
    d = Path(folder)
    weak = set()
    validity: dict[str, tuple] = {}

    def year_of(row, key, name):
        text = (row.get(key) or "").strip()
        if not text:
            return None
        if not (text.isdigit() and len(text) == 4):
            raise ValueError(f"参考科目表 {d / name} 中编码 {row.get('code')} 的 {key}「{text}」不是四位年份。")
        return int(text)

    def codes(name):
        out = {}
        for row in _read(d / name):
            code = row["code"].strip()
            out[code] = row["name"].strip()
            if "NOTE:" in (row.get("source") or ""):
                weak.add(code)
            lo, hi = year_of(row, "valid_from", name), year_of(row, "valid_to", name)
            if lo or hi:
                validity[code] = (lo, hi)
        return out

    lists = {"function": codes("function_codes.csv"), "economic": codes("economic_codes_dept.csv"),
             "gov_economic": codes("economic_codes_gov.csv")}
    for row in _read(d / "code_changes.csv"):
        kind, code = (row.get("kind") or "").strip(), (row.get("code") or "").strip()
        if kind not in lists or not code:
            raise ValueError(f"参考数据 {d / 'code_changes.csv'} 中有无法识别的行：kind「{kind}」code「{code}」。")
        lists[kind].setdefault(code, (row.get("name") or "").strip())
        validity[code] = (year_of(row, "valid_from", "code_changes.csv"), year_of(row, "valid_to", "code_changes.csv"))
    mapping: dict[str, set] = {}
    for row in _read(d / "economic_mapping_dept_to_gov.csv"):
        mapping.setdefault(row["dept_code"].strip(), set()).add(row["gov_code"].strip())
    return Reference(
        function_codes=lists["function"],
        economic_codes=lists["economic"],
        gov_economic_codes=lists["gov_economic"],
        dept_to_gov={k: frozenset(v) for k, v in mapping.items()},
        weak=frozenset(weak),
        source=str(d),
        validity=validity,
        declared_year=_declared_year(d),
    )


def _declared_year(d: Path) -> int | None:
    meta = d / "reference.yaml"
    if not meta.exists():
        return None
    import yaml

    data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
    year = data.get("year") if isinstance(data, dict) else None
    if year is None:
        return None
    if not isinstance(year, int) or not 1990 <= year <= 2100:
        raise ValueError(f"{meta} 中的 year「{year}」不是预算年度。")
    return year


def load_reference(folder: str | os.PathLike | None = None, year: int | None = None) -> Reference:
    """The reference lists (a bureau's folder, else the bundled ones), as valid in budget `year`."""
    d = Path(folder or os.environ.get("BDT_REFERENCE_DIR") or DATA_DIR).resolve()
    ref = _load(str(d), _stamp(d))
    return ref.for_year(year) if year is not None else ref
