"""The trainees' record: every graded attempt with its scores and per-item results, in one
SQLite file (standard library ``sqlite3``).

- The schema is versioned with ``PRAGMA user_version``: :data:`MIGRATIONS` are applied in
  order, each in its own transaction with the version it brings, so a record made by an
  older mvd-sim is brought up to date when opened and a newer one is refused.
- An attempt and its items are written in one ``BEGIN IMMEDIATE`` transaction: an
  interrupted write (an exception, a killed process) leaves no partial attempt.
- WAL journal mode and a busy timeout (:data:`BUSY_TIMEOUT_S`) let two graders write at
  once: the second waits for the first's transaction instead of failing.

The record's default place is ``trainees.sqlite`` in the user's data folder (platformdirs),
or ``$MVD_SIM_EXERCISE_RECORD``.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mvd_sim.core.errors import MvdSimError

if TYPE_CHECKING:   # the grade's module loads the mechanics; the record needs none of it
    from mvd_sim.exercise.grade import Grade

__all__ = ["RECORD_ENV", "MIGRATIONS", "SCHEMA_VERSION", "BUSY_TIMEOUT_S", "Attempt",
           "default_record_path", "open_record", "add_attempt", "attempts", "attempts_csv"]

RECORD_ENV = "MVD_SIM_EXERCISE_RECORD"
#: Seconds a writer waits for another's transaction before giving up.
BUSY_TIMEOUT_S = 30.0
#: The schema's migrations: ``MIGRATIONS[k]`` takes ``user_version`` k to k + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        trainee TEXT NOT NULL,
        exercise TEXT NOT NULL,
        level TEXT NOT NULL,
        graded_at TEXT NOT NULL,
        identification REAL NOT NULL,
        identification_max REAL NOT NULL,
        operation REAL NOT NULL,
        operation_max REAL NOT NULL,
        status TEXT NOT NULL
    );
    CREATE INDEX attempts_by_trainee ON attempts (trainee, id);
    CREATE TABLE items (
        attempt_id INTEGER NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
        item TEXT NOT NULL,
        part TEXT NOT NULL,
        points REAL NOT NULL,
        max_points REAL NOT NULL,
        errors TEXT NOT NULL,
        PRIMARY KEY (attempt_id, item)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Attempt:
    """One graded attempt as recorded (scores in points)."""

    id: int
    trainee: str
    exercise: str
    level: str
    graded_at: str
    identification: float
    identification_max: float
    operation: float
    operation_max: float
    status: str

    @property
    def total(self) -> float:
        return self.identification + self.operation

    @property
    def total_max(self) -> float:
        return self.identification_max + self.operation_max


def default_record_path() -> Path:
    """``$MVD_SIM_EXERCISE_RECORD``, else ``trainees.sqlite`` in the user's data folder."""
    if os.environ.get(RECORD_ENV):
        return Path(os.environ[RECORD_ENV])
    from platformdirs import user_data_dir

    return Path(user_data_dir("mvd-sim", appauthor=False)) / "trainees.sqlite"


def _migrate(db: sqlite3.Connection, source: Path) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION`, one transaction per migration."""
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise MvdSimError(f"{source}: the record's schema is version {version}, newer "
                                  f"than this mvd-sim's ({SCHEMA_VERSION}); upgrade mvd-sim")
            if version == SCHEMA_VERSION:
                db.execute("COMMIT")
                return
            for statement in filter(str.strip, MIGRATIONS[version].split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


@contextmanager
def open_record(path: str | os.PathLike | None = None) -> Iterator[sqlite3.Connection]:
    """The record (created and migrated if need be), closed on leaving.

    Raises
    ------
    MvdSimError
        One line naming the file: it cannot be opened or is not a record.
    """
    path = Path(path) if path is not None else default_record_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (OSError, sqlite3.Error) as err:
        raise MvdSimError(f"{path}: cannot open the trainees' record: {err}") from None
    with closing(db):
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA foreign_keys = ON")
            _migrate(db, path)
        except sqlite3.DatabaseError as err:
            raise MvdSimError(f"{path}: not a trainees' record ({err})") from None
        yield db


def add_attempt(db: sqlite3.Connection, trainee: str, grade: Grade,
                when: datetime | None = None) -> int:
    """Record a graded attempt (:class:`~mvd_sim.exercise.grade.Grade`) and its items in one
    transaction; returns its id. Should anything fail before the commit, nothing of the
    attempt is recorded."""
    if not trainee.strip():
        raise MvdSimError("--trainee: a trainee's name is needed (not empty)")
    when = when or datetime.now(timezone.utc)
    db.execute("BEGIN IMMEDIATE")
    try:
        cursor = db.execute(
            "INSERT INTO attempts (trainee, exercise, level, graded_at, identification, "
            "identification_max, operation, operation_max, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (trainee, grade.exercise, grade.level, when.isoformat(timespec="seconds"),
             grade.score("identification"), grade.max_score("identification"),
             grade.score("operation"), grade.max_score("operation"), grade.status))
        attempt_id = int(cursor.lastrowid)
        db.executemany(
            "INSERT INTO items (attempt_id, item, part, points, max_points, errors) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(attempt_id, i.key, i.part, i.points, i.max_points, "\n".join(i.errors))
             for i in grade.items])
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return attempt_id


def attempts(db: sqlite3.Connection, trainee: str) -> list[Attempt]:
    """A trainee's attempts, oldest first."""
    rows = db.execute("SELECT id, trainee, exercise, level, graded_at, identification, "
                      "identification_max, operation, operation_max, status FROM attempts "
                      "WHERE trainee = ? ORDER BY id", (trainee,)).fetchall()
    return [Attempt(*row) for row in rows]


def attempts_csv(db: sqlite3.Connection, trainee: str) -> str:
    """A trainee's attempts as CSV: one row per attempt, then each item's points."""
    from mvd_sim.exercise.rubric import RUBRIC

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["attempt", "trainee", "exercise", "level", "graded_at", "identification",
                     "identification_max", "operation", "operation_max", "total", "status",
                     *(i.key for i in RUBRIC)])
    for a in attempts(db, trainee):
        points = dict(db.execute("SELECT item, points FROM items WHERE attempt_id = ?",
                                 (a.id,)).fetchall())
        writer.writerow([a.id, a.trainee, a.exercise, a.level, a.graded_at, a.identification,
                         a.identification_max, a.operation, a.operation_max, a.total, a.status,
                         *(points.get(i.key, "") for i in RUBRIC)])
    return out.getvalue()
