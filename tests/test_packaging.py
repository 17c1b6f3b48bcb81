"""Packaging: a built wheel carries the shipped inputs and runs from any folder; one version
source; only used dependencies declared; the lock file pins what ``make test`` installs; the
Makefile installs from it.

The wheel is built once per module from a copy of the sources, installed with ``--no-deps`` into
a fresh venv that borrows this environment's dependencies through a ``.pth`` file (its lines add
folders to ``sys.path`` without processing the ``.pth`` files in them, so this environment's
editable cxsim stays invisible). The venv lives inside an unrelated git repository, as a user's
project venv would.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import site
import subprocess
import sys
import tomllib
import venv
import zipfile
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import sim

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = REPO_ROOT / "constraints.txt"
SHIPPED = ("scenarios", "experiments")
PIP = (sys.executable, "-m", "pip", "--disable-pip-version-check")
#: what a build needs from the checkout (everything else, e.g. tests and results, stays out)
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "sim", *SHIPPED)
#: declared dependencies used without an import of their own
USED_WITHOUT_IMPORT = {"pyarrow": "the Parquet engine behind pandas' to_parquet/read_parquet"}


def shipped_files(kind: str) -> list[Path]:
    return sorted((REPO_ROOT / kind).glob("*.yaml"))


def clean_env() -> dict[str, str]:
    """The environment without anything that would put the checkout on ``sys.path``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


class Installed:
    """A wheel of the checkout, installed into a venv inside an unrelated git repository."""

    def __init__(self, base: Path) -> None:
        source = base / "source"
        source.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        for name in SOURCES:
            src = REPO_ROOT / name
            if src.is_dir():
                shutil.copytree(src, source / name, ignore=ignore)
            else:
                shutil.copy2(src, source / name)
        dist = base / "dist"
        built = subprocess.run(
            [*PIP, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(dist), str(source)],
            capture_output=True,
            text=True,
            env=clean_env(),
        )
        assert built.returncode == 0, built.stderr
        (self.wheel,) = dist.glob("cxsim-*.whl")

        self.project = base / "someone_elses_project"
        self.project.mkdir()
        (self.project / "notes.txt").write_text("not cxsim\n")
        git(self.project, "init", "-q")
        git(self.project, "add", "notes.txt")
        git(self.project, "commit", "-q", "-m", "unrelated")

        self.venv = self.project / ".venv"
        venv.EnvBuilder(with_pip=False).create(self.venv)
        self.python = self.venv / "bin" / "python"
        own_site = Path(self.query("import sysconfig; print(sysconfig.get_path('purelib'))"))
        (own_site / "borrowed_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
        installed = self.run_python(*PIP[1:], "install", "--no-deps", "--no-index", "-q", str(self.wheel))
        assert installed.returncode == 0, installed.stderr
        self.site = own_site
        self.cwd = self.project / "work"
        self.cwd.mkdir()

    def run_python(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *args], cwd=self.project, capture_output=True, text=True, env=clean_env(), timeout=120
        )

    def query(self, code: str) -> str:
        done = self.run_python("-c", code)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def cxsim(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "cxsim"), *args],
            cwd=self.cwd,
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=120,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    return Installed(tmp_path_factory.mktemp("wheel"))


# ---------------------------------------------------------------------------------------------
# the wheel


def test_wheel_carries_every_shipped_scenario_and_spec(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
        for kind in SHIPPED:
            files = shipped_files(kind)
            assert files, f"no shipped {kind} in the checkout"
            for f in files:
                member = f"sim/_shipped/{kind}/{f.name}"
                assert member in names, f"{member} missing from {installed.wheel.name}"
                assert whl.read(member) == f.read_bytes()
        assert not [n for n in names if n.split("/")[0] in SHIPPED], "shipped files must live inside the package"
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        assert f"\nVersion: {sim.__version__}\n" in whl.read(metadata).decode()


def test_wheel_carries_the_pages_front_end_files(installed: Installed) -> None:
    """``cxsim dashboard`` needs no internet from a wheel install either: its assets are package data."""
    assets = REPO_ROOT / "sim" / "dashboard" / "assets"
    shipped = sorted(p.relative_to(REPO_ROOT).as_posix() for p in assets.rglob("*") if p.is_file())
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
    assert len(shipped) > 50
    assert [n for n in shipped if n not in names] == []
    where = Path(installed.query("from sim.dashboard.server import ASSETS; print(ASSETS)"))
    assert where.is_relative_to(installed.site)
    assert (where / "requirejs@2.3.6" / "require.js").is_file()


def test_installed_copy_is_imported_not_the_checkout(installed: Installed) -> None:
    where = json.loads(
        installed.query(
            "import json, sim; from sim.scenario.shipped import shipped_dir, shipped_names;"
            "print(json.dumps({'sim': sim.__file__, 'scenarios': str(shipped_dir('scenarios')),"
            " 'experiments': str(shipped_dir('experiments')),"
            " 'names': {k: shipped_names(k) for k in ('scenarios', 'experiments')}}))"
        )
    )
    assert Path(where["sim"]).is_relative_to(installed.site)
    for kind in SHIPPED:
        assert Path(where[kind]) == installed.site / "sim" / "_shipped" / kind
        assert where["names"][kind] == [f.stem for f in shipped_files(kind)]


def test_every_shipped_input_loads_from_the_installed_copy(installed: Installed) -> None:
    """``extends: baseline.yaml`` and a spec's ``../scenarios/...`` resolve inside the package."""
    code = """
import sys
from sim.scenario.loading import load_scenario
from sim.scenario.shipped import locate, shipped_names
from sim.experiments.spec import load_experiment
from sim.experiments.calibration.spec import load_calibration
for name in shipped_names("scenarios"):
    path = locate(name, "scenarios")
    assert "_shipped" in path.parts, path
    load_scenario(path, [])
for name in shipped_names("experiments"):
    path = locate(name, "experiments")
    assert "_shipped" in path.parts, path
    (load_calibration if name.startswith("calibrate_") else load_experiment)(path)
print("ok")
"""
    assert installed.query(code) == "ok"


def test_cxsim_runs_a_shipped_scenario_by_name_from_another_folder(installed: Installed) -> None:
    done = installed.cxsim("run", "baseline", "--steps", "5", "--set", "warmup=1", "--out", "out", "--no-figures")
    assert done.returncode == 0, done.stdout + done.stderr
    out = installed.cwd / "out"
    assert (out / "timeseries.parquet").is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # installed inside someone else's git repository (and run from there): no commit of theirs
    assert manifest["git_commit"] is None


def test_cxsim_version(installed: Installed) -> None:
    done = installed.cxsim("--version")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split() == ["cxsim", sim.__version__] or done.stdout.strip() == sim.__version__


# ---------------------------------------------------------------------------------------------
# project metadata


def test_version_is_written_once() -> None:
    assert "version" not in PYPROJECT["project"]
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "sim.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", sim.__version__)


def imported_distributions() -> set[str]:
    """Distributions whose modules ``sim`` imports."""
    modules: set[str] = set()
    for path in (REPO_ROOT / "sim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    owners = packages_distributions()
    return {canonicalize_name(d) for m in modules for d in owners.get(m, [])}


def test_every_declared_dependency_is_used() -> None:
    used = imported_distributions()
    unused = []
    for line in PYPROJECT["project"]["dependencies"]:
        req = Requirement(line)
        names = {canonicalize_name(req.name)} | {canonicalize_name(e) for e in req.extras}
        if not names & used and req.name not in USED_WITHOUT_IMPORT:
            unused.append(req.name)
    assert not unused, f"declared but never imported by sim: {unused}"


def test_test_extras_bring_the_mesa_page_stack() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    reqs = {canonicalize_name(Requirement(r).name): Requirement(r) for r in extras["viz"]}
    assert "viz" in reqs["mesa"].extras
    for pinned_below_3 in ("ipyvuetify", "ipyvue"):
        assert not reqs[pinned_below_3].specifier.contains("3.0.0")
    assert "cxsim[viz]" in extras["test"]


# ---------------------------------------------------------------------------------------------
# the lock file


def locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version, f"not an exact pin in {LOCK.name}: {line}"
            pins[canonicalize_name(name)] = version
    return pins


def declared(extras: set[str]) -> list[Requirement]:
    """cxsim's own requirements with ``extras``, read from pyproject.toml (``cxsim[...]`` expanded)."""
    reqs, todo, seen = [], list(extras), set()
    lines = list(PYPROJECT["project"]["dependencies"])
    while todo:
        extra = todo.pop()
        if extra not in seen:
            seen.add(extra)
            lines += PYPROJECT["project"]["optional-dependencies"][extra]
    for line in lines:
        req = Requirement(line)
        if canonicalize_name(req.name) == "cxsim":
            reqs += [r for r in declared(set(req.extras) - seen) if r not in reqs]
        else:
            reqs.append(req)
    return reqs


def requirement_closure(roots: list[Requirement]) -> set[str]:
    """Every distribution ``roots`` need in this environment (markers evaluated), by canonical name."""
    seen: set[str] = set()
    todo = [(r.name, frozenset(r.extras)) for r in roots if r.marker is None or r.marker.evaluate()]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        dist_name, dist_extras = todo.pop()
        if (canonicalize_name(dist_name), dist_extras) in done:
            continue
        done.add((canonicalize_name(dist_name), dist_extras))
        seen.add(canonicalize_name(dist_name))
        try:
            requires = distribution(dist_name).requires or []
        except PackageNotFoundError:
            continue  # reported by the caller as not installed
        for line in requires:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in (dist_extras or {""})):
                todo.append((req.name, frozenset(req.extras)))
    return seen


def test_lock_pins_everything_make_test_installs_at_the_installed_version() -> None:
    pins = locked()
    needed = requirement_closure(declared({"test"}))
    assert needed - pins.keys() == set(), "needed by cxsim[test] but not pinned"
    drift = {}
    for name in needed:
        try:
            have = distribution(name).version
        except PackageNotFoundError:
            have = None
        if have != pins[name]:
            drift[name] = (have, pins[name])
    assert not drift, f"installed version differs from {LOCK.name} (installed, locked): {drift}"
    assert "pyinstrument" not in pins  # a profiler, never a dependency


# ---------------------------------------------------------------------------------------------
# the Makefile


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("make")
    if tool is None:
        pytest.skip("make is not installed")
    return subprocess.run(
        [tool, "--no-print-directory", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, env=env
    )


def test_make_test_installs_from_the_lock_then_lints_and_runs_pytest() -> None:
    plan = make("-n", "-B", "test")
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.splitlines()
    installs = [line for line in lines if " pip " in line and " install " in line]
    assert installs and all(f"-c {LOCK.name}" in line for line in installs)
    assert any("-e '.[test]'" in line for line in installs)
    assert "-qq" not in plan.stdout, "installs must show their progress"
    steps = [line for line in lines if not line.startswith("echo ")]
    tail = [line.split()[0].rsplit("/", 1)[-1] + " " + " ".join(line.split()[1:3]) for line in steps[-4:]]
    assert tail == ["ruff check sim", "ruff format --check", "python -m sim.model.kernels", "python -m pytest"]


@pytest.mark.parametrize("changed", ["pyproject.toml", LOCK.name])
def test_make_reinstalls_when_pyproject_or_lock_changes(changed: str) -> None:
    for target, extras in (("run", "'.'"), ("test", "'.[test]'")):
        plan = make("-n", "-W", changed, target)
        assert plan.returncode == 0, plan.stderr
        assert f"-c {LOCK.name} -e {extras}" in plan.stdout, (target, plan.stdout)


def test_make_says_clearly_when_no_python_is_found(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "HOME": str(tmp_path)}
    done = make(f"VENV={tmp_path / 'venv'}", str(tmp_path / "venv" / "bin" / "python"), env=env)
    assert done.returncode != 0
    assert "no Python >= 3.12 found on PATH or in pyenv" in done.stderr
    assert not (tmp_path / "venv").exists()


def test_ci_runs_make_test_only() -> None:
    commands = [
        line.strip()
        for line in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert commands[-1] == "exec make test"
    assert not [c for c in commands if {"pip", "pytest", "python"} & set(re.split(r"\W+", c))]
