"""The static report (make report): pages per executed notebook, the ledger linked to the claims' cells, thumbnails."""

import base64

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from paper_mtl.claims import Check, Claim, anchor  # noqa: E402
from paper_mtl.reporting import Report  # noqa: E402
from paper_mtl.site import build_site  # noqa: E402


def _executed_notebook(path, claim, png):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("report.claim(E.some_claim())")
    cell.outputs = [
        nbformat.v4.new_output("display_data", {"image/png": base64.b64encode(png.read_bytes()).decode()}),
        nbformat.v4.new_output("execute_result", {"text/html": claim._repr_html_(), "text/plain": "Claim"},
                               execution_count=1),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# 07 demo"), cell]
    nbformat.write(nb, path)


@pytest.fixture
def project(tmp_path):
    figures, notebooks = tmp_path / "figures", tmp_path / "notebooks"
    notebooks.mkdir()
    report = Report("07_demo", "07 demo", "quick", root=figures)
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    report.figure(fig, "curve")
    claim = Claim("Table 9: x beats y", "x beats y on every dataset", "9.1 vs 8.7", "9.0 vs 8.9",
                  [Check.truth("x > y", True)])
    report.claim(claim)
    _executed_notebook(notebooks / "07_demo.ipynb", claim, figures / "07_demo" / "curve.png")
    return tmp_path, figures, notebooks, claim


def test_the_site_links_each_claim_to_its_cell_and_shows_thumbnails(project):
    tmp_path, figures, notebooks, claim = project
    index = build_site(tmp_path / "site", notebooks, figures)
    text = index.read_text()
    assert f'href="07_demo.html#{anchor(claim.label)}"' in text
    assert "background-color" in text and "reproduced" in text  # the verdict, coloured
    assert 'src="figures/07_demo/curve.png"' in text and (tmp_path / "site/figures/07_demo/curve.png").exists()
    page = (tmp_path / "site" / "07_demo.html").read_text()
    assert f'id="{anchor(claim.label)}"' in page and "data:image/png;base64" in page
    assert "http" not in text  # the index needs no network


def test_a_failed_build_leaves_the_old_site(project, tmp_path):
    _, figures, _, _ = project
    build_site(tmp_path / "site", tmp_path / "notebooks", figures)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no executed notebook"):
        build_site(tmp_path / "site", empty, figures)
    assert (tmp_path / "site" / "index.html").exists()


def test_a_build_that_fails_while_rendering_leaves_the_old_site_and_no_staging(project, tmp_path, monkeypatch):
    _, figures, notebooks, _ = project
    build_site(tmp_path / "site", notebooks, figures)
    before = (tmp_path / "site" / "index.html").read_text()

    def broken(_path):
        raise RuntimeError("a notebook that cannot be rendered")

    monkeypatch.setattr("paper_mtl.site._render_notebook", broken)
    with pytest.raises(RuntimeError, match="cannot be rendered"):
        build_site(tmp_path / "site", notebooks, figures)
    assert (tmp_path / "site" / "index.html").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "notebooks", "site"]


def test_anchor_is_a_stable_html_id():
    assert anchor("Table 3(d): SE + A, reduces the drop") == "claim-table-3-d-se-a-reduces-the-drop"
