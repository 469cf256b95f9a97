"""The task registry: each task's output channels, training loss, evaluation metric and direction.

Names follow Taskonomy where a Taskonomy task exists (``segment_semantic``, ``depth_zbuffer``, ``normal``, ...);
the rest are plain (``parts``, ``saliency``, ``albedo``, ``left``/``right`` for MultiDigit's two digits).
Classification tasks get their number of classes from the dataset: ``get_task("segment_semantic", classes=13)``.

Losses (ANCHORS 01/03 conventions): cross-entropy for label tasks (targets < 0 ignored); L1 for dense regression,
masked to valid pixels for depth and normals, whose converters write 0 where the sensor saw no geometry (a target
of all zeros marks a missing pixel); plain L1 for every map where zero is a legitimate value (edges, keypoints,
reshading, curvature, images); class-balanced binary cross-entropy for binary maps (paper 04, Appendix D);
``masked_mse`` (squared error averaged over channels, masked like ``masked_l1``) for paper 05's depth and normals.
A task's pixel metric is masked exactly when its loss is.

MTRobust also masks edge_occlusion, keypoints3d, reshading and curvature by *depth* validity. Every pixel of the
procedural scenes has geometry, so plain L1 is the same thing there; on converted Taskonomy data those four tasks
are scored on all pixels, including the few without depth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor

from paper_mtl.metrics import ConfusionMetric, EdgeF, MaxFMeasure, Metric, PerImageRMSE, PixelErrorMetric

LOSSES = ("cross_entropy", "l1", "masked_l1", "balanced_bce", "masked_mse")
MASKED_LOSSES = ("masked_l1", "masked_mse")


def loss_map(kind: str, pred: Tensor, target: Tensor, pos_weight: float = 0.95) -> tuple[Tensor, Tensor]:
    """Per-sample (or per-pixel) loss values and their validity mask, both of shape (N, ...) without channels."""
    if kind == "cross_entropy":
        values = F.cross_entropy(pred.float(), target.clamp_min(0), reduction="none")
        return values, target >= 0
    if kind == "balanced_bce":
        target = target.float().reshape(pred.shape)
        weight = torch.where(target > 0.5, pos_weight, 1.0 - pos_weight)
        values = F.binary_cross_entropy_with_logits(pred.float(), target.clamp(0, 1), weight=weight, reduction="none")
        return values.mean(1), (target >= 0).all(1)
    if kind in ("l1", "masked_l1"):
        target = target.float()
        values = (pred.float() - target).abs().mean(1)
        mask = (target != 0).any(1) if kind == "masked_l1" else torch.ones_like(values, dtype=torch.bool)
        return values, mask
    if kind == "masked_mse":
        target = target.float()
        return ((pred.float() - target) ** 2).mean(1), (target != 0).any(1)
    raise ValueError(f"unknown loss {kind!r}; expected one of {LOSSES}")


@dataclass(frozen=True)
class Task:
    """One prediction task.

    ``channels`` is the number of output channels a decoder needs (the class count for label tasks);
    ``loss`` one of :data:`LOSSES`; ``metric`` the name of its evaluation metric (:data:`METRICS`), whose own
    direction is :attr:`higher_is_better`; ``dense`` whether it predicts a map (else one vector per image).
    """

    name: str
    channels: int
    loss: str
    metric: str
    dense: bool = True

    @property
    def higher_is_better(self) -> bool:
        """Whether a larger metric is better: the direction the metric declares
        (:attr:`paper_mtl.metrics.Metric.higher_is_better`), the one source of it."""
        return self.new_metric().higher_is_better

    @property
    def is_classification(self) -> bool:
        return self.loss == "cross_entropy"

    def loss_map(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """Per-pixel (per-sample for image-level tasks) losses and the mask of valid entries."""
        return loss_map(self.loss, pred, target)

    def compute_loss(self, pred: Tensor, target: Tensor) -> Tensor:
        """The task's training loss: the mean of :meth:`loss_map` over valid entries."""
        values, mask = self.loss_map(pred, target)
        mask = mask.to(values.dtype)
        return (values * mask).sum() / mask.sum().clamp_min(1.0)

    def new_metric(self) -> Metric:
        """A fresh accumulator for this task's evaluation metric."""
        return make_metric(self.metric, self.channels, masked=self.loss in MASKED_LOSSES)


METRICS: dict[str, Callable[[int, bool], Metric]] = {
    "miou": lambda c, m: ConfusionMetric(c, "miou"),
    "pixel_accuracy": lambda c, m: ConfusionMetric(c, "pixel_accuracy"),
    "accuracy": lambda c, m: ConfusionMetric(c, "accuracy"),
    "max_f": lambda c, m: MaxFMeasure(beta2=0.3, name="max_f"),
    "odsf": lambda c, m: MaxFMeasure(beta2=1.0, name="odsf"),
    **{k: (lambda c, m, k=k: PixelErrorMetric(k, masked=m)) for k in PixelErrorMetric.kinds},
}


def make_metric(name: str, channels: int = 1, masked: bool = True) -> Metric:
    """A metric accumulator by name (see :data:`METRICS`); ``masked`` restricts pixel errors to valid pixels."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; expected one of {sorted(METRICS)}")
    return METRICS[name](channels, masked)


_REGISTRY: dict[str, Task] = {}


def register(task: Task) -> Task:
    """Add ``task`` to the registry (replacing a task of the same name) and return it."""
    if task.loss not in LOSSES:
        raise ValueError(f"task {task.name!r}: unknown loss {task.loss!r}; expected one of {LOSSES}")
    if task.metric not in METRICS:
        raise ValueError(f"task {task.name!r}: unknown metric {task.metric!r}; expected one of {sorted(METRICS)}")
    _REGISTRY[task.name] = task
    return task


for _task in (
    Task("segment_semantic", 0, "cross_entropy", "miou"),
    Task("parts", 0, "cross_entropy", "miou"),
    Task("saliency", 2, "cross_entropy", "miou"),
    Task("depth_zbuffer", 1, "masked_l1", "l1"),
    Task("depth_euclidean", 1, "masked_l1", "l1"),
    Task("normal", 3, "masked_l1", "l1"),
    Task("reshading", 1, "l1", "l1"),
    Task("edge_texture", 1, "l1", "l1"),
    Task("edge_occlusion", 1, "l1", "l1"),
    Task("keypoints2d", 1, "l1", "l1"),
    Task("keypoints3d", 1, "l1", "l1"),
    Task("principal_curvature", 2, "l1", "l1"),
    Task("rgb", 3, "l1", "l1"),
    Task("albedo", 3, "l1", "l1"),
    Task("left", 5, "cross_entropy", "accuracy", dense=False),
    Task("right", 5, "cross_entropy", "accuracy", dense=False),
):
    register(_task)


def available() -> list[str]:
    """Names of all registered tasks."""
    return sorted(_REGISTRY)


def get_task(name: str, classes: int | None = None, **overrides: object) -> Task:
    """The registered task ``name``; ``classes`` sets a label task's class count, ``overrides`` any other field."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown task {name!r}; expected one of {available()}")
    task = _REGISTRY[name]
    if classes is not None:
        if not task.is_classification:
            raise ValueError(f"task {name!r} is not a label task; classes={classes} does not apply")
        overrides["channels"] = classes
    task = replace(task, **overrides) if overrides else task
    if task.channels < 1:
        raise ValueError(f"task {name!r} needs its number of classes: get_task({name!r}, classes=...)")
    return task


def get_tasks(names: Iterable[str], classes: dict[str, int] | None = None) -> dict[str, Task]:
    """Several tasks at once, keyed by name; ``classes`` maps label tasks to their class counts."""
    classes = classes or {}
    return {name: get_task(name, classes.get(name)) for name in names}


# ----------------------------------------------------------------------------------------------------------
# Tasks of Appendix D of paper 04 (Maninis et al.; used by paper_mtl.experiments.single_tasking)
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdgeTask(Task):
    """Binary edges: class-balanced BCE, scored by :class:`EdgeF` with ``tolerance`` pixels."""

    tolerance: int = 1

    def new_metric(self) -> Metric:
        return EdgeF(self.tolerance)


@dataclass(frozen=True)
class UnitNormalTask(Task):
    """Surface normals: L1 between the unit-normalised prediction and the unit target (Appendix D)."""

    def loss_map(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        return loss_map("masked_l1", F.normalize(pred.float(), dim=1), target)


_SOBEL = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0


def sobel(x: Tensor) -> Tensor:
    """Horizontal and vertical Sobel derivatives of a one-channel map (N, 1, H, W) -> (N, 2, H, W)."""
    kernel = torch.stack([_SOBEL, _SOBEL.T]).unsqueeze(1).to(x)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel)


@dataclass(frozen=True)
class GradientDepthTask(Task):
    """Depth: per-pixel L1 plus the L1 between the Sobel gradients of prediction and target (Eigen & Fergus),
    over valid (positive) target pixels; scored by RMSE per image, averaged over images."""

    def loss_map(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        pred, target = pred.float(), target.float()
        valid = target > 0
        inner = -F.max_pool2d(-valid.float(), 3, 1, 1) > 0
        gradient = (sobel(pred) - sobel(target)).abs().sum(1, keepdim=True)
        values = (pred - target).abs() + torch.where(inner, gradient, torch.zeros_like(gradient))
        return values[:, 0], valid[:, 0]

    def new_metric(self) -> Metric:
        return PerImageRMSE()


EDGE = register(EdgeTask("edge", 1, "balanced_bce", "odsf"))
UNIT_NORMAL = register(UnitNormalTask("normal_unit", 3, "masked_l1", "angle"))
GRADIENT_DEPTH = register(GradientDepthTask("depth_gradient", 1, "masked_l1", "rmse"))
