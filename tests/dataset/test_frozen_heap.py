"""A local cluster's workers import the library and freeze their heap before their first
task; the process that starts them is not frozen."""

import gc
import sys

from mvd_sim.dataset.frozen_heap import FrozenLibrary


def _heap() -> tuple[int, bool]:
    return gc.get_freeze_count(), "mvd_sim.dataset.runner" in sys.modules


def test_each_worker_imports_the_module_and_freezes_its_heap():
    from distributed import Client, LocalCluster

    frozen_here = gc.get_freeze_count()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as local, Client(local) as client:
        before = client.run(_heap)
        client.register_plugin(FrozenLibrary("mvd_sim.dataset.runner"))
        after = client.run(_heap)
    assert [count for count, _ in before.values()] == [0]
    (count, imported), = after.values()
    assert imported and count > 10_000   # the imported modules' objects, frozen
    assert gc.get_freeze_count() == frozen_here
