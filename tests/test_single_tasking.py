import numpy as np
import pandas as pd
import pytest
import torch

from paper_mtl.data.store import save_split
from paper_mtl.experiments import single_tasking as st
from paper_mtl.experiments.single_tasking import claims as stc
from paper_mtl.claims import NOT_TESTABLE


def edge_f(pred_map, truth, tolerance):
    metric = st.EdgeF(tolerance)
    metric.update(torch.where(pred_map > 0, 10.0, -10.0).float(), truth)
    return metric.compute()


def test_edge_f_measure_tolerance():
    truth = torch.zeros(1, 1, 12, 12)
    truth[..., 6, 2:10] = 1
    assert edge_f(truth, truth, 0) == pytest.approx(1.0)
    shifted = torch.roll(truth, 1, dims=2)
    assert edge_f(shifted, truth, 1) == pytest.approx(1.0)
    assert edge_f(shifted, truth, 0) == pytest.approx(0.0, abs=1e-6)
    thick = truth + torch.roll(truth, 2, dims=2)  # half the predicted pixels are 2 px away
    assert edge_f(thick, truth, 1) == pytest.approx(2 * 0.5 * 1.0 / 1.5)
    ignored = truth.clone()
    ignored[..., :3, :] = -1  # ignored pixels count neither way
    assert edge_f(truth + (torch.arange(12) < 3).view(1, 1, 12, 1), ignored, 0) == pytest.approx(1.0)


def test_depth_loss_adds_the_gradient_term_and_normals_ignore_scale():
    depth = st.GRADIENT_DEPTH
    target = torch.linspace(1, 2, 64).view(1, 1, 8, 8)
    assert float(depth.compute_loss(target, target)) == 0.0
    assert float(depth.compute_loss(target + 0.3, target)) == pytest.approx(0.3)  # a constant offset has no gradient
    flat = torch.full_like(target, 1.5)
    l1 = float((flat - target).abs().mean())
    assert float(depth.compute_loss(flat, target)) > l1 + 0.01
    values, valid = depth.loss_map(target, torch.where(target > 1.5, target, torch.zeros_like(target)))
    assert valid.float().mean() == pytest.approx(0.5, abs=0.1)
    normals = st.UNIT_NORMAL
    n = torch.nn.functional.normalize(torch.randn(2, 3, 4, 4), dim=1)
    assert float(normals.compute_loss(5 * n, n)) == pytest.approx(0.0, abs=1e-6)
    assert isinstance(depth.new_metric(), st.PerImageRMSE) and isinstance(st.EDGE.new_metric(), st.EdgeF)


def test_scene_targets_fsv_classes_disparity_and_ignored_parts():
    n, size = 2, 4
    arrays = {
        "segment_semantic": np.array([[[0, 1, 2, 3]] * size, [[4, 5, 6, 8]] * size]),
        "parts": np.stack([np.zeros((size, size), int), np.ones((size, size), int)]),
        "depth_zbuffer": np.full((n, 1, size, size), 4.0, np.float32),
        "albedo": np.zeros((n, 3, size, size), np.float32),
        "edge_occlusion": np.zeros((n, 1, size, size), np.float32), "normal": np.zeros((n, 3, size, size)),
        "saliency": np.zeros((n, size, size), int),
    }
    fsv = st.scene_targets("fsv", arrays)
    assert set(fsv) == {"seg", "albedo", "depth"}
    names = st.scene_classes("street")
    expected = [[list(st.FSV_CLASSES).index(g) for c in row for g, members in st.FSV_CLASSES.items() if names[c] in members]
                for row in ([0, 1, 2, 3], [4, 5, 6, 8])]
    assert fsv["seg"][:, 0].tolist() == expected and np.allclose(fsv["depth"], 0.25)
    pascal = st.scene_targets("pascal", arrays)
    assert (pascal["parts"][0] == -1).all() and (pascal["parts"][1] == 1).all()


def test_row_configs_and_tables():
    settings = st.settings("smoke")
    single = st.row_configs(settings, "nyud", "R-50", "deeplab", "single", 0, "cpu")
    assert [c["tasks"] for c in single] == [["edge"], ["seg"], ["norm"], ["depth"]]
    (uber,) = st.row_configs(settings, "fsv", "R-50", "uber", "se_adv", 0, "cpu")
    assert uber["se_decoder"] == "none" and uber["se_encoder"] == "task" and uber["adversarial"]
    assert st.row_configs(settings, "pascal", "R-26", "deeplab", "multi", 0, "cpu")[0]["probes"]
    with pytest.raises(ValueError, match="variant"):
        st.row_configs(settings, "pascal", "R-26", "deeplab", "best", 0, "cpu")
    table = st.run_table("7", "smoke")  # not trained at smoke: the paper's rows only
    assert set(table["source"]) == {"paper"} and list(table["variant"]) == ["single", "multi", "se_dec", "se"]
    claim = stc.table7_claim(table, "smoke")
    assert claim.verdict == NOT_TESTABLE and "not trained" in claim.reason and "+0.97" in claim.published


def test_row_delta():
    table = pd.DataFrame({"backbone": ["R-26"] * 2, "variant": ["single", "multi"], "source": ["paper"] * 2,
                          "edge": [70.0, 60.0], "delta_m": [np.nan, 6.0]})
    assert st.row_delta(table, "paper", "R-26", "multi", "single") == pytest.approx(100 * 10 / 70)
    assert st.row_delta(table, "paper", "R-26", "multi") == 6.0 and np.isnan(st.row_delta(table, "ours", "R-26", "multi"))


def test_train_row_at_smoke_scale():
    settings = st.settings("smoke")
    (config,) = st.row_configs(settings, "fsv", "R-26", "deeplab", "se_adv", 0, "cpu")
    config.update(train_size=4, val_size=4, probes=True, probe_images=4, shown_images=1, tsne_levels=2)
    result = st.train_row(config)
    assert set(result["metric"]) == {"seg", "albedo", "depth"}
    assert result["params"] > 0 and result["multiply_adds"] > 0
    probes = result["probes"]
    assert len(probes["separation"]) == 2 and set(probes["tsne"]["task"]) == {"seg", "albedo", "depth"}
    assert np.asarray(probes["predictions"]["output"]["seg"]).shape == (1, 16, 16)
    assert st.train_row(config)["metric"] == result["metric"]  # deterministic on CPU


def fake_prepared(name, splits, tasks, n=3, size=32, seed=0):
    """A tiny prepared dataset in the converters' layout (PASCAL_MT or NYUv2 arrays) with ``tasks`` only."""
    rng = np.random.default_rng(seed)
    meta = {"source": f"/nowhere/{name}", "tasks": {
        "edge_texture": {"kind": "binary"},
        "segment_semantic": {"kind": "classes", "num_classes": 21 if name == "pascal_mt" else 13, "ignore_index": -1},
        "parts": {"kind": "classes", "num_classes": 7, "ignore_index": -1},
        "normal": {"kind": "normal"},
        "saliency": {"kind": "classes", "num_classes": 2, "ignore_index": -1},
        "depth_zbuffer": {"kind": "depth", "units": "m", "invalid": 0},
    }}
    for split in splits:
        normal = rng.normal(size=(n, 3, size, size)).astype(np.float32)
        edges = np.zeros((n, 1, size, size), np.float32)
        edges[:, :, 13] = 1  # a one-pixel line that nearest sampling to 8x8 would miss
        seg = np.zeros((n, size, size), np.int64)
        seg[..., size // 2:] = 1
        parts = rng.integers(0, 7, (n, size, size))
        parts[0] = -1  # no person: ignored whole, as the converter writes it
        parts[1] = 0  # no part pixel either
        every = {
            "edge_texture": edges, "segment_semantic": seg, "parts": parts,
            "normal": normal / np.linalg.norm(normal, axis=1, keepdims=True),
            "saliency": rng.integers(0, 2, (n, size, size)),
            "depth_zbuffer": rng.uniform(0.5, 5, (n, 1, size, size)).astype(np.float32),
        }
        arrays = {"rgb": rng.integers(0, 256, (n, 3, size, size), dtype=np.uint8), **{t: every[t] for t in tasks}}
        save_split(name, split, arrays, {**meta, "tasks": {t: meta["tasks"][t] for t in tasks}})


def test_prepared_pascal_and_nyuv2_replace_the_scenes(tmp_path, monkeypatch):
    """PASCAL and NYUD tables read the prepared datasets when present (FSV stays procedural); the source is in the
    data's meta and in every sweep config; class counts come from the manifests; edges survive the downsampling."""
    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path))
    assert [st.data_source(d) for d in st.DATASETS] == ["indoor scenes", "indoor scenes", "street scenes"]
    fake_prepared("pascal_mt", ["train"], st.PREPARED["pascal"].columns.values())
    assert st.data_source("pascal") == "indoor scenes"  # one split only: not used
    fake_prepared("pascal_mt", ["train", "val"], st.PREPARED["pascal"].columns.values())
    fake_prepared("nyuv2_mtan", ["train", "test"], ["segment_semantic", "normal", "depth_zbuffer"], n=2)
    assert [st.data_source(d) for d in st.DATASETS] == ["pascal_mt", "nyuv2_mtan", "street scenes"]
    st._scene_data.cache_clear()
    try:
        train, val = st.scene_data("pascal", 8, 2, 8, 0)
        nyud_train, nyud_val = st.scene_data("nyud", 8, 8, 8, 0)
    finally:
        st._scene_data.cache_clear()
    assert (len(train), len(val), len(nyud_train), len(nyud_val)) == (3, 2, 2, 2)  # cut to the sizes, or fewer
    assert train.meta["source"] == "pascal_mt" and nyud_val.meta["source"] == "nyuv2_mtan"
    assert nyud_val.meta["split"] == "test" and train.inputs.shape == (3, 3, 8, 8)
    assert list(train.targets) == list(st.DATASETS["pascal"].tasks)
    edge = train.targets["edge"]
    assert edge.shape == (3, 1, 8, 8) and edge[:, 0, 3].eq(1).all() and edge.sum() == 3 * 8  # max-pooled line
    assert (train.targets["parts"][:2] == -1).all() and (train.targets["parts"][2] >= 0).all()
    assert train.targets["sal"].shape == (3, 8, 8) and nyud_train.targets["depth"].shape == (2, 1, 8, 8)
    derived = nyud_train.targets["edge"]  # from the segmentation: a vertical boundary between columns 3 and 4
    assert derived.shape == (2, 1, 8, 8) and derived[..., 3:5].sum() > 0 and derived.sum() == derived[..., 3:5].sum()
    tasks = st.dataset_tasks("pascal")
    assert (tasks["seg"].channels, tasks["parts"].channels) == (21, 7)
    assert st.dataset_tasks("nyud")["seg"].channels == 13
    assert st.dataset_tasks("nyud", "indoor scenes")["seg"].channels == 11
    assert st.display_kinds("pascal")["seg"] == ("label", 21)
    settings = st.settings("smoke")
    (config,) = st.row_configs(settings, "pascal", "R-26", "deeplab", "multi", 0, "cpu")
    (procedural,) = st.row_configs(settings, "pascal", "R-26", "deeplab", "multi", 0, "cpu", "indoor scenes")
    assert config["data"] == "pascal_mt" and {k: v for k, v in config.items() if k != "data"} == {
        k: v for k, v in procedural.items() if k != "data"}  # the cache key differs by the source only
    assert st.row_configs(settings, "fsv", "R-50", "deeplab", "se_adv", 0, "cpu")[0]["data"] == "street scenes"
    with pytest.raises(ValueError, match="source"):
        st.row_configs(settings, "fsv", "R-50", "deeplab", "se_adv", 0, "cpu", "pascal_mt")
    config.update(train_size=3, val_size=2, probes=False)
    result = st.train_row(config)
    assert set(result["metric"]) == set(st.DATASETS["pascal"].tasks)
    st._scene_data.cache_clear()


def test_prepared_dataset_without_a_needed_task_fails_early(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path))
    fake_prepared("pascal_mt", ["train", "val"], ["edge_texture", "segment_semantic", "normal", "saliency"])
    with pytest.raises(ValueError, match=r"lacks \['parts'\].*column\(s\) \['parts'\]"):
        st.data_source("pascal")
    with pytest.raises(ValueError, match="parts"):  # before anything trains
        st.run_rows(st.TABLES["3a"].rows, "pascal", "smoke", progress=False)
    fake_prepared("nyuv2_labeled", ["train", "test"], ["normal", "depth_zbuffer"])
    with pytest.raises(ValueError, match=r"lacks \['segment_semantic'\].*\['edge', 'seg'\]"):
        st.data_source("nyud")  # the derived edges need the segmentation too
