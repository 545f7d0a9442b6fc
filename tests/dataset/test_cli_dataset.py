"""``mvd-sim dataset`` run as a user would: two runs into one folder, Ctrl-C on a
two-worker run, a full disk, bad options and files; each ends in one line, and what was
finished is kept and resumed to the same bytes as a run that was never stopped."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

from mvd_sim.dataset import store
from mvd_sim.dataset.priors import DEFAULT_PRIORS_PATH

from ..test_cli import assert_one_error_line, run_cli
from .test_runner import tables

# a two-worker run long enough to be stopped after its first shard: 200 shards, a second or
# more after the first even at issue #27's 200 cases a second a worker (at 60 cases, the
# run had finished before the Ctrl-C arrived once the dataset ran 75 a second)
WORKERS_RUN_CASES = 400
WORKERS_RUN = ("--n", str(WORKERS_RUN_CASES), "--seed", "7", "--shard-size", "2",
               "--workers", "2")
WORKERS_RUN_SHARDS = WORKERS_RUN_CASES // 2


def _start(*args: str, cwd: Path) -> subprocess.Popen:
    """Start the CLI in a session of its own (as a terminal's foreground job)."""
    env = {k: v for k, v in os.environ.items() if k != "MVD_SIM_DEBUG"}
    return subprocess.Popen([sys.executable, "-m", "mvd_sim", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _journalled(folder: Path) -> int:
    """Shards the journal of a dataset folder records as finished."""
    try:
        return (folder / store.JOURNAL_NAME).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _wait_for_a_shard(folder: Path, process: subprocess.Popen, timeout_s=120.0) -> None:
    """Wait until the run (still alive) has finished and recorded a shard."""
    deadline = time.monotonic() + timeout_s
    while not _journalled(folder):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"no shard after {timeout_s} s"
        time.sleep(0.05)


def _live_processes_of_session(session: int) -> list[int]:
    """Processes (not zombies) of a session."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, _, _, sid = stat[stat.rindex(")") + 2:].split()[:4]
        if int(sid) == session and state != "Z":
            found.append(int(entry))
    return found


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("uninterrupted")
    result = run_cli("dataset", *WORKERS_RUN, "-o", "ds", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd / "ds"


def test_the_tables_read_in_one_call(uninterrupted):
    cases = pd.read_parquet(uninterrupted / "cases")
    assert sorted(cases["case"]) == list(range(WORKERS_RUN_CASES))
    vessels = ["AICA", "PICA", "VA", "BA", "vein"]
    # vessel types in order, then a lesion (a case of another cause, issue #26)
    rank = {kind: k for k, kind in enumerate(vessels)}
    assert all(list(c) == sorted(c, key=lambda kind: (rank.get(kind, len(vessels)), kind))
               for c in cases["culprits"])
    lesions = [(row.cause, set(row.culprits) - set(vessels))
               for row in cases.itertuples() if set(row.culprits) - set(vessels)]
    assert all(cause in ("tumour", "aneurysm", "avm") for cause, _ in lesions)
    assert set(cases["cause"]) <= {"vascular", "tumour", "avm", "aneurysm", "dolichoectasia",
                                   "arachnoid_band"}
    contacts = ds.dataset(uninterrupted / "contacts").to_table()
    assert contacts.num_rows == sum(cases["cn7_contact_count"]) + \
        sum(1 for n in contacts.column("nerve").to_pylist() if n == "CN8")
    assert not (uninterrupted / store.MESHES_DIR).exists()


def test_ctrl_c_on_two_workers_is_one_line_and_resumes_to_the_same_bytes(uninterrupted,
                                                                         tmp_path):
    run = _start("dataset", *WORKERS_RUN, "-o", "ds", cwd=tmp_path)
    _wait_for_a_shard(tmp_path / "ds", run)
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, stderr = run.communicate(timeout=60)
    assert (run.returncode, stderr) == (130, "mvd-sim: interrupted\n")
    deadline = time.monotonic() + 10
    while _live_processes_of_session(run.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _live_processes_of_session(run.pid) == []  # no worker left behind
    assert 1 <= _journalled(tmp_path / "ds") < WORKERS_RUN_SHARDS
    assert ds.dataset(tmp_path / "ds" / "cases").to_table().num_rows >= 2
    resumed = run_cli("dataset", *WORKERS_RUN, "-o", "ds", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "already there" in resumed.stdout and " 0 already there" not in resumed.stdout
    assert tables(tmp_path / "ds") == tables(uninterrupted)


def test_a_damaged_shard_is_made_again_by_the_cli(uninterrupted, tmp_path):
    shutil.copytree(uninterrupted, tmp_path / "ds")
    part = tmp_path / "ds" / "cases" / "part-00003.parquet"
    part.write_bytes(part.read_bytes()[:-64])  # cut short by a crash or a full disk
    result = run_cli("dataset", *WORKERS_RUN[:-2], "-o", "ds", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"1 shard(s) new, {WORKERS_RUN_SHARDS - 1} already there" in result.stdout
    assert tables(tmp_path / "ds") == tables(uninterrupted)


def test_two_runs_into_one_folder(tmp_path):
    # long enough to be still running when the other two have failed (it is interrupted)
    first = _start("dataset", "--n", "4000", "--seed", "1", "-o", "ds", "--shard-size", "2",
                   cwd=tmp_path)
    try:
        _wait_for_a_shard(tmp_path / "ds", first)
        others = [_start("dataset", "--n", "4000", "--seed", seed, "-o", "ds",
                         "--shard-size", "2", cwd=tmp_path) for seed in ("1", "2")]
        for other in others:
            _, stderr = other.communicate(timeout=60)
            assert other.returncode == 1
            assert_one_error_line(stderr, "ds: another mvd-sim run is writing into this "
                                          "folder")
        assert first.poll() is None  # the first went on meanwhile
    finally:
        first.send_signal(signal.SIGINT)
        _, stderr = first.communicate(timeout=60)
    assert (first.returncode, stderr) == (130, "mvd-sim: interrupted\n"), stderr


@pytest.mark.parametrize("args, fragment", [
    (("--seed", "-1"), "--seed: must be a whole number from 0 to 9223372036854775807"),
    (("--seed", str(2**63)), "--seed: must be a whole number from 0 to"),
    (("--seed", "1", "--workers", "0"), "--workers: must be a whole number of at least 1"),
    (("--seed", "1", "--shard-size", "0"), "--shard-size: must be"),
])
def test_bad_options_are_one_line_and_write_nothing(tmp_path, args, fragment):
    result = run_cli("dataset", "--n", "2", *args, "-o", "ds", cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, fragment)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("old, new, field", [
    ("side_given_va: {left: 0.658, right: 0.342}",
     "side_given_va: {left: 1.0e+308, right: 1.0e+308}",
     "side_given_va: the weights' sum overflows"),
    ("sd: 5.0, low: 60.0", "sd: .inf, low: 60.0", "crossing_angle_deg.sd"),
])
def test_priors_that_cannot_be_drawn_from_are_one_line_and_write_nothing(tmp_path, old, new,
                                                                         field):
    text = DEFAULT_PRIORS_PATH.read_text(encoding="utf-8")
    (tmp_path / "p.yaml").write_text(text.replace(old, new), encoding="utf-8")
    args = ("dataset", "--n", "1", "--seed", "1", "-o", "ds", "--priors", "p.yaml")
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "p.yaml", field)
    assert not (tmp_path / "ds").exists()
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")  # corrected: it runs
    assert run_cli(*args, cwd=tmp_path).returncode == 0


def test_an_unreachable_scheduler_is_one_line_within_the_timeout(tmp_path):
    from mvd_sim.dataset.cluster import SCHEDULER_TIMEOUT_S

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    started = time.monotonic()
    result = run_cli("dataset", "--n", "2", "--seed", "1", "-o", "ds", "--scheduler",
                     address, cwd=tmp_path)
    assert time.monotonic() - started < SCHEDULER_TIMEOUT_S + 10  # with the import
    assert result.returncode == 1
    assert_one_error_line(result.stderr, f"--scheduler {address}: no dask scheduler")
    assert not (tmp_path / "ds").exists()


def test_a_bad_manifest_is_one_line_naming_it(tmp_path):
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "manifest.json").write_text("")
    result = run_cli("dataset", "--n", "2", "--seed", "1", "-o", "ds", cwd=tmp_path)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "ds/manifest.json: empty", "another folder")
    assert result.stdout == ""  # no progress bar for a run that never started


def _can_mount_a_small_tmpfs(folder: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c",
                            f"mount -t tmpfs -o size=100k tmpfs '{folder}'"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def test_a_full_disk_is_one_line_and_a_rerun_with_space_completes(tmp_path):
    """A real full disk: a 250 kB tmpfs in a mount namespace of the test's own; then the
    same command once it has room (the tmpfs grown to 20 MB)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _can_mount_a_small_tmpfs(disk):
        pytest.skip("neither mount nor unshare -rm is allowed here")
    options = ("--n", "24", "--seed", "2", "--shard-size", "2")
    command = f"'{sys.executable}' -m mvd_sim dataset {' '.join(options)} -o '{disk}/ds'"
    script = f"""
mount -t tmpfs -o size=250k tmpfs '{disk}' || exit 99
{command} > /dev/null 2> '{tmp_path}/full.err'; echo $? > '{tmp_path}/full.rc'
cp -a '{disk}/ds' '{tmp_path}/after_full'
mount -o remount,size=20m '{disk}' || exit 98
{command} > /dev/null 2> '{tmp_path}/roomy.err'; echo $? > '{tmp_path}/roomy.rc'
cp -a '{disk}/ds' '{tmp_path}/after_rerun'
"""
    shell = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=tmp_path,
                           capture_output=True, text=True, timeout=600, check=False)
    assert shell.returncode == 0, shell.stderr
    assert (tmp_path / "full.rc").read_text().strip() == "1"
    assert_one_error_line((tmp_path / "full.err").read_text(), "No space left on device")
    after_full = tmp_path / "after_full"
    parts = {t: sorted(p.name for p in (after_full / t).glob("*")) for t in store.TABLES}
    assert parts["cases"] == parts["contacts"] and 0 < len(parts["cases"]) < 12
    for table in store.TABLES:  # every file a reader sees is whole
        assert ds.dataset(after_full / table).to_table().num_rows >= len(parts["cases"])
    assert (tmp_path / "roomy.rc").read_text().strip() == "0", \
        (tmp_path / "roomy.err").read_text()
    reference = tmp_path / "reference"
    assert run_cli("dataset", *options, "-o", str(reference), cwd=tmp_path).returncode == 0
    assert tables(tmp_path / "after_rerun") == tables(reference)
