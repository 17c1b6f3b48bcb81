"""Validation against published patterns (pattern-oriented modelling, Grimm et al. 2005).

``patterns`` states the ten patterns with their sources and fixed pass bands, ``experiments``
the runs behind them, ``measures`` the statistics that turn runs into estimates with 95 %
confidence intervals, ``report`` the verdicts, tables and figures, and ``run`` puts them
together in a result folder (``cxsim validate``).
"""
