"""Training and measuring every benchmark row: the scenes (:func:`benchmark_data`), one run
(:func:`train_run`, the sweep function) and the whole benchmark (:func:`run_benchmark`).

A run trains one network on one seed and measures it through the five papers' lenses: each task's test metric
(paper 04's Δm is computed from them), its robustness to paper 01's PGD attack on each task alone and on all tasks
at once, the rolling spread σ of the task-gradient cosines on the last shared layer over training (paper 05), its time per
training mini-batch (paper 02's table, as a ratio to the linear sum in the analysis) and its parameters and
multiply-adds (paper 04's axes). Besides the rows of :func:`~paper_mtl.experiments.benchmark.methods.methods`, the
benchmark trains a single-task network per task (Δm's reference, and paper 03's candidates) and a network per task
pair (paper 03's candidates for the groupings), all with the plain sum.
"""

from __future__ import annotations

import time
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from paper_mtl.adversarial import PGDConfig, robustness
from paper_mtl.claims import seed_list
from paper_mtl.complexity import complexity
from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.data.scenes import render
from paper_mtl.gradients import cosine_statistics, rolling_std
from paper_mtl.models import build_hard_sharing
from paper_mtl.models.task_conditioned import build_single_tasking
from paper_mtl.profiles import resolve_device
from paper_mtl.sweep import run_sweep
from paper_mtl.training import evaluate, fit, seed_everything
from paper_mtl.weighting import TaskCosines, build, describe, get_strategy
from paper_mtl.weighting.discriminator import SingleTaskSteps

from paper_mtl.experiments.benchmark.config import FIVE, TASK_SETS, seeds, settings, task_objects
from paper_mtl.experiments.benchmark.methods import BASELINE, methods


@lru_cache(maxsize=2)
def benchmark_data(size: int, n_train: int, n_val: int, n_test: int, seed: int) -> dict[str, MultiTaskData]:
    """Train/validation/test splits of indoor scenes at ``size`` × ``size`` pixels with every task of :data:`FIVE`,
    rendered once per process from ``seed``."""
    n = n_train + n_val + n_test
    scenes = render(n, size=size, family="indoor", seed=seed)
    data = MultiTaskData(scenes["rgb"], {t: scenes[t] for t in FIVE}, {"source": f"scenes.render(indoor, size={size}, seed={seed})"})
    bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, n)}
    return {name: data.subset(slice(*b)) for name, b in bounds.items()}


def _build(tasks: dict[str, Any], config: dict[str, Any]) -> nn.Module:
    if config["architecture"] == "single_tasking":  # paper 04's network at the benchmark's scale: per-task SE
        return build_single_tasking(tasks, se_encoder="task", se_decoder="task", width=config["width"] / 8,
                                    decoder_width=config["decoder_width"], stem_stride=2, layers=(1, 1, 1, 1),
                                    rates=(1, 2, 3))
    return build_hard_sharing(tasks, width=config["width"], decoder_width=config["decoder_width"])


class _TimedCallback:
    """A step callback that counts the seconds spent in the callback it wraps."""

    def __init__(self, callback: Any) -> None:
        self.callback, self.seconds = callback, 0.0

    def __call__(self, losses: dict[str, torch.Tensor], ctx: Any) -> Any:
        start = time.perf_counter()
        logs = self.callback(losses, ctx)
        self.seconds += time.perf_counter() - start
        return logs


def _mean_depth(train: MultiTaskData) -> float:
    depth = np.asarray(train.targets["depth_zbuffer"], dtype=np.float64)
    return float(depth[np.isfinite(depth) & (depth > 0)].mean())


def train_run(config: dict[str, Any]) -> dict[str, Any]:
    """Train and measure one network (the sweep function of :func:`run_benchmark`).

    ``config``: ``variant``, ``tasks`` (the network's tasks), ``label``, ``strategy`` (a
    :func:`~paper_mtl.weighting.describe` description: a registered strategy and every parameter), ``architecture``,
    ``data`` (the :func:`benchmark_data` arguments), ``width``, ``decoder_width``, ``epochs``, ``batch_size``, ``lr``,
    ``seed``, ``eps``, ``pgd_steps``, ``n_attack``, ``cosine_window``, ``device``.
    The depth decoder's output bias starts at the training split's mean depth (every row alike), as in notebook 05.
    """
    device = resolve_device(config["device"])
    data = benchmark_data(**config["data"])
    tasks = {t: task for t, task in task_objects(config["variant"]).items() if t in config["tasks"]}
    train, val, test = (data[s].select_tasks(list(tasks)) for s in ("train", "val", "test"))
    seed_everything(config["seed"])
    model = _build(tasks, config)
    single_tasking = config["architecture"] == "single_tasking"
    cosines = _TimedCallback(TaskCosines()) if len(tasks) > 1 and not single_tasking else None
    if "depth_zbuffer" in tasks:
        head = model.heads["depth_zbuffer"] if single_tasking else model.decoders["depth_zbuffer"][-1]
        nn.init.constant_(head.bias, _mean_depth(train))
    run = fit(
        model, tasks, train, strategy=build(config["strategy"]), epochs=config["epochs"],
        batch_size=config["batch_size"], lr=config["lr"], seed=config["seed"], device=device, progress=False,
        callbacks=[cosines] if cosines else [],
        batch_plan=SingleTaskSteps(list(tasks)) if single_tasking else None,
    )
    scores = evaluate(model, tasks, test, device=device)
    result: dict[str, Any] = {
        "metric": scores["metric"], "val_loss": evaluate(model, tasks, val, device=device)["loss"],
        # the cosines are observed, not part of the method: their time is left out (on a GPU, their launch time)
        "batch_s": (run.wall_time - (cosines.seconds if cosines else 0.0)) / max(int(run.history["step"].iloc[-1]), 1),
        **complexity(model, (1, 3, config["data"]["size"], config["data"]["size"]), list(tasks)),
    }
    attack = PGDConfig(eps=config["eps"], step_size=config["eps"] / 4, steps=config["pgd_steps"])
    attacked = test.subset(slice(0, config["n_attack"]))
    result["attacked_alone"] = {
        t: float(robustness(model, tasks, attacked, [t], attack, seed=config["seed"], device=device)
                 .table.set_index("task").loc[t, "attacked_metric"]) for t in tasks}
    joint = robustness(model, tasks, attacked, list(tasks), attack, seed=config["seed"], device=device).table
    result["attacked_all"] = dict(zip(joint["task"], joint["attacked_metric"].astype(float)))
    result["clean_subset"] = dict(zip(joint["task"], joint["clean_metric"].astype(float)))  # the attacked images, clean
    cosines = [c for c in run.steps.columns if c.startswith("cos.")]
    if cosines and len(run.steps) >= 2:  # per task pair, then averaged over the pairs
        window = min(config["cosine_window"], len(run.steps))  # a short run is one window
        result["cos_sigma"] = float(np.mean([np.nanmean(rolling_std(run.steps[c], window)) for c in cosines]))
        stats = [cosine_statistics(run.steps[c]) for c in cosines]
        result["cos_sigma_all"] = float(np.mean([s["std"] for s in stats]))
        result["cos_mean"] = float(np.mean([s["mean"] for s in stats]))
    return result


def _configs(profile: str, variant: str, device: torch.device, seed: int) -> list[dict[str, Any]]:
    s = settings(profile)
    tasks = list(TASK_SETS[variant])
    base = {
        "variant": variant, "data": {"size": s.size, "n_train": s.n_train, "n_val": s.n_val, "n_test": s.n_test, "seed": seed},
        "width": s.width, "decoder_width": s.decoder_width, "epochs": s.epochs, "batch_size": s.batch_size, "lr": s.lr,
        "eps": s.eps, "pgd_steps": s.pgd_steps, "n_attack": s.n_attack, "cosine_window": s.cosine_window,
        "device": device.type,
    }
    rows = [("method", m.label, tasks, m.strategy, m.params, m.architecture) for m in methods(tasks)]
    rows += [("single", t, [t], BASELINE, {}, "shared") for t in tasks]
    rows += [("pair", "+".join(p), list(p), BASELINE, {}, "shared") for p in combinations(tasks, 2)]
    return [{**base, "kind": kind, "label": label, "tasks": net_tasks,
             "strategy": describe(get_strategy(strategy, **params)), "architecture": architecture, "seed": r}
            for r in seed_list(seed, seeds(profile, variant))
            for kind, label, net_tasks, strategy, params, architecture in rows]


def run_benchmark(profile: str, variant: str = "trio", device: str | torch.device = "auto", seed: int = 0,
                  progress: bool = True) -> pd.DataFrame:
    """Every network of the benchmark on ``variant``'s tasks, :func:`seeds` seeds each: one row per
    network and seed with ``kind`` (``method``, ``single``, ``pair``), ``label``, ``tasks``, ``seed``, the test metric
    of each task (``metric.<task>``), its attacked metric under the attack on that task alone
    (``attacked_alone.<task>``) and on all the network's tasks (``attacked_all.<task>``), its clean metric on those
    attacked images (``clean_subset.<task>``), ``val_loss.<task>``,
    ``cos_sigma`` (the rolling σ of the cosines averaged over training), ``cos_sigma_all`` (σ over all steps) and
    ``cos_mean`` (shared networks with several tasks), ``batch_s`` (training seconds per mini-batch, the cosines' logging left out),
    ``params``, ``multiply_adds``."""
    device = resolve_device(device)
    configs = _configs(profile, variant, device, seed)
    results = run_sweep(train_run, configs, f"06_benchmark_{variant}", progress=progress)
    rows = []
    for config, result in zip(configs, results):
        row = {"kind": config["kind"], "label": config["label"], "strategy": config["strategy"]["strategy"],
               "architecture": config["architecture"], "tasks": "+".join(config["tasks"]), "seed": config["seed"]}
        for key in ("metric", "attacked_alone", "attacked_all", "clean_subset", "val_loss"):
            row |= {f"{key}.{t}": v for t, v in result[key].items()}
        row |= {k: result.get(k, np.nan) for k in ("cos_sigma", "cos_sigma_all", "cos_mean", "batch_s", "params", "multiply_adds")}
        rows.append(row)
    return pd.DataFrame(rows)
