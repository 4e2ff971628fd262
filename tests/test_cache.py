"""The per-user cache (toolkit.cache): the compiled schema and the CJK font's parsed metrics are
built once and then loaded; a damaged entry is rebuilt, never an error; the output is the same."""
import os
import subprocess
import sys

from conftest import EXAMPLE, ROOT, need_tool

EXPORT = [sys.executable, "-m", "toolkit.cli", "export", str(EXAMPLE), "--to", "pdf", "--force"]


def run(cache, out, **env):
    e = {**os.environ, "BDT_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    e.pop("BDT_NO_CACHE", None)
    e.update(env)
    r = subprocess.run([*EXPORT, "--out", str(out)], env=e, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return next(out.glob("*.pdf"))


def pdf_text_and_fonts(pdf):
    text = subprocess.run([need_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True).stdout
    fonts = subprocess.run([need_tool("pdffonts"), str(pdf)], capture_output=True, text=True).stdout
    return text, sorted(line.split()[0].split("+")[-1] + " " + line.split()[-5] for line in fonts.splitlines()[2:])


def test_font_and_schema_are_cached_and_a_damaged_entry_is_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    first = run(cache, tmp_path / "a")
    fonts = sorted(cache.glob("font-*.pickle"))
    schemas = sorted(cache.glob("schema-*.pickle"))
    if not fonts:  # no font file on this machine (the built-in fallback has nothing to cache)
        assert "未嵌入" in subprocess.run(EXPORT + ["--out", str(tmp_path / "z")], capture_output=True,
                                         text=True).stderr
        return
    assert len(fonts) == 1 and len(schemas) == 1
    second = run(cache, tmp_path / "b")  # from the cache
    for entry in fonts + schemas:
        entry.write_bytes(b"not a pickle")
    third = run(cache, tmp_path / "c")  # damaged entries: built anew
    assert fonts[0].read_bytes()[:2] == b"\x80\x05" and schemas[0].read_bytes()[:2] == b"\x80\x05"
    uncached = run(cache, tmp_path / "d", BDT_NO_CACHE="1")
    reference = pdf_text_and_fonts(uncached)
    assert "yes" in " ".join(reference[1])  # the font is embedded
    for pdf in (first, second, third):
        assert pdf_text_and_fonts(pdf) == reference
