"""``chainsim dashboard [SCENARIO] [--host 127.0.0.1] [--port 8765]``: the teaching dashboard.

Checks the scenario, makes sure the front-end assets are in Solara's cache (fetching
them once from npm, :mod:`chainsim.dashboard.assets`), then replaces itself with
``solara run chainsim.dashboard.app`` in production mode (no hot reload: reloading
re-imports NumPy and breaks). Telemetry is off and the page loads nothing from outside
the machine. It listens on 127.0.0.1 unless told otherwise, and warns when told otherwise:
anyone who can reach the port can run the model and change its settings.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

from chainsim.config.loader import ScenarioError

DEFAULT_SCENARIO = "scenarios/kunming_2023.yaml"
EXIT_ENVIRONMENT = 1  # npm missing, registry unreachable: not the user's input


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "dashboard",
        help="start the teaching dashboard (a web page, offline)",
        description="Start the teaching dashboard: a live, bilingual (English/中文) page that steps the model. "
        "The first start fetches the page's front-end files once from the npm registry; "
        "after that the page works without internet.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"scenario YAML to start from (default: {DEFAULT_SCENARIO})",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 opens it to the network)",
    )
    p.add_argument("--port", type=_port, default=8765, help="port (default 8765)")
    p.add_argument("--open", action="store_true", help="open the page in the default web browser")
    p.set_defaults(handler=run)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535, got {value}")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """What to tell the user when the page will be reachable from other machines."""
    if is_loopback(host):
        return None
    return (
        f"chainsim: WARNING: listening on {host}, not 127.0.0.1: anyone who can reach port {port} of this "
        "machine can open the dashboard, run the model and change its settings. Use this only on a network "
        "you trust (e.g. a classroom)."
    )


def server_env(scenario: Path, cache_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the Solara server process."""
    env = dict(os.environ if base is None else base)
    src = str(Path(__file__).resolve().parents[2])  # so the server imports this chainsim, installed or not
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    env.update(
        {
            "CHAINSIM_DASHBOARD_SCENARIO": str(scenario),
            "SOLARA_ASSETS_PROXY_CACHE_DIR": str(cache_dir),
            "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
            "SOLARA_THEME_SHOW_BANNER": "False",
            "SOLARA_THEME_TITLE": "chainsim",
        }
    )
    return env


def server_command(host: str, port: int, open_browser: bool = False) -> list[str]:
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "chainsim.dashboard.app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--theme-loader",
        "plain",
        "--open" if open_browser else "--no-open",
    ]


def run(args: argparse.Namespace) -> int:
    from chainsim.api import load
    from chainsim.dashboard.assets import AssetError, ensure_assets

    scenario = Path(args.scenario)
    load(scenario)  # a bad file: ScenarioError → one message, exit 2, before anything starts
    if (warning := exposure_warning(args.host, args.port)) is not None:
        print(warning, file=sys.stderr)
    try:
        cache = ensure_assets(log=lambda msg: print(msg, file=sys.stderr))
    except AssetError as err:
        print(f"chainsim: error: {err}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    env = server_env(scenario, cache)  # as given: the server runs in this directory
    cmd = server_command(args.host, args.port, args.open)
    shown = "localhost" if is_loopback(args.host) else args.host
    print(
        f"chainsim dashboard: http://{shown}:{args.port}/  (scenario {scenario}; Ctrl+C stops it)",
        file=sys.stderr,
    )
    sys.stderr.flush()
    sys.stdout.flush()
    try:
        os.execve(cmd[0], cmd, env)  # the server takes this process's place (and its signals)
    except OSError as err:  # pragma: no cover - the interpreter itself is missing
        raise ScenarioError(f"could not start the Solara server: {err}") from None
    return 0  # pragma: no cover
