"""Notebook 05's claims: Sec. 4's over Table 1's runs (σ and accuracy, paired by seed), Figure 4's rolling σ,
Figure 3's grid correlations, and Sec. 5.1's over Table 2's runs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from paper_mtl import published
from paper_mtl.claims import SUPPORTING, Check, Claim, format_mean_se
from paper_mtl.experiments.orthogonal.config import ERROR_COLUMNS, METHODS, MODELS
from paper_mtl.experiments.orthogonal.runs import delta_m_runs


# ----------------------------------------------------------------------------------------------------------
# Claims of Sec. 4 (Table 1, Figures 2-4): checks over Table 1's runs, paired by seed
# ----------------------------------------------------------------------------------------------------------

CHANCE_ACC = 20.0
"""The harmonic mean of two 5-way accuracies at chance, in percent."""
UNTRAINED_MARGIN = 5.0
"""Points above :data:`CHANCE_ACC` below which a model did not train: the rows say so (its checks still count)."""
ALONE_TOLERANCE = 1.0
"""Accuracy points within which CosReg(α=10) counts as having no "major impact by itself" against the unregularised
model: the paper calls the 1.2 points of CosReg(α=0.1) + batch-norm over batch-norm a significant boost."""
SHORT = {"No reg": "no reg", "Dropout": "dropout", "Batchnorm": "BN", "CosReg(α=10)": "CosReg10", "CosReg(α=0.1) + Batchnorm": "CosReg0.1+BN"}
BEST = "CosReg(α=0.1) + Batchnorm"
ALPHA10 = "CosReg(α=10)"

SIGMA_REG_SENTENCE = ("Dropout and Batchnorm seem to implicitly reduce the variance of these angles, favoring "
                      "orthogonality between task gradients.")
SIGMA_COSREG_SENTENCE = "we evaluate our gradient regularization method and observe that σ is being successfully reduced"
ACC_REG_SENTENCE = "Unsurprisingly, the regularized models outperform the unregularized baseline as seen in Table 1."
ACC_BEST_SENTENCE = ("Although our method does not on seem to have a major impact by itself, it significantly boosts the "
                     "performance of the model when used in conjunction with Batchnorm.")
ROLLING_SENTENCE = ("even for the vanilla model σ decreases as training progresses, but remains at relatively high "
                    "values compared to the regularized networks.")
EARLY_SENTENCE = "this initial standard deviation is a good indicator of the final generalization performance of a model"


def per_seed(runs: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` of Table 1's runs as one row per seed and one column per model (seeds every model has)."""
    return runs.pivot_table(index="seed", columns="model", values=column, aggfunc="first").dropna()


def untrained(runs: pd.DataFrame, model: str, column: str = "test_hm") -> bool:
    """Whether ``model``'s mean accuracy over its runs is within :data:`UNTRAINED_MARGIN` of chance."""
    return bool(runs.loc[runs["model"] == model, column].mean() < CHANCE_ACC + UNTRAINED_MARGIN)


def untrained_note(runs: pd.DataFrame) -> str:
    """What a claim's row says when CosReg(α=10) did not train (empty otherwise): evidence against the paper's model,
    counted as such."""
    if not untrained(runs, ALPHA10):
        return ""
    paper = published.load("05_table1_multidigit").set_index("model").loc[ALPHA10, "acc"]
    acc = runs.loc[runs["model"] == ALPHA10, "test_hm"].mean()
    return (f"; {ALPHA10} did not train at this profile (test accuracy {acc:.1f} %, chance {CHANCE_ACC:g} %; "
            f"the paper's: {paper:.1f} %): its penalty kept the network at chance, and its checks count as evidence")


def _published_models(column: str, label: str, digits: int) -> str:
    paper = published.load("05_table1_multidigit").set_index("model").reindex(list(MODELS))
    return f"Table 1 ({label}, 5 runs): " + ", ".join(f"{SHORT[m]} {paper.loc[m, column]:.{digits}f}" for m in MODELS)


def _ours_models(runs: pd.DataFrame, column: str, label: str, digits: int = 3) -> str:
    n = runs.groupby("model")["seed"].nunique().min()
    return f"{label} over {n} seeds: " + ", ".join(
        f"{SHORT[m]} {format_mean_se(runs.loc[runs['model'] == m, column], digits)}" for m in MODELS)


def regularisers_lower_sigma_claim(runs: pd.DataFrame) -> Claim:
    """Sec. 4: dropout and batch-norm lower σ of the cosines: each below the unregularised model's, paired by seed."""
    sigma = per_seed(runs, "sigma")
    checks = [Check.paired(f"σ: {m} < No reg", sigma[m], sigma["No reg"], better="lower") for m in ("Dropout", "Batchnorm")]
    return Claim("Table 1 / Figure 2: dropout and batch-norm implicitly lower σ of the task-gradient cosines",
                 SIGMA_REG_SENTENCE, _published_models("sigma", "σ", 2), _ours_models(runs, "sigma", "σ"), checks)


def cosreg_lowers_sigma_claim(runs: pd.DataFrame) -> Claim:
    """Sec. 4 (Figures 2 and 4, Table 1): CosReg lowers σ. Decisive, one group per network of Table 1 that the penalty
    is added to, paired by seed: CosReg(α=10) below the unregularised model (the plain network) and CosReg(α=0.1) +
    batch-norm below batch-norm alone. Both count whether or not the network trained (the row says when it did not)."""
    sigma = per_seed(runs, "sigma")
    checks = [
        Check.paired(f"σ: {ALPHA10} < No reg", sigma[ALPHA10], sigma["No reg"], better="lower", group="plain network"),
        Check.paired(f"σ: {BEST} < Batchnorm", sigma[BEST], sigma["Batchnorm"], better="lower", group="batch-norm network"),
    ]
    return Claim("Table 1 / Figure 2: CosReg lowers σ of the task-gradient cosines", SIGMA_COSREG_SENTENCE,
                 _published_models("sigma", "σ", 2), _ours_models(runs, "sigma", "σ") + untrained_note(runs), checks)


def regularisers_raise_accuracy_claim(runs: pd.DataFrame) -> Claim:
    """Sec. 4: dropout and batch-norm each beat the unregularised model's test accuracy, paired by seed."""
    acc = per_seed(runs, "test_hm")
    checks = [Check.paired(f"accuracy: {m} > No reg", acc[m], acc["No reg"]) for m in ("Dropout", "Batchnorm")]
    return Claim("Table 1: dropout and batch-norm beat the unregularised model in accuracy", ACC_REG_SENTENCE,
                 _published_models("acc", "accuracy %", 1), _ours_models(runs, "test_hm", "accuracy %"), checks)


def cosreg_bn_best_claim(runs: pd.DataFrame, tolerance: float = ALONE_TOLERANCE) -> Claim:
    """Sec. 4 (Table 1), both halves of the sentence, one group each, paired by seed: CosReg(α=0.1) + batch-norm beats
    every other model in accuracy, batch-norm alone above all ("boosts ... in conjunction with Batchnorm"); CosReg(α=10)
    within ``tolerance`` points of the unregularised model ("no major impact by itself": the same accuracy in Table 1)."""
    acc = per_seed(runs, "test_hm")
    checks = [Check.paired(f"accuracy: {BEST} > {m}", acc[BEST], acc[m], group="with batch-norm")
              for m in MODELS if m != BEST]
    checks.append(Check.within(f"accuracy: {ALPHA10} within ±{tolerance:g} points of No reg", acc[ALPHA10],
                               acc["No reg"], tolerance=tolerance, group="by itself"))
    return Claim("Table 1: CosReg alone changes accuracy little; with batch-norm it has the best accuracy of the five",
                 ACC_BEST_SENTENCE, _published_models("acc", "accuracy %", 1),
                 _ours_models(runs, "test_hm", "accuracy %") + untrained_note(runs), checks)


def rolling_claim(windows: pd.DataFrame, runs: pd.DataFrame) -> Claim:
    """Figure 4 (:func:`rolling_windows` of Table 1's runs): the unregularised model's last-window σ is below its
    first and above every regularised model's last, paired by seed (the row says when CosReg(α=10) did not train)."""
    first, last = per_seed(windows, "first"), per_seed(windows, "last")
    checks = [Check.paired("No reg: last window's σ < first window's", last["No reg"], first["No reg"], better="lower")]
    checks += [Check.paired(f"last window's σ: No reg > {m}", last["No reg"], last[m]) for m in MODELS if m != "No reg"]
    ours = "σ in the first → last window over seeds: " + ", ".join(
        f"{SHORT[m]} {format_mean_se(first[m], 3)} → {format_mean_se(last[m], 3)}" for m in MODELS)
    return Claim("Figure 4: the unregularised model's rolling σ falls during training but stays above the regularised "
                 "models'", ROLLING_SENTENCE, "Figure 4 (curves only, no numbers)", ours + untrained_note(runs), checks)


BN_GROUPS = {"No reg": "without batch-norm", "Dropout": "without batch-norm", "CosReg(α=10)": "without batch-norm",
             "Batchnorm": "with batch-norm", BEST: "with batch-norm"}
"""Figure 3's groups: the paper sees "a clear separation in terms of σ between regularization methods", so a
correlation pooled over both would only restate that separation; the grid's claims are checked within each group."""
ZERO_SENTENCE = ("well-performing models share the property that their distribution of cosines between task gradients "
                 "is zero-centered and low in variance")


def _spearman_check(name: str, points: pd.DataFrame, x: str, kind: str, group: str | None = None) -> Check:
    u, v = points[x].to_numpy(), points["val_hm"].to_numpy()
    if len(u) < 3 or np.ptp(u) == 0 or np.ptp(v) == 0:
        return Check(name, 0.0, kind=kind, group=group, detail=f"{len(u)} runs: no correlation to measure", noisy=True)
    return Check.correlation(name, u, v, sign=-1, method="spearman", kind=kind, group=group)


def _grid_claim(grid: pd.DataFrame, x: str, what: str, label: str, sentence: str, published_: str) -> Claim:
    """Column ``x`` of Figure 3's grid (``what``, e.g. "first-epoch σ") correlates negatively with final validation
    accuracy (Spearman ρ) within each group of :data:`BN_GROUPS` (decisive), pooled only as supporting, over every run
    (networks at chance accuracy included: runs are never dropped by their outcome). A group of 8 runs or fewer gets
    an exact permutation test (:meth:`Check.correlation`)."""
    grid = grid.assign(group=grid["model"].map(BN_GROUPS))
    checks = [_spearman_check(f"ρ({what}, val. accuracy) < 0 {g}", grid[grid["group"] == g], x, "decisive", g)
              for g in dict.fromkeys(BN_GROUPS.values())]
    checks.append(_spearman_check(f"ρ({what}, val. accuracy) < 0 pooled over every run (mostly the gap between the "
                                  "groups)", grid, x, SUPPORTING))
    ours = "; ".join(f"{c.group or 'pooled'}: {c.detail}" for c in checks)
    at_chance = int((grid["val_hm"] < CHANCE_ACC + UNTRAINED_MARGIN).sum())
    ours += f"; every run counted, {at_chance} of {len(grid)} at chance accuracy" if at_chance else ""
    return Claim(label, sentence, published_, ours, checks)


def early_sigma_claim(grid: pd.DataFrame) -> Claim:
    """Figure 3: first-epoch σ of the cosines indicates final validation accuracy (:func:`_grid_claim`)."""
    return _grid_claim(grid, "sigma_first_epoch", "first-epoch σ", "Figure 3: a lower first-epoch σ of the cosines "
                       "goes with a higher final validation accuracy", EARLY_SENTENCE,
                       "Figure 3 (scatter only, no correlation given)")


def zero_centred_claim(grid: pd.DataFrame) -> Claim:
    """Sec. 1: well-performing models have a zero-centred cosine distribution: |μ| of a run's cosines over training
    falls as its final validation accuracy rises, over Figure 3's grid (:func:`_grid_claim`). The sentence's "low in
    variance" is Figure 3's claim (σ of the first epoch, the paper's evidence)."""
    return _grid_claim(grid.assign(abs_mean_cos=grid["mean_cos"].abs()), "abs_mean_cos", "|μ| of the cosines",
                       "Sec. 1: well-performing models have zero-centred task-gradient cosines", ZERO_SENTENCE,
                       "no numbers (Figure 2 shows distributions of single runs, Table 1 their σ)")


# ----------------------------------------------------------------------------------------------------------
# Claims of Sec. 5.1 (Table 2 analogue)
# ----------------------------------------------------------------------------------------------------------

DELTA_TOLERANCE = 1.0
"""Percentage points of Δm within which CosReg counts as "similar" to GradNorm or Kendall (published: CosReg −0.75,
GradNorm −1.15, Kendall −0.84)."""
IMPROVES_SENTENCE = ("Similar to Kendall et al. (2018) and Chen et al. (2017) our method also improves on the "
                     "performance of the naive multi-task approach.")
SIMILAR_SENTENCE = ("our method operates solely on regularizing the direction of gradients and not their magnitude, "
                    "while achieving similar results.")


def _method_seeds(runs: pd.DataFrame, column: str) -> pd.DataFrame:
    multi = runs[runs["method"] != "Single Task"]
    return multi.pivot_table(index="seed", columns="method", values=column, aggfunc="first").dropna()


def _published_table2() -> str:
    paper = published.load("05_table2_nyuv2")
    paper["delta_m"] = delta_m_runs(paper).to_numpy()
    return "Table 2 (NYUv2; seg 1−mIoU / depth RMSE / normals 1−|cos|, Δm vs single task): " + "; ".join(
        f"{r.method} {r.seg_1_minus_miou:.3f}/{r.depth_rmse:.3f}/{r.normal_1_minus_abs_cos:.3f} (Δm {r.delta_m:+.2f}%)"
        for r in paper.itertuples())


def _ours_table2(runs: pd.DataFrame) -> str:
    n = runs.loc[runs["method"] == "CosReg", "seed"].nunique()
    parts = []
    for method in METHODS:
        mine = runs[runs["method"] == method]
        errors = "/".join(format_mean_se(mine[c], 3) for c in ERROR_COLUMNS.values())
        parts.append(f"{method} {errors} (Δm {format_mean_se(mine['delta_m'], 3)}%)")
    data = f" [{runs['data'].iloc[0]}]" if "data" in runs else ""
    return f"seg / depth / normals over {n} seeds (single task: 1){data}: " + "; ".join(parts) + _normals_note(runs)


def _normals_note(runs: pd.DataFrame) -> str:
    """CosReg's normals error beside the other multi-task methods' and, when worse than predicting the training mean
    normal (``normal_of_mean``: :func:`mean_normal_error`), why (the notebook shows the diagnosis)."""
    errors = runs.groupby("method")[ERROR_COLUMNS["normal"]].mean().drop("Single Task")
    others, constant = errors.drop("CosReg"), runs["normal_of_mean"].iloc[0] if "normal_of_mean" in runs else np.inf
    note = f"; normals: CosReg {errors['CosReg']:.3f}, other multi-task methods {others.min():.3f}–{others.max():.3f}"
    return note + ("" if errors["CosReg"] <= constant else f", the training mean normal everywhere {constant:.3f}: "
                   "CosReg's normals head ends worse than a constant because the penalty's gradient, back-propagated "
                   "into the normals decoder, outweighs the normals loss's own there (see the notebook); this drives its Δm")


def cosreg_beats_equal_weights_claim(runs: pd.DataFrame) -> Claim:
    """Sec. 5.1: CosReg "improves on the performance of the naive multi-task approach". Decisive: its Δm (the overall
    performance over the three tasks, against the single-task networks) is lower than equal task weights', paired by
    seed. Supporting: its segmentation and its depth errors are lower (the tasks on which the paper's CosReg beats
    equal weights; its normals are equal there), so a reader sees which task moves Δm."""
    delta = _method_seeds(runs, "delta_m")
    checks = [Check.paired("Δm: CosReg < Equal Task Weights", delta["CosReg"], delta["Equal Task Weights"],
                           better="lower")]
    checks += [
        Check.paired(f"{task} error: CosReg < Equal Task Weights", e["CosReg"], e["Equal Task Weights"], better="lower",
                     kind=SUPPORTING)
        for task, e in (("segmentation", _method_seeds(runs, ERROR_COLUMNS["segment_semantic"])),
                        ("depth", _method_seeds(runs, ERROR_COLUMNS["depth_zbuffer"])))
    ]
    return Claim("Table 2: CosReg improves on equal task weights (Δm over the three tasks)", IMPROVES_SENTENCE,
                 _published_table2(), _ours_table2(runs), checks)


def cosreg_competitive_claim(runs: pd.DataFrame, tolerance: float = DELTA_TOLERANCE) -> Claim:
    """Sec. 5.1: CosReg achieves results similar to GradNorm and to Kendall: its Δm within ``tolerance`` points of
    each (one group each), paired by seed."""
    delta = _method_seeds(runs, "delta_m")
    checks = [Check.within(f"Δm: CosReg within ±{tolerance:g} points of {m}", delta["CosReg"], delta[m],
                           tolerance=tolerance, group=m) for m in ("Gradnorm", "Kendall")]
    return Claim(f"Table 2: CosReg is competitive with GradNorm and Kendall (Δm within {tolerance:g} point of each)",
                 SIMILAR_SENTENCE, _published_table2(), _ours_table2(runs), checks)


# ----------------------------------------------------------------------------------------------------------
# Sec. 4's narrative on when σ is high, and Sec. 5.1's on equal weights (issue 17)
# ----------------------------------------------------------------------------------------------------------

BATCH_SENTENCE = ("Similar to the findings of Liu et al. (2019a) and Santurkar et al. (2018) we observe in our analysis "
                  "that high gradient variance is more prominent in the beginning of training and when using smaller "
                  "batch sizes.")
START_SENTENCE = ("As opposed to unregularized models, networks using Dropout and Batchnorm start training with reduced "
                  "cosine variance and maintain the values stable after the first epochs.")
MIXED_SENTENCE = ("It can be seen that adopting a naive multi-task approach of assigning equal weights to each objective "
                  "produces mixed results. While depth estimation benefits from the multi-task setting the performance "
                  "for semantic segmentation and surface normal prediction is reduced.")


def _epoch_sigma(cosines: pd.DataFrame, model: str, which: str) -> pd.Series:
    """σ of ``model``'s cosines over the first or the last epoch of each run, indexed by seed."""
    runs = cosines[cosines["model"] == model]
    epoch = runs.groupby("seed")["epoch"].transform("min" if which == "first" else "max")
    return runs[runs["epoch"] == epoch].groupby("seed")["cos"].std(ddof=0)


def batch_size_claim(batch_runs: pd.DataFrame, cosines: pd.DataFrame) -> Claim:
    """Sec. 4: σ is higher early in training and with smaller batches, for the unregularised model (the model whose
    σ the paragraph describes), one group per half of the sentence, paired by seed:

    - *smaller batches* (decisive): σ of the cosines over training (Table 1's σ) at the smallest batch size of
      ``batch_runs`` (:func:`batch_size_runs`) above that at the largest; supporting, the same for the first
      epoch's σ (Figure 3's abscissa, which compares the same number of images seen). A larger batch takes fewer
      steps per epoch: σ pools the steps each run takes;
    - *beginning of training* (decisive): σ over the first epoch above σ over the last epoch (Table 1's runs,
      ``cosines`` of :func:`table1`). A profile of one epoch has the same epoch on both sides: a tie, within noise.
    """
    small, large = min(batch_runs["batch_size"]), max(batch_runs["batch_size"])
    by_batch = batch_runs.pivot_table(index="seed", columns="batch_size", values=["sigma", "sigma_first_epoch"],
                                      aggfunc="first").dropna()
    first, last = _epoch_sigma(cosines, "No reg", "first"), _epoch_sigma(cosines, "No reg", "last")
    checks = [
        Check.paired(f"σ over training: batch {small} > batch {large}", by_batch[("sigma", small)],
                     by_batch[("sigma", large)], group="smaller batches"),
        Check.paired(f"first-epoch σ: batch {small} > batch {large}", by_batch[("sigma_first_epoch", small)],
                     by_batch[("sigma_first_epoch", large)], kind=SUPPORTING, group="smaller batches"),
        Check.paired("σ: first epoch > last epoch", first, last.reindex(first.index), group="beginning of training"),
    ]
    ours = (f"No reg over {len(by_batch)} seeds: σ over training at batch {small} "
            f"{format_mean_se(by_batch[('sigma', small)], 3)}, at batch {large} "
            f"{format_mean_se(by_batch[('sigma', large)], 3)}; σ over the first epoch {format_mean_se(first, 3)}, "
            f"over the last {format_mean_se(last, 3)} (Table 1's runs)")
    return Claim("Sec. 4: σ of the cosines is higher early in training and with smaller batches (unregularised model)",
                 BATCH_SENTENCE, "no numbers (the paper's Figure 3 grid varies the batch size; no value per batch "
                 "size is given)", ours, checks)


def regularisers_start_low_claim(windows: pd.DataFrame) -> Claim:
    """Sec. 4 / Figure 4 (:func:`rolling_windows` of Table 1's runs), paired by seed, one group per regulariser the
    sentence names: decisive, its σ over the first rolling window below the unregularised model's ("start training
    with reduced cosine variance"); supporting, its σ changes less from the first to the last window than the
    unregularised model's falls ("as opposed to unregularized models [...] maintain the values stable": the paper
    gives no measure of stability, so only the contrast with the unregularised model is checked)."""
    first, last = per_seed(windows, "first"), per_seed(windows, "last")
    fall = first["No reg"] - last["No reg"]
    checks = []
    for m in ("Dropout", "Batchnorm"):
        checks.append(Check.paired(f"first window's σ: {m} < No reg", first[m], first["No reg"], better="lower",
                                   group=m))
        checks.append(Check.paired(f"{m}: |σ change first → last window| < No reg's fall", (first[m] - last[m]).abs(),
                                   fall, better="lower", kind=SUPPORTING, group=m))
    ours = "σ in the first → last window over seeds: " + ", ".join(
        f"{SHORT[m]} {format_mean_se(first[m], 3)} → {format_mean_se(last[m], 3)}"
        for m in ("No reg", "Dropout", "Batchnorm"))
    return Claim("Sec. 4 / Figure 4: dropout and batch-norm start training at a lower σ than the unregularised model",
                 START_SENTENCE, _published_models("sigma", "σ over training", 2) + "; Figure 4 (curves only)", ours,
                 checks)


MIXED_DIRECTIONS = {"depth_zbuffer": ("depth", "lower"), "segment_semantic": ("segmentation", "higher"),
                    "normal": ("normals", "higher")}
"""Sec. 5.1's sentence per task: equal weights' error against the single-task network's (``lower``: benefits)."""


def equal_weights_mixed_claim(runs: pd.DataFrame, single: pd.DataFrame) -> Claim:
    """Sec. 5.1 (Table 2): equal task weights help depth and hurt segmentation and normals against single-task
    networks. One group per task (decisive): equal weights' test error below (depth) or above (segmentation,
    normals) the single-task network's, paired by seed over the seeds both trained (``single``:
    :func:`single_task_runs`). Where the single-task networks train one seed (every profile but ``paper``), each
    check has one pair: no interval, within noise."""
    equal = runs[runs["method"] == "Equal Task Weights"].set_index("seed")
    single = single.set_index("seed")
    seeds = equal.index.intersection(single.index)
    paper = published.load("05_table2_nyuv2").set_index("method")
    checks, parts, pub = [], [], []
    for task, (name, direction) in MIXED_DIRECTIONS.items():
        column = ERROR_COLUMNS[task]
        word = "<" if direction == "lower" else ">"
        checks.append(Check.paired(f"{name} error: Equal Task Weights {word} Single Task", equal.loc[seeds, column],
                                   single.loc[seeds, column], better=direction, group=name))
        parts.append(f"{name} {format_mean_se(equal.loc[seeds, column], 3)} vs {format_mean_se(single.loc[seeds, column], 3)}")
        pub.append(f"{name} {paper.loc['Equal Task Weights', column]:.3f} vs {paper.loc['Single Task', column]:.3f}")
    ours = f"equal weights vs single task over {len(seeds)} paired seed(s): " + ", ".join(parts)
    if len(seeds) < 2:
        ours += ("; the single-task networks train one seed at this profile (Δm's reference), so each check has one "
                 "pair and no interval: within noise (the paper profile trains 3)")
    return Claim("Table 2: equal weights help depth but hurt segmentation and normals against single-task networks",
                 MIXED_SENTENCE, "Table 2 (NYUv2 errors, equal weights vs single task): " + ", ".join(pub), ours,
                 checks)
