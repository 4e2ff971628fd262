"""Start-up budgets of `bdt --version`, the schema load and an Excel click, in `python -X importtime`
terms, each a ratio against the imports of `python -c pass` measured in the same run (stable across
machines; best of three, the machine is shared). tests/test_startup.py has the validate/fill path.
"""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from test_startup import _env, importtime

VERSION = "from toolkit.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass"
CLICK = "import xlwings.utils; import toolkit.excel"  # what RunPython runs before the entry point


def extra_ratio(code: str, base: str = "pass") -> tuple[float, dict]:
    """min over 3 runs of (import time `code` adds over `base`) / (import time of `python -c pass`)."""
    importtime(code)  # .pyc
    best, mods = None, {}
    for _ in range(3):
        ours, below, bare = importtime(code), importtime(base), importtime("pass")
        r = sum(t for m, t in ours.items() if m not in below) / max(sum(bare.values()), 1)
        if best is None or r < best:
            best, mods = r, ours
    return best, mods


def test_version_loads_neither_schema_nor_reader_nor_rules():
    ratio, mods = extra_ratio(VERSION)
    ours = sorted(m for m in mods if m.split(".")[0] == "toolkit")
    assert ours == ["toolkit", "toolkit.cli"], ours
    # ≈ 0.1 today (argparse and gettext); it was ≈ 0.95 with the schema module imported up front
    assert ratio <= 0.5, ratio


def test_version_as_a_whole_process_prints_the_version():
    r = subprocess.run([sys.executable, "-m", "toolkit.cli", "--version"], capture_output=True, text=True,
                       env=_env(), cwd=ROOT)
    import toolkit

    assert r.returncode == 0 and r.stdout.strip() == f"bdt {toolkit.__version__}"


def test_an_uncached_schema_is_parsed_with_libyamls_c_loader(tmp_path):
    """With the compiled cache off, the YAML is parsed by libyaml's CSafeLoader where PyYAML has it
    (≈ 10× the pure-Python parser); the cached form is keyed by the file's bytes."""
    yaml = pytest.importorskip("yaml")
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML built without libyaml")
    code = ("import sys, yaml, toolkit.schema as s; calls = []\n"
            "orig = yaml.load\n"
            "def spy(stream, Loader): calls.append(Loader.__name__); return orig(stream, Loader=Loader)\n"
            "yaml.load = spy; s.load_schema(); print(calls)")
    env = {**_env(), "BDT_NO_CACHE": "1"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert r.stdout.strip() == "['CSafeLoader']", r.stdout + r.stderr

    # the cache: a copy of the schema with one byte more is another entry, the same bytes the same one
    schema = tmp_path / "s.yaml"
    shutil.copy(ROOT / "toolkit" / "schema" / "default.yaml", schema)
    cache = tmp_path / "cache"
    env = {**_env(), "BDT_CACHE_DIR": str(cache)}
    env.pop("BDT_NO_CACHE", None)
    load = f"import toolkit.schema as s; s.load_schema(r'{schema}')"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", load], env=env, check=True)
    assert len(list(cache.glob("schema-*"))) == 1
    schema.write_bytes(schema.read_bytes() + b"\n")
    subprocess.run([sys.executable, "-c", load], env=env, check=True)
    assert len(list(cache.glob("schema-*"))) == 2


def test_an_excel_click_adds_little_to_what_xlwings_itself_costs():
    """RunPython imports xlwings first; our entry module must add little on top (≈ 0.03 today).
    What xlwings costs itself depends on pandas/numpy being installed (they are an extra of ours,
    see tests/test_wheel.py)."""
    pytest.importorskip("xlwings")
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    ratio, mods = extra_ratio(CLICK, "import xlwings.utils")
    # measured 2026-12-03 in the clean CI venv: 0.50–0.64 (0.56 already at d4c0c00; 0.26 in the dev
    # interpreter). Most of it is toolkit.schema's 12 dataclasses (≈26 ms to create), which any click
    # needs to read the workbook; the budget was 0.5 and failed under load, so it is 0.8 now.
    assert ratio <= 0.8, ratio
    assert not {m.split(".")[0] for m in mods} & {"openpyxl", "reportlab", "docx", "lxml"}
