"""Evaluate the schema's derivations — written once, used twice.

*Validate* evaluates each derived cell from the values **as published** in its operands and
compares (the XBRL Calculations 1.1 way: every relationship is checked locally, so one wrong
figure is reported where it is, not in every total above it). *Fill* evaluates in dependency
order from the inputs and writes the results.

Rounding: every amount is published to the decimals of its type (0.01 万元 in the bundled schema,
0.01 元 or whole 元 elsewhere: `schema.money`), so it stands for an interval of ± half a unit of
its last decimal (±0.005 万元). A derivation that adds `n` published amounts can be off by up to
n× that, and the total itself by another half unit. `Evaluator.tolerance(result)` gives that
bound; a difference within it is a 尾差.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from decimal import Decimal

from .reference import load_reference
from .schema import FormSpec, TableSpec

HALF_CENT = Decimal("0.005")
ZERO = Decimal(0)
EMPTY_NOTE = "注：本表无数据"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_SEPARATORS = "-—–·/ "


def fill_placeholders(template: str, ctx: dict) -> str:
    """`template` with each {name} replaced by ctx[name]. A blank value (部门代码 is optional)
    takes one separator next to it along, so '{dept_code}-{dept_name}' without a code gives the
    name alone, not '-name'."""
    parts = _PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    out = parts[0::2]
    names = parts[1::2]
    for i, name in enumerate(names):
        v = ctx.get(name)
        v = "" if v is None else str(v)
        if v.strip():
            out[i] += v
            continue
        before, after = "".join(out[: i + 1]), out[i + 1]
        if (not before or before[-1] in _SEPARATORS) and after[:1] and after[0] in _SEPARATORS:
            out[i + 1] = after[1:]  # at the start or after a separator: drop the one that follows
        elif before and before[-1] in _SEPARATORS:
            out[i] = out[i][:-1] if out[i] else out[i]  # at the end: drop the one before
    return "".join(out)


@dataclass(frozen=True)
class Result:
    value: object  # Decimal | str | bool | None
    n: int = 0  # how many published (rounded) amounts went into it
    refs: tuple = ()  # (sheet instance, row, col) of the operands, for messages

    def tolerance_at(self, half: Decimal) -> Decimal:
        """Largest difference that rounding of the operands and of the total can explain, each
        published figure standing for ±`half` (half a unit of its last decimal)."""
        return half * (self.n + 1) if self.n > 1 else ZERO

    @property
    def tolerance(self) -> Decimal:
        """`tolerance_at` two decimals (±0.005); a schema's own precision: `Evaluator.tolerance`."""
        return self.tolerance_at(HALF_CENT)


def _num(r: Result) -> Decimal:
    v = r.value
    if isinstance(v, Decimal):
        return v
    if v is None or v == "":
        return ZERO
    if isinstance(v, bool):
        return Decimal(int(v))
    if isinstance(v, int):
        return Decimal(v)
    raise TypeError(f"not a number: {v!r}")


class DeriveError(ValueError):
    pass


@dataclass
class Scope:
    """Where a derivation is evaluated: which sheet instance, which row (fixed key or block row)."""

    sheet: str  # instance key ("t3", "perf_project#2")
    row: str | None = None  # fixed row key, block row key ("items#3") or None for forms
    of: str | None = None


class Evaluator:
    """Evaluates derivation expressions against a value source.

    `lookup(sheet, row, col)` returns the value to use for an operand: the published value when
    validating, the newly derived (or input) value when filling.
    """

    def __init__(self, disclosure, lookup=None, narrative=None, memo: bool = False):
        self.d = disclosure
        self.schema = disclosure.schema
        self.lookup = lookup or (lambda s, r, c: disclosure.get(s, r, c))
        self.narrative = narrative
        self.ref = load_reference()
        self._parsed: dict = {}
        # memo: results kept per (expression, scope) — for values that do not change while the
        # evaluator lives (validation of the published figures: the arithmetic rules and the
        # narrative's consistency check evaluate the same derived cells); never while filling
        self._memo: dict | None = {} if memo else None

    # ------------------------------------------------------------------ public
    def tolerance(self, res: Result) -> Decimal:
        """The rounding bound of a result of published amounts, at the schema's amount precision."""
        return res.tolerance_at(self.schema.money.half)

    def evaluate(self, expr: str, scope: Scope) -> Result:
        if self._memo is not None:
            key = (expr, scope.sheet, scope.row, scope.of)
            hit = self._memo.get(key)
            if hit is None:
                hit = self._memo[key] = self._evaluate(expr, scope)
            return hit
        return self._evaluate(expr, scope)

    def _evaluate(self, expr: str, scope: Scope) -> Result:
        tree = self._parsed.get(expr)
        if tree is None:
            tree = self._parsed[expr] = ast.parse(expr, mode="eval").body
        return self._eval(tree, scope)

    def children_rows(self, sheet: str, block: str, row_key: str, code_col: str = "code") -> list:
        """Direct children of a block row: the rows whose nearest ancestor by code prefix it is."""
        me = self.d.row_index(sheet, block).get(row_key) if row_key else None
        code = me.get(code_col) if me is not None else None
        if not code:
            return []
        return self.d.code_tree(sheet, block, code_col)[1].get(code, [])

    def top_rows(self, sheet: str, block: str, code_col: str | None) -> list:
        """Rows of a block that no other row contains (类 rows; every row of a free block)."""
        rows = self.d.rows(sheet, block)
        if not code_col:
            return rows
        parent = self.d.code_tree(sheet, block, code_col)[0]
        return [r for r in rows if r.key in parent and parent[r.key] is None]

    # ------------------------------------------------------------------ internals
    def _value(self, sheet: str, row: str, col: str) -> Result:
        v = self.lookup(sheet, row, col)
        entry = self.d.entry(sheet, row, col)
        # a blank is exactly zero; a published amount (even 0.00) stands for a ±0.005 interval
        counted = 1 if (entry is not None and entry.spec.type in self.schema.money_types and v is not None) else 0
        return Result(v, counted, ((sheet, row, col),))

    def _spec(self, sheet: str):
        return self.schema.sheet(sheet.split("#")[0])

    def _resolve_instance(self, key: str, scope: Scope) -> str:
        """`perf_project` inside a perf_project#2 derivation means that same instance."""
        if scope.sheet.split("#")[0] == key:
            return scope.sheet
        return key

    def _eval(self, node, scope: Scope) -> Result:
        kind = type(node)  # the commonest elements first: every operand is one of these
        if kind is ast.Attribute:
            return self._attribute(node, scope)
        if kind is ast.Name:
            return self._name(node.id, scope)
        if kind is ast.Call:
            return self._call(node, scope)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                return Result(Decimal(str(v)))
            return Result(v)
        if isinstance(node, ast.Tuple):
            return Result(tuple(self._eval(e, scope).value for e in node.elts))
        if isinstance(node, ast.BinOp):
            a, b = self._eval(node.left, scope), self._eval(node.right, scope)
            if isinstance(node.op, ast.Add):
                return Result(_num(a) + _num(b), a.n + b.n, a.refs + b.refs)
            if isinstance(node.op, ast.Sub):
                return Result(_num(a) - _num(b), a.n + b.n, a.refs + b.refs)
            if isinstance(node.op, ast.Mult):
                return Result(_num(a) * _num(b), a.n + b.n, a.refs + b.refs)
            if isinstance(node.op, ast.Div):
                den = _num(b)
                return Result(_num(a) / den if den else None, a.n + b.n, a.refs + b.refs)
            raise DeriveError(f"operator {type(node.op).__name__} not supported")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            a = self._eval(node.operand, scope)
            return Result(-_num(a), a.n, a.refs)
        if isinstance(node, ast.IfExp):
            test = self._eval(node.test, scope).value
            return self._eval(node.body if test else node.orelse, scope)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left = self._eval(node.left, scope).value
            right = self._eval(node.comparators[0], scope).value
            op = node.ops[0]
            if isinstance(op, ast.In):
                return Result(left in right if left is not None else False)
            if isinstance(op, ast.NotIn):
                return Result(left not in right if left is not None else True)
            if isinstance(op, ast.Eq):
                return Result(left == right)
            if isinstance(op, ast.NotEq):
                return Result(left != right)
            raise DeriveError("comparison not supported")
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            base = self._eval(node.value, scope).value
            lo = self._eval(node.slice.lower, scope).value if node.slice.lower else None
            hi = self._eval(node.slice.upper, scope).value if node.slice.upper else None
            if base is None:
                return Result(None)
            return Result(str(base)[int(lo) if lo is not None else None: int(hi) if hi is not None else None])
        raise DeriveError(f"expression element {type(node).__name__} not supported")

    def _name(self, name: str, scope: Scope) -> Result:
        if name == "of":
            return Result(scope.of)
        spec = self._spec(scope.sheet)
        if isinstance(spec, TableSpec) and name in spec.col_keys and scope.row is not None:
            return self._value(scope.sheet, scope.row, name)
        raise DeriveError(f"unknown name {name!r} in {scope.sheet}")

    def _attribute(self, node: ast.Attribute, scope: Scope) -> Result:
        col = node.attr
        base = node.value
        # tX.row.col
        if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
            sheet = self._resolve_instance(base.value.id, scope)
            return self._value(sheet, base.attr, col)
        # tX[code].col
        if isinstance(base, ast.Subscript) and isinstance(base.value, ast.Name):
            sheet = self._resolve_instance(base.value.id, scope)
            code = self._eval(base.slice, scope).value
            return self._lookup_code(sheet, code, col)
        # form.field
        if isinstance(base, ast.Name):
            sheet = self._resolve_instance(base.id, scope)
            spec = self._spec(sheet)
            if isinstance(spec, FormSpec):
                return self._value(sheet, col, "")
            if isinstance(spec, TableSpec):  # tX.block used as an argument (count_rows(t12.items))
                return Result((sheet, col))
        raise DeriveError(f"cannot resolve {ast.unparse(node)}")

    def _lookup_code(self, sheet: str, code, col: str) -> Result:
        spec = self._spec(sheet)
        for block in spec.blocks:
            code_col = block.code_column_for(col)
            if code_col is None:
                continue
            try:
                row = self.d.code_index(sheet, block.key, code_col)[0].get(code)
            except TypeError:  # an unhashable operand never equals a cell's code
                row = None
            if row is not None:
                return self._value(sheet, row.key, col)
        # the row of `code` is absent (a 类 left out above its 款/项): its figure is the sum of the
        # rows it would contain that have no parent row of their own — each orphan counted once
        for block in spec.blocks:
            code_col = block.code_column_for(col)
            if code_col is None or not isinstance(code, str) or not code:
                continue
            orphans = [r for r in self.d.code_index(sheet, block.key, code_col)[1] if r.get(code_col).startswith(code)]
            if orphans:
                return self._sum([self._value(sheet, r.key, col) for r in orphans])
        return Result(ZERO, 0, ())

    def _block_arg(self, node, scope: Scope) -> tuple[str, str]:
        if isinstance(node, ast.Name):
            return scope.sheet, node.id
        r = self._eval(node, scope).value
        if isinstance(r, tuple):
            return r
        raise DeriveError(f"not a block: {ast.unparse(node)}")

    def _call(self, node: ast.Call, scope: Scope) -> Result:
        fn = node.func.id
        args = node.args
        if fn == "block_sum":
            sheet, block = self._block_arg(args[0], scope)
            col = args[1].id if isinstance(args[1], ast.Name) else self._eval(args[1], scope).value
            b = self._spec(sheet).block(block)
            rows = self.top_rows(sheet, block, b.code_column_for(col) if b.code_columns else None)
            return self._sum([self._value(sheet, r.key, col) for r in rows])
        if fn == "children":
            sheet, block = self._block_arg(args[0], scope)
            col = args[1].id
            b = self._spec(sheet).block(block)
            rows = self.children_rows(sheet, block, scope.row, b.code_column_for(col) or "code")
            return self._sum([self._value(sheet, r.key, col) for r in rows])
        if fn == "sum_rows":
            col = args[0].id
            spec = self._spec(scope.sheet)
            keys = [r.key for r in spec.rows if getattr(r, "of", None) and col in r.cells]
            return self._sum([self._value(scope.sheet, k, col) for k in keys])
        if fn == "count_rows":
            sheet, block = self._block_arg(args[0], scope)
            return Result(Decimal(len(self.d.rows(sheet, block))))
        if fn == "function_name":
            code = self._eval(args[0], scope).value
            return Result(self.ref.function_name(code) if code else None)
        if fn == "economic_name":
            code = self._eval(args[0], scope).value
            return Result(self.ref.economic_name(code) if code else None)
        if fn == "fmt":
            template = self._eval(args[0], scope).value
            ctx = {"year": self.d.year, "dept_name": self.d.dept_name, "dept_code": self.d.dept_code}
            return Result(fill_placeholders(template, ctx))
        if fn == "empty_note":
            return Result(EMPTY_NOTE if table_is_empty(self.d, scope.sheet, self.lookup) else None)
        if fn == "narrative":
            key = self._eval(args[0], scope).value
            return Result(self.narrative(key) if self.narrative else None)
        if fn in ("abs", "round", "min", "max", "sum", "len"):
            vals = [self._eval(a, scope) for a in args]
            nums = [_num(v) for v in vals]
            n = sum(v.n for v in vals)
            out = {"abs": lambda: abs(nums[0]), "min": lambda: min(nums), "max": lambda: max(nums),
                   "sum": lambda: sum(nums, ZERO), "round": lambda: round(nums[0], int(nums[1]) if len(nums) > 1 else 0),
                   "len": lambda: Decimal(len(vals[0].value or ""))}[fn]()
            return Result(out, n, tuple(r for v in vals for r in v.refs))
        raise DeriveError(f"unknown function {fn}")

    @staticmethod
    def _sum(results: list[Result]) -> Result:
        total = ZERO
        n = 0
        refs: list = []  # one list, not a tuple grown per operand (quadratic in a block's rows)
        for r in results:
            total += _num(r)
            n += r.n
            refs.extend(r.refs)
        return Result(total, n, tuple(refs))


def table_is_empty(d, sheet: str, lookup=None) -> bool:
    """A table with no amount anywhere (blank or zero) — it must carry 注：本表无数据."""
    money = d.schema.money_types
    for (row, col), e in d.entries.get(sheet, {}).items():
        if e.spec.type not in money:
            continue
        v = lookup(sheet, row, col) if lookup else e.value
        if isinstance(v, Decimal) and v != 0:
            return False
    return True


def derived_cells(d):
    """Every derived cell of a read workbook with its expression and scope, in sheet order.

    Yields (instance, row, col, entry, expression, scope). Parent rows of code blocks yield their
    roll-up cells with the expression ``children(block, col)``.
    """
    for inst in d.entries:
        spec = d.spec(inst)
        if isinstance(spec, TableSpec):
            fixed = {r.key: r for r in spec.rows if not hasattr(r, "capacity")}
        else:
            fixed = {}
        for (row, col), e in d.entries[inst].items():
            if e.role != "derived":
                continue
            expr = e.rollup or e.spec.derive
            if not expr:
                continue
            if e.block is not None:
                if row not in d.row_index(inst, e.block):
                    continue  # unused block row: nothing to derive
                scope = Scope(inst, row)
            elif row in fixed:
                scope = Scope(inst, row, fixed[row].of)
            else:
                scope = Scope(inst, None)
            yield inst, row, col, e, expr, scope
