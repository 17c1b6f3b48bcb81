"""``cxsim report``: one self-contained HTML page for any result folder, to read and to forward."""
