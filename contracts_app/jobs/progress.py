"""A running job's progress and heartbeat, pulsed to the queue's store (not the database, whose write
transaction the job holds open) so the job's page can show it live and the lease watcher sees it alive."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models import utcnow

from .queue import PULSE_PREFIX

if TYPE_CHECKING:  # huey (and redis) load only when a job runs, not at start-up
    from huey import Huey

log = logging.getLogger(__name__)


@dataclass
class Progress:
    job_id: int
    attempt: int
    done: int = 0
    total: int = 0
    message: str = ""
    changed: threading.Event = field(default_factory=threading.Event)

    def set(self, done: int, total: int | None = None, message: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        self.changed.set()

    def pulse(self) -> dict:
        return {"at": utcnow().timestamp(), "attempt": self.attempt, "done": self.done, "total": self.total,
                "message": self.message}


class Pulse(threading.Thread):
    """Writes the progress every `interval` seconds, and at once when it changes, until stopped."""

    def __init__(self, huey: Huey, progress: Progress, interval: float):
        super().__init__(name=f"job-{progress.job_id}-pulse", daemon=True)
        self.huey, self.progress, self.interval = huey, progress, interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.huey.put(f"{PULSE_PREFIX}{self.progress.job_id}", self.progress.pulse())
            except Exception:
                log.exception("job #%s: progress could not be written", self.progress.job_id)
            self.progress.changed.wait(self.interval)
            self.progress.changed.clear()

    def stop(self) -> None:
        self._stop_event.set()
        self.progress.changed.set()
        self.join(timeout=5)
        try:
            self.huey.delete(f"{PULSE_PREFIX}{self.progress.job_id}")
        except Exception:
            pass
