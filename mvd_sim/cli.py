"""The ``mvd-sim`` command line: one subcommand per API call, one line per error.

Examples
--------
::

    mvd-sim list
    mvd-sim validate scenarios/*.yaml
    mvd-sim analyze multi_aica_pica_right
    mvd-sim export-meshes aica_as_moderate_right -o out/ --format stl
    mvd-sim decompress aica_as_moderate_right --sponge s=5,d=2
    mvd-sim decompress va_as_severe_left --transpose va,distance=5
    MVD_SIM_CACHE_DIR=/opt/cache mvd-sim warmup
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path

import mvd_sim
from mvd_sim.case import Case, load_case
from mvd_sim.core.errors import MvdSimError, raised_by_interrupt
from mvd_sim.core.output import (HTML_SUFFIXES, JSON_SUFFIXES, output_format, write_file,
                                 write_folder)
from mvd_sim.surgery.decompress import decompress_states
from mvd_sim.surgery.operation import Operation

__all__ = ["main"]

_EXAMPLES = """examples:
  mvd-sim list
  mvd-sim analyze multi_aica_pica_right
  mvd-sim analyze scenarios/va_pushes_pica_left.yaml --json -o report.json
  mvd-sim validate scenarios/*.yaml
  mvd-sim export-meshes aica_as_moderate_right -o meshes_out --format vtp
  mvd-sim decompress aica_as_moderate_right --sponge s=5,d=2 --save postop
  mvd-sim decompress va_as_severe_left --transpose va,distance=5 --divide vein
  mvd-sim plan multi_aica_pica_right --save planned
  mvd-sim render multi_aica_pica_right -o case.png --view retrosigmoid
  mvd-sim report multi_aica_pica_right -o case.html
  mvd-sim serve aica_as_moderate_right --port 0   # web app on 127.0.0.1: click to place pads
  mvd-sim dataset --scenarios case.yaml aica_as_moderate_right -o ds   # given cases as tables
  mvd-sim warmup                  # compile the numerical kernels ahead (CI, Docker images)
  mvd-sim exercise new --level easy --seed 1 -o ex/   # a fellow's exercise (then: grade)

outputs are made in memory, then written whole or not at all: on a full disk one error line
names the file, nothing partial is left and a file already there is kept as it was
"""


def _cmd_list(args: argparse.Namespace) -> int:
    for name, path in mvd_sim.bundled_scenarios().items():
        spec = mvd_sim.load_scenario(path)
        print(f"{name:<34} {spec.side:<5}  {spec.title}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from mvd_sim.surgery.postop import operated_scene

    failed = 0
    for item in args.files:
        try:
            case = load_case(item)
            with _about(case.source):
                operated_scene(case)  # an operated case's moves must go where it says
                _check_findings(case)
        except MvdSimError as err:
            print(f"invalid  {err}", file=sys.stderr)
            failed += 1
        else:
            lesions = ", ".join(f"{k} ({v.kind})" for k, v in case.scene.lesions.items())
            print(f"ok       {item}: {case.scene.side} side, vessels: "
                  f"{', '.join(case.scene.vessels) or 'none'}"
                  + (f"; lesions: {lesions}" if lesions else ""))
    return 1 if failed else 0


def _check_findings(case: mvd_sim.Case) -> None:
    """Refuse a case whose ``findings:`` the analysis of the case as built does not
    reproduce (one line: what differs)."""
    from mvd_sim.contact.findings import findings_differences

    if case.spec.findings is None:
        return
    differences = findings_differences(case.spec.findings,
                                       mvd_sim.analyze(case.scene, case.thresholds))
    if differences:
        raise MvdSimError("findings: " + "; ".join(differences))


def _cmd_export(args: argparse.Namespace) -> int:
    from mvd_sim.surgery.postop import operated_scene

    case = load_case(args.scenario)
    with _about(case.source):
        scene = operated_scene(case)
    for path in mvd_sim.export_meshes(scene, args.output, args.format):
        print(path)
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from mvd_sim.segmentation import write_import

    if Path(args.output).suffix.lower() not in (".yaml", ".yml"):
        raise MvdSimError(f"-o {args.output}: the scenario is written as YAML: name it .yaml")
    if not Path(args.output).absolute().parent.is_dir():   # refused before a long import
        raise MvdSimError(f"-o {args.output}: no folder {Path(args.output).parent} to write it in")
    for path in (args.labels, args.source):
        if os.path.isfile(path) and os.path.isfile(args.output) and \
                os.path.samefile(path, args.output):
            raise MvdSimError(f"-o {args.output}: is the input file {path}; write the output "
                              "elsewhere")
    result = mvd_sim.import_case(args.source, args.labels, side=args.side,
                                 mesh_spacing_mm=args.spacing, mesh_space=args.mesh_space)
    path = write_import(result, args.output)
    print(f"{path}: {result.spec.side} side, {len(result.spec.vessels)} vessels; brainstem "
          f"fitted to {result.fit.rms_mm:.2f} mm RMS")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from mvd_sim.report.tables import report_table
    from mvd_sim.surgery.postop import operated_scene

    _check_report_output(args)
    case = _case(args)
    with _about(case.source):
        scene = operated_scene(case)
    _write_outputs(args, mvd_sim.analyze(scene, case.thresholds), report_table)
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    from mvd_sim.report.tables import plan_table
    from mvd_sim.surgery.planner import plan_states
    from mvd_sim.surgery.postop import postop_files, postop_spec

    _check_report_output(args)
    case = _case(args)
    with _about(case.source):
        result, after = plan_states(case)
    saved = None
    if args.save and after is not None:
        saved = postop_files(postop_spec(case.spec, result.operation), after.scene, case.name)
    _write_outputs(args, result, plan_table, saved)
    if args.save and after is None:
        print(f"nothing written to {args.save}: the plan makes no move")
    return 0 if result.feasible else 3


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    try:
        size = int(width), int(height)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    if not sep or not all(100 <= v <= 8000 for v in size):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT with 100-8000 pixels each, "
                                         f"got {text!r}")
    return size


@contextmanager
def _about(where) -> Iterator[None]:
    """Name ``where`` (the scenario, or the plan whose pads are placed) in front of the
    one-line error of what runs inside."""
    try:
        yield
    except MvdSimError as err:
        raise type(err)(f"{where}: {err}") from None


def _operation(args: argparse.Namespace, case: Case) -> Operation:
    """The operation to show: the plan's (``--plan``, checked against the case) or the
    case's own moves (an operated case)."""
    if args.plan is None:
        return Operation.of_case(case)
    from mvd_sim.surgery.planner import load_plan

    return load_plan(args.plan, scenario=case.name, case_sha256=case.fingerprint).operation


def _cmd_render(args: argparse.Namespace) -> int:
    from mvd_sim.viz.render import image_format, render

    image_format(args.output)  # a suffix naming no image format is refused before any work
    case = load_case(args.scenario)
    operation = _operation(args, case)
    title = case.name
    with _about(args.plan or case.source):
        if args.phase is not None:
            from mvd_sim.mechanics.pulse import DIASTOLE, SYSTOLE, pulse_level
            from mvd_sim.surgery.postop import scene_at_level

            level = float(pulse_level(SYSTOLE if args.phase == "systole" else DIASTOLE))
            panels = [(scene_at_level(case, operation, level), f"{title} ({args.phase})")]
        elif args.plan is not None:
            _, before, after = decompress_states(case, operation)
            panels = [(before.scene, f"{title}: before"), (after.scene, f"{title}: after")]
        elif not operation.is_empty:  # an operated case: the worst phase after its operation
            panels = [(decompress_states(case)[2].scene, f"{title} (post-op)")]
        else:
            panels = [(case.scene, title)]
    print(f"wrote {render(panels, args.output, args.view, args.size, case.thresholds)}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from mvd_sim.report.build import case_report
    from mvd_sim.report.html import write_case_report

    output_format(args.output, HTML_SUFFIXES)  # refused before any work
    case = load_case(args.scenario)
    operation = _operation(args, case)
    with _about(args.plan or case.source):
        html = case_report(case, operation)
    print(f"wrote {write_case_report(args.output, html)}")
    return 0


def _cmd_view(args: argparse.Namespace) -> int:
    from mvd_sim.viz.viewer import open_viewer

    case = load_case(args.scenario)
    operation = _operation(args, case)
    with _about(args.plan or case.source):
        open_viewer(case, operation)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    if hasattr(signal, "SIGPIPE"):  # a browser that closes its socket must not end the server
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    # trame itself is imported only once it serves
    if args.scenario is not None and Path(args.scenario).is_dir():
        from mvd_sim.exercise.browser import serve_exercise

        serve_exercise(args.scenario, args.port)
        return 0
    from mvd_sim.viz.app import serve

    serve(args.scenario, args.port)
    return 0


def _cmd_dataset(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from mvd_sim.dataset.runner import check_options

    if args.scenarios is not None:
        given = [f"--{name}" for name in ("n", "seed", "priors") if getattr(args, name)
                 is not None]
        if given:
            raise MvdSimError(f"{', '.join(given)}: sample cases from priors; --scenarios "
                              "exports the scenarios given: give one or the other")
        from mvd_sim.dataset.given import export_scenarios

        make = partial(export_scenarios, args.scenarios)
    else:
        missing = [f"--{name}" for name in ("n", "seed") if getattr(args, name) is None]
        if missing:
            raise MvdSimError(f"{', '.join(missing)}: required to sample cases (or give "
                              "--scenarios FILE ... to export given scenarios)")
        from mvd_sim.dataset.priors import load_priors
        from mvd_sim.dataset.runner import generate

        check_options(args.n, args.seed, args.shard_size, args.workers, args.scheduler)
        make = partial(generate, args.n, args.seed, priors=load_priors(args.priors))
    # the bar appears once the run's checks pass, so a refused run prints only its error
    bar = Progress(TextColumn("cases"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]:.2f} cases/s"), transient=False)
    task = None

    def progress(done: int, total: int, rate: float) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task("cases", total=total, rate=0.0)
        bar.update(task, completed=done, rate=rate)

    try:
        summary = make(out_dir=args.output, shard_size=args.shard_size, workers=args.workers,
                       scheduler=args.scheduler, progress=progress, meshes=args.meshes,
                       decompress=args.decompress)
    finally:
        if task is not None:
            bar.stop()
    print(f"wrote {summary.out_dir}: {summary.written} shard(s) new, {summary.skipped} "
          f"already there")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from mvd_sim.report.tables import report_json_schema

    from mvd_sim.surgery.planner import Plan

    models = {"contact": mvd_sim.ContactReport, "decompression": mvd_sim.DecompressionReport,
              "plan": Plan}
    sys.stdout.write(report_json_schema(models[args.kind]))
    return 0


def _cmd_exercise_new(args: argparse.Namespace) -> int:
    from mvd_sim.dataset.priors import load_priors
    from mvd_sim.exercise.folder import write_exercise
    from mvd_sim.exercise.generate import draw_exercise
    from mvd_sim.exercise.key import exercise_secret

    secret = exercise_secret(args.key)
    exercise = draw_exercise(args.level, args.seed, load_priors(args.priors))
    for path in write_exercise(args.output, exercise, secret):
        print(f"wrote {path}")
    return 0


def _cmd_exercise_grade(args: argparse.Namespace) -> int:
    from mvd_sim.exercise.grade import grade_exercise
    from mvd_sim.exercise.key import exercise_secret
    from mvd_sim.exercise.record import add_attempt, open_record
    from mvd_sim.exercise.rubric import item

    grade = grade_exercise(args.folder, args.answer, exercise_secret(args.key),
                           picture=not args.no_picture)
    print(f"exercise {grade.exercise} ({grade.level}): decompression {grade.status}")
    for part in ("identification", "operation"):
        print(f"{part}: {grade.score(part):g} / {grade.max_score(part):g}")
        for result in (r for r in grade.items if r.part == part):
            print(f"  {item(result.key).title:<42} {result.points:>5.2f} / "
                  f"{result.max_points:g}")
            for error in result.errors:
                print(f"      - {error}")
    print(f"total: {grade.score():g} / {grade.max_score():g}")
    if grade.picture is not None:
        print(f"wrote {grade.picture}")
    if args.trainee is not None:
        with open_record(args.record) as db:
            attempt = add_attempt(db, args.trainee, grade)
        print(f"recorded attempt {attempt} of {args.trainee}")
    return 0


def _cmd_exercise_progress(args: argparse.Namespace) -> int:
    from mvd_sim.exercise.progress import PLOT_SUFFIXES, progress_plot, progress_table
    from mvd_sim.exercise.record import attempts, attempts_csv, open_record

    fmt = output_format(args.output, PLOT_SUFFIXES) if args.output else None
    if args.csv:
        output_format(args.csv, {".csv": "CSV"}, "--csv")
    with open_record(args.record) as db:
        rows = attempts(db, args.name)
        table = attempts_csv(db, args.name) if args.csv else None
    sys.stdout.write(progress_table(args.name, rows))
    if fmt is not None:
        if not rows:
            raise MvdSimError(f"-o {args.output}: {args.name} has no attempt to plot")
        print(f"wrote {write_file(args.output, progress_plot(args.name, rows, fmt))}")
    if table is not None:
        print(f"wrote {write_file(args.csv, table.encode('utf-8'))}")
    return 0


def _cmd_exercise_curriculum(args: argparse.Namespace) -> int:
    from mvd_sim.exercise.curriculum import write_curriculum
    from mvd_sim.exercise.key import exercise_secret

    written, key = write_curriculum(args.output, args.key_out, args.n, args.seed,
                                    exercise_secret(args.key))
    folders = sorted({path.parent for path in written})
    print(f"wrote {len(folders)} exercises in {args.output}: "
          f"{', '.join(f.name for f in folders)}")
    print(f"wrote {key} (the director's answer key: keep it apart from the exercises)")
    return 0


def _cmd_warmup(args: argparse.Namespace) -> int:
    from mvd_sim.core.compiled import CACHE_DIR_ENV, kernel_cache, warm_up

    cache = kernel_cache()
    if cache.problem is not None:
        raise MvdSimError(f"kernel cache: {cache.problem}; set {CACHE_DIR_ENV} to a writable "
                          "folder")
    with _kernel_progress() as progress:
        done = warm_up(progress=progress)
    print(f"{done.kernels} kernels ready in {cache.folder}: {done.compiled} compiled, "
          f"{done.kernels - done.compiled} already cached, {done.seconds:.1f} s")
    return 0


@contextmanager
def _kernel_progress() -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` of compiled kernels drawn as a bar on stderr where stderr
    is a terminal (gone when done); None elsewhere."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("compiling"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("kernels"), console=Console(stderr=True),
                  transient=True) as bar:
        task = bar.add_task("kernels", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


# the package areas of the kernels (compiled.Kernel.group) a command warms up before its
# work: those that build and report scenes; the mechanics' too where it solves
_SCENE_KERNELS = ("core", "anatomy", "contact")


def _kernel_groups(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The kernel areas ``args``'s command warms up first (None: all of them)."""
    if args.run in _SCENE_COMMANDS or (args.run is _cmd_dataset and not args.decompress):
        return _SCENE_KERNELS
    return None


def _say_compiling(pending: Sequence, more: str = "") -> None:
    """The first-run notice: one line on stderr, at once, with an estimate."""
    from mvd_sim.core.compiled import estimated_seconds, kernel_cache

    problem = kernel_cache().problem
    where = "once per install" if problem is None else f"in every run: {problem}"
    print(f"mvd-sim: compiling {more}numerical kernels ({where}, about "
          f"{estimated_seconds(pending)} s)...", file=sys.stderr, flush=True)


@contextmanager
def _kernels_compiled_first(groups: tuple[str, ...] | None) -> Iterator[None]:
    """Where the kernels of ``groups`` are not in the cache (a first run), say so on stderr
    at once, in one line, then compile them (a bar on a terminal) before the command's work.
    Should the command then need a kernel of another area not in the cache (a
    post-operative scenario solved by ``analyze``), that area's line comes first."""
    from mvd_sim.core.compiled import kernels, on_compile, uncached, warm_up

    pending = uncached(kernels(groups))
    if pending:
        _say_compiling(pending)
        with _kernel_progress() as progress:
            warm_up(pending, progress)
    announced = set(groups) if groups is not None else {k.group for k in kernels()}

    def announce(kernel) -> None:
        if kernel.group not in announced:
            announced.add(kernel.group)
            _say_compiling(uncached(kernels((kernel.group,))), "more ")

    with on_compile(announce):
        yield


def _check_report_output(args: argparse.Namespace) -> None:
    """Refuse a report file (``-o``) whose suffix is not ``.json``, before any work."""
    if args.output:
        output_format(args.output, JSON_SUFFIXES)


def _write_outputs(args: argparse.Namespace, report, table,
                   saved: dict[str, bytes] | None = None) -> None:
    """Print or write the report, and write the ``--save`` folder; all of it already made.

    The order: the report on stdout (without ``-o``); the ``--save`` folder, all or none; the
    ``-o`` file. The larger output goes first so that a full disk most often stops the
    command before anything is written; should the report file then fail, its error line
    says that the folder was written.
    """
    from mvd_sim.report.tables import report_json

    text = report_json(report) if args.json or args.output else table(report)
    if not args.output:
        sys.stdout.write(text)
    if saved:
        for written in write_folder(args.save, saved):
            print(f"wrote {written}")
    if not args.output:
        return
    try:
        write_file(args.output, text.encode("utf-8"))
    except MvdSimError as err:
        if saved:
            raise type(err)(f"{err} (the --save folder {args.save} was written before it)"
                            ) from None
        raise
    print(f"wrote {args.output}")


def _cmd_decompress(args: argparse.Namespace) -> int:
    from mvd_sim.report.tables import decompression_table
    from mvd_sim.scenario import parse_sponge, parse_transposition
    from mvd_sim.surgery.postop import postop_files, postop_spec

    _check_report_output(args)
    given = Operation(pads=[parse_sponge(text) for text in args.sponge],
                      transpositions=[parse_transposition(text) for text in args.transpose],
                      divided=args.divide)
    case = _case(args)
    operation = Operation.of_case(case) if given.is_empty else given
    if operation.is_empty:
        raise MvdSimError(f"{case.source}: no move: give --sponge (e.g. --sponge s=5,d=2), "
                          "--transpose or --divide, or a scenario with sponges, "
                          "transpositions or divided veins")
    # a move given on the command line is blamed on its option, not on the scenario's lists
    labels = None if given.is_empty else {
        "pads": [f"--sponge {text!r}" for text in args.sponge],
        "transpositions": [f"--transpose {text!r}" for text in args.transpose],
        "divided": [f"--divide {text!r}" for text in args.divide]}
    with _about(case.source):
        report, _, after = decompress_states(case, operation, labels)
    saved = (postop_files(postop_spec(case.spec, operation), after.scene, case.name)
             if args.save else None)
    _write_outputs(args, report, decompression_table, saved)
    return 0 if report.decompressed else 3


def _case(args: argparse.Namespace) -> mvd_sim.Case:
    """The scenario's case, graded with its own thresholds (an imaged case's are widened to
    its voxel) except where a threshold option is given."""
    case = load_case(args.scenario)
    given = {field: value for field, value in (
        ("contact_mm", args.contact_mm), ("indentation_mm", args.indentation_mm),
        ("deviation_mm", args.deviation_mm), ("near_miss_mm", args.margin))
        if value is not None}
    if not given:
        return case
    try:
        return case.with_thresholds(dataclasses.replace(case.thresholds, basis=None,
                                                        **given))
    except ValueError as err:
        raise MvdSimError(f"thresholds: {err}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mvd-sim", description="Microvascular decompression simulator for hemifacial "
        "spasm. Lengths in mm.", epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"mvd-sim {mvd_sim.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the bundled scenarios")
    p.set_defaults(run=_cmd_list)

    p = sub.add_parser("validate", help="validate scenario files (schema and anatomy)",
                       epilog="example: mvd-sim validate scenarios/*.yaml")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario file or bundled name")
    p.set_defaults(run=_cmd_validate)

    p = sub.add_parser("export-meshes", help="write closed meshes of a scenario's structures",
                       epilog="example: mvd-sim export-meshes vein_rexp_mild_left -o out")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or bundled name")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    p.add_argument("--format", default="vtp", choices=("vtp", "stl", "ply", "obj"),
                   help="mesh file format (default: vtp)")
    p.set_defaults(run=_cmd_export)

    p = sub.add_parser(
        "import", help="bring a segmented case in (label volume or mesh folder + label map)",
        epilog="examples: mvd-sim import case.nii.gz --labels labels.yaml -o case.yaml\n"
               "          mvd-sim import meshes/ --labels files.yaml -o case.yaml --side left",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", metavar="SOURCE",
                   help="label volume (.nii, .nii.gz, .nrrd, .seg.nrrd) or folder of meshes "
                        "(.stl, .obj, .ply, .vtp)")
    p.add_argument("--labels", required=True, metavar="MAP.yaml",
                   help="label map: label number (or segment name or ID, or file name) -> "
                        "structure (brainstem, CN7, CN8, a vessel type, mass, aneurysm or "
                        "nidus)")
    p.add_argument("-o", "--output", required=True, metavar="CASE.yaml",
                   help="scenario to write (atomically)")
    p.add_argument("--side", choices=("left", "right"),
                   help="symptomatic side (default: the side CN VII lies on)")
    p.add_argument("--spacing", type=float, default=0.4, metavar="MM",
                   help="voxel size for voxelising meshes (default: 0.4)")
    p.add_argument("--mesh-space", default="RAS", choices=("RAS", "LPS"),
                   help="world frame of the meshes (default: RAS; Slicer exports LPS)")
    p.set_defaults(run=_cmd_import)

    p = sub.add_parser("analyze", help="find and grade every neurovascular contact",
                       epilog="examples: mvd-sim analyze multi_aica_pica_right\n"
                              "          mvd-sim analyze case.yaml --json -o report.json",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _report_options(p)
    p.set_defaults(run=_cmd_analyze)

    p = sub.add_parser(
        "decompress", help="operate (pads, slings, divided veins), solve through the pulse, "
        "judge the decompression",
        epilog="examples: mvd-sim decompress aica_as_moderate_right --sponge s=5,d=2\n"
               "          mvd-sim decompress case.yaml --sponge s=4,d=2,shape=cylinder,"
               "length=4,vessel=aica --save postop/\n"
               "          mvd-sim decompress case.yaml --sponge vessel_s=20,d=2,vessel=aica,"
               "seat=brainstem\n"
               "          mvd-sim decompress va_as_severe_left --transpose va,distance=5,"
               "anchor=petrous\n"
               "sponge keys: s (mm on the nerve) or vessel_s with vessel; d (diameter mm); "
               "shape ball|cylinder;\n  length (mm); vessel; side vessel|anterior|posterior|"
               "rostral|caudal|lateral|medial; nerve; id;\n  seat nerve|brainstem|trunk|"
               "petrous (other than nerve: vessel_s with vessel, no s, side or nerve)\n"
               "transpose: VESSEL then keys s (mm along the vessel), distance (mm, 1-10), "
               "width (mm, 1-6),\n  anchor petrous|tentorium, id\n"
               "moves given on the command line replace the scenario's own\n"
               "exit status: 0 decompressed, 3 not decompressed, 1 bad input\n"
               "with --save and -o: both are made first, then the --save folder is written "
               "(all or none), then the report;\n  if the report then fails, its error says "
               "the folder was written",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sponge", action="append", default=[], metavar="SPEC",
                   help="a pad as key=value pairs (repeatable; default: the scenario's)")
    p.add_argument("--transpose", action="append", default=[],
                   metavar="VESSEL[,s=MM][,distance=MM][,width=MM][,anchor=petrous|tentorium]",
                   help="move a vessel and hold it with a sling tied to the dura (repeatable)")
    p.add_argument("--divide", action="append", default=[], metavar="VEIN",
                   help="coagulate and divide a vein (repeatable)")
    p.add_argument("--save", metavar="DIR", help="write the post-operative scenario and "
                   "meshes to DIR")
    _report_options(p)
    p.set_defaults(run=_cmd_decompress)

    p = sub.add_parser(
        "plan", help="find the fewest, smallest pads that free CN VII through the pulse",
        epilog="examples: mvd-sim plan multi_aica_pica_right\n"
               "          mvd-sim plan case.yaml --json -o plan.json --save planned/\n"
               "exit status: 0 a plan frees the nerve, 3 no sponge plan can, 1 bad input\n"
               "with --save and -o: both are made first, then the --save folder is written "
               "(all or none), then the report;\n  if the report then fails, its error says "
               "the folder was written",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--save", metavar="DIR", help="write the scenario with the planned pads "
                   "(and post-operative meshes) to DIR")
    _report_options(p)
    p.set_defaults(run=_cmd_plan)

    from mvd_sim.viz.render import JPEG_QUALITY, VIEWS

    p = sub.add_parser(
        "render", help="render the case off-screen to an image (surgeon's retrosigmoid view)",
        epilog="examples: mvd-sim render multi_aica_pica_right -o case.png\n"
               "          mvd-sim render case.yaml -o both.jpg --plan plan.json --size 1600x700\n"
               "the suffix of -o chooses the format: .png, .jpg/.jpeg (JPEG, quality "
               f"{JPEG_QUALITY}) or .tif/.tiff;\n  any other is refused before rendering",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or bundled name")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="image file to write: .png, .jpg, .jpeg, .tif or .tiff")
    p.add_argument("--view", default="retrosigmoid", choices=VIEWS,
                   help="camera (default: %(default)s)")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--plan", metavar="PLAN", help="a plan JSON (mvd-sim plan -o): before "
                      "and after its pads, side by side")
    when.add_argument("--phase", choices=("systole", "diastole"),
                      help="solve the case (with its pads, if any) at this phase first")
    p.add_argument("--size", type=_size, default=(1200, 900), metavar="WxH",
                   help="image size in pixels (default: 1200x900)")
    p.set_defaults(run=_cmd_render)

    p = sub.add_parser(
        "view", help="open an interactive 3D window (toggle structures, step the pulse)",
        epilog="example: mvd-sim view multi_aica_pica_right --plan plan.json\n"
               "needs a display; without one it says so and exits with status 1")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or bundled name")
    p.add_argument("--plan", metavar="PLAN", help="a plan JSON: adds a before/after switch")
    p.set_defaults(run=_cmd_view)

    p = sub.add_parser(
        "serve", help="a local web app: step the pulse, click a vessel to place a pad, see "
        "the verdict",
        epilog="examples: mvd-sim serve aica_as_moderate_right\n"
               "          mvd-sim serve case.yaml --port 0    # any free port; the URL is "
               "printed\n"
               "          mvd-sim serve ex/    # an exercise folder: its case without contacts "
               "or verdict;\n"
               "                               # the pads placed are saved to ex/answer.yaml\n"
               "listens on 127.0.0.1 only (this machine); Ctrl-C stops it",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="scenario file or bundled "
                   "name shown first (default: the first bundled one); the bundled ones are "
                   "offered too; or an exercise folder (mvd-sim exercise new), served alone")
    p.add_argument("--port", type=int, default=8080, metavar="N",
                   help="port on 127.0.0.1 (default: %(default)s; 0: any free port)")
    p.set_defaults(run=_cmd_serve)

    p = sub.add_parser(
        "report", help="write a self-contained HTML case report (pictures, the case in 3D, "
        "contacts, plot)",
        epilog="examples: mvd-sim report multi_aica_pica_right -o case.html\n"
               "          mvd-sim report case.yaml --plan plan.json -o case.html",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or bundled name")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="HTML file to write (.html or .htm)")
    p.add_argument("--plan", metavar="PLAN", help="a plan JSON (mvd-sim plan -o) for this "
                   "case: adds the decompression outcome, before/after pictures, the pads "
                   "close up and a before/after switch in 3D")
    p.set_defaults(run=_cmd_report)

    from mvd_sim.dataset.runner import SHARD_SIZE

    p = sub.add_parser(
        "dataset", help="sample labelled cases from clinical priors into Parquet tables, or "
        "export given scenarios (patient cases) as such tables",
        epilog="examples: mvd-sim dataset --n 200 --seed 1 -o ds --meshes\n"
               "          mvd-sim dataset --n 5000 --seed 1 -o ds --workers 8\n"
               "          mvd-sim dataset --scenarios case.yaml aica_as_moderate_right -o ds "
               "--meshes\n"
               "read: pandas.read_parquet('ds/cases'), pyarrow.dataset.dataset('ds/contacts')\n"
               "an interrupted run resumes where it stopped when run again the same way",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, help="number of cases to sample")
    p.add_argument("--seed", type=int, help="random seed, 0 to 2**63-1 (same seed, same "
                   "tables)")
    p.add_argument("--scenarios", nargs="+", metavar="SCENARIO", help="export these "
                   "scenarios (files, e.g. from mvd-sim import, or bundled names) instead of "
                   "sampling: case k is the k-th, as mvd-sim analyze reports it")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="dataset folder")
    p.add_argument("--priors", metavar="FILE", help="priors YAML (default: the bundled "
                   "mvd_sim/dataset/priors.yaml)")
    p.add_argument("--meshes", action="store_true", help="also write each case's labelled "
                   "mesh (VTP) under DIR/meshes/")
    p.add_argument("--decompress", action="store_true", help="also plan each case and "
                   "record the predicted outcome (slow: seconds per case)")
    p.add_argument("--shard-size", type=int, default=SHARD_SIZE, metavar="N",
                   help="cases per Parquet shard (default: %(default)s)")
    p.add_argument("--workers", type=int, metavar="K", help="run on a local Dask cluster "
                   "of K processes")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing "
                   "dask.distributed scheduler")
    p.set_defaults(run=_cmd_dataset)

    p = sub.add_parser("report-schema", help="print the JSON Schema of a report")
    p.add_argument("kind", nargs="?", default="contact",
                   choices=("contact", "decompression", "plan"),
                   help="which report (default: contact)")
    p.set_defaults(run=_cmd_schema)

    p = sub.add_parser(
        "warmup", help="compile the numerical kernels into the cache ahead of the first run",
        epilog="examples: mvd-sim warmup\n"
               "          MVD_SIM_CACHE_DIR=/opt/cache mvd-sim warmup   # in a Docker image "
               "build\n"
               "the cache: $MVD_SIM_CACHE_DIR, else the user's cache folder, one subfolder per "
               "kernel sources and compiler",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(run=_cmd_warmup)
    _exercise_parsers(sub)
    return parser


def _exercise_parsers(sub) -> None:
    """``mvd-sim exercise new|grade|progress|curriculum``."""
    from mvd_sim.exercise.generate import LEVELS
    from mvd_sim.exercise.key import SECRET_ENV
    from mvd_sim.exercise.record import RECORD_ENV

    key_help = (f"the secret sealing the answer keys (default ${SECRET_ENV}, else this "
                "installation's secret file)")
    record_help = f"the trainees' record, SQLite (default ${RECORD_ENV}, else the user's data " \
        "folder)"
    top = sub.add_parser(
        "exercise", help="fellows' exercises: a case with its answer sealed, graded by a rubric",
        epilog="examples: mvd-sim exercise new --level easy --seed 1 -o ex/\n"
               "          mvd-sim exercise grade ex/ answer.yaml --trainee ana\n"
               "          mvd-sim exercise progress ana -o curve.png --csv ana.csv\n"
               "          mvd-sim exercise curriculum -o course/ --n 10 --seed 7 "
               "--key-out director_key.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    exercise = top.add_subparsers(dest="exercise_command", required=True, metavar="ACTION")

    p = exercise.add_parser("new", help="draw a case of a level and write it without its "
                            "answer", epilog="example: mvd-sim exercise new --level hard "
                            "--seed 3 -o ex/")
    p.add_argument("--level", required=True, choices=LEVELS, help="easy, standard or hard")
    p.add_argument("--seed", type=int, required=True, help="random seed (same seed, same case)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="exercise folder")
    p.add_argument("--priors", metavar="FILE", help="priors YAML (default: the bundled)")
    p.add_argument("--key", metavar="SECRET", help=key_help)
    p.set_defaults(run=_cmd_exercise_new)

    p = exercise.add_parser(
        "grade", help="score an answer by the rubric (the pads simulated through the pulse)",
        epilog="example: mvd-sim exercise grade ex/ answer.yaml --trainee ana\n"
               "writes feedback.png into the exercise folder: the case's contacts in their "
               "severity colours\n  beside the case after your operation, solved through the "
               "pulse",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", metavar="DIR", help="exercise folder (mvd-sim exercise new)")
    p.add_argument("answer", metavar="ANSWER", help="the answer YAML")
    p.add_argument("--trainee", metavar="NAME", help="record the attempt under this name")
    p.add_argument("--record", metavar="FILE", help=record_help)
    p.add_argument("--key", metavar="SECRET", help=key_help)
    p.add_argument("--no-picture", action="store_true", help="do not write feedback.png")
    p.set_defaults(run=_cmd_exercise_grade)

    p = exercise.add_parser("progress", help="print a trainee's learning curve; plot it",
                            epilog="example: mvd-sim exercise progress ana -o curve.svg "
                            "--csv ana.csv")
    p.add_argument("name", metavar="NAME", help="the trainee")
    p.add_argument("-o", "--output", metavar="FILE", help="plot of the curve (.png, .svg or .pdf)")
    p.add_argument("--csv", metavar="FILE", help="every attempt and item's points as CSV")
    p.add_argument("--record", metavar="FILE", help=record_help)
    p.set_defaults(run=_cmd_exercise_progress)

    p = exercise.add_parser(
        "curriculum", help="a fixed, seeded set of exercises from easy to hard",
        epilog="example: mvd-sim exercise curriculum -o course/ --n 10 --seed 7 "
               "--key-out director_key.yaml\n"
               "the first third easy, the next standard, the last hard; the director's key "
               "is written apart",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="curriculum folder")
    p.add_argument("--n", type=int, required=True, help="number of exercises (1-50)")
    p.add_argument("--seed", type=int, required=True, help="random seed")
    p.add_argument("--key-out", required=True, metavar="FILE", help="the director's answer "
                   "key (.yaml), outside the curriculum's folder")
    p.add_argument("--key", metavar="SECRET", help=key_help)
    p.set_defaults(run=_cmd_exercise_curriculum)


def _report_options(p: argparse.ArgumentParser) -> None:
    """Scenario, output and threshold options shared by the analysing commands."""
    defaults = mvd_sim.SeverityThresholds()
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file or bundled name")
    p.add_argument("--json", action="store_true", help="print the JSON report")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the JSON report to FILE (a .json file)")
    own = "; an imported case's own are widened to its voxel"
    p.add_argument("--margin", type=float, metavar="MM",
                   help=f"near-miss margin for vessels at risk (default: "
                   f"{defaults.near_miss_mm}{own})")
    p.add_argument("--contact-mm", type=float, metavar="MM",
                   help=f"surfaces this close touch (default: {defaults.contact_mm}{own})")
    p.add_argument("--indentation-mm", type=float, metavar="MM",
                   help=f"indentation that makes a contact moderate (default: "
                   f"{defaults.indentation_mm}{own})")
    p.add_argument("--deviation-mm", type=float, metavar="MM",
                   help=f"deviation that makes a contact severe (default: "
                   f"{defaults.deviation_mm})")


class _StatusHandler(logging.Handler):
    """Shows each progress message as the text of a rich status line."""

    def __init__(self, status) -> None:
        super().__init__(logging.INFO)
        self.status = status

    def emit(self, record: logging.LogRecord) -> None:
        self.status.update(record.getMessage())


@contextmanager
def _progress_shown() -> Iterator[None]:
    """Show the package's progress messages (logger ``mvd_sim``, INFO: solver iterations,
    pulse levels, planner candidates) as one changing status line on stderr, where stderr
    is a terminal; pipes and files get nothing."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    logger = logging.getLogger("mvd_sim")
    level = logger.level
    with Console(stderr=True).status("working") as status:
        handler = _StatusHandler(status)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)


def _refuse_before_work(args: argparse.Namespace) -> None:
    """What refuses a command before any work, a first run's compiling included: ``view``
    with no display, an ``-o`` that names one of the command's own input files."""
    if args.run is _cmd_view:
        from mvd_sim.viz.viewer import require_display

        require_display()
    _refuse_output_over_input(args)


def _refuse_output_over_input(args: argparse.Namespace) -> None:
    """Refuse an ``-o`` that names one of the command's own input files (``analyze X.yaml -o
    X.yaml`` would replace the case with its report)."""
    output = getattr(args, "output", None)
    if not output or not os.path.isfile(output):
        return
    scenario = getattr(args, "scenario", None)
    inputs = [mvd_sim.resolve_scenario(scenario)] if scenario else []
    inputs += filter(None, (getattr(args, "plan", None), getattr(args, "priors", None)))
    for path in inputs:
        if os.path.isfile(path) and os.path.samefile(path, output):
            raise MvdSimError(f"-o {output}: is the input file {path}; write the output "
                              "elsewhere")


# commands that may solve the mechanics (a post-operative scenario's pads are solved on load)
_SHOWS_PROGRESS = (_cmd_analyze, _cmd_decompress, _cmd_plan, _cmd_render, _cmd_report,
                   _cmd_export, _cmd_validate, _cmd_exercise_grade)
# commands that build scenes, so run compiled kernels
_USES_KERNELS = (*_SHOWS_PROGRESS, _cmd_view, _cmd_serve, _cmd_dataset, _cmd_import,
                 _cmd_exercise_new, _cmd_exercise_curriculum)
# of them, those that solve no mechanics but for a post-operative scenario's
_SCENE_COMMANDS = (_cmd_analyze, _cmd_render, _cmd_report, _cmd_export, _cmd_validate,
                   _cmd_import)


def _interrupted() -> int:
    """Say so in one line; objects the interrupt left half-built (a Dask future caught in its
    constructor, say) may complain from their destructors as the process ends, so from here on
    such complaints are not printed."""
    print("mvd-sim: interrupted", file=sys.stderr)
    sys.unraisablehook = lambda unraisable: None
    return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 bad input, 3 not decompressed, 70
    internal error, 130 interrupted)."""
    if hasattr(signal, "SIGPIPE"):  # `mvd-sim list | head` ends quietly, like other tools
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = _parser().parse_args(argv)
    try:
        _refuse_before_work(args)
        compiled_first = (_kernels_compiled_first(_kernel_groups(args))
                          if args.run in _USES_KERNELS else nullcontext())
        with compiled_first, _progress_shown() if args.run in _SHOWS_PROGRESS else nullcontext():
            return args.run(args)
    except MvdSimError as err:
        print(f"mvd-sim: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return _interrupted()
    except Exception as err:  # noqa: BLE001 - last line of defence: one line, no traceback
        if raised_by_interrupt(err):  # a Ctrl-C that landed in compiled code
            return _interrupted()
        if os.environ.get("MVD_SIM_DEBUG"):
            traceback.print_exc()
        print(f"mvd-sim: internal error: {type(err).__name__}: {err} "
              "(set MVD_SIM_DEBUG=1 for a traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
