"""The workbooks a bureau's run is given: files, folders (searched recursively) and glob patterns
(`discover`, for bdt batch and bdt consolidate). Excel's lock files, hidden files, the output folder
and the bureau's own files (bdt.toml, bdt-waivers.yaml) are skipped; anything else that is not a
workbook, a broken link or a pipe is said in a note, never a crash."""
from __future__ import annotations

import glob
import os
import stat
from pathlib import Path

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")  # .xls only to tell the clerk to re-save it


def _within(p: Path, out: Path) -> bool:
    try:
        return p.resolve() == out or out in p.resolve().parents
    except (OSError, RuntimeError):  # a link loop
        return False


_CONFIG_NAMES = ("bdt.toml", "bdt.yaml", "bdt.yml")  # the rule settings beside the workbooks (toolkit.config)


def discover(inputs, out_dir=None) -> tuple[list[Path], list[str]]:
    """Workbooks named by files, folders (searched recursively) and glob patterns.

    Returns (sorted unique paths, notes on inputs that matched nothing). Skipped: Excel's lock
    files (~$…), hidden files, and anything inside the output folder."""
    out = Path(out_dir).resolve() if out_dir else None
    found: dict[str, Path] = {}
    notes = []

    def skip(p: Path) -> bool:
        if p.name.startswith(("~$", ".")):
            return True
        if out is not None:
            try:
                p.resolve().relative_to(out)
                return True
            except (ValueError, OSError, RuntimeError):  # RuntimeError: a symbolic-link loop
                pass
        return False

    others: list[str] = []

    def add(p: Path, explicit: bool) -> None:
        if not explicit:
            if p.suffix.lower() not in WORKBOOK_SUFFIXES:
                if not p.name.startswith(("~$", ".")) and p.name != "bdt-waivers.yaml" and p.name not in _CONFIG_NAMES:
                    others.append(p.name)
                return
            if skip(p):
                return
            try:
                regular = stat.S_ISREG(os.stat(p).st_mode)
            except OSError:  # a broken link or a link loop: said so, never a crash
                notes.append(f"「{p}」无法打开（可能是失效或循环的快捷方式），已跳过。")
                return
            if not regular:
                notes.append(f"「{p}」不是普通文件（管道、设备等），已跳过。")
                return
        found.setdefault(os.path.normcase(os.path.abspath(p)), p)

    for raw in inputs:
        p = Path(raw)
        if p.is_dir() and out is not None and _within(p, out):
            notes.append(f"「{raw}」就是输出文件夹（或在其中），已跳过；请用另一个文件夹作 --out。")
            continue
        if p.is_dir():
            n = len(found)
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not skip(Path(root) / d))
                for f in sorted(files):
                    add(Path(root) / f, False)
            if len(found) == n:
                notes.append(f"文件夹「{raw}」中没有 .xlsx/.xlsm 工作簿。")
            if others:
                shown = "、".join(others[:5]) + (f" 等 {len(others)} 个" if len(others) > 5 else "")
                notes.append(f"文件夹「{raw}」中不是工作簿的文件未处理：{shown}。")
                others.clear()
        elif p.exists():
            add(p, True)
        elif glob.has_magic(str(raw)):
            matches = sorted(glob.glob(str(raw), recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            for m in files:
                add(m, False)
            if not files:
                notes.append(f"没有与「{raw}」匹配的工作簿。")
        else:
            add(p, True)  # a missing file: its row will say so
    return sorted(found.values(), key=lambda q: str(q)), notes



__all__ = ["WORKBOOK_SUFFIXES", "discover"]
