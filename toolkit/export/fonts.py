"""Finding a CJK TrueType font, once per process, for the PDF, the chart images and the SVG.

ReportLab embeds TrueType outlines only (a subset of the glyphs used), so the CFF-flavoured
Noto/Source Han ``.ttc`` files do not work; WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``)
does, as do the Windows and macOS system fonts listed below. ``BDT_CJK_FONT=/path/font.ttc[:index]``
names another one.

With no embeddable font at all (a fresh server, a container), the PDF is still produced: it then
uses Adobe's standard CJK font STSong-Light, which ReportLab writes as a *non-embedded* CID font
(every PDF reader ships or substitutes it), and `fallback_warning()` says so. The same happens on
purpose with ``BDT_CJK_FONT=builtin``. The Word document then shows each chart's figures as a
table instead of a picture (Pillow cannot draw hanzi without a font file).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PDF_FONT = "BDT-CJK"  # the name the font is registered under in ReportLab

BUILTIN = "STSong-Light"  # Adobe-GB1 standard font: known to every PDF reader, never embedded

_WINDIR = os.environ.get("WINDIR") or os.environ.get("SystemRoot") or "C:/Windows"

KNOWN = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    # Windows (the folder may be elsewhere: %WINDIR%), also a user's own fonts folder
    *((f"{_WINDIR}/Fonts/{name}", 0) for name in (
        "msyh.ttc", "msyh.ttf", "simhei.ttf", "simsun.ttc", "simfang.ttf", "simkai.ttf",
        "SIMHEI.TTF", "SIMSUN.TTC", "Deng.ttf")),
    *((str(Path(os.environ.get("LOCALAPPDATA", "~")).expanduser() / "Microsoft/Windows/Fonts" / name), 0)
      for name in ("msyh.ttc", "simhei.ttf", "simsun.ttc")),
    # macOS
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("/System/Library/Fonts/STHeiti Medium.ttc", 0),
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),
    ("/System/Library/Fonts/Hiragino Sans GB.ttc", 0),
    ("/System/Library/Fonts/Supplemental/Songti.ttc", 0),
    ("/Library/Fonts/Songti.ttc", 0),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
)

# what the HTML page and the SVG charts ask the reader's browser for (the PDF embeds its own)
CSS_FONT_STACK = ("'Microsoft YaHei','PingFang SC','Hiragino Sans GB','WenQuanYi Micro Hei',"
                  "'Noto Sans CJK SC','Source Han Sans SC','SimHei',sans-serif")


class FontNotFound(RuntimeError):
    """No usable CJK TrueType font on this machine."""


NOT_FOUND_MESSAGE = (
    "未找到可嵌入的中文字体，无法生成 PDF（中文会显示为方框）。"
    "请安装文泉驿微米黑：sudo apt-get install fonts-wqy-microhei；"
    "或设置环境变量 BDT_CJK_FONT 指向一个 TrueType 中文字体文件（如 C:/Windows/Fonts/simhei.ttf）。"
)


FALLBACK_MESSAGE = (
    "提示：本机没有可嵌入的中文字体，PDF 使用标准中文字体 STSong-Light（未嵌入，阅读器显示时自动替换为宋体），"
    "Word 文档中的图表以数据表代替图片。如需嵌入字体，请安装文泉驿微米黑（sudo apt-get install fonts-wqy-microhei）"
    "或设置 BDT_CJK_FONT 指向一个 TrueType 中文字体文件。"
)


@dataclass(frozen=True)
class CJKFont:
    path: str | None  # None: the non-embedded standard font BUILTIN
    index: int
    family: str  # the font's own family name, e.g. "WenQuanYi Micro Hei"

    @property
    def embedded(self) -> bool:
        return self.path is not None


def _candidates():
    env = os.environ.get("BDT_CJK_FONT")
    if env and env.strip().lower() == "builtin":
        return
    if env:
        path, _, idx = env.rpartition(":") if env.rsplit(":", 1)[-1].isdigit() else (env, "", "0")
        yield path, int(idx or 0)
    yield from KNOWN
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(["fc-list", ":lang=zh", "file", "index"], capture_output=True, text=True,
                                 timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in sorted(out.splitlines()):
            path, _, rest = line.partition(":")
            idx = rest.split("=", 1)[-1].strip() if "index=" in rest else "0"
            if path.lower().endswith((".ttf", ".ttc")):
                yield path.strip(), int(idx) if idx.isdigit() else 0


def _face(path: str, index: int):
    """The parsed font face, from the per-user cache when this file was parsed before: parsing a
    CJK font's tables costs ≈250 ms (30,000 glyphs), loading the cached metrics ≈20 ms. The font
    program itself (for subsetting) is read from the file as always. The glyph → characters map
    (a third of the metrics) is only needed for text shaping (HarfBuzz), which the exports do not
    use: it is kept in its own entry and loaded when first asked for."""
    import reportlab
    from reportlab.pdfbase.ttfonts import TTFontFace

    from ..cache import cached, key

    st = Path(path).stat()
    digest = key(path, index, st.st_size, st.st_mtime_ns, reportlab.Version, _CACHE_FORMAT)

    def build() -> dict:
        face = TTFontFace(path, subfontIndex=index)
        state = {k: v for k, v in vars(face).items() if k not in _UNCACHED}
        cached("fontmap", digest, lambda: state.pop("glyphToChar"))
        state.pop("glyphToChar", None)
        return state

    state = cached("font", digest, build,
                   lambda obj: isinstance(obj, dict) and "charWidths" in obj and "unitsPerEm" in obj)
    face = _lazy_face_class().__new__(_lazy_face_class())
    face.__dict__.update(state)
    face._bdt_map = (path, index, digest)
    face._ttf_data = Path(path).read_bytes()
    per_em = face.unitsPerEm
    face._pdfScale = (lambda x: x) if per_em == 1000 else (lambda x, m=1000 / per_em: x * m)
    return face


_UNCACHED = ("_pdfScale", "_ttf_data")  # a closure, and the font program (read from the file)
_CACHE_FORMAT = 2  # 2: glyphToChar in its own entry ("fontmap")


@lru_cache(maxsize=1)
def _lazy_face_class():
    from reportlab.pdfbase.ttfonts import TTFontFace

    from ..cache import cached

    class Face(TTFontFace):
        """A TTFontFace whose glyphToChar is read from the cache when first used."""

        @property
        def glyphToChar(self):
            g2c = self.__dict__.get("_bdt_glyph_to_char")
            if g2c is None:
                path, index, digest = self._bdt_map
                g2c = cached("fontmap", digest, lambda: TTFontFace(path, subfontIndex=index).glyphToChar,
                             lambda obj: isinstance(obj, dict))
                self.__dict__["_bdt_glyph_to_char"] = g2c
            return g2c

        @glyphToChar.setter
        def glyphToChar(self, value):
            self.__dict__["_bdt_glyph_to_char"] = value

    return Face


def _ttfont(path: str, index: int):
    """A ReportLab TTFont whose face comes from `_face` (ReportLab's own constructor otherwise)."""
    from reportlab.pdfbase import ttfonts

    face = _face(path, index)
    real = ttfonts.TTFontFace
    ttfonts.TTFontFace = lambda *a, **k: face  # TTFont.__init__ builds its face by this name
    try:
        return ttfonts.TTFont(PDF_FONT, path, subfontIndex=index)
    finally:
        ttfonts.TTFontFace = real


def _try(path: str, index: int):
    if not Path(path).is_file():
        return None
    try:
        font = _ttfont(path, index)
    except Exception:  # CFF outlines, broken file: try the next one
        return None
    # the font must actually carry common hanzi
    widths = font.face.charWidths
    if not all(ord(ch) in widths for ch in "部门预算公开表万元"):
        return None
    return font


def _register_mappings() -> None:
    from reportlab.lib.fonts import addMapping

    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(PDF_FONT, bold, italic, PDF_FONT)


@lru_cache(maxsize=1)
def cjk_font() -> CJKFont:
    """Locate and register the CJK font with ReportLab (once).

    An embeddable TrueType font when there is one; otherwise the standard, non-embedded
    STSong-Light (see `fallback_warning`). Never fails for want of a font.
    """
    from reportlab.pdfbase import pdfmetrics

    for path, index in _candidates():
        font = _try(path, index)
        if font is None:
            continue
        pdfmetrics.registerFont(font)
        _register_mappings()
        name = font.face.name
        family = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        family = {"WenQuanYiMicroHei": "WenQuanYi Micro Hei"}.get(family, family)
        return CJKFont(path, index, family)
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    font = UnicodeCIDFont(BUILTIN)
    font.name = font.fontName = PDF_FONT  # registered under our name; the PDF still says STSong-Light
    pdfmetrics.registerFont(font)
    _register_mappings()
    return CJKFont(None, 0, BUILTIN)


def fallback_warning() -> str | None:
    """The message to show when the PDF could not embed a font (None when it did)."""
    return None if cjk_font().embedded else FALLBACK_MESSAGE


# ------------------------------------------------------------------------------ official typography

# GB/T 9704-2012 (党政机关公文格式): titles in 方正小标宋, body text in 仿宋_GB2312 三号 (16 pt),
# first-level headings in 黑体, second-level in 楷体_GB2312. Each role: the ReportLab name it is
# registered under, the family names fontconfig / Word know it by (preferred first), the file names
# it has in the Windows fonts folder, and the environment variable that names a file directly.
OFFICIAL_ROLES = {
    "title": ("BDT-TITLE", ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "FZXiaoBiaoSong-B05"),
              ("FZXBSJW.TTF", "FZXBSK.TTF", "方正小标宋简体.ttf"), "BDT_FONT_TITLE"),
    "body": ("BDT-BODY", ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong"),
             ("FS_GB2312.ttf", "SIMFANG.TTF", "simfang.ttf"), "BDT_FONT_BODY"),
    "heading": ("BDT-HEI", ("黑体", "SimHei"), ("simhei.ttf", "SIMHEI.TTF"), "BDT_FONT_HEADING"),
    "kai": ("BDT-KAI", ("楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi"),
            ("KAI_GB2312.ttf", "SIMKAI.TTF", "simkai.ttf"), "BDT_FONT_KAI"),
}
TYPOGRAPHIES = ("standard", "official")


@dataclass(frozen=True)
class Typography:
    """The fonts an export uses: `official` roles found ({role: (ReportLab name, family)}) and
    those asked for but not installed (they keep the standard fonts)."""

    style: str = "standard"
    fonts: tuple = ()  # ((role, pdf name, family), …) of the official fonts found
    missing: tuple = ()  # roles of the official style whose font is not installed

    @property
    def official(self) -> bool:
        return self.style == "official"

    def pdf(self, role: str) -> str | None:
        return next((name for r, name, _ in self.fonts if r == role), None)

    def family(self, role: str) -> str | None:
        return next((fam for r, _, fam in self.fonts if r == role), None)

    def warning(self) -> str | None:
        if not self.official or not self.missing:
            return None
        names = "、".join(OFFICIAL_ROLES[r][1][0] for r in self.missing)
        return (f"提示：本机未安装公文字体 {names}，这些部分仍用常规字体（安装后重新导出即可；"
                "也可用环境变量 BDT_FONT_TITLE / BDT_FONT_BODY / BDT_FONT_HEADING / BDT_FONT_KAI 指向字体文件）。")


def _fc_lookup(family: str):
    """(path, index) of an installed font whose family is exactly `family` (fontconfig), or None."""
    if not shutil.which("fc-list"):
        return None
    try:
        out = subprocess.run(["fc-list", "--format", "%{file}\t%{index}\t%{family}\n", f":family={family}"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in sorted(out.splitlines()):
        path, idx, families = (line.split("\t") + ["", ""])[:3]
        if family in [f.strip() for f in families.split(",")] and path.lower().endswith((".ttf", ".ttc", ".otf")):
            return path, int(idx) if idx.isdigit() else 0
    return None


def _official_candidates(role: str):
    name, families, files, env = OFFICIAL_ROLES[role]
    value = os.environ.get(env)
    if value:
        path, _, idx = value.rpartition(":") if value.rsplit(":", 1)[-1].isdigit() else (value, "", "0")
        yield path, int(idx or 0), families[0]
        return  # named explicitly: that file or nothing
    for family in families:
        hit = _fc_lookup(family)
        if hit:
            yield hit[0], hit[1], family
    for file in files:
        for folder in (f"{_WINDIR}/Fonts", str(Path(os.environ.get("LOCALAPPDATA", "~")).expanduser()
                                               / "Microsoft/Windows/Fonts")):
            yield f"{folder}/{file}", 0, families[0]


def _register(name: str, path: str, index: int) -> bool:
    from reportlab.pdfbase import pdfmetrics, ttfonts
    from reportlab.lib.fonts import addMapping

    if not Path(path).is_file():
        return False
    try:
        font = ttfonts.TTFont(name, path, subfontIndex=index)
    except Exception:  # CFF outlines (an .otf), a broken file
        return False
    if not all(ord(ch) in font.face.charWidths for ch in "部门预算公开表万元"):
        return False
    pdfmetrics.registerFont(font)
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(name, bold, italic, name)
    return True


@lru_cache(maxsize=4)
def typography(style: str | None = None) -> Typography:
    """The fonts of an export: "standard" (the embedded CJK font, as always) or "official" (GB/T
    9704: each role in its official font where installed and embeddable, else the standard font;
    `Typography.missing` names the others). Registers the fonts found with ReportLab."""
    style = (style or "standard").strip().lower()
    if style not in TYPOGRAPHIES:
        raise ValueError(f"不支持的版式「{style}」；可选：{','.join(TYPOGRAPHIES)}")
    if style == "standard":
        return Typography()
    found, missing = [], []
    for role, (name, _, _, _) in OFFICIAL_ROLES.items():
        hit = next(((fam) for path, idx, fam in _official_candidates(role) if _register(name, path, idx)), None)
        if hit:
            found.append((role, name, hit))
        else:
            missing.append(role)
    return Typography("official", tuple(found), tuple(missing))
