"""The browsable report: the executed notebooks and the claims ledger as a static site (``make report`` → ``site/``).

:func:`build_site` renders each executed notebook (``notebooks/NN_*.ipynb`` at quick, ``notebooks/paper/`` at paper)
to HTML with nbconvert's lab template, images embedded, and writes ``index.html``: the verdict counts per profile, the
ledger with each verdict coloured and each claim linking to the cell of its notebook page that computes it (the id
:func:`paper_mtl.claims.anchor` that the claim's output carries), and the figures of each notebook as thumbnails
linking to the full images (copied under ``figures/``). Everything is relative to the site folder, so it opens from
the file system, without a server or a network.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from paper_mtl.claims import anchor, colour
from paper_mtl.files import replace_directory, write_atomic
from paper_mtl.reporting import figures_dir, figures_root, ledger_summary, read_claims

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"quick": "", "paper": "paper"}
"""Where each profile's executed notebooks are, under ``notebooks/`` (smoke runs are not published)."""


def notebook_pages(notebooks: Path) -> dict[str, dict[str, Path]]:
    """``{profile: {notebook stem: executed notebook}}`` for the profiles of :data:`PAGES` that have notebooks."""
    found = {}
    for profile, sub in PAGES.items():
        folder = notebooks / sub if sub else notebooks
        paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
        if paths:
            found[profile] = {p.stem: p for p in paths}
    return found


def page_name(stem: str, profile: str) -> str:
    return f"{stem}.html" if profile == "quick" else f"{stem}-{profile}.html"


def _render_notebook(path: Path) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_filename(str(path))
    return body


def _ledger_html(rows: Sequence[Mapping[str, str]], pages: Mapping[str, Mapping[str, Path]]) -> str:
    """The ledger as an HTML table: one line per (paper, claim, profile), verdict coloured, claim linked."""
    head = "".join(f"<th>{h}</th>" for h in ("paper", "claim", "profile", "published evidence", "our evidence", "verdict"))
    lines = []
    for row in rows:
        label = row["claim"].split(": “", 1)[0]
        stem = next((s for s in pages.get(row["profile"], {}) if s[:2] == row["paper"][:2]), None)
        claim = html.escape(row["claim"])
        if stem is not None:
            claim = f'<a href="{page_name(stem, row["profile"])}#{anchor(label)}">{claim}</a>'
        cells = [html.escape(row["paper"]), claim, row["profile"], html.escape(row["published evidence"]),
                 html.escape(row["our evidence"])]
        verdict = f'<td style="{colour(row["verdict"])}">{html.escape(row["verdict"])}</td>'
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + verdict + "</tr>")
    return f'<table class="ledger"><thead><tr>{head}</tr></thead><tbody>{"".join(lines)}</tbody></table>'


def _thumbnails(stem: str, profile: str, figures: Path, out: Path) -> str:
    """Copy the notebook's PNG figures into the site and return their thumbnails, each linking to the image."""
    source = figures_dir(stem, profile, figures)
    images = sorted(source.glob("*.png"))
    if not images:
        return ""
    target = out / "figures" / (f"paper/{stem}" if profile == "paper" else stem)
    target.mkdir(parents=True, exist_ok=True)
    tiles = []
    for image in images:
        shutil.copy2(image, target / image.name)
        src = html.escape((target / image.name).relative_to(out).as_posix())
        tiles.append(f'<a href="{src}"><img class="thumb" src="{src}" alt="{html.escape(image.stem)}" '
                     f'title="{html.escape(image.stem)}"></a>')
    return "".join(tiles)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 110em; }
table.ledger { border-collapse: collapse; font-size: 0.85em; }
table.ledger td, table.ledger th { border: 1px solid #ccc; padding: 0.3em; vertical-align: top; text-align: left; }
img.thumb { height: 120px; margin: 0.2em; border: 1px solid #ddd; }
"""


def build_site(out: str | Path = ROOT / "site", notebooks: str | Path = ROOT / "notebooks",
               figures: str | Path | None = None) -> Path:
    """Render the report into ``out`` (replaced whole; written beside it first, so a failure leaves the old one) from
    the executed ``notebooks`` and the ledger and figures under ``figures`` (default :func:`figures_root`); returns
    the path of ``index.html``. ``ValueError`` when there is no executed notebook to render."""
    out, notebooks = Path(out), Path(notebooks)
    figures = Path(figures) if figures else figures_root()
    pages = notebook_pages(notebooks)
    if not pages:
        raise ValueError(f"no executed notebook under {notebooks} (run `make reproduce` first)")
    staging = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        _render_site(staging, pages, figures)
        replace_directory(staging, out)  # the old report stays whole until the new one takes its place
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone once moved; a failed build leaves nothing behind
    return out / "index.html"


def _render_site(staging: Path, pages: Mapping[str, Mapping[str, Path]], figures: Path) -> None:
    """Write the report's pages, thumbnails and index into ``staging``."""
    sections = []
    for profile, stems in pages.items():
        items = []
        for stem, path in stems.items():
            page = page_name(stem, profile)
            write_atomic(staging / page, _render_notebook(path))
            items.append(f'<li><a href="{page}">{html.escape(stem)}</a><br>{_thumbnails(stem, profile, figures, staging)}</li>')
        sections.append(f"<h2>Notebooks at <code>{profile}</code></h2><ul>{''.join(items)}</ul>")
    counts = ledger_summary(figures)
    summary = "".join(
        f"<li><code>{p}</code>: " + ", ".join(f'<span style="{colour(v)}">{n} {v}</span>' for v, n in c.items()) + "</li>"
        for p, c in counts.items()
    )
    rows = [r for r in read_claims(figures) if r["profile"] in PAGES]
    index = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>paper_mtl report</title><style>{STYLE}</style>"
        f"</head><body><h1>paper_mtl: the claims ledger and the notebooks</h1><ul>{summary}</ul>"
        f"{''.join(sections)}<h2>Claims ledger</h2>{_ledger_html(rows, pages)}</body></html>"
    )
    write_atomic(staging / "index.html", index)
