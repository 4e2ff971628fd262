"""Fill every derived cell from the inputs, never touching what the clerk typed.

`compute(d)` evaluates every derivation of the schema in dependency order (项 → 款 → 类 → 合计,
then the tables that repeat figures, then forms and the narrative) from the *input* cells.
`fill(path)` writes the cells whose value changes, patching only those cells of the file
(see toolkit.io.writer), and records a fingerprint of each generated paragraph in `_meta`, so
that a paragraph the clerk later rewrites is recognised, kept and checked instead of overwritten.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .derive import EMPTY_NOTE, ZERO, Evaluator, derived_cells
from .io.reader import read_workbook
from .io.writer import write_cells
from .layout import META_SHEET
from .model import paused_gc
from .narrative import generate
from .schema import DERIVED, FormSpec

CENT = Decimal("0.01")
NAME_FUNCTIONS = ("function_name(", "economic_name(")


class CycleError(ValueError):
    pass


def fingerprint(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _meta_fingerprints(d) -> dict:
    """{paragraph key: fingerprint} recorded by the last fill (read with the _meta sheet)."""
    return {k[len("narrative:"):]: v for k, v in d.meta.items() if k.startswith("narrative:")}


@dataclass
class Plan:
    """What a fill would change: {(instance, row, col): new value}, and the kept paragraphs."""

    values: dict  # every derived cell's computed value
    changes: dict  # only those that differ from the file
    kept: list  # narrative paragraphs kept because the clerk edited them
    fingerprints: dict  # paragraph key -> fingerprint of the generated text written
    names_kept: list = field(default_factory=list)  # 科目名称 the clerk typed that differ from the code's name
    names_expected: dict = field(default_factory=dict)  # key of names_kept -> NameKept (where, typed, expected)
    prior: object = None  # toolkit.prior.PriorFill when the 上年数 were filled from last year's workbook


@dataclass(frozen=True)
class NameKept:
    """A 科目名称 fill kept: where it is, what the clerk typed, the name its code has."""

    sheet: str
    cell: str
    typed: str
    expected: str
    code: object = None


def _same(a, b) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b and str(a) == str(b)
    return (a if a not in ("", None) else None) == (b if b not in ("", None) else None)


def compute(d) -> Plan:
    """Evaluate every derived cell from the inputs (not from the published derived figures)."""
    with paused_gc():  # many small acyclic results (see toolkit.model.paused_gc)
        return _compute(d)


def _compute(d) -> Plan:
    memo: dict = {}
    busy: set = set()
    amount_q = d.schema.publication.input_quantum  # 0.01 unless the schema accepts exact amounts
    names_kept: list = []
    names_expected: dict = {}
    scopes = {}
    for inst, row, col, e, expr, scope in derived_cells(d):
        scopes[(inst, row, col)] = (e, expr, scope)

    def lookup(inst, row, col):
        key = (inst, row, col)
        if key in memo:
            return memo[key]
        if key not in scopes:
            e = d.entry(inst, row, col)
            return None if e is None else e.value
        if key in busy:
            raise CycleError(f"derivations form a cycle at {key}")
        busy.add(key)
        e, expr, scope = scopes[key]
        if expr.startswith("narrative("):
            value = paragraphs()[expr[len("narrative('"):-2]]
        else:
            res = ev.evaluate(expr, scope)
            value = _present(e, res, lookup, isinstance(d.spec(inst), FormSpec), amount_q)
            if e.spec.type == "label" and expr.startswith(NAME_FUNCTIONS) and e.value not in (None, ""):
                if value is not None and value != e.value:
                    # a name the clerk typed is never replaced: a wrong code would vanish without
                    # trace; the disagreement stays a finding (C203) for the clerk to resolve.
                    # Everything derived from it (the 情况说明) uses the name as it stands.
                    names_kept.append(key)
                    code = d.entry(key[0], key[1], "code")
                    names_expected[key] = NameKept(e.sheet, e.cell, e.value, value, None if code is None else code.value)
                value = e.value
        busy.discard(key)
        memo[key] = value
        return value

    cache = {}

    def paragraphs():
        if "p" not in cache:
            cache["p"] = generate(d, lookup)
        return cache["p"]

    ev = Evaluator(d, lookup=lookup)
    recorded = _meta_fingerprints(d)
    values, changes, kept, prints = {}, {}, [], {}
    for key, (e, expr, scope) in scopes.items():
        new = lookup(*key)
        if e.spec.editable:
            current = e.value
            para = key[1]
            if current and recorded.get(para) != fingerprint(current) and current != new:
                kept.append(key)  # the clerk's own text: keep it, the validator checks it
                continue
            if new is not None:
                prints[para] = fingerprint(new)
        if e.spec.type == "label" and expr.startswith(NAME_FUNCTIONS) and new is None:
            continue  # code unknown to the reference: keep the clerk's name
        if expr == "empty_note()" and e.value not in (None, EMPTY_NOTE):
            continue  # a note row holding something fill did not write (the clerk's own note): never blanked
        values[key] = new
        if not _same(new, e.value):
            changes[key] = new
    return Plan(values, changes, kept, prints, names_kept, names_expected)


def _present(e, res, lookup, is_form: bool, amount_quantum: Decimal = CENT):
    """The value to write: amounts to two decimals; blank where nothing feeds the cell.

    Tables leave a cell blank when none of its operands has a value (as published tables do);
    forms show 0.00 for an amount that is zero.
    """
    v = res.value
    if v is None and is_form and e.spec.type == "amount":
        v = ZERO
    if not isinstance(v, Decimal):
        return v
    fed = any(lookup(*ref) is not None for ref in res.refs)
    if v == ZERO and not fed and not (is_form and e.spec.type == "amount"):
        return None
    if e.spec.type == "amount":
        # exact inputs (publication.input_decimals) add up exactly: the published figures are
        # rounded at export (toolkit.rounding); the workbook keeps what its inputs add up to
        return v.quantize(amount_quantum)
    if e.spec.type in ("area", "percent"):
        return v.quantize(CENT)
    if e.spec.type in ("yuan", "count", "year") and v == v.to_integral_value():
        return v.quantize(Decimal(1))
    return v


def fill(path, out=None, in_place: bool = False, schema=None, disclosure=None, plan: Plan | None = None,
         prior=None) -> tuple[Path, Plan]:
    """Fill derived cells of `path`; write to `out` (default: NAME.filled.xlsx) or in place with a backup.

    `disclosure` / `plan`: the workbook already read from `path` and its `compute` result (the
    batch reads and derives each workbook once for validate, fill and export). `prior`: last
    year's workbook (a path or a read Disclosure): the blank 上年数 of 说明数据 are filled from it
    (toolkit.prior; typed ones are kept), `plan.prior` says what was filled and what not."""
    path = Path(path)
    d = disclosure if disclosure is not None else read_workbook(path, schema=schema)
    if prior is not None and plan is None:
        from .prior import fill_plan, read_prior

        prior_d = read_prior(prior, schema=schema) if isinstance(prior, (str, Path)) else prior
        plan, _ = fill_plan(d, prior_d)
    plan = plan if plan is not None else compute(d)
    target = path if in_place else Path(out or path.with_name(path.stem + ".filled" + path.suffix))
    if not in_place and target.exists() and target.resolve() == path.resolve():
        in_place = True  # --out naming the input itself: written in place, the original kept in .bak
    by_sheet: dict = {}
    for (inst, row, col), value in plan.changes.items():
        e = d.entry(inst, row, col)
        by_sheet.setdefault(e.sheet, {})[e.cell] = value
    meta = meta_changes(d, plan.fingerprints)
    if meta:
        by_sheet[META_SHEET] = meta
    _unchanged_since_read(path, d)
    write_cells(path, by_sheet, target, backup=in_place)
    return target, plan


def _unchanged_since_read(path: Path, d) -> None:
    """Fill writes only over content it read: a file changed since (another fill, the clerk saving
    in Excel) is not written from the stale reading."""
    from .io.reader import WorkbookError

    seen = getattr(d, "source_stat", None)
    if seen is None:
        return
    try:
        st = path.stat()
    except OSError as exc:
        raise WorkbookError(f"无法读取文件「{path.name}」：{exc.strerror or exc}。", path) from None
    if (st.st_size, st.st_mtime_ns) != seen:
        raise WorkbookError(f"「{path.name}」在读取之后被改动（可能另一个程序或另一次填充正在写它），"
                            "为免覆盖未读到的内容，未写入。请稍后重新运行填充。", path)


def meta_changes(d, prints: dict) -> dict:
    """Cells of the _meta sheet that record the generated paragraphs' fingerprints."""
    rows = d.meta.get("_rows", {})
    next_row = max(rows.values(), default=0) + 1
    out = {}
    for key in sorted(prints):
        name = f"narrative:{key}"
        if d.meta.get(name) == prints[key]:
            continue
        row = rows.get(name)
        if row is None:
            row = next_row
            next_row += 1
            out[f"A{row}"] = name
        out[f"B{row}"] = prints[key]
    return out


def live_writes(d, plan: Plan) -> dict:
    """{sheet: {A1: value}} that the 填充 button writes into the open workbook.

    Every derived cell of each sheet with a change (not only the changed ones: a few contiguous
    blocks cost fewer calls to Excel than many single cells), the derived cells of unused block
    rows blank (which keeps the blocks contiguous), and the _meta fingerprints."""
    changed_sheets = {d.entry(*k).sheet for k in plan.changes}
    by_sheet: dict = {}
    for (inst, row, col), value in plan.values.items():
        e = d.entry(inst, row, col)
        if e.sheet in changed_sheets:
            by_sheet.setdefault(e.sheet, {})[e.cell] = value
    for inst, name in d.sheet_names.items():
        if name not in changed_sheets:
            continue
        used = {r.key for b in d.spec(inst).blocks for r in d.rows(inst, b.key)}
        # the entries the reader kept: a block's rows down to its last row with data (the rows below
        # are blank already), so the cost follows the data, not the capacity
        for (row, _), e in d.entries[inst].items():
            if e.block and row not in used and e.spec.role == DERIVED and not e.spec.editable:
                by_sheet[name].setdefault(e.cell, None)
    meta = meta_changes(d, plan.fingerprints)
    if meta:
        by_sheet[META_SHEET] = meta
    return by_sheet


def names_kept_lines(plan: Plan) -> list[str]:
    """One Chinese line per 科目名称 fill kept although it disagrees with its code (sheet and cell)."""
    lines = []
    for key in plan.names_kept:
        n = plan.names_expected[key]
        code = f"科目编码 {n.code} " if n.code not in (None, "") else "科目编码"
        lines.append(f"「{n.sheet}」{n.cell}：保留了填写的科目名称「{n.typed}」，与{code}的名称「{n.expected}」"
                     "不一致，请核对编码或名称（校验规则 C203）。")
    return lines
