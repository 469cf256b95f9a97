"""The paper's printed numbers in notebook 04: its transcribed tables with each row's variant, and the audit of
every printed Δm against the printed metrics (rounding intervals)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from paper_mtl import published
from paper_mtl.metrics import delta_m

from paper_mtl.experiments.single_tasking.config import TABLES
from paper_mtl.experiments.single_tasking.data import HIGHER_IS_BETTER

def _published_variant(row: pd.Series) -> str:
    if "variant" in row and isinstance(row["variant"], str) and row["variant"]:
        return row["variant"]
    if int(row["num_tasks"]) == 1:
        return "single"
    return "se_adv" if str(row["sea"]) == "True" else "multi"


def published_table(name: str) -> pd.DataFrame:
    """A transcribed table with a ``variant`` column (derived from the SEA flag where not annotated)."""
    df = published.load(name)
    df["variant"] = [_published_variant(r) for _, r in df.iterrows()]
    return df


# ----------------------------------------------------------------------------------------------------------
# Audit of the published Δm
# ----------------------------------------------------------------------------------------------------------

AUDITED = ("04_table3b_modulation", "04_table3c_se_placement", "04_table3d_adversarial", "04_table3e_backbones",
           "04_table4a_nyud", "04_table4b_fsv", "04_table5a_nyud_backbones", "04_table5b_fsv_backbones",
           "04_table6a_ubernet_pascal", "04_table6b_ubernet_nyud", "04_table6c_ubernet_fsv", "04_table7_mobilenet")


def rounding_interval(text: str) -> tuple[float, float]:
    """The interval of true values a printed number could have been rounded from: ``"14.90"`` -> [14.895, 14.905]."""
    value = float(text)
    decimals = len(text.split(".")[1]) if "." in text else 0
    half = 0.5 * 10.0**-decimals
    return value - half, value + half


def drop_interval(method: str, baseline: str, higher_is_better: bool) -> tuple[float, float]:
    """Range of one task's relative drop (in %) over the rounding intervals of the two printed values."""
    return _drop_bounds(rounding_interval(method), rounding_interval(baseline), higher_is_better)


def _drop_bounds(method: tuple[float, float], baseline: tuple[float, float], higher_is_better: bool
                 ) -> tuple[float, float]:
    (m_lo, m_hi), (b_lo, b_hi) = method, baseline
    sign = -1.0 if higher_is_better else 1.0
    corners = [sign * (m - b) / b * 100.0 for m in (m_lo, m_hi) for b in (b_lo, b_hi)]
    return min(corners), max(corners)


def delta_m_interval(
    method: Mapping[str, str], baseline: Mapping[str, str], higher_is_better: Mapping[str, bool],
) -> tuple[float, float]:
    """Interval of Δm (Eq. 4 as a drop, %) consistent with printed, rounded ``method`` and ``baseline`` values.

    Each task's drop is monotone in its two values, and tasks are independent, so the bounds are the means of
    the per-task bounds (attained at corners of the rounding boxes)."""
    return _delta_m_bounds({t: rounding_interval(v) for t, v in method.items()},
                           {t: rounding_interval(v) for t, v in baseline.items()}, higher_is_better)


def _delta_m_bounds(method: Mapping[str, tuple[float, float]], baseline: Mapping[str, tuple[float, float]],
                    higher_is_better: Mapping[str, bool]) -> tuple[float, float]:
    bounds = [_drop_bounds(method[t], baseline[t], higher_is_better[t]) for t in method]
    return float(np.mean([b[0] for b in bounds])), float(np.mean([b[1] for b in bounds]))


def shared_intervals() -> dict[tuple[str, str, str, str], tuple[float, float]]:
    """``{(dataset, backbone, variant, task): (low, high)}``: the values every printing of the same model's metric
    allows (the intersection of the rounding intervals of its cells in all transcribed tables of its dataset, e.g.
    NYUD R-26 normals printed 24.316 in Table 5(a) and elsewhere to two decimals)."""
    printed: dict[tuple[str, str, str, str], list[tuple[float, float]]] = {}
    for spec in TABLES.values():
        text = published.load(spec.published, as_text=True)
        for _, row in text.iterrows():
            for task in (c for c in text.columns if c in HIGHER_IS_BETTER and row[c]):
                key = (spec.dataset, row["backbone"], _published_variant(row), task)
                printed.setdefault(key, []).append(rounding_interval(row[task]))
    found = {}
    for key, intervals in printed.items():
        lo, hi = max(i[0] for i in intervals), min(i[1] for i in intervals)
        # Printings that contradict each other (no common value; e.g. the paper's own NYUD R-50 SEA row is 32.16 in
        # Table 4(a) and 32.20 in Table 6(b)) allow whatever either allows.
        found[key] = (lo, hi) if lo <= hi else (min(i[0] for i in intervals), max(i[1] for i in intervals))
    return found


def audit_published(names: Sequence[str] = AUDITED) -> pd.DataFrame:
    """Recompute every printed Δm from the printed metrics of its table (Eq. 4, same-backbone baseline).

    Columns: table, backbone, variant, printed (Δm as printed), recomputed (from the printed values), low/high (the
    interval that every printing of the two models' metrics allows, :func:`shared_intervals`), consistent (the
    printed Δm, itself rounded, meets the interval), and ``matching_subset``: when inconsistent, the task subsets whose mean drop would be consistent.
    Rows whose baseline cells were lost in the text are reported with ``consistent`` empty.
    """
    records = []
    shared = shared_intervals()
    dataset_of = {spec.published: spec.dataset for spec in TABLES.values()}
    for name in names:
        text = published.load(name, as_text=True)
        text["variant"] = [_published_variant(r) for _, r in text.iterrows()]
        tasks = [c for c in text.columns if c in HIGHER_IS_BETTER]
        for _, row in text.iterrows():
            if not row["delta_m"] or row["variant"] == "single":
                continue
            base_rows = text[(text["backbone"] == row["backbone"]) & (text["variant"] == "single")]
            record = {"table": name.removeprefix("04_"), "backbone": row["backbone"], "variant": row["variant"],
                      "printed": float(row["delta_m"])}
            if base_rows.empty or any(not base_rows.iloc[0][t] for t in tasks):
                records.append({**record, "recomputed": np.nan, "low": np.nan, "high": np.nan, "consistent": None,
                                "matching_subset": "baseline lost in the text"})
                continue
            base = base_rows.iloc[0]
            method = {t: row[t] for t in tasks}
            baseline = {t: base[t] for t in tasks}
            cells = {v: {t: shared[(dataset_of[name], row["backbone"], v, t)] for t in tasks}
                     for v in (row["variant"], "single")}
            low, high = _delta_m_bounds(cells[row["variant"]], cells["single"], HIGHER_IS_BETTER)
            p_lo, p_hi = rounding_interval(row["delta_m"])
            consistent = p_hi >= low and p_lo <= high
            subsets = ""
            if not consistent:
                found = []
                for k in range(1, len(tasks)):
                    for subset in combinations(tasks, k):
                        s_lo, s_hi = delta_m_interval({t: method[t] for t in subset}, baseline, HIGHER_IS_BETTER)
                        if p_hi >= s_lo and p_lo <= s_hi:
                            found.append("+".join(subset))
                subsets = "; ".join(found) if found else "none"
            recomputed = delta_m({t: float(v) for t, v in method.items()}, {t: float(v) for t, v in baseline.items()},
                                 HIGHER_IS_BETTER)
            records.append({**record, "recomputed": recomputed, "low": low, "high": high, "consistent": consistent,
                            "matching_subset": subsets})
    return pd.DataFrame(records)
