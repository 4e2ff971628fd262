"""Headless Debian chromium driven by selenium (chromium-driver): open an exported page at a given
width, measure every table cell, run the axe-core accessibility checker in the page.

axe.min.js comes from npm (`make test-deps` installs axe-core into build/npm); BDT_AXE names
another copy.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = Path(os.environ.get("BDT_AXE") or ROOT / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js")

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")


def _need(what: str, ok: bool):
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI (make test-deps installs it)")
    pytest.skip(f"{what} not installed")


@contextmanager
def chromium(width: int = 390, height: int = 900):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _need("selenium", False)
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    _need("chromium", bool(binary))
    _need("chromium-driver", bool(driver_path))
    profile = tempfile.mkdtemp(prefix="bdt-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for f in FLAGS:
        opts.add_argument(f)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={width},{height}")
    drv = webdriver.Chrome(service=Service(driver_path), options=opts)
    try:
        # the window size includes no chrome in headless mode; make the viewport exact
        drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


# every table cell: does its content overflow the cell box? does a figure or code wrap?
MEASURE = r"""
const out = [];
for (const cell of document.querySelectorAll('td, th')) {
  if (!cell.textContent.trim()) continue;
  const r = cell.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(cell);
  const rects = Array.from(range.getClientRects()).filter(x => x.width > 0);
  const lines = new Set(rects.map(x => Math.round(x.top))).size;
  const textRight = Math.max(...rects.map(x => x.right));
  const textLeft = Math.min(...rects.map(x => x.left));
  out.push({text: cell.textContent.trim().slice(0, 40), nowrap: cell.classList.contains('n'),
            overflow: cell.scrollWidth - cell.clientWidth, lines: lines,
            outside: Math.max(textRight - r.right, r.left - textLeft, 0),
            chars: cell.textContent.trim().length, width: r.width});
}
const doc = document.documentElement;
return {cells: out, pageOverflow: doc.scrollWidth - doc.clientWidth, viewport: doc.clientWidth,
        scrollers: Array.from(document.querySelectorAll('.tw')).filter(w => w.scrollWidth > w.clientWidth).length};
"""


def measure(drv, url: str) -> dict:
    drv.get(url)
    return drv.execute_script(MEASURE)


def axe(drv, url: str, rules: dict | None = None) -> dict:
    """Run axe-core (WCAG 2.x A/AA and best practices) on the page; returns axe's results."""
    _need("axe-core (npm)", AXE.is_file())
    drv.get(url)
    drv.execute_script(AXE.read_text(encoding="utf-8"))
    drv.set_script_timeout(120)
    return drv.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        "'best-practice']}, resultTypes: ['violations']}).then(r => done({violations: r.violations.map(v => "
        "({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160))})),"
        " passes: r.passes.length, version: axe.version})).catch(e => done({error: String(e)}));")
