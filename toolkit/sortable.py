"""A sortable table for the bureau's summaries: one small ES5 script, inline in bdt batch's
self-contained summary.html and served as /bureau/sort.js by bdt serve (whose pages allow only
scripts of their own origin; the served summary allows this inline script by its hash).

The table: `<table class="sortable">`; a sortable header `<th data-sort="num|text">` holds a
`<button>` (or a link that sorts on the server: the script sorts in place instead); each cell of that column gives its sort value in `data-v` (else its text). A click
sorts the rows by that column, a second click reverses; `aria-sort` says the order. Without
scripts the table stays in the order the server wrote (worst grade first).
"""
from __future__ import annotations

import base64
import hashlib

SORT_JS = r"""(function () {
  "use strict";
  function val(row, k, num) {
    var c = row.cells[k], v = c ? (c.getAttribute("data-v") || c.textContent || "") : "";
    return num ? (parseFloat(v) || 0) : v;
  }
  function setup(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [], i;
    for (i = 0; i < heads.length; i++) {
      (function (th, k) {
        var kind = th.getAttribute("data-sort"),
            button = th.getElementsByTagName("button")[0] || th.getElementsByTagName("a")[0];
        if (!kind || !button) { return; }
        button.onclick = function (ev) {
          if (ev && ev.preventDefault) { ev.preventDefault(); }
          var body = table.tBodies[0], rows = [], j, up = th.getAttribute("aria-sort") !== "ascending";
          for (j = 0; j < body.rows.length; j++) { rows.push([body.rows[j], j]); }
          rows.sort(function (a, b) {
            var x = val(a[0], k, kind === "num"), y = val(b[0], k, kind === "num"), d;
            d = kind === "num" ? x - y : (x.localeCompare ? x.localeCompare(y, "zh-CN") : (x < y ? -1 : x > y ? 1 : 0));
            if (!up) { d = -d; }
            return d || a[1] - b[1];
          });
          for (j = 0; j < rows.length; j++) { body.appendChild(rows[j][0]); }
          for (j = 0; j < heads.length; j++) { heads[j].removeAttribute("aria-sort"); }
          th.setAttribute("aria-sort", up ? "ascending" : "descending");
          table.setAttribute("data-sorted", k + (up ? "+" : "-"));
        };
      })(heads[i], i);
    }
  }
  var tables = document.getElementsByTagName("table"), t;
  for (t = 0; t < tables.length; t++) {
    if ((" " + tables[t].className + " ").indexOf(" sortable ") >= 0) { setup(tables[t]); }
  }
})();
"""

SORT_JS_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(SORT_JS.encode("utf-8")).digest()).decode("ascii") + "'"


def script_tag() -> str:
    """The inline <script> of a self-contained page (its CSP hash is SORT_JS_HASH)."""
    return f"<script>{SORT_JS}</script>"


__all__ = ["SORT_JS", "SORT_JS_HASH", "script_tag"]
