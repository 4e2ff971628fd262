"""Tolerant reading of what clerks really type, each repair reported as a finding.

Numbers typed as text, full-width digits, thousands separators, stray spaces and "-"/"—" for
empty are normalised (the file itself is never changed) *and* reported with sheet and cell, so
the clerk can clean the workbook and the bureau can see what was assumed.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, InvalidOperation

from ..findings import ERROR, INFO, WARNING, Finding
from ..schema.units import YUAN_PER

FULLWIDTH = str.maketrans("０１２３４５６７８９．，－＋％　", "0123456789.,-+% ")
EMPTY_MARKS = {"-", "—", "－", "--", "——", "–", "/", "／", "—-", "-—"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _finding(rule, severity, sheet, cell, message, expected=None, actual=None):
    return Finding(rule, severity, sheet, cell, message, expected, actual)


def to_decimal(value) -> Decimal:
    """A number read from a cell as an exact Decimal (floats through their shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("bool")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def normalize_number(raw, sheet: str, cell: str, percent: bool = False):
    """Return (Decimal | None, [findings]) for a cell that should hold a number."""
    if raw is None or raw == "":
        return None, []
    if isinstance(raw, bool):
        return None, [_finding("F106", ERROR, sheet, cell, f"「{sheet}」{cell} 应填数字，实际为逻辑值 {raw}。", "数字", raw)]
    if isinstance(raw, (int, float, Decimal)):
        return to_decimal(raw), []
    if isinstance(raw, (_dt.date, _dt.datetime, _dt.time, _dt.timedelta)):
        return None, [_finding("F106", ERROR, sheet, cell, f"「{sheet}」{cell} 应填数字，实际为日期/时间 {raw}。", "数字", str(raw))]
    text = str(raw)
    findings = []
    stripped = text.strip()
    if stripped == "":
        return None, [_finding("F105", INFO, sheet, cell, f"「{sheet}」{cell} 只有空格，按空值处理。", None, text)]
    if stripped in EMPTY_MARKS:
        return None, [_finding("F104", INFO, sheet, cell, f"「{sheet}」{cell} 以「{stripped}」表示空值，按空值处理；请直接留空。", None, text)]
    converted = stripped.translate(FULLWIDTH).replace(" ", "")
    if converted != stripped.replace(" ", "") and any(ch in stripped for ch in "０１２３４５６７８９．，－＋％"):
        findings.append(_finding("F102", WARNING, sheet, cell, f"「{sheet}」{cell} 含全角数字或符号「{stripped}」，已按「{converted}」读取；请改为半角数字。", converted, text))
    if percent and converted.endswith("%"):
        converted = converted[:-1]
    if _THOUSANDS.match(converted):
        plain = converted.replace(",", "")
        findings.append(_finding("F103", INFO, sheet, cell, f"「{sheet}」{cell} 含千分位分隔符「{converted}」，已按 {plain} 读取。", plain, text))
        converted = plain
    if not _NUMBER.match(converted):
        return None, findings + [_finding("F106", ERROR, sheet, cell, f"「{sheet}」{cell} 应填数字，「{stripped}」无法识别为数字。", "数字", text)]
    try:
        value = Decimal(converted)
    except InvalidOperation:  # pragma: no cover - the regex guards this
        return None, findings + [_finding("F106", ERROR, sheet, cell, f"「{sheet}」{cell} 「{stripped}」无法识别为数字。", "数字", text)]
    findings.append(_finding("F101", WARNING, sheet, cell, f"「{sheet}」{cell} 的数字以文本形式录入（「{text}」），已按数字 {value} 读取；请改为数值格式。", str(value), text))
    if text != stripped:
        findings.append(_finding("F105", INFO, sheet, cell, f"「{sheet}」{cell} 首尾有多余空格，已忽略。", stripped, text))
    return value, findings


RANGE_RULE = "F115"  # a number a cell can hold but money cannot (documented in rules/entry.py)
CONTROL_RULE = "F117"  # control characters in text
LENGTH_RULE = "F118"  # text longer than its type allows
# C0 controls but tab, line feed and carriage return, DEL, C1 controls, lone surrogates and the
# non-characters U+FFFE/U+FFFF: none can be printed and several cannot be stored (XML 1.0 forbids
# them in DOCX/xlsx parts). The reader reports them (F117); every exporter removes them.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _limit(t):
    if t is None or getattr(t, "max", None) in (None, ""):
        return None
    try:
        return abs(Decimal(str(t.max)))
    except InvalidOperation:  # pragma: no cover - the schema test reads every limit
        return None


def guard_number(value, t, sheet: str, cell: str):
    """(value or None, [finding]): a number that is not finite or larger than its type's `max`
    (schema `types`) is reported as F115 and read as no number, so no rule, sum or quantize ever
    sees it (Decimal's 28 digits would overflow on 1E+26 rounded to cents)."""
    if value is None:
        return None, []
    if not value.is_finite():
        shown = "非数字（NaN）" if value.is_nan() else ("无穷大" if value > 0 else "负无穷大")
        return None, [_finding(RANGE_RULE, ERROR, sheet, cell,
                               f"「{sheet}」{cell} 的数字是{shown}，不是可公开的数，未读取。请填写实际数字。", "有限的数", str(value))]
    limit = _limit(t)
    if limit is not None and abs(value) > limit:
        unit = getattr(t, "unit", None) or ""
        return None, [_finding(RANGE_RULE, ERROR, sheet, cell,
                               f"「{sheet}」{cell} 的数字 {_short(value)} 超出本栏允许的范围（绝对值不超过 {zh_magnitude(limit)}{' ' + unit if unit else ''}），"
                               f"可能多输了位数或单位填错{f'（本栏以{unit}为单位）' if unit in YUAN_PER else ''}，未读取。请改正后再处理。",
                               f"≤{_short(limit)}", _short(value))]
    return value, []


def zh_magnitude(v: Decimal) -> str:
    """10^12 → "1 万亿", 10^9 → "10 亿", 9999 → "9999" (a limit in the words a clerk reads)."""
    v = abs(v)
    if v == v.to_integral_value() and v >= 10_000:
        digits = str(int(v))
        e = len(digits) - 1
        if digits == "1" + "0" * e:
            for u, name in ((12, "万亿"), (8, "亿"), (4, "万")):
                if e >= u:
                    return f"{10 ** (e - u)} {name}"
    return _short(v)


def _short(v: Decimal) -> str:
    """A huge or tiny number in a readable form (1E+26, not 26 zeros)."""
    try:
        if v != 0 and (abs(v) >= Decimal("1e15") or abs(v) < Decimal("1e-6")):
            return f"{v.normalize():E}"
        return format(v.normalize() if v == v.to_integral_value() else v, "f")
    except (InvalidOperation, ValueError):  # pragma: no cover
        return str(v)


def guard_text(text, t, sheet: str, cell: str):
    """[findings] for text with control characters (F117) or longer than its type's max_length (F118).
    The text itself is kept as typed: exporters remove or show the control characters."""
    if not isinstance(text, str):
        return []
    out = []
    bad = CONTROL_CHARS.findall(text)
    if bad:
        shown = "、".join(sorted({f"U+{ord(ch):04X}" for ch in bad})[:5])
        out.append(_finding(CONTROL_RULE, WARNING, sheet, cell,
                            f"「{sheet}」{cell} 的文字含 {len(bad)} 个不可见的控制字符（{shown}），常见于从其他系统复制粘贴；"
                            "导出时将去除。请删除这些字符。", None, shown))
    most = getattr(t, "max_length", None)
    if most and len(text) > most:
        out.append(_finding(LENGTH_RULE, ERROR, sheet, cell,
                            f"「{sheet}」{cell} 的文字有 {len(text)} 个字符，超过本栏允许的 {most} 个。请精简内容。",
                            f"≤{most}", len(text)))
    return out


def normalize_text(raw, sheet: str, cell: str, code: bool = False):
    """Return (str | None, [findings]) for a text or code cell."""
    if raw is None or raw == "":
        return None, []
    if isinstance(raw, bool):
        return str(raw).upper(), []
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw)), []
    if isinstance(raw, (int, float)):
        return repr(raw) if isinstance(raw, float) else str(raw), []
    if isinstance(raw, _dt.datetime):
        return raw.strftime("%Y-%m-%d %H:%M:%S") if (raw.hour or raw.minute or raw.second) else raw.strftime("%Y-%m-%d"), []
    if isinstance(raw, _dt.date):
        return raw.isoformat(), []
    text = str(raw)
    findings = []
    stripped = text.strip()
    if not stripped:
        return None, [_finding("F105", INFO, sheet, cell, f"「{sheet}」{cell} 只有空格，按空值处理。", None, text)]
    if stripped in EMPTY_MARKS and code:
        return None, [_finding("F104", INFO, sheet, cell, f"「{sheet}」{cell} 以「{stripped}」表示空值，按空值处理；请直接留空。", None, text)]
    if text != stripped:
        findings.append(_finding("F105", INFO, sheet, cell, f"「{sheet}」{cell} 首尾有多余空格，已忽略。", stripped, text))
    if code:
        converted = stripped.translate(FULLWIDTH).replace(" ", "")
        if converted != stripped:
            findings.append(_finding("F102", WARNING, sheet, cell, f"「{sheet}」{cell} 科目编码含全角字符或空格「{stripped}」，已按「{converted}」读取。", converted, text))
        stripped = converted
    return stripped, findings
