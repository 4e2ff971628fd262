"""A per-user cache of things that are slow to build and never change for the same input: the
compiled schema, the parsed metrics of the CJK font. Every command and every Excel click would
otherwise pay for them again at start-up.

Entries are pickles named by a hash of everything they depend on (the input's bytes or its path,
size and modification time, the code and library versions that build them), written atomically.
Any problem reading or writing an entry is not an error: the thing is built anew. BDT_NO_CACHE=1
switches the cache off; BDT_CACHE_DIR moves it.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path


def cache_dir() -> Path | None:
    """Where entries are kept (per user); None when caching is switched off (BDT_NO_CACHE=1)."""
    if os.environ.get("BDT_NO_CACHE"):
        return None
    if os.environ.get("BDT_CACHE_DIR"):
        return Path(os.environ["BDT_CACHE_DIR"])
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "bdt" / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bdt"


def key(*parts) -> str:
    """A short hash of the parts (bytes are hashed as they are, anything else by its str)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:32]


def cached(kind: str, digest: str, build, accept=lambda obj: True):
    """The object cached as `kind`-`digest`, or `build()` (then stored). `accept` checks what a
    pickle gave back (a foreign or stale file is rebuilt)."""
    folder = cache_dir()
    target = folder / f"{kind}-{digest}.pickle" if folder else None
    if target is not None and target.is_file():
        try:
            obj = pickle.loads(target.read_bytes())
            if accept(obj):
                return obj
        except Exception:  # truncated, foreign, from another version: build it below
            pass
    obj = build()
    if target is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, target)
            _prune(folder, kind)
        except Exception:  # read-only home, full disk: caching is only an optimisation
            pass
    return obj


KEEP = 8  # entries kept per kind (other schema files, other font files, earlier versions)


def _prune(folder: Path, kind: str) -> None:
    entries = sorted(folder.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
