"""Installation as a user does it: `python -m build` gives an sdist and a wheel (the wheel built from
the sdist, so a file missing from the sdist is missing from the wheel too); the wheel goes into a
clean virtual environment (no system site-packages, dependencies from the configured index) and
the installed `bdt` builds the macro template and validates the bundled example there.

Slow (≈ 35 s with a warm pip cache, ≈ 1.5 min cold on 2 shared cores: mostly pip installing the
dependencies); part of `make test`. Needs the `build` package (test extras) and the package index pip is configured for.
"""
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from xlpayload import SOURCE as PAYLOAD_SOURCE  # noqa: E402

pytestmark = pytest.mark.slow
pytest.importorskip("build")

MACROS = sorted(p.name for p in (ROOT / "macros").glob("*.bas"))


def data_files() -> list[str]:
    """Every file of the package that is not Python source: schema, reference CSVs, serve's templates
    and static files (found in the checkout, so a new one cannot be forgotten by the packaging)."""
    out = []
    for p in sorted((ROOT / "toolkit").rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc"):
            out.append(p.relative_to(ROOT).as_posix())
    return out


def clean_env() -> dict:
    """The environment without anything that would let the checkout leak into the venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["BDT_NO_CACHE"] = "1"
    return env


def run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd}: {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, ROOT], env=clean_env(), cwd=out)
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


@pytest.fixture(scope="module")
def venv(dists, tmp_path_factory):
    """A fresh venv with the wheel installed. pip is not copied into it (that alone costs ≈ 15 s):
    this interpreter's pip installs into it with --python (pip ≥ 22.3)."""
    wheel, _ = dists
    where = tmp_path_factory.mktemp("venv") / "v"
    run([sys.executable, "-m", "venv", "--without-pip", where])
    py = where / ("Scripts" if os.name == "nt" else "bin") / "python"
    run([sys.executable, "-m", "pip", "--python", py, "install", "--quiet", "--disable-pip-version-check", wheel],
        env=clean_env())
    return py


def test_the_wheel_carries_the_vba_sources_and_every_data_file(dists):
    wheel, _ = dists
    names = set(zipfile.ZipFile(wheel).namelist())
    assert MACROS and {f"toolkit/vba/macros/{m}" for m in MACROS} <= names
    missing = [f for f in data_files() if f not in names]
    assert not missing, f"not in the wheel: {missing}"
    for m in MACROS:  # the copy is the source, byte for byte
        assert zipfile.ZipFile(wheel).read(f"toolkit/vba/macros/{m}") == (ROOT / "macros" / m).read_bytes()
    assert not any(n.startswith(("tests/", "macros/", "examples/")) for n in names)  # only the package


def test_the_sdist_carries_macros_examples_and_data(dists):
    _, sdist = dists
    with tarfile.open(sdist) as tf:
        top = tf.getnames()[0].split("/")[0]
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    wanted = [f"macros/{m}" for m in MACROS] + data_files() + [
        "setup.py", "setup.cfg", "MANIFEST.in", "README.md", "examples/" + EXAMPLE.name, "tests/conftest.py"]
    missing = [f for f in wanted if f not in names]
    assert not missing, f"not in {top}: {missing}"


def test_the_installed_bdt_builds_the_macro_template_and_validates(venv, tmp_path):
    bindir = venv.parent
    bdt = bindir / ("bdt.exe" if os.name == "nt" else "bdt")
    env = clean_env()
    where = run([venv, "-c", "import toolkit, toolkit.vba.xlsm as x; print(toolkit.__file__); print(x.MACROS_DIR)"],
                env=env, cwd=tmp_path).stdout.split("\n")
    assert Path(where[0]).is_relative_to(venv.parents[1]), where  # the installed copy, not the checkout
    assert Path(where[1]).is_relative_to(venv.parents[1]), where

    import toolkit

    assert run([bdt, "--version"], env=env, cwd=tmp_path).stdout.strip() == f"bdt {toolkit.__version__}"

    r = run([bdt, "template", "build", "--out", "t.xlsm"], env=env, cwd=tmp_path)
    assert "t.xlsm" in r.stdout
    with zipfile.ZipFile(tmp_path / "t.xlsm") as z:
        project = z.read("xl/vbaProject.bin")
    olevba = pytest.importorskip("oletools.olevba")
    parser = olevba.VBA_Parser("t.xlsm", data=project)
    modules = {name: code for _, _, name, code in parser.extract_macros()}
    source = (ROOT / "macros" / "bdt_buttons.bas").read_text(encoding="utf-8")
    assert modules["bdt_buttons.bas"].splitlines() == source.splitlines()  # the packaged copy, unchanged

    installed = subprocess.run([str(bdt), "validate", str(EXAMPLE)], capture_output=True, text=True, env=env, cwd=tmp_path)
    here = subprocess.run([sys.executable, "-m", "toolkit.cli", "validate", str(EXAMPLE)], capture_output=True,
                          text=True, cwd=ROOT, env={**clean_env(), "PYTHONPATH": str(ROOT)})
    assert installed.returncode == here.returncode == 1, (installed.stderr, here.stderr)  # the seed has errors
    assert "错误 4 项" in installed.stdout
    assert installed.stdout == here.stdout


# ---------------------------------------------------------------------------- the xlwings range
#
# What the button path uses of xlwings (toolkit/excel.py, the VBA of macros/ and xlwings' own
# RunPython): the Python API below, `xlwings.utils.prepare_sys_path` and the `--wb/--from_xl/--hwnd`
# arguments `Book.caller()` reads (both what the embedded xlwings.bas of the build-time version
# starts Python with), and the module's xlwings.bas + addin/Dictionary.cls that `bdt template build`
# embeds. `xlwings64-<version>.dll` is loaded only by UDFs and the UDF server ("Use UDF Server"),
# which the buttons do not use, so the clerk's xlwings need not equal the build-time one.
# Lower bound: App.alert (0.27.13: "versionadded" in its docstring). Upper bound: the newest
# release tested here (0.37.x; xlwings changes behaviour in minor releases).

BUTTON_API = {
    "Book": ["caller", "macro", "save", "fullname", "sheets", "app", "name", "api"],
    "Sheet": ["used_range", "range", "clear_contents", "name", "api"],
    "Range": ["last_cell", "options", "value", "color", "row", "column"],
    "App": ["alert"],
    "Sheets": ["add"],
}
# the same on the Windows engine's implementation classes (checked in its source: it needs pywin32)
WINDOWS_IMPL = {"App": ["alert"], "Book": ["save", "fullname", "sheets", "name", "api"],
                "Sheet": ["used_range", "clear_contents", "range", "name", "api"], "Sheets": ["add"],
                "Range": ["color", "row", "column", "raw_value", "shape"]}


def xlwings_requirement() -> str:
    import re

    m = re.search(r"^\s*xlwings\s*([<>=!~][^\n#]*)$", (ROOT / "setup.cfg").read_text(encoding="utf-8"), re.M)
    assert m, "setup.cfg: no xlwings requirement"
    return m.group(1).strip()


def lowest_of(requirement: str) -> str:
    (low,) = [p[2:].strip() for p in requirement.split(",") if p.strip().startswith(">=")]
    return low


API_CHECK = r'''
import ast, inspect, json, pathlib, sys
import xlwings, xlwings.main as m, xlwings.utils as u
api, impl = json.loads(sys.argv[1]), json.loads(sys.argv[2])
missing = [f"{c}.{a}" for c, attrs in api.items() for a in attrs if not hasattr(getattr(m, c), a)]
if not callable(getattr(u, "prepare_sys_path", None)):
    missing.append("utils.prepare_sys_path")
caller = inspect.getsource(m.Book.caller)
missing += [f"Book.caller reads {a}" for a in ("--wb=", "--from_xl", "--hwnd") if a not in caller]
if "buttons" not in inspect.signature(m.App.alert).parameters:
    missing.append("App.alert(buttons=)")
if not {"name", "after"} <= set(inspect.signature(m.Sheets.add).parameters):
    missing.append("Sheets.add(name=, after=)")
pkg = pathlib.Path(xlwings.__file__).parent
tree = ast.parse((pkg / "_xlwindows.py").read_text(encoding="utf-8"))
classes = {n.name: {f.name for f in n.body if isinstance(f, ast.FunctionDef)} for n in tree.body if isinstance(n, ast.ClassDef)}
missing += [f"_xlwindows.{c}.{a}" for c, attrs in impl.items() for a in attrs if a not in classes.get(c, ())]
missing += [f"{p} (embedded by bdt template build)" for p in ("xlwings.bas", "addin/Dictionary.cls") if not (pkg / p).is_file()]
print(json.dumps({"version": xlwings.__version__, "missing": missing}))
'''

ENTRY_POINTS = PAYLOAD_SOURCE + r'''
import json, os, sys
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
import xlwings as xw
import toolkit, toolkit.excel as excel
from toolkit.rules import validate

path = sys.argv[1]

out = {"version": xw.__version__, "xlwings": xw.__file__, "toolkit": toolkit.__file__}
for name in ("validate", "fill"):
    book = xw.Book(json=payload(path))
    out[name] = getattr(excel, name)(book)
    out[name + "_actions"] = sorted({a["func"] for a in book.json()["actions"]})
out["expected_findings"] = len(validate(toolkit.load(path)))
print(json.dumps(out, ensure_ascii=False, default=str))
'''


def _check_api(python, env) -> dict:
    import json

    r = run([python, "-c", API_CHECK, json.dumps(BUTTON_API), json.dumps(WINDOWS_IMPL)], env=env)
    return json.loads(r.stdout)


def _entry_points(python, env) -> dict:
    import json

    return json.loads(run([python, "-c", ENTRY_POINTS, EXAMPLE], env=env).stdout)


def _assert_buttons_ran(out):
    assert "error" not in out["validate"], out["validate"]
    assert out["validate"]["findings"] == out["expected_findings"] > 0
    assert {"setValues", "addSheet"} <= set(out["validate_actions"])  # the 校验结果 sheet written
    assert {"setRangeColors", "setRangeColor"} & set(out["validate_actions"])  # findings marked
    assert "error" not in out["fill"], out["fill"]
    assert out["fill"]["changed"] > 0 and "setValues" in out["fill_actions"]


def test_the_newest_xlwings_of_the_range_runs_the_button_entry_points(venv):
    """The venv's xlwings is what pip picked for the declared range: the newest release in it."""
    from packaging.specifiers import SpecifierSet

    env = clean_env()
    out = _entry_points(venv, env)
    assert out["version"] in SpecifierSet(xlwings_requirement()), out["version"]
    assert Path(out["xlwings"]).is_relative_to(venv.parents[1])
    _assert_buttons_ran(out)
    assert _check_api(venv, env)["missing"] == []


def _xlwings_at(version: str, where: Path) -> dict:
    run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--target", where, f"xlwings=={version}"], env=clean_env())
    return {**clean_env(), "PYTHONPATH": os.pathsep.join([str(where), str(ROOT)])}


def test_the_oldest_xlwings_of_the_range_has_what_the_button_path_uses(tmp_path):
    """Desktop Excel cannot run here and the remote engine of releases before 0.37.0 has no
    Sheet.used_range, so the lower bound is checked on the API itself (public classes, the
    Windows engine's source, what RunPython's command line relies on) and by building the
    template's VBA project from that release's xlwings.bas."""
    low = lowest_of(xlwings_requirement())
    env = _xlwings_at(low, tmp_path / "xlwings")
    got = _check_api(sys.executable, env)
    assert got["version"] == low and got["missing"] == [], got
    code = ("import sys, xlwings, pathlib; from toolkit.vba import xlsm, ovba;"
            "pkg = pathlib.Path(xlwings.__file__).parent; mods = xlsm.vba_modules(3, xlwings_package=pkg);"
            "print(xlsm.xlwings_version(pkg), len(mods))")
    assert run([sys.executable, "-c", code], env=env).stdout.split() == [low, "7"]


def test_the_oldest_remote_engine_runs_the_entry_points_with_cell_by_cell_colours(tmp_path):
    """0.37.0 is the first release whose remote engine reads a used range; it has no
    Range.set_colors, so validate takes the one-cell-at-a-time colour path of desktop engines."""
    env = _xlwings_at("0.37.0", tmp_path / "xlwings")
    out = _entry_points(sys.executable, env)
    assert out["version"] == "0.37.0"
    _assert_buttons_ran(out)
    assert "setRangeColor" in out["validate_actions"] and "setRangeColors" not in out["validate_actions"]


def test_a_click_in_a_clean_install_imports_neither_pandas_nor_numpy(venv):
    """pandas is an extra: xlwings imports pandas and numpy whenever they are installed, and a
    button's RunPython imports xlwings before our code runs (≈ 4× the import time of xlwings alone)."""
    env = clean_env()
    r = run([venv, "-c", "import sys, xlwings.utils, toolkit.excel; print(' '.join(sys.modules))"], env=env)
    mods = {m.split(".")[0] for m in r.stdout.split()}  # (importtime also lists imports that failed)
    assert "xlwings" in mods and "toolkit" in mods
    assert not mods & {"pandas", "numpy", "openpyxl", "reportlab"}, sorted(mods & {"pandas", "numpy", "openpyxl", "reportlab"})
    got = subprocess.run([str(venv), "-c", f"import toolkit; toolkit.load(r'{EXAMPLE}').frame('t3')"],
                         capture_output=True, text=True, env=env)
    assert got.returncode == 1 and "bdt-budget-disclosure[pandas]" in got.stderr  # says what to install
