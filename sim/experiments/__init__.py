"""The experiment layer: specs, batches (local or Dask), comparisons, statistics and figures."""
