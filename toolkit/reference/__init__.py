"""Classification reference data (支出功能分类, 部门/政府经济分类), shipped as replaceable package data.

The bundled CSVs come from public sources (each row names its source) and are partial: a code
missing from them is "unknown to the reference", never proof that it is wrong. A finance bureau
that distributes its own code table points ``BDT_REFERENCE_DIR`` (or `load_reference(path)`) at a
folder with files of the same names and columns.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
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

    def function_name(self, code: str) -> str | None:
        return self.function_codes.get(code)

    def economic_name(self, code: str) -> str | None:
        return self.economic_codes.get(code)


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=4)
def _load(folder: str) -> Reference:
    d = Path(folder)
    weak = set()

    def codes(name):
        out = {}
        for row in _read(d / name):
            out[row["code"].strip()] = row["name"].strip()
            if "NOTE:" in row.get("source", ""):
                weak.add(row["code"].strip())
        return out

    mapping: dict[str, set] = {}
    for row in _read(d / "economic_mapping_dept_to_gov.csv"):
        mapping.setdefault(row["dept_code"].strip(), set()).add(row["gov_code"].strip())
    return Reference(
        function_codes=codes("function_codes.csv"),
        economic_codes=codes("economic_codes_dept.csv"),
        gov_economic_codes=codes("economic_codes_gov.csv"),
        dept_to_gov={k: frozenset(v) for k, v in mapping.items()},
        weak=frozenset(weak),
        source=str(d),
    )


def load_reference(folder: str | os.PathLike | None = None) -> Reference:
    return _load(str(Path(folder or os.environ.get("BDT_REFERENCE_DIR") or DATA_DIR).resolve()))
