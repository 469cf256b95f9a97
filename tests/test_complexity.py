import pytest
import torch
from torch import nn

from paper_mtl.complexity import complexity, count_parameters, multiply_adds
from paper_mtl.models.task_conditioned import build_single_tasking
from paper_mtl.tasks import get_tasks

TASKS = get_tasks(["segment_semantic", "depth_zbuffer", "normal"], {"segment_semantic": 5})
SHAPE = (1, 3, 16, 16)


def net(**options):
    torch.manual_seed(0)
    return build_single_tasking(TASKS, width=1 / 16, decoder_width=8, stem_stride=2, layers=(1, 1, 1, 1),
                                rates=(1, 2, 3), **options)


def test_counts_by_hand():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert count_parameters(conv) == 8 * 3 * 9 + 8
    assert multiply_adds(conv, (2, 3, 10, 10)) == 2 * 8 * 3 * 9 * 100
    lin = nn.Linear(3, 4)
    assert count_parameters(nn.ModuleList([lin, lin])) == count_parameters(lin) == 16  # shared once
    assert multiply_adds(nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 4)), (5, 3)) == 5 * (12 + 16)


def head_macs(model, task):
    return model.interface_channels * TASKS[task].channels * (16 // model.encoder.low_stride) ** 2


def test_plain_multitasking_shares_one_pass_and_adds_only_heads():
    model = net(se_encoder="shared")
    one = multiply_adds(model, SHAPE, ["normal"])
    every = multiply_adds(model, SHAPE)
    assert every == one + head_macs(model, "segment_semantic") + head_macs(model, "depth_zbuffer")


def test_encoder_modulation_costs_one_full_pass_per_task():
    model = net(se_encoder="task", se_decoder="task")
    per_task = {t: multiply_adds(model, SHAPE, [t]) for t in TASKS}
    assert multiply_adds(model, SHAPE) == sum(per_task.values())
    body = per_task["normal"] - head_macs(model, "normal")
    assert all(per_task[t] - head_macs(model, t) == body for t in TASKS)


def test_decoder_modulation_shares_the_encoder_pass():
    model = net(se_encoder="shared", se_decoder="task")
    encoder = multiply_adds(model.encoder, SHAPE)
    per_task = {t: multiply_adds(model, SHAPE, [t]) for t in TASKS}
    assert multiply_adds(model, SHAPE) == encoder + sum(v - encoder for v in per_task.values())
    plain = net(se_encoder="shared")
    assert multiply_adds(plain, SHAPE) < multiply_adds(model, SHAPE) < multiply_adds(net(se_encoder="task", se_decoder="task"), SHAPE)


def test_complexity_restores_mode_and_rejects_bad_shapes():
    model = net().train()
    result = complexity(model, SHAPE)
    assert model.training and set(result) == {"params", "multiply_adds"}
    assert result["params"] == sum(p.numel() for p in model.parameters())
    with pytest.raises(ValueError, match="input_shape"):
        multiply_adds(model, (3,))
