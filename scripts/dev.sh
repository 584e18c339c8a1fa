#!/usr/bin/env bash
set -euo pipefail
ROOT="$(pwd)"
VENV="${CHAINSIM_VENV:-$ROOT/.venv}"
EXTRAS="${CHAINSIM_EXTRAS:-test}"

say() { printf '[dev] %s\n' "$*" >&2; }

py_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  # Mesa 3.5 needs Python >= 3.12; this machine's default python3 may be 3.11.
  local c
  for c in "${CHAINSIM_PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && py_ok "$(command -v "$c")"; then command -v "$c"; return 0; fi
  done
  for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    if [ -x "$c" ] && py_ok "$c"; then echo "$c"; return 0; fi
  done
  return 1
}

setup() {
  local stamp="$VENV/.chainsim-setup" want
  want="$(cat pyproject.toml | sha256sum | cut -c1-16) $EXTRAS"
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  local py
  if ! py="$(find_python)"; then
    say "error: no Python >= 3.12 found. Install one (e.g. 'pyenv install 3.12') or set CHAINSIM_PYTHON=/path/to/python3.12."
    exit 2
  fi
  say "setting up $VENV with $py ($("$py" -V 2>&1)), extras [$EXTRAS]"
  [ -x "$VENV/bin/python" ] && py_ok "$VENV/bin/python" || { rm -rf "$VENV"; "$py" -m venv "$VENV"; }
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[$EXTRAS]"
  echo "$want" > "$stamp"
}

cmd="${1:-run}"; [ $# -gt 0 ] && shift
case "$cmd" in
  setup) setup ;;
  run)
    setup
    if [ $# -eq 0 ]; then set -- scenarios/kunming_2023.yaml --replications 20 --out out/kunming_2023 --force; fi
    exec "$VENV/bin/chainsim" run "$@" ;;
  test)
    setup
    exec "$VENV/bin/python" -m pytest "$@" ;;
  chainsim) setup; exec "$VENV/bin/chainsim" "$@" ;;
  bench) setup; exec "$VENV/bin/python" benchmarks/run.py "$@" ;;
  baseline) setup; exec "$VENV/bin/python" scripts/refresh_baseline.py "$@" ;;
  lint)
    setup
    "$VENV/bin/ruff" check src tests benchmarks scripts
    "$VENV/bin/ruff" format --check src tests benchmarks scripts
    "$VENV/bin/mypy" ;;  # checks the packages listed in pyproject.toml [tool.mypy] files
  *) say "unknown command '$cmd' (use: run, test, setup, chainsim, bench, baseline, lint)"; exit 2 ;;
esac
