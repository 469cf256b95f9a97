"""Notebook 05's experiment helpers without training: published tables, Δm, statistics, strategies per model and
method, profiles, the prepared NYUv2."""

import numpy as np
import pandas as pd
import pytest

from paper_mtl import published
from paper_mtl.data.digits import digit_source
from paper_mtl.data.store import save_split
from paper_mtl.experiments import orthogonal as E
from paper_mtl.profiles import decisive_seeds
from paper_mtl.weighting.base import WeightedSum
from paper_mtl.weighting.cosreg import CosineMonitor, CosReg
from paper_mtl.weighting.gradnorm import GradNorm
from paper_mtl.weighting.uncertainty import Uncertainty


def test_published_tables_name_our_models_and_methods():
    assert list(published.load("05_table1_multidigit")["model"]) == list(E.MODELS)
    assert list(published.load("05_table2_nyuv2")["method"]) == list(E.METHODS)


def test_delta_m_of_the_published_table2():
    table = published.load("05_table2_nyuv2")
    delta = E.delta_m_runs(table).set_axis(table["method"])
    # CosReg: (0.646/0.663 - 1 + 0.747/0.775 - 1 + 0.053/0.051 - 1) / 3, in percent
    expected = 100 * ((0.646 - 0.663) / 0.663 + (0.747 - 0.775) / 0.775 + (0.053 - 0.051) / 0.051) / 3
    assert delta["CosReg"] == pytest.approx(expected)
    assert delta["Single Task"] == 0.0 and delta["Equal Task Weights"] > 0 > delta["Gradnorm"]


def test_correlation():
    sigma = np.array([0.1, 0.2, 0.3, 0.4])
    stats = E.correlation(sigma, 100 - 10 * sigma**2)
    assert stats["spearman_rho"] == pytest.approx(-1.0) and stats["n"] == 4
    assert np.isnan(E.correlation(sigma, np.ones(4))["spearman_rho"])


def test_rolling_sigma_and_its_windows():
    steps = np.arange(6)
    cosines = pd.concat([
        pd.DataFrame({"model": m, "seed": 0, "step": steps, "epoch": 0, "cos": c})
        for m, c in zip(E.MODELS, ([1, -1, 1, -1, 0.5, 0.4], [0.1, 0, 0.1, 0, 0.0, 0.2], *([[0.0] * 6] * 3)))
    ])
    rolling = E.rolling_sigma(cosines, window=2)
    no_reg = rolling[rolling["model"] == "No reg"]["rolling_sigma"].tolist()
    assert np.isnan(no_reg[0]) and no_reg[1:] == pytest.approx([1.0, 1.0, 1.0, 0.75, 0.05])
    windows = E.rolling_windows(cosines, window=2).set_index("model")
    assert windows.loc["No reg", "first"] == pytest.approx(1.0) and windows.loc["No reg", "last"] == pytest.approx(0.05)
    assert windows.loc["Dropout", "last"] == pytest.approx(0.1)


def test_strategies_per_model_and_method():
    assert isinstance(E.make_strategy("No reg"), CosineMonitor)
    assert isinstance(E.make_strategy("Batchnorm").strategy, WeightedSum)
    cosreg = E.make_strategy("CosReg(α=0.1) + Batchnorm")
    assert isinstance(cosreg, CosReg) and cosreg.alpha == 0.1 and not cosreg.scale_by_loss
    assert isinstance(E.scene_strategy("Gradnorm", 10.0), GradNorm)
    assert isinstance(E.scene_strategy("Kendall", 10.0), Uncertainty)
    scene = E.scene_strategy("CosReg", 10.0)
    assert scene.alpha == 10.0 and scene.scale_by_loss
    with pytest.raises(ValueError, match="model"):
        E.make_strategy("CosReg")
    with pytest.raises(ValueError, match="method"):
        E.scene_strategy("MGDA", 1.0)


def test_profiles_and_scene_tasks():
    quick, paper = E.settings("quick"), E.settings("paper")
    # the paper's image size, network, batch, lr and runs; a quarter of its splits and batch 8 (PAPER_CUTS says why)
    assert (paper.digit_sizes, paper.image_size, paper.filters, paper.batch_size, paper.lr, paper.runs) == ((4000, 1000, 2000), 64, 20, 64, 1e-3, 5)
    assert (paper.scene_batch_size, paper.scene_lr, paper.scene_train, paper.scene_test) == (8, 1e-4, 795, 654)
    assert "a quarter of MultiDigit's splits" in E.PAPER_CUTS and "batch 8 instead of 2" in E.PAPER_CUTS
    for s in E.SETTINGS.values():
        assert s.filters in s.grid_filters and s.batch_size in s.grid_batch_sizes and s.lr in s.grid_lrs
        assert s.grid_runs <= s.runs  # Figure 3's grid reuses Table 1's runs
    for profile, s in E.SETTINGS.items():
        assert s.runs >= decisive_seeds(profile)  # Table 1's runs are the seeds of its paired comparisons
    assert quick.window == 50
    with pytest.raises(ValueError, match="profile"):
        E.settings("full")
    tasks = E.scene_tasks(11)
    assert tasks["segment_semantic"].channels == 11
    assert (tasks["depth_zbuffer"].loss, tasks["depth_zbuffer"].metric) == ("masked_mse", "rmse")
    assert (tasks["normal"].loss, tasks["normal"].metric) == ("masked_mse", "one_minus_abs_cos")
    config = E.multidigit_config(quick, "No reg", 3, __import__("torch").device("cpu"), 0)
    assert config["seed"] == 3 and config["filters"] == 20 and config["device"] == "cpu"
    assert config["data"] == digit_source()  # the cache key sees which digits trained the model


def test_prepared_nyuv2_replaces_the_scenes(tmp_path, monkeypatch):
    """Table 2 reads the prepared NYUv2 when it exists: inputs at 4x the target size, classes from its manifest."""
    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path))
    rng = np.random.default_rng(0)
    meta = {"tasks": {
        "segment_semantic": {"kind": "classes", "num_classes": 13},
        "depth_zbuffer": {"kind": "depth", "units": "m", "invalid": 0},
        "normal": {"kind": "normal"},
    }}
    for split, n in (("train", 3), ("test", 2)):
        normal = rng.normal(size=(n, 3, 32, 32)).astype(np.float32)
        arrays = {
            "rgb": rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8),
            "segment_semantic": rng.integers(-1, 13, (n, 32, 32)),
            "depth_zbuffer": rng.uniform(0.5, 5, (n, 1, 32, 32)).astype(np.float32),
            "normal": normal / np.linalg.norm(normal, axis=1, keepdims=True),
        }
        save_split("nyuv2", split, arrays, meta)
    assert E.scene_source() == "nyuv2"
    E._scenes.cache_clear()
    try:
        train, test, classes, source = E._scenes(3, 2, 4, 0, E.scene_source())
    finally:
        E._scenes.cache_clear()
    assert (source, classes, len(train), len(test)) == ("nyuv2", 13, 3, 2)
    assert train.inputs.shape == (3, 3, 16, 16)
    assert train.targets["segment_semantic"].shape == (3, 4, 4) and test.targets["normal"].shape == (2, 3, 4, 4)
