"""Atomic file output: a file is either its old self or completely new, never half-written."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


TMP_NAME_BYTES = 200  # of a temporary file's name (255 allowed): ".NAME." + 8 random + ".tmp"


def tmp_prefix(name: str) -> str:
    """".NAME." for the hidden temporary file beside NAME, NAME cut so the whole name fits a file
    system's 255 bytes (a 250-byte target name still gets a temporary file)."""
    while len(name.encode("utf-8", "surrogateescape")) > TMP_NAME_BYTES:
        name = name[:-1]
    return f".{name}."


def _keep_original(path: Path) -> Path:
    """PATH.bak holds the original: made once (atomically, by a hard link or a copy renamed into
    place) and never overwritten by a later in-place write, so a second fill keeps the first original."""
    bak = path.with_name(path.name + ".bak")
    if bak.exists():
        return bak
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=tmp_prefix(bak.name), suffix=".tmp")
    os.close(fd)
    try:
        shutil.copy2(path, tmp)
        try:
            os.link(tmp, bak)  # fails if another fill made it meanwhile: theirs is the original too
        except FileExistsError:
            pass
        except OSError:  # no hard links on this file system
            if not bak.exists():
                os.replace(tmp, bak)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return bak


STALE_SECONDS = 600  # a temporary file this old is a killed writer's leftover, not a writer at work


def sweep_stale(path: Path) -> int:
    """Remove the hidden temporary files a writer of `path` killed with SIGKILL left behind
    (".NAME.*.tmp" beside it, older than STALE_SECONDS); returns how many."""
    import glob
    import time

    n = 0
    limit = time.time() - STALE_SECONDS
    for name in (path.name, path.name + ".bak"):  # escaped: a name may hold [ ] * ?
        pattern = glob.escape(tmp_prefix(name)) + "*.tmp"
        for p in path.parent.glob(pattern):
            try:
                if p.is_file() and not p.is_symlink() and p.stat().st_mtime < limit:
                    p.unlink()
                    n += 1
            except OSError:
                pass
    return n


def umask() -> int:
    """The process's umask (read from /proc where it can be, so no thread sees it changed)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def output_mode(path: Path) -> int:
    """The permissions a written file gets: the replaced file's own (so --in-place keeps them),
    else what the user's umask gives a new file (not mkstemp's 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o666 & ~umask()


@contextlib.contextmanager
def atomic_output(path: Path, backup: bool = False):
    """A binary file object whose content replaces `path` only if the block finishes.

    The data go to a temporary file beside `path`, renamed over it at the end; on any failure
    the temporary file is removed and `path` is left as it was. `backup` keeps PATH.bak first.
    """
    sweep_stale(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=tmp_prefix(path.name), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        if backup and path.exists():
            _keep_original(path)
        os.chmod(tmp, output_mode(path))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
