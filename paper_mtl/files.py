"""Writing so that no reader ever sees a file or a directory half-written: :func:`atomic_path` and
:func:`write_atomic` for files, :func:`replace_directory` for a directory built beside its target."""

from __future__ import annotations

import os
import shutil
import tempfile
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


def replace_directory(built: str | Path, target: str | Path) -> None:
    """Put the directory ``built`` in the place of ``target`` (which may not exist): the old ``target`` is renamed
    aside, ``built`` renamed onto it, then the old one removed; if the second rename fails the old ``target`` is put
    back. Both must be on one file system (build beside the target). ``target`` is never seen half-written: it is the
    old directory or the new one, whole, except between the two renames, when it is briefly absent (a reader then
    finds no dataset, as before a first conversion)."""
    built, target = Path(built), Path(target)
    if not built.is_dir():
        raise FileNotFoundError(f"replace_directory: {built} is not a directory")
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent)) / "old"
    try:
        if target.exists():
            os.replace(target, aside)
        try:
            os.replace(built, target)
        except BaseException:
            if aside.exists():
                os.replace(aside, target)
            raise
    finally:
        shutil.rmtree(aside.parent, ignore_errors=True)
