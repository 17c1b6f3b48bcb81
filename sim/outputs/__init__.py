"""Single-run outputs: run a scenario, summarise it, draw its figures, record its provenance."""
