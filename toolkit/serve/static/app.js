/* bdt serve: plain ES5 (no fetch, no promises, no arrow functions), so older bundled browsers work too. */
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  function get(url, done) {
    var x = new XMLHttpRequest();
    x.open("GET", url, true);
    x.onreadystatechange = function () {
      if (x.readyState === 4 && x.status === 200) { try { done(JSON.parse(x.responseText)); } catch (e) { /* ignore */ } }
    };
    x.send(null);
  }

  // progress polling: a list of uploads, one pending result, or an export being made
  var box = $("progress") || $("export-busy");
  if (box && box.getAttribute("data-ids")) {
    var ids = box.getAttribute("data-ids");
    var total = parseInt(box.getAttribute("data-total") || "1", 10);
    var exportMode = box.getAttribute("data-export") === "1";
    var bar = $("bar");
    if (bar) { bar.style.width = (box.getAttribute("data-pct") || "0") + "%"; }
    var poll = function () {
      get("/api/status?ids=" + encodeURIComponent(ids), function (data) {
        var done = 0, i, it, row, cells;
        for (i = 0; i < data.items.length; i++) {
          it = data.items[i];
          var finished = exportMode ? (it.export !== "queued" && it.export !== "running")
                                    : (it.status !== "queued" && it.status !== "running");
          if (finished) { done++; }
          row = document.querySelector ? document.querySelector("tr[data-id='" + it.id + "']") : null;
          if (row && !exportMode) {
            cells = row.getElementsByTagName("td");
            cells[3].innerText = it.label;
            cells[3].className = "status st-" + it.status.replace(" ", "-");
            if (finished) { cells[4].innerText = it.errors; cells[5].innerText = it.warnings; cells[6].innerText = it.infos; }
          }
        }
        if ($("done")) { $("done").innerText = done; }
        if (bar) { bar.style.width = Math.round(100 * done / Math.max(total, 1)) + "%"; }
        if (done >= total) {
          if (box.getAttribute("data-reload") === "1" || exportMode) { window.location.reload(); }
          return;
        }
        setTimeout(poll, 1000);
      });
    };
    if (parseInt(box.getAttribute("data-done") || "0", 10) < total || exportMode) { setTimeout(poll, 700); }
  }

  // upload: size check before sending, drag and drop (sent with XMLHttpRequest + FormData)
  var form = $("upload");
  if (!form) { return; }
  var input = $("files"), drop = $("drop"), err = $("upload-error");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var maxFiles = parseInt(form.getAttribute("data-max-files"), 10);
  var dropped = null;
  function fail(text) { err.innerText = text; err.hidden = false; err.removeAttribute("hidden"); }
  function problem(files) {
    var size = 0, i;
    if (!files || !files.length) { return "请先选择文件。"; }
    if (files.length > maxFiles) { return "一次最多上传 " + maxFiles + " 个文件。"; }
    for (i = 0; i < files.length; i++) { size += files[i].size || 0; }
    if (size > maxBytes) { return "文件太大：一次最多 " + Math.round(maxBytes / 1048576) + " MB，请分几次上传。"; }
    return null;
  }
  function names(files) {
    var out = [], i;
    for (i = 0; i < files.length; i++) { out.push(files[i].name); }
    return "已选择 " + files.length + " 个文件：" + out.join("、");
  }
  function send(files) {
    var p = problem(files);
    if (p) { fail(p); return; }
    var data = new FormData(), i;
    data.append("csrf", form.elements.csrf.value);
    for (i = 0; i < files.length; i++) { data.append("files", files[i], files[i].name); }
    var x = new XMLHttpRequest();
    x.open("POST", form.action, true);
    x.setRequestHeader("Accept", "application/json");
    x.onreadystatechange = function () {
      if (x.readyState !== 4) { return; }
      if (x.status === 200) { window.location.href = JSON.parse(x.responseText).redirect; }
      else { fail("上传失败（" + x.status + "）。" + (x.status === 413 ? "文件太大。" : "请重试。")); }
    };
    $("submit").disabled = true;
    $("chosen").innerText = "正在上传……";
    x.send(data);
  }
  input.onchange = function () { dropped = null; if (input.files && input.files.length) { $("chosen").innerText = names(input.files); } };
  form.onsubmit = function (e) {
    var p = problem(dropped || input.files);
    if (p) { fail(p); if (e.preventDefault) { e.preventDefault(); } return false; }
    if (dropped) { send(dropped); if (e.preventDefault) { e.preventDefault(); } return false; }
    return true; // an ordinary form post
  };
  if (drop && window.FormData) {
    drop.ondragover = function (e) { e.preventDefault(); drop.className = "drop over"; };
    drop.ondragleave = function () { drop.className = "drop"; };
    drop.ondrop = function (e) {
      e.preventDefault();
      drop.className = "drop";
      dropped = e.dataTransfer && e.dataTransfer.files;
      if (dropped && dropped.length) { $("chosen").innerText = names(dropped); send(dropped); }
    };
  }
})();
