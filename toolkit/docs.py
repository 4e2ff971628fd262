"""Documentation generated from the code: the rule catalogue as Markdown (docs/rules.md).

The rule texts live where the rules are registered (toolkit/rules/*.py); this module only lays
them out. Regenerate with `bdt docs rules --out docs/rules.md`.
"""
from __future__ import annotations

import re
import unicodedata

from .findings import SEVERITY_ZH

_ITEM = re.compile(r"^([-*•]\s|\d{1,2}[.．]\s|\d{1,2}[、）)]|[（(]\d{1,2}[）)]|[一二三四五六七八九十]{1,3}、)")


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def unwrap(text: str) -> str:
    """Join the hard-wrapped lines of a docstring into paragraphs.

    Chinese has no spaces between words, so a line break between two Chinese characters is
    dropped (a browser would show it as a stray space); between Latin words it becomes a space.
    Blank lines separate paragraphs; lines that start a list item (“- ”, “1. ”, “（1）”) stay on
    their own line.
    """
    paragraphs = []
    for para in re.split(r"\n\s*\n", (text or "").strip()):
        out = ""
        for line in para.splitlines():
            line = line.strip()
            if not line:
                continue
            if not out:
                out = line
            elif _ITEM.match(line):
                out += "\n" + line
            elif _wide(out[-1]) or _wide(line[0]):
                out += line
            else:
                out += " " + line
        if out:
            paragraphs.append(out)
    return "\n\n".join(paragraphs)


def _anchor(code: str) -> str:
    return code.lower()


def param_value(v) -> str:
    """A parameter value as written in a configuration file (TOML): 0.15, 7, true, ["原因"]."""
    from decimal import Decimal

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(f'"{w}"' for w in v) + "]"
    return str(v)


def _params_markdown(code: str) -> list[str]:
    from .rules import PARAMS

    params = PARAMS.get(code)
    if not params:
        return []
    lines = ["", f"参数（在配置文件的 `[params.{code}]` 中设定，见 [config.md](config.md)）：", ""]
    for p in params.values():
        extra = []
        if p.unit:
            extra.append(f"单位：{p.unit}")
        if p.choices:
            extra.append("可选：" + "、".join(param_value(c) for c in p.choices))
        if p.minimum is not None:
            extra.append(f"不小于 {param_value(p.minimum)}")
        if p.maximum is not None:
            extra.append(f"不大于 {param_value(p.maximum)}")
        tail = f"（{'，'.join(extra)}）" if extra else ""
        lines.append(f"- `{p.name}`，默认 `{param_value(p.default)}`{tail}：{unwrap(p.doc)}")
    return lines


def rules_markdown() -> str:
    """The rule catalogue, grouped by family, with a table of contents."""
    from .rules import FAMILIES, catalogue

    rules = catalogue()
    groups: dict[str, list] = {}
    for r in rules:
        groups.setdefault(r.code[0], []).append(r)
    order = [p for p in FAMILIES if p in groups] + sorted(p for p in groups if p not in FAMILIES)

    def family_title(prefix: str) -> str:
        return f"{prefix} {FAMILIES.get(prefix) or groups[prefix][0].family}"

    lines = [
        "# 校验规则",
        "",
        "<!-- 本文件由 `bdt docs rules --out docs/rules.md` 生成，请勿手工修改。"
        "规则说明写在 toolkit/rules/ 下各模块的 register() 中。 -->",
        "",
        f"`bdt validate` 检查的全部 {len(rules)} 条规则，按类别排列。每条规则有固定编号（编号不会重复使用）和级别："
        "**错误**须改正后再公开，出现错误时 `bdt validate` 以状态 1 退出；**警告**请核实；**提示**供参考。",
        "",
        "财政局可以用配置文件（`bdt.toml` / `bdt.yaml`）关闭规则、改变规则的级别、设定下面各规则列出的参数，"
        "对全部部门或个别部门生效，见 [config.md](config.md)。",
        "",
        "## 目录",
        "",
    ]
    for p in order:
        lines.append(f"- [{family_title(p)}](#family-{p.lower()})")
        for r in groups[p]:
            lines.append(f"  - [{r.code} {r.title}](#{_anchor(r.code)})（{SEVERITY_ZH.get(r.severity, r.severity)}）")
    for p in order:
        lines += ["", f'<a id="family-{p.lower()}"></a>', "", f"## {family_title(p)}"]
        for r in groups[p]:
            lines += ["", f'<a id="{_anchor(r.code)}"></a>', "", f"### {r.code} {r.title}", "",
                      f"级别：{SEVERITY_ZH.get(r.severity, r.severity)}", "", unwrap(r.doc)]
            lines += _params_markdown(r.code)
    return "\n".join(lines) + "\n"


__all__ = ["rules_markdown", "unwrap", "param_value"]
