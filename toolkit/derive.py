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
from functools import lru_cache

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


class Result:
    """A derived value with how many published (rounded) amounts went into it and where they are.
    A plain slotted class: an evaluation makes one per operand (tens of thousands per workbook)."""

    __slots__ = ("value", "n", "refs")

    def __init__(self, value, n: int = 0, refs: tuple = ()):
        self.value = value  # Decimal | str | bool | None
        self.n = n  # how many published (rounded) amounts went into it
        self.refs = refs  # (sheet instance, row, col) of the operands, for messages

    def __repr__(self) -> str:
        return f"Result({self.value!r}, {self.n}, {self.refs!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Result) and (self.value, self.n, self.refs) == (other.value, other.n, other.refs)

    __hash__ = None

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


@lru_cache(maxsize=4096)
def parse_expression(expr: str):
    """The syntax tree of a derivation, parsed once per process (a batch or `bdt serve` checks many
    workbooks of the same schema). Trees are only read, never changed."""
    try:
        return ast.parse(expr, mode="eval").body
    except SyntaxError as exc:
        raise DeriveError(f"cannot parse {expr!r}: {exc.msg}") from None


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
        self._direct = lookup is None  # operands are the published values: one entry lookup each
        self.lookup = lookup or (lambda s, r, c: disclosure.get(s, r, c))
        self.narrative = narrative
        self.ref = load_reference()
        self._money = self.schema.money_types
        self._half = self.schema.money.half
        # expressions are compiled once into closures (per expression and sheet kind), not walked
        # as syntax trees per cell: a workbook of 2,000 rows evaluates ~12,000 of them
        self._compiled: dict = {}
        self._nodes: dict = {}
        # memo: results kept per (expression, scope) — for values that do not change while the
        # evaluator lives (validation of the published figures: the arithmetic rules and the
        # narrative's consistency check evaluate the same derived cells); never while filling
        self._memo: dict | None = {} if memo else None

    # ------------------------------------------------------------------ public
    def tolerance(self, res: Result) -> Decimal:
        """The rounding bound of a result of published amounts, at the schema's amount precision."""
        return res.tolerance_at(self._half)

    def evaluate(self, expr: str, scope: Scope) -> Result:
        if self._memo is not None:
            key = (expr, scope.sheet, scope.row, scope.of)
            hit = self._memo.get(key)
            if hit is None:
                hit = self._memo[key] = self._evaluate(expr, scope)
            return hit
        return self._evaluate(expr, scope)

    def _evaluate(self, expr: str, scope: Scope) -> Result:
        fn = self._compiled.get(expr)
        if fn is None:
            fn = self._compiled[expr] = self._compile(parse_expression(expr))
        return fn(scope)

    def _eval(self, node, scope: Scope) -> Result:
        """Evaluate one syntax-tree node (toolkit.rounding walks derivations node by node)."""
        fn = self._nodes.get(node)
        if fn is None:
            fn = self._nodes[node] = self._compile(node)
        return fn(scope)

    def children_rows(self, sheet: str, block: str, row_key: str, code_col: str = "code") -> list:
        """Direct children of a block row: the rows whose nearest ancestor by code prefix it is."""
        me = self.d.row_index(sheet, block).get(row_key) if row_key else None
        code = me.get(code_col) if me is not None else None
        if not code:
            return []
        return self.d.code_tree(sheet, block, code_col)[1].get(code, [])

    def top_rows(self, sheet: str, block: str, code_col: str | None) -> list:
        """Rows of a block that no other row contains (类 rows; every row of a free block)."""
        if not code_col:
            return self.d.rows(sheet, block)
        return self.d.code_index(sheet, block, code_col)[1]  # rows with a code and no parent row

    # ------------------------------------------------------------------ internals
    def _value(self, sheet: str, row: str, col: str) -> Result:
        entry = self.d.entry(sheet, row, col)
        v = (None if entry is None else entry.value) if self._direct else self.lookup(sheet, row, col)
        # a blank is exactly zero; a published amount (even 0.00) stands for a ±0.005 interval
        counted = 1 if (entry is not None and v is not None and entry.spec.type in self._money) else 0
        return Result(v, counted, ((sheet, row, col),))

    def _spec(self, sheet: str):
        return self.schema.sheet(sheet.split("#")[0])

    @staticmethod
    def _resolve_instance(key: str, scope: Scope) -> str:
        """`perf_project` inside a perf_project#2 derivation means that same instance."""
        if scope.sheet.split("#")[0] == key:
            return scope.sheet
        return key

    def _compile(self, node):
        """A closure `scope -> Result` for a syntax-tree node of a derivation."""
        kind = type(node)
        if kind is ast.Attribute:
            return self._compile_attribute(node)
        if kind is ast.Name:
            return self._compile_name(node.id)
        if kind is ast.Call:
            return self._compile_call(node)
        if isinstance(node, ast.Constant):
            v = node.value
            const = Result(Decimal(str(v))) if isinstance(v, (int, float)) and not isinstance(v, bool) else Result(v)
            return lambda scope: const
        if isinstance(node, ast.Tuple):
            parts = [self._compile(e) for e in node.elts]
            return lambda scope: Result(tuple(f(scope).value for f in parts))
        if isinstance(node, ast.BinOp):
            fa, fb = self._compile(node.left), self._compile(node.right)
            op = type(node.op)
            if op is ast.Add:
                def add(scope):
                    a, b = fa(scope), fb(scope)
                    return Result(_num(a) + _num(b), a.n + b.n, a.refs + b.refs)
                return add
            if op is ast.Sub:
                def sub(scope):
                    a, b = fa(scope), fb(scope)
                    return Result(_num(a) - _num(b), a.n + b.n, a.refs + b.refs)
                return sub
            if op is ast.Mult:
                def mul(scope):
                    a, b = fa(scope), fb(scope)
                    return Result(_num(a) * _num(b), a.n + b.n, a.refs + b.refs)
                return mul
            if op is ast.Div:
                def div(scope):
                    a, b = fa(scope), fb(scope)
                    den = _num(b)
                    return Result(_num(a) / den if den else None, a.n + b.n, a.refs + b.refs)
                return div
            raise DeriveError(f"operator {op.__name__} not supported")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            fa = self._compile(node.operand)

            def neg(scope):
                a = fa(scope)
                return Result(-_num(a), a.n, a.refs)
            return neg
        if isinstance(node, ast.IfExp):
            ft, fb, fo = self._compile(node.test), self._compile(node.body), self._compile(node.orelse)
            return lambda scope: fb(scope) if ft(scope).value else fo(scope)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            fl, fr = self._compile(node.left), self._compile(node.comparators[0])
            op = type(node.ops[0])
            if op is ast.In:
                def is_in(scope):
                    left, right = fl(scope).value, fr(scope).value
                    return Result(left in right if left is not None else False)
                return is_in
            if op is ast.NotIn:
                def not_in(scope):
                    left, right = fl(scope).value, fr(scope).value
                    return Result(left not in right if left is not None else True)
                return not_in
            if op is ast.Eq:
                return lambda scope: Result(fl(scope).value == fr(scope).value)
            if op is ast.NotEq:
                return lambda scope: Result(fl(scope).value != fr(scope).value)
            raise DeriveError("comparison not supported")
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            fbase = self._compile(node.value)
            flo = self._compile(node.slice.lower) if node.slice.lower else None
            fhi = self._compile(node.slice.upper) if node.slice.upper else None

            def sliced(scope):
                base = fbase(scope).value
                lo = flo(scope).value if flo else None
                hi = fhi(scope).value if fhi else None
                if base is None:
                    return Result(None)
                return Result(str(base)[int(lo) if lo is not None else None: int(hi) if hi is not None else None])
            return sliced
        raise DeriveError(f"expression element {type(node).__name__} not supported")

    def _compile_name(self, name: str):
        if name == "of":
            return lambda scope: Result(scope.of)
        value, spec_of = self._value, self._spec

        def column(scope):
            spec = spec_of(scope.sheet)
            if isinstance(spec, TableSpec) and name in spec.col_keys and scope.row is not None:
                return value(scope.sheet, scope.row, name)
            raise DeriveError(f"unknown name {name!r} in {scope.sheet}")
        return column

    def _compile_attribute(self, node: ast.Attribute):
        col = node.attr
        base = node.value
        value, resolve = self._value, self._resolve_instance
        # tX.row.col
        if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
            key, row = base.value.id, base.attr
            return lambda scope: value(resolve(key, scope), row, col)
        # tX[code].col
        if isinstance(base, ast.Subscript) and isinstance(base.value, ast.Name):
            key, fcode = base.value.id, self._compile(base.slice)
            return lambda scope: self._lookup_code(resolve(key, scope), fcode(scope).value, col)
        # form.field
        if isinstance(base, ast.Name):
            key = base.id
            spec = self.schema.sheet(key) if key in self.schema.keys() else None
            if isinstance(spec, FormSpec):
                return lambda scope: value(resolve(key, scope), col, "")
            if isinstance(spec, TableSpec):  # tX.block used as an argument (count_rows(t12.items))
                return lambda scope: Result((resolve(key, scope), col))
        text = ast.unparse(node)

        def unresolved(scope):
            raise DeriveError(f"cannot resolve {text}")
        return unresolved

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

    def _compile_block_arg(self, node):
        """A closure `scope -> (sheet instance, block key)` for a block argument."""
        if isinstance(node, ast.Name):
            name = node.id
            return lambda scope: (scope.sheet, name)
        f = self._compile(node)
        text = ast.unparse(node)

        def block_of(scope):
            r = f(scope).value
            if isinstance(r, tuple):
                return r
            raise DeriveError(f"not a block: {text}")
        return block_of

    def _compile_call(self, node: ast.Call):
        fn = node.func.id if isinstance(node.func, ast.Name) else None
        args = node.args
        value, spec_of = self._value, self._spec
        if fn == "block_sum":
            fblock = self._compile_block_arg(args[0])
            fcol = (lambda scope, c=args[1].id: c) if isinstance(args[1], ast.Name) else \
                (lambda scope, f=self._compile(args[1]): f(scope).value)

            def block_sum(scope):
                sheet, block = fblock(scope)
                col = fcol(scope)
                b = spec_of(sheet).block(block)
                rows = self.top_rows(sheet, block, b.code_column_for(col) if b.code_columns else None)
                return self._sum([value(sheet, r.key, col) for r in rows])
            return block_sum
        if fn == "children":
            fblock, col = self._compile_block_arg(args[0]), args[1].id

            def children(scope):
                sheet, block = fblock(scope)
                b = spec_of(sheet).block(block)
                rows = self.children_rows(sheet, block, scope.row, b.code_column_for(col) or "code")
                return self._sum([value(sheet, r.key, col) for r in rows])
            return children
        if fn == "sum_rows":
            col = args[0].id

            def sum_rows(scope):
                spec = spec_of(scope.sheet)
                keys = [r.key for r in spec.rows if getattr(r, "of", None) and col in r.cells]
                return self._sum([value(scope.sheet, k, col) for k in keys])
            return sum_rows
        if fn == "count_rows":
            fblock = self._compile_block_arg(args[0])
            return lambda scope: Result(Decimal(len(self.d.rows(*fblock(scope)))))
        if fn in ("function_name", "economic_name"):
            fa = self._compile(args[0])
            name_of = self.ref.function_name if fn == "function_name" else self.ref.economic_name

            def name(scope):
                code = fa(scope).value
                return Result(name_of(code) if code else None)
            return name
        if fn == "fmt":
            fa = self._compile(args[0])

            def fmt(scope):
                ctx = {"year": self.d.year, "dept_name": self.d.dept_name, "dept_code": self.d.dept_code}
                return Result(fill_placeholders(fa(scope).value, ctx))
            return fmt
        if fn == "empty_note":
            return lambda scope: Result(EMPTY_NOTE if table_is_empty(self.d, scope.sheet, self.lookup) else None)
        if fn == "narrative":
            fa = self._compile(args[0])
            return lambda scope: Result(self.narrative(fa(scope).value) if self.narrative else None)
        if fn in ("abs", "round", "min", "max", "sum", "len"):
            parts = [self._compile(a) for a in args]

            def builtin(scope):
                vals = [f(scope) for f in parts]
                nums = [_num(v) for v in vals]
                n = sum(v.n for v in vals)
                out = {"abs": lambda: abs(nums[0]), "min": lambda: min(nums), "max": lambda: max(nums),
                       "sum": lambda: sum(nums, ZERO),
                       "round": lambda: round(nums[0], int(nums[1]) if len(nums) > 1 else 0),
                       "len": lambda: Decimal(len(vals[0].value or ""))}[fn]()
                return Result(out, n, tuple(r for v in vals for r in v.refs))
            return builtin

        def unknown(scope):
            raise DeriveError(f"unknown function {fn}")
        return unknown

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
