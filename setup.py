"""Build hook: the shipped scenarios and experiment specs go into the wheel as package data.

Their source stays at the top of the repository (``scenarios/``, ``experiments/``); a built wheel
carries copies under ``sim/_shipped/`` with the same two folders side by side, so that the paths
inside them (``extends: baseline.yaml``, ``scenario: ../scenarios/baseline.yaml``) resolve there
as they do in a checkout. Editable installs read the checkout's folders and copy nothing.
All other settings are in ``pyproject.toml``.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("scenarios", "experiments")


class BuildWithShipped(build_py):
    """``build_py`` that also copies ``scenarios/*.yaml`` and ``experiments/*.yaml`` into the package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for kind in SHIPPED:
            files = sorted((HERE / kind).glob("*.yaml"))
            if not files:
                raise FileNotFoundError(f"no shipped {kind} found in {HERE / kind}")
            target = Path(self.build_lib, "sim", "_shipped", kind)
            self.mkpath(str(target))
            for source in files:
                self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildWithShipped})
