"""The [MS-CFB] writer: olefile (the reader oletools uses) reads back every stream, strictly."""
import io
import random
import struct

import olefile
import pytest

from toolkit.vba import cfb


def _open(data: bytes) -> olefile.OleFileIO:
    # DEFECT_INCORRECT: refuse anything olefile considers wrong, not only fatal errors
    return olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)


def _streams(seed: int, n: int) -> dict:
    rnd = random.Random(seed)
    streams = {"PROJECT": b"ID=...\r\n", "PROJECTwm": b"\0\0", "VBA/_VBA_PROJECT": bytes.fromhex("CC61FFFF000100"),
               "VBA/dir": rnd.randbytes(1200), "VBA/empty": b""}
    for i in range(n):
        size = rnd.choice([1, 63, 64, 65, 511, 512, 513, 4095, 4096, 4097, 20000])
        streams[f"VBA/Module{i}"] = rnd.randbytes(size)
    return streams


@pytest.mark.parametrize("seed,n", [(0, 0), (1, 3), (2, 25), (3, 140)])
def test_olefile_reads_back_every_stream(seed, n):
    streams = _streams(seed, n)
    data = cfb.write_compound_file(streams)
    assert len(data) % 512 == 0 and data[:8] == cfb.SIGNATURE
    ole = _open(data)
    assert sorted("/".join(p) for p in ole.listdir()) == sorted(streams)
    for path, body in streams.items():
        assert ole.openstream(path).read() == body
        assert ole.get_type(path) == olefile.STGTY_STREAM
    assert ole.get_type("VBA") == olefile.STGTY_STORAGE
    assert cfb.read_compound_file(data) == streams


def test_header_is_version_3_with_512_byte_sectors():
    data = cfb.write_compound_file(_streams(4, 5))
    minor, major, order, shift, mini_shift = struct.unpack_from("<HHHHH", data, 24)
    assert (minor, major, order, shift, mini_shift) == (0x3E, 3, 0xFFFE, 9, 6)
    n_dir_sectors, n_fat, _first_dir = struct.unpack_from("<III", data, 40)
    assert n_dir_sectors == 0 and n_fat >= 1
    assert struct.unpack_from("<I", data, 56)[0] == 4096  # mini stream cutoff
    assert struct.unpack_from("<II", data, 68) == (cfb.ENDOFCHAIN, 0)  # no DIFAT sectors


def test_small_streams_live_in_the_mini_stream():
    data = cfb.write_compound_file({"a": b"x" * 100, "b": b"y" * 5000})
    ole = _open(data)
    assert ole.get_size("a") == 100 and ole.get_size("b") == 5000
    # olefile tells mini-stream entries by size against the cutoff; check the root holds 2 mini sectors
    root = ole.root
    assert root.size == 128


def test_directory_is_a_valid_red_black_tree_in_name_order():
    names = [f"Sheet{i}" for i in range(1, 30)] + ["ThisWorkbook", "dir", "_VBA_PROJECT", "xlwings", "Dictionary"]
    data = cfb.write_compound_file({f"VBA/{n}": b"." for n in names})
    ole = _open(data)
    entries = ole.direntries
    vba = next(e for e in entries if e and e.name == "VBA")

    def walk(sid, depth_black, out, parent_red=False):
        if sid == cfb.NOSTREAM:
            out.setdefault("black_heights", set()).add(depth_black)
            return
        e = entries[sid]
        red = e.color == cfb.RED
        assert not (red and parent_red), "two red nodes in a row"
        walk(e.sid_left, depth_black + (not red), out, red)
        out.setdefault("order", []).append(e.name)
        walk(e.sid_right, depth_black + (not red), out, red)

    out = {}
    walk(vba.sid_child, 0, out)
    assert out["order"] == sorted(names, key=cfb.name_key)
    assert len(out["black_heights"]) == 1


def test_name_order_is_length_then_upper_case():
    names = ["b", "A", "ab", "AA", "Sheet10", "Sheet2", "_VBA_PROJECT", "dir"]
    assert sorted(names, key=cfb.name_key) == ["A", "b", "AA", "ab", "dir", "Sheet2", "Sheet10", "_VBA_PROJECT"]


def test_rejects_names_that_collide_case_insensitively():
    with pytest.raises(ValueError):
        cfb.write_compound_file({"VBA/Module1": b"", "VBA/MODULE1": b""})


def test_output_is_deterministic():
    assert cfb.write_compound_file(_streams(5, 10)) == cfb.write_compound_file(_streams(5, 10))
