"""`bdt batch` — the command line of the finance bureau's batch: arguments in, one library call
(toolkit.batch.run_bureau), its lines out. Exit status as `bdt validate`: 0 no errors, 1 errors
found, 2 a file could not be read or the batch could not start, 3 an internal error; 130 on Ctrl+C."""
from __future__ import annotations

import sys

from .batch import DEFAULT_TIMEOUT, EXIT_UNREADABLE, MAX_DEFAULT_JOBS


def add_arguments(p) -> None:
    p.description = ("财政局批量处理：校验（并可填充、导出）多个单位的工作簿，每个单位一个输出文件夹，"
                     "最后生成汇总（summary.html、summary.csv）。退出状态：0 无错误；1 有“错误”级问题；"
                     "2 有文件无法读取或处理超时；3 程序内部错误。")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="工作簿、文件夹（含子文件夹）或通配符，如 '收件箱/*.xlsx'")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="输出文件夹：每个单位一个子文件夹，以及汇总")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N", help=f"并行进程数（默认：可用 CPU 核数、文件数与 {MAX_DEFAULT_JOBS} 中最小者；1 为不并行）")
    p.add_argument("--fill", action="store_true", help="同时生成填充派生格后的工作簿（原文件不改动）")
    p.add_argument("--prior", metavar="FOLDER",
                   help="上年工作簿所在文件夹：按部门代码、再按名称匹配，核对上年数（X410）；与 --fill 同用时填入空着的上年数")
    p.add_argument("--export", metavar="FORMATS", help="同时导出公开文件，如 pdf,docx（只导出没有“错误”的单位）")
    p.add_argument("--export-all", action="store_true", help="有“错误”的单位也导出")
    p.add_argument("--waivers", metavar="FILE",
                   help="豁免文件（YAML，bdt waive 生成；默认用输入文件夹中的 bdt-waivers.yaml）：各单位数字未变的豁免问题"
                        "列为“已豁免”，不计入错误，不阻止导出")
    p.add_argument("--executor", choices=["process", "dask"], default=None, help="执行方式：本机多进程（默认）或 Dask 集群")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask 调度器地址，如 tcp://10.0.0.5:8786（输入文件和 --out 须在各节点以相同路径可见的共享目录中）；"
                        "local 为本机临时集群")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="各单位报告中固定标题的语言")
    from .cli import _config_argument

    _config_argument(p)
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"每个文件的处理时间上限，秒（默认 {DEFAULT_TIMEOUT:g}；0 为不限）：超时的文件单独报告，其余照常处理")
    p.add_argument("--consolidate", action="store_true",
                   help="同时汇总（本级合计、各部门 = 所属单位之和，并核对部门表与所属单位之和），写入 --out 下的「汇总」（同 bdt consolidate）")
    p.add_argument("--roster", metavar="CSV",
                   help="应公开单位名单（CSV：部门代码,名称,上级部门,截止日期；UTF-8 或 GBK）：汇总中列出未提交、逾期、"
                        "未通过和通过的单位，另写 roster.csv；提交时间取工作簿文件的修改时间")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", dest="progress", action="store_true", default=None, help="总是显示进度（默认只在终端显示）")
    g.add_argument("--no-progress", dest="progress", action="store_false", help="不显示进度")


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def run(args) -> int:
    from .batch import run_bureau
    from .config import ConfigError
    from .errors import UserError
    from .summary import prior_lines, summary_text, unmatched_notes

    try:
        r = run_bureau(args.inputs, args.out, fill=args.fill, export=args.export, export_all=args.export_all,
                       schema=getattr(args, "schema", None), lang=args.lang,
                       timeout=getattr(args, "timeout", DEFAULT_TIMEOUT), waivers=getattr(args, "waivers", None),
                       config=getattr(args, "config", None), prior=getattr(args, "prior", None),
                       roster=getattr(args, "roster", None), executor=args.executor, scheduler=args.scheduler,
                       jobs=args.jobs, progress=args.progress, say=_say)
    except (UserError, ConfigError) as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        print("\n已中断。", file=sys.stderr)
        return 130
    print(summary_text(r.result))
    for note in unmatched_notes(r.used, r.result.outcomes):
        print(note, file=sys.stderr)
    if getattr(args, "consolidate", False):
        c = r.consolidate()
        print(f"汇总：{len(c.outputs)} 个汇总工作簿，部门与所属单位之和不符 {len(c.differences)} 处，见 {c.report_html}")
    if getattr(args, "prior", None):
        print("\n".join(prior_lines(r.result.outcomes, r.prior, r.write_prior_csv())))
    return r.result.exit_status


__all__ = ["add_arguments", "run"]
