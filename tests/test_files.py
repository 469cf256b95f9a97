"""Atomic writes: a reader sees the old file or the new one, never a half-written one, and an error leaves nothing."""

import pytest

from paper_mtl.files import atomic_path, write_atomic


def test_the_new_content_appears_in_one_rename(tmp_path):
    path = tmp_path / "table.csv"
    write_atomic(path, "old")
    with atomic_path(path, ".csv") as tmp:
        tmp.write_text("new")
        assert path.read_text() == "old" and tmp.suffix == ".csv" and tmp.parent == tmp_path
    assert path.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_an_error_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path, error):
    path = tmp_path / "table.csv"
    write_atomic(path, "old")
    with pytest.raises(error), atomic_path(path) as tmp:
        tmp.write_text("half")
        raise error
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_replace_directory_swaps_whole_directories_and_restores_on_failure(tmp_path, monkeypatch):
    import os

    from paper_mtl.files import replace_directory

    target = tmp_path / "data"
    built = tmp_path / ".built"
    built.mkdir()
    (built / "a.txt").write_text("new")
    replace_directory(built, target)  # no old directory
    assert (target / "a.txt").read_text() == "new" and not built.exists()
    again = tmp_path / ".again"
    again.mkdir()
    (again / "b.txt").write_text("newer")
    replace_directory(again, target)
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    failing = tmp_path / ".failing"
    failing.mkdir()
    real_replace = os.replace

    def refuse_new(src, dst):
        if str(src) == str(failing):
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_new)
    with pytest.raises(OSError, match="disk full"):
        replace_directory(failing, target)
    assert (target / "b.txt").read_text() == "newer"  # the old directory is back, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == [".failing", "data"]  # nothing left aside
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        replace_directory(tmp_path / "missing", target)
