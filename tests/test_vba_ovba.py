"""[MS-OVBA] compression, data encryption and project streams, checked against the specification's
own examples and against a VBA project that Excel wrote (xlwings ships one)."""
import io
import random
import struct
import zipfile

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.vba import ovba, xlsm
from toolkit.vba.ovba import compress, decompress

# [MS-OVBA] 3.2.1 - 3.2.3
NO_COMPRESSION = (b"abcdefghijklmnopqrstuv.",
                  "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E")
NORMAL = (b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
          "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 20 6D 6E 6F "
          "70 06 71 02 70 04 00 72 73 74 75 76 10 77 78 79 7A 00 2C")
# an older edition of 3.2.2 printed other (equally valid) tokens for the same string
NORMAL_OLD_EDITION = ("01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30 6D 6E 6F "
                      "70 06 71 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C")
MAXIMUM = (b"a" * 73, "01 03 B0 02 61 45 00")


@pytest.mark.parametrize("raw,hexed", [NO_COMPRESSION, NORMAL, MAXIMUM], ids=["none", "normal", "maximum"])
def test_spec_examples_compress_to_the_printed_bytes(raw, hexed):
    assert compress(raw) == bytes.fromhex(hexed)
    assert decompress(bytes.fromhex(hexed)) == raw


def test_both_editions_of_the_normal_example_decompress_alike():
    assert decompress(bytes.fromhex(NORMAL_OLD_EDITION)) == NORMAL[0]


@pytest.mark.parametrize("difference,bits,maximum", [(1, 4, 4098), (16, 4, 4098), (17, 5, 2050), (32, 5, 2050),
                                                      (33, 6, 1026), (2048, 11, 34), (2049, 12, 18), (4095, 12, 18)])
def test_copy_token_bit_split_follows_the_position_in_the_chunk(difference, bits, maximum):
    length_mask, offset_mask, bit_count, max_length = ovba._copy_token_help(difference)
    assert (bit_count, max_length) == (bits, maximum)
    assert length_mask == 0xFFFF >> bits and offset_mask == 0xFFFF ^ length_mask


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4095, 4096, 4097, 8192, 8193, 20000])
def test_round_trip_of_random_text_across_chunk_boundaries(n):
    rnd = random.Random(n)
    data = "".join(rnd.choice("Sub End If Then x = 1\r\n 校验") for _ in range(n)).encode("cp936")[:n]
    assert decompress(compress(data)) == data


def test_long_runs_use_long_copy_tokens():
    data = b"a" * 100_000
    packed = compress(data)
    assert decompress(packed) == data
    assert len(packed) < 25 * 8 + 100  # 25 chunks of a few bytes each


def test_incompressible_chunks_are_stored_raw():
    data = random.Random(1).randbytes(4096 * 2 + 100)
    packed = compress(data)
    assert decompress(packed) == data
    header = struct.unpack_from("<H", packed, 1)[0]
    assert header & 0x8000 == 0 and (header & 0x0FFF) + 3 == 4098  # raw chunk, 4096 bytes
    assert len(packed) > len(data)


def test_decompression_rejects_malformed_containers():
    with pytest.raises(ValueError):
        decompress(b"\x02\x19\xb0")
    with pytest.raises(ValueError):
        decompress(b"\x01\x19\x40abc")  # bad chunk signature


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=9000))
def test_round_trip_property(data):
    assert decompress(compress(data)) == data


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([b"a", b"ab", b"abc", b"Sub ", b"\r\n", b"\x00", b"End Sub"]), max_size=3000))
def test_round_trip_property_repetitive(parts):
    data = b"".join(parts)
    assert decompress(compress(data)) == data


def test_oletools_decompresses_what_we_compress():
    from oletools.olevba import decompress_stream

    bas, _ = xlsm.xlwings_sources()
    data = bas.encode("cp936")
    assert bytes(decompress_stream(bytearray(compress(data)))) == data


# ---------------------------------------------------------------------------------------------
# 2.4.3 data encryption: the PROJECT stream example of [MS-OVBA] 3.1.6

SPEC_ID = "{917DED54-440B-4FD1-A5C1-74ACF261E600}"


@pytest.mark.parametrize("text,data", [("0705D8E3D8EDDBF1DBF1DBF1DBF1", b"\0\0\0\0"),
                                       ("1517CAF1D6F9D7F9D706", b"\xff")])
def test_spec_example_decrypts(text, data):
    plain, key = ovba.decrypt(text)
    assert plain == data and key == sum(SPEC_ID.encode()) & 0xFF


@pytest.mark.parametrize("seed", range(0, 256, 17))
def test_encryption_round_trip(seed):
    for data in (b"\0\0\0\0", b"\0", b"\xff"):
        text = ovba.encrypt(data, SPEC_ID, seed)
        assert ovba.decrypt(text) == (data, sum(SPEC_ID.encode()) & 0xFF)
        assert text == text.upper() and len(text) == 2 * (3 + (seed & 6) // 2 + 4 + len(data))


# ---------------------------------------------------------------------------------------------
# project streams


@pytest.fixture(scope="module")
def modules():
    return xlsm.vba_modules(3)


def test_vba_project_stream_has_no_performance_cache():
    assert ovba.VBA_PROJECT_STREAM == bytes.fromhex("CC61FFFF000100")  # as [MS-OVBA] 3.1.1


def test_dir_stream_records(modules):
    info = ovba.parse_dir(ovba.dir_stream(modules, "VBAProject", 936))
    assert info["codepage"] == 936 and info["name"] == "VBAProject" and info["syskind"] == ovba.SYSKIND_WIN64 == 3
    assert info["references"] == ["stdole", "Office"]
    assert info["libids"] == {"stdole": ovba.STDOLE_LIBID, "Office": ovba.OFFICE_LIBID}
    assert info["count"] == len(modules) and info.get("terminated")
    names = [m["name"] for m in info["modules"]]
    assert names == ["ThisWorkbook", "Sheet1", "Sheet2", "Sheet3", "bdt_buttons", "xlwings", "Dictionary"]
    for m in info["modules"]:
        assert m["name_unicode"] == m["name"] == m["stream"]
        assert m["offset"] == 0 and m["cookie"] == 0xFFFF
    types = {m["name"]: m["type"] for m in info["modules"]}
    assert types["bdt_buttons"] == types["xlwings"] == 0x0021
    assert types["ThisWorkbook"] == types["Sheet1"] == types["Dictionary"] == 0x0022


def test_project_stream_text(modules):
    guid = "{01234567-89AB-CDEF-0123-456789ABCDEF}"
    text = ovba.project_stream(modules, guid, "VBAProject", 936).decode("cp936")
    lines = text.split("\r\n")
    assert lines[0] == f'ID="{guid}"'
    assert "Document=ThisWorkbook/&H00000000" in lines and "Document=Sheet3/&H00000000" in lines
    assert "Module=bdt_buttons" in lines and "Module=xlwings" in lines and "Class=Dictionary" in lines
    assert 'Name="VBAProject"' in lines and "[Host Extender Info]" in lines and "[Workspace]" in lines
    fields = {k: v.strip('"') for k, v in (l.split("=", 1) for l in lines if l.startswith(("CMG=", "DPB=", "GC=")))}
    assert ovba.decrypt(fields["CMG"])[0] == b"\0\0\0\0"  # not protected
    assert ovba.decrypt(fields["DPB"])[0] == b"\0"  # no password
    assert ovba.decrypt(fields["GC"])[0] == b"\xff"  # visible
    assert text.endswith("\r\n")


def test_projectwm_stream(modules):
    wm = ovba.projectwm_stream(modules[:2], 936)
    assert wm == b"ThisWorkbook\0" + "ThisWorkbook".encode("utf-16-le") + b"\0\0" + \
        b"Sheet1\0" + "Sheet1".encode("utf-16-le") + b"\0\0" + b"\0\0"


def test_module_names_must_match_their_source():
    with pytest.raises(ValueError):
        ovba.Module("Foo", ovba.PROCEDURAL, 'Attribute VB_Name = "Bar"\r\n')
    with pytest.raises(ValueError):
        ovba.build_project([ovba.standard_module('Attribute VB_Name = "A"\n'),
                            ovba.standard_module('Attribute VB_Name = "a"\n')], "{" + "0" * 8 + "-0000-0000-0000-" + "0" * 12 + "}")


# ---------------------------------------------------------------------------------------------
# against Excel: xlwings' quickstart_standalone.xlsm was saved by Excel


@pytest.fixture(scope="module")
def excel_project():
    with zipfile.ZipFile(xlsm.xlwings_dir() / "quickstart_standalone.xlsm") as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
    info = ovba.parse_dir(decompress(ole.openstream("VBA/dir").read()))
    offsets = {m["name"]: m["offset"] for m in info["modules"]}

    def source(name):
        return decompress(ole.openstream(f"VBA/{name}").read()[offsets[name]:]).decode(f"cp{info['codepage']}")

    return source


def test_document_modules_are_what_excel_writes(excel_project):
    assert ovba.document_module("ThisWorkbook", ovba.WORKBOOK_BASE).source == excel_project("ThisWorkbook")
    assert ovba.document_module("Sheet1", ovba.WORKSHEET_BASE).source == excel_project("Sheet1")


def test_class_module_header_is_what_excel_writes(excel_project):
    _, cls = xlsm.xlwings_sources()

    def header(text):
        return [l for l in text.split("\r\n")[:20] if l.startswith("Attribute VB_")]

    ours = ovba.class_module(cls)
    assert ours.name == "Dictionary" and header(ours.source) == header(excel_project("Dictionary"))
    # the rest of the .cls export is kept byte for byte
    body = cls.replace("\r\n", "\n").split("\n")
    first_code = next(i for i, l in enumerate(body) if i > 4 and not l.startswith("Attribute VB_"))
    assert ours.source.endswith("\r\n".join(body[first_code:]))


def _excel_saved_64bit_project():
    """The `dir` stream of xlwings' add-in (addin/xlwings.xlam), a VBA project saved by 64-bit Excel."""
    import io
    import zipfile

    import olefile

    xlam = xlsm.xlwings_dir() / "addin" / "xlwings.xlam"
    with zipfile.ZipFile(xlam) as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
    return ovba.decompress(ole.openstream("VBA/dir").read())


def _records(data: bytes, wanted: set) -> list:
    out, pos = [], 0
    while pos < len(data):
        rec_id, size = struct.unpack_from("<HI", data, pos)
        if rec_id == 0x0009:
            size = 6
        if rec_id in wanted:
            out.append(data[pos:pos + 6 + size])
        pos += 6 + size
        if rec_id == 0x000F:  # PROJECTMODULES: the references are behind us
            break
    return out


def test_syskind_and_references_are_what_64_bit_excel_writes(modules):
    """Record by record (id, size, bytes) as in a project Excel saved: SYSKIND, and the NAME +
    REFERENCEREGISTERED records of stdole and Office (a macro using an Office constant compiles)."""
    excel = _excel_saved_64bit_project()
    ours = ovba.dir_stream(modules, "VBAProject", 936)
    info = ovba.parse_dir(excel)
    assert info["syskind"] == 3 and {"stdole", "Office"} <= set(info["references"])
    ids = {0x0001, 0x0016, 0x003E, 0x000D}
    assert _records(ours, ids) == _records(excel, ids)
    assert ovba.parse_dir(ovba.dir_stream(modules, "VBAProject", 936, syskind=ovba.SYSKIND_WIN32))["syskind"] == 1
