"""Importing ReportLab without the regular expressions the exports never use.

`reportlab.platypus` (imported by any of its parts, also by `reportlab.graphics`) compiles at
import a case-insensitive URL pattern over most of Unicode for splitting long links in
`reportlab.platypus.paragraph` (≈60 ms of every `bdt export` process, a quarter of ReportLab's
import). The exports lay out text with their own line breaker (`cjkwrap`) and never reach that
code, so while ReportLab is first imported a pattern that long is compiled on first use instead.
The stand-in forwards every attribute to the compiled pattern (`match`, `sub`, … behave the same).
"""
from __future__ import annotations

import re
import sys
from contextlib import contextmanager

LONG = 250  # characters: the URL pattern has 316; ReportLab's others have at most 70


class LazyPattern:
    """A compiled pattern made when first used."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern, flags):
        self._args, self._compiled = (pattern, flags), None

    def __getattr__(self, name):
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = _compile(*self._args)
        return getattr(compiled, name)


_compile = re.compile


@contextmanager
def lazy_long_patterns():
    """Inside: `re.compile` of a pattern longer than LONG returns a LazyPattern. Only around the
    first import of ReportLab (no effect once it is imported)."""
    if "reportlab.platypus" in sys.modules:
        yield
        return

    active = [True]  # a module that kept this function (`from re import compile`) gets plain patterns later

    def compile_(pattern, flags=0):
        if active[0] and isinstance(pattern, str) and len(pattern) > LONG:
            return LazyPattern(pattern, flags)
        return _compile(pattern, flags)

    re.compile = compile_
    try:
        yield
    finally:
        active[0] = False
        re.compile = _compile
