"""Dask: work streamed with a bounded number of tasks in flight; a scheduler that does not
answer, or a malformed address, is one line within the timeout."""

import socket
import threading
import time

import pytest

from mvd_sim.dataset import cluster
from mvd_sim.core.errors import MvdSimError

_running = {"now": 0, "most": 0}
_lock = threading.Lock()


def _task(x: int) -> int:
    """A task that notes how many run at once."""
    with _lock:
        _running["now"] += 1
        _running["most"] = max(_running["most"], _running["now"])
    time.sleep(0.05)
    with _lock:
        _running["now"] -= 1
    return x * x


def test_stream_keeps_at_most_the_limit_in_flight():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=4, processes=False,
                      dashboard_address=None) as local, Client(local) as client:
        calls = ((k, (k,)) for k in range(10))
        results = dict(cluster.stream(client, _task, calls, limit=2))
    assert results == {k: k * k for k in range(10)}
    assert _running["most"] == 2  # four threads would run four if all were submitted


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_scheduler_that_does_not_answer_is_one_line_within_the_timeout(monkeypatch):
    monkeypatch.setattr(cluster, "SCHEDULER_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    started = time.perf_counter()
    with pytest.raises(MvdSimError, match=f"--scheduler {address}: no dask scheduler "
                                          "answered within 1 s") as err:
        with cluster.connect(address):
            pass
    assert time.perf_counter() - started < 5.0
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("address", ["nonsense::", "localhost", "bogus://host:1"])
def test_a_malformed_scheduler_address_is_one_line(address):
    with pytest.raises(MvdSimError, match="not a scheduler address") as err:
        with cluster.connect(address):
            pass
    assert "\n" not in str(err.value)
