import io

import pytest

from paper_mtl.progress import bars_disabled, progress_bar


@pytest.mark.parametrize(("value", "off"), [("1", True), ("true", True), ("0", False), ("false", False), ("", False)])
def test_tqdm_disable_overrides_the_caller(monkeypatch: pytest.MonkeyPatch, value: str, off: bool) -> None:
    monkeypatch.setenv("TQDM_DISABLE", value)
    assert bars_disabled() is off
    assert progress_bar(range(3), enabled=True, file=io.StringIO()).disable is off
    assert progress_bar(range(3), enabled=False, file=io.StringIO()).disable


def test_unset_variable_leaves_the_bar_to_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    stream = io.StringIO()
    assert list(progress_bar(range(3), enabled=True, file=stream, desc="fit")) == [0, 1, 2]
    assert "fit" in stream.getvalue()
