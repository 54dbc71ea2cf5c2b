"""Run every benchmark in turn (each prints its own table). Results are recorded by hand in BENCHMARKS.md.

    python -m bench.run_all [name ...]
"""

from __future__ import annotations

import subprocess
import sys

BENCHES = ["lang", "entities", "obligations", "embed", "ingest", "search", "qa", "latency", "index_scale"]


def main() -> int:
    names = sys.argv[1:] or BENCHES
    failed = []
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        if subprocess.call([sys.executable, "-m", f"bench.{name}"]) != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
