"""Running the queue: `flask jobs-worker` (a Huey consumer plus the lease watcher), or, with
JOBS_EMBEDDED_WORKER=1, the same inside the web process (one process for a demo or a browser test)."""
from __future__ import annotations

import logging
import threading

from flask import Flask
from huey.consumer import Consumer

from .leases import requeue_abandoned
from .queue import queue_of

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0  # an idle worker looks at a SQLite queue at least this often (Redis blocks instead)


class LeaseWatcher(threading.Thread):
    """Re-queues jobs whose worker died, every half lease; cheap (one indexed query)."""

    def __init__(self, app: Flask):
        super().__init__(name="jobs-lease-watcher", daemon=True)
        self.app = app
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = max(self.app.config["JOBS_LEASE_SECONDS"] / 2, 0.5)
        while not self.stopped.wait(interval):
            self.check()

    def check(self) -> None:
        from models import db

        with self.app.app_context():
            try:
                requeue_abandoned()
            except Exception:
                log.exception("lease check failed")
                db.session.rollback()


class EmbeddedConsumer(Consumer):
    """A consumer that leaves the process's signals alone (it runs beside a web server)."""

    def _set_signal_handlers(self) -> None:
        pass


def run_worker(app: Flask, workers: int, periodic: bool = True) -> None:
    """Blocks: a Huey consumer with `workers` threads; SIGINT finishes running jobs, SIGTERM stops."""
    watcher = LeaseWatcher(app)
    watcher.check()  # jobs a killed worker left behind go back to the queue before anything else
    watcher.start()
    consumer = queue_of(app).create_consumer(workers=workers, worker_type="thread", periodic=periodic,
                                                      max_delay=POLL_SECONDS)
    try:
        consumer.run()
    finally:
        watcher.stopped.set()


def start_embedded_worker(app: Flask) -> EmbeddedConsumer:
    consumer = EmbeddedConsumer(queue_of(app), workers=max(app.config["JOBS_WORKERS"], 1),
                                worker_type="thread", periodic=True, max_delay=POLL_SECONDS)
    consumer.start()
    watcher = LeaseWatcher(app)
    watcher.start()
    app.extensions["jobs_consumer"] = (consumer, watcher)
    return consumer
