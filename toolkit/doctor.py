"""`bdt doctor` and the 「检查环境」 button: what the Excel buttons will run with, in Chinese.

Reports the Python that runs (version and path), bdt's version, xlwings' version and whether it
is in the range bdt supports (bdt's own package metadata; the pin of the source tree when bdt
is not installed), the interpreter Excel will start according to xlwings' settings (the same
three places and order as xlwings' VBA `GetConfig`: an `xlwings.conf` sheet in the workbook, an
`xlwings.conf` file beside it, the user's file), and what the export needs (a CJK font that can
be embedded in the PDF; LibreOffice only for checking the Word file, not for writing it).

The VBA side (macros/bdt_buttons.bas, `BDT_PROBE`) imports this module to learn whether the
installed xlwings fits: `bdt_version()` and `xlwings_supported(version)` must stay importable
with nothing but the standard library.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import sys
from pathlib import Path

DIST = "bdt-budget-disclosure"
_SPEC = re.compile(r"^\s*(==|!=|>=|<=|>|<|~=)\s*([0-9][0-9A-Za-z.]*)\s*$")


def bdt_version() -> str:
    from . import __version__

    return __version__


def xlwings_requirement() -> str:
    """The xlwings version specifier bdt declares ("==0.37.8", ">=0.30,<0.40" …)."""
    try:
        from importlib.metadata import PackageNotFoundError, requires

        for req in requires(DIST) or []:
            m = re.match(r"^xlwings\s*([^;]*)", req.strip())
            if m and "extra ==" not in req:
                return m.group(1).strip().strip("()") or ""
    except (ImportError, PackageNotFoundError):
        pass
    cfg = Path(__file__).resolve().parents[1] / "setup.cfg"  # a source checkout run through PYTHONPATH
    if cfg.is_file():
        m = re.search(r"^\s*xlwings\s*([^\s;#][^;#\n]*)$", cfg.read_text(encoding="utf-8"), re.M)
        if m:
            return m.group(1).strip()
    return ""


def _vtuple(v: str) -> tuple:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:4])


def xlwings_supported(version: str, requirement: str | None = None) -> bool:
    """Whether `version` satisfies bdt's xlwings requirement (an empty requirement: any)."""
    requirement = xlwings_requirement() if requirement is None else requirement
    have = _vtuple(version)
    for part in filter(None, (p.strip() for p in requirement.split(","))):
        m = _SPEC.match(part)
        if not m:
            continue
        op, want = m.group(1), _vtuple(m.group(2))
        n = max(len(have), len(want))
        a, b = have + (0,) * (n - len(have)), want + (0,) * (n - len(want))
        ok = {"==": a == b, "!=": a != b, ">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b,
              "~=": a >= b and a[:len(want) - 1] == b[:len(want) - 1]}[op]
        if not ok:
            return False
    return True


def _conf_file(path: Path) -> dict:
    out = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return out
    for line in text.splitlines():
        m = re.match(r'^\s*"([^"]*)"\s*,\s*"([^"]*)"', line)
        if m:
            out.setdefault(m.group(1).upper(), m.group(2))
    return out


def conf_rows(rows) -> dict:
    """xlwings' settings from the rows of an `xlwings.conf` sheet (A: name, B: value)."""
    return {str(r[0]).upper(): "" if len(r) < 2 or r[1] is None else str(r[1])
            for r in rows if r and r[0] not in (None, "") and len(r) > 1}


def _conf_sheet(workbook: Path) -> dict:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(workbook))
        if "xlwings.conf" not in wb.sheet_names:
            return {}
        return conf_rows(wb.get_sheet_by_name("xlwings.conf").to_python())
    except Exception:  # not a workbook calamine can read (or no calamine): the other two places still count
        return {}


def user_conf_path(system: str | None = None) -> Path:
    """Where xlwings' VBA reads the user's settings (GetConfigFilePath)."""
    system = system or platform.system()
    if system == "Darwin":
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    return Path(os.environ.get("USERPROFILE") or Path.home()) / ".xlwings" / "xlwings.conf"


def excel_interpreter(workbook=None, system: str | None = None, sheet: dict | None = None) -> tuple[str, str]:
    """(interpreter, where it was set) as xlwings' VBA would find it; `sheet`: the settings of the
    workbook's `xlwings.conf` sheet when the caller has the live workbook (`conf_rows`), else
    they are read from the file."""
    system = system or platform.system()
    key = "INTERPRETER_MAC" if system == "Darwin" else "INTERPRETER_WIN"
    layers = []
    if workbook is not None:
        wb = Path(workbook)
        layers.append((f"工作簿中的 xlwings.conf 工作表（{wb.name}）", _conf_sheet(wb) if sheet is None else sheet))
        layers.append((f"工作簿旁的文件 {wb.with_name('xlwings.conf')}", _conf_file(wb.with_name("xlwings.conf"))))
    layers.append((f"用户设置文件 {user_conf_path(system)}", _conf_file(user_conf_path(system))))
    for k in (key, "INTERPRETER"):
        for where, conf in layers:
            if conf.get(k):
                return conf[k], where
    return "python", "默认（PATH 中的 python）"


def checks(workbook=None, sheet: dict | None = None) -> list[tuple[str, bool, str]]:
    """[(item, ok, text)] of the environment (`sheet`: see `excel_interpreter`)."""
    out = [("Python", sys.version_info >= (3, 10), f"{platform.python_version()}（{sys.executable}）"),
           ("bdt", True, bdt_version())]
    req = xlwings_requirement()
    try:
        import xlwings

        ok = xlwings_supported(xlwings.__version__, req)
        out.append(("xlwings", ok, f"{xlwings.__version__}（本工具支持 {req or '任意版本'}"
                    + ("" if ok else "：不符，请运行 pip install --upgrade bdt-budget-disclosure") + "）"))
    except ImportError:
        out.append(("xlwings", False, f"未安装（按钮需要 xlwings {req}：pip install bdt-budget-disclosure）"))
    interp, where = excel_interpreter(workbook, sheet=sheet)
    exists = interp in ("python", "pythonw", "python3") or Path(interp).is_file()
    out.append(("Excel 启动的 Python", exists, f"{interp}（{where}）" + ("" if exists else "：该路径不存在")))
    try:
        from .export.fonts import cjk_font

        font = cjk_font()
        out.append(("PDF 中文字体", font.embedded, (font.path or "") + ("" if font.embedded else
                    "未找到可嵌入的中文字体：PDF 使用标准字体（不嵌入），在部分阅读器中可能显示不同")))
    except Exception as exc:  # reportlab missing or broken: export cannot write PDF
        out.append(("PDF 中文字体", False, f"无法检查（{type(exc).__name__}：{exc}）"))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    out.append(("LibreOffice（可选，仅用于核对 Word 文件）", True, soffice or "未安装（导出不需要）"))
    return out


def _failed(rows) -> list[str]:
    return [item for item, ok, _ in rows if not ok and not item.startswith("PDF")]


def report(workbook=None, rows=None, sheet: dict | None = None) -> str:
    """The report as the clerk reads it (also the text of the 检查环境 message box)."""
    rows = checks(workbook, sheet) if rows is None else rows
    lines = ["检查环境（bdt doctor）："] + [f"{'✓' if ok else '✗'} {item}：{text}" for item, ok, text in rows]
    failed = _failed(rows)
    lines.append(("需要处理：" + "、".join(failed) + "（说明见 docs/excel.md 第一节「安装」）") if failed
                 else "按钮所需的程序都已就绪。")
    return "\n".join(lines)


def main(args) -> int:
    """`bdt doctor [WORKBOOK]`: exit 0 when the buttons can run, 1 when something needs fixing."""
    rows = checks(getattr(args, "workbook", None))
    print(report(rows=rows))
    return 1 if _failed(rows) else 0
