"""Tests of the multi-task U-Net (shared contracting path, one expanding path per task)."""

import pytest
import torch

from paper_mtl.models.unet import UNet, build_unet
from paper_mtl.tasks import get_tasks

TASKS = get_tasks(["segment_semantic", "depth_zbuffer"], classes={"segment_semantic": 5})


def test_output_shapes_and_task_selection() -> None:
    model = build_unet(TASKS, width=4, depth=2)
    x = torch.randn(2, 3, 16, 12)
    out = model(x)
    assert out["segment_semantic"].shape == (2, 5, 16, 12) and out["depth_zbuffer"].shape == (2, 1, 16, 12)
    assert list(model(x, tasks=["depth_zbuffer"])) == ["depth_zbuffer"]


def test_parameter_count_and_sharing() -> None:
    model = build_unet(TASKS, width=4, depth=2)
    assert model.encoder.channels == [4, 8, 16]

    def conv(i: int, o: int, k: int = 3, bias: bool = False) -> int:
        return i * o * k * k + (o if bias else 0)

    def stage(i: int, o: int) -> int:
        return conv(i, o) + conv(o, o) + 4 * o  # two convs, two batch norms (weight and bias)

    encoder = stage(3, 4) + stage(4, 8) + stage(8, 16)
    decoder = conv(16, 8, 2, True) + stage(16, 8) + conv(8, 4, 2, True) + stage(8, 4)
    heads = conv(4, 5, 1, True) + conv(4, 1, 1, True)
    assert sum(p.numel() for p in model.shared_parameters()) == encoder
    assert sum(p.numel() for p in model.parameters()) == encoder + 2 * decoder + heads
    assert model.last_shared_layer() is model.encoder.stages[-1][3]


def test_decoders_are_separate_and_read_the_skips() -> None:
    model = build_unet(TASKS, width=4, depth=2)
    model(torch.randn(2, 3, 8, 8), tasks=["segment_semantic"])["segment_semantic"].sum().backward()
    assert all(p.grad is None for p in model.decoders["depth_zbuffer"].parameters())
    assert all(p.grad is not None for p in model.encoder.stages[0].parameters())
    # the finest skip feature feeds the last stage: perturbing it alone changes the output
    skips = [s.detach() for s in model.encoder(torch.randn(1, 3, 8, 8))]
    decoder = model.decoders["depth_zbuffer"]
    moved = [skips[0] + 1.0, *skips[1:]]
    assert not torch.allclose(decoder(skips), decoder(moved))


def test_seeded_init_is_deterministic() -> None:
    torch.manual_seed(3)
    a = build_unet(TASKS, width=4, depth=2)
    torch.manual_seed(3)
    b = build_unet(TASKS, width=4, depth=2)
    x = torch.randn(1, 3, 8, 8)
    torch.testing.assert_close(a(x)["segment_semantic"], b(x)["segment_semantic"])


def test_bad_inputs() -> None:
    model = build_unet(TASKS, width=4, depth=2)
    with pytest.raises(ValueError, match="divisible by 4"):
        model(torch.randn(1, 3, 10, 8))
    with pytest.raises(ValueError, match="unknown task"):
        model(torch.randn(1, 3, 8, 8), tasks=["normal"])
    with pytest.raises(ValueError, match="image-level"):
        build_unet(get_tasks(["left"]))
    with pytest.raises(ValueError, match="at least one"):
        build_unet({})
    with pytest.raises(ValueError, match="depth"):
        build_unet(TASKS, depth=0)
    assert isinstance(model, UNet)
