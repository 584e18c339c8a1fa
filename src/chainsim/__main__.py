"""``python -m chainsim`` = the ``chainsim`` command."""

from chainsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
