"""`flask jobs-worker` runs the queue; `flask jobs-requeue` sends back jobs whose worker died."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("jobs-worker")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker threads (default JOBS_WORKERS, 2).")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the scheduled jobs; run exactly one worker with it when there are several.")
def jobs_worker_command(workers: int | None, periodic: bool) -> None:
    """Runs background jobs until stopped (SIGINT lets running jobs finish); logs as LOG_FORMAT says."""
    from .worker import run_worker

    app = current_app._get_current_object()
    queue = app.config["JOBS_REDIS_URL"] or app.config["JOBS_SQLITE_PATH"]
    click.echo(f"jobs worker on {queue}", err=True)
    run_worker(app, workers or app.config["JOBS_WORKERS"], periodic=periodic)


@click.command("jobs-requeue")
@with_appcontext
def jobs_requeue_command() -> None:
    """Re-queues jobs whose worker stopped without finishing them (also done by every worker)."""
    from .leases import requeue_abandoned

    ids = requeue_abandoned()
    click.echo(f"re-queued {len(ids)} job(s)" + (f": {', '.join(map(str, ids))}" if ids else ""))


commands = (jobs_worker_command, jobs_requeue_command)
