"""The base of the errors a user reads: a file or a setting the toolkit cannot use.

`message` is the text for the clerk or the bureau (Chinese, naming the file, sheet, cell or line);
front ends print it as is, never a traceback. Imports nothing, so any module may use it."""
from __future__ import annotations


class UserError(ValueError):
    """Something the user gave cannot serve; `message` says what and where, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


__all__ = ["UserError"]
