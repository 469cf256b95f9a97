"""Every figure a notebook saves is shown inline in the cell that saves it: the executed notebooks (the nbval
goldens and the quick executions in notebooks/) hold an image output for each ``report.figure`` call."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = sorted((ROOT / "tests" / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", EXECUTED, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_saved_figure_is_an_image_output_of_its_cell(path):
    notebook = json.loads(path.read_text())
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    saved = 0
    for cell in cells:
        source = "".join(cell["source"])
        calls = len(re.findall(r"report\.figure\(", source))
        images = sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        assert images >= calls, f"{path.name}: a cell saves {calls} figure(s) but shows {images}:\n{source[:300]}"
        saved += calls
    assert saved > 0
