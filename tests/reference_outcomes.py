"""Reference outcomes of the planner and the decompression, to hold a faster solver to.

Run: ``python tests/reference_outcomes.py OUT.json [WORKERS]`` with the mvd-sim to take the
reference from on the path. ``tests/surgery/reference_outcomes.json`` was made from the code
before issue #27's speed-ups (commit 7357070)::

    mkdir /tmp/base && git archive 7357070 mvd_sim scenarios | tar -x -C /tmp/base
    PYTHONPATH=/tmp/base python tests/reference_outcomes.py tests/surgery/reference_outcomes.json

(about 5 minutes on 2 cores with that code). Imported by the test, it is the one definition
of what is recorded.

Cases that code could not make are recorded from a later commit, named in the file's
``_recorded_at`` entry (key -> commit, and why): the bundled cases of issue #26 (tumour,
aneurysm, dolichoectasia, AVM, arachnoid band), and sampled case 50, which #26's sampler now
draws with a tumour (other causes at their published share). They were recorded from commit
183d095 (main with #26's second part: an aneurysm's dome carried through the pulse, which
moves ``aneurysm_pica_rexp_right``'s clearance by 0.014 mm against the first part) with::

    mkdir /tmp/at && git archive 183d095 mvd_sim scenarios | tar -x -C /tmp/at
    PYTHONPATH=/tmp/at python tests/reference_outcomes.py \
        tests/surgery/reference_outcomes.json 2 --add 183d095 \
        bundled:aneurysm_pica_rexp_right ... sampled:50

For every bundled case and :data:`SAMPLED` sampled ones (seed 11 of 300, the first 100 and
case 261, which did not settle then) it records the plan (feasible, its moves) and, where the
plan predicts, the decompression's verdict, worst clearances, nerve deviations, each
vessel's displacement and the CN VII / CN VIII contacts' severities, before and after; for
every bundled case also the decompression of its own operation (:func:`mvd_sim.decompress`).
A case whose plan or decompression raises records the error's type.

A case whose outcome legitimately changes with a later commit (a solver that now converges
where the old one failed, a tie now broken by rule rather than by rounding) is recorded
again from that commit with its reason, noted in ``_rerecorded`` (key -> ``commit:
reason``), one reason per run::

    python tests/reference_outcomes.py tests/surgery/reference_outcomes.json 1 \
        --rerecord COMMIT "why the outcome changed" bundled:NAME sampled:INDEX
``tests/surgery/test_reference_outcomes.py`` compares the current code with it (the
tolerances are stated there).

The sampled cases are read from their scenarios frozen in ``tests/surgery/sampled_scenarios/``
(``caseNNNNNNN.yaml``, the scenario the sampler drew for that index, its other cause's
structures included), not drawn again: a sampler that draws differently (issue #27's
dataset speed-ups) leaves the reference cases as they were. They were written by the
sampler of commit 4e33f11, whose draws the reference test passed on (the cases its outcomes
were recorded of), with::

    python tests/reference_outcomes.py --freeze tests/surgery/sampled_scenarios
"""

from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import mvd_sim
from mvd_sim.case import Case
from mvd_sim.core.errors import MvdSimError
from mvd_sim.dataset.causes import VASCULAR
from mvd_sim.dataset.priors import load_priors
from mvd_sim.dataset.sampler import sample
from mvd_sim.scenario import ScenarioSpec, load_scenario, scenario_to_yaml

SEED, N = 11, 300
SAMPLED = tuple(range(100)) + (261,)
#: The sampled cases' scenarios, frozen (see the module docstring).
FROZEN = Path(__file__).parent / "surgery" / "sampled_scenarios"
# how :func:`mvd_sim.dataset.causes.with_cause` ends a case's description
_CAUSE = re.compile(r" Cause: ([a-z ]+)\.$")


def _move(move) -> dict:
    out = {"kind": move.kind, "vessel": move.vessel}
    if move.sponge is not None:
        pad = move.sponge
        out.update(seat=pad.seat, shape=pad.shape, diameter_mm=pad.diameter_mm,
                   where_mm=pad.vessel_s_mm if pad.vessel_s_mm is not None else pad.s_mm)
    if move.transposition is not None:
        out.update(distance_mm=move.transposition.distance_mm,
                   where_mm=move.transposition.vessel_s_mm)
    return out


def _state(summary) -> dict:
    return {"worst_clearance_mm": summary.worst_clearance_mm,
            "nerve_deviation_mm": summary.nerve_deviation_mm,
            "contacts": sorted([c.vessel, c.nerve, c.segment, c.severity]
                               for c in summary.contacts + summary.cn8_contacts)}


def _report(report) -> dict:
    return {"status": report.status, "before": _state(report.before),
            "after": _state(report.after),
            "displacement_mm": {v.vessel: [v.displacement_before_mm, v.displacement_after_mm]
                                for v in report.vessels}}


def outcome(case: Case, own_operation: bool) -> dict:
    """What the reference records of one case."""
    row: dict = {}
    try:
        plan = mvd_sim.plan(case)
        row["plan"] = {"feasible": plan.feasible, "moves": [_move(m) for m in plan.moves],
                       "predicted": None if plan.predicted is None
                       else _report(plan.predicted)}
    except MvdSimError as err:
        row["plan"] = {"error": type(err).__name__}
    if own_operation:
        try:
            row["decompress"] = _report(mvd_sim.decompress(case))
        except MvdSimError as err:
            row["decompress"] = {"error": type(err).__name__}
    return row


def bundled(name: str) -> tuple[str, dict]:
    """The key and the outcome of a bundled case."""
    return f"bundled:{name}", outcome(Case.bundled(name), True)


def _frozen_path(index: int) -> Path:
    return FROZEN / f"case{index:07d}.yaml"


def frozen_spec(index: int) -> ScenarioSpec:
    """The scenario of sampled case ``index`` (seed :data:`SEED` of :data:`N`), as frozen."""
    return load_scenario(_frozen_path(index))


def sampled_cause(index: int) -> str:
    """The cause sampled case ``index`` was drawn with (``vascular`` or another), as its
    frozen scenario's description names it."""
    found = _CAUSE.search(frozen_spec(index).description)
    return VASCULAR if found is None else found.group(1).replace(" ", "_")


def sampled(index: int) -> tuple[str, dict]:
    """The key and the outcome of sampled case ``index`` (seed :data:`SEED` of :data:`N`),
    built from its frozen scenario."""
    return f"sampled:{SEED}:{N}:{index}", outcome(Case.from_yaml(_frozen_path(index)), False)


def freeze(folder: str) -> None:
    """Write the scenario the sampler draws for each of :data:`SAMPLED` into ``folder``
    (``caseNNNNNNN.yaml``, the case's name)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    priors = load_priors()
    for index in SAMPLED:
        spec = sample(priors, SEED, N, index).spec
        (out / f"case{index:07d}.yaml").write_text(scenario_to_yaml(spec), encoding="utf-8")
    print(f"{folder}: {len(SAMPLED)} scenarios")


# why a case is recorded from a later commit than 7357070
_WHY = {"bundled": "a bundled case of issue #26 (another cause), which 7357070 did not have",
        "sampled": "issue #26's sampler draws this index with another cause (at its published "
                   "share), so it is no longer the case 7357070 drew"}


def _outcomes(keys: list[str], workers: int) -> dict:
    """The outcomes of ``keys`` (``bundled:NAME`` or ``sampled:INDEX``) with the code on the
    path, keyed as the reference file keys them, computed on ``workers`` processes."""
    names = [k.split(":", 1)[1] for k in keys if k.startswith("bundled:")]
    indices = [int(k.split(":", 1)[1]) for k in keys if k.startswith("sampled:")]
    with ProcessPoolExecutor(workers) as pool:
        new = dict(pool.map(bundled, names))
        new.update(pool.map(sampled, indices))
    return new


def add(out: str, commit: str, keys: list[str], workers: int) -> None:
    """Record ``keys`` (``bundled:NAME`` or ``sampled:INDEX``) into the existing reference
    ``out`` with the code on the path, noting ``commit`` for each in ``_recorded_at``."""
    with open(out, encoding="utf-8") as handle:
        rows = json.load(handle)
    new = _outcomes(keys, workers)
    rows.update(new)
    rows.setdefault("_recorded_at", {}).update(
        {key: f"{commit}: {_WHY[key.split(':')[0]]}" for key in new})
    _write(out, rows)


def rerecord(out: str, commit: str, reason: str, keys: list[str], workers: int) -> None:
    """Record ``keys`` again into the existing reference ``out`` with the code on the path
    (``commit``), because their outcome legitimately changed there: ``reason`` (one
    sentence, noted for each in ``_rerecorded`` as ``commit: reason``)."""
    with open(out, encoding="utf-8") as handle:
        rows = json.load(handle)
    stored = [key if key.startswith("bundled:") else f"sampled:{SEED}:{N}:{key.split(':')[1]}"
              for key in keys]
    missing = [key for key, full in zip(keys, stored) if full not in rows]
    if missing:
        raise SystemExit(f"--rerecord: {', '.join(missing)} not in {out}")
    new = _outcomes(keys, workers)
    rows.update(new)
    rows.setdefault("_rerecorded", {}).update({key: f"{commit}: {reason}" for key in new})
    _write(out, rows)


def _write(out: str, rows: dict) -> None:
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(rows, handle, indent=1, sort_keys=True)
        handle.write("\n")
    print(f"{out}: {sum(not k.startswith('_') for k in rows)} cases")


def main(out: str, workers: int) -> None:
    with ProcessPoolExecutor(workers) as pool:
        rows = dict(pool.map(bundled, sorted(mvd_sim.bundled_scenarios())))
        rows.update(pool.map(sampled, SAMPLED))
    _write(out, rows)


if __name__ == "__main__":
    if sys.argv[1] == "--freeze":
        freeze(sys.argv[2])
    elif "--rerecord" in sys.argv:
        at = sys.argv.index("--rerecord")
        rerecord(sys.argv[1], sys.argv[at + 1], sys.argv[at + 2], sys.argv[at + 3:],
                 int(sys.argv[2]))
    elif "--add" in sys.argv:
        at = sys.argv.index("--add")
        add(sys.argv[1], sys.argv[at + 1], sys.argv[at + 2:], int(sys.argv[2]))
    else:
        main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2)
