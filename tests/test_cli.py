import json
import sys

from conftest import EXAMPLE, run


def bdt(*args):
    return run(sys.executable, "-m", "toolkit.cli", *args)


def test_show_prints_tables():
    r = bdt("show", str(EXAMPLE), "--table", "3")
    assert r.returncode == 0
    assert "2023年预算支出总表" in r.stdout and "224.31" in r.stdout and "事业运行" in r.stdout
    assert "收支总表" not in r.stdout


def test_cells_by_role_json():
    r = bdt("cells", "--role", "derived", str(EXAMPLE), "--format", "json")
    rows = json.loads(r.stdout)
    keyed = {(x["sheet"], x["cell"]) for x in rows}
    assert ("表3 支出总表", "C6") in keyed  # 合计
    assert all(x["role"] == "derived" and x["derivation"] for x in rows)
    inputs = json.loads(bdt("cells", "--role", "input", str(EXAMPLE), "--format", "json").stdout)
    assert ("表3 支出总表", "C6") not in {(x["sheet"], x["cell"]) for x in inputs}
    assert ("表3 支出总表", "D9") in {(x["sheet"], x["cell"]) for x in inputs}  # 2010350 基本支出


def test_unreadable_file_exit_2_with_chinese_message(tmp_path):
    p = tmp_path / "bad.xlsx"
    p.write_bytes(b"garbage")
    r = bdt("show", str(p))
    assert r.returncode == 2 and "不是有效的 .xlsx" in r.stderr
