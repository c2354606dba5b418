"""Read IaC scripts safely: paths stay inside the scripts folder, bytes decode without crashing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from iacsieve.errors import IacsieveError


@dataclass(frozen=True)
class Script:
    """A script's lines (newline-free, CRLF normalised) and how many invalid UTF-8 sequences were replaced."""

    relpath: str
    lines: list[str]
    replaced_chars: int


class ScriptFolder:
    """The folder GLITCH was run on; resolves detection paths inside it and caches decoded scripts."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise IacsieveError(f"{self.root}: scripts folder does not exist or is not a folder")
        self._resolved_root = self.root.resolve()
        self._cache: dict[str, Script] = {}

    def resolve(self, path: str, where: str) -> Path:
        """Return the real path of ``path`` (relative to the root, or absolute inside it).

        Raises ``IacsieveError`` (prefixed by ``where``) when the path, after following ``..`` and
        symlinks, lies outside the scripts folder, or when it is not an existing file.
        """
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        real = candidate.resolve()
        if not real.is_relative_to(self._resolved_root):
            raise IacsieveError(f"{where}: path {path!r} is outside the scripts folder {self.root}")
        if real.is_dir():
            raise IacsieveError(f"{where}: {path!r} is a folder, not a script")
        if not real.is_file():
            raise IacsieveError(f"{where}: script {path!r} not found under {self.root}")
        return real

    def relpath(self, path: str, where: str) -> str:
        """Return ``path`` as a forward-slash path relative to the scripts folder."""
        return self.resolve(path, where).relative_to(self._resolved_root).as_posix()

    @property
    def replaced_chars(self) -> int:
        """Invalid UTF-8 sequences replaced so far, over every script read."""
        return sum(script.replaced_chars for script in self._cache.values())

    def read(self, path: str, where: str) -> Script:
        """Return the decoded script at ``path``; binary files are refused, bad UTF-8 bytes replaced and counted."""
        real = self.resolve(path, where)
        key = str(real)
        if key not in self._cache:
            raw = real.read_bytes()
            if b"\x00" in raw:
                raise IacsieveError(f"{where}: script {path!r} is a binary file, not an IaC script")
            text = raw.decode("utf-8", errors="replace")
            replaced = text.count("\ufffd") - raw.decode("utf-8", errors="ignore").count("\ufffd")
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            lines = text.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            relpath = real.relative_to(self._resolved_root).as_posix()
            self._cache[key] = Script(relpath=relpath, lines=lines, replaced_chars=replaced)
        return self._cache[key]


FLAG_MARK = ">> "
PLAIN_MARK = "   "


def build_context(
    lines: list[str], line: int, context_lines: int, max_line_chars: int, neighbour_chars: int | None = None
) -> str:
    """Return lines ``line-context_lines .. line+context_lines`` (1-based, clipped to the file).

    The flagged line is prefixed with ``>> `` and the others with three spaces, so the model knows
    which line was flagged. The flagged line is cut to ``max_line_chars`` characters, each neighbour to
    ``neighbour_chars`` (default: ``max_line_chars``): the context budget goes to the line that matters.
    """
    neighbour_chars = max_line_chars if neighbour_chars is None else neighbour_chars
    first = max(1, line - context_lines)
    last = min(len(lines), line + context_lines)
    window = []
    for number in range(first, last + 1):
        flagged = number == line
        text = lines[number - 1][: max_line_chars if flagged else neighbour_chars]
        window.append((FLAG_MARK if flagged else PLAIN_MARK) + text)
    return "\n".join(window)
