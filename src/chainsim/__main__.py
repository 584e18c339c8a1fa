"""``python -m chainsim`` = the ``chainsim`` command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
