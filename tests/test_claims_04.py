"""Every claim of notebook 04 can fail: constructed results where it holds, and a constructed null where it drops."""

import numpy as np
import pandas as pd
import pytest

from paper_mtl.claims import (CONSISTENT, DECISIVE, INCONCLUSIVE, INCONSISTENT, NOT_REPRODUCED, NOT_TESTABLE, PARTLY,
                               PARTLY_CONSISTENT, REPRODUCED, SANITY, SUPPORTING)
from paper_mtl.experiments import single_tasking as st
from paper_mtl.experiments.single_tasking import claims as stc


def table(name, ours=None, backbone=None):
    """The paper's rows of table ``name`` (from paper_mtl.published), with our rows ``{variant: Δm}`` added."""
    paper = st.run_table(name, "smoke") if name not in st.settings("smoke").tables else None
    if paper is None:
        spec = st.TABLES[name]
        paper = st.published_table(spec.published).rename(columns={"num_tasks": "T"})
        paper["source"] = "paper"
    paper = paper[paper["source"] == "paper"]
    backbone = backbone or paper["backbone"].iloc[0]
    mine = pd.DataFrame([{"backbone": backbone, "variant": v, "source": "ours", "delta_m": d, "params": p,
                          "multiply_adds": m} for v, (d, p, m) in (ours or {}).items()])
    return pd.concat([paper, mine], ignore_index=True)


def costs(variants):
    params = {"single": 50, "multi": 10, "adv": 10, "ra": 13, "se_dec": 11, "se": 12, "se_adv": 12}
    macs = {"single": 50, "multi": 10, "adv": 10, "ra": 60, "se_dec": 20, "se": 50, "se_adv": 50}
    return {v: (d, params[v], macs[v]) for v, d in variants.items()}


def seeds(multi, se_adv, **more):
    return pd.DataFrame([{"seed": s, "backbone": "R-26", "variant": v, "delta_m": d}
                         for v, values in (("multi", multi), ("se_adv", se_adv), *more.items())
                         for s, d in enumerate(values)])


HOLD = seeds([6.0, 6.3, 5.8], [0.5, 0.9, 0.4])
NULL = seeds([3.0, 3.5, 2.8], [3.4, 2.9, 3.1])  # SEA no better than MT: within noise
REVERSED = seeds([1.0, 1.2, 0.9], [4.0, 4.4, 4.1])


def test_sea_over_multitask_is_decided_by_seeds():
    t = table("3d", costs({"single": 0.0, "multi": 6.0, "adv": 4.0, "se": 1.0, "se_adv": 0.5}))
    claim = stc.table3d_sea_claim(t, HOLD, "quick")
    groups = claim.groups()
    assert groups["PASCAL R-26 over multi"] == "holds" and groups["PASCAL R-26 over se"] == "within noise"
    assert claim.verdict == PARTLY
    assert stc.table3d_sea_claim(t, NULL, "quick").verdict == INCONCLUSIVE
    assert stc.table3d_sea_claim(t, REVERSED, "quick").verdict == NOT_REPRODUCED
    # one seed (no seeded rows) gives no interval
    assert stc.table3d_sea_claim(t, None, "quick").verdict == INCONCLUSIVE


def test_adversarial_claim_and_sanity_of_inference_cost():
    t = table("3d", costs({"single": 0.0, "multi": 6.0, "adv": 4.0, "se": 1.0, "se_adv": 0.5}))
    claim = stc.table3d_adversarial_claim(t, HOLD, "quick")
    sanity = claim.of_kind(SANITY)
    assert sanity and all(c.state == "holds" for c in sanity)
    assert claim.verdict == INCONCLUSIVE  # adv trains one seed
    decisive = claim.of_kind(DECISIVE)[0]  # against the mean of every seed of multi, without an interval
    assert "(n=3)" in decisive.detail and decisive.low is None and "one seed at quick: cannot be beyond noise" in claim.ours
    multi = HOLD[HOLD["variant"] == "multi"]
    adv = pd.concat([multi, multi.assign(variant="adv", delta_m=[4.0, 4.2, 3.9])])
    assert stc.table3d_adversarial_claim(t, adv, "quick").verdict == REPRODUCED
    equal = pd.concat([multi, multi.assign(variant="adv", delta_m=[6.3, 5.8, 6.0])])
    assert stc.table3d_adversarial_claim(t, equal, "quick").verdict == INCONCLUSIVE


def test_multitask_drop_holds_and_its_null():
    t = table("3d", costs({"single": 0.0, "multi": 6.0, "adv": 4.0, "se": 1.0, "se_adv": 0.5}))
    assert stc.multitask_drop_claim({"3d": t}, HOLD, "quick").verdict == REPRODUCED
    equal = seeds([0.2, -0.3, 0.1], [0.0, 0.0, 0.0])
    assert stc.multitask_drop_claim({"3d": t}, equal, "quick").verdict == INCONCLUSIVE
    gain = seeds([-2.0, -2.5, -1.8], [0.0, 0.0, 0.0])
    assert stc.multitask_drop_claim({"3d": t}, gain, "quick").verdict == NOT_REPRODUCED
    untrained = table("7")  # a table we did not train is no evidence: no group, named in ours
    claim = stc.multitask_drop_claim({"3d": t, "7": untrained}, HOLD, "quick")
    assert claim.verdict == REPRODUCED and "7 not trained at quick" in claim.ours and list(claim.groups()) == ["PASCAL R-26"]


def test_table3e_needs_several_depths():
    t = table("3e")  # only the seeded R-26 networks: one depth cannot show invariance to depth
    for rows in (HOLD, REVERSED):
        claim = stc.table3e_claim(t, rows, "quick")
        assert claim.verdict == NOT_TESTABLE and [c.kind for c in claim.checks] == [SUPPORTING]
    assert stc.table3e_claim(t, None, "quick").verdict == NOT_TESTABLE
    deeper = pd.concat([table("3e", costs({"single": 0.0, "multi": 6.0, "se_adv": 0.5}), b) for b in ("R-26", "R-50")])
    deeper = deeper.drop_duplicates(subset=["backbone", "variant", "source"])
    assert stc.table3e_claim(deeper, HOLD, "quick").verdict == PARTLY  # R-26 holds over seeds, R-50 has one seed
    assert stc.table3e_claim(deeper, REVERSED, "quick").verdict == NOT_REPRODUCED


def test_tables45_need_both_baselines():
    t = table("4a", costs({"single": 0.0, "multi": 5.0, "se_adv": -1.0}), "R-50")
    claim = stc.tables45_claim({"4a": t}, "quick")
    names = [c.name for c in claim.checks]
    assert "NYUD R-50: Δm se_adv < Δm multi" in names and "NYUD R-50: Δm se_adv < Δm single-task (0)" in names
    assert claim.verdict == INCONCLUSIVE  # one seed each
    untrained = stc.tables45_claim({"4a": t, "4b": table("4b")}, "quick")
    assert list(untrained.groups()) == ["NYUD R-50"] and "4b not trained at quick" in untrained.ours


def test_table3b_3c_and_3a():
    t = table("3b", costs({"single": 0.0, "multi": 6.0, "ra": 1.4, "se": 0.6}))
    claim = stc.table3b_claim(t, HOLD, "quick")
    assert claim.verdict == INCONCLUSIVE and claim.of_kind(SUPPORTING)[0].state == "holds"
    # with one seed a reversed ordering is no evidence either way: still within noise, never reproduced
    rev = table("3b", costs({"single": 0.0, "multi": 1.0, "ra": 1.4, "se": 6.0}))
    assert stc.table3b_claim(rev, None, "quick").verdict == INCONCLUSIVE
    t3c = table("3c", costs({"single": 0.0, "multi": 6.0, "se_dec": 1.4, "se": 0.6}))
    c3 = stc.table3c_claim(t3c, HOLD, "quick")
    assert c3.verdict == INCONCLUSIVE and c3.of_kind(SANITY)[0].state == "holds"
    t3a = table("3a")
    assert stc.table3a_claim(t3a, "quick").verdict == NOT_TESTABLE
    assert "imputed: single row" in stc.table3a_claim(t3a, "quick").published


def test_table3b_decides_when_every_variant_is_seeded():
    t = table("3b", costs({"single": 0.0, "multi": 6.0, "ra": 1.4, "se": 0.6}))
    seeded = seeds([6.0, 6.3, 5.8], [0.5, 0.9, 0.4], ra=[1.4, 1.6, 1.2], se=[0.6, 0.8, 0.5])
    claim = stc.table3b_claim(t, seeded, "quick")
    assert claim.verdict == REPRODUCED and all(c.n == 3 for c in claim.of_kind(DECISIVE))
    null = seeds([6.0, 6.3, 5.8], [0.5, 0.9, 0.4], ra=[1.4, 1.6, 1.2], se=[1.5, 1.2, 1.3])  # SE no better than RA
    assert stc.table3b_claim(t, null, "quick").verdict == INCONCLUSIVE


def test_table3a_one_seed_says_so():
    metrics = {"single_plain": 60.0, "single": 62.0, "multi_plain": 55.0, "multi": 57.0}
    paper = table("3a")
    ours = pd.DataFrame([{"backbone": "R-26", "variant": v, "source": "ours", "edge": m, "seg": m, "parts": m,
                          "norm": 20.0, "sal": m} for v, m in metrics.items()])
    claim = stc.table3a_claim(pd.concat([paper, ours], ignore_index=True), "quick")
    assert claim.verdict == INCONCLUSIVE and "one seed at quick: cannot be beyond noise" in claim.ours
    assert all(c.effect > 0 for c in claim.of_kind(DECISIVE))  # SE helps, but one seed is no verdict


def test_untrained_tables_are_not_testable():
    for fn, name in ((stc.table7_claim, "7"),):
        assert fn(table(name), "quick").verdict == NOT_TESTABLE
    six = {n: table(n) for n in ("6a", "6b", "6c")}
    assert stc.table6_claim(six, "quick").verdict == NOT_TESTABLE


def test_depth_trends_need_an_interval():
    depth = np.arange(8)
    rising = pd.DataFrame({"depth": depth, "silhouette": np.linspace(0.0, 0.9, 8)})
    assert stc.fig6_claim(rising).verdict == REPRODUCED
    # the reviewer's non-monotone silhouettes: a positive rho, but five levels give no interval that excludes 0
    wobbly = pd.DataFrame({"depth": np.arange(5), "silhouette": [0.089, -0.031, 0.602, -0.080, 0.917]})
    assert stc.fig6_claim(wobbly).verdict == INCONCLUSIVE
    falling = rising.assign(silhouette=rising["silhouette"][::-1].to_numpy())
    assert stc.fig6_claim(falling).verdict == NOT_REPRODUCED



def test_fig1_lacks_a_control():
    depth = np.arange(8)
    similar = pd.DataFrame({"depth": depth, "similarity": np.linspace(0.9, 0.1, 8)})
    control = similar.assign(similarity=1.0)
    claim = stc.fig1_claim(similar, control)
    assert claim.verdict == NOT_TESTABLE and "lacks a control" in claim.ours
    assert [c.state for c in claim.of_kind(SUPPORTING)] == ["holds"] and claim.of_kind(SANITY)[0].state == "holds"
    rising = stc.fig1_claim(similar.assign(similarity=similar["similarity"][::-1].to_numpy()), control)
    assert rising.verdict == NOT_TESTABLE and rising.of_kind(SUPPORTING)[0].state == "fails"


def test_resources_decisive_on_reaching_single_task_sanity_on_parameters():
    df = pd.DataFrame({"backbone": ["R-26"] * 4, "variant": ["single", "multi", "se_dec", "se_adv"],
                       "params": [50, 10, 11, 12], "multiply_adds": [50, 10, 30, 50], "delta_m_same": [0, 5, 3, -1.0]})
    claim = stc.resources_claim(df, seeds([6.0, 6.3, 5.8], [-1.0, -1.3, -0.8]), "quick")
    assert claim.verdict == REPRODUCED and len(claim.of_kind(SANITY)) == 3
    assert "parameters" not in claim.of_kind(DECISIVE)[0].name
    assert stc.resources_claim(df, seeds([6.0, 6.3, 5.8], [4.0, 4.4, 3.7]), "quick").verdict == NOT_REPRODUCED
    assert stc.resources_claim(df, seeds([6.0, 6.3, 5.8], [0.4, -0.5, 0.2]), "quick").verdict == INCONCLUSIVE
    assert stc.resources_claim(df, None, "quick").verdict == INCONCLUSIVE  # one seed


def test_qualitative_is_not_counted_twice():
    frame = pd.DataFrame({"variant": ["multi", "se_adv"], "delta_m": [6.0, 0.5]})
    claim = stc.qualitative_claim({"pascal": frame})
    assert claim.verdict == NOT_TESTABLE and all(c.kind == SANITY for c in claim.checks) and claim.checks


def test_audit_claim_drops_on_an_inconsistent_row():
    audit = st.audit_published()
    assert stc.audit_claim(audit).audit and stc.audit_claim(audit).verdict == PARTLY_CONSISTENT
    fine = audit.assign(consistent=audit["consistent"].map(lambda c: None if c is None else True))
    assert stc.audit_claim(fine).verdict == CONSISTENT
    bad = audit.assign(consistent=audit["consistent"].map(lambda c: None if c is None else False))
    assert stc.audit_claim(bad).verdict == INCONSISTENT


def test_published_evidence_is_read_from_the_package(patch_published):
    def doctored(df):  # the numbers shift; the printed text (as_text) stays as printed
        return df if df["delta_m"].dtype == object else df.assign(delta_m=df["delta_m"] + 100)

    t = table("3d", costs({"single": 0.0, "multi": 6.0, "adv": 4.0, "se": 1.0, "se_adv": 0.5}))
    before = stc.table3d_sea_claim(t, HOLD, "quick").published
    patch_published("04_table3d_adversarial", doctored)
    after = stc.table3d_sea_claim(table("3d", costs({"single": 0.0, "multi": 6.0, "adv": 4.0, "se": 1.0,
                                                     "se_adv": 0.5})), HOLD, "quick").published
    assert before != after and "+106.62" in after


# ---- capacity at the paper's sizes: Table 2, SE + RA + A, Fig. 9, App. D -----------------------------------------

def capacity(se=1000.0, block=1123.0, conv=1050.0, mnet=8.0, r50=100.0, mnet_macs=40.0, r50_macs=100.0):
    """A synthetic :func:`st.paper_capacity` result: per-task network sizes of R-26 SE + A and SE + RA + A (both
    adapters), MobileNetV2 SE and R-50 multi-task totals."""
    rows = [("R-26", "se_adv", "none", se, 0.0, 0.0), ("R-26", "se_ra_adv", "block", block, 0.0, 0.0),
            ("R-26", "se_ra_adv", "conv", conv, 0.0, 0.0), ("MNet", "se", "none", 0.0, mnet, mnet_macs),
            ("R-50", "multi", "none", 0.0, r50, r50_macs)]
    return pd.DataFrame([{"backbone": b, "variant": v, "adapters": a, "task_params": t, "params": p, "multiply_adds": m}
                         for b, v, a, t, p, m in rows])


def test_paper_capacity_counts_the_paper_sizes_without_training():
    cap = st.paper_capacity([("R-26", "multi", None), ("R-26", "se_adv", None), ("R-26", "se_ra_adv", "conv"),
                             ("R-26", "single", None)], image_size=64)
    rows = {(v, a): r for v, a, r in zip(cap["variant"], cap["adapters"], cap.to_dict("records"))}
    multi, sea, ra, single = rows[("multi", "none")], rows[("se_adv", "none")], rows[("se_ra_adv", "conv")], \
        rows[("single", "none")]
    assert multi["T"] == 5 and single["T"] == 1
    # per-task SE and adapters add task-specific parameters; five single-task networks hold about 5 shared networks
    assert multi["task_params"] < sea["task_params"] < ra["task_params"] < sea["params"] < ra["params"]
    assert 4.9 < single["params"] / multi["params"] < 5.1
    # encoder modulation costs one full pass per task (as many multiply-adds as the five single-task networks)
    assert sea["multiply_adds"] > 4 * multi["multiply_adds"]
    assert abs(sea["multiply_adds"] - single["multiply_adds"]) / single["multiply_adds"] < 0.01
    heads = st.paper_tasks()
    assert heads["seg"].channels == 21 and heads["parts"].channels == 7
    with pytest.raises(ValueError, match="image_size"):
        st.paper_capacity(image_size=16)
    with pytest.raises(ValueError, match="no capacity row"):
        st.capacity_row(cap, "R-50", "multi")


def test_table2_is_not_testable_and_prints_the_gaps():
    t2 = st.table2()
    assert list(t2["printed"])[3] == "20.1 vs 19.0" and t2["gap"].iloc[0] > 0 > t2["gap"].iloc[3]  # normals: lower
    claim = stc.table2_claim(t2)
    assert claim.verdict == NOT_TESTABLE and "Normals (NYUD mErr) 20.1 vs 19.0 (-5.8)" in claim.published


def fig5_rows(se_ra_adv=None, se_adv=0.5):
    rows = [("single", 0.0), ("multi", 6.0), ("se_adv", se_adv)] + ([("se_ra_adv", se_ra_adv)] if se_ra_adv is not None
                                                                     else [])
    return pd.DataFrame([{"backbone": "R-26", "variant": v, "delta_m_same": d} for v, d in rows])


def test_se_ra_adv_counts_are_sanity_and_untrained_is_not_testable():
    claim = stc.se_ra_adv_claim(fig5_rows(), capacity(), HOLD, "quick")
    assert claim.verdict == NOT_TESTABLE and "not trained at quick" in claim.ours
    assert [c.kind for c in claim.checks] == [SANITY, SANITY]
    assert [c.state for c in claim.checks] == ["holds", "fails"]  # 12.3 % (block) matches; 5.0 % (conv) does not
    assert "12.3% (Eq. 2 adapters, trained here)" in claim.ours
    mismatch = stc.se_ra_adv_claim(fig5_rows(), capacity(block=1339.0), HOLD, "quick")
    assert [c.state for c in mismatch.checks] == ["fails", "fails"] and mismatch.verdict == NOT_TESTABLE


def test_se_ra_adv_trained_is_decided_by_its_accuracy_not_its_count():
    trained = stc.se_ra_adv_claim(fig5_rows(-0.45), capacity(block=1339.0), HOLD, "paper")
    decisive = trained.of_kind(DECISIVE)
    assert [c.name for c in decisive] == ["R-26: Δm se_ra_adv < single-task (0)"] and decisive[0].effect > 0
    assert trained.verdict == INCONCLUSIVE and "one seed at paper: cannot be beyond noise" in trained.ours
    assert "(n=3)" in trained.ours  # SE + A over its seeds
    assert trained.of_kind(SUPPORTING)[0].state == "within noise"
    worse = stc.se_ra_adv_claim(fig5_rows(2.0), capacity(), None, "paper")
    assert worse.verdict == INCONCLUSIVE and worse.of_kind(DECISIVE)[0].effect < 0


def fig9_tables(trained=True, mnet=60.0, r50=58.0):
    paper7, paper3e = table("7"), table("3e")
    if not trained:
        return {"7": paper7, "3e": paper3e}
    cols = {"edge": None, "seg": None, "parts": None, "norm": 20.0, "sal": None}

    def ours(backbone, variant, value):
        return {"backbone": backbone, "variant": variant, "source": "ours",
                **{t: (v if v is not None else value) for t, v in cols.items()}}
    return {"7": pd.concat([paper7, pd.DataFrame([ours("MNet", "se", mnet)])], ignore_index=True),
            "3e": pd.concat([paper3e, pd.DataFrame([ours("R-50", "multi", r50), ours("R-101", "single", 65.0)])],
                            ignore_index=True)}


def test_fig9_counts_are_sanity_and_performance_needs_table7():
    claim = stc.fig9_claim(fig9_tables(False), capacity(), "quick")
    assert claim.verdict == NOT_TESTABLE and "Table(s) 3e, 7 not trained at quick" in claim.ours
    assert [c.kind for c in claim.checks] == [SANITY, SANITY] and all(c.state == "holds" for c in claim.checks)
    off = stc.fig9_claim(fig9_tables(False), capacity(mnet=20.0, mnet_macs=150.0), "quick")
    assert [c.state for c in off.checks] == ["fails", "fails"]  # 20 % of the parameters, more multiply-adds
    trained = stc.fig9_claim(fig9_tables(), capacity(), "quick")
    decisive = trained.of_kind(DECISIVE)[0]
    assert trained.verdict == INCONCLUSIVE and decisive.effect > 0 and "one seed at quick" in trained.ours
    assert stc.fig9_claim(fig9_tables(mnet=50.0), capacity(), "quick").of_kind(DECISIVE)[0].effect < 0


def test_appendix_d_is_not_testable_with_its_reason():
    claim = stc.appendix_d_claim()
    assert claim.verdict == NOT_TESTABLE and "prints no result" in claim.ours and not claim.checks
