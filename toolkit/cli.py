"""`bdt` — the command line. A thin front end: every command is one call of the library."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from . import __version__

# Only what every command needs is imported here: `bdt --version` and `bdt --help` load no schema,
# reader or rules; each command imports its own modules (start-up, issue #14).

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 3


def __getattr__(name: str):
    """validate_files, validate_status, internal_message: toolkit.checking's, imported when asked
    for (`bdt --version` imports nothing beyond this module)."""
    if name in ("validate_files", "validate_status", "internal_message", "INTERNAL_PREFIX"):
        from . import checking

        return getattr(checking, name)
    raise AttributeError(name)


def cmd_show(args) -> int:
    import toolkit

    from .textview import show

    print(show(toolkit.load(args.path, schema=_schema(args)), args.table, args.forms))
    return EXIT_OK


def cmd_cells(args) -> int:
    import toolkit

    from .textview import cell_rows

    rows = cell_rows(toolkit.load(args.path, schema=_schema(args)), args.role)
    if args.format == "json":
        import json

        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for r in rows:
            print(f"{r['sheet']}!{r['cell']}\t{r['role']}\t{r['key']}.{r['row']}.{r['col']}".rstrip("."))
    return EXIT_OK


def cmd_grow(args) -> int:
    """bdt template grow: a filled workbook rewritten with more rows (toolkit.grow)."""
    from .grow import GrowError, grow
    from .io.reader import WorkbookError

    try:
        out, caps = grow(args.path, args.out, args.capacity, _schema(args))
    except (GrowError, WorkbookError) as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_UNREADABLE
    print("行数：" + "；".join(caps.lines))
    print(f"已生成扩充行数的工作簿：{out}（原文件未改动；请在新文件中继续填写）")
    return EXIT_OK


def cmd_template(args) -> int:
    from .template import build_template

    out = Path(args.out)
    schema = _schema(args) or _default_schema()
    if args.capacity:
        from .schema import SchemaError

        try:
            schema = schema.with_capacities(args.capacity)
        except SchemaError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return EXIT_UNREADABLE
        print("行数：" + "，".join(f"{k} {v} 行" for k, v in sorted(schema.capacities.items())))
    if out.suffix.lower() == ".xlsm":
        from .vba import build_xlsm

        print(f"已生成带按钮的模板：{build_xlsm(out, schema)}")
        return EXIT_OK
    print(f"已生成模板：{build_template(out, schema)}")
    if not args.no_xlsm:
        from .vba import build_xlsm

        print(f"已生成带按钮的模板：{build_xlsm(out.with_suffix('.xlsm'), schema)}")
    return EXIT_OK


def cmd_import(args) -> int:
    from .datafile import load_data, write_data

    path = write_data(load_data(args.data), args.out, _schema(args) or _default_schema())
    print(f"已写入：{path}")
    return EXIT_OK


def cmd_dump(args) -> int:
    import toolkit

    from .datafile import dump

    data = dump(toolkit.load(args.path, schema=_schema(args)))
    if args.format == "json":
        import json

        json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        import yaml

        sys.stdout.write(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000))
    return EXIT_OK


def _use_color(stream) -> bool:
    # https://no-color.org: a NO_COLOR that is set and not empty turns colour off
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def _write_out(text: str, out) -> Path:
    path = Path(out)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return path


def cmd_validate(args) -> int:
    from . import report

    if args.annotate and len(args.paths) != 1:
        print("错误：--annotate 只能用于一个工作簿。", file=sys.stderr)
        return EXIT_UNREADABLE
    if getattr(args, "prior", None) and len(args.paths) != 1:
        print("错误：--prior 只能用于一个工作簿（一个文件夹的上年工作簿请用 bdt batch --prior）。", file=sys.stderr)
        return EXIT_UNREADABLE
    from .checking import validate_files, validate_status

    results = validate_files(args.paths, _schema(args), config=args.config, waivers=args.waivers,
                             prior=getattr(args, "prior", None))
    if args.annotate and results[0].error is None:
        from .annotate import annotate

        marked = annotate(args.paths[0], args.annotate, findings=results[0].findings, schema=_schema(args))
        print(f"已写入标注版工作簿：{marked.path}（标出 {marked.marked} 个单元格，问题清单见「校验结果」工作表）",
              file=sys.stderr)
    if args.group:  # the report only: the annotated copy above still marks every cell
        from dataclasses import replace

        from .rules.rootcause import group_identical

        results = [replace(r, findings=group_identical(r.findings)) if r.findings else r for r in results]
    if args.format == "json":
        text = report.to_json(results)
    elif args.format == "html":
        text = report.to_html(results, lang=args.lang)
    else:
        color = args.output is None and _use_color(sys.stdout)
        text = report.to_text(results, color=color, lang=args.lang)
    if args.output:
        path = _write_out(text, args.output)
        print(f"已写入报告：{path}" if args.lang == "zh" else f"Report written: {path}")
    else:
        sys.stdout.write(text)
    return validate_status(results)


def cmd_waive(args) -> int:
    from .waivers import WaiverError, waive

    try:
        path, new = waive(args.path, args.rule, args.cell, args.reason, args.by, file=args.file, schema=_schema(args))
    except WaiverError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_FINDINGS
    for w in new:
        stage = "（填充后的工作簿，即导出的内容）" if w.after_fill else ""
        print(f"已豁免 {w.rule} {w.place()}{stage}：应为 {w.expected or '空'}，实际 {w.actual or '空'}")
    print(f"已写入豁免文件：{path}（共 {len(new)} 条新豁免；数字改变后自动失效）")
    return EXIT_OK


def cmd_docs(args) -> int:
    from .docs import rules_markdown

    text = rules_markdown()
    if args.out:
        path = _write_out(text, args.out)
        print(f"已写入：{path}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_fill(args) -> int:
    from .fill import fill

    if args.out and args.in_place:
        print("错误：--out 与 --in-place 只能选一个。", file=sys.stderr)
        return EXIT_UNREADABLE
    from .bureau import bureau_files

    config = bureau_files(args.path, config=args.config, with_waivers=False).config  # a bad one fails before anything is written
    target, plan = fill(args.path, out=args.out, in_place=args.in_place, schema=_schema(args),
                        prior=getattr(args, "prior", None))
    print(f"已填充 {len(plan.changes)} 个派生格，写入：{target}")
    if plan.prior is not None:
        from .prior import report_lines

        for line in report_lines(plan.prior):
            print(line)
    if config is not None:  # a bureau's settings in force: how the filled workbook fares under them
        from .report import _config_text, _counts_line

        from .checking import validate_files

        r = validate_files([target], _schema(args), config=config.path)[0]
        if r.error is None:
            print(f"填充后的工作簿按规则设置（{_config_text(r, 'zh')}）校验：{_counts_line(r.counts, 'zh')}"
                  "（运行 bdt validate 查看问题清单）。")
    if args.in_place:
        print(f"原文件备份：{target}.bak")
    if plan.kept:
        from .describe import _form_field_label

        spec = (_schema(args) or _default_schema()).sheet("narrative")
        names = "、".join(_form_field_label(spec, row) for _, row, _ in plan.kept)
        print(f"保留了单位自行撰写的 {len(plan.kept)} 段情况说明（{names}），请运行 bdt validate 按表中数字核对。")
    from .fill import names_kept_lines

    for line in names_kept_lines(plan):
        print(line)
    return EXIT_OK


def cmd_consolidate(args) -> int:
    """`bdt consolidate FOLDER… --out DIR`: one call of toolkit.consolidate.consolidate."""
    from .inputs import discover
    from .consolidate import MISSING, consolidate

    paths, notes = discover(args.inputs, args.out)
    for n in notes:
        print(n, file=sys.stderr)
    if not paths:
        print("错误：没有找到工作簿。", file=sys.stderr)
        return EXIT_UNREADABLE
    formats = []
    if args.to:
        from .export import parse_formats

        formats = parse_formats(args.to)
    r = consolidate(paths, args.out, formats=formats, name=args.name, schema=_schema(args))
    for o in r.outputs:
        state = "（草稿·未通过校验）" if o.draft else ""
        print(f"已汇总 {o.kind}「{o.name}」（{len(o.members)} 个工作簿）：{o.path}{state}")
    for p, m in r.unreadable:
        print(f"未汇总（无法读取）：{m}", file=sys.stderr)
    for d in r.differences:
        who = f" → {d.culprit}" if d.culprit and d.culprit != MISSING else ""
        print(f"不符：{d.message}{who}")
    print(f"核对报告：{r.report_html}、{r.report_csv}（{len(r.differences)} 处部门与所属单位之和不符）")
    return EXIT_FINDINGS if r.differences else EXIT_OK


def _delegate(module: str):
    def run(args):
        import importlib

        return importlib.import_module(module).run(args)

    return run


def _wanted_command(argv) -> str | None:
    """The sub-command named on the command line (None: not known, so every module is loaded)."""
    if argv is None:
        return None
    args = list(argv)
    k = 0
    while k < len(args):
        a = args[k]
        if a == "--schema":
            k += 2
            continue
        if a.startswith("-"):
            k += 1
            continue
        return a
    return ""


def _add_module_arguments(parser, module: str) -> None:
    import importlib

    try:
        importlib.import_module(module).add_arguments(parser)
    except ImportError:  # module not built yet in this checkout
        parser.add_argument("rest", nargs="*")


def _config_argument(parser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="规则设置文件（TOML 或 YAML：关闭规则、改变级别、设定参数，可按部门设置）；"
                             "不给出时使用工作簿所在文件夹（及上级文件夹）中的 bdt.toml / bdt.yaml，都没有则为默认规则设置")


def _schema(args):
    """The schema chosen with --schema (a bundled name or a path) or $BDT_SCHEMA; None when neither:
    then a workbook is read with the schema its _meta records (toolkit.io.reader.schema_for)."""
    from .schema import chosen_schema

    return chosen_schema(getattr(args, "schema", None))


def _default_schema():
    from .schema import load_schema

    return load_schema()


def cmd_schema(args) -> int:
    """bdt schema list: the bundled schemas (name, tables, unit, title)."""
    from .schema import ALIASES, BUNDLED, load_schema

    alias = {v: k for k, v in ALIASES.items()}
    for sid in BUNDLED:
        s = load_schema(sid)
        tables = "、".join(f"表{t.number}" + ("（可选）" if t.optional else "") for t in s.tables)
        also = f"（又名 {alias[sid]}）" if sid in alias else ""
        print(f"{sid}{also}  {s.name}  单位：{s.unit}  模板 {s.template_version}\n    {len(s.tables)} 张表：{tables}")
    print("用法：bdt --schema <名称或 YAML 路径> template build …；已生成的工作簿按其记录的结构读取。")
    return EXIT_OK


def build_parser(argv=None) -> argparse.ArgumentParser:
    """The argument parser. Given `argv`, only the front-end module of the command named there is
    imported to add its arguments (start-up: `bdt validate` never imports export or batch)."""
    wanted = _wanted_command(argv)
    p = argparse.ArgumentParser(prog="bdt", description="部门预算公开工具：模板、读取、校验、填充、导出。")
    p.add_argument("--version", action="version", version=f"bdt {__version__}")
    p.add_argument("--schema", help="结构定义：内置结构的名称（sx-13、bj-14、sh-9，见 bdt schema list）或 YAML 路径；"
                                    "默认为 13 张表结构，已生成的工作簿按其记录的结构读取")
    sub = p.add_subparsers(dest="command", required=True)

    def schema_option(parser):  # `bdt template build --schema sh-9` as well as `bdt --schema sh-9 template build`
        parser.add_argument("--schema", default=argparse.SUPPRESS, help="结构定义：内置名称或 YAML 路径（同全局 --schema）")

    t = sub.add_parser("template", help="模板")
    tsub = t.add_subparsers(dest="action", required=True)
    tb = tsub.add_parser("build", help="由结构定义生成 Excel 模板")
    tb.add_argument("--out", default="workbook_template.xlsx",
                    help="输出文件；.xlsx 时同时生成同名 .xlsm（带校验/填充/导出按钮）")
    tb.add_argument("--no-xlsm", action="store_true", help="只生成 .xlsx")
    tb.add_argument("--capacity", metavar="表=行数",
                    help="扩充明细行数，逗号分隔，如 t3=2000,t5=2000,t12=300（行数多的部门；记录在工作簿中）")
    schema_option(tb)
    tb.set_defaults(func=cmd_template)
    tg = tsub.add_parser("grow", help="已填写的工作簿明细行不够时，生成行数更多的工作簿（内容原样带过去）")
    tg.add_argument("path")
    tg.add_argument("--capacity", metavar="表=行数",
                    help="新的明细行数，如 t3=2000,t12=300；不写时把快填满的表扩充为两倍")
    tg.add_argument("--out", help="输出文件（默认：原文件名加 .grown；已有该文件时加 .grown-2 等，不覆盖）")
    schema_option(tg)
    tg.set_defaults(func=cmd_grow)
    sc = sub.add_parser("schema", help="内置的结构定义（表格组成）")
    scsub = sc.add_subparsers(dest="action", required=True)
    scsub.add_parser("list", help="列出内置结构（sx-13、bj-14、sh-9 …）").set_defaults(func=cmd_schema)

    s = sub.add_parser("show", help="在终端显示工作簿中的表")
    s.add_argument("path")
    s.add_argument("--table", type=int, help="只显示第 N 张表")
    s.add_argument("--forms", action="store_true", help="同时显示基本信息、说明和绩效目标表")
    s.set_defaults(func=cmd_show)

    c = sub.add_parser("cells", help="按角色列出单元格（填写/派生）")
    c.add_argument("path")
    c.add_argument("--role", choices=["input", "derived"], help="只列出该角色")
    c.add_argument("--format", choices=["text", "json"], default="text")
    c.set_defaults(func=cmd_cells)

    i = sub.add_parser("import", help="由数据文件（YAML/JSON）生成填好的工作簿")
    i.add_argument("data")
    i.add_argument("--out", required=True)
    schema_option(i)
    i.set_defaults(func=cmd_import)

    f = sub.add_parser("fill", help="生成全部派生格（合计、重复数字、名称、标题、情况说明），不改动填写格")
    f.add_argument("path")
    f.add_argument("--out", help="输出文件（默认：原名.filled.xlsx）")
    f.add_argument("--in-place", action="store_true", help="直接改写原文件（保留 .bak 备份）")
    _config_argument(f)
    schema_option(f)
    f.add_argument("--prior", metavar="去年.xlsx",
                   help="上年的公开工作簿：由它填入「说明数据」中空着的上年数（已填写的不改动），并列出未能取得的")
    f.set_defaults(func=cmd_fill)

    # front ends that live in their own modules: each defines add_arguments(parser) and run(args) -> exit code
    for name, module, help_text in (
        ("export", "toolkit.export.cli", "导出公开文件：PDF、Word、打印版 xlsx、HTML、开放数据（CSV + JSON）"),
        ("batch", "toolkit.batch_cli", "财政局批量：校验/填充/导出一个文件夹中的全部单位工作簿，生成汇总"),
        ("serve", "toolkit.serve.cli", "浏览器界面：上传工作簿，查看问题、下载标注版和公开文件（本机或内网服务）"),
    ):
        sp = sub.add_parser(name, help=help_text)
        sp.set_defaults(func=_delegate(module), _module=module)
        if wanted is None or wanted == name:
            _add_module_arguments(sp, module)

    cs = sub.add_parser("consolidate", help="汇总：本级合计与各部门（本级 + 所属单位），并核对部门表与所属单位之和",
                        description="汇总文件夹中的工作簿（基本信息“公开主体”为单位的，按“上级主管部门”归入部门）："
                                    "输出本级合计、各部门汇总工作簿及其公开文件，和核对报告（HTML + CSV）。"
                                    "退出状态：0 无不符；1 有部门与所属单位之和不符。")
    cs.add_argument("inputs", nargs="+", metavar="FOLDER", help="工作簿或文件夹（递归查找 .xlsx/.xlsm）")
    cs.add_argument("--out", required=True, metavar="DIR", help="输出文件夹")
    cs.add_argument("--to", metavar="FORMATS", help="同时导出的格式，逗号分隔：pdf,docx,html,xlsx,data（默认不导出）")
    cs.add_argument("--name", default="本级合计", help="本级汇总工作簿的名称（默认：本级合计）")
    cs.set_defaults(func=cmd_consolidate)

    dmp = sub.add_parser("dump", help="把工作簿中的数据导出为数据文件（YAML/JSON）")
    dmp.add_argument("path")
    dmp.add_argument("--format", choices=["yaml", "json"], default="yaml")
    dmp.set_defaults(func=cmd_dump)

    v = sub.add_parser("validate", help="校验工作簿，输出问题清单（文本、JSON 或 HTML 报告）",
                       description="校验一个或多个工作簿。退出状态：0 无错误；1 发现“错误”级问题；2 有文件无法读取；3 程序内部错误。")
    v.add_argument("paths", nargs="+", metavar="PATH", help="要校验的工作簿（.xlsx），可以多个")
    v.add_argument("--format", choices=["text", "json", "html"], default="text", help="输出格式，默认 text")
    v.add_argument("--output", "-o", metavar="FILE", help="把报告写入文件（默认输出到屏幕）")
    v.add_argument("--lang", choices=["zh", "en"], default="zh", help="报告中固定标题的语言（问题说明始终为中文）")
    v.add_argument("--annotate", metavar="OUT.xlsx",
                   help="另存一份标注版工作簿：问题单元格按级别着色，并附「校验结果」工作表（原文件不改动）")
    _config_argument(v)
    v.add_argument("--group", action="store_true",
                   help="同一差异（同一个数字在各表中照抄的同一处差错）在报告中只列一次，并列出其余各处")
    v.add_argument("--waivers", metavar="FILE",
                   help="豁免文件（YAML，bdt waive 生成；默认用工作簿旁的 bdt-waivers.yaml）：数字未变的豁免问题列为“已豁免”，不计入错误")
    schema_option(v)
    v.add_argument("--prior", metavar="去年.xlsx", help="上年的公开工作簿：核对已填写的上年数（规则 X410）")
    v.set_defaults(func=cmd_validate)

    wv = sub.add_parser("waive", help="豁免一个经审核可以接受的问题：记下规则、单元格、当时的数字、理由和审核人",
                        description="把工作簿中某个校验问题记入豁免文件（默认为工作簿旁的 bdt-waivers.yaml）。"
                                    "记录的是问题当时的数字：数字改变后豁免自动失效，问题重新列出。")
    wv.add_argument("path", metavar="BOOK", help="工作簿（.xlsx）")
    wv.add_argument("--rule", required=True, metavar="CODE", help="规则编号，如 N503")
    wv.add_argument("--cell", metavar="工作表!单元格",
                    help="问题所在单元格，如 \"情况说明!B12\"（省略：该规则在本工作簿中的全部问题）")
    wv.add_argument("--reason", required=True, help="豁免理由")
    wv.add_argument("--by", required=True, help="审核人")
    wv.add_argument("--file", metavar="FILE", help="豁免文件（默认：工作簿旁的 bdt-waivers.yaml，没有则新建）")
    wv.set_defaults(func=cmd_waive)

    dc = sub.add_parser("docs", help="由代码生成文档")
    dsub = dc.add_subparsers(dest="action", required=True)
    dr = dsub.add_parser("rules", help="校验规则目录（Markdown），即 docs/rules.md")
    dr.add_argument("--out", help="写入该文件（默认输出到屏幕）")
    dr.set_defaults(func=cmd_docs)
    doc = sub.add_parser("doctor", help="检查环境：按钮用的 Python、bdt、xlwings 版本与 Excel 启动的 Python、导出字体")
    doc.add_argument("workbook", nargs="?", help="工作簿（读取其中与其旁边的 xlwings.conf 设置）")
    doc.set_defaults(func=lambda a: __import__("toolkit.doctor", fromlist=["main"]).main(a))
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if list(argv) == ["--version"]:  # what argparse prints, without its help formatter's imports
        print(f"bdt {__version__}")
        return EXIT_OK
    args = build_parser(argv).parse_args(argv)
    from .io.reader import WorkbookError

    try:
        return args.func(args)
    except WorkbookError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_UNREADABLE
    except (ValueError, OSError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - a crash has its own status, distinct from 1 and 2
        from .checking import internal_message

        print(f"错误：{internal_message(exc)}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
