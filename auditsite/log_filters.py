"""Logging filters used by ``settings.LOGGING``."""

from __future__ import annotations

import logging


class NoTracebackForClientErrors(logging.Filter):
    """Drop the traceback Django attaches to a 4xx (403, 404) request log line.

    A refused request is the app working as designed; the one line saying
    which URL was refused is enough. 5xx keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.name == "django.request"
            and getattr(record, "status_code", 500) < 500
        ):
            record.exc_info = None
            record.exc_text = None
        return True
