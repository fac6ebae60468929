"""The Huey queue of one app: Redis when JOBS_REDIS_URL is set, a SQLite file under instance/ otherwise.

Huey delivers a task at most once (a killed consumer loses the task it was running), so the queue only
carries job ids: the `jobs` row is the truth, and the lease in leases.py re-enqueues a job whose worker
stopped pulsing.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from huey import Huey

PULSE_PREFIX = "job-pulse:"
_INSTALLING = threading.Lock()


def make_huey(config: dict) -> Huey:
    from huey import RedisHuey, SqliteHuey

    name = config["JOBS_QUEUE_NAME"]
    if config["JOBS_REDIS_URL"]:
        return RedisHuey(name, url=config["JOBS_REDIS_URL"], results=False)
    path = Path(config["JOBS_SQLITE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


def init_jobs(app: Flask) -> None:
    """The queue itself is made on first use (queue_of): huey and redis cost a command or a page that never
    touches a job a quarter of a second at start-up."""
    if app.config["JOBS_EMBEDDED_WORKER"]:
        from .worker import start_embedded_worker

        start_embedded_worker(app)


def queue_of(app: Flask) -> Huey:
    """The app's queue, made and its tasks registered the first time any thread asks."""
    unwrap = getattr(app, "_get_current_object", None)
    if unwrap is not None:  # current_app: the tasks must hold the app itself, not a proxy of the caller's context
        app = unwrap()
    huey = app.extensions.get("huey")
    if huey is None:
        with _INSTALLING:
            huey = app.extensions.get("huey")
            if huey is None:
                huey = make_huey(app.config)
                install_queue(app, huey)
    return huey


def install_queue(app: Flask, huey: Huey) -> None:
    """Makes `huey` the app's queue, with the job task and the periodic tasks registered on it; each task
    runs inside an app context."""
    from huey import crontab

    @huey.task(name="run_job", retries=max(app.config["JOBS_MAX_ATTEMPTS"] - 1, 0),
               retry_delay=app.config["JOBS_RETRY_DELAY_SECONDS"])
    def run_job_task(job_id: int, request_id: str | None = None) -> None:
        from ..logs import finished_working, working_for_request
        from .runner import run_job

        token = working_for_request(request_id)  # the job's log lines carry the id of the request that started it
        try:
            with app.app_context():
                run_job(job_id)
        finally:
            finished_working(token)

    @huey.periodic_task(crontab(minute="*"), name="renew_leases")
    def renew_leases_task() -> None:
        from .leases import requeue_abandoned

        with app.app_context():
            requeue_abandoned()

    @huey.periodic_task(crontab(hour="3", minute="15"), name="clean_stale_staged_files")
    def clean_staged_task() -> None:
        from .periodic import clean_stale_staged_files

        with app.app_context():
            clean_stale_staged_files()

    @huey.periodic_task(crontab(hour="6", minute="0"), name="remind_milestones_due")
    def remind_milestones_task() -> None:
        from .periodic import remind_milestones_due

        with app.app_context():
            remind_milestones_due()

    @huey.periodic_task(crontab(hour="6", minute="10"), name="send_reminders")
    def send_reminders_task() -> None:
        from .periodic import send_reminders

        with app.app_context():
            send_reminders()

    app.extensions["jobs_task"] = run_job_task
    app.extensions["huey"] = huey


def queue() -> Huey:
    return queue_of(current_app)


def enqueue(job_id: int, delay: float | None = None) -> None:
    from ..logs import current_request_id

    queue()
    task = current_app.extensions["jobs_task"]
    request_id = current_request_id()
    if delay:
        task.schedule(args=(job_id, request_id), delay=delay)
    else:
        task(job_id, request_id)


def write_pulse(job_id: int, pulse: dict) -> None:
    queue().put(f"{PULSE_PREFIX}{job_id}", pulse)


def read_pulse(job_id: int) -> dict | None:
    try:
        return queue().get(f"{PULSE_PREFIX}{job_id}", peek=True)
    except Exception:  # the queue is down: the page shows the row's own progress
        return None


def clear_pulse(job_id: int) -> None:
    try:
        queue().delete(f"{PULSE_PREFIX}{job_id}")
    except Exception:
        pass
