"""上年数与上年工作簿一致 (X410): a cross-workbook agreement rule.

When last year's workbook is given (`bdt validate --prior`, `bdt fill --prior`, `bdt batch
--prior`), it is attached to the read disclosure as ``d.prior`` (toolkit.prior.attach); without
it this rule does nothing. Which cell of last year's workbook each 上年数 comes from is data:
toolkit/schema/prior_figures.yaml.
"""
from __future__ import annotations

from . import ERROR, checker, money, register

register("X410", ERROR, "上年数与上年工作簿不符", """
    「说明数据」中填写的上年数（上年预算收入总计、支出总计、一般公共预算当年拨款、“三公”经费各项、机关运行经费）
    应等于上年公开的工作簿中的对应数字（如上年表1的收入总计、上年表10各项的合计、上年表11的部门合计；对应关系见
    toolkit/schema/prior_figures.yaml）。只在给出上年工作簿时核对（bdt validate --prior 去年.xlsx，或 bdt batch
    --prior 文件夹）；上年数填错会使情况说明中的增减额、增减率都错。未填写的上年数可由 bdt fill --prior 自动填入。""")


@checker("X410")
def check_prior(ctx):
    """Each typed 上年数 equals last year's published figure."""
    d = ctx.d
    if getattr(d, "prior", None) is None:
        return
    from pathlib import Path

    from ..prior import compare, field_label

    name = Path(str(d.prior.path)).name
    for pf, e, fig in compare(d):
        yield ctx.finding("X410", e, f"{field_label(d.schema, pf.field)}填写为 {money(e.value)} 万元，上年工作簿「{name}」"
                                     f"{fig.where}为 {money(fig.value)} 万元"
                                     + (f"（{fig.note}）" if fig.note else "")
                                     + f"，相差 {money(e.value - fig.value)} 万元。",
                          expected=fig.value, actual=e.value)
