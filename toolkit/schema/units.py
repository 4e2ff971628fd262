"""Units and precision of amounts: the one place that answers “unit and decimals of this cell”.

A schema's numeric types carry a unit (元, 万元, 平方米…) and a number of decimals
(``types.amount: {unit: 万元, decimals: 2}``; when `decimals` is absent it is read from the Excel
format, "0.00" → 2, "#,##0" → 0). Everything that depends on them asks a `Precision`:

* rounding tolerances: a published figure stands for ± half a unit of its last decimal
  (`half`: 0.005 万元 at two decimals, 0.005 元 at the fen, 0.5 元 for whole 元);
* entry checks: more decimals than the type allows (`quantum`);
* messages and generated text: the figure as the schema formats it with its unit (`text`:
  “224.31万元”, “2,243,100.00元”);
* conversions between units (`convert`): a performance form's 元 figure compared with a table's
  万元 figure, a narrative's “1.2亿元” compared with a table in 元.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from decimal import ROUND_HALF_UP, Decimal

#: 元 per unit. The monetary units a schema or a text may use.
YUAN_PER = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000), "百万元": Decimal(10) ** 6,
            "亿元": Decimal(10) ** 8}
MONEY_UNITS = tuple(YUAN_PER)


class UnitError(ValueError):
    """Two units that cannot be converted into each other (元 and 平方米)."""


def is_money(unit: str | None) -> bool:
    return unit in YUAN_PER


def factor(from_unit: str, to_unit: str) -> Decimal:
    """How many `to_unit` one `from_unit` is (万元 → 元: 10000; 元 → 万元: 0.0001)."""
    if from_unit == to_unit:
        return Decimal(1)
    if from_unit in YUAN_PER and to_unit in YUAN_PER:
        return YUAN_PER[from_unit] / YUAN_PER[to_unit]
    raise UnitError(f"无法把「{from_unit}」换算为「{to_unit}」")


def convert(value, from_unit: str, to_unit: str):
    """`value` (a Decimal, or None) expressed in `to_unit`; exact (Decimal arithmetic)."""
    if value is None or from_unit == to_unit:
        return value
    return value * factor(from_unit, to_unit)


_FORMAT_PLACES = re.compile(r"\.(0+)")


def decimals_of_format(fmt: str | None) -> int | None:
    """The decimals an Excel number format shows ("0.00" → 2, "#,##0" → 0); None for text formats."""
    if not fmt or fmt in ("@", "General"):
        return None
    section = fmt.split(";")[0]
    section = re.sub(r'"[^"]*"', "", section)  # literal suffixes: "0.00\"万元\""
    if not re.search(r"[0#]", section):
        return None
    m = _FORMAT_PLACES.search(section)
    return len(m.group(1)) if m else 0


def format_for(decimals: int, grouping: bool = False) -> str:
    """The Excel number format of a figure with `decimals` places ("0.00", "#,##0")."""
    base = "#,##0" if grouping else "0"
    return base + ("." + "0" * decimals if decimals > 0 else "")


@dataclass(frozen=True)
class Precision:
    """Unit and decimals of one type of cell, with what follows from them."""

    unit: str | None
    decimals: int
    grouping: bool = False  # the format groups thousands ("#,##0"): figures are shown 2,243,100.00
    shown: int | None = None  # decimals the format shows when fewer ("#,##0" for 元 to the fen: whole
    #                           figures are shown without ".00", others with their decimals)

    @cached_property
    def quantum(self) -> Decimal:
        """One unit of the last decimal: 0.01 at two decimals, 1 for whole 元."""
        return Decimal(1).scaleb(-self.decimals)

    @cached_property
    def half(self) -> Decimal:
        """The rounding interval of one published figure: ± half a unit of its last decimal."""
        return self.quantum / 2

    def rounded(self, v: Decimal) -> Decimal:
        return v.quantize(self.quantum, rounding=ROUND_HALF_UP)

    def fits(self, v: Decimal) -> bool:
        """No more decimals than the type allows."""
        return v == v.quantize(self.quantum) if v.is_finite() else True

    def show(self, v, grouping: bool | None = None) -> str:
        """The figure as published: its decimals, thousands grouped when the format groups them."""
        if v is None:
            return ""
        v = Decimal(v)
        if v.is_finite() and v.adjusted() < 28:
            v = self.rounded(v)
            if self.shown is not None and self.shown < self.decimals and v == v.quantize(Decimal(1).scaleb(-self.shown)):
                v = v.quantize(Decimal(1).scaleb(-self.shown))
        group = self.grouping if grouping is None else grouping
        return format(v, ",f" if group else "f")

    def text(self, v, grouping: bool | None = None) -> str:
        """The figure with its unit, as a sentence writes it: “224.31万元”, “2,243,100.00元”."""
        return f"{self.show(v, grouping)}{self.unit or ''}"

    def to(self, v, unit: str):
        """`v` (in this unit) expressed in `unit`."""
        return convert(v, self.unit, unit)


def precision_of(type_spec) -> Precision:
    """The `Precision` of a schema `TypeSpec` (unit, decimals, grouping from its format)."""
    fmt = type_spec.format or ""
    decimals = type_spec.decimals
    if decimals is None:
        decimals = decimals_of_format(fmt) or 0
    places = decimals_of_format(fmt)
    shown = places if places is not None and places < int(decimals) else None
    return Precision(type_spec.unit, int(decimals), "," in fmt.split(";")[0], shown)


__all__ = [
    "MONEY_UNITS",
    "YUAN_PER",
    "Precision",
    "UnitError",
    "convert",
    "decimals_of_format",
    "factor",
    "format_for",
    "is_money",
    "precision_of",
]
