"""Publication of exact amounts (A311–A313): what rounding the figures for publication does.

Only where the schema accepts exact amounts (`publication.input_decimals` above the published
decimals) and the workbook holds some: the published figures are computed by
`toolkit.rounding.publish` under the schema's policy, and what it found is reported here so that
the clerk sees before export which totals show a 尾差 (四舍五入) or which figures 舍位平衡 moves.
"""
from __future__ import annotations

from decimal import Decimal

from . import ERROR, INFO, checker, register

register("A311", INFO, "四舍五入公开的尾差", """
    按四舍五入公开（publication.rounding: round）时，每个数由其精确数分别舍入，公开的合计可能与
    各分项公开数之和相差一个或几个单位（尾差）。这是该公开方式的正常结果，逐个列出以便说明；
    如需合计与分项一致，可按舍位平衡公开。""")
register("A312", ERROR, "舍位平衡无法在一个单位内完成", """
    按舍位平衡公开（publication.rounding: balance）时，某个数只能公开为与其精确数相差一个单位以上的数，
    才能使所有合计等于分项之和（合计关系超出二维分层表的范围时可能发生）。此时不公开舍位平衡的数，
    请按四舍五入公开或核对计算关系。""")
register("A313", INFO, "舍位平衡调整", """
    按舍位平衡公开（用友UFO 的舍位平衡）时，为使每个合计等于其分项之和，个别数公开为与四舍五入相差
    一个单位的数（仍在精确数的一个单位之内）。逐个列出被调整的格及调整数。""")


def _has_exact(d, quantum) -> bool:
    return any(e.spec.type == "amount" and isinstance(e.value, Decimal) and e.value != e.value.quantize(quantum)
               for _, _, _, e in d.cells(role="input"))


@checker("A311", "A312", "A313")
def check_publication(ctx):
    """The published figures of a workbook with exact amounts, under the schema's rounding policy."""
    d = ctx.d
    pub = d.schema.publication
    if not pub.exact_inputs or not _has_exact(d, pub.quantum):
        return
    from ..rounding import publish

    yield from publish(d).findings(d)


__all__ = ["check_publication", "ERROR"]
