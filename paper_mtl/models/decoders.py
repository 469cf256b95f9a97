"""Task-specific decoders: dense upsampling decoders and image-level heads."""

from __future__ import annotations

import math

from torch import nn

from paper_mtl.models.encoders import conv_bn_relu


class ConvDecoder(nn.Sequential):
    """Dense decoder: ``log2(stride)`` stages of a stride-2 transposed conv then a 3x3 conv-BN-ReLU, and a final
    3x3 conv to ``out_channels`` (the MTRobust/Taskonomy decoder, ANCHORS 01, scaled down)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, width: int = 32) -> None:
        steps = int(round(math.log2(stride)))
        if 2**steps != stride:
            raise ValueError(f"decoder stride must be a power of two, got {stride}")
        layers: list[nn.Module] = [conv_bn_relu(in_channels, width)]
        for _ in range(steps):
            layers += [
                nn.ConvTranspose2d(width, width, 4, 2, 1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                conv_bn_relu(width, width),
            ]
        layers.append(nn.Conv2d(width, out_channels, 3, 1, 1))
        super().__init__(*layers)


class ImageHead(nn.Sequential):
    """Image-level head: global average pooling and a two-layer MLP to ``out_channels`` logits."""

    def __init__(self, in_channels: int, out_channels: int, hidden: int = 64) -> None:
        super().__init__(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_channels, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, out_channels),
        )


def make_decoder(dense: bool, in_channels: int, out_channels: int, stride: int, width: int = 32) -> nn.Module:
    """A :class:`ConvDecoder` for dense tasks, an :class:`ImageHead` for image-level ones."""
    return ConvDecoder(in_channels, out_channels, stride, width) if dense else ImageHead(in_channels, out_channels, width)
