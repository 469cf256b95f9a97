"""What trains in notebook 02: each method's strategy (:func:`make_strategy`), one cached training run
(:func:`train_run`, with Table 1's depth metrics by region, :func:`depth_region_metrics`), its sweep configuration
(:func:`run_config`) and a batch of runs through :func:`paper_mtl.sweep.run_sweep`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import torch

from paper_mtl.cost import full_length, metered
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.experiments.classwise.config import (
    DATASETS, DEPTH, INTENT, LINEAR, METHODS, PREFERENCES, SEG, Settings, settings,
)
from paper_mtl.experiments.classwise.data import _dataset, class_names, data_source, split_sizes, tasks_of
from paper_mtl.models.modes import eval_mode
from paper_mtl.models.unet import build_unet
from paper_mtl.profiles import check_choice, resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.training import fit, seed_everything
from paper_mtl.weighting import get_strategy
from paper_mtl.weighting.base import Strategy
from paper_mtl.weighting.classwise import quantile_bin_edges


def make_strategy(method: str, config: Mapping[str, Any], train: MultiTaskData) -> tuple[list[str], Strategy]:
    """The tasks trained and the strategy of ``method`` (a row of :data:`METHODS`, :data:`LINEAR`, or a value of
    :data:`INTENT`: the class-wise run of that name with the sign-corrected reading of Eq. 10)."""
    check_choice("method", method, (*METHODS, LINEAR, *INTENT.values()))
    update = "literal"
    if method in INTENT.values():
        method, update = next(k for k, v in INTENT.items() if v == method), "intent"
    if method == "Single T_s":
        return [SEG], get_strategy("weighted_sum")
    if method == "Single T_d":
        return [DEPTH], get_strategy("weighted_sum")
    if method == LINEAR:
        return [SEG, DEPTH], get_strategy("weighted_sum")
    warmup = int(round(config["warmup"] * DATASETS[config["dataset"]].warmup_fraction))
    common = {"lr": config["cw_lr"], "warmup_epochs": warmup, "interval": config["interval"], "update": update}
    if method == "Ours (main T_d)":
        names = class_names(config["dataset"], config["data"])
        return [SEG, DEPTH], get_strategy("classwise", main=DEPTH, aux=SEG, class_names=names, **common)
    if method == "Ours (main T_s)":
        depth = train.targets[DEPTH]
        edges = quantile_bin_edges(depth, config["depth_bins"], depth != 0)
        names = [f"bin{i}" for i in range(len(edges) + 1)]
        return [SEG, DEPTH], get_strategy("classwise", main=SEG, aux=DEPTH, bin_edges=edges, class_names=names, **common)
    preference = PREFERENCES[METHODS.index(method) - 4]
    return [SEG, DEPTH], get_strategy("pareto_mtl", preference=preference, task_order=[SEG, DEPTH],
                                      phase1_epochs=config["phase1_epochs"])


def weight_updates(profile: str, dataset_name: str) -> int:
    """How many times a class-wise run on ``dataset_name`` updates its weights at ``profile`` (Eq. 9 steps): one per
    ``interval`` batches (whole batches: the loader drops the last partial one) in every epoch after the warm-up
    (``warmup`` times the dataset's ``warmup_fraction``). Shown in the notebook; the budget a weight has to move."""
    check_choice("dataset", dataset_name, DATASETS)
    s = settings(profile)
    n_train, _ = split_sizes(s.n_images, DATASETS[dataset_name].split)
    batches = n_train // s.batch_size
    warmup = int(round(s.warmup * DATASETS[dataset_name].warmup_fraction))
    return (s.epochs - warmup) * batches // s.interval


def depth_region_metrics(pred: torch.Tensor, target: torch.Tensor, seg: torch.Tensor, num_classes: int, clip: tuple[float, float]) -> pd.DataFrame:
    """Table 1's depth metrics by region: δ<1.25 accuracy (%) and mean |log p − log y| over the valid pixels of
    the whole image and inside / outside each class of ``seg``. Predictions are clipped to ``clip`` first.

    Returns one row per (region, class): columns region (``full``, ``inside``, ``outside``), class id, pixels,
    delta1, log_l1 (class −1 for the full image).
    """
    p = pred[:, 0].double().clamp(*clip)
    y = target[:, 0].double()
    valid = y > 0
    ratio = torch.maximum(p / y.clamp_min(1e-12), y / p)
    good = (ratio < 1.25).double()
    log_err = (p.log() - y.clamp_min(1e-12).log()).abs()

    def row(region: str, cls: int, mask: torch.Tensor) -> dict[str, Any]:
        m = mask & valid
        n = int(m.sum())
        return {
            "region": region, "class": cls, "pixels": n,
            "delta1": float(100 * good[m].mean()) if n else float("nan"),
            "log_l1": float(log_err[m].mean()) if n else float("nan"),
        }

    rows = [row("full", -1, torch.ones_like(valid))]
    for c in range(num_classes):
        rows.append(row("inside", c, seg == c))
        rows.append(row("outside", c, seg != c))
    return pd.DataFrame(rows)


@torch.no_grad()
def predict_depth(model: torch.nn.Module, data: MultiTaskData, device: str | torch.device) -> torch.Tensor:
    """The model's depth predictions for every image of ``data`` (eval mode, on the CPU)."""
    with eval_mode(model):
        preds = [model(x.to(device).float(), tasks=[DEPTH])[DEPTH].float().cpu() for x, _ in metered(data, 64, "predict", model)]
    return full_length(torch.cat(preds), len(data))


def train_run(config: Mapping[str, Any]) -> dict[str, Any]:
    """Train one method on one dataset (a :func:`run_sweep` function).

    Returns the per-epoch ``history``, the ``best`` validation loss of each trained task over epochs (as the paper
    reports "the best segmentation and the best depth losses", Sec. 5: one run's two best losses may come from
    different epochs), the strategy's
    per-step log ``steps`` (class-wise weights ``w.<class>``; Pareto MTL's ``phase``/``alpha.<task>``), and for runs
    that predict depth the depth metrics by region (:func:`depth_region_metrics`) of the final model.
    """
    train, val = _dataset(
        config["dataset"], config["n_images"], config["size"], config["data_seed"], config["device"], config["data"]
    )
    task_names, strategy = make_strategy(config["method"], config, train)
    all_tasks = tasks_of(config["dataset"], config["data"])
    tasks = {t: all_tasks[t] for t in task_names}
    seed_everything(config["seed"])
    model = build_unet(tasks, width=config["width"], depth=config["levels"])
    result = fit(
        model, tasks, train.select_tasks(task_names), val.select_tasks(task_names), strategy=strategy,
        epochs=config["epochs"], batch_size=config["batch_size"], optimizer="sgd", lr=config["lr"], momentum=0.9,
        lr_milestones=[config["lr_drop"]], lr_gamma=0.1, seed=config["seed"], device=config["device"], progress=False,
    )
    history = result.history
    out: dict[str, Any] = {
        "history": history,
        "best": {t: float(history[f"val_loss.{t}"].min()) for t in task_names},
        "steps": result.steps,
    }
    if DEPTH in task_names:
        depth = train.targets[DEPTH]
        valid = depth[depth > 0]
        out["regions"] = depth_region_metrics(
            predict_depth(result.model, val, config["device"]), val.targets[DEPTH], val.targets[SEG], all_tasks[SEG].channels,
            (float(valid.min()), float(valid.max())),
        )
    return out


def run_config(s: Settings, dataset_name: str, method: str, seed: int, device: torch.device) -> dict[str, Any]:
    """One run's sweep configuration. It names the dataset's source (:func:`data_source`), so results cached on
    the stand-in are never reused for the prepared real dataset, nor the other way round."""
    return {
        "dataset": dataset_name, "method": method, "size": s.size, "n_images": s.n_images, "width": s.width,
        "levels": s.levels, "epochs": s.epochs, "batch_size": s.batch_size, "lr": s.lr, "lr_drop": s.lr_drop,
        "warmup": s.warmup, "cw_lr": s.cw_lr, "interval": s.interval, "depth_bins": s.depth_bins,
        "phase1_epochs": s.phase1_epochs, "seed": seed, "data_seed": seed, "data": data_source(dataset_name),
        "device": device.type,
    }


def _runs(
    profile: str, device: str | torch.device, progress: bool, triples: list[tuple[str, str, int]]
) -> tuple[dict[tuple[str, str, int], dict[str, Any]], dict[str, str]]:
    """The results of the runs ``triples`` (dataset, method, seed) keyed by triple, and each dataset's source."""
    s, dev = settings(profile), resolve_device(device)
    configs = [run_config(s, d, m, seed, dev) for d, m, seed in triples]
    results = run_sweep(train_run, configs, "02_classwise", progress=progress)
    return dict(zip(triples, results)), {c["dataset"]: c["data"] for c in configs}
