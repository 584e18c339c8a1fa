"""Plain-text tables for the terminal and for logs, laid out by rich.

rich measures every cell in terminal columns (a Chinese character takes two), sizes the
columns to their contents and wraps a label that is too long inside its own column
instead of pushing the numbers out of line. The output is plain text with no colour or
other escape codes, and its width depends on the contents only (not on the terminal), so
a summary piped to a file, or read by a test, is the same as on screen.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

#: wide enough for any table here: a table is never stretched to it, only kept from wrapping
_CANVAS = 1000


def text_table(head: Sequence[str], rows: Iterable[Sequence[str]], label_width: int = 56) -> list[str]:
    """The lines of a table: the first column left-aligned and wrapped at ``label_width``
    terminal columns, the others right-aligned and never wrapped, two spaces between columns.
    A row shorter than ``head`` (a section heading) leaves the rest of its cells empty."""
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 0, 0, 2), header_style="")
    table.add_column(Text(head[0]), max_width=label_width, overflow="fold")
    for name in head[1:]:
        table.add_column(Text(name), justify="right", no_wrap=True)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row), *[Text("")] * (len(head) - len(row)))
    buf = io.StringIO()
    console = Console(
        file=buf, width=_CANVAS, color_system=None, no_color=True, highlight=False, emoji=False, markup=False
    )
    console.print(table)
    return [line.rstrip() for line in buf.getvalue().splitlines()]
