"""toolkit.bureau: the one lookup of the bureau's files (rule settings, waivers) every front end uses."""
from __future__ import annotations

import pytest

from toolkit.bureau import BureauFiles, bureau_files, locate
from toolkit.config import DEFAULT_TEXT, ConfigError
from toolkit.waivers import WAIVERS_FILE, WaiverError

GOOD_WAIVERS = "waivers: []\n"
BAD_WAIVERS = "waivers: {\n"


@pytest.fixture
def tree(tmp_path):
    """root/.git (stops the search), root/bdt.toml, root/部门/a.xlsx with bdt-waivers.yaml beside it."""
    root = tmp_path / "root"
    (root / ".git").mkdir(parents=True)
    (root / "bdt.toml").write_text('ignore = ["P612"]\n', encoding="utf-8")
    dept = root / "部门"
    dept.mkdir()
    (dept / "a.xlsx").write_bytes(b"")
    (dept / WAIVERS_FILE).write_text(GOOD_WAIVERS, encoding="utf-8")
    return root


def test_a_workbook_finds_the_settings_above_it_and_the_waivers_beside_it(tree):
    book = tree / "部门" / "a.xlsx"
    assert locate(book) == (tree / "bdt.toml", tree / "部门" / WAIVERS_FILE)
    files = bureau_files(book)
    assert str(files.config.path) == str(tree / "bdt.toml")
    assert files.waivers is not None and files.waivers.path == tree / "部门" / WAIVERS_FILE
    assert "P612" in files.in_force().text() and files.in_force().text() != DEFAULT_TEXT
    # a folder (serve's data folder) looks in itself; its parents for the settings only
    assert locate(tree / "部门") == (tree / "bdt.toml", tree / "部门" / WAIVERS_FILE)
    assert locate(tree) == (tree / "bdt.toml", None)


def test_explicit_files_win(tree, tmp_path):
    other = tmp_path / "其他.toml"
    other.write_text('ignore = ["N506"]\n', encoding="utf-8")
    w = tmp_path / "w.yaml"
    w.write_text(GOOD_WAIVERS, encoding="utf-8")
    assert locate(tree / "部门" / "a.xlsx", config=other, waivers=w) == (other, w)
    files = bureau_files(tree / "部门" / "a.xlsx", config=str(other), waivers=str(w))
    assert "N506" in files.in_force().text() and "P612" not in files.in_force().text()
    assert files.waivers.path == w


def test_no_place_gives_only_the_explicit_files(tmp_path):
    assert bureau_files(None) == BureauFiles(None, None)
    assert bureau_files(None).in_force().text() == DEFAULT_TEXT
    w = tmp_path / "w.yaml"
    w.write_text(GOOD_WAIVERS, encoding="utf-8")
    assert locate(None, waivers=w) == (None, w)


def test_several_inputs_take_the_first_folder_with_a_waiver_file(tree, tmp_path):
    empty = tmp_path / "空"
    empty.mkdir()
    inputs = [str(tmp_path / "missing*.xlsx"), str(empty), str(tree / "部门")]
    cfg, wv = locate(inputs)
    assert wv == tree / "部门" / WAIVERS_FILE
    assert cfg is None  # a batch's workbooks each find their own settings (toolkit.config.check_configs)


def test_errors_are_the_loaders_own(tree, tmp_path):
    (tree / "部门" / WAIVERS_FILE).write_text(BAD_WAIVERS, encoding="utf-8")
    with pytest.raises(WaiverError) as exc:
        bureau_files(tree / "部门" / "a.xlsx")
    assert WAIVERS_FILE in exc.value.message and "YAML" in exc.value.message
    # the settings only (bdt fill): a bad waiver file is not read
    assert bureau_files(tree / "部门" / "a.xlsx", with_waivers=False).waivers is None
    (tree / "bdt.toml").write_text("ignore = [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as cexc:
        bureau_files(tree / "部门" / "a.xlsx")
    assert "bdt.toml" in cexc.value.message
    with pytest.raises(WaiverError) as missing:
        bureau_files(None, waivers=tmp_path / "没有.yaml")
    assert "找不到豁免文件" in missing.value.message
