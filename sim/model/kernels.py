"""The model's compiled loops (Numba), built ahead of a batch of processes.

A kernel is compiled the first time it is called with a new combination of argument types and
then read from Numba's on-disk cache. Many processes starting at once on a fresh install (a
test run, a pool of workers) would all compile and write the same kernels; a short run of a
small company first calls every kernel with the types a run uses, so the cache is written once.
"""

from __future__ import annotations


def compile_kernels() -> None:
    """Call every kernel once: eight weeks of a small company with a shared customer record, so team
    and executive meetings, customer news, the record and the seat assignments all occur."""
    from sim.model.cxmodel import CXModel
    from sim.scenario.schema import Scenario, deep_merge

    small = {
        "steps": 8,
        "warmup": 2,
        "organization": {
            "units": {"sales": {"employees": 6}, "delivery": {"employees": 8}, "support": {"employees": 5}}
        },
        "customers": {"accounts": 60, "prospects": 8},
        "policies": {"shared_customer_record": True},
    }
    for segment in ("small", "mid_market", "enterprise"):
        small["customers"].setdefault("segments", {})[segment] = {"market_potential": 400}
    CXModel(Scenario.model_validate(deep_merge(Scenario().model_dump(), small)), rng=1, collect=False).run()


if __name__ == "__main__":
    compile_kernels()
