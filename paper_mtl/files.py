"""Writing a file so that no reader ever sees it half-written: :func:`atomic_path` and :func:`write_atomic`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to inside the ``with`` block. Leaving the block normally renames it
    onto ``path`` (one atomic rename); leaving it by an error or an interrupt removes it and leaves ``path`` as it
    was. ``suffix`` ends the temporary name (tools that pick a format from the extension need the real one)."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
