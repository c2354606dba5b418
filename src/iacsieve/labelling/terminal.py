"""The keyboard-only terminal front end of ``iacsieve label`` (rich for the screen, raw key reads)."""

from __future__ import annotations

import contextlib
import os
import sys
import termios
import tty
from collections.abc import Iterator

from rich.console import Console, Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from iacsieve.errors import IacsieveError
from iacsieve.labelling.session import LabelSession

#: Lines shown on each side of the flagged one.
SHOWN_RADIUS = 8
LEXERS = {"ansible": "yaml", "chef": "ruby", "puppet": "puppet"}
KEYS_HELP = "t true positive   f false positive   s skip   b back   r reason   q quit"


def screen(session: LabelSession, threshold: float | None, reason: str, note: str) -> Group:
    """What one step shows: progress, where, the smell, GLITCH's description, the flagged line in its
    ±8-line context (coloured by technology, marked ❱), the champion's score and the keys."""
    item = session.item
    assert item is not None
    total = len(session.items)
    if session.revisiting:
        progress = f"changing an earlier answer (currently {session.store.label_of(item)})"
    else:
        progress = f"answer {session.answered + 1} of {total}"
    score = "-" if item.score is None else f"{item.score:.3f}"
    limit = "" if threshold is None else f" (threshold {threshold:.2f})"
    header = Text.assemble(("iacsieve label  ", "bold"), (progress, "bold cyan"),
                           f"   champion score {score}{limit}")
    where = Text.assemble((f"{item.path}:{item.detection.line}", "bold"), f"   {item.tech}   ",
                          (item.smell, "bold magenta"), f" ({item.detection.code})")
    first = max(1, item.detection.line - SHOWN_RADIUS)
    shown = item.lines[first - 1:item.detection.line + SHOWN_RADIUS]
    code = Syntax("\n".join(shown), LEXERS[item.tech], line_numbers=True, start_line=first,
                  highlight_lines={item.detection.line}, word_wrap=False, theme="ansi_dark")
    parts = [header, where, Text(f"GLITCH: {item.detection.description}", style="dim"),
             Panel(code, title=f"{item.path} (line {item.detection.line} marked ❱)", title_align="left")]
    if reason:
        parts.append(Text(f"reason: {reason}", style="green"))
    if note:
        parts.append(Text(note, style="yellow"))
    parts.append(Text(KEYS_HELP, style="bold"))
    return Group(*parts)


@contextlib.contextmanager
def cbreak(fd: int) -> Iterator[None]:
    """Single-key reads (no echo, no Enter) on ``fd``; the terminal's settings come back on exit."""
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        new = termios.tcgetattr(fd)
        new[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSADRAIN, new)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class KeyReader:
    """Key presses from ``fd`` one at a time, none lost when several arrive in one read (fast typing,
    pasted keys); an escape sequence (arrows, ...) reads as ``""``."""

    def __init__(self, fd: int):
        self.fd = fd
        self.pending = b""

    def __call__(self) -> str:
        if not self.pending:
            self.pending = os.read(self.fd, 64)
            if not self.pending:
                raise EOFError
        if self.pending.startswith(b"\x1b"):
            self.pending = b""
            return ""
        key, self.pending = self.pending[:1], self.pending[1:]
        return key.decode(errors="replace")


def read_line(fd: int, console: Console, prompt: str) -> str:
    """A line typed in the terminal's normal mode (Enter ends it)."""
    saved = termios.tcgetattr(fd)
    cooked = termios.tcgetattr(fd)
    cooked[3] |= termios.ICANON | termios.ECHO
    termios.tcsetattr(fd, termios.TCSADRAIN, cooked)
    try:
        console.print(prompt, end="")
        data = b""
        while not data.endswith(b"\n"):
            chunk = os.read(fd, 1024)  # canonical mode: the terminal hands over the line when Enter is pressed
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace").strip()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def run_terminal(session: LabelSession, threshold: float | None, notes: list[str]) -> str:
    """Ask until every item is answered or skipped, or ``q``; return the closing summary line."""
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise IacsieveError("iacsieve label is interactive: run it in a terminal (standard input and output must be a TTY)")
    console = Console(highlight=False)
    fd = sys.stdin.fileno()
    note = "  ".join(notes)
    reason = ""
    answered_before = session.answered
    read_key = KeyReader(fd)
    with cbreak(fd):
        while session.item is not None:
            console.clear()
            console.print(screen(session, threshold, reason, note))
            note = ""
            key = read_key().lower()
            if key in ("t", "f"):
                session.answer("TP" if key == "t" else "FP", reason)
                reason = ""
            elif key == "s":
                session.skip()
                reason = ""
            elif key == "b":
                if not session.back():
                    note = "nothing to go back to in this run"
                reason = ""
            elif key == "r":
                read_key.pending = b""  # the reason is typed in the terminal's line mode
                reason = read_line(fd, console, "reason (Enter to keep, ≤ 20 words): ") or reason
            elif key == "q":
                break
            elif key:
                note = f"unknown key {key!r}: {KEYS_HELP}"
    console.clear()
    done = "every detection answered or skipped" if session.item is None else "stopped"
    return (f"{done}: {session.answered} of {len(session.items)} labelled "
            f"({session.answered - answered_before:+d} this run), {len(session.skipped)} skipped this run; "
            f"corpus: {session.store.folder}")
