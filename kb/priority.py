"""Background work yields the CPU to requests.

Searches are short and interactive; an upload or an ingestion job runs for seconds to
hours. On a 2-core machine they compete for the same cores, and under the scheduler's
fair share a 40-second upload cost a third of the search throughput
(bench/concurrency.py). Writes therefore run in threads with a higher nice value: Linux
schedules threads, not processes, so only those threads are affected, together with
what they start (the parse pool's processes, the embedding runtime's threads created
there). They still get every cycle the requests leave idle, so a quiet service ingests
at full speed. An unprivileged process cannot lower a nice value again, so the
background threads are dedicated ones, never the request pool's.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_local = threading.local()


def in_background() -> bool:
    return getattr(_local, "background", False)


def lower_this_thread(nice: int) -> None:
    """Make the calling thread (and what it starts from now on) a background thread."""
    _local.background = True
    if nice <= 0 or sys.platform != "linux":  # elsewhere PRIO_PROCESS would take the whole process
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except OSError:  # not permitted (a seccomp profile): the work runs at normal priority
        pass


class BackgroundPool:
    """Threads at a lower CPU priority; `run` hands them a call and waits for its result."""

    def __init__(self, nice: int, workers: int = 2):
        self._pool = ThreadPoolExecutor(
            workers, thread_name_prefix="kb-background", initializer=lower_this_thread, initargs=(nice,)
        )

    def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        if in_background():  # already there (a job calling an upload): no second hop
            return fn(*args, **kwargs)
        return self._pool.submit(fn, *args, **kwargs).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
