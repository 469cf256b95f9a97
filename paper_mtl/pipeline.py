"""Execute the notebooks with papermill: for readers (``run``/``reproduce``), as a dry run, or as nbval goldens.

Each notebook is executed into a temporary file beside its destination and renamed when it succeeds, so a
failing notebook never leaves a half-executed copy. ``quick`` (the default) executes the notebooks in place;
another profile writes them to ``notebooks/<profile>/`` so the committed ``quick`` executions stay.

With ``jobs > 1`` the notebooks run as separate processes at once (small models leave a GPU mostly idle when run
one after another), each with ``cpu_count // jobs`` CPU threads and its log in ``.cache/logs/<profile>/``; a
``time_limit`` stops the notebooks still running when it expires (their finished sweep configurations stay cached,
so the next call resumes). The wall time of each notebook goes to ``wall_times.csv`` in the profile's figures
folder (:mod:`paper_mtl.budget`). A dry run (:mod:`paper_mtl.cost`) executes them on the CPU with truncated
training into a scratch folder and writes the predicted GPU time of the profile to ``budget.csv`` / ``budget.md``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


import nbformat

from paper_mtl import budget, cost
from paper_mtl.profiles import PROFILES, check_profile, resolve_device
from paper_mtl.files import atomic_path, write_atomic
from paper_mtl.reporting import device_name, drop_claims, figures_root, ledger_overview, rerender, update_readme
from paper_mtl.sweep import check_executor

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GOLDEN = ROOT / "tests" / "notebooks"
LOGS = ROOT / ".cache" / "logs"
REPO_FIGURES = ROOT / "figures"


def notebook_paths(numbers: Sequence[str] | None = None) -> list[Path]:
    """The notebooks in order, or those whose two-digit prefix is in ``numbers``."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if numbers:
        known = {p.name[:2]: p for p in paths}
        unknown = [n for n in numbers if n not in known]
        if unknown:
            raise ValueError(f"unknown notebook number(s) {unknown}; expected some of {sorted(known)}")
        paths = [known[n] for n in sorted(set(numbers))]
    return paths


def executed_dir(profile: str) -> Path:
    """Where executed notebooks of ``profile`` go: ``notebooks/`` for ``quick``, else ``notebooks/<profile>/``."""
    return NOTEBOOKS if check_profile(profile) == "quick" else NOTEBOOKS / profile


class NotebookFailed(RuntimeError):
    """A notebook raised while papermill executed it, or was stopped at the time limit."""


def execute(source: Path, destination: Path, parameters: dict[str, object], *, progress: bool = False) -> None:
    """Execute ``source`` with ``parameters`` into ``destination`` (atomically); ``progress`` shows papermill's bar
    of cells on the terminal."""
    import papermill

    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(destination, ".ipynb") as tmp:
            papermill.execute_notebook(
                str(source), str(tmp), parameters=parameters, cwd=str(NOTEBOOKS), kernel_name="python3",
                progress_bar=progress,
            )
    except Exception as exc:
        raise NotebookFailed(f"notebook {source.name} failed at profile {parameters.get('profile')!r}: {exc}") from exc


@dataclass
class Outcome:
    """How one notebook of a run ended: ``done``, ``failed`` or ``stopped`` (time limit), after ``wall_s``."""

    notebook: str
    status: str
    wall_s: float
    log: Path | None = None


def _child_env(threads: int, extra: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **extra, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    env.setdefault("TQDM_DISABLE", "1")
    return env


def notebook_command(path: Path, into: Path, parameters: dict[str, object]) -> list[str]:
    """The command that executes one notebook in its own process: ``python -m paper_mtl run --notebooks NN``."""
    command = [sys.executable, "-m", "paper_mtl", "run", "--notebooks", path.name[:2], "--into", str(into)]
    return command + [f"--{k}={v}" for k, v in parameters.items()]


def _stop(procs: Sequence[subprocess.Popen], grace: float = 10.0) -> None:
    """Ask every process in ``procs`` to stop (SIGTERM, which the notebook command turns into a clean exit that
    shuts its kernel down and removes its half-written notebook), then kill those still alive after ``grace``."""
    alive = [p for p in procs if p.poll() is None]
    for proc in alive:
        proc.terminate()
    deadline = time.monotonic() + grace
    for proc in alive:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: the process and anything it started there
            else:
                proc.kill()
            proc.wait()


def run_concurrently(
    commands: dict[str, list[str]], jobs: int, time_limit: float | None, logs: Path,
    env_for: dict[str, dict[str, str]] | None = None,
) -> list[Outcome]:
    """Run ``commands`` (by notebook name) as separate processes, ``jobs`` at a time, each with
    ``cpu_count // jobs`` CPU threads, its output in ``logs/<name>.log`` and ``env_for[name]`` added to its
    environment; those still running ``time_limit`` seconds after the start are stopped (:func:`_stop`), and so
    is every one still running if this function is interrupted (Ctrl-C) or fails."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    logs.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    queue, running, outcomes = list(commands), {}, []

    def finish(path: str, status: str) -> None:
        proc, began, handle, log = running.pop(path)
        handle.close()
        outcome = Outcome(path, status, round(time.monotonic() - began, 1), log)
        outcomes.append(outcome)
        print(f"[paper_mtl] {status} {path} after {outcome.wall_s:.0f} s", flush=True)
        if status == "failed":
            tail = log.read_text().splitlines()[-15:]
            print("\n".join(f"    {line}" for line in tail), flush=True)

    try:
        while queue or running:
            while queue and len(running) < jobs:
                path = queue.pop(0)
                log = logs / f"{Path(path).stem}.log"
                handle = log.open("w")
                proc = subprocess.Popen(commands[path], stdout=handle, stderr=subprocess.STDOUT,
                                        start_new_session=True, env=_child_env(threads, (env_for or {}).get(path, {})))
                running[path] = (proc, time.monotonic(), handle, log)
                print(f"[paper_mtl] started {path} ({threads} CPU thread(s), log {log})", flush=True)
            time.sleep(0.5)
            for path, (proc, *_) in list(running.items()):
                if proc.poll() is not None:
                    finish(path, "done" if proc.returncode == 0 else "failed")
            if time_limit is not None and time.monotonic() - start > time_limit:
                _stop([proc for proc, *_ in running.values()])
                for path in list(running):
                    finish(path, "stopped")
                outcomes += [Outcome(p, "not started", 0.0) for p in queue]
                queue.clear()
    finally:
        _stop([proc for proc, *_ in running.values()])
    return sorted(outcomes, key=lambda o: o.notebook)


def run(
    numbers: Sequence[str] | None, profile: str, device: str = "auto", seed: int = 0, *, jobs: int = 1,
    time_limit: float | None = None, dry_run: bool = False, into: str | Path | None = None,
) -> list[Outcome]:
    """Execute notebooks at ``profile``, regenerating their figures and ledger rows; returns how each ended.

    ``jobs`` notebooks run at once as separate processes (1: one after another in this process, with papermill's
    bar of cells on the terminal); ``time_limit`` (seconds, with ``jobs``) stops what is still running then.
    ``into`` overrides where executed notebooks go (:func:`executed_dir`). ``dry_run`` executes them on the CPU
    under :mod:`paper_mtl.cost`'s dry run into a scratch folder and writes the profile's predicted GPU time.
    Everything is validated before the first notebook starts: profile, device, ``$PAPER_MTL_EXECUTOR``, jobs.
    Raises :class:`NotebookFailed` naming every notebook that failed or was stopped.
    """
    check_profile(profile)
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    if time_limit is not None and time_limit <= 0:
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    paths = notebook_paths(numbers)
    os.environ.setdefault("TQDM_DISABLE", "1")
    if dry_run:  # it runs on the CPU, in-process sweeps, whatever --device and $PAPER_MTL_EXECUTOR say
        return _dry_run(paths, profile, seed, jobs)
    resolve_device(device)
    check_executor()
    if cost.dry_run() and (into is None or figures_root() == REPO_FIGURES):
        raise ValueError(f"{cost.DRY_RUN_ENV} is set: a dry run's truncated results must not reach figures/ or "
                         "notebooks/; use `reproduce --dry-run`, which writes them to a scratch folder")
    destination = Path(into) if into else executed_dir(profile)
    if profile == "paper":
        budget.print_prediction()
    parameters: dict[str, object] = {"profile": profile, "device": device, "seed": seed}
    if into is None:  # the notebooks write their rows afresh; a claim they no longer make goes
        drop_claims(figures_root(), [p.name[:2] for p in paths], profile)
    if jobs == 1 and time_limit is None:
        outcomes = []
        for path in paths:
            print(f"[paper_mtl] running {path.name} at profile={profile}", flush=True)
            began = time.monotonic()
            execute(path, destination / path.name, parameters, progress=into is None)
            outcomes.append(Outcome(path.name, "done", round(time.monotonic() - began, 1)))
    else:
        commands = {p.name: notebook_command(p, destination, parameters) for p in paths}
        outcomes = run_concurrently(commands, jobs, time_limit, LOGS / profile)
    if into is None:
        budget.record_wall_times(outcomes, profile, device_name(resolve_device(device)), min(jobs, len(paths)))
        if figures_root() == REPO_FIGURES:
            refresh_ledger()
    _raise_unless_done(outcomes, profile)
    return outcomes


LEDGER_CELL_TAG = "ledger-summary"


def refresh_ledger() -> None:
    """Re-render ``figures/CLAIMS.md``, README's ledger summary and the ledger summary that executed notebook 01
    opens with (its cell tagged :data:`LEDGER_CELL_TAG`, for each profile executed) from ``figures/claims.json``.

    Notebook 01 runs first, so when its cell executed, the ledger still held the previous run's rows; its output
    is replaced by what the same call (:func:`paper_mtl.reporting.ledger_overview`) shows on the finished ledger."""
    rerender(REPO_FIGURES)
    update_readme(ROOT / "README.md", REPO_FIGURES)
    for profile in PROFILES:
        for path in executed_dir(profile).glob("01_*.ipynb"):
            _refresh_ledger_cell(path, profile)


def _refresh_ledger_cell(path: Path, profile: str) -> None:
    book = nbformat.read(path, as_version=4)
    cells = [c for c in book.cells if LEDGER_CELL_TAG in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return
    table = ledger_overview(profile, REPO_FIGURES)
    output = nbformat.v4.new_output("display_data", data={"text/html": table._repr_html_(), "text/plain": repr(table)})
    for cell in cells:
        cell.outputs = [output]
    text = nbformat.writes(book)
    if text != path.read_text():
        write_atomic(path, text)


def _raise_unless_done(outcomes: Sequence[Outcome], profile: str) -> None:
    bad = [f"{o.notebook} ({o.status}{f', log {o.log}' if o.log else ''})" for o in outcomes if o.status != "done"]
    if bad:
        raise NotebookFailed(f"at profile {profile!r} these notebooks did not finish: {'; '.join(bad)}")


def _dry_run(paths: Sequence[Path], profile: str, seed: int, jobs: int) -> list[Outcome]:
    """Execute ``paths`` as a dry run on the CPU into a scratch folder and write the predicted GPU time."""
    scratch = Path(tempfile.mkdtemp(prefix="paper_mtl_dry_run_"))
    base = {
        cost.DRY_RUN_ENV: "1", "PAPER_MTL_FIGURES": str(scratch / "figures"), "PAPER_MTL_CACHE": str(scratch / "cache"),
        "PAPER_MTL_EXECUTOR": "inprocess",
    }
    env_for = {p.name: {**base, cost.COST_LOG_ENV: str(scratch / "cost" / f"{p.stem}.jsonl")} for p in paths}
    (scratch / "cost").mkdir(parents=True)
    parameters: dict[str, object] = {"profile": profile, "device": "cpu", "seed": seed}
    print(f"[paper_mtl] dry run of profile={profile} on the CPU in {scratch}", flush=True)
    commands = {p.name: notebook_command(p, scratch / "notebooks", parameters) for p in paths}
    outcomes = run_concurrently(commands, jobs, None, scratch / "logs", env_for)
    _raise_unless_done(outcomes, f"{profile} (dry run; its notebooks, logs and cost records are in {scratch})")
    costs = {p.stem: cost.read_log(env_for[p.name][cost.COST_LOG_ENV]) for p in paths}
    walls = {o.notebook.removesuffix(".ipynb"): o.wall_s for o in outcomes}
    table = budget.budget_table(costs, walls)
    budget.write_budget(table, profile)
    print(table.to_string(index=False), flush=True)
    shutil.rmtree(scratch, ignore_errors=True)
    return outcomes


def golden(numbers: Sequence[str] | None = None) -> list[Path]:
    """Store smoke-profile executions under tests/notebooks/ as the nbval reference outputs.

    They run on CPU with figures and sweep caches in a temporary folder, exactly as the nbval suite runs them.
    """
    paths = notebook_paths(numbers)
    scratch = Path(tempfile.mkdtemp(prefix="paper_mtl_golden_"))
    os.environ.update(nbval_environment(scratch))
    written = []
    for path in paths:
        print(f"[paper_mtl] golden {path.name} at profile=smoke", flush=True)
        execute(path, GOLDEN / path.name, {"profile": "smoke", "device": "cpu", "seed": 0})
        written.append(GOLDEN / path.name)
    return written


def nbval_environment(scratch: Path) -> dict[str, str]:
    """Environment under which goldens are made and checked: outputs to ``scratch``, no progress bars.

    One intra-op thread: the results of CPU reductions may depend on the thread count, so goldens made on one
    machine must be checked with the same count on another (and tiny networks run fastest that way).
    """
    return {
        "PAPER_MTL_FIGURES": str(scratch / "figures"),
        "PAPER_MTL_CACHE": str(scratch / "cache"),
        "TQDM_DISABLE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
    }
