"""bdt serve, driven as a clerk does: the real server on a free localhost port, headless chromium.

Upload the example, see the findings grouped by sheet, click one and see the highlighted cell
with the rule's explanation, download the annotated workbook (its marks, every input cell equal
to the upload), the filled workbook, the report and the export zip. `Server` and `Client` are
shared by the other test_serve_*.py files.
"""
from __future__ import annotations

import http.cookiejar
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest

import toolkit
from toolkit.annotate import FINDINGS_SHEET, MARK, cell_marks
from toolkit.findings import summary
from toolkit.rules import validate

from browser import chromium
from conftest import EXAMPLE, ROOT, rgb, values

BUREAU = "bureau-pw-test"
SCREENSHOT = ROOT / "build" / "screenshots" / "serve-result.png"
DOCS_SCREENSHOT = ROOT / "docs" / "serve-result.png"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m toolkit.cli serve --port N --data DIR` in its own process group."""

    def __init__(self, data: Path, *extra: str):
        self.data, self.extra, self.port, self.proc = Path(data), extra, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.log = open(self.data.parent / f"serve-{self.port}.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "serve", "--port", str(self.port), "--data",
                                      str(self.data), "--bureau-password", BUREAU, *self.extra],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                with urllib.request.urlopen(self.url + "/static/style.css", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError("server did not start: " + self.output())

    def output(self) -> str:
        self.log.flush()
        return (self.data.parent / f"serve-{self.port}.log").read_text(encoding="utf-8", errors="replace")

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        # workers of a killed server: nothing of the group may be left
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc, _ = None, self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Client:
    """One browser's worth of cookies, without a browser (urllib)."""

    def __init__(self, url: str, jar=None):
        self.url = url
        self.jar = jar or http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path, data=None, headers=None, method=None):
        req = urllib.request.Request(self.url + path, data=data, headers=headers or {}, method=method)
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def get(self, path):
        return self.request(path)

    def csrf(self) -> str:
        _, _, body = self.get("/")
        text = body.decode("utf-8")
        i = text.index('name="csrf" value="') + len('name="csrf" value="')
        return text[i:text.index('"', i)]

    def post(self, path, fields: dict, files=(), accept=None):
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for k, vs in fields.items():
            for v in (vs if isinstance(vs, list) else [vs]):
                out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        for name, content in files:
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
                      "Content-Type: application/octet-stream\r\n\r\n".encode("utf-8") + content + b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if accept:
            headers["Accept"] = accept
        return self.request(path, out.getvalue(), headers, "POST")

    def upload(self, files) -> list[str]:
        status, _, body = self.post("/upload", {"csrf": self.csrf()}, files, accept="application/json")
        assert status == 200, body[:500]
        return json.loads(body)["ids"]

    def wait(self, ids, timeout=60, export=False) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            status, _, body = self.get("/api/status?ids=" + ".".join(ids))
            items = json.loads(body)["items"]
            key = "export" if export else "status"
            if len(items) == len(ids) and all(i[key] not in ("queued", "running", None) for i in items):
                return items
            assert time.monotonic() < deadline, items
            time.sleep(0.3)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None




@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("serve") / "data") as s:
        yield s


def _wait_css(drv, css, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, timeout, poll_frequency=0.2).until(lambda d: d.find_elements("css selector", css))[0]


def _browser_client(drv, url) -> Client:
    jar = http.cookiejar.CookieJar()
    for c in drv.get_cookies():
        jar.set_cookie(http.cookiejar.Cookie(0, c["name"], c["value"], None, False, "127.0.0.1", False, False, "/",
                                             True, False, None, False, None, None, {}))
    return Client(url, jar)


def test_upload_see_findings_click_one_and_download(server, tmp_path):
    findings = validate(toolkit.load(EXAMPLE))
    counts = summary(findings)
    with chromium(width=1100, height=900) as drv:
        drv.get(server.url + "/")
        drv.find_element("id", "files").send_keys(str(EXAMPLE))
        drv.find_element("id", "submit").click()
        _wait_css(drv, "#counts")
        assert drv.title.startswith("校验结果")
        text = drv.find_element("id", "counts").text
        assert f"错误 {counts['error']}" in text and f"警告 {counts['warning']}" in text and f"提示 {counts['info']}" in text
        assert "忻州市人民政府驻北京联络处 2023 年" in drv.find_element("tag name", "h1").text
        # grouped by sheet, in the order of the findings, every finding listed once with its cell and rule
        sheets = [h.text.split(" （")[0].split("（")[0].strip() for h in drv.find_elements("css selector", "section.findings h3")]
        assert sheets == list(dict.fromkeys(f.sheet for f in findings))
        items = drv.find_elements("css selector", "li.finding")
        assert len(items) == len(findings)
        assert [(i.find_element("css selector", ".rule").text, i.find_element("css selector", ".cell").text)
                for i in items] == [(f.rule, f.cell or "整表") for f in findings]
        assert {i.get_attribute("class").split()[-1] for i in items} == {f"sev-{f.severity}" for f in findings}
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        drv.save_screenshot(str(SCREENSHOT))
        if os.environ.get("BDT_UPDATE_SCREENSHOTS"):
            shutil.copy(SCREENSHOT, DOCS_SCREENSHOT)
        result_url = drv.current_url

        # click an error finding: the sheet around it, the cell highlighted, the rule one click away
        error = next(f for f in findings if f.severity == "error" and f.cell)
        k = findings.index(error)
        items[k].find_element("css selector", "a.cell").click()
        target = _wait_css(drv, "#target")
        assert target.get_attribute("title") == error.cell
        assert "target" in target.get_attribute("class") and "sev-error" in target.get_attribute("class")
        assert drv.find_element("tag name", "h1").text == f"{error.sheet} {error.cell}"
        src = openpyxl.load_workbook(EXAMPLE, data_only=True)[error.sheet][error.cell].value
        assert target.text == ("" if src is None else (str(src) if not isinstance(src, float) else format(src, "g")))
        colour = drv.execute_script("return getComputedStyle(arguments[0]).backgroundColor", target)
        assert colour == "rgb(255, 153, 153)"  # the annotated workbook's error red
        row_head = target.find_element("xpath", "..").find_element("tag name", "th").text
        assert row_head == "".join(ch for ch in error.cell if ch.isdigit())
        details = drv.find_element("id", f"rule-{error.rule}")
        assert not details.find_element("tag name", "p").is_displayed()
        details.find_element("tag name", "summary").click()
        from toolkit.rules import catalogue

        rule = next(r for r in catalogue() if r.code == error.rule)
        assert rule.title in details.text and details.find_element("tag name", "p").is_displayed()
        drv.get(result_url)

        # the publication files: made on request, the page polls and shows the link
        drv.find_element("id", "make-export").click()
        link = _wait_css(drv, "#dl-export", timeout=60)
        client = _browser_client(drv, server.url)
        sid = result_url.rstrip("/").split("/")[-1]
        zurl = link.get_attribute("href")[len(server.url):]

    status, headers, body = client.get(f"/s/{sid}/download/annotated")
    assert status == 200
    disp = headers["content-disposition"]
    assert disp.startswith("attachment; filename=\"") and "filename*=UTF-8''" in disp
    assert unquote(disp.split("filename*=UTF-8''")[1]) == "xinzhou-beijing-office-2023.标注.xlsx"
    marked = tmp_path / "marked.xlsx"
    marked.write_bytes(body)
    wb = openpyxl.load_workbook(marked)
    for (sheet, cell), sev in cell_marks(findings).items():
        assert rgb(wb[sheet], cell) == MARK[sev], (sheet, cell)
    assert wb[FINDINGS_SHEET].max_row == len(findings) + 2
    old, new = values(EXAMPLE), values(marked)
    assert set(new) - set(old) == {FINDINGS_SHEET}
    assert all(new[s] == old[s] for s in old)  # every input (and every other) cell equals the upload

    status, _, body = client.get(f"/s/{sid}/download/filled")
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(body)
    d = toolkit.load(filled)
    assert status == 200 and d.dept_name == "忻州市人民政府驻北京联络处"
    for e in (x for x in toolkit.load(EXAMPLE).entries["t1"].values() if x.role == "input"):
        assert d.entry("t1", *next(k for k, v in d.entries["t1"].items() if v.cell == e.cell)).value == e.value

    status, _, body = client.get(f"/s/{sid}/download/report.json")
    report = json.loads(body)
    assert status == 200 and report["files"][0]["summary"] == counts
    status, _, body = client.get(f"/s/{sid}/download/report.html")
    assert status == 200 and "部门预算公开校验报告" in body.decode("utf-8")

    status, headers, body = client.get(zurl)
    assert status == 200 and unquote(headers["content-disposition"].split("''")[1]).endswith(".公开文件.zip")
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert {n.rsplit(".", 1)[-1] for n in names if "/" not in n} == {"pdf", "docx", "xlsx", "html"}
    assert any(n.startswith("data/") and n.endswith("datapackage.json") for n in names)

    # the upload itself is stored unchanged, under the random id, never under the client's name
    stored = list((server.data / "files" / sid).glob("source.*"))
    assert [p.read_bytes() for p in stored] == [EXAMPLE.read_bytes()]
    assert not list(server.data.rglob("xinzhou*"))


def test_rule_page_and_unknown_things_are_chinese_404s(server):
    c = Client(server.url)
    status, _, body = c.get("/rules/A302")
    assert status == 200 and "表内尾差" in body.decode("utf-8")
    status, _, body = c.get("/rules/Z999")
    assert status == 404 and "规则目录中没有规则 Z999" in body.decode("utf-8")
    status, _, body = c.get("/s/AAAAAAAAAAAAAAAAAAAAAA")
    assert status == 404 and "没有这条记录" in body.decode("utf-8")


def test_drag_and_drop_uploads_the_dropped_workbook(server):
    import base64

    with chromium(width=800, height=700) as drv:
        drv.get(server.url + "/")
        # what a drop from the file manager delivers: a drop event whose DataTransfer holds the file
        drv.execute_script("""
            var bytes = atob(arguments[0]), buf = new Uint8Array(bytes.length);
            for (var i = 0; i < bytes.length; i++) { buf[i] = bytes.charCodeAt(i); }
            var dt = new DataTransfer();
            dt.items.add(new File([buf], '拖入的工作簿.xlsx'));
            var zone = document.getElementById('drop');
            zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
            zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
        """, base64.b64encode(EXAMPLE.read_bytes()).decode())
        _wait_css(drv, "#counts")
        assert "拖入的工作簿.xlsx" in drv.find_element("css selector", ".meta").text
