"""Size sweep: how each step's cost grows with the rows of a department (not part of the tests).

    python benchmarks/scale.py                       # 60 → 5,000 function-code rows, 5 → 300 projects
    python benchmarks/scale.py --rows 60,500,2000    # chosen sizes
    python benchmarks/scale.py --projects 5,40,300 --rows 60

A department with many rows (an education or health bureau: hundreds to thousands of 项 rows in
表2/表3/表5, hundreds of projects in 表12 each with its 项目绩效 form) must cost in proportion to its
rows. For each size the script builds a workbook with `bdt import` (which sizes a block to its
data and records that in the workbook, as `bdt template build --capacity t3=2000` does), fills
it, and times in one process: read, derive
(compute), rules (validate), fill (read + derive + narrative + patch write) and the exports
(data, html, pdf), and `bdt validate` / `bdt fill` as whole processes. Times are CPU seconds
(the least of --repeat runs), so that other work on a shared machine does not count. It prints the time per step and the growth factor per doubling of the size
(1.0 = constant, 2.0 = linear; the target is ≤ 2.2 in every step).

Codes are synthetic (类 201–229, 款 01–99, 项 01–99) with their names in a generated reference
folder (BDT_REFERENCE_DIR), as a bureau's own code table would be.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

LEI = [f"{c}" for c in range(201, 230)]


def synthetic_codes(n_rows: int) -> list[str]:
    """About n_rows codes in table order: 类, its 款, each 款's 项 (4 项 per 款)."""
    codes: list[str] = []
    for lei in LEI:
        if len(codes) >= n_rows:
            break
        codes.append(lei)
        for k in range(1, 100):
            if len(codes) >= n_rows:
                break
            kuan = f"{lei}{k:02d}"
            codes.append(kuan)
            for x in range(1, 5):
                if len(codes) >= n_rows:
                    break
                codes.append(f"{kuan}{x:02d}")
    while codes and len(codes[-1]) < 7:  # end on a 项
        codes.pop()
    return codes


def reference_folder(folder: Path, codes: list[str]) -> Path:
    import csv
    import shutil

    from toolkit.reference import DATA_DIR

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("economic_codes_dept.csv", "economic_codes_gov.csv", "economic_mapping_dept_to_gov.csv"):
        shutil.copy(DATA_DIR / name, folder / name)
    with open(DATA_DIR / "function_codes.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    known = {r["code"] for r in rows}
    for c in codes:
        if c not in known:
            level = {3: "类", 5: "款", 7: "项"}[len(c)]
            rows.append({"code": c, "name": f"测试{level}{c}", "level": level, "source": "synthetic (benchmark)"})
    with open(folder / "function_codes.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["code", "name", "level", "source"])
        w.writeheader()
        w.writerows(rows)
    return folder


def department(rows: int, projects: int, seed: int = 1) -> dict:
    from generate import department_data, s

    rng = random.Random(seed)
    data = department_data(rng, 40, min(projects, 5))
    codes = synthetic_codes(rows)
    leaves = [c for c in codes if len(c) == 7]
    basic_total = sum(Decimal(r.get("basic", "0")) for r in data["t3"]["items"])
    per = (basic_total / len(leaves)).quantize(Decimal("0.01"))
    items, t2 = [], []
    names = [f"业务项目{k:04d}" for k in range(1, projects + 1)]
    amounts = [Decimal(rng.randint(200, 18000)) / 100 for _ in names]
    proj_by_leaf: dict[str, Decimal] = {}
    for k, a in enumerate(amounts):
        leaf = leaves[k % len(leaves)]
        proj_by_leaf[leaf] = proj_by_leaf.get(leaf, Decimal(0)) + a
    for c in codes:
        if len(c) < 7:
            items.append({"code": c})
            t2.append({"code": c})
            continue
        row = {"code": c, "basic": s(per)}
        if c in proj_by_leaf:
            row["project"] = s(proj_by_leaf[c])
        items.append(row)
        t2.append({"code": c, "gpb": s(per + proj_by_leaf.get(c, Decimal(0)))})
    data["t2"] = {"items": t2}
    data["t3"] = {"items": items}
    data["t5"] = {"items": [dict(r) for r in items]}
    data["t12"] = {"items": [{"name": n, "gpb": s(a)} for n, a in zip(names, amounts)]}
    form = data["perf_project"][0]
    data["perf_project"] = []
    for n, a in zip(names, amounts):
        f = dict(form, name=n)
        yuan = str(int(a * 10000))
        f.update(city_period=yuan, city_annual=yuan)
        data["perf_project"].append(f)
    return data


REPEAT = 2  # each step is timed this many times and the least CPU time kept (--repeat)


COUNT = False  # --count: operations (function calls, Python and C) instead of seconds


def operations(fn):
    """(result, number of Python and C function calls fn makes): the same on every run and machine."""
    n = 0

    def prof(frame, event, arg):
        nonlocal n
        if event == "call" or event == "c_call":
            n += 1

    sys.setprofile(prof)
    try:
        out = fn()
    finally:
        sys.setprofile(None)
    return out, float(n)


def timed(fn):
    """(result, CPU seconds of this process): CPU time, not wall time, so that other processes on
    a shared machine do not count; the least of REPEAT runs."""
    if COUNT:
        return operations(fn)
    best = float("inf")
    for _ in range(REPEAT):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return out, best


def process_cpu(args: list) -> float:
    """CPU seconds (user + system) of a whole `python -m toolkit.cli …` process, start-up included;
    the least of REPEAT runs."""
    import resource
    import subprocess

    best = float("inf")
    for _ in range(REPEAT):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run([sys.executable, "-m", "toolkit.cli", *map(str, args)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
        if r.returncode not in (0, 1):
            raise SystemExit(f"bdt {' '.join(map(str, args))} failed: {r.stderr.decode(errors='replace')}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best


def run(rows_list, projects_list, folder: Path, exports=("data", "html", "pdf"), processes: bool = True
        ) -> list[dict]:
    sizes = [(r, p) for r in rows_list for p in projects_list]
    all_codes = synthetic_codes(max(rows_list))
    os.environ["BDT_REFERENCE_DIR"] = str(reference_folder(folder / "reference", all_codes))
    os.environ.setdefault("BDT_CJK_FONT", os.environ.get("BDT_CJK_FONT", ""))
    import toolkit
    from toolkit.datafile import write_data
    from toolkit.export import export
    from toolkit.fill import compute, fill
    from toolkit.rules import validate
    from toolkit.schema import load_schema

    results = []
    for rows, projects in sizes:
        schema = load_schema()  # the standard schema: `bdt import` sizes the blocks to the data
        raw = folder / f"raw-{rows}-{projects}.xlsx"
        write_data(department(rows, projects), raw, schema=schema)
        filled = folder / f"filled-{rows}-{projects}.xlsx"
        _, t_fill = timed(lambda: fill(raw, filled, schema=schema))
        d, t_read = timed(lambda: toolkit.load(filled, schema=schema))
        _, t_derive = timed(lambda: compute(d))
        d = toolkit.load(filled, schema=schema)
        findings, t_rules = timed(lambda: validate(d))
        r = {"rows": rows, "projects": projects, "read": t_read, "derive": t_derive, "rules": t_rules,
             "fill": t_fill, "findings": len(findings)}
        if processes and not COUNT:
            r["bdt validate"] = process_cpu(["validate", filled])
            r["bdt fill"] = process_cpu(["fill", raw, "--out", folder / f"p-{rows}-{projects}.xlsx"])
        for fmt in exports:
            d = toolkit.load(filled, schema=schema)
            _, r[f"export {fmt}"] = timed(lambda: export(d, [fmt], folder / f"out-{rows}-{projects}", force=True))
        results.append(r)
        print(" ".join((f"{k}={v:.0f}" if COUNT else f"{k}={v:.3f}") if isinstance(v, float) else f"{k}={v}"
                       for k, v in r.items()), flush=True)
    return results


def growth(results: list[dict], key: str) -> list[str]:
    """Growth factor per doubling of the size between consecutive sizes (by rows, else projects)."""
    out = []
    for a, b in zip(results, results[1:]):
        size_a = a["rows"] * a["projects"] ** 0 if a["rows"] != b["rows"] else a["projects"]
        size_b = b["rows"] if a["rows"] != b["rows"] else b["projects"]
        doublings = math.log2(size_b / size_a) if size_b > size_a else 1
        f = (b[key] / a[key]) ** (1 / doublings) if a[key] > 0 and doublings > 0 else float("nan")
        out.append(f"{f:.2f}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", default="60,250,1000,2000,5000")
    ap.add_argument("--projects", default="5")
    ap.add_argument("--exports", default="data,html,pdf")
    ap.add_argument("--repeat", type=int, default=REPEAT, help="runs per step; the least CPU time is kept")
    ap.add_argument("--no-processes", action="store_true", help="skip the whole-process bdt validate/fill")
    ap.add_argument("--count", action="store_true",
                    help="count operations (function calls) per step instead of timing: immune to a busy machine")
    args = ap.parse_args(argv)
    globals()["REPEAT"] = max(1, args.repeat)
    globals()["COUNT"] = args.count
    rows = [int(x) for x in args.rows.split(",")]
    projects = [int(x) for x in args.projects.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        res = run(rows, projects, Path(tmp), tuple(x for x in args.exports.split(",") if x), not args.no_processes)
    keys = [k for k in res[0] if k not in ("rows", "projects", "findings")]
    print()
    if COUNT:
        print("operations (Python and C function calls) per step")
    else:
        print(f"CPU seconds, least of {REPEAT} runs ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
              f"{time.strftime('%Y-%m-%d')}); bdt validate/fill: whole processes, start-up included")
    print("growth per doubling (2.0 = linear; target ≤ 2.2):")
    for k in keys:
        print(f"  {k:12s} " + "  ".join(growth(res, k)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
