"""U-Net (Ronneberger et al., MICCAI 2015) with a shared contracting path and one expanding path per task.

Paper 02 (Sec. 5.1) compares its class-wise weighting and Pareto MTL on "the U-Net as a base function, duplicated
decoder branch": the encoder (contracting path and bottleneck) is shared, and every task has its own copy of the
expanding path, which reads the shared skip features. Each stage is two 3x3 conv-BN-ReLU blocks (batch norm is
our addition to the 2015 design, standard in current U-Nets); downsampling is 2x2 max-pooling, upsampling a 2x2
stride-2 transposed conv whose output is concatenated with the skip feature of the same scale; a 1x1 conv maps
the last decoder features to the task's channels. Padding keeps sizes ("same" convs), so outputs match inputs.

The model follows the protocol of :mod:`paper_mtl.models.multitask` (``forward(x, tasks=None) -> {task: output}``,
``shared_parameters()``, ``last_shared_layer()``). It has no single shared representation (the decoders read
every skip feature), so it deliberately has no ``encode``/``decode`` pair and the training loop passes
``features=None`` to strategies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from paper_mtl.tasks import Task

__all__ = ["UNet", "UNetDecoder", "UNetEncoder", "build_unet"]


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two 3x3 conv-BN-ReLU blocks: one U-Net stage."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class UNetEncoder(nn.Module):
    """Contracting path: ``depth`` poolings; stage ``i`` has ``width * 2**i`` channels. Returns every stage's
    output, finest first (the last one is the bottleneck)."""

    def __init__(self, in_channels: int = 3, width: int = 16, depth: int = 3) -> None:
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"UNetEncoder needs depth >= 1 and width >= 1, got depth={depth}, width={width}")
        self.channels = [width * 2**i for i in range(depth + 1)]
        self.stages = nn.ModuleList([double_conv(in_channels, self.channels[0])])
        self.stages.extend(double_conv(self.channels[i], self.channels[i + 1]) for i in range(depth))
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: Tensor) -> list[Tensor]:
        skips = [self.stages[0](x)]
        for stage in self.stages[1:]:
            skips.append(stage(self.pool(skips[-1])))
        return skips


class UNetDecoder(nn.Module):
    """Expanding path for one task: up-convolution, concatenation with the skip feature, a U-Net stage; then a
    1x1 conv to ``out_channels``."""

    def __init__(self, channels: Sequence[int], out_channels: int) -> None:
        super().__init__()
        self.ups = nn.ModuleList()
        self.stages = nn.ModuleList()
        for fine, coarse in zip(reversed(channels[:-1]), reversed(channels[1:])):
            self.ups.append(nn.ConvTranspose2d(coarse, fine, 2, stride=2))
            self.stages.append(double_conv(2 * fine, fine))
        self.head = nn.Conv2d(channels[0], out_channels, 1)

    def forward(self, skips: Sequence[Tensor]) -> Tensor:
        y = skips[-1]
        for up, stage, skip in zip(self.ups, self.stages, reversed(skips[:-1])):
            y = stage(torch.cat([up(y), skip], 1))
        return self.head(y)


class UNet(nn.Module):
    """Shared :class:`UNetEncoder` with one :class:`UNetDecoder` per task (paper 02's "duplicated decoder")."""

    def __init__(self, encoder: UNetEncoder, decoders: Mapping[str, UNetDecoder]) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoders = nn.ModuleDict(dict(decoders))

    @property
    def tasks(self) -> list[str]:
        return list(self.decoders)

    def forward(self, x: Tensor, tasks: Sequence[str] | None = None) -> dict[str, Tensor]:
        factor = 2 ** (len(self.encoder.channels) - 1)
        if x.shape[-1] % factor or x.shape[-2] % factor:
            raise ValueError(f"U-Net of depth {len(self.encoder.channels) - 1} needs H and W divisible by {factor}, got {tuple(x.shape[-2:])}")
        unknown = [t for t in (tasks or []) if t not in self.decoders]
        if unknown:
            raise ValueError(f"unknown task(s) {unknown}; this U-Net has decoders for {self.tasks}")
        skips = self.encoder(x)
        return {t: self.decoders[t](skips) for t in (tasks or self.decoders)}

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.encoder.parameters())

    def last_shared_layer(self) -> nn.Module:
        """The bottleneck's last convolution."""
        return [m for m in self.encoder.modules() if isinstance(m, nn.Conv2d)][-1]


def build_unet(tasks: Mapping[str, Task], width: int = 16, depth: int = 3, in_channels: int = 3) -> UNet:
    """A :class:`UNet` with a decoder for each (dense) task, its output channels from the task registry."""
    if not tasks:
        raise ValueError("build_unet needs at least one task")
    flat = [name for name, task in tasks.items() if not task.dense]
    if flat:
        raise ValueError(f"a U-Net predicts dense maps; task(s) {flat} are image-level")
    encoder = UNetEncoder(in_channels, width, depth)
    return UNet(encoder, {name: UNetDecoder(encoder.channels, task.channels) for name, task in tasks.items()})
