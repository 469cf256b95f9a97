"""Notebook 06: every method of the five papers and the field's standard ones on one benchmark, through all five
papers' lenses (Δm, robustness, cosine σ, time per batch, parameters and multiply-adds).

- :mod:`~paper_mtl.experiments.benchmark.config`: the task sets and each profile's sizes;
- :mod:`~paper_mtl.experiments.benchmark.methods`: the rows, read from the strategy registry;
- :mod:`~paper_mtl.experiments.benchmark.runs`: training and measuring every network (one sweep);
- :mod:`~paper_mtl.experiments.benchmark.analysis`: Δm, paper 03's groupings, time ratios, the summary;
- :mod:`~paper_mtl.experiments.benchmark.claims`: the cross-paper questions as ledger rows.
"""

from paper_mtl.experiments.benchmark.analysis import (
    GROUPING_BUDGETS, LENSES, grouping_runs, per_seed, shown, summary, timing, with_lenses,
)
from paper_mtl.experiments.benchmark.claims import linear_sum_claim, robustness_claim, sigma_claim
from paper_mtl.experiments.benchmark.config import (
    FIVE, PAPER_CUTS, TASK_SETS, TRIO, Settings, seeds, settings, settings_table, task_objects, variants,
)
from paper_mtl.experiments.benchmark.methods import BASELINE, NOT_BENCHMARKED, Method, methods, methods_table
from paper_mtl.experiments.benchmark.runs import benchmark_data, run_benchmark, train_run

__all__ = [
    "BASELINE", "FIVE", "GROUPING_BUDGETS", "LENSES", "NOT_BENCHMARKED", "PAPER_CUTS", "TASK_SETS", "TRIO", "Method",
    "Settings", "benchmark_data", "grouping_runs", "linear_sum_claim", "methods", "methods_table", "per_seed",
    "robustness_claim", "run_benchmark", "seeds", "settings", "settings_table", "shown", "sigma_claim", "summary",
    "task_objects", "timing", "train_run", "variants", "with_lenses",
]
