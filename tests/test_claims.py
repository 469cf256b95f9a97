"""The verdict rule of paper_mtl.claims on constructed cases, and the intervals its checks use."""

import math

import numpy as np
import pytest
from scipy import stats

from paper_mtl.claims import (
    CONSISTENT, DECISIVE, FAILS, HOLDS, INCONCLUSIVE, INCONSISTENT, NOT_REPRODUCED, NOT_TESTABLE, PARTLY,
    PARTLY_CONSISTENT, REPRODUCED, SANITY, SUPPORTING, WITHIN_NOISE, Check, Claim, format_mean_se, mean_se, seed_list,
)

HOLD, FAIL = Check.truth("holds", True), Check.truth("fails", False)


def claim(*checks):
    return Claim("a claim", "the paper says so", "published", "ours", list(checks))


def test_every_decisive_check_holding_reproduces():
    assert claim(HOLD, Check.truth("also", True)).verdict == REPRODUCED


def test_decisive_failing_while_supporting_holds_is_not_reproduced():
    assert claim(FAIL, HOLD.as_kind(SUPPORTING)).verdict == NOT_REPRODUCED


def test_one_failing_decisive_check_of_a_group_fails_the_group():
    assert claim(HOLD, FAIL).verdict == NOT_REPRODUCED


def test_supporting_failure_makes_a_holding_claim_partly():
    assert claim(HOLD, FAIL.as_kind(SUPPORTING)).verdict == PARTLY


def test_groups_holding_on_some_datasets_and_failing_on_others_is_partly():
    c = claim(HOLD.as_kind(DECISIVE, "nyud"), Check.truth("pascal", False, group="pascal"),
              Check.truth("fsv", True, group="fsv"))
    assert c.verdict == PARTLY
    assert c.summary() == "decisive: 2/3 groups hold; fails: pascal"


def test_within_noise_is_inconclusive():
    noisy = Check.paired("a beats b", [1.0, 1.1, 0.9], [1.05, 0.95, 1.0])
    assert noisy.state == WITHIN_NOISE
    assert claim(noisy).verdict == INCONCLUSIVE
    assert claim(noisy, HOLD.as_kind(SUPPORTING)).verdict == INCONCLUSIVE


def test_one_seed_gives_no_interval_and_counts_as_noise():
    single = Check.paired("a beats b", [2.0], [1.0])
    assert single.low is None and single.state == WITHIN_NOISE
    assert claim(single).verdict == INCONCLUSIVE


def test_sanity_lines_never_raise_or_lower_a_verdict():
    assert claim(FAIL, HOLD.as_kind(SANITY)).verdict == NOT_REPRODUCED
    assert claim(HOLD, FAIL.as_kind(SANITY)).verdict == REPRODUCED
    with pytest.raises(ValueError, match="no decisive check"):
        _ = claim(HOLD.as_kind(SANITY)).verdict


def test_untestable_claims_say_why():
    c = Claim.untestable("Table 9", "x", "published", "needs the real dataset")
    assert c.verdict == NOT_TESTABLE and "needs the real dataset" in c.evidence()
    with pytest.raises(ValueError, match="say why"):
        Claim.untestable("Table 9", "x", "published", " ")


def test_paired_check_is_a_paired_t_test():
    ours, base = np.array([0.52, 0.55, 0.50, 0.56, 0.53]), np.array([0.50, 0.51, 0.49, 0.52, 0.50])
    check = Check.paired("ours higher", ours, base)
    p = stats.ttest_rel(ours, base, alternative="two-sided").pvalue
    assert check.state == HOLDS and p < 0.05
    assert check.effect == pytest.approx((ours - base).mean())
    lower = Check.paired("ours lower", ours, base, better="lower")
    assert lower.state == FAILS and lower.effect == pytest.approx(-check.effect)
    assert Check.paired("by more than 0.1", ours, base, margin=0.1).state == FAILS
    with pytest.raises(ValueError, match="paired by seed"):
        Check.paired("x", [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="better must be"):
        Check.paired("x", [1], [1], better="more")


def test_a_tie_on_every_seed_is_no_evidence_but_a_constant_gap_is():
    same = [0.5, 0.6, 0.7]
    tie = Check.paired("the same models", same, same)
    assert tie.state == WITHIN_NOISE and "a tie on every seed" in tie.detail
    assert Check.paired("always 0.1 better", np.add(same, 0.1), same).state == HOLDS
    assert Check.paired("always 0.1 worse", same, np.add(same, 0.1)).state == FAILS
    assert Check.paired("ties but needs a margin", same, same, margin=0.05).state == FAILS


def test_within_check_holds_only_when_the_interval_is_inside_the_tolerance():
    a = np.array([1.00, 1.01, 0.99, 1.00])
    assert Check.within("close", a, a + 0.001, tolerance=0.05).state == HOLDS
    assert Check.within("far", a, a + 0.2, tolerance=0.05).state == FAILS
    assert Check.within("unclear", a, a + np.array([0.0, 0.1, -0.05, 0.1]), tolerance=0.05).state == WITHIN_NOISE


def test_proportion_is_judged_against_chance():
    assert Check.proportion("9/12", 9, 12, chance=0.5).state == WITHIN_NOISE  # exact binomial p = 0.15
    assert Check.proportion("90/110", 90, 110, chance=0.5).state == HOLDS
    assert Check.proportion("4/12", 4, 12, chance=0.5).state == WITHIN_NOISE
    assert Check.proportion("0/12", 0, 12, chance=0.5).state == FAILS
    with pytest.raises(ValueError, match="successes <= trials"):
        Check.proportion("bad", 5, 4, chance=0.5)


def test_correlation_uses_a_fisher_interval_with_the_claimed_sign():
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    y = -x + 0.3 * rng.normal(size=40)
    assert Check.correlation("negative", x, y, sign=-1).state == HOLDS
    assert Check.correlation("positive", x, y, sign=1).state == FAILS
    null = Check.correlation("shuffled", x, rng.permutation(y), sign=-1, method="spearman")
    assert null.state in (WITHIN_NOISE, FAILS)
    with pytest.raises(ValueError, match="constant"):
        Check.correlation("flat", x, np.ones(40), sign=1)


def test_small_or_perfect_correlations_use_exact_permutation_p_values():
    x = np.arange(5.0)
    perfect = Check.correlation("5 points in order", x, 2 * x + 1, sign=1, method="spearman")
    assert perfect.state == HOLDS and perfect.low is None
    assert perfect.p_for == pytest.approx(1 / math.factorial(5))  # only the identity ordering reaches ρ = 1
    assert Check.correlation("claimed the other sign", x, 2 * x + 1, sign=-1, method="spearman").state == FAILS
    assert Check.correlation("4 points in order", x[:4], x[:4], sign=1).state == WITHIN_NOISE  # p = 1/24 > 0.025
    nearly = Check.correlation("one swap", x, [0, 2, 1, 3, 4], sign=1, method="spearman")  # ρ = 0.9: the identity and 4 adjacent swaps reach it
    assert nearly.state == WITHIN_NOISE and nearly.p_for == pytest.approx(5 / 120)
    many = np.arange(12.0)  # a perfect correlation over more points: a sample of orderings, never a zero p-value
    big = Check.correlation("12 points in order", many, many, sign=1)
    assert big.state == HOLDS and 0 < big.p_for < 0.001
    assert "permutation" in big.row()["95% interval"]
    with pytest.raises(ValueError, match="both one-sided p-values or an interval"):
        Check("x", 0.5, p_for=0.01, p_against=0.9, low=0.1, high=0.2)


def test_bootstrap_resamples_the_independent_units():
    rng = np.random.default_rng(1)
    networks = [rng.normal(0.3, 0.05, size=5) for _ in range(8)]  # 8 networks, 5 correlated points each

    def mean_of(units):
        return float(np.mean(np.concatenate(units)))

    check = Check.bootstrap("networks improve", mean_of, networks)
    assert check.state == HOLDS and check.effect == pytest.approx(mean_of(networks)) and check.n == 8
    assert check == Check.bootstrap("networks improve", mean_of, networks)  # the seed fixes the resamples
    split = [np.full(5, v) for v in (0.4, -0.4, 0.3, -0.3, 0.35, -0.35, 0.2, -0.2)]  # units that disagree
    assert Check.bootstrap("units disagree", mean_of, split).state == WITHIN_NOISE
    assert Check.bootstrap("worse", mean_of, [-u for u in networks]).state == FAILS
    # the same 40 points treated as independent would give a much narrower interval than the clustered one
    one_network_each = [np.array([v]) for v in np.concatenate(split)]
    narrow = Check.bootstrap("points as units", mean_of, one_network_each)
    wide = Check.bootstrap("networks as units", mean_of, split)
    assert narrow.high - narrow.low < wide.high - wide.low
    with pytest.raises(ValueError, match="at least 8 independent units, got 3; over fewer, compare per-unit"):
        Check.bootstrap("three seeds that agree", mean_of, networks[:3])


def test_audits_read_as_consistency_with_the_paper_itself():
    def audit(*checks):
        return Claim("an audit", "the text says 90/110", "Table 1", "88/110", list(checks), audit=True)

    assert audit(HOLD).verdict == CONSISTENT
    assert audit(FAIL).verdict == INCONSISTENT
    assert audit(HOLD.as_kind(DECISIVE, "a"), FAIL.as_kind(DECISIVE, "b")).verdict == PARTLY_CONSISTENT


def test_exact_checks_and_bad_input():
    assert Check.exact("0.6 < 0.7", 0.6, 0.7, above=False).state == HOLDS
    assert Check.exact("0.8 < 0.7", 0.8, 0.7, above=False).state == FAILS
    with pytest.raises(ValueError, match="unknown check kind 'key'"):
        Check.truth("x", True, kind="key")
    with pytest.raises(ValueError, match="finite"):
        Check.paired("nan", [float("nan")], [1.0])
    with pytest.raises(ValueError, match="distinct"):
        claim(HOLD, HOLD)
    with pytest.raises(ValueError, match="non-empty sentence"):
        Claim("label", "", "published", "ours", [HOLD])


def test_mean_se_and_seeds():
    assert mean_se([1.0, 2.0, 3.0]) == (2.0, pytest.approx(1 / math.sqrt(3)))
    assert math.isnan(mean_se([1.0])[1])
    assert format_mean_se([1.0, 2.0, 3.0]) == "2 ± 0.58" and format_mean_se([0.25]) == "0.25"
    assert seed_list(4, 3) == [4, 5, 6]
    with pytest.raises(ValueError, match="positive integer"):
        seed_list(0, 0)


def test_the_claim_displays_its_sentence_verdict_and_checks():
    html = claim(HOLD)._repr_html_()
    assert "the paper says so" in html and REPRODUCED in html and "holds" in html
    table = claim(HOLD, FAIL.as_kind(SANITY)).checks_table()
    assert list(table["state"]) == [HOLDS, FAILS] and list(table["kind"]) == [DECISIVE, SANITY]


def test_a_paired_check_among_many_comparisons_needs_a_wider_margin_of_seeds():
    ours, baseline = [1.0, 1.2, 1.1], [0.5, 0.6, 0.5]
    alone = Check.paired("one comparison", ours, baseline)
    among = Check.paired("one of 15", ours, baseline, comparisons=15)
    assert alone.state == "holds" and among.state == "within noise"
    assert among.low < alone.low and "Bonferroni over 15 comparisons" in among.detail
    with pytest.raises(ValueError, match="comparisons must be an integer >= 1, got 0"):
        Check.paired("bad", ours, baseline, comparisons=0)
