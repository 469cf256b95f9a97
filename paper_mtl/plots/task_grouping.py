"""Figures of notebook 03 (task grouping): Figures 2-6 of Standley et al., drawn from the experiments' DataFrames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from paper_mtl.grouping import Selection

LINES = ("optimal", "hoa", "esa", "random", "pessimal")
POINTS = ("traditional", "independent", "mgda", "gradnorm")
LABELS = {
    "optimal": "Ours optimal", "hoa": "Ours (HOA)", "esa": "Ours (ESA)", "random": "Random groupings",
    "pessimal": "Pessimal grouping", "traditional": "Traditional MTL", "independent": "Independent",
    "mgda": "Sener & Koltun (MGDA-UB)", "gradnorm": "GradNorm",
}
STYLE = {
    "optimal": dict(color="C0", marker="o"), "hoa": dict(color="C1", marker="s"), "esa": dict(color="C2", marker="^"),
    "random": dict(color="0.5", marker="", linestyle="--"), "pessimal": dict(color="0.2", marker="", linestyle=":"),
    "traditional": dict(color="C3", marker="D"), "independent": dict(color="C4", marker="v"),
    "mgda": dict(color="C5", marker="P"), "gradnorm": dict(color="C6", marker="X"),
}


def _budget_axes(ax: plt.Axes, long: pd.DataFrame, value: str, title: str) -> None:
    for method in (*LINES, *POINTS):
        part = long[(long["method"] == method) & long[value].notna()].sort_values("budget")
        if part.empty:
            continue
        style = dict(STYLE[method])
        if method in POINTS:
            style.setdefault("linestyle", "-")
            style["alpha"] = 0.8
        ax.plot(part["budget"], part[value], label=LABELS[method], markersize=5, **style)
    ax.set_xlabel("inference-time budget (SNT)")
    ax.set_ylabel("total test loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)


def loss_vs_budget(long: pd.DataFrame, title: str = "Figure 3 analogue") -> Figure:
    """Figure 3: total test loss against budget for every method, ours (left) beside the published Table 7 (right).

    ``long`` has columns ``method``, ``budget``, ``loss`` and ``published`` (as :func:`table7` returns).
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    _budget_axes(axes[0], long, "loss", f"{title}: ours")
    _budget_axes(axes[1], long, "published", "published (Table 7)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, frameon=False, bbox_to_anchor=(0.5, -0.08))
    fig.tight_layout()
    return fig


def subset_curves(averaged: pd.DataFrame) -> Figure:
    """Figure 6: the study on every 4-task subset, averaged over subsets (columns method, budget, loss)."""
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    _budget_axes(ax, averaged, "loss", "Figure 6 analogue: all 4-task subsets, averaged")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def groupings(chosen: Mapping[str, Mapping[float, Selection]], tasks: Sequence[str], letters: Mapping[str, str],
              budgets: Sequence[float] = (1.0, 2.0, 3.0, 4.0, 5.0)) -> Figure:
    """Figure 2: for each method (rows) and integer budget (columns), the chosen networks (left; large circles
    full size, small circles smaller) joined to the tasks they predict (solid) or only carry (dotted)."""
    methods = [m for m in ("optimal", "esa", "hoa") if m in chosen]
    budgets = [b for b in budgets if all(b in chosen[m] for m in methods)]
    fig, axes = plt.subplots(len(methods), len(budgets), figsize=(2.3 * len(budgets), 2.4 * len(methods)), squeeze=False)
    task_y = {t: 1 - i / max(len(tasks) - 1, 1) for i, t in enumerate(tasks)}
    for row, method in enumerate(methods):
        for col, budget in enumerate(budgets):
            ax = axes[row, col]
            sel = chosen[method][budget]
            n = len(sel.networks)
            for i, net in enumerate(sel.networks):
                y = 0.5 if n == 1 else 1 - i / (n - 1)
                for t in net.tasks:
                    used = sel.assignment.get(t) == net.name
                    ax.plot([0, 1], [y, task_y[t]], color="k" if used else "0.6", linestyle="-" if used else ":", linewidth=1.2 if used else 0.8)
                ax.scatter([0], [y], s=260 * net.cost, color="C0" if net.cost >= 1 else "C1", zorder=3, edgecolor="k")
            for t, y in task_y.items():
                ax.text(1.08, y, letters[t], va="center", fontsize=11)
            ax.set_xlim(-0.3, 1.3)
            ax.set_ylim(-0.2, 1.2)
            ax.axis("off")
            ax.set_title(f"{budget:g} SNT, loss {sel.loss:.4g}", fontsize=9)
            if col == 0:
                ax.text(-0.45, 0.5, method.upper() if method != "optimal" else "Optimal", rotation=90, va="center", ha="center", fontsize=11)
    fig.suptitle("Figure 2 analogue: chosen groupings (blue full-size, orange smaller networks)")
    fig.tight_layout()
    return fig


def affinity_scatter(ours: pd.DataFrame, published: pd.DataFrame, stats: Mapping[str, Any], published_stats: Mapping[str, Any]) -> Figure:
    """Figure 5: multi-task affinity (Table 3) against transfer affinity (Table 4), ours (left) and published (right).

    Both frames have ``task_a``, ``task_b``, ``affinity_mtl``, ``affinity_transfer``; the stats give ``r``, ``p``
    (with the outlier removed) and ``outlier``.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, frame, st, title in ((axes[0], ours, stats, "ours"), (axes[1], published, published_stats, "published (Tables 3, 4)")):
        names = frame["task_a"] + "-" + frame["task_b"]
        outlier = names == st["outlier"]
        ax.scatter(frame["affinity_transfer"][~outlier], frame["affinity_mtl"][~outlier], color="C0")
        ax.scatter(frame["affinity_transfer"][outlier], frame["affinity_mtl"][outlier], color="C3", marker="x", label="outlier (removed)")
        for x, y, name in zip(frame["affinity_transfer"], frame["affinity_mtl"], names):
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(3, 3), fontsize=8)
        ax.set_xlabel("transfer affinity")
        ax.set_ylabel("multi-task affinity (%)")
        ax.set_title(f"{title}: r = {st['r']:.2f}, p = {st['p']:.2f}")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle("Figure 5 analogue: multi-task vs transfer task affinities")
    fig.tight_layout()
    return fig


def _show(ax: plt.Axes, task: str, value: np.ndarray, classes: int) -> None:
    value = np.asarray(value)
    if task == "segment_semantic":
        ax.imshow(value, cmap="tab20", vmin=0, vmax=max(classes - 1, 1), interpolation="nearest")
    elif value.ndim == 3 and value.shape[0] == 3:
        lo, hi = value.min(), value.max()
        ax.imshow(np.clip((value.transpose(1, 2, 0) - lo) / max(hi - lo, 1e-6), 0, 1), interpolation="nearest")
    else:
        ax.imshow(value.reshape(value.shape[-2:]), cmap="magma", interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def qualitative(sample: Mapping[str, Any], tasks: Sequence[str], letters: Mapping[str, str], classes: int) -> Figure:
    """Figure 4: one test image, its targets and each solution's predictions (rows), one column per task."""
    rows = [("target", sample["targets"]), *sample["solutions"].items()]
    fig, axes = plt.subplots(len(rows), len(tasks) + 1, figsize=(1.7 * (len(tasks) + 1), 1.8 * len(rows)), squeeze=False)
    for r, (name, outputs) in enumerate(rows):
        axes[r, 0].imshow(np.clip(sample["input"].transpose(1, 2, 0), 0, 1), interpolation="nearest")
        axes[r, 0].set_xticks([])
        axes[r, 0].set_yticks([])
        axes[r, 0].set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
        for c, t in enumerate(tasks):
            _show(axes[r, c + 1], t, outputs[t], classes)
            if r == 0:
                axes[r, c + 1].set_title(letters[t])
    axes[0, 0].set_title("input")
    fig.suptitle("Figure 4 analogue: predictions at the same budget")
    fig.tight_layout()
    return fig
