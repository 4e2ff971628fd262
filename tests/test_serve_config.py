"""`bdt serve --config` and the data folder's own bdt.toml: the running server (its own process,
over HTTP) checks uploads under the bureau's rule settings and says so on the result page, in the
report and in the bureau's summary."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

import toolkit
from conftest import EXAMPLE, ROOT
from toolkit.config import load_config
from toolkit.findings import ERROR
from toolkit.rules import validate

pytest.importorskip("starlette")

from test_serve import BUREAU, Client, Server, free_port  # noqa: E402

# the seed's four errors are P601, P604, N504, N505 (tests/test_waivers.py)
EXPLICIT = 'ignore = ["P601"]\n\n[severity]\nP604 = "warning"\n'
OWN = 'ignore = ["N504", "N505"]\n'


def expected_errors(config_path) -> list:
    """The seed's open errors under these settings, by the library itself."""
    d = toolkit.load(EXAMPLE)
    return sorted(f.rule for f in validate(d, config=load_config(config_path)) if f.severity == ERROR)


def upload_seed(s):
    c = Client(s.url)
    ids = c.upload([("单位.xlsx", EXAMPLE.read_bytes())])
    item = c.wait(ids)[0]
    return c, ids[0], item


def test_serve_config_is_used_and_shown(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "bdt.toml").write_text(OWN, encoding="utf-8")  # --config wins over the data folder's own
    cfg = tmp_path / "设置" / "局里.toml"
    cfg.parent.mkdir()
    cfg.write_text(EXPLICIT, encoding="utf-8")
    assert expected_errors(cfg) == ["N504", "N505"]
    with Server(data, "--config", str(cfg)) as s:
        c, sid, item = upload_seed(s)
        assert item["status"] == "errors" and item["errors"] == 2
        page = c.get(f"/s/{sid}")[2].decode("utf-8")
        assert 'id="config">规则设置：配置文件 局里.toml' in page and "P601" in page
        assert str(tmp_path) not in page  # the server's folders are not shown to a clerk
        status, _, body = c.get(f"/s/{sid}/download/report.json")
        report = json.loads(body)["files"][0]
        assert status == 200 and report["config"]["default"] is False
        assert sorted(f["rule"] for f in report["findings"] if f["severity"] == "error") == ["N504", "N505"]
        assert "P604" in report["config"]["severity"]
        html_status, _, html = c.get(f"/s/{sid}/download/report.html")
        assert html_status == 200 and "局里.toml" in html.decode("utf-8")
        bureau = Client(s.url)
        assert bureau.post("/bureau/login", {"csrf": bureau.csrf(), "password": BUREAU})[0] == 303
        status, _, body = bureau.post("/bureau/summary", {"csrf": bureau.csrf(), "ids": [sid], "format": "csv"})
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert status == 200 and len(rows) == 1
        assert rows[0]["错误"] == "2" and "局里.toml" in rows[0]["规则设置"]
        assert "规则设置：配置文件" in s.output()  # printed at the start


def test_the_data_folders_own_settings_and_the_default(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "bdt.toml").write_text(OWN, encoding="utf-8")
    assert expected_errors(data / "bdt.toml") == ["P601", "P604"]
    with Server(data) as s:
        c, sid, item = upload_seed(s)
        assert item["errors"] == 2
        page = c.get(f"/s/{sid}")[2].decode("utf-8")
        assert "规则设置：配置文件 bdt.toml" in page and "N504" in page
        # the bureau edits the file while the server runs: the next upload is checked under the new one
        (data / "bdt.toml").unlink()
        c2, sid2, item2 = upload_seed(s)
        assert item2["errors"] == 4
        assert 'id="config">规则设置：默认规则设置' in c2.get(f"/s/{sid2}")[2].decode("utf-8")


def test_a_bad_config_stops_the_server_before_it_starts(tmp_path):
    bad = tmp_path / "坏.toml"
    bad.write_text('ignore = ["P601"]\n[severity]\nP604 = "fatal"\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "toolkit.cli", "serve", "--data", str(tmp_path / "data"),
                        "--port", str(free_port()), "--config", str(bad)], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2
    assert "坏.toml" in r.stderr and "第 3 行" in r.stderr and "fatal" in r.stderr, r.stderr
