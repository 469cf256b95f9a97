import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from paper_mtl.claims import (  # noqa: E402
    NOT_REPRODUCED, PARTLY, REPRODUCED, RULE, VERDICTS, Check, Claim,
)
from paper_mtl.reporting import (  # noqa: E402
    MISSING, README_END, README_START, Report, drop_claims, figures_dir, ledger_summary, read_claims, read_provenance,
    readme_summary, render_claims, update_claims, update_readme,
)


def markdown_table(text):
    """The rows of the one markdown table in ``text`` as dicts (header cells as keys), splitting on unescaped ``|``."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    split = [[cell.strip().replace(r"\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    header, rows = split[0], split[2:]
    assert all(len(row) == len(header) for row in rows), "a table line has the wrong number of cells"
    return [dict(zip(header, row)) for row in rows]


def claim(label, ours, holds, published="published"):
    """A claim whose decisive checks hold or fail as ``holds`` says (one group per check)."""
    checks = [Check.truth(f"c{i}", h, group=f"g{i}") for i, h in enumerate(holds)]
    return Claim(label, label, published, ours, checks)


def test_report_claim_takes_a_claim_object(tmp_path):
    report = Report("07_demo", "07 demo", "quick", root=tmp_path)
    shown = report.claim(claim("x helps", "3/4", [True, False]))
    assert shown.verdict == PARTLY and "<table" in shown._repr_html_()
    (row,) = read_claims(tmp_path)
    assert row["claim"] == "x helps: “x helps”" and row["verdict"] == PARTLY
    assert row["our evidence"] == "3/4; decisive: 1/2 groups hold; fails: g1"
    with pytest.raises(TypeError, match="takes a paper_mtl.claims.Claim"):
        report.claim("x helps")


def test_figure_table_and_provenance(tmp_path):
    report = Report("07_demo", "07 demo", "smoke", "cpu", seed=3, root=tmp_path)
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    report.figure(fig, "curve")
    report.table(pd.DataFrame({"task": ["d"], "loss": [0.25]}), "losses")
    folder = tmp_path / "07_demo"
    assert report.directory == folder
    visible = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
    assert visible == {"curve.png", "curve.pdf", "losses.csv", "losses.md", "provenance.json"}
    assert {p.name for p in folder.iterdir()} - visible == {".provenance.lock"}
    prov = json.loads((folder / "provenance.json").read_text())
    assert set(prov) == {"curve.png", "curve.pdf", "losses.csv", "losses.md"}
    assert prov["curve.png"]["profile"] == "smoke" and prov["losses.csv"]["seed"] == 3
    assert {"device", "commit", "version", "wall_time_s", "created"} <= set(prov["curve.pdf"])
    assert "files" not in prov["curve.png"]
    assert pd.read_csv(folder / "losses.csv")["loss"].tolist() == [0.25]
    assert "profile smoke" in (folder / "losses.md").read_text()


def test_figure_and_table_of_one_name_both_keep_provenance(tmp_path):
    report = Report("01_demo", "01 demo", "quick", seed=1, root=tmp_path)
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    report.figure(fig, "fig5_tasks_added")
    report.table(pd.DataFrame({"m": [1, 2]}), "fig5_tasks_added")
    other = Report("01_demo", "01 demo", "quick", seed=2, root=tmp_path)  # a second Report of the same folder
    other.table(pd.DataFrame({"m": [3]}), "extra")
    prov = read_provenance(tmp_path / "01_demo")
    assert set(prov) == {f"fig5_tasks_added.{ext}" for ext in ("png", "pdf", "csv", "md")} | {"extra.csv", "extra.md"}
    assert prov["fig5_tasks_added.png"]["seed"] == 1 and prov["extra.md"]["seed"] == 2
    assert json.loads((tmp_path / "01_demo" / "provenance.json").read_text()) == prov
    for ext in ("csv", "md"):  # a table the notebook no longer writes, removed: its provenance goes at the next write
        (tmp_path / "01_demo" / f"extra.{ext}").unlink()
    report.table(pd.DataFrame({"m": [4]}), "other")
    assert not {"extra.csv", "extra.md"} & set(read_provenance(tmp_path / "01_demo"))


def test_old_shape_provenance_is_read_and_rewritten_without_loss(tmp_path):
    folder = tmp_path / "01_demo"
    folder.mkdir()
    old = {"seed": 0, "profile": "quick", "commit": "64d41e7cb1bc", "created": "2026-12-03T07:17:06+00:00"}
    (folder / "provenance.json").write_text(json.dumps({
        "lemma1": {"files": ["lemma1.csv", "lemma1.md"], **old},
        "curve": {"files": ["curve.png", "curve.pdf"], **old, "seed": 5},
    }))
    for name in ("curve.png", "curve.pdf"):  # files on disk keep their entries
        (folder / name).touch()
    prov = read_provenance(folder)
    assert prov == {"lemma1.csv": old, "lemma1.md": old, "curve.png": {**old, "seed": 5}, "curve.pdf": {**old, "seed": 5}}
    Report("01_demo", "01 demo", "quick", seed=9, root=tmp_path).table(pd.DataFrame({"a": [1]}), "lemma1")
    rewritten = json.loads((folder / "provenance.json").read_text())
    assert set(rewritten) == {"lemma1.csv", "lemma1.md", "curve.png", "curve.pdf"}
    assert rewritten["curve.png"] == {**old, "seed": 5} and rewritten["lemma1.md"]["seed"] == 9


def test_paper_profile_writes_apart_and_shares_the_ledger(tmp_path):
    assert figures_dir("03_task_grouping", "paper", tmp_path) == tmp_path / "paper" / "03_task_grouping"
    assert figures_dir("03_task_grouping", "quick", tmp_path) == tmp_path / "03_task_grouping"
    assert figures_dir("03_task_grouping", "smoke", tmp_path) == tmp_path / "03_task_grouping"
    with pytest.raises(ValueError, match="unknown profile"):
        figures_dir("03_task_grouping", "full", tmp_path)
    for profile in ("quick", "paper"):
        report = Report("03_demo", "03 demo", profile, root=tmp_path)
        report.table(pd.DataFrame({"profile": [profile]}), "t")
        report.claim(claim("c", f"ours at {profile}", [True]))
    assert pd.read_csv(tmp_path / "03_demo" / "t.csv")["profile"].tolist() == ["quick"]
    assert pd.read_csv(tmp_path / "paper" / "03_demo" / "t.csv")["profile"].tolist() == ["paper"]
    assert read_provenance(tmp_path / "paper" / "03_demo")["t.csv"]["profile"] == "paper"
    assert not (tmp_path / "paper" / "claims.json").exists()
    assert [r["profile"] for r in read_claims(tmp_path)] == ["quick", "paper"]


def test_claims_ledger_keeps_each_profile(tmp_path):
    quick = Report("07_demo", "07 demo", "quick", root=tmp_path)
    paper = Report("07_demo", "07 demo", "paper", root=tmp_path)
    other = Report("02_other", "02 other", "quick", root=tmp_path)
    paper.claim(claim("x helps", "88/110", [True], "90/110"))
    quick.claim(claim("x helps", "3/4", [True], "90/110"))
    other.claim(claim("y is fast", "1.2x", [False], "1.7x"))
    quick.claim(claim("x helps", "1/4", [True, False], "90/110"))  # replaces the quick row only
    rows = read_claims(tmp_path)
    assert [(r["paper"], r["profile"], r["our evidence"].split(";")[0], r["verdict"]) for r in rows] == [
        ("02 other", "quick", "1.2x", NOT_REPRODUCED),
        ("07 demo", "quick", "1/4", PARTLY),
        ("07 demo", "paper", "88/110", REPRODUCED),
    ]
    assert all(list(r) == ["paper", "claim", "published evidence", "our evidence", "profile", "verdict"] for r in rows)
    zeros = dict.fromkeys(VERDICTS, 0)
    assert ledger_summary(tmp_path) == {"quick": {**zeros, PARTLY: 1, NOT_REPRODUCED: 1}, "paper": {**zeros, REPRODUCED: 1}}
    text = (tmp_path / "CLAIMS.md").read_text()
    assert "do not edit by hand" in text and RULE in text
    assert ("Summary at quick: 0 reproduced, 1 partly, 1 not reproduced, 0 inconclusive, 0 not testable here; "
            "at paper: 1 reproduced, 0 partly, 0 not reproduced, 0 inconclusive, 0 not testable here.") in text
    table = markdown_table(text)
    assert list(table[0]) == ["paper", "claim", "published evidence", "our evidence (quick)", "verdict (quick)",
                              "our evidence (paper)", "verdict (paper)"]
    assert [(r["paper"], r["claim"]) for r in table] == [("02 other", "y is fast: “y is fast”"),
                                                         ("07 demo", "x helps: “x helps”")]
    assert table[1]["our evidence (quick)"].startswith("1/4;") and table[1]["verdict (quick)"] == PARTLY
    assert table[1]["our evidence (paper)"].startswith("88/110;") and table[1]["verdict (paper)"] == REPRODUCED
    assert table[0]["our evidence (paper)"] == table[0]["verdict (paper)"] == MISSING
    with pytest.raises(ValueError, match="unknown verdict 'yes'"):
        update_claims(tmp_path, {**rows[0], "verdict": "yes"})
    with pytest.raises(ValueError, match="unknown profile 'full'"):
        update_claims(tmp_path, {**rows[0], "profile": "full"})
    assert read_claims(tmp_path) == rows
    drop_claims(tmp_path, ["07"], "quick")  # before notebook 07 runs again at quick: its paper rows stay
    assert [(r["paper"], r["profile"]) for r in read_claims(tmp_path)] == [("02 other", "quick"), ("07 demo", "paper")]
    assert "1/4" not in (tmp_path / "CLAIMS.md").read_text()


def test_render_claims_columns_follow_the_profiles_present():
    row = {"paper": "01 a", "claim": "max |z| < 3", "published evidence": "1−|cos|", "our evidence": "|z| = 2.8",
           "profile": "smoke", "verdict": REPRODUCED}
    text = render_claims([row, {**row, "profile": "paper", "published evidence": "newer", "verdict": PARTLY}])
    (line,) = markdown_table(text)
    assert list(line) == ["paper", "claim", "published evidence", "our evidence (smoke)", "verdict (smoke)",
                          "our evidence (paper)", "verdict (paper)"]
    assert line["claim"] == "max |z| < 3" and line["published evidence"] == "newer" and line["verdict (paper)"] == PARTLY
    assert "Summary at smoke: 1 reproduced" in text and "quick" not in text
    assert "Summary: no claims yet." in render_claims([])


def test_readme_summary_is_generated_from_the_ledger(tmp_path):
    quick = Report("07_demo", "07 demo", "quick", root=tmp_path)
    quick.claim(claim("x helps", "1/4", [True, False]))
    quick.claim(claim("y helps", "0/4", [False]))
    block = readme_summary(read_claims(tmp_path))
    assert "**At `quick`** (2 claims): 0 reproduced, 1 partly, 1 not reproduced, 0 inconclusive" in block
    (line,) = markdown_table(block)
    assert line["paper"] == "07 demo" and line[PARTLY] == "1" and line[NOT_REPRODUCED] == "1"
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{README_START}\nstale counts\n{README_END}\n\nmore\n")
    update_readme(readme, tmp_path)
    text = readme.read_text()
    assert "stale counts" not in text and block in text and text.startswith("# title") and text.endswith("more\n")
    readme.write_text("# no markers\n")
    with pytest.raises(ValueError, match="no ledger summary block"):
        update_readme(readme, tmp_path)


def test_committed_readme_summary_matches_the_committed_ledger():
    root = Path(__file__).resolve().parents[1]
    text = (root / "README.md").read_text()
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    assert text[start:end].strip() == readme_summary(read_claims(root / "figures")).strip(), (
        "README's ledger summary is stale: run `python -m paper_mtl ledger`")


def test_bad_profile_and_names(tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        Report("07_demo", "07 demo", "fast", root=tmp_path)
    with pytest.raises(ValueError, match="notebook number"):
        Report("demo", "demo", "smoke", root=tmp_path)
