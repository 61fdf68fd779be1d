"""Run a coroutine on its own event loop in its own thread.

Browser tests (Playwright's sync API) can leave an event loop running on the main thread;
``asyncio.run`` refuses to start beside it, so these tests never use the main thread's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_isolated(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
