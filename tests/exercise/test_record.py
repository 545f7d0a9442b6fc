"""The trainees' record: migrations, an interrupted write leaves no partial attempt, two
graders writing at once both land, CSV export."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from mvd_sim.core.errors import MvdSimError
from mvd_sim.exercise.grade import Grade, ItemResult
from mvd_sim.exercise.record import (SCHEMA_VERSION, add_attempt, attempts, attempts_csv,
                                     open_record)
from mvd_sim.exercise.rubric import RUBRIC


def _grade(lost: dict[str, float] | None = None, items=None) -> Grade:
    lost = lost or {}
    items = items if items is not None else tuple(
        ItemResult(i.key, i.part, i.points - lost.get(i.key, 0.0), i.points) for i in RUBRIC)
    return Grade("easy-s0", "easy", items, "decompressed")


def _counts(path) -> tuple[int, int]:
    with sqlite3.connect(path) as db:
        return (db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0],
                db.execute("SELECT COUNT(*) FROM items").fetchone()[0])


def test_a_new_record_is_migrated_and_an_attempt_keeps_its_items(tmp_path):
    path = tmp_path / "record.sqlite"
    with open_record(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        add_attempt(db, "ana", _grade({"segment": 4.0}))
        add_attempt(db, "ana", _grade())
        add_attempt(db, "ben", _grade())
        rows = attempts(db, "ana")
    assert [(a.identification, a.operation, a.total) for a in rows] == \
        [(16.0, 25.0, 41.0), (20.0, 25.0, 45.0)]
    assert _counts(path) == (3, 3 * len(RUBRIC))


def test_a_record_newer_than_this_mvd_sim_is_refused(tmp_path):
    path = tmp_path / "record.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(MvdSimError, match=r"record.sqlite: the record's schema is version "
                                          r"2, newer than this mvd-sim's \(1\)"):
        with open_record(path):
            pass


def test_an_exception_mid_transaction_leaves_no_partial_attempt(tmp_path):
    path = tmp_path / "record.sqlite"
    with open_record(path) as db:
        add_attempt(db, "ana", _grade())
        # the attempt's row goes in, then its items fail (one item twice: its primary key)
        twice = _grade().items + (_grade().items[0],)
        with pytest.raises(sqlite3.IntegrityError):
            add_attempt(db, "ana", _grade(items=twice))
        assert [a.id for a in attempts(db, "ana")] == [1]
    assert _counts(path) == (1, len(RUBRIC))


#: A grade as add_attempt reads it, whose items are made by ITEMS (a generator function):
#: the writers' scripts use it so as not to import the mechanics.
_GRADE_SCRIPT = """
import os, sys, time
from pathlib import Path
from mvd_sim.exercise.record import add_attempt, open_record
from mvd_sim.exercise.rubric import RUBRIC

class Item:
    def __init__(self, rubric_item):
        self.key, self.part, self.points = rubric_item.key, rubric_item.part, rubric_item.points
        self.max_points, self.errors = rubric_item.points, ()

class Graded:
    exercise, level, status = "easy-s0", "easy", "decompressed"
    def score(self, part=None):
        return sum(i.points for i in RUBRIC if part in (None, i.part))
    max_score = score
    @property
    def items(self):
        return ITEMS()
"""


def _writer(path, items: str, then: str) -> str:
    return _GRADE_SCRIPT + textwrap.dedent(items) + textwrap.dedent(then).replace(
        "PATH", repr(str(path)))


def test_a_process_killed_mid_transaction_leaves_no_partial_attempt(tmp_path):
    path = tmp_path / "record.sqlite"
    with open_record(path) as db:
        add_attempt(db, "ana", _grade())
    # the items are read after the attempt's row is written: the process dies there
    script = _writer(path, """
        def ITEMS():
            yield from ()
            os._exit(9)
        """, """
        with open_record(PATH) as db:
            add_attempt(db, "ana", Graded())
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 9, done.stderr
    with open_record(path) as db:
        assert [a.id for a in attempts(db, "ana")] == [1]
    assert _counts(path) == (1, len(RUBRIC))


def test_two_graders_at_once_both_land(tmp_path):
    path = tmp_path / "record.sqlite"
    with open_record(path):
        pass
    # both start writing together (a go file), and each holds its transaction open about
    # 0.6 s while its items come, so the two overlap: the second waits, then lands
    script = _writer(path, """
        def ITEMS():
            for i in RUBRIC:
                time.sleep(0.05)
                yield Item(i)
        """, """
        folder = Path(PATH).parent
        (folder / f"ready-{sys.argv[1]}").touch()
        while not (folder / "go").exists():
            time.sleep(0.01)
        with open_record(PATH) as db:
            for _ in range(3):
                add_attempt(db, sys.argv[1], Graded())
        """)
    writers = [subprocess.Popen([sys.executable, "-c", script, name], stderr=subprocess.PIPE,
                                text=True) for name in ("ana", "ben")]
    while not all((tmp_path / f"ready-{name}").exists() for name in ("ana", "ben")):
        assert all(w.poll() is None for w in writers), [w.stderr.read() for w in writers]
        time.sleep(0.01)
    (tmp_path / "go").touch()
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read()
    with open_record(path) as db:
        assert len(attempts(db, "ana")) == 3 and len(attempts(db, "ben")) == 3
    assert _counts(path) == (6, 6 * len(RUBRIC))


def test_the_csv_has_one_row_per_attempt_with_each_items_points(tmp_path):
    with open_record(tmp_path / "record.sqlite") as db:
        add_attempt(db, "ana", _grade({"pattern": 4.0, "rez_spared": 2.0}))
        text = attempts_csv(db, "ana")
    header, row = [line.split(",") for line in text.splitlines()]
    values = dict(zip(header, row))
    assert values["total"] == "39.0" and values["pattern"] == "0.0"
    assert values["rez_spared"] == "0.0" and values["culprits"] == "8.0"


def test_an_empty_trainee_name_is_refused(tmp_path):
    with open_record(tmp_path / "record.sqlite") as db:
        with pytest.raises(MvdSimError, match="^--trainee: a trainee's name is needed"):
            add_attempt(db, " ", _grade())
