"""Property-based tests: arbitrary values in the clerk's input cells never crash the reader or the
rules, and what cannot be read as the cell's type is a finding at that sheet and cell."""
from __future__ import annotations

import datetime as dt
import os
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_batch_support import SEED

import toolkit
from toolkit.batch import Options, safe_folder_name, work
from toolkit.io.normalize import normalize_number, normalize_text
from toolkit.io.writer import write_cells
from toolkit.rules import validate

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# what a clerk (or a broken export) can put in a cell; text is XML-safe (Excel escapes the rest)
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"), max_size=40)
NUMBERISH = st.from_regex(r"\A[ 　]?[-+－]?[0-9０-９,，]{0,9}([.．][0-9０-９]{0,4})?[%％万元]?[ 　]?\Z")
VALUES = st.one_of(
    XML_TEXT, NUMBERISH,
    st.sampled_from(["-", "—", "/", "十五万", "约3万", "1e400", "NaN", "inf", "=SUM(A1:A2)", "#REF!", " 57.41 ", "1,234.50",
                     "２２４．３１", "'57.41", "TRUE", "", " "]),
    st.integers(min_value=-10**15, max_value=10**15),
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False),
    st.booleans(),
)

_BASE = toolkit.load(SEED)
INPUTS = sorted({(e.sheet, e.cell, e.spec.type) for _, _, _, e in _BASE.cells(role="input")})
NUMERIC = {t for t, spec in _BASE.schema.types.items() if spec.numeric}


def _check(findings, sheets) -> None:
    for f in findings:
        assert f.sheet and f.sheet in sheets, f  # every finding names a sheet of the workbook
        assert f.severity in ("error", "warning", "info") and f.rule and f.message


@SETTINGS
@given(edits=st.lists(st.tuples(st.sampled_from(INPUTS), VALUES), min_size=1, max_size=6))
def test_arbitrary_input_values_never_crash_and_bad_numbers_are_found_at_their_cell(edits):
    changes: dict = {}
    for (sheet, cell, _), value in edits:
        changes.setdefault(sheet, {})[cell] = value
    with tempfile.TemporaryDirectory() as tmp:
        path = write_cells(SEED, changes, Path(tmp) / "fuzzed.xlsx")
        d = toolkit.load(path)  # must not raise: the template's structure is intact
        findings = validate(d)
    _check(findings, set(d.sheet_names.values()))
    at = {(f.sheet, f.cell) for f in findings}
    final = {(sheet, cell): v for sheet, cells in changes.items() for cell, v in cells.items()}
    types = {(s, c): t for s, c, t in INPUTS}
    for (sheet, cell), value in final.items():
        if types[(sheet, cell)] in NUMERIC and isinstance(value, (str, bool)):
            number, fs = normalize_number(value, sheet, cell)
            if any(f.rule == "F106" for f in fs):
                assert (sheet, cell) in at, (sheet, cell, value)  # unreadable number: a finding right there
            if isinstance(value, bool):
                assert (sheet, cell) in at


@SETTINGS
@given(value=VALUES, percent=st.booleans(), code=st.booleans())
def test_normalisers_are_total(value, percent, code):
    """Any cell value gives (value, findings) and every finding carries the sheet and cell."""
    for val, fs in (normalize_number(value, "表3 支出总表", "C7", percent=percent),
                    normalize_text(value, "表3 支出总表", "C7", code=code)):
        assert all(f.sheet == "表3 支出总表" and f.cell == "C7" for f in fs)
    val, fs = normalize_number(value, "S", "A1")
    assert val is None or isinstance(val, Decimal)


@SETTINGS
@given(value=st.one_of(st.dates(), st.datetimes(), st.times()))
def test_dates_in_amount_cells_are_reported(value):
    val, fs = normalize_number(value, "S", "B2")
    assert val is None and [f.rule for f in fs] == ["F106"] and fs[0].cell == "B2"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(name=st.one_of(st.none(), st.text(max_size=300)))
def test_safe_folder_names_never_escape(name):
    out = Path(tempfile.gettempdir()) / "bdt-out"
    folder = safe_folder_name(name)
    assert folder and folder == folder.strip() and not folder.startswith(".") and not folder.endswith(".")
    assert not set(folder) & set('/\\:*?"<>|\x00') and ".." not in folder
    assert len(folder.encode("utf-8")) <= 180
    assert (out / folder).resolve().parent == out.resolve()
    assert os.path.basename(folder) == folder


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=2000), keep=st.integers(min_value=0, max_value=70000))
def test_the_worker_never_raises_on_arbitrary_bytes(junk, keep, tmp_path):
    """Random bytes, or a workbook cut anywhere and followed by junk: one outcome, never an exception."""
    data = SEED.read_bytes()[:keep] + junk
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        p = Path(tmp) / "x.xlsx"
        p.write_bytes(data)
        o = work(p, Options(out_dir=str(Path(tmp) / "out")))
    assert o.status in ("ok", "errors", "unreadable"), o.message
    if o.status == "unreadable":
        assert o.message
