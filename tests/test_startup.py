"""Start-up budget: what a command (or an Excel click) pays before any work.

Measured with `python -X importtime` against `python -c pass` in the same run, so the budget is a
ratio and holds on a slow CI machine as on a fast laptop. The heavy libraries (openpyxl + numpy,
pandas, ReportLab, python-docx, Pillow, lxml, PyYAML when the compiled schema is cached) must not
be imported on the validate / fill / report path at all.
"""
import os
import re
import subprocess
import sys

from conftest import EXAMPLE

HEAVY = ("openpyxl", "numpy", "pandas", "reportlab", "docx", "PIL", "lxml", "xlwings", "yaml")
VALIDATE_PATH = ("import toolkit, toolkit.cli, toolkit.io.reader, toolkit.rules, toolkit.fill, toolkit.report;"
                 "toolkit.load_schema()")


def _env():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # users have .pyc files
    env["PYTHONPATH"] = os.pathsep.join([str(EXAMPLE.parents[1]), env.get("PYTHONPATH", "")])
    return env


def importtime(code: str) -> dict[str, int]:
    """{module: self time in µs} of everything `code` imports."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                       env=_env(), check=True)
    out = {}
    for line in r.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \| \s*(\S+)", line)
        if m:
            out[m.group(2)] = int(m.group(1))
    return out


def test_the_validate_and_fill_path_imports_no_heavy_library(tmp_path):
    env_cache = {"BDT_CACHE_DIR": str(tmp_path)}
    os.environ.update(env_cache)
    try:
        importtime(VALIDATE_PATH)  # first run: compiles .pyc and the schema cache
        mods = importtime(VALIDATE_PATH)
    finally:
        for k in env_cache:
            os.environ.pop(k)
    heavy = sorted({m.split(".")[0] for m in mods} & set(HEAVY))
    assert heavy == [], f"imported on the validate/fill path: {heavy}"


def test_import_time_is_within_budget_of_a_bare_interpreter():
    importtime(VALIDATE_PATH)
    ratios = []
    for _ in range(3):  # best of three: the machine is shared
        ours = importtime(VALIDATE_PATH)
        bare = importtime("pass")
        extra = sum(t for m, t in ours.items() if m not in bare)
        ratios.append(extra / max(sum(bare.values()), 1))
    # today ≈ 2–3× the interpreter's own start-up imports (site etc.); with openpyxl+numpy it was ≈ 7×
    assert min(ratios) <= 4.0, ratios


def test_an_excel_click_imports_only_what_xlwings_itself_brings():
    """The entry points behind the buttons (toolkit.excel, annotate) need neither openpyxl nor
    ReportLab: a click pays the interpreter, xlwings (which imports pandas) and our own modules."""
    mods = importtime("import toolkit.excel, toolkit.annotate")
    heavy = sorted({m.split(".")[0] for m in mods} & {"openpyxl", "reportlab", "docx", "PIL", "lxml"})
    assert not heavy, heavy
