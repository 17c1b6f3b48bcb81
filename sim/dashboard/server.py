"""Serving the page: Solara's server under uvicorn, on a loopback port, with no internet needed.

Solara's page loads its front-end files through its own ``/_solara/cdn/`` route, which fetches
them from a public CDN unless they are in its cache folder. The files the page needs are shipped
in ``assets/cdn`` (see ``assets/README.md``) and that folder is made the cache; the CDN itself is
pointed at a closed loopback port, so a file missing from the package fails at once instead of
reaching out, and Solara's usage telemetry is off. All of this is read by Solara when it is
first imported, so :func:`offline_environment` is applied before that.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
import warnings
import webbrowser
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from sim.errors import MISSING, InputError

#: the shipped front-end files, laid out as Solara's CDN cache (``<package>@<version>/...``)
ASSETS = Path(str(files("sim.dashboard").joinpath("assets", "cdn")))
#: where a file missing from the shipped assets would be fetched: nowhere (a closed loopback port)
NO_CDN = "http://127.0.0.1:9/"
#: the module Solara serves
APP = "sim.dashboard.app"
#: the environment variable naming the scenario file (or shipped name) the page opens on
SCENARIO_ENV = "CXSIM_DASHBOARD_SCENARIO"


def offline_environment(source: str) -> dict[str, str]:
    """The environment Solara reads at import: shipped assets, no CDN, no telemetry, production mode."""
    return {
        "SOLARA_ASSETS_PROXY": "True",
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(ASSETS),
        "SOLARA_ASSETS_CDN": NO_CDN,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_MODE": "production",
        "SOLARA_THEME_SHOW_BANNER": "False",  # it would sit over the page's buttons
        "SOLARA_APP": APP,
        "MPLBACKEND": "Agg",
        SCENARIO_ENV: source,
    }


def check_port(host: str, port: int) -> None:
    """Refuse (InputError, one line) a port that is taken or a host this machine cannot serve on."""
    if not 1 <= port <= 65535:
        raise InputError("--port", None, port, "allowed: a whole number from 1 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise InputError("--host", None, host, "not an address of this machine (try 127.0.0.1)") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a closing connection is no user
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    "--port", None, port, f"already in use on {host}; stop what serves it or give another --port"
                ) from None
            if exc.errno == errno.EACCES:
                raise InputError(
                    "--port", None, port, "not allowed for this user (ports below 1024 need root)"
                ) from None
            raise InputError("--host", None, host, f"cannot serve on it ({exc.strerror})") from None


def url(host: str, port: int) -> str:
    """The address a browser opens."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    host: str, port: int, source: str, open_browser: bool = False, on_ready: Callable[[], None] | None = None
) -> None:
    """Run the page's server until interrupted (call :func:`check_port` first for a one-line error)."""
    os.environ.update(offline_environment(source))
    import uvicorn

    # Solara warns on every page load that a plain-http loopback session cannot use SameSite=None cookies
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            if on_ready is not None:
                on_ready()
            if open_browser:
                webbrowser.open(url(host, port))

    threading.Thread(target=announce, daemon=True).start()
    server.run()


#: the libraries of the page, from the ``viz`` extra (``make run`` installs cxsim without it)
VIZ_MODULES = ("solara", "uvicorn", "ipyvuetify", "mesa.visualization")


def missing_viz() -> InputError:
    """The one-line error when the page's libraries are not installed."""
    return InputError(
        "dashboard",
        None,
        MISSING,
        "needs the viz extra, which is not installed: run pip install -e '.[viz]' in the cxsim checkout "
        "(make test installs it too), or pip install 'cxsim[viz]'",
    )


def require_viz(source: str) -> None:
    """Import the page's libraries now, so that a missing one is :func:`missing_viz`'s line, not a traceback.

    Solara reads its settings when it is first imported, so the offline environment for the
    page on ``source`` is set first (or Solara would fetch its front-end files from the CDN).
    """
    import importlib

    os.environ.update(offline_environment(source))
    for name in VIZ_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            raise missing_viz() from None
