#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditsite.settings")
    if sys.argv[1:2] == ["devserver"]:
        # The demo (`make run`) exports to its own S3 on 127.0.0.1, which the
        # outbound guard refuses unless private destinations are allowed; set
        # before the settings load, and inherited by the worker it starts.
        os.environ.setdefault("AUDITSITE_ALLOW_PRIVATE_DESTINATIONS", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
