"""The model: CXModel, its agents, the state stores, and one module per ODD process under ``phases``."""

from sim.model.cxmodel import LEVERS, CXModel

__all__ = ["LEVERS", "CXModel"]
