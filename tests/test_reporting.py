import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from paper_mtl.reporting import NOT_REPRODUCED, PARTLY, REPRODUCED, Report, verdict  # noqa: E402


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
    assert {p.name for p in folder.iterdir()} == {"curve.png", "curve.pdf", "losses.csv", "losses.md", "provenance.json"}
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["curve"]["profile"] == "smoke" and prov["losses"]["seed"] == 3
    assert {"device", "commit", "version", "wall_time_s"} <= set(prov["curve"])
    assert pd.read_csv(folder / "losses.csv")["loss"].tolist() == [0.25]
    assert "profile smoke" in (folder / "losses.md").read_text()


def test_claims_ledger_updates_rows(tmp_path):
    a = Report("07_demo", "07 demo", "smoke", root=tmp_path)
    b = Report("02_other", "02 other", "quick", root=tmp_path)
    a.claim("x helps", "90/110", "3/4", verdict([True]))
    b.claim("y is fast", "1.7x", "1.2x", verdict([False]))
    a.claim("x helps", "90/110", "1/4", verdict([False]))
    rows = json.loads((tmp_path / "claims.json").read_text())
    assert [(r["paper"], r["our evidence"]) for r in rows] == [("02 other", "1.2x"), ("07 demo", "1/4")]
    text = (tmp_path / "CLAIMS.md").read_text()
    assert "| paper" in text and "0 reproduced" in text and "2 not reproduced" in text
    with pytest.raises(ValueError, match="unknown verdict 'yes'"):
        a.claim("z", "", "", "yes")


def test_bad_profile_and_names(tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        Report("07_demo", "07 demo", "fast", root=tmp_path)
    with pytest.raises(ValueError, match="notebook number"):
        Report("demo", "demo", "smoke", root=tmp_path)
