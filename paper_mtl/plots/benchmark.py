"""Figures of notebook 06 (the cross-paper benchmark), drawn from the summary of
:func:`paper_mtl.experiments.benchmark.summary` (columns ``method``, ``mean_<lens>`` and ``se_<lens>``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure


def plot_ranking(summary: pd.DataFrame, label: str = "Δm (%)") -> Figure:
    """Every method's mean Δm with its standard error over seeds, best (lowest) at the top; 0 is the single-task
    networks."""
    ordered = summary.sort_values("mean_delta_m", ascending=False)
    fig = Figure(figsize=(6.5, 0.28 * len(ordered) + 1.2), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(ordered))
    ax.barh(y, ordered["mean_delta_m"], xerr=ordered["se_delta_m"].fillna(0), color=sns.color_palette()[0],
            error_kw={"elinewidth": 1, "capsize": 2})
    ax.set_yticks(y, ordered["method"], fontsize=8)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel(f"{label}: drop against the single-task networks (lower is better)")
    return fig


def plot_lenses(summary: pd.DataFrame, x: str, y: str, x_label: str, y_label: str) -> Figure:
    """One method per point at (mean ``x``, mean ``y``) with standard-error bars over seeds, labelled; methods
    without a value on a lens (NaN) are left out, and named under the axes."""
    shown = summary[np.isfinite(summary[f"mean_{x}"]) & np.isfinite(summary[f"mean_{y}"])]
    fig = Figure(figsize=(6.5, 4.6), layout="constrained")
    ax = fig.subplots()
    ax.errorbar(shown[f"mean_{x}"], shown[f"mean_{y}"], xerr=shown[f"se_{x}"].fillna(0), yerr=shown[f"se_{y}"].fillna(0),
                fmt="o", markersize=4, elinewidth=0.8, capsize=2, color=sns.color_palette()[0])
    for _, row in shown.iterrows():
        ax.annotate(row["method"], (row[f"mean_{x}"], row[f"mean_{y}"]), fontsize=7, xytext=(3, 3),
                    textcoords="offset points")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    left_out = sorted(set(summary["method"]) - set(shown["method"]))
    if left_out:
        ax.set_title(f"not shown (no value on a lens): {', '.join(left_out)}", fontsize=7)
    return fig
