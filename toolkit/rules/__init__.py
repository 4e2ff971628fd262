"""The rule catalogue.

Each rule has a stable code (never reused), a severity, a short Chinese title and a docstring
that says what it checks and why. Codes by family (one module each):

    F1xx  entry format                (entry.py; F101–F106 are reported by the reader)
    C2xx  classification codes/names  (classification.py)
    A3xx  arithmetic inside a table   (arithmetic.py; A311–A313 publication.py: rounding for publication)
    X4xx  cross-table agreement       (arithmetic.py: repeated figures; crosstable.py;
                                       prior.py: 上年数 against last year's workbook)
    N5xx  narrative text vs tables    (narrative.py)
    P6xx  performance-target forms    (performance.py)
    D7xx  completeness of disclosure  (completeness.py)

A *checker* is a function `check(ctx)` that yields findings for one or more codes; `validate()`
runs them all and returns the findings in a stable order.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from decimal import Decimal

from ..findings import ERROR, INFO, WARNING, Finding, sort_findings
from ..model import paused_gc
from ..schema import MissingSheet


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str
    doc: str
    family: str


RULES: dict[str, Rule] = {}
CHECKERS: list = []
#: the parameters a bureau may set per rule, {code: {name: Param}} (declared with `parameter()`;
#: toolkit.config accepts only these names and converts values to their kind)
PARAMS: dict[str, dict[str, "Param"]] = {}

FAMILIES = {
    "F": "录入格式", "C": "科目编码与名称", "A": "表内计算", "X": "表间一致",
    "N": "情况说明文字", "P": "绩效目标表", "D": "公开完整性",
}


def register(code: str, severity: str, title: str, doc: str) -> Rule:
    if code in RULES:
        raise ValueError(f"rule code {code} registered twice")
    r = Rule(code, severity, title, inspect.cleandoc(doc), FAMILIES[code[0]])
    RULES[code] = r
    return r


@dataclass(frozen=True)
class Param:
    """A documented rule parameter: its name, default and kind ("decimal", "int", "bool", "words":
    a list of texts), optional bounds or choices, the unit it is counted in and what it does."""

    code: str
    name: str
    default: object
    kind: str
    doc: str
    unit: str = ""
    minimum: object = None
    maximum: object = None
    choices: tuple = ()


PARAM_KINDS = ("decimal", "int", "bool", "words")


def parameter(code: str, name: str, default, doc: str, kind: str | None = None, unit: str = "",
              minimum=None, maximum=None, choices: tuple = ()) -> Param:
    """Declare a parameter of a registered rule (its checker reads it with `ctx.param(code, name)`)."""
    if code not in RULES:
        raise ValueError(f"parameter {name}: rule {code} not registered")
    if kind is None:
        kind = ("bool" if isinstance(default, bool) else "int" if isinstance(default, int)
                else "decimal" if isinstance(default, Decimal) else "words")
    if kind not in PARAM_KINDS:
        raise ValueError(f"parameter {code}.{name}: unknown kind {kind}")
    if name in PARAMS.get(code, {}):
        raise ValueError(f"parameter {code}.{name} declared twice")
    p = Param(code, name, tuple(default) if kind == "words" else default, kind, inspect.cleandoc(doc), unit,
              minimum, maximum, tuple(choices))
    PARAMS.setdefault(code, {})[name] = p
    return p


def checker(*codes: str, needs: tuple = (), applies_to: tuple = ()):
    """Register a check function that emits findings of the given (registered) codes.

    `needs`: the tables and forms (schema keys, "t12", "perf_dept") the check reads. When the
    schema has no such sheet, or the workbook left an optional one out, the check is not run and
    is listed as skipped (`skipped_rules`) instead. A key ending in "?" ("t13?") is needed only
    where the schema has that sheet. A check that asks the schema for a sheet it
    lacks without declaring it (schema.MissingSheet) is skipped and listed the same way.
    `applies_to`: the tables a check is about, of a table set that has them (bj-14's 政府采购预算明细表
    `proc`): a schema without them gives the check nothing to look at, so it is not run and not
    listed (listing it under every sx-13 report would be noise); they count as `needs` otherwise."""

    def deco(fn):
        for c in codes:
            if c not in RULES:
                raise ValueError(f"{fn.__name__}: code {c} not registered")
        fn.codes = codes
        fn.needs = tuple(needs) + tuple(k for k in applies_to if k not in needs)
        fn.applies_to = tuple(applies_to)
        CHECKERS.append(fn)
        return fn

    return deco


@dataclass(frozen=True)
class Skipped:
    """Rules not run on a workbook: `codes`, and the sheets they need that are not there."""

    codes: tuple
    missing: tuple  # schema keys
    reason: str  # Chinese: 本结构没有「表7」… / 工作簿未包含可选的…

    def text(self) -> str:
        return f"{'、'.join(self.codes)}：{self.reason}"


def _absent(d, key: str) -> str | None:
    """Why sheet `key` is not there for this workbook (None: it is). "t13?": needed where the table set
    has it (a set without it, bj-14, runs the check without; a workbook leaving it out skips it)."""
    schema = d.schema
    if key.endswith("?"):
        key = key[:-1]
        if not schema.has(key):
            return None
    if not schema.has(key):
        return f"本表结构（{schema.id or schema.name}）没有「{key}」"
    spec = schema.sheet(key)
    if getattr(spec, "repeat", False):
        return None  # repeated forms: zero instances is a workbook without projects, not an absence
    if key not in d.entries:
        return f"工作簿未包含可选的「{spec.sheet}」"
    return None


def skipped_rules(d) -> list:
    """The rules `validate(d)` did not run (recorded on the disclosure by validate)."""
    return list(getattr(d, "skipped_rules", []) or [])


@dataclass
class Context:
    """What a checker gets: the disclosure and a few shared helpers (computed once)."""

    d: object
    _cache: dict = field(default_factory=dict)
    #: rule parameters in force, {code: {name: value}} (a bureau's configuration; issue 16). A checker
    #: reads them with `param()`, never from its own constants, so a bureau can change a threshold.
    settings: dict = field(default_factory=dict)

    def param(self, code: str, name: str, default=None):
        """The value of a rule parameter (a tolerance, a threshold) in force for this workbook: the
        configuration's, else `default`, else the default declared with `parameter()`."""
        given = self.settings.get(code, {})
        if name in given:
            return given[name]
        if default is None and name in PARAMS.get(code, {}):
            return PARAMS[code][name].default
        return default

    @property
    def evaluator(self):
        if "ev" not in self._cache:
            from ..derive import Evaluator

            self._cache["ev"] = Evaluator(self.d, memo=True)  # published values: fixed while validating
        return self._cache["ev"]

    @property
    def reference(self):
        """The classification lists as valid in the workbook's 预算年度 (all codes when it is unknown)."""
        if "ref" not in self._cache:
            from ..reference import load_reference

            self._cache["ref"] = load_reference(year=self.d.year)
        return self._cache["ref"]

    def finding(self, code: str, where, message: str, expected=None, actual=None, severity: str | None = None) -> Finding:
        """`where` is an Entry, or (sheet name, cell), or a sheet name."""
        rule = RULES[code]
        if hasattr(where, "cell"):
            sheet, cell = where.sheet, where.cell
        elif isinstance(where, tuple):
            sheet, cell = where
        else:
            sheet, cell = where, None
        loc = f"「{sheet}」{cell}" if cell else f"「{sheet}」"
        return Finding(code, severity or rule.severity, sheet, cell, f"{loc}：{message}", expected, actual)

    def sheet_name(self, inst: str) -> str:
        return self.d.sheet_names.get(inst, inst)


def money(v) -> str:
    """A figure as the clerk reads it: 224.31."""
    if v is None:
        return "空"
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def _load_families() -> None:
    from . import arithmetic, classification, completeness, crosstable, entry, narrative, performance, publication  # noqa: F401
    from . import prior  # noqa: F401
    from . import procurement, references  # noqa: F401  (bj-14's 政府采购/购买服务 tables; 「表N」 references)


def validate(d, grouped: bool = False, settings: dict | None = None, config=None, waivers=None) -> list[Finding]:
    """All findings for a read workbook (reader findings included), in stable order.

    `grouped`: identical discrepancies (one rounding slip copied into several tables) as one finding
    that lists the other cells (rules.rootcause). `settings`: rule parameters, see `Context.param`.
    `config`: a bureau's rule configuration (toolkit.config: `settings_for(d)` gives its parameters,
    `apply(findings, d)` its selection and severities); `waivers`: reviewed findings
    (toolkit.waivers: `apply(findings, d)` marks the ones a waiver still covers)."""
    _load_families()
    if config is not None:
        settings = {**config.settings_for(d), **(settings or {})}
    ctx = Context(d, settings=settings or {})
    out = list(d.findings)
    skipped = []
    with paused_gc():  # the checks build many small acyclic results (see toolkit.model.paused_gc)
        for fn in CHECKERS:
            if not all(d.schema.has(k) for k in getattr(fn, "applies_to", ())):
                continue  # a check about tables this table set does not have (not listed: nothing to check)
            why = [(k, r) for k in getattr(fn, "needs", ()) if (r := _absent(d, k))]
            if why:
                skipped.append(Skipped(fn.codes, tuple(k.rstrip("?") for k, _ in why), "；".join(r for _, r in why)))
                continue
            try:
                out.extend(list(fn(ctx)))
            except MissingSheet as exc:  # a check written for another table set, without `needs`
                skipped.append(Skipped(fn.codes, (exc.key,), f"本表结构（{d.schema.id or d.schema.name}）没有「{exc.key}」"))
    d.skipped_rules = skipped
    order = list(d.sheet_names.values())
    seen, unique = set(), []
    for f in sort_findings(out, order):
        key = (f.rule, f.sheet, f.cell, str(f.expected), str(f.actual))
        if key in seen:
            continue  # the same fact found by two checks (e.g. a total that breaks two identities)
        seen.add(key)
        unique.append(f)
    if grouped:
        from .rootcause import group_identical

        unique = group_identical(unique)
    if config is not None:
        unique = config.apply(unique, d)
    if waivers is not None:
        unique = waivers.apply(unique, d)
    return unique


def catalogue() -> list[Rule]:
    _load_families()
    return [RULES[k] for k in sorted(RULES)]


# the reader's findings are rules of the catalogue too
register("F101", WARNING, "数字以文本形式录入", """
    金额、人数等数字格以文本形式录入（如 '57.41）。读取时按数字处理，但 Excel 不会把它计入求和，
    打印和导出也可能不一致；请改为数值格式。""")
register("F102", WARNING, "全角数字或符号", """
    数字或科目编码中含全角字符（１２３．４５、－）。读取时转换为半角，请在工作簿中改正。""")
register("F103", INFO, "千分位分隔符", """
    以文本录入的数字带千分位分隔符（1,234.50）。读取时去掉分隔符；数值格式的千分位显示不受影响。""")
register("F104", INFO, "以符号表示空值", """
    用“-”“—”“/”等表示无数据。读取时按空值处理；公开表中无数据的格应直接留空。""")
register("F105", INFO, "多余空格", """
    单元格首尾有空格，或只有空格。读取时忽略。""")
register("F106", ERROR, "无法识别的数字", """
    应填数字的格填了无法识别为数字的内容（如“十五万”“约3万”）。该格按空值处理，相关计算都会受影响。""")

register("F114", ERROR, "公式没有保存计算结果", """
    单元格是公式，但文件中没有保存计算结果（程序生成、未在 Excel 中打开保存的工作簿），或公式结果是错误值
    （#DIV/0!、#REF! 等）。读取时该格为空，相关计算都会受影响；请在 Excel 中打开并保存，或直接填写数值。""")

__all__ = ["RULES", "CHECKERS", "PARAMS", "Param", "parameter", "Rule", "Context", "Skipped", "skipped_rules", "register",
           "checker", "validate", "catalogue", "money",
           "ERROR", "WARNING", "INFO"]
