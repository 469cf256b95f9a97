"""Experiments of notebook 02: class-wise weights on the auxiliary task against single-task training and Pareto MTL
(Yim & Kim, paper 02).

Data. Three procedural datasets stand in for the paper's three (:data:`DATASETS`): the street family for Virtual
KITTI (split 9:1, depth as inverse depth as the paper preprocesses VKITTI), the indoor family for NYUv2 (split in
NYUv2's 795:654 proportion, depth in metres) and a second street configuration for Cityscapes (another seed, its
2975:500 proportion, depth in tens of metres with the sky invalid, as Cityscapes has no disparity there). Tasks:
semantic segmentation T_s (cross-entropy over the family's classes) and depth T_d (L1 over valid pixels).

Real data. Where a converter's output is prepared (``data_scripts/prepare_nyuv2.py``,
``data_scripts/prepare_cityscapes.py``), it replaces its stand-in (:func:`data_source`): NYUv2 for ``indoor``,
Cityscapes for ``street_cs`` (Virtual KITTI has no converter, so ``street`` stays procedural). The first
``n_train`` images of the prepared ``train`` split and the first ``n_val`` of its ``test`` split (NYUv2's 654
test images, Cityscapes' 500 validation images: the paper's validation sets) are read at the profile's square
size, targets as the converters write them: NYUv2 depth in metres, Cityscapes depth as MTAN's disparity-derived
inverse depth (not the stand-in's z/10), 0 = invalid depth and -1 = unlabelled pixel in both, ignored by the
losses, the class-wise weights and the depth metrics. T_s's classes and their names come from the dataset's
manifest (:func:`manifest_class_names`). The source is part of every sweep configuration (``"data"``), so cached
runs on one source are never reused for the other, and each dataset's ``meta["source"]`` names it.

Model and training (Sec. 5.1–5.2). A U-Net with a shared contracting path and one expanding path per task
(:func:`~paper_mtl.models.unet.build_unet`; single-task runs have one), SGD with momentum 0.9 at lr 0.01, divided
by 10 at ``lr_drop`` epochs (the paper: after 20 epochs), batch 8. Methods (:data:`METHODS`):

- ``Single T_s`` / ``Single T_d``: one task alone; ``Linear sum``: L_s + L_d (street dataset only: Table 1 and
  Table 2 need it).
- ``Ours (main T_s)``: :class:`~paper_mtl.weighting.classwise.ClasswiseWeighting` with depth auxiliary, quantised
  into ``depth_bins`` equally populated classes; ``Ours (main T_d)``: segmentation auxiliary, its classes. Weights
  fixed for the first ``warmup`` epochs (the paper: 20 for VKITTI and NYUv2, 12 for Cityscapes, i.e. at the lr
  drop, and 0.6 of it for Cityscapes), then Eq. 9–10 with step α = ``cw_lr`` every ``interval`` batches.
- ``Pareto (u)``: :class:`~paper_mtl.weighting.pareto.ParetoMTL` for each of the five preference vectors, the loss
  vector ordered (T_s, T_d) as the paper's figures are, so (0, 1) favours segmentation.

Every loss reported is the best validation loss over epochs ("we collected the best results from each method").
Depth-by-region metrics (Table 1) use the final model on the validation split, predictions clipped to the range
of the training depths. Every training run is one cached :func:`paper_mtl.sweep.run_sweep` configuration, so runs
shared by several tables train once. Functions return DataFrames and numbers; :mod:`paper_mtl.plots.classwise`
draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import torch

from paper_mtl import published
from paper_mtl.cost import full_length, metered
from paper_mtl.data.converters.nyuv2 import PREPARED_NAMES as NYUV2_NAMES
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import first_prepared, load_prepared
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import render
from paper_mtl.data.store import load_split
from paper_mtl.models.unet import build_unet
from paper_mtl.profiles import PAPER_LEASE, check_choice, check_profile, resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit
from paper_mtl.weighting.base import Strategy, WeightedSum
from paper_mtl.weighting.classwise import ClasswiseWeighting, quantile_bin_edges
from paper_mtl.weighting.pareto import ParetoMTL

SEG, DEPTH = "segment_semantic", "depth_zbuffer"


@dataclass(frozen=True)
class DatasetSpec:
    """A procedural stand-in: scene ``family`` rendered from ``seed``, split in the ``split`` proportion
    (train, val), depth target ``depth`` (``inverse``: 1/z; ``metres``: z; ``tens_no_sky``: z/10, sky invalid).
    ``prepared``: the names of the prepared real datasets that replace it when present, in order of preference."""

    paper_name: str
    family: str
    seed: int
    split: tuple[int, int]
    depth: str
    warmup_fraction: float
    prepared: tuple[str, ...] = ()


DATASETS: dict[str, DatasetSpec] = {
    "street": DatasetSpec("Virtual KITTI", "street", 0, (9, 1), "inverse", 1.0),
    "indoor": DatasetSpec(
        "NYUv2", "indoor", 1, (795, 654), "metres", 1.0, prepared=NYUV2_NAMES
    ),
    "street_cs": DatasetSpec(
        "Cityscapes", "street", 2, (2975, 500), "tens_no_sky", 0.6, prepared=("cityscapes7", "cityscapes19", "cityscapes2")
    ),
}
"""Figure 2 (street), Figure 3 (indoor) and Figure 4 (street_cs); ``warmup_fraction`` scales the weight warm-up
(the paper starts updating after 20 epochs, 12 for Cityscapes). Prepared NYUv2 is looked for under
:data:`~paper_mtl.data.converters.nyuv2.PREPARED_NAMES`; prepared Cityscapes under the converter's ``cityscapes<classes>``, 7 classes first (the paper
does not say which label set it trains on)."""

PROCEDURAL = "procedural"
"""The source of a dataset rendered from its :class:`DatasetSpec` (no prepared real dataset)."""

PREFERENCES: tuple[tuple[float, float], ...] = ((0.0, 1.0), (0.92, 0.38), (0.71, 0.71), (0.38, 0.92), (1.0, 0.0))
"""Pareto MTL's preference vectors in the order of the paper's figures, on the loss vector (T_s, T_d)."""

METHODS: tuple[str, ...] = (
    "Single T_s", "Single T_d", "Ours (main T_s)", "Ours (main T_d)",
    *(f"Pareto ({a},{b})" for a, b in PREFERENCES),
)
"""The rows of Figures 2–4, named as the paper names them."""

LINEAR = "Linear sum"


@dataclass(frozen=True)
class Settings:
    """Sizes of notebook 02's experiments for one profile.

    ``n_images`` images of ``size`` pixels per dataset, split in its proportion; U-Net of ``width`` channels at the
    first stage and ``levels`` poolings; ``epochs`` epochs at batch ``batch_size``, lr ``lr`` divided by 10 at epoch
    ``lr_drop``; class-wise weights fixed for ``warmup`` epochs (times the dataset's ``warmup_fraction``), then
    updated every ``interval`` batches with step ``cw_lr``; depth quantised into ``depth_bins`` classes; Pareto MTL's
    feasibility search for at most ``phase1_epochs``; Table 2 times ``timing_steps`` steps, ``timing_rounds`` times.
    """

    size: int
    n_images: int
    width: int
    levels: int
    epochs: int
    lr_drop: int
    warmup: int
    cw_lr: float
    interval: int
    depth_bins: int
    phase1_epochs: int
    timing_steps: int
    timing_rounds: int
    batch_size: int = 8
    lr: float = 0.01


SETTINGS: dict[str, Settings] = {
    "smoke": Settings(size=16, n_images=24, width=4, levels=2, epochs=2, lr_drop=1, warmup=1, cw_lr=0.1, interval=1,
                      depth_bins=4, phase1_epochs=1, timing_steps=2, timing_rounds=1),
    "quick": Settings(size=32, n_images=240, width=8, levels=3, epochs=5, lr_drop=3, warmup=3, cw_lr=0.05, interval=2,
                      depth_bins=8, phase1_epochs=1, timing_steps=20, timing_rounds=5),
    "paper": Settings(size=64, n_images=800, width=16, levels=4, epochs=8, lr_drop=5, warmup=5, cw_lr=0.005,
                      interval=2, depth_bins=8, phase1_epochs=2, timing_steps=20, timing_rounds=5, batch_size=16),
}
"""Per-profile sizes. The paper trains until convergence with the lr drop and the start of the weight updates at
epoch 20, α = 0.0002 over thousands of steps per epoch; our runs are short, so α is larger (the paper: "a large
value of α would be suitable" for small datasets) and both events sit at about 3/5 of training (half at smoke). ``paper`` is
cut as :data:`PAPER_CUTS`."""
PAPER_CUTS = (
    "800 images per dataset at batch 16 for 8 epochs (about 360 steps a run; the paper trains until convergence), "
    f"{PAPER_LEASE}: 1,400 images at batch 8 would take 3.5 times the kernel launches"
)
"""What the paper profile leaves out of the paper's experiments, and why (shown in the notebook)."""


def settings(profile: str) -> Settings:
    """The :class:`Settings` of ``profile``."""
    return SETTINGS[check_profile(profile)]


def split_sizes(n_images: int, split: tuple[int, int]) -> tuple[int, int]:
    """(train, val) counts of ``n_images`` in the proportion ``split``, at least 8 validation images."""
    n_val = max(8, round(n_images * split[1] / sum(split)))
    return n_images - n_val, n_val


def data_source(name: str) -> str:
    """Where dataset ``name``'s images come from: the first of its :attr:`DatasetSpec.prepared` datasets whose
    ``train`` and ``test`` splits are prepared (under ``$PAPER_MTL_DATA``), else :data:`PROCEDURAL`."""
    check_choice("dataset", name, DATASETS)
    return first_prepared(DATASETS[name].prepared, ("train", "test")) or PROCEDURAL


def data_sources() -> dict[str, str]:
    """:func:`data_source` of every dataset of :data:`DATASETS`."""
    return {name: data_source(name) for name in DATASETS}


def manifest_class_names(meta: Mapping[str, Any]) -> list[str]:
    """T_s's class names from a prepared split's manifest ``meta``: the list under ``tasks.segment_semantic``'s
    ``class_names`` (or ``classes`` where that is a list rather than a description), else the class ids ``0`` …
    ``num_classes - 1`` as :class:`~paper_mtl.weighting.classwise.ClasswiseWeighting` names them by default."""
    seg = meta.get("tasks", {}).get(SEG, {})
    count = seg.get("num_classes")
    for key in ("class_names", "classes"):
        names = seg.get(key)
        if isinstance(names, list | tuple):
            if count is not None and len(names) != int(count):
                raise ValueError(f"the manifest lists {len(names)} {SEG} {key} for num_classes = {count}")
            return [str(n) for n in names]
    if count is None:
        raise ValueError(f"the manifest gives neither num_classes nor class names for {SEG}: {dict(seg)}")
    return [str(c) for c in range(int(count))]


def class_names(name: str, source: str | None = None) -> list[str]:
    """T_s's class names of dataset ``name`` read from ``source`` (default :func:`data_source`): the scene
    family's for :data:`PROCEDURAL`, else the prepared dataset's manifest's (:func:`manifest_class_names`)."""
    check_choice("dataset", name, DATASETS)
    source = data_source(name) if source is None else source
    if source == PROCEDURAL:
        return scene_classes(DATASETS[name].family)
    check_choice("source", source, DATASETS[name].prepared)
    return manifest_class_names(load_split(source, "train")[1])


def _depth_target(z: np.ndarray, seg: np.ndarray, spec: DatasetSpec) -> np.ndarray:
    if spec.depth == "inverse":
        return (1.0 / z).astype(np.float32)
    if spec.depth == "metres":
        return z.astype(np.float32)
    sky = np.asarray(seg == scene_classes(spec.family).index("sky"))[:, None]
    return np.where(sky, 0.0, z / 10.0).astype(np.float32)


@lru_cache(maxsize=3)
def _dataset(
    name: str, n_images: int, size: int, seed: int, device: str, source: str
) -> tuple[MultiTaskData, MultiTaskData]:
    spec = DATASETS[name]
    n_train, n_val = split_sizes(n_images, spec.split)
    if source != PROCEDURAL:
        check_choice("source", source, spec.prepared)
        meta = {"dataset": name, "source": source, "classes": class_names(name, source)}
        splits = []
        for split, limit in (("train", n_train), ("test", n_val)):
            data = load_prepared(source, split, [SEG, DEPTH], size=size, limit=limit)
            origin = {"origin": data.meta.get("source")}  # the converter's input, before "source" names ours
            splits.append(MultiTaskData(data.inputs, data.targets, {**data.meta, **origin, **meta}))
        return splits[0], splits[1]
    arrays = render(n_images, size=size, family=spec.family, seed=spec.seed + 1000 * seed, device=device)
    arrays = {"rgb": arrays["rgb"], SEG: arrays[SEG], DEPTH: _depth_target(arrays[DEPTH], arrays[SEG], spec)}
    meta = {"dataset": name, "source": PROCEDURAL, "classes": scene_classes(spec.family)}
    data = MultiTaskData.from_arrays(arrays, input_key="rgb", tasks=[SEG, DEPTH], meta=meta)
    return data.subset(slice(0, n_train)), data.subset(slice(n_train, n_images))


def dataset(name: str, profile: str, seed: int = 0, device: str | torch.device = "cpu") -> tuple[MultiTaskData, MultiTaskData]:
    """The (train, val) splits of dataset ``name`` (a key of :data:`DATASETS`) at ``profile``'s size: the prepared
    real dataset when present, else the stand-in (:func:`data_source`; ``meta["source"]`` says which,
    ``meta["classes"]`` names T_s's classes)."""
    check_choice("dataset", name, DATASETS)
    s = settings(profile)
    return _dataset(name, s.n_images, s.size, seed, resolve_device(device).type, data_source(name))


def tasks_of(name: str, source: str | None = None) -> dict[str, Any]:
    """T_s with the classes of dataset ``name`` read from ``source`` (default :func:`data_source`) and T_d."""
    return get_tasks([SEG, DEPTH], classes={SEG: len(class_names(name, source))})


def make_strategy(method: str, config: Mapping[str, Any], train: MultiTaskData) -> tuple[list[str], Strategy]:
    """The tasks trained and the strategy of ``method`` (a row of :data:`METHODS` or :data:`LINEAR`)."""
    check_choice("method", method, (*METHODS, LINEAR))
    if method == "Single T_s":
        return [SEG], WeightedSum()
    if method == "Single T_d":
        return [DEPTH], WeightedSum()
    if method == LINEAR:
        return [SEG, DEPTH], WeightedSum()
    warmup = int(round(config["warmup"] * DATASETS[config["dataset"]].warmup_fraction))
    common = {"lr": config["cw_lr"], "warmup_epochs": warmup, "interval": config["interval"]}
    if method == "Ours (main T_d)":
        names = class_names(config["dataset"], config["data"])
        return [SEG, DEPTH], ClasswiseWeighting(DEPTH, SEG, class_names=names, **common)
    if method == "Ours (main T_s)":
        depth = train.targets[DEPTH]
        edges = quantile_bin_edges(depth, config["depth_bins"], depth != 0)
        names = [f"bin{i}" for i in range(len(edges) + 1)]
        return [SEG, DEPTH], ClasswiseWeighting(SEG, DEPTH, bin_edges=edges, class_names=names, **common)
    preference = PREFERENCES[METHODS.index(method) - 4]
    return [SEG, DEPTH], ParetoMTL(preference, task_order=[SEG, DEPTH], phase1_epochs=config["phase1_epochs"])


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
    was_training = model.training
    model.eval()
    preds = [model(x.to(device).float(), tasks=[DEPTH])[DEPTH].float().cpu() for x, _ in metered(data, 64, "predict", model)]
    model.train(was_training)
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
    torch.manual_seed(config["seed"])
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
    profile: str, device: str | torch.device, seed: int, progress: bool, pairs: list[tuple[str, str]]
) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, str]]:
    """The results of the runs ``pairs`` (dataset, method) keyed by pair, and each dataset's source."""
    s, dev = settings(profile), resolve_device(device)
    configs = [run_config(s, d, m, seed, dev) for d, m in pairs]
    results = run_sweep(train_run, configs, "02_classwise", progress=progress)
    return dict(zip(pairs, results)), {c["dataset"]: c["data"] for c in configs}


# ----------------------------------------------------------------------------------------------------------
# Figures 2-4: validation losses of every method on the three datasets
# ----------------------------------------------------------------------------------------------------------


def published_losses() -> pd.DataFrame:
    """Figures 2–4 as published: dataset (our name), paper_dataset, method, ts_loss, td_loss (scale applied)."""
    table = published.load("02_figs2to4_losses")
    names = {spec.paper_name: name for name, spec in DATASETS.items()}
    return pd.DataFrame({
        "dataset": table["dataset"].map(names), "paper_dataset": table["dataset"], "method": table["method"],
        "ts_loss": table["ts_loss"] * table["scale"], "td_loss": table["td_loss"] * table["scale"],
    })


def comparison(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Figures 2–4: every method of :data:`METHODS` on every dataset of :data:`DATASETS` (plus the linear sum on
    the street dataset). Returns ``losses`` (dataset, method, ts_loss, td_loss and the published pair), ``runs``
    (the raw run results keyed by (dataset, method)) and ``sources`` (each dataset's :func:`data_source`)."""
    pairs = [(d, m) for d in DATASETS for m in METHODS] + [("street", LINEAR)]
    runs, sources = _runs(profile, device, seed, progress, pairs)
    rows = [
        {"dataset": d, "method": m, "ts_loss": r["best"].get(SEG, np.nan), "td_loss": r["best"].get(DEPTH, np.nan)}
        for (d, m), r in runs.items()
    ]
    ours = pd.DataFrame(rows)
    paper = published_losses().rename(columns={"ts_loss": "paper_ts_loss", "td_loss": "paper_td_loss"})
    losses = ours.merge(paper, on=["dataset", "method"], how="left")
    losses["paper_dataset"] = losses["dataset"].map({k: v.paper_name for k, v in DATASETS.items()})
    return {"losses": losses, "runs": runs, "sources": sources}


def lowest_main_loss(losses: pd.DataFrame, ts: str = "ts_loss", td: str = "td_loss") -> dict[str, bool]:
    """Sec. 5.1: "the best segmentation and the best depth losses estimated from the proposed method consistently
    achieved the lowest validation losses": per dataset, ours (main T_s) has the lowest T_s of all methods of
    :data:`METHODS`, and ours (main T_d) the lowest T_d."""
    checks = {}
    for d, group in losses[losses["method"].isin(METHODS)].groupby("dataset", sort=False):
        by = group.set_index("method")
        checks[f"{d}: ours (main T_s) lowest T_s"] = bool(by.loc["Ours (main T_s)", ts] <= by[ts].min())
        checks[f"{d}: ours (main T_d) lowest T_d"] = bool(by.loc["Ours (main T_d)", td] <= by[td].min())
    return checks


# ----------------------------------------------------------------------------------------------------------
# Table 1: depth by region, single task vs the plain two-task sum
# ----------------------------------------------------------------------------------------------------------


def depth_by_region(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True,
                    dataset_name: str = "street", focus: str = "car") -> dict[str, pd.DataFrame]:
    """Table 1: depth δ<1.25 (%) and log-L1 of single T_d and the linear sum, on the whole image and outside /
    inside the class ``focus`` (the paper's "car"), with the published values (``table``); and the same metrics
    for every class of the dataset (``classes``: inside each class, change of log-L1 in percent, negative =
    the two-task model is better there). On a prepared real dataset the classes are its manifest's
    (:func:`class_names`), so ``focus`` must be one of them."""
    check_choice("dataset", dataset_name, DATASETS)
    names = class_names(dataset_name)
    check_choice("focus class", focus, names)
    runs, _ = _runs(profile, device, seed, progress, [(dataset_name, "Single T_d"), (dataset_name, LINEAR)])
    single = runs[(dataset_name, "Single T_d")]["regions"]
    multi = runs[(dataset_name, LINEAR)]["regions"]
    c = names.index(focus)
    regions = {"Full image": ("full", -1), f"Non-{focus} region": ("outside", c), f"{focus.capitalize()} region": ("inside", c)}
    paper = published.load("02_table1_depth_by_region")
    paper_regions = ["Full image", "Non-car region", "Car region"]
    def pick(table: pd.DataFrame, metric: str, region: str, cls: int) -> float:
        return float(table.loc[(table["region"] == region) & (table["class"] == cls), metric].iloc[0])

    rows = []
    for metric, paper_metric in (("delta1", "Acc. IoU(%)"), ("log_l1", "Log L1")):
        for (label, (region, cls)), paper_region in zip(regions.items(), paper_regions):
            p = paper[(paper["metric"] == paper_metric) & (paper["region"] == paper_region)].iloc[0]
            rows.append({"metric": metric, "region": label, "single": pick(single, metric, region, cls),
                         "multi": pick(multi, metric, region, cls), "paper_single": float(p["single"]),
                         "paper_multi": float(p["multi"])})
    inside_s = single[single["region"] == "inside"].set_index("class")
    inside_m = multi[multi["region"] == "inside"].set_index("class")
    classes = pd.DataFrame({
        "class": names,
        "pixel_share": (inside_s["pixels"] / single.loc[single["region"] == "full", "pixels"].iloc[0]).to_numpy(),
        "delta1_single": inside_s["delta1"].to_numpy(), "delta1_multi": inside_m["delta1"].to_numpy(),
        "log_l1_single": inside_s["log_l1"].to_numpy(), "log_l1_multi": inside_m["log_l1"].to_numpy(),
    })
    classes["log_l1_change_pct"] = 100 * (classes["log_l1_multi"] / classes["log_l1_single"] - 1)
    return {"table": pd.DataFrame(rows), "classes": classes}


def classes_help_and_hurt(classes: pd.DataFrame, min_share: float = 0.005) -> dict[str, bool]:
    """Sec. 3: "some class labels from semantic segmentation tasks harmed the depth regression task" while others
    helped: among classes covering at least ``min_share`` of the pixels, the two-task model lowers depth log-L1
    inside some class and raises it inside another."""
    seen = classes[classes["pixel_share"] >= min_share]
    return {
        "a class where two-task depth is better": bool((seen["log_l1_change_pct"] < 0).any()),
        "a class where two-task depth is worse": bool((seen["log_l1_change_pct"] > 0).any()),
    }


def focus_pattern(table: pd.DataFrame, single: str = "single", multi: str = "multi") -> dict[str, bool]:
    """Table 1's pattern: the two-task model's depth log-L1 is worse on the full image but better inside the class."""
    log = table[table["metric"].isin(["log_l1", "Log L1"])].reset_index(drop=True)
    return {
        "two-task worse on the full image": bool(log.loc[0, multi] > log.loc[0, single]),
        "two-task better inside the class": bool(log.loc[2, multi] < log.loc[2, single]),
    }


# ----------------------------------------------------------------------------------------------------------
# Figure 1: the class-wise weights over training
# ----------------------------------------------------------------------------------------------------------


def weight_history(runs: Mapping[tuple[str, str], Mapping[str, Any]]) -> pd.DataFrame:
    """The class-wise weights of every "Ours" run over training, long form: dataset, method, step, epoch, class,
    weight."""
    frames = []
    for (d, m), r in runs.items():
        if not m.startswith("Ours"):
            continue
        steps = r["steps"]
        cols = [c for c in steps.columns if c.startswith("w.")]
        long = steps.melt(id_vars=["step", "epoch"], value_vars=cols, var_name="class", value_name="weight")
        long["class"] = long["class"].str[2:]
        frames.append(long.assign(dataset=d, method=m))
    return pd.concat(frames, ignore_index=True)[["dataset", "method", "step", "epoch", "class", "weight"]]


def final_weights(history: pd.DataFrame, zero: float = 0.05) -> pd.DataFrame:
    """Each run's last weights per class, with ``to_zero`` (below ``zero``) and ``min_over_training``."""
    ordered = history.sort_values(["dataset", "method", "class", "step"], kind="stable")
    table = ordered.groupby(["dataset", "method", "class"], sort=False).agg(
        final_weight=("weight", "last"), min_over_training=("weight", "min")
    )
    table["to_zero"] = table["final_weight"] < zero
    order = history[["dataset", "method", "class"]].drop_duplicates()
    return order.merge(table.reset_index(), on=["dataset", "method", "class"], how="left").reset_index(drop=True)


def some_weights_vanish(weights: pd.DataFrame) -> dict[str, bool]:
    """Sec. 4: classes that harm (or no longer help) the main task see their weights "converge to near zero",
    while helpful classes keep theirs: per run, some class ends below the threshold and some class stays above."""
    checks = {}
    for (d, m), group in weights.groupby(["dataset", "method"], sort=False):
        checks[f"{d} {m}: some weight to zero, some kept"] = bool(group["to_zero"].any() and not group["to_zero"].all())
    return checks


# ----------------------------------------------------------------------------------------------------------
# Table 2: time per batch of 8
# ----------------------------------------------------------------------------------------------------------


def runtime(profile: str, device: str | torch.device = "auto", seed: int = 0, dataset_name: str = "street") -> pd.DataFrame:
    """Table 2: seconds per training step on a batch of 8 for the linear sum, Pareto MTL (0.71, 0.71) and ours
    (main T_d, weights updated every step), same model, data and device, measured in this run with the one
    training loop (median over ``timing_rounds`` interleaved rounds of ``timing_steps`` steps, after a warm-up
    round). Columns: method, seconds_per_batch, time_ratio_to_linear_sum, and the published pair."""
    s, dev = settings(profile), resolve_device(device)
    train, _ = dataset(dataset_name, profile, seed, dev)
    data = train.subset(slice(0, s.batch_size * s.timing_steps))
    config = {**run_config(s, dataset_name, LINEAR, seed, dev), "warmup": 0, "interval": 1}
    tasks = tasks_of(dataset_name)
    strategies = {"Linear Sum": LINEAR, "Pareto MTL": "Pareto (0.71,0.71)", "Ours": "Ours (main T_d)"}
    times: dict[str, list[float]] = {k: [] for k in strategies}
    for round_ in range(s.timing_rounds + 1):
        for label, method in strategies.items():
            _, strategy = make_strategy(method, {**config, "dataset": dataset_name, "phase1_epochs": 0}, train)
            torch.manual_seed(seed)
            model = build_unet(tasks, width=s.width, depth=s.levels)
            result = fit(model, tasks, data, strategy=strategy, epochs=1, batch_size=s.batch_size, optimizer="sgd",
                         lr=s.lr, momentum=0.9, seed=seed, device=dev, progress=False)
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            if round_ > 0:
                times[label].append(result.wall_time / s.timing_steps)
    paper = published.load("02_table2_runtime").set_index("method")["seconds_per_batch"]
    seconds = {k: float(np.median(v)) for k, v in times.items()}
    return pd.DataFrame({
        "method": list(strategies),
        "seconds_per_batch": [seconds[k] for k in strategies],
        "time_ratio_to_linear_sum": [seconds[k] / seconds["Linear Sum"] for k in strategies],
        "paper_seconds_per_batch": [float(paper[k]) for k in strategies],
        "paper_time_ratio": [float(paper[k] / paper["Linear Sum"]) for k in strategies],
    })


def runtime_checks(table: pd.DataFrame, ratio: str = "time_ratio_to_linear_sum", factor: float = 1.5) -> dict[str, bool]:
    """Sec. 5.1: ours "runs almost as fast as a simple linear sum" and far faster than Pareto MTL: our ratio to the
    linear sum is at most the paper's own (0.310 / 0.183 = 1.69), and Pareto MTL takes at least ``factor`` times
    our time (the paper: 3.6)."""
    by = table.set_index("method")[ratio]
    paper = published.load("02_table2_runtime").set_index("method")["seconds_per_batch"]
    return {
        f"ours <= {paper['Ours'] / paper['Linear Sum']:.2f} x linear sum": bool(by["Ours"] <= paper["Ours"] / paper["Linear Sum"]),
        f"Pareto MTL >= {factor} x ours": bool(by["Pareto MTL"] >= factor * by["Ours"]),
    }


# ----------------------------------------------------------------------------------------------------------
# Evidence strings for the claims ledger, computed from the numbers (ours or the published ones)
# ----------------------------------------------------------------------------------------------------------


def comparison_evidence(losses: pd.DataFrame, ts: str = "ts_loss", td: str = "td_loss") -> str:
    """Per dataset: ours' main-task loss against the best of every other method of :data:`METHODS`."""
    parts = []
    for d, group in losses[losses["method"].isin(METHODS)].groupby("dataset", sort=False):
        by = group.set_index("method")
        best_ts = by.drop(index="Ours (main T_s)")[ts].min()
        best_td = by.drop(index="Ours (main T_d)")[td].min()
        parts.append(
            f"{d}: T_s {by.loc['Ours (main T_s)', ts]:.4g} vs best other {best_ts:.4g}, "
            f"T_d {by.loc['Ours (main T_d)', td]:.4g} vs best other {best_td:.4g}"
        )
    return "; ".join(parts)


def region_evidence(table: pd.DataFrame, classes: pd.DataFrame | None = None, single: str = "single", multi: str = "multi") -> str:
    """Table 1 in one line: log-L1 single → two-task on the full image and inside the class, and (ours) the
    classes where the two-task model is better / worse."""
    log = table[table["metric"].isin(["log_l1", "Log L1"])].reset_index(drop=True)
    text = (
        f"log-L1 full image {log.loc[0, single]:.4g} -> {log.loc[0, multi]:.4g}, "
        f"{log.loc[2, 'region'] if 'region' in log else 'class'} {log.loc[2, single]:.4g} -> {log.loc[2, multi]:.4g}"
    )
    if classes is not None:
        better = classes.loc[classes["log_l1_change_pct"] < 0, "class"].tolist()
        worse = classes.loc[classes["log_l1_change_pct"] > 0, "class"].tolist()
        text += f"; two-task better inside {', '.join(better) or 'no class'}, worse inside {', '.join(worse) or 'no class'}"
    return text


def weights_evidence(weights: pd.DataFrame) -> str:
    """Per run: which classes ended with a weight near zero, out of how many."""
    parts = []
    for (d, m), group in weights.groupby(["dataset", "method"], sort=False):
        zeroed = group.loc[group["to_zero"], "class"].tolist()
        names = f" ({', '.join(zeroed)})" if zeroed else ""
        parts.append(f"{d} {m}: {len(zeroed)} of {len(group)}{names} to ~0 (min final {group['final_weight'].min():.2f})")
    return "; ".join(parts)


def runtime_evidence(table: pd.DataFrame, ratio: str = "time_ratio_to_linear_sum") -> str:
    """Time per batch relative to the linear sum."""
    by = table.set_index("method")[ratio]
    return f"ours {by['Ours']:.2f} x, Pareto MTL {by['Pareto MTL']:.2f} x the linear sum per batch of 8"
