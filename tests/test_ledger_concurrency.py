"""Concurrent notebooks, one process each, finishing together lose no ledger row and no provenance entry."""

import json
import multiprocessing
import re

import pandas as pd

from paper_mtl.claims import Check, Claim
from paper_mtl.reporting import Report, read_claims, read_provenance

WORKERS, ROWS, TABLES = 4, 25, 5


def _worker(root, index, barrier):
    """Worker ``index``: paper ``0<index % 2> worker`` at profile quick (index < 2) or paper, so pairs of workers
    share each (paper, claim) and only the profile keeps their rows apart; each also saves tables in one folder."""
    paper = f"0{index % 2} worker"
    profile = ("quick", "paper")[index // 2]
    claims = Report("07_demo", paper, profile, root=root)
    tables = Report("07_demo", paper, "quick", root=root)  # every worker records in the same provenance.json
    barrier.wait(timeout=120)
    for j in range(ROWS):
        checks = [Check.truth("a", True, group="a"), Check.truth("b", j % 2 == 0, group="b")]  # reproduced, partly
        claims.claim(Claim(f"claim {j:02d}", "it holds", "published", f"{profile} {j}", checks))
        if j < TABLES:
            tables.table(pd.DataFrame({"j": [j]}), f"w{index}_t{j}")


def test_concurrent_writers_lose_no_row(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    processes = [ctx.Process(target=_worker, args=(tmp_path, i, barrier)) for i in range(WORKERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [p.exitcode for p in processes] == [0] * WORKERS

    rows = read_claims(tmp_path)
    keys = [(r["paper"], r["claim"], r["profile"]) for r in rows]
    expected = {
        (f"0{i % 2} worker", f"claim {j:02d}: “it holds”", ("quick", "paper")[i // 2]) for i in range(WORKERS) for j in range(ROWS)
    }
    assert len(keys) == len(set(keys)) == WORKERS * ROWS and set(keys) == expected
    assert all(r["our evidence"].startswith(f"{r['profile']} {int(r['claim'][6:8])};") for r in rows)

    text = (tmp_path / "CLAIMS.md").read_text()
    lines = [line for line in text.splitlines() if line.startswith("|")]
    cells = [[cell.strip() for cell in line.split("|")[1:-1]] for line in lines]
    header, table = cells[0], cells[2:]
    assert header == ["paper", "claim", "published evidence", "our evidence (quick)", "verdict (quick)",
                      "our evidence (paper)", "verdict (paper)"]
    assert all(len(line) == len(header) for line in table) and len(table) == WORKERS * ROWS // 2
    assert sorted((line[0], line[1]) for line in table) == sorted({(p, c) for p, c, _ in expected})
    assert all(line[3].startswith(f"quick {int(line[1][6:8])};") and line[5].startswith(f"paper {int(line[1][6:8])};")
               for line in table)
    assert re.search(r"Summary at quick: 26 reproduced, 24 partly, 0 not reproduced, 0 inconclusive, 0 not testable here; "
                     r"at paper: 26 reproduced, 24 partly", text)

    folder = tmp_path / "07_demo"
    prov = read_provenance(folder)
    assert set(prov) == {f"w{i}_t{j}.{ext}" for i in range(WORKERS) for j in range(TABLES) for ext in ("csv", "md")}
    assert json.loads((folder / "provenance.json").read_text()) == prov
    assert not list(tmp_path.rglob("*.tmp"))
