import itertools

import numpy as np
import pytest

from paper_mtl import published
from paper_mtl.experiments.single_tasking import (
    AUDITED,
    HIGHER_IS_BETTER,
    audit_published,
    delta_m_interval,
    drop_interval,
    published_table,
    rounding_interval,
)
from paper_mtl.metrics import delta_m

TABLE3 = ("edge", "seg", "parts", "norm", "sal")


def test_delta_m_of_the_papers_r26_multitask_row():
    table = published_table("04_table3e_backbones")
    rows = {v: r for v, r in zip(table["variant"], table.to_dict("records")) if r["backbone"] == "R-26"}
    base = {t: rows["single"][t] for t in TABLE3}
    assert delta_m({t: rows["multi"][t] for t in TABLE3}, base, HIGHER_IS_BETTER) == pytest.approx(6.62108, abs=1e-5)
    assert delta_m(base, base, HIGHER_IS_BETTER) == 0.0


@pytest.mark.parametrize("text, expected", [("14.90", (14.895, 14.905)), ("0.650", (0.6495, 0.6505)),
                                            ("62.1", (62.05, 62.15)), ("7", (6.5, 7.5)), ("-1.22", (-1.225, -1.215))])
def test_rounding_interval(text, expected):
    assert rounding_interval(text) == pytest.approx(expected)


def test_interval_bounds_every_value_the_rounding_allows_and_is_attained():
    method = {"edge": "69.2", "norm": "17.04", "depth": "0.729"}
    baseline = {"edge": "71.3", "norm": "14.90", "depth": "0.650"}
    low, high = delta_m_interval(method, baseline, HIGHER_IS_BETTER)
    boxes = [(rounding_interval(method[t]), rounding_interval(baseline[t])) for t in method]
    rng = np.random.default_rng(0)
    for _ in range(2000):
        m = {t: rng.uniform(*boxes[i][0]) for i, t in enumerate(method)}
        b = {t: rng.uniform(*boxes[i][1]) for i, t in enumerate(method)}
        assert low - 1e-9 <= delta_m(m, b, HIGHER_IS_BETTER) <= high + 1e-9
    corners = []
    for choice in itertools.product(*[itertools.product(*box) for box in boxes]):
        corners.append(delta_m({t: c[0] for t, c in zip(method, choice)}, {t: c[1] for t, c in zip(method, choice)},
                               HIGHER_IS_BETTER))
    assert min(corners) == pytest.approx(low) and max(corners) == pytest.approx(high)
    assert drop_interval("69.2", "71.3", True)[0] > 0  # a lower F-measure is a drop whatever the rounding


def test_audit_of_the_printed_tables():
    audit = audit_published()
    assert set(audit["table"]) == {name.removeprefix("04_") for name in AUDITED}
    key = {(r["table"], r["backbone"], r["variant"]): r for r in audit.to_dict("records")}
    # Table 3 recomputes exactly from its printed cells.
    for (table, _, _), r in key.items():
        if table.startswith("table3"):
            assert r["consistent"] is True and abs(r["recomputed"] - r["printed"]) < 0.01
    # FSV R-50 multi-task: printed 7.04, but the three printed drops average 12.6; only without depth would it fit.
    fsv = key[("table5b_fsv_backbones", "R-50", "multi")]
    assert fsv["consistent"] is False and fsv["recomputed"] == pytest.approx(12.64, abs=0.01)
    assert "seg+albedo" in fsv["matching_subset"].split("; ")
    assert key[("table4b_fsv", "R-50", "multi")]["consistent"] is False
    assert key[("table5a_nyud_backbones", "R-101", "multi")]["consistent"] is False
    # Tables whose single-task row was lost in the text cannot be audited.
    assert key[("table7_mobilenet", "MNet", "se")]["consistent"] is None
    assert audit["consistent"].value_counts(dropna=False).to_dict() == {True: 31, False: 5, None: 5}


def test_every_transcribed_table_loads_with_a_variant_per_row():
    for name in [n for n in published.available() if n.startswith("04_")]:
        table = published_table(name)
        assert table["variant"].notna().all() and (table["num_tasks"] >= 1).all()
        text = published.load(name, as_text=True)
        assert list(text.columns) == list(published.load(name).columns)


def test_audit_uses_every_printing_of_a_model():
    from paper_mtl.experiments.single_tasking import shared_intervals

    shared = shared_intervals()
    # NYUD R-50 single-task depth: "0.61" in Table 4(a), "0.610" in Table 5(a): both allow only [0.6095, 0.6105].
    assert shared[("nyud", "R-50", "single", "depth")] == pytest.approx((0.6095, 0.6105))
    # ... so Table 4(a)'s printed 5.44 for R-50 multi-tasking, consistent with its own two-decimal cells, is not.
    assert rounding_interval("0.61")[0] < 0.6095
    audit = {(r["table"], r["backbone"], r["variant"]): r for r in audit_published().to_dict("records")}
    assert audit[("table4a_nyud", "R-50", "multi")]["consistent"] is False
    low, high = delta_m_interval({"edge": "73.2", "seg": "30.95", "norm": "23.34", "depth": "0.70"},
                                 {"edge": "74.4", "seg": "32.82", "norm": "23.30", "depth": "0.61"}, HIGHER_IS_BETTER)
    assert low <= 5.445 and audit[("table4a_nyud", "R-50", "multi")]["low"] > 5.445
