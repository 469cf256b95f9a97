"""The protocol every multi-task network of the library follows, as explicit :class:`typing.Protocol` classes.

The training loop needs only :class:`MultiTaskModel` (checked once by :func:`check_model`); strategies ask for the
capabilities they use by these names instead of probing attributes:

- :class:`SharedRepresentation` — ``encode(x)`` and ``decode(features, tasks)`` around one representation every
  task reads (MGDA-UB takes gradients there);
- :class:`SharesParameters` — ``shared_parameters()``, the parameters all tasks share (GradNorm, CosReg, Pareto MTL);
- :class:`HasLastSharedLayer` — ``last_shared_layer()``, where paper 05 and GradNorm measure task gradients;
- :class:`HasInterface` — ``interface(task)`` and ``interface_channels``, the layer whose input paper 04's
  discriminator reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from torch import Tensor, nn


@runtime_checkable
class MultiTaskModel(Protocol):
    def forward(self, x: Tensor, tasks: Sequence[str] | None = None) -> dict[str, Tensor]: ...


@runtime_checkable
class SharedRepresentation(Protocol):
    def encode(self, x: Tensor) -> Tensor: ...

    def decode(self, features: Tensor, tasks: Sequence[str] | None = None) -> dict[str, Tensor]: ...


@runtime_checkable
class SharesParameters(Protocol):
    def shared_parameters(self) -> list[nn.Parameter]: ...


@runtime_checkable
class HasLastSharedLayer(Protocol):
    def last_shared_layer(self) -> nn.Module: ...


@runtime_checkable
class HasInterface(Protocol):
    interface_channels: int

    def interface(self, task: str) -> nn.Module: ...


def check_model(model: object) -> nn.Module:
    """``model`` as the training loop takes it: an ``nn.Module`` with ``forward(x, tasks)``; a ``TypeError``
    naming what is missing otherwise."""
    takes_tasks = isinstance(model, MultiTaskModel) and "tasks" in inspect.signature(model.forward).parameters
    if not isinstance(model, nn.Module) or not takes_tasks:
        raise TypeError(f"a multi-task model is an nn.Module with forward(x, tasks) -> {{task: output}}; "
                        f"got {type(model).__name__}")
    return model
