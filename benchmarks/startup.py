"""Start-up as a user feels it: whole processes, medians of paired turns (not part of the tests).

    python benchmarks/startup.py                          # this checkout, 7 turns
    python benchmarks/startup.py --tree /tmp/old --runs 9 # the same commands for another tree too

Each turn runs every command once, for every tree, in the same order, so a busy machine slows all
alike. Bytecode is compiled and the schema cache is warmed before timing (a normal install has
both; each tree gets its own BDT_CACHE_DIR). Commands:

* `python -c pass` — the interpreter alone;
* `bdt --version`, `bdt validate` on the bundled example (`-m toolkit.cli`, what the console script runs);
* an openpyxl `load_workbook` of the same file as a whole process (issue #14: validate ≥ 2× faster);
* an Excel click's Python side, in two parts: what every click pays before any work (RunPython's
  `import xlwings.utils; xlwings.utils.prepare_sys_path(...)`, then `import toolkit.excel`), and
  that plus validate run on xlwings' recording (remote) engine, fed the workbook's values as
  xlwings' VBA client sends them (the payload is built from the file first, in the same process:
  it stands in for the COM reads of desktop Excel, which cannot run here).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import xlpayload  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx"
PY = sys.executable

OPENPYXL = "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1])"
CLICK_START = "import xlwings.utils; xlwings.utils.prepare_sys_path('false;;;;;;'); import toolkit.excel"
CLICK_VALIDATE = xlpayload.SOURCE + r'''
import os, sys
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
import xlwings.utils; xlwings.utils.prepare_sys_path("false;;;;;;")
import xlwings as xw
book = xw.Book(json=payload(sys.argv[1]))
import toolkit.excel as x
r = x.validate(book)
assert "error" not in r, r
'''


def commands(tree: Path) -> dict[str, list[str]]:
    return {
        "python -c pass": [PY, "-c", "pass"],
        "bdt --version": [PY, "-m", "toolkit.cli", "--version"],
        "bdt validate example": [PY, "-m", "toolkit.cli", "validate", str(EXAMPLE)],
        "openpyxl load (whole process)": [PY, "-c", OPENPYXL, str(EXAMPLE)],
        "click: start-up (xlwings + toolkit.excel)": [PY, "-c", CLICK_START],
        "click: validate on the recording engine": [PY, "-c", CLICK_VALIDATE, str(EXAMPLE)],
    }


def env_for(tree: Path, cache: Path) -> dict:
    e = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "NO_COLOR")}
    e["PYTHONPATH"] = str(tree)
    e["BDT_CACHE_DIR"] = str(cache)
    return e


def once(cmd, env) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t
    if r.returncode not in (0, 1):  # validate: 1 = findings (the seed has errors)
        raise SystemExit(f"{cmd}: exit {r.returncode}\n{r.stderr[-2000:]}")
    return dt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", action="append", default=[], help="another source tree to time as well")
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args(argv)
    trees = [ROOT] + [Path(t).resolve() for t in a.tree]
    tmp = Path(tempfile.mkdtemp(prefix="bdt-startup-"))
    envs = {t: env_for(t, tmp / f"cache{i}") for i, t in enumerate(trees)}
    for t in trees:  # .pyc and the schema cache, as after the first run of an install
        subprocess.run([PY, "-m", "compileall", "-q", str(t / "toolkit")], check=True)
        for cmd in commands(t).values():
            once(cmd, envs[t])
        where = subprocess.run([PY, "-c", "import toolkit; print(toolkit.__file__)"], env=envs[t], cwd=t,
                               capture_output=True, text=True).stdout.strip()
        assert Path(where).is_relative_to(t), (t, where)
    times = {(t, k): [] for t in trees for k in commands(t)}
    for _ in range(a.runs):
        for k in commands(ROOT):
            for t in trees:
                times[(t, k)].append(once(commands(t)[k], envs[t]))
    print(f"medians of {a.runs} paired turns, seconds (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    print(f"{'':44}" + "".join(f"{t.name[:14]:>16}" for t in trees))
    for k in commands(ROOT):
        print(f"{k:44}" + "".join(f"{statistics.median(times[(t, k)]):16.3f}" for t in trees))
    for t in trees:
        med = {k: statistics.median(times[(t, k)]) for k in commands(ROOT)}
        print(f"{t.name}: openpyxl load / bdt validate = {med['openpyxl load (whole process)'] / med['bdt validate example']:.2f}×; "
              f"--version = {med['bdt --version'] / med['python -c pass']:.2f}× python -c pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
