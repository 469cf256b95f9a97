"""The paper's numbers: supplement Tables 1 and 2 and the counts its text states, read by letters, and the
recount of Table 1 from its printed values (:func:`audit_table1`)."""

from __future__ import annotations

import pandas as pd

from paper_mtl import published
from paper_mtl.experiments.robustness.config import LETTERS_BY_NAME


def _better(value: float, baseline: float, higher_is_better: bool) -> bool:
    return bool(value > baseline) if higher_is_better else bool(value < baseline)


def stated_counts() -> dict[str, tuple[int, int]]:
    """The counts the supplement's text states for Table 1, ``{setting: (count, pairs)}`` for ``pgd`` and ``clean``."""
    t = published.load("01_table1_stated_counts")
    return {row.setting: (int(row.count), int(row.pairs)) for row in t.itertuples()}


def published_table2() -> pd.DataFrame:
    """Supplement Table 2 (λ_a per pair) by letters, with the SemSeg/Edge2D typo 9.01 read as the code's 0.01."""
    t = published.load("01_table2_lambda")
    t = t.assign(main=t["main"].map(LETTERS_BY_NAME), aux=t["aux"].map(LETTERS_BY_NAME))
    t["lambda_a"] = t.lambda_a.where(t.lambda_a != 9.01, 0.01)
    return t


def published_table1() -> pd.DataFrame:
    """Supplement Table 1 in long form by letters, with ``better`` recomputed from the printed values."""
    t = published.load("01_table1_pairs")
    base = t[t.aux == "Baseline"].set_index(["setting", "main"]).value
    pairs = t[t.aux != "Baseline"].copy()
    pairs["baseline"] = [base[(s, m)] for s, m in zip(pairs.setting, pairs.main)]
    pairs["higher_is_better"] = pairs.main == "SemSeg"
    pairs["better"] = [_better(v, b, h) for v, b, h in zip(pairs.value, pairs.baseline, pairs.higher_is_better)]
    pairs["main"] = pairs.main.map(LETTERS_BY_NAME)
    pairs["aux"] = pairs.aux.map(LETTERS_BY_NAME)
    return pairs.reset_index(drop=True)


def audit_table1() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two counts of supplement Table 1 recomputed from its values and from its bold marks.

    Returns (counts, disagreements): ``counts`` has one row per setting (``pgd``, ``clean``) with the pairs, the
    count the text states (:func:`stated_counts`), the count of bold cells and the count of cells whose printed
    value beats the printed baseline; ``disagreements`` lists the cells where bold and value disagree.
    """
    t = published_table1()
    stated = stated_counts()
    rows = []
    for setting in ("pgd", "clean"):
        s = t[t.setting == setting]
        rows.append({"setting": setting, "pairs": len(s), "stated_in_text": stated[setting][0],
                     "bold_count": int(s.bold.sum()), "value_count": int(s.better.sum())})
    disagreements = t[t.bold != t.better][["setting", "main", "aux", "value", "baseline", "bold", "better"]]
    return pd.DataFrame(rows), disagreements.reset_index(drop=True)
