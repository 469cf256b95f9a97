import json
import os
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
import pytest

from paper_mtl import sweep
from paper_mtl.sweep import DaskExecutor, DeviceWorkers, InProcess, config_hash, executor_from_env, run_sweep

CALLS: list[dict] = []


@pytest.fixture(autouse=True)
def _no_executor_from_env(monkeypatch):
    """A developer's own ``PAPER_MTL_EXECUTOR`` must not change what these tests run on."""
    monkeypatch.delenv("PAPER_MTL_EXECUTOR", raising=False)


# Worker functions live at module level: spawned DeviceWorkers and Dask worker processes import them by name.
def square(config):
    CALLS.append(config)
    if config.get("boom"):
        raise RuntimeError("killed")
    return {"y": config["x"] ** 2, "table": pd.DataFrame({"a": [config["x"], 0.1]})}


def timed_square(config):
    """``square`` after ``config["sleep"]`` seconds, noting its start time in ``<config["marks"]>/<x>``."""
    Path(config["marks"], str(config["x"])).write_text(repr(time.time()))
    time.sleep(config.get("sleep", 0))
    if config.get("die"):
        os._exit(1)
    return square(config)


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
    configs = [{"x": x} for x in range(4)]
    local = run_sweep(square, configs, "a", cache=tmp_path, progress=False)
    spread = run_sweep(square, configs, "b", cache=tmp_path, progress=False, executor=DeviceWorkers(["cpu", "cpu"]))
    assert [r["y"] for r in spread] == [r["y"] for r in local] == [0, 1, 4, 9]


def test_device_workers_failure_cancels_queue_and_keeps_finished(tmp_path):
    """A raising configuration stops the sweep without waiting for the queue; earlier results stay cached."""
    marks = tmp_path / "marks"
    marks.mkdir()
    fast = [{"x": x, "marks": str(marks)} for x in (0, 1)]
    failing = {"x": 2, "boom": True, "sleep": 0.3, "marks": str(marks)}
    queued = [{"x": x, "sleep": 1.0, "marks": str(marks)} for x in range(3, 13)]  # 5 s more on two workers
    with pytest.raises(RuntimeError, match="killed"):
        run_sweep(timed_square, fast + [failing] + queued, "s", cache=tmp_path, progress=False,
                  executor=DeviceWorkers(["cpu", "cpu"]))
    raised = time.time()
    assert raised - float((marks / "2").read_text()) < 3.0  # not the ~5.3 s of running the whole queue
    cached = [json.loads(f.read_text())["config"]["x"] for f in (tmp_path / "s").glob("*.json")]
    assert {0, 1} <= set(cached) and 2 not in cached and len(cached) < 5
    assert len(list(marks.iterdir())) < 8  # at most the running and the one handed-over configurations started


def test_device_workers_dead_worker_keeps_finished(tmp_path):
    """A worker that dies (e.g. killed for memory) surfaces as BrokenProcessPool; earlier results stay cached."""
    marks = tmp_path / "marks"
    marks.mkdir()
    configs = [{"x": 0}, {"x": 1}, {"x": 2, "die": True, "sleep": 0.3}]
    configs = [{**c, "marks": str(marks)} for c in configs]
    with pytest.raises(BrokenProcessPool):
        run_sweep(timed_square, configs, "s", cache=tmp_path, progress=False, executor=DeviceWorkers(["cpu", "cpu"]))
    cached = sorted(json.loads(f.read_text())["config"]["x"] for f in (tmp_path / "s").glob("*.json"))
    assert cached == [0, 1]


def test_dask_local_cluster_processes_match_in_process(tmp_path, monkeypatch):
    """Worker processes (not threads) import ``square`` to run it; ``dask:<address>`` in the environment picks them."""
    from distributed import LocalCluster

    configs = [{"x": x} for x in range(5)]
    local = run_sweep(square, configs, "a", cache=tmp_path, progress=False)
    monkeypatch.setattr(sweep, "_dask_clients", {})
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        monkeypatch.setenv("PAPER_MTL_EXECUTOR", f"dask:{cluster.scheduler_address}")
        try:
            remote = run_sweep(square, configs, "b", cache=tmp_path, progress=False)
            executor = executor_from_env()
            assert isinstance(executor, DaskExecutor) and executor.client is executor_from_env().client  # one client
            worker_pids = set(executor.client.run(os.getpid).values())
            assert len(worker_pids) == 2 and os.getpid() not in worker_pids
            with pytest.raises(RuntimeError, match="killed"):
                run_sweep(square, [{"x": 7}, {"x": 8, "boom": True}], "c", cache=tmp_path, progress=False)
        finally:
            for client in sweep._dask_clients.values():
                client.close()
    for a, b in zip(local, remote):
        assert a["y"] == b["y"]
        pd.testing.assert_frame_equal(a["table"], b["table"])
    assert len(list((tmp_path / "b").glob("*.json"))) == 5


def test_executor_from_env_forms(monkeypatch):
    assert isinstance(executor_from_env(), InProcess)  # unset
    for value in ("", "inprocess", " InProcess "):
        assert isinstance(executor_from_env(value), InProcess)
    monkeypatch.setenv("PAPER_MTL_EXECUTOR", "devices:cpu, cpu")
    workers = executor_from_env()
    assert isinstance(workers, DeviceWorkers) and workers.devices == ["cpu", "cpu"]
    assert executor_from_env("devices:cuda:0,cuda:1").devices == ["cuda:0", "cuda:1"]
    monkeypatch.setattr("torch.cuda.device_count", lambda: 2)
    assert executor_from_env("devices").devices == ["cuda:0", "cuda:1"]  # every visible GPU


@pytest.mark.parametrize(
    "value", ["threads", "inprocess:1", "devices:", "devices:gpu0", "devices:cuda:0,,cuda:1", "dask:", "dask"]
)
def test_executor_from_env_rejects(value):
    with pytest.raises(ValueError, match=f"PAPER_MTL_EXECUTOR='{value}'"):
        executor_from_env(value)


def test_run_sweep_reads_executor_from_env_only_when_needed(tmp_path, monkeypatch):
    run_sweep(square, [{"x": 1}], "s", cache=tmp_path, progress=False)
    monkeypatch.setenv("PAPER_MTL_EXECUTOR", "nonsense")
    assert run_sweep(square, [{"x": 1}], "s", cache=tmp_path, progress=False)[0]["y"] == 1  # all cached: not read
    with pytest.raises(ValueError, match="'nonsense' is not an executor"):
        run_sweep(square, [{"x": 2}], "s", cache=tmp_path, progress=False)


def test_an_edit_to_the_library_makes_the_cache_miss(tmp_path):
    """A copy of the package runs one sweep three times in fresh processes: the second is served from the cache,
    the third, after a library file changed, trains again (a cache never serves results of other code)."""
    import shutil
    import subprocess
    import sys

    import paper_mtl

    shutil.copytree(Path(paper_mtl.__file__).parent, tmp_path / "pkg" / "paper_mtl",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "probe_fn.py").write_text(
        "import os\n"
        "def work(config):\n"
        "    with open(os.environ['CALLS'], 'a') as f:\n"
        "        f.write('x')\n"
        "    return {'y': config['x'] * 2}\n")
    script = ("from paper_mtl.sweep import run_sweep, InProcess\nimport probe_fn\n"
              f"print(run_sweep(probe_fn.work, [{{'x': 3}}], 'probe', cache={str(tmp_path / 'cache')!r}, "
              "progress=False, executor=InProcess()))")
    calls = tmp_path / "calls"
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'pkg'}:{tmp_path}", "CALLS": str(calls)}

    def run() -> int:
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert result.returncode == 0 and "[{'y': 6}]" in result.stdout, result.stderr
        return len(calls.read_text())

    assert run() == 1
    assert run() == 1  # served from the cache
    metrics = tmp_path / "pkg" / "paper_mtl" / "metrics.py"
    metrics.write_text(metrics.read_text() + "\n# an edit\n")
    assert run() == 2  # the library changed: computed again
