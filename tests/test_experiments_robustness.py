"""Notebook 01's experiment assembly: targets, Table 1/2 logic, the published-table audit, one tiny training."""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import torch

from paper_mtl.data.converters.taskonomy import TASKONOMY_TASKS
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.store import save_split
from paper_mtl.experiments import robustness as E
from paper_mtl.sweep import config_hash


def test_letters_cover_the_eleven_tasks_in_table_order():
    assert "".join(E.PAPER_NAMES) == "sdenrkKDAEp"
    assert set(E.TASK_LETTERS) == set(E.PAPER_NAMES)
    assert E.check_letters("sdK") == ["segment_semantic", "depth_zbuffer", "keypoints3d"]
    for bad in ("", "ss", "sx"):
        with pytest.raises(ValueError, match="bad task letters"):
            E.check_letters(bad)


def test_scale_targets_follows_mtrobust_scaling():
    n, h = 2, 3
    arrays = {
        "segment_semantic": np.ones((n, h, h), dtype=np.int64),
        "depth_zbuffer": np.full((n, 1, h, h), 2.0, dtype=np.float32),
        "depth_euclidean": np.full((n, 1, h, h), 127.998046875, dtype=np.float32),
        "normal": np.zeros((n, 3, h, h), dtype=np.float32),
        "principal_curvature": np.stack([np.full((h, h), 1.0), np.zeros((h, h))])[None].repeat(n, 0).astype(np.float32),
        **{k: np.full((n, c, h, h), 0.25, dtype=np.float32) for k, c in
           (("edge_texture", 1), ("keypoints2d", 1), ("reshading", 1), ("keypoints3d", 1), ("edge_occlusion", 1), ("rgb", 3))},
    }
    t = E.scale_targets(arrays)
    assert sorted(t) == sorted(E.TASK_LETTERS)
    assert t["d"][0, 0, 0, 0] == pytest.approx(math.log(1 + 1024) / math.log(2**16), rel=1e-6)
    assert t["D"][0, 0, 0, 0] == pytest.approx(1.0, rel=1e-6)  # 2^16 - 1 units of 1/512 m
    for letter in "ekrKEA":
        assert t[letter].min() == t[letter].max() == -0.5
    np.testing.assert_allclose(t["p"][0, :, 0, 0], [0.0, -1.0])
    assert t["s"].dtype == np.int64


def test_standardise_uses_training_statistics_per_channel():
    g = torch.Generator().manual_seed(0)
    train = MultiTaskData(torch.zeros(6, 3, 2, 2), {"n": 3 + 2 * torch.randn(6, 3, 2, 2, generator=g), "s": torch.zeros(6, 2, 2, dtype=torch.long)})
    test = MultiTaskData(torch.zeros(2, 3, 2, 2), {"n": torch.full((2, 3, 2, 2), 3.0), "s": torch.ones(2, 2, 2, dtype=torch.long)})
    tr, te = E.standardise(train, test)
    torch.testing.assert_close(tr.targets["n"].mean((0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(tr.targets["n"].std((0, 2, 3)), torch.ones(3), atol=1e-5, rtol=0)
    mean, std = (torch.tensor(v) for v in tr.meta["standardised"]["n"])
    torch.testing.assert_close(te.targets["n"][0, :, 0, 0], (3.0 - mean) / std)
    assert torch.equal(te.targets["s"], test.targets["s"])


def test_profiles_and_table1_pairs():
    quick = E.settings("quick")
    assert len(quick.table1_pairs()) == 12
    assert quick.seeds == 3 and E.settings("smoke").seeds == 2
    paper = E.settings("paper")
    pairs = paper.table1_pairs()  # 5 of the 11 mains, each with all 10 auxiliaries (PAPER_CUTS says why)
    assert len(pairs) == 50 and all(m != a for m, a in pairs) and {a for _, a in pairs} == set(E.PAPER_NAMES)
    assert "50 of the 110 pairs" in E.PAPER_CUTS
    assert paper.eps == pytest.approx(4 / 255) and paper.step_size == pytest.approx(1 / 255)
    with pytest.raises(ValueError, match="profile"):
        E.settings("huge")


def _pairs_frame():
    rows = [
        ("s", "Baseline", 0.0, True, 0.40, 0.10),
        ("s", "n", 0.1, True, 0.42, 0.12), ("s", "n", 0.01, True, 0.45, 0.11),
        ("s", "r", 0.1, True, 0.38, 0.09), ("s", "r", 0.01, True, 0.39, 0.08),
        ("d", "Baseline", 0.0, False, 0.50, 0.90),
        ("d", "n", 0.1, False, 0.55, 0.80), ("d", "n", 0.01, False, 0.45, 0.85),
        ("d", "r", 0.1, False, 0.49, 0.95), ("d", "r", 0.01, False, 0.60, 0.91),
    ]
    return pd.DataFrame(rows, columns=["main", "aux", "lambda_a", "higher_is_better", "clean", "pgd"])


def test_lambda_is_chosen_by_robust_score_in_the_right_direction():
    chosen = E.choose_lambda(_pairs_frame()).set_index(["main", "aux"]).lambda_a
    assert chosen.to_dict() == {("s", "n"): 0.1, ("s", "r"): 0.1, ("d", "n"): 0.1, ("d", "r"): 0.01}


def test_table1_marks_pairs_better_than_their_baseline():
    long = E.table1(_pairs_frame()).set_index(["main", "aux"])
    assert long.pgd_better.to_dict() == {("s", "n"): True, ("s", "r"): False, ("d", "n"): True, ("d", "r"): False}
    assert long.clean_better.to_dict() == {("s", "n"): True, ("s", "r"): False, ("d", "n"): False, ("d", "r"): False}
    counts = E.table1_counts(long.reset_index())
    assert counts == {"pairs": 4, "pgd_better": 2, "clean_better": 1, "pgd_fraction": 0.5, "clean_fraction": 0.25}
    wide = E.table1_wide(long.reset_index(), "pgd")
    assert list(wide.columns) == ["Baseline", "Normal", "Reshad"]
    assert wide.loc["SemSeg", "Normal"] == "**0.12**" and wide.loc["DepthZ", "Reshad"] == "0.91"
    assert wide.loc["SemSeg", "Baseline"] == "0.1"  # one seed: no s.e.


def test_table1_baseline_is_the_mean_over_its_seeds():
    frame = _pairs_frame()
    extra = frame[frame.aux == "Baseline"].assign(pgd=lambda f: f.pgd + 0.06)
    long = E.table1(pd.concat([frame, extra], ignore_index=True)).set_index(["main", "aux"])
    assert long.loc[("s", "n"), "baseline_pgd"] == pytest.approx(0.13)
    assert long.loc[("s", "n"), "baseline_pgd_seeds"] == pytest.approx((0.10, 0.16))
    assert not long.loc[("s", "n"), "pgd_better"]  # 0.12 at the chosen λ beat the first seed, not the mean 0.13
    assert E.table1_wide(long.reset_index(), "pgd").loc["SemSeg", "Baseline"] == "0.13 ± 0.03"


def test_published_table1_transcription_and_audit():
    pub = E.published_table1()
    assert len(pub) == 220 and set(pub.setting) == {"pgd", "clean"}
    cell = pub[(pub.setting == "pgd") & (pub.main == "s") & (pub.aux == "d")].iloc[0]
    assert cell.value == 19.32 and cell.baseline == 13.36 and cell.bold and cell.better
    counts, disagreements = E.audit_table1()
    assert counts.set_index("setting")[["stated_in_text", "bold_count", "value_count"]].to_dict("index") == {
        "pgd": {"stated_in_text": 90, "bold_count": 89, "value_count": 88},
        "clean": {"stated_in_text": 70, "bold_count": 65, "value_count": 65},
    }
    assert disagreements[["setting", "main", "aux"]].values.tolist() == [["pgd", "K", "e"]]
    assert "Key3D/Edge2D 50.8 vs baseline 49.7 (bold)" in E.audit_claim(counts, disagreements).ours


def test_published_table2_reads_the_typo_as_the_codes_value():
    t2 = E.published_table2().set_index(["main", "aux"]).lambda_a
    assert len(t2) == 110 and set(t2.unique()) == {0.1, 0.01}
    assert t2[("s", "e")] == 0.01 and t2[("d", "s")] == 0.1
    comparison = E.table2_comparison(_pairs_frame())
    assert comparison[["main", "aux", "published_lambda_a", "agree"]].values.tolist() == [
        ["s", "n", 0.1, True], ["s", "r", 0.1, True], ["d", "n", 0.01, False], ["d", "r", 0.1, False]]


def test_theory_curves_agree_with_the_closed_form():
    settings = E.settings("smoke")
    curves = E.theory_curves(settings, seed=0)
    assert len(curves) == len(settings.theory_correlations) * 11
    independent = curves[curves.rho == 0]
    np.testing.assert_allclose(independent.closed_form, 1 / np.sqrt(independent.M))
    assert all(c.state == "holds" for c in E.theory_claim(curves).checks)


def test_one_tiny_training_run_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER_MTL_CACHE", str(tmp_path))
    settings = E.settings("smoke")
    config = E._config(settings, "sd", {"s": 1.0, "d": 0.1}, ["s", "sd"], 0, torch.device("cpu"))
    a, b = E.train_and_measure(config), E.train_and_measure(config)
    assert [e["attack"] for e in a["attacks"]] == ["s", "sd"]
    assert a["grad_norm"] == b["grad_norm"]
    pd.testing.assert_frame_equal(a["attacks"][1]["table"], b["attacks"][1]["table"])
    table = a["attacks"][1]["table"].set_index("task")
    assert list(table.index) == ["s", "d"] and table.loc["s", "higher_is_better"] and not table.loc["d", "higher_is_better"]


def _fake_taskonomy(tasks, sizes=(("train", 5), ("test", 3)), side=24):
    """A tiny prepared Taskonomy in the converter's layout (under ``$PAPER_MTL_DATA``), with some pixels
    without geometry (depth and normals 0) and some unlabelled ones (segmentation -1)."""
    rng = np.random.default_rng(0)
    meta = {"source": "/fake/taskonomy", "tasks": {t: {k: v for k, v in TASKONOMY_TASKS[t].items() if k != "channels"}
                                                   for t in tasks}}
    for split, n in sizes:
        hw = (side, side)
        depth = rng.uniform(0.5, 8.0, (n, 1, *hw)).astype(np.float32)
        depth[:, :, :4] = 0.0
        arrays = {"rgb": rng.integers(0, 256, (n, 3, *hw), dtype=np.uint8)}
        for t in tasks:
            spec = TASKONOMY_TASKS[t]
            if spec["kind"] == "depth":
                arrays[t] = depth
            elif t == "normal":
                normal = rng.normal(size=(n, 3, *hw)).astype(np.float32)
                arrays[t] = normal / np.linalg.norm(normal, axis=1, keepdims=True) * (depth > 0)
            elif t == "segment_semantic":
                arrays[t] = rng.integers(-1, 18, (n, *hw)).astype(np.int64)
            else:
                arrays[t] = rng.uniform(0, 1, (n, spec["channels"], *hw)).astype(np.float32)
        building = f"bldg_{split}"
        save_split("taskonomy", split, arrays,
                   {**meta, "buildings": [building], "views": [f"{building}/point_{i}_view_0" for i in range(n)]})


def test_without_prepared_taskonomy_the_scenes_are_used(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path))
    settings = E.settings("smoke")
    assert E.scene_source() == "indoor scenes"
    config = E._config(settings, "s", {"s": 1.0}, ["s"], 0, torch.device("cpu"))
    assert config["data"] == {"size": 16, "n_train": 32, "n_test": 16, "seed": 0, "source": "indoor scenes"}
    assert E.settings_table(settings).iloc[0].to_dict() == {"setting": "data", "value": "indoor scenes"}
    E.require_tasks("sdenrkKDAEp", "indoor scenes")  # the scenes have every task
    _fake_taskonomy(["depth_zbuffer"], sizes=(("train", 2),))  # a train split alone is not enough
    assert E.scene_source() == "indoor scenes"


def test_prepared_taskonomy_replaces_the_scenes(tmp_path, monkeypatch):
    """Notebook 01 reads the prepared Taskonomy when both its splits exist: the configurations (cache keys) name
    it, classes come from the manifest, pixels without geometry stay masked through standardisation."""
    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path))
    monkeypatch.setenv("PAPER_MTL_CACHE", str(tmp_path / "cache"))
    settings = E.settings("smoke")
    scenes_config = E._config(settings, "sd", {"s": 1.0, "d": 0.1}, ["s", "sd"], 0, torch.device("cpu"))
    _fake_taskonomy([n for n in E.TASK_LETTERS.values() if n != "rgb"])
    assert E.scene_source() == "taskonomy" and E.taskonomy_letters() == "sdeknrKDAEp"
    config = E._config(settings, "sd", {"s": 1.0, "d": 0.1}, ["s", "sd"], 0, torch.device("cpu"))
    assert config["data"]["source"] == "taskonomy"
    assert config_hash(E.train_and_measure, config) != config_hash(E.train_and_measure, scenes_config)
    assert E.settings_table(settings).iloc[0].value == "taskonomy"
    E.scene_data.cache_clear()
    try:
        train, test = E.scene_data(16, 32, 16, 0, "taskonomy")
        assert (len(train), len(test)) == (5, 3)  # every view there is, when fewer than asked
        assert train.inputs.shape == (5, 3, 16, 16) and train.inputs.max() <= 1
        assert sorted(train.targets) == sorted(E.TASK_LETTERS)
        assert train.meta["segmentation_classes"] == 18
        assert "5 train views from buildings bldg_train" in train.meta["source"]
        assert "/fake/taskonomy" in train.meta["source"] and test.meta["source"] == train.meta["source"]
        assert train.targets["s"].dtype == torch.int64 and train.targets["s"].min() == -1
        assert train.targets["p"].shape == (5, 2, 16, 16)
        for letter in E.MASKED_LETTERS:  # no geometry: still exactly 0, so masked_l1 skips it
            for data in (train, test):
                assert (data.targets[letter][:, :, :2] == 0).all()
                assert (data.targets[letter][:, :, 4:] != 0).any(1).all()
            value = train.targets[letter]
            valid = value.movedim(1, -1)[(value != 0).any(1)]  # (valid pixels, channels)
            assert len(valid) > value[:, 0, 4:].numel()  # rows 0-3 of 24 px lack depth: rows 0-2 of 16 px
            torch.testing.assert_close(valid.mean(0), torch.zeros(valid.shape[1]), atol=1e-4, rtol=0)
            torch.testing.assert_close(valid.std(0), torch.ones(valid.shape[1]), atol=1e-4, rtol=0)
        tasks = E.scene_tasks("taskonomy", 18)
        assert tasks["d"].loss == tasks["n"].loss == "masked_l1" and tasks["e"].loss == "l1"
        assert tasks["s"].channels == 18
        result = E.train_and_measure(config)
    finally:
        E.scene_data.cache_clear()
    table = result["attacks"][1]["table"].set_index("task")
    assert list(table.index) == ["s", "d"] and np.isfinite(table.loc["d", "clean_loss"])


def test_prepared_taskonomy_without_a_needed_task_stops_before_training(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path))
    _fake_taskonomy(["segment_semantic", "depth_zbuffer", "edge_texture", "normal"])
    settings = E.settings("smoke")
    assert E.profile_letters(settings) == "sdek"
    monkeypatch.setattr(E.runs, "_sweep", lambda *a, **k: pytest.fail("trained despite a missing task"))
    for experiment in (E.robustness_vs_tasks, E.pair_table, E.algorithm1_comparison, E.lemma1_gradient_norms):
        with pytest.raises(ValueError, match=r"lacks task\(s\) \['keypoints2d'\]"):
            experiment(settings, device="cpu", progress=False)


def _fake_cityscapes(name="cityscapes7", sizes=(("train", 4), ("test", 2)), hw=(12, 24)):
    """A tiny prepared Cityscapes in the converter's layout: depth 0 (invalid) on the top rows, some labels -1."""
    rng = np.random.default_rng(1)
    for split, n in sizes:
        depth = rng.uniform(0.01, 0.2, (n, 1, *hw)).astype(np.float32)
        depth[:, :, :3] = 0.0
        arrays = {"rgb": rng.integers(0, 256, (n, 3, *hw), dtype=np.uint8),
                  "segment_semantic": rng.integers(-1, 7, (n, *hw)).astype(np.int64), "depth_zbuffer": depth}
        save_split(name, split, arrays, {"source": "/fake/cityscapes", "tasks": {
            "segment_semantic": {"kind": "classes", "num_classes": 7, "ignore_index": -1},
            "depth_zbuffer": {"kind": "depth", "invalid": 0}}})


def test_prepared_cityscapes_is_algorithm1s_data(tmp_path, monkeypatch):
    """Algorithm 1 trains on a prepared Cityscapes (as the paper), on its segmentation/depth pairs only, while the
    rest of notebook 01 keeps its own data; invalid depth stays masked."""
    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path))
    monkeypatch.setenv("PAPER_MTL_CACHE", str(tmp_path / "cache"))
    settings = dataclasses.replace(E.settings("paper"), algorithm1_pairs=("sd", "ds", "es", "ks"))
    assert E.algorithm1_source() == "indoor scenes" and E.algorithm1_pairs(settings, "indoor scenes") == ["sd", "ds", "es", "ks"]
    _fake_cityscapes()
    assert E.algorithm1_source() == "cityscapes7" and E.scene_source() == "indoor scenes"
    assert E.algorithm1_pairs(settings, "cityscapes7") == ["sd", "ds"]
    assert E.settings_table(settings).iloc[1].to_dict() == {"setting": "Algorithm 1 data", "value": "cityscapes7"}
    with pytest.raises(ValueError, match=r"lacks task\(s\) \['edge_texture'\] .*it has only segment_semantic, depth_zbuffer"):
        E.require_tasks("se", "cityscapes7")
    seen = []

    def stop_after_seeing(configs, progress):
        seen.extend(configs)
        raise InterruptedError

    monkeypatch.setattr(E.runs, "_sweep", stop_after_seeing)
    with pytest.raises(InterruptedError):
        E.algorithm1_comparison(E.settings("smoke"), device="cpu", progress=False)
    assert {c["data"]["source"] for c in seen} == {"cityscapes7"} and {c["tasks"] for c in seen} == {"s", "sd"}
    E.scene_data.cache_clear()
    try:
        train, test = E.scene_data(8, 32, 16, 0, "cityscapes7")
        assert (len(train), len(test)) == (4, 2) and train.inputs.shape == (4, 3, 8, 16)
        assert sorted(train.targets) == ["d", "s"] and train.meta["segmentation_classes"] == 7
        assert "prepared cityscapes7 (converted from /fake/cityscapes)" in train.meta["source"]
        assert (train.targets["d"][:, :, :2] == 0).all() and (train.targets["d"][:, :, 3:] != 0).all()
        tasks = E.scene_tasks("cityscapes7", 7)
        assert tasks["d"].loss == "masked_l1" and tasks["s"].channels == 7
        result = E.train_and_measure(seen[-1])
    finally:
        E.scene_data.cache_clear()
    assert np.isfinite(result["attacks"][0]["table"].set_index("task").loc["s", "clean_loss"])
