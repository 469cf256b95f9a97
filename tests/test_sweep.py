import json

import pandas as pd
import pytest

from paper_mtl.sweep import config_hash, run_sweep

CALLS: list[dict] = []


def square(config):
    CALLS.append(config)
    if config.get("boom"):
        raise RuntimeError("killed")
    return {"y": config["x"] ** 2, "table": pd.DataFrame({"a": [config["x"], 0.1]})}


def test_second_run_trains_nothing(tmp_path):
    CALLS.clear()
    configs = [{"x": 1}, {"x": 2}]
    first = run_sweep(square, configs, "s", cache=tmp_path, progress=False)
    assert len(CALLS) == 2
    second = run_sweep(square, configs, "s", cache=tmp_path, progress=False)
    assert len(CALLS) == 2
    assert [r["y"] for r in second] == [1, 4]
    pd.testing.assert_frame_equal(first[1]["table"], second[1]["table"])


def test_interrupted_sweep_keeps_finished_results(tmp_path):
    CALLS.clear()
    with pytest.raises(RuntimeError, match="killed"):
        run_sweep(square, [{"x": 3}, {"x": 4, "boom": True}], "s", cache=tmp_path, progress=False)
    files = list((tmp_path / "s").iterdir())
    assert [json.loads(f.read_text())["config"] for f in files] == [{"x": 3}]  # nothing half-written
    CALLS.clear()
    assert run_sweep(square, [{"x": 3}, {"x": 5}], "s", cache=tmp_path, progress=False)[0]["y"] == 9
    assert CALLS == [{"x": 5}]


def test_hash_depends_on_config_and_function():
    assert config_hash(square, {"x": 1, "z": 2}) == config_hash(square, {"z": 2, "x": 1})
    assert config_hash(square, {"x": 1}) != config_hash(square, {"x": 2})
    assert config_hash(square, {"x": 1}) != config_hash(run_sweep, {"x": 1})
    with pytest.raises(ValueError, match="JSON-serialisable"):
        config_hash(square, {"x": object()})


def test_bad_name(tmp_path):
    with pytest.raises(ValueError, match="plain name"):
        run_sweep(square, [], "a/b", cache=tmp_path)


def test_device_workers_match_in_process(tmp_path):
    """Two worker processes (CPU stand-ins for two GPUs) give the in-process results, in config order."""
    from paper_mtl.sweep import DeviceWorkers

    configs = [{"x": x} for x in range(4)]
    local = run_sweep(square, configs, "a", cache=tmp_path, progress=False)
    spread = run_sweep(square, configs, "b", cache=tmp_path, progress=False, executor=DeviceWorkers(["cpu", "cpu"]))
    assert [r["y"] for r in spread] == [r["y"] for r in local] == [0, 1, 4, 9]


def test_dask_local_cluster_matches_in_process(tmp_path):
    from distributed import Client, LocalCluster

    from paper_mtl.sweep import DaskExecutor

    configs = [{"x": x} for x in range(5)]
    local = run_sweep(square, configs, "a", cache=tmp_path, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
        remote = run_sweep(square, configs, "b", cache=tmp_path, progress=False, executor=DaskExecutor(client))
    for a, b in zip(local, remote):
        assert a["y"] == b["y"]
        pd.testing.assert_frame_equal(a["table"], b["table"])
    assert len(list((tmp_path / "b").glob("*.json"))) == 5
