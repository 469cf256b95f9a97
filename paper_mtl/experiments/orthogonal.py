"""Experiments of notebook 05: "Regularizing deep multi-task networks using orthogonal gradients" (paper 05).

MultiDigit (Sec. 4). Five models, all trained with Adam and the plain sum of the two cross-entropy losses:

======================== ============================ ===================================================
model (Table 1 row)      network (:func:`multidigit_net`) strategy
======================== ============================ ===================================================
No reg                   ``plain``                    equal weights, cosines monitored (:class:`CosineMonitor`)
Dropout                  ``dropout`` (p = 0.25)       equal weights, cosines monitored
Batchnorm                ``batchnorm``                equal weights, cosines monitored
CosReg(α=10)             ``plain``                    :class:`CosReg` with α = 10 (Eq. 4)
CosReg(α=0.1) + Batchnorm ``batchnorm``               :class:`CosReg` with α = 0.1
======================== ============================ ===================================================

Every step records cos(g_left, g_right) on the last shared layer (the encoder's second convolution); σ of these
cosines over training is Table 1's σ, their distribution Figure 2, their σ over rolling windows of 50 iterations
Figure 4 and their σ over the first epoch Figure 3's abscissa. Accuracy is the harmonic mean of the two digit
accuracies (test split for Table 1, validation for Figure 3), in percent. The paper does not give the number of
epochs; ours is a profile setting (below).

Scenes (Sec. 5.1, Table 2 analogue). Indoor procedural scenes stand in for NYUv2 (the prepared NYUv2 from
``data_scripts`` is used when present): semantic segmentation (the indoor family's 11 classes, every pixel
labelled; the paper's NYUv2 has 14 with background), z-depth in metres and surface normals, targets at a quarter
of the input resolution (paper: 320x320 inputs, 80x80 targets). A :class:`~paper_mtl.models.segnet.SegNet` with
one decoder per task, randomly initialised (the paper starts from ImageNet VGG16); cross-entropy for segmentation,
mean squared error for depth and for unit-normalised normals, as in the paper; errors 1 − mIoU, RMSE and
1 − |cos|. Methods: single-task networks, equal weights, GradNorm (α = 1.5), Kendall's uncertainty weighting and
CosReg with α = 10 times the detached mean task loss.

Profiles (epochs, sizes): see :data:`SETTINGS`. ``smoke`` and ``quick`` use 32x32 MultiDigit images (the digits
scale with the image) and far fewer images and epochs than the paper, and train the scene networks with
lr 1e-3 instead of 1e-4 because a randomly initialised network gets only a few hundred steps there.

Every training run is one cached :func:`paper_mtl.sweep.run_sweep` configuration, so a run shared by several
tables or figures (Table 1's runs are part of Figure 3's grid) trains once. Functions return DataFrames and
numbers; :mod:`paper_mtl.plots.orthogonal` draws them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import pearsonr, spearmanr

from paper_mtl import published
from paper_mtl.data.converters.nyuv2 import PREPARED_NAMES as NYUV2_NAMES
from paper_mtl.data.digits import digit_source, multidigit
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import first_prepared, load_prepared
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import render
from paper_mtl.gradients import cosine_column, cosine_statistics, rolling_std
from paper_mtl.metrics import delta_m, harmonic_mean
from paper_mtl.models.multidigit import multidigit_net
from paper_mtl.models.segnet import SegNet
from paper_mtl.profiles import PAPER_LEASE, check_choice, check_profile, resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.tasks import Task, get_task
from paper_mtl.training import evaluate, fit
from paper_mtl.weighting.base import Strategy, WeightedSum
from paper_mtl.weighting.cosreg import CosineMonitor, CosReg
from paper_mtl.weighting.gradnorm import GradNorm
from paper_mtl.weighting.uncertainty import Uncertainty

MODELS: dict[str, tuple[str, float | None]] = {
    "No reg": ("plain", None),
    "Dropout": ("dropout", None),
    "Batchnorm": ("batchnorm", None),
    "CosReg(α=10)": ("plain", 10.0),
    "CosReg(α=0.1) + Batchnorm": ("batchnorm", 0.1),
}
"""Table 1's rows: (network variant, CosReg α or None for no penalty)."""

METHODS = ("Single Task", "Equal Task Weights", "Gradnorm", "Kendall", "CosReg")
"""Table 2's rows, named as in the paper."""

SCENE_TASKS = ("segment_semantic", "depth_zbuffer", "normal")
ERROR_COLUMNS = {"segment_semantic": "seg_1_minus_miou", "depth_zbuffer": "depth_rmse", "normal": "normal_1_minus_abs_cos"}
PAIR = cosine_column("left", "right")


@dataclass(frozen=True)
class Settings:
    """Sizes of notebook 05's experiments for one profile.

    MultiDigit: ``digit_sizes`` (train, val, test) images of ``image_size`` pixels; Table 1 trains every model
    ``runs`` times for ``epochs`` epochs with ``filters`` filters, batch ``batch_size`` and Adam at ``lr`` (the
    paper's 20, 64 and 1e-3). Figure 3's grid is every model x ``grid_filters`` x ``grid_batch_sizes`` x
    ``grid_lrs`` x ``grid_runs`` seeds (the paper: five seeds per setting; ``quick`` and ``paper`` spend that budget on
    more settings, one seed each). ``window`` is Figure 4's rolling window. Scenes: ``scene_train`` /
    ``scene_test`` images at ``4 * target_size`` pixels with targets at ``target_size``; a SegNet of ``scene_width``
    times VGG16's channels and ``scene_stages`` stages, trained ``scene_epochs`` epochs at batch
    ``scene_batch_size`` with Adam at ``scene_lr``.
    """

    digit_sizes: tuple[int, int, int]
    image_size: int
    epochs: int
    runs: int
    grid_filters: tuple[int, ...]
    grid_batch_sizes: tuple[int, ...]
    grid_lrs: tuple[float, ...]
    grid_runs: int
    window: int
    scene_train: int
    scene_test: int
    target_size: int
    scene_width: float
    scene_stages: int
    scene_epochs: int
    scene_batch_size: int
    scene_lr: float
    filters: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    alpha_scene: float = 10.0


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(
        digit_sizes=(128, 64, 64), image_size=32, epochs=1, runs=1, batch_size=32,
        grid_filters=(20,), grid_batch_sizes=(32,), grid_lrs=(1e-3,), grid_runs=1, window=2,
        scene_train=8, scene_test=4, target_size=8, scene_width=1 / 16, scene_stages=3, scene_epochs=1,
        scene_batch_size=4, scene_lr=1e-3,
    ),
    "quick": Settings(
        digit_sizes=(2000, 500, 1000), image_size=32, epochs=4, runs=3,
        grid_filters=(10, 20), grid_batch_sizes=(64,), grid_lrs=(1e-3, 3e-4), grid_runs=1, window=50,
        scene_train=160, scene_test=80, target_size=16, scene_width=1 / 8, scene_stages=5, scene_epochs=3,
        scene_batch_size=8, scene_lr=1e-3,
    ),
    "paper": Settings(
        digit_sizes=(4000, 1000, 2000), image_size=64, epochs=4, runs=5,
        grid_filters=(10, 20, 40), grid_batch_sizes=(64, 128), grid_lrs=(1e-3, 3e-4), grid_runs=1, window=50,
        scene_train=795, scene_test=654, target_size=32, scene_width=1 / 2, scene_stages=5, scene_epochs=4,
        scene_batch_size=8, scene_lr=1e-4,
    ),
}
"""Per-profile sizes. ``paper`` keeps the paper's MultiDigit images (64x64), network (20 filters), batch 64, Adam
1e-3 and 5 runs, and NYUv2's split sizes and Adam 1e-4 for the scenes at 128x128 inputs / 32x32 targets (the paper:
320/80, 25 epochs), cut as :data:`PAPER_CUTS`."""
PAPER_CUTS = (
    "a quarter of MultiDigit's splits (4,000/1,000/2,000 of 16,000/4,000/5,000) for 4 epochs, and the scenes at "
    f"batch 8 instead of 2 for 4 epochs, {PAPER_LEASE}: the full splits and batch 2 would take about 4 "
    "times the kernel launches"
)
"""What the paper profile leaves out of the paper's experiments, and why (shown in the notebook)."""


def settings(profile: str) -> Settings:
    """The :class:`Settings` of ``profile``."""
    return SETTINGS[check_profile(profile)]


def run_seeds(seed: int, count: int) -> list[int]:
    """The seeds of ``count`` repeated runs of a notebook started with ``seed``: seed, seed + 1, ..."""
    return [seed + i for i in range(count)]


# ----------------------------------------------------------------------------------------------------------
# MultiDigit (Sec. 4): Figure 1, Table 1, Figures 2-4
# ----------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _digits(sizes: tuple[int, int, int], size: int, seed: int, source: str) -> dict[str, MultiTaskData]:
    return multidigit(sizes=sizes, size=size, seed=seed, source=source)


def digit_data(profile: str, seed: int = 0) -> dict[str, MultiTaskData]:
    """The profile's MultiDigit splits (Figure 1 shows the training split), composed from MNIST when it is
    available, else from scikit-learn's digits (``meta["source"]`` says which)."""
    s = settings(profile)
    return _digits(tuple(s.digit_sizes), s.image_size, seed, digit_source())


def make_strategy(model: str) -> Strategy:
    """Table 1's training strategy of ``model`` (a key of :data:`MODELS`)."""
    check_choice("model", model, MODELS)
    alpha = MODELS[model][1]
    return CosineMonitor(WeightedSum()) if alpha is None else CosReg(alpha)


def train_multidigit(config: Mapping[str, Any]) -> dict[str, Any]:
    """Train one MultiDigit model (a :func:`run_sweep` function): returns its accuracies (%), the per-step cosines
    and their statistics over training (``sigma``) and over the first epoch (``sigma_first_epoch``)."""
    data = _digits(tuple(config["digit_sizes"]), config["image_size"], config["data_seed"], config["data"])
    variant = MODELS[config["model"]][0]
    torch.manual_seed(config["seed"])
    net = multidigit_net(filters=config["filters"], variant=variant, size=config["image_size"])
    result = fit(
        net, ["left", "right"], data["train"], data["val"], strategy=make_strategy(config["model"]),
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
    """One MultiDigit run's sweep configuration (defaults: Table 1's filters, batch size and learning rate). It names
    the digit source (``"mnist"`` or ``"sklearn"``), so results cached on one source are never reused for the other."""
    check_choice("model", model, MODELS)
    return {
        "model": model, "filters": filters or s.filters, "batch_size": batch_size or s.batch_size, "lr": lr or s.lr,
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

    Returns ``runs`` (one row per run), ``cosines`` (one row per run and step: the cosine of that step) and
    ``table`` (per model: accuracy mean and std over runs, mean σ over runs, the published values beside).
    """
    s, device = settings(profile), resolve_device(device)
    configs = [multidigit_config(s, m, r, device, seed) for m in MODELS for r in run_seeds(seed, s.runs)]
    results = run_sweep(train_multidigit, configs, "05_multidigit", progress=progress)
    runs = _run_table(configs, results)
    grouped = runs.groupby("model", sort=False)
    table = pd.DataFrame({
        "model": list(MODELS),
        "acc": grouped["test_hm"].mean().reindex(list(MODELS)).to_numpy(),
        "acc_std": grouped["test_hm"].std(ddof=0).reindex(list(MODELS)).to_numpy(),
        "sigma": grouped["sigma"].mean().reindex(list(MODELS)).to_numpy(),
    })
    paper = published.load("05_table1_multidigit").set_index("model").reindex(list(MODELS))
    table["paper_acc"] = paper["acc"].to_numpy()
    table["paper_acc_std"] = paper["acc_std"].to_numpy()
    table["paper_sigma"] = paper["sigma"].to_numpy()
    return {"runs": runs, "cosines": _cosine_table(configs, results), "table": table}


def rolling_sigma(cosines: pd.DataFrame, window: int, seed: int | None = None) -> pd.DataFrame:
    """Figure 4: σ of the cosines over rolling windows of ``window`` iterations (the whole run if it is shorter),
    per model, for the run with ``seed`` (default: each model's first run). Columns model, step, rolling_sigma."""
    frames = []
    for model, group in cosines.groupby("model", sort=False):
        run = group[group["seed"] == (group["seed"].min() if seed is None else seed)]
        values = run["cos"].to_numpy()
        sigma = rolling_std(values, min(window, len(values)))
        frames.append(pd.DataFrame({"model": model, "step": run["step"].to_numpy(), "rolling_sigma": sigma}))
    return pd.concat(frames, ignore_index=True)


def sigma_accuracy_grid(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> tuple[pd.DataFrame, dict[str, float]]:
    """Figure 3: first-epoch σ and final validation accuracy of every model over the profile's grid of filters,
    batch sizes, learning rates and seeds; and their Pearson and Spearman correlations (with p-values)."""
    s, device = settings(profile), resolve_device(device)
    configs = [
        multidigit_config(s, m, r, device, seed, filters=f, batch_size=b, lr=lr)
        for m, f, b, lr, r in product(MODELS, s.grid_filters, s.grid_batch_sizes, s.grid_lrs, run_seeds(seed, s.grid_runs))
    ]
    runs = _run_table(configs, run_sweep(train_multidigit, configs, "05_multidigit", progress=progress))
    return runs, correlation(runs["sigma_first_epoch"], runs["val_hm"])


def correlation(x: Sequence[float], y: Sequence[float]) -> dict[str, float]:
    """Pearson r and Spearman ρ between ``x`` and ``y`` with their two-sided p-values, and the count."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"pearson_r": float("nan"), "pearson_p": float("nan"), "spearman_rho": float("nan"), "spearman_p": float("nan"), "n": len(x)}
    pr, pp = pearsonr(x, y)
    sr, sp = spearmanr(x, y)
    return {"pearson_r": float(pr), "pearson_p": float(pp), "spearman_rho": float(sr), "spearman_p": float(sp), "n": len(x)}


# ----------------------------------------------------------------------------------------------------------
# Claims of Sec. 4, as checks on numbers (applied to ours and, where possible, to the published ones)
# ----------------------------------------------------------------------------------------------------------


def _row(table: pd.DataFrame, column: str) -> dict[str, float]:
    return dict(zip(table["model"], table[column]))


def regularisers_lower_sigma(table: pd.DataFrame, sigma: str = "sigma") -> dict[str, bool]:
    """Sec. 4: Dropout and batch-norm implicitly lower σ of the cosines (Table 1: 0.27 -> 0.11, 0.11)."""
    v = _row(table, sigma)
    return {"dropout < no reg": v["Dropout"] < v["No reg"], "batchnorm < no reg": v["Batchnorm"] < v["No reg"]}


def cosreg_lowers_sigma(table: pd.DataFrame, sigma: str = "sigma") -> dict[str, bool]:
    """Sec. 4: CosReg lowers σ further: CosReg(α=10) below every other model; CosReg + BN below BN alone."""
    v = _row(table, sigma)
    others = [v[m] for m in ("No reg", "Dropout", "Batchnorm")]
    return {
        "CosReg(α=10) < no reg, dropout, batchnorm": v["CosReg(α=10)"] < min(others),
        "CosReg + BN < batchnorm": v["CosReg(α=0.1) + Batchnorm"] < v["Batchnorm"],
    }


def regularisers_raise_accuracy(table: pd.DataFrame, acc: str = "acc") -> dict[str, bool]:
    """Sec. 4: "the regularized models outperform the unregularized baseline" (Table 1: 91.0, 91.3 > 90.7)."""
    v = _row(table, acc)
    return {"dropout > no reg": v["Dropout"] > v["No reg"], "batchnorm > no reg": v["Batchnorm"] > v["No reg"]}


def cosreg_bn_best(table: pd.DataFrame, acc: str = "acc") -> dict[str, bool]:
    """Sec. 4: CosReg(α=0.1) + Batchnorm has the best accuracy of the five (Table 1: 92.5)."""
    v = _row(table, acc)
    best = "CosReg(α=0.1) + Batchnorm"
    return {f"{best} > {m}": v[best] > v[m] for m in MODELS if m != best}


def early_sigma_predicts_accuracy(stats: Mapping[str, float], level: float = 0.05) -> dict[str, bool]:
    """Figure 3: a lower first-epoch σ goes with a higher final validation accuracy (Spearman ρ < 0, p < level)."""
    rho, p = stats["spearman_rho"], stats["spearman_p"]
    return {"spearman rho < 0": bool(rho < 0), f"p < {level}": bool(p < level)}


def sigma_decreases(rolling: pd.DataFrame) -> dict[str, bool]:
    """Figure 4: the vanilla model's rolling σ falls over training but stays above the regularised models'."""
    last = rolling.dropna().groupby("model", sort=False)["rolling_sigma"].last()
    first = rolling.dropna().groupby("model", sort=False)["rolling_sigma"].first()
    return {
        "no reg: last window < first window": bool(last["No reg"] < first["No reg"]),
        "no reg's last window above every regularised model's": bool(all(last["No reg"] > last[m] for m in MODELS if m != "No reg")),
    }


# ----------------------------------------------------------------------------------------------------------
# Scenes (Sec. 5.1): Table 2 analogue
# ----------------------------------------------------------------------------------------------------------


def scene_tasks(segmentation_classes: int) -> dict[str, Task]:
    """Paper 05's three NYUv2 tasks: segmentation (cross-entropy, mIoU), depth (MSE, RMSE), normals (MSE on
    unit-normalised predictions, 1 − |cos|)."""
    return {
        "segment_semantic": get_task("segment_semantic", classes=segmentation_classes),
        "depth_zbuffer": get_task("depth_zbuffer", loss="masked_mse", metric="rmse"),
        "normal": get_task("normal", loss="masked_mse", metric="one_minus_abs_cos"),
    }


def scene_source() -> str:
    """Table 2's data: the first prepared NYUv2 of :data:`~paper_mtl.data.converters.nyuv2.PREPARED_NAMES` with
    train and test splits, else ``"indoor scenes"``."""
    return first_prepared(NYUV2_NAMES, ("train", "test")) or "indoor scenes"


@lru_cache(maxsize=2)
def _scenes(
    n_train: int, n_test: int, target_size: int, seed: int, source: str
) -> tuple[MultiTaskData, MultiTaskData, int, str]:
    check_choice("source", source, (*NYUV2_NAMES, "indoor scenes"))
    if source != "indoor scenes":
        splits = []
        for split, limit in (("train", n_train), ("test", n_test)):
            images = load_prepared(source, split, list(SCENE_TASKS), size=4 * target_size, limit=limit)
            labels = load_prepared(source, split, list(SCENE_TASKS), size=target_size, limit=limit)
            splits.append(MultiTaskData(images.inputs, labels.targets, labels.meta))
        classes = int(splits[0].meta["tasks"]["segment_semantic"]["num_classes"])
        return splits[0], splits[1], classes, source
    n = n_train + n_test
    images = render(n, size=4 * target_size, family="indoor", seed=seed)["rgb"]
    labels = render(n, size=target_size, family="indoor", seed=seed)
    data = MultiTaskData(images, {t: labels[t] for t in SCENE_TASKS}, {"source": "indoor scenes"})
    return data.subset(slice(0, n_train)), data.subset(slice(n_train, n)), len(scene_classes("indoor")), "indoor scenes"


def scene_data(profile: str, seed: int = 0) -> tuple[MultiTaskData, MultiTaskData, int, str]:
    """Table 2's (train, test, segmentation classes, source): prepared NYUv2 when present, else indoor scenes."""
    s = settings(profile)
    return _scenes(s.scene_train, s.scene_test, s.target_size, seed, scene_source())


def scene_strategy(method: str, alpha: float) -> Strategy:
    """Table 2's strategy for ``method`` (single-task networks use the plain loss)."""
    check_choice("method", method, METHODS)
    return {
        "Single Task": WeightedSum, "Equal Task Weights": WeightedSum, "Gradnorm": lambda: GradNorm(1.5),
        "Kendall": Uncertainty, "CosReg": lambda: CosReg(alpha, scale_by_loss=True),
    }[method]()


def train_scenes(config: Mapping[str, Any]) -> dict[str, Any]:
    """Train one Table 2 network (a :func:`run_sweep` function) and return its test errors per task."""
    train, test, classes, _ = _scenes(
        config["scene_train"], config["scene_test"], config["target_size"], config["data_seed"], config["data"]
    )
    tasks = {t: task for t, task in scene_tasks(classes).items() if t in config["tasks"]}
    torch.manual_seed(config["seed"])
    net = SegNet(tasks, width=config["width"], stages=config["stages"], output_stride=4)
    result = fit(
        net, tasks, train, strategy=scene_strategy(config["method"], config["alpha"]), epochs=config["epochs"],
        batch_size=config["batch_size"], lr=config["lr"], seed=config["seed"], device=config["device"], progress=False,
    )
    metric = evaluate(result.model, tasks, test, batch_size=16, device=config["device"])["metric"]
    errors = {t: 1.0 - v if t == "segment_semantic" else v for t, v in metric.items()}
    return {ERROR_COLUMNS[t]: errors[t] for t in tasks}


def table2(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """Table 2 analogue: test errors of each method on each scene task, the published NYUv2 errors beside.

    Columns: method, then per task ours and ``paper_`` (published). Single Task is three one-task networks."""
    s, device = settings(profile), resolve_device(device)
    base = {
        "scene_train": s.scene_train, "scene_test": s.scene_test, "target_size": s.target_size, "data_seed": seed,
        "width": s.scene_width, "stages": s.scene_stages, "epochs": s.scene_epochs, "batch_size": s.scene_batch_size,
        "lr": s.scene_lr, "alpha": s.alpha_scene, "seed": seed, "data": scene_source(), "device": device.type,
    }
    configs = [{**base, "method": "Single Task", "tasks": [t]} for t in SCENE_TASKS]
    configs += [{**base, "method": m, "tasks": list(SCENE_TASKS)} for m in METHODS[1:]]
    results = run_sweep(train_scenes, configs, "05_scenes", progress=progress)
    single = {k: v for r in results[:3] for k, v in r.items()}
    rows = [{"method": "Single Task", **single}] + [{"method": c["method"], **r} for c, r in zip(configs[3:], results[3:])]
    ours = pd.DataFrame(rows)
    paper = published.load("05_table2_nyuv2").set_index("method").reindex(list(METHODS))
    for column in ERROR_COLUMNS.values():
        ours[f"paper_{column}"] = paper[column].to_numpy()
    return ours


def table2_delta(table: pd.DataFrame, prefix: str = "") -> pd.Series:
    """Δm (paper 04's Eq. 4 as a % drop, positive = worse) of every method against Single Task, on the columns
    ``prefix + <error column>`` (``prefix="paper_"`` for the published numbers)."""
    columns = [prefix + c for c in ERROR_COLUMNS.values()]
    rows = table.set_index("method")[columns]
    lower = {c: False for c in columns}
    return pd.Series({m: delta_m(rows.loc[m].to_dict(), rows.loc["Single Task"].to_dict(), lower) for m in rows.index}, name="delta_m")


def cosreg_beats_equal_weights(table: pd.DataFrame, prefix: str = "") -> dict[str, bool]:
    """Sec. 5.1: CosReg improves on equal task weights (Table 2: segmentation 0.646 < 0.670, depth 0.747 < 0.765)."""
    rows = table.set_index("method")
    return {
        f"{task}: CosReg < equal weights": bool(rows.loc["CosReg", prefix + col] < rows.loc["Equal Task Weights", prefix + col])
        for task, col in (("segmentation", ERROR_COLUMNS["segment_semantic"]), ("depth", ERROR_COLUMNS["depth_zbuffer"]))
    }


def cosreg_competitive(table: pd.DataFrame, prefix: str = "", tolerance: float = 1.0) -> dict[str, bool]:
    """Sec. 5.1: CosReg achieves "similar results" to GradNorm and Kendall: its Δm against single-task networks is
    within ``tolerance`` percentage points of the better of the two (published: −0.75 vs −1.15)."""
    delta = table2_delta(table, prefix)
    best = min(delta["Gradnorm"], delta["Kendall"])
    return {f"Δm(CosReg) <= min(Δm GradNorm, Δm Kendall) + {tolerance}": bool(delta["CosReg"] <= best + tolerance)}


def settings_table(profile: str) -> pd.DataFrame:
    """The profile's settings as a two-column table (for the notebook)."""
    return pd.DataFrame([{"setting": k, "value": str(v)} for k, v in asdict(settings(profile)).items()])


# ----------------------------------------------------------------------------------------------------------
# Evidence strings for the claims ledger
# ----------------------------------------------------------------------------------------------------------

SHORT = {"No reg": "no reg", "Dropout": "dropout", "Batchnorm": "BN", "CosReg(α=10)": "CosReg10", "CosReg(α=0.1) + Batchnorm": "CosReg0.1+BN"}


def models_evidence(table: pd.DataFrame, column: str, label: str, digits: int = 3) -> str:
    """``label: no reg v, dropout v, ...`` for a Table 1 column."""
    return f"{label}: " + ", ".join(f"{SHORT[m]} {v:.{digits}f}" for m, v in zip(table["model"], table[column]))


def correlation_evidence(stats: Mapping[str, float]) -> str:
    """Figure 3's correlation in one line."""
    return (
        f"first-epoch σ vs final val. accuracy over {stats['n']} runs: Spearman ρ = {stats['spearman_rho']:.2f} "
        f"(p = {stats['spearman_p']:.2g}), Pearson r = {stats['pearson_r']:.2f}"
    )


def rolling_evidence(rolling: pd.DataFrame) -> str:
    """Figure 4: the first and last full-window σ of every model."""
    valid = rolling.dropna().groupby("model", sort=False)["rolling_sigma"]
    first, last = valid.first(), valid.last()
    return "rolling σ first → last window: " + ", ".join(f"{SHORT[m]} {first[m]:.3f} → {last[m]:.3f}" for m in first.index)


def table2_evidence(table: pd.DataFrame, prefix: str = "") -> str:
    """Table 2's errors of equal weights, GradNorm, Kendall and CosReg, and their Δm against single task."""
    rows = table.set_index("method")
    delta = table2_delta(table, prefix)
    parts = [
        f"{m}: " + "/".join(f"{rows.loc[m, prefix + c]:.3f}" for c in ERROR_COLUMNS.values()) + f" (Δm {delta[m]:+.2f}%)"
        for m in METHODS
    ]
    return "seg 1−mIoU/depth RMSE/normals 1−|cos|: " + "; ".join(parts)


def split_pairs(data: Mapping[str, MultiTaskData]) -> pd.DataFrame:
    """Figure 1's split rule: per split, its size and its (left, right) digit pairs, and whether every pair
    appears in that split only."""
    pairs = {split: {tuple(p) for p in d.meta["pairs"][split]} for split, d in data.items()}
    rows = []
    for split, own in pairs.items():
        others = set().union(*(p for s, p in pairs.items() if s != split))
        rows.append({"split": split, "images": len(data[split]), "pairs": " ".join(f"{a}{b}" for a, b in sorted(own)), "disjoint": not (own & others)})
    return pd.DataFrame(rows)
