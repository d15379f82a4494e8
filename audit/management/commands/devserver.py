"""`python manage.py devserver`: the web app and a django-q2 worker, together.

What `make run` serves: Django's development server plus one `qcluster`
process, stopped together on Ctrl-C. Production runs gunicorn and
`qcluster` separately (see README).
"""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the app with its django-q2 worker (development)."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, port, host, **options):
        manage = [sys.executable, "manage.py"]
        env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1")}
        children = [
            subprocess.Popen([*manage, "qcluster"], env=env),
            subprocess.Popen(
                [*manage, "runserver", f"{host}:{port}", "--noreload"], env=env
            ),
        ]
        try:
            while all(child.poll() is None for child in children):
                try:
                    children[1].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
