"""Networks: encoders, decoders, and multi-task networks assembled from them."""

from paper_mtl.models.decoders import ConvDecoder, ImageHead, make_decoder
from paper_mtl.models.encoders import ResNetEncoder, SmallConvEncoder, make_encoder
from paper_mtl.models.multitask import HardSharingNet, build_hard_sharing

__all__ = [
    "ConvDecoder",
    "HardSharingNet",
    "ImageHead",
    "ResNetEncoder",
    "SmallConvEncoder",
    "build_hard_sharing",
    "make_decoder",
    "make_encoder",
]
