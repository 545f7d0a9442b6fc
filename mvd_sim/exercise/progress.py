"""A trainee's learning curve: their attempts' scores in order, as text and as a plot."""

from __future__ import annotations

import io

from mvd_sim.exercise.record import Attempt

__all__ = ["PLOT_SUFFIXES", "progress_table", "progress_plot"]

#: Suffixes of the learning curve's plot, and the format each names.
PLOT_SUFFIXES = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def progress_table(trainee: str, rows: list[Attempt]) -> str:
    """The learning curve as text: one line per attempt, oldest first."""
    if not rows:
        return f"{trainee}: no attempt recorded\n"
    lines = [f"{trainee}: {len(rows)} attempt(s)",
             f"{'#':>3}  {'graded (UTC)':<19}  {'exercise':<16} {'level':<8} "
             f"{'identification':>14} {'operation':>10} {'total':>8}  status"]
    for k, a in enumerate(rows, 1):
        lines.append(f"{k:>3}  {a.graded_at[:19]:<19}  {a.exercise:<16} {a.level:<8} "
                     f"{a.identification:>8.1f}/{a.identification_max:<5g} "
                     f"{a.operation:>5.1f}/{a.operation_max:<4g} "
                     f"{a.total:>5.1f}/{a.total_max:<4g} {a.status}")
    return "\n".join(lines) + "\n"


def progress_plot(trainee: str, rows: list[Attempt], fmt: str = "png") -> bytes:
    """The learning curve as a plot (``png``, ``svg`` or ``pdf`` bytes): each part's score as a
    percentage of its maximum, by attempt, with the total."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 4.0), dpi=120)
    axes = figure.add_subplot()
    attempts = list(range(1, len(rows) + 1))
    for label, values in (
            ("identification", [100 * a.identification / a.identification_max for a in rows]),
            ("operation", [100 * a.operation / a.operation_max for a in rows]),
            ("total", [100 * a.total / a.total_max for a in rows])):
        axes.plot(attempts, values, marker="o", label=label,
                  linewidth=2.5 if label == "total" else 1.2)
    for x, a in zip(attempts, rows):
        axes.annotate(a.level, (x, 2), ha="center", fontsize=7, color="0.4")
    axes.set(xlabel="attempt", ylabel="score (% of the part's points)", ylim=(0, 105),
             title=f"{trainee}: learning curve")
    axes.set_xticks(attempts)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    # no creation date in the vector formats and fixed SVG ids, so the same record makes the
    # same file
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt)
    with matplotlib.rc_context({"svg.hashsalt": "mvd-sim"}):
        figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()
