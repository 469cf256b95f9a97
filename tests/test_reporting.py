import json
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from paper_mtl.reporting import (  # noqa: E402
    MISSING, NOT_REPRODUCED, PARTLY, REPRODUCED, Report, figures_dir, ledger_summary, read_claims, read_provenance,
    render_claims, update_claims, verdict,
)


def markdown_table(text):
    """The rows of the one markdown table in ``text`` as dicts (header cells as keys), splitting on unescaped ``|``."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    split = [[cell.strip().replace(r"\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    header, rows = split[0], split[2:]
    assert all(len(row) == len(header) for row in rows), "a table line has the wrong number of cells"
    return [dict(zip(header, row)) for row in rows]


def test_verdict_is_computed_from_checks():
    assert verdict([True, True]) == REPRODUCED
    assert verdict({"a": True, "b": False}) == PARTLY
    assert verdict([False]) == NOT_REPRODUCED
    with pytest.raises(ValueError):
        verdict([])


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


def test_old_shape_provenance_is_read_and_rewritten_without_loss(tmp_path):
    folder = tmp_path / "01_demo"
    folder.mkdir()
    old = {"seed": 0, "profile": "quick", "commit": "64d41e7cb1bc", "created": "2026-12-03T07:17:06+00:00"}
    (folder / "provenance.json").write_text(json.dumps({
        "lemma1": {"files": ["lemma1.csv", "lemma1.md"], **old},
        "curve": {"files": ["curve.png", "curve.pdf"], **old, "seed": 5},
    }))
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
        report.claim("c", "p", f"ours at {profile}", REPRODUCED)
    assert pd.read_csv(tmp_path / "03_demo" / "t.csv")["profile"].tolist() == ["quick"]
    assert pd.read_csv(tmp_path / "paper" / "03_demo" / "t.csv")["profile"].tolist() == ["paper"]
    assert read_provenance(tmp_path / "paper" / "03_demo")["t.csv"]["profile"] == "paper"
    assert not (tmp_path / "paper" / "claims.json").exists()
    assert [r["profile"] for r in read_claims(tmp_path)] == ["quick", "paper"]


def test_claims_ledger_keeps_each_profile(tmp_path):
    quick = Report("07_demo", "07 demo", "quick", root=tmp_path)
    paper = Report("07_demo", "07 demo", "paper", root=tmp_path)
    other = Report("02_other", "02 other", "quick", root=tmp_path)
    paper.claim("x helps", "90/110", "88/110", verdict([True]))
    quick.claim("x helps", "90/110", "3/4", verdict([True]))
    other.claim("y is fast", "1.7x", "1.2x", verdict([False]))
    quick.claim("x helps", "90/110", "1/4", verdict([True, False]))  # replaces the quick row only
    rows = read_claims(tmp_path)
    assert [(r["paper"], r["profile"], r["our evidence"], r["verdict"]) for r in rows] == [
        ("02 other", "quick", "1.2x", NOT_REPRODUCED),
        ("07 demo", "quick", "1/4", PARTLY),
        ("07 demo", "paper", "88/110", REPRODUCED),
    ]
    assert all(list(r) == ["paper", "claim", "published evidence", "our evidence", "profile", "verdict"] for r in rows)
    assert ledger_summary(tmp_path) == {
        "quick": {REPRODUCED: 0, PARTLY: 1, NOT_REPRODUCED: 1, "not testable here": 0},
        "paper": {REPRODUCED: 1, PARTLY: 0, NOT_REPRODUCED: 0, "not testable here": 0},
    }
    text = (tmp_path / "CLAIMS.md").read_text()
    assert "do not edit by hand" in text
    assert ("Summary at quick: 0 reproduced, 1 partly, 1 not reproduced, 0 not testable here; "
            "at paper: 1 reproduced, 0 partly, 0 not reproduced, 0 not testable here.") in text
    table = markdown_table(text)
    assert list(table[0]) == ["paper", "claim", "published evidence", "our evidence (quick)", "verdict (quick)",
                              "our evidence (paper)", "verdict (paper)"]
    assert [(r["paper"], r["claim"]) for r in table] == [("02 other", "y is fast"), ("07 demo", "x helps")]
    assert table[1]["our evidence (quick)"] == "1/4" and table[1]["verdict (quick)"] == PARTLY
    assert table[1]["our evidence (paper)"] == "88/110" and table[1]["verdict (paper)"] == REPRODUCED
    assert table[0]["our evidence (paper)"] == table[0]["verdict (paper)"] == MISSING
    with pytest.raises(ValueError, match="unknown verdict 'yes'"):
        quick.claim("z", "", "", "yes")
    with pytest.raises(ValueError, match="unknown profile 'full'"):
        update_claims(tmp_path, {**rows[0], "profile": "full"})
    assert read_claims(tmp_path) == rows


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


def test_bad_profile_and_names(tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        Report("07_demo", "07 demo", "fast", root=tmp_path)
    with pytest.raises(ValueError, match="notebook number"):
        Report("demo", "demo", "smoke", root=tmp_path)
