"""The official typography option (issue #10 point 7): GB/T 9704 fonts where installed.

The official fonts (方正小标宋, 仿宋_GB2312, 黑体, 楷体_GB2312) are proprietary and not on this
machine, so "installed" is made real with fontconfig itself: a private fonts.conf
(FONTCONFIG_FILE) scans a folder holding a copy of WenQuanYi Micro Hei and renames its two faces
at scan time to 仿宋_GB2312 (face 0) and 方正小标宋简体 (face 1, the Mono face), so `fc-list` reports
them under those names, exactly as it would the real files. "Absent" is a fonts.conf with no font
folder. Checked: the selection, the PDF (embedded faces from pdffonts, text sizes from
pdftotext -bbox) and the DOCX styles (w:rFonts w:eastAsia, sizes).
"""
import re
import shutil
import subprocess
import zipfile

import pytest

from conftest import EXAMPLE, need_tool
from toolkit.export import export
from toolkit.export import fonts
from toolkit.export.fonts import typography

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  {dirs}
  <cachedir>{tmp}/cache</cachedir>
  <match target="scan">
    <test name="family"><string>WenQuanYi Micro Hei</string></test>
    <edit name="family" mode="assign_replace"><string>仿宋_GB2312</string></edit>
  </match>
  <match target="scan">
    <test name="family"><string>WenQuanYi Micro Hei Mono</string></test>
    <edit name="family" mode="assign_replace"><string>方正小标宋简体</string></edit>
  </match>
</fontconfig>
"""


def _fontconfig(monkeypatch, tmp_path, with_fonts: bool) -> None:
    need_tool("fc-list")
    folder = tmp_path / "fonts"
    folder.mkdir()
    if with_fonts:
        if not fonts.Path(WQY).is_file():
            pytest.skip("fonts-wqy-microhei not installed")
        shutil.copy(WQY, folder / "wqy-microhei.ttc")
    conf = tmp_path / "fonts.conf"
    conf.write_text(CONF.format(dirs=f"<dir>{folder}</dir>", tmp=tmp_path), encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    monkeypatch.setattr(fonts, "_WINDIR", str(tmp_path / "no-windows"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "no-appdata"))
    for role in fonts.OFFICIAL_ROLES.values():
        monkeypatch.delenv(role[3], raising=False)
    typography.cache_clear()


@pytest.fixture
def installed(monkeypatch, tmp_path):
    _fontconfig(monkeypatch, tmp_path, True)
    yield
    typography.cache_clear()


@pytest.fixture
def absent(monkeypatch, tmp_path):
    _fontconfig(monkeypatch, tmp_path, False)
    yield
    typography.cache_clear()


def _pdffonts(pdf) -> str:
    return subprocess.run([need_tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout


def _heights(pdf, text: str) -> set:
    """Box heights (pt) of the words of the PDF that contain `text`."""
    out = subprocess.run([need_tool("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return {round(float(b) - float(a)) for a, b, t in re.findall(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', out) if text in t}


def _styles(docx) -> dict:
    """{style name: its rPr XML} of the DOCX."""
    xml = zipfile.ZipFile(docx).read("word/styles.xml").decode("utf-8")
    out = {}
    for block in re.findall(r"<w:style .*?</w:style>", xml, re.S):
        name = re.search(r'<w:name w:val="([^"]+)"', block)
        if name:
            out[name.group(1)] = block
    return out


def test_fontconfig_finds_the_installed_official_fonts(installed):
    t = typography("official")
    assert t.official and t.family("body") == "仿宋_GB2312" and t.family("title") == "方正小标宋简体"
    assert set(t.missing) == {"heading", "kai"}
    assert "黑体" in t.warning() and "楷体_GB2312" in t.warning() and "仿宋" not in t.warning()
    assert typography("standard").fonts == () and typography().warning() is None


def test_official_pdf_and_docx_use_the_installed_fonts(installed, tmp_path):
    out = export(EXAMPLE, "pdf,docx", tmp_path / "out", force=True, typography="official")
    # PDF: the title face (the renamed Mono face) is embedded; body text is 三号 (16 pt), the
    # heading 1 (第一部分 概况) 二号 22 pt in the title face
    assert "WenQuanYiMicroHeiMono" in _pdffonts(out["pdf"])
    assert _heights(out["pdf"], "科级领导职数") == {16}  # “编制2名，科级领导职数1名。”
    assert max(_heights(out["pdf"], "概况")) >= 21
    styles = _styles(out["docx"])
    assert 'w:eastAsia="方正小标宋简体"' in styles["heading 1"] and '<w:sz w:val="44"/>' in styles["heading 1"]
    assert 'w:eastAsia="仿宋_GB2312"' in styles["BDT 正文"] and '<w:sz w:val="32"/>' in styles["BDT 正文"]
    assert 'w:eastAsia="仿宋_GB2312"' in styles["Normal"]
    assert 'w:ascii="Times New Roman"' in styles["BDT 正文"]  # figures and Latin stay Times New Roman
    assert 'w:eastAsia="黑体"' in styles["heading 2"]  # 黑体 not installed: the standard heading font
    assert 'w:eastAsia="宋体"' in styles["BDT 表格"]  # tables keep the standard face


def test_standard_export_is_unchanged_by_installed_official_fonts(installed, tmp_path):
    out = export(EXAMPLE, "pdf,docx", tmp_path / "out", force=True)
    assert "Mono" not in _pdffonts(out["pdf"])
    styles = _styles(out["docx"])
    assert 'w:eastAsia="宋体"' in styles["BDT 正文"] and "仿宋" not in "".join(styles.values())


def test_official_without_the_fonts_keeps_the_current_fonts_and_warns(absent, tmp_path, capsys):
    t = typography("official")
    assert t.fonts == () and set(t.missing) == set(fonts.OFFICIAL_ROLES)
    from toolkit.cli import main

    code = main(["export", str(EXAMPLE), "--to", "pdf,docx", "--out", str(tmp_path / "out"), "--force",
                 "--typography", "official"])
    assert code == 0
    assert "未安装公文字体" in capsys.readouterr().err
    pdf = next((tmp_path / "out").glob("*.pdf"))
    assert "Mono" not in _pdffonts(pdf) and _heights(pdf, "科级领导职数") == {12}  # 11.5 pt
    styles = _styles(next((tmp_path / "out").glob("*.docx")))
    assert 'w:eastAsia="宋体"' in styles["BDT 正文"] and 'w:eastAsia="黑体"' in styles["heading 1"]


def test_a_font_file_named_in_the_environment(absent, monkeypatch, tmp_path):
    if not fonts.Path(WQY).is_file():
        pytest.skip("fonts-wqy-microhei not installed")
    monkeypatch.setenv("BDT_FONT_KAI", f"{WQY}:1")
    monkeypatch.setenv("BDT_FONT_HEADING", str(tmp_path / "missing.ttf"))
    typography.cache_clear()
    t = typography("official")
    assert t.family("kai") == "楷体_GB2312" and "heading" in t.missing


def test_unknown_typography_is_refused(tmp_path):
    with pytest.raises(ValueError, match="不支持的版式"):
        export(EXAMPLE, "pdf", tmp_path, force=True, typography="fancy")
    assert not list(tmp_path.iterdir())
