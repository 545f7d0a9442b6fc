"""Reports: text tables and JSON (:mod:`~mvd_sim.report.tables`) and the self-contained HTML
case report (:mod:`~mvd_sim.report.html`)."""
