"""``python -m mvd_sim`` runs the CLI."""

import sys

from mvd_sim.cli import main

sys.exit(main())
