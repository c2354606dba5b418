"""Parameters of the sample corpus (section ``sample`` of params.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

from iacsieve.errors import IacsieveError


@dataclass(frozen=True)
class SampleParams:
    """Everything the generated corpus depends on; the same params always give the same bytes."""

    seed: int = 2026
    detections_per_tech: int = 770
    label_noise: float = 0.03
    min_lines: int = 10
    max_lines: int = 400
    other_smell_rows: int = 30
    nonsense_line_rows: int = 2

    def __post_init__(self) -> None:
        """Refuse values the generator cannot honour, naming the parameter."""
        if self.detections_per_tech < 1:
            raise IacsieveError(f"sample.detections_per_tech must be at least 1, got {self.detections_per_tech}")
        if not 0.0 <= self.label_noise < 0.5:
            raise IacsieveError(f"sample.label_noise must be in [0, 0.5), got {self.label_noise}")
        if not 10 <= self.min_lines <= 40:
            raise IacsieveError(f"sample.min_lines must be in [10, 40], got {self.min_lines}")
        if self.max_lines < max(60, 2 * self.min_lines):
            raise IacsieveError(f"sample.max_lines must be at least 60 and twice min_lines, got {self.max_lines}")
        if self.other_smell_rows < 0 or self.nonsense_line_rows < 0:
            raise IacsieveError("sample.other_smell_rows and sample.nonsense_line_rows must not be negative")
