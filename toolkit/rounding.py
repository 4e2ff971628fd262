"""Published figures from exact amounts: 四舍五入 (`round`) or 舍位平衡 (`balance`).

A clerk or the budget system often has exact amounts (万元 to six places, i.e. 0.01 元); the
tables are published to two decimals (`schema.publication`). `publish(d)` takes the exact figures
of a read workbook (derived cells computed exactly by `toolkit.fill.compute`) and gives the
published figure of every amount cell:

``round``
    each figure ROUND_HALF_UP from its exact value. A published total may then differ from the
    sum of its published items (尾差); each such total is listed (`Published.discrepancies`,
    info findings A311) — expected under this policy, not an error.

``balance``
    舍位平衡 as in 用友UFO: the published items are adjusted so that every published total equals
    the sum of its published items, every figure (item or total) within one unit of the last
    published decimal (0.01) of its exact value; each figure that differs from its plain rounding
    is listed (`Published.adjustments`, info findings A313).

The constraints are not listed here: they are the schema's derivations. Every derived amount
whose derivation is a sum (``a + b``, ``block_sum``, ``children``, ``sum_rows``, copies such as
``t3[of].total``; differences too) is expanded down to the input cells it is made of, so each
derived figure is a set of input cells ("items"), and a repeated figure (表1 = 表3 …) is the same
set. The published inputs decide everything: a derived figure is published as the sum of the
published inputs it is made of, so every total equals the sum of its published items and every
copy is identical by construction; what remains is the bound — each derived figure within one
unit of its exact value. With r_i the fraction (in units) of input i and b_i ∈ {0, 1} whether it
is rounded up, a figure made of the set S needs Σ_{i∈S} b_i ∈ {⌊Σ r_i⌋, ⌈Σ r_i⌉}.

Algorithm (controlled rounding, Cox & Ernst 1982): the sets of a 2-D table with hierarchies —
row subtrees (类 ⊃ 款 ⊃ 项, 合计) × column groups (合计 = 基本支出 + 项目支出, per fund) — split into
two laminar families (no two sets of one family cross); the union of two laminar families has a
totally unimodular incidence matrix, so the constraints form a network: family 1 as a tree of
arcs from a source down to the items, each item an arc from its smallest family-1 set to its
smallest family-2 set, family 2 as a tree up to a sink, and a return arc. The exact fractions are
a feasible (fractional) flow, hence an integral one exists: a controlled rounding always exists
for such tables. The split is found by 2-colouring the graph of crossing sets (breadth first); a
min-cost circulation (successive shortest paths from the plain rounding) picks the integral flow
that keeps totals at their plain rounding first (each total's deviation weighted by its number of
items, above all item deviations together), then moves the items with the largest remainders —
on one total with its items that is exactly the largest-remainder method. Sets that cross both
families (a third dimension) and derivations with differences are not in the network: they are
checked after, and a figure that ends more than one unit from its exact value is reported
(`Published.unbalanced`, error A312) — the figures are then not published.
"""
from __future__ import annotations

import ast
import heapq
from collections import deque
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from .derive import DeriveError, Evaluator, derived_cells, parse_expression
from .schema import ROUNDING_POLICIES

CONST = ("", "", "")  # the constant term of a linear form
SKIP = ("fmt(", "function_name(", "economic_name(", "narrative(", "empty_note(")


class RoundingError(ValueError):
    pass


@dataclass(frozen=True)
class Adjustment:
    """舍位平衡 moved a figure off its plain rounding."""

    key: tuple
    sheet: str
    cell: str
    exact: Decimal
    rounded: Decimal  # ROUND_HALF_UP of the exact value
    published: Decimal

    @property
    def delta(self) -> Decimal:
        return self.published - self.rounded


@dataclass(frozen=True)
class Discrepancy:
    """A published total that differs from the sum of its published items (四舍五入 policy)."""

    key: tuple
    sheet: str
    cell: str
    exact: Decimal
    published: Decimal
    from_items: Decimal  # its derivation evaluated on the published figures
    operands: tuple

    @property
    def diff(self) -> Decimal:
        return self.published - self.from_items


@dataclass(frozen=True)
class Unbalanced:
    """A figure 舍位平衡 could not keep within one unit of its exact value."""

    key: tuple
    sheet: str
    cell: str
    exact: Decimal
    published: Decimal


@dataclass
class Published:
    policy: str
    quantum: Decimal
    values: dict  # (instance, row, col) -> published Decimal, every amount cell with a value
    exact: dict  # (instance, row, col) -> exact Decimal
    adjustments: list = field(default_factory=list)
    discrepancies: list = field(default_factory=list)
    unbalanced: list = field(default_factory=list)
    network: dict = field(default_factory=dict)  # sizes: items, sets, checked (for the note/tests)

    @property
    def ok(self) -> bool:
        return not self.unbalanced

    def findings(self, d) -> list:
        from .describe import label
        from .findings import ERROR, INFO, Finding
        from .rules import money

        out = []

        def loc(x):
            return f"「{x.sheet}」{x.cell}"

        for x in self.discrepancies:
            what = label(d, *x.key)
            out.append(Finding("A311", INFO, x.sheet, x.cell,
                               f"{loc(x)}：{what} 公开为 {money(x.published)}（精确数 {money(x.exact)}），其各分项公开数相加为 "
                               f"{money(x.from_items)}，相差 {money(x.diff)}：按四舍五入公开时各数分别舍入，属正常尾差"
                               "（如需合计与分项一致，按舍位平衡公开：--rounding balance）。", x.from_items, x.published))
        for x in self.adjustments:
            what = label(d, *x.key)
            out.append(Finding("A313", INFO, x.sheet, x.cell,
                               f"{loc(x)}：{what} 精确数 {money(x.exact)}，四舍五入为 {money(x.rounded)}，舍位平衡后公开为 "
                               f"{money(x.published)}（调整 {'+' if x.delta > 0 else ''}{money(x.delta)}），使合计等于分项之和。",
                               x.rounded, x.published))
        for x in self.unbalanced:
            what = label(d, *x.key)
            out.append(Finding("A312", ERROR, x.sheet, x.cell,
                               f"{loc(x)}：{what} 精确数 {money(x.exact)}，舍位平衡后只能公开为 {money(x.published)}，"
                               f"偏离超过一个单位（{money(self.quantum)}）：这组合计关系无法在一个单位内平衡。"
                               "请按四舍五入公开（--rounding round），或核对该数的计算关系。", x.exact, x.published))
        return out

    def summary(self) -> str:
        if self.policy == "round":
            return f"按四舍五入公开：{len(self.discrepancies)} 处合计与分项公开数之和有尾差（已列出，属正常）。"
        if self.unbalanced:
            return f"舍位平衡无法完成：{len(self.unbalanced)} 个数偏离精确数超过一个单位，未公开。"
        return f"舍位平衡：调整了 {len(self.adjustments)} 个数（各在精确数的一个单位之内），每个合计等于分项之和。"


# ---------------------------------------------------------------------------- linear forms


def _add(out: dict, form: dict, c: Decimal) -> None:
    for k, v in form.items():
        out[k] = out.get(k, Decimal(0)) + c * v


def _linear(ev: Evaluator, node, scope, is_amount) -> dict | None:
    """The derivation as {operand key: coefficient, CONST: constant}; None when not linear."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        a, b = _linear(ev, node.left, scope, is_amount), _linear(ev, node.right, scope, is_amount)
        if a is None or b is None:
            return None
        out = dict(a)
        _add(out, b, Decimal(1) if isinstance(node.op, ast.Add) else Decimal(-1))
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        a = _linear(ev, node.operand, scope, is_amount)
        return None if a is None else {k: -v for k, v in a.items()}
    if isinstance(node, ast.IfExp):
        test = ev._eval(node.test, scope).value
        return _linear(ev, node.body if test else node.orelse, scope, is_amount)
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return {CONST: Decimal(str(v))}
        return None
    if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                           and node.func.id in ("block_sum", "children", "sum_rows")):
        return None
    if not isinstance(node, (ast.Attribute, ast.Name, ast.Call)):
        return None
    res = ev._eval(node, scope)
    out: dict = {}
    for ref in res.refs:
        if not is_amount(ref):
            return None
        out[ref] = out.get(ref, Decimal(0)) + 1
    return out


def linear_forms(d, exact: dict) -> dict:
    """{derived amount cell: its derivation as a linear form over its direct operands}."""
    def lookup(s, r, c):
        key = (s, r, c)
        return exact[key] if key in exact else d.get(s, r, c)

    def is_amount(ref):
        e = d.entry(*ref)
        return e is not None and e.spec.type == "amount"

    ev = Evaluator(d, lookup=lookup)
    forms = {}
    for inst, row, col, e, expr, scope in derived_cells(d):
        if e.spec.type != "amount" or expr.startswith(SKIP):
            continue
        try:  # one tree per expression (derive.parse_expression), so the evaluator compiles each node once
            form = _linear(ev, parse_expression(expr), scope, is_amount)
        except (DeriveError, TypeError, SyntaxError):
            form = None
        if form is not None:
            forms[(inst, row, col)] = form
    return forms


def _expand(forms: dict, exact: dict) -> dict:
    """Each derived cell's form over input cells ("items"), constants kept."""
    memo: dict = {}

    def expand(key, depth=0):
        if key in memo:
            return memo[key]
        if depth > 200:
            raise RoundingError(f"derivations too deep at {key}")
        if key not in forms:
            out = {key: Decimal(1)} if isinstance(exact.get(key), Decimal) else {}
        else:
            out = {}
            for ref, c in forms[key].items():
                if ref == CONST:
                    out[CONST] = out.get(CONST, Decimal(0)) + c
                else:
                    _add(out, expand(ref, depth + 1), c)
            out = {k: v for k, v in out.items() if v != 0}
        memo[key] = out
        return out

    return {k: expand(k) for k in forms}


# ---------------------------------------------------------------------------- min-cost circulation


class _Network:
    """Min-cost flow by successive shortest paths (Dijkstra with potentials, from one excess node to
    the nearest deficit), integer costs."""

    def __init__(self, n: int):
        self.g: list = [[] for _ in range(n)]

    def add(self, u: int, v: int, cap: int, cost: int) -> tuple:
        self.g[u].append([v, cap, cost, len(self.g[v])])
        self.g[v].append([u, 0, -cost, len(self.g[u]) - 1])
        return u, len(self.g[u]) - 1

    def push(self, h: tuple, amount: int) -> None:
        u, i = h
        e = self.g[u][i]
        e[1] -= amount
        self.g[e[0]][e[3]][1] += amount

    def flow(self, h: tuple) -> int:
        u, i = h
        e = self.g[u][i]
        return self.g[e[0]][e[3]][1]

    def transport(self, excess: list) -> int:
        """Move every node's excess to the nodes short of flow at least cost (successive shortest
        paths: from one excess node to the nearest deficit node in reduced costs, Dijkstra stopped
        there, potentials kept ≥ 0 by the early-exit rule). Needs every residual arc's cost ≥ 0 at
        the start. Returns the units moved. A search from one node stays near it, so the cost
        follows the table's size, not its square (one search over the whole network per unit,
        from a super-source, made 2,000 rows take 25 s)."""
        g, n = self.g, len(self.g)
        pot = [0] * n  # potentials, less a shift common to all nodes (it cancels in reduced costs)
        settled_ = [False] * n
        moved = 0
        for k in [v for v in range(n) if excess[v] > 0]:
            while excess[k] > 0:
                dist, prev, pq, settled, end = {k: 0}, {}, [(0, k)], [], None
                while pq:
                    du, u = heapq.heappop(pq)
                    if du != dist[u] or settled_[u]:
                        continue
                    settled_[u] = True
                    settled.append(u)
                    if excess[u] < 0:
                        end = u
                        break
                    pu = pot[u]
                    for i, (v, cap, cost, _) in enumerate(g[u]):
                        if cap > 0 and not settled_[v]:
                            nd = du + cost + pu - pot[v]
                            if nd < dist.get(v, nd + 1):
                                dist[v] = nd
                                prev[v] = (u, i)
                                heapq.heappush(pq, (nd, v))
                for u in settled:
                    settled_[u] = False
                if end is None:
                    return moved  # no deficit reachable: infeasible (the caller says so)
                dt = dist[end]
                for v in settled:  # settled nodes move by their distance, all others by dt
                    pot[v] += dist[v] - dt
                f, v = min(excess[k], -excess[end]), end
                while v != k:
                    u, i = prev[v]
                    f = min(f, g[u][i][1])
                    v = u
                v = end
                while v != k:
                    u, i = prev[v]
                    self.push((u, i), f)
                    v = u
                excess[k] -= f
                excess[end] += f
                moved += f
        return moved


def _crossing(a: frozenset, b: frozenset) -> bool:
    return bool(a & b) and not (a <= b or b <= a)


def balance_sets(fractions: list, sets: list, K: int) -> tuple[list, list]:
    """Controlled rounding of items with fractional parts `fractions` (ints scaled by K, each in
    (0, K)) under set-sum constraints `sets` (frozensets of item indices): returns (b, dropped)
    with b[i] ∈ {0, 1} such that every set in the network has Σ b ∈ {⌊Σ r⌋, ⌈Σ r⌉}, and the sets
    that could not be placed in the network (checked by the caller).

    Costs: plain rounding (half up) is the starting point; a set's deviation costs its size times
    more than all item deviations together, so totals keep their plain rounding first and the
    items with the largest remainders move."""
    n = len(fractions)
    sets = [s for s in dict.fromkeys(sets) if len(s) > 1]
    # crossing graph, two-coloured breadth first
    by_item: dict = {}
    for j, s in enumerate(sets):
        for i in s:
            by_item.setdefault(i, []).append(j)
    adj: list = [set() for _ in sets]
    seen_pairs = set()
    for js in by_item.values():
        for x in range(len(js)):
            for y in range(x + 1, len(js)):
                a, b = js[x], js[y]
                if (a, b) in seen_pairs:
                    continue
                seen_pairs.add((a, b))
                if _crossing(sets[a], sets[b]):
                    adj[a].add(b)
                    adj[b].add(a)
    colour: list = [None] * len(sets)
    dropped = []
    order = sorted(range(len(sets)), key=lambda j: -len(sets[j]))
    for start in order:
        if colour[start] is not None or start in dropped:
            continue
        queue = deque([start])
        while queue:
            j = queue.popleft()
            if colour[j] is not None or j in dropped:
                continue
            used = {colour[k] for k in adj[j] if colour[k] is not None}
            free = [c for c in (0, 1) if c not in used]
            if not free:
                dropped.append(j)
                continue
            colour[j] = free[0]
            queue.extend(k for k in adj[j] if colour[k] is None)
    dropped_set = set(dropped)
    fam = [[j for j in range(len(sets)) if colour[j] == c and j not in dropped_set] for c in (0, 1)]
    # laminar trees: each item's chain of sets, smallest first
    chains = [{}, {}]
    for c in (0, 1):
        for j in sorted(fam[c], key=lambda j: len(sets[j])):
            for i in sets[j]:
                chains[c].setdefault(i, []).append(j)
    node = {}
    S, T = 0, 1
    for c in (0, 1):
        for j in fam[c]:
            node[j] = len(node) + 2
    net = _Network(len(node) + 2)
    excess = [0] * (len(node) + 2)
    big = n * K + 1

    def arc(u, v, lo, hi, cost):
        excess[v] += lo
        excess[u] -= lo
        if hi == lo:
            return None
        h = net.add(u, v, hi - lo, cost)
        if cost <= 0:  # start at the upper bound: the plain (half-up) rounding
            net.push(h, hi - lo)
            excess[v] += hi - lo
            excess[u] -= hi - lo
        return h, lo

    for c in (0, 1):
        for j in fam[c]:
            s = sets[j]
            i0 = next(iter(s))
            chain = chains[c][i0]
            up = chain[chain.index(j) + 1] if chain.index(j) + 1 < len(chain) else None
            total = sum(fractions[i] for i in s)
            lo, rem = divmod(total, K)
            hi = lo + (1 if rem else 0)
            cost = big * len(s) * (K - 2 * rem)
            parent = node[up] if up is not None else (S if c == 0 else T)
            if c == 0:
                arc(parent, node[j], lo, hi, cost)
            else:
                arc(node[j], parent, lo, hi, cost)
    items = []
    for i, r in enumerate(fractions):
        u = node[chains[0][i][0]] if i in chains[0] else S
        v = node[chains[1][i][0]] if i in chains[1] else T
        items.append(arc(u, v, 0, 1, K - 2 * r))
    # the circulation arc starts at the items' plain rounding (as many units as items start at 1), not
    # at its upper bound: the flow then only has to mend the sets' deviations (need ≈ their count,
    # not n more units pushed back around — which made the flow quadratic in the rows)
    back = net.add(T, S, n + 1, 0)
    up = sum(1 for r in fractions if K - 2 * r <= 0)
    net.push(back, up)
    excess[S] += up
    excess[T] -= up
    need = sum(x for x in excess if x > 0)
    got = net.transport(excess)
    if got < need:  # cannot happen for two laminar families (the fractions are a feasible flow)
        raise RoundingError("controlled rounding found no feasible flow")
    b = [lo + net.flow(h) for h, lo in items]
    return b, [sets[j] for j in dropped]


# ---------------------------------------------------------------------------- publish


def _exact_values(d, values: dict | None) -> dict:
    if values is None:
        from .fill import compute

        values = compute(d).values
    exact = {}
    for inst, row, col, e in d.cells():
        if e.spec.type != "amount":
            continue
        key = (inst, row, col)
        v = values[key] if key in values else e.value
        if isinstance(v, Decimal):
            exact[key] = v
    return exact


def publish(d, values: dict | None = None, policy: str | None = None) -> Published:
    """The published figure of every amount cell of `d` under `policy` (default: the schema's
    `publication.rounding`). `values`: `toolkit.fill.compute(d).values` when already computed."""
    pub = d.schema.publication
    policy = policy or pub.rounding
    if policy not in ROUNDING_POLICIES:
        raise RoundingError(f"未知的舍入方式「{policy}」；可选：{'、'.join(ROUNDING_POLICIES)}")
    q = pub.quantum
    exact = _exact_values(d, values)
    forms = linear_forms(d, exact)
    where = {k: (d.entry(*k).sheet, d.entry(*k).cell) for k in exact}
    out = Published(policy, q, {}, exact)
    rounded = {k: v.quantize(q, ROUND_HALF_UP) for k, v in exact.items()}
    if policy == "round":
        out.values = rounded
        for k, form in forms.items():
            if k not in exact:
                continue
            from_items = sum((c * rounded.get(ref, Decimal(0)) for ref, c in form.items() if ref != CONST),
                             form.get(CONST, Decimal(0)))
            if from_items != rounded[k]:
                ops = tuple(ref for ref in form if ref != CONST and ref in exact)
                out.discrepancies.append(Discrepancy(k, *where[k], exact[k], rounded[k], from_items, ops))
        return out
    # balance
    leaves_of = _expand(forms, exact)
    items: dict = {}  # input cell -> index among the fractional items
    floor: dict = {}
    fractions: list = []
    denominators = []
    for k, v in exact.items():
        if k in forms:
            continue
        u = v / q
        f = u.to_integral_value(ROUND_FLOOR)
        floor[k] = f
        if u != f:
            items[k] = len(fractions)
            fractions.append(u - f)
            denominators.append(-(u - f).as_tuple().exponent)
    K = 10 ** max(denominators, default=0)
    frac_int = [int(r * K) for r in fractions]
    sets, checked = [], []
    for k, form in leaves_of.items():
        if k not in exact:
            continue
        coeffs = {items[x]: c for x, c in form.items() if x in items}
        if not coeffs:
            continue
        if all(c == 1 for c in coeffs.values()):
            sets.append(frozenset(coeffs))
        else:
            checked.append(k)
    b, dropped = balance_sets(frac_int, sets, K) if fractions else ([], [])
    for k, f in floor.items():
        i = items.get(k)
        out.values[k] = ((f + (b[i] if i is not None else 0)) * q).quantize(q)
    for k, form in leaves_of.items():
        if k not in exact:
            continue
        v = sum((c * out.values.get(x, Decimal(0)) for x, c in form.items() if x != CONST), form.get(CONST, Decimal(0)))
        out.values[k] = v.quantize(q) if v == v.quantize(q) else v
        if abs(v - exact[k]) >= q and v != exact[k] or (exact[k] == exact[k].quantize(q) and v != exact[k]):
            out.unbalanced.append(Unbalanced(k, *where[k], exact[k], v))
    for k in exact:
        if out.values[k] != rounded[k]:
            out.adjustments.append(Adjustment(k, *where[k], exact[k], rounded[k], out.values[k]))
    out.network = {"items": len(fractions), "sets": len(set(sets)), "checked": len(checked), "dropped": len(dropped)}
    return out


__all__ = ["publish", "Published", "Adjustment", "Discrepancy", "Unbalanced", "balance_sets", "linear_forms",
           "RoundingError"]
