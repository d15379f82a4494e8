"""Command start-up: what ``manage.py`` costs beyond Python and Django.

    .venv/bin/python bench/startup.py [--runs 7]

Times, alternated run by run so that the machine's load falls on each
alike, the median CPU time (user + system of the command's process: what it
costs, whatever else the machine runs) and wall time of ``python -c pass``
(the interpreter), ``django.setup()`` with the site's settings (the floor of
any command: settings, every app's models, the admin registry),
``manage.py help`` and ``manage.py exports --help``, each beside the two
baselines of the same run. No database is opened (SQLite settings).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT  # noqa: E402

PYTHON = str(ROOT / ".venv/bin/python")
CASES = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "django.setup()": [PYTHON, "-c", "import django; django.setup()"],
    "manage.py help": [PYTHON, "manage.py", "help"],
    "manage.py exports --help": [PYTHON, "manage.py", "exports", "--help"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "PYTHONPROFILEIMPORTTIME")
    }
    env["DJANGO_SETTINGS_MODULE"] = "auditsite.settings"
    cpu: dict[str, list[float]] = {name: [] for name in CASES}
    wall: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.runs):
        for name, command in CASES.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(
                command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )
            wall[name].append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(
                after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            )
    med = {name: statistics.median(values) for name, values in cpu.items()}
    python, setup = med["python -c pass"], med["django.setup()"]
    print(f"medians of {args.runs} alternated runs (seconds)")
    print(f"{'command':26} {'CPU':>6} {'- python':>9} {'- setup':>8} {'wall':>6}")
    for name, seconds in med.items():
        print(
            f"{name:26} {seconds:6.2f} {seconds - python:9.2f}"
            f" {seconds - setup:8.2f} {statistics.median(wall[name]):6.2f}"
        )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average: {load}")


if __name__ == "__main__":
    main()
