"""Offline front-end assets for the dashboard (Solara's CDN cache, filled from npm).

Solara's page loads its JavaScript and CSS (the Vue/Vuetify app, require.js, Font
Awesome, Vega for the charts) from ``/_solara/cdn/<package>@<version>/<file>``. The
server answers those paths from its asset cache directory and only goes to a public CDN
when a file is missing, so a classroom behind a firewall gets a blank page. This module
fills the cache once with ``npm pack`` from the npm registry: each package's tarball is
unpacked into ``<cache>/<package>@<version-as-Solara-asks-for-it>/``, written under a
temporary name and renamed, so an interrupted set-up never leaves a half package that
looks complete. Running it again downloads nothing.

The project's Chinese font is copied in from the installed ``fonts`` extra
(:mod:`chainsim.dashboard.webfont`), also without the network.

Command line: ``python -m chainsim.dashboard.assets [--cache-dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from chainsim.dashboard.webfont import ensure_font

MARKER = ".chainsim-npm.json"  # written last into each unpacked package: "this one is complete"
ENV_DIR = "CHAINSIM_ASSETS_DIR"


@dataclass(frozen=True)
class Package:
    name: str  # npm name
    spec: str  # the version exactly as Solara writes it in its URLs ("5" for vega@5)
    required: str  # what needs it, for messages

    @property
    def key(self) -> str:
        return f"{self.name}@{self.spec}"


# What Solara 1.64.1 requests from the CDN path (server/templates/solara.html.j2,
# settings.assets.fontawesome_path, widgets/vue/vegalite.vue); tests/test_dashboard.py
# checks this list against the installed Solara, so an upgrade cannot silently go online.
VUETIFY3_APP = Package("@widgetti/solara-vuetify3-app", "5.2.0", "the page (Vue 3: ipyvue/ipyvuetify 3)")
VUETIFY2_APP = Package("@widgetti/solara-vuetify-app", "10.1.1", "the page (Vue 2: ipyvue/ipyvuetify 2)")
COMMON = (
    Package("requirejs", "2.3.6", "module loading"),
    Package("font-awesome", "4.5.0", "icons"),
    Package("vega", "5", "charts"),
    Package("vega-lite", "5", "charts"),
    Package("vega-embed", "6", "charts"),
)


class AssetError(RuntimeError):
    """The assets could not be set up (no npm, no registry, a broken tarball)."""


def default_cache_dir() -> Path:
    """``$CHAINSIM_ASSETS_DIR``, else Solara's own default (``<venv>/share/solara/cdn``)."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser().resolve()
    return Path(sys.prefix) / "share" / "solara" / "cdn"


def vue_major() -> int:
    """Vue generation of the installed widgets: ipyvue 3 renders with Vue 3."""
    try:
        return int(metadata.version("ipyvue").split(".")[0])
    except metadata.PackageNotFoundError:  # pragma: no cover - solara depends on ipyvue
        return 2


def packages() -> tuple[Package, ...]:
    """The packages this installation's Solara page requests."""
    return (VUETIFY3_APP if vue_major() >= 3 else VUETIFY2_APP, *COMMON)


def missing(cache_dir: Path | None = None) -> list[Package]:
    """Packages not yet (completely) in the cache."""
    root = cache_dir or default_cache_dir()
    return [p for p in packages() if not (root / p.key / MARKER).is_file()]


def ensure_assets(cache_dir: Path | None = None, *, log=print) -> Path:
    """Fill the cache with every package it lacks (one ``npm pack`` for all of them).

    Idempotent: a complete cache costs one directory check per package and no network.
    Raises :class:`AssetError` with what to do when npm is missing or fails.
    """
    root = cache_dir or default_cache_dir()
    todo = missing(root)
    if not todo:
        ensure_font(root, log=log)  # from the installed ``fonts`` extra: no network
        return root
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "the dashboard's front-end assets are not set up and 'npm' is not on the PATH.\n"
            "  Install Node.js/npm once (Debian/Ubuntu: apt-get install -y npm), then run\n"
            "  'chainsim dashboard' again (or: python -m chainsim.dashboard.assets).\n"
            f"  Missing in {root}: {', '.join(p.key for p in todo)}"
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise AssetError(
            f"cannot create the asset cache {root}: {err}; set {ENV_DIR} to a writable directory"
        ) from None
    log(
        f"[dashboard] fetching front-end assets from the npm registry into {root}: {', '.join(p.key for p in todo)}"
    )
    with tempfile.TemporaryDirectory(prefix=".npm-pack-", dir=root) as tmp:
        tarballs = _npm_pack(npm, [p.key for p in todo], Path(tmp))
        for pkg, (tarball, version) in zip(todo, tarballs, strict=True):
            _unpack(
                Path(tmp) / tarball,
                root / pkg.key,
                {"package": pkg.name, "requested": pkg.spec, "version": version},
            )
    ensure_font(root, log=log)
    total = sum(_size(root / p.key) for p in packages())
    log(f"[dashboard] assets ready: {len(packages())} packages, {total / 2**20:.0f} MiB in {root}")
    return root


def _npm_pack(npm: str, specs: list[str], dest: Path) -> list[tuple[str, str]]:
    """``npm pack`` the specs into ``dest``; return (tarball file name, resolved version) per spec."""
    cmd = [npm, "pack", *specs, "--json", "--pack-destination", str(dest)]
    try:
        done = subprocess.run(cmd, cwd=dest, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        raise AssetError("npm pack timed out after 10 minutes (is the npm registry reachable?)") from None
    if done.returncode != 0:
        tail = "\n    ".join((done.stderr or done.stdout).strip().splitlines()[-8:])
        raise AssetError(
            f"npm pack failed (exit {done.returncode}); is the npm registry reachable?\n    {tail}"
        )
    try:
        info = json.loads(done.stdout)
        return [(item["filename"], item["version"]) for item in info]
    except (ValueError, KeyError, TypeError):
        raise AssetError(f"npm pack printed unexpected output: {done.stdout[:300]!r}") from None


def _unpack(tarball: Path, target: Path, meta: dict[str, str]) -> None:
    """Unpack an npm tarball's ``package/`` folder as ``target``, atomically."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=tarball.parent))
    with tarfile.open(tarball) as tar:
        # the "data" filter refuses absolute paths, links out of the tree and devices
        tar.extractall(staging, filter="data")
    inner = staging / "package"
    if not inner.is_dir():  # every npm tarball has one top folder, almost always "package"
        dirs = [d for d in staging.iterdir() if d.is_dir()]
        if len(dirs) != 1:
            raise AssetError(f"{tarball.name}: unexpected layout (no single top folder)")
        inner = dirs[0]
    (inner / MARKER).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)  # scoped names: <root>/@widgetti/…
    if target.exists():  # an incomplete earlier attempt (no marker): replace it
        shutil.rmtree(target)
    os.replace(inner, target)


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m chainsim.dashboard.assets",
        description="Fetch the dashboard's front-end assets once from npm (for offline use).",
    )
    ap.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help=f"asset cache (default: ${ENV_DIR} or <venv>/share/solara/cdn)",
    )
    args = ap.parse_args(argv)
    try:
        root = ensure_assets(args.cache_dir)
    except AssetError as err:
        print(f"chainsim: error: {err}", file=sys.stderr)
        return 2
    print(f"{root}: {', '.join(p.key for p in packages())} present")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
