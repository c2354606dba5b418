"""The labelling loop, apart from the terminal: which detection is shown, and what each key does to the corpus."""

from __future__ import annotations

from dataclasses import dataclass, field

from iacsieve.labelling.items import LabelItem
from iacsieve.labelling.store import LabelStore


@dataclass
class LabelSession:
    """Walks ``items`` (already ordered), asking only those the store has no label for.

    ``answer`` writes the shown detection's label (rewriting it when it was labelled before) and moves on;
    ``skip`` moves on without writing (a skipped detection is asked again on the next run); ``back`` shows
    the previously answered or skipped detection of this run again, so its label can be changed.
    """

    items: list[LabelItem]
    store: LabelStore
    history: list[int] = field(default_factory=list)  # indexes answered or skipped this run, in order
    skipped: set[int] = field(default_factory=set)
    current: int | None = None

    def __post_init__(self) -> None:
        self.current = self._next_open()

    def _next_open(self) -> int | None:
        decided = set(self.history) | self.skipped
        return next((i for i, item in enumerate(self.items)
                     if i not in decided and self.store.label_of(item) is None), None)

    @property
    def item(self) -> LabelItem | None:
        return None if self.current is None else self.items[self.current]

    @property
    def answered(self) -> int:
        """How many of the items the corpus holds a label for."""
        return sum(self.store.label_of(item) is not None for item in self.items)

    @property
    def revisiting(self) -> bool:
        """True when the shown detection already has a label (reached with ``back``)."""
        return self.item is not None and self.store.label_of(self.item) is not None

    def answer(self, label: str, reason: str = "") -> None:
        assert self.current is not None
        self.store.record(self.items[self.current], label, reason)
        self._leave()

    def skip(self) -> None:
        assert self.current is not None
        if not self.revisiting:
            self.skipped.add(self.current)
        self._leave()

    def _leave(self) -> None:
        if self.current not in self.history:
            self.history.append(self.current)
        self.current = self._next_open()

    def back(self) -> bool:
        """Show the last detection answered or skipped before the shown one; False when there is none."""
        earlier = [i for i in self.history if i != self.current]
        if not earlier:
            return False
        if self.current is not None and self.current in self.history:
            self.history.remove(self.current)
        target = earlier[-1]
        self.history.remove(target)
        self.skipped.discard(target)
        self.current = target
        return True
