"""`bdt serve` — start the web front end (a thin shell: settings in, uvicorn runs the app)."""
from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from pathlib import Path

EXIT_OK, EXIT_USAGE = 0, 2


def add_arguments(p) -> None:
    p.description = ("在本机启动浏览器界面：上传工作簿，查看问题（点击可看单元格所在位置），下载标注版、填充版、"
                     "公开文件和报告；财政局页面汇总全部单位。默认只在本机（127.0.0.1）可访问。")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机）；内网服务用 0.0.0.0，须加 --token")
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    p.add_argument("--data", default="bdt-data", help="数据文件夹：上传的文件、结果和记录（SQLite），默认 ./bdt-data")
    p.add_argument("--token", help="访问口令：打开网页时须先输入（监听非本机地址时必须设置）；也可用环境变量 BDT_SERVE_TOKEN")
    p.add_argument("--bureau-password", help="财政局页面口令（默认：首次启动时随机生成，保存在数据文件夹并在启动时显示）")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="同时处理的工作簿数（进程数，默认 2）")
    p.add_argument("--max-upload-mb", type=int, default=50, help="一次上传的大小上限（MB，默认 50）")
    p.add_argument("--roster", metavar="CSV",
                   help="应公开单位名单（CSV：部门代码,名称,上级部门,截止日期）：财政局页面显示未提交、逾期、未通过和通过的单位"
                        "（提交时间取上传时间）；也可在财政局页面上传")
    p.add_argument("--timeout", type=float, default=300, help="一个工作簿的校验或导出最长用时（秒，默认 300）")
    p.add_argument("--config", metavar="FILE",
                   help="规则设置文件（TOML 或 YAML，同 bdt validate --config）；不给出时使用数据文件夹（及上级文件夹）中的 "
                        "bdt.toml / bdt.yaml，都没有则为默认规则设置；各单位的报告中列出所用的规则设置")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bureau_password(data: Path, given: str | None) -> str:
    if given:
        return given
    path = data / "bureau-password"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_urlsafe(9))
    return path.read_text(encoding="utf-8").strip()


def run(args) -> int:
    import uvicorn

    from .app import create_app
    from .guard import Settings

    token = args.token or os.environ.get("BDT_SERVE_TOKEN") or None
    if not _loopback(args.host) and not token:
        print(f"错误：监听 {args.host} 时其他电脑也能访问，必须用 --token 设置访问口令（或环境变量 BDT_SERVE_TOKEN）。",
              file=sys.stderr)
        return EXIT_USAGE
    data = Path(args.data)
    if args.roster:
        from ..roster import RosterError, read_roster

        try:
            read_roster(args.roster)
        except RosterError as exc:
            print(f"错误：{exc.message}", file=sys.stderr)
            return EXIT_USAGE
    from ..bureau import bureau_files
    from ..config import ConfigError

    try:  # checked once at the start (a bad file: exit 2); the jobs read it again, so edits take effect
        rules = bureau_files(data, config=args.config, with_waivers=False).in_force()
    except ConfigError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_USAGE
    settings = Settings(roster=str(Path(args.roster).resolve()) if args.roster else None, data=str(data),
                        config=str(Path(args.config).resolve()) if args.config else None, host=args.host, port=args.port, token=token,
                        bureau_password=_bureau_password(data, args.bureau_password), jobs=args.jobs,
                        max_upload_mb=args.max_upload_mb, timeout=args.timeout)
    app = create_app(settings)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"bdt serve 已启动：http://{shown}:{args.port}/  （数据文件夹：{data.resolve()}；按 Ctrl+C 停止）", flush=True)
    print(f"财政局页面：http://{shown}:{args.port}/bureau  口令：{settings.bureau_password}", flush=True)
    print(f"规则设置：{rules.text()}", flush=True)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=5,
                            timeout_graceful_shutdown=5, limit_concurrency=200, server_header=False)
    server = _Server(config)
    server.starlette = app.app
    server.run()
    return EXIT_OK


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame):
            # first of all: unfinished work stays pending (its workers may get the same signal)
            runner = getattr(self.starlette.state, "runner", None)
            if runner is not None:
                runner.closing = True
            super().handle_exit(sig, frame)

    return Server


def _Server(config):
    return _server_class()(config)
