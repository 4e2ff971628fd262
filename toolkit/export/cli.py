"""`bdt export PATH --to pdf,docx,xlsx,html,data --out DIR [--force]` — a thin front end of `export()`."""
from __future__ import annotations

import sys

from . import FORMAT_NAMES, FORMATS, ExportRefused, default_out_dir, export, parse_formats, refusal_message

EXIT_OK, EXIT_REFUSED, EXIT_FAILED = 0, 1, 2


def add_arguments(parser) -> None:
    parser.description = ("由填好的工作簿生成公开文件：PDF、Word、打印版 xlsx、HTML 和开放数据（CSV + datapackage.json）。"
                          "所有数字由输入重新计算（不用文件中缓存的结果）。有“错误”级校验问题时拒绝导出，除非加 --force。")
    parser.add_argument("path", metavar="PATH", help="填好的工作簿（.xlsx）")
    parser.add_argument("--to", default=",".join(FORMATS), metavar="FORMATS",
                        help=f"导出格式，逗号分隔（默认全部：{','.join(FORMATS)}）")
    parser.add_argument("--out", metavar="DIR", help="输出文件夹（默认：与工作簿同目录的「工作簿名-公开」）")
    parser.add_argument("--force", action="store_true", help="即使有“错误”级校验问题也导出（问题会照样出现在公开文件中）")


def run(args) -> int:
    import toolkit

    from ..findings import ERROR
    from ..io.reader import WorkbookError
    from ..rules import validate
    from .fonts import fallback_warning

    try:
        fmts = parse_formats(args.to)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_FAILED
    schema = None
    if getattr(args, "schema", None):
        from ..schema import load_schema

        schema = load_schema(args.schema)
    try:
        d = toolkit.load(args.path, schema=schema)
    except WorkbookError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"错误：无法读取文件「{args.path}」：{exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    errors = [f for f in validate(d) if f.severity == ERROR]
    if errors and not args.force:
        print(refusal_message(errors), file=sys.stderr)
        return EXIT_REFUSED
    out = args.out or default_out_dir(args.path)
    try:
        result = export(d, fmts, out, force=True)
    except ExportRefused as exc:  # pragma: no cover - force=True above
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    for f, path in result.items():
        print(f"已导出 {FORMAT_NAMES[f]}：{path}")
    if {"pdf", "docx"} & set(result) and fallback_warning():
        print(fallback_warning(), file=sys.stderr)
    if errors:
        print(f"注意：工作簿有 {len(errors)} 个“错误”级问题，已按 --force 照现状导出（运行 bdt validate 查看）。",
              file=sys.stderr)
    return EXIT_OK
