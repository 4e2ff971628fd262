"""What every request passes through before a route sees it (a plain ASGI middleware).

* size: a request body over the limit is refused with 413 before it is read (Content-Length),
  one without a length is cut off at the limit; a body that does not arrive within
  `body_timeout` seconds is refused with 408 (a slow client cannot hold a worker);
* identity: each browser gets a random id in an HttpOnly cookie (`bdt_uid`); records are owned
  by its hash, and the CSRF token of every form is an HMAC of it with the server key;
* access token: with `--token`, every page but the login page and the static files needs the
  cookie the login page sets (required when the server listens on anything but localhost);
* headers: a Content-Security-Policy allowing only the toolkit's own script and styles, no
  framing, no MIME sniffing, no referrer.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-store")]


@dataclass
class Settings:
    data: str
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    bureau_password: str = ""
    jobs: int = 2
    max_upload_mb: int = 50
    max_files: int = 50
    timeout: float = 300.0  # seconds a check or an export may take
    body_timeout: float = 60.0  # seconds a request body may take to arrive
    secret: bytes = b""
    roster: str | None = None  # the bureau's roster CSV (bdt serve --roster; else one uploaded on the bureau page)
    config: str | None = None  # the rule settings file (bdt serve --config; else the data folder's bdt.toml)

    @property
    def max_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def digest(secret: bytes, purpose: str, value) -> str:
    return hmac.new(secret, f"{purpose}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()[:40]


def _page(status: int, text: str) -> tuple[int, bytes]:
    body = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>错误</title>'
            '<link rel="stylesheet" href="/static/style.css"></head><body><main><h1>无法处理请求</h1>'
            f'<p class="error">{text}</p><p><a href="/">返回首页</a></p></main></body></html>')
    return status, body.encode("utf-8")


def _http_error(status: int, text: str):
    from starlette.exceptions import HTTPException

    return HTTPException(status, text)  # raised inside a route: rendered by the app's error page


class Guard:
    def __init__(self, app, settings: Settings):
        self.app, self.s = app, settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # noqa: BLE001 - a malformed cookie header: treated as none
            cookies = SimpleCookie()
        uid = cookies["bdt_uid"].value if "bdt_uid" in cookies else ""
        new_uid = not (16 <= len(uid) <= 64 and uid.replace("-", "").replace("_", "").isalnum())
        if new_uid:
            uid = secrets.token_urlsafe(24)
        state = scope.setdefault("state", {})
        state["owner"] = digest(self.s.secret, "owner", uid)
        state["csrf"] = digest(self.s.secret, "csrf", uid)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = list(HEADERS)
                if not any(k.lower() == b"content-security-policy" for k, _ in message.get("headers", [])):
                    extra.append((b"content-security-policy", CSP.encode()))
                if new_uid:
                    extra.append((b"set-cookie", f"bdt_uid={uid}; Path=/; HttpOnly; SameSite=Lax; "
                                                 f"Max-Age=31536000".encode()))
                message = dict(message, headers=list(message.get("headers", [])) + extra)
            await send(message)

        path = scope.get("path", "")
        if self.s.token and not (path == "/login" or path.startswith("/static/")):
            auth = cookies["bdt_auth"].value if "bdt_auth" in cookies else ""
            if not hmac.compare_digest(auth.encode("utf-8"), digest(self.s.secret, "auth", self.s.token).encode()):
                return await self._respond(send_with_headers, 303, b"", [(b"location", b"/login")])

        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                return await self._error(send_with_headers, 400, "请求格式不正确。")
            if declared > self.s.max_bytes:
                return await self._error(send_with_headers, 413, f"上传的文件太大：一次最多 {self.s.max_upload_mb} MB。"
                                                                 "请分几次上传，或检查是否选错了文件。")
        received, body_done = 0, False

        async def guarded_receive():
            nonlocal received, body_done
            if body_done:  # after the body: waiting for a disconnect is not a slow upload
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout=self.s.body_timeout)
            except asyncio.TimeoutError:
                raise _http_error(408, "上传超时：网络太慢或连接中断，请重新上传。") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > self.s.max_bytes:
                    raise _http_error(413, f"上传的文件太大：一次最多 {self.s.max_upload_mb} MB。")
            return message

        await self.app(scope, guarded_receive, send_with_headers)

    async def _error(self, send, status: int, text: str):
        import html

        status, body = _page(status, html.escape(text))
        await self._respond(send, status, body, [(b"content-type", b"text/html; charset=utf-8")])

    @staticmethod
    async def _respond(send, status: int, body: bytes, headers: list):
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
