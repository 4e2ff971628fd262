"""Installation as a user does it: `python -m build` gives an sdist and a wheel (the wheel built from
the sdist, so a file missing from the sdist is missing from the wheel too); the wheel goes into a
clean virtual environment (no system site-packages, dependencies from the configured index) and
the installed `bdt` builds the macro template and validates the bundled example there.

Slow (≈ 1–1.5 min on 2 shared cores, almost all of it pip installing the dependencies); part of
`make test`. Needs the `build` package (test extras) and the package index pip is configured for.
"""
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT

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
