"""`bdt export PATH --to pdf,docx,xlsx,html,data --out DIR [--force]` — a thin front end of `export()`."""
from __future__ import annotations

import sys

from . import FORMAT_NAMES, FORMATS, ExportRefused, default_out_dir, export, parse_formats

EXIT_OK, EXIT_REFUSED, EXIT_FAILED = 0, 1, 2


def add_arguments(parser) -> None:
    parser.description = ("由填好的工作簿生成公开文件：PDF、Word、打印版 xlsx、HTML 和开放数据（CSV + datapackage.json）。"
                          "所有数字由输入重新计算（不用文件中缓存的结果）。有“错误”级校验问题时拒绝导出，除非加 --force。")
    parser.add_argument("path", metavar="PATH", help="填好的工作簿（.xlsx）")
    parser.add_argument("--to", default=",".join(FORMATS), metavar="FORMATS",
                        help=f"导出格式，逗号分隔（默认全部：{','.join(FORMATS)}）")
    parser.add_argument("--out", metavar="DIR", help="输出文件夹（默认：与工作簿同目录的「工作簿名-公开」）")
    parser.add_argument("--force", action="store_true",
                        help="即使有“错误”级校验问题也导出：每页和文档属性都标注“草稿·未通过校验”，不能作为正式公开文件")
    parser.add_argument("--typography", choices=("standard", "official"), default=None,
                        help="版式：standard（默认）或 official（党政机关公文格式 GB/T 9704：标题方正小标宋，正文仿宋_GB2312 "
                             "三号，标题黑体/楷体；本机未安装的字体仍用常规字体并提示）")
    from ..cli import _config_argument

    _config_argument(parser)
    parser.add_argument("--rounding", choices=("round", "balance"), default=None,
                        help="精确金额的公开方式：round（四舍五入，尾差列为提示）或 balance（舍位平衡：合计等于分项之和，"
                             "调整逐个列出）；默认按结构定义 publication.rounding")
    parser.add_argument("--waive", metavar="CODES",
                        help="豁免的规则编号，逗号分隔（如 N504,P601）：经审核确认可以接受的“错误”，记录在文档属性中")
    parser.add_argument("--waivers", metavar="FILE",
                        help="豁免文件（YAML，bdt waive 生成；默认用工作簿旁的 bdt-waivers.yaml）：其中逐项豁免、数字未变的"
                             "“错误”不阻止导出，并记录在文档属性和开放数据中")


def run(args) -> int:
    import toolkit

    from ..io.reader import WorkbookError
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
    from ..bureau import bureau_files
    from ..config import ConfigError
    from ..waivers import WaiverError

    try:  # the bureau's rule settings and waivers: --config / --waivers, else found beside the workbook
        files = bureau_files(args.path, config=getattr(args, "config", None), waivers=getattr(args, "waivers", None))
    except (ConfigError, WaiverError) as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_FAILED
    waivers, config = files.waivers, files.config
    out = args.out or default_out_dir(args.path)
    print(f"规则设置：{files.in_force(d).text()}", file=sys.stderr)
    try:
        result = export(d, fmts, out, force=args.force, waive=getattr(args, "waive", None),
                        typography=getattr(args, "typography", None), waivers=waivers, config=config,
                        rounding=getattr(args, "rounding", None))
    except ExportRefused as exc:
        print(str(exc), file=sys.stderr)
        if waivers is not None:
            for line in waivers.outcome(d, filled=True).lines():
                print(f"  {line}", file=sys.stderr)
        return EXIT_REFUSED
    for f, path in result.items():
        print(f"已导出 {FORMAT_NAMES[f]}：{path}")
    pub = result.rounding
    if pub is not None and (pub.adjustments or pub.discrepancies):
        print(pub.summary())
        for x in pub.findings(d)[:50]:
            print(f"  {x.rule} {x.message}")
    if {"pdf", "docx"} & set(result) and fallback_warning():
        print(fallback_warning(), file=sys.stderr)
    if {"pdf", "docx"} & set(result) and getattr(args, "typography", None):
        from .fonts import typography

        if typography(args.typography).warning():
            print(typography(args.typography).warning(), file=sys.stderr)
    status = result.status
    if status.waived:
        codes = sorted({f.rule for f in status.waived})
        print(f"已豁免 {len(status.waived)} 个“错误”级问题（{','.join(codes)}），记录在文档属性中。", file=sys.stderr)
    if status.outcome is not None:
        for line in status.outcome.lines():
            print(line, file=sys.stderr)
    if status.errors:
        print(f"注意：导出的文件（填充后）有 {len(status.errors)} 个“错误”级问题，已按 --force 导出并在每页标注"
              "“草稿·未通过校验”（运行 bdt validate 查看，改正或 --waive 后重新导出）。", file=sys.stderr)
    return EXIT_OK
