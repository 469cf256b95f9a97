"""Figure 1 of paper 05: MultiDigit samples (:func:`paper_mtl.data.digits.multidigit`)."""

from __future__ import annotations

import math
from numbers import Integral

from matplotlib.figure import Figure

from paper_mtl.data.digits import LEFT_DIGITS, RIGHT_DIGITS
from paper_mtl.data.multitask import MultiTaskData


def plot_samples(data: MultiTaskData, n: int = 8, columns: int = 4) -> Figure:
    """Figure 1 of paper 05: the first ``n`` images of ``data`` titled with their (left, right) digits."""
    if not isinstance(n, Integral) or not 1 <= n <= len(data):
        raise ValueError(f"n={n!r} is not valid; expected an integer in 1..{len(data)}")
    left_digits = data.meta.get("left_digits", list(LEFT_DIGITS))
    right_digits = data.meta.get("right_digits", list(RIGHT_DIGITS))
    columns = min(columns, n)
    rows = math.ceil(n / columns)
    fig = Figure(figsize=(2 * columns, 2.2 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    images = data.inputs[:n, 0].detach().cpu().numpy()
    left = data.targets["left"][:n].tolist()
    right = data.targets["right"][:n].tolist()
    for ax, image, l, r in zip(axes, images, left, right):
        ax.imshow(image, cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"left {left_digits[l]}, right {right_digits[r]}", fontsize=9)
    for ax in axes:
        ax.set_axis_off()
    return fig
