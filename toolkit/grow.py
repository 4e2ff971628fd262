"""Blocks that grow: a filled workbook rewritten with more rows in its table blocks.

The standard template stays small (60 rows in 表2/3/5/6 and 表12: a small workbook opens, prints
and reads fast). A department that needs more rows — 2,000 项 rows, 300 projects — gets them
when it needs them: `grow` builds the template at the larger capacities (protected, the same
styles, drop-downs and buttons; the capacities recorded in _meta so every reader lays it out
the same way) and copies every cell the clerk typed, as typed (the raw value, not the
normalised one), to the same row and column of the new layout. Nothing is dropped silently:
a workbook with content the copy cannot carry (data outside the template's cells, sheets of
the clerk's own) is refused with a message naming them.
"""
from __future__ import annotations

from pathlib import Path

from .errors import UserError
from .layout import META_SHEET, layout
from .schema import MAX_CAPACITY, FormSpec, SchemaError


class GrowError(UserError):
    """The workbook cannot be grown as asked; the message (Chinese) says why and names the cells."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NothingToGrow(GrowError):
    """Every table block still has room (and no sizes were asked for)."""


def roomier(n_used: int, capacity: int) -> int:
    """The capacity a block grows to when it is (nearly) full: twice the old one, at least a quarter
    above the rows in use, in steps of 50 (the same steps as `bdt import`)."""
    want = max(2 * capacity, -(-(n_used * 5 // 4) // 50) * 50)
    return min(MAX_CAPACITY, want)


def full_blocks(d, spare: float = 0.1) -> dict:
    """{"t3.items": new capacity} for every table block whose rows in use leave less than `spare`
    of its capacity free (at least 3 rows)."""
    out = {}
    for spec in d.schema.tables:
        if not d.present(spec.key):
            continue
        for b in spec.blocks:
            used = d.rows(spec.key, b.key)
            last = max((r.index for r in used), default=0)
            if b.capacity - last < max(3, b.capacity * spare):
                out[f"{spec.key}.{b.key}"] = roomier(last, b.capacity)
    return out


class Growth(dict):
    """{"t3.items": new capacity} of a grow, with `lines`: what grew, as the clerk reads it."""

    lines: list


def growth_lines(schema, wanted: dict) -> list[str]:
    """The blocks grown, as the clerk reads them: 「表3 支出总表」明细行 60 → 120 行."""
    out = []
    for key, n in sorted(wanted.items()):
        t, b = key.split(".")
        spec = schema.sheet(t)
        out.append(f"「{spec.sheet}」明细行 {spec.block(b).capacity} → {n} 行")
    return out


def grown_name(path) -> Path:
    """Where a grown copy goes by default: beside the workbook, 单位.grown.xlsm — or, when that file
    exists (an earlier grown copy the clerk may have typed in since), 单位.grown-2.xlsm, -3 …: a
    default name never overwrites a file."""
    path = Path(path)
    out = path.with_name(f"{path.stem}.grown{path.suffix}")
    k = 2
    while out.exists():
        out = path.with_name(f"{path.stem}.grown-{k}{path.suffix}")
        k += 1
    return out


def grow(path, out=None, capacities=None, schema=None, disclosure=None) -> tuple[Path, dict]:
    """Write `path` with larger table blocks to `out` (default: beside it, ".grown" before the
    suffix). `capacities`: "t3=2000,t12=300" or {"t3.items": 2000}; None: the blocks that are
    (nearly) full, doubled (`full_blocks`). `disclosure`: the workbook at `path` already read (not
    read again). Returns (out, {block: new capacity})."""
    from .datafile import _put
    from .io.reader import OUTSIDE_RULE, SHEET_RULE, read_workbook
    from .schema import parse_capacities
    from .template import build_workbook, save_deterministic, write_normalized_zip

    path = Path(path)
    d = disclosure if disclosure is not None else read_workbook(path, schema)
    try:
        wanted = parse_capacities(capacities, d.schema) if capacities else full_blocks(d)
    except SchemaError as exc:
        raise GrowError(f"行数设置无效：{exc}") from None
    if not wanted:
        raise NothingToGrow(f"「{path.name}」各表的明细行都还有空余，无需扩充。如需指定行数，请写明，如 t3=2000。")
    for key, n in wanted.items():
        t, b = key.split(".")
        last = max((r.index for r in d.rows(t, b)), default=0) if d.present(t) else 0
        if n < last:
            spec = d.schema.sheet(t)
            raise GrowError(f"「{spec.sheet}」已填到第 {last} 行明细，不能把行数改为 {n} 行（会丢失数据）。")
    lost = [f for f in d.findings if f.rule in (OUTSIDE_RULE, SHEET_RULE)]
    if lost:
        where = "、".join(f"「{f.sheet}」{f.cell or ''}" for f in lost[:6]) + ("等" if len(lost) > 6 else "")
        raise GrowError(f"{where} 有模板之外的内容（其他工作表或表格区域外的格），扩充时无法带过去。"
                        "请先把这些内容移到表内或另存，再扩充行数。")
    new = d.schema.with_capacities(wanted)
    wb = build_workbook(new, projects=max(1, len(d.projects)))
    for inst, data in d.entries.items():
        base, _, k = inst.partition("#")
        spec = new.sheet(base)
        ws = wb[spec.sheet_name(int(k)) if isinstance(spec, FormSpec) and spec.repeat else spec.sheet]
        lay = layout(spec)
        for (row, col), e in data.items():
            if e.raw is None or e.raw == "":
                continue
            p = lay.find(row, col)
            _put(ws, p.row, p.col, e.raw)
    meta = wb[META_SHEET]
    written = {str(r[0].value) for r in meta.iter_rows(max_col=1) if r[0].value is not None}
    for key, value in d.meta.items():  # narrative fingerprints and other records of the toolkit's
        if key != "_rows" and key not in written:
            meta.append([key, value])
    out = Path(out) if out is not None else grown_name(path)
    if out.suffix.lower() == ".xlsm":
        from .vba.xlsm import build_xlsm_bytes

        write_normalized_zip(build_xlsm_bytes(new, workbook=wb), out)
    else:
        save_deterministic(wb, out)
    done = Growth(wanted)
    done.lines = growth_lines(d.schema, wanted)
    return out, done
