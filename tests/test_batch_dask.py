"""`bdt batch` on Dask: the same run_batch code path, on a local Dask cluster."""
from __future__ import annotations

from pathlib import Path

import pytest
from test_batch_support import corpus, corrupt_cases

from toolkit.batch import InlineExecutor, Options, run_batch
from toolkit.cli import main

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c


def _key(o):
    return (Path(o.path).name, o.department, o.status, dict(o.counts), dict(o.rules), o.folder, o.message)


def test_dask_executor_gives_the_same_results_as_local(cluster, tmp_path):
    from distributed import Client

    cases = corrupt_cases()
    paths = corpus()[:5] + [cases["truncated"], cases["entity_bomb"], cases["not_a_zip"]]
    with Client(cluster) as client:
        on_dask = run_batch(paths, Options(out_dir=str(tmp_path / "dask")), client.get_executor(pure=False))
        assert len(client.scheduler_info()["workers"]) == 2
    local = run_batch(paths, Options(out_dir=str(tmp_path / "local")), InlineExecutor())
    assert [_key(o) for o in on_dask.outcomes] == [_key(o) for o in local.outcomes]
    assert (tmp_path / "dask" / "summary.html").is_file()
    assert on_dask.exit_status == 2


def test_cli_with_scheduler_address(cluster, tmp_path, capsys):
    paths = corpus()[:3] + [corrupt_cases()["encrypted"]] if "encrypted" in corrupt_cases() else corpus()[:3]
    code = main(["batch", *map(str, paths), "--out", str(tmp_path / "out"), "--executor", "dask",
                 "--scheduler", cluster.scheduler_address, "--no-progress"])
    captured = capsys.readouterr()
    assert "Dask 集群" in captured.err
    assert code in (1, 2) and (tmp_path / "out" / "summary.csv").is_file()
    assert len((tmp_path / "out" / "summary.csv").read_text(encoding="utf-8-sig").splitlines()) == len(paths) + 1
