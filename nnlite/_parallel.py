"""Run independent runs of a study in worker processes, on this machine or a Dask cluster.

    results = run_parallel(train_one, tasks, n_jobs=2)          # loky processes (joblib)
    results = run_parallel(train_one, tasks, n_jobs=-1, backend="dask", scheduler="tcp://host:8786")

`fn(task, *shared)` is called once per task and the results come back in the
order of `tasks`, whatever `n_jobs` or the backend. Each run must draw its randomness
from its own task (a seed), never from shared state, so results are identical
for every `n_jobs`. `n_jobs=1` is a plain loop in this process and needs
nothing installed; anything else needs joblib, the optional extra
`parallel` (and `dask[distributed]` for the dask backend).

Every run uses one BLAS/OpenMP thread, whatever `n_jobs` or the backend
(threadpoolctl, in the `parallel` extra; loky workers also start with
joblib's `inner_max_num_threads=1`). Two reasons: 2 workers on 2 cores do not
oversubscribe the cores with four threads, and OpenBLAS's results depend on
its thread count in the last bits (measured: a digits run's validation loss
moved by one ulp between 1 and 2 threads), so a fixed count is what makes the
results identical for every `n_jobs`. The runs are small matrix products,
where a second BLAS thread gains little; the workers are the parallelism.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from ._progress import Progress

__all__ = ["run_parallel", "check_n_jobs", "BACKENDS"]

T = TypeVar("T")
R = TypeVar("R")

BACKENDS = ("loky", "dask")
_INSTALL_HINT = 'pip install -e ".[parallel]" (in the nnlite checkout) or: pip install joblib threadpoolctl'
_DASK_HINT = ('pip install -e ".[dask]" (in the nnlite checkout) '
              'or: pip install "dask[distributed]" joblib threadpoolctl')


def check_n_jobs(n_jobs: Any, backend: str = "loky") -> int:
    """Validate `n_jobs` (a non-zero int; -1 means every core) and `backend`, and that what
    they need is installed (joblib, and dask.distributed for "dask"); return n_jobs.

    Studies call it before their slow set-up, so a missing extra fails at once.
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (1: no workers, -1: every core), got {n_jobs!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    if n_jobs != 1 or backend == "dask":
        _import_joblib(backend)
    if backend == "dask":
        _import_dask_distributed()
    return n_jobs


def _import_joblib(backend: str) -> Any:
    try:
        import joblib
    except ImportError:
        hint = _DASK_HINT if backend == "dask" else _INSTALL_HINT
        raise ImportError(
            f"running in parallel (n_jobs other than 1, or backend='dask') needs joblib, which is not installed: {hint}"
        ) from None
    return joblib


def _import_dask_distributed() -> tuple[Any, Any]:
    try:
        from dask.distributed import Client, get_client
    except ImportError:
        raise ImportError(f"backend='dask' needs dask.distributed, which is not installed: {_DASK_HINT}") from None
    return Client, get_client


def _dask_client(scheduler: str | None) -> tuple[Any, bool]:
    """The Dask client to run on, and whether this call created it (and must close it)."""
    Client, get_client = _import_dask_distributed()
    if scheduler is not None:
        return Client(scheduler), True
    try:
        return get_client(), False
    except ValueError:
        raise ValueError(
            "backend='dask' needs a running Dask cluster: pass scheduler='tcp://HOST:PORT' "
            "(CLI: --scheduler), or create a dask.distributed.Client before calling"
        ) from None


def run_parallel(
    fn: Callable[..., R],
    tasks: Iterable[T],
    *,
    shared: Sequence[Any] = (),
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    desc: str = "",
    unit: str = "runs",
    progress: bool | None = None,
    on_result: Callable[[int, R], str | None] | None = None,
) -> list[R]:
    """`[fn(task, *shared) for task in tasks]`, run by `n_jobs` workers, in the order of `tasks`.

    `shared` holds what every run needs, such as the data arrays: each item is
    sent to the workers once per call rather than inside every task (loky
    memory-maps arrays over 1 MB, Dask scatters every item over 1 kB that can
    be weakly referenced: pass arrays one by one, not in a tuple).

    `backend` is "loky" (processes on this machine) or "dask" (the workers of
    the Dask cluster at `scheduler`, or of the client already created; there
    the cluster's worker threads set how many runs go at once, not `n_jobs`).
    Progress (`unit` done / total, elapsed, remaining) goes to stderr when it
    is a terminal; `progress=False` silences it, True forces it.
    `on_result(index, result)` is called here, in task order, as results
    arrive; a string it returns is printed to stdout above the progress line.
    """
    n_jobs = check_n_jobs(n_jobs, backend)
    if scheduler is not None and backend != "dask":
        raise ValueError(f"scheduler is the address of a Dask cluster, for backend='dask'; got backend={backend!r}")
    tasks = list(tasks)
    with Progress(len(tasks), desc, unit=unit, enabled=progress) as bar:
        if not tasks:
            return []
        if n_jobs == 1 and backend == "loky":
            with _one_blas_thread:
                return _collect((fn(task, *shared) for task in tasks), bar, on_result)
        joblib = _import_joblib(backend)
        client, owned = _dask_client(scheduler) if backend == "dask" else (None, False)
        try:
            return _collect(_joblib_results(joblib, fn, tasks, shared, n_jobs, backend), bar, on_result)
        finally:
            if owned:
                client.close()


def _collect(results: Iterable[R], bar: Progress, on_result: Callable[[int, R], str | None] | None) -> list[R]:
    """The results as a list, counting each on the progress line and passing it to on_result."""
    collected = []
    for index, result in enumerate(results):
        collected.append(result)
        message = None if on_result is None else on_result(index, result)
        if message is not None:
            bar.write(message)
        bar.update()
    return collected


def _joblib_results(
    joblib: Any, fn: Callable[..., R], tasks: list[T], shared: Sequence[Any], n_jobs: int, backend: str
) -> Iterator[R]:
    """fn(task, *shared) for each task, yielded in task order as joblib's workers finish them."""
    if backend == "loky":
        cores = joblib.cpu_count()  # joblib's count honours CPU affinity and container quotas
        # joblib's convention: -1 is every core, -2 all but one, ...
        workers = max(1, min(cores + 1 + n_jobs if n_jobs < 0 else n_jobs, len(tasks)))
        config = {"n_jobs": workers, "inner_max_num_threads": 1}
    else:
        config = {"n_jobs": n_jobs}  # the dask backend runs on every worker thread of the cluster
    run = joblib.delayed(_on_one_blas_thread)
    with joblib.parallel_config(backend=backend, **config):
        yield from joblib.Parallel(return_as="generator")(run(fn, task, *shared) for task in tasks)


class _OneBlasThread:
    """While any run is inside, BLAS and OpenMP run one thread in this process; the last to leave restores them.

    Counted rather than nested, so that runs on several threads of one process
    (an in-process Dask cluster) never restore the limit under each other.
    Without threadpoolctl it does nothing.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._limiter: Any = None

    def __enter__(self) -> None:
        with self._lock:
            if self._inside == 0:
                try:
                    from threadpoolctl import threadpool_limits
                except ImportError:
                    self._limiter = None
                else:
                    self._limiter = threadpool_limits(limits=1)
            self._inside += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0 and self._limiter is not None:
                self._limiter.restore_original_limits()
                self._limiter = None


_one_blas_thread = _OneBlasThread()


def _on_one_blas_thread(fn: Callable[..., R], task: T, *shared: Any) -> R:
    """fn(task, *shared) on one BLAS thread: what a worker (loky or Dask) runs for each task.

    """
    with _one_blas_thread:
        return fn(task, *shared)
