"""Evaluation metrics of the five papers, as streaming accumulators plus the Δm summary.

Dense metrics are accumulated over a whole split (``update`` per batch, ``compute`` once), so mIoU is the IoU of the
dataset's confusion matrix, not a mean of per-batch IoUs, and pixel errors are pooled over valid pixels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


class Metric:
    """A streaming metric: :meth:`update` with each batch's predictions and targets, :meth:`compute` at the end."""

    name: str = "metric"
    higher_is_better: bool = False

    def update(self, pred: Tensor, target: Tensor) -> None:
        raise TypeError(f"{type(self).__name__} must override update()")

    def compute(self) -> float:
        raise TypeError(f"{type(self).__name__} must override compute()")


class ConfusionMetric(Metric):
    """Confusion matrix over ``num_classes``; targets < 0 are ignored. ``pred`` holds logits (N, C, ...)."""

    def __init__(self, num_classes: int, kind: str = "miou") -> None:
        if kind not in ("miou", "pixel_accuracy", "accuracy"):
            raise ValueError(f"unknown confusion metric {kind!r}; expected 'miou', 'pixel_accuracy' or 'accuracy'")
        self.num_classes = num_classes
        self.name = kind
        self.higher_is_better = True
        self.matrix = torch.zeros(num_classes, num_classes, dtype=torch.float64)

    def update(self, pred: Tensor, target: Tensor) -> None:
        labels = pred.argmax(1).flatten()
        target = target.flatten()
        valid = target >= 0
        index = target[valid] * self.num_classes + labels[valid]
        counts = torch.bincount(index, minlength=self.num_classes**2)
        self.matrix += counts.reshape(self.num_classes, self.num_classes).double().cpu()

    def compute(self) -> float:
        return miou(self.matrix) if self.name == "miou" else pixel_accuracy(self.matrix)


def miou(confusion: Tensor) -> float:
    """Mean intersection over union of the classes present in the targets or the predictions."""
    tp = confusion.diag()
    union = confusion.sum(0) + confusion.sum(1) - tp
    present = union > 0
    return float((tp[present] / union[present]).mean()) if present.any() else float("nan")


def pixel_accuracy(confusion: Tensor) -> float:
    """Fraction of correctly labelled (valid) pixels or samples."""
    total = confusion.sum()
    return float(confusion.diag().sum() / total) if total > 0 else float("nan")


def _valid_mask(target: Tensor) -> Tensor:
    """Valid pixels of a dense regression target: any non-zero channel (0 marks missing depth/normals)."""
    return (target != 0).any(1, keepdim=True) if target.dim() == 4 else torch.ones_like(target, dtype=torch.bool)


class PixelErrorMetric(Metric):
    """Pooled per-pixel error over valid pixels (``masked``) or all pixels.

    kinds: ``l1`` mean |p - t|; ``rmse`` sqrt(mean (p - t)^2) (pooled; see :class:`PerImageRMSE` for paper 04's);
    ``log_l1`` mean |log p - log t| (depth); ``delta1`` fraction with max(p/t, t/p) < 1.25 (depth accuracy);
    ``angle`` mean angular error in degrees between normal vectors; ``one_minus_abs_cos`` mean 1 - |cos(p, t)|.
    """

    kinds = {"l1": False, "rmse": False, "log_l1": False, "delta1": True, "angle": False, "one_minus_abs_cos": False}

    def __init__(self, kind: str = "l1", masked: bool = True) -> None:
        if kind not in self.kinds:
            raise ValueError(f"unknown pixel metric {kind!r}; expected one of {sorted(self.kinds)}")
        self.name = kind
        self.higher_is_better = self.kinds[kind]
        self.masked = masked
        self.total = 0.0
        self.count = 0

    def update(self, pred: Tensor, target: Tensor) -> None:
        pred, target = pred.float(), target.float()
        mask = _valid_mask(target) if self.masked else torch.ones_like(target[:, :1], dtype=torch.bool)
        if self.name in ("angle", "one_minus_abs_cos"):
            cos = torch.nn.functional.cosine_similarity(pred, target, dim=1, eps=1e-8).unsqueeze(1)
            values = torch.rad2deg(torch.acos(cos.clamp(-1, 1))) if self.name == "angle" else 1 - cos.abs()
        elif self.name in ("log_l1", "delta1"):
            p, t = pred.clamp_min(1e-6), target.clamp_min(1e-6)
            values = (p.log() - t.log()).abs() if self.name == "log_l1" else (torch.maximum(p / t, t / p) < 1.25).float()
            mask = mask & (target > 0)
        else:
            values = (pred - target).abs() if self.name == "l1" else (pred - target) ** 2
        if values.shape[1] != mask.shape[1]:
            mask = mask.expand_as(values)
        self.total += float(values[mask].double().sum())
        self.count += int(mask.sum())

    def compute(self) -> float:
        if self.count == 0:
            return float("nan")
        mean = self.total / self.count
        return math.sqrt(mean) if self.name == "rmse" else mean


class PerImageRMSE(Metric):
    """RMSE computed per image over its valid pixels, then averaged over images (paper 04's depth metric)."""

    name = "rmse_per_image"

    def __init__(self) -> None:
        self.values: list[float] = []

    def update(self, pred: Tensor, target: Tensor) -> None:
        mask = _valid_mask(target).float()
        sq = ((pred.float() - target.float()) ** 2 * mask).flatten(1).sum(1) / mask.flatten(1).sum(1).clamp_min(1)
        self.values.extend(sq.sqrt().tolist())

    def compute(self) -> float:
        return sum(self.values) / len(self.values) if self.values else float("nan")


class MaxFMeasure(Metric):
    """Maximum F-measure over thresholds of a binary map (saliency: beta^2 = 0.3; edges: beta^2 = 1).

    ``pred`` holds logits (N, 1, H, W); ``target`` {0, 1} with negatives ignored. Precision and recall are pooled
    over the dataset at each of ``thresholds`` evenly spaced probabilities (a dataset-level "ODS" F).
    """

    higher_is_better = True

    def __init__(self, beta2: float = 0.3, thresholds: int = 99, name: str = "max_f") -> None:
        self.beta2 = beta2
        self.name = name
        self.thresholds = torch.linspace(0, 1, thresholds + 2)[1:-1]
        self.tp = torch.zeros(thresholds, dtype=torch.float64)
        self.fp = torch.zeros(thresholds, dtype=torch.float64)
        self.positives = 0.0

    def update(self, pred: Tensor, target: Tensor) -> None:
        prob = torch.sigmoid(pred.float()).flatten().cpu()
        target = target.flatten().cpu()
        valid = target >= 0
        prob, positive = prob[valid], target[valid] > 0
        above = prob.unsqueeze(0) >= self.thresholds.unsqueeze(1)
        self.tp += (above & positive).sum(1).double()
        self.fp += (above & ~positive).sum(1).double()
        self.positives += float(positive.sum())

    def compute(self) -> float:
        precision = self.tp / (self.tp + self.fp).clamp_min(1e-12)
        recall = self.tp / max(self.positives, 1e-12)
        f = (1 + self.beta2) * precision * recall / (self.beta2 * precision + recall).clamp_min(1e-12)
        return float(f.max())


class EdgeF(Metric):
    """Optimal-dataset-scale F-measure of binary edges with a localisation tolerance (the BSDS "odsF").

    At each of ``thresholds`` probabilities, a predicted edge pixel is a true positive when a ground-truth edge
    lies within ``tolerance`` pixels (Chebyshev distance), and a ground-truth edge pixel is recalled when a
    predicted edge lies within ``tolerance``; precision and recall are pooled over the dataset and the best F
    over thresholds is returned. The BSDS benchmark additionally thins the predictions and matches pixels one to
    one within maxDist (0.0075 of the image diagonal for PASCAL, 0.011 for NYUD, i.e. below one pixel at our
    image sizes); ours uses neither, so it is more lenient to thick edges.
    """

    name = "odsf"
    higher_is_better = True

    def __init__(self, tolerance: int = 1, thresholds: int = 99) -> None:
        if tolerance < 0 or thresholds < 1:
            raise ValueError(f"tolerance must be >= 0 and thresholds >= 1, got {tolerance}, {thresholds}")
        self.tolerance = tolerance
        self.thresholds = torch.linspace(0, 1, thresholds + 2)[1:-1]
        self.hits_precision = torch.zeros(thresholds, dtype=torch.float64)
        self.predicted = torch.zeros(thresholds, dtype=torch.float64)
        self.hits_recall = torch.zeros(thresholds, dtype=torch.float64)
        self.positives = 0.0

    def _near(self, x: Tensor) -> Tensor:
        r = self.tolerance
        return (F.max_pool2d(x.float(), 2 * r + 1, 1, r) if r else x.float()) > 0

    def update(self, pred: Tensor, target: Tensor) -> None:
        n, h, w = pred.shape[0], pred.shape[-2], pred.shape[-1]
        prob = torch.sigmoid(pred.float()).reshape(n, 1, h, w)
        target = target.reshape(n, 1, h, w)
        valid = target >= 0
        truth = (target > 0.5) & valid
        truth_near = self._near(truth)
        thresholds = self.thresholds.to(prob.device)
        for start in range(0, len(thresholds), 25):
            chunk = thresholds[start:start + 25]
            index = slice(start, start + len(chunk))
            above = (prob >= chunk.view(1, -1, 1, 1)) & valid
            self.hits_precision[index] += (above & truth_near).sum((0, 2, 3)).double().cpu()
            self.predicted[index] += above.sum((0, 2, 3)).double().cpu()
            self.hits_recall[index] += (truth & self._near(above)).sum((0, 2, 3)).double().cpu()
        self.positives += float(truth.sum())

    def compute(self) -> float:
        precision = self.hits_precision / self.predicted.clamp_min(1e-12)
        recall = self.hits_recall / max(self.positives, 1e-12)
        return float((2 * precision * recall / (precision + recall).clamp_min(1e-12)).max())


def harmonic_mean(values: Sequence[float]) -> float:
    """Harmonic mean of positive values (paper 05 summarises the two digit accuracies with it)."""
    if any(v <= 0 for v in values):
        return 0.0
    return len(values) / sum(1.0 / v for v in values)


def delta_m(
    results: Mapping[str, float], baseline: Mapping[str, float], higher_is_better: Mapping[str, bool]
) -> float:
    """Average relative per-task performance drop, in percent, of ``results`` against ``baseline``.

    Paper 04, Eq. 4: Δm = 1/T Σ_i (-1)^{l_i} (M_{m,i} - M_{b,i}) / M_{b,i}, printed in its tables as a drop:
    **positive means worse than the baseline**, negative means better (e.g. Table 3's R-26 five-task row: 6.62).
    For a task where higher is better the drop is (M_b - M_m) / M_b; where lower is better, (M_m - M_b) / M_b.
    """
    tasks = list(results)
    missing = [t for t in tasks if t not in baseline or t not in higher_is_better]
    if missing or not tasks:
        raise ValueError(f"delta_m needs a baseline value and a direction for every task; missing for {missing or 'all'}")
    drops = []
    for task in tasks:
        base = baseline[task]
        if base == 0:
            raise ValueError(f"baseline of task {task!r} is 0: relative drop undefined")
        sign = -1.0 if higher_is_better[task] else 1.0
        drops.append(sign * (results[task] - base) / abs(base))
    return 100.0 * sum(drops) / len(drops)
