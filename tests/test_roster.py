"""The bureau's roster (issue 16, point 2): real generated workbooks, a real roster CSV (UTF-8,
BOM, GBK), bdt batch --roster; the summary lists exactly the missing, the late, the failing and
the clean, and the 单位 of a 部门 that have not published."""
from __future__ import annotations

import csv
import io
import os
import random
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from test_batch_support import generate_module
from toolkit.batch import InlineExecutor, Options, run_batch
from toolkit.cli import main
from toolkit.roster import (FAILED, LATE, MISSING, PASSED, RosterError, Submission, match, normalise, read_roster)

ROSTER = """部门代码,名称,上级部门,截止日期
101,市教育局,,2024-03-31
10101,市第一中学,101,2024-03-31
10102,市第二中学,101,2024/3/31
10103,市实验小学,市教育局,2024年3月31日
102,市卫生健康委员会,,2024-03-31
10201,市人民医院,102,2024-03-31
103,市民政局,,2024-03-31
104,市财政局,,2024-03-31
"""


def _at(path: Path, when: datetime) -> Path:
    t = when.timestamp()
    os.utime(path, (t, t))
    return path


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """Real workbooks of one generated variant, named and coded per department; file times set."""
    gen = generate_module()
    work = tmp_path_factory.mktemp("roster")
    v = gen.build_variant(work, 0, 10, 5, seed=11)
    box = work / "inbox"
    box.mkdir()
    error = list(gen._m_total_off(v, random.Random(1)).items())  # 合计与明细不符: errors A301/A306
    on_time, due_day, late = datetime(2024, 3, 20, 10), datetime(2024, 3, 31, 23, 30), datetime(2024, 4, 5, 9)
    made = [
        ("教育局-初稿.xlsx", "市教育局", "101", error, datetime(2024, 3, 10)),  # superseded by the next
        ("教育局.xlsx", "市教育局", "101", [], on_time),
        ("一中.xlsx", "市第一中学", "10101", [], due_day),  # on the due day: on time
        ("实验小学.xlsx", "市实验小学", "10103", [], late),  # clean but late
        ("卫健委.xlsx", "市卫生健康委员会", "102", error, on_time),  # on time, errors
        ("财政局.xlsx", "市\u3000财政局", "", [], on_time),  # no code; a full-width space in the name
        ("外来.xlsx", "某某外来单位", "999", [], on_time),  # not on the roster
    ]
    for name, dept, code, mistakes, when in made:
        _at(gen.make_copy(v, box / name, dept, code, mistakes), when)
    roster = work / "名单.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    return box, roster


@pytest.fixture(scope="module")
def batch_run(inbox, tmp_path_factory):
    box, roster = inbox
    out = tmp_path_factory.mktemp("out")
    paths = sorted(box.glob("*.xlsx"))
    result = run_batch(paths, Options(out_dir=str(out)), InlineExecutor(), roster=read_roster(roster))
    return result, out


def _csv(path: Path) -> list[dict]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_roster_statuses_exactly(batch_run):
    result, out = batch_run
    r = result.roster
    status = {e.entry.code: e.status for e in r.entries}
    assert status == {"101": PASSED, "10101": PASSED, "10102": MISSING, "10103": LATE, "102": FAILED,
                      "10201": MISSING, "103": MISSING, "104": PASSED}
    assert [e.entry.name for e in r.by_status(MISSING)] == ["市第二中学", "市人民医院", "市民政局"]
    edu = next(e for e in r.entries if e.entry.code == "101")
    assert edu.submission.label == "教育局.xlsx" and [s.label for s in edu.superseded] == ["教育局-初稿.xlsx"]
    fin = next(e for e in r.entries if e.entry.code == "104")
    assert fin.by == "名称" and fin.submission.label == "财政局.xlsx"
    school = next(e for e in r.entries if e.entry.code == "10103")
    assert school.days_late == 5 and school.check == "通过"
    assert [s.label for s in r.unknown] == ["外来.xlsx"] and not r.ambiguous
    # the 部门 and their 单位 that have not published (parent given by code or by name)
    assert {k: [u.name for u in v] for k, v in r.unpublished.items()} == {
        "101 市教育局": ["市第二中学"], "102 市卫生健康委员会": ["市人民医院"]}


def test_roster_in_summary_html_and_csv(batch_run):
    result, out = batch_run
    html = (out / "summary.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="roster">'):html.index("</section>", html.index('<section id="roster">'))]
    missing = re.search(r'<ul id="roster-missing">(.*?)</ul>', section).group(1)
    assert re.findall(r"<li>(.*?)</li>", missing) == ["10102 市第二中学", "10201 市人民医院", "103 市民政局"]
    units = re.findall(r'<li data-dept="([^"]+)"><strong>[^<]+</strong>（未公开 (\d+) 个）：([^<]*)</li>', section)
    assert units == [("101 市教育局", "1", "10102 市第二中学"), ("102 市卫生健康委员会", "1", "10201 市人民医院")]
    assert "工作簿文件的修改时间" in section and "外来.xlsx" in section
    assert "未提交 3" in section and "逾期 1" in section and "未通过 1" in section and "通过 3" in section
    rows = {r["部门代码"]: r for r in _csv(out / "roster.csv") if r["部门代码"]}
    assert {k: r["状态"] for k, r in rows.items()} == {
        "101": "通过", "10101": "通过", "10102": "未提交", "10103": "逾期", "102": "未通过", "10201": "未提交",
        "103": "未提交", "104": "通过", "999": "不在名单中"}
    assert rows["10103"]["逾期天数"] == "5" and rows["10103"]["提交时间"] == "2024-04-05 09:00"
    assert rows["10101"]["提交时间"] == "2024-03-31 23:30" and rows["10101"]["逾期天数"] == ""
    assert rows["102"]["校验结果"] == "有错误" and rows["10102"]["等级"] == "D"
    assert rows["101"]["文件"] == "教育局.xlsx" and "教育局-初稿.xlsx" in rows["101"]["说明"]


def test_cli_batch_roster_gbk(inbox, tmp_path, capsys):
    box, roster = inbox
    gbk = tmp_path / "名单-gbk.csv"
    gbk.write_bytes(roster.read_text(encoding="utf-8").encode("gbk"))
    paths = [box / "教育局.xlsx", box / "一中.xlsx", box / "实验小学.xlsx"]
    code = main(["batch", *map(str, paths), "--out", str(tmp_path / "o"), "--jobs", "1", "--roster", str(gbk),
                 "--no-progress"])
    assert code == 0
    text = capsys.readouterr().out
    assert "名单 8 个：未提交 5，逾期 1，未通过 0，通过 2" in text and "修改时间" in text
    assert "未提交：10102 市第二中学、102 市卫生健康委员会、10201 市人民医院、103 市民政局、104 市财政局" in text
    assert (tmp_path / "o" / "roster.csv").is_file()
    # a bad roster: a Chinese message naming the line, nothing run
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent,due\n1,甲,,2024-01-01\n2,乙,,明天\n", encoding="utf-8")
    assert main(["batch", *map(str, paths), "--out", str(tmp_path / "o2"), "--roster", str(bad)]) == 2
    assert "第 3 行：截止日期「明天」不是日期" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists()


def test_read_roster_encodings_headers_and_bad_lines(tmp_path):
    text = ROSTER
    for name, data in [("utf8.csv", text.encode("utf-8")), ("bom.csv", text.encode("utf-8-sig")),
                       ("gbk.csv", text.encode("gbk"))]:
        (tmp_path / name).write_bytes(data)
        entries = read_roster(tmp_path / name)
        assert [e.name for e in entries][:4] == ["市教育局", "市第一中学", "市第二中学", "市实验小学"], name
        assert {e.due for e in entries} == {date(2024, 3, 31)}
        assert entries[3].parent == "市教育局" and entries[3].line == 5
    english = tmp_path / "en.csv"
    english.write_text("name,code,due\n市教育局,101,2024-03-31\n", encoding="utf-8")
    [e] = read_roster(english)
    assert (e.code, e.name, e.parent, e.due) == ("101", "市教育局", "", date(2024, 3, 31))
    unit = tmp_path / "unit.csv"
    unit.write_text("单位代码,名称,上级部门,截止日期\n10101,市第一中学,101,\n", encoding="utf-8")
    assert read_roster(unit)[0].due is None  # no due date: never late
    cases = {
        "部门代码,名称,上级部门,截止日期\n101,甲,,2024-02-30\n": "第 2 行：截止日期「2024-02-30」不是日期",
        "部门代码,名称,上级部门,截止日期\n101,甲,,2024-01-01\n\n101,乙,,2024-01-01\n": "第 4 行：部门代码 101 与第 2 行重复",
        "部门代码,名称\n101,\n": "第 2 行：名称是空的",
        "代号,单位\n101,甲\n": "第 1 行（表头）缺少列：部门代码、名称",
        "": "是空的",
    }
    for k, (content, message) in enumerate(cases.items()):
        p = tmp_path / f"bad{k}.csv"
        p.write_text(content, encoding="utf-8")
        with pytest.raises(RosterError) as exc:
            read_roster(p)
        assert message in exc.value.message, (content, exc.value.message)
        assert p.name in exc.value.message
    (tmp_path / "bin.csv").write_bytes(b"code,name\n1,\xff\xfe\xfa\n")
    with pytest.raises(RosterError, match="第 2 行附近"):
        read_roster(tmp_path / "bin.csv")


def test_match_ambiguous_names_and_normalisation():
    entries = read_roster(None, "部门代码,名称,上级部门,截止日期\n201,办公室,甲局,\n202,办公室,乙局,\n203,ＡＢＣ 中心,,\n")
    subs = [Submission(1, None, "办公室", "ok"), Submission(2, "", "ABC中心", "ok", datetime(2024, 1, 1)),
            Submission(3, "202", "办 公 室", "errors"),
            Submission(4, None, None, "unreadable", datetime(2024, 1, 2), label="ABC 中心.xlsx")]
    r = match(entries, subs)
    assert [(s.key, [e.code for e in many]) for s, many in r.ambiguous] == [(1, ["201", "202"])]
    assert [(e.entry.code, e.status, e.by) for e in r.entries] == [
        ("201", MISSING, ""), ("202", FAILED, "代码"), ("203", FAILED, "名称")]  # the later one (unreadable, matched by file name) counts
    assert r.of(4) is not None and r.of(4).entry.code == "203" and r.of(2) is None
    assert normalise("ＡＢＣ\u3000中心 ") == normalise("abc中心")
    # 甲局 and 乙局 are not on the roster: their 单位 are still grouped under the named parent
    assert {k: [u.code for u in v] for k, v in r.unpublished.items()} == {"甲局": ["201"], "乙局": []}


def _post_roster(client, name: str, data: bytes):
    import uuid

    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{client.csrf()}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="roster"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode("utf-8") + data + f"\r\n--{boundary}--\r\n".encode()
    return client.request("/bureau/roster", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}, "POST")


def test_serve_roster_uploaded_on_the_bureau_page(inbox, tmp_path):
    from test_serve import BUREAU, Client, Server

    box, roster = inbox
    with Server(tmp_path / "data") as s:
        clerk = Client(s.url)
        ids = clerk.upload([(p.name, p.read_bytes()) for p in [box / "教育局.xlsx", box / "卫健委.xlsx"]])
        clerk.wait(ids)
        bureau = Client(s.url)
        assert _post_roster(bureau, "r.csv", b"code,name\n1,a\n")[0] == 403  # not without the bureau's password
        assert bureau.post("/bureau/login", {"csrf": bureau.csrf(), "password": BUREAU})[0] == 303
        page = bureau.get("/bureau")[2].decode("utf-8")
        assert 'id="roster-upload"' in page and 'id="roster"' not in page  # no roster yet
        status, _, body = _post_roster(bureau, "坏名单.csv", "部门代码,名称,上级部门,截止日期\n101,甲,,2024-13-01\n".encode("gbk"))
        assert status == 400 and "第 2 行：截止日期「2024-13-01」不是日期" in body.decode("utf-8")
        assert _post_roster(bureau, "名单.csv", roster.read_text(encoding="utf-8").encode("gbk"))[0] == 303
        page = bureau.get("/bureau")[2].decode("utf-8")
        missing = re.search(r'<ul id="roster-missing">(.*?)</ul>', page).group(1)
        assert re.findall(r"<li>(.*?)</li>", missing) == [
            "10101 市第一中学", "10102 市第二中学", "10103 市实验小学", "10201 市人民医院", "103 市民政局", "104 市财政局"]
        # uploaded today, long after the roster's due date (2024-03-31): the upload time makes both late
        assert re.search(r'<span class="status-errors">逾期 2</span>', page) and "提交时间：上传时间" in page
        assert re.search(r'<span class="status-ok">通过 0</span>', page)
        assert (tmp_path / "data" / "roster.csv").read_bytes() == roster.read_text(encoding="utf-8").encode("gbk")


def test_code_and_name_disagreeing_are_noted():
    entries = read_roster(None, "code,name\n201,办公室\n202,档案馆\n")
    r = match(entries, [Submission(1, "201", "别的名字", "ok"), Submission(2, "999", "档案馆", "errors")])
    first, second = r.entries
    assert first.by == "代码" and "「别的名字」与名单不同" in first.note
    assert second.by == "名称" and "部门代码 999 与名单不同" in second.note and second.status == FAILED
