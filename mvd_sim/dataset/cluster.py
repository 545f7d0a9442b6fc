"""Running shards on dask.distributed: a local cluster or an existing scheduler, the work
streamed with a bounded number of shards in flight, and a quiet end on Ctrl-C.

- :func:`connect` joins a scheduler, or says in one line that none answers within
  :data:`SCHEDULER_TIMEOUT_S`.
- :func:`local_cluster` starts single-threaded worker processes whose standard error goes
  to a log file: a Ctrl-C reaches every process of the terminal's group, so each worker
  stops with a report of its own, which the user need not see; the main process then
  closes the cluster (its workers included) with distributed's logging silenced and the
  CLI says one line. Each worker imports the module given and freezes its heap
  (:class:`mvd_sim.dataset.frozen_heap.FrozenLibrary`) before its first task.
- :func:`stream` keeps :data:`TASKS_IN_FLIGHT_PER_WORKER` tasks per worker submitted and
  yields results as they complete, so memory stays bounded whatever the number of cases and
  the main process writes each shard as it comes (the tasks: :mod:`mvd_sim.dataset.tasks`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from mvd_sim.core.errors import MvdSimError

__all__ = ["SCHEDULER_TIMEOUT_S", "TASKS_IN_FLIGHT_PER_WORKER", "LOCAL_CLUSTER_CONFIG",
           "CLOSE_TIMEOUT_S", "connect", "local_cluster", "stream", "in_flight",
           "worker_count"]

#: Seconds to wait for ``--scheduler`` to answer before giving up.
SCHEDULER_TIMEOUT_S = 10.0
#: Seconds to wait for a cluster to close (a worker still busy is then killed).
CLOSE_TIMEOUT_S = 10.0
#: Tasks kept submitted per worker: enough to keep each busy while its last result travels
#: back, few enough that a run of millions of cases holds a handful of tasks' rows in memory.
TASKS_IN_FLIGHT_PER_WORKER = 2
# dask settings of the local cluster ``--workers`` starts: the cases are pure Python, and the
# workers' 10 ms stack sampler and 20 ms event-loop tick would take the GIL from them (see
# the README's dataset speed), so it runs without the sampler and ticks once a second; the
# workers' and nannies' memory checks (psutil, every 100 ms: half of an idle cluster's CPU,
# 27 -> 13 ms a second) run once a second, ample for shards of a few MB
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False,
                        "distributed.admin.tick.interval": "1s",
                        "distributed.worker.memory.monitor-interval": "1s"}
_QUIET = logging.CRITICAL + 1
_LOGGERS = ("distributed", "tornado", "asyncio")


@contextmanager
def connect(address: str) -> Iterator:
    """A client of the dask.distributed scheduler at ``address``, closed on exit.

    Raises
    ------
    MvdSimError
        One line naming the address when it is malformed, or when no scheduler answers
        there within :data:`SCHEDULER_TIMEOUT_S`.
    """
    from distributed import Client
    from distributed.comm.addressing import get_address_host_port

    try:  # first: a client made with a malformed address hangs when it is collected
        get_address_host_port(address)
    except (ValueError, TypeError) as err:
        raise MvdSimError(f"--scheduler {address}: not a scheduler address "
                          f"({_one_line(err)}); expected e.g. tcp://HOST:8786") from None
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise MvdSimError(f"--scheduler {address}: no dask scheduler answered within "
                          f"{SCHEDULER_TIMEOUT_S:g} s ({_one_line(err)})") from None
    try:
        yield client
    finally:
        _close(client, None)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


@contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send this process's standard error (file descriptor 2) to the end of ``path`` for the
    duration: processes started meanwhile keep it."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
    except OSError as err:
        os.close(saved)
        raise MvdSimError(f"{path}: cannot write: {err.strerror or err}") from None
    try:
        os.dup2(log, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(log)


@contextmanager
def local_cluster(workers: int, log: Path, module: str) -> Iterator:
    """A client of a new local cluster of ``workers`` single-threaded processes (with
    :data:`LOCAL_CLUSTER_CONFIG`), each of which imports ``module`` (the code its tasks
    run) and freezes its heap at its start
    (:class:`mvd_sim.dataset.frozen_heap.FrozenLibrary`), closed with its workers on exit,
    whatever ends it.

    The workers' standard error goes to ``log`` (appended to): a Ctrl-C reaches every
    process of the terminal's process group, and each worker's own report of it would
    otherwise follow this process's one line.
    """
    import dask
    from distributed import Client, LocalCluster

    from mvd_sim.dataset.frozen_heap import FrozenLibrary

    cluster = client = None
    try:
        with dask.config.set(LOCAL_CLUSTER_CONFIG), _stderr_to(log):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster, set_as_default=False)
        client.register_plugin(FrozenLibrary(module))
        yield client
    finally:
        _close(client, cluster)


def _close(client, cluster) -> None:
    """Close a client and its cluster, saying nothing: distributed's shutdown messages (a
    worker's stream closing mid-task, a worker gone at Ctrl-C) are expected here, not news."""
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(_QUIET)
    try:
        if client is not None:
            client.close(timeout=CLOSE_TIMEOUT_S)
        if cluster is not None:
            cluster.close(timeout=CLOSE_TIMEOUT_S)
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def worker_count(client) -> int:
    """How many workers ``client``'s cluster has now (at least 1)."""
    return max(len(client.scheduler_info().get("workers", {})), 1)


def in_flight(client) -> int:
    """How many tasks :func:`stream` keeps submitted on ``client``'s cluster."""
    return TASKS_IN_FLIGHT_PER_WORKER * worker_count(client)


def stream(client, function: Callable, calls: Iterable[tuple[object, tuple]], limit: int
           ) -> Iterator[tuple[object, object]]:
    """Run ``function(*args)`` for each ``(key, args)`` of ``calls`` on the cluster, at most
    ``limit`` at a time, yielding ``(key, result)`` as each completes.

    What is still submitted when the caller stops (an error, an interrupt) is cancelled.

    Raises
    ------
    MvdSimError
        When the workers that ran a call all died (``KilledWorker``).
    """
    from distributed import KilledWorker, as_completed

    calls = iter(calls)
    keys = {}
    running = as_completed(loop=client.loop)

    def submit_next() -> None:
        for key, args in islice(calls, 1):
            future = client.submit(function, *args, pure=False)
            keys[future] = key
            running.add(future)

    for _ in range(limit):
        submit_next()
    try:
        for future in running:
            key = keys.pop(future)
            try:
                result = future.result()
            except KilledWorker:
                raise MvdSimError(f"{key}: every worker that ran it died (out of memory?)"
                                  ) from None
            future.release()
            submit_next()
            yield key, result
    finally:
        if keys:
            client.cancel(list(keys))
