"""Rebuild a Qdrant Edge shard's HNSW index in a process of its own.

`EdgeShard.optimize()` holds the interpreter lock for as long as it runs (40 minutes at a
million passages on two cores), so in the caller's process nothing else could run: no
progress bar could redraw and a service could not answer /health. `EdgeStore.optimize`
closes its shard, runs this module as a child process, shows progress while it waits,
and reopens the shard.

The time of the last rebuild is kept beside the shard (`rebuild_timing.json`) and scales
the next estimate; the first estimate comes from the scale benchmark on this project's
2-core machine (129 s at 100,000 passages, 2,391 s at 1,000,000: time ~ n^1.27).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TIMING_FILE = "rebuild_timing.json"
REFERENCE = (100_000, 129.0)  # points, seconds (BENCHMARKS.md, scale, session 4)
EXPONENT = 1.27


def estimate_s(path: Path, points: int) -> float:
    """Seconds a rebuild of `points` points should take, from the last measured one."""
    ref_points, ref_s = REFERENCE
    try:
        last = json.loads((path / TIMING_FILE).read_text(encoding="utf-8"))
        if last["points"] >= 1000 and last["seconds"] > 0:
            ref_points, ref_s = int(last["points"]), float(last["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return ref_s * (max(points, 1) / ref_points) ** EXPONENT


# A rebuild shorter than this taught nothing about the next one (an index already built
# takes a second to "rebuild"; a small one is dominated by the child's start-up).
MIN_RECORDED_S = 10.0


def record(path: Path, points: int, seconds: float) -> None:
    if seconds < MIN_RECORDED_S:
        return
    try:
        (path / TIMING_FILE).write_text(json.dumps({"points": points, "seconds": round(seconds, 1)}),
                                        encoding="utf-8")
    except OSError:  # only the next estimate is worse
        pass


def main(path: str) -> int:
    import qdrant_edge as qe

    try:
        shard = qe.EdgeShard.load(path, None)
    except Exception as exc:  # noqa: BLE001 - reported to the parent on stderr
        print(f"cannot open the index at {path}: {exc}", file=sys.stderr)
        return 2
    try:
        shard.optimize()
        shard.flush()
    finally:
        shard.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
