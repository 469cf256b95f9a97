import numpy as np
import pandas as pd
import pytest
import torch

from paper_mtl.experiments import single_tasking as st
from paper_mtl.reporting import NOT_TESTABLE


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
    settings = st.settings_for("smoke")
    single = st.row_configs(settings, "nyud", "R-50", "deeplab", "single", 0, "cpu")
    assert [c["tasks"] for c in single] == [["edge"], ["seg"], ["norm"], ["depth"]]
    (uber,) = st.row_configs(settings, "fsv", "R-50", "uber", "se_adv", 0, "cpu")
    assert uber["se_decoder"] == "none" and uber["se_encoder"] == "task" and uber["adversarial"]
    assert st.row_configs(settings, "pascal", "R-26", "deeplab", "multi", 0, "cpu")[0]["probes"]
    with pytest.raises(ValueError, match="variant"):
        st.row_configs(settings, "pascal", "R-26", "deeplab", "best", 0, "cpu")
    table = st.run_table("7", "smoke")  # not trained at smoke: the paper's rows only
    assert set(table["source"]) == {"paper"} and list(table["variant"]) == ["single", "multi", "se_dec", "se"]
    claim = st.compare_variants({"7": table}, [("se", "multi")], "smoke")
    assert claim.verdict == NOT_TESTABLE and "not trained" in claim.ours and "+0.97" in claim.published


def test_claims_from_tables():
    table = pd.DataFrame({
        "backbone": ["R-26"] * 6, "variant": ["single", "multi", "se_adv"] * 2, "source": ["paper"] * 3 + ["ours"] * 3,
        "T": [1, 5, 5] * 2, "edge": [70.0, 60.0, 71.0, 70.0, 65.0, 64.0], "delta_m": [np.nan, 6.0, 0.1, 0.0, 3.0, 4.0],
        "params": [np.nan] * 3 + [10, 5, 6], "multiply_adds": [np.nan] * 3 + [10, 5, 20],
    })
    claim = st.compare_variants({"x": table}, [("se_adv", "multi")], "quick")
    assert claim.checks == {"x R-26: Δm se_adv < Δm multi": False} and claim.verdict == "not reproduced"
    assert st.multitask_drop({"x": table}, "quick").verdict == "reproduced"
    assert st.row_delta(table, "paper", "R-26", "multi", "single") == pytest.approx(100 * 10 / 70)
    trend = st.depth_trend(pd.DataFrame({"depth": [0, 1, 2], "s": [0.1, 0.5, 0.4]}), "s", True, "")
    assert trend.verdict == "reproduced"
    costs = pd.DataFrame({"backbone": ["R-26"] * 4 + ["R-50"] * 3,
                          "variant": ["single", "multi", "se_dec", "se", "single", "multi", "se_adv"],
                          "params": [50, 10, 11, 12, 90, 20, 30], "multiply_adds": [50, 10, 30, 50, 90, 20, 100]})
    checks = st.resource_tradeoff(costs).checks
    assert checks == {"R-26: multiply-adds multi < se_dec < se": True, "R-26: per-task SE adds < 25% parameters": True,
                      "R-26: single-task networks have more parameters than SE": True,
                      "R-50: multiply-adds multi < se_adv": True, "R-50: per-task SE adds < 25% parameters": False,
                      "R-50: single-task networks have more parameters than SE": True}


def test_train_row_at_smoke_scale():
    settings = st.settings_for("smoke")
    (config,) = st.row_configs(settings, "fsv", "R-26", "deeplab", "se_adv", 0, "cpu")
    config.update(train_size=4, val_size=4, probes=True, probe_images=4, shown_images=1, tsne_levels=2)
    result = st.train_row(config)
    assert set(result["metric"]) == {"seg", "albedo", "depth"}
    assert result["params"] > 0 and result["multiply_adds"] > 0
    probes = result["probes"]
    assert len(probes["separation"]) == 2 and set(probes["tsne"]["task"]) == {"seg", "albedo", "depth"}
    assert np.asarray(probes["predictions"]["output"]["seg"]).shape == (1, 16, 16)
    assert st.train_row(config)["metric"] == result["metric"]  # deterministic on CPU
