"""A SegNet-style multi-task network (Badrinarayanan et al. 2017), as paper 05 uses it on NYUv2 (Sec. 5).

"The model consists of symmetric VGG16 encoder and decoders. The decoders perform upsampling using the indices
obtained from the maxpooling layers in the encoder." Paper 05 gives each task its own decoder so that task
gradients are taken on the last layer of the shared VGG encoder, feeds 320x320 images and predicts 80x80 targets.
Here each decoder mirrors the encoder's last stages only, unpooling with the encoder's indices until it reaches
``1/output_stride`` of the input (4, as in the paper), then a 3x3 convolution gives the task's channels.

Deviation: paper 05 initialises the encoder from ImageNet VGG16; nothing is downloaded here, so every layer is
randomly initialised (Kaiming). ``width`` scales VGG16's channels (64, 128, 256, 512, 512) and ``stages``
the depth, so the same design runs on a CPU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from paper_mtl.tasks import Task

VGG16_STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
"""(channels, convolutions) of VGG16's five stages."""


def _conv_bn_relu(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class SegNetEncoder(nn.Module):
    """VGG16's convolution stages (conv-BN-ReLU, as in SegNet), each followed by a 2x2 max-pool that keeps its indices."""

    def __init__(self, in_channels: int = 3, width: float = 1.0, stages: int = 5) -> None:
        super().__init__()
        if not 1 <= stages <= len(VGG16_STAGES):
            raise ValueError(f"stages must be in 1..{len(VGG16_STAGES)}, got {stages}")
        self.channels = [max(4, round(c * width)) for c, _ in VGG16_STAGES[:stages]]
        self.convs = [n for _, n in VGG16_STAGES[:stages]]
        blocks = []
        cin = in_channels
        for cout, n in zip(self.channels, self.convs):
            layers: list[nn.Module] = []
            for i in range(n):
                layers += _conv_bn_relu(cin if i == 0 else cout, cout)
            blocks.append(nn.Sequential(*layers))
            cin = cout
        self.stages = nn.ModuleList(blocks)

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor], list[tuple[int, int]]]:
        """Features after the last pool, the pooling indices and the pre-pool sizes of every stage."""
        indices, sizes = [], []
        for stage in self.stages:
            x = stage(x)
            sizes.append((x.shape[-2], x.shape[-1]))
            x, index = F.max_pool2d(x, 2, 2, return_indices=True)
            indices.append(index)
        return x, indices, sizes


class SegNetDecoder(nn.Module):
    """Mirror of the encoder's last ``len(stage_channels)`` stages: unpool with the stored indices, then the
    stage's convolutions in reverse (SegNet's decoder), the last one reducing to the next stage's channels."""

    def __init__(self, stage_channels: Sequence[int], stage_convs: Sequence[int], out_channels: int, next_channels: int) -> None:
        super().__init__()
        blocks = []
        targets = [next_channels, *stage_channels[:-1]]
        for cin, n, cout in zip(reversed(stage_channels), reversed(stage_convs), reversed(targets)):
            layers: list[nn.Module] = []
            for i in range(n):
                layers += _conv_bn_relu(cin, cout if i == n - 1 else cin)
            blocks.append(nn.Sequential(*layers))
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(next_channels, out_channels, 3, padding=1)

    def forward(self, x: Tensor, indices: Sequence[Tensor], sizes: Sequence[tuple[int, int]]) -> Tensor:
        for block, index, size in zip(self.blocks, reversed(indices), reversed(sizes)):
            x = block(F.max_unpool2d(x, index, 2, 2, output_size=size))
        return self.head(x)


class SegNet(nn.Module):
    """Shared :class:`SegNetEncoder` and one :class:`SegNetDecoder` per task, outputs at 1/``output_stride`` of the
    input. Tasks in ``unit_norm`` (paper 05: surface normals) have their outputs normalised to unit length."""

    def __init__(
        self,
        tasks: Mapping[str, Task],
        in_channels: int = 3,
        width: float = 1.0,
        stages: int = 5,
        output_stride: int = 4,
        unit_norm: Sequence[str] = ("normal",),
    ) -> None:
        super().__init__()
        if not tasks:
            raise ValueError("SegNet needs at least one task")
        steps = int(round(math.log2(output_stride))) if output_stride >= 1 else -1
        if 2**steps != output_stride or not 0 <= steps < stages:
            raise ValueError(f"output_stride must be a power of two below 2**stages = {2**stages}, got {output_stride}")
        self.encoder = SegNetEncoder(in_channels, width, stages)
        up = stages - steps
        channels, convs = self.encoder.channels, self.encoder.convs
        next_channels = channels[stages - up - 1] if stages - up - 1 >= 0 else channels[0]
        self.decoders = nn.ModuleDict(
            {name: SegNetDecoder(channels[-up:], convs[-up:], task.channels, next_channels) for name, task in tasks.items()}
        )
        self.unit_norm = tuple(t for t in unit_norm if t in tasks)
        self.output_stride = output_stride
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    @property
    def tasks(self) -> list[str]:
        return list(self.decoders)

    def forward(self, x: Tensor, tasks: Sequence[str] | None = None) -> dict[str, Tensor]:
        features, indices, sizes = self.encoder(x)
        up = len(next(iter(self.decoders.values())).blocks)
        out = {}
        for t in tasks or self.decoders:
            y = self.decoders[t](features, indices[-up:], sizes[-up:])
            out[t] = F.normalize(y, dim=1) if t in self.unit_norm else y
        return out

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.encoder.parameters())

    def last_shared_layer(self) -> nn.Module:
        """The encoder's last convolution (paper 05 takes task gradients on "the last layer of the VGG encoder")."""
        return [m for m in self.encoder.modules() if isinstance(m, nn.Conv2d)][-1]
