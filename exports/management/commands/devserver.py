"""`python manage.py devserver`: the web app, a django-q2 worker and a demo S3.

What `make run` serves: Django's development server plus one `qcluster`
process, stopped together on Ctrl-C, and moto's S3 server in a thread on
127.0.0.1:5050 (`AUDITSITE_DEMO_S3_PORT`) with the "Demo bucket" export
location streaming the demo events to it (exports/demo.py). Production runs
gunicorn and `qcluster` separately (see docs/production.md).

The console is quiet by default: one line to say where it serves, then
only warnings, errors and the request log (a refused request is one line,
no traceback). ``--verbose`` adds runserver's banner and the worker's and
scheduler's per-task lines (``AUDITSITE_LOG_VERBOSE=1`` in the children).
"""

import logging
import os
import signal
import socket
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the app with its django-q2 worker and a demo S3 (development)."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--no-s3", action="store_true", help="No demo S3 server and export."
        )
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="Also print runserver's banner and every scheduled and run task.",
        )

    def _start_demo_s3(self):
        """moto's S3 on 127.0.0.1 and the demo export location; None if busy."""
        from moto.server import ThreadedMotoServer

        from exports import demo

        port = demo.demo_s3_port()
        endpoint = f"http://127.0.0.1:{port}"
        with socket.socket() as probe:  # moto's thread would hang on a busy port
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                self.stderr.write(f"Demo S3 not started on port {port}: {exc}")
                return None
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        location = demo.demo_export_ensure(endpoint_url=endpoint)
        self.stdout.write(
            f"Demo S3 (moto) on {endpoint}: export location {location.name!r} "
            f"({location.interval}, {location.connection_status}) writes the demo "
            f"events to s3://{demo.DEMO_BUCKET}/{demo.DEMO_PREFIX}/. List them:\n"
            + demo.demo_listing_hint(endpoint)
        )
        return server

    def handle(self, *args, port, host, no_s3, verbose, **options):
        server = None if no_s3 else self._start_demo_s3()
        manage = [sys.executable, "manage.py"]
        env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1")}
        if verbose:
            env["AUDITSITE_LOG_VERBOSE"] = "1"
        # runserver's banner goes to stdout; its request log and errors to
        # stderr, which stays on the console.
        banner = None if verbose else subprocess.DEVNULL
        children = [
            subprocess.Popen([*manage, "qcluster"], env=env),
            subprocess.Popen(
                [*manage, "runserver", f"{host}:{port}", "--noreload"],
                env=env,
                stdout=banner,
            ),
        ]
        if not verbose:
            self.stdout.write(
                f"Serving http://{host}:{port}/ with a django-q2 worker "
                "(Ctrl-C stops both; --verbose for every task)."
            )
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
            if server is not None:
                server.stop()
