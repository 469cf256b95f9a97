"""Hard parameter sharing: one shared encoder, one decoder per task.

Every multi-task network in the library follows one protocol the training loop relies on:
``forward(x, tasks=None) -> {task: output}``; optionally ``encode(x)`` and ``decode(features, tasks)`` when a
single shared representation exists (gradient-based strategies such as MGDA-UB use it), and
``shared_parameters()`` listing the parameters all tasks share (GradNorm, CosReg and Pareto MTL use them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import Tensor, nn

from paper_mtl.models.decoders import make_decoder
from paper_mtl.models.encoders import make_encoder
from paper_mtl.tasks import Task


class HardSharingNet(nn.Module):
    """A shared ``encoder`` followed by ``decoders[task]`` for each task."""

    def __init__(self, encoder: nn.Module, decoders: Mapping[str, nn.Module]) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoders = nn.ModuleDict(dict(decoders))

    @property
    def tasks(self) -> list[str]:
        return list(self.decoders)

    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x)

    def decode(self, features: Tensor, tasks: Sequence[str] | None = None) -> dict[str, Tensor]:
        return {t: self.decoders[t](features) for t in (tasks or self.decoders)}

    def forward(self, x: Tensor, tasks: Sequence[str] | None = None) -> dict[str, Tensor]:
        return self.decode(self.encode(x), tasks)

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.encoder.parameters())

    def interface(self, task: str) -> nn.Module:
        """The task's last decoder layer: its input is the feature where task-specific gradients are compared
        (paper 04's discriminator reads the gradient each task sends there)."""
        return self.decoders[task][-1]

    @property
    def interface_channels(self) -> int:
        layer = self.interface(self.tasks[0])
        return layer.in_channels if isinstance(layer, nn.Conv2d) else layer.in_features

    def last_shared_layer(self) -> nn.Module:
        """The encoder's last module holding weights (paper 05 measures task-gradient cosines there)."""
        return [m for m in self.encoder.modules() if isinstance(m, (nn.Conv2d, nn.Linear))][-1]


def build_hard_sharing(
    tasks: Mapping[str, Task], encoder: str = "small", width: float = 1.0, in_channels: int = 3, decoder_width: int = 32
) -> HardSharingNet:
    """A :class:`HardSharingNet` with encoder ``encoder`` (see :func:`make_encoder`) and a decoder per task."""
    if not tasks:
        raise ValueError("build_hard_sharing needs at least one task")
    enc = make_encoder(encoder, in_channels, width)
    decoders = {
        name: make_decoder(task.dense, enc.out_channels, task.channels, enc.stride, decoder_width)
        for name, task in tasks.items()
    }
    return HardSharingNet(enc, decoders)
