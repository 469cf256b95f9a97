"""Progress bars for the library's long loops (training, sweeps, dataset conversion).

``tqdm.auto`` draws a widget in Jupyter and a text bar elsewhere. The environment variable ``TQDM_DISABLE``
(any value but ``""``, ``0`` or ``false``) turns every bar off whatever the caller asks: tqdm itself honours it
for text bars only, not for notebook widgets, so this module checks it. Batch runs (``python -m paper_mtl run``,
the goldens and the nbval suite) set it, so executed notebooks hold results rather than progress bars.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from tqdm.auto import tqdm

__all__ = ["bars_disabled", "progress_bar"]


def bars_disabled() -> bool:
    """Whether ``TQDM_DISABLE`` switches progress bars off."""
    return os.environ.get("TQDM_DISABLE", "").strip().lower() not in {"", "0", "false"}


def progress_bar(iterable: Iterable[Any] | None = None, *, enabled: bool = True, **kwargs: Any) -> tqdm:
    """``tqdm(iterable, **kwargs)``, disabled when ``enabled`` is false or :func:`bars_disabled`."""
    return tqdm(iterable, disable=not enabled or bars_disabled(), **kwargs)
