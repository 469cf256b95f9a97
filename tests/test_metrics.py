import math

import pytest
import torch

from paper_mtl import published
from paper_mtl.metrics import ConfusionMetric, MaxFMeasure, PerImageRMSE, PixelErrorMetric, delta_m, harmonic_mean

PASCAL_TASKS = ["edge", "seg", "parts", "norm", "sal"]
HIGHER = {t: t != "norm" for t in PASCAL_TASKS}


def _logits(labels, classes):
    return torch.nn.functional.one_hot(labels, classes).movedim(-1, 1).float()


def test_miou_accumulates_over_the_dataset():
    metric = ConfusionMetric(2)
    metric.update(_logits(torch.tensor([[0, 0]]), 2), torch.tensor([[0, 1]]))
    metric.update(_logits(torch.tensor([[1, 1]]), 2), torch.tensor([[1, -1]]))
    # class 0: tp 1, union 2; class 1: tp 1, union 2
    assert metric.compute() == pytest.approx(0.5)
    acc = ConfusionMetric(2, "pixel_accuracy")
    acc.update(_logits(torch.tensor([[0, 0, 1]]), 2), torch.tensor([[0, 1, 1]]))
    assert acc.compute() == pytest.approx(2 / 3)


def _score(metric, pred, target):
    metric.update(pred, target)
    return metric.compute()


def test_pixel_errors_pool_valid_pixels():
    pred = torch.tensor([[[[2.0, 1.0, 5.0]]]])
    target = torch.tensor([[[[1.0, 4.0, 0.0]]]])  # the last pixel is missing (0)
    assert _score(PixelErrorMetric("l1"), pred, target) == pytest.approx(2.0)
    assert _score(PixelErrorMetric("rmse"), pred, target) == pytest.approx(math.sqrt(5.0))
    assert _score(PixelErrorMetric("log_l1"), pred, target) == pytest.approx((math.log(2) + math.log(4)) / 2)
    assert _score(PixelErrorMetric("delta1"), pred, target) == pytest.approx(0.0)
    assert _score(PixelErrorMetric("l1", masked=False), pred, target) == pytest.approx(3.0)


def test_normal_metrics():
    pred = torch.tensor([[[[1.0, 0.0]], [[0.0, 1.0]], [[0.0, 0.0]]]])
    target = torch.tensor([[[[1.0, 1.0]], [[0.0, 0.0]], [[0.0, 0.0]]]])
    assert _score(PixelErrorMetric("angle"), pred, target) == pytest.approx(45.0)
    assert _score(PixelErrorMetric("one_minus_abs_cos"), pred, target) == pytest.approx(0.5)


def test_per_image_rmse_averages_images():
    pred = torch.tensor([[[[1.0]]], [[[3.0]]]])
    target = torch.tensor([[[[2.0]]], [[[1.0]]]])
    assert _score(PerImageRMSE(), pred, target) == pytest.approx(1.5)


def test_max_f_measure_perfect_and_beta():
    target = torch.tensor([[[[1, 0, 1, 0]]]])
    assert _score(MaxFMeasure(beta2=0.3), torch.tensor([[[[5.0, -5.0, 5.0, -5.0]]]]), target) == pytest.approx(1.0)
    # predicting everything positive: precision 1/2, recall 1 -> F_0.3 = 1.3 * 0.5 / (0.3 * 0.5 + 1)
    assert _score(MaxFMeasure(beta2=0.3), torch.full((1, 1, 1, 4), 5.0), target) == pytest.approx(0.65 / 1.15)


def test_harmonic_mean():
    assert harmonic_mean([0.5, 1.0]) == pytest.approx(2 / 3)
    assert harmonic_mean([0.0, 1.0]) == 0.0


def test_delta_m_recomputes_published_r26_rows():
    """Paper 04, Table 3(e), R-26: 6.62 and 0.11 recomputed from the printed rows (to the printed precision).

    Other backbones' rows need the rounding-interval audit of notebook 04 (R-50's printed 0.04 gives 0.033).
    """
    table = published.load("04_table3e_backbones")
    rows = table[table.backbone == "R-26"]
    single = rows[rows.num_tasks == 1].iloc[0][PASCAL_TASKS].astype(float).to_dict()
    for _, row in rows[rows.num_tasks > 1].iterrows():
        ours = delta_m(row[PASCAL_TASKS].astype(float).to_dict(), single, HIGHER)
        assert ours == pytest.approx(row.delta_m, abs=0.006)


def test_delta_m_sign_and_errors():
    assert delta_m({"a": 90.0}, {"a": 100.0}, {"a": True}) == pytest.approx(10.0)
    assert delta_m({"a": 90.0}, {"a": 100.0}, {"a": False}) == pytest.approx(-10.0)
    with pytest.raises(ValueError, match="missing"):
        delta_m({"a": 1.0}, {}, {"a": True})
