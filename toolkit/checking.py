"""Checking workbooks for a report (`bdt validate`, `bdt fill`'s check): each file read, the
bureau's files in force found (toolkit.bureau), validated; a file that cannot be read, or on which
the program fails, is that file's report and never stops the others. `validate_status` is the exit
status of such results."""
from __future__ import annotations

from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 3
INTERNAL_PREFIX = "程序内部错误（不是文件本身的问题）"


def validate_files(paths, schema=None, config=None, waivers=None, prior=None) -> list:
    """Read and check each file; a file that cannot be read is reported, never stops the others.
    The bureau's files of each (toolkit.bureau): `config` / `waivers` are explicit files (--config,
    --waivers) for every file, else each file's own found beside it. A bad configuration file (or a
    bad explicit waiver file) raises before any file is checked; a bad waiver file beside one
    workbook is that workbook's report. `prior`: last year's workbook (one file checked): typed 上年数
    are compared with it (X410)."""
    import toolkit

    from .bureau import bureau_files
    from .io.reader import WorkbookError
    from .report import FileResult
    from .rules import validate
    from .waivers import WaiverError

    files = {}
    for p in paths:
        try:
            files[str(p)] = bureau_files(p, config=config, waivers=waivers)
        except WaiverError as exc:
            if waivers:
                raise
            files[str(p)] = exc
    results = []
    for p in paths:
        found = files[str(p)]
        try:
            d = toolkit.load(p, schema=schema)
            if prior is not None:
                from .prior import PriorError, attach, read_prior

                try:
                    attach(d, read_prior(prior, schema))
                except PriorError as exc:
                    results.append(FileResult(str(p), None, exc.message))
                    continue
        except WorkbookError as exc:
            results.append(FileResult(str(p), None, exc.message))
            continue
        except OSError as exc:
            results.append(FileResult(str(p), None, f"无法读取文件「{Path(p).name}」：{exc.strerror or exc}。"))
            continue
        except Exception as exc:  # noqa: BLE001 - one file's crash never hides the other files' reports
            results.append(FileResult(str(p), None, internal_message(exc), internal=True))
            continue
        if isinstance(found, WaiverError):
            results.append(FileResult(str(p), None, found.message))
            continue
        try:
            w = found.waivers
            findings = validate(d, config=found.config, waivers=w)
            results.append(FileResult(str(p), findings, None, waivers=w.outcome(d) if w is not None else None,
                                      config=found.in_force(d), skipped=tuple(getattr(d, "skipped_rules", ()))))
        except Exception as exc:  # noqa: BLE001
            results.append(FileResult(str(p), None, internal_message(exc), internal=True))
    return results


def internal_message(exc: BaseException) -> str:
    return f"{INTERNAL_PREFIX}：{type(exc).__name__}: {exc}。请把该文件和此信息转给技术支持。"


def validate_status(results) -> int:
    """3 when the program failed on any file, else 2 when any file could not be read, else 1 when
    any error-severity finding, else 0."""
    from .findings import ERROR

    if any(r.internal for r in results):
        return EXIT_INTERNAL
    if any(r.error is not None for r in results):
        return EXIT_UNREADABLE
    if any(f.severity == ERROR and f.waived is None for r in results for f in r.findings or []):
        return EXIT_FINDINGS  # waived errors (toolkit.waivers) do not count
    return EXIT_OK


__all__ = ["validate_files", "validate_status", "internal_message", "INTERNAL_PREFIX"]
