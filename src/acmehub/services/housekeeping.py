"""Periodic upkeep: expired nonces removed in bounded batches, orders a crash left in processing
resumed. Runs in every `serve` and `worker` process; each step is safe to run concurrently."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from acmehub.services.deps import ServiceDeps
from acmehub.services.finalize import FinalizeService

log = logging.getLogger("acmehub.housekeeping")

NONCE_BATCH = 5000
ORDER_BATCH = 500
#: How long an order that expired without a certificate is kept before it is removed.
ORDER_RETENTION = timedelta(days=30)
#: An order still processing after this long lost its finalize request (crash or restart).
STUCK_AFTER = timedelta(minutes=2)


class Housekeeper:
    def __init__(
        self,
        deps: ServiceDeps,
        finalize: FinalizeService,
        interval: float = 60.0,
        stuck_after: timedelta = STUCK_AFTER,
    ) -> None:
        self._d = deps
        self._finalize = finalize
        self._interval = interval
        self._stuck_after = stuck_after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, int]:
        purged = self._d.nonces.purge_expired(NONCE_BATCH)
        resumed = self._finalize.resume_stuck(self._stuck_after)
        with self._d.uow(write=True) as tx:
            # Expired orders are kept a while for operators ("why did my client fail"), then go.
            orders = tx.orders.purge_expired(self._d.clock.now() - ORDER_RETENTION, ORDER_BATCH)
        return {"nonces_purged": purged, "orders_resumed": resumed, "orders_purged": orders}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="acmehub-housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        # The first run is at start-up: a restart after a crash resumes lost work at once.
        wait = 0.0
        while not self._stop.wait(wait):
            wait = self._interval
            try:
                done = self.run_once()
            except Exception:
                log.exception("housekeeping failed")
                continue
            if any(done.values()):
                log.info("housekeeping: %s", done)
