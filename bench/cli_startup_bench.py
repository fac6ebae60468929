"""Command-line start-up: `flask --app wsgi --help`, `create-user --help` and `verify-audit` on an empty
database, against `python -c pass` and the bare framework imports, measured in the same run.

    .venv/bin/python -m bench.cli_startup_bench [--runs 15] [--project DIR]

Reports the median wall time and the median CPU time (user + system, from wait4) of each command. On a shared,
loaded machine the wall time mostly measures waiting for a core; the CPU time is what the command costs. The
0.5 s budget (issue 13) is for help (`flask --help`, a command's `--help`), which builds the app with its
commands only (wsgi.py); verify-audit runs a command, so it loads the whole app and is shown for comparison.
Bytecode is cached under a temporary PYTHONPYCACHEPREFIX (as an installed app has its .pyc files), and the
commands run interleaved, so load changes hit them all alike. --project measures another checkout (e.g. an
older commit unpacked with `git archive`), for a before/after in the same run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 0.5
FRAMEWORK = "import flask, flask_sqlalchemy, flask_login, flask_wtf, sqlalchemy.orm"


def commands(python: str, flask: str) -> dict[str, list[str]]:
    return {
        "python -c pass": [python, "-c", "pass"],
        "framework imports (floor)": [python, "-c", FRAMEWORK],
        "flask --help": [flask, "--app", "wsgi", "--help"],
        "flask create-user --help": [flask, "--app", "wsgi", "create-user", "--help"],
        "flask verify-audit (empty db)": [flask, "--app", "wsgi", "verify-audit"],
    }


def run_once(argv: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run; a failing command stops the bench."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {process.stderr.read().decode() if process.stderr else ''}")
    process.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs of each command (default 15)")
    parser.add_argument("--project", type=Path, default=PROJECT, help="the checkout to measure (default: this one)")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    bin_dir = PROJECT / ".venv" / "bin"
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as scratch:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env.update(PYTHONPYCACHEPREFIX=str(Path(scratch) / "pycache"), SECRET_KEY="cli-startup-bench",
                   DATABASE_URL=f"sqlite:///{Path(scratch) / 'empty.sqlite3'}", JOBS_REDIS_URL="", REDIS_URL="",
                   JOBS_SQLITE_PATH=str(Path(scratch) / "queue.sqlite3"))
        subprocess.run([str(bin_dir / "flask"), "--app", "wsgi", "init-db"], cwd=project, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        measured = commands(str(bin_dir / "python"), str(bin_dir / "flask"))
        walls: dict[str, list[float]] = {name: [] for name in measured}
        cpus: dict[str, list[float]] = {name: [] for name in measured}
        for command in measured.values():  # warm-up: writes the bytecode cache
            run_once(command, project, env)
        for _ in range(args.runs):
            for name, command in measured.items():
                wall, cpu = run_once(command, project, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    load = os.getloadavg()
    print(f"CLI start-up of {project} ({args.runs} runs each, interleaved; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores)")
    print(f"{'command':<32}{'median wall':>13}{'median CPU':>13}{'CPU over pass':>15}")
    floor = statistics.median(cpus["python -c pass"])
    for name in measured:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:<32}{wall * 1000:>10.0f} ms{cpu * 1000:>10.0f} ms{(cpu - floor) * 1000:>12.0f} ms")
    worst = max(statistics.median(cpus[name]) for name in measured if name.endswith("--help"))
    verdict = "within" if worst <= BUDGET_SECONDS else "over"
    print(f"slowest help: {worst * 1000:.0f} ms CPU, {verdict} the {BUDGET_SECONDS * 1000:.0f} ms budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
