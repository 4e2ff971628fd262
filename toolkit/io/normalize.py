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
