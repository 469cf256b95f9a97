"""What trains: one network (:func:`train_network`, the sweep function of notebook 03) and the sweeps over
it, namely the 36 candidates (:func:`run_groupings`), the baselines of Table 7 (:func:`run_baselines`), the extra
seeds of the decisive comparisons (:func:`seeded_solutions`), the ResNet-18 retraining of Table 1
(:func:`resnet_retrain`) and the little-data networks of Table 5 (:func:`small_data`)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from paper_mtl.claims import seed_list
from paper_mtl.cost import full_length, metered
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.grouping import Network, Selection, groupings
from paper_mtl.models import HardSharingNet, build_hard_sharing, make_decoder
from paper_mtl.profiles import check_choice, decisive_seeds, resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.tasks import Task
from paper_mtl.training import evaluate, fit, seed_everything
from paper_mtl.weighting import build, describe, get_strategy
from paper_mtl.weighting.base import Strategy

from paper_mtl.experiments.task_grouping.data import scene_splits, width_for_cost
from paper_mtl.experiments.task_grouping.config import (
    HALF,
    LETTERS,
    METHODS,
    STRATEGIES,
    TASKS,
    Settings,
    _early_steps,
    letter_name,
    settings,
    task_objects,
)


def _strategy(name: str) -> Strategy:
    """The registered strategy behind each of :data:`STRATEGIES` (GradNorm with the α of paper 03's code)."""
    check_choice("strategy", name, STRATEGIES)
    registered, params = {"sum": ("weighted_sum", {}), "mgda": ("mgda", {}), "gradnorm": ("gradnorm", {"alpha": 1.5})}[name]
    return get_strategy(registered, **params)


def _build(tasks: Mapping[str, Task], config: Mapping[str, Any]) -> HardSharingNet:
    width = width_for_cost(config["encoder"], config["cost"], config["base_width"])
    return build_hard_sharing(tasks, config["encoder"], width=width, decoder_width=config["decoder_width"])


def _predictions(model: nn.Module, tasks: Sequence[str], data: MultiTaskData, count: int, device: torch.device) -> dict[str, list]:
    model.eval()
    with torch.no_grad():
        out = model(data.inputs[:count].float().to(device), tasks=list(tasks))
    result = {}
    for t in tasks:
        pred = out[t].float().cpu()
        result[t] = pred.argmax(1).tolist() if t == "segment_semantic" else np.round(pred.numpy(), 3).tolist()
    return result


def _readout(encoder: nn.Module, data: dict[str, MultiTaskData], config: Mapping[str, Any], device: torch.device) -> dict[str, float]:
    """Taskonomy-style transfer (Sec. 6): fresh decoders for every task on the frozen encoder; their test losses."""
    encoder.eval()

    def features(split: MultiTaskData) -> MultiTaskData:
        with torch.no_grad():
            batches = metered(split, 256, "features", encoder)
            feats = full_length(torch.cat([encoder(x.float().to(device)).float().cpu() for x, _ in batches]), len(split))
        return MultiTaskData(feats, split.targets, split.meta)

    train, val, test = (features(data[k]) for k in ("train", "val", "test"))
    tasks = task_objects()
    seed_everything(config["seed"])
    decoders = {t: make_decoder(True, encoder.out_channels, task.channels, encoder.stride, config["decoder_width"]) for t, task in tasks.items()}
    head = HardSharingNet(nn.Identity(), decoders)
    fit(head, tasks, train, val, epochs=config["readout_epochs"], batch_size=config["batch_size"], lr=config["lr"],
        keep_best=True, seed=config["seed"], device=device, progress=False)
    return evaluate(head, tasks, test, device=device)["loss"]


def train_network(config: dict[str, Any]) -> dict[str, Any]:
    """Train one candidate network and return its validation/test losses (the sweep function of this notebook).

    ``config``: ``tasks``, ``cost`` (SNT), ``encoder``, ``base_width`` (the width of a 1-SNT encoder),
    ``decoder_width``, ``strategy`` (a :func:`~paper_mtl.weighting.describe` description), ``data`` (the
    :func:`scene_splits` arguments), ``train_fraction`` (leading share of the training split), ``epochs``,
    ``batch_size``, ``lr``, ``seed``,
    ``device``, ``early_steps`` (ESA: validation losses after that many steps, 0 = none), ``readout_epochs``
    (transfer readouts from the frozen encoder, 0 = none), ``predictions`` (test images to keep predictions of).
    The result holds the seconds it took: ``train_s`` (building, training and scoring on validation, what the
    search pays per candidate) and ``early_s`` (building, ESA's early pass and its validation losses).
    """
    device = resolve_device(config["device"])
    data = scene_splits(**config["data"], device=device.type)
    tasks = task_objects(config["tasks"])
    n_train = max(config["batch_size"], int(round(len(data["train"]) * config["train_fraction"])))
    train = data["train"].subset(slice(0, n_train)).select_tasks(list(tasks))
    val, test = data["val"].select_tasks(list(tasks)), data["test"].select_tasks(list(tasks))
    epochs = config["epochs"]
    common = dict(batch_size=config["batch_size"], lr=config["lr"], seed=config["seed"], device=device, progress=False)
    result: dict[str, Any] = {}
    if config["early_steps"]:
        seed_everything(config["seed"])
        start = time.perf_counter()
        early = _build(tasks, config)
        fit(early, tasks, train, strategy=build(config["strategy"]), epochs=1, max_steps=config["early_steps"], **common)
        result["early_val"] = evaluate(early, tasks, val, device=device)["loss"]
        result["early_s"] = time.perf_counter() - start
    seed_everything(config["seed"])
    start = time.perf_counter()
    model = _build(tasks, config)
    run = fit(
        model, tasks, train, val, strategy=build(config["strategy"]), epochs=epochs, keep_best=True,
        lr_milestones=sorted({max(1, int(0.6 * epochs)), max(1, int(0.8 * epochs))}), lr_gamma=0.5, **common,
    )
    result["val"] = evaluate(model, tasks, val, device=device)["loss"]
    result["train_s"] = time.perf_counter() - start
    result["test"] = evaluate(model, tasks, test, device=device)["loss"]
    result["best_epoch"] = run.best_epoch
    weights = [c for c in run.steps.columns if c.startswith("weight.")] if len(run.steps) else []
    if weights:
        result["mean_weights"] = {c.removeprefix("weight."): float(run.steps[c].mean()) for c in weights}
    if config["predictions"]:
        result["predictions"] = _predictions(model, list(tasks), data["test"], config["predictions"], device)
    if config["readout_epochs"]:
        result["readout"] = _readout(model.encoder, data, config, device)
    return result


def _config(s: Settings, tasks: Sequence[str], cost: float, seed: int, device: torch.device, data_seed: int | None = None,
            **overrides: Any) -> dict[str, Any]:
    """A training's configuration; ``data_seed`` (default ``seed``) renders the scenes, so extra seeds of a decisive
    comparison (:func:`seeded_solutions`) retrain on the same data with another initialisation and batch order.
    ``strategy`` is one of :data:`STRATEGIES`; the configuration holds its description (every parameter)."""
    config = {
        "tasks": [t for t in TASKS if t in tasks], "cost": float(cost), "encoder": "small", "base_width": 1.0,
        "decoder_width": s.decoder_width, "strategy": "sum",
        "data": {"size": s.size, "n_train": s.n_train, "n_val": s.n_val, "n_test": s.n_test,
                 "seed": seed if data_seed is None else data_seed},
        "train_fraction": 1.0, "epochs": s.epochs, "batch_size": s.batch_size, "lr": s.lr, "seed": seed,
        "device": device.type, "early_steps": 0, "readout_epochs": 0, "predictions": s.predictions,
    }
    config.update(overrides)
    config["strategy"] = describe(_strategy(config["strategy"]))
    return config


# ----------------------------------------------------------------------------------------------------------
# The 2^T − 1 groupings and T half-size networks (Tables 8 and 9)
# ----------------------------------------------------------------------------------------------------------


@dataclass
class GroupingRuns:
    """The trained candidates: ``val``/``test``/``early`` tables as :class:`Network` lists (31 full + 5 half), and
    ``seconds``: per candidate (``network``, ``cost``, ``n_tasks``), the wall time of its training (``train_s``) and of
    ESA's early pass (``early_s``), as measured when it trained (a cached result keeps its own)."""

    val: list[Network]
    test: list[Network]
    early: list[Network]
    predictions: dict[str, dict[str, list]]
    readout: dict[str, dict[str, float]]
    settings: Settings
    seed: int
    device: str
    extra: dict[str, Any] = field(default_factory=dict)
    seconds: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self, which: str = "test") -> pd.DataFrame:
        """Table 8 (``val``) or 9 (``test``) analogue; ``early`` gives the ESA losses. Rows: networks."""
        check_choice("table", which, ("val", "test", "early"))
        nets = getattr(self, which)
        frame = pd.DataFrame(
            [{"network": n.name, "cost": n.cost, **{LETTERS[t].upper(): n.losses.get(t, np.nan) for t in TASKS}} for n in nets]
        )
        frame["total"] = frame[[LETTERS[t].upper() for t in TASKS]].sum(axis=1, min_count=1)
        return frame


def _candidates() -> list[tuple[tuple[str, ...], float]]:
    return [(g, 1.0) for g in groupings(list(TASKS))] + [((t,), HALF) for t in TASKS]


def run_groupings(profile: str, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> GroupingRuns:
    """Train all 2^T − 1 groupings at full size and T single-task networks at half size (paper 03, Sec. 3.1).

    Each training also records the ESA's early validation losses (after 20% of one pass, same seed, so the start
    of the same run) and a few test predictions; the full-size single-task networks also train transfer
    readouts on their frozen encoders (Table 4 analogue).
    """
    s = settings(profile)
    device = resolve_device(device)
    configs = [
        _config(s, group, cost, seed, device, early_steps=_early_steps(s), readout_epochs=s.readout_epochs if (len(group) == 1 and cost == 1.0) else 0)
        for group, cost in _candidates()
    ]
    results = run_sweep(train_network, configs, "03_groupings", progress=progress)
    val, test, early, predictions, readout, seconds = [], [], [], {}, {}, []
    for (group, cost), res in zip(_candidates(), results):
        name = letter_name(group, cost)
        val.append(Network(name, cost, res["val"]))
        test.append(Network(name, cost, res["test"]))
        early.append(Network(name, cost, res["early_val"]))
        seconds.append({"network": name, "cost": cost, "n_tasks": len(group), "train_s": res["train_s"],
                        "early_s": res["early_s"]})
        predictions[name] = res.get("predictions", {})
        if "readout" in res:
            readout[group[0]] = res["readout"]
    return GroupingRuns(val, test, early, predictions, readout, s, seed, device.type, seconds=pd.DataFrame(seconds))


# ----------------------------------------------------------------------------------------------------------
# Baselines and network selection (Tables 6 and 7, Figures 2 and 3)
# ----------------------------------------------------------------------------------------------------------


def run_baselines(profile: str, runs: GroupingRuns, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Test losses of the trained baselines of Table 7: one row per (method, budget), one column per task.

    Traditional MTL at 1 SNT is the all-in-one candidate; Independent at T/2 and T are the half- and full-size
    single-task candidates; every other (method, budget) of the profile's ``baselines`` is trained here.
    """
    s = settings(profile)
    device = resolve_device(device)
    jobs: list[tuple[str, float, tuple[str, ...], float, str]] = []
    for method, budget in s.baselines:
        check_choice("baseline", method, ("traditional", "mgda", "gradnorm", "independent"))
        if method == "independent":
            jobs += [(method, budget, (t,), budget / len(TASKS), "sum") for t in TASKS]
        else:
            jobs.append((method, budget, TASKS, budget, "sum" if method == "traditional" else method))
    configs = [_config(s, group, cost, seed, device, strategy=strategy) for _, _, group, cost, strategy in jobs]
    results = run_sweep(train_network, configs, "03_baselines", progress=progress)
    rows: dict[tuple[str, float], dict[str, Any]] = {}
    extra_predictions: dict[str, dict[str, list]] = {}
    for (method, budget, group, _, _), res in zip(jobs, results):
        row = rows.setdefault((method, budget), {"method": method, "budget": budget})
        row.update(res["test"])
        if "mean_weights" in res:
            row.update({f"weight.{t}": w for t, w in res["mean_weights"].items()})
        extra_predictions.setdefault(f"{method}@{budget:g}", {}).update(res.get("predictions", {}))
    test = {n.name: n for n in runs.test}
    free = [
        ("traditional", 1.0, {t: test[letter_name(TASKS)].losses[t] for t in TASKS}),
        ("independent", len(TASKS) * HALF, {t: test[letter_name((t,), HALF)].losses[t] for t in TASKS}),
        ("independent", float(len(TASKS)), {t: test[letter_name((t,))].losses[t] for t in TASKS}),
    ]
    for method, budget, losses in free:
        rows[(method, budget)] = {"method": method, "budget": budget, **losses}
    frame = pd.DataFrame(sorted(rows.values(), key=lambda r: (list(METHODS).index(r["method"]), r["budget"])))
    frame["loss"] = frame[list(TASKS)].sum(axis=1)
    runs.extra["baseline_predictions"] = extra_predictions
    return frame


# -- Extra seeds of the decisive comparisons between trained models ------------------------------------------------


def seeded_specs(runs: GroupingRuns, chosen: Mapping[str, Mapping[float, Selection]]) -> dict[str, list[tuple[tuple[str, ...], float, str]]]:
    """The solutions whose decisive comparisons are paired over seeds, as (tasks, cost, strategy) per network:
    Sec. 4.1's all-in-one networks at 1 SNT (sum, MGDA, GradNorm) and Sec. 5's headline (optimal at T/2 SNT and HOA
    at T/2 + 1 SNT against T full-size independent networks). Only those the profile trains."""
    s = runs.settings
    specs: dict[str, list[tuple[tuple[str, ...], float, str]]] = {"traditional@1": [(TASKS, 1.0, "sum")]}
    for method in ("mgda", "gradnorm"):
        if (method, 1.0) in s.baselines:
            specs[f"{method}@1"] = [(TASKS, 1.0, method)]
    specs[f"independent@{len(TASKS):g}"] = [((t,), 1.0, "sum") for t in TASKS]
    for method, budget in (("optimal", len(TASKS) * HALF), ("hoa", len(TASKS) * HALF + 1.0)):
        if budget in chosen.get(method, {}):
            specs[f"{method}@{budget:g}"] = [(n.tasks, n.cost, "sum") for n in chosen[method][budget].networks]
    return specs


def seeded_solutions(profile: str, runs: GroupingRuns, baselines: pd.DataFrame, chosen: Mapping[str, Mapping[float, Selection]],
                     seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Total test loss of each solution of :func:`seeded_specs` at every seed of
    ``claims.seed_list(seed, decisive_seeds(profile))``: one row per (solution, seed), with per-task losses and
    MGDA's mean weights.

    Seed ``seed`` is the notebook's run (the candidates and the baselines); the others retrain the same networks on
    the same scenes with another initialisation and batch order. A multi-network solution keeps the networks chosen
    at ``seed`` (selection needs all 36 candidates) and, per seed, gives each task to its network best on that
    seed's validation loss, as :func:`selections` does.
    """
    s = settings(profile)
    device = resolve_device(device)
    specs = seeded_specs(runs, chosen)
    extra = seed_list(seed, decisive_seeds(profile))[1:]
    unique = list(dict.fromkeys((tasks, cost, strategy, k) for nets in specs.values() for tasks, cost, strategy in nets for k in extra))
    configs = [_config(s, tasks, cost, k, device, data_seed=seed, strategy=strategy, predictions=0) for tasks, cost, strategy, k in unique]
    results = dict(zip(unique, run_sweep(train_network, configs, "03_seeds", progress=progress)))
    base = baselines.set_index(["method", "budget"])
    rows = []
    for solution, nets in specs.items():
        method, budget = solution.split("@")[0], float(solution.split("@")[1])
        for k in [seed, *extra]:
            if k == seed and method in ("optimal", "hoa"):
                losses = dict(chosen[method][budget].task_losses)
            elif k == seed:
                losses = {t: float(base.loc[(method, budget), t]) for t in TASKS}
                if method == "mgda":
                    losses["weight.segment_semantic"] = float(base.loc[(method, budget), "weight.segment_semantic"])
            elif method in ("optimal", "hoa"):
                val = [Network(letter_name(tasks, cost), cost, results[(tasks, cost, st, k)]["val"]) for tasks, cost, st in nets]
                test = [Network(n.name, n.cost, results[(tasks, cost, st, k)]["test"]) for n, (tasks, cost, st) in zip(val, nets)]
                losses = dict(chosen[method][budget].rescore(val, reassign=True).rescore(test).task_losses)
            else:
                losses = {t: v for tasks, cost, st in nets for t, v in results[(tasks, cost, st, k)]["test"].items()}
                if method == "mgda":
                    losses["weight.segment_semantic"] = results[(TASKS, 1.0, "mgda", k)]["mean_weights"]["segment_semantic"]
            rows.append({"solution": solution, "method": method, "budget": budget, "seed": k, **losses,
                         "loss": float(sum(losses[t] for t in TASKS))})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------------------
# Extras: ResNet-18 (Table 1), little data (Table 5), 4-task subsets (Figure 6)
# ----------------------------------------------------------------------------------------------------------


TABLE1 = ("all-in-one", "individual", "grouping")


def resnet_retrain(profile: str, chosen: Selection, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Table 1 analogue: the best 3-SNT grouping retrained with ResNet-18 encoders of the same costs, against a
    triple-size all-in-one ResNet-18 and five 0.6-size single-task ResNet-18s (the same total cost), at every seed of
    the decisive comparison (same scenes, another initialisation). The grouping keeps its task assignment.
    ``settings.resnet_width`` is the width of a 1-SNT ResNet-18 (1.0 at ``paper``). One row per (solution, seed)."""
    s = settings(profile)
    device = resolve_device(device)
    over = dict(encoder="resnet18", base_width=s.resnet_width, epochs=s.resnet_epochs, predictions=0)
    jobs = [("all-in-one", TASKS, 3.0)] + [("individual", (t,), 0.6) for t in TASKS]
    jobs += [("grouping", n.tasks, n.cost) for n in chosen.networks]
    seeds = seed_list(seed, decisive_seeds(profile))
    configs = [_config(s, group, cost, k, device, data_seed=seed, **over) for k in seeds for _, group, cost in jobs]
    results = run_sweep(train_network, configs, "03_resnet18", progress=progress)
    rows = []
    for i, k in enumerate(seeds):
        res = results[i * len(jobs):(i + 1) * len(jobs)]
        nets = [Network(n.name, n.cost, r["test"]) for n, r in zip(chosen.networks, res[1 + len(TASKS):])]
        totals = {
            "all-in-one": sum(res[0]["test"].values()),
            "individual": sum(r["test"][t] for r, t in zip(res[1:1 + len(TASKS)], TASKS)),
            "grouping": chosen.rescore(nets).loss,
        }
        rows += [{"solution": name, "seed": k, "total test loss": float(totals[name])} for name in TABLE1]
    frame = pd.DataFrame(rows)
    frame.attrs["grouping"] = chosen.label(LETTERS)
    return frame


SMALL_DATA = (("Depth Alone", ("depth_zbuffer",)), ("Normals Alone", ("normal",)), ("Joint Depth + Normals", ("depth_zbuffer", "normal")))


def small_data(profile: str, runs: GroupingRuns, seed: int = 0, device: str | torch.device = "cpu", progress: bool = True) -> pd.DataFrame:
    """Table 5 analogue: depth alone, normals alone and jointly, with a small share of the training data and with
    all of it, at every seed of the decisive comparison. One row per (data, setting, seed).

    The small-data networks train for as many steps as the full-data ones (epochs / fraction) and keep their best
    validation checkpoint; the full-data networks at ``seed`` are the candidates, other seeds are retrained (sharing
    the headline's retrained single-task networks through the cache).
    """
    s = settings(profile)
    device = resolve_device(device)
    epochs = int(round(s.epochs / s.small_data_fraction))
    seeds = seed_list(seed, decisive_seeds(profile))
    small = [_config(s, g, 1.0, k, device, data_seed=seed, train_fraction=s.small_data_fraction, epochs=epochs, predictions=0)
             for k in seeds for _, g in SMALL_DATA]
    full = [_config(s, g, 1.0, k, device, data_seed=seed, strategy="sum", predictions=0) for k in seeds[1:] for _, g in SMALL_DATA]
    small_res = run_sweep(train_network, small, "03_small_data", progress=progress)
    full_res = run_sweep(train_network, full, "03_seeds", progress=progress)
    candidates = {net.name: net.losses for net in runs.test}
    rows = []
    for i, k in enumerate(seeds):
        for j, (label, group) in enumerate(SMALL_DATA):
            full_losses = candidates[letter_name(group)] if k == seed else full_res[(i - 1) * len(SMALL_DATA) + j]["test"]
            for data, losses in (("small", small_res[i * len(SMALL_DATA) + j]["test"]), ("full", full_losses)):
                rows.append({"data": data, "setting": label, "seed": k, "depth": losses.get("depth_zbuffer", np.nan),
                             "normals": losses.get("normal", np.nan)})
    frame = pd.DataFrame(rows)
    frame.attrs["n_train"] = int(round(s.n_train * s.small_data_fraction))
    return frame
