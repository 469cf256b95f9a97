"""Probes of a trained network of notebook 04 (Figures 1, 6, 7, 8): per-task SE gates and their t-SNE, the
similarity and shared PCA of the tasks' features, and the predictions shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score
from torch import Tensor
from torchvision.ops import SqueezeExcitation

from paper_mtl.data.multitask import MultiTaskData
from paper_mtl.models.se_resnet import TaskSwitch
from paper_mtl.models.task_conditioned import TaskConditionedNet
from paper_mtl.tasks import Task, UnitNormalTask

# ----------------------------------------------------------------------------------------------------------
# Probes of a trained network (Figures 1, 6, 7, 8)
# ----------------------------------------------------------------------------------------------------------


def _spaced(items: Sequence[Any], count: int) -> list[Any]:
    if len(items) <= count:
        return list(items)
    return [items[int(round(i))] for i in np.linspace(0, len(items) - 1, count)]


@torch.no_grad()
def se_gates(model: TaskConditionedNet, x: Tensor, levels: int) -> dict[str, dict[str, np.ndarray]]:
    """Per-task SE gates at ``levels`` equally spaced per-task SE modules: ``{level: {task: (N, C) array}}``."""
    switches = [(name, m) for name, m in model.named_modules()
                if isinstance(m, TaskSwitch) and isinstance(next(iter(m.branches.values())), SqueezeExcitation)]
    chosen = _spaced(switches, levels)
    gates: dict[str, dict[str, np.ndarray]] = {name: {} for name, _ in chosen}
    hooks = []
    for name, switch in chosen:
        for task, se in switch.branches.items():
            def hook(module, args, output, name=name, task=task):
                gates[name][task] = output.flatten(1).cpu().numpy()
            hooks.append(se.scale_activation.register_forward_hook(hook))
    try:
        model.eval()
        model(x)
    finally:
        for h in hooks:
            h.remove()
    return gates


@torch.no_grad()
def layer_features(model: TaskConditionedNet, x: Tensor) -> dict[str, dict[str, Tensor]]:
    """Each task's feature maps after every backbone stage and after the decoder: ``{layer: {task: (N,C,h,w)}}``."""
    stages = model.encoder.stages if hasattr(model.encoder, "stages") else [model.encoder.low, model.encoder.high]
    layers = {f"stage {i + 1}": m for i, m in enumerate(stages)}
    layers["decoder"] = model.decoder
    feats: dict[str, dict[str, Tensor]] = {name: {} for name in layers}
    current: dict[str, str] = {}
    hooks = []
    for name, module in layers.items():
        def hook(module, args, output, name=name):
            feats[name][current["task"]] = output.detach().cpu()
        hooks.append(module.register_forward_hook(hook))
    try:
        model.eval()
        for task in model.tasks:
            current["task"] = task
            model(x, tasks=[task])
    finally:
        for h in hooks:
            h.remove()
    return feats


def feature_similarity(feats: Mapping[str, Tensor]) -> float:
    """Mean over task pairs and images of the cosine similarity of two tasks' flattened feature maps."""
    tasks = list(feats)
    if len(tasks) < 2:
        return 1.0
    sims = [F.cosine_similarity(feats[a].flatten(1), feats[b].flatten(1), dim=1).mean() for a, b in combinations(tasks, 2)]
    return float(torch.stack(sims).mean())


def shared_pca(feats: Mapping[str, Tensor], image: int = 0) -> np.ndarray:
    """Fig. 1: one PCA basis across tasks of image ``image``'s features; first three components per task as RGB.

    Returns (T, h, w, 3) in [0, 1] (each component min-max scaled over all tasks together)."""
    maps = np.stack([f[image].numpy() for f in feats.values()])  # (T, C, h, w)
    t, c, h, w = maps.shape
    pixels = maps.transpose(0, 2, 3, 1).reshape(-1, c)
    components = min(3, c, len(pixels))
    projected = PCA(components, random_state=0).fit_transform(pixels)
    projected = np.pad(projected, ((0, 0), (0, 3 - components)))
    lo, hi = projected.min(0), projected.max(0)
    return ((projected - lo) / np.where(hi > lo, hi - lo, 1.0)).reshape(t, h, w, 3)


def probe_network(
    model: TaskConditionedNet, val: MultiTaskData, tasks: Mapping[str, Task], probe_images: int, shown_images: int,
    tsne_levels: int, seed: int,
) -> dict[str, Any]:
    """Numbers behind Figures 1, 6, 7 and 8 for a trained network, on the first validation images.

    * ``tsne``: a DataFrame (level, depth, task, x, y) of a t-SNE per level of the per-task SE gates of the first
      ``probe_images`` images, and ``separation``: per level, the silhouette score of those gates grouped by task
      (higher = more task-specific); empty when the encoder has no per-task SE.
    * ``similarity``: per layer, the mean cosine similarity of the tasks' feature maps; ``pca``: Fig. 1's RGB
      images (layer -> (T, h, w, 3)) of the first image.
    * ``predictions``: the first ``shown_images`` inputs, targets and predictions (Figs. 7-8).
    """
    device = next(model.parameters()).device
    x = val.inputs[:probe_images].to(device).float()
    out: dict[str, Any] = {"tsne": pd.DataFrame(columns=["level", "depth", "task", "x", "y"]),
                           "separation": pd.DataFrame(columns=["level", "depth", "silhouette"])}
    gates = se_gates(model, x, tsne_levels)
    if gates:
        rows, scores = [], []
        for depth, (level, per_task) in enumerate(gates.items()):
            names = list(per_task)
            points = np.concatenate([per_task[t] for t in names])
            labels = np.repeat(np.arange(len(names)), [len(per_task[t]) for t in names])
            perplexity = max(2.0, min(15.0, (len(points) - 1) / 3))
            embedded = TSNE(2, perplexity=perplexity, init="pca", max_iter=500, random_state=seed).fit_transform(points)
            rows += [{"level": level, "depth": depth, "task": names[k], "x": float(p[0]), "y": float(p[1])}
                     for p, k in zip(embedded, labels)]
            scores.append({"level": level, "depth": depth, "silhouette": float(silhouette_score(points, labels))})
        out["tsne"], out["separation"] = pd.DataFrame(rows), pd.DataFrame(scores)
    feats = layer_features(model, x)
    out["similarity"] = pd.DataFrame([{"layer": name, "depth": i, "similarity": feature_similarity(f)}
                                      for i, (name, f) in enumerate(feats.items())])
    out["pca"] = {name: shared_pca(f).round(3).tolist() for name, f in feats.items()}
    model.eval()
    with torch.no_grad():
        preds = model(x[:shown_images])
    out["predictions"] = {
        "rgb": val.inputs[:shown_images].numpy().round(3).tolist(),
        "target": {t: val.targets[t][:shown_images].float().numpy().round(3).tolist() for t in tasks},
        "output": {t: display_prediction(tasks[t], p).round(3).tolist() for t, p in preds.items()},
    }
    return out


def display_prediction(task: Task, pred: Tensor) -> np.ndarray:
    """A prediction as shown in Figs. 7-8: labels for label tasks, probabilities for binary maps, unit normals."""
    pred = pred.float().cpu()
    if task.is_classification:
        return pred.argmax(1).numpy().astype(np.float32)
    if task.loss == "balanced_bce":
        return torch.sigmoid(pred[:, 0]).numpy()
    if task.channels == 3 and isinstance(task, UnitNormalTask):
        return F.normalize(pred, dim=1).numpy()
    return pred.numpy() if task.channels > 1 else pred[:, 0].numpy()
