"""Memory of routing's duplicate index per 100,000 open complaints (tracemalloc)."""

from __future__ import annotations

import random
import tracemalloc
import uuid
from datetime import UTC, datetime

from kandoo.routing.domain.duplicates import SpatialIndex

CATEGORIES = ["road", "streetlight", "drainage", "waste", "noise", "trees", "traffic"]


def main(n: int = 100_000) -> None:
    rng = random.Random(7)
    ids = [str(uuid.uuid4()) for _ in range(n)]  # the ids exist anyway in the events
    now = datetime.now(UTC)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    index = SpatialIndex()
    for cid in ids:
        index.add(
            cid, rng.choice(CATEGORIES), rng.uniform(12.49, 12.64), rng.uniform(99.90, 99.99), now
        )
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(
        f"duplicate index: {(after - before) / 2**20:.1f} MiB for {n:,} open complaints "
        f"({(after - before) / n:.0f} bytes each, ids not counted)"
    )


if __name__ == "__main__":
    main()
