"""A cluster's tasks: the shards still to make cut into runs of cases of decreasing size,
and each shard's rows put together again from its pieces (issue #27, part 34).

A task costs the cluster some 6 ms of CPU whatever it holds (submitting it, the scheduler's
transitions, fetching its result and releasing it: 3-4 ms in the main process, 2-3 ms in
the worker), and a run ends when its last task does, so one task a shard either spends
that overhead on every small shard or leaves a worker idle at the end while the other
finishes a large one. Here each task takes the cases still unplanned divided by
:data:`TASKS_PER_WORKER` times the workers (guided self-scheduling), between
:data:`MIN_TASK_CASES` and :data:`MAX_TASK_CASES`: a few large tasks first, small ones last,
cut at the shards' bounds into pieces. A case's rows depend only on (seed, number of cases,
its index), so a shard made in pieces by several workers is the same shard, written by the
main process as before once its last piece is in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["TASKS_PER_WORKER", "MIN_TASK_CASES", "MAX_TASK_CASES", "Piece", "Rows", "Task",
           "plan", "task_rows", "assembled"]

#: Each task takes the unplanned cases over this many times the workers: the first tasks
#: are large, and the last ones, planned when few cases are left, small.
TASKS_PER_WORKER = 2
#: Fewest cases a task holds (the last ones): its overhead stays under a third of its work.
MIN_TASK_CASES = 2
#: Most cases a task holds: what a worker holds in memory and the main process waits for
#: between writes stays small however many cases a run has.
MAX_TASK_CASES = 100

#: (shard, first case, one past the last case): a run of one shard's cases.
Piece = tuple[int, int, int]
#: A run of cases' rows (the runner's ``ShardRows``).
Rows = TypeVar("Rows")


@dataclass(frozen=True)
class Task:
    """One task's consecutive runs of cases, each within one shard."""

    pieces: tuple[Piece, ...]

    def __str__(self) -> str:
        return f"cases {self.pieces[0][1]}-{self.pieces[-1][2] - 1}"


def plan(todo: Sequence[Piece], workers: int) -> Iterator[Task]:
    """The cases of the shards ``todo`` (each ``(shard, start, stop)``) as tasks for
    ``workers`` workers, in order: each task's pieces are consecutive cases cut at the
    shards' bounds; together they hold every case of ``todo`` once."""
    left = sum(stop - start for _, start, stop in todo)
    shards = iter(todo)
    shard, at, stop = -1, 0, 0  # the next case to plan is ``at`` of ``shard``, ending at stop
    while left:
        size = min(max(math.ceil(left / (TASKS_PER_WORKER * max(workers, 1))),
                       MIN_TASK_CASES), MAX_TASK_CASES, left)
        task, left = [], left - size
        while size:
            if at == stop:
                shard, at, stop = next(shards)
                continue
            take = min(size, stop - at)
            task.append((shard, at, at + take))
            size, at = size - take, at + take
        yield Task(tuple(task))


def task_rows(job: Callable[[int, int], Rows], task: Task) -> list[Rows]:
    """Each of ``task``'s pieces' rows (``job(start, stop)``), in order (runs on a worker)."""
    return [job(start, stop) for _, start, stop in task.pieces]


def assembled(done: Iterable[tuple[Task, list[Rows]]], todo: Iterable[Piece],
              join: Callable[[list[Rows]], Rows]) -> Iterator[tuple[int, Rows]]:
    """``(shard, rows)`` for each shard of ``todo`` as soon as every piece of it is among the
    ``(task, its pieces' rows)`` of ``done`` (in any order), its pieces' rows joined in case
    order by ``join``."""
    wanted = {shard: stop - start for shard, start, stop in todo}
    parts: dict[int, list[tuple[int, Rows]]] = {}
    for task, rows in done:
        for (shard, start, stop), made in zip(task.pieces, rows):
            have = parts.setdefault(shard, [])
            have.append((start, made))
            wanted[shard] -= stop - start
            if not wanted[shard]:
                yield shard, join([made for _, made in sorted(
                    parts.pop(shard), key=lambda part: part[0])])
