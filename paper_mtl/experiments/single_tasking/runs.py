"""What trains in notebook 04: the training configurations of a table row, the sweep function that trains one,
and the rows trained through the sweep cache (table rows, the seeded rows of the decisive comparisons, the probed
rows)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from paper_mtl.claims import seed_list
from paper_mtl.complexity import complexity
from paper_mtl.metrics import delta_m
from paper_mtl.models.task_conditioned import MOBILENET, TaskConditionedNet, build_single_tasking
from paper_mtl.profiles import check_choice, decisive_seeds, resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.tasks import Task
from paper_mtl.training import evaluate, fit, seed_everything
from paper_mtl.weighting import Strategy, build, describe, get_strategy
from paper_mtl.weighting.discriminator import SingleTaskSteps

from paper_mtl.experiments.single_tasking.data import (
    DATASETS,
    HIGHER_IS_BETTER,
    _check_source,
    data_source,
    dataset_tasks,
    scene_data,
)
from paper_mtl.experiments.single_tasking.probes import probe_network
from paper_mtl.experiments.single_tasking.config import (
    LABELS,
    LOSS_WEIGHTS,
    PERCENT,
    PROBED,
    SINGLE,
    VARIANTS,
    Settings,
    _rows,
)
from paper_mtl.experiments.single_tasking.config import settings as profile_settings

def row_configs(
    settings: Settings, dataset: str, backbone: str, decoder: str, variant: str, seed: int, device: str,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """The training configurations of one table row: one per task for single-task variants, else one, each with
    its strategy described (:func:`~paper_mtl.weighting.describe`).

    Each names its data (``data``: ``source``, default :func:`data_source`), so results cached on the procedural
    scenes are never reused for a prepared dataset or the other way round."""
    check_choice("dataset", dataset, DATASETS)
    check_choice("variant", variant, VARIANTS)
    tasks = list(DATASETS[dataset].tasks)
    options = dict(VARIANTS[variant])
    if decoder == "uber":
        options["se_decoder"] = "none"
    mobile = backbone == MOBILENET
    base = {
        "dataset": dataset, "data": data_source(dataset) if source is None else _check_source(dataset, source),
        "backbone": backbone, "decoder": decoder, "variant": variant, **options,
        "layers": None if mobile else list(settings.layers[backbone]),
        "width": settings.mobilenet_width if mobile else settings.width,
        "decoder_width": settings.decoder_width, "uber_width": settings.uber_width,
        "stem_stride": settings.stem_stride, "rates": list(settings.rates), "image_size": settings.image_size,
        "train_size": settings.train_size, "val_size": settings.val_size, "epochs": settings.epochs,
        "batch_size": settings.batch_size, "lr": settings.lr, "seed": seed, "device": device,
        "probes": _probed(dataset, backbone, decoder, variant),
        "probe_images": settings.probe_images, "shown_images": settings.shown_images,
        "tsne_levels": settings.tsne_levels,
    }
    rows = [[t] for t in tasks] if variant in SINGLE else [tasks]
    return [{**base, "tasks": row, "strategy": describe(_strategy(options["adversarial"], row))} for row in rows]


def _strategy(adversarial: bool, tasks: list[str]) -> Strategy:
    """A row's strategy: Eq. 5's weighted sum with Appendix D's weights, plus the discriminator of Sec. 3.3 in the
    adversarial variants."""
    weights = {t: LOSS_WEIGHTS[t] for t in tasks}
    return get_strategy("adversarial_gradients" if adversarial else "weighted_sum", weights=weights)


def _probed(dataset: str, backbone: str, decoder: str, variant: str) -> bool:
    return PROBED.get(dataset) == backbone and decoder == "deeplab" and variant in ("multi", "se_adv")


# ----------------------------------------------------------------------------------------------------------
# One training run (the sweep function)
# ----------------------------------------------------------------------------------------------------------


def build_row_model(config: Mapping[str, Any], tasks: Mapping[str, Task]) -> TaskConditionedNet:
    """The network of one configuration (see :func:`row_configs`)."""
    return build_single_tasking(
        tasks, config["backbone"], config["se_encoder"], config["se_decoder"], config["adapters"], config["decoder"],
        config["width"], config["decoder_width"], config["uber_width"], config["stem_stride"], config["layers"],
        config["rates"],
    )


def train_row(config: dict[str, Any]) -> dict[str, Any]:
    """Train and evaluate one configuration; module-level so :func:`~paper_mtl.sweep.run_sweep` can cache it.

    Returns validation ``metric`` and ``loss`` per task, ``params`` and ``multiply_adds`` (one inference call at
    the training image size), the training ``history``, and for probed rows ``probes`` (see
    :func:`probe_network`).
    """
    device = resolve_device(config["device"])
    train, val = scene_data(config["dataset"], config["train_size"], config["val_size"], config["image_size"],
                            config["seed"], str(device), config["data"])
    every = dataset_tasks(config["dataset"], config["data"])
    tasks = {t: every[t] for t in config["tasks"]}
    seed_everything(config["seed"])
    model = build_row_model(config, tasks)
    strategy = build(config["strategy"])
    epochs = config["epochs"]
    result = fit(
        model, tasks, train.select_tasks(list(tasks)), strategy=strategy, epochs=epochs,
        batch_size=config["batch_size"], optimizer="sgd", lr=config["lr"], momentum=0.9, weight_decay=1e-4,
        lr_milestones=[max(1, math.ceil(0.75 * epochs))], param_groups=lambda m: m.param_groups(config["lr"]),
        batch_plan=SingleTaskSteps(list(tasks)), seed=config["seed"], device=device, progress=False,
    )
    scores = evaluate(model, tasks, val.select_tasks(list(tasks)), batch_size=64, device=device)
    size = config["image_size"]
    out: dict[str, Any] = {
        "metric": {t: 100.0 * v if t in PERCENT else v for t, v in scores["metric"].items()},
        "loss": scores["loss"],
        **complexity(model, (1, 3, size, size), list(tasks), device),
        "history": result.history,
    }
    if config["probes"]:
        out["probes"] = probe_network(model, val, tasks, config["probe_images"], config["shown_images"],
                                      config["tsne_levels"], config["seed"])
    return out



SWEEP = "04_single_tasking"


def run_rows(
    rows: Sequence[tuple[str, str, str]], dataset: str, profile: str, seed: int = 0, device: str = "cpu",
    progress: bool = True,
) -> pd.DataFrame:
    """Train (or load from the sweep cache) each (backbone, decoder, variant) row on ``dataset`` (from
    :func:`data_source`, checked before anything trains).

    Returns one row per table row: backbone, decoder, variant, T, the task metrics, ``delta_m`` against the
    single-task row of the same backbone and decoder (trained too when not listed), params and multiply-adds
    (the sum over the T networks for single-task rows), and ``probes`` (or None).
    """
    settings = profile_settings(profile)
    device = str(resolve_device(device))
    wanted = list(dict.fromkeys(rows))
    needed = wanted + [(b, d, "single") for b, d, _ in wanted if (b, d, "single") not in wanted]
    needed = list(dict.fromkeys(needed))
    source = data_source(dataset)
    configs = {row: row_configs(settings, dataset, *row, seed, device, source) for row in needed}
    flat = [c for row in needed for c in configs[row]]
    results = iter(run_sweep(train_row, flat, SWEEP, progress=progress))
    measured: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in needed:
        parts = [next(results) for _ in configs[row]]
        metric = {k: v for p in parts for k, v in p["metric"].items()}
        measured[row] = {
            "metric": metric, "params": sum(p["params"] for p in parts),
            "multiply_adds": sum(p["multiply_adds"] for p in parts), "probes": parts[0].get("probes"),
        }
    tasks = list(DATASETS[dataset].tasks)
    records = []
    for backbone, decoder, variant in wanted:
        m = measured[(backbone, decoder, variant)]
        base = measured[(backbone, decoder, "single")]["metric"]
        records.append({
            "backbone": backbone, "decoder": decoder, "variant": variant, "label": LABELS[variant],
            "T": 1 if variant in SINGLE else len(tasks), **m["metric"],
            "delta_m": delta_m(m["metric"], base, HIGHER_IS_BETTER), "params": m["params"],
            "multiply_adds": m["multiply_adds"], "probes": m["probes"],
        })
    return pd.DataFrame(records)


SEEDED = ("pascal", "R-26", ("multi", "se", "adv", "se_adv"))
"""The rows trained over :func:`~paper_mtl.profiles.decisive_seeds` seeds: (dataset, backbone, variants). The seeds
go to Table 3(d) on PASCAL R-26, the paper's central comparison: SEA against the multi-task baseline, against SE
alone, and adversarial training alone. Two more trainings of each cost about 180 s at quick (the budget holds no
more); the other variants train one seed, so their comparisons read *within noise*."""


def seeded_rows(profile: str, seed: int = 0, device: str = "cpu", progress: bool = True) -> pd.DataFrame:
    """The :data:`SEEDED` rows at each of ``seed_list(seed, decisive_seeds(profile))``: one row per (seed, variant)
    with the task metrics and ``delta_m`` against the single-task networks of ``seed`` (one reference for every
    seed, so a paired difference of two variants' Δm is a difference of their metrics; the reference's own seed
    noise is not in the intervals). Seed ``seed`` is the table's own run (cached; only it is probed)."""
    dataset, backbone, variants = SEEDED
    settings = profile_settings(profile)
    device = str(resolve_device(device))
    source = data_source(dataset)
    tasks = list(DATASETS[dataset].tasks)
    reference = run_rows(_rows([backbone], ["single"]), dataset, profile, seed, device, progress).iloc[0]
    base = {t: float(reference[t]) for t in tasks}
    configs = [{**c, "probes": c["probes"] and s == seed}
               for s in seed_list(seed, decisive_seeds(profile)) for v in variants
               for c in row_configs(settings, dataset, backbone, "deeplab", v, s, device, source)]
    results = run_sweep(train_row, configs, SWEEP, progress=progress)
    return pd.DataFrame([{"seed": c["seed"], "backbone": backbone, "variant": c["variant"], **r["metric"],
                          "delta_m": delta_m(r["metric"], base, HIGHER_IS_BETTER)} for c, r in zip(configs, results)])


def probe_rows(dataset: str, profile: str, seed: int = 0, device: str = "cpu", progress: bool = True) -> pd.DataFrame:
    """The probed rows (MT and SEA, backbone :data:`PROBED`) of ``dataset``, with their Δm and probes."""
    check_choice("dataset", dataset, PROBED)
    return run_rows(_rows([PROBED[dataset]], ["multi", "se_adv"]), dataset, profile, seed, device, progress)
