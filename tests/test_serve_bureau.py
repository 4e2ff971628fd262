"""The bureau page of bdt serve: every submission, the latest per department, the batch summary
of a chosen set (the same summary bdt batch writes)."""
from __future__ import annotations

import pytest

from browser import chromium
from conftest import EXAMPLE, edit_workbook
from test_serve import BUREAU, Client, Server, _wait_css


def navigate(drv, element):
    """Click a link or button and wait until the next page has replaced this one."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    element.click()
    WebDriverWait(drv, 30, poll_frequency=0.1).until(ec.staleness_of(element))


def navigate_css(drv, css: str, tries: int = 3):
    """`navigate` to what `css` finds, found again if the page replaced it between finding and
    clicking (the bureau page refreshes itself while submissions are still being checked)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    for i in range(tries):
        try:
            return navigate(drv, _wait_css(drv, css))
        except (StaleElementReferenceException, WebDriverException) as exc:
            if i == tries - 1 or ("stale" not in str(exc).lower() and "does not belong to the document" not in str(exc)):
                raise


@pytest.fixture()
def books(tmp_path):
    a = edit_workbook(EXAMPLE, {("基本信息", "B2"): "测试甲单位", ("基本信息", "B3"): "901"}, tmp_path / "甲.xlsx")
    b = edit_workbook(EXAMPLE, {("基本信息", "B2"): "测试乙单位", ("基本信息", "B3"): "902"}, tmp_path / "乙.xlsx")
    return a, b


def test_bureau_sees_every_submission_the_latest_per_department_and_a_summary(tmp_path, books):
    a, b = books
    with Server(tmp_path / "data") as s:
        clerk_a, clerk_b = Client(s.url), Client(s.url)
        first = clerk_a.upload([("甲-初稿.xlsx", a.read_bytes())])[0]
        clerk_a.wait([first])
        second = clerk_a.upload([("甲-修改稿.xlsx", a.read_bytes())])[0]
        other = clerk_b.upload([("乙.xlsx", b.read_bytes())])[0]
        clerk_a.wait([second])
        clerk_b.wait([other])
        with chromium(width=1200, height=900) as drv:
            drv.get(s.url + "/bureau")
            assert "财政局口令" in drv.find_element("tag name", "main").text  # not without the password
            drv.find_element("name", "password").send_keys("wrong")
            navigate(drv, drv.find_element("css selector", "main button"))
            assert "口令不正确" in drv.find_element("tag name", "main").text
            drv.find_element("name", "password").send_keys(BUREAU)
            navigate(drv, drv.find_element("css selector", "main button"))
            _wait_css(drv, "#latest")
            every = drv.find_elements("css selector", "#all tbody tr")
            assert [r.find_elements("tag name", "td")[3].text for r in every] == ["乙.xlsx", "甲-修改稿.xlsx", "甲-初稿.xlsx"]
            latest = drv.find_elements("css selector", "#latest tbody tr")
            assert sorted((r.find_elements("tag name", "td")[1].text, r.find_elements("tag name", "td")[3].text)
                          for r in latest) == [("测试乙单位", "乙.xlsx"), ("测试甲单位", "甲-修改稿.xlsx")]
            assert all(r.find_elements("tag name", "td")[2].text == "2023" for r in latest)
            # the bureau may open any department's result
            navigate(drv, latest[0].find_element("tag name", "a"))
            _wait_css(drv, "#counts")
            drv.get(s.url + "/bureau")
            navigate_css(drv, "#make-summary")  # the latest per department are ticked
            assert drv.find_element("tag name", "h1").text == "部门预算公开批量校验汇总"
            text = drv.find_element("tag name", "body").text
            assert "共 2 个工作簿" in text and "测试甲单位" in text and "测试乙单位" in text
            assert "甲-初稿.xlsx" not in text and "甲-修改稿.xlsx" in text
            rows = drv.find_elements("css selector", "table")[-1].find_elements("css selector", "tbody tr")
            assert len(rows) == 2
            errors = {r.find_elements("tag name", "td")[1].text: r.find_elements("tag name", "td")[4].text for r in rows}
        page = clerk_a.get(f"/s/{second}")[2].decode("utf-8")
        assert f"错误 {errors['测试甲单位']}<" in page  # the summary's counts are the result page's
        # CSV, for Excel
        bureau = Client(s.url)
        assert bureau.post("/bureau/login", {"csrf": bureau.csrf(), "password": BUREAU})[0] == 303
        status, headers, body = bureau.post("/bureau/summary", {"csrf": bureau.csrf(), "ids": [second, other],
                                                                 "format": "csv"})
        assert status == 200 and body.startswith("\ufeff序号,部门".encode("utf-8"))
        assert body.decode("utf-8-sig").count("\r\n") == 3
