"""The papers' own numeric tables, transcribed once as CSV files beside this module.

File names start with the notebook number (``04_table3e_backbones.csv``); ``load("04_table3e_backbones")``
returns the table as a DataFrame and :func:`available` lists them. Each CSV's first lines may be ``#`` comments
saying where in the paper the numbers come from and how they were transcribed.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd


def available() -> list[str]:
    """Names of every transcribed table, sorted (notebook number first)."""
    return sorted(p.name[:-4] for p in resources.files(__package__).iterdir() if p.name.endswith(".csv"))


def load(name: str, as_text: bool = False) -> pd.DataFrame:
    """Load the published table ``name`` (a file stem from :func:`available`).

    ``as_text=True`` keeps every cell as the string printed in the paper (empty cells as ``""``), so the number
    of printed decimals, and with it the rounding interval of each value, is preserved.
    """
    names = available()
    if name not in names:
        raise ValueError(f"unknown published table {name!r}; available: {names}")
    with resources.files(__package__).joinpath(f"{name}.csv").open() as handle:
        if as_text:
            return pd.read_csv(handle, comment="#", dtype=str, keep_default_na=False)
        return pd.read_csv(handle, comment="#")
