"""What one run did: its status and ledger, as the CLI, the scheduler and callers see it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from clickstream.warehouse.manifest import FileLedger


@dataclass(frozen=True)
class RunResult:
    """The outcome and ledger of one run; `run_id` is None when another run held the lock."""

    run_id: int | None
    status: str
    files: int = 0
    received: int = 0
    loaded: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    late: int = 0
    days_derived: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def plus(self, files: Sequence[FileLedger], reasons: Mapping[str, int]) -> RunResult:
        """This result with a loaded batch's files added."""
        merged = Counter(self.rejected_by_reason)
        merged.update(reasons)
        return replace(
            self,
            files=self.files + len(files),
            received=self.received + sum(f.received for f in files),
            loaded=self.loaded + sum(f.loaded for f in files),
            duplicates=self.duplicates + sum(f.duplicates for f in files),
            conflicts=self.conflicts + sum(f.conflicts for f in files),
            rejected=self.rejected + sum(f.rejected for f in files),
            late=self.late + sum(f.late for f in files),
            rejected_by_reason=dict(sorted(merged.items())),
        )

    def summary(self) -> str:
        """One line for people: status and every count."""
        return (
            f"run {self.run_id}: {self.status}; files={self.files} received={self.received} "
            f"loaded={self.loaded} duplicates={self.duplicates} conflicts={self.conflicts} "
            f"rejected={self.rejected} late={self.late} days_derived={self.days_derived}"
        )
