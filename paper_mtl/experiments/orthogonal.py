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
from paper_mtl.claims import SANITY, SUPPORTING, Check, Claim, format_mean_se, seed_list
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
from paper_mtl.profiles import PAPER_LEASE, check_choice, check_profile, decisive_seeds, resolve_device
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
        digit_sizes=(128, 64, 64), image_size=32, epochs=1, runs=2, batch_size=32,
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
        digit_sizes=(4000, 1000, 2000), image_size=64, epochs=3, runs=5,
        grid_filters=(10, 20, 40), grid_batch_sizes=(64, 128), grid_lrs=(1e-3, 3e-4), grid_runs=1, window=50,
        scene_train=795, scene_test=654, target_size=32, scene_width=1 / 2, scene_stages=5, scene_epochs=3,
        scene_batch_size=8, scene_lr=1e-4,
    ),
}
"""Per-profile sizes. ``paper`` keeps the paper's MultiDigit images (64x64), network (20 filters), batch 64, Adam
1e-3 and 5 runs, and NYUv2's split sizes and Adam 1e-4 for the scenes at 128x128 inputs / 32x32 targets (the paper:
320/80, 25 epochs), cut as :data:`PAPER_CUTS`."""
PAPER_CUTS = (
    "a quarter of MultiDigit's splits (4,000/1,000/2,000 of 16,000/4,000/5,000) for 3 epochs, and the scenes at "
    f"batch 8 instead of 2 for 3 epochs, {PAPER_LEASE}: the full splits and batch 2 would take about 5 "
    "times the kernel launches (the epochs were cut from 4 to make room for the seeds). The claims' seeds: Table 1's five runs per model (the paper's) are its seeds; "
    "Table 2's four multi-task methods train 3 seeds each, 8 networks more than one seed (the single-task networks, "
    "Δm's reference only, train one): on the H200 the 7 scene networks took about 76 s, so the seeds add about 90 s"
)
"""What the paper profile leaves out of the paper's experiments, and why (shown in the notebook)."""


def settings(profile: str) -> Settings:
    """The :class:`Settings` of ``profile``."""
    return SETTINGS[check_profile(profile)]


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
        for m, f, b, lr, r in product(MODELS, s.grid_filters, s.grid_batch_sizes, s.grid_lrs, seed_list(seed, s.grid_runs))
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
# Claims of Sec. 4 (Table 1, Figures 2-4): checks over Table 1's runs, paired by seed
# ----------------------------------------------------------------------------------------------------------

CHANCE_ACC = 20.0
"""The harmonic mean of two 5-way accuracies at chance, in percent."""
UNTRAINED_MARGIN = 5.0
"""A model whose mean accuracy is within this many points of :data:`CHANCE_ACC` has not learned: its σ is that of an
untrained network and says nothing about the paper's claims, so checks on CosReg(α=10) (the model whose penalty can
keep it from learning; see the notebook) are then shown as sanity lines, not counted."""
SHORT = {"No reg": "no reg", "Dropout": "dropout", "Batchnorm": "BN", "CosReg(α=10)": "CosReg10", "CosReg(α=0.1) + Batchnorm": "CosReg0.1+BN"}
BEST = "CosReg(α=0.1) + Batchnorm"
ALPHA10 = "CosReg(α=10)"

SIGMA_REG_SENTENCE = ("Dropout and Batchnorm seem to implicitly reduce the variance of these angles, favoring "
                      "orthogonality between task gradients.")
SIGMA_COSREG_SENTENCE = "we evaluate our gradient regularization method and observe that σ is being successfully reduced"
ACC_REG_SENTENCE = "Unsurprisingly, the regularized models outperform the unregularized baseline as seen in Table 1."
ACC_BEST_SENTENCE = ("it significantly boosts the performance of the model when used in conjunction with Batchnorm")
ROLLING_SENTENCE = ("even for the vanilla model σ decreases as training progresses, but remains at relatively high "
                    "values compared to the regularized networks.")
EARLY_SENTENCE = "this initial standard deviation is a good indicator of the final generalization performance of a model"


def per_seed(runs: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` of Table 1's runs as one row per seed and one column per model (seeds every model has)."""
    return runs.pivot_table(index="seed", columns="model", values=column, aggfunc="first").dropna()


def untrained(runs: pd.DataFrame, model: str, column: str = "test_hm") -> bool:
    """Whether ``model``'s mean accuracy over its runs is within :data:`UNTRAINED_MARGIN` of chance."""
    return bool(runs.loc[runs["model"] == model, column].mean() < CHANCE_ACC + UNTRAINED_MARGIN)


def _untrained_note(runs: pd.DataFrame, model: str) -> str:
    acc = runs.loc[runs["model"] == model, "test_hm"].mean()
    return f" — {model} did not train (accuracy {acc:.1f} %, chance {CHANCE_ACC:g} %): not counted"


def _kind_for(runs: pd.DataFrame, model: str, kind: str) -> tuple[str, str]:
    """``kind`` for a check on ``model``, or sanity with the reason when the model did not train."""
    return (SANITY, _untrained_note(runs, model)) if untrained(runs, model) else (kind, "")


def _published_models(column: str, label: str, digits: int) -> str:
    paper = published.load("05_table1_multidigit").set_index("model").reindex(list(MODELS))
    return f"Table 1 ({label}, 5 runs): " + ", ".join(f"{SHORT[m]} {paper.loc[m, column]:.{digits}f}" for m in MODELS)


def _ours_models(runs: pd.DataFrame, column: str, label: str, digits: int = 3) -> str:
    n = runs.groupby("model")["seed"].nunique().min()
    return f"{label} over {n} seeds: " + ", ".join(
        f"{SHORT[m]} {format_mean_se(runs.loc[runs['model'] == m, column], digits)}" for m in MODELS)


def regularisers_lower_sigma_claim(runs: pd.DataFrame) -> Claim:
    """Sec. 4: dropout and batch-norm lower σ of the cosines: each below the unregularised model's, paired by seed."""
    sigma = per_seed(runs, "sigma")
    checks = [Check.paired(f"σ: {m} < No reg", sigma[m], sigma["No reg"], better="lower") for m in ("Dropout", "Batchnorm")]
    return Claim("Table 1 / Figure 2: dropout and batch-norm implicitly lower σ of the task-gradient cosines",
                 SIGMA_REG_SENTENCE, _published_models("sigma", "σ", 2), _ours_models(runs, "sigma", "σ"), checks)


def cosreg_lowers_sigma_claim(runs: pd.DataFrame) -> Claim:
    """Sec. 4: CosReg lowers σ. Decisive: CosReg(α=0.1) + batch-norm below batch-norm alone (the same network, the
    penalty added), paired by seed. CosReg(α=10) below the unregularised model is supporting, or a sanity line when
    that network did not train (an untrained network's σ is no evidence)."""
    sigma = per_seed(runs, "sigma")
    kind, note = _kind_for(runs, ALPHA10, SUPPORTING)
    checks = [
        Check.paired(f"σ: {BEST} < Batchnorm", sigma[BEST], sigma["Batchnorm"], better="lower"),
        Check.paired(f"σ: CosReg(α=10) < No reg{note}", sigma["CosReg(α=10)"], sigma["No reg"], better="lower", kind=kind),
    ]
    return Claim("Table 1 / Figure 2: CosReg lowers σ of the task-gradient cosines", SIGMA_COSREG_SENTENCE,
                 _published_models("sigma", "σ", 2), _ours_models(runs, "sigma", "σ"), checks)


def regularisers_raise_accuracy_claim(runs: pd.DataFrame) -> Claim:
    """Sec. 4: dropout and batch-norm each beat the unregularised model's test accuracy, paired by seed."""
    acc = per_seed(runs, "test_hm")
    checks = [Check.paired(f"accuracy: {m} > No reg", acc[m], acc["No reg"]) for m in ("Dropout", "Batchnorm")]
    return Claim("Table 1: dropout and batch-norm beat the unregularised model in accuracy", ACC_REG_SENTENCE,
                 _published_models("acc", "accuracy %", 1), _ours_models(runs, "test_hm", "accuracy %"), checks)


def cosreg_bn_best_claim(runs: pd.DataFrame) -> Claim:
    """Sec. 4: CosReg(α=0.1) + batch-norm beats every other model of Table 1 in accuracy, batch-norm alone above all,
    paired by seed (the comparison with CosReg(α=10) is shown, not counted, when that model did not train)."""
    acc = per_seed(runs, "test_hm")
    checks = []
    for model in (m for m in MODELS if m != BEST):
        kind, note = _kind_for(runs, model, "decisive") if model == ALPHA10 else ("decisive", "")
        checks.append(Check.paired(f"accuracy: {BEST} > {model}{note}", acc[BEST], acc[model], kind=kind))
    return Claim("Table 1: CosReg(α=0.1) + batch-norm has the best accuracy of the five models", ACC_BEST_SENTENCE,
                 _published_models("acc", "accuracy %", 1), _ours_models(runs, "test_hm", "accuracy %"), checks)


def rolling_windows(cosines: pd.DataFrame, window: int) -> pd.DataFrame:
    """Figure 4 per run: σ of the cosines over the first and the last full window of ``window`` iterations (the
    whole run if it is shorter). Columns model, seed, first, last."""
    rows = []
    for (model, seed), run in cosines.groupby(["model", "seed"], sort=False):
        sigma = pd.Series(rolling_std(run["cos"].to_numpy(), min(window, len(run)))).dropna()
        rows.append({"model": model, "seed": seed, "first": float(sigma.iloc[0]), "last": float(sigma.iloc[-1])})
    return pd.DataFrame(rows)


def rolling_claim(windows: pd.DataFrame, runs: pd.DataFrame) -> Claim:
    """Figure 4 (:func:`rolling_windows` of Table 1's runs): the unregularised model's last-window σ is below its
    first and above every regularised model's last, paired by seed (CosReg(α=10) is shown, not counted, when it did
    not train)."""
    first, last = per_seed(windows, "first"), per_seed(windows, "last")
    checks = [Check.paired("No reg: last window's σ < first window's", last["No reg"], first["No reg"], better="lower")]
    for model in (m for m in MODELS if m != "No reg"):
        kind, note = _kind_for(runs, model, "decisive") if model == ALPHA10 else ("decisive", "")
        checks.append(Check.paired(f"last window's σ: No reg > {model}{note}", last["No reg"], last[model], kind=kind))
    ours = "σ in the first → last window over seeds: " + ", ".join(
        f"{SHORT[m]} {format_mean_se(first[m], 3)} → {format_mean_se(last[m], 3)}" for m in MODELS)
    return Claim("Figure 4: the unregularised model's rolling σ falls during training but stays above the regularised "
                 "models'", ROLLING_SENTENCE, "Figure 4 (curves only, no numbers)", ours, checks)


BN_GROUPS = {"No reg": "without batch-norm", "Dropout": "without batch-norm", "CosReg(α=10)": "without batch-norm",
             "Batchnorm": "with batch-norm", BEST: "with batch-norm"}
"""Figure 3's groups: the paper sees "a clear separation in terms of σ between regularization methods", so a
correlation pooled over both would only restate that separation; the claim is checked within each group."""


def _spearman_check(name: str, points: pd.DataFrame, kind: str, group: str | None = None) -> Check:
    x, y = points["sigma_first_epoch"].to_numpy(), points["val_hm"].to_numpy()
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Check(name, 0.0, kind=kind, group=group, detail=f"{len(x)} runs: no correlation to measure", noisy=True)
    return Check.correlation(name, x, y, sign=-1, method="spearman", kind=kind, group=group)


def early_sigma_claim(grid: pd.DataFrame) -> Claim:
    """Figure 3: first-epoch σ correlates negatively with final validation accuracy (Spearman) within each group of
    :data:`BN_GROUPS` (decisive), leaving out runs at chance accuracy (networks that did not learn); pooled over
    every run only as supporting."""
    grid = grid.assign(group=grid["model"].map(BN_GROUPS))
    learned = grid[grid["val_hm"] >= CHANCE_ACC + UNTRAINED_MARGIN]
    checks = [_spearman_check(f"ρ(first-epoch σ, val. accuracy) < 0 {g}", learned[learned["group"] == g], "decisive", g)
              for g in dict.fromkeys(BN_GROUPS.values())]
    checks.append(_spearman_check("ρ < 0 pooled over every run (mostly the gap between the groups)", grid, SUPPORTING))
    left_out = len(grid) - len(learned)
    ours = "; ".join(f"{c.group or 'pooled'}: {c.detail}" for c in checks)
    ours += f"; {left_out} runs at chance accuracy left out of the groups" if left_out else ""
    return Claim("Figure 3: a lower first-epoch σ of the cosines goes with a higher final validation accuracy",
                 EARLY_SENTENCE, "Figure 3 (scatter only, no correlation given)", ours, checks)


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


def mean_depth(train: MultiTaskData) -> float:
    """The training split's mean valid depth (pixels with depth > 0; 0 marks a missing NYUv2 depth)."""
    depth = np.asarray(train.targets["depth_zbuffer"], dtype=np.float64)
    return float(depth[np.isfinite(depth) & (depth > 0)].mean())


def mean_depth_rmse(profile: str, seed: int = 0) -> float:
    """Depth RMSE on the test split of predicting the training split's mean depth everywhere: the level below which
    a depth network has learned more than the mean."""
    train, test, _, _ = scene_data(profile, seed)
    depth = np.asarray(test.targets["depth_zbuffer"], dtype=np.float64)
    valid = depth[np.isfinite(depth) & (depth > 0)]
    return float(np.sqrt(np.mean((valid - mean_depth(train)) ** 2)))


def train_scenes(config: Mapping[str, Any]) -> dict[str, Any]:
    """Train one Table 2 network (a :func:`run_sweep` function) and return its test errors per task.

    The depth decoder's output bias starts at the training split's mean depth (every method alike). Started at 0, a
    network needs most of the few hundred steps of ``quick`` just to move its output to the depths' scale (about
    3 m), at a speed that varies with the seed and the other tasks: one single-task depth network ended at RMSE 2.5
    and another seed at 1.6 while every multi-task network was near 1.6, a gap of optimisation speed, not of task
    interference."""
    train, test, classes, _ = _scenes(
        config["scene_train"], config["scene_test"], config["target_size"], config["data_seed"], config["data"]
    )
    tasks = {t: task for t, task in scene_tasks(classes).items() if t in config["tasks"]}
    torch.manual_seed(config["seed"])
    net = SegNet(tasks, width=config["width"], stages=config["stages"], output_stride=4)
    if "depth_zbuffer" in tasks:
        torch.nn.init.constant_(net.decoders["depth_zbuffer"].head.bias, mean_depth(train))
    result = fit(
        net, tasks, train, strategy=scene_strategy(config["method"], config["alpha"]), epochs=config["epochs"],
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
    base = {
        "scene_train": s.scene_train, "scene_test": s.scene_test, "target_size": s.target_size, "data_seed": seed,
        "width": s.scene_width, "stages": s.scene_stages, "epochs": s.scene_epochs, "batch_size": s.scene_batch_size,
        "lr": s.scene_lr, "alpha": s.alpha_scene, "seed": seed, "data": scene_source(), "device": device.type,
    }
    configs = [{**base, "method": "Single Task", "tasks": [t]} for t in SCENE_TASKS]
    configs += [{**base, "method": m, "tasks": list(SCENE_TASKS), "seed": r}
                for m in METHODS[1:] for r in seed_list(seed, decisive_seeds(profile))]
    results = run_sweep(train_scenes, configs, "05_scenes", progress=progress)
    single = {k: v for r in results[:3] for k, v in r.items()}
    rows = [{"method": "Single Task", "seed": seed, **single}]
    rows += [{"method": c["method"], "seed": c["seed"], **r} for c, r in zip(configs[3:], results[3:])]
    runs = pd.DataFrame(rows)
    runs["delta_m"] = delta_m_runs(runs)
    runs["data"] = base["data"]
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


def delta_m_runs(runs: pd.DataFrame) -> pd.Series:
    """Δm (paper 04's Eq. 4 as a % drop, positive = worse) of every row of ``runs`` against the mean errors of its
    Single Task rows."""
    columns = list(ERROR_COLUMNS.values())
    reference = runs.loc[runs["method"] == "Single Task", columns].mean().to_dict()
    lower = {c: False for c in columns}
    return pd.Series([delta_m(row, reference, lower) for row in runs[columns].to_dict("records")], index=runs.index,
                     name="delta_m")


DELTA_TOLERANCE = 1.0
"""Percentage points of Δm within which CosReg counts as "similar" to GradNorm or Kendall (published: CosReg −0.75,
GradNorm −1.15, Kendall −0.84)."""
IMPROVES_SENTENCE = ("Similar to Kendall et al. (2018) and Chen et al. (2017) our method also improves on the "
                     "performance of the naive multi-task approach.")
SIMILAR_SENTENCE = ("our method operates solely on regularizing the direction of gradients and not their magnitude, "
                    "while achieving similar results.")


def _method_seeds(runs: pd.DataFrame, column: str) -> pd.DataFrame:
    multi = runs[runs["method"] != "Single Task"]
    return multi.pivot_table(index="seed", columns="method", values=column, aggfunc="first").dropna()


def _published_table2() -> str:
    paper = published.load("05_table2_nyuv2")
    paper["delta_m"] = delta_m_runs(paper).to_numpy()
    return "Table 2 (NYUv2; seg 1−mIoU / depth RMSE / normals 1−|cos|, Δm vs single task): " + "; ".join(
        f"{r.method} {r.seg_1_minus_miou:.3f}/{r.depth_rmse:.3f}/{r.normal_1_minus_abs_cos:.3f} (Δm {r.delta_m:+.2f}%)"
        for r in paper.itertuples())


def _ours_table2(runs: pd.DataFrame) -> str:
    n = runs.loc[runs["method"] == "CosReg", "seed"].nunique()
    parts = []
    for method in METHODS:
        mine = runs[runs["method"] == method]
        errors = "/".join(format_mean_se(mine[c], 3) for c in ERROR_COLUMNS.values())
        parts.append(f"{method} {errors} (Δm {format_mean_se(mine['delta_m'], 3)}%)")
    data = f" [{runs['data'].iloc[0]}]" if "data" in runs else ""
    return f"seg / depth / normals over {n} seeds (single task: 1){data}: " + "; ".join(parts)


def cosreg_beats_equal_weights_claim(runs: pd.DataFrame) -> Claim:
    """Sec. 5.1: CosReg improves on equal task weights. Decisive: its segmentation and its depth errors are lower
    (the tasks on which the paper's CosReg beats equal weights; one group each), paired by seed; its Δm lower is
    supporting (normals are equal in the paper)."""
    checks = [
        Check.paired(f"{task} error: CosReg < Equal Task Weights", e["CosReg"], e["Equal Task Weights"], better="lower",
                     group=task)
        for task, e in (("segmentation", _method_seeds(runs, ERROR_COLUMNS["segment_semantic"])),
                        ("depth", _method_seeds(runs, ERROR_COLUMNS["depth_zbuffer"])))
    ]
    delta = _method_seeds(runs, "delta_m")
    checks.append(Check.paired("Δm: CosReg < Equal Task Weights", delta["CosReg"], delta["Equal Task Weights"],
                               better="lower", kind=SUPPORTING))
    return Claim("Table 2: CosReg improves on equal task weights (segmentation and depth)", IMPROVES_SENTENCE,
                 _published_table2(), _ours_table2(runs), checks)


def cosreg_competitive_claim(runs: pd.DataFrame, tolerance: float = DELTA_TOLERANCE) -> Claim:
    """Sec. 5.1: CosReg achieves results similar to GradNorm and to Kendall: its Δm within ``tolerance`` points of
    each (one group each), paired by seed."""
    delta = _method_seeds(runs, "delta_m")
    checks = [Check.within(f"Δm: CosReg within ±{tolerance:g} points of {m}", delta["CosReg"], delta[m],
                           tolerance=tolerance, group=m) for m in ("Gradnorm", "Kendall")]
    return Claim(f"Table 2: CosReg is competitive with GradNorm and Kendall (Δm within {tolerance:g} point of each)",
                 SIMILAR_SENTENCE, _published_table2(), _ours_table2(runs), checks)


def settings_table(profile: str) -> pd.DataFrame:
    """The profile's settings as a two-column table (for the notebook)."""
    return pd.DataFrame([{"setting": k, "value": str(v)} for k, v in asdict(settings(profile)).items()])


def split_pairs(data: Mapping[str, MultiTaskData]) -> pd.DataFrame:
    """Figure 1's split rule: per split, its size and its (left, right) digit pairs, and whether every pair
    appears in that split only."""
    pairs = {split: {tuple(p) for p in d.meta["pairs"][split]} for split, d in data.items()}
    rows = []
    for split, own in pairs.items():
        others = set().union(*(p for s, p in pairs.items() if s != split))
        rows.append({"split": split, "images": len(data[split]), "pairs": " ".join(f"{a}{b}" for a, b in sorted(own)), "disjoint": not (own & others)})
    return pd.DataFrame(rows)
