"""In-memory multi-task data: one input tensor and a dict of task targets, batched without per-sample Python."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset


def _as_tensor(array: np.ndarray | Tensor) -> Tensor:
    return array if isinstance(array, Tensor) else torch.from_numpy(np.ascontiguousarray(array))


@dataclass
class MultiTaskData(Dataset):
    """A dataset held as tensors: ``inputs`` of shape (N, ...) and ``targets[task]`` of shape (N, ...).

    Batches are index slices of whole tensors, so a dataset moved to the GPU once (:meth:`to`) is served with
    no host work per step. It is also a map-style ``torch.utils.data.Dataset`` (``data[i]`` is ``(input,
    {task: target})``), for use with a ``DataLoader`` in one's own code. ``meta`` carries provenance (source, classes, ...); a numpy array in ``meta`` whose
    first dimension is N holds one entry per sample (e.g. MultiDigit's ``source_indices``) and follows
    :meth:`subset`.
    """

    inputs: Tensor
    targets: dict[str, Tensor]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.inputs = _as_tensor(self.inputs)
        self.targets = {k: _as_tensor(v) for k, v in self.targets.items()}
        n = len(self.inputs)
        bad = {k: len(v) for k, v in self.targets.items() if len(v) != n}
        if bad:
            raise ValueError(f"targets {bad} do not have the {n} samples of the inputs")

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], input_key: str, tasks: list[str] | tuple[str, ...], meta: dict | None = None
    ) -> MultiTaskData:
        """Pick ``input_key`` and the ``tasks`` out of a dict of arrays (as returned by renderers and readers)."""
        missing = [k for k in [input_key, *tasks] if k not in arrays]
        if missing:
            raise ValueError(f"arrays have no {missing}; available: {sorted(arrays)}")
        return cls(arrays[input_key], {t: arrays[t] for t in tasks}, dict(meta or {}))

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> tuple[Tensor, dict[str, Tensor]]:
        return self.inputs[index], {k: v[index] for k, v in self.targets.items()}

    @property
    def tasks(self) -> list[str]:
        return list(self.targets)

    @property
    def device(self) -> torch.device:
        return self.inputs.device

    def to(self, device: str | torch.device) -> MultiTaskData:
        return MultiTaskData(self.inputs.to(device), {k: v.to(device) for k, v in self.targets.items()}, self.meta)

    def subset(self, index: Tensor | np.ndarray | slice | list[int]) -> MultiTaskData:
        if not isinstance(index, slice):
            index = torch.as_tensor(index, device=self.device)
        n = len(self)
        rows = index if isinstance(index, slice) else index.cpu().numpy()
        meta = {k: v[rows] if isinstance(v, np.ndarray) and v.ndim and len(v) == n else v for k, v in self.meta.items()}
        return MultiTaskData(self.inputs[index], {k: v[index] for k, v in self.targets.items()}, meta)

    def select_tasks(self, tasks: list[str] | tuple[str, ...]) -> MultiTaskData:
        missing = [t for t in tasks if t not in self.targets]
        if missing:
            raise ValueError(f"unknown task(s) {missing}; this data has {self.tasks}")
        return MultiTaskData(self.inputs, {t: self.targets[t] for t in tasks}, self.meta)

    def batches(
        self, batch_size: int, shuffle: bool = False, generator: torch.Generator | None = None, drop_last: bool = False
    ) -> Iterator[tuple[Tensor, dict[str, Tensor]]]:
        """Yield ``(inputs, targets)`` mini-batches; the order is fixed by ``generator`` when shuffling."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        n = len(self)
        order = torch.randperm(n, generator=generator).to(self.device) if shuffle else None
        stop = n - n % batch_size if drop_last and n >= batch_size else n
        for start in range(0, stop, batch_size):
            if order is None:
                idx: Tensor | slice = slice(start, min(start + batch_size, n))
            else:
                idx = order[start : start + batch_size]
            yield self.inputs[idx], {k: v[idx] for k, v in self.targets.items()}

    def num_batches(self, batch_size: int, drop_last: bool = False) -> int:
        n = len(self)
        return n // batch_size if drop_last and n >= batch_size else -(-n // batch_size)
