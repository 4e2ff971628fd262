"""The grade A–D of issue 16 point 6: known findings give a known grade at each boundary; the
batch summary is sorted by grade (worst first, JS or not) and sorts in a real browser; the serve
bureau page shows the roster and the grades, sorted on the server and in place."""
from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from test_batch_support import generate_module
from toolkit.batch import InlineExecutor, Options, run_batch
from toolkit.grade import RULE_TEXT, grade
from toolkit.roster import read_roster

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "xinzhou-beijing-office-2023.xlsx"


def _g(errors=(), warnings=0, **kw):
    """A grade from error rules [(code, n)] and `warnings` distinct warning rules."""
    rules, sev = {}, {}
    for code, n in errors:
        rules[code], sev[code] = n, "error"
    for k in range(warnings):
        rules[f"W{k}"], sev[f"W{k}"] = 2, "warning"
    rules["N506"], sev["N506"] = 5, "info"  # 提示 never counts
    return grade(rules, sev, **kw)


def test_grade_boundaries():
    assert (_g().letter, _g().score) == ("A", 100)
    assert (_g(warnings=10).letter, _g(warnings=10).score) == ("A", 90)  # at the A boundary
    assert (_g(warnings=14).letter, _g(warnings=14).score) == ("A", 90)  # warnings cost 10 at most
    one = _g([("A301", 1)])
    assert (one.letter, one.score) == ("B", 92)  # any error: no A, whatever the points
    assert _g([("A301", 1), ("A306", 1), ("X401", 1)], warnings=1).score == 75
    assert _g([("A301", 1), ("A306", 1), ("X401", 1)], warnings=1).letter == "B"  # 75: B
    assert _g([("A301", 1), ("A306", 1), ("X401", 1)], warnings=2).letter == "C"  # 74: C
    five = [("A301", 1), ("A306", 1), ("X401", 1), ("N504", 1), ("P601", 1)]
    assert (_g(five).letter, _g(five).score) == ("C", 60)  # 60: C
    assert (_g(five, warnings=1).letter, _g(five, warnings=1).score) == ("D", 59)  # 59: D
    assert _g([("D701", 1)]).score == 85  # completeness weighs more
    assert _g([("A301", 4)]).score == 89  # 8 + 3 repeats
    assert _g([("A301", 30)]).score == 63  # one systematic mistake is not 30
    assert _g([("A301", 1)] * 1 + [(f"C2{k:02d}", 1) for k in range(20)]).score == 0  # floor
    late = _g(roster_status="逾期")
    assert (late.letter, late.score) == ("B", 90)  # late: one grade down
    assert _g(warnings=10, roster_status="逾期").letter == "B"
    assert _g([("A301", 1)], roster_status="逾期").letter == "C"
    assert _g(five, roster_status="逾期").letter == "D" and _g(five, warnings=1, roster_status="逾期").letter == "D"
    assert _g(roster_status="未通过").letter == "A" and _g(roster_status="通过").letter == "A"
    assert grade(roster_status="未提交").letter == "D" and grade(roster_status="未提交").score == 0
    assert grade({}, {}, readable=False).letter == "D"
    assert "90 分及以上且无错误为 A" in RULE_TEXT


def test_docs_page_states_the_rule():
    text = (ROOT / "docs" / "grade.md").read_text(encoding="utf-8")
    assert RULE_TEXT in text  # the page quotes the rule the code applies


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Real workbooks of known grades: A (clean), B (one mistake), D (the seed example), and one
    clean but late (B) by the roster."""
    gen = generate_module()
    work = tmp_path_factory.mktemp("grade")
    v = gen.build_variant(work, 0, 10, 5, seed=11)
    box = work / "in"
    box.mkdir()
    paths = [gen.make_copy(v, box / "a.xlsx", "甲局", "301", []),
             gen.make_copy(v, box / "b.xlsx", "乙局", "302", list(gen._m_total_off(v, random.Random(1)).items())),
             shutil.copy(EXAMPLE, box / "d.xlsx"),
             gen.make_copy(v, box / "late.xlsx", "丁局", "304", [])]
    import os

    os.utime(paths[-1], (2e9, 2e9))  # 2033: after the due date
    roster = work / "roster.csv"
    roster.write_text("code,name,parent,due\n301,甲局,,2030-01-01\n302,乙局,,2030-01-01\n104,忻州市人民政府驻北京联络处,,\n"
                      "304,丁局,,2030-01-01\n305,戊局,,2030-01-01\n", encoding="utf-8")
    out = work / "out"
    result = run_batch([Path(p) for p in paths], Options(out_dir=str(out)), InlineExecutor(), roster=read_roster(roster))
    return result, out, box, roster


def _rows(html: str) -> list[tuple[str, str]]:
    table = html[html.index('id="results"'):]
    table = table[:table.index("</table>")]
    return re.findall(r'<tr><td class="num">\d+</td><td>([^<]*)</td>.*?<td class="grade grade-([A-D])"', table)


def test_summary_grades_sorted_worst_first(graded):
    result, out, _, _ = graded
    html = (out / "summary.html").read_text(encoding="utf-8")
    # D; then the two B by points: 乙局 84 (two error rules), 丁局 90 (clean but late); then A
    assert _rows(html) == [("忻州市人民政府驻北京联络处", "D"), ("乙局", "B"), ("丁局", "B"), ("甲局", "A")]
    assert RULE_TEXT in html.replace("&quot;", '"').replace("&#x27;", "'")
    roster = {r.split(",")[1]: r.split(",")[9] for r in (out / "roster.csv").read_text(encoding="utf-8-sig").splitlines()[1:6]}
    assert roster == {"301": "A", "302": "B", "104": "D", "304": "B", "305": "D"}
    csv_text = (out / "summary.csv").read_text(encoding="utf-8-sig").splitlines()
    # 甲局 has no error and one warning rule (N520: the generated text gives no reason for a ≥10 % change): 100 − 1
    assert csv_text[0].endswith(",等级,得分") and csv_text[1].endswith(",A,99") and "N520×1" in csv_text[1]


def test_summary_sorts_in_a_browser(graded):
    from browser import chromium

    _, out, _, _ = graded
    with chromium(width=1200, height=900) as drv:
        drv.get((out / "summary.html").as_uri())

        def order():
            return [r.find_elements("tag name", "td")[1].text for r in drv.find_elements("css selector", "#results tbody tr")]

        assert order() == ["忻州市人民政府驻北京联络处", "乙局", "丁局", "甲局"]
        head = {th.text.strip(" ▲▼"): th for th in drv.find_elements("css selector", "#results thead th")}
        head["等级"].find_element("tag name", "button").click()
        assert order()[0] == "甲局" and order()[-1] == "忻州市人民政府驻北京联络处"
        assert head["等级"].get_attribute("aria-sort") == "ascending"
        head["等级"].find_element("tag name", "button").click()
        assert order()[0] == "忻州市人民政府驻北京联络处" and order()[-1] == "甲局"
        head["错误"].find_element("tag name", "button").click()
        errors = [int(r.find_elements("tag name", "td")[4].text) for r in drv.find_elements("css selector", "#results tbody tr")]
        assert errors == sorted(errors) and errors[-1] > 0
        head["部门"].find_element("tag name", "button").click()
        assert order() == sorted(order(), key=lambda s: s.encode("gb18030"))  # pinyin order, as zh-CN collation
        logs = [m for m in drv.get_log("browser") if m["level"] == "SEVERE"]
        assert not logs, logs


def test_serve_bureau_page_shows_roster_and_grades(graded, tmp_path):
    from browser import chromium
    from test_serve import BUREAU, Client, Server, _wait_css

    _, _, box, roster = graded
    with Server(tmp_path / "data", "--roster", str(roster)) as s:
        clerk = Client(s.url)
        ids = clerk.upload([(p.name, p.read_bytes()) for p in sorted(box.glob("*.xlsx")) if p.name != "late.xlsx"])
        clerk.wait(ids)
        bureau = Client(s.url)
        assert bureau.post("/bureau/login", {"csrf": bureau.csrf(), "password": BUREAU})[0] == 303
        page = bureau.get("/bureau?sort=name")[2].decode("utf-8")
        missing = re.search(r'<ul id="roster-missing">(.*?)</ul>', page).group(1)
        assert re.findall(r"<li>(.*?)</li>", missing) == ["304 丁局", "305 戊局"]  # late.xlsx was not uploaded
        assert "提交时间：上传时间" in page and 'id="roster-upload"' not in page  # fixed by --roster
        table = page[page.index('id="latest"'):page.index("</table>", page.index('id="latest"'))]
        names = re.findall(r'<td>([^<]+)</td><td>2023</td>', table)
        grades = re.findall(r'class="grade grade-([A-D])"', table)
        assert sorted(zip(names, grades)) == [("乙局", "B"), ("忻州市人民政府驻北京联络处", "D"), ("甲局", "A")]
        assert names == sorted(names)  # ?sort=name, on the server: works without scripts
        by_grade = bureau.get("/bureau")[2].decode("utf-8")
        t = by_grade[by_grade.index('id="latest"'):]
        assert re.findall(r'class="grade grade-([A-D])"', t[:t.index("</table>")]) == ["D", "B", "A"]  # default: worst first
        status, headers, body = bureau.post("/bureau/summary", {"csrf": bureau.csrf(), "ids": ids, "format": "html"})
        assert status == 200 and "sha256-" in headers["content-security-policy"]
        assert '<section id="roster">' in body.decode("utf-8")
        with chromium(width=1200, height=900) as drv:
            drv.get(s.url + "/bureau")
            drv.find_element("name", "password").send_keys(BUREAU)
            drv.find_element("css selector", "main form button").click()
            _wait_css(drv, "#latest")
            _wait_css(drv, "#roster")
            link = drv.find_element("css selector", "#latest thead th[data-sort] a[href='/bureau?sort=grade']")
            link.click()  # the script sorts in place (ascending: A first) instead of loading the link
            cells = [r.find_elements("tag name", "td")[9].text for r in drv.find_elements("css selector", "#latest tbody tr")]
            assert cells == ["A", "B", "D"] and drv.current_url.endswith("/bureau")
            assert not [m for m in drv.get_log("browser") if m["level"] == "SEVERE" and "favicon" not in m["message"]]
