"""Sheet protection of a live workbook (an engine adapter for the Excel buttons, not a front end).

Excel refuses a write into a locked cell of a protected sheet, so the entry points of
toolkit.excel write inside `with Unprotected(book, sheet names):`, which lifts the protection of
exactly those sheets and restores it afterwards with the options each had, also when a write
fails. One handle per engine: Windows COM (`sheet.api`), macOS through the VBA helpers of
bdt_buttons.bas (`Book.macro`); engines without protection (xlwings' remote engine, Lite): none.
"""
from __future__ import annotations

from .xlbook import DOC, alert


class ProtectionError(Exception):
    """A sheet's protection could not be lifted or restored; `message` is for the clerk."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


_ALLOW = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows")


class _WinProtection:
    """Protection through Excel's object model (Windows COM via pywin32: `sheet.api`).

    Excel refuses a write into a locked cell of a protected sheet, so the sheets a button writes
    are unprotected for the write and protected again afterwards with the options they had
    (contents, drawing objects, scenarios, the formatting the clerk may do)."""

    def __init__(self, api):
        self.api = api

    def protected(self) -> bool:
        return bool(self.api.ProtectContents)

    def lift(self):
        api = self.api
        state = {"DrawingObjects": bool(api.ProtectDrawingObjects), "Contents": True,
                 "Scenarios": bool(api.ProtectScenarios)}
        for k in _ALLOW:
            state[k] = bool(getattr(api.Protection, k))
        api.Unprotect()
        return state

    def restore(self, state) -> None:
        self.api.Protect(**state)


class _MacroProtection:
    """macOS: AppleScript writes into locked cells fail silently and its protect command takes
    other names, so protection is lifted and restored by the VBA helpers of bdt_buttons.bas
    (`BdtLiftProtection` / `BdtRestoreProtection`), called through `Book.macro`."""

    def __init__(self, book, name):
        self.book, self.name = book, name

    def protected(self) -> bool:
        return bool(self.book.macro("BdtIsProtected")(self.name))

    def lift(self):
        return self.book.macro("BdtLiftProtection")(self.name)

    def restore(self, state) -> None:
        self.book.macro("BdtRestoreProtection")(self.name, state)


def _protection(book, sheet):
    """The protection handle of a live sheet, or None for engines that have no protection to lift
    (xlwings' remote engine and xlwings Lite: they record or batch values, see docs/excel.md)."""
    module = type(getattr(sheet, "impl", None)).__module__ or ""
    if module.endswith("_xlmac"):
        return _MacroProtection(book, sheet.name)
    try:
        api = sheet.api
    except Exception:
        return None
    if hasattr(api, "Unprotect") and hasattr(api, "Protect"):
        return _WinProtection(api)
    return None


class Unprotected:
    """`with Unprotected(book, names):` — the named sheets writable inside, protected as before
    after it, also when a write fails. A sheet that cannot be protected again is reported to the
    clerk (by name) rather than left open silently."""

    def __init__(self, book, names):
        self.book, self.names = book, list(dict.fromkeys(names))
        self.lifted: list = []

    def __enter__(self):
        sheets = {s.name: s for s in self.book.sheets}
        for name in self.names:
            if name not in sheets:
                continue
            handle = _protection(self.book, sheets[name])
            if handle is None or not handle.protected():
                continue
            try:
                state = handle.lift()
            except Exception as exc:
                self.__exit__(None, None, None)
                raise ProtectionError(f"无法解除工作表「{name}」的保护（{exc}）：本次未写入任何内容。"
                                      f"若该表被设置了密码，请用财政局下发的原版模板；说明见 {DOC}。") from exc
            self.lifted.append((name, handle, state))
        return self

    def __exit__(self, *exc_info):
        failed = []
        while self.lifted:
            name, handle, state = self.lifted.pop()
            try:
                handle.restore(state)
            except Exception:
                failed.append(name)
        if failed:
            msg = ("未能恢复以下工作表的保护：" + "、".join(f"「{n}」" for n in failed) +
                   "。请在 Excel「审阅 → 保护工作表」中重新保护（不设密码），以免灰色格被误改。")
            if exc_info[0] is None:
                raise ProtectionError(msg)
            alert(self.book, msg, "工作表保护")
        return False
