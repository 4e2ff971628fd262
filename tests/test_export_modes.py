"""Files the toolkit writes get the permissions the user's umask gives (not mkstemp's 0600), and
a file rewritten in place (fill --in-place, a re-export) keeps its own mode."""
import os
import shutil
import stat

import pytest

from conftest import EXAMPLE
from toolkit.cli import main
from toolkit.export import export


@pytest.fixture
def umask():
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


def mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def files(result):
    for p in result.values():
        yield from (sorted(p.iterdir()) if p.is_dir() else [p])


@pytest.mark.parametrize("mask", [0o022, 0o027])
def test_export_outputs_follow_the_umask(tmp_path, umask, mask):
    umask(mask)
    result = export(EXAMPLE, "html,xlsx,data", tmp_path / "out", force=True)
    got = {p.name: mode(p) for p in files(result)}
    assert len(got) > 15 and set(got.values()) == {0o666 & ~mask}, got
    assert not [p for p in (tmp_path / "out").rglob(".*.tmp")]  # nothing half-written left behind


def test_reexport_keeps_a_mode_the_user_chose(tmp_path, umask):
    first = export(EXAMPLE, "html", tmp_path, force=True)["html"]
    os.chmod(first, 0o604)
    again = export(EXAMPLE, "html", tmp_path, force=True)["html"]
    assert again == first and mode(again) == 0o604


def test_fill_out_and_in_place_modes(tmp_path, umask, capsys):
    umask(0o002)
    src = tmp_path / "book.xlsx"
    shutil.copy(EXAMPLE, src)
    os.chmod(src, 0o640)
    out = tmp_path / "new.xlsx"
    main(["fill", str(src), "--out", str(out)])
    assert mode(out) == 0o664  # a new file: what the umask gives
    main(["fill", str(src), "--in-place"])
    assert mode(src) == 0o640  # rewritten in place: the original's mode
    assert mode(src.with_name("book.xlsx.bak")) == 0o640
