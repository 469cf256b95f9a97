"""Every figure a notebook saves is shown inline in the cell that saves it: the executed notebooks (the nbval
goldens and the quick executions in notebooks/) hold an image output for each ``report.figure`` call."""

import ast
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
        straight, looped = _figure_calls(source)
        images = sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        # a call inside a loop saves one figure per iteration, however many the profile runs (zero included)
        shown_in_loops = images - straight
        assert shown_in_loops >= 0 and (shown_in_loops % looped == 0 if looped else True), (
            f"{path.name}: a cell saves {straight} figure(s) (+{looped} per loop iteration) but shows {images}:\n{source[:300]}")
        saved += straight + shown_in_loops
    assert saved > 0


def _figure_calls(source: str) -> tuple[int, int]:
    """``report.figure(...)`` calls of a cell: (outside any loop, inside a ``for``/``while`` loop)."""
    straight = looped = 0
    code = re.sub(r"^\s*[%!].*$", "", source, flags=re.M)  # IPython magics and shell lines are not Python
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.For, ast.While)):
            looped += sum(_is_figure_call(n) for n in ast.walk(node))
        elif _is_figure_call(node):
            straight += 1
    return straight - looped, looped


def _is_figure_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "figure"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "report")
