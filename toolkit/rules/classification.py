"""Classification codes and names (C2xx): 支出功能分类 and 部门预算支出经济分类.

Reference data (toolkit/reference/data, replaceable by a bureau via BDT_REFERENCE_DIR) is
partial: a code missing from it is reported as *unknown* (warning), never as wrong.
"""
from __future__ import annotations

import re

from . import ERROR, WARNING, checker, parameter, register

register("C201", ERROR, "功能分类科目编码格式错误", """
    支出功能分类科目编码应为 2 开头的 3 位（类）、5 位（款）或 7 位（项）数字。""")
register("C202", ERROR, "缺少上级科目行", """
    公开表按“类—款—项”列示：每个款级科目之上应有其类级行，每个项级科目之上应有其款级行，否则类、款合计无从核对。""")
register("C203", ERROR, "科目名称与编码不符", """
    科目名称与参考科目表中该编码的名称不一致（比较时忽略空格和全角、半角括号的差别）。
    参考表来源较弱（标注 NOTE）的编码只作警告。""")
register("C204", WARNING, "编码不在参考科目表中", """
    编码格式正确，但不在本工具携带的参考科目表中。参考表并不完整：请核对编码，
    或由财政局用本地科目表替换参考数据（BDT_REFERENCE_DIR）。""")
register("C210", ERROR, "编码在本预算年度不适用", """
    编码在参考数据中有年度限制（code_changes.csv，附财政部增补、调整科目的文件），工作簿的预算年度
    不在其有效年度内：例如 2023 年预算使用了 2024 年才增设的科目，或使用了已停用的科目。
    科目每年随《政府收支分类科目》调整，应按预算年度的科目表编制。""")
register("C211", WARNING, "参考科目表年度与预算年度不一致", """
    财政局提供的本地科目表（BDT_REFERENCE_DIR 下的 reference.yaml 写明 year）是另一年度的，
    用它核对本工作簿的编码可能把本年度新增或停用的科目判断错。请换用本年度的科目表。""")
register("C205", ERROR, "经济分类科目编码格式错误", """
    部门预算支出经济分类科目编码应为 3 开头的 3 位（类）或 5 位（款）数字。""")
register("C206", ERROR, "重复的科目", """
    同一张表中同一科目编码出现了两次，合计会被重复计算。""")
register("C207", ERROR, "未细化到规定级次", """
    一般公共预算支出按功能分类公开到项级（7 位），基本支出按经济分类公开到款级（5 位）
    （财预〔2016〕143号）。没有下级的类、款行说明该科目没有细化。要求的级次可用参数 function_digits、economic_digits 调整。""")
parameter("C207", "function_digits", 7, """
    功能分类科目应细化到的编码位数：7（项级，默认）、5（款级）或 3（类级）。""", choices=(3, 5, 7))
parameter("C207", "economic_digits", 5, """
    经济分类科目应细化到的编码位数：5（款级，默认）或 3（类级）。""", choices=(3, 5))
register("C208", ERROR, "有金额的行缺少科目编码", """
    填了金额却没有科目编码的行无法归类，也无法核对类、款合计。""")
register("C209", WARNING, "项目名称重复", """
    项目支出表中同一项目名称出现两次，请合并或区分名称。""")

FUNCTION_CODE = re.compile(r"^2\d{2}(\d{2}(\d{2})?)?$")
ECONOMIC_CODE = re.compile(r"^3\d{2}(\d{2})?$")
_PAREN = str.maketrans({"(": "（", ")": "）", " ": None, "\u3000": None})


def _norm(name: str) -> str:
    return name.translate(_PAREN)


def _blocks(d, kind: str):
    for spec in d.schema.tables:
        for block in spec.blocks:
            if block.kind == kind:
                yield spec, block


@checker("C211")
def check_reference_year(ctx):
    """A bureau's code list declared for another year than the workbook's 预算年度."""
    ref, year = ctx.reference, ctx.d.year
    if ref.declared_year and year and ref.declared_year != year:
        yield ctx.finding("C211", ctx.d.entry("info", "year") or ctx.d.sheet_names.get("info", "基本信息"),
                          f"本地参考科目表（{ref.source}）为 {ref.declared_year} 年度，工作簿预算年度为 {year} 年，"
                          f"编码核对可能不准，请换用 {year} 年度的科目表。",
                          expected=year, actual=ref.declared_year)


@checker("C201", "C202", "C203", "C204", "C205", "C206", "C207", "C208", "C210")
def check_codes(ctx):
    """Codes well formed, complete hierarchy, names agree with the reference, no duplicates."""
    d = ctx.d
    ref = ctx.reference
    detail = {"function": ctx.param("C207", "function_digits"), "economic": ctx.param("C207", "economic_digits")}
    for kind, pattern, fmt_code, names, levels in (
        ("function", FUNCTION_CODE, "C201", ref.function_codes, (3, 5, 7)),
        ("economic", ECONOMIC_CODE, "C205", ref.economic_codes, (3, 5)),
    ):
        what = "功能分类" if kind == "function" else "经济分类"
        for spec, block in _blocks(d, kind):
            for code_col, cols in block.code_columns.items():
                name_col = next((c for c in cols if spec.column(c).type in ("label", "text") and c != "gov_name"), None)
                amount_cols = [c for c in cols if spec.column(c).type == "amount"]
                rows = d.rows(spec.key, block.key)
                seen = {}
                codes = {r.get(code_col) for r in rows if r.get(code_col)}
                for r in rows:
                    code = r.get(code_col)
                    ce = r.entries.get(code_col)
                    if not code:
                        if any(r.get(c) for c in amount_cols):
                            yield ctx.finding("C208", ce, f"该行填了金额但没有{what}科目编码。")
                        continue
                    if not pattern.match(code):
                        digits = "3、5、7" if kind == "function" else "3、5"
                        yield ctx.finding(fmt_code, ce, f"{what}科目编码「{code}」格式不正确，应为 {digits} 位数字。", actual=code)
                        continue
                    if code in seen:
                        yield ctx.finding("C206", ce, f"科目 {code} 重复出现（另见 {seen[code]}）。", actual=code)
                    seen.setdefault(code, ce.cell)
                    parent_len = {5: 3, 7: 5}.get(len(code))
                    if parent_len and code[:parent_len] not in codes:
                        level = "类" if parent_len == 3 else "款"
                        yield ctx.finding("C202", ce, f"{code} 之上缺少{level}级科目 {code[:parent_len]} 的行。",
                                          expected=code[:parent_len])
                    if len(code) < detail[kind] and not r.parent.get(code_col):
                        level = {7: "项级（7位）", 5: "款级（5位）", 3: "类级（3位）"}[detail[kind]]
                        yield ctx.finding("C207", ce, f"科目 {code} 没有下级科目，应细化到{level}。", actual=code)
                    ref_name = names.get(code)
                    name = r.get(name_col) if name_col else None
                    if ref_name is None and code in ref.elsewhere:
                        other, _, _ = ref.elsewhere[code]
                        yield ctx.finding("C210", ce, f"{what}科目 {code}「{other}」{ref.validity_text(code)}，"
                                          f"不适用于 {ref.year} 年度预算，请按本年度科目表改用有效科目。", actual=code)
                    elif ref_name is None:
                        yield ctx.finding("C204", ce, f"{what}科目 {code}{('「' + name + '」') if name else ''} 不在参考科目表中，请核对。", actual=code)
                    elif name and _norm(name) != _norm(ref_name):
                        sev = WARNING if code in ref.weak else None
                        yield ctx.finding("C203", r.entries[name_col], f"科目 {code} 的名称应为「{ref_name}」，实际填「{name}」。",
                                          expected=ref_name, actual=name, severity=sev)


@checker("C209")
def check_project_names(ctx):
    d = ctx.d
    for key in ("t12", "t13"):
        if not d.present(key):
            continue
        seen = {}
        for r in d.rows(key):
            name = r.get("name")
            if not name:
                continue
            if name in seen:
                yield ctx.finding("C209", r.entries["name"], f"项目名称「{name}」与 {seen[name]} 重复。", actual=name)
            seen.setdefault(name, r.entries["name"].cell)
