"""Atomic file output: a file is either its old self or completely new, never half-written."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        if backup and path.exists():
            shutil.copy2(path, path.with_name(path.name + ".bak"))
        os.chmod(tmp, output_mode(path))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
