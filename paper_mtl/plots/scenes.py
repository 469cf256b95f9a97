"""Figure of one procedural scene with all its labels (:func:`paper_mtl.data.scenes.render`)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from paper_mtl.data.scenes import LABEL_KEYS


def plot_scene(labels: dict[str, np.ndarray], index: int = 0) -> Figure:
    """A matplotlib Figure showing scene ``index`` of ``render``'s output, one titled panel per label.

    Class maps use the tab20 colours, depths log scale, normals (n + 1) / 2 as RGB, curvature k/(1 + k) as
    (red = k1, green = k2); the other maps are grey levels over [0, 1].
    """
    missing = [key for key in LABEL_KEYS if key not in labels]
    if missing:
        raise ValueError(f"labels lacks keys {missing}; expected the keys of render(): {LABEL_KEYS}")
    n = len(labels["rgb"])
    if not 0 <= index < n:
        raise ValueError(f"index={index!r} is out of range for {n} scenes")
    cols = 5
    rows = -(-len(LABEL_KEYS) // cols)
    fig = Figure(figsize=(2.2 * cols, 2.3 * rows), layout="constrained")
    for i, key in enumerate(LABEL_KEYS):
        ax = fig.add_subplot(rows, cols, i + 1)
        x = labels[key][index]
        if key in ("rgb", "albedo"):
            ax.imshow(x.transpose(1, 2, 0))
        elif key == "normal":
            ax.imshow((x.transpose(1, 2, 0) + 1) / 2)
        elif key == "principal_curvature":
            ax.imshow(np.concatenate([x / (1 + x), np.zeros_like(x[:1])]).transpose(1, 2, 0))  # k1 red, k2 green
        elif key == "saliency":
            ax.imshow(x, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        elif x.ndim == 2:
            ax.imshow(x, cmap="tab20", vmin=0, vmax=19, interpolation="nearest")
        elif key.startswith("depth"):
            ax.imshow(np.log(x[0]), cmap="magma_r")
        else:
            ax.imshow(x[0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(key, fontsize=8)
        ax.set_axis_off()
    return fig
