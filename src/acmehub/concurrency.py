"""Synchronous use-case code run inside the event loop, without a thread.

The services are plain functions that read and write through repositories. On the ACME path
they run *in the event loop's thread*, each request in a greenlet of its own
(:func:`run_sync`): when storage must wait (a PostgreSQL round trip through asyncpg, SQLite's
group commit making a write durable), it calls :func:`wait_for`, which suspends that greenlet
and lets the loop serve other requests until the awaited result is there. This is the
mechanism of SQLAlchemy's asyncio layer (``AsyncSession.run_sync``), which we use as is: its
asyncpg dialect waits the same way, so the same repositories and prepared statements serve the
event loop and the threaded callers (administration, CLI) alike. A greenlet switch costs about
7 us; a thread hand-off cost 0.3-0.6 ms of CPU per request under load (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.util.concurrency import await_only, greenlet_spawn, in_greenlet

_T = TypeVar("_T")


async def run_sync(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run ``fn`` in the current event loop's thread; its :func:`wait_for` calls suspend it."""
    return await greenlet_spawn(fn, *args, **kwargs)


def wait_for(awaitable: Awaitable[_T]) -> _T:
    """Inside :func:`run_sync`: suspend until ``awaitable`` is done and return its result."""
    return await_only(awaitable)


def in_event_loop() -> bool:
    """Whether the caller runs inside :func:`run_sync` (in the event loop's thread)."""
    return bool(in_greenlet())


__all__ = ["in_event_loop", "run_sync", "wait_for"]
