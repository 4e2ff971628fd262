"""bdt serve with several files and several users: the pool, progress polling, and a kill mid-work."""
from __future__ import annotations

import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import toolkit
from toolkit.findings import summary
from toolkit.rules import validate

from browser import chromium
from conftest import EXAMPLE, edit_workbook
from test_serve import Client, Server, _wait_css


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory):
    """Three departments' workbooks (the example under other names)."""
    folder = tmp_path_factory.mktemp("books")
    out = []
    for k, name in enumerate(["甲单位", "乙单位", "丙单位"]):
        path = folder / f"{name}.xlsx"
        edit_workbook(EXAMPLE, {("基本信息", "B2"): f"测试{name}", ("基本信息", "B3"): f"90{k}"}, path)
        out.append(path)
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("serve") / "data") as s:
        yield s


def test_several_files_at_once_show_progress_then_every_result(server, workbooks):
    with chromium(width=390, height=900) as drv:  # a phone screen
        drv.get(server.url + "/")
        drv.find_element("id", "files").send_keys("\n".join(str(p) for p in workbooks))
        assert "已选择 3 个文件" in drv.find_element("id", "chosen").text
        drv.find_element("id", "submit").click()
        _wait_css(drv, "#progress")
        assert drv.current_url.startswith(server.url + "/list?ids=")
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(drv, 40, poll_frequency=0.3).until(lambda d: d.find_element("id", "done").text == "3")
        rows = drv.find_elements("css selector", "table.records tbody tr")
        assert [r.find_element("tag name", "a").text for r in rows] == [p.name for p in workbooks]
        assert all(r.find_elements("tag name", "td")[3].text == "有错误" for r in rows)
        assert drv.find_element("id", "bar").value_of_css_property("width") == \
            drv.find_element("css selector", ".progress .bar").value_of_css_property("width")
        # the page fits the phone: no sideways scrolling of the page itself
        assert drv.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        rows[1].find_element("tag name", "a").click()
        _wait_css(drv, "#counts")
        assert "测试乙单位" in drv.find_element("tag name", "h1").text
        assert drv.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def test_twenty_concurrent_uploads_all_get_their_results(server, workbooks):
    data = [(p.name, p.read_bytes()) for p in workbooks]
    errors = [summary(validate(toolkit.load(p)))["error"] for p in workbooks]
    clients = [Client(server.url) for _ in range(20)]

    def one(k):
        name, content = data[k % len(data)]
        c = clients[k]
        t0 = time.monotonic()
        sid = c.upload([(f"{k:02d}-{name}", content)])[0]
        c.wait([sid], timeout=90)
        return sid, time.monotonic() - t0

    t0 = time.monotonic()
    with ThreadPoolExecutor(20) as ex:
        done = list(ex.map(one, range(20)))
    total = time.monotonic() - t0
    print(f"20 concurrent uploads: {total:.1f} s, slowest {max(s for _, s in done):.1f} s")
    assert len({sid for sid, _ in done}) == 20
    for k, (sid, _) in enumerate(done):
        status, _, body = clients[k].get(f"/s/{sid}")
        text = body.decode("utf-8")
        assert status == 200 and f"{k:02d}-" in text and f"错误 {errors[k % 3]}<" in text
        # every user sees their own upload only
        _, _, mine = clients[k].get("/list")
        assert mine.decode("utf-8").count('<tr data-id="') == 1
        other = clients[(k + 1) % 20]
        assert other.get(f"/s/{sid}")[0] == 404


def test_a_server_killed_mid_work_restarts_with_consistent_records(tmp_path, workbooks):
    data = tmp_path / "data"
    server = Server(data, "--jobs", "1").start()
    try:
        c = Client(server.url)
        ids = c.upload([(p.name, p.read_bytes()) for p in workbooks * 2])
    finally:
        server.stop(signal.SIGKILL)  # no clean shutdown: the server and its workers die at once
    db = sqlite3.connect(data / "bdt.sqlite3")
    assert sorted(r[0] for r in db.execute("SELECT id FROM submissions")) == sorted(ids)
    db.close()
    # what a kill can leave: a partial upload and a folder whose record was never committed
    (data / "tmp" / "x.part").write_bytes(b"PK\x03\x04 cut")
    (data / "files" / "orphanorphanorphan01").mkdir()

    with Server(data, "--jobs", "1") as restarted:
        c.url = restarted.url  # cookies do not depend on the port: the same browser
        items = c.wait(ids, timeout=60)
        assert [i["status"] for i in items] == ["errors"] * 6
        for sid in ids:
            status, _, body = c.get(f"/s/{sid}/download/annotated")
            assert status == 200 and body[:2] == b"PK"
        assert not list((data / "tmp").iterdir())
        assert sorted(p.name for p in (data / "files").iterdir()) == sorted(ids)
        assert not [p for p in (data / "files").rglob("*") if ".tmp" in p.name]


def test_a_clean_stop_leaves_unfinished_work_queued_for_the_next_start(tmp_path, workbooks):
    data = tmp_path / "data"
    server = Server(data, "--jobs", "1").start()
    try:
        c = Client(server.url)
        ids = c.upload([(p.name, p.read_bytes()) for p in workbooks * 3])
    finally:
        server.stop(signal.SIGTERM)
    db = sqlite3.connect(data / "bdt.sqlite3")
    statuses = [r[0] for r in db.execute("SELECT status FROM submissions")]
    db.close()
    assert "internal error" not in statuses and len(statuses) == 9
    with Server(data, "--jobs", "1") as restarted:
        c.url = restarted.url
        assert [i["status"] for i in c.wait(ids, timeout=60)] == ["errors"] * 9
