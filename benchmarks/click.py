"""What a click on each Excel button costs on the Python side (not part of the tests).

    python benchmarks/click.py                       # this interpreter, 7 paired turns
    python benchmarks/click.py --python /venv/bin/python --runs 9
    python benchmarks/click.py --make-venv /tmp/v    # a clean venv as a clerk's pip install makes it

A click runs `python -c "import xlwings.utils; xlwings.utils.prepare_sys_path(…); import
toolkit.excel as x; x.validate()"` (xlwings' RunPython, macros/bdt_buttons.bas). Desktop Excel
cannot run here, so the workbook comes from the stand-in the tests use: xlwings' remote engine,
fed the workbook's values as xlwings' VBA client sends them (built once from the file, read as
JSON by each process; it stands in for the COM reads of Excel) and recording the writes. The
remote engine needs `XLWINGS_LICENSE_KEY`, which makes xlwings import its `pro` package (≈0.2 s a
clerk's click does not pay), so each button is timed against the same bootstrap without the work:

* `python -c pass` — the interpreter alone;
* `RunPython bootstrap` — what every click pays before our code, as on a clerk's PC (no key);
* `stand-in bootstrap` — the same with the key and the recorded workbook loaded;
* one row per button: the stand-in bootstrap + `import toolkit.excel` + the entry point.

"ours" = button − stand-in bootstrap (our imports, reading the book, the work, writing back);
"click" = RunPython bootstrap + ours, what the clerk waits for on the Python side (COM calls of a
real Excel excepted). Wall times are medians of paired turns (a busy machine slows all alike);
CPU times (user + sys of the child) are the least of the turns. The persistent interpreter
(xlwings' "Use UDF Server", Windows): one process per button runs it `--runs` times on the stand-in;
the first call pays the imports and first-use costs, the later ones (least CPU time) what a click
costs when Python is already running. Needs xlwings; without pandas installed for a clerk's figures
(xlwings imports pandas and numpy whenever they are there: `--make-venv`).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import xlpayload  # noqa: E402

EXAMPLE = ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx"
BUTTONS = {"校验": "validate", "填充": "fill", "导出": "export", "检查环境": "check"}
DEPS = ("openpyxl>=3.1,<3.2", "python-calamine>=0.2,<1.0", "PyYAML>=6.0,<7", "defusedxml>=0.7,<0.8",
        "xlwings>=0.27.13,<0.38", "reportlab>=4.0,<6", "rl_accel>=0.9,<1", "python-docx>=1.1,<2", "Pillow>=9",
        "Jinja2>=3.1,<4")

BOOT = "import xlwings.utils; xlwings.utils.prepare_sys_path({pp!r})\n"
STAND_IN = BOOT + ("import json, xlwings as xw\n"
                   "book = xw.Book(json=json.load(open('payload.json', encoding='utf-8')))\n")
ENTRY = ("import toolkit.excel as x\n"
         "r = x.export(book, confirm=lambda q: True) if {f!r} == 'export' else x.{f}(book)\n"
         "assert 'error' not in r, r\n")
SERVER = STAND_IN + r'''
import time, sys
f, spent = sys.argv[1], []
for i in range(int(sys.argv[2])):
    book = xw.Book(json=json.load(open('payload.json', encoding='utf-8')))
    t = time.process_time()
    import toolkit.excel as x
    r = x.export(book, confirm=lambda q: True) if f == 'export' else getattr(x, f)(book)
    spent.append(time.process_time() - t)
    assert 'error' not in r, r
print(json.dumps(spent))
'''


def env(key: bool) -> dict:
    e = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "XLWINGS_LICENSE_KEY")}
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    if key:
        e["XLWINGS_LICENSE_KEY"] = "noncommercial"
    return e


def once(cmd: list, cwd: Path, key: bool) -> tuple[float, float]:
    """(wall, CPU) seconds of one child process."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env(key), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {cmd[-1][:200]}\n{err.decode(errors='replace')[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def make_venv(where: Path) -> Path:
    py = where / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
        subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet",
                        "--disable-pip-version-check", *DEPS], check=True)
    return py


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--python", default=sys.executable, help="the interpreter a click starts")
    ap.add_argument("--make-venv", metavar="DIR", help="create (once) a clean venv with bdt's dependencies, use it")
    ap.add_argument("--buttons", default=",".join(BUTTONS.values()))
    a = ap.parse_args(argv)
    py = str(make_venv(Path(a.make_venv))) if a.make_venv else a.python
    buttons = a.buttons.split(",")
    subprocess.run([py, "-m", "compileall", "-q", str(ROOT / "toolkit")], check=False)
    pandas = subprocess.run([py, "-c", "import pandas"], capture_output=True).returncode == 0
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        book = tmp / "单位.xlsx"
        shutil.copy(EXAMPLE, book)
        subprocess.run([py, "-m", "toolkit.cli", "fill", str(book), "--in-place"], env=env(False), check=True,
                       stdout=subprocess.DEVNULL)  # 导出 is clicked on a filled workbook
        (tmp / "payload.json").write_text(json.dumps(xlpayload.payload(book), ensure_ascii=False, default=str),
                                          encoding="utf-8")
        pp = f"false;{book};{book};;;;"
        cmds = {"python -c pass": ([py, "-c", "pass"], False),
                "RunPython bootstrap": ([py, "-c", BOOT.format(pp=pp)], False),
                "stand-in bootstrap": ([py, "-c", STAND_IN.format(pp=pp)], True)}
        for f in buttons:
            cmds[f] = ([py, "-c", STAND_IN.format(pp=pp) + ENTRY.format(f=f)], True)
        for cmd, key in cmds.values():  # .pyc, the schema and font caches: as after the first click
            once(cmd, tmp, key)
        walls: dict = {k: [] for k in cmds}
        cpus: dict = {k: [] for k in cmds}
        for _ in range(a.runs):
            for k, (cmd, key) in cmds.items():
                w, c = once(cmd, tmp, key)
                walls[k].append(w)
                cpus[k].append(c)
        wall = {k: statistics.median(v) for k, v in walls.items()}
        cpu = {k: min(v) for k, v in cpus.items()}
        server = {f: json.loads(subprocess.run([py, "-c", SERVER.format(pp=pp), f, str(max(a.runs, 3))], cwd=tmp,
                                               env=env(True), capture_output=True, text=True, check=True).stdout)
                  for f in buttons}  # one fresh process per button: its first call is a cold click
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Excel button clicks, Python side, on {EXAMPLE.name} ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, "
          f"load {load:.1f}, Python {subprocess.run([py, '-c', 'import sys; print(sys.version.split()[0])'], capture_output=True, text=True).stdout.strip()}"
          f"{', pandas installed: xlwings imports it (not a clerk install)' if pandas else ', no pandas (a clerk install)'})")
    print(f"whole processes: wall = median of {a.runs} paired turns, CPU = least; ratios to `python -c pass`")
    base_w, base_c = wall["python -c pass"], cpu["python -c pass"]
    print(f"  {'':22}{'wall ms':>9}{'CPU ms':>9}{'× pass':>8}")
    for k in ("python -c pass", "RunPython bootstrap", "stand-in bootstrap"):
        print(f"  {k:22}{wall[k] * 1000:9.0f}{cpu[k] * 1000:9.0f}{wall[k] / base_w:8.1f}")
    names = {v: k for k, v in BUTTONS.items()}
    print(f"  {'button':22}{'wall ms':>9}{'CPU ms':>9}{'× pass':>8}{'ours ms':>9}{'click ms':>10}{'click × pass':>14}"
          f"{'  server: 1st / later CPU ms (ratio)'}")
    for f in buttons:
        ours_w = wall[f] - wall["stand-in bootstrap"]
        click = wall["RunPython bootstrap"] + ours_w
        first, later = server[f][0], min(server[f][1:]) if len(server[f]) > 1 else float("nan")
        print(f"  {names.get(f, f) + ' (' + f + ')':22}{wall[f] * 1000:9.0f}{cpu[f] * 1000:9.0f}{wall[f] / base_w:8.1f}"
              f"{ours_w * 1000:9.0f}{click * 1000:10.0f}{click / base_w:14.1f}"
              f"   {first * 1000:6.0f} / {later * 1000:4.0f}  ({first / later if later else float('nan'):.1f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
