"""Atomic file output: a file is either its old self or completely new, never half-written."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


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
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
