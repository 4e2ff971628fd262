"""Benchmark: `bdt batch` validation of N department workbooks against openpyxl merely loading them.

    python benchmarks/batch.py                        # N = 10 and 100
    python benchmarks/batch.py --sizes 10,100,1000    # and 1,000 (openpyxl sampled unless --full-baseline)
    python benchmarks/batch.py --n 200 --corrupt      # the bureau's run: 200 workbooks + the corrupt cases

The workbooks come from benchmarks/generate.py: twelve variants (10–60 function-code rows per
table, 5–40 projects each with its performance sheet), every department renamed, about two in
three carrying one to three typical mistakes. For each N, in one run on the same machine:

* `bdt batch DIR --out OUT` as a command (interpreter start, imports, process pool with
  --jobs default = CPU count, reading, all rules, each department's report.html + findings.json,
  summary.csv + summary.html) — the wall time a bureau waits;
* openpyxl.load_workbook(path) of the same files, one after another (nothing checked, nothing
  written). For N above --sample (default 200) the load is timed on an even sample of the files
  (every variant represented) and scaled to N, unless --full-baseline.

Target: batch validation at least 5× faster than that load.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bdt_batch(inputs: list[Path], out: Path, jobs: int | None) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds of the command and its worker processes, exit code, output)."""
    cmd = [sys.executable, "-m", "toolkit.cli", "batch", *map(str, inputs), "--out", str(out), "--no-progress"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cpu = _children_cpu()
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    return time.perf_counter() - t, _children_cpu() - cpu, r.returncode, r.stdout + r.stderr


def openpyxl_load(paths: list[Path]) -> tuple[float, float]:
    """(wall, CPU) seconds to load the files one after another in this process."""
    import openpyxl

    openpyxl.load_workbook(paths[0])  # imports warm, as they are for the command's workers
    cpu = time.process_time()
    t = time.perf_counter()
    for p in paths:
        openpyxl.load_workbook(p)
    return time.perf_counter() - t, time.process_time() - cpu


def sample(paths: list[Path], k: int) -> list[Path]:
    if len(paths) <= k:
        return list(paths)
    step = len(paths) / k
    return [paths[int(i * step)] for i in range(k)]


def in_process_breakdown(paths: list[Path]) -> dict:
    """Per-file medians in this process: safety check, calamine read, rules (for the closing note)."""
    import toolkit
    from toolkit.io.safety import check_file
    from toolkit.rules import validate

    toolkit.load(paths[0])
    validate(toolkit.load(paths[0]))
    check, load, rules = [], [], []
    for p in paths:
        t = time.perf_counter()
        check_file(p)
        t1 = time.perf_counter()
        d = toolkit.load(p)
        t2 = time.perf_counter()
        validate(d)
        t3 = time.perf_counter()
        check.append(t1 - t)
        load.append(t2 - t1 - (t1 - t))  # toolkit.load runs the check again: count it once
        rules.append(t3 - t2)
    return {"check": statistics.median(check), "read": statistics.median(load), "rules": statistics.median(rules)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10,100", help="comma-separated N (default 10,100; add 1000 for the scaling run)")
    p.add_argument("--n", type=int, help="a single N (same as --sizes N)")
    p.add_argument("--jobs", type=int, default=None, help="passed to bdt batch (default: its own default, the CPU count)")
    p.add_argument("--sample", type=int, default=200, help="openpyxl is timed on at most this many files per N")
    p.add_argument("--full-baseline", action="store_true", help="time openpyxl on every file, however many")
    p.add_argument("--corrupt", action="store_true", help="add the corrupt cases to the input (the bureau's run)")
    p.add_argument("--data", help="keep the generated workbooks here (default: a temporary folder)")
    p.add_argument("--out", help="keep the batch output here (default: a temporary folder)")
    a = p.parse_args(argv)
    sizes = [a.n] if a.n else [int(x) for x in a.sizes.split(",") if x.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="bdt-bench-"))
    data = Path(a.data) if a.data else tmp / "data"
    try:
        print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
        print(f"generating {max(sizes)} department workbooks …")
        t = time.perf_counter()
        existing = sorted(data.glob("*.xlsx")) if data.exists() else []
        paths = existing if len(existing) >= max(sizes) else generate.generate(max(sizes), data, log=lambda m: print(m))
        print(f"  ready in {time.perf_counter() - t:.1f} s; sizes {min(q.stat().st_size for q in paths) // 1024}–"
              f"{max(q.stat().st_size for q in paths) // 1024} KB")
        corrupt = []
        if a.corrupt:
            cases = generate.make_corrupt_cases(generate.SEED_EXAMPLE, tmp / "corrupt")
            corrupt = sorted(cases.values())
            print(f"  + {len(corrupt)} corrupt cases: {', '.join(c.name for c in corrupt)}")

        rows = []
        for n in sizes:
            subset = paths[:n]
            folder = tmp / f"in{n}"
            folder.mkdir()
            for q in subset:
                try:
                    os.link(q, folder / q.name)
                except OSError:
                    shutil.copy(q, folder / q.name)
            for c in corrupt:
                shutil.copy(c, folder / c.name)
            out = Path(a.out) / f"out{n}" if a.out else tmp / f"out{n}"
            if out.exists():
                shutil.rmtree(out)
            for q in subset:
                q.read_bytes()  # the same warm OS cache for both contenders
            load0 = os.getloadavg()[0]
            ours, ours_cpu, code, log = bdt_batch([folder], out, a.jobs)
            base_files = subset if a.full_baseline else sample(subset, a.sample)
            base, base_cpu = (x * len(subset) / len(base_files) for x in openpyxl_load(base_files))
            est = "" if len(base_files) == len(subset) else f" (est. from {len(base_files)})"
            rows.append((n, ours, base, est, code, ours_cpu, base_cpu))
            print(f"\nN = {n}{' + ' + str(len(corrupt)) + ' corrupt' if corrupt else ''}: bdt batch exit {code}"
                  f"  (load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after)")
            print("  " + "\n  ".join(log.strip().splitlines()[:4 + len(corrupt)]))
            print(f"  bdt batch (validate, reports, summary)  {ours:8.2f} s   {1000 * ours / (n + len(corrupt)):7.1f} ms/workbook"
                  f"   CPU {ours_cpu:7.2f} s")
            print(f"  openpyxl.load_workbook, sequential      {base:8.2f} s   {1000 * base / n:7.1f} ms/workbook"
                  f"   CPU {base_cpu:7.2f} s{est}")
            print(f"  ratio openpyxl load / bdt batch = {base / ours:.1f}× wall clock, {base_cpu / ours_cpu:.1f}× CPU"
                  "  (target ≥ 5×; the corrupt files are not in the openpyxl time: it cannot load them)")

        extra = f" (+{len(corrupt)} corrupt in bdt batch)" if corrupt else ""
        print(f"\n   N   bdt batch    ms/wb   openpyxl load    ms/wb   ratio (wall)  ratio (CPU){extra}")
        for n, ours, base, est, _, oc, bc in rows:
            print(f"{n:5d} {ours:9.2f} s {1000 * ours / (n + len(corrupt)):8.1f} {base:11.2f} s{'*' if est else ' '}"
                  f" {1000 * base / n:8.1f} {base / ours:9.1f}× {bc / oc:11.1f}×")
        if any(r[3] for r in rows):
            print("  * openpyxl time measured on a sample and scaled to N (--full-baseline to load every file)")
        print("  wall clock is what a bureau waits (2 worker processes on 2 cores); CPU time is the work done, "
              "and is the steadier figure on a shared, busy machine")
        b = in_process_breakdown(sample(paths[: max(sizes)], 24))
        print(f"\nper workbook, in one process (medians): safety check {1000 * b['check']:.1f} ms, "
              f"calamine read {1000 * b['read']:.1f} ms, all rules {1000 * b['rules']:.1f} ms")
        return 0
    finally:
        if not a.data:
            shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
