"""The core: conventions and literature defaults, errors, the tube type and its exact geometry,
materials, clinical labels, compiled kernels' plumbing and atomic file output. Imports nothing
else of mvd_sim."""
