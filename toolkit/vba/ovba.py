"""[MS-OVBA]: the VBA project of an Office file, written from module source text.

Three layers, each following the specification section it names:

* compression (2.4.1): the CompressedContainer that every source stream and the `dir` stream
  use — chunks of at most 4096 decompressed bytes, each a sequence of flag bytes followed by
  literal bytes and CopyTokens whose offset/length bit split depends on the position in the chunk;
* data encryption (2.4.3): the obfuscation of the CMG, DPB and GC values of the PROJECT stream,
  here only ever used to say "not protected, no password, visible";
* the project streams (2.3): `PROJECT`, `PROJECTwm`, `VBA/_VBA_PROJECT` (version 0xFFFF and no
  performance cache, as the specification requires of writers, so Office compiles the project
  from source), `VBA/dir`, and one compressed source stream per module.

`build_project(modules, ...)` returns {stream path: bytes}, ready for `cfb.write_compound_file`.
Everything is deterministic: the same input gives the same bytes.
"""
from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# 2.4.1 Compression and decompression

CHUNK_SIZE = 4096


def _copy_token_help(difference: int) -> tuple[int, int, int, int]:
    """CopyToken Help (2.4.1.3.19.1): (length_mask, offset_mask, bit_count, maximum_length)."""
    bit_count = max((difference - 1).bit_length(), 4)  # ceil(log2(difference)), at least 4
    length_mask = 0xFFFF >> bit_count
    offset_mask = ~length_mask & 0xFFFF
    maximum_length = (0xFFFF >> bit_count) + 3
    return length_mask, offset_mask, bit_count, maximum_length


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """Compressing a DecompressedChunk (2.4.1.3.7) for data[start:end]; returns header + data.

    The matching follows 2.4.1.3.19.4 exactly: of all earlier positions in the chunk the one with
    the longest match wins, the nearest on a tie; the match may overlap the current position and
    is only limited by the end of the chunk, and then cut to the token's maximum length. Candidates
    are found through a table of the positions where each 3-byte prefix occurs (a match shorter than
    3 is never used), which gives the same result as the specification's exhaustive search.
    """
    out = bytearray()
    table: dict[bytes, list[int]] = {}
    indexed = start  # positions < indexed are in the table
    cur = start
    while cur < end:
        flag_pos = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if cur >= end:
                break
            while indexed < cur:
                table.setdefault(data[indexed:indexed + 3], []).append(indexed)
                indexed += 1
            best_len, best_cand = 0, 0
            if end - cur >= 3:
                limit = end - cur
                for cand in reversed(table.get(data[cur:cur + 3], ())):
                    n = 3
                    while n < limit and data[cand + n] == data[cur + n]:
                        n += 1
                    if n > best_len:
                        best_len, best_cand = n, cand
                        if n == limit:
                            break
            if best_len >= 3:
                _, _, bit_count, maximum_length = _copy_token_help(cur - start)
                length = min(best_len, maximum_length)
                offset = cur - best_cand
                token = ((offset - 1) << (16 - bit_count)) | (length - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                cur += length
            else:
                out.append(data[cur])
                cur += 1
        out[flag_pos] = flags
    if len(out) > CHUNK_SIZE:
        # Compressing a RawChunk (2.4.1.3.10): 4096 bytes stored as they are, padded if short
        raw = data[start:end] + b"\x00" * (CHUNK_SIZE - (end - start))
        return struct.pack("<H", (CHUNK_SIZE - 1) | 0x3000) + raw
    header = (len(out) + 2 - 3) | 0x3000 | 0x8000  # size-3, signature 0b011, flag 1 (compressed)
    return struct.pack("<H", header) + bytes(out)


def compress(data: bytes) -> bytes:
    """Compress `data` into a CompressedContainer (2.4.1.3.6)."""
    data = bytes(data)
    out = bytearray(b"\x01")  # SignatureByte
    for start in range(0, len(data), CHUNK_SIZE):
        out += _compress_chunk(data, start, min(start + CHUNK_SIZE, len(data)))
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """Decompress a CompressedContainer (2.4.1.3.1); raises ValueError on malformed input."""
    container = bytes(container)
    if not container or container[0] != 0x01:
        raise ValueError("CompressedContainer: signature byte is not 0x01")
    out = bytearray()
    pos = 1
    while pos < len(container):
        if pos + 2 > len(container):
            raise ValueError("CompressedContainer: truncated chunk header")
        header = struct.unpack_from("<H", container, pos)[0]
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0x7 != 0b011:
            raise ValueError(f"CompressedChunk at {pos}: bad signature")
        compressed = bool(header & 0x8000)
        chunk_end = min(pos + size, len(container))
        pos += 2
        chunk_start = len(out)
        if not compressed:
            if size != 4098:
                raise ValueError(f"raw CompressedChunk at {pos - 2}: size {size} is not 4098")
            out += container[pos:pos + CHUNK_SIZE]
            pos += CHUNK_SIZE
            continue
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(container[pos])
                    pos += 1
                    continue
                if pos + 2 > chunk_end:
                    raise ValueError("CopyToken runs past the end of its chunk")
                token = struct.unpack_from("<H", container, pos)[0]
                pos += 2
                length_mask, offset_mask, bit_count, _ = _copy_token_help(len(out) - chunk_start)
                length = (token & length_mask) + 3
                offset = ((token & offset_mask) >> (16 - bit_count)) + 1
                src = len(out) - offset
                if src < chunk_start:
                    raise ValueError("CopyToken refers to before its chunk")
                for i in range(length):  # byte by byte: a copy may overlap its own output
                    out.append(out[src + i])
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# 2.4.3 Data encryption (CMG, DPB, GC in the PROJECT stream)


def encrypt(data: bytes, project_id: str, seed: int, ignored: bytes = b"\x00\x00\x00") -> str:
    """Data Encryption (2.4.3.2); returns the upper-case hex text written in the PROJECT stream.

    `project_id` is the ID value with braces ("{...}"); its bytes summed give the project key.
    `seed` would be random in Office; it is a parameter here so output stays deterministic.
    """
    seed &= 0xFF
    version = 2
    project_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ project_key])
    unencrypted_1 = project_key
    encrypted_1 = seed ^ project_key
    encrypted_2 = seed ^ version

    def put(byte: int) -> None:
        nonlocal unencrypted_1, encrypted_1, encrypted_2
        enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte

    for i in range((seed & 6) // 2):
        put(ignored[i])
    for b in struct.pack("<I", len(data)):
        put(b)
    for b in data:
        put(b)
    return out.hex().upper()


def decrypt(text: str) -> tuple[bytes, int]:
    """Data Decryption (2.4.3.3); returns (data, project_key)."""
    enc = bytes.fromhex(text)
    seed, version_enc, project_key_enc = enc[0], enc[1], enc[2]
    if seed ^ version_enc != 2:
        raise ValueError("encrypted data: version is not 2")
    project_key = seed ^ project_key_enc
    unencrypted_1, encrypted_1, encrypted_2 = project_key, project_key_enc, version_enc
    plain = bytearray()
    for byte_enc in enc[3:]:
        byte = byte_enc ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, byte_enc, byte
    ignored = (seed & 6) // 2
    length = struct.unpack_from("<I", plain, ignored)[0]
    data = bytes(plain[ignored + 4:])
    if len(data) != length:
        raise ValueError("encrypted data: length does not match")
    return data, project_key


# ---------------------------------------------------------------------------------------------
# Modules and source text

PROCEDURAL = "procedural"  # a standard module (.bas), MODULETYPE 0x0021, "Module=" in PROJECT
CLASS = "class"  # a class module (.cls), MODULETYPE 0x0022, "Class=" in PROJECT
DOCUMENT = "document"  # ThisWorkbook / a worksheet, MODULETYPE 0x0022, "Document=..." in PROJECT

WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"  # Excel's Workbook object
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"  # Excel's Worksheet object
CLASS_BASE = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"  # a VBA class module


@dataclass(frozen=True)
class Module:
    """One VBA module: its name and its source text as the module stream stores it.

    `source` starts with the `Attribute VB_Name = "..."` line (and, for class and document modules,
    the other header attributes), uses CRLF line ends, and is encoded with the project code page.
    """

    name: str
    kind: str
    source: str

    def __post_init__(self):
        if self.kind not in (PROCEDURAL, CLASS, DOCUMENT):
            raise ValueError(f"module {self.name}: unknown kind {self.kind!r}")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,30}", self.name):
            raise ValueError(f"module name {self.name!r} is not a VBA identifier of at most 31 characters")
        first = self.source.split("\r\n", 1)[0]
        if first != f'Attribute VB_Name = "{self.name}"':
            raise ValueError(f'module {self.name}: source must begin with Attribute VB_Name = "{self.name}"')


def crlf(text: str) -> str:
    """Line ends as VBA stores them: CRLF everywhere, whatever the file had."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


_VB_NAME = re.compile(r'^Attribute VB_Name = "([^"]+)"', re.M)


def module_name(source: str) -> str:
    m = _VB_NAME.search(source)
    if not m:
        raise ValueError('module source has no Attribute VB_Name = "..." line')
    return m.group(1)


def standard_module(text: str) -> Module:
    """A .bas file as the VBA editor exports it: the stream holds exactly this text (CRLF)."""
    text = crlf(text)
    return Module(module_name(text), PROCEDURAL, text)


def class_module(text: str) -> Module:
    """A .cls file as the VBA editor exports it, turned into the text the module stream holds.

    The export starts with `VERSION 1.0 CLASS` / `BEGIN` ... `END`, which the stream does not
    have; the stream instead carries VB_Base, VB_TemplateDerived and VB_Customizable, in the order
    Excel writes them. Everything after the header attributes is kept byte for byte.
    """
    lines = crlf(text).split("\r\n")
    i = 0
    if lines and lines[0].startswith("VERSION "):
        i = 1
        if i < len(lines) and lines[i].strip() == "BEGIN":
            while i < len(lines) and lines[i].strip() != "END":
                i += 1
            i += 1
    header: dict[str, str] = {}
    order: list[str] = []
    while i < len(lines) and lines[i].startswith("Attribute VB_"):
        key, _, value = lines[i][len("Attribute "):].partition(" = ")
        header[key] = value
        order.append(key)
        i += 1
    name = header.get("VB_Name", "").strip('"')
    attrs = [
        ("VB_Name", f'"{name}"'),
        ("VB_Base", f'"{CLASS_BASE}"'),
        ("VB_GlobalNameSpace", header.get("VB_GlobalNameSpace", "False")),
        ("VB_Creatable", header.get("VB_Creatable", "False")),
        ("VB_PredeclaredId", header.get("VB_PredeclaredId", "False")),
        ("VB_Exposed", header.get("VB_Exposed", "False")),
        ("VB_TemplateDerived", "False"),
        ("VB_Customizable", "False"),
    ]
    known = {k for k, _ in attrs}
    attrs += [(k, header[k]) for k in order if k not in known]
    body = "\r\n".join(lines[i:])
    source = "".join(f"Attribute {k} = {v}\r\n" for k, v in attrs) + body
    return Module(name, CLASS, source)


def document_module(name: str, base: str) -> Module:
    """An empty document module (ThisWorkbook or a worksheet), with the attributes Excel writes."""
    attrs = [
        ("VB_Name", f'"{name}"'),
        ("VB_Base", f'"{base}"'),
        ("VB_GlobalNameSpace", "False"),
        ("VB_Creatable", "False"),
        ("VB_PredeclaredId", "True"),
        ("VB_Exposed", "True"),
        ("VB_TemplateDerived", "False"),
        ("VB_Customizable", "True"),
    ]
    return Module(name, DOCUMENT, "".join(f"Attribute {k} = {v}\r\n" for k, v in attrs))


# ---------------------------------------------------------------------------------------------
# 2.3.4.2 dir stream

# What Excel itself writes for a project saved by 64-bit Office 2016+ (Microsoft 365): SYSKIND
# 0x00000003 (64-bit Windows, [MS-OVBA] 2.3.4.2.1.1) and two registered references, OLE Automation
# (stdole) and the Office object library, with these exact Libids ([MS-OVBA] 2.1.1.8: the GUID,
# version and LCID identify the type library; the path is where Excel found it). Taken from the
# VBA project of xlwings' own add-in `addin/xlwings.xlam`, saved by 64-bit Excel
# (tests/test_vba_ovba.py compares them record by record). The Office reference lets a macro use
# the Office library (msoFileDialog..., CommandBars, FileDialog constants) and compile; Office of
# any bitness rebuilds the compiled state from source (no performance cache), so a 32-bit Office
# opens the project as well.
SYSKIND_WIN32, SYSKIND_MAC, SYSKIND_WIN64 = 0x00000001, 0x00000002, 0x00000003
STDOLE_LIBID = "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb#OLE Automation"
OFFICE_LIBID = ("*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\\Program Files\\Common Files\\Microsoft Shared"
                "\\OFFICE16\\MSO.DLL#Microsoft Office 16.0 Object Library")
REFERENCES = (("stdole", STDOLE_LIBID), ("Office", OFFICE_LIBID))


def _rec(rec_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", rec_id, len(payload)) + payload


def _rec_pair(rec_id: int, mbcs: bytes, reserved: int, unicode: bytes) -> bytes:
    """A record with an MBCS value followed by a Reserved id and the UTF-16 value (e.g. 0x0005/0x0040)."""
    return _rec(rec_id, mbcs) + _rec(reserved, unicode)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def dir_stream(modules: list[Module], project_name: str, codepage: int,
               references: tuple[tuple[str, str], ...] = REFERENCES, syskind: int = SYSKIND_WIN64) -> bytes:
    """The decompressed `dir` stream: PROJECTINFORMATION, PROJECTREFERENCES, PROJECTMODULES."""
    enc = f"cp{codepage}"
    out = bytearray()
    out += _rec(0x0001, struct.pack("<I", syskind))  # PROJECTSYSKIND
    out += _rec(0x0002, struct.pack("<I", 0x0409))  # PROJECTLCID
    out += _rec(0x0014, struct.pack("<I", 0x0409))  # PROJECTLCIDINVOKE
    out += _rec(0x0003, struct.pack("<H", codepage))  # PROJECTCODEPAGE
    out += _rec(0x0004, project_name.encode(enc))  # PROJECTNAME
    out += _rec_pair(0x0005, b"", 0x0040, b"")  # PROJECTDOCSTRING
    out += _rec_pair(0x0006, b"", 0x003D, b"")  # PROJECTHELPFILEPATH
    out += _rec(0x0007, struct.pack("<I", 0))  # PROJECTHELPCONTEXT
    out += _rec(0x0008, struct.pack("<I", 0))  # PROJECTLIBFLAGS
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: Reserved 4, major 1, minor 0
    out += _rec_pair(0x000C, b"", 0x003C, b"")  # PROJECTCONSTANTS
    for name, libid in references:
        out += _rec_pair(0x0016, name.encode(enc), 0x003E, _utf16(name))  # REFERENCENAME
        lib = libid.encode(enc)
        # REFERENCEREGISTERED: SizeOfLibid, Libid, Reserved1 (4 bytes 0), Reserved2 (2 bytes 0)
        out += _rec(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    out += _rec(0x000F, struct.pack("<H", len(modules)))  # PROJECTMODULES
    out += _rec(0x0013, struct.pack("<H", 0xFFFF))  # PROJECTCOOKIE
    for m in modules:
        name = m.name.encode(enc)
        out += _rec(0x0019, name)  # MODULENAME
        out += _rec(0x0047, _utf16(m.name))  # MODULENAMEUNICODE
        out += _rec_pair(0x001A, name, 0x0032, _utf16(m.name))  # MODULESTREAMNAME (+ unicode)
        out += _rec_pair(0x001C, b"", 0x0048, b"")  # MODULEDOCSTRING
        out += _rec(0x0031, struct.pack("<I", 0))  # MODULEOFFSET: source at the start, no cache
        out += _rec(0x001E, struct.pack("<I", 0))  # MODULEHELPCONTEXT
        out += _rec(0x002C, struct.pack("<H", 0xFFFF))  # MODULECOOKIE
        out += struct.pack("<HI", 0x0021 if m.kind == PROCEDURAL else 0x0022, 0)  # MODULETYPE
        out += struct.pack("<HI", 0x002B, 0)  # module Terminator
    out += struct.pack("<HI", 0x0010, 0)  # dir Terminator
    return bytes(out)


def parse_dir(data: bytes) -> dict:
    """A small reader of a decompressed `dir` stream, for tests: codepage, name, module records."""
    pos = 0
    info: dict = {"modules": [], "references": []}
    module: dict | None = None
    while pos < len(data):
        rec_id, size = struct.unpack_from("<HI", data, pos)
        if rec_id == 0x0009:  # PROJECTVERSION: the size field is Reserved (4); 6 bytes follow
            size = 6
        payload = data[pos + 6:pos + 6 + size]
        pos += 6 + size
        if rec_id == 0x0003:
            info["codepage"] = struct.unpack("<H", payload)[0]
        elif rec_id == 0x0001:
            info["syskind"] = struct.unpack("<I", payload)[0]
        elif rec_id == 0x0004:
            info["name"] = payload.decode(f"cp{info['codepage']}")
        elif rec_id == 0x0016:
            info["references"].append(payload.decode(f"cp{info['codepage']}"))
        elif rec_id == 0x000D:  # REFERENCEREGISTERED: SizeOfLibid, Libid, 6 reserved bytes
            n = struct.unpack_from("<I", payload)[0]
            info.setdefault("libids", {})[info["references"][-1]] = payload[4:4 + n].decode(f"cp{info['codepage']}")
        elif rec_id == 0x000F:
            info["count"] = struct.unpack("<H", payload)[0]
        elif rec_id == 0x0019:
            module = {"name": payload.decode(f"cp{info['codepage']}")}
            info["modules"].append(module)
        elif rec_id == 0x0047 and module is not None:
            module["name_unicode"] = payload.decode("utf-16-le")
        elif rec_id == 0x001A and module is not None:
            module["stream"] = payload.decode(f"cp{info['codepage']}")
        elif rec_id == 0x0031 and module is not None:
            module["offset"] = struct.unpack("<I", payload)[0]
        elif rec_id == 0x002C and module is not None:
            module["cookie"] = struct.unpack("<H", payload)[0]
        elif rec_id in (0x0021, 0x0022) and module is not None:
            module["type"] = rec_id
        elif rec_id == 0x0010:
            info["terminated"] = True
            break
    return info


# ---------------------------------------------------------------------------------------------
# 2.3.1 PROJECT stream, 2.3.3 PROJECTwm stream, 2.3.4.1 _VBA_PROJECT stream

HOST_EXTENDER = "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000"


def project_stream(modules: list[Module], project_id: str, project_name: str, codepage: int) -> bytes:
    seed = hashlib.sha256(project_id.encode()).digest()[0]
    not_protected, no_password, visible = b"\x00\x00\x00\x00", b"\x00", b"\xff"
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.kind == DOCUMENT:
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == CLASS:
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(not_protected, project_id, seed)}"',  # ProjectProtectionState: not protected
        f'DPB="{encrypt(no_password, project_id, seed)}"',  # ProjectPassword: none
        f'GC="{encrypt(visible, project_id, seed)}"',  # ProjectVisibilityState: visible
        "",
        "[Host Extender Info]",
        HOST_EXTENDER,
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(f"cp{codepage}")


def projectwm_stream(modules: list[Module], codepage: int) -> bytes:
    out = bytearray()
    for m in modules:
        out += m.name.encode(f"cp{codepage}") + b"\x00" + _utf16(m.name) + b"\x00\x00"
    return bytes(out + b"\x00\x00")


VBA_PROJECT_STREAM = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001)  # as in [MS-OVBA] 3.1.1


def build_project(modules: list[Module], project_id: str, project_name: str = "VBAProject",
                  codepage: int = 936) -> dict[str, bytes]:
    """All streams of a VBA project storage, keyed by path ("PROJECT", "VBA/dir", ...)."""
    names = [m.name.lower() for m in modules]
    if len(set(names)) != len(names):
        raise ValueError("module names must be unique (VBA compares them case-insensitively)")
    if not re.fullmatch(r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}", project_id):
        raise ValueError(f"project id {project_id!r} is not an upper-case {{GUID}}")
    enc = f"cp{codepage}"
    streams = {
        "PROJECT": project_stream(modules, project_id, project_name, codepage),
        "PROJECTwm": projectwm_stream(modules, codepage),
        "VBA/_VBA_PROJECT": VBA_PROJECT_STREAM,
        "VBA/dir": compress(dir_stream(modules, project_name, codepage)),
    }
    for m in modules:
        streams[f"VBA/{m.name}"] = compress(m.source.encode(enc))
    return streams
