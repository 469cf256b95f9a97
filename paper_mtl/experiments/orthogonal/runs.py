"""Notebook 05's training runs: each one a cached :func:`paper_mtl.sweep.run_sweep` configuration. MultiDigit's
Table 1 (:func:`table1`) and Figure 3's grid (:func:`sigma_accuracy_grid`, with :func:`correlation`), and the scenes'
Table 2 analogue (:func:`table2`, with :func:`delta_m_runs`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import pearsonr, spearmanr

from paper_mtl import published
from paper_mtl.claims import format_mean_se, seed_list
from paper_mtl.data.digits import digit_source
from paper_mtl.experiments.orthogonal.config import (
    ERROR_COLUMNS, METHODS, MODELS, PAIR, SCENE_TASKS, Settings, settings,
)
from paper_mtl.experiments.orthogonal.data import (
    _digits, _scenes, mean_depth, mean_normal_error, scene_source, scene_tasks,
)
from paper_mtl.gradients import cosine_statistics
from paper_mtl.metrics import delta_m, harmonic_mean
from paper_mtl.models.multidigit import multidigit_net
from paper_mtl.models.segnet import SegNet
from paper_mtl.profiles import check_choice, decisive_seeds, resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.training import evaluate, fit, seed_everything
from paper_mtl.weighting import build, describe, get_strategy
from paper_mtl.weighting.base import Strategy


# ----------------------------------------------------------------------------------------------------------
# MultiDigit (Sec. 4): Figure 1, Table 1, Figures 2-4
# ----------------------------------------------------------------------------------------------------------


def make_strategy(model: str) -> Strategy:
    """Table 1's training strategy of ``model`` (a key of :data:`MODELS`)."""
    check_choice("model", model, MODELS)
    alpha = MODELS[model][1]
    if alpha is None:
        return get_strategy("cosine_monitor", strategy=get_strategy("weighted_sum"))
    return get_strategy("cosreg", alpha=alpha)


def train_multidigit(config: Mapping[str, Any]) -> dict[str, Any]:
    """Train one MultiDigit model (a :func:`run_sweep` function): returns its accuracies (%), the per-step cosines
    and their statistics over training (``sigma``) and over the first epoch (``sigma_first_epoch``)."""
    data = _digits(tuple(config["digit_sizes"]), config["image_size"], config["data_seed"], config["data"])
    variant = MODELS[config["model"]][0]
    seed_everything(config["seed"])
    net = multidigit_net(filters=config["filters"], variant=variant, size=config["image_size"])
    result = fit(
        net, ["left", "right"], data["train"], data["val"], strategy=build(config["strategy"]),
        epochs=config["epochs"], batch_size=config["batch_size"], lr=config["lr"], seed=config["seed"],
        device=config["device"], progress=False,
    )
    test = evaluate(result.model, ["left", "right"], data["test"], device=config["device"])["metric"]
    val = {t: result.final(f"val_metric.{t}") for t in ("left", "right")}
    steps = result.steps
    cosines = steps[PAIR].to_numpy(dtype=np.float64)
    first = steps.loc[steps["epoch"] == 0, PAIR]
    return {
        "val_hm": 100 * harmonic_mean(list(val.values())),
        "test_hm": 100 * harmonic_mean(list(test.values())),
        "test_left": 100 * test["left"],
        "test_right": 100 * test["right"],
        "sigma": cosine_statistics(cosines)["std"],
        "mean_cos": cosine_statistics(cosines)["mean"],
        "sigma_first_epoch": cosine_statistics(first)["std"],
        "cosines": cosines.tolist(),
        "epoch_of_step": steps["epoch"].astype(int).tolist(),
    }


def multidigit_config(
    s: Settings, model: str, seed: int, device: torch.device, data_seed: int,
    filters: int | None = None, batch_size: int | None = None, lr: float | None = None,
) -> dict[str, Any]:
    """One MultiDigit run's sweep configuration (defaults: Table 1's filters, batch size and learning rate) with the
    model's strategy described (:func:`make_strategy`, :func:`~paper_mtl.weighting.describe`). It names the digit
    source (``"mnist"`` or ``"sklearn"``), so results cached on one source are never reused for the other."""
    check_choice("model", model, MODELS)
    return {
        "model": model, "strategy": describe(make_strategy(model)), "filters": filters or s.filters,
        "batch_size": batch_size or s.batch_size, "lr": lr or s.lr,
        "seed": seed, "epochs": s.epochs, "digit_sizes": list(s.digit_sizes), "image_size": s.image_size,
        "data_seed": data_seed, "data": digit_source(), "device": device.type,
    }


def _run_table(configs: list[dict[str, Any]], results: list[dict[str, Any]]) -> pd.DataFrame:
    keys = ("model", "filters", "batch_size", "lr", "seed")
    scalars = ("val_hm", "test_hm", "test_left", "test_right", "sigma", "mean_cos", "sigma_first_epoch")
    return pd.DataFrame([{**{k: c[k] for k in keys}, **{k: r[k] for k in scalars}} for c, r in zip(configs, results)])


def _cosine_table(configs: list[dict[str, Any]], results: list[dict[str, Any]]) -> pd.DataFrame:
    frames = [
        pd.DataFrame({"model": c["model"], "seed": c["seed"], "step": np.arange(len(r["cosines"])), "epoch": r["epoch_of_step"], "cos": r["cosines"]})
        for c, r in zip(configs, results)
    ]
    return pd.concat(frames, ignore_index=True)


def table1(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> dict[str, pd.DataFrame]:
    """Table 1 (and the runs behind Figures 2 and 4): every model of :data:`MODELS` trained ``runs`` times.

    The runs are seeds ``seed, seed + 1, ...``: the claims compare models paired by seed (``runs`` is at least
    :func:`~paper_mtl.profiles.decisive_seeds`). Returns ``runs`` (one row per run), ``cosines`` (one row per run
    and step: the cosine of that step) and ``table`` (per model: accuracy and σ as mean ± s.e. over runs, the
    published values beside; the paper's ``acc_std`` is the value it prints in parentheses).
    """
    s, device = settings(profile), resolve_device(device)
    configs = [multidigit_config(s, m, r, device, seed) for m in MODELS for r in seed_list(seed, s.runs)]
    results = run_sweep(train_multidigit, configs, "05_multidigit", progress=progress)
    runs = _run_table(configs, results)
    grouped = runs.groupby("model", sort=False)
    table = pd.DataFrame({
        "model": list(MODELS),
        "runs": [len(grouped.get_group(m)) for m in MODELS],
        "acc": [format_mean_se(grouped.get_group(m)["test_hm"]) for m in MODELS],
        "sigma": [format_mean_se(grouped.get_group(m)["sigma"], 3) for m in MODELS],
    })
    paper = published.load("05_table1_multidigit").set_index("model").reindex(list(MODELS))
    table["paper_acc"] = paper["acc"].to_numpy()
    table["paper_acc_std"] = paper["acc_std"].to_numpy()
    table["paper_sigma"] = paper["sigma"].to_numpy()
    return {"runs": runs, "cosines": _cosine_table(configs, results), "table": table}


def sigma_accuracy_grid(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> tuple[pd.DataFrame, dict[str, float]]:
    """Figure 3: first-epoch σ and final validation accuracy of every model over the profile's grid of filters,
    batch sizes, learning rates and seeds; and their Pearson and Spearman correlations (with p-values)."""
    s, device = settings(profile), resolve_device(device)
    configs = [
        multidigit_config(s, m, r, device, seed, filters=f, batch_size=b, lr=lr)
        for m, f, b, lr, r in product(MODELS, s.grid_filters, s.grid_batch_sizes, s.grid_lrs, seed_list(seed, s.grid_runs))
    ]
    runs = _run_table(configs, run_sweep(train_multidigit, configs, "05_multidigit", progress=progress))
    return runs, correlation(runs["sigma_first_epoch"], runs["val_hm"])


def batch_size_runs(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """Sec. 4's "high gradient variance is more prominent [...] when using smaller batch sizes": the unregularised
    model at each of the profile's ``sigma_batch_sizes`` with Table 1's filters and learning rate, over Table 1's
    seeds (so the runs at Table 1's batch size are Table 1's, cached). One row per run (:func:`table1`'s columns)."""
    s, device = settings(profile), resolve_device(device)
    if len(set(s.sigma_batch_sizes)) < 2 or min(s.sigma_batch_sizes) < 1:
        raise ValueError(f"sigma_batch_sizes needs two distinct positive batch sizes, got {s.sigma_batch_sizes!r}")
    configs = [multidigit_config(s, "No reg", r, device, seed, batch_size=b)
               for b in s.sigma_batch_sizes for r in seed_list(seed, s.runs)]
    return _run_table(configs, run_sweep(train_multidigit, configs, "05_multidigit", progress=progress))


def correlation(x: Sequence[float], y: Sequence[float]) -> dict[str, float]:
    """Pearson r and Spearman ρ between ``x`` and ``y`` with their two-sided p-values, and the count."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"pearson_r": float("nan"), "pearson_p": float("nan"), "spearman_rho": float("nan"), "spearman_p": float("nan"), "n": len(x)}
    pr, pp = pearsonr(x, y)
    sr, sp = spearmanr(x, y)
    return {"pearson_r": float(pr), "pearson_p": float(pp), "spearman_rho": float(sr), "spearman_p": float(sp), "n": len(x)}


# ----------------------------------------------------------------------------------------------------------
# Scenes (Sec. 5.1): Table 2 analogue
# ----------------------------------------------------------------------------------------------------------


def scene_strategy(method: str, alpha: float) -> Strategy:
    """Table 2's strategy for ``method`` (single-task networks use the plain loss)."""
    check_choice("method", method, METHODS)
    name, params = {
        "Single Task": ("weighted_sum", {}), "Equal Task Weights": ("weighted_sum", {}),
        "Gradnorm": ("gradnorm", {"alpha": 1.5}), "Kendall": ("uncertainty", {}),
        "CosReg": ("cosreg", {"alpha": alpha, "scale_by_loss": True}),
    }[method]
    return get_strategy(name, **params)


def train_scenes(config: Mapping[str, Any]) -> dict[str, Any]:
    """Train one Table 2 network (a :func:`run_sweep` function) and return its test errors per task. The depth
    decoder's output bias starts at the training split's mean depth (every method alike): started at 0, a network
    spends most of ``quick``'s few hundred steps moving its output to the depths' scale, at a speed that varies with the
    seed and the other tasks (a gap of optimisation speed, not of task interference)."""
    train, test, classes, _ = _scenes(
        config["scene_train"], config["scene_test"], config["target_size"], config["data_seed"], config["data"]
    )
    tasks = {t: task for t, task in scene_tasks(classes).items() if t in config["tasks"]}
    seed_everything(config["seed"])
    net = SegNet(tasks, width=config["width"], stages=config["stages"], output_stride=4)
    if "depth_zbuffer" in tasks:
        torch.nn.init.constant_(net.decoders["depth_zbuffer"].head.bias, mean_depth(train))
    result = fit(
        net, tasks, train, strategy=build(config["strategy"]), epochs=config["epochs"],
        batch_size=config["batch_size"], lr=config["lr"], seed=config["seed"], device=config["device"], progress=False,
    )
    metric = evaluate(result.model, tasks, test, batch_size=16, device=config["device"])["metric"]
    errors = {t: 1.0 - v if t == "segment_semantic" else v for t, v in metric.items()}
    return {ERROR_COLUMNS[t]: errors[t] for t in tasks}


def table2(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> dict[str, pd.DataFrame]:
    """Table 2 analogue. The multi-task methods train :func:`~paper_mtl.profiles.decisive_seeds` seeds each (the
    claims compare them paired by seed); the single-task networks, the reference of Δm only, train one.

    Returns ``runs`` (one row per method and seed: test errors, Δm against the single-task networks, the data) and
    ``table`` (per method: ours as mean ± s.e. over seeds, the published NYUv2 errors and Δm beside)."""
    s, device = settings(profile), resolve_device(device)
    base = _scene_base(s, device, seed)
    configs = [_scene_config(base, "Single Task", [t], seed) for t in SCENE_TASKS]
    configs += [_scene_config(base, m, list(SCENE_TASKS), r)
                for m in METHODS[1:] for r in seed_list(seed, decisive_seeds(profile))]
    results = run_sweep(train_scenes, configs, "05_scenes", progress=progress)
    single = {k: v for r in results[:3] for k, v in r.items()}
    rows = [{"method": "Single Task", "seed": seed, **single}]
    rows += [{"method": c["method"], "seed": c["seed"], **r} for c, r in zip(configs[3:], results[3:])]
    runs = pd.DataFrame(rows)
    runs["delta_m"] = delta_m_runs(runs)
    runs["data"] = base["data"]
    runs["normal_of_mean"] = mean_normal_error(profile, seed)
    paper = published.load("05_table2_nyuv2").set_index("method").reindex(list(METHODS))
    paper_delta = delta_m_runs(paper.reset_index())
    table = []
    for i, method in enumerate(METHODS):
        mine = runs[runs["method"] == method]
        row = {"method": method, "seeds": len(mine)}
        row |= {c: format_mean_se(mine[c], 3) for c in (*ERROR_COLUMNS.values(), "delta_m")}
        row |= {f"paper_{c}": paper.loc[method, c] for c in ERROR_COLUMNS.values()}
        table.append(row | {"paper_delta_m": round(float(paper_delta.iloc[i]), 2)})
    return {"runs": runs, "table": pd.DataFrame(table)}


def _scene_base(s: Settings, device: torch.device, seed: int) -> dict[str, Any]:
    """The sweep configuration every Table 2 network shares (its method, tasks and seed are added per run)."""
    return {
        "scene_train": s.scene_train, "scene_test": s.scene_test, "target_size": s.target_size, "data_seed": seed,
        "width": s.scene_width, "stages": s.scene_stages, "epochs": s.scene_epochs, "batch_size": s.scene_batch_size,
        "lr": s.scene_lr, "alpha": s.alpha_scene, "seed": seed, "data": scene_source(), "device": device.type,
    }


def _scene_config(base: dict[str, Any], method: str, tasks: list[str], seed: int) -> dict[str, Any]:
    """One Table 2 network: ``method``'s strategy (:func:`scene_strategy`) described in the configuration."""
    return {**base, "method": method, "strategy": describe(scene_strategy(method, base["alpha"])), "tasks": tasks,
            "seed": seed}


def single_task_runs(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """Table 2's single-task networks over the profile's ``single_task_runs`` seeds (``seed, seed + 1, ...``; the
    first is :func:`table2`'s, cached): one row per seed with the three test errors. Only the mixed-results row uses
    the extra seeds; Δm's reference stays :func:`table2`'s one seed."""
    s, device = settings(profile), resolve_device(device)
    base = _scene_base(s, device, seed)
    seeds = seed_list(seed, s.single_task_runs)
    configs = [_scene_config(base, "Single Task", [t], r) for r in seeds for t in SCENE_TASKS]
    results = run_sweep(train_scenes, configs, "05_scenes", progress=progress)
    rows = [{"method": "Single Task", "seed": r, **{k: v for res in results[3 * i:3 * i + 3] for k, v in res.items()}}
            for i, r in enumerate(seeds)]
    return pd.DataFrame(rows)


def delta_m_runs(runs: pd.DataFrame) -> pd.Series:
    """Δm (paper 04's Eq. 4 as a % drop, positive = worse) of every row of ``runs`` against the mean errors of its
    Single Task rows."""
    columns = list(ERROR_COLUMNS.values())
    reference = runs.loc[runs["method"] == "Single Task", columns].mean().to_dict()
    lower = {c: False for c in columns}
    return pd.Series([delta_m(row, reference, lower) for row in runs[columns].to_dict("records")], index=runs.index,
                     name="delta_m")
