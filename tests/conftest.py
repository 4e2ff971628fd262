import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

# xlwings registers its remote engine (the tests' stand-in for Excel) only when it is imported with a
# licence key set; whichever test module imports it first, it must see the key (test_excel_server
# imported it bare and broke test_excel and test_config's button tests later in the session)
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx"
EXAMPLE_DATA = ROOT / "examples" / "xinzhou-beijing-office-2023.yaml"
TEMPLATE = ROOT / "workbook_template.xlsx"


@pytest.fixture
def example(tmp_path) -> Path:
    """A private copy of the seed example workbook."""
    dst = tmp_path / "example.xlsx"
    shutil.copy(EXAMPLE, dst)
    return dst


def edit_workbook(path: Path, edits: dict, out: Path | None = None) -> Path:
    """Apply {(sheet, cell): value} with openpyxl and save (test fixture helper)."""
    wb = openpyxl.load_workbook(path)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell] = value
    out = out or path
    wb.save(out)
    return out


def need_tool(name: str) -> str:
    """The path of an external program; CI must have it (fail), a laptop may lack it (skip)."""
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is required in CI (make test-deps installs it)")
    pytest.skip(f"{name} not installed")


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def values(path) -> dict:
    """{sheet: {cell: value}} of every non-empty cell (formulas as text)."""
    wb = openpyxl.load_workbook(path)
    return {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
            for ws in wb.worksheets}


def rgb(ws, cell):
    """The solid fill of a cell as RRGGBB, or None."""
    f = ws[cell].fill
    return f.fgColor.rgb[-6:] if f and f.fill_type == "solid" else None


@pytest.fixture(scope="session")
def generated_bureau(tmp_path_factory):
    """One generated bureau for the session (benchmarks/generate.py --bureau 30: six 部门 with units,
    four deliberate faults, seed 7): (folder, manifest). test_consolidate and test_bureau_year read
    the same files, so a whole run generates it once (≈ 20–60 s). Read only: a test that writes
    beside the workbooks copies the folder first (shutil.copytree keeps the files' times)."""
    from test_batch_support import generate_module

    folder = tmp_path_factory.mktemp("generated-bureau") / "收件"
    manifest = generate_module().generate_bureau(30, folder, seed=7, groups=6, log=lambda *_: None)
    return folder, manifest
