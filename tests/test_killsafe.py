"""Kill-safety of fill (issue 17, point 6): SIGKILL at random moments never leaves a half-written
output or touches the input; the next write sweeps the killed writer's hidden .tmp files.

CI: a few kills (BDT_KILL_TRIES to run more, e.g. 50)."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from test_batch_support import SEED, digest

import toolkit
from toolkit.io.atomic import STALE_SECONDS, sweep_stale

TRIES = int(os.environ.get("BDT_KILL_TRIES", "4"))
ROOT = Path(__file__).resolve().parents[1]


def test_sigkill_during_fill_leaves_input_and_output_whole(tmp_path):
    src = tmp_path / "in.xlsx"
    src.write_bytes(SEED.read_bytes())
    before = digest(src)
    out = tmp_path / "out.xlsx"
    rng = random.Random(17)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outcomes = {"complete": 0, "absent": 0}
    for _ in range(TRIES):
        out.unlink(missing_ok=True)
        p = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "fill", str(src), "--out", str(out)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 1.2))
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert digest(src) == before
        if out.exists():
            with zipfile.ZipFile(out) as zf:
                assert zf.testzip() is None
            assert toolkit.load(out).dept_name
            outcomes["complete"] += 1
        else:
            outcomes["absent"] += 1
    # leftovers of killed writers are swept by the next write once they are stale
    leftovers = list(tmp_path.glob(".out.xlsx.*.tmp"))
    for p in leftovers:
        old = time.time() - STALE_SECONDS - 5
        os.utime(p, (old, old))
    assert sweep_stale(out) == len(leftovers)
    assert not list(tmp_path.glob(".*.tmp"))
