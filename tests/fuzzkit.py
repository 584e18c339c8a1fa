"""Shared pieces of the fuzz tests (test_fuzz.py, test_fuzz_inputs.py): editing a parsed
YAML tree, misspelling keys, breaking a file as a whole, and the refusal check."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st


def set_path(d: dict, path: tuple, value) -> None:
    """Set ``d[path]`` (creating mappings on the way); ``None`` removes the key."""
    node = d
    for p in path[:-1]:
        node = node.setdefault(p, {})
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


def misspell(word: str, k: int) -> str:
    """One of a few typos of ``word`` (a dropped or swapped letter, a plural, capitals)."""
    i = k % max(len(word) - 1, 1)
    variants = [
        word[:i] + word[i + 1 :],
        word[:i] + word[i + 1] + word[i] + word[i + 2 :],
        word + "s",
        word.upper(),
    ]
    out = variants[k % len(variants)]
    return out if out != word else word + "x"


def whole_file_breakage(draw, kind: str, text: str) -> tuple[bytes, list[str]]:
    """A file broken as a whole: bad YAML syntax inside ``text``, empty, binary, or not a mapping."""
    if kind == "syntax":
        cut = draw(st.integers(10, len(text) - 10))
        junk = draw(st.sampled_from([": [unclosed", "\t- tab: x", "a: b: c", "{", "- : -\n  ::"]))
        return (text[:cut] + "\n" + junk + "\n" + text[cut:]).encode(), ["line"]
    if kind == "empty":
        return draw(st.sampled_from([b"", b"   \n\n", b"# only a comment\n"])), ["empty"]
    if kind == "binary":
        return bytes(draw(st.lists(st.integers(0, 255), min_size=8, max_size=64))) + b"\xff\xfe\x00", []
    return draw(st.sampled_from([b"- a\n- b\n", b"42\n", b"just text\n"])), ["mapping"]


def check_refused(code: int, err: str, path: Path, out: Path, words: list[str]) -> None:
    """Exit 2, one message naming the file (and ``words``), no traceback, nothing written."""
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("chainsim: error:") == 1, err
    assert path.name in err, err
    lowered = err.lower()
    for w in words:
        assert w.lower() in lowered, (w, err)
    assert not out.exists(), "nothing may be written for bad input"
