"""A time budget per file: parsing (and the extraction that follows it) gives up on a file
that takes longer than `KB_PARSE_TIMEOUT_S`, so one hostile file cannot hold a batch.

Readers and extractors call `check()` in their loops over lines, nodes, rows, pages
and clauses; every loop body is itself linear or bounded (the super-linear patterns
were removed), so a check is never far away. The budget lives in a context variable,
so that threads (the API's workers) each carry their own.

With KB_PARSE_TIMER_SIGNAL=1, in the main thread (the CLI) a timer signal also interrupts
work between checks. It is off by default: an exception raised from a signal handler can
land inside native code that calls back into Python (the syntax parser, pydantic's core),
and a long test run crashed the interpreter that way; the checks alone bound every loop.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


class BudgetExceeded(BaseException):
    """Raised inside a reader when the current file's time budget is spent. A
    BaseException (like KeyboardInterrupt), so that the `except Exception` of a reader
    or a library does not turn it into a different error; `parse_bytes` turns it
    into an IngestError naming the file."""

    def __init__(self, seconds: float, what: str):
        self.seconds = seconds
        self.what = what
        super().__init__(f"{what} took longer than {seconds:g} s (limit KB_PARSE_TIMEOUT_S)")


@dataclass
class _Budget:
    seconds: float
    what: str
    ends: float


_current: ContextVar[_Budget | None] = ContextVar("ingest_time_budget", default=None)


@contextmanager
def time_budget(seconds: float | None, what: str = "parsing") -> Iterator[None]:
    """Within the block, `check()` raises BudgetExceeded once `seconds` have passed.
    None or 0: no limit. An enclosing budget that ends sooner still applies."""
    outer = _current.get()
    if not seconds or seconds <= 0:
        token = _current.set(outer)
    else:
        ends = time.monotonic() + seconds
        if outer is not None and outer.ends < ends:
            token = _current.set(outer)
        else:
            token = _current.set(_Budget(float(seconds), what, ends))
    alarm = _arm(_current.get())
    try:
        yield
    finally:
        _disarm(alarm)
        _current.reset(token)


def _arm(budget: _Budget | None):
    """In the main thread also set a timer: its signal interrupts work between checks,
    even inside a regular expression or a library's loop (the re engine polls signals).
    Other threads (the API's) rely on the checks alone."""
    if (
        budget is None
        or os.environ.get("KB_PARSE_TIMER_SIGNAL") != "1"
        or threading.current_thread() is not threading.main_thread()
        or not hasattr(signal, "setitimer")
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0  # someone else's timer: leave it
    ):
        return None

    def on_alarm(signum, frame):
        raise BudgetExceeded(budget.seconds, budget.what)

    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
    except ValueError:  # not the main interpreter
        return None
    signal.setitimer(signal.ITIMER_REAL, max(budget.ends - time.monotonic(), 0.001))
    return previous


def _disarm(previous) -> None:
    if previous is None:
        return
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def check() -> None:
    """Raise BudgetExceeded when the current file's budget is spent (a clock read: cheap
    next to any loop body it guards)."""
    budget = _current.get()
    if budget is not None and time.monotonic() > budget.ends:
        raise BudgetExceeded(budget.seconds, budget.what)


@contextmanager
def paused() -> Iterator[None]:
    """Time spent inside the block does not count against the current file's budget (OCR:
    each page has its own timeout, KB_OCR_PAGE_TIMEOUT_S, and the pages to OCR are capped).
    A timer armed for the budget is stopped meanwhile and resumes with the time it had left."""
    budget = _current.get()
    if budget is None:
        yield
        return
    timer = (
        threading.current_thread() is threading.main_thread()
        and hasattr(signal, "setitimer")
        and signal.getitimer(signal.ITIMER_REAL)[0] > 0
    )
    left = signal.setitimer(signal.ITIMER_REAL, 0)[0] if timer else 0.0
    started = time.monotonic()
    try:
        yield
    finally:
        budget.ends += time.monotonic() - started
        if timer:
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))
