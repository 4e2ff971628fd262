"""Benchmark: PDF export of one workbook, ours against LibreOffice, measured side by side in one run.

    python benchmarks/export.py [--runs 5]

The seed example is filled into a temporary file first; then, on that same filled workbook:

* ours — `toolkit.export.export(path, ["pdf"], …, force=True)`: read the workbook, recompute every
  derived figure, build the document model, lay out and write the PDF (cover, 目录, 13 tables,
  情况说明 with two charts, performance forms, 名词解释; CJK font subset embedded);
* LibreOffice — `soffice --headless --convert-to pdf` of the filled workbook, with a fresh
  ``-env:UserInstallation`` profile created once (by a warm-up conversion) and reused; only the
  conversion is timed.

Medians of `--runs` runs each after one warm-up (which also pays our one-off import and font
loading, reported separately). Target: ours at least 3× faster.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EXAMPLE = ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx"


def median_time(fn, runs: int) -> tuple[float, list]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        print("soffice (LibreOffice) not found: cannot measure the baseline", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        from toolkit.export import export
        from toolkit.fill import fill

        src = tmp / "seed.xlsx"
        shutil.copy(EXAMPLE, src)
        filled, _ = fill(src, tmp / "filled.xlsx")
        profile = tmp / "lo-profile"
        lo_out = tmp / "lo"

        def ours():
            export(filled, ["pdf"], tmp / "ours", force=True)

        def libreoffice():
            subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                            "--outdir", str(lo_out), str(filled)], check=True, capture_output=True, timeout=600)

        t1 = time.perf_counter()
        ours()  # warm-up: imports, CJK font parsing
        first = time.perf_counter() - t1
        libreoffice()  # warm-up: creates the profile
        a, a_runs = median_time(ours, args.runs)
        b, b_runs = median_time(libreoffice, args.runs)
        pdf = next((tmp / "ours").glob("*.pdf"))
        lo_pdf = next(lo_out.glob("*.pdf"))
        print(f"workbook: {EXAMPLE.name} (filled copy), {args.runs} runs each, medians")
        print(f"ours  toolkit.export → PDF     {a * 1000:8.1f} ms   ({pdf.stat().st_size // 1024} KB)"
              f"   runs: {', '.join(f'{x * 1000:.0f}' for x in a_runs)}")
        print(f"soffice --convert-to pdf       {b * 1000:8.1f} ms   ({lo_pdf.stat().st_size // 1024} KB)"
              f"   runs: {', '.join(f'{x * 1000:.0f}' for x in b_runs)}")
        print(f"first export in this process (imports + font loading): {first * 1000:.0f} ms;"
              f" setup incl. fill: {(t1 - t0) * 1000:.0f} ms")
        ratio = b / a
        print(f"ratio soffice / ours = {ratio:.1f}×  (target ≥ 3×: {'met' if ratio >= 3 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
