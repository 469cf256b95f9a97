"""Figures of notebook 04 (attentive single-tasking). Each function takes numbers computed by
:mod:`paper_mtl.experiments.single_tasking` and returns a matplotlib Figure; nothing here trains or measures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

MARKERS = {"single": "X", "multi": "o", "adv": "^", "se_dec": "s", "se": "D", "se_adv": "P", "se_ra_adv": "h",
           "ra": "v", "multi_plain": ".", "single_plain": "x"}


def plot_delta_m(tables: Mapping[str, pd.DataFrame]) -> Figure:
    """Δm of every multi-task row, the paper's beside ours, one panel per table."""
    fig, axes = plt.subplots(1, len(tables), figsize=(3.2 * len(tables), 3.2), squeeze=False)
    for ax, (name, table) in zip(axes[0], tables.items()):
        rows = table[table["T"] > 1].copy()
        rows["row"] = rows["backbone"] + " " + rows["variant"]
        sns.barplot(rows, x="delta_m", y="row", hue="source", hue_order=["paper", "ours"], ax=ax, orient="h")
        ax.axvline(0, color="k", lw=0.8)
        ax.set(title=f"Table {name}", xlabel="Δm (% drop; lower is better)", ylabel="")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_resources(df: pd.DataFrame) -> Figure:
    """Fig. 5: Δm against parameters (left) and multiply-adds (right); colour = backbone, marker = variant."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    palette = dict(zip(df["backbone"].unique(), sns.color_palette("tab10")))
    for ax, column, label in ((axes[0], "params", "parameters"), (axes[1], "multiply_adds", "multiply-adds")):
        for _, r in df.iterrows():
            ax.scatter(r[column], r["delta_m"], marker=MARKERS.get(r["variant"], "o"), s=70,
                       color=palette[r["backbone"]], edgecolor="k", linewidth=0.5)
        ax.set(xscale="log", xlabel=f"{label} (inference, all tasks)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"Δm (% drop vs {df['reference'].iloc[0]}; lower is better)")
    handles = [plt.Line2D([], [], ls="", marker=MARKERS.get(v, "o"), color="gray", label=v) for v in df["variant"].unique()]
    handles += [plt.Line2D([], [], ls="", marker="o", color=c, label=b) for b, c in palette.items()]
    axes[1].legend(handles=handles, fontsize=7, loc="best")
    fig.suptitle("Performance vs resources (Fig. 5 analogue)")
    fig.tight_layout()
    return fig


def plot_tsne(tsne: pd.DataFrame, separation: pd.DataFrame) -> Figure:
    """Fig. 6: t-SNE of per-task SE gates at increasing depth (one panel per level), coloured by task."""
    levels = list(dict.fromkeys(tsne["level"]))
    fig, axes = plt.subplots(1, len(levels), figsize=(3 * len(levels), 3.2), squeeze=False)
    score = dict(zip(separation["level"], separation["silhouette"]))
    for i, (ax, level) in enumerate(zip(axes[0], levels)):
        part = tsne[tsne["level"] == level]
        sns.scatterplot(part, x="x", y="y", hue="task", s=14, ax=ax, legend=i == len(levels) - 1)
        ax.set(title=f"level {i + 1}: silhouette {score[level]:.2f}", xticks=[], yticks=[], xlabel="", ylabel="")
        ax.text(0.02, 0.02, level.replace(".branches", "").replace("encoder.", "enc.").replace("decoder.", "dec."),
                transform=ax.transAxes, fontsize=6)
    if levels:
        axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.suptitle("t-SNE of per-task SE activations, shallow to deep (Fig. 6 analogue)")
    fig.tight_layout()
    return fig


def plot_pca(pca: Mapping[str, Any], tasks: Sequence[str]) -> Figure:
    """Fig. 1: first three components of a PCA shared across tasks, as RGB; rows = layers, columns = tasks."""
    layers = list(pca)
    fig, axes = plt.subplots(len(layers), len(tasks), figsize=(1.6 * len(tasks), 1.6 * len(layers)), squeeze=False)
    for r, layer in enumerate(layers):
        images = np.asarray(pca[layer])
        for c, task in enumerate(tasks):
            ax = axes[r][c]
            ax.imshow(images[c], interpolation="nearest")
            ax.set(xticks=[], yticks=[])
            if r == 0:
                ax.set_title(task, fontsize=9)
            if c == 0:
                ax.set_ylabel(layer, fontsize=8)
    fig.suptitle("Shared PCA of each task's features per layer (Fig. 1 analogue)")
    fig.tight_layout()
    return fig


def _show(ax: plt.Axes, value: np.ndarray, kind: str, classes: int) -> None:
    if kind == "label":
        ax.imshow(np.clip(value, 0, None), cmap="tab20", vmin=0, vmax=max(classes - 1, 1), interpolation="nearest")
    elif kind == "binary":
        ax.imshow(value, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    elif kind in ("normal", "rgb"):
        image = np.moveaxis(value, 0, -1)
        ax.imshow(np.clip((image + 1) / 2 if kind == "normal" else image, 0, 1), interpolation="nearest")
    else:
        ax.imshow(value, cmap="magma", interpolation="nearest")
    ax.set(xticks=[], yticks=[])


def plot_qualitative(
    baseline: Mapping[str, Any], ours: Mapping[str, Any], kinds: Mapping[str, tuple[str, int]], title: str,
) -> Figure:
    """Figs. 7-8: for each shown image, ground truth, multi-task baseline and ours per task.

    ``baseline`` and ``ours`` are the ``predictions`` probes of two networks on the same images; ``kinds`` maps a
    task to (``label`` | ``binary`` | ``normal`` | ``rgb`` | ``map``, number of classes)."""
    tasks = list(kinds)
    images = len(baseline["rgb"])
    fig, axes = plt.subplots(3 * images, len(tasks) + 1, figsize=(1.5 * (len(tasks) + 1), 1.5 * 3 * images),
                             squeeze=False)
    for i in range(images):
        for k, (name, source) in enumerate((("ground truth", baseline["target"]), ("MT baseline", baseline["output"]),
                                             ("ours (SEA)", ours["output"]))):
            row = axes[3 * i + k]
            if k == 0:
                _show(row[0], np.asarray(baseline["rgb"][i]), "rgb", 0)
            else:
                row[0].axis("off")
            row[0].text(-0.1, 0.5, name, transform=row[0].transAxes, rotation=90, va="center", ha="right", fontsize=8)
            for c, task in enumerate(tasks):
                kind, classes = kinds[task]
                value = np.asarray(source[task][i])
                _show(row[c + 1], value[0] if value.ndim == 3 and kind not in ("normal", "rgb") else value, kind, classes)
                if i == 0 and k == 0:
                    row[c + 1].set_title(task, fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_audit(audit: pd.DataFrame) -> Figure:
    """Printed Δm against the interval the rounding of the printed metrics allows; red = outside."""
    rows = audit.dropna(subset=["low"]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7, 0.22 * len(rows) + 1))
    y = np.arange(len(rows))
    ax.hlines(y, rows["low"], rows["high"], color="gray", lw=4, alpha=0.6, label="Δm allowed by rounding")
    colours = ["tab:blue" if c else "tab:red" for c in rows["consistent"]]
    ax.scatter(rows["printed"], y, color=colours, zorder=3, s=18, label="printed Δm")
    ax.set_yticks(y, [f"{t.removeprefix('table')} {b} {v}" for t, b, v in zip(rows["table"], rows["backbone"], rows["variant"])],
                  fontsize=7)
    ax.invert_yaxis()
    ax.set(xlabel="Δm (% drop)", title="Audit of the printed Δm (red: outside the rounding interval)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
