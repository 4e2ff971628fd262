"""The web application: Starlette routes that only read records and hand work to `jobs`.

Every page is rendered on the server (Jinja2, autoescaped: department and project names are
attacker input); the only script is static/app.js (progress polling, drag and drop), the only
assets are in static/. `guard.Guard` (size limit, timeouts, identity cookie, access token,
security headers) wraps the whole application.
"""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
import time
from pathlib import Path
from urllib.parse import quote

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import jobs, views
from .guard import Guard, Settings, digest
from .storage import PENDING, QUEUED, Store

HERE = Path(__file__).parent
STATUS_ZH = {"queued": "排队中", "running": "正在校验", "ok": "通过", "errors": "有错误", "unreadable": "无法读取",
             "internal error": "内部错误"}
SEV_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                         undefined=jinja2.StrictUndefined)
ENV.filters["localtime"] = lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t))
ENV.globals.update(STATUS_ZH=STATUS_ZH, SEV_ZH=SEV_ZH, PENDING=PENDING, quote=quote)


def _same(a, b) -> bool:
    """Constant-time comparison of two texts (any characters: a typed password may be Chinese)."""
    return hmac.compare_digest(str(a).encode("utf-8"), str(b).encode("utf-8"))


def page(request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    ctx.update(request=request, csrf=request.state.csrf, bureau=_is_bureau(request))
    return HTMLResponse(ENV.get_template(name).render(**ctx), status_code=status)


def _is_bureau(request) -> bool:
    s = request.app.state.settings
    return _same(request.cookies.get("bdt_bureau", ""), digest(s.secret, "bureau", s.bureau_password))


async def _form(request, **limits):
    form = await request.form(**limits)
    if not _same(str(form.get("csrf", "")), request.state.csrf):
        raise HTTPException(403, "页面已过期或请求不是从本站页面发出的（CSRF 校验失败）。请刷新页面后重试。")
    return form


def _own(request, sid: str):
    """The submission, if this browser made it (or the bureau asks); otherwise 404, as for an unknown id."""
    row = request.app.state.store.get(sid)
    if row is None or not (_same(row["owner"], request.state.owner) or _is_bureau(request)):
        raise HTTPException(404, "没有这条记录（链接有误，或这不是您上传的文件）。")
    return row


async def index(request):
    store = request.app.state.store
    return page(request, "index.html", mine=store.mine(request.state.owner, 20),
                max_mb=request.app.state.settings.max_upload_mb, max_files=request.app.state.settings.max_files)


async def upload(request):
    s = request.app.state.settings
    form = await _form(request, max_files=s.max_files, max_fields=10)
    files = [f for f in form.getlist("files") if hasattr(f, "filename") and f.filename]
    if not files:
        raise HTTPException(400, "没有选择文件。请选择一个或多个 .xlsx / .xlsm 工作簿。")
    store, runner = request.app.state.store, request.app.state.runner
    ids = []
    for f in files:
        name = Path(f.filename.replace("\\", "/")).name[:200] or "工作簿.xlsx"
        suffix = ".xlsm" if name.lower().endswith(".xlsm") else ".xlsx"
        sid = await asyncio.to_thread(store.add, request.state.owner, name, suffix, f.file)
        runner.check(sid)
        ids.append(sid)
    target = f"/s/{ids[0]}" if len(ids) == 1 else "/list?ids=" + ".".join(ids)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"redirect": target, "ids": ids})
    return RedirectResponse(target, status_code=303)


async def listing(request):
    ids = [i for i in request.query_params.get("ids", "").split(".") if i]
    store = request.app.state.store
    rows = [r for r in store.many(ids) if r["owner"] == request.state.owner or _is_bureau(request)] if ids \
        else store.mine(request.state.owner)
    done = sum(1 for r in rows if r["status"] not in PENDING)
    return page(request, "list.html", rows=rows, done=done, ids=".".join(r["id"] for r in rows))


async def status(request):
    store = request.app.state.store
    ids = [i for i in request.query_params.get("ids", "").split(".") if i][:200]
    rows = [r for r in store.many(ids) if r["owner"] == request.state.owner or _is_bureau(request)]
    return JSONResponse({"items": [{"id": r["id"], "status": r["status"], "label": STATUS_ZH.get(r["status"], r["status"]),
                                    "errors": r["errors"], "warnings": r["warnings"], "infos": r["infos"],
                                    "export": r["export_status"]} for r in rows]})


async def result(request):
    sid = request.path_params["sid"]
    row = _own(request, sid)
    if row["status"] in PENDING:
        return page(request, "pending.html", row=row)
    data = request.app.state.store.result(sid) or {"findings": [], "counts": {}}
    groups: dict = {}
    for f in data["findings"]:
        groups.setdefault(f["sheet"], []).append(f)
    return page(request, "result.html", row=row, data=data, groups=list(groups.items()))


async def grid(request):
    sid = request.path_params["sid"]
    row = _own(request, sid)
    sheet, cell = request.query_params.get("sheet", ""), request.query_params.get("cell") or None
    store = request.app.state.store
    window = await asyncio.to_thread(jobs.sheet_window, store.source(row), sheet, cell)
    if window is None:
        raise HTTPException(404, f"工作簿中没有工作表「{sheet}」。")
    data = store.result(sid) or {"findings": []}
    here, marked = views.window_findings(data["findings"], sheet, cell)
    from ..docs import unwrap
    from ..report import _rules

    catalogue = _rules()
    rules = [(code, catalogue.get(code)) for code in dict.fromkeys(f["rule"] for f in here)]
    return page(request, "grid.html", row=row, sheet=sheet, cell=cell, w=window, here=here, marked=marked,
                rules=[(c, r, unwrap(r.doc) if r else "") for c, r in rules])


async def download(request):
    sid, kind = request.path_params["sid"], request.path_params["kind"]
    row = _own(request, sid)
    files = jobs.downloads(row["filename"], row["suffix"])
    if kind not in files:
        raise HTTPException(404, "没有这种下载。")
    rel, name = files[kind]
    path = request.app.state.store.folder(sid) / rel
    if not path.is_file():
        raise HTTPException(404, "该文件尚未生成。")
    return FileResponse(path, headers={"Content-Disposition": content_disposition(name)},
                        media_type="application/octet-stream")


def content_disposition(name: str) -> str:
    """attachment; an ASCII fallback name and the real (Chinese) name per RFC 5987 / RFC 6266."""
    fallback = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def start_export(request):
    sid = request.path_params["sid"]
    row = _own(request, sid)
    await _form(request)
    if row["status"] in PENDING or row["status"] == "unreadable":
        raise HTTPException(409, "校验完成后才能导出。")
    if row["export_status"] not in PENDING:
        request.app.state.store.set_export(sid, QUEUED)
        request.app.state.runner.export(sid)
    return RedirectResponse(f"/s/{sid}#export", status_code=303)


_WAIVE_LOCK = asyncio.Lock()  # one writer of the data folder's bdt-waivers.yaml at a time


async def waive(request):
    """The bureau waives one finding of a submission (toolkit.waivers.waive into the data folder's
    bdt-waivers.yaml, recording its current figure), then the submission is checked again."""
    if not _is_bureau(request):
        raise HTTPException(403, "只有财政局可以豁免问题（需要财政局口令）。")
    sid = request.path_params["sid"]
    row = _own(request, sid)
    form = await _form(request)
    if row["status"] in PENDING:
        raise HTTPException(409, "校验完成后才能豁免。")
    from ..waivers import WAIVERS_FILE, WaiverError
    from ..waivers import waive as record

    store = request.app.state.store
    where = f"{form.get('sheet', '')}!{form.get('cell', '')}" if form.get("cell") else str(form.get("sheet", ""))
    async with _WAIVE_LOCK:
        try:
            await asyncio.to_thread(record, store.source(row), str(form.get("rule", "")), where,
                                    str(form.get("reason", "")), str(form.get("by", "")), Path(store.root) / WAIVERS_FILE)
        except WaiverError as exc:
            raise HTTPException(400, exc.message) from None
    store.set_status(sid, QUEUED)
    request.app.state.runner.check(sid)
    return RedirectResponse(f"/s/{sid}", status_code=303)


async def rule(request):
    from ..docs import unwrap
    from ..report import _rules

    code = request.path_params["code"].upper()
    r = _rules().get(code)
    if r is None:
        raise HTTPException(404, f"规则目录中没有规则 {code}。")
    return page(request, "rule.html", r=r, text=unwrap(r.doc))


def _roster_path(request) -> Path:
    s = request.app.state.settings
    return Path(s.roster) if s.roster else request.app.state.store.root / "roster.csv"


async def bureau(request):
    if not _is_bureau(request):
        return page(request, "bureau_login.html", failed=False)
    from ..grade import RULE_TEXT
    from ..roster import to_html

    board = await asyncio.to_thread(views.bureau_board, request.app.state.store, _roster_path(request),
                                    request.query_params.get("sort", "grade"))
    report = board.pop("report")
    return page(request, "bureau.html", **board, sorts=views.SORTS, grade_rule=RULE_TEXT,
                roster_html=Markup(to_html(report, views.UPLOAD_TIME)) if report is not None else "",
                roster_fixed=bool(request.app.state.settings.roster))


async def bureau_roster(request):
    """The bureau uploads its roster (kept in the data folder; refused when it cannot be read)."""
    if not _is_bureau(request):
        raise HTTPException(403, "需要财政局口令。")
    if request.app.state.settings.roster:
        raise HTTPException(409, "名单已由 bdt serve --roster 指定，不能在网页上替换。")
    form = await _form(request, max_files=1, max_fields=5)
    f = form.get("roster")
    if not hasattr(f, "filename") or not f.filename:
        raise HTTPException(400, "没有选择名单文件（CSV）。")
    from ..roster import RosterError, decode_roster, read_roster

    data = await f.read()
    try:
        read_roster(f.filename, decode_roster(data, Path(f.filename).name))
    except RosterError as exc:
        raise HTTPException(400, exc.message)
    path = _roster_path(request)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_bytes(data)
    tmp.replace(path)
    return RedirectResponse("/bureau#roster", status_code=303)


async def sort_script(request):
    from ..sortable import SORT_JS

    return Response(SORT_JS, media_type="text/javascript; charset=utf-8")


async def bureau_login(request):
    form = await _form(request)
    s = request.app.state.settings
    if not _same(str(form.get("password", "")), s.bureau_password):
        return page(request, "bureau_login.html", status=403, failed=True)
    resp = RedirectResponse("/bureau", status_code=303)
    resp.set_cookie("bdt_bureau", digest(s.secret, "bureau", s.bureau_password), httponly=True, samesite="strict")
    return resp


async def bureau_summary(request):
    if not _is_bureau(request):
        raise HTTPException(403, "需要财政局口令。")
    form = await _form(request, max_fields=5000)
    store = request.app.state.store
    rows = [r for r in store.many(form.getlist("ids")) if r["status"] not in PENDING]
    if not rows:
        raise HTTPException(400, "请至少选择一条已完成的记录。")
    from ..summary import write_summary_csv, write_summary_html
    from ..sortable import SORT_JS_HASH

    outcomes = [jobs.outcome(r, store.result(r["id"])) for r in rows]
    report, _ = views.roster(_roster_path(request), outcomes, rows)
    target = store.tmp / f"summary-{secrets.token_hex(8)}"
    if form.get("format") == "csv":
        path = await asyncio.to_thread(write_summary_csv, outcomes, target.with_suffix(".csv"), report)
        body = path.read_bytes()
        path.unlink()
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": content_disposition("批量校验汇总.csv")})
    path = await asyncio.to_thread(write_summary_html, outcomes, target.with_suffix(".html"), None, None, report,
                                   views.UPLOAD_TIME)
    body = path.read_bytes()
    path.unlink()
    # the summary is the page bdt batch writes (inline styles, its one sorting script): its own strict policy
    return Response(body, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                                        f"script-src {SORT_JS_HASH}"})


async def login(request):
    s = request.app.state.settings
    if request.method == "POST":
        form = await _form(request)
        if _same(str(form.get("token", "")), s.token or ""):
            resp = RedirectResponse("/", status_code=303)
            resp.set_cookie("bdt_auth", digest(s.secret, "auth", s.token), httponly=True, samesite="lax")
            return resp
        return page(request, "login.html", status=403, failed=True)
    return page(request, "login.html", failed=False)


async def http_error(request, exc):
    if not hasattr(request.state, "csrf"):
        return HTMLResponse(str(exc.detail), status_code=exc.status_code)
    return page(request, "error.html", status=exc.status_code, message=exc.detail)


def create_app(settings: Settings) -> Starlette:
    store = Store(settings.data)
    settings.secret = store.secret

    @contextlib.asynccontextmanager
    async def lifespan(app):
        runner = jobs.Runner(store, settings.jobs, settings.timeout, settings.config)
        app.state.runner = runner
        checks, exports = store.recover()
        for sid in checks:
            runner.check(sid)
        for sid in exports:
            runner.export(sid)

        async def watch():
            while True:
                await asyncio.sleep(2)
                runner.overdue()

        task = asyncio.create_task(watch())
        try:
            yield
        finally:
            task.cancel()
            runner.close()

    routes = [
        Route("/", index), Route("/upload", upload, methods=["POST"]), Route("/list", listing),
        Route("/api/status", status), Route("/s/{sid}", result), Route("/s/{sid}/cell", grid),
        Route("/s/{sid}/download/{kind}", download), Route("/s/{sid}/export", start_export, methods=["POST"]),
        Route("/s/{sid}/waive", waive, methods=["POST"]),
        Route("/rules/{code}", rule), Route("/bureau", bureau), Route("/bureau/login", bureau_login, methods=["POST"]),
        Route("/bureau/summary", bureau_summary, methods=["POST"]),
        Route("/bureau/roster", bureau_roster, methods=["POST"]), Route("/bureau/sort.js", sort_script), Route("/login", login, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error})
    app.state.store, app.state.settings = store, settings
    return Guard(app, settings)
