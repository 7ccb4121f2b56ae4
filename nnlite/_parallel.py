"""Run independent runs of a study in worker processes, on this machine or a Dask cluster.

    results = run_parallel(train_one, tasks, n_jobs=2)          # loky processes (joblib)
    results = run_parallel(train_one, tasks, n_jobs=-1, backend="dask", scheduler="tcp://host:8786")

`fn(task)` is called once per task and the results come back in the order of
`tasks`, whatever `n_jobs` or the backend. Each run must draw its randomness
from its own task (a seed), never from shared state, so results are identical
for every `n_jobs`. `n_jobs=1` is a plain loop in this process and needs
nothing installed; anything else needs joblib, the optional extra
`parallel` (and `dask[distributed]` for the dask backend).

Inside loky workers joblib limits the BLAS/OpenMP threads so that n_jobs
workers on n cores do not oversubscribe them; `inner_max_num_threads` makes
that explicit (one thread per worker unless there are spare cores).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ._progress import Progress

__all__ = ["run_parallel", "check_n_jobs", "BACKENDS"]

T = TypeVar("T")
R = TypeVar("R")

BACKENDS = ("loky", "dask")
_INSTALL_HINT = 'pip install -e ".[parallel]" (in the nnlite checkout) or: pip install joblib'
_DASK_HINT = 'pip install -e ".[dask]" (in the nnlite checkout) or: pip install "dask[distributed]" joblib'


def check_n_jobs(n_jobs: Any, backend: str = "loky") -> int:
    """Validate `n_jobs` (a non-zero int; -1 means every core) and `backend`; return n_jobs."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (1: no workers, -1: every core), got {n_jobs!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    return n_jobs


def _import_joblib(backend: str) -> Any:
    try:
        import joblib
    except ImportError:
        hint = _DASK_HINT if backend == "dask" else _INSTALL_HINT
        raise ImportError(
            f"n_jobs other than 1 runs the runs in worker processes through joblib, which is not installed: {hint}"
        ) from None
    return joblib


def _dask_client(scheduler: str | None) -> tuple[Any, bool]:
    """The Dask client to run on, and whether this call created it (and must close it)."""
    try:
        from dask.distributed import Client, get_client
    except ImportError:
        raise ImportError(f"backend='dask' needs dask.distributed, which is not installed: {_DASK_HINT}") from None
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
    fn: Callable[[T], R],
    tasks: Iterable[T],
    *,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    desc: str = "",
    progress: bool | None = None,
) -> list[R]:
    """`[fn(task) for task in tasks]`, run by `n_jobs` workers, in the order of `tasks`.

    `backend` is "loky" (processes on this machine) or "dask" (the workers of
    the Dask cluster at `scheduler`, or of the client already created).
    Progress (runs done / total, elapsed, remaining) goes to stderr when it is
    a terminal; `progress=False` silences it, True forces it.
    """
    n_jobs = check_n_jobs(n_jobs, backend)
    tasks = list(tasks)
    with Progress(len(tasks), desc, enabled=progress) as bar:
        if n_jobs == 1 and backend == "loky":
            results = []
            for task in tasks:
                results.append(fn(task))
                bar.update()
            return results
        joblib = _import_joblib(backend)
        client, owned = _dask_client(scheduler) if backend == "dask" else (None, False)
        try:
            workers = min(len(tasks), os.cpu_count() or 1) if n_jobs == -1 and backend == "loky" else n_jobs
            inner = 1 if backend == "loky" else None
            with joblib.parallel_config(backend=backend, n_jobs=workers, inner_max_num_threads=inner):
                ordered = joblib.Parallel(return_as="generator")(joblib.delayed(fn)(task) for task in tasks)
                results = []
                for result in ordered:
                    results.append(result)
                    bar.update()
            return results
        finally:
            if owned:
                client.close()
