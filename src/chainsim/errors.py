"""The one error boundary of every ``chainsim`` command (:func:`boundary`).

Whatever a command meets — bad input, an I/O fault, a resource limit, a signal — it ends
in ONE message on stderr that names what went wrong and where, and an exit status:

* 2 — bad input (:class:`~chainsim.config.errors.ScenarioError`): nothing was written;
* 1 — a fault (a full disk, a file-size limit, a read-only or vanished directory, a closed
  output pipe, memory, a bug): the message says what was kept and how to resume;
* 130 — interrupted (Ctrl-C, or SIGTERM, which is treated the same way).

Never a traceback (set ``CHAINSIM_DEBUG=1`` to see one). Messages are stripped of
terminal control characters, so a file name or a scenario's ``name`` cannot drive the
terminal.
"""

from __future__ import annotations

import _thread
import argparse
import errno
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chainsim.config.errors import ScenarioError

EXIT_FAULT, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: what an errno means to a user
_OS_WORDS = {
    errno.ENOSPC: "no space left on the device (the disk is full)",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "a file grew past the file-size limit (ulimit -f), not a full disk",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or directory (removed while chainsim ran?)",
    errno.ENOTDIR: "a path component is not a directory",
    errno.EISDIR: "is a directory",
    errno.EIO: "an input/output error of the device",
    errno.ENOMEM: "out of memory",
    errno.EMFILE: "too many open files (ulimit -n)",
    errno.ECONNREFUSED: "connection refused",
}


class Fault(Exception):
    """A failure that is not the user's input; ``str(err)`` says what was kept (exit 1)."""

    exit_code = EXIT_FAULT


def clean(text: str) -> str:
    """``text`` without terminal control characters (newlines and tabs kept)."""
    return _CONTROL.sub("?", text)


def say(text: str) -> None:
    try:
        sys.stderr.write(clean(text) + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr itself is gone: nothing left to tell
        pass


def describe_os_error(err: OSError) -> str:
    """'<file>: <what it means>' for an OSError."""
    words = _OS_WORDS.get(err.errno or -1) or err.strerror or str(err) or type(err).__name__
    if type(err).__name__ == "StoreError" or (err.errno is None and not err.filename):
        return str(err) or words  # a message of our own
    where = err.filename if err.filename is not None else None
    if where is not None and err.filename2 is not None:
        where = f"{where} → {err.filename2}"
    return f"{where}: {words}" if where is not None else words


def _kept(args: argparse.Namespace) -> str:
    """What is on disk after a fault, and how to go on."""
    out = getattr(args, "out", None) or getattr(args, "dir", None)
    if out is None and getattr(args, "command", None) == "calibrate" and getattr(args, "config", None):
        out = Path(args.config).parent  # calibrate writes beside its config by default
    if out is None:
        return "nothing was written"
    out = Path(out)
    try:
        has = out.is_dir() and any(out.iterdir())
    except OSError:
        has = False
    if not has:
        return f"nothing was written to {out}"
    resumable = args.command in ("sweep", "experiment", "calibrate")
    return f"what was complete in {out} is kept (files are written whole or not at all); " + (
        "fix the cause and rerun the same command: it resumes where it stopped"
        if resumable
        else "fix the cause and rerun the same command (with --force to replace chainsim's files)"
    )


def boundary(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run ``handler(args)`` and turn every failure into one message and an exit status."""
    restore = _signals()
    old_hook, sys.unraisablehook = sys.unraisablehook, _redeliver_interrupts(sys.unraisablehook)
    try:
        code = handler(args)
        sys.stdout.flush()  # a full disk or a closed pipe on stdout: reported here, not at exit
        return code
    except ScenarioError as err:
        say(f"chainsim: error: {err}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _debug()
        say(f"\nchainsim: interrupted; {_kept(args)}.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        say(f"chainsim: error: standard output was closed before the output was printed; {_kept(args)}.")
        return EXIT_FAULT
    except Fault as err:
        _debug()
        say(f"chainsim: error: {err}")
        return EXIT_FAULT
    except OSError as err:
        _debug()
        what = describe_os_error(err)
        if _is_stdout(err):
            _silence_stdout()
            what = f"standard output: {what}"
        say(f"chainsim: error: {what}; {_kept(args)}.")
        return EXIT_FAULT
    except MemoryError:
        _debug()
        say(
            f"chainsim: error: out of memory; {_kept(args)}. Use fewer replications, draws or runs, "
            "or a smaller population.pool_size."
        )
        return EXIT_FAULT
    except ValueError as err:
        if "null byte" not in str(err):
            return _internal(err, args)
        say("chainsim: error: a file name given cannot contain a NUL character")
        return EXIT_USAGE
    except RecursionError:
        _debug()
        say(f"chainsim: error: input nested too deeply; {_kept(args)}.")
        return EXIT_FAULT
    except Exception as err:  # a bug: still one message, and where to report it
        return _internal(err, args)
    finally:
        restore()
        sys.unraisablehook = old_hook


def _redeliver_interrupts(hook: Callable[[Any], None]) -> Callable[[Any], None]:
    """An interrupt raised where Python cannot propagate it — a signal handler that fires
    inside an at-fork hook while pyabc forks its workers, or inside a finalizer — is only
    printed ("Exception ignored in …") and the command would run on. Raise it again in the
    main thread, where the boundary sees it."""

    def redeliver(unraisable: Any) -> None:
        if (
            isinstance(unraisable.exc_value, KeyboardInterrupt)
            and threading.current_thread() is threading.main_thread()
        ):
            # from another thread, a moment later: raised here it would be swallowed again
            threading.Timer(0.05, _thread.interrupt_main, args=(signal.SIGINT,)).start()
            return
        hook(unraisable)

    return redeliver


def _interrupt_behind(err: BaseException) -> bool:
    """Was ``err`` raised while an interrupt was being handled (e.g. a library's cleanup
    failing because Ctrl-C cut its database transaction short)? Then it is an interrupt."""
    seen: set[int] = set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def _internal(err: Exception, args: argparse.Namespace) -> int:
    _debug()
    if _interrupt_behind(err):
        say(f"\nchainsim: interrupted; {_kept(args)}.")
        return EXIT_INTERRUPTED
    first = (str(err).strip().splitlines() or [""])[0][:300]
    say(
        f"chainsim: error: internal error ({type(err).__name__}: {first}); {_kept(args)}. "
        "Please report it with the command line (CHAINSIM_DEBUG=1 shows the traceback)."
    )
    return EXIT_FAULT


def _is_stdout(err: OSError) -> bool:
    """An error of printing (no file named) rather than of writing a file."""
    return (
        err.filename is None
        and type(err).__name__ != "StoreError"
        and err.errno in (errno.ENOSPC, errno.EFBIG, errno.EIO, errno.EPIPE, errno.EDQUOT)
    )


def _debug() -> None:
    if os.environ.get("CHAINSIM_DEBUG"):
        traceback.print_exc()


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _signals() -> Callable[[], None]:
    """SIGTERM stops a command like Ctrl-C (KeyboardInterrupt: files flushed, manifests
    closed); SIGXFSZ (a file-size limit) becomes an EFBIG error instead of a core dump."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    old: dict[int, Any] = {}

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    for sig, action in ((signal.SIGTERM, interrupt), (getattr(signal, "SIGXFSZ", None), signal.SIG_IGN)):
        if sig is None:
            continue
        try:
            old[sig] = signal.signal(sig, action)
        except (OSError, ValueError):
            pass

    def restore() -> None:
        for sig, action in old.items():
            try:
                signal.signal(sig, action)
            except (OSError, ValueError):
                pass

    return restore
