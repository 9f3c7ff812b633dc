"""A department's queue as its counters hold it: open items by status and category per
due month in the department's document (`q.<YYYYMM>.<status>|<category>`), per due day in
the month's `qdays/<dept>|<YYYYMM>` (`q.<YYYYMMDD>.<status>|<category>`); the items
themselves in `queues/<dept>|<YYYYMMDD>`. Items awaiting acknowledgement are counted the
same way by the day they were submitted (`w.<month>`, `w.<day>`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kandoo.reporting.domain.documents import UNCATEGORIZED


@dataclass(frozen=True)
class QueueBuckets:
    counts: Mapping[str, Mapping[str, int]]

    @classmethod
    def of(cls, counters: Mapping[str, Any]) -> QueueBuckets:
        return cls(counters.get("q") or {})

    def ordered(self) -> list[str]:
        """Buckets in order of due time (the bucket of items without one last)."""
        return sorted(self.counts)

    def count(self, bucket: str, wanted: Callable[[str], bool]) -> int:
        """Open items in `bucket` whose `status|category` is wanted."""
        return sum(n for key, n in (self.counts.get(bucket) or {}).items() if n > 0 and wanted(key))

    @staticmethod
    def key_of(item: Mapping[str, Any]) -> str:
        return f"{item.get('status')}|{item.get('category') or UNCATEGORIZED}"
