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
