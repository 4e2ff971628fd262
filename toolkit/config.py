"""A finance bureau's rule configuration: which rules run, at which severity, with which parameters,
for every department or for one (issue 16). Modelled on ruff's settings.

    # bdt.toml — beside the workbooks, or given with --config
    ignore = ["P612"]                    # codes or prefixes ("N5": every N5xx rule)
    extend-select = []                   # add rules back (after a narrower select)
    # select = ["A", "X", "N"]           # only these (default: every rule)

    [severity]
    N504 = "warning"                     # error / warning / info (or 错误 / 警告 / 提示)

    [params.P602]
    min_amount = "100"                   # Decimal: a string or a number, never a float

    [per-department."104"]               # by 部门代码 or by 部门名称
    ignore = ["D703"]
    [per-department."104".params.D703]
    threshold = "0.2"

The same content in YAML (bdt.yaml) gives the same configuration. Every key, rule code, parameter
name and value is checked against the catalogue (`toolkit.rules.RULES` and `PARAMS`): anything
unknown is a `ConfigError` whose Chinese message names the file, the key and (where it can be
found) the line — nothing is silently ignored.

Selection (as ruff): for each rule, the most specific selector (longest prefix) among `select`,
`extend-select` and `ignore` decides; at equal length `ignore` wins; with no `select` every rule
is selected. A `[per-department."X"]` table is a second layer applied to that department's
workbook: a selector of that layer that matches the rule decides, otherwise the top level does;
a department's own `select` means “only these” for that department. Its `severity` and `params`
entries override the top level's. A department is matched by its 部门代码 or its 部门名称 (both
may match; the tables then apply in file order).

A severity override changes every finding of that rule: a rule turned into a warning no longer
blocks export. Switched-off rules are still computed; their findings are dropped after the
checks (so a finding another rule suppresses, e.g. N501 where N518 names the table, stays
suppressed).

Lookup (`find_config`): in the workbook's folder, then each parent folder, the first of
`bdt.toml`, `bdt.yaml`, `bdt.yml`, `.bdt.toml` that exists (two of them in one folder is an error:
which one is meant is unclear). The search stops after a folder that holds `.git` (a repository's
root) or is the user's home folder, and at the file system's root. `--config FILE` replaces the
lookup. No file found: the default settings (`DEFAULT_TEXT`, printed as such in every report).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

CONFIG_NAMES = ("bdt.toml", "bdt.yaml", "bdt.yml", ".bdt.toml")
LAYER_KEYS = ("select", "extend-select", "ignore", "severity", "params")
TOP_KEYS = LAYER_KEYS + ("per-department",)
DEFAULT_TEXT = "默认规则设置"
SEVERITY_WORDS = {"error": "error", "warning": "warning", "info": "info",
                  "错误": "error", "警告": "warning", "提示": "info"}
_SEV_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message (Chinese) names file, key and line."""

    def __init__(self, path, message: str, key: str | None = None, line: int | None = None):
        self.path, self.key, self.line = str(path), key, line
        where = f"配置文件「{path}」"
        if line:
            where += f"第 {line} 行"
        if key:
            where += f"（{key}）"
        self.message = f"{where}：{message}"
        super().__init__(self.message)


# ---------------------------------------------------------------- reading the file

def _key_text(path: tuple) -> str:
    """A key path as written in TOML: per-department."104".severity.N503."""
    out = ""
    for p in path:
        p = str(p)
        if re.fullmatch(r"\[\d+\]", p):  # a list item: ignore[1]
            out += p
            continue
        out += ("." if out else "") + (p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else '"' + p.replace('"', '\\"') + '"')
    return out


_TOML_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_TOML_DOTTED = re.compile(rf"\s*({_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*)\s*")


def _split_key(text: str) -> tuple:
    parts = re.findall(_TOML_KEY, text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _toml_lines(text: str) -> dict:
    """{key path: line number} of the tables and keys of a TOML text (first occurrence)."""
    out: dict = {}
    table: tuple = ()
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(rf"^\[\[?\s*({_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*)\s*\]\]?", s)
        if m:
            table = _split_key(m.group(1))
            out.setdefault(table, n)
            continue
        m = re.match(rf"^({_TOML_KEY}(?:\s*\.\s*{_TOML_KEY})*)\s*=", s)
        if m:
            key = table + _split_key(m.group(1))
            for k in range(len(table) + 1, len(key) + 1):
                out.setdefault(key[:k], n)
    return out


def _yaml_lines(node, prefix: tuple = (), out: dict | None = None) -> dict:
    import yaml

    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = prefix + (str(k.value),)
            out.setdefault(key, k.start_mark.line + 1)
            _yaml_lines(v, key, out)
    return out


def _yaml_loader():
    """A safe loader that keeps numbers as their text (department codes like 0104 stay as typed,
    0.15 never becomes a float; the parameter's kind converts them) and booleans as booleans."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
        for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return Loader


def _parse(path: Path, text: str):
    """(data, {key path: line}) of a TOML or YAML configuration text."""
    suffix = path.suffix.lower()
    if suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text, parse_float=Decimal)
        except tomllib.TOMLDecodeError as exc:
            detail = str(exc)
            m = re.search(r"\(at line (\d+), column (\d+)\)", detail)
            line = int(m.group(1)) if m else None
            where = f"第 {m.group(2)} 列，" if m else ""
            detail = re.sub(r"\s*\(at line.*", "", detail)
            raise ConfigError(path, f"TOML 语法错误（{where}{detail}）。"
                                    "请检查引号、等号和方括号。", line=line) from None
        return data, _toml_lines(text)
    if suffix in (".yaml", ".yml"):
        import yaml

        loader = _yaml_loader()
        try:
            node = yaml.compose(text, Loader=loader)
            data = yaml.load(text, Loader=loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            raise ConfigError(path, f"YAML 语法错误（{problem}）。请检查缩进和冒号。",
                              line=mark.line + 1 if mark else None) from None
        if data is None:
            data = {}
        return data, _yaml_lines(node) if node is not None else {}
    raise ConfigError(path, "配置文件应为 TOML（.toml）或 YAML（.yaml/.yml）文件。")


# ---------------------------------------------------------------- the configuration

@dataclass(frozen=True)
class Layer:
    """The settings of one level: the top of the file, or one department's table."""

    name: str = ""  # "" for the top level, else the department key
    select: tuple | None = None
    extend_select: tuple = ()
    ignore: tuple = ()
    severity: tuple = ()  # ((selector, severity), ...) in file order
    params: dict = field(default_factory=dict)  # {code: {name: value}}

    def decide(self, code: str):
        """True / False when a selector of this layer decides the rule, None when none does."""
        best = None
        for sels, on in ((self.select or (), True), (self.extend_select, True), (self.ignore, False)):
            for s in sels:
                spec = 0 if s == "ALL" else len(s)
                if (s == "ALL" or code.startswith(s)) and (best is None or spec > best[0] or (spec == best[0] and not on)):
                    best = (spec, on)
        if best is not None:
            return best[1]
        return False if self.select is not None else None

    def severity_of(self, code: str):
        best = None
        for s, sev in self.severity:
            spec = 0 if s == "ALL" else len(s)
            if (s == "ALL" or code.startswith(s)) and (best is None or spec >= best[0]):
                best = (spec, sev)
        return best[1] if best else None

    @property
    def empty(self) -> bool:
        return self.select is None and not (self.extend_select or self.ignore or self.severity or self.params)


@dataclass(frozen=True)
class InForce:
    """The settings that apply to one workbook (a department): what reports print."""

    source: str | None = None  # the configuration file; None: the default settings
    departments: tuple = ()  # the per-department keys that matched
    layers: tuple = ()

    @property
    def default(self) -> bool:
        return self.source is None

    def _last(self, ask, default):
        """The answer of the last layer (the department's over the file's top) that has one."""
        out = default
        for layer in self.layers:
            r = ask(layer)
            if r is not None:
                out = r
        return out

    def enabled(self, code: str) -> bool:
        return self._last(lambda layer: layer.decide(code), True)

    def severity(self, code: str):
        return self._last(lambda layer: layer.severity_of(code), None)

    @property
    def params(self) -> dict:
        out: dict = {}
        for layer in self.layers:
            for code, values in layer.params.items():
                out.setdefault(code, {}).update(values)
        return out

    @property
    def disabled(self) -> list[str]:
        from .rules import catalogue

        return [r.code for r in catalogue() if not self.enabled(r.code)]

    @property
    def severities(self) -> dict:
        """{code: severity} of the catalogue's rules whose severity the configuration changes."""
        from .rules import catalogue

        out = {}
        for r in catalogue():
            s = self.severity(r.code)
            if s is not None and s != r.severity and self.enabled(r.code):
                out[r.code] = s
        return out

    def apply(self, findings) -> list:
        out = []
        for f in findings:
            if not self.enabled(f.rule):
                continue
            sev = self.severity(f.rule)
            out.append(replace(f, severity=sev) if sev and sev != f.severity else f)
        return out

    # -- presentation
    def parts(self) -> list[str]:
        """What differs from the default settings, one item each (Chinese)."""
        from .docs import param_value
        from .rules import PARAMS

        items = []
        off = self.disabled
        if off:
            items.append(f"不检查 {'、'.join(off)}（{len(off)} 条规则）")
        sev = self.severities
        if sev:
            items.append("级别改为：" + "、".join(f"{c} {_SEV_ZH[s]}" for c, s in sev.items()))
        for code, values in sorted(self.params.items()):
            for name, v in values.items():
                p = PARAMS.get(code, {}).get(name)
                unit = f" {p.unit}" if p is not None and p.unit else ""
                dflt = f"（默认 {param_value(p.default)}）" if p is not None else ""
                items.append(f"参数 {code}.{name} = {param_value(v)}{unit}{dflt}")
        return items

    def text(self, name_only: bool = False) -> str:
        """One line: 默认规则设置, or the file, the departments' tables used and what they change."""
        if self.default:
            return DEFAULT_TEXT
        src = Path(self.source).name if name_only else self.source
        head = f"配置文件 {src}"
        if self.departments:
            head += "（适用其中部门" + "、".join(f"「{k}」" for k in self.departments) + "的设置）"
        parts = self.parts()
        return head + "：" + ("；".join(parts) if parts else f"与{DEFAULT_TEXT}相同")

    def to_dict(self) -> dict:
        from .docs import param_value

        return {"default": self.default, "source": self.source, "departments": list(self.departments),
                "disabled": self.disabled if not self.default else [],
                "severity": self.severities if not self.default else {},
                "params": {c: {n: (list(v) if isinstance(v, tuple) else param_value(v)) for n, v in vals.items()}
                           for c, vals in sorted(self.params.items())},
                "text": self.text()}


DEFAULT = InForce()


def _dept_keys(d) -> tuple:
    out = []
    for v in (getattr(d, "dept_code", None), getattr(d, "dept_name", None)):
        if v is not None and str(v).strip():
            out.append(str(v).strip())
    return tuple(out)


@dataclass(frozen=True)
class Config:
    """A read configuration file. `validate(d, config=...)` calls `settings_for(d)` and `apply()`."""

    path: str
    base: Layer = field(default_factory=Layer)
    departments: tuple = ()  # (Layer, ...) with .name the department key, file order

    def resolve(self, d=None, keys: tuple | None = None) -> InForce:
        """The settings in force for a workbook `d` (or a department given by its code/name `keys`)."""
        keys = _dept_keys(d) if keys is None else tuple(keys)
        matched = tuple(layer for layer in self.departments if layer.name in keys)
        return InForce(self.path, tuple(layer.name for layer in matched), (self.base,) + matched)

    def settings_for(self, d) -> dict:
        return self.resolve(d).params

    def apply(self, findings, d) -> list:
        return self.resolve(d).apply(findings)

    def unmatched(self, seen_keys) -> list[str]:
        """The per-department keys that matched none of the given departments' codes and names."""
        seen = {str(k).strip() for keys in seen_keys for k in keys if k is not None}
        return [layer.name for layer in self.departments if layer.name not in seen]


# ---------------------------------------------------------------- checking the content

class _Checker:
    def __init__(self, path: Path, lines: dict):
        from .rules import PARAMS, RULES, catalogue

        catalogue()
        self.path, self.lines, self.rules, self.params = path, lines, RULES, PARAMS

    def fail(self, key: tuple, message: str):
        line = None
        for k in range(len(key), 0, -1):
            line = self.lines.get(tuple(str(p) for p in key[:k]))
            if line:
                break
        raise ConfigError(self.path, message, key=_key_text(key), line=line)

    def _hint(self, word: str, options) -> str:
        close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
        return f"是否应为「{close[0]}」？" if close else ""

    def selector(self, key: tuple, value) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"应为规则编号或前缀（如 \"N5\"、\"A301\"），实际为 {value!r}。")
        s = value.strip().upper()
        if s == "ALL" or any(code.startswith(s) for code in self.rules):
            return s
        self.fail(key, f"规则「{value}」不存在：规则目录中没有以 {s} 开头的规则。{self._hint(s, self.rules)}"
                       "（规则目录见 docs/rules.md 或 bdt docs rules）")

    def selectors(self, key: tuple, value) -> tuple:
        if isinstance(value, str):
            self.fail(key, f"应为规则编号的列表，如 [\"{value}\"]，实际为一个文字 {value!r}。")
        if not isinstance(value, list):
            self.fail(key, f"应为规则编号的列表，如 [\"N5\", \"A301\"]，实际为 {value!r}。")
        return tuple(self.selector(key + (f"[{i}]",), v) for i, v in enumerate(value))

    def table(self, key: tuple, value, what: str) -> dict:
        if not isinstance(value, dict):
            self.fail(key, f"应为{what}，实际为 {value!r}。")
        return value

    def severity(self, key: tuple, value) -> tuple:
        out = []
        for sel, sev in self.table(key, value, "“规则 = 级别”的表，如 N503 = \"warning\"").items():
            s = self.selector(key + (sel,), sel)
            word = SEVERITY_WORDS.get(sev.strip().lower() if isinstance(sev, str) else None)
            if word is None:
                self.fail(key + (sel,), f"级别「{sev}」无效：应为 error、warning、info（或 错误、警告、提示）之一。")
            out.append((s, word))
        return tuple(out)

    def value(self, key: tuple, p, v):
        if p.kind == "bool":
            if not isinstance(v, bool):
                self.fail(key, f"应为 true 或 false，实际为 {v!r}。")
            return v
        if p.kind == "words":
            if not isinstance(v, list) or not all(isinstance(w, str) and w.strip() for w in v):
                self.fail(key, f"应为词语的列表，如 [\"原因\", \"主要是\"]，实际为 {v!r}。")
            return tuple(w.strip() for w in v)
        if isinstance(v, bool) or not isinstance(v, (str, int, Decimal)):
            self.fail(key, f"应为数字（可写成文字，如 \"0.15\"），实际为 {v!r}。")
        try:
            num = Decimal(v.strip()) if isinstance(v, str) else Decimal(v)
        except InvalidOperation:
            self.fail(key, f"「{v}」不是数字。")
        if not num.is_finite():
            self.fail(key, f"「{v}」不是有限的数字。")
        if p.kind == "int":
            if num != num.to_integral_value():
                self.fail(key, f"应为整数，实际为 {v}。")
            num = int(num)
        from .docs import param_value

        if p.choices and num not in p.choices:
            self.fail(key, f"{v} 不是可选的值：可选 {'、'.join(param_value(c) for c in p.choices)}。")
        if p.minimum is not None and num < p.minimum:
            self.fail(key, f"{v} 小于允许的最小值 {param_value(p.minimum)}。")
        if p.maximum is not None and num > p.maximum:
            self.fail(key, f"{v} 大于允许的最大值 {param_value(p.maximum)}。")
        return num

    def params_table(self, key: tuple, value) -> dict:
        out = {}
        for code, values in self.table(key, value, "按规则编号分的参数表，如 [params.P602]").items():
            ck = key + (code,)
            c = str(code).strip().upper()
            if c not in self.rules:
                self.fail(ck, f"规则「{code}」不存在（参数须写在完整的规则编号下，如 [params.P602]）。"
                              f"{self._hint(c, self.rules)}")
            declared = self.params.get(c, {})
            if not declared:
                with_params = "、".join(sorted(self.params))
                self.fail(ck, f"规则 {c} 没有可设定的参数（有参数的规则：{with_params}；见 docs/rules.md）。")
            got = {}
            for name, v in self.table(ck, values, f"规则 {c} 的参数表，如 {next(iter(declared))} = …").items():
                p = declared.get(name)
                if p is None:
                    self.fail(ck + (name,), f"规则 {c} 没有参数「{name}」。{self._hint(str(name), declared)}"
                                            f"可设定的参数：{'、'.join(declared)}。")
                got[name] = self.value(ck + (name,), p, v)
            out[c] = got
        return out

    def layer(self, key: tuple, data, name: str = "") -> Layer:
        allowed = LAYER_KEYS if name else TOP_KEYS
        for k in data:
            if k not in allowed:
                where = f"部门「{name}」的设置中" if name else ""
                self.fail(key + (k,), f"{where}未知的设置项「{k}」。{self._hint(str(k), allowed)}"
                                      f"可用的设置项：{'、'.join(allowed)}。")
        return Layer(
            name=name,
            select=self.selectors(key + ("select",), data["select"]) if "select" in data else None,
            extend_select=self.selectors(key + ("extend-select",), data["extend-select"]) if "extend-select" in data else (),
            ignore=self.selectors(key + ("ignore",), data["ignore"]) if "ignore" in data else (),
            severity=self.severity(key + ("severity",), data["severity"]) if "severity" in data else (),
            params=self.params_table(key + ("params",), data["params"]) if "params" in data else {},
        )

    def config(self, data) -> Config:
        if not isinstance(data, dict):
            self.fail((), "内容应为“设置项 = 值”的表（TOML）或映射（YAML）。")
        base = self.layer((), data)
        depts = []
        per = data.get("per-department", {})
        for name, values in self.table(("per-department",), per, "按部门代码或名称分的表，如 [per-department.\"104\"]").items():
            key = ("per-department", name)
            n = str(name).strip()
            if not n:
                self.fail(key, "部门代码或名称为空。")
            depts.append(self.layer(key, self.table(key, values, f"部门「{n}」的设置表"), name=n))
        return Config(str(self.path), base, tuple(depts))


# ---------------------------------------------------------------- loading and lookup

_CACHE: dict = {}


def load_config(path) -> Config:
    """Read and check a configuration file (cached by path, size and modification time)."""
    p = Path(path)
    try:
        st = p.stat()
        key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
        if key in _CACHE:
            return _CACHE[key]
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, "文件不存在。") from None
    except OSError as exc:
        raise ConfigError(path, f"无法读取：{exc.strerror or exc}。") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(path, "不是 UTF-8 编码的文本文件（请以 UTF-8 保存）。") from None
    data, lines = _parse(p, text)
    cfg = _Checker(p, lines).config(data)
    _CACHE[key] = cfg
    return cfg


def find_config(start) -> Path | None:
    """The configuration file beside a workbook (or in a folder): see the module's docstring."""
    here = Path(start).resolve()
    folder = here if here.is_dir() else here.parent
    home = None
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError, OSError):
        pass
    while True:
        found = [folder / n for n in CONFIG_NAMES if (folder / n).is_file()]
        if len(found) > 1:
            raise ConfigError(found[0], f"同一文件夹中有多个配置文件（{'、'.join(f.name for f in found)}），"
                                        "无法确定使用哪一个；请只保留一个，或用 --config 指定。")
        if found:
            return found[0]
        if (folder / ".git").exists() or folder == home or folder.parent == folder:
            return None
        folder = folder.parent


def config_for(workbook, explicit=None) -> Config | None:
    """The configuration for a workbook: `explicit` (a --config path) if given, else the one found
    beside it, else None (the default settings)."""
    if explicit:
        return load_config(explicit)
    found = find_config(workbook)
    return load_config(found) if found is not None else None


def in_force(config: Config | None, d=None) -> InForce:
    """What a report prints for a workbook: the resolved settings, or the default ones."""
    return config.resolve(d) if config is not None else DEFAULT


def check_configs(paths, explicit=None) -> dict:
    """{config path or None: [workbooks]} for a batch, every configuration read and checked once
    (a bad file fails before any workbook is processed)."""
    out: dict = {}
    for p in paths:
        cfg = config_for(p, explicit)
        out.setdefault(cfg.path if cfg else None, []).append(str(p))
    return out


__all__ = ["Config", "ConfigError", "InForce", "Layer", "DEFAULT", "DEFAULT_TEXT", "CONFIG_NAMES", "load_config",
           "find_config", "config_for", "in_force", "check_configs"]
