"""bdt serve against bad files and hostile users: Chinese refusals, CSRF, size limit, id guessing,
escaping of attacker text, the access token."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from urllib.parse import quote

import pytest

from browser import chromium
from conftest import EXAMPLE, ROOT, edit_workbook
from test_batch_support import generate_module
from test_serve import BUREAU, Client, Server, _wait_css

HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">&amp;单位"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("serve") / "data", "--max-upload-mb", "2") as s:
        yield s


def stored(server) -> int:
    return len(list((server.data / "files").iterdir()))


def test_a_corrupt_upload_gets_the_chinese_reason_in_the_browser(server, tmp_path):
    cut = tmp_path / "上传中断.xlsx"
    cut.write_bytes(EXAMPLE.read_bytes()[:40_000])
    with chromium(width=800, height=700) as drv:
        drv.get(server.url + "/")
        drv.find_element("id", "files").send_keys(str(cut))
        drv.find_element("id", "submit").click()
        message = _wait_css(drv, "#file-error").text
        assert "无法读取" in drv.find_element("css selector", ".status").text
        assert "上传中断.xlsx" in message and "source" not in message
        assert any(w in message for w in ("不完整", "损坏", "中断", "不是有效")), message
        assert not drv.find_elements("id", "dl-annotated")  # nothing to download from an unreadable file


def test_bombs_encrypted_and_disguised_files_are_refused_in_chinese(server, tmp_path):
    gen = generate_module()
    cases = {"实体炸弹.xlsx": gen.make_entity_bomb(EXAMPLE, tmp_path / "e.xlsx").read_bytes(),
             "压缩炸弹.xlsx": gen.make_zip_bomb(EXAMPLE, tmp_path / "z.xlsx").read_bytes(),
             "系统导出.xls": "<html><body><table><tr><td>部门预算</td></tr></table></body></html>".encode("utf-8"),
             "不是压缩包.xlsx": "这是一个改了扩展名的文本文件\n".encode("utf-8") * 20}
    enc = gen.make_encrypted(EXAMPLE, tmp_path / "enc.xlsx")
    if enc:
        cases["加密的工作簿.xlsx"] = enc.read_bytes()
    c = Client(server.url)
    t0 = time.monotonic()
    ids = c.upload(list(cases.items()))
    items = c.wait(ids, timeout=40)
    assert time.monotonic() - t0 < 20
    assert [i["status"] for i in items] == ["unreadable"] * len(cases)
    words = {"实体炸弹.xlsx": "炸弹", "压缩炸弹.xlsx": "压缩炸弹", "系统导出.xls": "", "不是压缩包.xlsx": "",
             "加密的工作簿.xlsx": "加密"}
    for (name, _), sid in zip(cases.items(), ids):
        page = c.get(f"/s/{sid}")[2].decode("utf-8")
        message = page.split('id="file-error" class="error">')[1].split("</p>")[0]
        assert name in message and words[name] in message, message
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message.replace(name, ""))


def test_every_form_needs_its_csrf_token(server):
    c, other = Client(server.url), Client(server.url)
    before = stored(server)
    status, _, body = c.post("/upload", {}, [("a.xlsx", EXAMPLE.read_bytes())])
    assert status == 403 and "CSRF" in body.decode("utf-8")
    status, _, _ = c.post("/upload", {"csrf": other.csrf()}, [("a.xlsx", EXAMPLE.read_bytes())])
    assert status == 403  # another browser's token does not work here
    assert stored(server) == before
    sid = c.upload([("a.xlsx", EXAMPLE.read_bytes())])[0]
    c.wait([sid])
    assert c.post(f"/s/{sid}/export", {"csrf": "0" * 40})[0] == 403
    assert c.post("/bureau/login", {"password": BUREAU})[0] == 403
    assert c.post("/bureau/summary", {"csrf": c.csrf(), "ids": sid})[0] == 403  # not the bureau
    # every page with a form carries the token
    for path in ("/", f"/s/{sid}"):
        html = c.get(path)[2].decode("utf-8")
        assert html.count("<form") == html.count(f'name="csrf" value="{c.csrf()}"') >= 1


def test_an_oversized_upload_is_refused_before_it_is_stored(server, tmp_path):
    c = Client(server.url)
    before = stored(server)
    big = EXAMPLE.read_bytes() + b"\0" * (3 * 1024 * 1024)
    # the refusal comes from the declared length, before any of the body is read: send only the headers
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                     f"Content-Length: {len(big)}\r\n\r\n".encode())
        reply = b""
        while b"</html>" not in reply:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ") and "上传的文件太大：一次最多 2 MB" in body.decode("utf-8")
    assert stored(server) == before and not list((server.data / "tmp").iterdir())
    # in the browser the page says so before sending anything
    path = tmp_path / "大文件.xlsx"
    path.write_bytes(big)
    with chromium(width=800, height=600) as drv:
        drv.get(server.url + "/")
        drv.find_element("id", "files").send_keys(str(path))
        drv.find_element("id", "submit").click()
        err = drv.find_element("id", "upload-error")
        assert err.is_displayed() and "文件太大" in err.text
        assert drv.current_url == server.url + "/"
    assert stored(server) == before


def test_one_user_cannot_fetch_another_users_results(server):
    owner, stranger = Client(server.url), Client(server.url)
    sid = owner.upload([("mine.xlsx", EXAMPLE.read_bytes())])[0]
    owner.wait([sid])
    assert len(sid) >= 22  # 128 random bits
    assert owner.get(f"/s/{sid}")[0] == 200
    for path in (f"/s/{sid}", f"/s/{sid}/download/annotated", f"/s/{sid}/download/report.json",
                 f"/s/{sid}/cell?sheet=" + quote("表1 收支总表") + "&cell=D36"):
        status, _, body = stranger.get(path)
        assert status == 404 and "没有这条记录" in body.decode("utf-8"), path
    assert stranger.get(f"/api/status?ids={sid}")[2] == b'{"items":[]}'
    assert stranger.post(f"/s/{sid}/export", {"csrf": stranger.csrf()})[0] == 404
    assert sid.encode() not in stranger.get(f"/list?ids={sid}")[2]
    assert "财政局口令" in stranger.get("/bureau")[2].decode("utf-8")  # the bureau page needs its password
    # ids that look like paths or are not ids at all
    for bad in ("..%2F..%2Fsecret", "x" * 200, "%00"):
        assert stranger.get(f"/s/{bad}")[0] == 404


def test_a_hostile_department_and_file_name_are_shown_as_text(server, tmp_path):
    path = edit_workbook(EXAMPLE, {("基本信息", "B2"): HOSTILE}, tmp_path / "h.xlsx")
    c = Client(server.url)
    name = "<img src=x onerror=alert(1)>';.xlsx"  # (a '/' would be taken as a folder and dropped)
    sid = c.upload([(name, path.read_bytes())])[0]
    c.wait([sid])
    status, headers, _ = c.get(f"/s/{sid}/download/annotated")
    assert status == 200 and "\n" not in headers["content-disposition"] and "<" not in headers["content-disposition"]
    login = Client(server.url, c.jar)
    assert login.post("/bureau/login", {"csrf": c.csrf(), "password": BUREAU})[0] == 303
    with chromium(width=900, height=700) as drv:
        drv.get(server.url + "/static/style.css")
        for ck in c.jar:
            drv.add_cookie({"name": ck.name, "value": ck.value, "path": "/"})
        for path_ in (f"/s/{sid}", "/list", "/bureau"):
            drv.get(server.url + path_)
            assert drv.title != "pwned", path_
            assert not drv.find_elements("css selector", "main img, main script, main b"), path_
            assert HOSTILE in drv.find_element("tag name", "main").text or path_ == "/list", path_
        drv.get(server.url + f"/s/{sid}")
        assert drv.find_element("tag name", "h1").text.startswith(HOSTILE)
        assert name in drv.find_element("css selector", ".meta").text
        # the bureau's summary of that submission (the page bdt batch writes) escapes it too
        drv.get(server.url + "/bureau")
        for box in drv.find_elements("css selector", "#all input[type=checkbox]"):
            if box.get_attribute("value") == sid:
                box.click()
        drv.find_element("id", "make-summary").click()
        _wait_css(drv, "table")
        assert drv.title != "pwned" and HOSTILE in drv.find_element("tag name", "body").text


def test_the_access_token_guards_every_page(tmp_path):
    with Server(tmp_path / "data", "--token", "口令-s3cret") as s:
        c = Client(s.url)
        status, headers, _ = c.get("/")
        assert status == 303 and headers["location"] == "/login"
        assert c.get("/bureau")[0] == 303 and c.get("/api/status?ids=x")[0] == 303
        assert c.post("/upload", {}, [("a.xlsx", b"PK")])[0] == 303
        page = c.get("/login")[2].decode("utf-8")
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        assert c.post("/login", {"csrf": csrf, "token": "wrong"})[0] == 403
        assert c.post("/login", {"csrf": csrf, "token": "口令-s3cret"})[0] == 303
        assert c.get("/")[0] == 200


def test_listening_beyond_localhost_needs_a_token(tmp_path):
    r = subprocess.run([sys.executable, "-m", "toolkit.cli", "serve", "--host", "0.0.0.0", "--data", str(tmp_path / "d")],
                       cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--token" in r.stderr and "0.0.0.0" in r.stderr
    assert not (tmp_path / "d").exists()
