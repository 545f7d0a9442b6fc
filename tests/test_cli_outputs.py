"""Every output command when the disk fills up, when a writer is killed, and with a file
suffix that names no format it writes: "nothing lost, never red" (issue #19).

Three ways to fill the disk:

- a real one: the command runs in a subprocess on a tiny tmpfs mounted for it (in a private
  mount namespace with ``unshare -rm`` where allowed, else with ``mount`` as root; skipped
  where neither is), sized to fail before the first file or part way;
- in process: every byte mvd-sim writes goes through :mod:`mvd_sim.core.atomic`, whose ``os``
  is replaced by one whose disk fills after N bytes (runs everywhere), N chosen to fail
  before the first byte, in the middle of the first file, at the start of the second and at
  the last byte of the last;
- killed: a writer stopped mid-file and killed with SIGKILL leaves its temporaries, which
  the next run removes, while a live writer's stay.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

import mvd_sim
from mvd_sim.cli import main
from mvd_sim.mesh.export import mesh_files
from mvd_sim.report.tables import report_json
from support import (IMAGE_MAGIC, STALE_TEMPORARIES, assert_one_error_line, failing_file,
                     failure_points, plant_stale_temporaries, run_cli, temporaries, tree)

CASE = "aica_as_moderate_right"
SPONGE = "s=3.5,d=2,vessel=aica"
PAGE = os.sysconf("SC_PAGE_SIZE")
NO_SPACE = "cannot write: No space left on device"


@dataclass(frozen=True)
class Command:
    """A command line that writes files."""

    args: tuple[str, ...]

    def option(self, name: str) -> str | None:
        return self.args[self.args.index(name) + 1] if name in self.args else None

    @property
    def folders(self) -> list[str]:
        """The folders it writes into."""
        if self.args[0] == "export-meshes":
            return [self.option("-o")]
        return [folder for folder, given in ((self.option("--save"), True),
                                             (".", self.option("-o"))) if given and folder]

    @property
    def folder_then_report(self) -> bool:
        """Writes a ``--save`` folder and then an ``-o`` report."""
        return self.option("--save") is not None and self.option("-o") is not None


COMMANDS = {
    **{f"export-meshes {fmt}": Command(("export-meshes", CASE, "-o", "out", "--format", fmt))
       for fmt in ("vtp", "stl", "ply", "obj")},
    "analyze -o": Command(("analyze", "multi_aica_pica_right", "-o", "report.json")),
    "decompress -o": Command(("decompress", CASE, "--sponge", SPONGE, "-o", "outcome.json")),
    "decompress --save": Command(("decompress", CASE, "--sponge", SPONGE, "--save", "postop")),
    "decompress -o --save": Command(("decompress", CASE, "--sponge", SPONGE, "-o",
                                     "outcome.json", "--save", "postop")),
    "plan -o": Command(("plan", CASE, "-o", "plan.json")),
    "plan --save": Command(("plan", CASE, "--save", "planned")),
    "plan -o --save": Command(("plan", CASE, "-o", "plan.json", "--save", "planned")),
    **{f"render {suffix}": Command(("render", CASE, "-o", f"case{suffix}", "--size", "240x160"))
       for suffix in (".png", ".jpg", ".tif")},
    "report -o": Command(("report", "near_miss_control_right", "-o", "case.html")),
}


def printed_files(stdout: str, cwd: Path) -> list[str]:
    """The files a run says it wrote, in order ("wrote X" lines; export-meshes prints bare
    paths)."""
    files = {name for name, data in tree(cwd).items() if data is not None}
    return [line.removeprefix("wrote ") for line in stdout.splitlines()
            if line.removeprefix("wrote ") in files]


def seed_old_file(folder: Path, target: str, leftovers: bool = True) -> None:
    """A file already where the command writes ``target``, and (optionally) a killed run's
    leftovers beside it."""
    (folder / target).parent.mkdir(parents=True, exist_ok=True)
    (folder / target).write_bytes(b"old " + target.encode())
    if leftovers:
        plant_stale_temporaries((folder / target).parent)


def without_stale(files: dict[str, bytes | None]) -> dict[str, bytes | None]:
    """A snapshot less the planted leftovers (which a run removes from every folder it
    writes into, even when it then fails there)."""
    return {name: data for name, data in files.items()
            if not any(part in STALE_TEMPORARIES for part in Path(name).parts)}


def assert_failed_cleanly(command: Command, rc: int, stderr: str, before: dict, after: dict,
                          good: dict, targets: list[str], failing: int) -> None:
    """One line naming the file that failed, exit 1, and the folder as it was, except, when
    the report failed after the ``--save`` folder, that folder in full and said so."""
    assert rc == 1, stderr
    folder_written = command.folder_then_report and failing == len(targets) - 1
    reason = NO_SPACE + (f" (the --save folder {command.option('--save')} was written "
                         "before it)" if folder_written else "")
    assert stderr == f"mvd-sim: error: {targets[failing]}: {reason}\n"
    expected = without_stale(before)
    if folder_written:
        expected |= {name: data for name, data in good.items()
                     if Path(name).parts[0] == command.option("--save")}
    assert after == expected
    assert temporaries(after) == []


# -- in process: a disk that fills after N bytes ----------------------------------------------

@pytest.fixture
def cli(monkeypatch, capsys):
    """``cli(cwd, *args) -> (exit status, stdout, stderr)``, run in this process."""

    def run(cwd: Path, *args: str) -> tuple[int, str, str]:
        monkeypatch.chdir(cwd)
        sigpipe = signal.getsignal(signal.SIGPIPE)
        try:
            status = main(list(args))
        finally:
            signal.signal(signal.SIGPIPE, sigpipe)
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.mark.parametrize("name", COMMANDS)
def test_a_full_disk_is_one_line_and_leaves_nothing_half_done(name, cli, full_disk,
                                                              tmp_path):
    command = COMMANDS[name]
    good = tmp_path / "good"
    for folder in command.folders:
        (good / folder).mkdir(parents=True, exist_ok=True)
        plant_stale_temporaries(good / folder)
    disk = full_disk(math.inf)
    status, out, err = cli(good, *command.args)
    assert status in (0, 3) and err == ""
    targets = printed_files(out, good)
    assert len(targets) == len(disk.files) > 0
    assert temporaries(good) == []           # a killed run's leftovers went from each folder
    good_files = tree(good)

    for free_bytes, failing in failure_points(disk.files).items():
        folder = tmp_path / f"free-{free_bytes}"
        folder.mkdir()
        seed_old_file(folder, targets[-1], leftovers=False)   # a folder it may not reach
        seed_old_file(folder, targets[0])                     # the one where it fails first
        before = tree(folder)
        full_disk(free_bytes)
        status, out, err = cli(folder, *command.args)
        assert_failed_cleanly(command, status, err, before, tree(folder), good_files,
                              targets, failing)


# -- a real full disk: a tiny tmpfs -----------------------------------------------------------

TMPFS_RUN = """\
mount -t tmpfs -o "size=${SIZE_KIB}k" mvd-sim-test "$DISK" || exit 90
cp -a "$SEED/." "$DISK/" && cd "$DISK" || { umount "$DISK"; exit 91; }
"$PYTHON" -m mvd_sim "$@" >"$RESULT/stdout" 2>"$RESULT/stderr"
echo $? >"$RESULT/rc"
cp -a "$DISK/." "$AFTER/"
cd / && umount "$DISK"
"""


@pytest.fixture(scope="session")
def tmpfs_launcher(tmp_path_factory) -> list[str]:
    """The prefix that lets ``sh`` mount a tmpfs: ``unshare -rm`` (a private mount namespace,
    gone with the process), or nothing where ``mount`` itself is allowed (root)."""
    probe = tmp_path_factory.mktemp("tmpfs-probe")
    script = 'mount -t tmpfs -o size=4k mvd-sim-probe "$1" && umount "$1"'
    for launcher in (["unshare", "-rm"], []):
        if shutil.which((launcher or ["mount"])[0]) is None:
            continue
        probed = subprocess.run([*launcher, "sh", "-c", script, "sh", str(probe)],
                                capture_output=True, check=False)
        if probed.returncode == 0:
            return launcher
    pytest.skip("cannot mount a tmpfs here: neither `unshare -rm` nor `mount` is allowed")


@dataclass(frozen=True)
class TmpfsRun:
    status: int
    stdout: str
    stderr: str
    after: dict[str, bytes | None]


def run_on_tmpfs(launcher: list[str], work: Path, command: Command, size_pages: int,
                 seed: Path) -> TmpfsRun:
    """Run the command in a tmpfs of ``size_pages`` pages holding a copy of ``seed``; returns
    what it printed and the tmpfs's files afterwards."""
    disk, after, result = work / "disk", work / "after", work / "result"
    for folder in (disk, after, result):
        folder.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "MVD_SIM_DEBUG"}
    env |= {"SIZE_KIB": str(size_pages * PAGE // 1024), "DISK": str(disk), "SEED": str(seed),
            "AFTER": str(after), "RESULT": str(result), "PYTHON": sys.executable}
    shell = subprocess.run([*launcher, "sh", "-c", TMPFS_RUN, "sh", *command.args], env=env,
                           capture_output=True, text=True, timeout=600, check=False)
    assert shell.returncode == 0, shell.stderr
    return TmpfsRun(int((result / "rc").read_text()), (result / "stdout").read_text(),
                    (result / "stderr").read_text(), tree(after))


def pages(data: bytes) -> int:
    return -(-len(data) // PAGE)


_good_tmpfs_runs: dict[str, tuple[list[str], dict]] = {}


def good_tmpfs_run(launcher: list[str], name: str, work: Path) -> tuple[list[str], dict]:
    """(files written in order, the tmpfs afterwards) of a run with room to spare (once a
    command per process)."""
    if name not in _good_tmpfs_runs:
        seed = work / "good-seed"
        seed.mkdir()
        run = run_on_tmpfs(launcher, work / "good", COMMANDS[name], 1 << 16, seed)
        assert run.status in (0, 3) and run.stderr == "", run.stderr
        targets = [line.removeprefix("wrote ") for line in run.stdout.splitlines()
                   if run.after.get(line.removeprefix("wrote ")) is not None]
        _good_tmpfs_runs[name] = targets, run.after
    return _good_tmpfs_runs[name]


def free_pages_at(where: str, sizes: list[int]) -> int:
    """Free pages that stop a run writing files of ``sizes`` pages at ``where``."""
    if where == "before the first file":
        return 0
    if where == "after the --save folder":
        return sum(sizes[:-1])
    return sizes[0] if len(sizes) > 1 else sizes[0] // 2          # in the middle


def tmpfs_cases():
    single_page = {"analyze -o", "decompress -o", "plan -o"}   # JSON reports under 4 KiB
    for name, command in COMMANDS.items():
        yield name, "before the first file"
        if name not in single_page:
            yield name, "in the middle"
        if command.folder_then_report:
            yield name, "after the --save folder"


@pytest.mark.parametrize("name, where", list(tmpfs_cases()))
def test_a_full_tmpfs_is_one_line_and_leaves_nothing_half_done(name, where, tmpfs_launcher,
                                                               tmp_path):
    command = COMMANDS[name]
    targets, good = good_tmpfs_run(tmpfs_launcher, name, tmp_path)
    sizes = [pages(good[target]) for target in targets]
    free = free_pages_at(where, sizes)
    seed = tmp_path / "seed"
    seed.mkdir()
    seed_old_file(seed, targets[-1], leftovers=False)   # replaced last: frees no room before
    (seed / targets[0]).parent.mkdir(parents=True, exist_ok=True)
    plant_stale_temporaries((seed / targets[0]).parent)
    before = tree(seed)
    size_pages = sum(pages(data) for data in before.values() if data) + free
    run = run_on_tmpfs(tmpfs_launcher, tmp_path / "run", command, size_pages, seed)
    assert_failed_cleanly(command, run.status, run.stderr, before, run.after, good, targets,
                          failing_file(sizes, free))


# -- a writer killed mid-file -----------------------------------------------------------------

STALLED_CLI = """\
import os, sys, time
from mvd_sim.core import atomic

class Stalling:
    def __getattr__(self, name):
        return getattr(os, name)

    def write(self, fd, data):
        written = os.write(fd, bytes(memoryview(data)[:len(data) // 2]))
        print("stalled", flush=True)
        time.sleep(600)
        return written

atomic.os = Stalling()
from mvd_sim.cli import main
sys.exit(main(sys.argv[1:]))
"""

KILLED = {
    "export-meshes": ("export-meshes", CASE, "-o", "out"),
    "analyze -o": ("analyze", CASE, "-o", "out/report.json"),
    "render -o": ("render", CASE, "-o", "out/case.jpg", "--size", "240x160"),
}


def start_stalled(args: tuple[str, ...], cwd: Path) -> subprocess.Popen:
    """The command in a child process, stopped half way through its first file."""
    child = subprocess.Popen([sys.executable, "-c", STALLED_CLI, *args], cwd=cwd,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout.readline() == "stalled\n"
    return child


def assert_complete(kind: str, out: Path, scene) -> None:
    if kind == "export-meshes":
        assert tree(out) == dict(mesh_files(scene, "vtp"))
    elif kind == "analyze -o":
        assert tree(out) == {"report.json": report_json(mvd_sim.analyze(scene)).encode()}
    else:
        with Image.open(out / "case.jpg") as picture:
            assert (picture.format, picture.size) == ("JPEG", (240, 160))
        assert list(tree(out)) == ["case.jpg"]


@pytest.mark.parametrize("kind", KILLED)
def test_a_killed_writers_temporaries_stay_while_it_lives_and_go_after(kind, tmp_path,
                                                                       scene_of):
    args, out = KILLED[kind], tmp_path / "out"
    out.mkdir()
    writer = start_stalled(args, tmp_path)
    try:
        left = temporaries(out)
        partial = [name for name in left if ".tmp-" in name and (out / name).stat().st_size]
        assert partial, left                     # half a file, under a temporary name
        meanwhile = run_cli(*args, cwd=tmp_path)  # another run into the same folder
        assert meanwhile.returncode == 0, meanwhile.stderr
        assert set(left) <= set(temporaries(out))  # the live writer's are kept
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert temporaries(out) == left               # a killed process cannot clean up
    rerun = run_cli(*args, cwd=tmp_path)
    assert rerun.returncode == 0 and rerun.stderr == "", rerun.stderr
    assert temporaries(out) == []
    assert_complete(kind, out, scene_of(CASE))


# -- outputs as named ---------------------------------------------------------------------

@pytest.mark.parametrize("args, fragment", [
    (("render", CASE, "-o", "case.bmp"), ".png, .jpg, .jpeg, .tif or .tiff (the suffix "
                                          "chooses the format), not '.bmp'"),
    (("render", CASE, "-o", "case.jpe"), "not '.jpe'"),
    (("report", CASE, "-o", "case.txt"), ".html or .htm, not '.txt'"),
    (("analyze", CASE, "-o", "report.yaml"), ".json, not '.yaml'"),
    (("decompress", CASE, "--sponge", SPONGE, "-o", "outcome"), "not a name without a suffix"),
    (("plan", CASE, "-o", "plan.csv", "--save", "planned"), ".json, not '.csv'"),
])
def test_an_output_suffix_naming_no_format_is_refused_before_any_work(args, fragment, cli,
                                                                      tmp_path, monkeypatch):
    def no_work(*_args, **_kwargs):
        raise AssertionError("the scenario was loaded before the output was checked")

    monkeypatch.setattr(mvd_sim, "resolve_scenario", no_work)
    monkeypatch.setattr(mvd_sim, "load_scene", no_work)
    status, out, err = cli(tmp_path, *args)
    assert status == 1 and out == ""
    output = args[args.index("-o") + 1]
    assert_one_error_line(err, f"mvd-sim: error: {output}: -o/--output must end in ", fragment)
    assert tree(tmp_path) == {}


@pytest.mark.parametrize("suffix, fmt", [(".png", "PNG"), (".jpeg", "JPEG"), (".tiff", "TIFF")])
def test_render_writes_the_format_its_suffix_names(suffix, fmt, tmp_path):
    result = run_cli("render", "near_miss_control_right", "-o", f"case{suffix}", "--size",
                     "300x200", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout == f"wrote case{suffix}\n"
    assert (tmp_path / f"case{suffix}").read_bytes().startswith(IMAGE_MAGIC[fmt])
    with Image.open(tmp_path / f"case{suffix}") as picture:
        assert (picture.format, picture.mode, picture.size) == (fmt, "RGB", (300, 200))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"case{suffix}"]


def test_the_report_and_the_folder_come_in_a_stated_order(cli, tmp_path):
    """``plan -o plan.json --save planned``: the folder first, then the report."""
    status, out, err = cli(tmp_path, "plan", CASE, "-o", "plan.json", "--save", "planned")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[-1] == "wrote plan.json"
    assert all(line.startswith("wrote planned/") for line in lines[:-1]) and len(lines) > 2
    assert json.loads((tmp_path / "plan.json").read_text())["feasible"] is True
