"""What reaches the clerk when something goes wrong: one Chinese message, never a traceback.

Two layers. The Python entry points of toolkit/excel.py run on xlwings' remote engine (the
recording engine of test_excel.py) with each failure simulated. The VBA side (macros/bdt_buttons.bas)
cannot run here: its source is parsed — every button Sub has an error handler, every failure path
its Chinese message naming a section of docs/excel.md that exists — and its probe (BDT_PROBE, the
Python line the buttons start once) is run for real with each failure simulated, its output read
by the decision table of the VBA function BdtDiagnosis as written in the source.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
xw = pytest.importorskip("xlwings")

from conftest import EXAMPLE, ROOT  # noqa: E402
from test_excel import actions, book_of  # noqa: E402

from toolkit import doctor, excel  # noqa: E402

BAS = (ROOT / "macros" / "bdt_buttons.bas").read_text(encoding="utf-8")
DOCS = (ROOT / "docs" / "excel.md").read_text(encoding="utf-8")
HAN = re.compile(r"[\u4e00-\u9fff]")


def alerts(book):
    return [a["args"][0] for a in actions(book, "alert")]


@pytest.fixture
def here(tmp_path, monkeypatch):
    """The example saved as 单位.xlsx in the current folder (the remote engine's fullname is its name)."""
    shutil.copy(EXAMPLE, tmp_path / "单位.xlsx")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def book_here(here):
    book = book_of(here / "单位.xlsx")
    assert book.fullname == "单位.xlsx"
    return book


def plain_chinese(msg):
    assert msg and HAN.search(msg) and "Traceback" not in msg and 'File "' not in msg, msg


# ---------------------------------------------------------------------------- 导出


def test_export_that_cannot_save_says_so_and_exports_nothing(here, monkeypatch):
    book = book_here(here)

    def refuse():
        raise PermissionError("只读文件")

    monkeypatch.setattr(book, "save", refuse)
    result = excel.export(book, formats="data", confirm=lambda q: pytest.fail("asked before saving"))
    assert result["error"].startswith("无法保存工作簿") and "只读文件" in result["error"] and "另存为" in result["error"]
    assert alerts(book) == [result["error"]]
    assert not (here / "单位-公开").exists()
    plain_chinese(result["error"])


def test_export_of_an_unsaved_workbook_says_where_to_save(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example's name, but no such file here
    book = book_of(EXAMPLE)
    result = excel.export(book, formats="data", confirm=lambda q: pytest.fail("asked"))
    assert "还没有保存到本机磁盘" in result["error"] and alerts(book) == [result["error"]]


def test_export_with_errors_asks_and_cancel_exports_nothing(here):
    book = book_here(here)
    asked = []
    result = excel.export(book, formats="data", confirm=lambda q: asked.append(q) or False)
    assert result["cancelled"] and result["errors"] >= 1
    assert len(asked) == 1 and "导出草稿" in asked[0] and "“是”" in asked[0] and "“否”" in asked[0]
    assert "P601" in asked[0]  # the example's 房屋租赁费 error is named
    assert not (here / "单位-公开").exists()
    assert alerts(book)[-1].startswith("已取消导出")


def test_export_draft_when_the_clerk_says_yes_is_marked(here):
    book = book_here(here)
    result = excel.export(book, formats="data,html", confirm=lambda q: True)
    assert result["draft"] is True and "草稿" in result["line"]
    out = here / "单位-公开"
    dp = json.loads((out / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert dp["bdt"]["status"] == "draft" and "草稿·未通过校验" in dp["bdt"]["status_note"]
    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert "草稿·未通过校验" in html
    assert alerts(book)[-1] == result["line"]


def test_export_asks_through_a_yes_no_box_and_an_unanswered_box_exports_nothing(here):
    """The remote engine cannot answer a box (returns None): no draft is published unasked."""
    book = book_here(here)
    result = excel.export(book, formats="data")
    boxes = [a for a in actions(book, "alert") if a["args"][2] == "yes_no"]
    assert len(boxes) == 1 and boxes[0]["args"][1] == "导出草稿？" and "导出草稿" in boxes[0]["args"][0]
    assert result.get("cancelled") and not (here / "单位-公开").exists()


def test_export_failure_inside_the_exporter_is_a_chinese_message(here, monkeypatch):
    import toolkit.export as ex

    def boom(*a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ex, "export", boom)
    book = book_here(here)
    result = excel.export(book, formats="data", confirm=lambda q: True)
    assert result["error"].startswith("程序出错，本次操作未完成") and "No space left" in result["error"]
    assert "检查环境" in result["error"] and "docs/excel.md" in result["error"]
    assert alerts(book) == [result["error"]]


# ---------------------------------------------------------------------------- 校验 / 填充 / 检查环境


@pytest.mark.parametrize("entry", ["validate", "fill"])
def test_a_crash_inside_an_entry_point_is_one_chinese_box(entry, monkeypatch):
    import toolkit.fill
    import toolkit.rules

    def boom(*a, **kw):
        raise KeyError("t5")

    monkeypatch.setattr(toolkit.rules, "validate", boom)
    monkeypatch.setattr(toolkit.fill, "compute", boom)
    book = book_of(EXAMPLE)
    result = getattr(excel, entry)(book)
    plain_chinese(result["error"])
    assert "KeyError" in result["error"] and alerts(book) == [result["error"]]
    assert not actions(book, "setValues")  # nothing half-written


def test_entry_points_outside_excel_explain_instead_of_raising():
    result = excel.validate()  # no workbook called us: xw.Book.caller() fails
    assert result["error"].startswith("找不到调用本程序的工作簿")
    plain_chinese(result["error"])


def test_check_shows_the_doctor_report(here):
    book = book_here(here)
    result = excel.check(book)
    text = alerts(book)[0]
    assert text == result["line"] and text.startswith("检查环境")
    assert sys.executable in text and xw.__version__ in text and "Excel 启动的 Python" in text


# ---------------------------------------------------------------------------- bdt doctor


def test_doctor_reads_the_interpreter_from_xlwings_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    wb = tmp_path / "单位.xlsm"
    shutil.copy(EXAMPLE, wb)
    assert doctor.excel_interpreter(wb, "Windows") == ("python", "默认（PATH 中的 python）")
    user = doctor.user_conf_path("Windows")
    user.parent.mkdir(parents=True)
    user.write_text('"INTERPRETER_WIN","C:\\Python312\\python.exe"\n', encoding="utf-8")
    assert doctor.excel_interpreter(wb, "Windows")[0] == "C:\\Python312\\python.exe"
    (tmp_path / "xlwings.conf").write_text('"INTERPRETER_WIN","D:\\py\\python.exe"\n', encoding="utf-8")
    interp, where = doctor.excel_interpreter(wb, "Windows")
    assert interp == "D:\\py\\python.exe" and "工作簿旁" in where  # the folder's file wins over the user's
    text = doctor.report(wb)
    assert "✗ Excel 启动的 Python：D:\\py\\python.exe" in text and "该路径不存在" in text and "需要处理" in text
    assert doctor.user_conf_path("Darwin").parts[-4:] == ("Containers", "com.microsoft.Excel", "Data", "xlwings.conf")


def test_doctor_version_range():
    assert doctor.xlwings_supported("0.37.8", "==0.37.8")
    assert not doctor.xlwings_supported("0.38.0", "==0.37.8")
    assert doctor.xlwings_supported("0.33.1", ">=0.30,<0.40") and not doctor.xlwings_supported("0.29.9", ">=0.30,<0.40")
    assert doctor.xlwings_supported(xw.__version__)  # the installed one fits bdt's own requirement


def test_bdt_doctor_command():
    r = subprocess.run([sys.executable, "-m", "toolkit.cli", "doctor"], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("检查环境") and f"xlwings：{xw.__version__}" in r.stdout and "bdt：" in r.stdout


# ---------------------------------------------------------------------------- the VBA source


def vba_const(name):
    m = re.search(rf'^Private Const {name} As String = "((?:[^"]|"")*)"\s*$', BAS, re.M)
    assert m, name
    return m.group(1).replace('""', '"')


def vba_body(name):
    m = re.search(rf"^(?:Public|Private) (Sub|Function) {name}\(.*?\n(.*?)^End \1", BAS, re.M | re.S)
    assert m, name
    return m.group(2)


BUTTON_SUBS = {"BdtValidate": "validate", "BdtFill": "fill", "BdtExport": "export", "BdtGrow": "grow", "BdtCheck": "check"}


def test_every_button_sub_has_an_error_handler():
    subs = re.findall(r"^Public Sub (\w+)\(\)$", BAS, re.M)
    assert set(BUTTON_SUBS) <= set(subs)
    for sub in subs:
        body = vba_body(sub)
        assert "On Error GoTo Failed" in body.split("\n")[0], sub  # the first statement
        assert re.search(r"^Failed:\n\s+BdtFail Err\.Number, Err\.Description\n", body, re.M), sub
        assert "BdtReady()" in body, sub
    for sub, func in BUTTON_SUBS.items():
        assert f'RunPython "import toolkit.excel as x; x.{func}()"' in vba_body(sub)
        assert callable(getattr(excel, func))


FAILURES = {  # failure path -> the message constant the clerk sees, and the section it names
    "Python 未安装": ("MSG_NO_PYTHON", "DOC_INSTALL"),
    "bdt 未安装": ("MSG_NO_BDT", "DOC_INSTALL"),
    "xlwings 未安装": ("MSG_NO_XLWINGS", "DOC_INSTALL"),
    "xlwings 版本不符": ("MSG_XLWINGS_VERSION", "DOC_HINTS"),
    "解释器路径错误": ("MSG_BAD_INTERPRETER", "DOC_INTERPRETER"),
    "ASR/策略拦截": ("MSG_BLOCKED", "DOC_BLOCKED"),
    "macOS 未运行 xlwings runpython install": ("MSG_MAC_RUNPYTHON", "DOC_INSTALL"),
    "其他错误": ("MSG_UNEXPECTED", "DOC_HINTS"),
}


PROBED = ("MSG_NO_PYTHON", "MSG_NO_BDT", "MSG_NO_XLWINGS", "MSG_XLWINGS_VERSION")


def headings():
    out = set()
    for line in DOCS.splitlines():
        if line.startswith("## "):
            out.add(line[3:].strip())
        elif line.startswith("### "):
            out.add(line[4:].strip())
    return out


def test_each_failure_path_has_a_chinese_message_naming_a_real_docs_section():
    heads = headings()
    for path, (msg, doc) in FAILURES.items():
        text = vba_const(msg)
        assert HAN.search(text) and len(text) < 400, path
        text.encode("cp936")  # the VBA project's code page
        if msg in PROBED:  # shown by BdtProbeWindows: BdtSay message, IIf(<install messages>, DOC_INSTALL, DOC_HINTS)
            cond = re.search(r"BdtSay message, IIf\((.*?), DOC_INSTALL, DOC_HINTS\)", BAS).group(1)
            assert (f"message = {msg}" in cond) == (doc == "DOC_INSTALL"), path
            assert msg in dict((c, m) for m, c in diagnosis_table()), path
        else:
            assert re.search(rf"BdtSay {msg}\b[^\n]*, {doc}\b", BAS), path
        section = vba_const(doc)
        m = re.fullmatch(r"docs/excel\.md 第.节「(.+)」", section)
        assert m, section
        assert any(m.group(1) in h for h in heads), (section, heads)
    assert "xlwings runpython install" in vba_const("MSG_MAC_RUNPYTHON")
    assert "pip install bdt-budget-disclosure" in vba_const("MSG_NO_BDT")
    assert "攻击面" in DOCS and "子进程" in vba_const("MSG_BLOCKED")
    # the access-denied error of a blocked child process (ASR) goes to the policy message
    assert re.search(r"number = 70 Or number = -2147024891 Then\n\s+BdtSay MSG_BLOCKED", vba_body("BdtFail"))
    assert "On Error GoTo Blocked" in vba_body("BdtProbeWindows") and "WScript.Run" in vba_body("BdtProbeWindows")
    assert "Not FileExists(interpreter)" in vba_body("BdtReady")


def diagnosis_table():
    """[(marker, message constant)] of BdtDiagnosis, in order; the last (else) marker is None."""
    body = vba_body("BdtDiagnosis")
    rows = re.findall(r'(?:If|ElseIf) InStr\(output, "([^"]+)"\) = 0 Then\n\s+BdtDiagnosis = (\w+)', body)
    assert re.search(r'Else\n\s+BdtDiagnosis = ""', body)
    return rows


def diagnose(output):
    for marker, const in diagnosis_table():
        if marker not in output:
            return const
    return ""


def run_probe(prefix="", env=None):
    probe = vba_const("BDT_PROBE")
    r = subprocess.run([sys.executable, "-B", "-c", prefix + probe], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    return r.stdout + r.stderr


def test_probe_with_everything_installed_passes():
    out = run_probe()
    assert f"BDT-XLWINGS {xw.__version__}" in out and "BDT-SUPPORTED 1" in out
    assert diagnose(out) == ""


def test_probe_without_xlwings_bdt_or_with_another_xlwings(tmp_path):
    assert diagnose(run_probe("import sys; sys.modules['xlwings'] = None;")) == "MSG_NO_XLWINGS"
    assert diagnose(run_probe("import sys; sys.modules['toolkit'] = None;")) == "MSG_NO_BDT"
    fake = tmp_path / "xlwings"
    fake.mkdir()
    (fake / "__init__.py").write_text("__version__ = '0.20.0'\n")
    out = run_probe(f"import sys; sys.path.insert(0, {str(tmp_path)!r});")
    assert "BDT-XLWINGS 0.20.0" in out and diagnose(out) == "MSG_XLWINGS_VERSION"
    # no Python at all: cmd.exe prints its own text, none of the markers
    assert diagnose("'python' 不是内部或外部命令，也不是可运行的程序\r\n") == "MSG_NO_PYTHON"


# ---------------------------------------------------------------------------- 常驻 Python (Use UDF Server)


def server_diagnosis(output, use_server, version):
    """BdtServerDiagnosis as written in the .bas (the test below checks the source says this)."""
    if use_server.strip().lower() != "true":
        return ""
    if any(line.strip() == f"BDT-XLWINGS {version}" for line in output.replace("\r", "").split("\n")):
        return ""
    return vba_const("MSG_SERVER_VERSION") + version


def test_use_udf_server_with_another_xlwings_version_is_one_chinese_message():
    """The persistent server loads xlwings64-<version>.dll, installed only by exactly that xlwings."""
    body = vba_body("BdtServerDiagnosis")
    assert 'If LCase$(Trim$(useServer)) <> "true" Then Exit Function' in body
    assert 'If Trim$(probeLine) = "BDT-XLWINGS " & version Then Exit Function' in body
    assert "BdtServerDiagnosis = MSG_SERVER_VERSION & version" in body
    probe = vba_body("BdtProbeWindows")
    assert ('If message = "" Then message = BdtServerDiagnosis(out, GetConfig("USE UDF SERVER", "False"), '
            'XLWINGS_VERSION)') in probe and "BdtSay message, DOC_SERVER" in probe
    msg = vba_const("MSG_SERVER_VERSION")
    msg.encode("cp936")
    assert HAN.search(msg) and "USE UDF SERVER" in msg and "pip install xlwings==" in msg
    section = re.fullmatch(r"docs/excel\.md 第.节「(.+)」", vba_const("DOC_SERVER")).group(1)
    assert any(section in h for h in headings())

    from toolkit.vba.xlsm import xlwings_sources

    template_version = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', xlwings_sources()[0]).group(1)
    out = run_probe()
    assert server_diagnosis(out, "True", template_version) == ""  # the template's own xlwings
    assert server_diagnosis(out, "False", "0.0.1") == "" and server_diagnosis(out, "", "0.0.1") == ""
    assert server_diagnosis(out.replace("\n", "\r\n"), "true", template_version) == ""  # Windows line ends
    assert server_diagnosis(out, "True", "0.37.0").endswith("0.37.0")  # another version: said, with the one needed
    assert server_diagnosis(out, "True", template_version + "1") != ""  # 0.37.8 is not 0.37.81


def test_check_restarts_the_persistent_python():
    """检查环境 ends the running server (xlwings' KillPy) before it checks, so the next click runs
    what is installed now; only where the server exists (Windows) and only when it is switched on."""
    check = vba_body("BdtCheck")
    assert check.index("BdtRestartServer") < check.index("BdtReady()")
    restart = vba_body("BdtRestartServer")
    assert "#If Not Mac Then" in restart and 'GetConfig("USE UDF SERVER", "False")' in restart
    assert re.search(r"On Error Resume Next\n\s+KillPy\n", restart)
    from toolkit.vba.xlsm import xlwings_sources

    assert re.search(r"^Sub KillPy\(\)", xlwings_sources()[0], re.M)


# ---------------------------------------------------------------------------- 扩充行数


def test_grow_button_with_room_left_says_so_and_writes_nothing(here):
    book = book_here(here)
    result = excel.grow(book)
    assert result["capacities"] == {} and "无需扩充" in result["line"] and "bdt template grow" in result["line"]
    assert alerts(book) == [result["line"]] and not list(here.glob("*.grown.*"))
    plain_chinese(result["line"])


def test_grow_button_writes_a_roomier_copy_beside_the_workbook_and_says_what_grew(here):
    import toolkit
    from toolkit.io.writer import write_cells

    src = here / "单位.xlsx"
    d = toolkit.load(src)
    first = len(d.rows("t12")) + 1
    names = {d.entry("t12", f"items#{k}", "name").cell: f"新增项目{k:02d}" for k in range(first, 58)}
    write_cells(src, {d.sheet_names["t12"]: names}, here / "tmp.xlsx")
    (here / "tmp.xlsx").replace(src)
    book = book_here(here)
    result = excel.grow(book)
    assert result["capacities"] == {"t12.items": 120}, result
    out = here / "单位.grown.xlsx"
    assert result["out"].endswith("单位.grown.xlsx") and out.is_file()
    assert "「表12 项目支出表」明细行 60 → 120 行" in result["line"] and alerts(book)[-1] == result["line"]
    assert result["opened"] is False and "请打开" in result["line"]  # the remote engine opens no files
    grown = toolkit.load(out)
    assert grown.get("t12", "items#57", "name") == "新增项目57"
    assert grown.get("t12", "items#1", "name") == toolkit.load(src).get("t12", "items#1", "name")
    plain_chinese(result["line"])
    # a second click (from the original again) never overwrites the first copy, which the clerk
    # may have typed in since: the new copy gets its own name
    first = out.read_bytes()
    again = excel.grow(book_here(here))
    assert again["out"].endswith("单位.grown-2.xlsx") and (here / "单位.grown-2.xlsx").is_file()
    assert out.read_bytes() == first and "单位.grown-2.xlsx" in again["line"]


def test_grow_button_that_cannot_save_grows_nothing(here, monkeypatch):
    book = book_here(here)
    monkeypatch.setattr(book, "save", lambda: (_ for _ in ()).throw(PermissionError("只读文件")))
    result = excel.grow(book)
    assert result["error"].startswith("无法保存工作簿") and "未扩充" in result["error"] and "扩充行数" in result["error"]
    assert not list(here.glob("*.grown.*"))
