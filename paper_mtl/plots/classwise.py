"""Figures of notebook 02 (class-wise weights on the auxiliary task); data from :mod:`paper_mtl.experiments.classwise`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

_MARKERS = {"Ours (main T_s)": ("s", "tab:red"), "Ours (main T_d)": ("D", "tab:purple")}


def _style(method: str) -> tuple[str, str]:
    """Marker and colour: ours as in :data:`_MARKERS`, Pareto MTL blue circles, the linear sum a grey cross."""
    if method in _MARKERS:
        return _MARKERS[method]
    return ("o", "tab:blue") if method.startswith("Pareto") else ("x", "tab:gray")


def loss_tradeoff(losses: pd.DataFrame, paper_names: Mapping[str, str]) -> Figure:
    """Figures 2–4 as scatters of validation T_s loss against T_d loss: one column per dataset of ``paper_names``
    (ours → the paper's name), ours (top) and published (bottom). Single-task losses are the dashed lines; Pareto
    MTL points are labelled by preference."""
    fig = Figure(figsize=(4.2 * len(paper_names), 7.6), layout="constrained")
    axes = fig.subplots(2, len(paper_names), squeeze=False)
    for row, (ts, td, who) in enumerate((("ts_loss", "td_loss", "ours"), ("paper_ts_loss", "paper_td_loss", "published"))):
        for col, (name, paper_name) in enumerate(paper_names.items()):
            ax = axes[row, col]
            group = losses[losses["dataset"] == name].set_index("method")
            for method in group.index:
                if method.startswith("Single") or pd.isna(group.loc[method, ts]) or pd.isna(group.loc[method, td]):
                    continue
                marker, colour = _style(method)
                ax.scatter(group.loc[method, ts], group.loc[method, td], marker=marker, color=colour,
                           label=None if method.startswith("Pareto") else method)
                if method.startswith("Pareto"):
                    ax.annotate(method[7:], (group.loc[method, ts], group.loc[method, td]), fontsize=7, xytext=(3, 3), textcoords="offset points")
            if "Single T_s" in group.index and np.isfinite(group.loc["Single T_s", ts]):
                ax.axvline(group.loc["Single T_s", ts], color="k", ls="--", lw=0.8, label="single T_s / T_d")
            if "Single T_d" in group.index and np.isfinite(group.loc["Single T_d", td]):
                ax.axhline(group.loc["Single T_d", td], color="k", ls="--", lw=0.8)
            ax.scatter([], [], marker="o", color="tab:blue", label="Pareto MTL")
            ax.set_title(f"{who}: {name if who == 'ours' else paper_name}", fontsize=10)
            ax.set_xlabel("validation T_s loss (CE)")
            ax.set_ylabel("validation T_d loss (L1)")
            ax.legend(fontsize=7)
    return fig


def weights_over_training(history: pd.DataFrame) -> Figure:
    """Figure 1 analogue: every class-wise weight against training step, one panel per dataset and main task
    (``Ours (main T_d)``: the semantic classes; ``Ours (main T_s)``: the depth bins), of the first seed where
    ``history`` has several; the weights stay at 1 until the warm-up ends."""
    methods = ["Ours (main T_d)", "Ours (main T_s)"]
    if "seed" in history:
        history = history[history["seed"] == history["seed"].min()]
    datasets = list(dict.fromkeys(history["dataset"]))
    fig = Figure(figsize=(4.2 * len(datasets), 6.4), layout="constrained")
    axes = fig.subplots(2, len(datasets), squeeze=False, sharey=True)
    for row, method in enumerate(methods):
        for col, name in enumerate(datasets):
            ax = axes[row, col]
            runs = history[(history["dataset"] == name) & (history["method"] == method)]
            for cls, group in runs.groupby("class", sort=False):
                ax.plot(group["step"], group["weight"], lw=1.2, label=cls)
            ax.set_title(f"{name}: {method}", fontsize=10)
            ax.set_xlabel("step")
            ax.set_ylabel("class-wise weight w^c")
            ax.legend(fontsize=6, ncol=2)
    return fig


def class_effects(classes: pd.DataFrame, focus: str = "car") -> Figure:
    """Table 1 per class: change of depth log-L1 inside each class from single-task to two-task training (%,
    negative = the two-task model is better there), the ``focus`` class highlighted."""
    fig = Figure(figsize=(7, 3.4), layout="constrained")
    ax = fig.subplots()
    colours = ["tab:red" if c == focus else "tab:blue" for c in classes["class"]]
    ax.bar(classes["class"], classes["log_l1_change_pct"], color=colours)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylabel("two-task vs single-task\ndepth log-L1 change (%)")
    ax.tick_params(axis="x", rotation=45)
    return fig
