"""A minimal [MS-CFB] compound file writer (version 3, 512-byte sectors), and a tiny reader.

Enough for a VBA project (`vbaProject.bin`): storages and streams, nothing else. The layout is

    header | FAT sectors | directory sectors | MiniFAT sectors | mini stream | regular streams

Streams shorter than the mini stream cutoff (4096 bytes) live in the mini stream (64-byte
sectors, chained by the MiniFAT, itself stored in the root entry's stream); longer ones get whole
sectors. The FAT sectors are listed in the header's DIFAT (109 entries, so files up to about 7 MB,
far beyond any VBA project). The children of each storage form a red-black tree ordered by the
[MS-CFB] 2.6.4 rule (shorter name first, then code point by code point after upper-casing); the
tree is balanced, its deepest level coloured red when that level is not full, everything else
black. All times and CLSIDs are zero so equal input gives equal bytes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
DIFAT_IN_HEADER = 109

MAXREGSECT = 0xFFFFFFFA
DIFSECT = 0xFFFFFFFC
FATSECT = 0xFFFFFFFD
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
NOSTREAM = 0xFFFFFFFF

SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")

UNALLOCATED, STORAGE, STREAM, ROOT = 0, 1, 2, 5
RED, BLACK = 0, 1


def name_key(name: str) -> tuple[int, tuple[int, ...]]:
    """The [MS-CFB] 2.6.4 order: by length in UTF-16 code units, then by upper-cased code units."""
    units = struct.unpack(f"<{len(name.encode('utf-16-le')) // 2}H", name.encode("utf-16-le"))
    return len(units), tuple(ord(chr(u).upper()) if len(chr(u).upper()) == 1 else u for u in units)


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list["_Entry"] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _tree(entries: list[_Entry]) -> int:
    """Link `entries` (one storage's children) into a balanced red-black tree; returns the root's sid."""
    ordered = sorted(entries, key=lambda e: name_key(e.name))
    keys = [name_key(e.name) for e in ordered]
    if len(set(keys)) != len(keys):
        raise ValueError("two entries of one storage have the same name (names compare case-insensitively)")
    depth_of: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        e = ordered[mid]
        depth_of[id(e)] = depth
        e.left = build(lo, mid, depth + 1)
        e.right = build(mid + 1, hi, depth + 1)
        return e.sid

    root = build(0, len(ordered), 0)
    if ordered:
        deepest = max(depth_of.values())
        full = len(ordered) == 2 ** (deepest + 1) - 1
        for e in ordered:
            e.color = RED if (not full and depth_of[id(e)] == deepest) else BLACK
    return root


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def write_compound_file(streams: dict[str, bytes]) -> bytes:
    """Write a compound file holding `streams`, keyed by '/'-separated paths ("VBA/dir").

    Storages are created for every directory part of a path.
    """
    root = _Entry("Root Entry", ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            found = next((c for c in node.children if c.name == part), None)
            if found is None:
                found = _Entry(part, STORAGE)
                node.children.append(found)
            elif found.kind != STORAGE:
                raise ValueError(f"{path}: {part} is a stream, not a storage")
            node = found
        if any(c.name == parts[-1] for c in node.children):
            raise ValueError(f"{path}: written twice")
        if len(parts[-1]) > 31 or not parts[-1] or any(ch in parts[-1] for ch in "/\\:!"):
            raise ValueError(f"{path}: not a valid compound file entry name")
        node.children.append(_Entry(parts[-1], STREAM, bytes(data)))

    # directory order: breadth first, each storage's children in name order
    entries: list[_Entry] = []
    queue = [root]
    while queue:
        e = queue.pop(0)
        e.sid = len(entries)
        entries.append(e)
        queue.extend(sorted(e.children, key=lambda c: name_key(c.name)))
    for e in entries:
        if e.kind in (ROOT, STORAGE):
            e.child = _tree(e.children)
    root.color = BLACK

    # mini stream: small streams, 64-byte sectors
    mini = bytearray()
    minifat: list[int] = []
    for e in entries:
        if e.kind == STREAM and len(e.data) < MINI_CUTOFF:
            e.size = len(e.data)
            if not e.data:
                e.start = ENDOFCHAIN
                continue
            n = -(-len(e.data) // MINI_SECTOR)
            e.start = len(minifat)
            minifat.extend([0] * n)
            _chain(minifat, e.start, n)
            mini += e.data + b"\x00" * (n * MINI_SECTOR - len(e.data))
    big = [e for e in entries if e.kind == STREAM and len(e.data) >= MINI_CUTOFF]

    n_dir = -(-len(entries) // (SECTOR // 128))
    n_minifat = -(-len(minifat) * 4 // SECTOR)
    n_mini = -(-len(mini) // SECTOR)
    n_big = sum(-(-len(e.data) // SECTOR) for e in big)
    n_fat = 1
    while True:
        total = n_fat + n_dir + n_minifat + n_mini + n_big
        if n_fat * (SECTOR // 4) >= total:
            break
        n_fat += 1
    if n_fat > DIFAT_IN_HEADER:
        raise ValueError("compound file too large for a header-only DIFAT")

    fat = [FREESECT] * (n_fat * (SECTOR // 4))
    sector = 0
    for i in range(n_fat):
        fat[sector + i] = FATSECT
    sector += n_fat
    dir_start = sector
    _chain(fat, dir_start, n_dir)
    sector += n_dir
    minifat_start = sector if n_minifat else ENDOFCHAIN
    if n_minifat:
        _chain(fat, sector, n_minifat)
    sector += n_minifat
    if n_mini:
        root.start, root.size = sector, len(mini)
        _chain(fat, sector, n_mini)
    else:
        root.start, root.size = ENDOFCHAIN, 0
    sector += n_mini
    for e in big:
        n = -(-len(e.data) // SECTOR)
        e.start, e.size = sector, len(e.data)
        _chain(fat, sector, n)
        sector += n

    header = bytearray()
    header += SIGNATURE + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)  # minor, major 3, byte order, shifts
    header += b"\x00" * 6
    header += struct.pack("<III", 0, n_fat, dir_start)  # directory sectors (0 in v3), FAT sectors, first dir
    header += struct.pack("<III", 0, MINI_CUTOFF, minifat_start)  # transaction signature, cutoff, MiniFAT
    header += struct.pack("<III", n_minifat, ENDOFCHAIN, 0)  # MiniFAT sectors, first DIFAT sector, DIFAT count
    difat = list(range(n_fat)) + [FREESECT] * (DIFAT_IN_HEADER - n_fat)
    header += struct.pack(f"<{DIFAT_IN_HEADER}I", *difat)
    assert len(header) == SECTOR

    directory = bytearray()
    for e in entries:
        name = e.name.encode("utf-16-le") + b"\x00\x00"
        directory += name + b"\x00" * (64 - len(name))
        directory += struct.pack("<HBB", len(name), e.kind, e.color)
        directory += struct.pack("<III", e.left, e.right, e.child)
        directory += b"\x00" * 16 + struct.pack("<I", 0) + b"\x00" * 16  # CLSID, state bits, times
        directory += struct.pack("<IQ", e.start if e.kind != STORAGE else 0, e.size if e.kind != STORAGE else 0)
    unused = b"\x00" * 64 + struct.pack("<HBB", 0, UNALLOCATED, RED) + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)
    unused += b"\x00" * (128 - len(unused))
    while len(directory) < n_dir * SECTOR:
        directory += unused

    out = bytearray(header)
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += directory
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat)
    out += minifat_bytes + struct.pack("<I", FREESECT) * ((n_minifat * SECTOR - len(minifat_bytes)) // 4)
    out += mini + b"\x00" * (n_mini * SECTOR - len(mini))
    for e in big:
        out += e.data + b"\x00" * (-len(e.data) % SECTOR)
    assert len(out) == SECTOR * (1 + sector)
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# A tiny reader, enough to check what the writer wrote (tests also use olefile)


def read_compound_file(data: bytes) -> dict[str, bytes]:
    """Every stream of a version 3 compound file, keyed by '/'-separated path."""
    if data[:8] != SIGNATURE:
        raise ValueError("not a compound file")
    major, _, sector_shift, mini_shift = struct.unpack_from("<HHHH", data, 26)
    if major != 3 or sector_shift != 9 or mini_shift != 6:
        raise ValueError("only version 3 compound files with 512-byte sectors are read here")
    n_fat, dir_start = struct.unpack_from("<II", data, 44)
    cutoff, minifat_start, n_minifat = struct.unpack_from("<III", data, 56)
    difat = struct.unpack_from(f"<{DIFAT_IN_HEADER}I", data, 76)[:n_fat]

    def sector(i: int) -> bytes:
        return data[SECTOR * (i + 1):SECTOR * (i + 2)]

    fat: list[int] = []
    for s in difat:
        fat += struct.unpack(f"<{SECTOR // 4}I", sector(s))

    def chain(start: int) -> bytes:
        out, seen = bytearray(), set()
        while start not in (ENDOFCHAIN, FREESECT):
            if start in seen or start > MAXREGSECT:
                raise ValueError("broken FAT chain")
            seen.add(start)
            out += sector(start)
            start = fat[start]
        return bytes(out)

    directory = chain(dir_start)
    raw = [directory[i:i + 128] for i in range(0, len(directory), 128)]
    entries = []
    for r in raw:
        nlen, kind, _color, left, right, child = struct.unpack_from("<HBBIII", r, 64)
        start, size = struct.unpack_from("<IQ", r, 116)
        name = r[:max(nlen - 2, 0)].decode("utf-16-le")
        entries.append((name, kind, left, right, child, start, size))
    root = entries[0]
    ministream = chain(root[5]) if root[5] != ENDOFCHAIN else b""
    minifat_raw = chain(minifat_start) if n_minifat else b""
    minifat = list(struct.unpack(f"<{len(minifat_raw) // 4}I", minifat_raw))

    def mini_chain(start: int) -> bytes:
        out = bytearray()
        while start not in (ENDOFCHAIN, FREESECT):
            out += ministream[start * MINI_SECTOR:(start + 1) * MINI_SECTOR]
            start = minifat[start]
        return bytes(out)

    streams: dict[str, bytes] = {}

    def walk(sid: int, prefix: str) -> None:
        if sid == NOSTREAM:
            return
        name, kind, left, right, child, start, size = entries[sid]
        walk(left, prefix)
        path = prefix + name
        if kind == STREAM:
            body = mini_chain(start) if size < cutoff else chain(start)
            streams[path] = body[:size]
        elif kind == STORAGE:
            walk(child, path + "/")
        walk(right, prefix)

    walk(root[4], "")
    return streams
