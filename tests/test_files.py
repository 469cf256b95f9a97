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
