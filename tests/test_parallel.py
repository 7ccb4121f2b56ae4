"""run_parallel, Progress, and the studies that run through them: same results for every n_jobs and backend."""

import dataclasses
import importlib.util
import io
import sys
import time

import numpy as np
import pytest

import nnlite
from nnlite import _parallel
from nnlite._parallel import check_n_jobs, run_parallel
from nnlite._progress import Progress
from nnlite.cli import main
from nnlite.experiments import compare_activations
from nnlite.experiments.minimal_model import run_minimal_model, write_minimal_model

needs_joblib = pytest.mark.skipif(importlib.util.find_spec("joblib") is None,
                                  reason='joblib is not installed: pip install -e ".[parallel]"')


def _square_late_first(task):
    # the first tasks sleep longest, so with two workers the later ones finish first
    index, count = task
    time.sleep(0.02 * (count - index))
    return index * index


def _weighted_sum(weight, values, offset):
    return weight * float(values.sum()) + offset


def _fail_on_three(value):
    if value == 3:
        raise ValueError("task 3 is bad")
    return value


def _blas_threads(_):
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def _dask_worker_address(_):
    from dask.distributed import get_worker

    return get_worker().address  # raises ValueError outside a Dask worker


class _FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def _without_wall_time(runs):
    return [dataclasses.replace(run, wall_time=0.0) for run in runs]


SPIRAL_STUDY = {"dataset": "spiral", "activations": ["relu", "tanh"], "hidden": (8,), "epochs": 2, "seeds": (0, 1)}


@pytest.mark.parametrize("n_jobs", [1, pytest.param(2, marks=needs_joblib), pytest.param(-1, marks=needs_joblib)])
def test_results_come_back_in_task_order(n_jobs):
    tasks = [(i, 6) for i in range(6)]
    assert run_parallel(_square_late_first, tasks, n_jobs=n_jobs) == [i * i for i in range(6)]


@pytest.mark.parametrize("n_jobs", [1, pytest.param(2, marks=needs_joblib)])
def test_shared_arguments_follow_the_task(n_jobs):
    values = np.arange(300_000, dtype=np.float64)  # 2.4 MB: loky passes it memory-mapped
    expected = [w * float(values.sum()) + 0.5 for w in range(4)]
    assert run_parallel(_weighted_sum, range(4), shared=(values, 0.5), n_jobs=n_jobs) == expected


@needs_joblib
def test_no_tasks_gives_an_empty_list():
    assert run_parallel(_square_late_first, [], n_jobs=-1) == []


@pytest.mark.parametrize("n_jobs", [0, 1.5, True, "2", None])
def test_bad_n_jobs_is_named(n_jobs):
    with pytest.raises(ValueError, match="n_jobs must be a non-zero integer"):
        run_parallel(abs, [1], n_jobs=n_jobs)


def test_bad_backend_and_stray_scheduler_are_named():
    with pytest.raises(ValueError, match="backend must be one of 'loky', 'dask', got 'threads'"):
        check_n_jobs(2, "threads")
    with pytest.raises(ValueError, match="scheduler is the address of a Dask cluster"):
        run_parallel(abs, [1], n_jobs=1, scheduler="tcp://localhost:8786")


def test_missing_joblib_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "joblib", None)  # `import joblib` now raises ImportError
    assert run_parallel(abs, [-1, -2], n_jobs=1) == [1, 2]  # one job needs nothing installed
    with pytest.raises(ImportError, match=r'needs joblib, which is not installed: pip install -e "\.\[parallel\]"'):
        run_parallel(abs, [-1, -2], n_jobs=2)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[dask\]"'):
        check_n_jobs(1, "dask")
    with pytest.raises(ImportError, match=r"pip install -e \"\.\[parallel\]\""):
        compare_activations(**SPIRAL_STUDY, n_jobs=2)  # before any training


@needs_joblib
def test_missing_dask_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ImportError, match=r"backend='dask' needs dask.distributed.*pip install -e \"\.\[dask\]\""):
        run_parallel(abs, [1], backend="dask")


@pytest.mark.parametrize("n_jobs", [1, pytest.param(2, marks=needs_joblib)])
def test_every_run_uses_one_blas_thread(n_jobs):
    # OpenBLAS's last bits depend on its thread count: one thread everywhere keeps results identical
    pytest.importorskip("threadpoolctl")
    threads = run_parallel(_blas_threads, range(3), n_jobs=n_jobs)
    if not any(threads):
        pytest.skip("threadpoolctl finds no BLAS library in numpy")
    assert threads == [[1]] * 3 or all(counts and set(counts) == {1} for counts in threads), threads


def test_the_blas_limit_is_restored_by_the_last_run_to_leave():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def counts():
        return [pool["num_threads"] for pool in threadpoolctl.threadpool_info()]

    before = counts()
    if not any(n > 1 for n in before):
        pytest.skip("no multi-threaded BLAS or OpenMP library here")
    # two overlapping runs, as two worker threads of one process would have them
    _parallel._one_blas_thread.__enter__()
    _parallel._one_blas_thread.__enter__()
    _parallel._one_blas_thread.__exit__(None, None, None)
    assert set(counts()) == {1}  # the first to leave must not lift the limit under the other
    _parallel._one_blas_thread.__exit__(None, None, None)
    assert counts() == before


@needs_joblib
def test_on_result_lines_are_printed_in_task_order(capsys):
    seen = []

    def report(index, result):
        seen.append((index, result))
        return f"task {index}: {result}" if index % 2 == 0 else None

    assert run_parallel(_square_late_first, [(i, 4) for i in range(4)], n_jobs=2, on_result=report) == [0, 1, 4, 9]
    assert seen == [(0, 0), (1, 1), (2, 4), (3, 9)]
    captured = capsys.readouterr()
    assert captured.out == "task 0: 0\ntask 2: 4\n" and captured.err == ""


def test_progress_on_a_terminal_and_silence_elsewhere(monkeypatch, capsys):
    run_parallel(abs, [1, 2, 3], desc="study")
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    run_parallel(abs, [1, 2, 3], desc="study", unit="figures")
    shown = terminal.getvalue()
    assert shown.startswith("\rstudy: ") and shown.endswith("\n")
    assert "study: 3/3 figures" in shown.split("\r")[-1]


def test_progress_line_counts_done_elapsed_and_remaining():
    bar = Progress(4, "fit", unit="epochs", stream=_FakeTerminal())
    bar.update(2)
    # 2 of 4 done in 3 s: 3 s more at the same pace
    assert bar.line(now=bar._start + 3.0) == "fit: 2/4 epochs, 3.0 s elapsed, ~3.0 s left"
    bar.update(2)
    assert bar.line(now=bar._start + 6.0) == "fit: 4/4 epochs, 6.0 s elapsed"


def test_progress_write_clears_the_line_then_redraws(capsys):
    terminal = _FakeTerminal()
    with Progress(2, "runs", stream=terminal) as bar:
        bar.update()
        drawn = terminal.getvalue()
        bar.write("a result")
        cleared = terminal.getvalue()[len(drawn):]
    width = len(drawn) - 1  # the drawn line after its "\r"
    assert cleared.startswith("\r" + " " * width + "\r\r" + "runs: 1/2 runs")
    assert capsys.readouterr().out == "a result\n"
    assert terminal.getvalue().endswith("\n")


def test_progress_forced_off_on_a_terminal():
    terminal = _FakeTerminal()
    with Progress(3, stream=terminal, enabled=False) as bar:
        bar.update(3)
    assert terminal.getvalue() == ""


@needs_joblib
def test_compare_is_identical_for_one_and_two_jobs():
    serial = compare_activations(**SPIRAL_STUDY)
    parallel = compare_activations(**SPIRAL_STUDY, n_jobs=2)
    assert [(r.activation, r.seed) for r in parallel.runs] == [(a, s) for s in (0, 1) for a in ("relu", "tanh")]
    assert _without_wall_time(parallel.runs) == _without_wall_time(serial.runs)


@needs_joblib
def test_minimal_model_figures_and_json_are_identical_for_one_and_two_jobs(tmp_path):
    results = run_minimal_model(n_samples=200, weights=[0.5, 2.0, 8.0], activations={"tanh": {}, "relu": {}},
                                bin_counts=(10, 30), kde_every=1)
    files = []
    for n_jobs in (1, 2):
        written = write_minimal_model(results, tmp_path / f"jobs{n_jobs}", dpi=30, n_jobs=n_jobs)
        files.append({path.name: path.read_bytes() for path in written})
    assert len(files[0]) == 9 and "results.json" in files[0]
    assert files[0] == files[1]  # every figure's PNG bytes and the JSON


def test_minimal_model_pngs_are_the_bytes_savefig_writes(tmp_path):
    # one process draws each figure while a thread encodes the one before: the files must be
    # what matplotlib's own savefig writes for the same figure
    import io

    from nnlite import plotting
    from nnlite.experiments.minimal_model import _figure_specs

    results = run_minimal_model(n_samples=200, weights=[0.5, 2.0, 8.0], activations={"tanh": {}, "relu": {}},
                                bin_counts=(10, 30), kde_every=1)
    written = {path.name: path for path in write_minimal_model(results, tmp_path, dpi=40)}
    specs = _figure_specs(results)
    assert set(specs) | {"results.json"} == set(written)
    for filename, (function, args, kwargs) in specs.items():
        buffer = io.BytesIO()
        getattr(plotting, function)(*args, **kwargs).savefig(buffer, format="png", dpi=40)
        assert written[filename].read_bytes() == buffer.getvalue(), filename


@needs_joblib
def test_minimal_model_cli_runs_with_two_jobs(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["minimal-model", "--samples", "300", "--out", str(out), "--dpi", "20", "--jobs", "2"]) == 0
    serial = run_minimal_model(n_samples=300)
    assert (out / "results.json").read_text() == serial.to_json()
    assert len(list(out.glob("*.png"))) == 8
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "--jobs", "0"], "n_jobs must be a non-zero integer"),
        (["minimal-model", "--scheduler", "tcp://localhost:8786"], "use it with --backend dask"),
    ],
)
def test_cli_parallel_option_errors(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--out", str(tmp_path)])
    assert exc.value.code == 2 and message in capsys.readouterr().err


@needs_joblib
def test_a_worker_error_reaches_the_caller_as_itself():
    # last of the loky tests: joblib stops the workers after an error, and the others reuse them
    with pytest.raises(ValueError, match="task 3 is bad"):
        run_parallel(_fail_on_three, range(5), n_jobs=2)


def test_dask_backend_needs_a_cluster():
    pytest.importorskip("dask.distributed")
    with pytest.raises(ValueError, match="needs a running Dask cluster: pass scheduler="):
        run_parallel(abs, [1], backend="dask")


def test_a_local_dask_cluster_gives_identical_results():
    distributed = pytest.importorskip("dask.distributed")
    serial_study = compare_activations(**SPIRAL_STUDY)
    serial_model = run_minimal_model(n_samples=300, weights=[0.5, 2.0, 8.0], kde_every=1)
    # worker threads in this process: nothing to spawn, no ports (with one thread in all, joblib would
    # run the tasks here instead)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                  dashboard_address=None) as cluster:
        by_address = compare_activations(**SPIRAL_STUDY, backend="dask", scheduler=cluster.scheduler_address)
        with distributed.Client(cluster):  # the client already created is used when no scheduler is given
            model = run_minimal_model(n_samples=300, weights=[0.5, 2.0, 8.0], kde_every=1, backend="dask")
            where = run_parallel(_dask_worker_address, range(3), backend="dask")
        worker = next(iter(cluster.workers.values())).address
    assert _without_wall_time(by_address.runs) == _without_wall_time(serial_study.runs)
    assert model.to_json() == serial_model.to_json()
    assert where == [worker] * 3  # the runs ran on the cluster's worker, not in this thread


def test_parallel_module_documents_its_install_hints():
    # the hints name this checkout's extras, never the unrelated PyPI project "nnlite"
    for hint in (_parallel._INSTALL_HINT, _parallel._DASK_HINT):
        assert 'pip install -e ".[' in hint and "pip install nnlite" not in hint


def test_bench_counts_its_timed_calls_on_a_terminal_only(monkeypatch, capsys):
    from nnlite.bench import bench

    bench("relu", size=1000, repeats=2)
    assert capsys.readouterr().err == ""
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bench("relu", size=1000, repeats=2)
    # three timings (floor, forward, forward+backward) of a warm-up and 2 repeats each
    assert terminal.getvalue().split("\r")[-1].startswith("bench relu: 9/9 timed calls")


def test_fit_verbose_shows_batches_on_a_terminal_only(monkeypatch, capsys):
    X, y = nnlite.datasets.spiral(20, 3, seed=0)  # 60 samples: 4 batches of 16 per epoch

    def fit(verbose):
        model = nnlite.Sequential([nnlite.Dense(2, 4, seed=0), nnlite.ReLU(), nnlite.Dense(4, 3, seed=1)])
        return model.fit(X, y, epochs=2, batch_size=16, seed=0, verbose=verbose)

    fit(1)
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 2 and captured.err == ""  # epoch lines; no progress off a terminal
    terminal = _FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fit(0)
    assert terminal.getvalue() == "" and capsys.readouterr().out == ""
    fit(1)
    shown = terminal.getvalue()
    assert "fit: 8/8 batches" in shown.split("\r")[-1] and shown.endswith("\n")
    assert capsys.readouterr().out.count("Epoch") == 2
