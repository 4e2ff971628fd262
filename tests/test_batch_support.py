"""Shared, memoised test data for the batch, hardening and property tests (no tests in here).

Generated once per test session: ~20 department workbooks from two small variants
(benchmarks/generate.py) and the corrupt cases. Imported by test_batch.py, test_batch_dask.py,
test_hardening.py and test_property.py.
"""
from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx"
N_CORPUS = 20
_CACHE: dict = {}


def generate_module():
    if "gen" not in _CACHE:
        spec = importlib.util.spec_from_file_location("bdt_benchmarks_generate", ROOT / "benchmarks" / "generate.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod  # dataclasses look their module up there
        spec.loader.exec_module(mod)
        _CACHE["gen"] = mod
    return _CACHE["gen"]


def _base() -> Path:
    if "base" not in _CACHE:
        _CACHE["base"] = Path(tempfile.mkdtemp(prefix="bdt-test-batch-"))
    return _CACHE["base"]


def corpus() -> list[Path]:
    """N_CORPUS generated department workbooks (read-only: copy before changing one)."""
    if "corpus" not in _CACHE:
        gen = generate_module()
        _CACHE["corpus"] = gen.generate(N_CORPUS, _base() / "corpus", seed=11, sizes=[(10, 5), (18, 7)],
                                        log=lambda *a: None)
    return list(_CACHE["corpus"])


def corrupt_cases() -> dict:
    """{case: path} of the broken files (LibreOffice cases only where soffice exists)."""
    if "corrupt" not in _CACHE:
        _CACHE["corrupt"] = generate_module().make_corrupt_cases(SEED, _base() / "corrupt")
    return dict(_CACHE["corrupt"])


def copy_tree(paths, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for p in paths:
        dst = folder / Path(p).name
        shutil.copy(p, dst)
        out.append(dst)
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cleanup() -> None:  # pragma: no cover - the OS cleans /tmp; kept for manual runs
    if "base" in _CACHE:
        shutil.rmtree(_CACHE.pop("base"), ignore_errors=True)


import atexit  # noqa: E402

atexit.register(cleanup)
