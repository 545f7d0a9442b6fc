"""A cluster's tasks: every case planned once, in runs of decreasing size cut at the shards'
bounds; each shard put together from its pieces in case order, whatever order they come
in; a shard made in pieces on two workers is the same bytes as one made whole."""

import random

import pytest

from mvd_sim.dataset import tasks
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.runner import ShardRows, _shards, generate

from tests.dataset.test_runner import tables


@pytest.mark.parametrize("n, shard_size, workers", [(240, 10, 2), (240, 50, 2), (7, 3, 2),
                                                    (1000, 1000, 4), (5000, 50, 1), (1, 1, 8)])
def test_every_case_is_planned_once_in_order_in_shrinking_runs_within_the_shards(
        n, shard_size, workers):
    shards = _shards(n, shard_size)
    planned = list(tasks.plan(shards, workers))
    pieces = [piece for task in planned for piece in task.pieces]
    assert [case for _, start, stop in pieces for case in range(start, stop)] == list(range(n))
    bounds = {shard: (start, stop) for shard, start, stop in shards}
    assert all(bounds[shard][0] <= start < stop <= bounds[shard][1]
               for shard, start, stop in pieces)
    sizes = [sum(stop - start for _, start, stop in task.pieces) for task in planned]
    assert sizes == sorted(sizes, reverse=True)
    assert max(sizes) <= tasks.MAX_TASK_CASES
    assert min(sizes[:-1], default=tasks.MIN_TASK_CASES) >= tasks.MIN_TASK_CASES
    assert sizes[0] == min(max(-(-n // (tasks.TASKS_PER_WORKER * workers)),
                               tasks.MIN_TASK_CASES), tasks.MAX_TASK_CASES, n)


def test_fewer_and_smaller_last_tasks_than_one_a_shard():
    planned = list(tasks.plan(_shards(240, 10), 2))
    assert len(planned) < 24
    assert [sum(b - a for _, a, b in t.pieces) for t in planned[-3:]] == [2, 2, 2]
    assert str(planned[-1]) == "cases 238-239"


def _rows(start: int, stop: int) -> ShardRows:
    return ShardRows([{"case": i} for i in range(start, stop)],
                     [{"case": i, "contact": c}
                      for i in range(start, stop) for c in range(i % 3)],
                     [[f"meshes/case{i:07d}.vtp", i] for i in range(start, stop)])


def test_each_shard_is_put_together_in_case_order_whatever_order_its_pieces_come_in():
    shards = _shards(97, 20)
    planned = list(tasks.plan(shards, 3))
    done = [(task, tasks.task_rows(_rows, task)) for task in planned]
    random.Random(1).shuffle(done)
    made = list(tasks.assembled(done, shards, ShardRows.joined))
    assert sorted(shard for shard, _ in made) == [shard for shard, _, _ in shards]
    for shard, rows in made:
        _, start, stop = shards[shard]
        assert rows == _rows(start, stop)


def test_a_shard_made_in_pieces_on_two_workers_is_the_same_bytes(tmp_path):
    def run(out, **options):
        return generate(4, 11, out, load_priors(), shard_size=4, **options)

    assert [len(t.pieces) for t in tasks.plan(_shards(4, 4), 2)] == [1, 1]  # two pieces
    run(tmp_path / "whole")
    run(tmp_path / "pieces", workers=2)
    assert tables(tmp_path / "pieces") == tables(tmp_path / "whole")
