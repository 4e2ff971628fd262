"""Whole-process benchmarks against the tools a user would otherwise run (not part of the tests).

    python benchmarks/run.py               # 7 paired runs of each command
    python benchmarks/run.py --runs 15     # steadier medians
    python benchmarks/run.py --no-office   # without the LibreOffice baseline
    python benchmarks/run.py --only pdf    # only the PDF export against LibreOffice

Every figure is a whole process, started as a clerk's click or a bureau's script starts it
(interpreter start-up, imports and all), on the bundled example, timed in one run on the same
machine: the commands are run in turns (ours, baseline, ours, …) so that a busy machine slows
both alike, and the median of each is printed with the ratio. Bytecode is compiled once before
timing (a normal install has it); PYTHONDONTWRITEBYTECODE is cleared for the children.

Baselines:
* `python -c pass` — the interpreter alone;
* python-calamine reading every sheet — the floor of any reader in Python;
* openpyxl `load_workbook` (full) and `read_only=True` reading every cell;
* openpyxl load + save — the least an openpyxl-based filler pays;
* LibreOffice headless `--convert-to pdf` with a warm profile (created by one conversion first).

Targets (issue #14): validate ≥ 2× faster than an openpyxl load; in-process load+validate ≤ 3× the
calamine floor; fill no slower than an openpyxl round trip; PDF export ≥ 3× faster than LibreOffice.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx"
PY = sys.executable

CALAMINE = ("import sys, python_calamine as c; wb = c.CalamineWorkbook.from_path(sys.argv[1]); "
            "[wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names]")
OPENPYXL_FULL = "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1])"
OPENPYXL_RO = ("import sys, openpyxl; wb = openpyxl.load_workbook(sys.argv[1], read_only=True); "
               "[list(ws.values) for ws in wb.worksheets]")
OPENPYXL_SAVE = "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1]).save(sys.argv[2])"
IN_PROCESS = ("import sys, time, toolkit; from toolkit.rules import validate; import python_calamine as c\n"
              "def t(f, n=7):\n    f(); r = []\n    for _ in range(n):\n        s = time.perf_counter(); f(); "
              "r.append(time.perf_counter() - s)\n    return sorted(r)[n // 2]\n"
              "p = sys.argv[1]\n"
              "a = t(lambda: validate(toolkit.load(p)))\n"
              "b = t(lambda: [w.get_sheet_by_name(n).to_python() for w in [c.CalamineWorkbook.from_path(p)] "
              "for n in w.sheet_names])\n"
              "print(a, b)")


def env() -> dict:
    e = dict(os.environ)
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


CPU: dict = {}  # command name -> least CPU seconds (user + sys of the child and its children) of the turns


def once(cmd: list, cwd: Path) -> tuple[float, float]:
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1 = findings (the example has some)
        raise SystemExit(f"failed ({code}): {' '.join(map(str, cmd))}\n{err.decode(errors='replace')}")
    return elapsed, usage.ru_utime + usage.ru_stime


def paired(cmds: dict, runs: int, cwd: Path) -> dict:
    """{name: median seconds}, the commands run in turns after one warm-up each; the least CPU
    time of each is kept in CPU (a busy machine stretches wall times more than CPU times)."""
    for c in cmds.values():
        once(c, cwd)
    times: dict = {k: [] for k in cmds}
    cpus: dict = {k: [] for k in cmds}
    for _ in range(runs):
        for k, c in cmds.items():
            wall, cpu = once(c, cwd)
            times[k].append(wall)
            cpus[k].append(cpu)
    CPU.update({k: min(v) for k, v in cpus.items()})
    PAIRS.update({k: v for k, v in times.items()})
    return {k: statistics.median(v) for k, v in times.items()}


PAIRS: dict = {}  # command name -> wall seconds of each turn (turn i of two commands ran back to back)


def bdt(*args) -> list:
    return [PY, "-m", "toolkit.cli", *map(str, args)]


def soffice_cmd(tmp: Path, src: Path):
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        return None
    profile = (tmp / "lo-profile").as_uri()
    return [exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir",
            str(tmp / "lo"), str(src)]


def line(name: str, ours: float, base: float, base_name: str, target: str) -> None:
    ratio = base / ours
    word = f"{ratio:.2f}× faster" if ratio >= 1 else f"{1 / ratio:.2f}× slower"
    print(f"  {name:28s} {ours * 1000:7.0f} ms   {base_name:30s} {base * 1000:7.0f} ms   ours {word}  ({target})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-office", action="store_true")
    ap.add_argument("--only", choices=["pdf"], help="only the export comparison")
    args = ap.parse_args(argv)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "toolkit")], check=False)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        src = tmp / "example.xlsx"
        shutil.copy(EXAMPLE, src)
        filled = tmp / "filled.xlsx"
        subprocess.run(bdt("fill", src, "--out", filled), env=env(), check=True, stdout=subprocess.DEVNULL)
        print(f"bdt whole processes on {EXAMPLE.name}, medians of {args.runs} paired runs "
              f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')})")

        if not args.only:
            start = paired({"bdt --version": bdt("--version"), "python -c pass": [PY, "-c", "pass"]}, args.runs, tmp)
            print(f"  start-up: bdt --version {start['bdt --version'] * 1000:.0f} ms, "
                  f"python -c pass {start['python -c pass'] * 1000:.0f} ms")

            v = paired({"ours": bdt("validate", src), "full": [PY, "-c", OPENPYXL_FULL, src],
                        "ro": [PY, "-c", OPENPYXL_RO, src], "cal": [PY, "-c", CALAMINE, src]}, args.runs, tmp)
            line("bdt validate", v["ours"], v["full"], "openpyxl load_workbook", "target ≥ 2× faster")
            line("bdt validate", v["ours"], v["ro"], "openpyxl read_only, all cells", "for reference")
            line("bdt validate", v["ours"], v["cal"], "python-calamine, all sheets", "the floor")

            out = subprocess.run([PY, "-c", IN_PROCESS, src], env=env(), capture_output=True, text=True, check=True)
            a, b = map(float, out.stdout.split())
            print(f"  in-process load+validate {a * 1000:.0f} ms = {a / b:.2f}× the calamine read "
                  f"{b * 1000:.0f} ms (target ≤ 3×)")

            f = paired({"ours": bdt("fill", src, "--out", tmp / "f2.xlsx"),
                        "base": [PY, "-c", OPENPYXL_SAVE, src, tmp / "rt.xlsx"]}, args.runs, tmp)
            line("bdt fill", f["ours"], f["base"], "openpyxl load + save", "target ≥ 1×")

        cmds = {"pdf": bdt("export", filled, "--to", "pdf", "--force", "--out", tmp / "e1")}
        if not args.only:
            cmds["html"] = bdt("export", filled, "--to", "html", "--force", "--out", tmp / "e2")
        lo = None if args.no_office else soffice_cmd(tmp, filled)
        if lo:
            cmds["lo"] = lo
        e = paired(cmds, args.runs if args.only else max(3, args.runs // 2), tmp)
        if lo:
            line("bdt export --to pdf", e["pdf"], e["lo"], "LibreOffice --convert-to pdf", "target ≥ 3× faster")
            pairs = sorted(b / a for a, b in zip(PAIRS["pdf"], PAIRS["lo"]))
            print(f"  {'':28} CPU {CPU['pdf'] * 1000:.0f} ms vs {CPU['lo'] * 1000:.0f} ms = {CPU['lo'] / CPU['pdf']:.2f}×; "
                  f"per pair {', '.join(f'{r:.2f}' for r in pairs)} (load {os.getloadavg()[0]:.1f})")
        else:
            print(f"  bdt export --to pdf {e['pdf'] * 1000:.0f} ms (LibreOffice not installed: no baseline)")
        if "html" in e:
            print(f"  bdt export --to html {e['html'] * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
