"""Waivers: findings the bureau has reviewed and accepts, each with its reason, who and when.

A waiver file is YAML (``bdt-waivers.yaml``, found beside the workbook — for a batch, beside the
workbooks of the folder — or named with ``--waivers FILE``)::

    waivers:
      - department: 忻州市人民政府驻北京联络处   # 部门名称 (or its code)
        department_code: "104"                  # optional; when both sides have a code, it decides
        rule: N504
        sheet: 情况说明
        cell: B11                               # or "情况说明!B11"; empty for a whole-sheet finding
        expected: "-17.22"                      # the figure the finding was about: its 应为 …
        actual: "0"                             # … its 实际 …
        content: "sha256:1f0c…"                 # … and the cell's content (text ≤ 60 characters
                                                #     verbatim, longer text as a fingerprint)
        reason: 经核实，上年数为调整前口径，已在说明中注明
        by: 张三
        at: 2026-12-03
        after_fill: false                       # true: a finding of the filled workbook (what
                                                #     export publishes), not of the submitted one

**What identifies "the figure".** A waiver covers a finding when the department, rule, sheet and
cell are the same *and* the figure is unchanged: the finding's expected and actual values (numbers
compared as numbers: 9 = 9.00) and the content of the cell the finding is on (so rewriting a
paragraph, or typing another number, re-opens it). Every figure key present in the entry must
match; an entry needs at least one. When any of them changed, the waiver no longer applies: the
finding is open again and the waiver is listed as *stale* (不再适用) with the figure then and now.
A waiver whose place has no finding any more is listed as *unused* (未使用). `bdt waive` writes
entries with all three taken from the workbook's current finding, so hand-writing is never needed.

`Waivers.apply(findings, d)` (called last by `toolkit.rules.validate(…, waivers=…)`) returns the
findings with the covered ones marked (`Finding.waived` = the `Waiver`); nothing is removed.
`Waivers.outcome(d)` then gives what happened to each waiver of that department (`Outcome`).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import UserError

WAIVERS_FILE = "bdt-waivers.yaml"
CONTENT_LIMIT = 60  # longer cell content is recorded as a fingerprint
FIGURE_KEYS = ("expected", "actual", "content")
KEYS = ("department", "department_code", "rule", "sheet", "cell", *FIGURE_KEYS, "reason", "by", "at", "after_fill")
_A1 = re.compile(r"^[A-Z]{1,3}[1-9][0-9]{0,6}$")
class _Absent:
    """A figure key the entry does not have (not compared) — unlike null (the value must be empty)."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __reduce__(self):  # one instance across pickling and deepcopy
        return "_ABSENT"


_ABSENT = _Absent()


class WaiverError(UserError):
    """A waiver file that cannot be used, or a waiver that cannot be made; `message` is Chinese."""


@dataclass(frozen=True)
class Waiver:
    rule: str
    sheet: str
    cell: str | None
    department: str | None
    department_code: str | None
    reason: str
    by: str
    at: str | None = None
    expected: object = _ABSENT
    actual: object = _ABSENT
    content: object = _ABSENT
    after_fill: bool = False
    entry: int = field(default=0, compare=False)  # its position in the file (1-based), for messages

    def place(self) -> str:
        return f"「{self.sheet}」{self.cell}" if self.cell else f"「{self.sheet}」"

    def figure(self) -> str:
        parts = [f"{_KEY_ZH[k]} {_show(getattr(self, k))}" for k in FIGURE_KEYS if getattr(self, k) is not _ABSENT]
        return "、".join(parts)

    def to_dict(self) -> dict:
        """As written in the file (and in JSON reports): only the keys the entry has."""
        out = {"department": self.department, "department_code": self.department_code, "rule": self.rule,
               "sheet": self.sheet, "cell": self.cell}
        for k in FIGURE_KEYS:
            v = getattr(self, k)
            if v is not _ABSENT:
                out[k] = v
        out.update(reason=self.reason, by=self.by, at=self.at)
        if self.after_fill:
            out["after_fill"] = True
        return {k: v for k, v in out.items() if v is not None or k in FIGURE_KEYS or k == "cell"}


_KEY_ZH = {"expected": "应为", "actual": "实际", "content": "单元格内容"}


def _show(v) -> str:
    return "空" if v is None else str(v)


# ---------------------------------------------------------------- the figure

def plain(v):
    """A finding's value as recorded: Decimals as exact text, None as None, other values as text."""
    if v is None:
        return None
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        return format(Decimal(str(v)), "f")
    return str(v)


def fingerprint(value):
    """A cell's content as recorded: short text verbatim, longer text as sha256:<16 hex>."""
    text = plain(value)
    if text is None or text == "":
        return None
    if len(text) <= CONTENT_LIMIT:
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _number(text):
    try:
        n = Decimal(text)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return n if n.is_finite() else None


def same(recorded, now) -> bool:
    """Recorded figure vs the current one: numbers as numbers (9 = 9.00), else the same text."""
    a, b = plain(recorded), plain(now)
    if a is None or b is None:
        return a is None and b is None
    a, b = a.strip(), b.strip()
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    return a == b


def contents(d) -> dict:
    """{(sheet, A1): fingerprint of the cell's value} for every cell the reader knows."""
    out = {}
    for cells in d.entries.values():
        for e in cells.values():
            out[(e.sheet, e.cell)] = fingerprint(e.value)
    return out


def _figure_now(f, cells: dict) -> dict:
    return {"expected": plain(f.expected), "actual": plain(f.actual), "content": cells.get((f.sheet, f.cell))}


def _matches(w: Waiver, now: dict) -> bool:
    return all(same(getattr(w, k), now[k]) for k in FIGURE_KEYS if getattr(w, k) is not _ABSENT)


def _dept_matches(w: Waiver, d) -> bool:
    code, name = plain(getattr(d, "dept_code", None)), plain(getattr(d, "dept_name", None))
    code, name = (code or "").strip(), (name or "").strip()
    if w.department_code and code:
        return w.department_code == code
    return bool(w.department) and w.department in (name, code)


# ---------------------------------------------------------------- outcome

@dataclass
class Outcome:
    """What the waivers of one department did for one workbook."""

    applied: list = field(default_factory=list)  # (Waiver, Finding) — the finding is shown as 已豁免
    stale: list = field(default_factory=list)  # (Waiver, [findings at that place now]) — figure changed
    unused: list = field(default_factory=list)  # Waiver — no finding at that place any more
    pending: list = field(default_factory=list)  # Waiver(after_fill) not found in the submitted workbook

    def lines(self) -> list[str]:
        """Chinese lines for reports: stale and unused waivers (the applied ones are on their findings)."""
        out = []
        for w, now in self.stale:
            figs = "；".join(_now_text(w, f) for f in now)
            out.append(f"豁免不再适用（数字已改变，问题重新列为未解决）：{w.rule} {w.place()}，豁免时 {w.figure()}；"
                       f"现在 {figs}（{w.by}{('，' + w.at) if w.at else ''}：{w.reason}）")
        for w in self.unused:
            out.append(f"豁免未使用（该处已没有这个问题，可以删除这条豁免）：{w.rule} {w.place()}（{w.by}：{w.reason}）")
        return out

    def to_dict(self) -> dict:
        return {"applied": [w.to_dict() for w, _ in self.applied],
                "stale": [dict(w.to_dict(), now=[{k: plain(getattr(f, k)) for k in ("expected", "actual")} for f in now])
                          for w, now in self.stale],
                "unused": [w.to_dict() for w in self.unused],
                "pending": [w.to_dict() for w in self.pending]}


def _now_text(w: Waiver, f) -> str:
    parts = []
    for k in ("expected", "actual"):
        if getattr(w, k) is not _ABSENT:
            parts.append(f"{_KEY_ZH[k]} {_show(plain(getattr(f, k)))}")
    if w.content is not _ABSENT and not parts:
        parts.append("单元格内容已改动")
    return "、".join(parts) or "单元格内容已改动"


# ---------------------------------------------------------------- the file

class Waivers:
    """The waivers of one file (any number of departments)."""

    def __init__(self, items=(), path=None):
        self.items: list[Waiver] = list(items)
        self.path = Path(path) if path is not None else None
        self._outcomes: dict = {}

    def __len__(self) -> int:
        return len(self.items)

    def __reduce__(self):  # to a batch worker process: the items, not the outcomes seen so far
        return (Waivers, (self.items, self.path))

    @classmethod
    def load(cls, path) -> "Waivers":
        """Read a waiver file; a missing, unreadable or malformed file raises WaiverError naming it
        (and the entry: 第 N 条)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise WaiverError(f"找不到豁免文件「{path}」。") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise WaiverError(f"无法读取豁免文件「{path}」：{getattr(exc, 'strerror', None) or exc}。") from None
        return cls(parse(text, path.name), path)

    @classmethod
    def beside(cls, workbook) -> "Waivers | None":
        """The bdt-waivers.yaml in the workbook's folder (a folder: in it), or None when there is none."""
        p = Path(workbook)
        folder = p if p.is_dir() else p.parent
        f = folder / WAIVERS_FILE
        return cls.load(f) if f.is_file() else None

    def for_department(self, d) -> list[Waiver]:
        return [w for w in self.items if _dept_matches(w, d)]

    def review(self, findings, d, filled: bool = False) -> tuple[list, Outcome]:
        """(findings with the covered ones marked, the outcome). `filled`: the findings are of the
        filled workbook (export's view), where after_fill waivers are expected to find theirs."""
        mine = self.for_department(d)
        outcome = Outcome()
        if not mine:
            return list(findings), outcome
        cells = contents(d)
        by_place: dict = {}
        for w in mine:
            by_place.setdefault((w.rule, w.sheet, w.cell), []).append(w)
        used: set = set()
        at_place: dict = {}
        out = []
        for f in findings:
            ws = by_place.get((f.rule, f.sheet, f.cell))
            if not ws:
                out.append(f)
                continue
            at_place.setdefault((f.rule, f.sheet, f.cell), []).append(f)
            now = _figure_now(f, cells)
            hit = next((w for w in ws if _matches(w, now)), None)
            if hit is None:
                out.append(replace(f, waived=None) if f.waived is not None else f)
                continue
            used.add(id(hit))
            outcome.applied.append((hit, f))
            out.append(replace(f, waived=hit))
        for w in mine:
            if id(w) in used:
                continue
            now = at_place.get((w.rule, w.sheet, w.cell))
            if now:
                outcome.stale.append((w, now))
            elif w.after_fill and not filled:
                outcome.pending.append(w)
            else:
                outcome.unused.append(w)
        return out, outcome

    def apply(self, findings, d, filled: bool = False) -> list:
        """The hook of `toolkit.rules.validate`: the findings, waived ones marked (none removed)."""
        out, outcome = self.review(findings, d, filled=filled)
        self._outcomes[_key(d, filled)] = outcome
        return out

    def outcome(self, d, filled: bool = False) -> Outcome:
        """What `apply` did for this workbook last (an empty Outcome before)."""
        return self._outcomes.get(_key(d, filled), Outcome())

    # ------------------------------------------------------------ writing
    def add(self, new: list[Waiver]) -> list[Waiver]:
        """Add waivers; one for the same department, place and figure replaces the old one."""
        for w in new:
            key = _identity(w)
            self.items = [x for x in self.items if _identity(x) != key]
            self.items.append(w)
        self.items = [replace(w, entry=i) for i, w in enumerate(self.items, 1)]
        return new

    def save(self, path=None) -> Path:
        import yaml

        from .io.atomic import atomic_output

        path = Path(path or self.path)
        body = yaml.safe_dump({"waivers": [w.to_dict() for w in self.items]}, allow_unicode=True, sort_keys=False,
                              width=1000)
        text = ("# bdt 豁免记录：经审核可以接受的校验问题（bdt waive 生成，也可手工编辑；说明见 toolkit/waivers.py）。\n"
                "# 数字（应为/实际/单元格内容）改变后，豁免自动失效。\n" + body)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path) as fh:
            fh.write(text.encode("utf-8"))
        self.path = path
        return path


def _identity(w: Waiver) -> tuple:
    return (w.department_code or w.department, w.rule, w.sheet, w.cell,
            *(plain(getattr(w, k)) if getattr(w, k) is not _ABSENT else "-" for k in FIGURE_KEYS))


def _key(d, filled: bool) -> tuple:
    return (str(getattr(d, "path", "") or ""), plain(getattr(d, "dept_code", None)), plain(getattr(d, "dept_name", None)),
            filled)


def parse(text: str, name: str = WAIVERS_FILE) -> list[Waiver]:
    """The waivers of a file's text; WaiverError (naming the file `name` and the entry) when malformed."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else ""
        raise WaiverError(f"豁免文件「{name}」不是有效的 YAML（{where}{getattr(exc, 'problem', '') or ''}），请检查缩进和引号。") from None
    if data is None:
        return []
    if isinstance(data, dict):
        extra = sorted(set(map(str, data)) - {"waivers"})
        if extra:
            raise WaiverError(f"豁免文件「{name}」：不认识的项「{extra[0]}」，文件应为 waivers: 下的一列豁免。")
        data = data.get("waivers") or []
    if not isinstance(data, list):
        raise WaiverError(f"豁免文件「{name}」：waivers 应为一列豁免（每条以“- ”开头）。")
    from .rules import RULES, _load_families

    _load_families()
    out = []
    for i, item in enumerate(data, 1):
        out.append(_entry(item, i, name, RULES))
    return out


def _entry(item, i: int, name: str, rules: dict) -> Waiver:
    def bad(what: str) -> WaiverError:
        label = f"（{item.get('rule')} {item.get('sheet') or ''}{item.get('cell') or ''}）" if isinstance(item, dict) else ""
        return WaiverError(f"豁免文件「{name}」第 {i} 条{label}：{what}")

    if not isinstance(item, dict):
        raise bad("应为“键: 值”的一组（department、rule、sheet、cell、reason、by 等）。")
    unknown = [k for k in map(str, item) if k not in KEYS]
    if unknown:
        raise bad(f"不认识的项「{unknown[0]}」（可用：{'、'.join(KEYS)}）。")

    def text(key: str, required: bool = False):
        v = item.get(key)
        v = None if v is None else (plain(v) if not isinstance(v, (_dt.date, _dt.datetime)) else v.isoformat()).strip()
        if required and not v:
            raise bad(f"缺少“{key}”（{_REQUIRED[key]}）。")
        return v or None

    rule = text("rule", True).upper()
    if rule not in rules:
        raise bad(f"没有编号为「{rule}」的校验规则（见 docs/rules.md）。")
    sheet, cell = text("sheet"), text("cell")
    if cell and "!" in cell:
        s, _, cell = cell.rpartition("!")
        s = s.strip("'")
        if sheet and sheet != s:
            raise bad(f"sheet「{sheet}」与 cell「{s}!{cell}」中的工作表不一致。")
        sheet = s
    if not sheet:
        raise bad("缺少“sheet”（工作表名称，如 情况说明；也可写在 cell 中：情况说明!B11）。")
    if cell is not None:
        cell = cell.upper().replace("$", "")
        if not _A1.match(cell):
            raise bad(f"单元格「{cell}」不是单元格地址（如 B11）。")
    dept, code = text("department"), text("department_code")
    if not dept and not code:
        raise bad("缺少“department”（部门名称或编码：豁免只对该部门适用）。")
    if not any(k in item for k in FIGURE_KEYS):
        raise bad("没有记录豁免时的数字（expected、actual 或 content 至少一项），数字改变时无法判断豁免是否失效；"
                  "请用 bdt waive 生成。")
    figures = {k: (plain(item[k]) if k in item else _ABSENT) for k in FIGURE_KEYS}
    after = item.get("after_fill", False)
    if not isinstance(after, bool):
        raise bad("after_fill 应为 true 或 false。")
    return Waiver(rule=rule, sheet=sheet, cell=cell, department=dept, department_code=code,
                  reason=text("reason", True), by=text("by", True), at=text("at"), after_fill=after, entry=i, **figures)


_REQUIRED = {"rule": "规则编号，如 N504", "reason": "豁免理由", "by": "审核人"}


# ---------------------------------------------------------------- making waivers (bdt waive)

def split_cell(where: str) -> tuple[str, str | None]:
    """"情况说明!B12" → ("情况说明", "B12"); "情况说明" → ("情况说明", None)."""
    where = (where or "").strip()
    if "!" in where:
        sheet, _, cell = where.rpartition("!")
        cell = cell.strip().upper().replace("$", "")
        if not _A1.match(cell):
            raise WaiverError(f"「{where}」中的「{cell}」不是单元格地址（应为 工作表!单元格，如 情况说明!B12）。")
        return sheet.strip().strip("'"), cell
    if _A1.match(where.upper()):
        raise WaiverError(f"「{where}」缺少工作表名称（应为 工作表!单元格，如 情况说明!B12）。")
    return where, None


def make(d, rule: str, where: str | None, reason: str, by: str, at: str | None = None, schema=None) -> list[Waiver]:
    """Waivers recording the current figure of the finding(s) of `rule` at `where` ("sheet!A1",
    "sheet", or None: every finding of the rule) — looked up in the submitted workbook, then in
    the filled one export publishes. WaiverError (Chinese) when there is no such finding."""
    from .rules import validate

    rule = (rule or "").strip().upper()
    if not (reason or "").strip():
        raise WaiverError("豁免必须写明理由（--reason）。")
    if not (by or "").strip():
        raise WaiverError("豁免必须写明审核人（--by）。")
    sheet, cell = split_cell(where) if where else (None, None)
    if sheet is not None and sheet not in d.sheet_names.values():
        raise WaiverError(f"工作簿中没有名为「{sheet}」的工作表。")

    def hits(findings):
        return [f for f in findings if f.rule == rule and (sheet is None or (f.sheet == sheet and f.cell == cell))]

    at = at or _dt.date.today().isoformat()
    from .export.check import filled_model
    from .fill import compute

    plan = compute(d)
    model = filled_model(d, plan.values, plan.fingerprints)
    submitted, filled = validate(d), validate(model)
    seen = {(f.rule, f.sheet, f.cell, plain(f.expected), plain(f.actual)) for f in hits(submitted)}
    found = [(f, d, False) for f in hits(submitted)]
    found += [(f, model, True) for f in hits(filled)
              if (f.rule, f.sheet, f.cell, plain(f.expected), plain(f.actual)) not in seen]
    if not found:
        place = f"「{sheet}」{cell or ''}" if sheet else "工作簿中"
        here = {f.rule for f in submitted + filled if sheet is not None and f.sheet == sheet and f.cell == cell}
        hint = (f"该处现有的问题：{'、'.join(sorted(here))}。" if here
                else "请先运行 bdt validate 查看问题的规则编号和单元格。")
        raise WaiverError(f"没有可以豁免的问题：{place}没有规则 {rule} 的校验问题（按提交的和填充后的工作簿都查过）。{hint}")
    dept, code = plain(d.dept_name), plain(d.dept_code)
    if not (dept or code):
        raise WaiverError("工作簿没有填写部门名称和编码（封面/基本信息），豁免无法确定适用的部门。")
    cells = {False: contents(d), True: contents(model)}
    out = []
    for f, _, after in found:
        now = _figure_now(f, cells[after])
        out.append(Waiver(rule=f.rule, sheet=f.sheet, cell=f.cell, department=(dept or None), department_code=(code or None),
                          reason=reason.strip(), by=by.strip(), at=at, after_fill=after, **now))
    return out


def waive(book, rule: str, where: str | None, reason: str, by: str, file=None, schema=None) -> tuple[Path, list[Waiver]]:
    """`bdt waive`: add waivers for the current finding(s) to `file` (default: bdt-waivers.yaml beside
    the workbook, created when missing). Returns (the file, the new waivers)."""
    import toolkit

    d = toolkit.load(book, schema=schema)
    target = Path(file) if file else Path(book).parent / WAIVERS_FILE
    waivers = Waivers.load(target) if target.exists() else Waivers(path=target)
    new = make(d, rule, where, reason, by, schema=schema)
    waivers.add(new)
    return waivers.save(target), new


__all__ = ["Waiver", "Waivers", "WaiverError", "Outcome", "WAIVERS_FILE", "make", "waive", "parse",
           "fingerprint", "same", "split_cell"]
