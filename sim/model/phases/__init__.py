"""One module per ODD process, in the order a week runs them (see :mod:`sim.model.cxmodel`).

Each phase is a function of the :class:`~sim.model.world.World`: it reads and writes the state
stores and draws from the world's generator; it never calls back into the Mesa model.
"""
