"""The Huey queue of one app: Redis when JOBS_REDIS_URL is set, a SQLite file under instance/ otherwise.

Huey delivers a task at most once (a killed consumer loses the task it was running), so the queue only
carries job ids: the `jobs` row is the truth, and the lease in leases.py re-enqueues a job whose worker
stopped pulsing.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab

PULSE_PREFIX = "job-pulse:"


def make_huey(config: dict) -> Huey:
    name = config["JOBS_QUEUE_NAME"]
    if config["JOBS_REDIS_URL"]:
        return RedisHuey(name, url=config["JOBS_REDIS_URL"], results=False)
    path = Path(config["JOBS_SQLITE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


def init_jobs(app: Flask) -> None:
    """Creates the app's queue and registers its tasks; each task runs inside an app context."""
    install_queue(app, make_huey(app.config))
    if app.config["JOBS_EMBEDDED_WORKER"]:
        from .worker import start_embedded_worker

        start_embedded_worker(app)


def install_queue(app: Flask, huey: Huey) -> None:
    """Makes `huey` the app's queue, with the job task and the periodic tasks registered on it."""
    app.extensions["huey"] = huey

    @huey.task(name="run_job", retries=max(app.config["JOBS_MAX_ATTEMPTS"] - 1, 0),
               retry_delay=app.config["JOBS_RETRY_DELAY_SECONDS"])
    def run_job_task(job_id: int) -> None:
        from .runner import run_job

        with app.app_context():
            run_job(job_id)

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

    app.extensions["jobs_task"] = run_job_task


def queue() -> Huey:
    return current_app.extensions["huey"]


def enqueue(job_id: int, delay: float | None = None) -> None:
    task = current_app.extensions["jobs_task"]
    if delay:
        task.schedule(args=(job_id,), delay=delay)
    else:
        task(job_id)


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
