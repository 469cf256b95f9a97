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

Claims (:mod:`paper_mtl.claims`). Each claim of the paper is one function (:func:`table1_claim`,
:func:`figs_claim`, :func:`weights_claim`, :func:`runtime_claim`) that quotes the paper's sentence, reads the
published numbers from :mod:`paper_mtl.published` and returns its checks. Seeds go to the decisive comparisons only
(:func:`~paper_mtl.profiles.decisive_seeds`, paired by seed; a seed also renders its own procedural data): single
T_d and the linear sum of Table 1, ours (main T_s / main T_d) and each one's strongest rival on every dataset
(Figures 2–4, whose runs also give Figure 1 its seeds) and the linear sum on the street dataset; every other run
trains one seed. Table 2's noise is the spread over interleaved timing rounds.
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
from paper_mtl.claims import DECISIVE, HOLDS, SANITY, SUPPORTING, Check, Claim, format_mean_se, seed_list
from paper_mtl.cost import full_length, metered
from paper_mtl.data.converters.nyuv2 import PREPARED_NAMES as NYUV2_NAMES
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.readers import first_prepared, load_prepared
from paper_mtl.data.scenes import classes as scene_classes
from paper_mtl.data.scenes import render
from paper_mtl.data.store import load_split
from paper_mtl.models.unet import build_unet
from paper_mtl.profiles import PAPER_LEASE, check_choice, check_profile, decisive_seeds, resolve_device
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
                      depth_bins=4, phase1_epochs=1, timing_steps=2, timing_rounds=2),
    "quick": Settings(size=32, n_images=240, width=8, levels=3, epochs=5, lr_drop=3, warmup=3, cw_lr=0.05, interval=2,
                      depth_bins=8, phase1_epochs=1, timing_steps=20, timing_rounds=5),
    "paper": Settings(size=64, n_images=800, width=16, levels=4, epochs=6, lr_drop=4, warmup=4, cw_lr=0.005,
                      interval=2, depth_bins=8, phase1_epochs=2, timing_steps=20, timing_rounds=5, batch_size=16),
}
"""Per-profile sizes. The paper trains until convergence with the lr drop and the start of the weight updates at
epoch 20, α = 0.0002 over thousands of steps per epoch; our runs are short, so α is larger (the paper: "a large
value of α would be suitable" for small datasets) and both events sit at about 3/5 of training (half at smoke). ``paper`` is
cut as :data:`PAPER_CUTS`."""
PAPER_CUTS = (
    "800 images per dataset at batch 16 for 6 epochs (about 270 steps a run; the paper trains until convergence; "
    f"the weights update from epoch 4, the learning rate drops at 4), {PAPER_LEASE}: 1,400 images at batch 8 would "
    "take about 4.7 times the kernel launches, and the epochs were cut from 8 to make room for the decisive comparisons' "
    "seeds; the decisive comparisons' "
    "extra seeds (2 more of single T_d and the linear sum, of ours (main T_s / main T_d) and of each one's strongest "
    "rival per dataset: about 28 runs) double the notebook's training"
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


@lru_cache(maxsize=9)
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
    profile: str, device: str | torch.device, progress: bool, triples: list[tuple[str, str, int]]
) -> tuple[dict[tuple[str, str, int], dict[str, Any]], dict[str, str]]:
    """The results of the runs ``triples`` (dataset, method, seed) keyed by triple, and each dataset's source."""
    s, dev = settings(profile), resolve_device(device)
    configs = [run_config(s, d, m, seed, dev) for d, m, seed in triples]
    results = run_sweep(train_run, configs, "02_classwise", progress=progress)
    return dict(zip(triples, results)), {c["dataset"]: c["data"] for c in configs}


def _by_seed(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` indexed by seed, in seed order (how paired checks line up their values)."""
    return frame.set_index("seed")[column].sort_index()


# ----------------------------------------------------------------------------------------------------------
# Figures 2-4: validation losses of every method on the three datasets
# ----------------------------------------------------------------------------------------------------------

OURS = {SEG: "Ours (main T_s)", DEPTH: "Ours (main T_d)"}
"""The class-wise run whose main task is T_s / T_d."""
LOSS = {SEG: "ts_loss", DEPTH: "td_loss"}
SHORT = {SEG: "T_s", DEPTH: "T_d"}


def published_losses() -> pd.DataFrame:
    """Figures 2–4 as published: dataset (our name), paper_dataset, method, ts_loss, td_loss (scale applied)."""
    table = published.load("02_figs2to4_losses")
    names = {spec.paper_name: name for name, spec in DATASETS.items()}
    return pd.DataFrame({
        "dataset": table["dataset"].map(names), "paper_dataset": table["dataset"], "method": table["method"],
        "ts_loss": table["ts_loss"] * table["scale"], "td_loss": table["td_loss"] * table["scale"],
    })


def strongest_competitors(per_seed: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per dataset and main task (T_s, T_d): the method of :data:`METHODS` other than ours for that task with the
    lowest validation loss of that task at the dataset's first seed — the rival the claim "ours has the lowest loss"
    has to beat. ``per_seed``: dataset, method, seed, ts_loss, td_loss (NaN where a method does not train a task)."""
    rivals: dict[str, dict[str, str]] = {}
    for d, group in per_seed[per_seed["method"].isin(METHODS)].groupby("dataset", sort=False):
        first = group[group["seed"] == group["seed"].min()].set_index("method")
        rivals[d] = {task: str(first.drop(index=OURS[task])[LOSS[task]].dropna().idxmin()) for task in (SEG, DEPTH)}
    return rivals


def _loss_rows(runs: Mapping[tuple[str, str, int], Mapping[str, Any]]) -> pd.DataFrame:
    rows = [{"dataset": d, "method": m, "seed": s, "ts_loss": r["best"].get(SEG, np.nan),
             "td_loss": r["best"].get(DEPTH, np.nan)} for (d, m, s), r in runs.items()]
    return pd.DataFrame(rows)


def comparison(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Figures 2–4: every method of :data:`METHODS` on every dataset of :data:`DATASETS` at ``seed`` (plus the linear
    sum on the street dataset); then, for the decisive comparisons, ours (main T_s / main T_d) and each one's
    strongest rival (:func:`strongest_competitors`) at :func:`~paper_mtl.profiles.decisive_seeds` seeds
    (:func:`~paper_mtl.claims.seed_list`), and the linear sum at as many on the street dataset.

    Returns ``per_seed`` (dataset, method, seed, ts_loss, td_loss), ``losses`` (per dataset and method: seeds, the
    mean losses over the seeds and the published pair), ``table`` (the same as mean ± s.e., what the notebook
    shows), ``competitors``, ``runs`` (raw results keyed by (dataset, method, seed)) and ``sources`` (each
    dataset's :func:`data_source`)."""
    seeds = seed_list(seed, decisive_seeds(profile))
    base = [(d, m, seed) for d in DATASETS for m in METHODS] + [("street", LINEAR, seed)]
    runs, sources = _runs(profile, device, progress, base)
    competitors = strongest_competitors(_loss_rows(runs))
    extra = [("street", LINEAR, s) for s in seeds[1:]]
    for d in DATASETS:
        methods = [m for m in METHODS if m in (*OURS.values(), *competitors[d].values())]
        extra += [(d, m, s) for s in seeds[1:] for m in methods]
    more, _ = _runs(profile, device, progress, extra)
    runs.update(more)
    per_seed = _loss_rows(runs).sort_values(["dataset", "method", "seed"], key=_order, kind="stable")
    losses = per_seed.groupby(["dataset", "method"], sort=False).agg(
        seeds=("seed", "size"), ts_loss=("ts_loss", "mean"), td_loss=("td_loss", "mean")).reset_index()
    paper = published_losses().rename(columns={"ts_loss": "paper_ts_loss", "td_loss": "paper_td_loss"})
    losses = losses.merge(paper.drop(columns="paper_dataset"), on=["dataset", "method"], how="left")
    losses["paper_dataset"] = losses["dataset"].map({k: v.paper_name for k, v in DATASETS.items()})
    return {"per_seed": per_seed.reset_index(drop=True), "losses": losses, "table": loss_table(per_seed, losses),
            "competitors": competitors, "runs": runs, "sources": sources}


def _order(column: pd.Series) -> pd.Series:
    """Sort key: datasets and methods in the order of :data:`DATASETS` and :data:`METHODS` (the linear sum last)."""
    if column.name == "dataset":
        return column.map(list(DATASETS).index)
    if column.name == "method":
        return column.map([*METHODS, LINEAR].index)
    return column


def loss_table(per_seed: pd.DataFrame, losses: pd.DataFrame) -> pd.DataFrame:
    """Figures 2–4 as the notebook shows them: per dataset and method, our T_s and T_d losses as mean ± s.e. over
    the seeds run (one value where one seed), beside the published pair."""
    def shown(values: pd.Series) -> str:
        values = values.dropna()
        return format_mean_se(values.to_numpy()) if len(values) else ""

    ours = per_seed.groupby(["dataset", "method"], sort=False).agg(ts_loss=("ts_loss", shown), td_loss=("td_loss", shown))
    table = losses[["dataset", "method", "seeds", "paper_dataset", "paper_ts_loss", "paper_td_loss"]]
    return table.merge(ours.reset_index(), on=["dataset", "method"])[
        ["dataset", "method", "seeds", "ts_loss", "td_loss", "paper_dataset", "paper_ts_loss", "paper_td_loss"]]


def _published_figs_text() -> str:
    parts = []
    for d, group in published_losses().groupby("dataset", sort=False):
        by = group.set_index("method")
        rivals = strongest_competitors(group.assign(seed=0))[d]
        parts.append(", ".join(
            f"{DATASETS[d].paper_name} {SHORT[t]} {by.loc[OURS[t], LOSS[t]]:.4g} vs {by.loc[rivals[t], LOSS[t]]:.4g} "
            f"({rivals[t]})" for t in (SEG, DEPTH)))
    return "ours vs the best other method: " + "; ".join(parts)


def figs_claim(per_seed: pd.DataFrame) -> Claim:
    """Sec. 5.1 / Figures 2–4: on every dataset, ours (main T_s) has the lowest validation T_s loss and ours (main
    T_d) the lowest T_d loss of all methods. Decisive, per dataset (its group): each beats the strongest other method
    for its task (:func:`strongest_competitors`, chosen at the first seed), paired over the seeds both ran
    (:meth:`~paper_mtl.claims.Check.paired`; beating the strongest rival beats the others). Supporting, where the
    linear sum was run: ours beats it too, i.e. the class-wise weights, not just adding the auxiliary task, give
    the gain."""
    rivals = strongest_competitors(per_seed)
    checks, ours_text = [], []
    for d in rivals:
        group = per_seed[per_seed["dataset"] == d]
        for task in (SEG, DEPTH):
            mine = _by_seed(group[group["method"] == OURS[task]], LOSS[task]).dropna()
            for other, kind in ((rivals[d][task], DECISIVE), (LINEAR, SUPPORTING)):
                theirs = _by_seed(group[group["method"] == other], LOSS[task]).dropna()
                common = mine.index.intersection(theirs.index)
                if not len(common):
                    continue
                checks.append(Check.paired(
                    f"{d}: {OURS[task]} {SHORT[task]} below {other}", mine[common].to_numpy(), theirs[common].to_numpy(),
                    better="lower", kind=kind, group=d))
            rival = _by_seed(group[group["method"] == rivals[d][task]], LOSS[task]).dropna()
            ours_text.append(f"{d} {SHORT[task]} {format_mean_se(mine.to_numpy())} vs {format_mean_se(rival.to_numpy())} "
                             f"({rivals[d][task]})")
    n = int(per_seed.groupby(["dataset", "method"])["seed"].nunique().max())
    return Claim(
        label="Figures 2-4: ours has the lowest main-task validation loss on every dataset",
        sentence=("In all experiments, the best segmentation and the best depth losses estimated from the proposed "
                  "method consistently achieved the lowest validation losses."),
        published=_published_figs_text(),
        ours=f"ours vs the best other method (mean ± s.e., up to {n} seeds): " + "; ".join(ours_text),
        checks=checks,
    )


# ----------------------------------------------------------------------------------------------------------
# Table 1: depth by region, single task vs the plain two-task sum
# ----------------------------------------------------------------------------------------------------------

MODELS = {"single": "Single T_d", "multi": LINEAR}
"""Table 1's two models: single-task depth and the plain sum of the two losses."""
METRICS = {"delta1": ("Acc. IoU(%)", "higher"), "log_l1": ("Log L1", "lower")}
"""Table 1's depth metrics: our column, the paper's row name, and which direction is better."""


def depth_by_region(profile: str, device: str | torch.device = "auto", seed: int = 0, progress: bool = True,
                    dataset_name: str = "street", focus: str = "car") -> dict[str, pd.DataFrame]:
    """Table 1: depth δ<1.25 (%) and log-L1 of single T_d and the linear sum at
    :func:`~paper_mtl.profiles.decisive_seeds` seeds each (paired by seed), on the whole image and inside / outside
    every class of the dataset (the paper's ``focus`` class "car"; on a prepared real dataset the classes are its
    manifest's, so ``focus`` must be one of them).

    Returns ``per_seed`` (seed, model — ``single`` / ``multi`` —, region — ``full`` / ``inside`` / ``outside`` —,
    class name, empty for the full image, pixels, delta1, log_l1), ``table`` (:func:`region_table`) and ``classes``
    (:func:`class_changes`)."""
    check_choice("dataset", dataset_name, DATASETS)
    names = class_names(dataset_name)
    check_choice("focus class", focus, names)
    seeds = seed_list(seed, decisive_seeds(profile))
    triples = [(dataset_name, method, s) for s in seeds for method in MODELS.values()]
    runs, _ = _runs(profile, device, progress, triples)
    frames = []
    for (_, method, s), result in runs.items():
        regions = result["regions"]
        label = {v: k for k, v in MODELS.items()}[method]
        frames.append(regions.assign(seed=s, model=label, **{"class": regions["class"].map(lambda c: "" if c < 0 else names[c])}))
    per_seed = pd.concat(frames, ignore_index=True)[["seed", "model", "region", "class", "pixels", "delta1", "log_l1"]]
    return {"per_seed": per_seed, "table": region_table(per_seed, focus), "classes": class_changes(per_seed)}


def _region(per_seed: pd.DataFrame, model: str, region: str, cls: str, metric: str) -> pd.Series:
    rows = per_seed[(per_seed["model"] == model) & (per_seed["region"] == region) & (per_seed["class"] == cls)]
    return _by_seed(rows, metric)


def _regions(focus: str) -> dict[str, tuple[str, str, str]]:
    """Table 1's three regions: our label -> (region, class, the paper's label)."""
    return {"Full image": ("full", "", "Full image"),
            f"Non-{focus} region": ("outside", focus, "Non-car region"),
            f"{focus.capitalize()} region": ("inside", focus, "Car region")}


def region_table(per_seed: pd.DataFrame, focus: str = "car") -> pd.DataFrame:
    """Table 1 as the notebook shows it: per metric and region, single-task and two-task depth as mean ± s.e. over
    seeds, beside the published pair."""
    paper = published.load("02_table1_depth_by_region")
    rows = []
    for metric, (paper_metric, _) in METRICS.items():
        for label, (region, cls, paper_region) in _regions(focus).items():
            p = paper[(paper["metric"] == paper_metric) & (paper["region"] == paper_region)].iloc[0]
            rows.append({"metric": metric, "region": label,
                         **{k: format_mean_se(_region(per_seed, k, region, cls, metric).to_numpy()) for k in MODELS},
                         "paper_single": float(p["single"]), "paper_multi": float(p["multi"])})
    return pd.DataFrame(rows)


def class_changes(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Depth inside every class, means over seeds: pixel share, δ<1.25 and log-L1 of both models, and the change of
    log-L1 in percent (negative = the two-task model is better there)."""
    inside = per_seed[per_seed["region"] == "inside"]
    full = per_seed[per_seed["region"] == "full"].set_index(["seed", "model"])["pixels"]
    inside = inside.assign(pixel_share=inside["pixels"].to_numpy() / full.loc[list(zip(inside["seed"], inside["model"]))].to_numpy())
    means = inside.groupby(["class", "model"], sort=False)[["pixel_share", "delta1", "log_l1"]].mean().unstack("model")
    names = list(dict.fromkeys(inside["class"]))
    classes = pd.DataFrame({
        "class": names, "pixel_share": means[("pixel_share", "single")].loc[names].to_numpy(),
        "delta1_single": means[("delta1", "single")].loc[names].to_numpy(),
        "delta1_multi": means[("delta1", "multi")].loc[names].to_numpy(),
        "log_l1_single": means[("log_l1", "single")].loc[names].to_numpy(),
        "log_l1_multi": means[("log_l1", "multi")].loc[names].to_numpy(),
    })
    classes["log_l1_change_pct"] = 100 * (classes["log_l1_multi"] / classes["log_l1_single"] - 1)
    return classes


def _paired_region(per_seed: pd.DataFrame, name: str, region: str, cls: str, metric: str, two_task_better: bool,
                   kind: str = DECISIVE) -> Check:
    """The two-task model against single-task depth in one region, paired by seed: holds when the two-task model is
    better (``two_task_better``) or worse there beyond noise."""
    multi, single = _region(per_seed, "multi", region, cls, metric), _region(per_seed, "single", region, cls, metric)
    better = METRICS[metric][1]
    if not two_task_better:
        better = "higher" if better == "lower" else "lower"
    return Check.paired(name, multi.to_numpy(), single.to_numpy(), better=better, kind=kind)


def _class_effects(per_seed: pd.DataFrame, min_share: float) -> tuple[list[str], list[str]]:
    """The classes (at least ``min_share`` of the pixels in every seed) inside which the two-task model's log-L1 is
    better / worse than single-task beyond noise (paired over seeds)."""
    inside = per_seed[per_seed["region"] == "inside"]
    full = per_seed.loc[per_seed["region"] == "full", "pixels"].min()
    better, worse = [], []
    for cls in dict.fromkeys(inside["class"]):
        rows = inside[inside["class"] == cls]
        if rows["pixels"].min() < min_share * full or rows["log_l1"].isna().any():
            continue
        if _paired_region(per_seed, cls, "inside", cls, "log_l1", True).state == HOLDS:
            better.append(cls)
        if _paired_region(per_seed, cls, "inside", cls, "log_l1", False).state == HOLDS:
            worse.append(cls)
    return better, worse


def _table1_text(single: float | str, multi: float | str, region: str) -> str:
    return f"{region} {single} -> {multi}"


def table1_claim(per_seed: pd.DataFrame, focus: str = "car", min_share: float = 0.005) -> Claim:
    """Sec. 3 / Table 1: with the two losses simply summed, depth gets better inside the car region and worse on the
    whole image. Decisive (both halves of Table 1's pattern, log-L1 paired over seeds): the two-task model is
    better inside ``focus`` and worse on the full image. Supporting: the same on δ<1.25, and some class (covering
    ``min_share`` of the pixels) where the two-task depth is better, another where it is worse, beyond noise."""
    regions = _regions(focus)
    full, inside = regions["Full image"], regions[f"{focus.capitalize()} region"]
    checks = [
        _paired_region(per_seed, f"two-task log-L1 better inside {focus}", *inside[:2], "log_l1", True),
        _paired_region(per_seed, "two-task log-L1 worse on the full image", *full[:2], "log_l1", False),
        _paired_region(per_seed, f"two-task δ<1.25 better inside {focus}", *inside[:2], "delta1", True, SUPPORTING),
        _paired_region(per_seed, "two-task δ<1.25 worse on the full image", *full[:2], "delta1", False, SUPPORTING),
    ]
    better, worse = _class_effects(per_seed, min_share)
    checks += [
        Check.truth("a class where two-task log-L1 is better", bool(better), kind=SUPPORTING, detail=", ".join(better) or "none"),
        Check.truth("a class where two-task log-L1 is worse", bool(worse), kind=SUPPORTING, detail=", ".join(worse) or "none"),
    ]
    paper = published.load("02_table1_depth_by_region").set_index(["metric", "region"])
    log = METRICS["log_l1"][0]
    published_text = "log-L1 single -> two-task: " + ", ".join(
        _table1_text(paper.loc[(log, r[2]), "single"], paper.loc[(log, r[2]), "multi"], r[2].lower()) for r in (full, inside))
    ours = ", ".join(
        _table1_text(format_mean_se(_region(per_seed, "single", *r[:2], "log_l1").to_numpy()),
                     format_mean_se(_region(per_seed, "multi", *r[:2], "log_l1").to_numpy()), label.lower())
        for label, r in (("Full image", full), (f"{focus} region", inside)))
    n = per_seed["seed"].nunique()
    return Claim(
        label="Table 1: summing the two losses helps depth inside the car region and hurts it on the whole image",
        sentence=('the accuracy of depth regression in the class label "car" region has increased, whereas some '
                  "other class labels showed degraded depth accuracy"),
        published=published_text,
        ours=(f"log-L1 single -> two-task ({n} seeds): {ours}; two-task better beyond noise inside "
              f"{', '.join(better) or 'no class'}, worse inside {', '.join(worse) or 'no class'}"),
        checks=checks,
    )


# ----------------------------------------------------------------------------------------------------------
# Figure 1: the class-wise weights over training
# ----------------------------------------------------------------------------------------------------------

ZERO = 0.05
"""A class-wise weight below this has converged "to near zero" (Sec. 4)."""


def weight_history(runs: Mapping[tuple[str, str, int], Mapping[str, Any]]) -> pd.DataFrame:
    """The class-wise weights of every "Ours" run over training, long form: dataset, method, seed, step, epoch,
    class, weight."""
    frames = []
    for (d, m, s), r in runs.items():
        if not m.startswith("Ours"):
            continue
        steps = r["steps"]
        cols = [c for c in steps.columns if c.startswith("w.")]
        long = steps.melt(id_vars=["step", "epoch"], value_vars=cols, var_name="class", value_name="weight")
        long["class"] = long["class"].str[2:]
        frames.append(long.assign(dataset=d, method=m, seed=s))
    return pd.concat(frames, ignore_index=True)[["dataset", "method", "seed", "step", "epoch", "class", "weight"]]


def final_weights(history: pd.DataFrame, zero: float = ZERO) -> pd.DataFrame:
    """Each run's last weight per class, with ``min_over_training`` and ``to_zero`` (final weight below ``zero``)."""
    ordered = history.sort_values(["dataset", "method", "seed", "class", "step"], kind="stable")
    table = ordered.groupby(["dataset", "method", "seed", "class"], sort=False).agg(
        final_weight=("weight", "last"), min_over_training=("weight", "min")
    )
    table["to_zero"] = table["final_weight"] < zero
    order = history[["dataset", "method", "seed", "class"]].drop_duplicates()
    return order.merge(table.reset_index(), on=["dataset", "method", "seed", "class"], how="left").reset_index(drop=True)


def weights_table(final: pd.DataFrame) -> pd.DataFrame:
    """Figure 1 as the notebook shows it: per dataset, run and class, the final weight as mean ± s.e. over seeds,
    its smallest value during training and the seeds in which it ended near zero."""
    def shown(values: pd.Series) -> str:
        return format_mean_se(values.to_numpy(), 3)

    table = final.groupby(["dataset", "method", "class"], sort=False).agg(
        seeds=("seed", "size"), final_weight=("final_weight", shown), min_over_training=("min_over_training", "min"),
        seeds_near_zero=("to_zero", "sum"))
    return table.reset_index()


def weights_claim(final: pd.DataFrame, zero: float = ZERO) -> Claim:
    """Sec. 4 / Figure 1: the weights of classes that harm the main task (or that it has exhausted) converge to near
    zero, helpful classes keep theirs. Decisive, per run (grouped by dataset): the smallest final weight of the run
    is below ``zero``, paired over seeds against that bound (a weight the ReLU holds at 0 in every seed holds).
    Supporting: the largest final weight stays above ``zero``. Sanity: no weight is ever negative (the ReLU of
    Eq. 9)."""
    checks, parts = [], []
    for (d, m), group in final.groupby(["dataset", "method"], sort=False):
        per_seed = group.groupby("seed")["final_weight"]
        smallest, largest = per_seed.min().sort_index(), per_seed.max().sort_index()
        bound = np.full(len(smallest), zero)
        checks.append(Check.paired(f"{d} {m}: smallest final weight below {zero:g}", smallest.to_numpy(), bound,
                                   better="lower", group=d, digits=3))
        checks.append(Check.paired(f"{d} {m}: largest final weight above {zero:g}", largest.to_numpy(), bound,
                                   better="higher", kind=SUPPORTING, group=d, digits=3))
        zeroed = group.loc[group["to_zero"], "class"].unique().tolist()
        names = f" ({', '.join(zeroed)})" if zeroed else ""
        parts.append(f"{d} {m}: smallest final {format_mean_se(smallest.to_numpy(), 2)}, {len(zeroed)} of "
                     f"{group['class'].nunique()} classes near zero in some seed{names}")
    negative = final[["final_weight", "min_over_training"]].lt(0).to_numpy().sum()
    checks.append(Check.truth("no weight ever negative (ReLU of Eq. 9)", negative == 0, kind=SANITY,
                              detail=f"smallest weight over training {final['min_over_training'].min():.3g}"))
    return Claim(
        label="Figure 1 / Sec. 4: the weights of harmful or exhausted classes converge to near zero",
        sentence=("in the case that some class labels would harm the main task learning, or that the main task has "
                  "already exploited all useful information from them, their weights would converge to near zero"),
        published="qualitative (Figure 1 is a diagram; no weights are printed)",
        ours=f"near zero = below {zero:g}; " + "; ".join(parts),
        checks=checks,
    )


# ----------------------------------------------------------------------------------------------------------
# Table 2: time per batch of 8
# ----------------------------------------------------------------------------------------------------------

TIMED = {"Linear Sum": LINEAR, "Pareto MTL": "Pareto (0.71,0.71)", "Ours": "Ours (main T_d)"}
"""Table 2's rows (the paper's names) and the method each times."""


def runtime(profile: str, device: str | torch.device = "auto", seed: int = 0, dataset_name: str = "street") -> dict[str, pd.DataFrame]:
    """Table 2: seconds per training step on a batch of 8 for the linear sum, Pareto MTL (0.71, 0.71) and ours
    (main T_d, weights updated every step), same model, data and device, measured in this run with the one
    training loop: ``timing_rounds`` rounds of ``timing_steps`` steps, the three methods interleaved within each
    round, after a warm-up round. Returns ``rounds`` (round, method, seconds_per_batch, ratio_to_linear_sum: each
    ratio against the linear sum of the same round) and ``table`` (:func:`runtime_table`)."""
    s, dev = settings(profile), resolve_device(device)
    train, _ = dataset(dataset_name, profile, seed, dev)
    data = train.subset(slice(0, s.batch_size * s.timing_steps))
    config = {**run_config(s, dataset_name, LINEAR, seed, dev), "warmup": 0, "interval": 1}
    tasks = tasks_of(dataset_name)
    rows = []
    for round_ in range(s.timing_rounds + 1):
        for label, method in TIMED.items():
            _, strategy = make_strategy(method, {**config, "dataset": dataset_name, "phase1_epochs": 0}, train)
            torch.manual_seed(seed)
            model = build_unet(tasks, width=s.width, depth=s.levels)
            result = fit(model, tasks, data, strategy=strategy, epochs=1, batch_size=s.batch_size, optimizer="sgd",
                         lr=s.lr, momentum=0.9, seed=seed, device=dev, progress=False)
            if dev.type == "cuda":
                torch.cuda.synchronize(dev)
            if round_ > 0:
                rows.append({"round": round_, "method": label, "batch_size": s.batch_size,
                             "seconds_per_batch": result.wall_time / s.timing_steps})
    rounds = pd.DataFrame(rows)
    linear = rounds[rounds["method"] == "Linear Sum"].set_index("round")["seconds_per_batch"]
    rounds["ratio_to_linear_sum"] = rounds["seconds_per_batch"].to_numpy() / linear.loc[rounds["round"]].to_numpy()
    return {"rounds": rounds, "table": runtime_table(rounds)}


def _paper_times() -> pd.Series:
    return published.load("02_table2_runtime").set_index("method")["seconds_per_batch"]


def runtime_table(rounds: pd.DataFrame) -> pd.DataFrame:
    """Table 2 as the notebook shows it: seconds per batch and the ratio to the linear sum of the same round, mean ±
    s.e. over the rounds, beside the published seconds and ratio."""
    paper = _paper_times()
    rows = []
    for label in TIMED:
        mine = rounds[rounds["method"] == label]
        rows.append({"method": label, "rounds": len(mine),
                     "seconds_per_batch": format_mean_se(mine["seconds_per_batch"].to_numpy(), 3),
                     "time_ratio_to_linear_sum": format_mean_se(mine["ratio_to_linear_sum"].to_numpy(), 3),
                     "paper_seconds_per_batch": float(paper[label]),
                     "paper_time_ratio": float(paper[label] / paper["Linear Sum"])})
    return pd.DataFrame(rows)


def runtime_claim(rounds: pd.DataFrame) -> Claim:
    """Sec. 5.2 / Table 2: ours runs almost as fast as a linear sum of losses. Decisive: ours' time per batch over
    the linear sum's (same round) is below the ratio the paper itself calls "almost as fast", with the spread over
    interleaved rounds as the noise (paired over rounds). Supporting: ours is faster than Pareto MTL (Table 2's other
    row), paired over rounds."""
    paper = _paper_times()
    bound = float(paper["Ours"] / paper["Linear Sum"])
    by = {label: _by_seed(rounds[rounds["method"] == label].rename(columns={"round": "seed"}), "seconds_per_batch")
          for label in TIMED}
    ratio = _by_seed(rounds[rounds["method"] == "Ours"].rename(columns={"round": "seed"}), "ratio_to_linear_sum")
    pareto_ratio = (by["Pareto MTL"] / by["Linear Sum"]).to_numpy()
    checks = [
        Check.paired(f"ours / linear sum time below the paper's {bound:.2f}", ratio.to_numpy(), np.full(len(ratio), bound),
                     better="lower", digits=3),
        Check.paired("ours faster than Pareto MTL", by["Ours"].to_numpy(), by["Pareto MTL"].to_numpy(), better="lower",
                     kind=SUPPORTING, digits=3),
    ]
    return Claim(
        label="Table 2: ours runs almost as fast as a linear sum of losses",
        sentence="our algorithm runs almost as fast as a simple linear sum of losses",
        published=(f"per batch of 8: linear sum {paper['Linear Sum']:g} s, Pareto MTL {paper['Pareto MTL']:g} s, ours "
                   f"{paper['Ours']:g} s (ours {bound:.2f} x, Pareto MTL {paper['Pareto MTL'] / paper['Linear Sum']:.2f} x "
                   "the linear sum)"),
        ours=(f"{len(ratio)} interleaved rounds: ours {format_mean_se(ratio.to_numpy(), 3)} x, Pareto MTL "
              f"{format_mean_se(pareto_ratio, 3)} x the linear sum per batch of {int(rounds['batch_size'].iloc[0])}"),
        checks=checks,
    )
