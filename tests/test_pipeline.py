"""The notebook runner: validation before any notebook starts, concurrent processes with a time limit, wall
times, and the dry run's cost accounting and budget."""

import json
import sys
import time

import pandas as pd
import pytest
import torch

from paper_mtl import budget, cost, pipeline
from paper_mtl.__main__ import main
from paper_mtl.data import MultiTaskData
from paper_mtl.models import build_hard_sharing
from paper_mtl.sweep import config_hash
from paper_mtl.tasks import get_tasks
from paper_mtl.training import fit


@pytest.fixture
def no_notebooks(monkeypatch):
    """Fail the test if a notebook would be executed."""
    def refuse(*args, **kwargs):
        raise AssertionError("a notebook started although the arguments were invalid")

    monkeypatch.setattr(pipeline, "execute", refuse)
    monkeypatch.setattr(pipeline, "run_concurrently", refuse)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only machine's error")
def test_cuda_device_on_a_cpu_machine_fails_before_any_notebook(no_notebooks, capsys):
    assert main(["reproduce", "--device", "cuda", "--profile", "smoke"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "CUDA is not available" in err and "'cuda'" in err


@pytest.mark.parametrize("value, message", [
    ("gpus", "'gpus' is not an executor"),
    ("devices:cuda:x", "devices must be 'cpu', 'cuda' or 'cuda:N'"),
    ("dask:", "'dask:' is not an executor"),
])
def test_bad_executor_is_a_one_line_error_before_any_notebook(no_notebooks, monkeypatch, capsys, value, message):
    monkeypatch.setenv("PAPER_MTL_EXECUTOR", value)
    assert main(["reproduce", "--profile", "smoke"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("[paper_mtl] error:") and message in err and err.count("\n") == 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only machine's error")
def test_gpu_workers_without_a_gpu_fail_before_any_notebook(no_notebooks, monkeypatch, capsys):
    monkeypatch.setenv("PAPER_MTL_EXECUTOR", "devices:cuda:0,cuda:0")
    assert main(["run", "--notebooks", "03", "--profile", "smoke"]) == 1
    assert "0 GPU(s) are visible" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--jobs", "0"], ["--jobs", "two"], ["--time-limit", "-5"], ["--time-limit", "nan"]])
def test_bad_jobs_or_time_limit_are_refused_by_the_parser(no_notebooks, argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["reproduce", "--profile", "smoke", *argv])
    assert exit_.value.code == 2 and "expected a positive" in capsys.readouterr().err


def test_processes_run_together_and_the_time_limit_stops_the_slow_one(tmp_path):
    python = sys.executable
    commands = {
        "slow": [python, "-c", "import time; print('slow began', flush=True); time.sleep(60)"],
        "quick": [python, "-c", "import os; print('threads', os.environ['OMP_NUM_THREADS'])"],
        "broken": [python, "-c", "raise SystemExit('this notebook broke')"],
    }
    began = time.monotonic()
    outcomes = {o.notebook: o for o in pipeline.run_concurrently(commands, 3, 3.0, tmp_path)}
    assert time.monotonic() - began < 20  # the 60 s sleeper was stopped, not waited for
    assert {n: o.status for n, o in outcomes.items()} == {"slow": "stopped", "quick": "done", "broken": "failed"}
    assert "slow began" in (tmp_path / "slow.log").read_text()
    threads = int((tmp_path / "quick.log").read_text().split()[-1])
    assert threads == max(1, (pipeline.os.cpu_count() or 1) // 3)
    assert "this notebook broke" in (tmp_path / "broken.log").read_text()


def test_jobs_one_at_a_time_never_overlap(tmp_path):
    stamp = "import time, sys; print(time.time()); time.sleep(0.5); print(time.time())"
    commands = {name: [sys.executable, "-c", stamp] for name in ("a", "b")}
    pipeline.run_concurrently(commands, 1, None, tmp_path)
    a, b = ([float(v) for v in (tmp_path / f"{n}.log").read_text().split()] for n in ("a", "b"))
    assert a[1] <= b[0] or b[1] <= a[0]


def test_unfinished_notebooks_are_named_in_the_error():
    outcomes = [pipeline.Outcome("01_x.ipynb", "done", 1.0), pipeline.Outcome("02_y.ipynb", "stopped", 9.0)]
    with pytest.raises(pipeline.NotebookFailed, match=r"02_y.ipynb \(stopped\)") as err:
        pipeline._raise_unless_done(outcomes, "paper")
    assert "01_x" not in str(err.value)


def test_wall_times_keep_rows_of_notebooks_not_rerun(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER_MTL_FIGURES", str(tmp_path))
    budget.record_wall_times([pipeline.Outcome("01_a.ipynb", "done", 10.0),
                                 pipeline.Outcome("02_b.ipynb", "stopped", 20.0)], "paper", "cpu", 2)
    budget.record_wall_times([pipeline.Outcome("02_b.ipynb", "done", 15.0)], "paper", "cpu", 1)
    table = pd.read_csv(tmp_path / "paper" / "wall_times.csv").set_index("notebook")
    assert table.loc["01_a.ipynb", "wall_s"] == 10.0 and table.loc["02_b.ipynb", "status"] == "done"
    assert table.loc["02_b.ipynb", "jobs"] == 1 and len(table) == 2


def test_measured_wall_times_are_set_beside_the_prediction(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER_MTL_FIGURES", str(tmp_path))
    costs = {"01_a": [cost.Cost("fit", "Net", 10, 1e12, 100, 1.0)], "02_b": [cost.Cost("fit", "Net", 1, 1e9, 10, 1.0)]}
    budget.write_budget(budget.budget_table(costs, {"01_a": 5.0, "02_b": 2.0}), "paper")
    budget.record_wall_times([pipeline.Outcome("01_a.ipynb", "done", 14.0)], "paper", "cpu", 1)
    check = pd.read_csv(tmp_path / "paper" / "budget_check.csv")
    assert list(check["notebook"]) == ["01_a"]  # only notebooks that have run
    predicted = pd.read_csv(tmp_path / "paper" / "budget.csv").set_index("notebook").loc["01_a", "predicted_s"]
    assert check.loc[0, "measured / predicted"] == pytest.approx(14.0 / predicted)


def test_executed_notebooks_of_other_profiles_leave_the_committed_ones_alone():
    assert pipeline.executed_dir("quick") == pipeline.NOTEBOOKS
    assert pipeline.executed_dir("paper") == pipeline.NOTEBOOKS / "paper"


# --- the dry run and its cost accounting -------------------------------------------------------------------------


def _toy(n=16, size=16):
    tasks = get_tasks(["segment_semantic", "depth_zbuffer"], {"segment_semantic": 4})
    g = torch.Generator().manual_seed(0)
    data = MultiTaskData(torch.rand(n, 3, size, size, generator=g), {
        "segment_semantic": torch.randint(0, 4, (n, size, size), generator=g),
        "depth_zbuffer": torch.rand(n, 1, size, size, generator=g) + 0.1,
    })
    return tasks, data


def test_dry_run_trains_two_small_steps_under_bf16_and_logs_full_run_costs(tmp_path, monkeypatch):
    log = tmp_path / "cost.jsonl"
    monkeypatch.setenv(cost.DRY_RUN_ENV, "1")
    monkeypatch.setenv(cost.COST_LOG_ENV, str(log))
    tasks, data = _toy(n=40)
    model = build_hard_sharing(tasks, encoder="small")
    dtypes = []
    model.encoder.register_forward_hook(lambda m, i, o: dtypes.append(o.dtype))
    result = fit(model, tasks, data, val=data, epochs=3, batch_size=4, device="cpu", progress=False)
    assert list(result.history["step"]) == [2, 2, 2]  # DRY_STEPS in all; every epoch ends (evaluation, schedule)
    assert torch.bfloat16 in dtypes  # autocast on the CPU, as on CUDA
    records = cost.read_log(log)
    fits = [r for r in records if r.kind == "fit"]
    evals = [r for r in records if r.kind == "evaluate"]
    assert len(fits) == 1 and fits[0].batches == 3 * 10  # what the real run takes: 3 epochs x 40 / 4
    assert len(evals) == 3 and all(r.batches == 1 for r in evals)  # val of 40 at eval batch 128
    assert fits[0].flops > 0 and fits[0].ops > 100 and evals[0].flops > 0
    assert fits[0].flops / 4 > 2 * evals[0].flops / 40  # per image, training costs forward + backward
    (small,) = fits
    monkeypatch.delenv(cost.DRY_RUN_ENV)
    log.unlink()
    fit(build_hard_sharing(tasks, encoder="small"), tasks, data, epochs=1, batch_size=4, max_steps=1, device="cpu",
        amp=True, channels_last=True, progress=False)
    assert cost.read_log(log)[0].flops == pytest.approx(small.flops)  # batches of 2, counted as the real 4
    assert all(r.dry_s == 0 for r in evals) and fits[0].dry_s > 0  # the evaluations ran inside the fit


def test_cost_counts_the_flops_of_a_linear_layer_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv(cost.COST_LOG_ENV, str(tmp_path / "c.jsonl"))
    layer = torch.nn.Linear(32, 8)
    x = torch.randn(5, 32)
    with cost.Meter("evaluate", layer, batches=7) as meter:
        with meter.batch():
            layer(x)
        with meter.batch():  # only the first batch is counted
            layer(torch.randn(500, 32))
    (record,) = cost.read_log(tmp_path / "c.jsonl")
    assert record.flops == 2 * 5 * 32 * 8 and record.total_flops == 7 * 2 * 5 * 32 * 8
    assert record.model == "Linear" and record.ops >= 1


def test_counting_costs_outside_a_dry_run_changes_no_number(tmp_path, monkeypatch):
    """A real run may log its costs too: it trains every step, and the counting leaves every number as it was."""
    monkeypatch.delenv(cost.DRY_RUN_ENV, raising=False)
    tasks, data = _toy()

    def train():
        torch.manual_seed(0)
        result = fit(build_hard_sharing(tasks, encoder="small"), tasks, data, val=data, epochs=2, batch_size=4,
                     device="cpu", progress=False)
        return result.history.to_numpy()

    monkeypatch.delenv(cost.COST_LOG_ENV, raising=False)
    plain = train()
    monkeypatch.setenv(cost.COST_LOG_ENV, str(tmp_path / "c.jsonl"))
    counted = train()
    assert (plain == counted).all() and plain.shape[0] == 2
    fits = [r for r in cost.read_log(tmp_path / "c.jsonl") if r.kind == "fit"]
    assert len(fits) == 1 and fits[0].batches == 8 and fits[0].flops > 0


def test_a_dry_run_stops_a_gradient_layout_fused_cuda_optimisers_refuse(monkeypatch):
    from paper_mtl.weighting.base import WeightedSum

    class Contiguous(WeightedSum):
        def backward(self, losses, ctx):
            logs = super().backward(losses, ctx)
            for p in ctx.model.parameters():
                if p.grad is not None:
                    p.grad = p.grad.contiguous()  # a channels-last weight's gradient loses its layout
            return logs

    monkeypatch.setenv(cost.DRY_RUN_ENV, "1")
    monkeypatch.delenv(cost.COST_LOG_ENV, raising=False)
    tasks, data = _toy()
    with pytest.raises(RuntimeError, match="strategy Contiguous left gradients whose memory layout"):
        fit(build_hard_sharing(tasks, encoder="small"), tasks, data, strategy=Contiguous(), batch_size=4,
            device="cpu", progress=False)
    fit(build_hard_sharing(tasks, encoder="small"), tasks, data, batch_size=4, device="cpu", progress=False)


def test_the_dry_run_switch_never_writes_into_the_repository(no_notebooks, monkeypatch, capsys):
    monkeypatch.setenv(cost.DRY_RUN_ENV, "1")
    monkeypatch.delenv("PAPER_MTL_FIGURES", raising=False)
    assert main(["run", "--notebooks", "03", "--profile", "paper", "--device", "cpu"]) == 1
    assert "use `reproduce --dry-run`" in capsys.readouterr().err


def test_a_dry_run_never_shares_cache_keys_with_a_real_run(monkeypatch):
    monkeypatch.delenv(cost.DRY_RUN_ENV, raising=False)
    real = config_hash(test_a_dry_run_never_shares_cache_keys_with_a_real_run, {"a": 1})
    monkeypatch.setenv(cost.DRY_RUN_ENV, "1")
    assert config_hash(test_a_dry_run_never_shares_cache_keys_with_a_real_run, {"a": 1}) != real


def test_gpu_model_adds_issue_compute_and_host_time_and_bounds_concurrency_by_gpu_busy_time():
    model = cost.GpuModel(flops_per_s=1e12, op_s=1e-5, gpu_op_s=1e-6)
    a = [cost.Cost("fit", "Net", 100, 1e10, 1000, 50.0)]  # 1e12 FLOPs, 1e5 kernels, 50 s of dry run
    seconds = model.notebook_seconds(a, dry_wall_s=80.0)
    assert seconds["compute_s"] == pytest.approx(1.0) and seconds["issue_s"] == pytest.approx(1.0)
    assert seconds["host_s"] == pytest.approx(30.0) and seconds["total_s"] == pytest.approx(32.0)
    rows, together = cost.predict({"01": a, "02": a}, {"01": 80.0, "02": 30.0}, model)
    assert [r["total_s"] for r in rows] == pytest.approx([32.0, 2.0])
    assert together == pytest.approx(32.0)  # the longest notebook, since the GPU is busy only 2 x 1.1 s
    heavy = [cost.Cost("fit", "Net", 100, 1e12, 10, 0.0)]  # 100 s of arithmetic each
    _, together = cost.predict({"a": heavy, "b": heavy}, {"a": 0.0, "b": 0.0}, model)
    assert together == pytest.approx(2 * (100 + 1000 * 1e-6))  # kernels of two processes do not overlap


def test_budget_table_has_a_row_per_notebook_and_one_per_lease(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPER_MTL_FIGURES", str(tmp_path))
    costs = {"01_a": [cost.Cost("fit", "Net", 10, 1e12, 100, 1.0)], "02_b": [cost.Cost("fit", "Net", 1, 1e9, 10, 1.0)]}
    table = budget.budget_table(costs, {"01_a": 5.0, "02_b": 2.0})
    assert list(table["notebook"]) == ["01_a", "02_b", "together: 01 02"]
    assert table.loc[0, "TFLOP"] == pytest.approx(10.0)
    path = budget.write_budget(table, "paper")
    assert path == tmp_path / "paper" / "budget.csv" and "TFLOP/s achieved" in (tmp_path / "paper" / "budget.md").read_text()
    assert json.loads(pd.read_csv(path).to_json())["notebook"]["2"] == "together: 01 02"
    # notebooks of two leases: one row each, each predicted as if alone on its GPU
    costs["06_c"] = costs["01_a"]
    split = budget.budget_table(costs, {"01_a": 5.0, "02_b": 2.0, "06_c": 5.0}).set_index("notebook")
    assert list(split.index[-2:]) == ["together: 01 02", "together: 06"]
    assert split.loc["together: 06", "predicted_s"] == pytest.approx(split.loc["06_c", "predicted_s"])
    with pytest.raises(ValueError, match="notebook '07_d' is in no GPU lease"):
        budget.budget_table({"07_d": costs["01_a"]}, {"07_d": 1.0})


def test_input_gradients_are_counted_and_a_dry_run_attacks_one_batch(tmp_path, monkeypatch):
    from paper_mtl.adversarial import PGDConfig, robustness

    monkeypatch.setenv(cost.DRY_RUN_ENV, "1")
    monkeypatch.setenv(cost.COST_LOG_ENV, str(tmp_path / "c.jsonl"))
    tasks, data = _toy(n=12)
    model = build_hard_sharing(tasks, encoder="small")
    result = robustness(model, tasks, data, ["depth_zbuffer"], PGDConfig(eps=0.01, step_size=0.005, steps=3),
                        batch_size=4, device="cpu")
    assert result.table["clean_loss"].notna().all()
    (record,) = cost.read_log(tmp_path / "c.jsonl")
    assert record.kind == "robustness" and record.batches == 3  # what a real run attacks: 12 images / 4
    assert record.flops > 0 and record.ops > 3 * 20  # 3 PGD steps of forward + input gradient, then 2 forwards


def test_full_length_repeats_a_dry_runs_first_batch_to_the_real_shape(monkeypatch):
    rows = torch.arange(6.0).reshape(3, 2)
    assert cost.full_length(rows, 7).shape == (3, 2)  # outside a dry run: untouched
    monkeypatch.setenv(cost.DRY_RUN_ENV, "1")
    filled = cost.full_length(rows, 7)
    assert filled.shape == (7, 2) and torch.equal(filled[3:6], rows)


def test_notebook_01_opens_with_the_finished_ledger_after_a_run(tmp_path, monkeypatch):
    import nbformat

    from paper_mtl.claims import Check, Claim
    from paper_mtl.reporting import Report, ledger_overview

    figures = tmp_path / "figures"
    Report("02_x", "02 x", "quick", root=figures).claim(Claim("x", "x helps", "published", "ours", [Check.truth("t", True)]))
    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("ledger_overview(profile)", metadata={"tags": [pipeline.LEDGER_CELL_TAG]}),
        nbformat.v4.new_code_cell("1 + 1", outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "2"})]),
    ])
    path = tmp_path / "01_demo.ipynb"
    nbformat.write(book, path)
    monkeypatch.setattr(pipeline, "REPO_FIGURES", figures)
    pipeline._refresh_ledger_cell(path, "quick")
    first, second = nbformat.read(path, as_version=4).cells
    assert first.outputs[0]["data"]["text/html"] == ledger_overview("quick", figures)._repr_html_()
    assert "02 x" in first.outputs[0]["data"]["text/plain"] and second.outputs[0]["data"]["text/plain"] == "2"
    assert ledger_overview("quick", figures).loc["total", "reproduced"] == 1
