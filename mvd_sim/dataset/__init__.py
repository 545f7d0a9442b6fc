"""Research datasets: seeded sampling of cases from clinical priors, tables, scale-out."""
