"""Tests of paper 02's class-wise weighting (Eq. 2-4, 9-10)."""

import math

import pytest
import torch

from paper_mtl.tasks import get_tasks
from paper_mtl.weighting.base import StepContext
from paper_mtl.weighting.classwise import ClasswiseWeighting, classwise_gradient, quantile_bin_edges

MAIN, AUX = "depth_zbuffer", "reshading"
TASKS = get_tasks([MAIN, AUX])
AUX_TARGET = torch.tensor([0.2, 0.2, 0.8, 0.8]).reshape(1, 1, 1, 4)  # bins [0.5]: classes 0, 0, 1, 1
MAIN_TARGET = torch.ones(1, 1, 1, 4)


def _step(strategy: ClasswiseWeighting, d_main: tuple[float, float], d_aux: tuple[float, float], epoch: int = 0) -> dict:
    """One step where the main / auxiliary L1 errors are d_main[c] / d_aux[c] on the pixels of class c."""
    main_pred = (MAIN_TARGET + torch.tensor([d_main[0]] * 2 + [d_main[1]] * 2).reshape(1, 1, 1, 4)).requires_grad_()
    aux_pred = (AUX_TARGET + torch.tensor([d_aux[0]] * 2 + [d_aux[1]] * 2).reshape(1, 1, 1, 4)).requires_grad_()
    outputs = {MAIN: main_pred, AUX: aux_pred}
    targets = {MAIN: MAIN_TARGET, AUX: AUX_TARGET}
    losses = {t: TASKS[t].compute_loss(outputs[t], targets[t]) for t in TASKS}
    ctx = StepContext(None, None, targets, outputs, None, [], TASKS, 0, epoch, 0.0)
    logs = strategy.backward(losses, ctx)
    return {"logs": logs, "aux_grad": aux_pred.grad.flatten(), "main_grad": main_pred.grad.flatten()}


def _strategy(**kwargs) -> ClasswiseWeighting:
    s = ClasswiseWeighting(MAIN, AUX, bin_edges=[0.5], eps=1e-8, **kwargs)
    s.setup(None, TASKS)
    return s


def test_eq10_hand_computed() -> None:
    g = classwise_gradient(
        torch.tensor([0.9]), torch.tensor([1.0]), torch.tensor([2.0]),
        torch.tensor([0.4]), torch.tensor([0.6]), torch.tensor([1.0]), torch.tensor([0.3]), eps=0.01,
    )
    # ((0.9 - 1.0) / 2 + 0.01) / ((0.4 - 0.6) / 1 + 0.01) * 0.3 = (-0.04 / -0.19) * 0.3
    assert float(g) == pytest.approx(0.04 / 0.19 * 0.3, rel=1e-6)


def test_eq10_epsilon_guards_a_zero_denominator() -> None:
    g = classwise_gradient(
        torch.tensor([0.5]), torch.tensor([1.0]), torch.tensor([1.0]),
        torch.tensor([0.7]), torch.tensor([0.7]), torch.tensor([1.0]), torch.tensor([2.0]), eps=1e-3,
    )
    assert math.isfinite(float(g))
    assert float(g) == pytest.approx((-0.5 + 1e-3) / 1e-3 * 2.0)


def test_loss_is_eq4_weighted_sum() -> None:
    s = _strategy()
    s.weights = torch.tensor([0.5, 2.0], dtype=torch.float64)
    out = _step(s, (0.1, 0.1), (0.3, -0.2))
    # d/do_i of w^c (1/N) |o_i - y_i| with N = 4 points
    torch.testing.assert_close(out["aux_grad"], torch.tensor([0.5, 0.5, -2.0, -2.0]) / 4)
    torch.testing.assert_close(out["main_grad"], torch.full((4,), 0.25))


def test_n_counts_every_point_including_invalid_ones() -> None:
    tasks = get_tasks(["depth_zbuffer", "segment_semantic"], classes={"segment_semantic": 2})
    s = ClasswiseWeighting("depth_zbuffer", "segment_semantic")
    s.setup(None, tasks)
    s.weights = torch.tensor([1.0, 3.0], dtype=torch.float64)
    logits = torch.zeros(1, 2, 1, 4, requires_grad=True)
    outputs = {"depth_zbuffer": torch.ones(1, 1, 1, 4, requires_grad=True), "segment_semantic": logits}
    targets = {"depth_zbuffer": torch.ones(1, 1, 1, 4), "segment_semantic": torch.tensor([[[0, 1, -1, -1]]])}
    losses = {t: tasks[t].compute_loss(outputs[t], targets[t]) for t in tasks}
    s.backward(losses, StepContext(None, None, targets, outputs, None, [], tasks, 0, 0, 0.0))
    # cross-entropy at uniform logits: d/dlogit_k = (1/2 - [k = y]) per valid pixel, times w^y / N with N = 4
    expected = torch.tensor([[-0.5, 1.5, 0.0, 0.0], [0.5, -1.5, 0.0, 0.0]]).reshape(1, 2, 1, 4) / 4
    torch.testing.assert_close(logits.grad, expected)


def test_unit_weights_equal_plain_sum() -> None:
    out = _step(_strategy(), (0.1, -0.1), (0.3, -0.2))
    torch.testing.assert_close(out["aux_grad"], torch.tensor([1.0, 1.0, -1.0, -1.0]) / 4)


def test_first_adam_step_moves_by_lr_against_the_sign_of_eq10() -> None:
    s = _strategy(lr=0.1)
    _step(s, (0.4, 0.2), (0.3, 0.1))  # time 0: references only
    torch.testing.assert_close(s.weights, torch.ones(2, dtype=torch.float64))
    logs = _step(s, (0.3, 0.3), (0.2, 0.05))["logs"]
    # class 0: main and aux both fall -> g > 0 -> w down; class 1: aux falls, main rises -> g < 0 -> w up
    g = classwise_gradient(
        torch.tensor([0.3, 0.3]), torch.tensor([0.4, 0.2]), torch.tensor([0.4, 0.2]),
        torch.tensor([0.2, 0.05]), torch.tensor([0.3, 0.1]), torch.tensor([0.3, 0.1]),
        torch.tensor([0.4, 0.1]) / 4,
    )
    assert float(g[0]) == pytest.approx(0.075, rel=1e-6) and float(g[1]) == pytest.approx(-0.025, rel=1e-6)
    # the first Adam step is lr * m_hat / (sqrt(v_hat) + eps) = lr * sign(g)
    torch.testing.assert_close(s.weights, torch.tensor([0.9, 1.1], dtype=torch.float64))
    assert logs == pytest.approx({"w.0": 0.9, "w.1": 1.1})
    assert s.updates == 1


def test_printed_eq10_raises_a_pure_noise_class_and_lowers_a_helpful_one() -> None:
    """The toy behind notebook 02's caveat: class 0's auxiliary signal is learnable (its loss falls with the main
    loss), class 1's is pure noise (its loss stalls while the main loss falls). Read as printed, Eq. 10 divides the
    main change by an auxiliary change of ~0 for the noise class, so its weight goes *up*; the helpful class goes
    down. The paper's stated intent (drive unhelpful classes to zero) needs the opposite; we keep the printed rule."""
    s = _strategy(lr=0.05)
    main, aux = [0.5, 0.5], [0.4, 0.4]
    for _ in range(6):
        _step(s, tuple(main), tuple(aux))
        main = [m * 0.8 for m in main]
        aux = [aux[0] * 0.8, aux[1]]  # noise: the auxiliary loss of class 1 never falls
    w_helpful, w_noise = s.weights.tolist()
    assert w_noise > 1.0 > w_helpful
    assert s.updates == 5


def test_intent_reading_steps_with_the_sign_of_eq10() -> None:
    s = _strategy(lr=0.1, update="intent")
    _step(s, (0.4, 0.2), (0.3, 0.1))
    _step(s, (0.3, 0.3), (0.2, 0.05))  # class 0 helpful (both fall), class 1 harmful (aux falls, main rises)
    torch.testing.assert_close(s.weights, torch.tensor([1.1, 0.9], dtype=torch.float64))


def _run(update: str, main_factor: tuple[float, float], aux_next, units: int = 60) -> list[float]:
    s = _strategy(lr=0.05, update=update)
    main, aux = [0.5, 0.5], [0.4, 0.4]
    for k in range(units):
        _step(s, tuple(main), tuple(aux))
        main = [m * f for m, f in zip(main, main_factor)]
        aux = [aux[0] * 0.97, aux_next(k, aux[1])]
    return s.weights.tolist()


def test_the_two_readings_send_opposite_classes_to_zero() -> None:
    """Class 0 helps (its auxiliary and main losses fall together); class 1 harms (its auxiliary loss falls while
    the main loss rises). Within 60 units the literal rule zeroes the helpful class and raises the harmful one; the
    sign-corrected (intent) reading zeroes the harmful class, as Sec. 4 says the method should."""
    literal = _run("literal", (0.97, 1.01), lambda k, a: a * 0.97)
    intent = _run("intent", (0.97, 1.01), lambda k, a: a * 0.97)
    assert literal[0] == 0.0 and literal[1] > 1.0
    assert intent[1] == 0.0 and intent[0] > 1.0


def test_a_pure_noise_class_whose_auxiliary_loss_moves() -> None:
    """Class 1's auxiliary target is noise: its loss moves randomly around a constant while the main loss falls.
    Eq. 10 then divides a steady main fall by a random auxiliary change, so under either reading the noise class's
    weight random-walks (the two readings mirror each other about 1 until the ReLU bites) and neither drives it to
    zero within 60 units, while the helpful class 0 goes to zero (literal) or grows (intent) every time."""
    for seed in range(5):
        rng = torch.Generator().manual_seed(seed)
        noise = lambda k, a: 0.4 * (1 + 0.1 * float(torch.randn((), generator=rng)))  # noqa: E731
        literal = _run("literal", (0.97, 0.97), noise)
        rng.manual_seed(seed)
        intent = _run("intent", (0.97, 0.97), noise)
        assert literal[1] + intent[1] == pytest.approx(2.0)
        assert 0.5 < literal[1] < 1.5 and 0.5 < intent[1] < 1.5
        assert literal[0] == 0.0 and intent[0] > 3.0


def test_weights_never_negative() -> None:
    s = _strategy(lr=3.0)
    _step(s, (0.4, 0.4), (0.3, 0.3))
    for k in range(6):
        _step(s, (0.4 - 0.05 * (k + 1), 0.4 - 0.05 * (k + 1)), (0.3 - 0.04 * (k + 1), 0.3 - 0.04 * (k + 1)))
        assert bool((s.weights >= 0).all())
    torch.testing.assert_close(s.weights, torch.zeros(2, dtype=torch.float64))


def test_warmup_keeps_weights_but_tracks_previous_losses() -> None:
    s = _strategy(lr=0.1, warmup_epochs=1)
    _step(s, (0.4, 0.2), (0.3, 0.1), epoch=0)
    _step(s, (0.5, 0.5), (0.5, 0.5), epoch=0)
    torch.testing.assert_close(s.weights, torch.ones(2, dtype=torch.float64))
    _step(s, (0.4, 0.6), (0.4, 0.4), epoch=1)
    # after warm-up the change is measured from the last warm-up unit: class 0 co-moves (down), class 1 not
    torch.testing.assert_close(s.weights, torch.tensor([0.9, 1.1], dtype=torch.float64))


def test_interval_accumulates_batches_into_one_unit() -> None:
    s = _strategy(lr=0.1, interval=2)
    _step(s, (0.4, 0.2), (0.3, 0.1))
    _step(s, (0.4, 0.2), (0.3, 0.1))
    _step(s, (0.3, 0.3), (0.2, 0.05))
    torch.testing.assert_close(s.weights, torch.ones(2, dtype=torch.float64))
    _step(s, (0.3, 0.3), (0.2, 0.05))
    torch.testing.assert_close(s.weights, torch.tensor([0.9, 1.1], dtype=torch.float64))


def test_state_dict_round_trip_continues_identically() -> None:
    a = _strategy(lr=0.1)
    _step(a, (0.4, 0.2), (0.3, 0.1))
    _step(a, (0.3, 0.3), (0.2, 0.05))
    b = _strategy(lr=0.1)
    b.load_state_dict(a.state_dict())
    for s in (a, b):
        _step(s, (0.2, 0.35), (0.1, 0.04))
    torch.testing.assert_close(a.weights, b.weights)
    assert a.weights[0] < 0.9 and a.weights[1] > 1.1


def test_label_aux_uses_its_classes() -> None:
    tasks = get_tasks(["depth_zbuffer", "segment_semantic"], classes={"segment_semantic": 3})
    s = ClasswiseWeighting("depth_zbuffer", "segment_semantic", class_names=["a", "b", "c"])
    s.setup(None, tasks)
    labels = s.class_labels(torch.tensor([[0, 2, -1]]), torch.tensor([[True, True, False]]))
    torch.testing.assert_close(labels, torch.tensor([[0, 2, -1]]))
    logits = torch.zeros(1, 3, 1, 3, requires_grad=True)
    seg = torch.tensor([[[0, 2, 2]]])
    depth_pred = torch.ones(1, 1, 1, 3, requires_grad=True)
    outputs = {"depth_zbuffer": depth_pred, "segment_semantic": logits}
    targets = {"depth_zbuffer": torch.full((1, 1, 1, 3), 2.0), "segment_semantic": seg}
    losses = {t: tasks[t].compute_loss(outputs[t], targets[t]) for t in tasks}
    logs = s.backward(losses, StepContext(None, None, targets, outputs, None, [], tasks, 0, 0, 0.0))
    assert set(logs) == {"w.a", "w.b", "w.c"}


def test_quantile_bin_edges() -> None:
    values = torch.arange(1, 101, dtype=torch.float32).reshape(1, 1, 10, 10)
    edges = quantile_bin_edges(values, 4)
    assert edges == pytest.approx([25.75, 50.5, 75.25])
    counts = torch.bincount(torch.bucketize(values.flatten(), torch.tensor(edges)), minlength=4)
    assert counts.tolist() == [25, 25, 25, 25]
    mask = values > 50
    assert quantile_bin_edges(values, 2, mask) == pytest.approx([75.5])
    with pytest.raises(ValueError, match="distinct"):
        quantile_bin_edges(torch.ones(10), 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"main": "a", "aux": "a"}, "different"),
        ({"main": "a", "aux": "b", "lr": 0.0}, "lr"),
        ({"main": "a", "aux": "b", "interval": 0}, "interval"),
        ({"main": "a", "aux": "b", "bin_edges": [0.5, 0.2]}, "increasing"),
        ({"main": "a", "aux": "b", "update": "opposite"}, "unknown update .opposite."),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ClasswiseWeighting(**kwargs)


def test_setup_checks_tasks_and_bins() -> None:
    with pytest.raises(ValueError, match="bin_edges"):
        ClasswiseWeighting(MAIN, AUX).setup(None, TASKS)
    seg = get_tasks([MAIN, "segment_semantic"], classes={"segment_semantic": 3})
    with pytest.raises(ValueError, match="regression aux"):
        ClasswiseWeighting(MAIN, "segment_semantic", bin_edges=[0.5]).setup(None, seg)
    with pytest.raises(ValueError, match="needs main=.* and aux='normal' among the tasks"):
        ClasswiseWeighting(MAIN, "normal", bin_edges=[0.5]).setup(None, TASKS)


# ---- notebook 02's experiment helpers (no training) ----

from paper_mtl.experiments import classwise as experiments  # noqa: E402


def test_published_tables_satisfy_the_papers_own_orderings() -> None:
    """The published numbers show what the claims test: ours below the strongest other method for its main task on
    every dataset (Figures 2-4), Table 1's car pattern, and ours' run-time ratio below Pareto MTL's (Table 2)."""
    losses = experiments.published_losses()
    assert losses.loc[(losses["dataset"] == "street") & (losses["method"] == "Single T_d"), "td_loss"].item() == pytest.approx(0.001682)
    rivals = experiments.strongest_competitors(losses.assign(seed=0))
    for d, group in losses.groupby("dataset"):
        by = group.set_index("method")
        for task, column in experiments.LOSS.items():
            assert by.loc[experiments.OURS[task], column] < by.loc[rivals[d][task], column]
    from paper_mtl import published

    table1 = published.load("02_table1_depth_by_region").set_index(["metric", "region"])
    assert table1.loc[("Log L1", "Car region"), "multi"] < table1.loc[("Log L1", "Car region"), "single"]
    assert table1.loc[("Log L1", "Full image"), "multi"] > table1.loc[("Log L1", "Full image"), "single"]
    times = published.load("02_table2_runtime").set_index("method")["seconds_per_batch"]
    assert times["Linear Sum"] < times["Ours"] < times["Pareto MTL"]


def test_depth_region_metrics_by_hand() -> None:
    target = torch.tensor([1.0, 2.0, 4.0, 0.0]).reshape(1, 1, 1, 4)
    pred = torch.tensor([1.0, 3.0, 4.4, 9.0]).reshape(1, 1, 1, 4)
    seg = torch.tensor([0, 0, 1, 1]).reshape(1, 1, 4)
    table = experiments.depth_region_metrics(pred, target, seg, 2, (0.5, 8.0)).set_index(["region", "class"])
    # pixel 4 has no valid depth; ratios 1, 1.5, 1.1
    assert table.loc[("full", -1), "pixels"] == 3
    assert table.loc[("full", -1), "delta1"] == pytest.approx(200 / 3)
    assert table.loc[("inside", 0), "log_l1"] == pytest.approx(math.log(1.5) / 2)
    assert table.loc[("inside", 1), "delta1"] == pytest.approx(100.0)
    assert table.loc[("outside", 1), "log_l1"] == table.loc[("inside", 0), "log_l1"]


def test_split_sizes_follow_the_papers_proportions() -> None:
    assert experiments.split_sizes(240, (9, 1)) == (216, 24)
    assert experiments.split_sizes(1449, (795, 654)) == (795, 654)
    assert experiments.split_sizes(3475, (2975, 500)) == (2975, 500)
    assert experiments.split_sizes(24, (9, 1)) == (16, 8)


def test_method_names_and_preferences() -> None:
    assert experiments.METHODS[4:] == tuple(f"Pareto ({a},{b})" for a, b in experiments.PREFERENCES)
    with pytest.raises(ValueError, match="method"):
        experiments.make_strategy("Ours", {}, None)


# ---- notebook 02 on prepared real datasets (tiny fakes under a monkeypatched PAPER_MTL_DATA) ----


def _write_fake_cityscapes(src, n: dict[str, int], seed: int = 0) -> None:
    """The MTAN/LibMTL Cityscapes layout (7 classes, -1 = ignore, inverse depth with 0 = invalid) at 8x16."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for split, count in n.items():
        for folder in ("image", "label_7", "depth"):
            (src / split / folder).mkdir(parents=True)
        for i in range(count):
            depth = rng.uniform(0.01, 0.3, (8, 16, 1)).astype(np.float32)
            depth[:2] = 0.0
            np.save(src / split / "image" / f"{i}.npy", rng.uniform(0, 1, (8, 16, 3)).astype(np.float32))
            np.save(src / split / "label_7" / f"{i}.npy", rng.integers(-1, 7, (8, 16)).astype(np.float32))
            np.save(src / split / "depth" / f"{i}.npy", depth)


def _write_fake_nyuv2(name: str, n: dict[str, int], class_names: list[str], seed: int = 0) -> None:
    import numpy as np

    from paper_mtl.data.store import save_split

    rng = np.random.default_rng(seed)
    meta = {"tasks": {
        "segment_semantic": {
            "kind": "classes", "num_classes": len(class_names), "ignore_index": -1, "class_names": class_names,
        },
        "depth_zbuffer": {"kind": "depth", "units": "m", "invalid": 0},
    }}
    for split, count in n.items():
        depth = rng.uniform(0.5, 5, (count, 1, 24, 32)).astype(np.float32)
        depth[:, :, :3] = 0.0
        arrays = {
            "rgb": rng.integers(0, 256, (count, 3, 24, 32), dtype=np.uint8),
            "segment_semantic": rng.integers(-1, len(class_names), (count, 24, 32)),
            "depth_zbuffer": depth,
        }
        save_split(name, split, arrays, meta)


def test_prepared_real_datasets_replace_their_stand_ins(tmp_path, monkeypatch) -> None:
    """NYUv2 replaces the indoor stand-in and Cityscapes (written by its converter) the second street one: read
    at the profile's size from train / test with the split's limits, classes and weight names from the manifest,
    the source in the sweep configuration; Virtual KITTI's stand-in stays."""
    from paper_mtl.data.converters import prepare_cityscapes

    monkeypatch.setenv("PAPER_MTL_DATA", str(tmp_path / "data"))
    assert experiments.data_sources() == {name: experiments.PROCEDURAL for name in experiments.DATASETS}
    _write_fake_nyuv2("nyuv2_mtan", {"train": 20}, ["wall", "floor", "chair"])
    assert experiments.data_source("indoor") == experiments.PROCEDURAL  # no test split yet
    _write_fake_nyuv2("nyuv2_mtan", {"test": 12}, ["wall", "floor", "chair"], seed=1)
    _write_fake_cityscapes(tmp_path / "cityscapes", {"train": 4, "val": 3})
    prepare_cityscapes(tmp_path / "cityscapes", tmp_path / "data")
    assert experiments.data_sources() == {"street": "procedural", "indoor": "nyuv2_mtan", "street_cs": "cityscapes7"}
    assert experiments.class_names("indoor") == ["wall", "floor", "chair"]
    assert experiments.class_names("street_cs") == [str(c) for c in range(7)]
    assert "sky" in experiments.class_names("street_cs", experiments.PROCEDURAL)
    assert experiments.tasks_of("street_cs")["segment_semantic"].channels == 7

    s = experiments.settings("smoke")
    n_train, n_val = experiments.split_sizes(s.n_images, experiments.DATASETS["indoor"].split)
    experiments._dataset.cache_clear()
    try:
        train, val = experiments.dataset("indoor", "smoke")
        assert (len(train), len(val)) == (n_train, n_val) and n_val < 12 < n_train < 20
        assert train.inputs.shape == (n_train, 3, s.size, s.size) and val.targets["depth_zbuffer"].shape == (n_val, 1, s.size, s.size)
        assert train.meta["source"] == "nyuv2_mtan" and train.meta["classes"] == ["wall", "floor", "chair"]
        assert (train.targets["depth_zbuffer"] == 0).any() and (train.targets["segment_semantic"] == -1).any()
        train, val = experiments.dataset("street_cs", "smoke")
        assert (len(train), len(val)) == (4, 3) and train.meta["source"] == "cityscapes7"

        device = torch.device("cpu")
        config = experiments.run_config(s, "indoor", "Ours (main T_d)", 0, device)
        assert config["data"] == "nyuv2_mtan"
        assert experiments.run_config(s, "street", "Single T_s", 0, device)["data"] == experiments.PROCEDURAL
        result = experiments.train_run(config)
        assert [c for c in result["steps"].columns if c.startswith("w.")] == ["w.wall", "w.floor", "w.chair"]
        assert set(result["regions"]["class"]) == {-1, 0, 1, 2}
        assert math.isfinite(result["best"]["depth_zbuffer"]) and math.isfinite(result["best"]["segment_semantic"])
        result = experiments.train_run(experiments.run_config(s, "street_cs", "Ours (main T_s)", 0, device))
        assert len([c for c in result["steps"].columns if c.startswith("w.")]) == s.depth_bins
        assert math.isfinite(result["best"]["depth_zbuffer"]) and math.isfinite(result["best"]["segment_semantic"])
    finally:
        experiments._dataset.cache_clear()


def test_manifest_class_names() -> None:
    def meta(**seg) -> dict:
        return {"tasks": {"segment_semantic": {"kind": "classes", **seg}}}

    assert experiments.manifest_class_names(meta(num_classes=3, classes="NYUv2 3-class grouping")) == ["0", "1", "2"]
    assert experiments.manifest_class_names(meta(num_classes=2, class_names=["road", "car"])) == ["road", "car"]
    assert experiments.manifest_class_names(meta(classes=["road", "car"])) == ["road", "car"]
    with pytest.raises(ValueError, match="lists 2"):
        experiments.manifest_class_names(meta(num_classes=3, class_names=["road", "car"]))
    with pytest.raises(ValueError, match="neither num_classes"):
        experiments.manifest_class_names(meta(classes="unknown"))


def test_final_weights_per_seed_and_the_figure_draws_the_first_seed() -> None:
    import pandas as pd

    from paper_mtl.plots.classwise import weights_over_training

    history = pd.DataFrame([
        {"dataset": "street", "method": "Ours (main T_d)", "seed": seed, "step": step, "epoch": 0, "class": cls,
         "weight": w}
        for seed in (0, 1) for step in (1, 2) for cls, w in (("road", 1.0 - 0.5 * step * (seed + 1)), ("car", 1.0))
    ])
    final = experiments.final_weights(history)
    assert final[["seed", "class", "final_weight", "to_zero"]].values.tolist() == [
        [0, "road", 0.0, True], [0, "car", 1.0, False], [1, "road", -1.0, True], [1, "car", 1.0, False],
    ]
    fig = weights_over_training(history)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2 and list(lines[0].get_ydata()) == [0.5, 0.0]
