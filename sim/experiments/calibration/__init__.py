"""Calibration: fit chosen scenario parameters to target outcomes or a firm's KPI history (``cxsim calibrate``)."""
