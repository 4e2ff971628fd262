"""Benchmarks (not part of the test suite). Each prints its own baseline measured in the same run.

    python benchmarks/run.py            # all
    python benchmarks/run.py fill       # one

fill: `bdt fill` (read + derive + narrative + patch-write) against an openpyxl load + save of the
same workbook — the round trip any openpyxl-based filler would pay at least. Target: ratio ≤ 1.
validate: read + all rules against openpyxl merely loading the file.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx"


def timeit(fn, repeat: int = 7) -> float:
    fn()  # warm-up (imports, caches)
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def bench_fill(tmp: Path) -> None:
    import openpyxl

    from toolkit.fill import fill

    src = tmp / "src.xlsx"
    shutil.copy(EXAMPLE, src)

    def ours():
        fill(src, tmp / "filled.xlsx")

    def baseline():
        wb = openpyxl.load_workbook(src)
        wb.save(tmp / "roundtrip.xlsx")

    a, b = timeit(ours), timeit(baseline)
    print(f"fill+save           {a * 1000:8.1f} ms")
    print(f"openpyxl load+save  {b * 1000:8.1f} ms")
    print(f"ratio fill / openpyxl round trip = {a / b:.2f}  (target ≤ 1.00)")


def bench_validate(tmp: Path) -> None:
    import openpyxl

    import toolkit
    from toolkit.rules import validate

    def ours():
        validate(toolkit.load(EXAMPLE))

    def baseline():
        openpyxl.load_workbook(EXAMPLE)

    a, b = timeit(ours), timeit(baseline)
    print(f"load+validate       {a * 1000:8.1f} ms")
    print(f"openpyxl load       {b * 1000:8.1f} ms")
    print(f"ratio validate / openpyxl load = {a / b:.2f}")


BENCHES = {"fill": bench_fill, "validate": bench_validate}

if __name__ == "__main__":
    names = sys.argv[1:] or list(BENCHES)
    with tempfile.TemporaryDirectory() as d:
        for name in names:
            print(f"== {name}")
            BENCHES[name](Path(d))
