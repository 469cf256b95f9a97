"""Capacity of notebook 04's networks at the paper's sizes, counted without training (Sec. 5 and Fig. 5, App. C and
Fig. 9), and the paper's Table 2 and resource numbers stated in its text.

The networks are :func:`~paper_mtl.models.task_conditioned.build_single_tasking` at its defaults, which are the
paper's sizes: full-width SE-ResNets with the paper's block counts (:data:`~paper_mtl.models.se_resnet.BACKBONES`),
output stride 16, the 256-channel DeepLab-v3+ decoder with ASPP rates 6/12/18, the full-width SE-MobileNetV2 with its
depth-wise decoder (App. C), on 512x512 inputs (App. D), with PASCAL-Context's five tasks at the class counts of the
authors' code (:data:`PAPER_CLASSES`). They are built on PyTorch's meta device, so nothing is allocated or computed:
parameters are counted from the shapes, and multiply-adds come from :mod:`paper_mtl.complexity`'s FLOP counter
running the forward pass on shapes only (a second or so per network on a CPU).

Residual adapters are counted both ways the library builds them: ``block`` (Eq. 2, the ones the tables train) and
``conv`` (the narrower adapter of the authors' code, beside the bottleneck's 3x3 convolution).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

from paper_mtl import published
from paper_mtl.complexity import count_parameters, multiply_adds
from paper_mtl.models.task_conditioned import MOBILENET, TaskConditionedNet, build_single_tasking
from paper_mtl.profiles import check_choice
from paper_mtl.tasks import Task, get_task

from paper_mtl.experiments.single_tasking.data import dataset_tasks, procedural_source
from paper_mtl.experiments.single_tasking.config import LABELS, SINGLE, VARIANTS, printed_backbone

PAPER_IMAGE_SIZE = 512
"""Spatial input size of the paper's training and testing (App. D)."""
PAPER_CLASSES = {"seg": 21, "parts": 7}
"""Output channels of PASCAL-Context's label tasks in the authors' code (21 VOC classes; 6 human parts and
background); edge, saliency 1 and normals 3 as in the tables."""
CAPACITY_ROWS: tuple[tuple[str, str, str | None], ...] = (
    *(("R-26", v, None) for v in ("single", "multi", "se_dec", "se_adv", "se_ra_adv")),
    ("R-26", "se_ra_adv", "conv"),
    ("R-50", "single", None), ("R-50", "multi", None),
    *((MOBILENET, v, None) for v in ("single", "multi", "se_dec", "se")),
)
"""The (backbone, variant, adapters) rows :func:`paper_capacity` counts (about 5 s on one CPU core): Fig. 5's R-26
variants, SE + RA + A with the authors' adapters too, and Fig. 9's comparison: Table 7's MobileNetV2 variants
against the R-50 networks. ``None`` = the variant's own adapters
(:data:`~paper_mtl.experiments.single_tasking.config.VARIANTS`)."""


def paper_tasks() -> dict[str, Task]:
    """PASCAL's five tasks (the table columns) with the paper's output channels (:data:`PAPER_CLASSES`)."""
    tasks = dict(dataset_tasks("pascal", procedural_source("pascal")))
    tasks["seg"] = get_task("segment_semantic", classes=PAPER_CLASSES["seg"])
    tasks["parts"] = get_task("parts", classes=PAPER_CLASSES["parts"])
    return tasks


def build_paper_size(backbone: str, variant: str, tasks: dict[str, Task], adapters: str | None = None
                     ) -> TaskConditionedNet:
    """The network of ``variant`` (a table row) at the paper's sizes, on the meta device (shapes only)."""
    check_choice("variant", variant, VARIANTS)
    options = VARIANTS[variant]
    with torch.device("meta"):
        return build_single_tasking(tasks, backbone, options["se_encoder"], options["se_decoder"],
                                    adapters or options["adapters"])


def task_network_parameters(model: TaskConditionedNet) -> dict[str, int]:
    """``{task: parameters its pass uses}``: the shared parameters and the task's own (its SE, batch-norms, adapters
    and head), i.e. the network that executes one task."""
    shared = sum(p.numel() for p in model.shared_parameters())
    return {t: shared + sum(p.numel() for p in model.task_parameters(t)) for t in model.tasks}


def paper_capacity(rows: Sequence[tuple[str, str, str | None]] = CAPACITY_ROWS,
                   image_size: int = PAPER_IMAGE_SIZE) -> pd.DataFrame:
    """Parameters and multiply-adds of each (backbone, variant, adapters) row at the paper's sizes, untrained.

    Columns: backbone (as printed), variant, label, adapters, T, params (the T single-task networks summed for
    single-task rows, as in the tables), multiply_adds (one inference call giving every task, at ``image_size``),
    task_params (mean over tasks of :func:`task_network_parameters`; a single-task network's own size)."""
    if image_size < 32:
        raise ValueError(f"image_size must be at least 32 (output stride 16), got {image_size}")
    tasks = paper_tasks()
    records = []
    for backbone, variant, adapters in rows:
        used = adapters or VARIANTS[variant]["adapters"]
        if variant in SINGLE:
            nets: list[nn.Module] = [build_paper_size(backbone, variant, {t: task}, adapters) for t, task in tasks.items()]
        else:
            nets = [build_paper_size(backbone, variant, tasks, adapters)]
        per_task = [n for net in nets for n in task_network_parameters(net).values()]
        records.append({
            "backbone": printed_backbone(backbone, "deeplab"), "variant": variant, "label": LABELS[variant],
            "adapters": used, "T": 1 if variant in SINGLE else len(tasks),
            "params": sum(count_parameters(net) for net in nets),
            "multiply_adds": sum(multiply_adds(net, (1, 3, image_size, image_size), device="meta") for net in nets),
            "task_params": sum(per_task) / len(per_task),
        })
    return pd.DataFrame(records)


def capacity_row(capacity: pd.DataFrame, backbone: str, variant: str, adapters: str | None = None) -> pd.Series:
    """The row of a :func:`paper_capacity` result (``adapters`` None: the variant's own)."""
    used = adapters or VARIANTS[variant]["adapters"]
    part = capacity[(capacity["backbone"] == backbone) & (capacity["variant"] == variant)
                    & (capacity["adapters"] == used)]
    if part.empty:
        raise ValueError(f"no capacity row ({backbone!r}, {variant!r}, adapters {used!r}); rows: "
                         f"{list(zip(capacity['backbone'], capacity['variant'], capacity['adapters']))}")
    return part.iloc[0]


# ----------------------------------------------------------------------------------------------------------
# The paper's Table 2 and stated numbers
# ----------------------------------------------------------------------------------------------------------


def table2() -> pd.DataFrame:
    """Table 2 as printed, with ``gap``: the R-101's relative advantage over the strong baseline in % (positive = the
    R-101 is better, by the metric's direction), and ``printed``: the two values as the paper prints them."""
    df = published.load("04_table2_capacity")
    text = published.load("04_table2_capacity", as_text=True)
    df["printed"] = text["r101"] + " vs " + text["baseline"]
    sign = df["higher_is_better"].map(lambda h: 1.0 if bool(h) else -1.0)
    df["gap"] = sign * (df["r101"] - df["baseline"]) / df["baseline"] * 100.0
    return df


def text_resources() -> dict[str, str]:
    """``{name: value as printed}`` of the resource numbers stated in the text (``04_text_resources``)."""
    df = published.load("04_text_resources", as_text=True)
    return dict(zip(df["name"], df["value"]))
